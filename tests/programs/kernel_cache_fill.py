"""Run the fused pass for each width given (``1,3,9``), in both dtypes: compile or load it."""

import sys

import numpy as np

from fastlinreg import kernels


def main(widths: str) -> None:
    """Call ``kernels.residual_gradient`` once per width and dtype."""
    rng = np.random.default_rng(0)
    for d in map(int, widths.split(",")):
        for dtype in (np.float64, np.float32):
            X = rng.standard_normal((300, d)).astype(dtype)
            kernels.residual_gradient(X, rng.standard_normal(300), np.ones(d), 0.5)


if __name__ == "__main__":
    main(sys.argv[1])

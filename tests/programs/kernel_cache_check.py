"""Check the fused pass of each width given against NumPy; print ``BAD [...]``, the failures."""

import sys

import numpy as np

from fastlinreg import kernels


def main(widths: str) -> None:
    """Compare gradient and intercept gradient with NumPy's, per width and dtype."""
    rng = np.random.default_rng(1)
    bad = []
    for d in map(int, widths.split(",")):
        for dtype in (np.float64, np.float32):
            X = rng.standard_normal((257, d)).astype(dtype)
            y = rng.standard_normal(257)
            coef = rng.standard_normal(d)
            g, gb, _ = kernels.residual_gradient(X, y, coef, 0.25)
            X64 = X.astype(np.float64)
            r = X64 @ coef + 0.25 - y
            if not (
                np.allclose(g, X64.T @ r / 257, rtol=1e-9, atol=1e-12)
                and np.isclose(gb, r.mean(), rtol=1e-9, atol=1e-12)
            ):
                bad.append((d, np.dtype(dtype).name))
    print("BAD", bad)


if __name__ == "__main__":
    main(sys.argv[1])

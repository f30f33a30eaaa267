"""Fit a small exact problem with each solver given; print ``fit ok``."""

import sys

import numpy as np

from fastlinreg import LinearRegression


def main(solvers: list[str]) -> None:
    """Fit ``y = X @ [1, 2, 3, 4] + 5`` with each solver and check the coefficients."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    y = X @ np.array([1.0, 2.0, 3.0, 4.0]) + 5.0
    for solver in solvers:
        m = LinearRegression(solver=solver).fit(X, y)
        assert np.allclose(m.coef_, [1, 2, 3, 4], rtol=1e-9), m.coef_
    print("fit ok")


if __name__ == "__main__":
    main(sys.argv[1:])

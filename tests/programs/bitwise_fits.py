"""Fit one weighted problem with every solver and dtype, and by ``partial_fit``; print the bytes.

The output (JSON: hex of ``coef_`` and ``intercept_`` per fit) is compared across thread counts
and runs.
"""

import json

import numpy as np

from fastlinreg import LinearRegression


def _bytes(model: LinearRegression) -> list[str]:
    return [model.coef_.tobytes().hex(), np.asarray(model.intercept_).tobytes().hex()]


def main() -> None:
    """Print the exact results of every fit."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((20011, 37)) * rng.uniform(0.1, 10, 37) + 3
    y = X @ rng.standard_normal(37) + rng.standard_normal(20011)
    w = rng.uniform(0, 2, 20011)
    out = {}
    for solver in ("gd", "cg", "gram", "qr"):
        for dtype in ("float64", "float32"):
            m = LinearRegression(solver=solver).fit(X.astype(dtype), y, sample_weight=w)
            out[f"{solver}-{dtype}"] = _bytes(m)
    m = LinearRegression().partial_fit(X[:7000], y[:7000]).partial_fit(X[7000:], y[7000:])
    out["partial"] = _bytes(m)
    m = LinearRegression(solver="qr").partial_fit(X[:7000], y[:7000])
    m.partial_fit(X[7000:], y[7000:])
    out["partial-qr"] = _bytes(m)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

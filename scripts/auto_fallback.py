"""What "auto" costs on correlated columns, against "gd" and "gram" on the same data.

Columns follow an AR(1) pattern: column j is ``rho`` times column j-1 plus independent noise, so
the conditioning worsens as ``rho`` approaches 1 while the Gram solver's cost stays the same.
Each solver fits once after a warm-up fit on a slice (which compiles); ConvergenceWarnings are
silenced and reported in the table instead.

Usage::

    python scripts/auto_fallback.py --n-samples 200000 --n-features 300 --rho 0 0.9 0.99
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from fastlinreg import LinearRegression


def correlated(n: int, d: int, rho: float, rng: np.random.Generator):
    """Return ``X`` with AR(1)-correlated columns and ``y`` linear in it plus noise."""
    X = rng.standard_normal((n, d))
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1.0 - rho**2) * X[:, j]
    return X, X @ rng.standard_normal(d) + rng.standard_normal(n)


def main() -> None:
    """Print time, passes over X and the solver that finished, for each solver and rho."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--n-features", type=int, default=300)
    parser.add_argument("--rho", type=float, nargs="+", default=[0.0, 0.9, 0.99])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'rho':>5s} {'solver':>6s} {'finished':>8s} {'time [s]':>9s} {'passes':>6s} converged")
    for rho in args.rho:
        X, y = correlated(args.n_samples, args.n_features, rho, rng)
        for solver in ("auto", "gd", "gram"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                LinearRegression(solver=solver).fit(X[:3000], y[:3000])
                t0 = time.perf_counter()
                model = LinearRegression(solver=solver).fit(X, y)
                seconds = time.perf_counter() - t0
            print(
                f"{rho:5.2f} {solver:>6s} {model.solver_:>8s} {seconds:9.2f} "
                f"{model.n_passes_:6d} {model.converged_}"
            )


if __name__ == "__main__":
    main()

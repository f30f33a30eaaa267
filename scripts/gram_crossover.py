"""Where the Gram solver stops beating streaming gradient descent, and what "auto" picks.

For each d the data has a fixed size in bytes; both solvers fit it in one process, interleaved
(gd, gram, gd, gram, ...), after a warm-up fit that compiles, and the best time of each is kept.

Usage::

    python scripts/gram_crossover.py --megabytes 400 --features 25 50 100 200 400 800
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fastlinreg import LinearRegression
from fastlinreg._cost import choose_solver


def main() -> None:
    """Print time per solver and the automatic choice for each number of features."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=400)
    parser.add_argument("--features", type=int, nargs="+", default=[25, 50, 100, 200, 400, 800])
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(0)
    print(
        f"{'n':>9s} {'d':>5s} {'gd [s]':>8s} {'gram [s]':>9s} {'faster':>7s} {'auto':>5s} "
        f"{'gd passes':>9s}"
    )
    for d in args.features:
        n = int(args.megabytes * 1e6 / (d * dtype.itemsize))
        X = rng.standard_normal((n, d), dtype=np.float64).astype(dtype)
        y = (X @ rng.standard_normal(d) + rng.standard_normal(n)).astype(dtype)
        best = {"gd": np.inf, "gram": np.inf}
        passes = 0
        for solver in best:
            LinearRegression(solver=solver).fit(X[:2000], y[:2000])
        for _ in range(args.repeat):
            for solver in best:
                time.sleep(0.2)  # let BLAS worker threads go idle between candidates
                t0 = time.perf_counter()
                model = LinearRegression(solver=solver).fit(X, y)
                best[solver] = min(best[solver], time.perf_counter() - t0)
                if solver == "gd":
                    passes = model.n_passes_
        faster = min(best, key=best.__getitem__)
        auto = choose_solver(n, d, dtype.itemsize)
        print(
            f"{n:9d} {d:5d} {best['gd']:8.3f} {best['gram']:9.3f} {faster:>7s} {auto:>5s} "
            f"{passes:9d}",
            flush=True,
        )
        del X, y


if __name__ == "__main__":
    main()

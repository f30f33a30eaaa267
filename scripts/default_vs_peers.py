"""The default fit against scikit-learn, scikit-learn-intelex and NumPy on one problem.

Times ``fastlinreg.LinearRegression()`` (and ``solver="qr"``), scikit-learn's
``LinearRegression``, scikit-learn-intelex's ``LinearRegression`` (oneDAL normal equations,
when installed) and NumPy's normal equations on the same synthetic data, in one process,
interleaved (A B C ... A B C ...), after a warm-up fit of every candidate on a slice, with
threads pinned equal (threadpoolctl and Numba). Reports the best time of the rounds, the ratio
to scikit-learn's ``LinearRegression``, and the relative coefficient error against a QR
reference (``np.linalg.lstsq`` of the centred data), beside the in-run read-bandwidth probe.

    python scripts/default_vs_peers.py --rows 2000000 --features 50 --rounds 3
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from fastlinreg import LinearRegression
from fastlinreg.bench import (
    BLAS_SETTLE_SECONDS,
    default_threads,
    make_data,
    pinned_threads,
    probe_seconds,
)


def _normal_equations(X, y):
    Xc = X - X.mean(axis=0)
    coef = np.linalg.solve(Xc.T @ Xc, Xc.T @ (y - y.mean()))
    return coef


def _candidates():
    from sklearn.linear_model import LinearRegression as SkLinearRegression

    cands = {
        "fastlinreg default": lambda X, y: LinearRegression().fit(X, y).coef_,
        "fastlinreg qr": lambda X, y: LinearRegression(solver="qr").fit(X, y).coef_,
        "sklearn LinearRegression": lambda X, y: SkLinearRegression().fit(X, y).coef_,
        "numpy normal equations": _normal_equations,
    }
    try:
        from sklearnex.linear_model import LinearRegression as ExLinearRegression
    except ImportError:
        print("scikit-learn-intelex is not installed: its row is left out")
    else:
        cands["sklearnex LinearRegression"] = lambda X, y: ExLinearRegression().fit(X, y).coef_
    return cands


def main(argv=None) -> int:
    """Run the comparison and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument(
        "--rho", type=float, default=0.0, help="correlation of neighbouring columns (AR(1))"
    )
    args = parser.parse_args(argv)
    X, y = make_data(args.rows, args.features)
    if args.rho:
        # Neighbouring columns correlated rho, in place; y keeps its linear model in the new X.
        for j in range(1, X.shape[1]):
            X[:, j] *= np.sqrt(1.0 - args.rho**2)
            X[:, j] += args.rho * X[:, j - 1]
        rng = np.random.default_rng(1)
        y = X @ rng.standard_normal(X.shape[1]) + rng.standard_normal(X.shape[0])
    Xc = X - X.mean(axis=0)
    reference = np.linalg.lstsq(Xc, y - y.mean(), rcond=None)[0]
    del Xc
    cands = _candidates()
    times = {name: np.inf for name in cands}
    errors = {}
    with pinned_threads(args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        LinearRegression().fit(X[:2048], y[:2048])
        compile_s = time.perf_counter() - t0
        for fn in cands.values():
            fn(X[:4096], y[:4096])
        probe = probe_seconds(X)
        for _ in range(args.rounds):
            for name, fn in cands.items():
                t0 = time.perf_counter()
                coef = fn(X, y)
                times[name] = min(times[name], time.perf_counter() - t0)
                errors[name] = float(np.linalg.norm(coef - reference) / np.linalg.norm(reference))
                time.sleep(BLAS_SETTLE_SECONDS)
    base = times["sklearn LinearRegression"]
    print(
        f"{args.rows} x {args.features} float64 (neighbour correlation {args.rho}), "
        f"{args.threads} threads, best of {args.rounds} "
        f"interleaved rounds; read probe {X.nbytes / probe / 1e9:.1f} GB/s; first small fit "
        f"(compile or cache load) {compile_s:.2f} s, excluded"
    )
    print(f"{'candidate':28s} {'time [s]':>9s} {'vs sklearn LR':>14s} {'rel. coef error':>16s}")
    for name in cands:
        print(f"{name:28s} {times[name]:9.3f} {base / times[name]:13.2f}x {errors[name]:16.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark harness: time to solution of fastlinreg against NumPy and scikit-learn."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from sklearn.linear_model import LinearRegression as SklearnLinearRegression
from threadpoolctl import threadpool_limits

from . import _kernels
from ._estimator import LinearRegression
from .reference import NumpyLinearRegression


@dataclass
class Row:
    """One candidate's measurements."""

    name: str
    seconds: float
    r2: float
    max_coef_error: float


def make_data(n_samples: int, n_features: int, dtype, seed: int = 0):
    """Synthetic data of the tutorial's kind: Gaussian features, a linear target plus noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features), dtype=np.float64).astype(dtype, copy=False)
    w = rng.uniform(-3, 3, size=n_features)
    y = (X @ w + 5.0 + 20.0 * rng.standard_normal(n_samples)).astype(dtype)
    return X, y


T = TypeVar("T")


def _median_time(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    times: list[float] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def run(
    n_samples: int, n_features: int, dtype, repeat: int, threads: int
) -> tuple[list[Row], float]:
    """Fit every candidate on the same data and return their rows and the compile time.

    Parameters
    ----------
    n_samples, n_features : int
    dtype : numpy dtype
    repeat : int
        Timed repeats per candidate (the median is reported).
    threads : int
        Threads for BLAS (threadpoolctl); Numba uses its own setting.

    Returns
    -------
    rows : list of Row
    compile_seconds : float
        Time of a first small fit (JIT compilation or cache load), reported separately.
    """
    X, y = make_data(n_samples, n_features, dtype)
    t0 = time.perf_counter()
    LinearRegression().fit(X[:64], y[:64])
    compile_seconds = time.perf_counter() - t0

    Xd = np.c_[X.astype(np.float64), np.ones(n_samples)]
    closed = np.linalg.lstsq(Xd, y.astype(np.float64), rcond=None)[0]

    def normal_equations():
        G = X.T @ X
        s = X.sum(axis=0)
        A = np.block([[G, s[:, None]], [s[None, :], np.array([[n_samples]])]])
        return np.linalg.solve(A, np.r_[X.T @ y, y.sum()])

    def score(coef: np.ndarray, intercept: float) -> tuple[float, float]:
        pred = _predict(X, coef, intercept)
        r2 = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
        return float(r2), float(np.max(np.abs(coef - closed[:-1])))

    rows = []
    with threadpool_limits(limits=threads):
        seconds, model = _median_time(lambda: LinearRegression().fit(X, y), repeat)
        rows.append(Row("fastlinreg gd", seconds, *score(model.coef_, model.intercept_)))
        seconds, sol = _median_time(normal_equations, repeat)
        rows.append(Row("numpy normal equations", seconds, *score(sol[:-1], sol[-1])))
        seconds, sk = _median_time(lambda: SklearnLinearRegression().fit(X, y), repeat)
        rows.append(Row("sklearn LinearRegression", seconds, *score(sk.coef_, sk.intercept_)))
        # The tutorial needs 1000 iterations of two BLAS passes; its cost per iteration is what
        # compares with one fused pass, so a few iterations are timed and reported per iteration.
        iters = 5
        seconds, ref = _median_time(lambda: NumpyLinearRegression(n_iters=iters).fit(X, y), 1)
        assert ref.weights is not None and ref.bias is not None
        rows.append(
            Row(
                f"numpy tutorial GD, per iteration ({iters} it)",
                seconds / iters,
                *score(ref.weights, ref.bias),
            )
        )
        seconds, _ = _median_time(lambda: _fused_pass(X, y), repeat)
        rows.append(
            Row("fastlinreg fused pass, per iteration", seconds, float("nan"), float("nan"))
        )
    return rows, compile_seconds


def _fused_pass(X, y):
    coef = np.zeros((1, X.shape[1]))
    kernel = _kernels.fused_pass_for(X)
    return kernel(X, y[:, None], coef, np.zeros(1), np.empty(0), _kernels.N_CHUNKS)


def _predict(X, coef, intercept):
    out = np.empty((X.shape[0], 1), dtype=np.float64)
    coef2 = np.asarray(coef, dtype=np.float64).reshape(1, -1)
    _kernels.predict_into(X, coef2, np.array([float(intercept)]), out, _kernels.N_CHUNKS)
    return out[:, 0]


def format_table(rows: list[Row]) -> str:
    """Render rows as a fixed-width text table with the speed-up over scikit-learn."""
    sk = next(r.seconds for r in rows if r.name.startswith("sklearn"))
    header = f"{'candidate':40s} {'time [s]':>10s} {'x sklearn':>10s} {'R2':>12s}"
    lines = [f"{header} {'max|dcoef|':>11s}"]
    for r in rows:
        lines.append(
            f"{r.name:40s} {r.seconds:10.4f} {sk / r.seconds:10.2f} {r.r2:12.9f} "
            f"{r.max_coef_error:11.2e}"
        )
    return "\n".join(lines)

"""Benchmark harness: time to solution of fastlinreg against NumPy and scikit-learn.

:func:`run` fits every candidate of :func:`candidates` on the same synthetic data and measures,
in one process:

- **time** — the median over ``repeat`` timed rounds. Rounds are interleaved (every candidate
  once per round, in a fixed order, with a pause of ``BLAS_SETTLE_SECONDS`` after each call so
  that spinning BLAS threads do not steal a core from the next) and come after a warm-up on a
  small slice of the data that compiles the Numba kernels; the compile (or on-disk cache load)
  time is measured on its own.
- **accuracy** — R² on the training data and ``max |coef - closed form|``, where the closed form
  is solved in float64 from the centred Gram matrix of the very array the candidate saw.
- **passes over X** where they are known, and from them the effective bandwidth
  ``passes * (X.nbytes + y.nbytes) / time`` beside an in-run read-bandwidth probe (a parallel
  Numba sum over ``X``, best of five).
- **peak extra memory** — the peak resident set size during the call above the resident size
  just before it (Linux: the kernel's high-water mark, reset before each call). Elsewhere it is
  not measured.

BLAS (threadpoolctl) and Numba get the same thread count. The NumPy tutorial's gradient descent
needs a thousand iterations of two BLAS passes, so only a few iterations are timed and reported
per iteration; where its thousand iterations would end is computed from the same recurrence on
``XᵀX`` (exact algebra, untimed) and reported as such.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import json
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
import sklearn
from numba import prange
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression as SklearnLinearRegression
from sklearn.linear_model import Ridge, SGDRegressor
from threadpoolctl import threadpool_info, threadpool_limits

from . import _fused, _kernels
from ._bench_defaults import N_FEATURES, N_SAMPLES, REPEAT, default_threads
from ._estimator import LinearRegression
from ._params import SOLVERS as ESTIMATOR_SOLVERS
from ._runtime import launch, pinned_numba_threads
from .reference import NumpyLinearRegression

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ALREADY_COMPILED",
    "BLAS_SETTLE_SECONDS",
    "CACHE_LOADED",
    "COMPILED",
    "SOLVERS",
    "BenchResult",
    "Candidate",
    "Config",
    "Outcome",
    "Progress",
    "Row",
    "candidates",
    "compile_counts",
    "compile_source",
    "default_threads",
    "finite_or_none",
    "format_number",
    "fused_pass",
    "machine_info",
    "make_data",
    "markdown_table",
    "pinned_threads",
    "probe_seconds",
    "run",
    "text_table",
    "write_json",
]

#: fastlinreg solvers benchmarked, in this order. A solver the estimator does not offer is
#: reported as unavailable instead of failing the run.
SOLVERS = ("auto", "gram", "qr", "cg", "gd")

#: The tutorial's settings for the reference gradient descent.
TUTORIAL_LEARNING_RATE = 0.001
TUTORIAL_ITERATIONS = 1000

#: Pause after each timed call: OpenBLAS's worker threads spin for about 0.1 s after a call and
#: would steal a core from whatever is timed next.
BLAS_SETTLE_SECONDS = 0.2
#: Rows in the warm-up slice that every candidate is fitted on before timing.
_WARMUP_ROWS = 2048
_PROBE_REPEATS = 5
#: Rows generated at a time by :func:`make_data`.
_DATA_BLOCK = 1 << 16


@dataclass(frozen=True)
class Config:
    """What to benchmark.

    Attributes
    ----------
    n_samples, n_features : int
        Shape of the synthetic ``X``.
    dtypes : tuple of str
        Storage types of ``X`` for the fastlinreg rows; the baselines use the first one.
    threads : int
        Threads for Numba and for BLAS.
    repeat : int
        Timed rounds; each row reports the median.
    tutorial_iterations : int
        Iterations of the NumPy tutorial timed per round (reported per iteration).
    seed : int
        Seed of the synthetic data.
    """

    n_samples: int = N_SAMPLES
    n_features: int = N_FEATURES
    dtypes: tuple[str, ...] = ("float64", "float32")
    threads: int = field(default_factory=default_threads)
    repeat: int = REPEAT
    tutorial_iterations: int = 1
    seed: int = 0

    def __post_init__(self):
        if self.n_samples < 2 or self.n_features < 1:
            raise ValueError("n_samples must be >= 2 and n_features >= 1")
        if self.repeat < 1 or self.tutorial_iterations < 1 or self.threads < 1:
            raise ValueError("repeat, tutorial_iterations and threads must be >= 1")
        if not self.dtypes or any(d not in ("float64", "float32") for d in self.dtypes):
            raise ValueError(f"dtypes must be float64 and/or float32, got {self.dtypes}")


def make_data(n_samples: int, n_features: int, dtype="float64", seed: int = 0):
    """Synthetic data of the tutorial's kind, like ``sklearn.datasets.make_regression``.

    Gaussian features, coefficients ``100 * U(0, 1)``, intercept 5 and Gaussian noise of
    standard deviation 20. The rows are drawn in blocks straight into arrays of ``dtype``, so
    no float64 copy of a float32 ``X`` is ever made; the float32 data is the float64 data
    rounded.

    Parameters
    ----------
    n_samples, n_features : int
        Shape of ``X``.
    dtype : str or numpy dtype, default="float64"
        Storage type of ``X`` and ``y``.
    seed : int, default=0
        Seed of the coefficients, the features and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Gaussian features, in ``dtype``.
    y : ndarray of shape (n_samples,)
        ``X @ coef + 5`` plus noise, computed in float64 and stored in ``dtype``.
    """
    coef_seed, x_seed, noise_seed = np.random.SeedSequence(seed).spawn(3)
    w = 100.0 * np.random.default_rng(coef_seed).uniform(size=n_features)
    x_rng = np.random.default_rng(x_seed)
    noise_rng = np.random.default_rng(noise_seed)
    X = np.empty((n_samples, n_features), dtype=dtype)
    y = np.empty(n_samples, dtype=dtype)
    for start in range(0, n_samples, _DATA_BLOCK):
        stop = min(start + _DATA_BLOCK, n_samples)
        block = x_rng.standard_normal((stop - start, n_features))
        X[start:stop] = block
        y[start:stop] = block @ w + 5.0 + 20.0 * noise_rng.standard_normal(stop - start)
    return X, y


@dataclass
class Outcome:
    """What one timed call of a candidate produced.

    Attributes
    ----------
    coef : ndarray of shape (n_features,) or None
        Coefficients (None for a bare pass).
    intercept : float
    passes : int or None
        Passes over ``X`` made by the call, when known.
    units : int
        Iterations or passes the call made, for per-iteration rows (1 for a fit).
    loss_curve : list of float or None
    solver : str or None
        The solver that ran, for fastlinreg.
    """

    coef: np.ndarray | None
    intercept: float = 0.0
    passes: int | None = None
    units: int = 1
    loss_curve: list[float] | None = None
    solver: str | None = None


@dataclass(frozen=True)
class Candidate:
    """One thing to time.

    Attributes
    ----------
    name : str
    dtype : str
        Storage type of the ``X`` it is given.
    kind : {"fit", "pass"}
        ``"fit"`` rows report time to solution; ``"pass"`` rows report time per pass or
        iteration.
    call : callable
        ``call(X, y) -> Outcome``.
    alpha : float
        L2 penalty of the problem it solves (its closed form is the reference).
    note : str
    unavailable : str
        Why it cannot run in this version (a solver the estimator lacks); empty if it can.
    """

    name: str
    dtype: str
    kind: str
    call: Callable[[np.ndarray, np.ndarray], Outcome]
    alpha: float = 0.0
    note: str = ""
    unavailable: str = ""


def _fastlinreg(solver: str) -> Callable[[np.ndarray, np.ndarray], Outcome]:
    def call(X, y):
        """Fit ``LinearRegression(solver=solver)`` on ``X`` and ``y``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Training data.
        y : ndarray of shape (n_samples,)
            Targets.

        Returns
        -------
        Outcome
            The fitted model's coefficients, intercept, passes, loss curve and solver.
        """
        model = LinearRegression(solver=solver).fit(X, y)
        return Outcome(
            model.coef_,
            float(model.intercept_),
            passes=model.n_passes_,
            loss_curve=list(model.loss_curve_),
            solver=model.solver_,
        )

    return call


def fused_pass(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray | None = None,
    intercept: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run fastlinreg's fused pass once over ``X`` and ``y``, as a gradient-descent step does.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
        Data, read in place.
    y : ndarray of shape (n,), same dtype as ``X``
        Targets.
    coef : ndarray of shape (1, d), float64, optional
        Defaults to zeros.
    intercept : ndarray of shape (1,), float64, optional
        Defaults to zero.

    Returns
    -------
    grad : ndarray of shape (1, d)
        ``sum_i r_i x_i`` with ``r = X @ coef.T + intercept - y``.
    grad_intercept, loss : ndarray of shape (1,)
        ``sum_i r_i`` and ``sum_i r_i**2``.
    """
    if coef is None:
        coef = np.zeros((1, X.shape[1]))
    if intercept is None:
        intercept = np.zeros(1)
    kernel = _fused.fused_pass_for(X)
    return launch(kernel, X, y[:, None], coef, intercept, np.empty(0), _kernels.N_CHUNKS)


def _fused_pass(X, y):
    fused_pass(X, y)
    return Outcome(None, passes=1)


def _normal_equations(X, y):
    n = X.shape[0]
    G = X.T @ X
    s = X.sum(axis=0, dtype=np.float64)
    A = np.block([[G, s[:, None]], [s[None, :], np.array([[n]])]])
    sol = np.linalg.solve(A, np.r_[X.T @ y, y.sum(dtype=np.float64)])
    return Outcome(sol[:-1], float(sol[-1]), passes=3)


def _sklearn_linear(X, y):
    model = SklearnLinearRegression().fit(X, y)
    return Outcome(model.coef_, float(model.intercept_))


def _sklearn_ridge(X, y):
    model = Ridge(alpha=1.0).fit(X, y)
    return Outcome(model.coef_, float(model.intercept_))


def _sklearn_sgd_epoch(X, y):
    model = SGDRegressor(penalty=None, max_iter=1, tol=None, random_state=0)
    # One epoch is the unit measured here; the warning that it did not converge is expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return Outcome(model.coef_, float(model.intercept_[0]), passes=1)


def _tutorial(iterations: int) -> Callable[[np.ndarray, np.ndarray], Outcome]:
    def call(X, y):
        """Run ``iterations`` steps of the NumPy tutorial's gradient descent.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Training data.
        y : ndarray of shape (n_samples,)
            Targets.

        Returns
        -------
        Outcome
            No coefficients; two passes over ``X`` per iteration, ``iterations`` units.
        """
        NumpyLinearRegression(TUTORIAL_LEARNING_RATE, iterations).fit(X, y)
        return Outcome(None, passes=2 * iterations, units=iterations)

    return call


def candidates(config: Config) -> list[Candidate]:
    """Return the candidates of a benchmark run, in the order they are timed.

    Parameters
    ----------
    config : Config
        What to benchmark (its dtypes and tutorial iterations are used).

    Returns
    -------
    list of Candidate
        A fastlinreg fit for every solver of :data:`SOLVERS` and every dtype, NumPy normal
        equations, scikit-learn ``LinearRegression`` (the reference of the "vs sklearn"
        column) and ``Ridge(alpha=1)``; then the per-pass rows: fastlinreg's fused pass,
        one iteration of the NumPy tutorial, one epoch of ``SGDRegressor``.
    """
    base = config.dtypes[0]
    rows = [
        Candidate(
            f"fastlinreg {solver}",
            dtype,
            "fit",
            _fastlinreg(solver),
            unavailable=""
            if solver in ESTIMATOR_SOLVERS
            else f"solver {solver!r} is not one of this version's {ESTIMATOR_SOLVERS}",
        )
        for dtype in config.dtypes
        for solver in SOLVERS
    ]
    rows += [
        Candidate("numpy normal equations", base, "fit", _normal_equations),
        Candidate("sklearn LinearRegression", base, "fit", _sklearn_linear),
        Candidate("sklearn Ridge(alpha=1)", base, "fit", _sklearn_ridge, alpha=1.0),
    ]
    rows += [
        Candidate("fastlinreg fused pass", dtype, "pass", _fused_pass) for dtype in config.dtypes
    ]
    rows += [
        Candidate(
            "numpy tutorial GD iteration",
            base,
            "pass",
            _tutorial(config.tutorial_iterations),
            note=f"lr={TUTORIAL_LEARNING_RATE}",
        ),
        Candidate(
            "sklearn SGDRegressor epoch",
            base,
            "pass",
            _sklearn_sgd_epoch,
            note="single-threaded",
        ),
    ]
    return rows


@dataclass
class Row:
    """One candidate's measurements.

    Attributes
    ----------
    name, dtype, kind : str
        As in :class:`Candidate`.
    status : {"ok", "unavailable"}
    reason : str
        Why the candidate is unavailable (empty when it ran).
    seconds : float or None
        Median time of a call, per unit for ``"pass"`` rows.
    times : list of float
        Every timed call, per unit.
    vs_sklearn : float or None
        scikit-learn ``LinearRegression``'s time divided by this row's (``"fit"`` rows).
    r2 : float or None
        R² on the training data.
    max_coef_error : float or None
        ``max |coef - closed form|``.
    passes : float or None
        Passes over ``X`` per call (per unit for ``"pass"`` rows).
    gb_per_s : float or None
        ``passes * (X.nbytes + y.nbytes) / seconds / 1e9``.
    percent_of_probe : float or None
        ``gb_per_s`` as a percentage of the read-bandwidth probe on the same ``X``.
    peak_extra_bytes : int or None
        Largest peak resident memory above the pre-call level, over the timed calls.
    solver : str or None
        The solver fastlinreg ran (resolves ``"auto"``).
    note : str
    """

    name: str
    dtype: str
    kind: str
    status: str = "ok"
    reason: str = ""
    seconds: float | None = None
    times: list[float] = field(default_factory=list)
    vs_sklearn: float | None = None
    r2: float | None = None
    max_coef_error: float | None = None
    passes: float | None = None
    gb_per_s: float | None = None
    percent_of_probe: float | None = None
    peak_extra_bytes: int | None = None
    solver: str | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """The name shown in tables, with the solver ``"auto"`` chose.

        Returns
        -------
        str
            ``name``, followed by the solver that ran for an ``"auto"`` row.
        """
        if self.solver and self.name.endswith(" auto"):
            return f"{self.name} (→{self.solver})"
        return self.name


@dataclass
class Problem:
    """The data of one dtype and its sufficient statistics, accumulated in float64."""

    X: np.ndarray
    y: np.ndarray
    mean: np.ndarray
    y_mean: float
    gram: np.ndarray
    xty: np.ndarray
    yty: float

    @classmethod
    def from_data(cls, X: np.ndarray, y: np.ndarray, block: int = 1 << 16) -> Problem:
        """Accumulate the centred Gram matrix of ``X`` (and ``y``) in float64, by row blocks.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data, float32 or float64; kept as ``X``.
        y : ndarray of shape (n_samples,)
            The targets; kept as ``y``.
        block : int, default=65536
            Rows converted to float64 at a time.

        Returns
        -------
        Problem
            The data with its column means and centred ``XᵀX``, ``Xᵀy`` and ``yᵀy``.
        """
        n, d = X.shape
        mean = X.mean(axis=0, dtype=np.float64)
        y_mean = float(y.mean(dtype=np.float64))
        gram = np.zeros((d, d))
        xty = np.zeros(d)
        yty = 0.0
        for start in range(0, n, block):
            Xc = X[start : start + block].astype(np.float64) - mean
            yc = y[start : start + block].astype(np.float64) - y_mean
            gram += Xc.T @ Xc
            xty += Xc.T @ yc
            yty += float(yc @ yc)
        return cls(X, y, mean, y_mean, gram, xty, yty)

    @property
    def n(self) -> int:
        """Number of samples.

        Returns
        -------
        int
            The number of rows of ``X``.
        """
        return int(self.X.shape[0])

    def closed_form(self, alpha: float = 0.0) -> tuple[np.ndarray, float]:
        """Minimiser of ``||y - X coef - b||**2 + alpha ||coef||**2``.

        Parameters
        ----------
        alpha : float, default=0.0
            L2 penalty on ``coef`` (the intercept is not penalised).

        Returns
        -------
        coef : ndarray of shape (n_features,)
            The minimising coefficients, in float64.
        intercept : float
            The minimising intercept ``b``.
        """
        d = self.gram.shape[0]
        coef = np.linalg.solve(self.gram + alpha * np.eye(d), self.xty)
        return coef, self.y_mean - float(self.mean @ coef)

    def sse(self, coef: np.ndarray, intercept: float) -> float:
        """Sum of squared residuals of ``(coef, intercept)``, from the statistics.

        Parameters
        ----------
        coef : ndarray of shape (n_features,)
            Coefficients.
        intercept : float
            Intercept.

        Returns
        -------
        float
            ``||y - X coef - intercept||**2``.
        """
        coef = np.asarray(coef, dtype=np.float64)
        offset = self.y_mean - float(intercept) - float(self.mean @ coef)
        quad = float(coef @ self.gram @ coef) - 2.0 * float(coef @ self.xty)
        return self.yty + quad + self.n * offset * offset

    def r2(self, coef: np.ndarray, intercept: float) -> float:
        """R² of ``(coef, intercept)`` on this data.

        Parameters
        ----------
        coef : ndarray of shape (n_features,)
            Coefficients.
        intercept : float
            Intercept.

        Returns
        -------
        float
            One minus the sum of squared residuals over the centred sum of squares of ``y``.
        """
        return 1.0 - self.sse(coef, intercept) / self.yty

    def tutorial_iterates(self, learning_rate: float, n_iter: int):
        """Run the tutorial's recurrence on the statistics: its final model and loss curve.

        The tutorial's step ``w -= lr * Xᵀ(Xw + b - y)/n`` depends on ``X`` only through
        ``XᵀX``, ``Xᵀy`` and the column sums, so its iterates are computed here exactly (up to
        rounding) in O(d²) per iteration.

        Parameters
        ----------
        learning_rate : float
            Fixed step size.
        n_iter : int
            Number of steps, from zero coefficients and intercept.

        Returns
        -------
        coef : ndarray of shape (n_features,)
            Coefficients after ``n_iter`` steps.
        intercept : float
            Intercept after ``n_iter`` steps.
        loss_curve : list of float
            The tutorial's loss ``sse / (2 n)`` before each step.
        """
        d = self.gram.shape[0]
        n = self.n
        gram_raw = self.gram / n + np.outer(self.mean, self.mean)
        xty_raw = self.xty / n + self.mean * self.y_mean
        w = np.zeros(d)
        b = 0.0
        curve = []
        for _ in range(n_iter):
            curve.append(self.sse(w, b) / (2 * n))
            dw = gram_raw @ w + self.mean * b - xty_raw
            db = float(self.mean @ w) + b - self.y_mean
            w = w - learning_rate * dw
            b = b - learning_rate * db
        return w, b, curve


@_kernels.jit(parallel=True, fastmath=_kernels.FASTMATH)
def _read_probe(flat, n_chunks):
    """Sum a contiguous array in parallel chunks: a pass that only reads memory."""
    n = flat.shape[0]
    parts = np.zeros(n_chunks)
    for c in prange(n_chunks):
        # A slice with a plain loop is what LLVM vectorises; index bounds computed inside the
        # loop header are not.
        chunk = flat[c * n // n_chunks : (c + 1) * n // n_chunks]
        acc = 0.0
        for i in range(chunk.shape[0]):
            acc += chunk[i]
        parts[c] = acc
    return parts.sum()


def probe_seconds(X: np.ndarray, repeats: int = _PROBE_REPEATS) -> float:
    """Time the read-bandwidth probe: a parallel Numba sum over every element of ``X``.

    The pass only reads memory, so ``X.nbytes / seconds`` is the read bandwidth this process
    gets from this array with Numba's current thread count.

    Parameters
    ----------
    X : ndarray
        Read in place when contiguous (otherwise a contiguous copy is summed).
    repeats : int, default=5
        Sums timed; the fastest is returned.

    Returns
    -------
    float
        Seconds of the fastest sum.
    """
    flat = np.ascontiguousarray(X).reshape(-1)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        launch(_read_probe, flat, _kernels.N_CHUNKS)
        best = min(best, time.perf_counter() - t0)
    return float(best)


def _release_free_heap() -> None:
    """Return free heap pages to the system (glibc), so that reusing them counts as new memory."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


class _PeakMemory:
    """Peak resident memory of this process above its level at entry (Linux only)."""

    METHOD = (
        "peak resident set size during the call minus the resident size before it "
        "(free heap released first, Linux)"
    )

    @staticmethod
    def available() -> bool:
        """Say whether the peak can be measured here.

        Returns
        -------
        bool
            Whether this process can reset its peak resident size (Linux).
        """
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            return False
        return True

    def __enter__(self):
        _release_free_heap()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets the peak (VmHWM) to the current resident size
        self.before = self._status_kib("VmRSS")
        return self

    def __exit__(self, *exc):
        self.extra_bytes = 1024 * max(self._status_kib("VmHWM") - self.before, 0)

    @staticmethod
    def _status_kib(key: str) -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        raise OSError(f"{key} not in /proc/self/status")


class _NullMemory:
    extra_bytes = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@dataclass
class BenchResult:
    """Everything a benchmark run measured; render with the ``format_*`` methods.

    Attributes
    ----------
    config : Config
    rows : list of Row
    compile : list of dict
        Per dtype: seconds of the first small fit and whether Numba compiled or loaded from
        its on-disk cache.
    probe : dict
        Per dtype: read-bandwidth probe seconds and GB/s.
    tutorial : dict
        The NumPy tutorial at its own settings: projected time, and where its iterates end.
    loss_curves : dict of str to dict
        Per fit: ``{"dtype": ..., "objective": [...]}``, the objective at each iteration.
    optimal_objective : dict of str to float
        Per dtype: the objective at the closed-form solution, the floor of the loss curves.
    machine : dict
    memory_method : str or None
    created : str
        UTC date and time of the run (ISO 8601).
    total_seconds : float
    """

    config: Config
    rows: list[Row]
    compile: list[dict[str, Any]]
    probe: dict[str, dict[str, float]]
    tutorial: dict[str, Any]
    loss_curves: dict[str, dict[str, Any]]
    optimal_objective: dict[str, float]
    machine: dict[str, Any]
    memory_method: str | None
    created: str
    total_seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary naming every candidate and measurement.

        Returns
        -------
        dict of str to object
            The fastlinreg version, the run's settings, the machine and every measurement.
        """
        from . import __version__

        return {
            "fastlinreg_version": __version__,
            "created": self.created,
            "machine": self.machine,
            "config": asdict(self.config),
            "compile": self.compile,
            "probe": self.probe,
            "memory_method": self.memory_method,
            "rows": [{**asdict(r), "label": r.label} for r in self.rows],
            "tutorial": self.tutorial,
            "loss_curves": self.loss_curves,
            "optimal_objective": self.optimal_objective,
            "total_seconds": self.total_seconds,
        }

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as JSON (non-finite numbers become null).

        Parameters
        ----------
        path : str or path-like
            Where to write the JSON file.
        """
        write_json(self.to_dict(), path)

    def header_lines(self) -> list[str]:
        """Describe the data, the machine, the threads, the compile cost and the probe.

        Returns
        -------
        list of str
            One line for the data, one for the machine, one per compile and one for the probe.
        """
        c = self.config
        m = self.machine
        lines = [
            f"data: {c.n_samples:,} x {c.n_features} synthetic (seed {c.seed}), "
            f"dtypes {', '.join(c.dtypes)}; median of {c.repeat} interleaved rounds",
            f"machine: {m['cpu']}, {m['cpu_count']} CPUs; threads: {c.threads} "
            f"(Numba {m['numba_threading_layer']}, BLAS {m['blas']}); {self.created[:10]}",
        ]
        for entry in self.compile:
            lines.append(
                f"compile (first small fit, {entry['dtype']}): {entry['seconds']:.2f} s "
                f"({entry['source']}) — excluded from the times below"
            )
        probe = ", ".join(f"{dtype} {p['gb_per_s']:.1f} GB/s" for dtype, p in self.probe.items())
        lines.append(f"read-bandwidth probe (parallel sum over X, best of 5): {probe}")
        return lines

    def footer_lines(self) -> list[str]:
        """Explain the tutorial projection and how memory was measured.

        Returns
        -------
        list of str
            The tutorial's projection (when it ran), then the memory method.
        """
        t = self.tutorial
        lines = []
        if t:
            lines.append(
                f"numpy tutorial GD at its settings (lr={t['learning_rate']}, "
                f"{t['iterations']} it) would take {t['projected_seconds']:.3g} s "
                f"({t['iterations']} x the time per iteration above; not run); its iterates, "
                f"computed from XᵀX (same recurrence, untimed), end at R² {t['r2']:.6f}, "
                f"max|Δcoef| {t['max_coef_error']:.3g}"
            )
        lines.append(
            "peak extra memory: "
            + (self.memory_method or "not measured on this platform")
            + "; GB/s = passes x (X+y bytes) / time"
        )
        return lines

    def _table(self, kind: str) -> tuple[list[str], list[list[str]]]:
        time_header = "time [s]" if kind == "fit" else "time/it [s]"
        headers = [
            "candidate",
            "dtype",
            time_header,
            "vs sklearn",
            "R²",
            "max|Δcoef|",
            "passes",
            "GB/s",
            "% probe",
            "peak extra MB",
        ]
        body = []
        for r in self.rows:
            if r.kind != kind:
                continue
            if r.status != "ok":
                body.append([r.label, r.dtype, "unavailable: " + r.reason] + [""] * 7)
                continue
            body.append(
                [
                    r.label + (f" ({r.note})" if r.note else ""),
                    r.dtype,
                    format_number(r.seconds, ".4f"),
                    format_number(r.vs_sklearn, ".2f") + ("x" if r.vs_sklearn else ""),
                    format_number(r.r2, ".6f"),
                    format_number(r.max_coef_error, ".1e"),
                    format_number(r.passes, "g"),
                    format_number(r.gb_per_s, ".1f"),
                    format_number(r.percent_of_probe, ".0f"),
                    format_number(
                        None if r.peak_extra_bytes is None else r.peak_extra_bytes / 1e6, ".0f"
                    ),
                ]
            )
        return headers, body

    def format_text(self) -> str:
        """Render the run as fixed-width text tables with header and footer lines.

        Returns
        -------
        str
            The report, lines separated by newlines.
        """
        out = [*self.header_lines(), ""]
        for kind, title in _SECTIONS:
            headers, body = self._table(kind)
            out += [title, *text_table(headers, body), ""]
        return "\n".join(out + self.footer_lines())

    def format_markdown(self) -> str:
        """Render the run as Markdown: the header lines as a list, the tables, the notes.

        Returns
        -------
        str
            The Markdown report.
        """
        out = [f"- {line}" for line in self.header_lines()] + [""]
        for kind, title in _SECTIONS:
            headers, body = self._table(kind)
            out += [f"**{title}**", "", *markdown_table(headers, body), ""]
        return "\n".join(out + [f"- {line}" for line in self.footer_lines()])

    def plot(self, path: str | os.PathLike[str]) -> None:
        """Save :meth:`figure` as a PNG.

        Parameters
        ----------
        path : str or path-like
            Where to write the PNG.
        """
        self.figure().savefig(path, dpi=100)

    def figure(self) -> Figure:
        """Draw the run: the times to solution as bars, and the loss curves.

        Bars are on a linear axis, one colour per library, labelled with the median time, with
        a whisker from the fastest to the slowest timed round. Loss curves of the iterative
        solvers differ in colour and marker per candidate and in line style per dtype. Needs
        matplotlib (``pip install 'fastlinreg[bench]'``).

        Returns
        -------
        matplotlib.figure.Figure
            A figure not registered with pyplot, so drawing it leaves the global backend alone.
        """
        # A bare Figure renders with Agg and leaves pyplot's global backend alone.
        import matplotlib.figure
        from matplotlib.patches import Patch

        fits = [r for r in self.rows if r.kind == "fit" and r.status == "ok" and r.seconds]
        fig = matplotlib.figure.Figure(figsize=(14, 0.45 * len(fits) + 2.5))
        bars, curves = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        medians = np.array([r.seconds for r in fits], dtype=float)
        spread = np.array(
            [[m - min(r.times), max(r.times) - m] for r, m in zip(fits, medians, strict=True)]
        ).T.reshape(2, len(fits))
        colours = [_LIBRARY_COLOURS[_library(r.name)] for r in fits]
        positions = np.arange(len(fits))
        bars.barh(positions, medians, xerr=spread, color=colours, capsize=3, ecolor="0.3")
        bars.set_yticks(positions, [f"{r.label} [{r.dtype}]" for r in fits])
        bars.invert_yaxis()
        right = float(np.max(medians + spread[1])) if len(fits) else 1.0
        for y, (m, hi) in enumerate(zip(medians, spread[1], strict=True)):
            bars.text(m + hi + 0.01 * right, y, f"{m:.3g} s", va="center", fontsize="small")
        bars.set_xlim(0, 1.15 * right)
        bars.set_xlabel("time to solution [s]: median, whisker from fastest to slowest round")
        c = self.config
        bars.set_title(f"{c.n_samples:,} x {c.n_features}, {c.threads} threads")
        libraries = dict.fromkeys(_library(r.name) for r in fits)
        bars.legend(
            handles=[Patch(color=_LIBRARY_COLOURS[lib], label=lib) for lib in libraries],
            loc="lower right",
            fontsize="small",
        )
        palette = [f"C{i}" for i in range(10)]
        markers = "os^vDP*Xh<>"
        # One-step solvers (gram, qr) have no curve to draw; they are in the bars.
        iterative = {k: v for k, v in self.loss_curves.items() if len(v["objective"]) > 1}
        for i, (name, entry) in enumerate(iterative.items()):
            floor = self.optimal_objective[entry["dtype"]]
            gap = np.maximum(np.asarray(entry["objective"]) - floor, 1e-13 * abs(floor))
            every = max(1, len(gap) // 8)
            curves.plot(
                np.arange(1, len(gap) + 1),
                gap,
                label=name,
                color=palette[i % len(palette)],
                marker=markers[i % len(markers)],
                # Curves that coincide (cg in both dtypes, auto and the solver it chose) still
                # show every marker: each curve's markers start at a different iteration.
                markevery=(i % every, every) if every > 1 else 1,
                markersize=9 - 0.5 * (i % 6),
                fillstyle="none" if i % 2 else "full",
                linestyle="--" if entry["dtype"] == "float32" else "-",
            )
        curves.set_xscale("log")
        curves.set_yscale("log")
        curves.set_xlabel("iteration")
        curves.set_ylabel("objective - closed-form objective")
        curves.set_title("loss curves (dashed: float32)")
        if iterative:
            curves.legend(fontsize="small")
        fig.tight_layout()
        return fig


#: Bar colour of each library in :meth:`BenchResult.plot`.
_LIBRARY_COLOURS = {"fastlinreg": "tab:blue", "numpy": "tab:green", "sklearn": "tab:orange"}


def _library(name: str) -> str:
    """Return the library a candidate's name starts with: ``"fastlinreg gram"`` -> fastlinreg."""
    first = name.split()[0]
    return first if first in _LIBRARY_COLOURS else "sklearn"


_SECTIONS = (
    ("fit", "Time to solution"),
    ("pass", "Per iteration: one fused pass, one tutorial GD iteration, one SGD epoch"),
)


def format_number(value: float | None, spec: str) -> str:
    """Format a number for a table: ``spec`` as in :func:`format`, a dash for None or non-finite.

    Parameters
    ----------
    value : float or None
        The number to format.
    spec : str
        A format specification, such as ``".4f"``.

    Returns
    -------
    str
        ``value`` formatted, or ``"—"``.
    """
    return "—" if value is None or not np.isfinite(value) else format(value, spec)


def text_table(headers: list[str], body: list[list[str]]) -> list[str]:
    """Lay rows out as fixed-width text: two left-aligned label columns, the rest right-aligned.

    A row whose third cell starts with ``"unavailable"`` is printed as its labels and that cell.

    Parameters
    ----------
    headers : list of str
        Column headers.
    body : list of list of str
        One list of cells per row, as many as ``headers``.

    Returns
    -------
    list of str
        The header line, then one line per row.
    """
    full = [r for r in body if not r[2].startswith("unavailable")]
    widths = [
        max(len(h), *(len(r[i]) for r in full)) if full else len(h) for i, h in enumerate(headers)
    ]
    lines = [
        "  ".join(
            h.ljust(w) if i < 2 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    for r in body:
        if r[2].startswith("unavailable"):
            lines.append(f"{r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[2]}")
        else:
            lines.append(
                "  ".join(
                    v.ljust(w) if i < 2 else v.rjust(w)
                    for i, (v, w) in enumerate(zip(r, widths, strict=True))
                )
            )
    return lines


def markdown_table(headers: list[str], body: list[list[str]]) -> list[str]:
    """Lay rows out as a Markdown table (pipes in cells escaped), aligned like :func:`text_table`.

    Parameters
    ----------
    headers : list of str
        Column headers; the first two columns are left-aligned, the others right-aligned.
    body : list of list of str
        One list of cells per row, as many as ``headers``.

    Returns
    -------
    list of str
        The header line, the alignment line, then one line per row.
    """

    def row(cells: list[str]) -> str:
        """Return one table line: the cells between pipes, with their own pipes escaped.

        Parameters
        ----------
        cells : list of str
            The cells of one row.

        Returns
        -------
        str
            The Markdown line.
        """
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    align = "|" + "|".join([":--", ":--"] + ["--:"] * (len(headers) - 2)) + "|"
    return [row(headers), align, *(row(r) for r in body)]


def finite_or_none(obj: Any) -> Any:
    """Return ``obj`` with every non-finite float, at any depth of dicts and lists, as None.

    JSON has no NaN or infinity; None becomes ``null``.

    Parameters
    ----------
    obj : object
        A float, or dicts, lists and tuples holding floats; other values are kept as they are.

    Returns
    -------
    object
        A copy of ``obj`` (tuples as lists) with NaN and infinities replaced by None.
    """
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_none(v) for v in obj]
    return obj


def write_json(document: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``document`` as indented JSON, with non-finite numbers as ``null``.

    Parameters
    ----------
    document : dict
        The JSON-ready document, for instance :meth:`BenchResult.to_dict`.
    path : str or path-like
        Where to write the JSON file.
    """
    text = json.dumps(finite_or_none(document), indent=1, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


def machine_info(threads: int) -> dict[str, Any]:
    """Describe the machine and the software a run used.

    Parameters
    ----------
    threads : int
        Threads given to Numba and BLAS.

    Returns
    -------
    dict
        CPU, CPU count, platform, versions, Numba's threading layer (as started so far), the
        BLAS libraries loaded, and ``threads``.
    """
    blas = sorted(
        {
            f"{p.get('internal_api')} {p.get('version')}"
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        }
    )
    return {
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "scikit-learn": sklearn.__version__,
        "numba_threading_layer": _threading_layer(),
        "blas": ", ".join(blas) or "unknown",
        "threads": threads,
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _threading_layer() -> str:
    try:
        return str(numba.threading_layer())
    except ValueError:
        return "not yet initialised"


def compile_counts() -> tuple[int, int]:
    """Return Numba's on-disk cache (hits, misses) so far, over fastlinreg's kernels and the probe.

    A miss is a compilation; compare two readings with :func:`compile_source`.

    Returns
    -------
    hits : int
        Kernel signatures loaded from Numba's on-disk cache.
    misses : int
        Kernel signatures compiled because the cache did not hold them.
    """
    hits = misses = 0
    for obj in (*vars(_kernels).values(), *_fused.KERNELS, _read_probe):
        stats = getattr(obj, "stats", None)
        if stats is not None and hasattr(stats, "cache_hits"):
            hits += sum(stats.cache_hits.values())
            misses += sum(stats.cache_misses.values())
    return hits, misses


def _first_fit(X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Time the first fit in this process on a few rows: JIT compilation or cache load."""
    hits0, misses0 = compile_counts()
    t0 = time.perf_counter()
    LinearRegression().fit(X[:64], y[:64])
    _fused_pass(X[:64], y[:64])
    seconds = time.perf_counter() - t0
    source = compile_source((hits0, misses0), compile_counts())
    return {"dtype": str(X.dtype), "seconds": seconds, "source": source}


#: What :func:`compile_source` returns, by what happened between the two readings.
COMPILED = "compiled by Numba"
CACHE_LOADED = "loaded from Numba's on-disk cache"
ALREADY_COMPILED = "already compiled in this process"


def compile_source(before: tuple[int, int], after: tuple[int, int]) -> str:
    """Say where the code run between two :func:`compile_counts` readings came from.

    Parameters
    ----------
    before, after : tuple of int
        ``(hits, misses)`` before and after the calls.

    Returns
    -------
    str
        :data:`COMPILED` if anything compiled, else :data:`CACHE_LOADED` if anything was loaded
        from the on-disk cache, else :data:`ALREADY_COMPILED`.
    """
    if after[1] > before[1]:
        return COMPILED
    if after[0] > before[0]:
        return CACHE_LOADED
    return ALREADY_COMPILED


@contextlib.contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """Give Numba and BLAS (through threadpoolctl) the same thread count inside the block.

    Parameters
    ----------
    threads : int
        At most Numba's ``NUMBA_NUM_THREADS`` (the CPU count unless set lower).

    Yields
    ------
    None
        Numba's previous count and the BLAS limits are restored on exit.
    """
    with pinned_numba_threads(threads), threadpool_limits(limits=threads):
        yield


#: ``progress(step, total, label)``, called before each step of a run.
Progress = Callable[[int, int, str], None]
Measurements = dict[tuple[str, str], list[tuple[float, Outcome, int | None]]]


def run(config: Config, progress: Progress | None = None) -> BenchResult:
    """Run the benchmark.

    Parameters
    ----------
    config : Config
        What to benchmark.
    progress : callable, optional
        Called as ``progress(step, total, label)`` before each setup step and timed call.

    Returns
    -------
    BenchResult
        Every measurement of the run.
    """
    started = time.perf_counter()
    report = progress or (lambda step, total, label: None)
    cands = candidates(config)
    setup = 3 + len(config.dtypes)
    total = setup + len(cands) * config.repeat
    report(0, total, f"generating {config.n_samples:,} x {config.n_features} data")
    X, y = make_data(config.n_samples, config.n_features, "float64", config.seed)
    data = {d: (X, y) if d == "float64" else (X.astype(d), y.astype(d)) for d in config.dtypes}
    del X, y

    with pinned_threads(config.threads):
        compile_info = []
        for step, d in enumerate(config.dtypes, start=1):
            report(step, total, f"kernels [{d}]: loaded from the cache, or compiled if it is cold")
            compile_info.append(_first_fit(*data[d]))
        report(setup - 2, total, "closed forms and read-bandwidth probe")
        problems = {d: Problem.from_data(*data[d]) for d in config.dtypes}
        time.sleep(BLAS_SETTLE_SECONDS)  # the statistics' BLAS threads would slow the probe
        probe = {d: _probe(data[d][0]) for d in config.dtypes}
        report(setup - 1, total, f"warm-up of every candidate on {_WARMUP_ROWS:,} rows")
        rows, runnable = _warm_up(cands, data)
        measured = _timed_rounds(runnable, data, config.repeat, report, setup)

    loss_curves: dict[str, dict[str, Any]] = {}
    for row in rows:
        calls = measured.get((row.name, row.dtype))
        if calls:
            problem = problems[row.dtype]
            cand = next(c for c in cands if (c.name, c.dtype) == (row.name, row.dtype))
            _fill_row(row, cand.alpha, calls, problem, probe[row.dtype]["gb_per_s"])
            curve = calls[-1][1].loss_curve
            if curve:
                loss_curves[f"{row.label} [{row.dtype}]"] = {"dtype": row.dtype, "objective": curve}
    reference = next((r for r in rows if r.name == "sklearn LinearRegression" and r.seconds), None)
    for r in rows:
        if r.kind == "fit" and r.seconds and reference is not None and reference.seconds:
            r.vs_sklearn = reference.seconds / r.seconds

    base = config.dtypes[0]
    tutorial = _tutorial_projection(rows, problems[base])
    if tutorial:
        curve = tutorial.pop("loss_curve")
        loss_curves["numpy tutorial GD (from XᵀX)"] = {"dtype": base, "objective": curve}
    optimal = {d: p.sse(*p.closed_form()) / (2 * p.n) for d, p in problems.items()}
    return BenchResult(
        config=config,
        rows=rows,
        compile=compile_info,
        probe=probe,
        tutorial=tutorial,
        loss_curves=loss_curves,
        optimal_objective=optimal,
        machine=machine_info(config.threads),
        memory_method=_PeakMemory.METHOD if _PeakMemory.available() else None,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        total_seconds=time.perf_counter() - started,
    )


def _probe(X: np.ndarray) -> dict[str, float]:
    seconds = probe_seconds(X)
    return {"seconds": seconds, "gb_per_s": X.nbytes / seconds / 1e9}


def _warm_up(cands: Sequence[Candidate], data) -> tuple[list[Row], list[Candidate]]:
    """Call every available candidate on a small slice; the others become unavailable rows."""
    rows, runnable = [], []
    for cand in cands:
        row = Row(cand.name, cand.dtype, cand.kind, note=cand.note)
        if cand.unavailable:
            row.status, row.reason = "unavailable", cand.unavailable
        else:
            X, y = data[cand.dtype]
            cand.call(X[:_WARMUP_ROWS], y[:_WARMUP_ROWS])
            runnable.append(cand)
        rows.append(row)
    return rows, runnable


def _timed_rounds(
    runnable: Sequence[Candidate], data, repeat: int, report: Progress, step: int
) -> Measurements:
    """Interleaved rounds: every candidate once per round, always in the same order."""
    memory = _PeakMemory if _PeakMemory.available() else _NullMemory
    measured: Measurements = {}
    total = step + len(runnable) * repeat
    for r in range(repeat):
        for cand in runnable:
            report(step, total, f"round {r + 1}/{repeat}: {cand.name} [{cand.dtype}]")
            step += 1
            X, y = data[cand.dtype]
            with memory() as mem:
                t0 = time.perf_counter()
                outcome = cand.call(X, y)
                seconds = time.perf_counter() - t0
            measured.setdefault((cand.name, cand.dtype), []).append(
                (seconds, outcome, mem.extra_bytes)
            )
            time.sleep(BLAS_SETTLE_SECONDS)
    return measured


def _fill_row(row: Row, alpha: float, calls, problem: Problem, probe_gbps: float) -> None:
    """Summarise a candidate's timed calls into its row."""
    last = calls[-1][1]
    row.times = [seconds / outcome.units for seconds, outcome, _ in calls]
    row.seconds = statistics.median(row.times)
    peaks = [extra for _, _, extra in calls if extra is not None]
    row.peak_extra_bytes = max(peaks) if peaks else None
    row.solver = last.solver
    if last.passes is not None:
        row.passes = last.passes / last.units
        nbytes = problem.X.nbytes + problem.y.nbytes
        row.gb_per_s = row.passes * nbytes / row.seconds / 1e9
        row.percent_of_probe = 100.0 * row.gb_per_s / probe_gbps
    if last.coef is not None:
        coef, _ = problem.closed_form(alpha)
        row.r2 = problem.r2(last.coef, last.intercept)
        row.max_coef_error = float(np.max(np.abs(np.asarray(last.coef, np.float64) - coef)))


def _tutorial_projection(rows: Sequence[Row], problem: Problem) -> dict[str, Any]:
    """Where the tutorial's full run would end, and how long it would take."""
    row = next((r for r in rows if r.name == "numpy tutorial GD iteration" and r.seconds), None)
    if row is None or row.seconds is None:
        return {}
    w, b, curve = problem.tutorial_iterates(TUTORIAL_LEARNING_RATE, TUTORIAL_ITERATIONS)
    coef, _ = problem.closed_form()
    return {
        "learning_rate": TUTORIAL_LEARNING_RATE,
        "iterations": TUTORIAL_ITERATIONS,
        "projected_seconds": TUTORIAL_ITERATIONS * row.seconds,
        "r2": problem.r2(w, b),
        "max_coef_error": float(np.max(np.abs(w - coef))),
        "loss_curve": curve,
    }

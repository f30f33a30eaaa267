"""Kernel table: the fused pass against an in-run read-bandwidth probe and the NumPy tutorial.

For every feature count ``d`` and dtype of a :class:`KernelConfig`, :func:`run` makes ``X`` of a
fixed size in bytes (``n = ceil(megabytes * 1e6 / (d * itemsize))`` rows) and measures, in one
process and with Numba and BLAS given the same thread count:

- **probe** — the read-bandwidth probe of :func:`fastlinreg.bench.probe_seconds`: a parallel
  Numba sum over ``X``, a pass that only reads memory (GB/s = ``X.nbytes / time``);
- **fused** — fastlinreg's fused pass (residuals, gradient and loss in one read of ``X`` and
  ``y``), called as gradient descent calls it, with a nonzero random ``coef``
  (GB/s = ``(X.nbytes + y.nbytes) / time``);
- **NumPy** — one iteration of the tutorial's gradient descent in ``X``'s dtype,
  ``r = X @ w + b - y; g = X.T @ r / n; gb = r.sum() / n`` (same bytes as the fused pass).

Each shape is warmed up on a slice first, which compiles the kernels (or loads them from Numba's
on-disk cache); that time is reported in its own column. Then ``repeat`` rounds each time probe,
fused pass and NumPy in that order, so that all three see the same state of the machine, and the
table gives the best of the rounds and their median. Each shape's arrays are freed before the
next are made, so the peak memory is about one shape's data (plus NumPy's temporaries).
"""

from __future__ import annotations

import datetime
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ._bench_defaults import KERNEL_FEATURES, KERNEL_MEGABYTES, KERNEL_REPEAT
from .bench import (
    ALREADY_COMPILED,
    BLAS_SETTLE_SECONDS,
    CACHE_LOADED,
    COMPILED,
    Progress,
    compile_counts,
    compile_source,
    default_threads,
    format_number,
    fused_pass,
    machine_info,
    make_data,
    markdown_table,
    pinned_threads,
    probe_seconds,
    text_table,
    write_json,
)

__all__ = [
    "CANDIDATES",
    "DTYPES",
    "FEATURES",
    "HEADERS",
    "MEGABYTES",
    "REPEAT",
    "STATS",
    "WARMUP_ROWS",
    "KernelConfig",
    "KernelResult",
    "KernelRow",
    "measure",
    "n_samples_for",
    "numpy_iteration",
    "numpy_model",
    "random_model",
    "run",
    "warm_up",
]

#: Default feature counts (see :data:`fastlinreg._bench_defaults.KERNEL_FEATURES`).
FEATURES = KERNEL_FEATURES
DTYPES = ("float64", "float32")
#: Default size of ``X`` per shape, in MB.
MEGABYTES = KERNEL_MEGABYTES
REPEAT = KERNEL_REPEAT
#: Rows of the warm-up slice.
WARMUP_ROWS = 2048

#: What is timed in each round, in this order.
CANDIDATES = ("probe", "fused", "numpy")
STATS = ("best", "median")
_SOURCE_SHORT = {COMPILED: "compiled", CACHE_LOADED: "cache", ALREADY_COMPILED: "in process"}


def n_samples_for(megabytes: float, n_features: int, dtype: Any) -> int:
    """Return the rows that make ``X`` of ``n_features`` columns of ``dtype`` ``megabytes`` MB.

    Parameters
    ----------
    megabytes : float
        Size of ``X`` in MB (1 MB = 1e6 bytes).
    n_features : int
        Columns of ``X``.
    dtype : str or numpy dtype
        Storage type of ``X``; its item size counts.

    Returns
    -------
    int
        ``ceil(megabytes * 1e6 / (n_features * itemsize))``, at least 1.
    """
    itemsize = np.dtype(dtype).itemsize
    return max(1, math.ceil(megabytes * 1e6 / (n_features * itemsize)))


def random_model(n_features: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return a nonzero random model in the fused kernel's layout.

    A zero ``coef`` would be a special case (residuals equal to ``-y``), not what gradient
    descent runs after its first step.

    Parameters
    ----------
    n_features : int
        Number of coefficients.
    seed : int, default=0
        Seed of the standard normal draws.

    Returns
    -------
    coef : ndarray of shape (1, n_features), float64
        Standard normal coefficients.
    intercept : ndarray of shape (1,), float64
        A standard normal intercept.
    """
    rng = np.random.default_rng(seed)
    return rng.standard_normal((1, n_features)), rng.standard_normal(1)


def numpy_iteration(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float
) -> tuple[np.ndarray, float]:
    """One iteration of the NumPy tutorial's gradient descent: two BLAS passes over ``X``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Data.
    y : ndarray of shape (n,)
        Targets.
    w : ndarray of shape (d,)
        Of ``X``'s dtype, so that BLAS runs in that precision and ``X`` is not converted.
    b : float
        Intercept.

    Returns
    -------
    g : ndarray of shape (d,)
        The gradient of the half mean squared error in ``w``.
    gb : float
        Its derivative in ``b``.
    """
    n = X.shape[0]
    r = X @ w + b - y
    g = X.T @ r / n
    gb = r.sum() / n
    return g, float(gb)


@dataclass(frozen=True)
class KernelConfig:
    """What the kernel table measures.

    Attributes
    ----------
    features : tuple of int
        Feature counts ``d``, one shape each (duplicates are dropped, the order is kept).
    dtypes : tuple of str
        Storage types of ``X``: float64 and/or float32.
    megabytes : float
        Size of ``X`` per shape in MB; the number of rows follows (:func:`n_samples_for`).
    threads : int
        Threads for Numba and for BLAS.
    repeat : int
        Timed rounds per shape.
    seed : int
        Seed of the data and of the model.
    """

    features: tuple[int, ...] = FEATURES
    dtypes: tuple[str, ...] = DTYPES
    megabytes: float = MEGABYTES
    threads: int = field(default_factory=default_threads)
    repeat: int = REPEAT
    seed: int = 0

    def __post_init__(self):
        features = tuple(dict.fromkeys(int(d) for d in self.features))
        object.__setattr__(self, "features", features)
        object.__setattr__(self, "dtypes", tuple(self.dtypes))
        if not features or min(features) < 1:
            raise ValueError(f"features must be one or more counts >= 1, got {self.features}")
        if not self.dtypes or any(d not in DTYPES for d in self.dtypes):
            raise ValueError(f"dtypes must be float64 and/or float32, got {self.dtypes}")
        if not (self.megabytes > 0 and math.isfinite(self.megabytes)):
            raise ValueError(f"megabytes must be a positive number, got {self.megabytes}")
        if self.repeat < 1 or self.threads < 1:
            raise ValueError("repeat and threads must be >= 1")

    def command(self) -> str:
        """Return the ``fastlinreg`` command line that measures this configuration.

        Returns
        -------
        str
            ``fastlinreg bench --kernel`` with this configuration's options.
        """
        dtype = "both" if sorted(self.dtypes) == sorted(DTYPES) else self.dtypes[0]
        parts = [
            "fastlinreg bench --kernel",
            "--features " + " ".join(str(d) for d in self.features),
            f"--megabytes {self.megabytes:g}",
            f"--dtype {dtype}",
            f"--threads {self.threads}",
            f"--repeat {self.repeat}",
        ]
        if self.seed:
            parts.append(f"--seed {self.seed}")
        return " ".join(parts)


@dataclass
class KernelRow:
    """The timings of one shape and dtype.

    Attributes
    ----------
    n_samples, n_features : int
    dtype : str
    x_bytes, y_bytes : int
        ``X.nbytes`` and ``y.nbytes``.
    probe_seconds, fused_seconds, numpy_seconds : list of float
        One time per round (``numpy_seconds`` is empty when NumPy was not measured).
    compile_seconds : float or None
        First fused call minus the second on the warm-up slice: compilation or cache load.
    compile_source : str or None
        Where the fused kernel came from (see :func:`fastlinreg.bench.compile_source`).
    """

    n_samples: int
    n_features: int
    dtype: str
    x_bytes: int
    y_bytes: int
    probe_seconds: list[float] = field(default_factory=list)
    fused_seconds: list[float] = field(default_factory=list)
    numpy_seconds: list[float] = field(default_factory=list)
    compile_seconds: float | None = None
    compile_source: str | None = None

    @property
    def shape(self) -> str:
        """``"n x d"`` with thousands separators.

        Returns
        -------
        str
            The shape of ``X``, such as ``"1,000 x 8"``.
        """
        return f"{self.n_samples:,} x {self.n_features}"

    def seconds(self, what: str, stat: str = "best") -> float | None:
        """Return the best (fastest) or median time of ``what``, or None if it was not timed.

        Parameters
        ----------
        what : {"probe", "fused", "numpy"}
            The candidate.
        stat : {"best", "median"}
            The statistic over the rounds.

        Returns
        -------
        float or None
            Seconds, or None when ``what`` was not timed.
        """
        if what not in CANDIDATES or stat not in STATS:
            raise ValueError(f"what must be one of {CANDIDATES} and stat one of {STATS}")
        times = getattr(self, f"{what}_seconds")
        if not times:
            return None
        return float(min(times) if stat == "best" else statistics.median(times))

    def gb_per_s(self, what: str, stat: str = "best") -> float | None:
        """Return the bandwidth of ``what``: bytes read per pass over the time, in GB/s.

        The probe reads ``X``; the fused pass and the NumPy iteration count ``X`` and ``y``
        once each (the NumPy iteration reads ``X`` twice: this is the rate of the whole step).

        Parameters
        ----------
        what : {"probe", "fused", "numpy"}
            The candidate.
        stat : {"best", "median"}
            The statistic over the rounds.

        Returns
        -------
        float or None
            GB/s, or None when ``what`` was not timed.
        """
        seconds = self.seconds(what, stat)
        if seconds is None:
            return None
        nbytes = self.x_bytes + (0 if what == "probe" else self.y_bytes)
        return nbytes / seconds / 1e9

    def percent_of_probe(self, stat: str = "best") -> float | None:
        """Return the fused pass's GB/s as a percentage of the probe's, both by ``stat``.

        Parameters
        ----------
        stat : {"best", "median"}, default="best"
            The statistic over the rounds.

        Returns
        -------
        float or None
            The percentage, or None when either was not timed.
        """
        fused, probe = self.gb_per_s("fused", stat), self.gb_per_s("probe", stat)
        return None if fused is None or probe is None else 100.0 * fused / probe

    def vs_numpy(self, stat: str = "best") -> float | None:
        """Return the NumPy iteration's time over the fused pass's, both by ``stat``.

        Parameters
        ----------
        stat : {"best", "median"}, default="best"
            The statistic over the rounds.

        Returns
        -------
        float or None
            The ratio, or None when either was not timed.
        """
        numpy_s, fused_s = self.seconds("numpy", stat), self.seconds("fused", stat)
        return None if numpy_s is None or fused_s is None else numpy_s / fused_s

    def summary(self) -> dict[str, Any]:
        """Return every derived number, for each of :data:`STATS`.

        Returns
        -------
        dict of str to dict
            Per statistic: the GB/s of each candidate, the percentage of the probe and the
            ratio to NumPy.
        """
        out: dict[str, Any] = {}
        for stat in STATS:
            out[stat] = {
                **{f"{what}_gb_per_s": self.gb_per_s(what, stat) for what in CANDIDATES},
                "percent_of_probe": self.percent_of_probe(stat),
                "vs_numpy": self.vs_numpy(stat),
            }
        return out


def warm_up(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    numpy: bool = True,
) -> tuple[float, str]:
    """Run every candidate once on the first rows; time the fused kernel's compile or load.

    Parameters
    ----------
    X, y : ndarray
        The data (only the first :data:`WARMUP_ROWS` rows are used).
    coef, intercept : ndarray
        As from :func:`random_model`.
    numpy : bool, default=True
        Also run the NumPy iteration (which starts BLAS's threads).

    Returns
    -------
    compile_seconds : float
        The first fused call's time minus the second's (not below zero).
    source : str
        Whether the fused kernel was compiled, loaded from the on-disk cache or already there.
    """
    Xs, ys = X[:WARMUP_ROWS], y[:WARMUP_ROWS]
    probe_seconds(Xs, repeats=1)
    before = compile_counts()
    t0 = time.perf_counter()
    fused_pass(Xs, ys, coef, intercept)
    first = time.perf_counter() - t0
    source = compile_source(before, compile_counts())
    t0 = time.perf_counter()
    fused_pass(Xs, ys, coef, intercept)
    second = time.perf_counter() - t0
    if numpy:
        numpy_iteration(Xs, ys, *numpy_model(coef, intercept, X.dtype))
        time.sleep(BLAS_SETTLE_SECONDS)
    return max(first - second, 0.0), source


def numpy_model(coef: np.ndarray, intercept: np.ndarray, dtype: Any) -> tuple[np.ndarray, Any]:
    """Return the model of :func:`random_model` as :func:`numpy_iteration` takes it.

    Parameters
    ----------
    coef : ndarray of shape (1, d)
        Coefficients, as from :func:`random_model`.
    intercept : ndarray of shape (1,)
        Intercept, as from :func:`random_model`.
    dtype : str or numpy dtype
        ``X``'s dtype: the weights are cast to it, so BLAS runs in that precision.

    Returns
    -------
    w : ndarray of shape (d,)
        ``coef[0]`` in ``dtype``.
    b : numpy scalar of ``dtype``
        ``intercept[0]`` in ``dtype``.
    """
    dtype = np.dtype(dtype)
    return coef[0].astype(dtype), dtype.type(intercept[0])


def measure(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    repeat: int,
    numpy: bool = True,
    before_round: Callable[[int], None] | None = None,
) -> KernelRow:
    """Time ``repeat`` interleaved rounds of probe, fused pass and (optionally) NumPy.

    Call :func:`warm_up` first, and set the thread counts (e.g. with
    :func:`fastlinreg.bench.pinned_threads`): this function uses whatever is set.

    Parameters
    ----------
    X : ndarray of shape (n, d), C-contiguous float32 or float64
        Data.
    y : ndarray of shape (n,), same dtype
        Targets.
    coef, intercept : ndarray
        As from :func:`random_model`.
    repeat : int
        Rounds.
    numpy : bool, default=True
        Time the NumPy tutorial iteration too (followed by a pause of
        :data:`BLAS_SETTLE_SECONDS`).
    before_round : callable, optional
        Called with the round's index (from 0) before it starts.

    Returns
    -------
    KernelRow
        Without compile information.
    """
    n, d = X.shape
    row = KernelRow(n, d, str(X.dtype), X.nbytes, y.nbytes)
    model = numpy_model(coef, intercept, X.dtype)
    for r in range(repeat):
        if before_round is not None:
            before_round(r)
        row.probe_seconds.append(probe_seconds(X, repeats=1))
        t0 = time.perf_counter()
        fused_pass(X, y, coef, intercept)
        row.fused_seconds.append(time.perf_counter() - t0)
        if numpy:
            t0 = time.perf_counter()
            numpy_iteration(X, y, *model)
            row.numpy_seconds.append(time.perf_counter() - t0)
            time.sleep(BLAS_SETTLE_SECONDS)
    return row


def run(config: KernelConfig, progress: Progress | None = None) -> KernelResult:
    """Measure every (d, dtype) of ``config``, one shape at a time.

    Parameters
    ----------
    config : KernelConfig
        What to measure.
    progress : callable, optional
        Called as ``progress(step, total, label)`` before each setup step and round.

    Returns
    -------
    KernelResult
        One row per feature count and dtype, in the order ``d`` then dtype.
    """
    started = time.perf_counter()
    report = progress or (lambda step, total, label: None)
    shapes = [(d, dtype) for d in config.features for dtype in config.dtypes]
    per_shape = 2 + config.repeat
    total = len(shapes) * per_shape
    rows = []
    with pinned_threads(config.threads):
        for i, (d, dtype) in enumerate(shapes):
            step = i * per_shape
            n = n_samples_for(config.megabytes, d, dtype)
            label = f"{n:,} x {d} {dtype}"
            report(step, total, f"{label}: generating data")
            X, y = make_data(n, d, dtype, config.seed)
            coef, intercept = random_model(d, config.seed)
            report(step + 1, total, f"{label}: compile and warm-up")
            compile_seconds, source = warm_up(X, y, coef, intercept)

            def before_round(r, step=step, label=label):
                report(step + 2 + r, total, f"{label}: round {r + 1}/{config.repeat}")

            row = measure(X, y, coef, intercept, config.repeat, before_round=before_round)
            row.compile_seconds, row.compile_source = compile_seconds, source
            rows.append(row)
            # Free this shape's data before the next is made: one shape in memory at a time.
            del X, y
    return KernelResult(
        config=config,
        rows=rows,
        machine=machine_info(config.threads),
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        total_seconds=time.perf_counter() - started,
    )


#: Columns of the kernel table.
HEADERS = [
    "shape (n x d)",
    "dtype",
    "probe GB/s",
    "fused GB/s",
    "% of probe",
    "NumPy GB/s",
    "× NumPy",
    "compile s",
]


@dataclass
class KernelResult:
    """Everything a kernel-table run measured; render with the ``format_*`` methods.

    Attributes
    ----------
    config : KernelConfig
    rows : list of KernelRow
    machine : dict
        As from :func:`fastlinreg.bench.machine_info`.
    created : str
        UTC date and time of the run (ISO 8601).
    total_seconds : float
    """

    config: KernelConfig
    rows: list[KernelRow]
    machine: dict[str, Any]
    created: str
    total_seconds: float

    def f32_speedups(self) -> list[dict[str, Any]]:
        """Return, per ``d`` measured in both dtypes, how much faster the float32 pass is.

        Both dtypes have the same bytes of ``X``, so float32 has twice the rows; the ratio
        compares time per row: ``(t64 / n64) / (t32 / n32)``, i.e. the float32 pass's speed-up
        on the same shape.

        Returns
        -------
        list of dict
            ``{"n_features": d, "best": ..., "median": ...}``.
        """
        by_key = {(r.n_features, r.dtype): r for r in self.rows}
        out = []
        for d in self.config.features:
            r64, r32 = by_key.get((d, "float64")), by_key.get((d, "float32"))
            if r64 is None or r32 is None:
                continue
            entry: dict[str, Any] = {"n_features": d}
            for stat in STATS:
                t64, t32 = r64.seconds("fused", stat), r32.seconds("fused", stat)
                if t64 is None or t32 is None:
                    entry[stat] = None
                    continue
                entry[stat] = (t64 / r64.n_samples) / (t32 / r32.n_samples)
            out.append(entry)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary: configuration, machine, rows with their summaries.

        Returns
        -------
        dict of str to object
            Also the fastlinreg version, the command line and the float32 speed-ups.
        """
        from . import __version__

        return {
            "fastlinreg_version": __version__,
            "created": self.created,
            "command": self.config.command(),
            "machine": self.machine,
            "config": asdict(self.config),
            "rows": [{**asdict(r), "shape": r.shape, **r.summary()} for r in self.rows],
            "f32_speedup": self.f32_speedups(),
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
        """Describe the data, the rounds, the machine, the threads and the command.

        Returns
        -------
        list of str
            One line for the data and rounds, one for the machine, one for the command.
        """
        c = self.config
        m = self.machine
        return [
            f"kernel table: {c.megabytes:g} MB of X per shape (n = ceil(MB·1e6 / "
            f"(d·itemsize))), synthetic (seed {c.seed}); {c.repeat} interleaved "
            f"round{'s' if c.repeat > 1 else ''} of probe, fused, NumPy; each cell: best of "
            f"{c.repeat} (median)",
            f"machine: {m['cpu']}, {m['cpu_count']} CPUs; threads: {c.threads} "
            f"(Numba {m['numba_threading_layer']}, BLAS {m['blas']}); {self.created[:10]}",
            f"command: {c.command()}",
        ]

    def footer_lines(self) -> list[str]:
        """Explain the columns, then one line per ``d`` with the float32 speed-up.

        Returns
        -------
        list of str
            The lines of notes.
        """
        lines = [
            "probe: parallel Numba sum over X, GB/s = X bytes / time; fused: fastlinreg's fused "
            "pass (residuals, gradient, loss); NumPy: r = X @ w + b - y; g = X.T @ r / n; "
            "gb = r.sum() / n in X's dtype; both GB/s = (X + y bytes) / time",
            "% of probe = fused GB/s / probe GB/s; × NumPy = NumPy time / fused time; compile s = "
            f"first fused call minus the second on {WARMUP_ROWS} rows (compiled by Numba, loaded "
            "from its on-disk cache, or already compiled in this process), excluded from the "
            f"timings; {BLAS_SETTLE_SECONDS:g} s pause after each NumPy call (OpenBLAS threads "
            "spin after a call)",
        ]
        for entry in self.f32_speedups():
            lines.append(
                f"f32 speed-up, d = {entry['n_features']}: {format_number(entry['best'], '.2f')}× "
                f"({format_number(entry['median'], '.2f')}×) — float64 fused time per row / "
                "float32 fused time per row"
            )
        return lines

    def table(self) -> tuple[list[str], list[list[str]]]:
        """Return the table's headers and its cells, one row per (d, dtype).

        Returns
        -------
        headers : list of str
            A copy of :data:`HEADERS`.
        body : list of list of str
            The formatted cells, one list per row.
        """
        body = []
        for r in self.rows:
            compile_cell = format_number(r.compile_seconds, ".2f")
            if r.compile_source is not None:
                compile_cell += f" ({_SOURCE_SHORT.get(r.compile_source, r.compile_source)})"
            body.append(
                [
                    r.shape,
                    r.dtype,
                    _pair(r.gb_per_s("probe"), r.gb_per_s("probe", "median"), ".1f"),
                    _pair(r.gb_per_s("fused"), r.gb_per_s("fused", "median"), ".1f"),
                    _pair(r.percent_of_probe(), r.percent_of_probe("median"), ".0f"),
                    _pair(r.gb_per_s("numpy"), r.gb_per_s("numpy", "median"), ".1f"),
                    _pair(r.vs_numpy(), r.vs_numpy("median"), ".2f"),
                    compile_cell,
                ]
            )
        return list(HEADERS), body

    def format_text(self) -> str:
        """Render the run as a fixed-width text table with header and footer lines.

        Returns
        -------
        str
            The report, lines separated by newlines.
        """
        return "\n".join(
            [*self.header_lines(), "", *text_table(*self.table()), "", *self.footer_lines()]
        )

    def format_markdown(self) -> str:
        """Render the run as Markdown: header lines as a list, the table, the notes.

        Returns
        -------
        str
            The Markdown report.
        """
        return "\n".join(
            [f"- {line}" for line in self.header_lines()]
            + ["", *markdown_table(*self.table()), ""]
            + [f"- {line}" for line in self.footer_lines()]
        )


def _pair(best: float | None, median: float | None, spec: str) -> str:
    return f"{format_number(best, spec)} ({format_number(median, spec)})"

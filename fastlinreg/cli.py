"""The ``fastlinreg`` command line: ``bench`` (and ``bench --kernel``), ``fit`` and ``predict``.

This module parses arguments, calls the library and reports. ``--help``, ``--version`` and
``predict`` import neither scikit-learn nor the benchmark harness, and ``--help`` not Numba.
Problems a person can fix (a missing file, an unknown column, a bad cell, a malformed model, an
invalid option value) are printed as one line on stderr with exit status 2; ``--debug`` adds
the traceback. Outputs are checked before any data is read (never an input file, in a writable
folder) and replaced atomically (:mod:`fastlinreg._atomic`); SIGINT and SIGTERM stop with one
line, exit status 130 and 143.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import IO, Any, TextIO

import numpy as np

from . import __version__
from ._atomic import atomic_writer, check_output
from ._bench_defaults import (
    KERNEL_FEATURES,
    KERNEL_MEGABYTES,
    KERNEL_REPEAT,
    N_FEATURES,
    N_SAMPLES,
    REPEAT,
    default_threads,
)
from ._params import DEFAULTS, SOLVERS
from ._status_line import StatusLine

#: Exceptions reported as one line with exit status 2: bad input, files, options, models.
USER_ERRORS = (ValueError, TypeError, OSError, FloatingPointError)

#: What ``bench`` says at the end (on stderr): the default run is the quick one.
FULL_COMPARISON = (
    "For the full comparison: fastlinreg bench --n-samples 4000000 --repeat 5 --plot bench.png "
    "(larger data, more rounds, a chart), and fastlinreg bench --kernel (the fused pass for "
    "each feature count against the read-bandwidth probe)."
)

#: Exit status of ``fit --strict`` when the fit did not converge.
NOT_CONVERGED = 3

#: Fraction of the memory available that an in-memory fit may take before ``fit`` reads the
#: file in chunks instead: the fit needs about 1.1-1.3 times the numeric data (see the memory
#: table in docs/cli.md), and the rest of the machine keeps some room.
_IN_MEMORY_FRACTION = 0.5


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that it unwinds (and cleans up) like Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the process exit status.

    SIGINT (Ctrl-C) and SIGTERM stop the command with one line on stderr and no traceback;
    an output file being written is removed, and the file it would have replaced is left as
    it was.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a usage or input error, 130 when interrupted (SIGINT), 143 when
        terminated (SIGTERM), 141 when the reader of the output went away.
    """
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    command, debug = "", False
    try:
        args = build_parser().parse_args(argv)
        command, debug = args.command, args.debug
        return int(args.func(args))
    except BrokenPipeError:
        # The reader of stdout went away (``| head``): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("fastlinreg: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("fastlinreg: terminated", file=sys.stderr)
        return 143
    except USER_ERRORS as exc:
        if debug:
            import traceback

            traceback.print_exc()
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"fastlinreg {command}: error: {message}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``fastlinreg`` command.

    Every option's help text says its default; building the parser imports nothing heavy.

    Returns
    -------
    argparse.ArgumentParser
        The parser, with the ``bench``, ``fit`` and ``predict`` subcommands.
    """
    parser = argparse.ArgumentParser(
        prog="fastlinreg",
        description="Least squares and ridge on large data: fit a model on a file, predict "
        "with it, or benchmark fastlinreg against NumPy and scikit-learn.",
    )
    parser.add_argument(
        "--version", action="version", version=f"fastlinreg {__version__}", help="print the version"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_bench(sub, common)
    _add_fit(sub, common)
    _add_predict(sub, common)
    return parser


def _add_bench(sub: Any, common: argparse.ArgumentParser) -> None:
    bench = sub.add_parser(
        "bench",
        parents=[common],
        help="time fastlinreg against NumPy and scikit-learn on synthetic data",
        description="Time every candidate on synthetic data and print one table. With --kernel, "
        "print the kernel table instead: for each feature count and dtype, the fused pass "
        "against an in-run read-bandwidth probe and one NumPy tutorial iteration, on X of a "
        "fixed size in MB.",
    )
    # Defaults of options that belong to one mode only are None, so that giving one in the other
    # mode can be told apart from not giving it (see _bench_options).
    bench.add_argument("--n-samples", type=_positive_int, help=f"rows of X (default: {N_SAMPLES})")
    bench.add_argument(
        "--n-features", type=_positive_int, help=f"columns of X (default: {N_FEATURES})"
    )
    bench.add_argument(
        "--kernel",
        action="store_true",
        help="print the kernel table (fused pass vs read probe vs NumPy) instead",
    )
    bench.add_argument(
        "--features",
        nargs="+",
        type=_positive_int,
        metavar="N",
        help="--kernel: feature counts, one shape each (default: "
        + " ".join(str(d) for d in KERNEL_FEATURES)
        + ")",
    )
    bench.add_argument(
        "--megabytes",
        type=_positive_float,
        metavar="MB",
        help=f"--kernel: size of X per shape in MB (default: {KERNEL_MEGABYTES:g})",
    )
    bench.add_argument(
        "--dtype",
        choices=["both", "float64", "float32"],
        default="both",
        help="storage of X for the fastlinreg rows (baselines use float64 unless only "
        "float32 is asked for); with --kernel, the dtypes of the table (default: both)",
    )
    bench.add_argument(
        "--threads",
        type=_positive_int,
        default=default_threads(),
        help="threads for Numba and BLAS (default: the CPUs available, %(default)s)",
    )
    bench.add_argument(
        "--repeat",
        type=_positive_int,
        help=f"timed rounds (default: {REPEAT}, with --kernel {KERNEL_REPEAT})",
    )
    bench.add_argument(
        "--seed", type=int, default=0, help="seed of the synthetic data (default: 0)"
    )
    bench.add_argument(
        "--json", metavar="PATH", help="also write machine-readable results (default: none)"
    )
    bench.add_argument(
        "--plot", metavar="PATH", help="also write a PNG chart, needs matplotlib (default: none)"
    )
    bench.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    bench.add_argument("--quiet", action="store_true", help="no progress on stderr")
    bench.set_defaults(func=_bench)


def _add_input_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--format",
        metavar="FMT",
        help="the file's format when its name does not say it, as for standard input: csv, "
        "tsv, parquet, npy or npz, CSV optionally with .gz, .bz2, .zst or .xz, e.g. csv.gz "
        "(default: from the file's suffixes)",
    )
    command.add_argument(
        "--sep",
        type=_separator,
        metavar="CHAR",
        help="CSV field separator, one character; 'tab' or '\\t' for a tab (default: ',', "
        "a tab for .tsv)",
    )


def _add_fit(sub: Any, common: argparse.ArgumentParser) -> None:
    fit = sub.add_parser(
        "fit",
        parents=[common],
        help="fit a model on a CSV, Parquet, .npy or .npz file (or standard input)",
        description="Fit a LinearRegression on a file and print the coefficients; optionally "
        "save it as a JSON model. FILE is a CSV (.csv, .tsv, optionally .gz, .bz2, .zst, .xz), "
        "Parquet, .npy or .npz file, or - for standard input (with --format). Columns of an "
        ".npy file are named by their index (0, 1, ...); the arrays of an .npz file by their "
        "key (2-D arrays: key[0], key[1], ...).",
    )
    fit.add_argument("file", metavar="FILE", help="the training data, or - for standard input")
    fit.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    fit.add_argument(
        "--features",
        nargs="+",
        metavar="COL",
        help="feature columns, in this order (default: every column but the target and weight)",
    )
    fit.add_argument(
        "--weight", metavar="COL", help="a column of non-negative sample weights (default: none)"
    )
    fit.add_argument(
        "--categorical",
        nargs="+",
        metavar="COL",
        default=[],
        help="feature columns to one-hot encode: one feature COL=VALUE per category found, "
        "stored in the model and applied by predict (default: none)",
    )
    _add_input_options(fit)
    fit.add_argument(
        "--output", "-o", metavar="MODEL.json", help="write the model here (default: not saved)"
    )
    fit.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="storage of X (default: %(default)s)",
    )
    fit.add_argument(
        "--alpha",
        type=float,
        default=DEFAULTS["alpha"],
        help="L2 penalty, as scikit-learn's Ridge (default: %(default)s)",
    )
    fit.add_argument(
        "--solver",
        default=DEFAULTS["solver"],
        metavar="{" + ",".join(SOLVERS) + "}",
        help="auto picks gram or cg by a cost model, and falls back to qr where the normal "
        "equations cannot deliver (default: %(default)s)",
    )
    fit.add_argument(
        "--learning-rate",
        type=_learning_rate,
        default=DEFAULTS["learning_rate"],
        help="step of solver gd: auto (1/L by power iteration) or a number (default: %(default)s)",
    )
    fit.add_argument(
        "--max-iter",
        type=int,
        default=DEFAULTS["max_iter"],
        help="most iterations of cg and gd (default: %(default)s)",
    )
    fit.add_argument(
        "--tol",
        type=float,
        default=DEFAULTS["tol"],
        help="target relative error of the coefficients (default: %(default)s)",
    )
    fit.add_argument(
        "--no-intercept",
        dest="fit_intercept",
        action="store_false",
        help="fit no intercept (default: fit one)",
    )
    fit.add_argument(
        "--no-accelerate",
        dest="accelerate",
        action="store_false",
        help="plain gradient descent for solver gd (default: Nesterov momentum)",
    )
    fit.add_argument(
        "--no-standardize",
        dest="standardize",
        action="store_false",
        help="solve in the columns' own units (default: standardised)",
    )
    fit.add_argument(
        "--verbose",
        type=int,
        default=DEFAULTS["verbose"],
        metavar="N",
        help="print the objective every N iterations (default: %(default)s, never)",
    )
    fit.add_argument(
        "--chunked",
        action="store_true",
        help="read a plain CSV or Parquet file in chunks, in bounded memory (default: "
        "automatic when the data would take over half the memory available)",
    )
    fit.add_argument(
        "--max-memory",
        type=_parse_size,
        metavar="SIZE",
        help="read a plain CSV or Parquet file in chunks when its numeric data would take more "
        "than SIZE in memory, e.g. 800M or 4G (default: half the memory available when the "
        "command starts)",
    )
    fit.add_argument(
        "--strict",
        action="store_true",
        help=f"exit with status {NOT_CONVERGED} and save no model when the fit does not "
        "converge (default: warn and go on)",
    )
    fit.add_argument(
        "--json",
        action="store_true",
        help="print one JSON summary on stdout instead of the text report: rows, features, "
        "solver, iterations, time, R², coefficients, warnings (default: text)",
    )
    fit.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print nothing on stdout but the --json summary; no progress (default: report)",
    )
    fit.set_defaults(func=_fit)


def _add_predict(sub: Any, common: argparse.ArgumentParser) -> None:
    predict = sub.add_parser(
        "predict",
        parents=[common],
        help="predict with a saved model",
        description="Write the predictions of a JSON model for the rows of FILE: a CSV "
        "with a 'prediction' column (17 significant digits), or Parquet when the output's "
        "name ends in .parquet or .pq.",
    )
    predict.add_argument("model", metavar="MODEL", help="a model file written by fit")
    predict.add_argument("file", metavar="FILE", help="the data, or - for standard input")
    _add_input_options(predict)
    predict.add_argument(
        "--output",
        "-o",
        metavar="PREDS",
        help="write the predictions here, CSV or by suffix Parquet (default: CSV on stdout)",
    )
    predict.add_argument(
        "--keep",
        nargs="+",
        metavar="COL",
        default=[],
        help="copy these columns (IDs) into the output, before the prediction, as they are in "
        "the input (default: none)",
    )
    predict.add_argument(
        "--unknown-category",
        choices=["error", "zero"],
        default="error",
        help="a category the model was not fitted with: an error, or all-zero features for "
        "that column (default: %(default)s)",
    )
    predict.add_argument(
        "--allow-nonfinite",
        action="store_true",
        help="write predictions that overflow to inf or are NaN, with a warning (default: "
        "refuse them)",
    )
    predict.add_argument(
        "--quiet", "-q", action="store_true", help="no message on stderr after writing"
    )
    predict.set_defaults(func=_predict)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not (value > 0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _learning_rate(text: str) -> str | float:
    return text if text == "auto" else float(text)


class _Progress:
    """Progress on stderr: one updating line on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO):
        self.line = StatusLine(stream)
        self.start = time.perf_counter()

    def __call__(self, step: int, total: int, label: str) -> None:
        elapsed = time.perf_counter() - self.start
        self.line.show(f"[{step}/{total} {elapsed:5.0f} s] {label}")

    def close(self) -> None:
        """Clear the progress line on a terminal; plain lines are left as they are."""
        self.line.finish()


#: Options of one ``bench`` mode that the other refuses, with the reason given.
_KERNEL_ONLY = ("--features", "--megabytes")
_NOT_WITH_KERNEL = {
    "--n-samples": "the kernel table takes its shapes from --features and --megabytes",
    "--n-features": "the kernel table takes its shapes from --features and --megabytes",
    "--plot": "the kernel table draws no chart",
}


def _bench_options(args: argparse.Namespace) -> None:
    """Refuse options that belong to the other mode of ``bench``, naming the first one."""

    def given(option: str) -> bool:
        """Say whether ``option`` was given on the command line.

        Parameters
        ----------
        option : str
            The option, such as ``"--n-samples"``.

        Returns
        -------
        bool
            Whether its attribute of ``args`` is set (not None).
        """
        return getattr(args, option[2:].replace("-", "_")) is not None

    if args.kernel:
        for option, reason in _NOT_WITH_KERNEL.items():
            if given(option):
                raise ValueError(f"{option} cannot be used with --kernel: {reason}")
    else:
        for option in _KERNEL_ONLY:
            if given(option):
                raise ValueError(f"{option} needs --kernel (the kernel table's option)")


def _bench_config(args: argparse.Namespace) -> Any:
    """Return the ``bench.Config``, or with ``--kernel`` the ``KernelConfig``, asked for."""
    from . import bench, bench_kernel

    _bench_options(args)
    dtypes = ("float64", "float32") if args.dtype == "both" else (args.dtype,)
    if args.kernel:
        return bench_kernel.KernelConfig(
            features=tuple(args.features or KERNEL_FEATURES),
            dtypes=dtypes,
            megabytes=args.megabytes or KERNEL_MEGABYTES,
            threads=args.threads,
            repeat=args.repeat or KERNEL_REPEAT,
            seed=args.seed,
        )
    return bench.Config(
        n_samples=args.n_samples or N_SAMPLES,
        n_features=args.n_features or N_FEATURES,
        dtypes=dtypes,
        threads=args.threads,
        repeat=args.repeat or REPEAT,
        seed=args.seed,
    )


def _bench(args: argparse.Namespace) -> int:
    from . import bench, bench_kernel

    config = _bench_config(args)
    if args.plot:
        _require("matplotlib", "--plot")
    for option, path in (("--json", args.json), ("--plot", args.plot)):
        if path is not None:
            check_output(path, [], option)
    progress = None if args.quiet else _Progress(sys.stderr)
    result: bench.BenchResult | bench_kernel.KernelResult
    try:
        if isinstance(config, bench_kernel.KernelConfig):
            result = bench_kernel.run(config, progress)
        else:
            result = bench.run(config, progress)
    finally:
        if progress is not None:
            progress.close()
    print(result.format_markdown() if args.markdown else result.format_text())
    if args.json:
        result.write_json(args.json)
    if args.plot and isinstance(result, bench.BenchResult):
        result.plot(args.plot)
    if not args.quiet and isinstance(result, bench.BenchResult):
        print(FULL_COMPARISON, file=sys.stderr)
    return 0


def _require(module: str, option: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise ValueError(
            f"{option} needs {module}; install it with: pip install 'fastlinreg[bench]'"
        ) from None


def _separator(text: str) -> str:
    if text in ("tab", "\\t"):
        return "\t"
    if len(text) != 1 or text in '\r\n"':
        raise argparse.ArgumentTypeError(
            f"must be one character other than a quote or a newline (or 'tab'), got {text!r}"
        )
    return text


def _parse_size(text: str) -> int:
    units = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
    body = text.strip().lower().removesuffix("b").removesuffix("i")
    unit = body[-1:] if body[-1:] in units else ""
    try:
        value = float(body[: len(body) - len(unit)])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a size such as 800M or 4G, got {text!r}"
        ) from None
    if not (value > 0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive size, got {text!r}")
    return int(value * units[unit])


def available_memory() -> int | None:
    """Return the bytes of memory this process can still get, or None where unknown.

    The smaller of the system's available memory (``MemAvailable``) and what the process's
    control group has left (cgroup v2 ``memory.max`` minus ``memory.current``).

    Returns
    -------
    int or None
        Bytes available, or None when no source of the figure can be read.
    """
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
            found.append(max(int(limit) - int(used), 0))
    except (OSError, ValueError):
        pass
    if not found and hasattr(os, "sysconf"):
        with contextlib.suppress(OSError, ValueError):
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return min(found) if found else None


def _data_bytes(source: Any, n_features: int, itemsize: int, weighted: bool) -> int | None:
    """Bytes of X, y (and weights) in memory, from the file's metadata or its size."""
    per_row = n_features * itemsize + 8 + (8 if weighted else 0)
    if source.n_rows is not None:
        return source.n_rows * per_row
    sample = source._rest
    lines = sample.count(b"\n")
    if source.fmt != "csv" or source.compression or source.path == "-" or lines < 2:
        return None
    # The head of the file gives the bytes per line; the file's size, the number of lines.
    last = sample.rfind(b"\n") + 1
    rows = os.stat(source.path).st_size / (last / lines)
    return int(rows * per_row)


def _chunk_reason(args: argparse.Namespace, source: Any, n_features: int) -> str | None:
    """Why the file is read in chunks (None: in memory)."""
    plain = (
        source.fmt in ("csv", "parquet")
        and source.path != "-"
        and source.compression is None
        and not args.categorical
    )
    if args.chunked:
        if not plain:
            raise ValueError(
                f"{source.label}: --chunked reads plain .csv, .tsv and .parquet files (not "
                "compressed, not standard input, without --categorical)"
            )
        return "--chunked"
    if not plain:
        return None
    need = _data_bytes(source, n_features, np.dtype(args.dtype).itemsize, args.weight is not None)
    budget = args.max_memory
    if budget is None:
        available = available_memory()
        budget = None if available is None else int(_IN_MEMORY_FRACTION * available)
    if need is None or budget is None or need <= budget:
        return None
    return f"the data (about {_size(need)}) would take more than {_size(budget)} in memory"


def _size(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def _is_convergence_warning(category: type[Warning]) -> bool:
    # A ConvergenceWarning can only have been raised if scikit-learn's module is loaded, so the
    # check needs no import of its own.
    exceptions = sys.modules.get("sklearn.exceptions")
    return exceptions is not None and issubclass(category, exceptions.ConvergenceWarning)


def _fit(args: argparse.Namespace) -> int:
    from . import LinearRegression, io, save_model

    if args.output:
        check_output(args.output, [args.file])
    if args.format is None and args.file == "-":
        raise ValueError("reading standard input (-) needs --format csv, tsv or parquet")
    source = io.open_source(args.file, fmt=args.format, sep=args.sep)
    n_features = len(args.features) if args.features else len(source.names) - 1
    chunk_reason = _chunk_reason(args, source, n_features)
    model = LinearRegression(
        fit_intercept=args.fit_intercept,
        alpha=args.alpha,
        solver=args.solver,
        learning_rate=args.learning_rate,
        max_iter=args.max_iter,
        tol=args.tol,
        accelerate=args.accelerate,
        standardize=args.standardize,
        verbose=args.verbose,
    )
    model._check_params()
    progress: bool | TextIO = False if args.quiet else sys.stderr
    categories: dict[str, list[str]] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        if chunk_reason is not None:
            from . import io_chunks

            if progress:
                print(f"fastlinreg fit: reading in chunks: {chunk_reason}", file=sys.stderr)
            chunks = _chunk_reader(args, source)
            read_seconds = 0.0
            io_chunks.fit_chunks(model, chunks, progress=progress)
            fit_seconds = time.perf_counter() - t0
            r2 = io_chunks.score_chunks(model, chunks, progress=progress)
            features = [str(n) for n in chunks.feature_names]
            n_rows = chunks.n_rows
            if n_rows is None:
                n_rows = 0 if model._stats is None else model._stats.n_samples
            positional = False
        else:
            data = io.read_data(
                source,
                target=args.target,
                features=args.features,
                weight=args.weight,
                categorical=args.categorical,
                dtype=args.dtype,
            )
            read_seconds = time.perf_counter() - t0
            model.fit(data.X, data.y, sample_weight=data.weight)
            fit_seconds = time.perf_counter() - t0 - read_seconds
            r2 = float(model.score(data.X, data.y, sample_weight=data.weight))
            features, n_rows, positional = data.feature_names, data.n_rows, data.positional
            categories = data.categories
    unconverged: list[str] = []
    for w in caught:
        if _is_convergence_warning(w.category):
            unconverged.append(" ".join(str(w.message).split()))
        else:
            warnings.warn(w.message, w.category, stacklevel=1)
    if not positional:
        # The columns were chosen by name, so the model keeps the names, as scikit-learn does
        # for a DataFrame; ``predict`` then matches columns by name.
        model.feature_names_in_ = np.asarray(features, dtype=object)
    converged = bool(model.converged_) and not unconverged
    summary: dict[str, Any] = {
        "file": source.label,
        "target": args.target,
        "weight": args.weight,
        "rows": int(n_rows),
        "features": len(features),
        "chunked": chunk_reason is not None,
        "solver": str(model.solver_),
        "iterations": int(model.n_iter_),
        "passes": int(model.n_passes_),
        "converged": converged,
        "read_seconds": read_seconds,
        "fit_seconds": fit_seconds,
        "r2": _finite_or_none(r2),
        "coefficients": [
            {"feature": name, "coefficient": _finite_or_none(c)}
            for name, c in zip(
                features, np.asarray(model.coef_, dtype=np.float64).tolist(), strict=True
            )
        ],
        "intercept": _finite_or_none(float(model.intercept_)),
        "categories": categories,
        "warnings": unconverged,
        "model": None,
    }
    for message in unconverged:
        print(f"fastlinreg fit: warning: {message}", file=sys.stderr)
    if args.strict and not converged:
        _report_fit(args, summary)
        print(
            "fastlinreg fit: error: the fit did not converge and --strict is set"
            + ("; no model written" if args.output else ""),
            file=sys.stderr,
        )
        return NOT_CONVERGED
    if args.output:
        training: dict[str, Any] = {
            "source": "<stdin>" if args.file == "-" else Path(args.file).name,
            "target": args.target,
            "weight": args.weight,
            "features": features,
            "n_samples": int(n_rows),
            "fit_seconds": fit_seconds,
            "r2": _finite_or_none(r2),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        save_model(model, args.output, training, categories=categories or None)
        summary["model"] = args.output
    _report_fit(args, summary)
    return 0


def _chunk_reader(args: argparse.Namespace, source: Any) -> Any:
    from . import io_chunks

    if source.fmt == "parquet":
        return io_chunks.parquet_chunks(
            source.path, args.target, args.features, weight=args.weight, dtype=args.dtype
        )
    return io_chunks.csv_chunks(
        source.path,
        args.target,
        args.features,
        weight=args.weight,
        dtype=args.dtype,
        sep=source.sep,
    )


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _report_fit(args: argparse.Namespace, summary: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(summary, allow_nan=False))
        return
    if args.quiet:
        return
    status = "converged" if summary["converged"] else "not converged"
    how = ", read in chunks" if summary["chunked"] else ""
    print(
        f"read {summary['file']}: {summary['rows']} rows, {summary['features']} features, "
        f"target {summary['target']!r}{how}"
    )
    print(
        f"fit: solver {summary['solver']}, {summary['iterations']} iterations "
        f"({summary['passes']} passes over X), {status}, {summary['fit_seconds']:.3f} s "
        f"(read {summary['read_seconds']:.3f} s)"
    )
    r2 = summary["r2"]
    print(f"R² on the training data: {'nan' if r2 is None else format(r2, '.6f')}")
    rows = [(c["feature"], c["coefficient"]) for c in summary["coefficients"]]
    rows.append(("(intercept)", summary["intercept"]))
    width = max(len("feature"), *(len(name) for name, _ in rows))
    print(f"\n{'feature':<{width}}  coefficient")
    for name, value in rows:
        print(f"{name:<{width}}  {'nan' if value is None else format(value, '.10g')}")
    if summary["model"]:
        print(f"model written to {summary['model']}")


def _model_columns(names: list[str], categories: dict[str, list[str]]) -> list[str]:
    """Return the input columns of a model's features (a categorical column once, in place)."""
    from .io import one_hot_name

    source = {one_hot_name(c, v): c for c, values in categories.items() for v in values}
    return list(dict.fromkeys(source.get(name, name) for name in names))


def _predict(args: argparse.Namespace) -> int:
    from . import io
    from ._model_io import load_model_with_categories

    if args.output:
        check_output(args.output, [args.model, args.file])
    if args.format is None and args.file == "-":
        raise ValueError("reading standard input (-) needs --format csv, tsv or parquet")
    parquet_out = bool(args.output) and Path(args.output).suffix.lower() in (".parquet", ".pq")
    if "prediction" in args.keep:
        raise ValueError("--keep prediction: the output's own column is called 'prediction'")
    model, categories = load_model_with_categories(args.model)
    source = io.open_source(args.file, fmt=args.format, sep=args.sep)
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        columns = _model_columns([str(n) for n in names], categories)
    else:
        columns = [n for n in source.names if n not in args.keep]
        if len(columns) != model.n_features_in_:
            raise ValueError(
                f"{source.label} has {len(columns)} columns but the model expects "
                f"{model.n_features_in_} features; it was fitted without column names, so the "
                "file must hold exactly its feature columns, in training order"
            )
    data = io.read_data(
        source,
        features=columns,
        categories=categories,
        unknown=args.unknown_category,
        keep=args.keep,
        dtype=np.asarray(model.coef_).dtype,
    )
    if names is not None:
        # The columns were matched to the model's feature names above. Without the names the
        # estimator takes the plain array as it is; with them it would hand the array to
        # scikit-learn (imported for that alone) only to warn that it carries no names.
        del model.feature_names_in_
    predictions = model.predict(data.X)
    bad = ~np.isfinite(predictions)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        message = (
            f"{int(bad.sum())} of {len(predictions)} predictions are not finite (data row "
            f"{first + 1}: {predictions[first]}): the model's coefficients times the data "
            "overflow the floating-point range"
        )
        if not args.allow_nonfinite:
            raise ValueError(message + "; pass --allow-nonfinite to write them anyway")
        print(f"fastlinreg predict: warning: {message}", file=sys.stderr)
    if args.output is None:
        _write_predictions(sys.stdout, predictions, data.kept)
        return 0
    if parquet_out:
        with atomic_writer(args.output, "wb") as out:
            _write_parquet(out, predictions, data.kept)
    else:
        with atomic_writer(args.output) as out:
            _write_predictions(out, predictions, data.kept)
    if not args.quiet:
        print(f"{len(predictions)} predictions written to {args.output}", file=sys.stderr)
    return 0


def _write_predictions(out: IO[str], predictions: np.ndarray, kept: dict[str, Any]) -> None:
    """CSV with a ``prediction`` header; 17 significant digits round-trip float64 exactly."""
    if not kept:
        out.write("prediction\n")
        np.savetxt(out, predictions, fmt="%.17g")
        return
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*kept, "prediction"])
    values = [["" if v is None else v for v in column.to_pylist()] for column in kept.values()]
    writer.writerows(zip(*values, (f"{p:.17g}" for p in predictions.tolist()), strict=True))


def _write_parquet(out: IO[bytes], predictions: np.ndarray, kept: dict[str, Any]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ValueError(
            "Parquet output needs pyarrow; install it with: pip install 'fastlinreg[io]'"
        ) from None
    table = pa.table({**kept, "prediction": pa.array(predictions)})
    pq.write_table(table, out)

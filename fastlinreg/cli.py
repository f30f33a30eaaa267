"""The ``fastlinreg`` command line: ``bench`` (and ``bench --kernel``), ``fit`` and ``predict``.

This module parses arguments, calls the library and reports. Problems a person can fix (a
missing file, an unknown column, a bad cell, a malformed model, an invalid option value) are
printed as one line on stderr with exit status 2; ``--debug`` adds the traceback. Outputs are
checked before any data is read (never an input file, in a writable folder) and replaced
atomically (:mod:`fastlinreg._atomic`); SIGINT and SIGTERM stop with one line, exit status 130
and 143.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import IO, Any, TextIO

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._atomic import atomic_writer, check_output

#: Exceptions reported as one line with exit status 2: bad input, files, options, models.
USER_ERRORS = (ValueError, TypeError, OSError, FloatingPointError)


#: CSV and Parquet files from this size on are read in chunks by ``fit``.
_CHUNKED_FROM_BYTES = 2**30


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

    Returns
    -------
    argparse.ArgumentParser
    """
    from . import bench_kernel
    from .bench import Config, default_threads

    parser = argparse.ArgumentParser(
        prog="fastlinreg",
        description="Gradient-descent linear regression on a fused Numba kernel.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    bench.add_argument(
        "--n-samples",
        type=_positive_int,
        help=f"rows of X (default: {Config.n_samples})",
    )
    bench.add_argument(
        "--n-features",
        type=_positive_int,
        help=f"columns of X (default: {Config.n_features})",
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
        + " ".join(str(d) for d in bench_kernel.FEATURES)
        + ")",
    )
    bench.add_argument(
        "--megabytes",
        type=_positive_float,
        metavar="MB",
        help=f"--kernel: size of X per shape in MB (default: {bench_kernel.MEGABYTES:g})",
    )
    bench.add_argument(
        "--dtype",
        choices=["both", "float64", "float32"],
        default="both",
        help="storage of X for the fastlinreg rows (baselines use float64 unless only "
        "float32 is asked for); with --kernel, the dtypes of the table; default: both",
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
        help=f"timed rounds (default: {Config.repeat}, with --kernel {bench_kernel.REPEAT})",
    )
    bench.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    bench.add_argument("--json", metavar="PATH", help="also write machine-readable results")
    bench.add_argument("--plot", metavar="PATH", help="also write a PNG chart (needs matplotlib)")
    bench.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    bench.add_argument("--quiet", action="store_true", help="no progress on stderr")
    bench.set_defaults(func=_bench)

    fit = sub.add_parser(
        "fit",
        parents=[common],
        help="fit a model on a CSV, Parquet, .npy or .npz file",
        description="Fit a LinearRegression on a file and optionally save it as a JSON model. "
        "Columns of an .npy file are named by their index (0, 1, ...); the arrays of an .npz "
        "file by their key (2-D arrays: key[0], key[1], ...).",
    )
    fit.add_argument("file", metavar="FILE")
    fit.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    fit.add_argument(
        "--features", nargs="+", metavar="COL", help="feature columns (default: all but target)"
    )
    fit.add_argument("--output", "-o", metavar="MODEL.json", help="write the model here")
    fit.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    fit.add_argument("--alpha", type=float, default=0.0, help="L2 penalty (Ridge)")
    fit.add_argument("--solver", default="auto")
    fit.add_argument("--learning-rate", type=_learning_rate, default="auto")
    fit.add_argument("--max-iter", type=int, default=1000)
    fit.add_argument("--tol", type=float, default=1e-10)
    fit.add_argument("--no-intercept", dest="fit_intercept", action="store_false")
    fit.add_argument("--no-accelerate", dest="accelerate", action="store_false")
    fit.add_argument("--no-standardize", dest="standardize", action="store_false")
    fit.add_argument("--verbose", type=int, default=0, help="print the objective every N its")
    fit.add_argument(
        "--chunked",
        action="store_true",
        help="read a CSV/Parquet file in chunks, in bounded memory (automatic from 1 GiB)",
    )
    fit.set_defaults(func=_fit)

    predict = sub.add_parser(
        "predict",
        parents=[common],
        help="predict with a saved model",
        description="Write predictions of a JSON model for the rows of FILE as CSV.",
    )
    predict.add_argument("model", metavar="MODEL")
    predict.add_argument("file", metavar="FILE")
    predict.add_argument("--output", "-o", metavar="PREDS.csv", help="default: stdout")
    predict.set_defaults(func=_predict)
    return parser


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
        self.stream = stream
        self.tty = stream.isatty()
        self.start = time.perf_counter()

    def __call__(self, step: int, total: int, label: str) -> None:
        elapsed = time.perf_counter() - self.start
        text = f"[{step}/{total} {elapsed:5.0f} s] {label}"
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


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
            features=tuple(args.features or bench_kernel.FEATURES),
            dtypes=dtypes,
            megabytes=args.megabytes or bench_kernel.MEGABYTES,
            threads=args.threads,
            repeat=args.repeat or bench_kernel.REPEAT,
            seed=args.seed,
        )
    return bench.Config(
        n_samples=args.n_samples or bench.Config.n_samples,
        n_features=args.n_features or bench.Config.n_features,
        dtypes=dtypes,
        threads=args.threads,
        repeat=args.repeat or bench.Config.repeat,
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
    return 0


def _require(module: str, option: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise ValueError(
            f"{option} needs {module}; install it with: pip install 'fastlinreg[bench]'"
        ) from None


def _chunked_file(args: argparse.Namespace) -> bool:
    """Whether to read the file in chunks: asked for, or a CSV/Parquet file of 1 GiB or more."""
    suffix = Path(args.file).suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        if args.chunked:
            raise ValueError(f"{args.file}: --chunked reads .csv and .parquet files only")
        return False
    path = Path(args.file)
    return args.chunked or (path.is_file() and path.stat().st_size >= _CHUNKED_FROM_BYTES)


def _fit(args: argparse.Namespace) -> int:
    from . import LinearRegression, io, io_chunks, save_model

    if args.output:
        check_output(args.output, [args.file])
    chunked = _chunked_file(args)
    if chunked:
        suffix = Path(args.file).suffix.lower()
        reader = io_chunks.csv_chunks if suffix == ".csv" else io_chunks.parquet_chunks
        chunks = reader(args.file, args.target, args.features, dtype=args.dtype)
        features = list(chunks.feature_names)
        n_rows = chunks.n_rows
    else:
        table = io.read_table(args.file)
        features = args.features or [n for n in table.names if n != args.target]
        n_rows = table.n_rows
    if args.target in features:
        raise ValueError(f"the target column {args.target!r} is also among the features")
    if not features:
        raise ValueError(f"{args.file}: no feature columns besides the target {args.target!r}")
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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t0 = time.perf_counter()
        if chunked:
            io_chunks.fit_chunks(model, chunks)
        else:
            y = io.select_columns(table, [args.target])[:, 0]
            X = io.select_columns(table, features).astype(args.dtype, copy=False)
            model.fit(X, y)
        seconds = time.perf_counter() - t0
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            print(f"fastlinreg fit: warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn(w.message, stacklevel=1)
    if chunked:
        r2 = io_chunks.score_chunks(model, chunks)
        if n_rows is None and model._stats is not None:
            n_rows = model._stats.n_samples
    else:
        r2 = float(model.score(X, y))
    if chunked or not table.positional:
        # The columns were chosen by name, so the model keeps the names, as scikit-learn does
        # for a DataFrame; ``predict`` then matches columns by name.
        model.feature_names_in_ = np.asarray(features, dtype=object)
    status = "converged" if model.converged_ else "not converged"
    print(
        f"read {args.file}: {n_rows if n_rows is not None else 'all'} rows, {len(features)} "
        f"features, target {args.target!r}"
    )
    print(
        f"fit: solver {model.solver_}, {model.n_iter_} iterations ({model.n_passes_} passes over "
        f"X), {status}, {seconds:.3f} s (with the kernels' one-time compile or cache load)"
    )
    print(f"R² on the training data: {r2:.6f}")
    if args.output:
        training: dict[str, Any] = {
            "source": Path(args.file).name,
            "target": args.target,
            "features": features,
            "n_samples": n_rows,
            "fit_seconds": seconds,
            "r2": r2,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        save_model(model, args.output, training)
        print(f"model written to {args.output}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from . import io, load_model

    if args.output:
        check_output(args.output, [args.model, args.file])
    model = load_model(args.model)
    table = io.read_table(args.file)
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        X = io.select_columns(table, [str(n) for n in names])
    elif len(table.names) == model.n_features_in_:
        X = io.select_columns(table, table.names)
    else:
        raise ValueError(
            f"{args.file} has {len(table.names)} columns but the model expects "
            f"{model.n_features_in_} features; it was fitted without column names, so the "
            "file must hold exactly its feature columns, in training order"
        )
    X = X.astype(np.asarray(model.coef_).dtype, copy=False)
    with warnings.catch_warnings():
        # The columns were matched to the model's feature names above; scikit-learn's check
        # that X carries those names would only repeat it.
        warnings.filterwarnings(
            "ignore", message="X does not have valid feature names", category=UserWarning
        )
        predictions = model.predict(X)
    if args.output is None:
        _write_predictions(sys.stdout, predictions)
    else:
        with atomic_writer(args.output) as out:
            _write_predictions(out, predictions)
        print(f"{table.n_rows} predictions written to {args.output}", file=sys.stderr)
    return 0


def _write_predictions(out: IO[str], predictions: np.ndarray) -> None:
    """CSV with a ``prediction`` header; 17 significant digits round-trip float64 exactly."""
    out.write("prediction\n")
    np.savetxt(out, predictions, fmt="%.17g")

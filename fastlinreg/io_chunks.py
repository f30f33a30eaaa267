"""Reading Parquet and CSV files in chunks, and fitting from chunks in bounded memory.

:func:`parquet_chunks` and :func:`csv_chunks` describe a file as a re-iterable sequence of
``(X_block, y_block)`` float arrays (``(X_block, y_block, w_block)`` with a weight column), one
per Parquet record batch or CSV block. :func:`fit_chunks` fits a
:class:`~fastlinreg.LinearRegression` from any such sequence, holding one chunk at a time:

- ``solver="gram"`` (what ``"auto"`` picks up to a few hundred features) makes one pass that
  accumulates the exact sufficient statistics of the chunks, solves them directly and, on a
  re-iterable source, refines the solution with one or two more passes (and moves to one QR
  pass when the normal equations cannot deliver, as for arrays); a one-shot iterator gets the
  direct solve of the statistics alone, as ``partial_fit`` does;
- ``solver="qr"`` makes one pass that merges the chunks' QR factors;
- ``solver="cg"`` and ``"gd"`` make one pass for the column moments and then one pass over the
  file per iteration; they need a re-iterable source (the readers are).

All go through the same fit driver as ``LinearRegression.fit``, with the same choices and
fallbacks. The result equals ``fit`` on the whole file in memory. :func:`fit_file` does it
all for a path, and :func:`score_chunks` gives the R² of a model in one more pass. Progress over
the chunks of each pass is drawn on stderr.

Examples
--------
>>> import numpy as np
>>> from fastlinreg import LinearRegression
>>> from fastlinreg.io_chunks import fit_chunks
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(1000, 3))
>>> y = X @ np.array([1.0, -2.0, 0.5]) + 4.0
>>> chunks = [(X[i : i + 100], y[i : i + 100]) for i in range(0, 1000, 100)]
>>> model = fit_chunks(LinearRegression(), chunks, progress=False)
>>> np.round(model.coef_, 6), round(float(model.intercept_), 6)
(array([ 1. , -2. ,  0.5]), 4.0)
"""

from __future__ import annotations

import abc
import itertools
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted

from . import _chunked, _kernels
from ._chunked import Sums
from ._estimator import LinearRegression, fit_source
from ._runtime import launch
from ._sklearn_compat import r2_from_sums
from ._solvers import fused_pass_sums
from ._stats import ColumnMoments, SufficientStats, compute_moments
from ._status_line import StatusLine
from ._tsqr import QRFactor
from ._validation import fitted_blocks

__all__ = [
    "ChunkedFile",
    "ProgressBar",
    "csv_chunks",
    "fit_chunks",
    "fit_file",
    "parquet_chunks",
    "score_chunks",
]

#: Bytes of X per chunk that the readers aim for by default.
CHUNK_BYTES = 16 * 2**20
#: Bytes of CSV text per chunk by default: pyarrow parses several blocks ahead, so small blocks
#: keep memory low, and they parse no slower (``scripts/parquet_memory.py --format csv``).
CSV_BLOCK_BYTES = 2 * 2**20
# Read buffer per column when decoding Parquet pages; with pages of ~1 MiB, a reader holds a few
# MiB per selected column whatever the batch size (``scripts/parquet_memory.py``).
_BUFFER = 1 << 18

Chunk = tuple[np.ndarray, ...]


class ProgressBar:
    """Progress over the chunks of one pass, on a stream (stderr by default).

    On a terminal one line is redrawn at most ten times a second; otherwise a plain line is
    written at each tenth of the way that is at least a second after the previous line, and
    one at the end, so that logs stay short.

    Parameters
    ----------
    label : str
        What the pass computes (``"statistics"``, ``"pass 3"``, ...).
    total : int or None
        Expected number of chunks, when known.
    stream : file-like, optional
        Where to write; ``sys.stderr`` by default.
    estimated : bool, default=False
        Whether ``total`` is only an estimate (shown as ``~total``).
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        stream: TextIO | None = None,
        *,
        estimated: bool = False,
    ):
        self.label = label
        self.total = total
        self.line = StatusLine(sys.stderr if stream is None else stream)
        self.estimated = estimated
        self.count = 0
        self.rows = 0
        self.start = time.perf_counter()
        self._last_time = -math.inf if self.line.tty else self.start
        self._last_tenth = 0

    def _line(self) -> str:
        elapsed = time.perf_counter() - self.start
        total = self.total
        if total:
            shown = f"~{total}" if self.estimated else str(total)
            done = min(self.count / total, 1.0)
            filled = round(24 * done)
            bar = f"[{'#' * filled}{'-' * (24 - filled)}] {self.count}/{shown}"
        else:
            bar = f"{self.count}"
        return f"fastlinreg: {self.label} {bar} chunks, {self.rows} rows, {elapsed:.1f} s"

    def update(self, rows: int) -> None:
        """Record one more chunk of ``rows`` rows and redraw if it is time to.

        Parameters
        ----------
        rows : int
            Number of rows in the chunk just read.
        """
        self.count += 1
        self.rows += rows
        now = time.perf_counter()
        if self.line.tty:
            if now - self._last_time >= 0.1:
                self.line.show(self._line())
                self._last_time = now
            return
        tenth = 10 * self.count // self.total if self.total else self.count.bit_length()
        if tenth > self._last_tenth and now - self._last_time >= 1.0:
            self.line.show(self._line())
            self._last_tenth = tenth
            self._last_time = now

    def close(self) -> None:
        """Write the final state of the pass."""
        self.line.finish(self._line())


class ChunkedFile(abc.ABC):
    """A data file seen as a re-iterable sequence of float blocks.

    Each iteration reads the file again from the start and yields ``(X_block, y_block)`` (or
    ``(X_block, y_block, w_block)`` with a weight column): ``X_block`` of shape
    ``(rows, n_features)`` in ``dtype``, C order; ``y_block`` and ``w_block`` float64 of shape
    ``(rows,)``. Made by :func:`parquet_chunks` and :func:`csv_chunks`.

    Parameters
    ----------
    path : str or path-like
        The file.
    target : str
        The column to predict.
    features : sequence of str
        Feature columns, in this order.
    weight : str or None
        A column of sample weights, if any.
    dtype : {numpy.float64, numpy.float32}
        Storage of ``X_block``.
    n_rows : int or None
        Rows in the file, when known.
    n_chunks : int or None
        Chunks per iteration, when known or estimated.

    Attributes
    ----------
    path : str
    target : str
    feature_names : ndarray of str
    weight : str or None
    dtype : numpy.dtype
    n_rows : int or None
        Rows in the file, when its metadata says (Parquet).
    n_chunks : int or None
        Chunks per iteration, exact for Parquet, estimated from the file size for CSV.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        target: str,
        features: Sequence[str],
        weight: str | None,
        dtype: Any,
        n_rows: int | None,
        n_chunks: int | None,
    ):
        self.path = str(path)
        self.target = target
        self.feature_names = np.asarray(list(features), dtype=object)
        self.weight = weight
        self.dtype = np.dtype(dtype)
        self.n_rows = n_rows
        self.n_chunks = n_chunks
        self.chunks_estimated = False

    @abc.abstractmethod
    def _batches(self) -> Iterator[Any]:
        """Yield the file's pyarrow record batches, from the start."""

    def __iter__(self) -> Iterator[Chunk]:
        """Read the file from the start, one block at a time."""
        row = 0
        for batch in self._batches():
            yield self._to_arrays(batch, row)
            row += batch.num_rows

    def _to_arrays(self, batch: Any, row0: int) -> Chunk:
        n = batch.num_rows
        X = np.empty((n, len(self.feature_names)), dtype=self.dtype)
        for j, name in enumerate(self.feature_names):
            X[:, j] = self._column(batch, name, row0)
        y = self._column(batch, self.target, row0)
        if self.weight is None:
            return X, y
        return X, y, self._column(batch, self.weight, row0)

    def _column(self, batch: Any, name: str, row0: int) -> np.ndarray:
        import pyarrow as pa
        import pyarrow.compute as pc

        column = batch.column(name)
        if column.null_count:
            first = pc.index(column.is_null(), True).as_py()
            raise ValueError(
                f"{self.path}: column {name!r} has a missing value in data row {row0 + first + 1}"
            )
        if not pa.types.is_floating(column.type):
            column = column.cast(pa.float64())
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _numeric(type_: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_integer(type_)
        or pa.types.is_floating(type_)
        or pa.types.is_boolean(type_)
        or pa.types.is_decimal(type_)
    )


def _choose_columns(
    path: str, names: list[str], target: str, features: Sequence[str] | None, weight: str | None
) -> list[str]:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate column names {duplicates}")
    wanted = [target] + ([weight] if weight is not None else []) + list(features or [])
    missing = [n for n in wanted if n not in names]
    if missing:
        raise ValueError(f"{path}: no column {missing[0]!r}; the columns are {names}")
    chosen = (
        list(features) if features is not None else [n for n in names if n not in (target, weight)]
    )
    if target in chosen or (weight is not None and weight in chosen):
        raise ValueError(f"{path}: the target and weight columns cannot also be features")
    if not chosen:
        raise ValueError(f"{path}: no feature columns besides the target {target!r}")
    return chosen


class _ParquetFile(ChunkedFile):
    def __init__(self, path, target, features, weight, dtype, batch_rows):
        import pyarrow.parquet as pq

        p = Path(path)
        try:
            meta = pq.read_metadata(p)
        except (ValueError, OSError) as exc:
            raise ValueError(f"{p}: cannot read as Parquet: {exc}") from exc
        schema = meta.schema.to_arrow_schema()
        chosen = _choose_columns(str(p), list(schema.names), target, features, weight)
        for name in [*chosen, target] + ([weight] if weight is not None else []):
            if not _numeric(schema.field(name).type):
                raise ValueError(
                    f"{p}: column {name!r} is not numeric (type {schema.field(name).type})"
                )
        d = len(chosen)
        rows = batch_rows or max(1024, CHUNK_BYTES // (np.dtype(dtype).itemsize * d + 16))
        self.batch_rows = int(rows)
        n = meta.num_rows
        super().__init__(p, target, chosen, weight, dtype, n, -(-n // self.batch_rows))

    def _batches(self):
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = [*self.feature_names, self.target]
        if self.weight is not None:
            columns.append(self.weight)
        # Without pre-buffering, a row group is read page by page as batches are decoded,
        # so memory is bounded by the batch, not by the (writer-chosen) row group.
        try:
            with pq.ParquetFile(self.path, pre_buffer=False, buffer_size=_BUFFER) as f:
                yield from f.iter_batches(batch_size=self.batch_rows, columns=columns)
        except pa.ArrowException as exc:
            raise ValueError(f"{self.path}: cannot read as Parquet: {exc}") from exc


class _CsvFile(ChunkedFile):
    def __init__(self, path, target, features, weight, dtype, block_bytes, sep):
        p = Path(path)
        self.sep = sep
        chosen = _choose_columns(str(p), _csv_header(p, sep), target, features, weight)
        self.block_bytes = int(block_bytes)
        n_chunks = max(1, -(-p.stat().st_size // self.block_bytes))
        super().__init__(p, target, chosen, weight, dtype, None, n_chunks)
        self.chunks_estimated = True

    def _batches(self):
        import pyarrow as pa
        import pyarrow.csv as csv

        columns = [*self.feature_names, self.target]
        if self.weight is not None:
            columns.append(self.weight)
        convert = csv.ConvertOptions(
            include_columns=columns, column_types=dict.fromkeys(columns, pa.float64())
        )
        read = csv.ReadOptions(block_size=self.block_bytes)
        parse = csv.ParseOptions(delimiter=self.sep)
        try:
            with csv.open_csv(
                self.path, read_options=read, parse_options=parse, convert_options=convert
            ) as reader:
                yield from reader
        except pa.ArrowInvalid as exc:
            raise ValueError(f"{self.path}: {exc}") from exc


def _csv_header(p: Path, sep: str) -> list[str]:
    import pyarrow as pa
    import pyarrow.csv as csv

    read = csv.ReadOptions(block_size=1 << 20)
    parse = csv.ParseOptions(delimiter=sep)
    try:
        with csv.open_csv(p, read_options=read, parse_options=parse) as reader:
            return list(reader.schema.names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"{p}: cannot read as CSV: {exc}") from exc


def parquet_chunks(
    path: str | os.PathLike[str],
    target: str,
    features: Sequence[str] | None = None,
    *,
    weight: str | None = None,
    batch_rows: int | None = None,
    dtype: Any = np.float64,
) -> ChunkedFile:
    """Describe a Parquet file as chunks of ``(X, y)``, read by pyarrow record batches.

    Batches are decoded one at a time (page by page within a row group), so memory is bounded
    by ``batch_rows``, whatever row-group size the file was written with.

    Parameters
    ----------
    path : str or path-like
        The Parquet file.
    target : str
        The column to predict.
    features : sequence of str, optional
        Feature columns, in this order; by default every column except ``target`` and
        ``weight``.
    weight : str, optional
        A column of non-negative sample weights.
    batch_rows : int, optional
        Rows per chunk; by default about 16 MiB of ``X``.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Storage of ``X_block`` (float32 halves the memory and the bytes each pass reads).

    Returns
    -------
    ChunkedFile
        A re-iterable of blocks; each iteration reads the file again.

    Raises
    ------
    ValueError
        If the file cannot be read as Parquet, or a column is missing or not numeric.
    """
    return _ParquetFile(path, target, features, weight, _check_dtype(dtype), batch_rows)


def csv_chunks(
    path: str | os.PathLike[str],
    target: str,
    features: Sequence[str] | None = None,
    *,
    weight: str | None = None,
    block_bytes: int = CSV_BLOCK_BYTES,
    dtype: Any = np.float64,
    sep: str = ",",
) -> ChunkedFile:
    """Describe a CSV file (with a header line) as chunks of ``(X, y)``, read by pyarrow blocks.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    target : str
        The column to predict.
    features : sequence of str, optional
        Feature columns, in this order; by default every column except ``target`` and
        ``weight``.
    weight : str, optional
        A column of non-negative sample weights.
    block_bytes : int, default=2 MiB
        Bytes of CSV text per chunk (pyarrow reads a few blocks ahead).
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Storage of ``X_block``.
    sep : str, default=","
        The field separator (a tab for a tab-separated file).

    Returns
    -------
    ChunkedFile
        A re-iterable of blocks; each iteration reads the file again.

    Raises
    ------
    ValueError
        If the header cannot be read or a column is missing. A cell that is not a number is
        reported (with its column) when the pass reaches it.
    """
    return _CsvFile(path, target, features, weight, _check_dtype(dtype), block_bytes, sep)


def _check_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


class _IteratedData:
    """:class:`fastlinreg._chunked.ChunkedData` over an iterable of chunks, read in turn."""

    def __init__(self, chunks: Iterable[Chunk], progress: TextIO | None):
        self._progress = progress
        self._source: Iterable[Chunk] | None = None
        first_iter = iter(chunks)
        self._reiterable = first_iter is not chunks
        self.rereadable = self._reiterable
        try:
            first = next(first_iter)
        except StopIteration:
            raise ValueError("no chunks: the data has no rows") from None
        if len(first) not in (2, 3):
            raise ValueError(
                f"each chunk must be (X, y) or (X, y, sample_weight), got {len(first)} items"
            )
        X0 = check_array(
            first[0], dtype=[np.float64, np.float32], ensure_all_finite=False, ensure_min_samples=0
        )
        y0 = np.asarray(first[1])
        if y0.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D, got shape {y0.shape}")
        self.n_features = X0.shape[1]
        self.n_targets = 1 if y0.ndim == 1 else y0.shape[1]
        self.y_ndim = y0.ndim
        self.dtype = X0.dtype
        self.n_rows: int | None = getattr(chunks, "n_rows", None)
        names = getattr(chunks, "feature_names", None)
        self.feature_names = None if names is None else np.asarray(names, dtype=object)
        self.n_chunks: int | None = getattr(chunks, "n_chunks", None)
        if self.n_chunks is None and isinstance(chunks, Sequence):
            self.n_chunks = len(chunks)
        self._estimated = bool(getattr(chunks, "chunks_estimated", False))
        # A one-shot iterator is read once (the first chunk put back); streaming() refuses it.
        self._pending: Iterator[Chunk] = itertools.chain([first], first_iter)
        if self._reiterable:
            self._source = chunks
        self._passes = 0

    def _blocks(self, label: str) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        if self._source is not None:
            chunks: Iterator[Chunk] = iter(self._source)
        else:
            chunks, self._pending = self._pending, iter(())
        bar = None
        if self._progress is not None:
            bar = ProgressBar(label, self.n_chunks, self._progress, estimated=self._estimated)
        for i, chunk in enumerate(chunks):
            block = self._block(i, chunk)
            yield block
            if bar is not None:
                bar.update(block[0].shape[0])
        if bar is not None:
            bar.close()
            if self._estimated:
                self.n_chunks, self._estimated = bar.count, False

    def _block(self, i: int, chunk: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(chunk) not in (2, 3):
            raise ValueError(f"chunk {i}: expected (X, y) or (X, y, sample_weight)")
        try:
            return _chunked.to_block(
                chunk[0],
                chunk[1],
                chunk[2] if len(chunk) == 3 else None,
                self.dtype,
                self.n_features,
                self.y_ndim,
            )
        except ValueError as exc:
            raise ValueError(f"chunk {i}: {exc}") from exc

    def stats(self) -> SufficientStats:
        """Make one pass: the merged sufficient statistics of every chunk.

        Returns
        -------
        SufficientStats
            The statistics of all rows.
        """
        total = SufficientStats.empty(self.n_features, self.n_targets)
        for X, Y, sw in self._blocks("statistics"):
            total = total.merge(_chunked.block_stats(X, Y, sw))
        return total

    def moments(self) -> ColumnMoments:
        """Make one pass: the merged column moments of every chunk's ``[X, Y]``.

        Returns
        -------
        ColumnMoments
            Moments of the ``n_features + n_targets`` columns, those of ``X`` first.
        """
        total = ColumnMoments.empty(self.n_features + self.n_targets)
        for X, Y, sw in self._blocks("moments"):
            total = total.merge(_chunked.block_moments(X, Y, sw))
        return total

    def pass_sums(self, coef: np.ndarray, intercept: np.ndarray, with_y: bool) -> Sums:
        """Make one pass: the added fused-pass sums of every chunk.

        Parameters
        ----------
        coef : ndarray of shape (n_targets, n_features), float64
            Coefficients at which the residuals are taken.
        intercept : ndarray of shape (n_targets,), float64
            Intercepts at which the residuals are taken.
        with_y : bool
            False takes ``Y`` as zero (the Hessian-vector product).

        Returns
        -------
        tuple of ndarray
            ``sum_i w_i r_i x_i`` (k, d), ``sum_i w_i r_i`` (k,) and ``sum_i w_i r_i**2`` (k,).
        """
        self._passes += 1
        k, d = coef.shape
        total: Sums = (np.zeros((k, d)), np.zeros(k), np.zeros(k))
        for X, Y, sw in self._blocks(f"pass {self._passes}"):
            total = _chunked.add_sums(total, fused_pass_sums(X, Y, sw, coef, intercept, with_y))
        return total

    def qr(self, fit_intercept: bool) -> QRFactor:
        """Make one pass: the merged QR factor of every chunk.

        Parameters
        ----------
        fit_intercept : bool
            Whether the factor includes an intercept column.

        Returns
        -------
        QRFactor
            The ``R`` factor of all rows.
        """
        parts = (_chunked.block_qr(X, Y, sw, fit_intercept) for X, Y, sw in self._blocks("qr"))
        return _chunked.merge_qr(*parts)

    def refine_sums(
        self, shift_x: np.ndarray, shift_y: np.ndarray, coef: np.ndarray, offset: np.ndarray
    ) -> Sums:
        """Make one pass: the added residual sums, in shifted coordinates, of every chunk.

        Parameters
        ----------
        shift_x : ndarray of shape (n_features,), float64
            Subtracted from every row of ``X``.
        shift_y : ndarray of shape (n_targets,), float64
            Subtracted from every row of ``Y``.
        coef : ndarray of shape (n_targets, n_features), float64
            Coefficients at which the residuals are taken.
        offset : ndarray of shape (n_targets,), float64
            Intercept in the shifted coordinates.

        Returns
        -------
        tuple of ndarray
            ``sum_i w_i r_i xs_i`` (k, d), ``sum_i w_i r_i`` (k,) and ``sum_i w_i r_i**2`` (k,).
        """
        k, d = coef.shape
        total: Sums = (np.zeros((k, d)), np.zeros(k), np.zeros(k))
        for X, Y, sw in self._blocks("refinement"):
            total = _chunked.add_sums(
                total, _chunked.block_refine(X, Y, sw, shift_x, shift_y, coef, offset)
            )
        return total

    @contextmanager
    def streaming(self):
        """Check that several passes can be made; there is nothing to hold or release.

        Yields
        ------
        None
            Control, for the duration of the passes.

        Raises
        ------
        ValueError
            If the chunks are a one-shot iterator.
        """
        if not self._reiterable:
            raise ValueError(
                'solver="cg" and "gd" make several passes over the chunks: give a re-iterable '
                "(a list, or a reader such as parquet_chunks), not a one-shot iterator"
            )
        yield


def fit_chunks(
    model: LinearRegression,
    chunks: Iterable[Chunk],
    *,
    progress: bool | TextIO = True,
) -> LinearRegression:
    """Fit ``model`` from chunks of rows, holding one chunk in memory at a time.

    Parameters
    ----------
    model : LinearRegression
        Its parameters are honoured as in ``fit``; ``solver="auto"`` chooses by the same cost
        model.
    chunks : iterable of tuples
        ``(X_block, y_block)`` or ``(X_block, y_block, w_block)``, every block with the same
        number of features (and targets). The readers of this module, a list, or any
        re-iterable; a one-shot iterator (a generator) suffices for ``solver="gram"``.
        A ``feature_names`` attribute becomes the model's ``feature_names_in_``.
    progress : bool or file-like, default=True
        Draw a progress bar over the chunks of each pass on stderr (True), on the given
        stream, or not at all (False).

    Returns
    -------
    LinearRegression
        ``model``, fitted: equal (up to ``tol``) to ``model.fit`` on the concatenated chunks.
        Its statistics are kept after a Gram fit, so ``partial_fit`` can continue it.

    Raises
    ------
    ValueError
        For inconsistent or invalid chunks, and for ``solver="gd"`` on a one-shot iterator.
    """
    return fit_source(model, _IteratedData(chunks, _stream(progress)))


def _stream(progress: bool | TextIO) -> TextIO | None:
    if progress is True:
        return sys.stderr
    if progress is False:
        return None
    return progress


def score_chunks(
    model: LinearRegression,
    chunks: Iterable[Chunk],
    *,
    progress: bool | TextIO = True,
) -> float:
    """Return the coefficient of determination R² of a fitted model on chunks, in one pass.

    Equal to ``model.score(X, y, sample_weight)`` on the concatenated chunks (R² averaged
    uniformly over targets, as scikit-learn does), without holding them.

    Parameters
    ----------
    model : LinearRegression
        A fitted model.
    chunks : iterable of tuples
        ``(X_block, y_block)`` or ``(X_block, y_block, w_block)``, as for :func:`fit_chunks`.
    progress : bool or file-like, default=True
        Progress bar on stderr, on a given stream, or none.

    Returns
    -------
    float
        R² of the model's predictions, averaged uniformly over targets.

    Raises
    ------
    ValueError
        If the chunks do not have the model's number of features, or are invalid.
    """
    check_is_fitted(model)
    data = _IteratedData(chunks, _stream(progress))
    if data.n_features != model.n_features_in_:
        raise ValueError(
            f"the chunks have {data.n_features} features, the model expects {model.n_features_in_}"
        )
    coef, intercept = fitted_blocks(model)
    k = coef.shape[0]
    if data.n_targets != k:
        raise ValueError(f"the chunks have {data.n_targets} targets, the model predicts {k}")
    moments, residual = ColumnMoments.empty(k), np.zeros(k)
    for X, Y, sw in data._blocks("score"):
        if X.shape[0] == 0:
            continue
        w = np.ones(X.shape[0]) if sw.shape[0] == 0 else sw
        pred = np.empty((X.shape[0], k))
        launch(_kernels.predict_into, X, coef, intercept, pred, _kernels.N_CHUNKS)
        residual += w @ (Y - pred) ** 2
        moments = moments.merge(compute_moments(Y, sw))
    return r2_from_sums(residual, moments.m2)


def fit_file(
    path: str | os.PathLike[str],
    target: str,
    features: Sequence[str] | None = None,
    *,
    model: LinearRegression | None = None,
    weight: str | None = None,
    dtype: Any = np.float64,
    progress: bool | TextIO = True,
) -> LinearRegression:
    """Fit a model on a Parquet (``.parquet``, ``.pq``) or CSV (``.csv``) file in chunks.

    Parameters
    ----------
    path : str or path-like
        The file; its suffix chooses the reader.
    target : str
        The column to predict.
    features : sequence of str, optional
        Feature columns; by default all other columns (except ``weight``).
    model : LinearRegression, optional
        The estimator to fit (default ``LinearRegression()``).
    weight : str, optional
        A column of sample weights.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Storage of the feature blocks.
    progress : bool or file-like, default=True
        Progress bar on stderr, on a given stream, or none.

    Returns
    -------
    LinearRegression
        Fitted, with ``feature_names_in_`` set to the feature columns.

    Raises
    ------
    ValueError
        For an unknown file type or a problem with the file's contents.
    """
    suffix = Path(path).suffix.lower()
    chunks: ChunkedFile
    if suffix in (".parquet", ".pq"):
        chunks = parquet_chunks(path, target, features, weight=weight, dtype=dtype)
    elif suffix == ".csv":
        chunks = csv_chunks(path, target, features, weight=weight, dtype=dtype)
    else:
        raise ValueError(f"{path}: expected a .parquet, .pq or .csv file, got {suffix!r}")
    return fit_chunks(LinearRegression() if model is None else model, chunks, progress=progress)

"""Reading data files into float arrays: CSV (plain or compressed), Parquet, ``.npy``, ``.npz``.

:func:`read_data` reads the columns a fit or a prediction needs straight into one ``X`` matrix
(C order, float64 or float32) and float64 ``y`` and weight vectors: CSV and Parquet through
pyarrow, record batch by record batch, without a pandas frame and without a second copy of the
numeric data (the matrix grows in place; see ``_Rows``). Only the selected columns are
converted. :func:`open_source` reads just the header or the schema.

- **CSV**: ``.csv`` (comma) and ``.tsv`` (tab), or any separator (``sep``), compressed as
  ``.gz``, ``.bz2``, ``.zst`` or ``.xz``; ``"-"`` is standard input (give ``fmt``). The first
  line names the columns.
- **Parquet**: integer, floating, boolean, decimal and dictionary-encoded numeric columns are
  converted to numbers; text and dictionary-encoded text only as categorical columns;
  timestamps, dates, times and other types are refused by name.
- **.npy**: a 2-D numeric array whose columns are named by index ``0``, ``1``, ….
- **.npz**: 1-D arrays are columns named by their keys; a 2-D array ``key`` gives ``key[0]``,
  ``key[1]``, ….

Categorical columns are one-hot encoded: one feature ``column=value`` per category (sorted),
in the column's place. Every problem a person can fix (missing file, unknown format, duplicate
or unknown column, text or date in a numeric column, missing or non-finite cell, unknown
category) raises :class:`DataError` with a message that names the file, the column and, for
bad cells, the data row (counted from 1, header excluded) where it is known.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "COMPRESSIONS",
    "FORMATS",
    "DataError",
    "Dataset",
    "Source",
    "one_hot_name",
    "open_source",
    "read_data",
]

#: File suffixes understood by :func:`open_source`, mapped to a format name.
FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".npy": "npy",
    ".npz": "npz",
}
#: Compression suffixes of CSV files, mapped to the codec that reads them.
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".xz": "xz"}

#: Bytes of CSV text pyarrow parses per block: large enough to parse in parallel, small enough
#: that the blocks in flight stay a small fraction of the data.
CSV_BLOCK_BYTES = 4 * 2**20
#: Rows per Parquet record batch.
PARQUET_BATCH_ROWS = 65536


class DataError(ValueError):
    """A data file that cannot be used as asked; the message says what to fix."""


def one_hot_name(column: str, value: str) -> str:
    """Return the feature name of one category of a one-hot encoded column.

    Parameters
    ----------
    column : str
        Name of the categorical column.
    value : str
        One category of that column.

    Returns
    -------
    str
        ``"column=value"``.
    """
    return f"{column}={value}"


@dataclass
class Dataset:
    """The columns of a file that a fit or a prediction uses, as arrays.

    Attributes
    ----------
    X : ndarray of shape (n_rows, n_features)
        Features, C order, in the dtype asked for; categorical columns one-hot encoded.
    y : ndarray of shape (n_rows,) or None
        The target (float64), when one was asked for.
    weight : ndarray of shape (n_rows,) or None
        Sample weights (float64), when a weight column was asked for.
    feature_names : list of str
        One name per column of ``X`` (``column=value`` for a category).
    categories : dict of str to list of str
        The categories of each categorical column, in the order of their features.
    kept : dict of str to pyarrow.ChunkedArray
        Columns asked to be kept (``keep``), as read (CSV: text exactly as in the file).
    path : str
        The file, for messages.
    positional : bool
        True when the file names no columns (``.npy``: the names are indices).
    """

    X: np.ndarray
    y: np.ndarray | None
    weight: np.ndarray | None
    feature_names: list[str]
    categories: dict[str, list[str]]
    kept: dict[str, Any]
    path: str
    positional: bool = False

    @property
    def n_rows(self) -> int:
        """Number of data rows.

        Returns
        -------
        int
            The number of rows of ``X``.
        """
        return int(self.X.shape[0])


@dataclass
class Source:
    """A data file (or standard input) opened far enough to know its columns.

    Made by :func:`open_source`.

    Attributes
    ----------
    path : str
        As given (``"-"`` for standard input).
    fmt : {"csv", "parquet", "npy", "npz"}
    names : list of str
        The columns, in file order.
    n_rows : int or None
        Rows, when the file's metadata says (Parquet, ``.npy``, ``.npz``).
    compression : str or None
        The codec of a compressed CSV file.
    sep : str
        The CSV separator.
    types : dict of str to pyarrow.DataType
        Column types, for Parquet.
    """

    path: str
    fmt: str
    names: list[str]
    n_rows: int | None = None
    compression: str | None = None
    sep: str = ","
    types: dict[str, Any] = field(default_factory=dict)
    _stream: Any = None
    _rest: bytes = b""
    _matrix: Any = None

    @property
    def label(self) -> str:
        """The file's name in messages.

        Returns
        -------
        str
            ``"<stdin>"`` for standard input, else the path as given.
        """
        return "<stdin>" if self.path == "-" else self.path


def detect_format(path: str, fmt: str | None = None) -> tuple[str, str | None]:
    """Return the format and the compression of a data file, from ``fmt`` or its suffixes.

    Parameters
    ----------
    path : str
        The file, or ``"-"`` for standard input.
    fmt : str, optional
        ``"csv"``, ``"tsv"``, ``"parquet"``, ``"npy"`` or ``"npz"``, optionally followed by a
        compression (``"csv.gz"``); required for standard input.

    Returns
    -------
    (str, str or None)
        The format (``"csv"``, ``"tsv"``, ``"parquet"``, ``"npy"``, ``"npz"``) and the codec.

    Raises
    ------
    DataError
        For an unknown suffix or format.
    """
    known = ", ".join(sorted(FORMATS))
    zipped = ", ".join(sorted(COMPRESSIONS))
    if fmt is not None:
        name = "." + fmt.lower().lstrip(".")
    elif path == "-":
        raise DataError("reading standard input (-) needs --format csv, tsv or parquet")
    else:
        name = Path(path).name.lower()
    compression = None
    for suffix, codec in COMPRESSIONS.items():
        if name.endswith(suffix):
            compression, name = codec, name[: -len(suffix)]
            break
    kind = FORMATS.get(Path(name).suffix if fmt is None else name)
    if kind is None:
        what = f"format {fmt!r}" if fmt is not None else f"file type {Path(path).suffix!r}"
        raise DataError(
            f"{path}: unsupported {what} (expected one of {known}, CSV optionally compressed "
            f"as {zipped})"
        )
    if compression is not None and kind not in ("csv", "tsv"):
        raise DataError(f"{path}: only CSV files can be read compressed, not {kind}")
    return kind, compression


def open_source(
    path: str | os.PathLike[str], *, fmt: str | None = None, sep: str | None = None
) -> Source:
    r"""Open a data file and read its column names (a CSV header, a Parquet schema).

    Parameters
    ----------
    path : str or path-like
        The file, or ``"-"`` for standard input.
    fmt : str, optional
        The format, when the suffix does not say it (see :func:`detect_format`).
    sep : str, optional
        The CSV separator: one character (``"\\t"`` for tab); by default ``","``, or tab for
        ``.tsv``.

    Returns
    -------
    Source
        The file's format and column names, ready for :func:`read_data`.

    Raises
    ------
    DataError
        If the file is missing or unreadable, has no header, or has duplicate or empty
        column names.
    """
    path = os.fspath(path)
    kind, compression = detect_format(path, fmt)
    if path != "-" and not Path(path).is_file():
        raise DataError(f"{path}: no such file")
    if kind in ("csv", "tsv"):
        separator = sep if sep is not None else ("\t" if kind == "tsv" else ",")
        if len(separator) != 1 or separator in '\r\n"':
            raise DataError(
                f"--sep must be one character other than a quote or newline, got {sep!r}"
            )
        return _open_csv(path, compression, separator)
    if sep is not None:
        raise DataError(f"{path}: --sep applies to CSV files, not {kind}")
    if kind == "parquet":
        return _open_parquet(path)
    if path == "-":
        raise DataError(f"{kind} files cannot be read from standard input")
    matrix, names, positional = _read_npy(Path(path)) if kind == "npy" else _read_npz(Path(path))
    source = Source(path, kind, names, n_rows=matrix.shape[0])
    source._matrix = (matrix, positional)
    return source


def _import_pyarrow(path: str, what: str):
    try:
        import pyarrow
    except ImportError:
        raise DataError(
            f"{path}: reading {what} needs pyarrow; install it with: pip install 'fastlinreg[io]'"
        ) from None
    return pyarrow


def _byte_stream(path: str, compression: str | None) -> Any:
    """Return a pyarrow input stream of the file's (decompressed) bytes."""
    pa = _import_pyarrow(path, "CSV")
    if compression == "xz":
        import lzma

        return pa.PythonFile(lzma.open(sys.stdin.buffer if path == "-" else path), mode="r")
    if path == "-":
        stream = pa.PythonFile(sys.stdin.buffer, mode="r")
        return stream if compression is None else pa.CompressedInputStream(stream, compression)
    return pa.input_stream(path, compression=compression)


def _open_csv(path: str, compression: str | None, sep: str) -> Source:
    label = "<stdin>" if path == "-" else path
    try:
        stream = _byte_stream(path, compression)
        head = b""
        while True:
            chunk = stream.read(1 << 16)
            head += chunk
            end = _header_end(head)
            if end is not None or not chunk:
                break
    except (OSError, EOFError) as exc:
        raise DataError(f"{label}: cannot read: {_first_line(exc)}") from exc
    if not head.strip():
        raise DataError(f"{label}: cannot read as CSV: the file is empty")
    end = len(head) if end is None else end
    try:
        line = head[:end].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{label}: cannot read as CSV: the header is not UTF-8 text") from exc
    names = next(csv.reader([line.rstrip("\r\n")], delimiter=sep))
    _check_names(label, names)
    return Source(
        path, "csv", names, compression=compression, sep=sep, _stream=stream, _rest=head[end:]
    )


def _header_end(head: bytes) -> int | None:
    """Index just past the header line (a newline outside quotes), if ``head`` holds it."""
    start = 0
    while True:
        at = head.find(b"\n", start)
        if at < 0:
            return None
        if head.count(b'"', 0, at) % 2 == 0:
            return at + 1
        start = at + 1


def _check_names(label: str, names: list[str]) -> None:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        shown = ", ".join(repr(n) for n in duplicates)
        raise DataError(f"{label}: duplicate column names {shown}: every column needs its own name")
    empty = [j + 1 for j, n in enumerate(names) if n == ""]
    if empty:
        raise DataError(f"{label}: column {empty[0]} has no name in the header")


def _open_parquet(path: str) -> Source:
    pa = _import_pyarrow(path, "Parquet")
    import pyarrow.parquet as pq

    label = "<stdin>" if path == "-" else path
    try:
        # Parquet keeps its metadata at the end, so standard input is read into memory first.
        handle = pa.BufferReader(sys.stdin.buffer.read()) if path == "-" else path
        parquet = pq.ParquetFile(handle, pre_buffer=False, buffer_size=1 << 18)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{label}: cannot read as Parquet: {_first_line(exc)}") from exc
    schema = parquet.schema_arrow
    names = list(schema.names)
    _check_names(label, names)
    types = {f.name: f.type for f in schema}
    return Source(
        path, "parquet", names, n_rows=parquet.metadata.num_rows, types=types, _stream=parquet
    )


def read_data(
    source: Source,
    *,
    target: str | None = None,
    features: Sequence[str] | None = None,
    weight: str | None = None,
    categorical: Sequence[str] = (),
    categories: dict[str, list[str]] | None = None,
    unknown: str = "error",
    keep: Sequence[str] = (),
    dtype: Any = np.float64,
) -> Dataset:
    """Read the columns of a fit or a prediction from an opened source.

    A source is read once (standard input cannot be read twice).

    Parameters
    ----------
    source : Source
        From :func:`open_source`.
    target : str, optional
        The column to predict.
    features : sequence of str, optional
        Feature columns, in this order; by default every column but ``target``, ``weight``
        and ``keep``.
    weight : str, optional
        A column of sample weights.
    categorical : sequence of str, default=()
        Feature columns to one-hot encode, with the categories found in the file.
    categories : dict of str to list of str, optional
        Feature columns to one-hot encode with these categories (those of a fitted model).
    unknown : {"error", "zero"}, default="error"
        With ``categories``: a value outside them raises :class:`DataError`, or gives an
        all-zero row in that column's features.
    keep : sequence of str, default=()
        Columns returned as read, in :attr:`Dataset.kept`.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Storage of ``X``.

    Returns
    -------
    Dataset
        ``X``, ``y`` and weights as arrays, with the feature names and categories.

    Raises
    ------
    DataError
        For an unknown, non-numeric or non-finite column or cell, or an unknown category.
    """
    label = source.label
    dtype = np.dtype(dtype)
    names = source.names
    fixed = dict(categories or {})
    coded = list(categorical) + [c for c in fixed if c not in categorical]
    special = [c for c in (target, weight) if c is not None]
    wanted = (
        list(features)
        if features is not None
        else [n for n in names if n not in special and n not in keep]
    )
    for option, columns in (
        ("--target", special[:1] if target else []),
        ("--weight", [weight] if weight else []),
        ("--features", wanted),
        ("--categorical", coded),
        ("--keep", list(keep)),
    ):
        missing = [c for c in columns if c not in names]
        if missing:
            raise DataError(
                f"{label}: no column {missing[0]!r}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + f"; the columns are {_preview(names)}"
            )
        if option == "--categorical":
            outside = [c for c in columns if c not in wanted]
            if outside:
                raise DataError(f"--categorical {outside[0]!r} is not among the feature columns")
    for column in special:
        if column in wanted:
            raise DataError(
                f"{label}: the column {column!r} cannot be both a feature and the target or weight"
            )
    if weight is not None and weight == target:
        raise DataError(f"{label}: the weight column cannot be the target")
    if not wanted:
        raise DataError(f"{label}: no feature columns besides the target {target!r}")
    numeric = [c for c in wanted if c not in coded] + special
    if source.fmt in ("npy", "npz"):
        if coded:
            raise DataError(f"{label}: {source.fmt} files hold numbers only; nothing to encode")
        return _from_matrix(source, wanted, target, weight, keep, dtype)
    if source.fmt == "parquet":
        for column in numeric:
            _check_parquet_type(label, column, source.types[column], column in coded)
        for column in coded:
            _check_parquet_type(label, column, source.types[column], True)
    return _read_batches(source, wanted, coded, fixed, unknown, target, weight, list(keep), dtype)


def _check_parquet_type(label: str, column: str, type_: Any, categorical: bool) -> None:
    import pyarrow as pa

    value = type_.value_type if pa.types.is_dictionary(type_) else type_
    text = pa.types.is_string(value) or pa.types.is_large_string(value)
    number = (
        pa.types.is_integer(value)
        or pa.types.is_floating(value)
        or pa.types.is_boolean(value)
        or pa.types.is_decimal(value)
    )
    if categorical and (text or pa.types.is_integer(value) or pa.types.is_boolean(value)):
        return
    if not categorical and number:
        return
    if categorical:
        raise DataError(
            f"{label}: column {column!r} (type {type_}) cannot be categorical: only text, "
            "integer or boolean columns can"
        )
    if text:
        raise DataError(
            f"{label}: column {column!r} is text (type {type_}); one-hot encode it with "
            f"--categorical {column}, or leave it out with --features"
        )
    what = "a date or time" if pa.types.is_temporal(value) else "not numeric"
    raise DataError(
        f"{label}: column {column!r} is {what} (type {type_}); fastlinreg reads numbers only: "
        "convert it to a number or leave it out with --features"
    )


class _Rows:
    """A growing array of rows whose storage is extended in place.

    ``ndarray.resize`` reallocates the buffer; for large arrays the C library moves the pages
    (``mremap`` on Linux) instead of copying them, so growing never holds two copies.
    """

    def __init__(self, width: int | None, dtype: Any, capacity: int):
        self.shape_tail = () if width is None else (width,)
        self.array = np.empty((max(capacity, 1), *self.shape_tail), dtype=dtype)
        self.n = 0

    def take(self, m: int) -> np.ndarray:
        """Return a view of the next ``m`` rows, growing the storage when needed.

        Parameters
        ----------
        m : int
            Number of rows to take.

        Returns
        -------
        ndarray of shape (m,) or (m, width)
            A writable view of the rows taken.
        """
        need = self.n + m
        if need > self.array.shape[0]:
            grown = max(need, self.array.shape[0] + self.array.shape[0] // 2 + 1024)
            self.array.resize((grown, *self.shape_tail), refcheck=False)
        view = self.array[self.n : need]
        self.n = need
        return view

    def finish(self) -> np.ndarray:
        """Return the array, trimmed to the rows taken.

        Returns
        -------
        ndarray of shape (n,) or (n, width)
            The storage, resized in place to the ``n`` rows taken.
        """
        if self.array.shape[0] != self.n:
            self.array.resize((self.n, *self.shape_tail), refcheck=False)
        return self.array


class _Encoder:
    """Category codes of one column, batch by batch, for categories found or given."""

    def __init__(self, column: str, given: list[str] | None, capacity: int):
        self.column = column
        self.given = given
        self.index: dict[str, int] = {v: i for i, v in enumerate(given or [])}
        self.codes = _Rows(None, np.int32, capacity)

    def add(self, array: Any, label: str, row0: int, unknown: str) -> None:
        """Append the category codes of one batch of the column.

        Parameters
        ----------
        array : pyarrow.Array
            The batch's values of the column (text, integers, booleans or dictionary-encoded).
        label : str
            The file's name, for messages.
        row0 : int
            Data row (from 0) of the batch's first value, for messages.
        unknown : {"error", "zero"}
            With given categories: raise :class:`DataError` for a value outside them, or
            give it code -1 (an all-zero row).
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        if not (pa.types.is_string(array.type) or pa.types.is_dictionary(array.type)):
            array = pc.cast(array, pa.string())
        encoded = array if pa.types.is_dictionary(array.type) else pc.dictionary_encode(array)
        values = [str(v) for v in encoded.dictionary.to_pylist()]
        mapping = np.empty(len(values), dtype=np.int32)
        for i, value in enumerate(values):
            code = self.index.get(value)
            if code is None and self.given is None:
                code = self.index[value] = len(self.index)
            elif code is None:
                if unknown == "error":
                    first = values.index(value)
                    row = int(
                        np.flatnonzero(_view(encoded.indices, pa.int32(), np.int32) == first)[0]
                    )
                    raise DataError(
                        f"{label}: column {self.column!r} holds {value!r} at data row "
                        f"{row0 + row + 1}, a category the model was not fitted with (it "
                        f"knows {_preview(list(self.given or []))}); pass --unknown-category "
                        "zero to give such rows all-zero features"
                    )
                code = -1
            mapping[i] = code
        indices = _view(encoded.indices, pa.int32(), np.int32)
        self.codes.take(len(indices))[:] = mapping[indices]

    def finish(self) -> tuple[np.ndarray, list[str]]:
        """Return the codes and the categories, sorted when they were found in the file.

        Returns
        -------
        codes : ndarray of shape (n_rows,), int32
            Index of each row's category, -1 for an unknown one.
        categories : list of str
            The categories, in code order.
        """
        codes = self.codes.finish()
        if self.given is not None:
            return codes, list(self.given)
        found = sorted(self.index)
        remap = np.empty(len(found), dtype=np.int32)
        for new, value in enumerate(found):
            remap[self.index[value]] = new
        return remap[codes], found


def _batches(source: Source, columns: list[str], types: dict[str, Any]) -> Iterator[Any]:
    """Yield the source's record batches of ``columns`` (CSV: converted as ``types`` says)."""
    import pyarrow as pa

    if source.fmt == "parquet":
        try:
            yield from source._stream.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns)
        except pa.ArrowException as exc:
            raise DataError(f"{source.label}: cannot read as Parquet: {_first_line(exc)}") from exc
        finally:
            source._stream.close()
        return
    import pyarrow.csv as pacsv

    stream = _Chained(source._rest, source._stream)
    options = pacsv.ReadOptions(column_names=source.names, block_size=CSV_BLOCK_BYTES)
    parse = pacsv.ParseOptions(delimiter=source.sep)
    convert = pacsv.ConvertOptions(include_columns=columns, column_types=types)
    try:
        with pacsv.open_csv(
            stream, read_options=options, parse_options=parse, convert_options=convert
        ) as reader:
            yield from reader
    except pa.ArrowInvalid as exc:
        if str(exc).startswith("Empty CSV file"):
            return  # a header and no rows
        raise DataError(_csv_problem(source, exc)) from exc
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise DataError(f"{source.label}: cannot read as CSV: {_first_line(exc)}") from exc
    finally:
        if source.path != "-":  # standard input stays open, as it was found
            source._stream.close()


class _Chained(io.RawIOBase):
    """The bytes read past the header, then the rest of the stream: one file for pyarrow."""

    def __init__(self, head: bytes, stream: Any):
        self.head = memoryview(head)
        self.stream = stream

    def readable(self) -> bool:
        """Say that the stream can be read.

        Returns
        -------
        bool
            Always True.
        """
        return True

    def readinto(self, buffer: Any) -> int:
        """Read bytes into ``buffer``: first those past the header, then from the stream.

        Parameters
        ----------
        buffer : writable bytes-like object
            Where the bytes go.

        Returns
        -------
        int
            Number of bytes read; 0 at the end of the stream.
        """
        if len(self.head):
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        chunk = self.stream.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


_CONVERSION = re.compile(
    r"In CSV column #(\d+): .*?CSV conversion error to (\w+): invalid value '(.*)'"
)


def _csv_problem(source: Source, exc: BaseException) -> str:
    """Name the column (and the value) of a CSV cell pyarrow could not convert."""
    text = _first_line(exc)
    match = _CONVERSION.search(text)
    if match is None:
        return f"{source.label}: cannot read as CSV: {text}"
    column, value = source.names[int(match.group(1))], match.group(3)
    row = _find_cell(source, column, value)
    where = "" if row is None else f" at data row {_row_text(row, True)}"
    return (
        f"{source.label}: column {column!r} is not numeric: it holds {value!r}{where}; "
        f"one-hot encode it with --categorical {column}, or leave it out with --features"
    )


def _find_cell(source: Source, column: str, value: str) -> int | None:
    """Return the first data row where ``column`` holds ``value``: one more read of the file.

    pyarrow names the column and the value that failed to convert, not the row. Standard
    input cannot be read again, so there the row stays unknown (None).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if source.path == "-":
        return None
    again = _open_csv(source.path, source.compression, source.sep)
    row = 0
    for batch in _batches(again, [column], {column: pa.string()}):
        at = pc.index(batch.column(0), value).as_py()
        if at >= 0:
            return row + at
        row += batch.num_rows
    return None


def _read_batches(
    source: Source,
    wanted: list[str],
    coded: list[str],
    fixed: dict[str, list[str]],
    unknown: str,
    target: str | None,
    weight: str | None,
    keep: list[str],
    dtype: np.dtype,
) -> Dataset:
    import pyarrow as pa

    label = source.label
    numeric = [c for c in wanted if c not in coded]
    columns = list(dict.fromkeys([*wanted, *(c for c in (target, weight) if c), *keep]))
    types: dict[str, Any] = {}
    if source.fmt == "csv":
        types = {c: pa.string() for c in [*coded, *keep]}
        types.update(
            {
                c: pa.float64()
                for c in [*numeric, *(c for c in (target, weight) if c)]
                if c not in keep
            }
        )
    capacity = source.n_rows if source.n_rows is not None else 65536
    X = _Rows(len(numeric), dtype, capacity)
    y = _Rows(None, np.float64, capacity) if target else None
    w = _Rows(None, np.float64, capacity) if weight else None
    encoders = {c: _Encoder(c, fixed.get(c), capacity) for c in coded}
    kept: dict[str, list[Any]] = {c: [] for c in keep}
    row = 0
    for batch in _batches(source, columns, types):
        m = batch.num_rows
        block = X.take(m)
        for j, name in enumerate(numeric):
            block[:, j] = _numbers(batch.column(name), name, label, row, source.fmt == "csv")
        if y is not None and target is not None:
            y.take(m)[:] = _numbers(batch.column(target), target, label, row, source.fmt == "csv")
        if w is not None and weight is not None:
            values = _numbers(batch.column(weight), weight, label, row, source.fmt == "csv")
            if np.any(values < 0):
                bad = int(np.flatnonzero(values < 0)[0])
                raise DataError(
                    f"{label}: weight column {weight!r} is negative at data row "
                    f"{_row_text(row + bad, source.fmt == 'csv')}"
                )
            w.take(m)[:] = values
        for name, encoder in encoders.items():
            column = batch.column(name)
            if column.null_count:
                _null_error(column, name, label, row, source.fmt == "csv")
            encoder.add(column, label, row, unknown)
        for name in keep:
            kept[name].append(batch.column(name))
        row += m
    if row == 0:
        raise DataError(f"{label}: the file has no data rows")
    matrix = X.finish()
    names = list(numeric)
    found: dict[str, list[str]] = {}
    if coded:
        matrix, names, found = _expand(matrix, numeric, wanted, encoders, dtype)
    return Dataset(
        X=matrix,
        y=None if y is None else y.finish(),
        weight=None if w is None else w.finish(),
        feature_names=names,
        categories=found,
        kept={c: pa.chunked_array(parts, type=parts[0].type) for c, parts in kept.items()},
        path=label,
    )


def _expand(
    numbers: np.ndarray,
    numeric: list[str],
    wanted: list[str],
    encoders: dict[str, _Encoder],
    dtype: np.dtype,
) -> tuple[np.ndarray, list[str], dict[str, list[str]]]:
    """Lay out numeric and one-hot columns in feature order, in a new matrix."""
    codes = {c: e.finish() for c, e in encoders.items()}
    width = len(numeric) + sum(len(cats) for _, cats in codes.values())
    X = np.zeros((numbers.shape[0], width), dtype=dtype)
    names: list[str] = []
    found: dict[str, list[str]] = {}
    position = {c: j for j, c in enumerate(numeric)}
    for column in wanted:
        if column in position:
            X[:, len(names)] = numbers[:, position[column]]
            names.append(column)
            continue
        code, cats = codes[column]
        start = len(names)
        rows = np.flatnonzero(code >= 0)
        X[rows, start + code[rows]] = 1
        names.extend(one_hot_name(column, v) for v in cats)
        found[column] = cats
    return X, names, found


def _null_error(column: Any, name: str, label: str, row0: int, csv_lines: bool) -> None:
    import pyarrow.compute as pc

    first = int(pc.index(column.is_null(), True).as_py())
    raise DataError(
        f"{label}: column {name!r} has an empty or NaN cell at data row "
        f"{_row_text(row0 + first, csv_lines)}"
    )


def _view(array: Any, arrow_type: Any, dtype: Any) -> np.ndarray:
    """Return a null-free pyarrow array's values as NumPy, cast first if needed.

    The buffer is read directly: pyarrow's own ``to_numpy`` imports pandas.
    """
    import pyarrow.compute as pc

    if array.type != arrow_type:
        array = pc.cast(array, arrow_type)
    item = np.dtype(dtype).itemsize
    return np.frombuffer(
        array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * item
    )


def _numbers(column: Any, name: str, label: str, row0: int, csv_lines: bool) -> np.ndarray:
    """Return a batch's column as finite float64 numbers (refusing nulls, NaN and infinity)."""
    import pyarrow as pa

    if column.null_count:
        _null_error(column, name, label, row0, csv_lines)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    values = _view(column, pa.float64(), np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        what = "an empty or NaN cell" if np.isnan(values[bad]) else f"the value {values[bad]}"
        raise DataError(
            f"{label}: column {name!r} has {what} at data row {_row_text(row0 + bad, csv_lines)}"
        )
    return values


def _from_matrix(
    source: Source,
    wanted: list[str],
    target: str | None,
    weight: str | None,
    keep: Sequence[str],
    dtype: np.dtype,
) -> Dataset:
    matrix, positional = source._matrix
    index = {n: j for j, n in enumerate(source.names)}

    def columns(names: list[str]) -> np.ndarray:
        """Return the named columns of the matrix, refusing non-finite values.

        Parameters
        ----------
        names : list of str
            Columns to take, in this order.

        Returns
        -------
        ndarray of shape (n_rows, len(names))
            A copy of those columns, in the file's dtype.
        """
        out = matrix[:, [index[n] for n in names]]
        finite = np.isfinite(out)
        if not finite.all():
            col = int(np.flatnonzero(~finite.all(axis=0))[0])
            row = int(np.flatnonzero(~finite[:, col])[0])
            value = out[row, col]
            what = "an empty or NaN cell" if np.isnan(value) else f"the value {value}"
            raise DataError(
                f"{source.label}: column {names[col]!r} has {what} at data row {row + 1}"
            )
        return out

    if matrix.shape[0] == 0:
        raise DataError(f"{source.label}: the file has no data rows")
    X = np.ascontiguousarray(columns(wanted), dtype=dtype)
    y = columns([target])[:, 0].astype(np.float64) if target else None
    w = columns([weight])[:, 0].astype(np.float64) if weight else None
    import_kept: dict[str, Any] = {}
    if keep:
        pa = _import_pyarrow(source.label, "kept columns")
        import_kept = {c: pa.chunked_array([matrix[:, index[c]]]) for c in keep}
    return Dataset(X, y, w, list(wanted), {}, import_kept, source.label, positional=positional)


def _read_npy(p: Path) -> tuple[np.ndarray, list[str], bool]:
    try:
        array = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{p}: cannot read as .npy: {_first_line(exc)}") from exc
    _check_numeric(array, p, "the array")
    if array.ndim != 2:
        raise DataError(f"{p}: expected a 2-D array, got shape {array.shape}")
    return array, [str(j) for j in range(array.shape[1])], True


def _read_npz(p: Path) -> tuple[np.ndarray, list[str], bool]:
    try:
        archive = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{p}: cannot read as .npz: {_first_line(exc)}") from exc
    columns: list[np.ndarray] = []
    names: list[str] = []
    with archive:
        for key in archive.files:
            try:
                array = archive[key]
            except (ValueError, OSError, zipfile.BadZipFile) as exc:
                raise DataError(f"{p}: cannot read array {key!r}: {_first_line(exc)}") from exc
            _check_numeric(array, p, f"array {key!r}")
            if array.ndim == 1:
                columns.append(array[:, None])
                names.append(key)
            elif array.ndim == 2:
                columns.append(array)
                names.extend(f"{key}[{j}]" for j in range(array.shape[1]))
            else:
                raise DataError(f"{p}: array {key!r} must be 1-D or 2-D, got shape {array.shape}")
    lengths = {c.shape[0] for c in columns}
    if len(lengths) > 1:
        raise DataError(f"{p}: the arrays have different lengths {sorted(lengths)}")
    if not columns:
        raise DataError(f"{p}: the archive holds no arrays")
    return np.hstack(columns), names, False


def _check_numeric(array: np.ndarray, p: Path, what: str) -> None:
    if array.dtype.kind not in "biuf":
        raise DataError(f"{p}: {what} is not numeric (dtype {array.dtype})")


def _row_text(row: int, csv_lines: bool) -> str:
    text = str(row + 1)
    if csv_lines:
        text += f" (line {row + 2} of the file)"
    return text


def _preview(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}] ({len(names)} in all)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

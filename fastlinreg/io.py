"""Reading data files into float arrays: CSV, Parquet, ``.npy`` and ``.npz``.

A file is read whole into a :class:`Table`: a float64 matrix with one name per column. CSV and
Parquet columns keep their header names; an ``.npz`` archive contributes its 1-D arrays as
columns named by their keys and the columns of a 2-D array ``key`` as ``key[0]``, ``key[1]``, …;
an ``.npy`` file holds a 2-D array whose columns are named by their index ``0``, ``1``, ….

Every problem a person can fix (missing file, unknown format, unknown column, non-numeric
column, missing or NaN cell) raises :class:`DataError` with a message that names the file, the
column and, for bad cells, the first data row (counted from 1, header excluded).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FORMATS", "DataError", "Table", "read_table", "select_columns"]

#: File suffixes understood by :func:`read_table`, mapped to a format name.
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".npy": "npy", ".npz": "npz"}


class DataError(ValueError):
    """A data file that cannot be used as asked; the message says what to fix."""


@dataclass
class Table:
    """A data file read into memory.

    Attributes
    ----------
    data : ndarray of shape (n_rows, n_columns), float64
        The numeric columns (non-numeric columns are kept as NaN placeholders until selected;
        see ``bad_columns``).
    names : list of str
        One name per column of ``data``.
    path : str
        The file the table was read from, for messages.
    positional : bool
        True when the names are only column indices (``.npy``), False when the file names them.
    bad_columns : dict of str to str
        Columns that cannot be converted to numbers, mapped to the reason; selecting one raises
        :class:`DataError`.
    line_offset : int
        Difference between a data row number and its line in the file (1 for CSV with a
        header, 0 otherwise), for messages.
    """

    data: np.ndarray
    names: list[str]
    path: str
    positional: bool = False
    bad_columns: dict[str, str] | None = None
    line_offset: int = 0

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return int(self.data.shape[0])


def read_table(path: str | os.PathLike[str]) -> Table:
    """Read a whole CSV, Parquet, ``.npy`` or ``.npz`` file.

    Parameters
    ----------
    path : str or path-like
        The file; its suffix selects the format (see :data:`FORMATS`).

    Returns
    -------
    Table

    Raises
    ------
    DataError
        If the file is missing, has an unknown suffix, cannot be parsed, or has no data rows.
    """
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise DataError(f"{p}: unsupported file type {p.suffix!r} (expected one of {known})")
    if not p.is_file():
        raise DataError(f"{p}: no such file")
    readers = {"csv": _read_csv, "parquet": _read_parquet, "npy": _read_npy, "npz": _read_npz}
    table = readers[fmt](p)
    if table.n_rows == 0:
        raise DataError(f"{p}: the file has no data rows")
    return table


def _import_pandas(p: Path, fmt: str):
    try:
        import pandas as pd
    except ImportError:
        raise DataError(
            f"{p}: reading {fmt} needs pandas; install it with: pip install 'fastlinreg[io]'"
        ) from None
    return pd


def _read_csv(p: Path) -> Table:
    pd = _import_pandas(p, "CSV")
    try:
        frame = pd.read_csv(p, low_memory=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{p}: cannot read as CSV: {_first_line(exc)}") from exc
    return _table_from_frame(frame, p, line_offset=1)


def _read_parquet(p: Path) -> Table:
    pd = _import_pandas(p, "Parquet")
    try:
        frame = pd.read_parquet(p)
    except ImportError:
        raise DataError(
            f"{p}: reading Parquet needs pyarrow; install it with: pip install 'fastlinreg[io]'"
        ) from None
    except (ValueError, OSError) as exc:
        raise DataError(f"{p}: cannot read as Parquet: {_first_line(exc)}") from exc
    return _table_from_frame(frame, p, line_offset=0)


def _table_from_frame(frame, p: Path, line_offset: int) -> Table:
    """Convert a pandas DataFrame column by column, remembering which columns are not numeric."""
    import pandas as pd

    names = [str(c) for c in frame.columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(f"{p}: duplicate column names {duplicates}")
    data = np.empty((len(frame), len(names)), dtype=np.float64, order="F")
    bad: dict[str, str] = {}
    for j, name in enumerate(names):
        column = frame.iloc[:, j]
        if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
            data[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        data[:, j] = np.nan
        bad[name] = _non_numeric_reason(column, line_offset)
    return Table(data, names, str(p), bad_columns=bad, line_offset=line_offset)


def _non_numeric_reason(column, line_offset: int) -> str:
    """Describe the first cell of a non-numeric column that is not a number."""
    import pandas as pd

    converted = pd.to_numeric(column, errors="coerce")
    offending = np.flatnonzero(converted.isna().to_numpy() & column.notna().to_numpy())
    if offending.size == 0:
        return f"is not numeric (dtype {column.dtype})"
    row = int(offending[0])
    return f"is not numeric: data row {_row_text(row, line_offset)} holds {column.iloc[row]!r}"


def _read_npy(p: Path) -> Table:
    try:
        array = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{p}: cannot read as .npy: {_first_line(exc)}") from exc
    array = _numeric_array(array, p, "the array")
    if array.ndim != 2:
        raise DataError(f"{p}: expected a 2-D array, got shape {array.shape}")
    names = [str(j) for j in range(array.shape[1])]
    return Table(_as_float64(array), names, str(p), positional=True)


def _read_npz(p: Path) -> Table:
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
            array = _numeric_array(array, p, f"array {key!r}")
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
    return Table(_as_float64(np.hstack(columns)), names, str(p))


def _numeric_array(array: np.ndarray, p: Path, what: str) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise DataError(f"{p}: {what} is not numeric (dtype {array.dtype})")
    return array


def _as_float64(array: np.ndarray) -> np.ndarray:
    return np.asarray(array, dtype=np.float64)


def select_columns(table: Table, names: list[str]) -> np.ndarray:
    """Return the named columns as a float64 matrix, checked for non-numeric and missing cells.

    Parameters
    ----------
    table : Table
    names : list of str
        Columns to take, in this order.

    Returns
    -------
    ndarray of shape (table.n_rows, len(names)), float64

    Raises
    ------
    DataError
        Naming the first unknown column, the first non-numeric column, or the first column with
        a missing, NaN or infinite cell (and that cell's data row).
    """
    index = {name: j for j, name in enumerate(table.names)}
    missing = [name for name in names if name not in index]
    if missing:
        raise DataError(
            f"{table.path}: no column {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + f"; the columns are {_preview(table.names)}"
        )
    bad = table.bad_columns or {}
    for name in names:
        if name in bad:
            raise DataError(f"{table.path}: column {name!r} {bad[name]}")
    out = table.data[:, [index[name] for name in names]]
    finite = np.isfinite(out)
    if not finite.all():
        col = int(np.flatnonzero(~finite.all(axis=0))[0])
        row = int(np.flatnonzero(~finite[:, col])[0])
        value = out[row, col]
        what = "an empty or NaN cell" if np.isnan(value) else f"the value {value}"
        raise DataError(
            f"{table.path}: column {names[col]!r} has {what} at data row "
            f"{_row_text(row, table.line_offset)}"
        )
    return np.ascontiguousarray(out)


def _row_text(row: int, line_offset: int) -> str:
    text = str(row + 1)
    if line_offset:
        text += f" (line {row + 1 + line_offset} of the file)"
    return text


def _preview(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}] ({len(names)} in all)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

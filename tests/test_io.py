"""Reading CSV, Parquet, .npy and .npz files, and the errors a person can act on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fastlinreg.io import DataError, read_table, select_columns


@pytest.fixture
def frame(rng):
    X = rng.normal(size=(30, 3))
    return pd.DataFrame(
        {"a b": X[:, 0], "c,d;e": X[:, 1], "price ($)": X[:, 2], "n": np.arange(30)}
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_named_formats_keep_names_and_values(tmp_path, frame, suffix):
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    table = read_table(path)
    assert table.names == list(frame.columns)
    assert not table.positional
    got = select_columns(table, ["price ($)", "a b", "n"])
    np.testing.assert_array_equal(got, frame[["price ($)", "a b", "n"]].to_numpy(float))
    assert got.flags.c_contiguous


def test_npy_columns_are_named_by_index(tmp_path, rng):
    data = rng.normal(size=(10, 3)).astype(np.float32)
    np.save(tmp_path / "d.npy", data)
    table = read_table(tmp_path / "d.npy")
    assert table.names == ["0", "1", "2"] and table.positional
    np.testing.assert_array_equal(select_columns(table, ["2", "0"]), data[:, [2, 0]])


def test_npz_names_arrays_by_key(tmp_path, rng):
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 5, size=10)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    table = read_table(tmp_path / "d.npz")
    assert table.names == ["X[0]", "X[1]", "y"]
    np.testing.assert_array_equal(select_columns(table, ["y", "X[1]"]), np.c_[y, X[:, 1]])


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nothere\.csv: no such file"):
        read_table(tmp_path / "nothere.csv")


def test_unknown_suffix(tmp_path):
    (tmp_path / "d.txt").write_text("a\n1\n")
    with pytest.raises(DataError, match=r"unsupported file type '\.txt'"):
        read_table(tmp_path / "d.txt")


@pytest.mark.parametrize("suffix", [".parquet", ".npy", ".npz"])
def test_unreadable_content(tmp_path, suffix):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(b"this is not a binary data file at all\n")
    with pytest.raises(DataError, match="cannot read as"):
        read_table(path)


def test_empty_csv(tmp_path):
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DataError, match="cannot read as CSV"):
        read_table(tmp_path / "e.csv")


def test_header_only_csv(tmp_path):
    (tmp_path / "h.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="no data rows"):
        read_table(tmp_path / "h.csv")


def test_object_npy_is_refused_without_unpickling(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"cannot read as \.npy"):
        read_table(tmp_path / "o.npy")


def test_npz_arrays_of_different_lengths(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((4, 2)), y=np.ones(3))
    with pytest.raises(DataError, match="different lengths"):
        read_table(tmp_path / "d.npz")


def test_unknown_column_is_named(tmp_path, frame):
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(DataError, match=r"no column 'price'; the columns are \['a b'"):
        select_columns(read_table(tmp_path / "d.csv"), ["a b", "price"])


def test_non_numeric_column_names_column_and_row(tmp_path):
    (tmp_path / "d.csv").write_text("x,label\n1,2\n3,4\n5,oops\n")
    table = read_table(tmp_path / "d.csv")
    with pytest.raises(DataError, match=r"column 'label' is not numeric: data row 3 \(line 4"):
        select_columns(table, ["x", "label"])
    np.testing.assert_array_equal(select_columns(table, ["x"])[:, 0], [1, 3, 5])


@pytest.mark.parametrize("cell", ["", "nan", "NaN"])
def test_missing_cell_names_column_and_first_row(tmp_path, cell):
    (tmp_path / "d.csv").write_text(f"x,y z\n1,2\n3,{cell}\n5,\n")
    with pytest.raises(DataError, match=r"column 'y z' has an empty or NaN cell at data row 2"):
        select_columns(read_table(tmp_path / "d.csv"), ["x", "y z"])


def test_nan_in_parquet_names_row(tmp_path):
    pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": [1, 2, 3]}).to_parquet(tmp_path / "d.parquet")
    with pytest.raises(DataError, match=r"column 'a' has an empty or NaN cell at data row 3$"):
        select_columns(read_table(tmp_path / "d.parquet"), ["b", "a"])


def test_infinite_value_is_reported(tmp_path):
    np.save(tmp_path / "d.npy", np.array([[1.0, 2.0], [np.inf, 1.0]]))
    with pytest.raises(DataError, match=r"column '0' has the value inf at data row 2"):
        select_columns(read_table(tmp_path / "d.npy"), ["0", "1"])

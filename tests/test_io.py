"""Reading CSV (any separator, compressed), Parquet, .npy and .npz files, and the errors a person
can act on."""

from __future__ import annotations

import bz2
import datetime
import decimal
import gzip
import lzma

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fastlinreg.io import DataError, detect_format, open_source, read_data


def read(path, **kwargs):
    source_options = {k: kwargs.pop(k) for k in ("fmt", "sep") if k in kwargs}
    return read_data(open_source(path, **source_options), **kwargs)


@pytest.fixture
def frame(rng):
    X = rng.normal(size=(30, 3))
    return pd.DataFrame(
        {"a b": X[:, 0], "c,d;e": X[:, 1], "price ($)": X[:, 2], "n": np.arange(30)}
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_named_formats_keep_names_and_values(tmp_path, frame, suffix, dtype):
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False, float_format="%.17g")
    else:
        frame.to_parquet(path)
    assert open_source(path).names == list(frame.columns)
    data = read(path, features=["price ($)", "a b"], target="n", dtype=dtype)
    expected = frame[["price ($)", "a b"]].to_numpy(float).astype(dtype)
    np.testing.assert_array_equal(data.X, expected)
    assert data.X.dtype == dtype and data.X.flags.c_contiguous
    np.testing.assert_array_equal(data.y, np.arange(30.0))
    assert data.feature_names == ["price ($)", "a b"] and not data.positional


def test_default_features_are_all_but_target_weight_and_kept(tmp_path):
    (tmp_path / "d.csv").write_text("id,a,w,b,y\nx1,1,1,2,3\nx2,2,2,3,4\n")
    data = read(tmp_path / "d.csv", target="y", weight="w", keep=["id"])
    assert data.feature_names == ["a", "b"]
    np.testing.assert_array_equal(data.weight, [1.0, 2.0])
    assert data.kept["id"].to_pylist() == ["x1", "x2"]


def _rows(n=200):
    return "a,b,y\n" + "".join(f"{i},{i % 7},{2 * i + 1}\n" for i in range(n))


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("d.csv.gz", gzip.compress),
        ("d.csv.bz2", bz2.compress),
        ("d.csv.xz", lzma.compress),
        ("d.csv.zst", lambda b: pa.compress(b, codec="zstd", asbytes=True)),
    ],
)
def test_compressed_csv(tmp_path, name, write):
    if name.endswith(".zst"):
        # pyarrow's zstd codec writes a bare frame that its own stream reader accepts.
        with pa.output_stream(tmp_path / name, compression="zstd") as out:
            out.write(_rows().encode())
    else:
        (tmp_path / name).write_bytes(write(_rows().encode()))
    data = read(tmp_path / name, target="y")
    np.testing.assert_array_equal(data.X[:, 0], np.arange(200.0))
    np.testing.assert_array_equal(data.y, 2 * np.arange(200.0) + 1)


@pytest.mark.parametrize(("name", "sep"), [("d.tsv", None), ("d.csv", ";"), ("d.txt.csv", "\t")])
def test_separators(tmp_path, name, sep):
    char = sep or "\t"
    (tmp_path / name).write_text(f"a{char}b{char}y\n1,5{char}2{char}3\n4{char}5{char}6\n")
    if sep == ";":
        # A semicolon file with decimal commas is refused by name, not misread.
        with pytest.raises(DataError, match=r"column 'a' is not numeric: it holds '1,5'"):
            read(tmp_path / name, target="y", sep=sep)
        (tmp_path / name).write_text("a;b;y\n1.5;2;3\n4;5;6\n")
    else:
        (tmp_path / name).write_text(_rows(2).replace(",", "\t"))
    data = read(tmp_path / name, target="y", sep=sep)
    assert data.feature_names == ["a", "b"] and data.n_rows == 2


def test_detect_format():
    assert detect_format("x.CSV.GZ") == ("csv", "gzip")
    assert detect_format("-", "tsv.zst") == ("tsv", "zstd")
    assert detect_format("data.pq") == ("parquet", None)
    with pytest.raises(DataError, match="needs --format"):
        detect_format("-")
    with pytest.raises(DataError, match="only CSV files can be read compressed"):
        detect_format("x.parquet.gz")


def test_duplicate_column_names_are_refused_by_name(tmp_path):
    (tmp_path / "d.csv").write_text("a,a,b,b,y\n1,2,3,4,5\n")
    with pytest.raises(DataError, match=r"duplicate column names 'a', 'b'"):
        open_source(tmp_path / "d.csv")
    pq.write_table(pa.table([[1.0], [2.0]], names=["x", "x"]), tmp_path / "d.parquet")
    with pytest.raises(DataError, match=r"duplicate column names 'x'"):
        open_source(tmp_path / "d.parquet")


def test_parquet_types_are_converted_or_refused_by_name(tmp_path):
    table = pa.table(
        {
            "i8": pa.array([1, 2, 3], pa.int8()),
            "u64": pa.array([4, 5, 6], pa.uint64()),
            "flag": pa.array([True, False, True]),
            "price": pa.array([decimal.Decimal(v) for v in ("1.25", "2.50", "3.75")]),
            "level": pa.array([0.5, 1.5, 0.5]).dictionary_encode(),
            "f16": pa.array(np.array([1, 2, 3], np.float16)),
            "when": pa.array([datetime.datetime(2026, 1, d) for d in (1, 2, 3)]),
            "day": pa.array([datetime.date(2026, 1, d) for d in (1, 2, 3)]),
            "name": pa.array(["a", "b", "a"]),
            "y": pa.array([1.0, 2.0, 3.0]),
        }
    )
    pq.write_table(table, tmp_path / "d.parquet")
    numbers = ["i8", "u64", "flag", "price", "level", "f16"]
    data = read(tmp_path / "d.parquet", target="y", features=numbers)
    np.testing.assert_array_equal(
        data.X, [[1, 4, 1, 1.25, 0.5, 1], [2, 5, 0, 2.5, 1.5, 2], [3, 6, 1, 3.75, 0.5, 3]]
    )
    for column, message in [
        ("when", r"column 'when' is a date or time \(type timestamp"),
        ("day", r"column 'day' is a date or time \(type date32"),
        ("name", r"column 'name' is text \(type string\); one-hot encode it with --categorical"),
    ]:
        with pytest.raises(DataError, match=message):
            read(tmp_path / "d.parquet", target="y", features=["i8", column])
    with pytest.raises(DataError, match="'when'"):
        read(tmp_path / "d.parquet", target="y")  # every column: refused by name, not skipped


def test_categorical_columns_are_one_hot_encoded_in_place(tmp_path):
    (tmp_path / "d.csv").write_text("a,colour,y\n1,red,1\n2,blue,2\n3,red,3\n4,green,4\n")
    data = read(tmp_path / "d.csv", target="y", categorical=["colour"])
    assert data.feature_names == ["a", "colour=blue", "colour=green", "colour=red"]
    assert data.categories == {"colour": ["blue", "green", "red"]}
    np.testing.assert_array_equal(data.X, [[1, 0, 0, 1], [2, 1, 0, 0], [3, 0, 0, 1], [4, 0, 1, 0]])
    (tmp_path / "new.csv").write_text("a,colour\n5,green\n6,violet\n")
    given = {"colour": ["blue", "green", "red"]}
    with pytest.raises(DataError, match=r"holds 'violet' at data row 2, a category the model"):
        read(tmp_path / "new.csv", features=["a", "colour"], categories=given)
    zero = read(tmp_path / "new.csv", features=["a", "colour"], categories=given, unknown="zero")
    np.testing.assert_array_equal(zero.X, [[5, 0, 1, 0], [6, 0, 0, 0]])


def test_categorical_from_parquet_dictionary_and_integers(tmp_path):
    table = pa.table(
        {
            "city": pa.array(["b", "a", "b"]).dictionary_encode(),
            "code": pa.array([3, 1, 3]),
            "y": pa.array([1.0, 2.0, 3.0]),
        }
    )
    pq.write_table(table, tmp_path / "d.parquet")
    data = read(tmp_path / "d.parquet", target="y", categorical=["city", "code"])
    assert data.feature_names == ["city=a", "city=b", "code=1", "code=3"]
    np.testing.assert_array_equal(data.X, [[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]])


def test_npy_columns_are_named_by_index(tmp_path, rng):
    data = rng.normal(size=(10, 3)).astype(np.float32)
    np.save(tmp_path / "d.npy", data)
    source = open_source(tmp_path / "d.npy")
    assert source.names == ["0", "1", "2"]
    got = read_data(source, features=["2", "0"])
    assert got.positional
    np.testing.assert_array_equal(got.X, data[:, [2, 0]])


def test_npz_names_arrays_by_key(tmp_path, rng):
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 5, size=10)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert open_source(tmp_path / "d.npz").names == ["X[0]", "X[1]", "y"]
    got = read(tmp_path / "d.npz", features=["X[1]"], target="y")
    np.testing.assert_array_equal(got.X[:, 0], X[:, 1])
    np.testing.assert_array_equal(got.y, y)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nothere\.csv: no such file"):
        open_source(tmp_path / "nothere.csv")


def test_unknown_suffix(tmp_path):
    (tmp_path / "d.txt").write_text("a\n1\n")
    with pytest.raises(DataError, match=r"unsupported file type '\.txt'"):
        open_source(tmp_path / "d.txt")


@pytest.mark.parametrize("suffix", [".parquet", ".npy", ".npz"])
def test_unreadable_content(tmp_path, suffix):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(b"this is not a binary data file at all\n")
    with pytest.raises(DataError, match="cannot read as"):
        open_source(path)


def test_empty_csv(tmp_path):
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DataError, match="cannot read as CSV"):
        open_source(tmp_path / "e.csv")


def test_header_only_csv(tmp_path):
    (tmp_path / "h.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="no data rows"):
        read(tmp_path / "h.csv", target="b")


def test_object_npy_is_refused_without_unpickling(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match=r"cannot read as \.npy"):
        open_source(tmp_path / "o.npy")


def test_npz_arrays_of_different_lengths(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((4, 2)), y=np.ones(3))
    with pytest.raises(DataError, match="different lengths"):
        open_source(tmp_path / "d.npz")


def test_unknown_column_is_named(tmp_path, frame):
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(DataError, match=r"no column 'price'; the columns are \['a b'"):
        read(tmp_path / "d.csv", features=["a b", "price"])


def test_non_numeric_column_names_column_and_row(tmp_path):
    (tmp_path / "d.csv").write_text("x,label\n1,2\n3,4\n5,oops\n")
    with pytest.raises(
        DataError, match=r"column 'label' is not numeric: it holds 'oops' at data row 3 \(line 4"
    ):
        read(tmp_path / "d.csv", features=["x", "label"])
    np.testing.assert_array_equal(read(tmp_path / "d.csv", features=["x"]).X[:, 0], [1, 3, 5])


@pytest.mark.parametrize("cell", ["", "nan", "NaN"])
def test_missing_cell_names_column_and_first_row(tmp_path, cell):
    (tmp_path / "d.csv").write_text(f"x,y z\n1,2\n3,{cell}\n5,\n")
    with pytest.raises(DataError, match=r"column 'y z' has an empty or NaN cell at data row 2"):
        read(tmp_path / "d.csv", features=["x", "y z"])


def test_nan_in_parquet_names_row(tmp_path):
    pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": [1, 2, 3]}).to_parquet(tmp_path / "d.parquet")
    with pytest.raises(DataError, match=r"column 'a' has an empty or NaN cell at data row 3$"):
        read(tmp_path / "d.parquet", features=["b", "a"])


def test_infinite_value_is_reported(tmp_path):
    np.save(tmp_path / "d.npy", np.array([[1.0, 2.0], [np.inf, 1.0]]))
    with pytest.raises(DataError, match=r"column '0' has the value inf at data row 2"):
        read(tmp_path / "d.npy", features=["0", "1"])


def test_negative_weight_is_refused(tmp_path):
    (tmp_path / "d.csv").write_text("x,w,y\n1,1,2\n2,-1,3\n")
    with pytest.raises(DataError, match=r"weight column 'w' is negative at data row 2"):
        read(tmp_path / "d.csv", target="y", weight="w")

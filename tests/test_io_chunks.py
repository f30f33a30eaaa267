"""Chunked Parquet and CSV reading, and fitting from chunks: equal to the in-memory fit."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import assert_coef_close

from fastlinreg import LinearRegression
from fastlinreg.io_chunks import (
    ProgressBar,
    csv_chunks,
    fit_chunks,
    fit_file,
    parquet_chunks,
    score_chunks,
)

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

N, D = 5000, 5
NAMES = [f"x{j}" for j in range(D)]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(N, D)) * rng.uniform(0.5, 4, size=D) + rng.normal(size=D) * 20
    y = X @ rng.normal(size=D) - 3.0 + 0.2 * rng.normal(size=N)
    w = rng.uniform(0.2, 3.0, size=N)
    return X, y, w


@pytest.fixture(scope="module")
def files(data, tmp_path_factory):
    X, y, w = data
    root = tmp_path_factory.mktemp("chunks")
    table = pa.table({"y": y, **{n: X[:, j] for j, n in enumerate(NAMES)}, "w": w})
    parquet = root / "data.parquet"
    pq.write_table(table, parquet, row_group_size=1300)
    csv = root / "data.csv"
    table.to_pandas().to_csv(csv, index=False, float_format="%.17g")
    return parquet, csv


def _close(got, want, rtol=1e-8):
    assert_coef_close(got.coef_, want.coef_, rtol)
    assert_coef_close(got.intercept_, want.intercept_, rtol)


def test_parquet_chunks_yield_the_file_in_order(files, data):
    X, y, _ = data
    chunks = parquet_chunks(files[0], "y", NAMES, batch_rows=1000)
    assert len(list(chunks)) == chunks.n_chunks == 5 and chunks.n_rows == N
    blocks = list(chunks)  # re-iterable: reads the file again
    np.testing.assert_array_equal(np.concatenate([b[0] for b in blocks]), X)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in blocks]), y)
    assert all(b[0].flags.c_contiguous and b[0].dtype == np.float64 for b in blocks)
    assert list(parquet_chunks(files[0], "y", weight="w").feature_names) == NAMES
    assert list(parquet_chunks(files[0], "y").feature_names) == [*NAMES, "w"]
    X32 = next(iter(parquet_chunks(files[0], "y", ["x3", "x1"], dtype=np.float32)))[0]
    np.testing.assert_array_equal(X32, X[:, [3, 1]].astype(np.float32))


def test_csv_chunks_yield_the_file_in_order(files, data):
    X, _, w = data
    chunks = csv_chunks(files[1], "y", weight="w", block_bytes=64 * 1024)
    blocks = list(chunks)
    assert len(blocks) > 3 and all(len(b) == 3 for b in blocks)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in blocks]), X)
    np.testing.assert_array_equal(np.concatenate([b[2] for b in blocks]), w)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("solver", ["gram", "gd"])
def test_fit_file_equals_in_memory_fit(files, data, fmt, solver):
    X, y, w = data
    path = files[0] if fmt == "parquet" else files[1]
    chunks = (
        parquet_chunks(path, "y", weight="w", batch_rows=700)
        if fmt == "parquet"
        else csv_chunks(path, "y", weight="w", block_bytes=100_000)
    )
    model = fit_chunks(LinearRegression(solver=solver), chunks, progress=False)
    ref = LinearRegression(solver=solver).fit(X, y, sample_weight=w)
    _close(model, ref)
    assert model.solver_ == solver
    assert list(model.feature_names_in_) == NAMES and model.n_features_in_ == D
    if solver == "gram":
        assert model.n_passes_ == ref.n_passes_
    else:
        assert model.n_iter_ == ref.n_iter_


def test_fit_file_picks_the_reader_and_auto_solver(files, data):
    X, y, _ = data
    for path in files:
        model = fit_file(path, "y", NAMES, progress=False)
        assert model.solver_ == "gram"
        _close(model, LinearRegression().fit(X, y))
    with pytest.raises(ValueError, match=r"expected a \.parquet"):
        fit_file(files[0].with_suffix(".txt"), "y")


def test_fit_chunks_from_a_generator_and_partial_fit_after(data):
    X, y, _ = data
    gen = ((X[i : i + 1000], y[i : i + 1000]) for i in range(0, 4000, 1000))
    model = fit_chunks(LinearRegression(), gen, progress=False)
    model.partial_fit(X[4000:], y[4000:])
    _close(model, LinearRegression().fit(X, y))
    gen = ((X[i : i + 999], y[i : i + 999]) for i in range(0, N, 999))
    with pytest.raises(ValueError, match="re-iterable"):
        fit_chunks(LinearRegression(solver="gd"), gen, progress=False)


def test_multi_target_float32_and_empty_chunks(data):
    X, y, _ = data
    Y = np.c_[y, -2 * y + 1]
    X32 = X.astype(np.float32)
    chunks = [(X32[:0], Y[:0]), (X32[:3000], Y[:3000]), (X32[3000:3000], Y[3000:3000])]
    chunks.append((X32[3000:], Y[3000:]))
    for solver in ("gram", "gd"):
        model = fit_chunks(LinearRegression(solver=solver), chunks, progress=False)
        ref = LinearRegression(solver=solver).fit(X32, Y)
        assert model.coef_.dtype == np.float32 and model.coef_.shape == (2, D)
        _close(model, ref, 1e-6)
        assert not hasattr(model, "feature_names_in_")


def test_progress_bar_on_stderr(files, capsys):
    fit_file(files[0], "y", weight="w")
    err = capsys.readouterr().err
    assert "statistics" in err and f"{N} rows" in err
    stream = io.StringIO()
    chunks = csv_chunks(files[1], "y", weight="w", block_bytes=50_000)
    fit_chunks(LinearRegression(), chunks, progress=stream)
    lines = stream.getvalue().splitlines()
    # The first pass estimates the chunk count of a CSV; later passes (refinement) know it.
    first = next(line for line in lines if "statistics" in line)
    assert "[########################]" in first and "~" in first
    assert "refinement [########################]" in lines[-1] and "~" not in lines[-1]


def test_progress_bar_draws_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    bar = ProgressBar("pass 1", 4, stream)
    for _ in range(4):
        bar.update(10)
    bar.close()
    assert stream.getvalue().startswith("\r\x1b[K") and "4/4 chunks, 40 rows" in stream.getvalue()


def test_reader_errors_name_the_file_and_column(tmp_path, files):
    with pytest.raises(ValueError, match="no column 'nope'"):
        parquet_chunks(files[0], "nope")
    with pytest.raises(ValueError, match="no column 'zz'"):
        csv_chunks(files[1], "y", ["x0", "zz"])
    with pytest.raises(ValueError, match="cannot also be features"):
        parquet_chunks(files[0], "y", ["y", "x0"])
    text = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1.0, 2.0], "s": ["u", "v"], "y": [1.0, 2.0]}), text)
    with pytest.raises(ValueError, match="'s' is not numeric"):
        parquet_chunks(text, "y")
    holes = tmp_path / "h.parquet"
    pq.write_table(pa.table({"a": [1.0, None, 3.0], "y": [1, 2, 3]}), holes)
    with pytest.raises(ValueError, match="'a' has a missing value in data row 2"):
        list(parquet_chunks(holes, "y"))
    bad = tmp_path / "b.csv"
    bad.write_text("a,y\n1,2\nabc,3\n")
    with pytest.raises(ValueError, match=r"b\.csv.*abc"):
        list(csv_chunks(bad, "y"))
    junk = tmp_path / "j.parquet"
    junk.write_bytes(b"not parquet")
    with pytest.raises(ValueError, match="cannot read as Parquet"):
        parquet_chunks(junk, "y")


def test_chunk_validation_names_the_chunk(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="chunk 1: X has 4 features, expected 5"):
        fit_chunks(LinearRegression(), [(X[:10], y[:10]), (X[10:20, :4], y[10:20])])
    with pytest.raises(ValueError, match="chunk 0: X has 10 rows but y has 9"):
        fit_chunks(LinearRegression(), [(X[:10], y[:9])], progress=False)
    bad = X[:100].copy()
    bad[5, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        fit_chunks(LinearRegression(), [(bad, y[:100])], progress=False)
    with pytest.raises(ValueError, match="no rows"):
        fit_chunks(LinearRegression(), [], progress=False)
    with pytest.raises(ValueError, match="all zero"):
        fit_chunks(LinearRegression(), [(X[:10], y[:10], np.zeros(10))], progress=False)


def test_score_chunks_equals_score_in_memory(files, data):
    X, y, w = data
    model = fit_file(files[0], "y", weight="w", progress=False)
    chunks = parquet_chunks(files[0], "y", weight="w", batch_rows=900)
    want = LinearRegression().fit(X, y, sample_weight=w).score(X, y, sample_weight=w)
    assert score_chunks(model, chunks, progress=False) == pytest.approx(want, rel=1e-12)
    Y = np.c_[y, np.full(N, 2.0), X[:, 0]]
    multi = LinearRegression().fit(X, Y)
    blocks = [(X[:2000], Y[:2000]), (X[2000:2000], Y[2000:2000]), (X[2000:], Y[2000:])]
    got = score_chunks(multi, blocks, progress=False)
    assert got == pytest.approx(multi.score(X, Y), rel=1e-12)
    with pytest.raises(ValueError, match="4 features, the model expects 5"):
        score_chunks(model, [(X[:, :4], y)], progress=False)

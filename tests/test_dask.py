"""Dask arrays and DataFrames on a two-process LocalCluster: the in-memory model, lazy predict."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_coef_close

from fastlinreg import LinearRegression

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from fastlinreg import dask as fl_dask  # noqa: E402  (after the importorskip guards)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def client():
    """A local cluster of two worker processes, for the whole module."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            timeout=120,
        ) as cluster,
        distributed.Client(cluster, timeout=120) as c,
    ):
        yield c


def _problem(n=3000, d=6, k=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + rng.normal(size=d) * 10
    coef = rng.normal(size=(d,) if k is None else (d, k))
    y = X @ coef + 2.0 + 0.1 * rng.normal(size=(n,) if k is None else (n, k))
    return X, y, rng.uniform(0.1, 2.0, size=n)


def _close(got, want):
    assert_coef_close(got.coef_, want.coef_, 1e-8)
    assert_coef_close(got.intercept_, want.intercept_, 1e-8)


@pytest.mark.parametrize("solver", ["gram", "gd"])
def test_array_fit_equals_in_memory_fit(client, solver):
    X, y, w = _problem()
    Xd = da.from_array(X, chunks=(400, 4))
    yd = da.from_array(y, chunks=700)
    wd = da.from_array(w, chunks=500)
    model = LinearRegression(solver=solver).fit(Xd, yd, sample_weight=wd)
    ref = LinearRegression(solver=solver).fit(X, y, sample_weight=w)
    _close(model, ref)
    assert model.solver_ == solver and model.n_features_in_ == 6
    assert not hasattr(model, "feature_names_in_")
    assert model.coef_.dtype == np.float64
    if solver == "gram":
        assert model.n_passes_ == ref.n_passes_
    else:
        assert model.n_iter_ == ref.n_iter_


def test_auto_uses_the_cost_model_and_multi_target_float32(client):
    X, Y, _ = _problem(k=3)
    X32 = X.astype(np.float32)
    model = LinearRegression().fit(da.from_array(X32, chunks=(1000, 6)), Y)
    ref = LinearRegression().fit(X32, Y)
    assert model.solver_ == ref.solver_ == "gram"
    assert model.coef_.dtype == np.float32 and model.coef_.shape == (3, 6)
    assert_coef_close(model.coef_, ref.coef_, 1e-6)


def test_one_pass_over_the_data_for_gram_and_persisted_chunks_for_gd(client):
    X, y, _ = _problem(n=2000)
    Xd = da.from_array(X, chunks=(250, 6), name="source-x")
    with distributed.get_task_stream(client) as gram_stream:
        gram = LinearRegression(solver="gram").fit(Xd, y)
    with distributed.get_task_stream(client) as gd_stream:
        gd = LinearRegression(solver="gd").fit(Xd, y)
    # The Gram fit reads every chunk once per pass (the statistics, then refinement); streaming
    # persists the chunks and computes each exactly once.
    for stream, passes in ((gram_stream, gram.n_passes_), (gd_stream, 1)):
        reads = [t for t in stream.data if "source-x" in str(t["key"])]
        assert len(reads) == Xd.npartitions * passes
    passes = [t for t in gd_stream.data if "block_pass" in str(t["key"])]
    assert len(passes) == Xd.npartitions * (gd.n_passes_ - 1)


def test_warm_start_and_partial_fit_continue_a_dask_gram_fit(client):
    X, y, _ = _problem()
    model = LinearRegression(solver="gram").fit(da.from_array(X[:1800], chunks=600), y[:1800])
    model.partial_fit(X[1800:], y[1800:])
    _close(model, LinearRegression().fit(X, y))


def test_dataframe_fit_predict_and_feature_names(client):
    X, y, w = _problem(n=2000)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(6)]).assign(target=y, weight=w)
    ddf = dd.from_pandas(frame, npartitions=5)
    features = ddf.drop(columns=["target", "weight"])
    model = LinearRegression().fit(features, ddf["target"], sample_weight=ddf["weight"])
    ref = LinearRegression().fit(frame.iloc[:, :6], y, sample_weight=w)
    _close(model, ref)
    assert list(model.feature_names_in_) == [f"f{j}" for j in range(6)]
    lazy = model.predict(features)
    assert isinstance(lazy, dd.Series) and lazy.npartitions == 5
    pred = lazy.compute()
    assert pred.index.equals(frame.index)
    np.testing.assert_allclose(pred.to_numpy(), ref.predict(frame.iloc[:, :6]), rtol=1e-10)
    with pytest.raises(ValueError, match="same order"):
        model.predict(features[list(reversed(features.columns))])


def test_dataframe_multi_target_and_unknown_chunk_arrays(client):
    X, Y, _ = _problem(n=1500, k=2)
    frame = pd.DataFrame(X, columns=list("abcdef"))
    targets = pd.DataFrame(Y, columns=["u", "v"])
    ddf = dd.from_pandas(frame, npartitions=3)
    dtargets = dd.from_pandas(targets, npartitions=3)
    model = LinearRegression(solver="gd").fit(ddf, dtargets)
    _close(model, LinearRegression(solver="gd").fit(frame, Y))
    assert isinstance(model.predict(ddf), dd.DataFrame)
    # Arrays of unknown chunk sizes (as a DataFrame's to_dask_array gives) work too.
    Xu, yu = ddf.to_dask_array(), dtargets["u"].to_dask_array()
    assert np.isnan(Xu.chunks[0][0])
    _close(LinearRegression().fit(Xu, yu), LinearRegression().fit(X, Y[:, 0]))


def test_array_predict_is_lazy_with_the_row_chunks(client):
    X, Y, _ = _problem(n=1000, k=2)
    Xd = da.from_array(X, chunks=(300, 2))
    model = LinearRegression().fit(X, Y)
    lazy = model.predict(Xd)
    assert isinstance(lazy, da.Array) and lazy.chunks == ((300, 300, 300, 100), (2,))
    np.testing.assert_allclose(lazy.compute(), model.predict(X), rtol=1e-12)
    single = LinearRegression().fit(X, Y[:, 0]).predict(Xd)
    assert single.chunks == ((300, 300, 300, 100),)
    with pytest.raises(ValueError, match="features"):
        model.predict(Xd[:, :5])


def test_errors_are_reported(client):
    X, y, _ = _problem(n=1000)
    Xd = da.from_array(X, chunks=250)
    with pytest.raises(ValueError, match="rows"):
        LinearRegression().fit(Xd, y[:-1])
    bad = X.copy()
    bad[700, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LinearRegression().fit(da.from_array(bad, chunks=250), y)
    with pytest.raises(ValueError, match="NaN"):
        LinearRegression(solver="gd").fit(da.from_array(bad, chunks=250), y)
    with pytest.raises(ValueError, match="non-negative"):
        LinearRegression().fit(Xd, y, sample_weight=-np.ones(1000))
    ddf = dd.from_pandas(pd.DataFrame({"a": X[:, 0], "s": ["x"] * 1000}), npartitions=2)
    with pytest.raises(ValueError, match="not numeric"):
        LinearRegression().fit(ddf, da.from_array(y, chunks=500))
    with pytest.raises(ValueError, match="same partitions"):
        LinearRegression().fit(ddf[["a"]], y)


def test_empty_partitions_are_skipped(client):
    X, y, _ = _problem(n=600)
    frame = pd.DataFrame(X, columns=list("abcdef")).assign(t=y)
    ddf = dd.from_pandas(frame, npartitions=4)
    kept = ddf[ddf["a"] < np.quantile(X[:, 0], 0.3)]  # some partitions become empty or small
    mask = X[:, 0] < np.quantile(X[:, 0], 0.3)
    model = LinearRegression().fit(kept.drop(columns="t"), kept["t"])
    _close(model, LinearRegression().fit(X[mask], y[mask]))


def test_tree_reduction_combines_in_a_fixed_order():
    parts = [fl_dask.delayed(lambda i=i: (i,))() for i in range(40)]
    result = fl_dask._tree_reduce(parts, lambda *groups: tuple(itertools.chain(*groups)))
    assert result.compute(scheduler="sync") == tuple(range(40))


def test_works_without_a_cluster():
    X, y, _ = _problem(n=800)
    import dask

    with dask.config.set(scheduler="threads"):
        model = LinearRegression(solver="gd").fit(da.from_array(X, chunks=200), y)
    _close(model, LinearRegression(solver="gd").fit(X, y))


def test_importing_fastlinreg_does_not_import_dask():
    code = (
        "import sys, numpy as np, fastlinreg\n"
        "fastlinreg.LinearRegression().fit(np.eye(3), np.arange(3.0)).predict(np.eye(3))\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]\n"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, cwd=root)

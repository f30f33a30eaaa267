"""The benchmark harness: its statistics, its candidate list, and a tiny run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import r2_score

from fastlinreg import bench
from fastlinreg.reference import NumpyLinearRegression


@pytest.fixture(scope="module")
def problem():
    X, y = bench.make_data(5000, 6, "float64", seed=3)
    return bench.Problem.from_data(X, y, block=1024)


def test_make_data_float32_is_the_float64_data_rounded():
    X64, y64 = bench.make_data(100, 3, "float64", seed=1)
    X32, y32 = bench.make_data(100, 3, "float32", seed=1)
    assert X32.dtype == y32.dtype == np.float32
    np.testing.assert_array_equal(X32, X64.astype(np.float32))
    np.testing.assert_array_equal(y32, y64.astype(np.float32))


def test_closed_form_and_r2_from_statistics(problem):
    X, y = problem.X, problem.y
    coef, intercept = problem.closed_form()
    expected = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    np.testing.assert_allclose(coef, expected[:-1], rtol=1e-10)
    assert intercept == pytest.approx(expected[-1], rel=1e-10)
    w = coef + 0.5
    assert problem.r2(w, 2.0) == pytest.approx(r2_score(y, X @ w + 2.0), rel=1e-10)


def test_ridge_closed_form_matches_sklearn(problem):
    from sklearn.linear_model import Ridge

    ridge = Ridge(alpha=1.0).fit(problem.X, problem.y)
    np.testing.assert_allclose(problem.closed_form(1.0)[0], ridge.coef_, rtol=1e-10)


def test_tutorial_recurrence_matches_the_reference(problem):
    w, b, curve = problem.tutorial_iterates(0.001, 25)
    ref = NumpyLinearRegression(learning_rate=0.001, n_iters=25).fit(problem.X, problem.y)
    np.testing.assert_allclose(w, ref.weights, rtol=1e-9)
    assert b == pytest.approx(ref.bias, rel=1e-9)
    first = NumpyLinearRegression(learning_rate=0.001, n_iters=1).fit(problem.X, problem.y)
    residual = first.predict(problem.X) - problem.y
    assert curve[1] == pytest.approx(residual @ residual / (2 * len(residual)), rel=1e-9)


def test_candidates_follow_the_solver_list(monkeypatch):
    monkeypatch.setattr(bench, "SOLVERS", ("gd",))
    config = bench.Config(n_samples=10, n_features=2, dtypes=("float32",), threads=1)
    fits = [(c.name, c.dtype) for c in bench.candidates(config) if c.kind == "fit"]
    assert fits[0] == ("fastlinreg gd", "float32")
    assert ("sklearn LinearRegression", "float32") in fits
    assert not any(name.startswith("fastlinreg auto") for name, _ in fits)


@pytest.mark.parametrize(
    "kwargs", [{"n_samples": 1}, {"repeat": 0}, {"threads": 0}, {"dtypes": ("float16",)}]
)
def test_config_is_validated(kwargs):
    with pytest.raises(ValueError):
        bench.Config(**kwargs)


@pytest.fixture(scope="module")
def tiny_run():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bench, "SOLVERS", ("gd", "no-such-solver"))
        steps = []
        config = bench.Config(n_samples=4000, n_features=5, threads=1, repeat=2)
        result = bench.run(config, progress=lambda step, total, label: steps.append(label))
    return result, steps


def test_a_solver_this_version_lacks_is_reported_not_fatal(tiny_run):
    result, _ = tiny_run
    missing = [r for r in result.rows if r.name == "fastlinreg no-such-solver"]
    assert [r.dtype for r in missing] == ["float64", "float32"]
    reason = "solver 'no-such-solver' is not one of this version's ("
    assert all(r.status == "unavailable" and r.reason.startswith(reason) for r in missing)
    assert f"unavailable: {reason}" in result.format_text()


def test_rows_are_measured(tiny_run):
    result, steps = tiny_run
    rows = {(r.name, r.dtype): r for r in result.rows if r.status == "ok"}
    gd = rows["fastlinreg gd", "float64"]
    assert len(gd.times) == 2 and gd.seconds == np.median(gd.times)
    assert gd.max_coef_error < 1e-6 and gd.r2 > 0.9 and gd.passes > 1
    assert rows["fastlinreg gd", "float32"].max_coef_error < 1e-3
    assert rows["sklearn LinearRegression", "float64"].vs_sklearn == 1.0
    assert rows["sklearn Ridge(alpha=1)", "float64"].max_coef_error < 1e-8
    assert rows["fastlinreg fused pass", "float64"].passes == 1
    assert rows["numpy tutorial GD iteration", "float64"].passes == 2
    assert result.tutorial["iterations"] == 1000 and 0 < result.tutorial["r2"] < 1
    if result.memory_method is not None:
        assert all(r.peak_extra_bytes is not None for r in rows.values())
    assert steps[-1] == "round 2/2: sklearn SGDRegressor epoch [float64]"
    assert {p["gb_per_s"] > 0 for p in result.probe.values()} == {True}


def test_json_names_every_candidate(tiny_run, tmp_path):
    result, _ = tiny_run
    result.write_json(tmp_path / "r.json")
    document = json.loads((tmp_path / "r.json").read_text())
    assert [(r["name"], r["dtype"]) for r in document["rows"]] == [
        (r.name, r.dtype) for r in result.rows
    ]
    assert document["machine"]["threads"] == 1
    assert document["compile"][0]["dtype"] == "float64"


def test_markdown_has_one_table_per_section(tiny_run):
    result, _ = tiny_run
    text = result.format_markdown()
    assert text.count("| candidate | dtype |") == 2
    assert "- machine:" in text and "- compile (first small fit, float64)" in text


def test_the_chart_is_one_a_reader_can_use(tiny_run):
    pytest.importorskip("matplotlib")
    result, _ = tiny_run
    bars, curves = result.figure().axes
    fits = [r for r in result.rows if r.kind == "fit" and r.status == "ok" and r.seconds]
    assert bars.get_xscale() == "linear" and bars.get_xlim()[0] == 0
    patches = bars.patches
    assert [p.get_width() for p in patches] == pytest.approx([r.seconds for r in fits])
    labels = [t.get_text() for t in bars.texts]
    assert labels == [f"{r.seconds:.3g} s" for r in fits]
    libraries = {r.name.split()[0] for r in fits}
    colours = {p.get_facecolor() for p in patches}
    assert len(libraries) == 3 and len(colours) == 3
    for a, ra in zip(patches, fits, strict=True):
        for b, rb in zip(patches, fits, strict=True):
            same = ra.name.split()[0] == rb.name.split()[0]
            assert (a.get_facecolor() == b.get_facecolor()) == same
    (whiskers,) = [c for c in bars.containers if hasattr(c, "has_xerr")]
    spans = np.array([segment[:, 0] for segment in whiskers.lines[2][0].get_segments()])
    expected = np.array([(min(r.times), max(r.times)) for r in fits])
    np.testing.assert_allclose(spans, expected, rtol=1e-12)
    lines = curves.get_lines()
    assert len(lines) >= 2
    styles = [(line.get_color(), line.get_marker()) for line in lines]
    assert len(set(styles)) == len(styles)
    for line in lines:
        dashed = line.get_label().endswith("[float32]")
        assert (line.get_linestyle() == "--") == dashed


def test_make_data_does_not_depend_on_the_block_size(monkeypatch):
    X, y = bench.make_data(1000, 3, seed=5)
    monkeypatch.setattr(bench, "_DATA_BLOCK", 64)
    X2, y2 = bench.make_data(1000, 3, seed=5)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_markdown_escapes_pipes_in_headers_and_cells():
    lines = bench.markdown_table(["name", "max|x|"], [["a|b", "1"]])
    assert [line.count("|") - line.count("\\|") for line in lines] == [3, 3, 3]

"""The command line: fit -> model -> predict round trips, errors, bench output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fastlinreg import LinearRegression, load_model
from fastlinreg.cli import FULL_COMPARISON, main

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["a b", "c,d;e", "price ($)", "y-target"]


@pytest.fixture(scope="module")
def dataset():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(300, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]
    y = X @ [1.5, -0.2, 30.0] + 4.0 + 0.1 * rng.normal(size=300)
    return X, y


def _write(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    frame = pd.DataFrame(np.c_[X, y], columns=NAMES)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, float_format="%.17g")
    elif path.suffix == ".parquet":
        frame.to_parquet(path)
    elif path.suffix == ".npy":
        np.save(path, np.c_[X, y])
    else:
        np.savez(path, X=X, **{"y-target": y})
    return path


def _read_predictions(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    assert lines[0] == "prediction"
    return np.array([float(v) for v in lines[1:]])


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".npy", ".npz"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fit_predict_round_trip_equals_the_estimator(tmp_path, capsys, dataset, suffix, dtype):
    X, y = dataset
    data = _write(tmp_path / f"train{suffix}", X, y)
    target = {".npy": "3", ".npz": "y-target"}.get(suffix, "y-target")
    model_path = tmp_path / "model.json"
    args = ["fit", str(data), "--target", target, "--output", str(model_path), "--dtype", dtype]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "300 rows, 3 features" in out and "solver gram" in out and "R²" in out

    expected = LinearRegression().fit(X.astype(dtype), y)
    model = load_model(model_path)
    np.testing.assert_array_equal(model.coef_, expected.coef_)
    assert model.intercept_ == expected.intercept_

    # The prediction file holds the features only (an .npy must; the others may).
    features = _write(tmp_path / f"test{suffix}", X, y)
    if suffix == ".npy":
        np.save(features, X)
    preds = tmp_path / "preds.csv"
    assert main(["predict", str(model_path), str(features), "--output", str(preds)]) == 0
    np.testing.assert_array_equal(_read_predictions(preds), expected.predict(X.astype(dtype)))


def test_feature_selection_and_order(tmp_path, capsys, dataset):
    X, y = dataset
    data = _write(tmp_path / "d.csv", X, y)
    model_path = tmp_path / "m.json"
    args = ["fit", str(data), "--target", "y-target", "--features", "price ($)", "a b"]
    assert main([*args, "-o", str(model_path), "--alpha", "2", "--no-intercept"]) == 0
    model = load_model(model_path)
    assert list(model.feature_names_in_) == ["price ($)", "a b"]
    assert model.alpha == 2.0 and not model.fit_intercept
    reference = LinearRegression(alpha=2.0, fit_intercept=False).fit(X[:, [2, 0]], y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    capsys.readouterr()
    assert main(["predict", str(model_path), str(data)]) == 0
    printed = capsys.readouterr().out.splitlines()
    np.testing.assert_array_equal(np.array(printed[1:], float), reference.predict(X[:, [2, 0]]))


def test_model_file_is_plain_json_with_metadata(tmp_path, capsys, dataset):
    X, y = dataset
    data = _write(tmp_path / "d.parquet", X, y)
    assert main(["fit", str(data), "--target", "y-target", "-o", str(tmp_path / "m.json")]) == 0
    document = json.loads((tmp_path / "m.json").read_text())
    assert document["format"] == "fastlinreg-model"
    assert document["feature_names"] == NAMES[:3]
    assert len(document["coef"]) == 3 and isinstance(document["intercept"], float)
    training = document["training"]
    assert training["source"] == "d.parquet" and training["target"] == "y-target"
    assert training["n_samples"] == 300 and training["solver"] == "gram"
    assert training["r2"] > 0.99


def test_convergence_warning_is_one_line(tmp_path, capsys, dataset):
    X, y = dataset
    data = _write(tmp_path / "d.csv", X, y)
    assert (
        main(["fit", str(data), "--target", "y-target", "--solver", "gd", "--max-iter", "2"]) == 0
    )
    captured = capsys.readouterr()
    assert "not converged" in captured.out
    assert captured.err.startswith("fastlinreg fit: warning: gd stopped after 2 iterations")
    assert len(captured.err.splitlines()) == 1


def _assert_one_line_error(capsys, argv, *fragments):
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"fastlinreg {argv[0]}: error: ")
    assert "Traceback" not in captured.err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def files(tmp_path, dataset):
    X, y = dataset
    _write(tmp_path / "d.csv", X, y)
    (tmp_path / "text.csv").write_text("x,kind,y\n1,a,2\n2,b,3\n")
    (tmp_path / "holes.csv").write_text("x,y\n1,2\n2,\n3,4\n")
    (tmp_path / "d.txt").write_text("x,y\n1,2\n")
    (tmp_path / "bad.parquet").write_text("not parquet")
    (tmp_path / "foreign.json").write_text('{"coef": [1, 2]}')
    (tmp_path / "broken.json").write_text('{"format": ')
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["fit", "{}/absent.csv", "--target", "y"], ["absent.csv: no such file"]),
        (["fit", "{}/d.txt", "--target", "y"], ["unsupported file type '.txt'"]),
        (["fit", "{}/bad.parquet", "--target", "y"], ["cannot read as Parquet"]),
        (["fit", "{}/d.csv", "--target", "price"], ["no column 'price'"]),
        (["fit", "{}/d.csv", "--target", "y-target", "--features", "a b", "zz"], ["'zz'"]),
        (["fit", "{}/text.csv", "--target", "y"], ["column 'kind' is not numeric", "row 1"]),
        (["fit", "{}/holes.csv", "--target", "y"], ["column 'y'", "data row 2 (line 3"]),
        (["fit", "{}/d.csv", "--target", "y-target", "--alpha", "-1"], ["alpha must be"]),
        (["fit", "{}/d.csv", "--target", "y-target", "--solver", "nope"], ["solver must be"]),
        (["predict", "{}/absent.json", "{}/d.csv"], ["absent.json"]),
        (["predict", "{}/foreign.json", "{}/d.csv"], ["not a fastlinreg model"]),
        (["predict", "{}/broken.json", "{}/d.csv"], ["not a fastlinreg model (invalid JSON"]),
        (["predict", "{}/d.csv", "{}/d.csv"], ["not a fastlinreg model"]),
        (["bench", "--json", "{}/no/b.json"], ["--json", "the folder does not exist"]),
    ],
)
def test_errors_are_one_line_with_exit_code_2(capsys, files, argv, fragments):
    _assert_one_line_error(capsys, [a.format(files) for a in argv], *fragments)


def test_feature_mismatch_at_predict(capsys, files):
    model = files / "m.json"
    assert main(["fit", str(files / "d.csv"), "--target", "y-target", "-o", str(model)]) == 0
    capsys.readouterr()
    _assert_one_line_error(
        capsys, ["predict", str(model), str(files / "holes.csv")], "no column 'a b'"
    )
    np.save(files / "wide.npy", np.ones((4, 5)))
    document = json.loads(model.read_text())
    document["feature_names"] = None
    model.write_text(json.dumps(document))
    _assert_one_line_error(
        capsys, ["predict", str(model), str(files / "wide.npy")], "has 5 columns", "expects 3"
    )


def test_debug_shows_the_traceback(capsys, files):
    assert main(["fit", str(files / "absent.csv"), "--target", "y", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "DataError" in err


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=ROOT, check=False, **kwargs
    )


def test_module_entry_point_in_a_subprocess(tmp_path):
    done = _run(
        [sys.executable, "-m", "fastlinreg", "fit", str(tmp_path / "x.csv"), "--target", "y"]
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith("x.csv: no such file")
    assert "Traceback" not in done.stderr


def _console_script() -> str | None:
    beside = Path(sys.executable).parent / ("fastlinreg.exe" if os.name == "nt" else "fastlinreg")
    return str(beside) if beside.exists() else shutil.which("fastlinreg")


@pytest.mark.skipif(_console_script() is None, reason="fastlinreg is not installed (pip install .)")
def test_console_script_fit_and_predict(tmp_path, dataset):
    X, y = dataset
    data = _write(tmp_path / "d.csv", X, y)
    script = _console_script()
    assert script is not None
    fit = _run([script, "fit", str(data), "--target", "y-target", "-o", str(tmp_path / "m.json")])
    assert fit.returncode == 0, fit.stderr
    assert "model written to" in fit.stdout
    predict = _run([script, "predict", str(tmp_path / "m.json"), str(data)])
    assert predict.returncode == 0, predict.stderr
    expected = LinearRegression().fit(X, y).predict(X)
    np.testing.assert_array_equal(np.array(predict.stdout.split()[1:], float), expected)
    missing = _run([script, "predict", str(tmp_path / "m.json"), str(tmp_path / "no.npy")])
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_bench_tiny_writes_json_markdown_and_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    json_path, png_path = tmp_path / "b.json", tmp_path / "b.png"
    argv = ["bench", "--n-samples", "3000", "--n-features", "4", "--repeat", "2"]
    argv += ["--json", str(json_path), "--plot", str(png_path), "--markdown", "--threads", "1"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "| sklearn LinearRegression | float64 |" in captured.out
    assert "compile (first small fit, float64)" in captured.out
    assert "round 2/2: sklearn LinearRegression [float64]" in captured.err
    assert "kernels [float32]: loaded from the cache, or compiled if it is cold" in captured.err
    assert captured.err.rstrip().endswith(FULL_COMPARISON)
    result = json.loads(json_path.read_text())
    names = {(r["name"], r["dtype"]) for r in result["rows"]}
    assert ("fastlinreg gd", "float32") in names and ("numpy normal equations", "float64") in names
    assert result["config"]["threads"] == 1
    gd = next(r for r in result["rows"] if r["name"] == "fastlinreg gd" and r["dtype"] == "float64")
    assert gd["status"] == "ok" and gd["max_coef_error"] < 1e-6 and len(gd["times"]) == 2
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_rejects_bad_sizes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--n-samples", "0"])
    assert exc.value.code == 2
    assert "must be >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunked_fit_equals_the_in_memory_fit(tmp_path, capsys, dataset, suffix):
    X, y = dataset
    data = _write(tmp_path / f"train{suffix}", X, y)
    paths = {}
    for mode in ("whole", "chunked"):
        paths[mode] = tmp_path / f"{mode}.json"
        extra = ["--chunked"] if mode == "chunked" else []
        assert main(["fit", str(data), "--target", "y-target", "-o", str(paths[mode]), *extra]) == 0
    out = capsys.readouterr().out
    assert "300 rows" in out
    whole, chunked = (load_model(paths[m]) for m in ("whole", "chunked"))
    np.testing.assert_allclose(chunked.coef_, whole.coef_, rtol=1e-10)
    assert list(chunked.feature_names_in_) == list(whole.feature_names_in_)


def test_chunked_refuses_other_formats(tmp_path, capsys, dataset):
    X, y = dataset
    data = _write(tmp_path / "train.npy", X, y)
    assert main(["fit", str(data), "--target", "3", "--chunked"]) == 2
    assert "--chunked reads plain .csv, .tsv and .parquet files" in capsys.readouterr().err

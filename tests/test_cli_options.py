"""The command line's inputs and outputs: separators, standard input, categories, weights, the
coefficient table, the JSON summary, --strict, --keep, Parquet output, non-finite predictions,
--version, help texts and what --help and predict import."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import env_under_test, program

from fastlinreg import LinearRegression, load_model
from fastlinreg.cli import NOT_CONVERGED, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(11)
    n = 400
    X = rng.normal(size=(n, 2))
    colour = rng.choice(["red", "blue", "green"], size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    y = X @ [1.5, -2.0] + np.where(colour == "red", 3.0, 0.0) + 0.7 + 0.05 * rng.normal(size=n)
    return X, colour, w, y


def _write_csv(path: Path, table, sep=","):
    X, colour, w, y = (np.asarray(v).tolist() for v in table)
    lines = [sep.join(["id", "a", "b", "colour", "w", "y"])]
    for i in range(len(y)):
        cells = [f"{i:05d}", repr(X[i][0]), repr(X[i][1]), colour[i], repr(w[i]), repr(y[i])]
        lines.append(sep.join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(argv, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "fastlinreg", *argv],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        check=False,
        **kwargs,
    )


def test_text_report_has_the_coefficient_table(tmp_path, capsys, table):
    data = _write_csv(tmp_path / "d.csv", table)
    assert main(["fit", str(data), "--target", "y", "--features", "a", "b"]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index(next(line for line in out if line.startswith("feature ")))
    rows = dict(line.split() for line in out[start + 1 : start + 4])
    X, _, _, y = table
    expected = LinearRegression().fit(X, y)
    np.testing.assert_allclose([float(rows["a"]), float(rows["b"])], expected.coef_, rtol=1e-9)
    assert float(rows["(intercept)"]) == pytest.approx(expected.intercept_, rel=1e-9)


def test_json_summary_is_the_only_stdout(tmp_path, capsys, table):
    data = _write_csv(tmp_path / "d.csv", table)
    model = tmp_path / "m.json"
    argv = ["fit", str(data), "--target", "y", "--features", "a", "b", "--weight", "w"]
    assert main([*argv, "--json", "-o", str(model)]) == 0
    summary = json.loads(capsys.readouterr().out)
    X, _, w, y = table
    expected = LinearRegression().fit(X, y, sample_weight=w)
    assert summary["rows"] == 400 and summary["features"] == 2 and summary["weight"] == "w"
    assert summary["solver"] == "gram" and summary["converged"] and summary["warnings"] == []
    assert summary["model"] == str(model) and summary["r2"] > 0.5
    assert [c["feature"] for c in summary["coefficients"]] == ["a", "b"]
    got = [c["coefficient"] for c in summary["coefficients"]]
    np.testing.assert_array_equal(got, expected.coef_)  # weights honoured, exactly
    np.testing.assert_array_equal(load_model(model).coef_, expected.coef_)
    assert {"iterations", "passes", "fit_seconds", "read_seconds", "intercept"} <= set(summary)


def test_quiet_prints_nothing_and_strict_fails_without_a_model(tmp_path, capsys, table):
    data = _write_csv(tmp_path / "d.csv", table)
    base = ["fit", str(data), "--target", "y", "--features", "a", "b"]
    assert main([*base, "--quiet", "-o", str(tmp_path / "m.json")]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (tmp_path / "m.json").exists()

    slow = [*base, "--solver", "gd", "--max-iter", "2"]
    assert main([*slow, "--json", "--strict", "-o", str(tmp_path / "s.json")]) == NOT_CONVERGED
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert not summary["converged"] and "gd stopped after 2 iterations" in summary["warnings"][0]
    assert captured.err.splitlines()[-1].startswith("fastlinreg fit: error: the fit did not")
    assert not (tmp_path / "s.json").exists()
    assert main(slow) == 0  # without --strict: a warning only
    assert "warning: gd stopped" in capsys.readouterr().err


def test_semicolon_csv_with_categories_weights_and_kept_ids(tmp_path, capsys, table):
    data = _write_csv(tmp_path / "d.csv", table, sep=";")
    model = tmp_path / "m.json"
    argv = ["fit", str(data), "--sep", ";", "--target", "y", "--weight", "w"]
    argv += ["--features", "a", "colour", "b", "--categorical", "colour", "-o", str(model)]
    assert main(argv) == 0
    capsys.readouterr()
    document = json.loads(model.read_text())
    assert document["categories"] == {"colour": ["blue", "green", "red"]}
    names = ["a", "colour=blue", "colour=green", "colour=red", "b"]
    assert document["feature_names"] == names
    X, colour, w, y = table
    onehot = (colour[:, None] == np.array(["blue", "green", "red"])).astype(float)
    design = np.c_[X[:, 0], onehot, X[:, 1]]
    expected = LinearRegression().fit(design, y, sample_weight=w)
    np.testing.assert_allclose(load_model(model).coef_, expected.coef_, rtol=1e-9, atol=1e-9)

    (tmp_path / "new.csv").write_text("id;b;colour;a\n007;1.0;red;2.0\nx-9;0.0;violet;0.0\n")
    new = ["predict", str(model), str(tmp_path / "new.csv"), "--sep", ";", "--keep", "id"]
    assert main(new) == 2
    assert "'violet' at data row 2, a category the model was not fitted with" in (
        capsys.readouterr().err
    )
    out = tmp_path / "p.csv"
    assert main([*new, "--unknown-category", "zero", "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "id,prediction"
    assert [line.split(",")[0] for line in lines[1:]] == ["007", "x-9"]  # IDs as written
    rows = np.array([[2.0, 0, 0, 1, 1.0], [0.0, 0, 0, 0, 0.0]])
    np.testing.assert_array_equal(
        [float(line.split(",")[1]) for line in lines[1:]], expected.predict(rows)
    )


def test_parquet_output_by_suffix(tmp_path, capsys, table):
    data = _write_csv(tmp_path / "d.csv", table)
    model = tmp_path / "m.json"
    assert main(["fit", str(data), "--target", "y", "--features", "a", "b", "-o", str(model)]) == 0
    out = tmp_path / "p.parquet"
    assert main(["predict", str(model), str(data), "--keep", "id", "-o", str(out)]) == 0
    written = pq.read_table(out)
    assert written.column_names == ["id", "prediction"]
    assert written.column("id").to_pylist()[:2] == ["00000", "00001"]
    X, _, _, y = table
    np.testing.assert_array_equal(
        written.column("prediction").to_numpy(), LinearRegression().fit(X, y).predict(X)
    )


def test_non_finite_predictions_are_refused_or_written_with_a_warning(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("a,b\n1,1\n1,-1\n3,3\n")
    model = {
        "format": "fastlinreg-model",
        "format_version": 1,
        "fastlinreg_version": "0.1.0",
        "params": {},
        "dtype": "float64",
        "coef": [1e308, 1e308],
        "intercept": 0.0,
        "n_features_in": 2,
        "feature_names": ["a", "b"],
        "training": {},
    }
    (tmp_path / "m.json").write_text(json.dumps(model))
    argv = ["predict", str(tmp_path / "m.json"), str(tmp_path / "d.csv")]
    out = tmp_path / "p.csv"
    assert main([*argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert (
        "2 of 3 predictions are not finite (data row 1: inf)" in err and "--allow-nonfinite" in err
    )
    assert not out.exists()
    assert main([*argv, "-o", str(out), "--allow-nonfinite"]) == 0
    assert "warning: 2 of 3 predictions are not finite" in capsys.readouterr().err
    assert out.read_text().split() == ["prediction", "inf", "0", "inf"]


def test_duplicate_header_is_refused_with_the_names(tmp_path, capsys):
    (tmp_path / "g.csv").write_text("a,a,y\n1,2,3\n4,5,6\n")
    assert main(["fit", str(tmp_path / "g.csv"), "--target", "y"]) == 2
    err = capsys.readouterr().err
    assert "duplicate column names 'a'" in err and len(err.splitlines()) == 1


def test_automatic_chunking_follows_the_memory_budget(tmp_path, capsys, table):
    data = _write_csv(tmp_path / "d.csv", table)
    argv = ["fit", str(data), "--target", "y", "--features", "a", "b", "--json", "-q"]
    assert main([*argv, "--max-memory", "1k"]) == 0
    chunked = json.loads(capsys.readouterr().out)
    assert main([*argv, "--max-memory", "1G"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert chunked["chunked"] and not whole["chunked"]
    np.testing.assert_allclose(
        [c["coefficient"] for c in chunked["coefficients"]],
        [c["coefficient"] for c in whole["coefficients"]],
        rtol=1e-10,
    )


def test_standard_input_fit_and_predict(tmp_path, table):
    data = _write_csv(tmp_path / "d.tsv", table, sep="\t")
    text = data.read_text()
    model = tmp_path / "m.json"
    argv = ["fit", "-", "--format", "tsv", "--target", "y", "--features", "a", "b", "--json"]
    fit = _run([*argv, "-o", str(model)], input=text)
    assert fit.returncode == 0, fit.stderr
    assert json.loads(fit.stdout)["rows"] == 400
    predict = _run(["predict", str(model), "-", "--format", "tsv", "--keep", "id"], input=text)
    assert predict.returncode == 0, predict.stderr
    lines = predict.stdout.splitlines()
    assert lines[0] == "id,prediction" and len(lines) == 401
    missing = _run(["fit", "-", "--target", "y"], input=text)
    assert missing.returncode == 2 and "needs --format" in missing.stderr


def test_version(capsys):
    from fastlinreg import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"fastlinreg {__version__}"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def test_every_option_has_help_with_its_default():
    parser = build_parser()
    commands = _subparsers(parser)
    assert set(commands) == {"bench", "fit", "predict"}
    for name, command in [("fastlinreg", parser), *commands.items()]:
        for action in command._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            where = f"{name} {action.option_strings or action.dest}"
            assert action.help, where
            flag = isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))
            if action.option_strings and not flag and action.nargs != 0 and not action.required:
                assert "default" in action.help, where


def test_the_cli_reference_lists_every_option():
    page = (ROOT / "docs" / "cli.md").read_text()
    reference = page[page.index("## CLI reference") :]
    for name, command in _subparsers(build_parser()).items():
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in reference, f"{name} {option}"


def test_help_and_predict_import_neither_sklearn_nor_the_harness(tmp_path, table):
    data = _write_csv(tmp_path / "d.csv", table)
    model = tmp_path / "m.json"
    assert (
        main(["fit", str(data), "--target", "y", "--features", "a", "b", "-q", "-o", str(model)])
        == 0
    )
    for argv in (["--help"], ["fit", "--help"], ["predict", str(model), str(data)]):
        done = subprocess.run(
            [*program("cli_modules_loaded.py"), *argv],
            capture_output=True,
            text=True,
            timeout=240,
            env=env_under_test(),
            check=False,
        )
        report = json.loads(done.stdout.splitlines()[-1])
        assert report["status"] == 0, done.stderr
        heavy = [m for m in report["modules"] if m.split(".")[0] in ("sklearn", "pandas")]
        harness = {"fastlinreg.bench", "fastlinreg.bench_kernel"} & set(report["modules"])
        assert not heavy and not harness, (argv, heavy, harness)
        if argv[-1] == "--help":
            # Help is printed before the kernels (and Numba) load: it answers in a few
            # tenths of a second rather than the second a fit's start-up takes.
            assert "numba" not in report["modules"], argv


def test_the_help_defaults_are_the_estimators():
    from fastlinreg import LinearRegression
    from fastlinreg._params import DEFAULTS

    assert LinearRegression().get_params() == DEFAULTS

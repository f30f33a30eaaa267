"""The kernel table (``fastlinreg bench --kernel``) on tiny sizes: its output, never its speed."""

from __future__ import annotations

import json
import math
import re

import numba
import numpy as np
import pytest

from fastlinreg import bench, bench_kernel
from fastlinreg.cli import _bench_config, build_parser, main

pytestmark = pytest.mark.slow

FEATURES = (1, 3, 9)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture(autouse=True)
def no_blas_pause(monkeypatch):
    # The pause lets OpenBLAS threads go idle between timings; tiny runs need not wait for it.
    monkeypatch.setattr(bench_kernel, "BLAS_SETTLE_SECONDS", 0.0)


@pytest.fixture(scope="module")
def tiny():
    threads_before = numba.get_num_threads()
    config = bench_kernel.KernelConfig(features=FEATURES, megabytes=0.5, threads=1, repeat=2)
    labels = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bench_kernel, "BLAS_SETTLE_SECONDS", 0.0)
        result = bench_kernel.run(config, lambda step, total, label: labels.append(label))
    return result, labels, threads_before


def _positive_finite(value) -> bool:
    return value is not None and math.isfinite(value) and value > 0


def test_one_row_per_d_and_dtype_with_every_round(tiny):
    result, labels, threads_before = tiny
    assert [(r.n_features, r.dtype) for r in result.rows] == [
        (d, dtype) for d in FEATURES for dtype in ("float64", "float32")
    ]
    for r in result.rows:
        itemsize = np.dtype(r.dtype).itemsize
        assert r.n_samples == math.ceil(0.5e6 / (r.n_features * itemsize))
        assert r.x_bytes == r.n_samples * r.n_features * itemsize
        assert r.y_bytes == r.n_samples * itemsize
        assert len(r.probe_seconds) == len(r.fused_seconds) == len(r.numpy_seconds) == 2
        assert r.compile_source in (bench.COMPILED, bench.CACHE_LOADED, bench.ALREADY_COMPILED)
        assert r.compile_seconds is not None and r.compile_seconds >= 0
    assert len(labels) == len(result.rows) * (2 + 2)
    assert labels[-1] == f"{result.rows[-1].n_samples:,} x 9 float32: round 2/2"
    assert numba.get_num_threads() == threads_before
    assert result.machine["threads"] == 1


def test_derived_numbers_are_positive_and_consistent(tiny):
    result, _, _ = tiny
    for r in result.rows:
        for stat in bench_kernel.STATS:
            values = [r.gb_per_s(what, stat) for what in bench_kernel.CANDIDATES]
            values += [r.percent_of_probe(stat), r.vs_numpy(stat)]
            assert all(_positive_finite(v) for v in values), (r, stat, values)
        fused = r.gb_per_s("fused")
        assert fused == pytest.approx((r.x_bytes + r.y_bytes) / min(r.fused_seconds) / 1e9)
        assert r.gb_per_s("probe") == pytest.approx(r.x_bytes / min(r.probe_seconds) / 1e9)
        assert r.percent_of_probe() == pytest.approx(100 * fused / r.gb_per_s("probe"))
        assert r.vs_numpy("median") == pytest.approx(
            np.median(r.numpy_seconds) / np.median(r.fused_seconds)
        )


def test_text_table_has_the_columns_and_a_row_per_shape(tiny):
    result, _, _ = tiny
    lines = result.format_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("shape (n x d)"))
    for column in bench_kernel.HEADERS:
        assert column in lines[header]
    body = lines[header + 1 : header + 1 + len(result.rows)]
    for line, r in zip(body, result.rows, strict=True):
        assert line.startswith(r.shape) and r.dtype in line
        cells = line.split(r.dtype, 1)[1]
        numbers = [float(x) for x in NUMBER.findall(cells)]
        # probe, fused, %, NumPy GB/s and × NumPy as "best (median)", then compile seconds.
        assert len(numbers) == 11
        assert all(math.isfinite(x) and x > 0 for x in numbers[:10])
    assert lines[header + 1 + len(result.rows)] == ""
    assert any(line.startswith("command: fastlinreg bench --kernel") for line in lines)
    assert any(line.startswith("machine: ") for line in lines)
    speedups = [line for line in lines if line.startswith("f32 speed-up, d = ")]
    assert [int(line.split()[4].rstrip(":")) for line in speedups] == list(FEATURES)


def test_markdown_table(tiny):
    result, _, _ = tiny
    text = result.format_markdown()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| " + " | ".join(bench_kernel.HEADERS) + " |"
    assert len(rows) == 1 + len(result.rows)
    assert all(row.count(" | ") == len(bench_kernel.HEADERS) - 1 for row in rows)
    assert "- f32 speed-up, d = 9: " in text and "- machine: " in text


def test_f32_speedup_compares_time_per_row(tiny):
    result, _, _ = tiny
    speedups = result.f32_speedups()
    assert [s["n_features"] for s in speedups] == list(FEATURES)
    r64, r32 = result.rows[0], result.rows[1]
    expected = (min(r64.fused_seconds) / r64.n_samples) / (min(r32.fused_seconds) / r32.n_samples)
    assert speedups[0]["best"] == pytest.approx(expected)
    assert all(_positive_finite(s["median"]) for s in speedups)


def test_json_round_trips(tiny, tmp_path):
    result, _, _ = tiny
    path = tmp_path / "kernel.json"
    result.write_json(path)
    document = json.loads(path.read_text())
    assert document["command"] == result.config.command()
    assert document["config"]["features"] == list(FEATURES)
    assert document["machine"]["threads"] == 1
    assert len(document["rows"]) == len(result.rows)
    for entry, r in zip(document["rows"], result.rows, strict=True):
        assert (entry["n_samples"], entry["n_features"], entry["dtype"]) == (
            r.n_samples,
            r.n_features,
            r.dtype,
        )
        assert entry["shape"] == r.shape
        assert entry["fused_seconds"] == r.fused_seconds
        assert entry["best"]["fused_gb_per_s"] == pytest.approx(r.gb_per_s("fused"))
        assert entry["median"]["percent_of_probe"] == pytest.approx(r.percent_of_probe("median"))
    want = result.f32_speedups()
    assert [e["n_features"] for e in document["f32_speedup"]] == [e["n_features"] for e in want]
    for got_entry, want_entry in zip(document["f32_speedup"], want, strict=True):
        for stat in ("best", "median"):
            assert got_entry[stat] == pytest.approx(want_entry[stat])


def test_numpy_iteration_is_the_fused_gradient_over_n():
    X, y = bench.make_data(3000, 3, "float64", seed=2)
    coef, intercept = bench_kernel.random_model(3, seed=4)
    assert np.all(coef != 0) and intercept[0] != 0
    grad, grad_b, _ = bench.fused_pass(X, y, coef, intercept)
    g, gb = bench_kernel.numpy_iteration(X, y, coef[0], float(intercept[0]))
    np.testing.assert_allclose(g, grad[0] / len(y), rtol=1e-10)
    assert gb == pytest.approx(grad_b[0] / len(y), rel=1e-10)


def test_measure_without_numpy_leaves_its_columns_empty():
    X, y = bench.make_data(5000, 3, "float32")
    coef, intercept = bench_kernel.random_model(3)
    bench_kernel.warm_up(X, y, coef, intercept, numpy=False)
    row = bench_kernel.measure(X, y, coef, intercept, repeat=2, numpy=False)
    assert row.numpy_seconds == [] and len(row.fused_seconds) == 2
    assert row.gb_per_s("numpy") is None and row.vs_numpy() is None
    assert _positive_finite(row.percent_of_probe("median"))
    with pytest.raises(ValueError, match="what must be one of"):
        row.seconds("blas")


def test_n_samples_for_sizes_x_in_megabytes():
    assert bench_kernel.n_samples_for(800, 1, "float64") == 100_000_000
    assert bench_kernel.n_samples_for(800, 1000, "float32") == 200_000
    assert bench_kernel.n_samples_for(800, 7, np.float64) == math.ceil(800e6 / 56)
    assert bench_kernel.n_samples_for(1e-9, 1000, "float64") == 1


def test_config_defaults_and_validation():
    config = bench_kernel.KernelConfig()
    assert config.features == (1, 2, 3, 5, 7, 8, 11, 13, 20, 50, 101, 257, 1000)
    assert config.dtypes == ("float64", "float32")
    assert (config.megabytes, config.repeat) == (800.0, 9)
    assert config.threads == bench.default_threads()
    assert bench_kernel.KernelConfig(features=[3, 1, 3]).features == (3, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"features": ()},
        {"features": (0, 3)},
        {"dtypes": ("float16",)},
        {"dtypes": ()},
        {"megabytes": 0},
        {"megabytes": float("nan")},
        {"repeat": 0},
        {"threads": 0},
    ],
)
def test_config_is_validated(kwargs):
    with pytest.raises(ValueError):
        bench_kernel.KernelConfig(**kwargs)


@pytest.mark.parametrize(
    "config",
    [
        bench_kernel.KernelConfig(threads=2),
        bench_kernel.KernelConfig(
            features=(257, 2), dtypes=("float32",), megabytes=0.25, threads=1, repeat=3, seed=5
        ),
    ],
)
def test_the_printed_command_gives_back_the_config(config):
    argv = config.command().split()
    assert argv[:3] == ["fastlinreg", "bench", "--kernel"]
    assert _bench_config(build_parser().parse_args(argv[1:])) == config


def test_cli_prints_the_table_and_writes_json(tmp_path, capsys):
    path = tmp_path / "k.json"
    argv = ["bench", "--kernel", "--features", "3", "--megabytes", "0.2", "--dtype", "float64"]
    argv += ["--threads", "1", "--repeat", "1", "--json", str(path), "--markdown"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "| " + " | ".join(bench_kernel.HEADERS) + " |" in captured.out
    assert "| 8,334 x 3 | float64 | " in captured.out
    assert "f32 speed-up" not in captured.out
    assert "8,334 x 3 float64: round 1/1" in captured.err
    document = json.loads(path.read_text())
    assert [(r["n_features"], r["dtype"]) for r in document["rows"]] == [(3, "float64")]
    assert document["command"] == " ".join(["fastlinreg", *argv[:-3]])


def test_cli_quiet_prints_no_progress(capsys):
    argv = ["bench", "--kernel", "--features", "1", "--megabytes", "0.1", "--repeat", "1"]
    assert main([*argv, "--dtype", "float32", "--threads", "1", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert len(re.findall(r"^25,000 x 1 +float32 ", captured.out, re.MULTILINE)) == 1


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--kernel", "--n-samples", "10"], "--n-samples cannot be used with --kernel"),
        (["--kernel", "--n-features", "3"], "--n-features cannot be used with --kernel"),
        (["--kernel", "--plot", "{}/k.png"], "--plot cannot be used with --kernel"),
        (["--features", "3"], "--features needs --kernel"),
        (["--megabytes", "1"], "--megabytes needs --kernel"),
        (["--kernel", "--json", "{}/no/k.json"], "the folder does not exist"),
    ],
)
def test_options_of_the_other_mode_are_one_line_errors(capsys, tmp_path, argv, fragment):
    assert main(["bench", *(a.format(tmp_path) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("fastlinreg bench: error: ") and fragment in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--megabytes", "0"],
        ["--megabytes", "-5"],
        ["--megabytes", "inf"],
        ["--features", "3", "0"],
        ["--repeat", "0"],
    ],
)
def test_bad_values_are_rejected_by_argparse(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--kernel", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "must be" in err

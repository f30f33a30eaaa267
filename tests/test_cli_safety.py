"""The command line never loses data: outputs that are inputs, failed and interrupted writes.

Kills, signals and failed writes run in subprocesses (with timeouts) that drive
``fastlinreg.cli.main``; the file that would have been replaced must keep its old bytes, and no
temporary file may be left behind except after SIGKILL, which nothing can clean up.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import env_under_test, program

from fastlinreg import load_model
from fastlinreg.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def work(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 2))
    y = X @ [2.0, -1.0] + 0.5
    lines = ["a,b,y"] + [
        f"{a!r},{b!r},{t!r}" for (a, b), t in zip(X.tolist(), y.tolist(), strict=True)
    ]
    (tmp_path / "train.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "new.csv").write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    assert (
        main(["fit", str(tmp_path / "train.csv"), "--target", "y", "-o", str(tmp_path / "m.json")])
        == 0
    )
    return tmp_path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _one_line_error(capsys, argv, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err
    return err


@pytest.mark.parametrize("alias", ["same", "dotted", "hardlink", "symlink"])
def test_fit_refuses_to_overwrite_its_training_file(capsys, work, alias):
    data = work / "train.csv"
    output = {
        "same": data,
        "dotted": work / "." / "train.csv",
        "hardlink": work / "hard.csv",
        "symlink": work / "soft.csv",
    }[alias]
    if alias == "hardlink":
        os.link(data, output)
    elif alias == "symlink":
        output.symlink_to(data)
    before = _snapshot(work)
    _one_line_error(capsys, ["fit", str(data), "--target", "y", "-o", str(output)], "is the input")
    assert _snapshot(work) == before


@pytest.mark.parametrize("which", ["model", "file"])
def test_predict_refuses_to_overwrite_the_model_or_the_input(capsys, work, which):
    model, new = work / "m.json", work / "new.csv"
    before = _snapshot(work)
    output = model if which == "model" else new
    _one_line_error(capsys, ["predict", str(model), str(new), "-o", str(output)], "is the input")
    assert _snapshot(work) == before


def test_output_folder_is_checked_before_the_data_are_read(capsys, work):
    (work / "text.csv").write_text("x,kind,y\n1,a,2\n")
    missing = work / "no" / "m.json"
    argv = ["fit", str(work / "text.csv"), "--target", "y", "-o", str(missing)]
    err = _one_line_error(capsys, argv, "does not exist")
    assert "kind" not in err  # refused before reading: the bad column was never seen
    _one_line_error(capsys, [*argv[:4], "-o", str(work)], "is a folder")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_output_in_a_read_only_folder_is_refused_first(capsys, work):
    locked = work / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        argv = ["predict", str(work / "m.json"), str(work / "absent.csv")]
        _one_line_error(capsys, [*argv, "-o", str(locked / "p.csv")], "is not writable")
    finally:
        locked.chmod(0o755)


def _run_program(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*program(name), *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env=env_under_test(),
        check=False,
    )


def _commands(work: Path) -> dict[str, tuple[list[str], Path]]:
    return {
        "fit": (
            ["fit", str(work / "train.csv"), "--target", "y", "-o", str(work / "m.json")],
            work / "m.json",
        ),
        "predict": (
            ["predict", str(work / "m.json"), str(work / "new.csv"), "-o", str(work / "p.csv")],
            work / "p.csv",
        ),
    }


@pytest.mark.parametrize("command", ["fit", "predict"])
@pytest.mark.parametrize(
    ("signum", "status", "line"),
    [
        (signal.SIGINT, 130, "fastlinreg: interrupted"),
        (signal.SIGTERM, 143, "fastlinreg: terminated"),
        (signal.SIGKILL, -signal.SIGKILL, None),
    ],
)
def test_a_signal_during_the_write_leaves_the_old_file(work, command, signum, status, line):
    argv, target = _commands(work)[command]
    target.write_text("the old contents\n")
    before = _snapshot(work)
    done = _run_program("cli_signal_at_fsync.py", str(int(signum)), *argv)
    assert done.returncode == status, done.stderr
    assert target.read_text() == "the old contents\n"
    if line is not None:
        assert done.stderr.strip().splitlines() == [line]
        assert _snapshot(work) == before  # no temporary file left
    else:
        leftovers = set(_snapshot(work)) - set(before)
        assert all(n.startswith(f".{target.name}.") and n.endswith(".tmp") for n in leftovers)


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE (POSIX)")
@pytest.mark.parametrize("command", ["fit", "predict"])
def test_a_write_that_fails_part_way_leaves_the_old_file(work, command):
    argv, target = _commands(work)[command]
    old = load_model(work / "m.json") if command == "fit" else None
    target.write_text("x" * 100 + "\n") if command == "predict" else None
    before = _snapshot(work)
    done = _run_program("cli_file_size_limit.py", "300", *argv)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"fastlinreg {command}: error: ") and "File too large" in last
    assert "Traceback" not in done.stderr
    after = _snapshot(work)
    after.pop(target.name + ".warm")
    assert after == before
    if old is not None:
        np.testing.assert_array_equal(load_model(target).coef_, old.coef_)


@pytest.mark.parametrize(
    ("signum", "status", "line"),
    [
        (signal.SIGINT, 130, "fastlinreg: interrupted"),
        (signal.SIGTERM, 143, "fastlinreg: terminated"),
    ],
)
def test_ctrl_c_or_sigterm_during_a_fit_is_one_line(work, signum, status, line):
    before = _snapshot(work)
    argv = _commands(work)["fit"][0]
    with subprocess.Popen(
        [*program("cli_slow_fit.py"), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env_under_test(),
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "fitting\n"
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == status
    assert err.strip().splitlines() == [line]
    assert _snapshot(work) == before


def _console_script_code() -> str:
    """What the installed ``fastlinreg`` script runs: the entry point pyproject.toml declares."""
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["fastlinreg"].split(":")
    return f"import sys\nfrom {module} import {function}\nsys.exit({function}())\n"


def _numpy_is_loading(pid: int) -> bool:
    # NumPy's compiled core is mapped part-way through its import, which the command line
    # starts before its own signal handling exists.
    with open(f"/proc/{pid}/maps") as maps:
        return "_multiarray_umath" in maps.read()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/PID/maps (Linux)")
@pytest.mark.parametrize(
    ("signum", "status", "line"),
    [
        (signal.SIGINT, 130, "fastlinreg: interrupted"),
        (signal.SIGTERM, 143, "fastlinreg: terminated"),
    ],
)
def test_a_signal_while_the_command_is_still_importing_is_one_line(work, signum, status, line):
    argv = _commands(work)["fit"][0]
    with subprocess.Popen(
        [sys.executable, "-c", _console_script_code(), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    ) as proc:
        try:
            deadline = time.monotonic() + 60
            while not _numpy_is_loading(proc.pid):
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.001)
            proc.send_signal(signum)
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == status, err
    assert err.strip().splitlines() == [line]


def test_deeply_nested_model_is_a_one_line_error(capsys, work):
    (work / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    _one_line_error(
        capsys, ["predict", str(work / "deep.json"), str(work / "new.csv")], "nested too deeply"
    )
    document = json.loads((work / "m.json").read_text())
    assert document["format"] == "fastlinreg-model"

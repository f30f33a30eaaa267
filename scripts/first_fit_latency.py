"""Time from process start to the first finished fit, with a cold and with a warm kernel cache.

Each measurement is a fresh ``python`` process pointed at one Numba cache directory
(``NUMBA_CACHE_DIR``, created empty for the run): the first process compiles every kernel it
runs (cold), the following ones load them (warm). A process imports fastlinreg, fits 100 x 3
float64 data with the defaults and predicts, then fits again with ``solver="gd"``. Times are
taken against the parent's clock just before the process is started, so they include starting
the interpreter. The script also reports which heavy modules the first fit imported, and times
``fastlinreg --help`` in its own process (the console script's entry point, run as the
installed script runs it).

Usage::

    python scripts/first_fit_latency.py --warm-runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, sys, time
import fastlinreg
imported = time.time()
import numpy as np
rng = np.random.default_rng(0)
X = rng.standard_normal((100, 3))
y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(100)
model = fastlinreg.LinearRegression().fit(X, y)
model.predict(X)
fitted = time.time()
heavy = sorted(m for m in ("sklearn", "scipy", "pandas") if m in sys.modules)
fastlinreg.LinearRegression(solver="gd").fit(X, y)
gd_fitted = time.time()
print(json.dumps({"imported": imported, "fitted": fitted, "gd_fitted": gd_fitted, "heavy": heavy}))
"""


HELP = "import sys\nfrom fastlinreg._entry import main\nsys.argv[1:] = ['--help']\nsys.exit(main())"


def time_help(env: dict[str, str]) -> float:
    """Seconds from starting a process to ``fastlinreg --help`` having printed and exited."""
    start = time.time()
    subprocess.run(
        [sys.executable, "-c", HELP], env=env, capture_output=True, check=True, timeout=600
    )
    return time.time() - start


def run_once(cache_dir: str) -> dict[str, object]:
    """Run the child once against ``cache_dir``; return its phase times in seconds."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    help_seconds = time_help(env)
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=600
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    marks = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "import": marks["imported"] - start,
        "first fit + predict": marks["fitted"] - marks["imported"],
        "gd fit": marks["gd_fitted"] - marks["fitted"],
        "start to first fit": marks["fitted"] - start,
        "fastlinreg --help": help_seconds,
        "heavy modules imported by then": marks["heavy"],
    }


def main(argv: list[str] | None = None) -> None:
    """Print one row per process: the cold one, then the warm ones and their median."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-runs", type=int, default=5, help="warm processes (default 5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fastlinreg-cache-") as cache_dir:
        rows = [("cold", run_once(cache_dir))]
        rows += [(f"warm {i + 1}", run_once(cache_dir)) for i in range(args.warm_runs)]
    keys = ["import", "first fit + predict", "gd fit", "start to first fit", "fastlinreg --help"]
    print("| run | " + " | ".join(keys) + " | heavy modules imported by then |")
    print("|:--|" + "--:|" * len(keys) + ":--|")
    for name, row in rows:
        times = " | ".join(f"{row[k]:.2f} s" for k in keys)
        heavy = ", ".join(row["heavy modules imported by then"]) or "none"
        print(f"| {name} | {times} | {heavy} |")
    warm = rows[1:]
    if warm:
        medians = " | ".join(f"{statistics.median(r[k] for _, r in warm):.2f} s" for k in keys)
        print(f"| warm median | {medians} | |")


if __name__ == "__main__":
    main()

"""Anonymous memory that a fit on a memory-mapped X adds, per solver, each in a fresh process.

X and y are written once as ``.npy`` files (in blocks, so the writer never holds them). Each
candidate then runs in its own process: it maps the files (``np.load(mmap_mode="r")`` or
``np.memmap``), warms the compiled kernels on a few rows, and fits while a sampling thread reads
``RssAnon`` from ``/proc/self/status`` every millisecond. Pages of a file mapping count as
``RssFile`` (reclaimable page cache), so ``RssAnon`` growth is what the fit allocates, a copy of
X included. Numba's parallel kernels hold the GIL while they run, so the parent process also
samples the child's ``/proc/<pid>/status`` from outside; the larger growth of the two is
reported. scikit-learn's ``LinearRegression`` (which copies X to centre it) is the control that
shows a copy is seen. Linux only.

Usage (from the repository root, or with fastlinreg installed)::

    python scripts/mmap_memory.py --n-samples 4000000 --n-features 50
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

CHILD = r"""
import json, sys, threading, time
import numpy as np

def rss_anon(pid="self"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no RssAnon")

xpath, ypath, how, candidate = sys.argv[1:5]
if how == "np.load":
    X = np.load(xpath, mmap_mode="r")
else:
    header = np.load(xpath, mmap_mode="r")
    X = np.memmap(xpath, dtype=header.dtype, mode="r", shape=header.shape,
                  offset=header.offset)
    del header
y = np.load(ypath, mmap_mode="r")
if candidate == "sklearn":
    from sklearn.linear_model import LinearRegression
    model = LinearRegression()
else:
    from fastlinreg import LinearRegression
    model = LinearRegression(solver=candidate)
model.fit(X[:2000], y[:2000])

samples = []
done = threading.Event()
def sample():
    while not done.is_set():
        samples.append(rss_anon())
        time.sleep(0.001)
before = rss_anon()
sampler = threading.Thread(target=sample, daemon=True)
t0 = time.monotonic()
sampler.start()
model.fit(X, y)
done.set()
sampler.join()
t1 = time.monotonic()
print(json.dumps({"before": before, "peak": max(samples + [rss_anon()]), "n": len(samples),
                  "t0": t0, "t1": t1, "x_bytes": X.nbytes, "seconds": t1 - t0}))
"""


def _write(path: Path, n: int, d: int, dtype: str, block: int = 250_000) -> tuple[Path, Path]:
    """Write X and y block by block with a seeded generator."""
    xpath, ypath = path / "X.npy", path / "y.npy"
    X = np.lib.format.open_memmap(xpath, mode="w+", dtype=dtype, shape=(n, d))
    y = np.lib.format.open_memmap(ypath, mode="w+", dtype=np.float64, shape=(n,))
    rng = np.random.default_rng(0)
    coef = rng.normal(size=d)
    for a in range(0, n, block):
        b = min(a + block, n)
        xb = rng.standard_normal((b - a, d)) * 2.0 + 1.0
        X[a:b] = xb
        y[a:b] = xb @ coef + 3.0 + rng.standard_normal(b - a)
    X.flush()
    y.flush()
    del X, y
    return xpath, ypath


def _external_samples(pid: int, out: list[tuple[float, int]], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        out.append((time.monotonic(), int(line.split()[1]) * 1024))
        except OSError:
            return
        time.sleep(0.001)


def run(xpath: Path, ypath: Path, how: str, candidate: str) -> dict:
    """Fit in a child process; return its measurements."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(xpath), str(ypath), how, candidate],
        stdout=subprocess.PIPE,
        text=True,
    )
    outside: list[tuple[float, int]] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_external_samples, args=(proc.pid, outside, stop))
    watcher.start()
    stdout, _ = proc.communicate(timeout=1800)
    stop.set()
    watcher.join()
    if proc.returncode:
        raise RuntimeError(f"{candidate} failed with status {proc.returncode}")
    r = json.loads(stdout.strip().splitlines()[-1])
    during = [v for t, v in outside if r["t0"] <= t <= r["t1"]]
    r["outside_peak"] = max(during, default=r["before"])
    r["outside_n"] = len(during)
    return r


def main() -> None:
    """Write the files, run every candidate in its own process, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=4_000_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--dir", help="where to write the files (default: a temporary folder)")
    parser.add_argument("--no-control", action="store_true", help="skip scikit-learn")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        xpath, ypath = _write(Path(tmp), args.n_samples, args.n_features, args.dtype)
        print(
            f"X: {args.n_samples} x {args.n_features} {args.dtype}, "
            f"{xpath.stat().st_size / 1e6:.0f} MB on disk"
        )
        print(
            f"{'candidate':22s} {'mapping':10s} {'fit [s]':>8s} {'RssAnon growth [MB]':>20s} "
            f"{'% of X':>7s} {'samples in/out':>15s}"
        )
        candidates = [
            ("gd", "np.load"),
            ("gram", "np.load"),
            ("gd", "np.memmap"),
            ("gram", "np.memmap"),
        ]
        if not args.no_control:
            candidates.append(("sklearn", "np.load"))
        for candidate, how in candidates:
            r = run(xpath, ypath, how, candidate)
            growth = max(r["peak"], r["outside_peak"]) - r["before"]
            name = candidate if candidate == "sklearn" else f"fastlinreg:{candidate}"
            print(
                f"{name:22s} {how:10s} {r['seconds']:8.2f} {growth / 1e6:20.1f} "
                f"{100 * growth / r['x_bytes']:7.2f} {r['n']:7d}/{r['outside_n']:<7d}"
            )


if __name__ == "__main__":
    main()

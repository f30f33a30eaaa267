"""Peak extra memory of a fit, measured in a fresh subprocess per candidate.

Each candidate runs in its own process: X and y are built, a small fit warms the compiled
kernels, the kernel's peak-RSS counter is reset (``/proc/self/clear_refs``), the fit runs, and
the peak resident set size above the pre-fit level is reported as a percentage of ``X.nbytes``.
Linux only.

Usage::

    python scripts/fit_memory.py --n-samples 2000000 --n-features 50
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys
import numpy as np

def rss(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)

n, d, dtype, candidate = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d)).astype(dtype)
y = (X[:, : min(d, 5)].sum(axis=1) + rng.standard_normal(n)).astype(dtype)
if candidate.startswith("fastlinreg"):
    from fastlinreg import LinearRegression
    solver = candidate.split(":")[1]
    fit = lambda: LinearRegression(solver=solver).fit(X, y)
    LinearRegression(solver=solver).fit(X[:1000], y[:1000])
else:
    from sklearn.linear_model import LinearRegression as SkLR
    fit = lambda: SkLR().fit(X, y)
    SkLR().fit(X[:1000], y[:1000])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = rss("VmRSS:")
fit()
peak = rss("VmHWM:")
print(json.dumps({"candidate": candidate, "x_bytes": X.nbytes, "extra_bytes": peak - before}))
"""


def main() -> None:
    """Run every candidate in its own process and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2_000_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--dtype", default="float64")
    args = parser.parse_args()
    print(f"{'candidate':24s} {'X [MB]':>8s} {'extra peak [MB]':>16s} {'% of X':>8s}")
    for candidate in ("fastlinreg:gd", "fastlinreg:gram", "sklearn"):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(args.n_samples),
                str(args.n_features),
                args.dtype,
                candidate,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{candidate:24s} {r['x_bytes'] / 1e6:8.0f} {r['extra_bytes'] / 1e6:16.1f} "
            f"{100 * r['extra_bytes'] / r['x_bytes']:8.2f}"
        )


if __name__ == "__main__":
    main()

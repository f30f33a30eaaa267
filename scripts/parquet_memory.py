"""Peak memory of a chunked fit on a large Parquet (or CSV) file, against the same fit in memory.

A Parquet (or CSV) file of ``n`` rows, ``d`` float64 features and a target is written block by
block from a seeded generator (the writer never holds it). Then, each in a fresh process:

- ``chunked``: :func:`fastlinreg.io_chunks.fit_file` fits from the file, drawing its progress
  bar on stderr; its peak resident set (``VmHWM``, everything the process ever held: the
  interpreter, Numba, pyarrow and the chunks) is compared with the size of the data;
- ``in-memory``: the same rows are generated again in memory and ``LinearRegression().fit``
  runs on them; its coefficients are the reference.

Usage (from the repository root, or with fastlinreg installed)::

    python scripts/parquet_memory.py --n-samples 5000000 --n-features 50
    python scripts/parquet_memory.py --n-samples 1200000 --n-features 50 --format csv
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

BLOCK = 250_000

DATA = r"""
import numpy as np

def blocks(n, d, block):
    rng = np.random.default_rng(0)
    coef = rng.normal(size=d)
    for a in range(0, n, block):
        m = min(block, n - a)
        X = rng.standard_normal((m, d)) * np.linspace(0.5, 3.0, d) + np.linspace(-5, 5, d)
        yield X, X @ coef + 3.0 + rng.standard_normal(m)
"""

CHUNKED = (
    DATA
    + r"""
import json, sys, time
from fastlinreg import LinearRegression
from fastlinreg.io_chunks import fit_file

path, solver, dtype = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
model = fit_file(path, "y", model=LinearRegression(solver=solver), dtype=dtype)
seconds = time.perf_counter() - t0
with open("/proc/self/status") as f:
    peak = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
print(json.dumps({"coef": model.coef_.tolist(), "intercept": float(model.intercept_),
                  "peak": peak, "seconds": seconds, "solver": model.solver_,
                  "passes": model.n_passes_}))
"""
)

IN_MEMORY = (
    DATA
    + r"""
import json, sys
from fastlinreg import LinearRegression

n, d, block, solver = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
parts = list(blocks(n, d, block))
X = np.concatenate([p[0] for p in parts])
y = np.concatenate([p[1] for p in parts])
del parts
model = LinearRegression(solver=solver).fit(X, y)
print(json.dumps({"coef": model.coef_.tolist(), "intercept": float(model.intercept_)}))
"""
)


def write(path: Path, n: int, d: int) -> int:
    """Write the Parquet or CSV file (by suffix); return the bytes of the data as float64."""
    import pyarrow as pa
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    namespace: dict = {}
    exec(DATA, namespace)
    names = [f"x{j}" for j in range(d)]
    schema = pa.schema([(name, pa.float64()) for name in [*names, "y"]])
    writer_type = csv.CSVWriter if path.suffix == ".csv" else pq.ParquetWriter
    with writer_type(path, schema) as writer:
        for X, y in namespace["blocks"](n, d, BLOCK):
            columns = [pa.array(X[:, j]) for j in range(d)] + [pa.array(y)]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
    return n * (d + 1) * 8


def main() -> None:
    """Write the file, fit it both ways, print peak memory and the coefficient difference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=5_000_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--solver", default="auto", choices=["auto", "gram", "qr", "cg", "gd"])
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    parser.add_argument("--dir", help="where to write the file (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / f"data.{args.format}"
        data_bytes = write(path, args.n_samples, args.n_features)
        print(
            f"data: {args.n_samples} rows x {args.n_features} features + target = "
            f"{data_bytes / 1e9:.2f} GB as float64; file {path.stat().st_size / 1e9:.2f} GB"
        )
        out = subprocess.run(
            [sys.executable, "-c", CHUNKED, str(path), args.solver, args.dtype],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
            timeout=3600,
        )
    chunked = json.loads(out.stdout.strip().splitlines()[-1])
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            IN_MEMORY,
            str(args.n_samples),
            str(args.n_features),
            str(BLOCK),
            args.solver,
        ],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        timeout=3600,
    )
    ref = json.loads(out.stdout.strip().splitlines()[-1])
    coef, want = np.array(chunked["coef"]), np.array(ref["coef"])
    budget = 300e6 + 0.25 * data_bytes
    rate = data_bytes * chunked["passes"] / chunked["seconds"]
    print(
        f"chunked fit: solver {chunked['solver']}, {chunked['passes']} passes, "
        f"{chunked['seconds']:.1f} s ({rate / 1e6:.0f} MB of data per second)"
    )
    print(
        f"peak RSS {chunked['peak'] / 1e6:.0f} MB = {100 * chunked['peak'] / data_bytes:.1f} % "
        f"of the data (budget 300 MB + 25 % = {budget / 1e6:.0f} MB)"
    )
    print(
        "max |coef - in-memory coef| / max |coef| = "
        f"{np.abs(coef - want).max() / np.abs(want).max():.2e}; intercept difference "
        f"{abs(chunked['intercept'] - ref['intercept']):.2e}"
    )


if __name__ == "__main__":
    main()

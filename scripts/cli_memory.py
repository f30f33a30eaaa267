"""Peak memory of ``fastlinreg fit`` on a Parquet or CSV file, against the size of its numbers.

A file of ``n`` rows, ``d`` float64 features and a target is written block by block from a
seeded generator (``parquet_memory.py``'s writer, which never holds it), and a 1,000-row
file with the same columns. Then
``python -m fastlinreg fit FILE --target y --quiet`` runs in a fresh process for each of:

- ``baseline``: the small file, in memory: the interpreter, Numba, pyarrow and the kernels;
- ``in memory``: the large file, read into one matrix (``--max-memory 1T``, so that the
  automatic choice cannot read it in chunks);
- ``chunked``: the large file with ``--chunked``.

The peak resident set of each process is read from ``os.wait4`` (``ru_maxrss``, the child
alone). The in-memory figure to compare with the numeric data (``n * (d + 1) * 8`` bytes) is
``peak - baseline``; the command's target is at most 1.3 times the data.

Usage (from the repository root, or with fastlinreg installed)::

    python scripts/cli_memory.py --n-samples 4000000 --n-features 25
    python scripts/cli_memory.py --n-samples 2000000 --n-features 25 --format csv
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, its own folder is on the path: the chunked-fit benchmark's seeded writer.
from parquet_memory import write


def peak_of_fit(path: Path, *options: str) -> tuple[int, float]:
    """Run ``fastlinreg fit`` on ``path``; return its peak RSS in bytes and its wall time."""
    argv = [sys.executable, "-m", "fastlinreg", "fit", str(path), "--target", "y", "--quiet"]
    start = time.perf_counter()
    proc = subprocess.Popen([*argv, *options])
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"fastlinreg fit failed with status {proc.returncode}")
    return usage.ru_maxrss * 1024, seconds


def main() -> None:
    """Write the files, run the three fits, print the figures and a table row for docs/cli.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=4_000_000)
    parser.add_argument("--n-features", type=int, default=25)
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--dir", help="where to write the files (default: a temporary folder)")
    args = parser.parse_args()
    n, d = args.n_samples, args.n_features
    data_bytes = n * (d + 1) * 8
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        large, small = Path(tmp) / f"data.{args.format}", Path(tmp) / f"small.{args.format}"
        write(large, n, d)
        write(small, 1000, d)
        dtype = ["--dtype", args.dtype]
        baseline, _ = peak_of_fit(small, *dtype)
        whole, whole_s = peak_of_fit(large, "--max-memory", "1T", *dtype)
        chunked, chunked_s = peak_of_fit(large, "--chunked", *dtype)
        size = large.stat().st_size
    if args.dtype == "float32":
        data_bytes = n * (d * 4 + 8)
    ratio = (whole - baseline) / data_bytes
    print(
        f"data: {n} rows x {d} features + target = {data_bytes / 1e9:.2f} GB of numbers "
        f"(X {args.dtype}, y float64); {args.format} file {size / 1e9:.2f} GB"
    )
    print(f"baseline (1,000 rows): peak RSS {baseline / 1e6:.0f} MB")
    print(
        f"in memory: peak RSS {whole / 1e6:.0f} MB, {whole_s:.1f} s; above the baseline "
        f"{(whole - baseline) / 1e6:.0f} MB = {ratio:.2f} x the data (target <= 1.3)"
    )
    print(f"chunked: peak RSS {chunked / 1e6:.0f} MB, {chunked_s:.1f} s")
    print(
        f"| {args.format} | {n:,} x {d} | {args.dtype} | {data_bytes / 1e9:.2f} GB | "
        f"{baseline / 1e6:.0f} MB | {whole / 1e6:.0f} MB ({ratio:.2f}x) | "
        f"{chunked / 1e6:.0f} MB |"
    )


if __name__ == "__main__":
    main()

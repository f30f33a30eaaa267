"""The ``fastlinreg`` command line."""

from __future__ import annotations

import argparse
import sys

import numpy as np


def _bench(args: argparse.Namespace) -> int:
    from . import bench

    rows, compile_seconds = bench.run(
        args.n_samples, args.n_features, np.dtype(args.dtype), args.repeat, args.threads
    )
    print(f"data: {args.n_samples} x {args.n_features} {args.dtype}, threads={args.threads}")
    print(f"compile / cache load (first small fit): {compile_seconds:.2f} s")
    print(bench.format_table(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(prog="fastlinreg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("bench", help="time fastlinreg against NumPy and scikit-learn")
    p.add_argument("--n-samples", type=int, default=2_000_000)
    p.add_argument("--n-features", type=int, default=50)
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=_bench)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

"""Per-chunk throughput of the Dask paths on a local cluster, and what travels per chunk.

A random ``X`` (and ``y``) is generated and persisted on the workers of a
``LocalCluster(processes=True)``; nothing is sent from the client. Then:

- ``gram``: one fit; the task stream gives the compute time of every per-chunk statistics task;
- ``gd``: one fit with a fixed number of iterations; the task stream gives the time of every
  per-chunk fused pass, and the wall time per iteration includes the scheduling and the tree
  reduction.

Reported: per-chunk throughput (median GB/s of X per task and per worker thread), wall time per
pass, the overhead of an iteration beyond its compute (with the chunks as given and eight times
smaller, to separate a fixed latency from a cost per chunk), the bytes of what one chunk sends
back (pickled) and the bytes the workers sent each other (partial results of the reductions,
and once any input block whose first task ran on another worker). Finally, what that implies
for 100 GB and 1 TB. Run from the repository root::

    PYTHONPATH=. python scripts/dask_throughput.py --n-samples 2500000 --n-features 50
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import time

import numpy as np


def _compute_seconds(stream: list[dict], name: str) -> list[float]:
    out = []
    for task in stream:
        if name in str(task["key"]):
            out += [s["stop"] - s["start"] for s in task["startstops"] if s["action"] == "compute"]
    return out


def _sent_bytes(client) -> int:
    totals = client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total)
    return int(sum(totals.values()))


def _measure_gd(client, X, y, iters: int, workers: int) -> dict:
    """Fit with a fixed number of iterations; return timings per pass and per chunk task."""
    from distributed import get_task_stream

    from fastlinreg import LinearRegression

    sent0 = _sent_bytes(client)
    with get_task_stream(client) as ts:
        t0 = time.perf_counter()
        model = LinearRegression(solver="gd", max_iter=iters, tol=0).fit(X, y)
        wall = time.perf_counter() - t0
    passes = model.n_passes_ - 1  # the first pass computes the column moments
    pass_tasks = _compute_seconds(ts.data, "block_pass")
    moments_wall = sum(_compute_seconds(ts.data, "block_moments")) / workers
    iter_wall = (wall - moments_wall) / passes
    iter_compute = sum(pass_tasks) / workers / passes
    return {
        "chunks": X.npartitions,
        "passes": model.n_passes_,
        "wall": wall,
        "per_chunk": X.nbytes / X.npartitions / statistics.median(pass_tasks) / 1e9,
        "iter_wall": iter_wall,
        "iter_compute": iter_compute,
        "overhead": iter_wall - iter_compute,
        "sent": _sent_bytes(client) - sent0,
    }


def main() -> None:
    """Start the cluster, time both solvers, print the measurements and the projection."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2_500_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--chunk-mb", type=float, default=64.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="Numba threads per worker")
    parser.add_argument("--gd-iters", type=int, default=20)
    args = parser.parse_args()
    # Set before the workers start: each worker process runs its kernels on this many threads.
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import dask.array as da
    from distributed import Client, LocalCluster, get_task_stream, wait

    from fastlinreg import LinearRegression, _stats
    from fastlinreg._solvers import fused_pass_sums

    n, d = args.n_samples, args.n_features
    rows = max(1, int(args.chunk_mb * 1e6 / (8 * d)))
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        rng = da.random.default_rng(0)
        X = rng.standard_normal((n, d), chunks=(rows, d)) * 2.0 + 1.0
        y = X @ np.linspace(-1, 1, d) + rng.standard_normal(n, chunks=rows)
        X, y = client.persist([X, y])
        wait([X, y])
        # Warm-up: every worker loads (or compiles) the kernels of both paths.
        LinearRegression(solver="gram").fit(X[: 2 * rows], y[: 2 * rows])
        LinearRegression(solver="gd", max_iter=2, tol=0).fit(X[: 2 * rows], y[: 2 * rows])
        chunk_bytes = rows * d * 8
        print(
            f"X: {n} x {d} float64 = {X.nbytes / 1e9:.2f} GB in {X.npartitions} chunks of "
            f"{chunk_bytes / 1e6:.0f} MB; {args.workers} worker processes x {args.threads} "
            "Numba thread(s)"
        )

        sent0 = _sent_bytes(client)
        with get_task_stream(client) as ts:
            t0 = time.perf_counter()
            LinearRegression(solver="gram").fit(X, y)
            gram_wall = time.perf_counter() - t0
        gram_sent = _sent_bytes(client) - sent0
        gram_tasks = _compute_seconds(ts.data, "block_stats")

        gd = _measure_gd(client, X, y, args.gd_iters, args.workers)
        small_rows = max(1, rows // 8)
        X_small, y_small = client.persist([X.rechunk((small_rows, d)), y.rechunk(small_rows)])
        wait([X_small, y_small])
        gd_small = _measure_gd(client, X_small, y_small, args.gd_iters, args.workers)

        block = (np.zeros((rows, d)), np.zeros((rows, 1)), np.empty(0))
        stats_bytes = len(pickle.dumps(_stats.compute_stats(*block)))
        sums = fused_pass_sums(*block, np.zeros((1, d)), np.zeros(1), True)
        sums_bytes = len(pickle.dumps(sums))
        coef_bytes = len(pickle.dumps((np.zeros((1, d)), np.zeros(1))))

    per_task = chunk_bytes / statistics.median(gram_tasks) / 1e9
    print(
        f"gram: one pass {gram_wall:.2f} s; per chunk {per_task:.2f} GB/s (median of "
        f"{len(gram_tasks)} tasks); each chunk sends {stats_bytes} B of statistics; workers "
        f"sent each other {gram_sent / 1e3:.0f} kB in all"
    )
    for r in (gd, gd_small):
        print(
            f"gd, {r['chunks']} chunks: {r['passes']} passes in {r['wall']:.2f} s; per chunk "
            f"{r['per_chunk']:.2f} GB/s (median); per iteration {r['iter_wall']:.3f} s wall, "
            f"{r['iter_compute']:.3f} s compute per worker, overhead {r['overhead']:.3f} s; "
            f"workers sent each other {r['sent'] / 1e3:.0f} kB in all"
        )
    print(
        f"gd: per chunk and iteration {coef_bytes} B out (coefficients), {sums_bytes} B back "
        "(gradient sums)"
    )
    # Overhead per iteration = fixed latency + a cost per chunk task (scheduler-bound).
    per_chunk_cost = (gd_small["overhead"] - gd["overhead"]) / (gd_small["chunks"] - gd["chunks"])
    fixed = max(gd["overhead"] - per_chunk_cost * gd["chunks"], 0.0)
    print(
        f"gd overhead per iteration ~ {fixed * 1e3:.0f} ms + {per_chunk_cost * 1e3:.2f} ms "
        "per chunk"
    )
    print()
    print("projection: per-worker rate x workers; gd: 30 passes, each with the overhead above")
    for size in (100e9, 1e12):
        for workers in (8, 32, 128):
            for chunk in (64e6, 512e6):
                chunks = size / chunk
                gram_s = size / (per_task * 1e9 * workers)
                gd_s = 30 * (
                    size / (gd["per_chunk"] * 1e9 * workers) + fixed + per_chunk_cost * chunks
                )
                print(
                    f"  {size / 1e9:5.0f} GB, {workers:3d} single-thread workers, "
                    f"{chunk / 1e6:4.0f} MB chunks: gram {gram_s:7.1f} s, gd {gd_s:7.1f} s"
                )


if __name__ == "__main__":
    main()

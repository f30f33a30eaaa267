"""pytest-benchmark suite: the fused pass and the NumPy tutorial iteration over (n, d, dtype).

Not part of the default test run. Run it with::

    pip install ".[bench]"
    python -m pytest pytest_benchmarks/test_kernels.py --benchmark-columns=min,median,rounds

``X`` is ``FASTLINREG_BENCH_MB`` MB per shape (default 256; ``n = ceil(MB * 1e6 / (d *
itemsize))`` rows, as in ``fastlinreg bench --kernel``); set it to 1 for a quick smoke run. Each
group is one shape and dtype. Every test records in ``benchmark.extra_info`` its GB/s
(``(X + y bytes) / fastest round``) next to the read-bandwidth probe (a parallel sum over the same
``X``, best of five) measured in the same process just before its rounds, and the ratio of the
two. The rounds run back to back; ``fastlinreg bench --kernel`` interleaves them and is the
table to quote.
"""

from __future__ import annotations

import math
import os
import time

import pytest

from fastlinreg import bench, bench_kernel

pytest.importorskip("pytest_benchmark")

MEGABYTES = float(os.environ.get("FASTLINREG_BENCH_MB", "256"))
FEATURES = [1, 7, 13, 50, 257]
DTYPES = ["float64", "float32"]
THREADS = bench.default_threads()
ROUNDS = 5


@pytest.fixture(
    scope="module",
    params=[(d, dtype) for d in FEATURES for dtype in DTYPES],
    ids=lambda p: f"d{p[0]}-{p[1]}",
)
def data(request):
    # Module scope with parameters: pytest finishes one shape before making the next, so one
    # shape's data is in memory at a time.
    d, dtype = request.param
    n = bench_kernel.n_samples_for(MEGABYTES, d, dtype)
    X, y = bench.make_data(n, d, dtype)
    coef, intercept = bench_kernel.random_model(d)
    with bench.pinned_threads(THREADS):
        bench_kernel.warm_up(X, y, coef, intercept)
        yield f"{n:,} x {d} {dtype}", X, y, coef, intercept


def _record(benchmark, label: str, X, y, probe_s: float, fallback_s: float) -> float:
    # With --benchmark-disable there are no statistics; the one untimed call is then not a
    # measurement, so the time of one call made here stands in.
    stats = getattr(benchmark, "stats", None)
    seconds = stats.stats.min if stats is not None else fallback_s
    gb_per_s = (X.nbytes + y.nbytes) / seconds / 1e9
    probe_gb_per_s = X.nbytes / probe_s / 1e9
    benchmark.extra_info.update(
        shape=label,
        threads=THREADS,
        gb_per_s=gb_per_s,
        probe_gb_per_s=probe_gb_per_s,
        percent_of_probe=100.0 * gb_per_s / probe_gb_per_s,
    )
    return gb_per_s


def _timed_once(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def test_fused_pass(benchmark, data):
    label, X, y, coef, intercept = data
    benchmark.group = f"kernel {label}"

    def call():
        return bench.fused_pass(X, y, coef, intercept)

    probe_s = bench.probe_seconds(X)
    grad, _, _ = benchmark.pedantic(call, rounds=ROUNDS, warmup_rounds=1)
    gb_per_s = _record(benchmark, label, X, y, probe_s, _timed_once(call))
    assert grad.shape == (1, X.shape[1])
    assert math.isfinite(gb_per_s) and gb_per_s > 0


def test_numpy_tutorial_iteration(benchmark, data):
    label, X, y, coef, intercept = data
    benchmark.group = f"kernel {label}"
    w, b = bench_kernel.numpy_model(coef, intercept, X.dtype)

    def call():
        return bench_kernel.numpy_iteration(X, y, w, b)

    def pause():
        # OpenBLAS threads spin after a call; let them settle before the next round.
        time.sleep(bench_kernel.BLAS_SETTLE_SECONDS)

    probe_s = bench.probe_seconds(X)
    pause()
    g, _ = benchmark.pedantic(call, setup=pause, rounds=ROUNDS, warmup_rounds=1)
    gb_per_s = _record(benchmark, label, X, y, probe_s, _timed_once(call))
    assert g.shape == (X.shape[1],)
    assert math.isfinite(gb_per_s) and gb_per_s > 0

"""pytest-benchmark suite: the candidates of ``fastlinreg bench``, grouped side by side.

Not part of the default test run. Run it with::

    pip install ".[bench]"
    python -m pytest pytest_benchmarks --benchmark-columns=median,iqr,rounds

Each group is one data shape and dtype, so the output lists fastlinreg, NumPy and scikit-learn
one under the other. Unlike ``fastlinreg bench`` the rounds of a candidate run back to back, not
interleaved; quote ratios from ``fastlinreg bench``.
"""

from __future__ import annotations

import numba
import pytest
from threadpoolctl import threadpool_limits

from fastlinreg import bench

pytest.importorskip("pytest_benchmark")

SHAPES = [(200_000, 50), (1_000_000, 50)]
DTYPES = ["float64", "float32"]
THREADS = bench.default_threads()


def _candidates(dtype: str, kind: str) -> dict[str, bench.Candidate]:
    config = bench.Config(n_samples=2, n_features=1, dtypes=(dtype,), threads=THREADS)
    return {c.name: c for c in bench.candidates(config) if c.kind == kind}


@pytest.fixture(scope="module", params=[(*s, d) for s in SHAPES for d in DTYPES], ids=str)
def data(request):
    n, d, dtype = request.param
    X, y = bench.make_data(n, d, dtype)
    previous = numba.get_num_threads()
    numba.set_num_threads(THREADS)
    with threadpool_limits(limits=THREADS):
        yield f"{n}x{d} {dtype}", dtype, X, y
    numba.set_num_threads(previous)


def _measure(benchmark, candidate: bench.Candidate, X, y) -> None:
    if candidate.unavailable:
        pytest.skip(candidate.unavailable)
    candidate.call(X[:2048], y[:2048])
    outcome = benchmark.pedantic(candidate.call, args=(X, y), rounds=3, warmup_rounds=1)
    assert outcome.units >= 1


@pytest.mark.parametrize("name", list(_candidates("float64", "fit")))
def test_fit(benchmark, data, name):
    label, dtype, X, y = data
    benchmark.group = f"fit {label}"
    _measure(benchmark, _candidates(dtype, "fit")[name], X, y)


@pytest.mark.parametrize("name", list(_candidates("float64", "pass")))
def test_pass(benchmark, data, name):
    label, dtype, X, y = data
    benchmark.group = f"one pass or iteration {label}"
    _measure(benchmark, _candidates(dtype, "pass")[name], X, y)

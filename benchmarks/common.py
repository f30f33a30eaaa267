"""Shared setup of the asv suites: the grid, thread pinning, and the candidate table."""

from __future__ import annotations

import numba
from threadpoolctl import threadpool_limits

from fastlinreg import bench

#: (n_samples, n_features, dtype) grid of the kernel and fit suites.
N_SAMPLES = [100_000, 1_000_000]
N_FEATURES = [10, 50]
DTYPES = ["float64", "float32"]

#: (megabytes of X, n_features, dtype) grid of the kernel-bandwidth suite; the number of rows is
#: ``ceil(MB * 1e6 / (d * itemsize))``, as in ``fastlinreg bench --kernel`` (800 MB there).
KERNEL_MEGABYTES = [64, 256]
KERNEL_FEATURES = [1, 7, 13, 50, 257]

THREADS = bench.default_threads()


def pin_threads() -> None:
    """Give Numba and BLAS the same number of threads for the rest of the process."""
    numba.set_num_threads(THREADS)
    threadpool_limits(limits=THREADS)


def fit_candidates(dtype: str = "float64") -> dict[str, bench.Candidate]:
    """Return the time-to-solution candidates of ``fastlinreg bench``, by name."""
    config = bench.Config(n_samples=2, n_features=1, dtypes=(dtype,), threads=THREADS)
    return {c.name: c for c in bench.candidates(config) if c.kind == "fit"}


def prepared(candidate: bench.Candidate, X, y) -> bench.Candidate:
    """Warm a candidate up on a slice (compiling kernels); skip it if this version lacks it.

    asv reports a parameter combination whose ``setup`` raises ``NotImplementedError`` as
    skipped, which is how a fastlinreg solver that does not exist yet shows up.
    """
    # asv also runs this suite on commits whose candidates have no ``unavailable`` field.
    reason = getattr(candidate, "unavailable", "")
    if reason:
        raise NotImplementedError(reason)
    candidate.call(X[:2048], y[:2048])
    return candidate

"""Defaults of ``fastlinreg bench``, in a module light enough for the command line's help.

The benchmark modules import scikit-learn; the argument parser only needs these numbers.
"""

from __future__ import annotations

import os

#: Shape of the synthetic data of ``fastlinreg bench`` and its timed rounds: X of 120 MB in
#: float64 and 60 MB in float32, beyond a 32 MB L3 cache, so that every pass reads memory,
#: and the whole default run within about 30 s on two cores once the kernels are cached.
N_SAMPLES = 300_000
N_FEATURES = 50
REPEAT = 3

#: Default feature counts of ``fastlinreg bench --kernel``: the dedicated small-d kernels (1-8,
#: with primes), the four-lane kernels for 9-32 features (11, 13 and 20: overlapping last
#: blocks), then the general kernel up to rows of 8 KB, odd and prime counts included.
KERNEL_FEATURES = (1, 2, 3, 5, 7, 8, 11, 13, 20, 50, 101, 257, 1000)
#: Default size of ``X`` per shape of the kernel table, in MB: far beyond any cache, so every
#: pass reads memory.
KERNEL_MEGABYTES = 800.0
KERNEL_REPEAT = 9


def default_threads() -> int:
    """Return the number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1

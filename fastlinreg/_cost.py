"""The cost model behind ``solver="auto"``: streaming passes versus one Gram pass.

Streaming gradient descent ("gd") reads ``X`` about ``GD_EXPECTED_PASSES`` times at memory
bandwidth (one pass for the column moments, two of power iteration, then the iterations). The
Gram solver reads ``X`` once, but copies every element into a shifted float64 block
(``GRAM_BYTES_PER_ELEMENT`` bytes of bandwidth-equivalent time each, whatever X's dtype) and
does ``d (d + 1) / 2`` multiply-adds per row to build ``X^T W X``, at ``FMA_PER_BYTE``
multiply-adds per byte of bandwidth-equivalent time; its iterations then cost ``O(d^2)`` each
and do not depend on ``n``. In bytes::

    cost_gd   = GD_EXPECTED_PASSES * n * d * itemsize
    cost_gram = n * d * GRAM_BYTES_PER_ELEMENT + n * d * (d + 1) / 2 / FMA_PER_BYTE

so the Gram solver wins below
``d* = 2 * FMA_PER_BYTE * (GD_EXPECTED_PASSES * itemsize - GRAM_BYTES_PER_ELEMENT) - 1``
features: 224 for float64 and 44 for float32 with the constants below, which were fitted to the
crossovers measured with ``python scripts/gram_crossover.py --megabytes 400 --repeat 3`` on a
2-core machine (float64: gram faster at d = 200, gd at d = 250; float32: gram at 40, gd at 50).
The Gram solver is never chosen above ``GRAM_MAX_FEATURES`` (its d x d matrices are memory).

The expected passes are those of a well-conditioned problem. An ill-conditioned one costs
streaming descent more iterations and the Gram solver nothing more (columns with neighbouring
correlation 0.9, 200,000 x 300 float64: 506 passes and 8.2 s against one pass and 0.34 s, with
``python scripts/auto_fallback.py``). So when ``"auto"`` starts streaming descent it stops after
:func:`gram_cost_in_passes` iterations, the price of the Gram fit, and finishes with the Gram
solver from where it stopped: at most about twice the cost of the better choice made in
hindsight (0.76 s and 28 passes on those data).
"""

from __future__ import annotations

#: Passes over X that a default streaming fit makes on a well-conditioned problem (measured: 15).
GD_EXPECTED_PASSES = 15
#: Bandwidth-equivalent bytes per element of X that a Gram pass spends outside the products
#: (reading, converting and shifting X into float64 blocks).
GRAM_BYTES_PER_ELEMENT = 45
#: Multiply-adds per byte of bandwidth-equivalent time that the Gram products sustain
#: (one single-threaded BLAS product per block, on every core).
FMA_PER_BYTE = 1.5
#: Above this many features the d x d statistics are too large to prefer.
GRAM_MAX_FEATURES = 4096


def gram_cost_in_passes(n_features: int, itemsize: int) -> float:
    """Return the cost of a Gram fit in passes of streaming descent over the same X.

    Parameters
    ----------
    n_features : int
    itemsize : int
        Bytes per element of ``X`` (4 for float32, 8 for float64).

    Returns
    -------
    float
        ``cost_gram / (n * d * itemsize)``, which does not depend on ``n``.
    """
    return (GRAM_BYTES_PER_ELEMENT + (n_features + 1) / 2 / FMA_PER_BYTE) / itemsize


def choose_solver(n_samples: int, n_features: int, itemsize: int) -> str:
    """Return ``"gram"`` or ``"gd"``, whichever the cost model predicts is faster.

    Parameters
    ----------
    n_samples, n_features : int
        Shape of ``X``.
    itemsize : int
        Bytes per element of ``X`` (4 for float32, 8 for float64).

    Returns
    -------
    str
    """
    if n_features > GRAM_MAX_FEATURES:
        return "gd"
    return "gram" if gram_cost_in_passes(n_features, itemsize) <= GD_EXPECTED_PASSES else "gd"

"""The cost model behind ``solver="auto"``: streaming passes versus one Gram pass.

Both solvers read ``X`` once per pass, at memory bandwidth. Streaming gradient descent ("gd")
makes about ``GD_EXPECTED_PASSES`` passes on a well-conditioned problem (one for the column
moments, a few for power iteration, then the iterations; more when the problem is
ill-conditioned). The Gram solver makes one pass, but that pass does ``d (d + 1) / 2``
multiply-adds per row to build ``X^T W X``; its iterations then cost ``O(d^2)`` each and do not
depend on ``n``. Counting a pass in bytes read and the Gram products in bytes-equivalent at
``FMA_PER_BYTE`` multiply-adds per byte of bandwidth::

    cost_gd   = GD_EXPECTED_PASSES * n * d * itemsize
    cost_gram = n * d * itemsize + n * d * (d + 1) / 2 / FMA_PER_BYTE

so the Gram solver wins below ``d* ~ 2 * (GD_EXPECTED_PASSES - 1) * itemsize * FMA_PER_BYTE``
features. It is also never chosen above ``GRAM_MAX_FEATURES`` (its d x d matrices are memory).
"""

from __future__ import annotations

#: Passes over X that a default streaming fit makes on a well-conditioned problem.
GD_EXPECTED_PASSES = 30
#: Multiply-adds per byte of read bandwidth that a Gram pass sustains on this class of CPU
#: (syrk on float64 blocks), measured against the fused pass.
FMA_PER_BYTE = 0.6
#: Above this many features the d x d statistics are too large to prefer.
GRAM_MAX_FEATURES = 4096


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
    pass_bytes = n_samples * n_features * itemsize
    cost_gd = GD_EXPECTED_PASSES * pass_bytes
    cost_gram = pass_bytes + n_samples * n_features * (n_features + 1) / 2 / FMA_PER_BYTE
    return "gram" if cost_gram <= cost_gd else "gd"

"""Wide data (fewer rows than features): the ``n x n`` dual system, never a ``d x d`` matrix.

With ``Z = W^(1/2) (X - 1 mu^T) S`` (centred when fitting an intercept, root-weighted, columns
scaled by ``S``) and ``y_s = W^(1/2) (y - y_bar)``, ridge regression in the scaled coordinates
``z = S^(-1) coef`` is ``z = Z^T a`` with ``(Z Z^T + alpha I) a = y_s``: for ``alpha > 0``
``S = I`` (so the penalty is ``Ridge(alpha)``'s) and the system is solved by Cholesky; for
``alpha = 0`` ``S`` scales the columns to unit norm (``standardize``, else ``I``) and a
symmetric eigendecomposition, with the Gram path's cut-off on the eigenvalues, gives the
minimum-norm solution in those coordinates (``np.linalg.lstsq``'s with ``standardize=False``).

``K = Z Z^T`` is built without centring ``X``: ``K = R (X S^2 X^T - v 1^T - 1 v^T + c) R`` with
``v = X S^2 mu`` and ``c = mu^T S^2 mu``. Dense ``X`` is read in column blocks (one float64
block at a time, ``_BLOCK_BYTES``) through BLAS; sparse ``X`` through
:func:`fastlinreg._sparse.row_gram`. Then iterative refinement: the dual residual
``y_s - Z z - alpha a`` (one pass) gives a correction of ``a`` and of ``z`` (one more pass),
until the correction is at rounding level.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _kernels, _sparse
from ._factor import EPS, GRAM_RCOND, Spectrum, _cholesky, _spectrum, inactive_columns
from ._outcome import FitOutcome, FitParams
from ._runtime import launch
from ._validation import check_rows_and_weights

#: Most rows for the dual system (its ``n x n`` matrix: 128 MiB at 4096 rows).
DUAL_MAX_ROWS = 4096
#: Most refinement steps (two passes each).
MAX_REFINEMENTS = 4
#: Size of one float64 block of dense ``X`` converted at a time.
_BLOCK_BYTES = 16 * 2**20
_REFINED_ULPS = 4.0


def applies(data: Any) -> bool:
    """Whether ``data`` is one wide array in memory that the dual system can fit.

    Parameters
    ----------
    data : ChunkedData

    Returns
    -------
    bool
        True for an in-memory dense or sparse ``X`` (re-readable) with fewer rows than
        features and at most ``DUAL_MAX_ROWS`` rows.
    """
    X = getattr(data, "X", None)
    n = data.n_rows
    return (
        X is not None
        and data.rereadable
        and n is not None
        and 0 < n < data.n_features
        and n <= DUAL_MAX_ROWS
    )


class _Design:
    """Products with dense or CSR ``X``, in float64, without copying ``X`` whole."""

    def __init__(self, X: Any):
        self.X = X
        self.sparse = not isinstance(X, np.ndarray)
        self.n, self.d = X.shape

    def _row_blocks(self):
        rows = max(1, _BLOCK_BYTES // (8 * self.d))
        for i0 in range(0, self.n, rows):
            i1 = min(i0 + rows, self.n)
            yield i0, i1, np.asarray(self.X[i0:i1], dtype=np.float64)

    def times(self, coef: np.ndarray) -> np.ndarray:
        """``X @ coef.T`` for ``coef`` of shape (k, d): (n, k)."""
        k = coef.shape[0]
        out = np.empty((self.n, k))
        if self.sparse:
            X = self.X
            launch(
                _sparse.predict_into,
                X.data,
                X.indices,
                X.indptr,
                coef,
                np.zeros(k),
                out,
                min(_kernels.N_CHUNKS, self.n),
            )
            return out
        for i0, i1, block in self._row_blocks():
            out[i0:i1] = block @ coef.T
        return out

    def transpose_times(self, U: np.ndarray) -> np.ndarray:
        """``X.T @ U`` for ``U`` of shape (n, k): (d, k)."""
        if self.sparse:
            X = self.X
            chunks = max(1, min(_kernels.N_CHUNKS, 2**25 // (8 * self.d * U.shape[1])))
            return launch(_sparse.transpose_times, X.data, X.indices, X.indptr, self.d, U, chunks)
        out = np.zeros((self.d, U.shape[1]))
        for i0, i1, block in self._row_blocks():
            out += block.T @ U[i0:i1]
        return out

    def kernel(self, scale2: np.ndarray) -> np.ndarray:
        """``X diag(scale2) X^T``: (n, n)."""
        if self.sparse:
            X = self.X
            chunks = min(_kernels.N_CHUNKS, self.n)
            return launch(_sparse.row_gram, X.data, X.indices, X.indptr, self.d, scale2, chunks)
        K = np.zeros((self.n, self.n))
        cols = max(1, _BLOCK_BYTES // (8 * self.n))
        root = np.sqrt(scale2)
        for j0 in range(0, self.d, cols):
            j1 = min(j0 + cols, self.d)
            block = np.asarray(self.X[:, j0:j1], dtype=np.float64) * root[j0:j1]
            K += block @ block.T
        return K


def fit(data: Any, params: FitParams) -> FitOutcome:
    """Fit wide data through the dual system.

    Parameters
    ----------
    data : ArrayData or SparseData
        With ``applies(data)`` true.
    params : FitParams

    Returns
    -------
    FitOutcome
        ``solver == "dual"``; ``spectrum`` (of the scaled, centred design) when ``alpha == 0``.
    """
    design = _Design(data.X)
    n, d, k = design.n, design.d, data.n_targets
    moments = data.moments()
    check_rows_and_weights(moments.sum_w, moments.n_samples)
    sum_w, centred = moments.sum_w, params.fit_intercept
    mean_x = moments.mean[:d] if centred else np.zeros(d)
    mean_y = moments.mean[d:] if centred else np.zeros(k)
    spread = moments.m2[:d] if centred else moments.sumsq[:d]
    inactive = inactive_columns(spread, mean_x, sum_w, centred) | (spread <= 0.0)
    scale = np.where(inactive, 0.0, 1.0)
    if params.alpha == 0.0 and params.standardize:
        scale = np.divide(1.0, np.sqrt(spread), out=scale, where=~inactive)
    scale2 = scale * scale
    root_w = np.sqrt(data.sample_weight) if data.sample_weight.shape[0] else np.ones(n)

    v = design.times((scale2 * mean_x)[None, :])[:, 0]
    K = design.kernel(scale2)
    K -= v[:, None]
    K -= v[None, :]
    K += float(mean_x @ (scale2 * mean_x))
    K *= root_w[:, None]
    K *= root_w[None, :]
    ys = root_w[:, None] * (np.asarray(data.Y, dtype=np.float64) - mean_y)
    passes = 2

    spectrum: Spectrum | None = None
    if params.alpha > 0:
        cho_factor, cho_solve = _cholesky()
        K[np.diag_indices(n)] += params.alpha
        factor = cho_factor(K, lower=False, check_finite=False)

        def solve(rhs: np.ndarray) -> np.ndarray:
            return cho_solve(factor, rhs, check_finite=False)

    else:
        w, V = np.linalg.eigh(K)
        top = max(float(w[-1]), 0.0)
        keep = w > GRAM_RCOND * top
        inv = np.divide(1.0, w, out=np.zeros_like(w), where=keep)
        rank = int(np.count_nonzero(keep))
        spectrum = _spectrum(np.sqrt(np.clip(w, 0.0, None)), rank, min(n, d))

        def solve(rhs: np.ndarray) -> np.ndarray:
            return V @ (inv[:, None] * (V.T @ rhs))

    def coef_of(a: np.ndarray) -> np.ndarray:
        """``S Z^T a`` in model units, shape (d, k)."""
        u = root_w[:, None] * a
        return scale2[:, None] * (design.transpose_times(u) - np.outer(mean_x, u.sum(axis=0)))

    def scaled_norm(c: np.ndarray) -> float:
        inv = np.divide(1.0, scale, out=np.zeros(d), where=scale > 0)
        return float(np.linalg.norm(c * inv[:, None]))

    a = solve(ys)
    coef = coef_of(a)
    passes += 1
    error, previous, steps = 1.0, math.inf, 0
    while steps < MAX_REFINEMENTS:
        fitted = design.times(coef.T) - mean_x @ coef
        residual = ys - root_w[:, None] * fitted - params.alpha * a
        delta_a = solve(residual)
        delta = coef_of(delta_a)
        passes += 2
        steps += 1
        a = a + delta_a
        coef = coef + delta
        size = scaled_norm(delta) / max(scaled_norm(coef), 1e-300)
        error = size
        if size <= _REFINED_ULPS * EPS or size > 0.5 * previous:
            break
        previous = size
    intercept = mean_y - mean_x @ coef if centred else np.zeros(k)
    floor = 0.0 if spectrum is None or not math.isfinite(spectrum.cond) else EPS * spectrum.cond
    return FitOutcome(
        coef=coef.T.copy(),
        intercept=intercept,
        solver="dual",
        n_iter=steps,
        n_passes=passes,
        loss_curve=[],
        converged=error <= max(params.tol, _REFINED_ULPS * EPS),
        error=max(error, min(1.0, floor)),
        spectrum=spectrum,
    )

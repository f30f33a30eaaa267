"""Sparse ``X`` for the fit driver: a :class:`~fastlinreg._chunked.ChunkedData` over CSR arrays.

The driver's reductions (statistics, column moments, fused passes, refinement sums) are computed
from the nonzeros by the kernels of :mod:`fastlinreg._sparse`; the matrix is never densified.
Centring never touches ``X`` either: the statistics are centred with the column means after the
pass (``C = X^T W X - sum_w mu mu^T``, with the targets shifted by their mean inside the pass),
iterative refinement then computes the exact residual gradient from the nonzeros, and the
streaming solvers fold the means into the intercept as for dense ``X``.

CSC input is converted to CSR once (scipy's ``tocsr``): a copy of the nonzeros and indices,
``nnz * (itemsize + index size) + (n + 1) * index size`` bytes, made because every kernel here
runs over rows (residuals need whole rows) in parallel fixed row chunks.

This module imports scipy: the estimator imports it only for sparse input.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import _kernels, _sparse
from ._cost import GRAM_MAX_FEATURES
from ._runtime import launch
from ._stats import ColumnMoments, SufficientStats, compute_moments
from ._tsqr import QRFactor
from ._validation import assert_all_finite

Sums = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Memory allowed for the per-chunk ``k x d`` partial sums of one row-parallel pass.
_PARTIALS_BYTES = 32 * 2**20
#: Rows per chunk at least, so that small inputs do not pay for many tiny tasks.
_CHUNK_ROWS = 512
#: Column blocks of the Gram kernel (each task re-reads the indices of every row).
_GRAM_BLOCKS = 64
#: Cost model, in seconds per unit (the 2-core machine of docs/performance.md): one nonzero of
#: one fused pass, one row of it, one merged partial sum, the start of a parallel pass, one index
#: scanned by one Gram task, one pair product of the Gram pass, one flop of the dense
#: factorisations of the ``d x d`` statistics.
_SEC_PER_NNZ_PASS = 2.0e-9
_SEC_PER_ROW = 1.0e-9
_SEC_PER_MERGED = 0.5e-9
_SEC_PER_LAUNCH = 20e-6
_SEC_PER_INDEX_SCAN = 0.4e-9
_SEC_PER_PAIR = 3.0e-9
_SEC_PER_FLOP = 0.1e-9
#: Passes a streaming fit of sparse data is expected to make (column moments, CG, the check).
_EXPECTED_PASSES = 30


def as_csr(X: Any) -> Any:
    """Return ``X`` itself when CSR, else a CSR copy (for CSC: nonzeros and indices copied once)."""
    return X if X.format == "csr" else X.tocsr()


def _row_chunks(n: int, d: int, k: int) -> int:
    """Chunk count of a row-parallel pass: fixed by the shape, never by the thread count."""
    by_memory = _PARTIALS_BYTES // (8 * max(d, 1) * max(k, 1))
    return int(max(1, min(_kernels.N_CHUNKS, by_memory, n // _CHUNK_ROWS + 1)))


def _gram_bounds(d: int) -> np.ndarray:
    """Column boundaries of the Gram kernel's tasks, giving each an equal share of the triangle.

    Task ``b`` owns output rows ``[d (1 - sqrt(1 - b/B)), ...)``: row ``j`` of the upper triangle
    has ``d - j`` entries.
    """
    blocks = max(1, min(_GRAM_BLOCKS, d))
    frac = 1.0 - np.sqrt(1.0 - np.arange(blocks + 1) / blocks)
    bounds = np.unique(np.round(frac * d).astype(np.int64))
    bounds[0], bounds[-1] = 0, d
    return bounds


def predict(X: Any, coef: np.ndarray, intercept: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Return ``X @ coef.T + intercept`` (n, k) in ``dtype`` for sparse ``X``.

    Parameters
    ----------
    X : scipy sparse matrix or array, CSR or CSC
    coef : ndarray of shape (k, d), float64
    intercept : ndarray of shape (k,), float64
    dtype : numpy.dtype
        The output's dtype (that of ``X``'s values).

    Returns
    -------
    ndarray of shape (n, k)
    """
    csr = as_csr(X)
    n = csr.shape[0]
    out = np.empty((n, coef.shape[0]), dtype=dtype)
    chunks = _row_chunks(n, 1, 1)
    launch(_sparse.predict_into, csr.data, csr.indices, csr.indptr, coef, intercept, out, chunks)
    if not np.all(np.isfinite(out)):
        assert_all_finite(csr.data, input_name="X")
    return out


class SparseData:
    """:class:`~fastlinreg._chunked.ChunkedData` over a scipy sparse ``X`` (CSR or CSC).

    Parameters
    ----------
    X : scipy sparse matrix or array of shape (n, d), CSR or CSC, float32 or float64
        Validated; read in place (CSC is converted to CSR once, see the module's notes).
    Y : ndarray of shape (n, k), float32 or float64
    sample_weight : ndarray of shape (n,) or (0,), float64
    y_ndim : int
    rereadable : bool, default=True
        False for ``partial_fit``'s batches, whose rows are seen once.

    Attributes
    ----------
    nnz : int
        Stored entries of ``X`` (explicit zeros and duplicates included).
    qr_available : bool
        False: the QR factor needs dense rows, so ``solver="auto"`` refines a minimum-norm
        Gram solve instead of moving to QR, and ``solver="qr"`` is refused.
    """

    qr_available = False

    def __init__(
        self,
        X: Any,
        Y: np.ndarray,
        sample_weight: np.ndarray,
        y_ndim: int,
        rereadable: bool = True,
    ):
        self.X = as_csr(X)
        self.Y, self.sample_weight = Y, sample_weight
        self.n_features = int(X.shape[1])
        self.n_targets = Y.shape[1]
        self.y_ndim = y_ndim
        self.dtype = np.dtype(self.X.dtype)
        self.n_rows: int | None = int(X.shape[0])
        self.feature_names: np.ndarray | None = None
        self.rereadable = rereadable
        self.nnz = int(self.X.nnz)

    @property
    def _csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.X.data, self.X.indices, self.X.indptr

    def _chunks(self) -> int:
        return _row_chunks(self.X.shape[0], self.n_features, self.n_targets)

    def _non_finite(self) -> None:
        assert_all_finite(self.X.data, input_name="X")
        assert_all_finite(self.Y, input_name="y")
        raise ValueError(
            "X has values too large for float64 arithmetic (their squares overflow); rescale X"
        )

    def _y_moments(self) -> ColumnMoments:
        return compute_moments(self.Y, self.sample_weight)

    def stats(self) -> SufficientStats:
        """Return the centred sufficient statistics (one pass over the nonzeros).

        ``X^T W X`` comes from the nonzeros and is centred with the column means afterwards;
        the targets are centred inside the pass.
        """
        n, d, k = self.X.shape[0], self.n_features, self.n_targets
        if n == 0:
            return SufficientStats.empty(d, k)
        ym = self._y_moments()
        sum_w, sums, _ = launch(
            _sparse.column_sums, *self._csr, d, self.sample_weight, self._chunks()
        )
        xtx, xty = launch(
            _sparse.gram, *self._csr, _gram_bounds(d), self.Y, ym.mean, self.sample_weight
        )
        mean_x = sums / sum_w if sum_w > 0 else np.zeros(d)
        cxx = xtx - sum_w * np.outer(mean_x, mean_x)
        stats = SufficientStats(float(sum_w), mean_x, ym.mean, cxx, xty, ym.m2, n)
        if not stats.is_finite():
            self._non_finite()
        return stats

    def moments(self) -> ColumnMoments:
        """Return the column moments of ``[X, Y]`` (one pass over the nonzeros)."""
        n, d = self.X.shape
        if n == 0:
            return ColumnMoments.empty(d + self.n_targets)
        sum_w, sums, sumsq = launch(
            _sparse.column_sums, *self._csr, d, self.sample_weight, self._chunks()
        )
        mean = sums / sum_w if sum_w > 0 else np.zeros(d)
        m2 = np.maximum(sumsq - sum_w * mean * mean, 0.0)
        ym = self._y_moments()
        out = ColumnMoments(
            float(sum_w),
            np.concatenate([mean, ym.mean]),
            np.concatenate([m2, ym.m2]),
            np.concatenate([sumsq, ym.sumsq]),
            n,
        )
        if not out.is_finite():
            self._non_finite()
        return out

    def pass_sums(self, coef: np.ndarray, intercept: np.ndarray, with_y: bool) -> Sums:
        """Return the sparse fused pass's sums (one pass over the nonzeros)."""
        Y = self.Y if with_y else np.empty((0, coef.shape[0]), dtype=self.Y.dtype)
        return launch(
            _sparse.fused_pass,
            *self._csr,
            self.n_features,
            Y,
            coef,
            intercept,
            self.sample_weight,
            self._chunks(),
        )

    def refine_sums(
        self, shift_x: np.ndarray, shift_y: np.ndarray, coef: np.ndarray, offset: np.ndarray
    ) -> Sums:
        """Return the residual sums in shifted coordinates (one pass over the nonzeros).

        The fused pass with the intercept ``shift_y + offset - shift_x @ coef`` gives the
        negated residuals of :func:`fastlinreg._kernels.shifted_residual_sums`; the shift of
        ``x`` is taken out of the gradient afterwards.
        """
        intercept = shift_y + offset - coef @ shift_x
        g, gb, loss = self.pass_sums(coef, intercept, True)
        return -g + np.outer(gb, shift_x), -gb, loss

    def qr(self, fit_intercept: bool) -> QRFactor:
        """Refuse: the one-pass QR factor works on dense row blocks.

        Raises
        ------
        ValueError
            Always.
        """
        raise ValueError(
            'solver="qr" does not take sparse X (its factor is built from dense rows); use '
            'solver="auto" or "gram" (exact statistics from the nonzeros, refined), or "cg"'
        )

    @contextmanager
    def streaming(self) -> Iterator[None]:
        """Nothing to prepare: the matrix is in memory."""
        yield

    def solver_costs(self) -> tuple[str, float]:
        """Return the cheaper of ``"gram"`` and ``"cg"`` and the Gram fit's cost in passes.

        Streaming costs about ``_EXPECTED_PASSES`` passes over the nonzeros; the Gram fit one
        pass of pair products (``sum_i nnz_i**2 / 2``), every Gram task's scan of the indices,
        two refinement passes and the dense eigendecomposition and Cholesky factor of the
        ``d x d`` statistics. Above ``GRAM_MAX_FEATURES`` the statistics are not built.

        Returns
        -------
        choice : str
            ``"gram"`` or ``"cg"``.
        gram_passes : float
            The Gram fit's cost in fused passes (how long ``"auto"`` lets CG run first).
        """
        d = self.n_features
        per_row = np.diff(self.X.indptr).astype(np.float64)
        pairs = float(per_row @ per_row) / 2.0
        blocks = len(_gram_bounds(d)) - 1
        pass_cost = (
            self.nnz * _SEC_PER_NNZ_PASS
            + self.X.shape[0] * _SEC_PER_ROW
            + self._chunks() * d * self.n_targets * _SEC_PER_MERGED
            + _SEC_PER_LAUNCH
        )
        gram = (
            pairs * _SEC_PER_PAIR
            + blocks * self.nnz * _SEC_PER_INDEX_SCAN
            + 2 * pass_cost
            + 1.5 * d**3 * _SEC_PER_FLOP
        )
        passes = gram / pass_cost
        if d > GRAM_MAX_FEATURES:
            return "cg", math.inf
        return ("gram" if passes <= _EXPECTED_PASSES else "cg"), passes

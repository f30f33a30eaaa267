"""Data sources for the fit driver: row blocks seen through a few one-pass reductions.

An array in memory (:class:`ArrayData`), a file read chunk by chunk, or a Dask collection reduced
on a cluster presents its data as a :class:`ChunkedData`, built from the per-block functions
below, and :func:`fastlinreg._driver.fit` fits it. Only ``O(d^2)`` (statistics, QR factors) or
``O(d)`` (moments, gradients) numbers per block leave a block.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import numpy as np

from . import _kernels
from ._runtime import launch
from ._solvers import fused_pass_sums
from ._stats import ColumnMoments, SufficientStats, compute_moments, compute_stats
from ._tsqr import QRFactor, compute_qr
from ._validation import as_weights, assert_all_finite

Sums = tuple[np.ndarray, np.ndarray, np.ndarray]


class ChunkedData(Protocol):
    """Row blocks of ``(X, Y, sample_weight)`` held elsewhere, seen through one-pass reductions.

    Attributes
    ----------
    n_features : int
    n_targets : int
    y_ndim : int
        1 when ``y`` is a vector, 2 when it is a matrix (even with one column).
    dtype : numpy.dtype
        float32 or float64: the storage type of ``X`` and of the fitted coefficients.
    n_rows : int or None
        Number of rows, when known before a pass.
    feature_names : ndarray of str or None
        Column names, when ``X`` has string column names.
    rereadable : bool
        Whether more than one pass can be made (false for a one-shot iterator).
    """

    n_features: int
    n_targets: int
    y_ndim: int
    dtype: np.dtype
    n_rows: int | None
    feature_names: np.ndarray | None
    rereadable: bool

    def stats(self) -> SufficientStats:
        """One pass: the merged :func:`block_stats` of every block."""
        ...

    def moments(self) -> ColumnMoments:
        """One pass: the merged :func:`block_moments` of every block."""
        ...

    def pass_sums(self, coef: np.ndarray, intercept: np.ndarray, with_y: bool) -> Sums:
        """One pass: the added :func:`~fastlinreg._solvers.fused_pass_sums` of every block."""
        ...

    def qr(self, fit_intercept: bool) -> QRFactor:
        """One pass: the merged :func:`block_qr` of every block."""
        ...

    def refine_sums(
        self, shift_x: np.ndarray, shift_y: np.ndarray, coef: np.ndarray, offset: np.ndarray
    ) -> Sums:
        """One pass: the added :func:`block_refine` sums of every block."""
        ...

    def streaming(self) -> AbstractContextManager[None]:
        """Prepare for many passes (a Dask adapter persists its blocks) and release them after."""
        ...


def raise_non_finite(X: np.ndarray, Y: np.ndarray | None = None) -> None:
    """Name the problem when a pass over the data produced non-finite sums."""
    assert_all_finite(X, input_name="X")
    if Y is not None:
        assert_all_finite(Y, input_name="y")
    raise ValueError(
        "X has values too large for float64 arithmetic (their squares overflow); rescale X"
    )


def block_stats(X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray) -> SufficientStats:
    """Sufficient statistics of one block, checked for NaN/inf.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    Y : ndarray of shape (n, k), float32 or float64
    sample_weight : ndarray of shape (n,) or (0,), float64

    Returns
    -------
    SufficientStats

    Raises
    ------
    ValueError
        If the block holds NaN or infinity, or values whose squares overflow.
    """
    stats = compute_stats(X, Y, sample_weight)
    if not stats.is_finite():
        raise_non_finite(X, Y)
    return stats


def block_moments(X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray) -> ColumnMoments:
    """Column moments of one block's ``[X, Y]``, checked for NaN/inf.

    The targets' moments ride along (their mean starts the intercept, their scale sets the
    stopping test's rounding level); ``Y`` is small next to ``X`` and is not copied either.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    Y : ndarray of shape (n, k), float32 or float64
    sample_weight : ndarray of shape (n,) or (0,), float64

    Returns
    -------
    ColumnMoments
        For ``d + k`` columns: those of ``X``, then those of ``Y``.

    Raises
    ------
    ValueError
        If the block holds NaN or infinity, or values whose squares overflow.
    """
    x, y = compute_moments(X, sample_weight), compute_moments(Y, sample_weight)
    if not (x.is_finite() and y.is_finite()):
        raise_non_finite(X, Y)
    return ColumnMoments(
        x.sum_w,
        np.concatenate([x.mean, y.mean]),
        np.concatenate([x.m2, y.m2]),
        np.concatenate([x.sumsq, y.sumsq]),
        x.n_samples,
    )


def block_qr(
    X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray, fit_intercept: bool
) -> QRFactor:
    """QR factor of one block, checked for NaN/inf.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    Y : ndarray of shape (n, k), float32 or float64
    sample_weight : ndarray of shape (n,) or (0,), float64
    fit_intercept : bool

    Returns
    -------
    QRFactor

    Raises
    ------
    ValueError
        If the block holds NaN or infinity, or values too large to factor.
    """
    factor = compute_qr(X, Y, sample_weight, fit_intercept)
    if not np.all(np.isfinite(factor.R)):
        raise_non_finite(X, Y)
    return factor


def block_refine(
    X: np.ndarray,
    Y: np.ndarray,
    sample_weight: np.ndarray,
    shift_x: np.ndarray,
    shift_y: np.ndarray,
    coef: np.ndarray,
    offset: np.ndarray,
) -> Sums:
    """Residual sums of one block in shifted coordinates (see ``shifted_residual_sums``)."""
    return launch(
        _kernels.shifted_residual_sums,
        X,
        Y,
        sample_weight,
        shift_x,
        shift_y,
        coef,
        offset,
        _kernels.N_CHUNKS,
    )


def merge_qr(*parts: QRFactor) -> QRFactor:
    """Merge the QR factors of several blocks, in the order given."""
    return functools.reduce(QRFactor.merge, parts)


def merge_stats(*parts: SufficientStats) -> SufficientStats:
    """Merge the statistics of several blocks, in the order given."""
    return functools.reduce(SufficientStats.merge, parts)


def merge_moments(*parts: ColumnMoments) -> ColumnMoments:
    """Merge the column moments of several blocks, in the order given."""
    return functools.reduce(ColumnMoments.merge, parts)


def add_sums(*parts: Sums) -> Sums:
    """Add the fused-pass sums of several blocks, in the order given."""
    g, gb, loss = (p.copy() for p in parts[0])
    for pg, pb, pl in parts[1:]:
        g += pg
        gb += pb
        loss += pl
    return g, gb, loss


def to_block(
    X: Any, y: Any, sample_weight: Any, dtype: np.dtype, n_features: int, y_ndim: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate one chunk and return it as the kernels take it: ``(X, Y, sample_weight)``.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
    y : array-like of shape (n,) or (n, k)
    sample_weight : array-like of shape (n,) or None
    dtype : numpy.dtype
        float32 or float64: ``X`` is converted to it when it differs (a float32 or float64
        ``X`` of that type is used in place).
    n_features : int
    y_ndim : int
        The dimension ``y`` must have.

    Returns
    -------
    X : ndarray of shape (n, n_features), ``dtype``
    Y : ndarray of shape (n, k), float32 or float64
    sample_weight : ndarray of shape (n,) or (0,), float64

    Raises
    ------
    ValueError
        For a wrong number of features, rows or target dimensions, NaN/inf in ``y``, or
        negative or non-finite weights (NaN/inf in ``X`` is found by the pass over it).
    """
    # Chunked sources (files, Dask) import scikit-learn anyway; fitting one array does not.
    from sklearn.utils.validation import check_array

    X = check_array(X, dtype=dtype, ensure_all_finite=False, ensure_min_samples=0, order=None)
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, expected {n_features}")
    y = check_array(
        y,
        dtype=None,
        ensure_2d=False,
        ensure_all_finite=False,
        ensure_min_samples=0,
        order=None,
    )
    if y.ndim != y_ndim:
        raise ValueError(f"y has {y.ndim} dimensions, expected {y_ndim}")
    if y.dtype.kind != "f" or y.dtype.itemsize not in (4, 8):
        y = y.astype(np.float64)
    Y = y[:, None] if y.ndim == 1 else y
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {Y.shape[0]}")
    assert_all_finite(Y, input_name="y")
    return X, Y, as_weights(sample_weight, X.shape[0])


class ArrayData:
    """:class:`ChunkedData` over one array in memory (or a memory map): a single block.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
        Validated; read in place.
    Y : ndarray of shape (n, k), float32 or float64
    sample_weight : ndarray of shape (n,) or (0,), float64
    y_ndim : int
    rereadable : bool, default=True
        False for ``partial_fit``'s batches, whose rows are seen once.
    """

    def __init__(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        sample_weight: np.ndarray,
        y_ndim: int,
        rereadable: bool = True,
    ):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.n_features = X.shape[1]
        self.n_targets = Y.shape[1]
        self.y_ndim = y_ndim
        self.dtype = X.dtype
        self.n_rows: int | None = X.shape[0]
        self.feature_names: np.ndarray | None = None
        self.rereadable = rereadable

    def stats(self) -> SufficientStats:
        """Return the block's sufficient statistics (one pass)."""
        return block_stats(self.X, self.Y, self.sample_weight)

    def moments(self) -> ColumnMoments:
        """Return the column moments of ``[X, Y]`` (one pass)."""
        return block_moments(self.X, self.Y, self.sample_weight)

    def pass_sums(self, coef: np.ndarray, intercept: np.ndarray, with_y: bool) -> Sums:
        """Return the fused pass's sums (one pass)."""
        return fused_pass_sums(self.X, self.Y, self.sample_weight, coef, intercept, with_y)

    def qr(self, fit_intercept: bool) -> QRFactor:
        """Return the QR factor (one pass)."""
        return block_qr(self.X, self.Y, self.sample_weight, fit_intercept)

    def refine_sums(
        self, shift_x: np.ndarray, shift_y: np.ndarray, coef: np.ndarray, offset: np.ndarray
    ) -> Sums:
        """Return the residual sums in shifted coordinates (one pass)."""
        return block_refine(self.X, self.Y, self.sample_weight, shift_x, shift_y, coef, offset)

    @contextmanager
    def streaming(self) -> Iterator[None]:
        """Nothing to prepare: the array is in memory."""
        yield

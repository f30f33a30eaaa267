"""Fitting from data in chunks: the estimator's logic when ``X`` is not one array.

An adapter (a file read chunk by chunk, a Dask collection reduced on a cluster) presents its data
as a :class:`ChunkedData`: three one-pass reductions over its row blocks, built from the
per-block functions below. :func:`fit_chunked` then does what ``LinearRegression.fit`` does:

- ``solver="gram"``: one pass merges the blocks' sufficient statistics (exact, Chan et al.'s
  pairwise update), then gradient descent runs on them at ``O(d^2)`` per iteration;
- ``solver="gd"``: one pass merges the blocks' column moments (the preconditioning), then every
  gradient evaluation is one pass that adds the blocks' fused-pass sums.

Only ``O(d^2)`` (statistics) or ``O(d)`` (moments, gradients) numbers per block leave a block.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ._cost import choose_solver
from ._solvers import Reparametrization, SummedObjective
from ._stats import ColumnMoments, SufficientStats, compute_moments, compute_stats
from ._validation import assert_all_finite

if TYPE_CHECKING:
    from ._estimator import LinearRegression

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
    """

    n_features: int
    n_targets: int
    y_ndim: int
    dtype: np.dtype
    n_rows: int | None
    feature_names: np.ndarray | None

    def stats(self) -> SufficientStats:
        """One pass: the merged :func:`block_stats` of every block."""
        ...

    def moments(self) -> ColumnMoments:
        """One pass: the merged :func:`block_moments` of every block."""
        ...

    def pass_sums(self, coef: np.ndarray, intercept: np.ndarray, with_y: bool) -> Sums:
        """One pass: the added :func:`~fastlinreg._solvers.fused_pass_sums` of every block."""
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
    if sample_weight is None:
        return X, Y, np.empty(0)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (X.shape[0],):
        raise ValueError(f"sample_weight has shape {sw.shape}, expected ({X.shape[0]},)")
    if not (np.all(np.isfinite(sw)) and np.all(sw >= 0)):
        raise ValueError("sample_weight must be finite and non-negative")
    return X, Y, sw


def _check_weights(sum_w: float, n_samples: int) -> None:
    if n_samples == 0:
        raise ValueError("the data has no rows")
    if sum_w <= 0.0:
        raise ValueError("sample_weight must not be all zero")


def fit_chunked(model: LinearRegression, data: ChunkedData) -> LinearRegression:
    """Fit ``model`` on chunked data, as ``model.fit`` would on the concatenated blocks.

    Parameters
    ----------
    model : LinearRegression
        Its parameters (``solver``, ``alpha``, ``tol``, ...) are honoured as in ``fit``.
    data : ChunkedData

    Returns
    -------
    LinearRegression
        ``model``, fitted. ``n_passes_`` counts passes over the data; the ``"gd"`` path always
        makes one pass for the column moments, which also give the total weight.
    """
    model._check_params()
    d, k = data.n_features, data.n_targets
    solver = model.solver
    if solver == "auto":
        # Both costs of the model are proportional to n, so its choice depends only on d and the
        # item size; a chunked source whose length is unknown before a pass can use n = 1.
        solver = choose_solver(data.n_rows or 1, d, data.dtype.itemsize)
    start = model._warm_start_model(d, k)
    if solver == "gram":
        stats = data.stats()
        _check_weights(stats.sum_w, stats.n_samples)
        result, reparam = model._solve_gram(stats, start)
        model._stats = stats
        passes = 1
    else:
        with data.streaming():
            moments = data.moments()
            _check_weights(moments.sum_w, moments.n_samples)
            mean_y = moments.mean[d:]
            y_scale = float(np.sqrt(np.sum(moments.sumsq[d:]) / moments.sum_w))
            if model.standardize:
                reparam = model._reparametrization(
                    moments.mean[:d],
                    moments.m2[:d],
                    moments.sumsq[:d],
                    moments.sum_w,
                    moments.n_samples,
                    center=True,
                )
            else:
                reparam = Reparametrization(np.zeros(d), np.ones(d), bool(model.fit_intercept))
            objective = SummedObjective(
                pass_sums=data.pass_sums,
                sum_weight=moments.sum_w,
                alpha=float(model.alpha),
                reparam=reparam,
            )
            result = model._descend(objective, reparam, start, mean_y, y_scale)
        model._stats = None
        passes = 1 + objective.n_passes
    model._set_model(result, reparam, data.dtype, data.y_ndim, solver, passes)
    model.n_features_in_ = d
    if data.feature_names is not None:
        model.feature_names_in_ = data.feature_names
    elif hasattr(model, "feature_names_in_"):
        del model.feature_names_in_
    return model

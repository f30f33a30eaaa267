"""Dask collections: fitting on the workers, combining per-chunk results by tree reduction.

``LinearRegression.fit`` and ``predict`` come here when ``X`` is a Dask array or DataFrame
(importing :mod:`fastlinreg` never imports Dask). The row blocks of ``(X, y, sample_weight)``
stay where Dask computes them; the Numba kernels run on each block on the workers, and only
their results travel, combined by a tree reduction (``SPLIT_EVERY`` at a time, in a fixed
order, so the result does not depend on the scheduler):

- ``solver="gram"``: one pass; each block sends its sufficient statistics (``O(d^2)``
  numbers), merged exactly (:meth:`fastlinreg.kernels.SufficientStats.merge`); then one or two
  refinement passes, each block sending its residual sums (``O(k d)``);
- ``solver="qr"``: one pass; each block sends its QR factor (``O(d^2)``), merged pairwise;
- ``solver="cg"`` and ``"gd"``: the blocks are persisted, then one pass for the column moments
  and one reduction per iteration: the coefficients (``O(k d)``) go to every block and each
  block sends back its gradient, intercept-gradient and loss sums (``O(k d)``).

``solver="auto"`` goes through the same fit driver as arrays in memory: the same choice, the
same fallbacks. Any scheduler works;
with a ``distributed.Client`` the work runs on its cluster. Needs the ``dask`` extra
(``pip install 'fastlinreg[dask]'``).

Examples
--------
>>> import dask.array as da
>>> import numpy as np
>>> from fastlinreg import LinearRegression
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(1000, 3))
>>> y = X @ np.array([1.0, -2.0, 0.5]) + 4.0
>>> Xd, yd = da.from_array(X, chunks=(250, 3)), da.from_array(y, chunks=250)
>>> model = LinearRegression().fit(Xd, yd)
>>> np.round(model.coef_, 6), model.solver_
(array([ 1. , -2. ,  0.5]), 'gram')
>>> model.predict(Xd)  # doctest: +ELLIPSIS
dask.array<...>
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils.validation import (
    _assert_all_finite,
    _check_feature_names,
    _check_n_features,
    _get_feature_names,
    check_is_fitted,
)

try:
    import dask
    import dask.array as da
    import dask.dataframe as dd
    import pandas as pd
    from dask.delayed import Delayed, delayed
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "fastlinreg's Dask support needs dask[array,dataframe]; install it with: "
        "pip install 'fastlinreg[dask]'"
    ) from exc

from . import _chunked, _kernels
from ._chunked import Sums
from ._runtime import launch
from ._solvers import fused_pass_sums
from ._stats import ColumnMoments, SufficientStats
from ._tsqr import QRFactor
from ._validation import fitted_blocks

if TYPE_CHECKING:
    from ._estimator import LinearRegression

__all__ = ["SPLIT_EVERY", "fit", "predict"]

#: How many partial results one task of the tree reduction combines.
SPLIT_EVERY = 16

# Numba's parallel kernels already use every core of a worker process; a worker's other task
# threads wait here rather than oversubscribe the cores.
_KERNEL_LOCK = threading.Lock()

Block = tuple[np.ndarray, np.ndarray, np.ndarray]


def _block_stats(block: Block) -> SufficientStats:
    with _KERNEL_LOCK:
        return _chunked.block_stats(*block)


def _block_moments(block: Block) -> ColumnMoments:
    with _KERNEL_LOCK:
        return _chunked.block_moments(*block)


def _block_qr(block: Block, fit_intercept: bool) -> QRFactor:
    with _KERNEL_LOCK:
        return _chunked.block_qr(*block, fit_intercept)


def _block_refine(block: Block, *args: np.ndarray) -> Sums:
    with _KERNEL_LOCK:
        return _chunked.block_refine(*block, *args)


def _block_pass(block: Block, coef: np.ndarray, intercept: np.ndarray, with_y: bool) -> Sums:
    with _KERNEL_LOCK:
        return fused_pass_sums(*block, coef, intercept, with_y)


def _tree_reduce(parts: Sequence[Delayed], combine: Callable[..., Any]) -> Delayed:
    """Combine delayed partial results ``SPLIT_EVERY`` at a time until one is left."""
    level = list(parts)
    while len(level) > 1:
        level = [
            delayed(combine)(*level[i : i + SPLIT_EVERY]) for i in range(0, len(level), SPLIT_EVERY)
        ]
    return level[0]


class _DaskData:
    """:class:`fastlinreg._chunked.ChunkedData` over delayed ``(X, Y, sample_weight)`` blocks."""

    def __init__(
        self,
        blocks: list[Delayed],
        n_features: int,
        n_targets: int,
        y_ndim: int,
        dtype: np.dtype,
        n_rows: int | None,
        feature_names: np.ndarray | None,
    ):
        self.blocks = blocks
        self.n_features = n_features
        self.n_targets = n_targets
        self.y_ndim = y_ndim
        self.dtype = dtype
        self.n_rows = n_rows
        self.feature_names = feature_names
        self.rereadable = True

    def stats(self) -> SufficientStats:
        """Make one pass: the tree-merged sufficient statistics of every block.

        Returns
        -------
        SufficientStats
            The statistics of all rows, computed.
        """
        parts = [delayed(_block_stats)(b) for b in self.blocks]
        return _tree_reduce(parts, _chunked.merge_stats).compute()

    def moments(self) -> ColumnMoments:
        """Make one pass: the tree-merged column moments of every block's ``[X, Y]``.

        Returns
        -------
        ColumnMoments
            Moments of the ``n_features + n_targets`` columns, those of ``X`` first.
        """
        parts = [delayed(_block_moments)(b) for b in self.blocks]
        return _tree_reduce(parts, _chunked.merge_moments).compute()

    def pass_sums(self, coef: np.ndarray, intercept: np.ndarray, with_y: bool) -> Sums:
        """Make one pass: the tree-added fused-pass sums of every block.

        Parameters
        ----------
        coef : ndarray of shape (n_targets, n_features), float64
            Coefficients at which the residuals are taken; sent to every block.
        intercept : ndarray of shape (n_targets,), float64
            Intercepts at which the residuals are taken.
        with_y : bool
            False takes ``Y`` as zero (the Hessian-vector product).

        Returns
        -------
        tuple of ndarray
            ``sum_i w_i r_i x_i`` (k, d), ``sum_i w_i r_i`` (k,) and ``sum_i w_i r_i**2`` (k,).
        """
        parts = [delayed(_block_pass)(b, coef, intercept, with_y) for b in self.blocks]
        return _tree_reduce(parts, _chunked.add_sums).compute()

    def qr(self, fit_intercept: bool) -> QRFactor:
        """Make one pass: the tree-merged QR factor of every block.

        Parameters
        ----------
        fit_intercept : bool
            Whether the factor includes an intercept column.

        Returns
        -------
        QRFactor
            The ``R`` factor of all rows.
        """
        parts = [delayed(_block_qr)(b, fit_intercept) for b in self.blocks]
        return _tree_reduce(parts, _chunked.merge_qr).compute()

    def refine_sums(
        self, shift_x: np.ndarray, shift_y: np.ndarray, coef: np.ndarray, offset: np.ndarray
    ) -> Sums:
        """Make one pass: the tree-added residual sums, in shifted coordinates, of every block.

        Parameters
        ----------
        shift_x : ndarray of shape (n_features,), float64
            Subtracted from every row of ``X``.
        shift_y : ndarray of shape (n_targets,), float64
            Subtracted from every row of ``Y``.
        coef : ndarray of shape (n_targets, n_features), float64
            Coefficients at which the residuals are taken.
        offset : ndarray of shape (n_targets,), float64
            Intercept in the shifted coordinates.

        Returns
        -------
        tuple of ndarray
            ``sum_i w_i r_i xs_i`` (k, d), ``sum_i w_i r_i`` (k,) and ``sum_i w_i r_i**2`` (k,).
        """
        parts = [delayed(_block_refine)(b, shift_x, shift_y, coef, offset) for b in self.blocks]
        return _tree_reduce(parts, _chunked.add_sums).compute()

    @contextmanager
    def streaming(self) -> Iterator[None]:
        """Persist the blocks for the passes to come, and go back to the lazy blocks after.

        Yields
        ------
        None
            Control, while the persisted blocks are in use.
        """
        source = self.blocks
        self.blocks = list(dask.persist(*source))
        try:
            yield
        finally:
            self.blocks = source


def _is_frame(obj: Any) -> bool:
    return isinstance(obj, (dd.DataFrame, dd.Series))


def _schema(X: Any) -> Any:
    """Return what scikit-learn's feature-name checks read: a DataFrame's empty pandas meta."""
    return X._meta if isinstance(X, dd.DataFrame) else X


def _frame_dtype(frame: Any) -> np.dtype:
    """Return the dtype of the frame's values: float32 if all columns are, else float64."""
    dtypes = list(frame.dtypes)
    for name, dt in zip(frame.columns, dtypes, strict=True):
        if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt)):
            raise ValueError(f"column {name!r} of X is not numeric (dtype {dt})")
    if dtypes and all(np.dtype(getattr(dt, "numpy_dtype", dt)) == np.float32 for dt in dtypes):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _array_dtype(dtype: np.dtype, name: str) -> np.dtype:
    if dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric, got dtype {dtype}")
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _row_parts(obj: Any, name: str, row_chunks: tuple[float, ...] | None) -> list[Any]:
    """Split ``obj`` into per-row-block pieces aligned with ``row_chunks`` where they are known.

    Dask collections give delayed pieces; a NumPy-like object is sliced (its pieces are shipped
    with the tasks), which needs the row chunks of ``X`` to be known.
    """
    if isinstance(obj, da.Array):
        if obj.ndim not in (1, 2):
            raise ValueError(f"{name} must be 1-D or 2-D, got {obj.ndim} dimensions")
        if row_chunks is not None and not any(np.isnan(obj.chunks[0])):
            if obj.shape[0] != sum(row_chunks):
                raise ValueError(f"{name} has {obj.shape[0]} rows but X has {sum(row_chunks)}")
            obj = obj.rechunk({0: row_chunks})
        if obj.ndim == 2:
            obj = obj.rechunk({1: -1})
            return list(obj.to_delayed()[:, 0])
        return list(obj.to_delayed())
    if _is_frame(obj):
        return list(obj.to_delayed())
    if row_chunks is None:
        raise ValueError(
            f"with a Dask DataFrame X (or a Dask array of unknown chunk sizes), {name} must be a "
            "Dask collection with the same partitions"
        )
    values = np.asarray(obj)
    if values.shape[:1] != (sum(row_chunks),):
        raise ValueError(f"{name} has {values.shape[:1]} rows but X has {sum(row_chunks)}")
    bounds = np.cumsum((0, *row_chunks)).astype(int)
    return [values[a:b] for a, b in itertools.pairwise(bounds)]


def _target_shape(y: Any) -> tuple[int, int]:
    """Return ``(y_ndim, n_targets)`` of a target without computing it."""
    if isinstance(y, dd.Series):
        return 1, 1
    if isinstance(y, dd.DataFrame):
        return 2, len(y.columns)
    shape = np.shape(y) if not isinstance(y, da.Array) else y.shape
    if len(shape) not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got shape {shape}")
    return len(shape), 1 if len(shape) == 1 else int(shape[1])


def fit(model: LinearRegression, X: Any, y: Any, sample_weight: Any = None) -> LinearRegression:
    """Fit ``model`` on a Dask array or DataFrame ``X``; the same as ``model.fit(X, y, ...)``.

    Parameters
    ----------
    model : LinearRegression
        The estimator to fit, with its parameters.
    X : dask.array.Array or dask.dataframe.DataFrame
        Features, as for :func:`data_source`.
    y : dask collection or array-like
        Targets, as for :func:`data_source`.
    sample_weight : dask collection or array-like, optional
        Non-negative weights, as for :func:`data_source`.

    Returns
    -------
    LinearRegression
        ``model``, fitted; equal to ``model.fit`` on the computed arrays up to ``tol``.
    """
    return model.fit(X, y, sample_weight=sample_weight)


def data_source(X: Any, y: Any, sample_weight: Any = None) -> _DaskData:
    """Describe Dask input as a data source of the fit driver, computing nothing yet.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features) or dask.dataframe.DataFrame
        Its row blocks are processed where Dask computes them; a Dask array is rechunked to
        one block of columns.
    y : dask.array.Array, dask.dataframe.Series or DataFrame, or array-like
        Targets, 1-D or 2-D. With a Dask DataFrame ``X`` it must have the same partitions
        (for instance a column of the same frame); with a Dask array ``X`` of known chunks it
        may also be a NumPy array, which is sliced and sent with the tasks.
    sample_weight : same kinds as ``y``, optional
        Non-negative weights.

    Returns
    -------
    ChunkedData
        Its one-pass reductions run per block on the workers and are tree-reduced.

    Raises
    ------
    ValueError
        For non-numeric or misaligned input; NaN/inf in a block is reported when the pass
        reaches it.
    TypeError
        For a Dask array whose chunks are scipy sparse matrices (the message names the fix).
    """
    names = _get_feature_names(_schema(X))
    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got {X.ndim} dimensions")
        if type(X._meta).__module__.startswith("scipy.sparse"):
            raise TypeError(
                "a Dask array of scipy sparse chunks is not supported; fit the computed matrix "
                "(LinearRegression().fit(X.compute(), y) reads its nonzeros in place, never "
                "densified), or fit dense chunks (X.map_blocks(lambda b: b.toarray()))"
            )
        dtype = _array_dtype(X.dtype, "X")
        X = X.rechunk({1: -1})
        row_chunks: tuple[float, ...] | None = X.chunks[0]
        if any(np.isnan(X.chunks[0])):
            row_chunks = None
        x_parts = list(X.to_delayed()[:, 0])
        n_rows = None if row_chunks is None else int(X.shape[0])
    elif isinstance(X, dd.DataFrame):
        dtype = _frame_dtype(X)
        row_chunks = None
        x_parts = list(X.to_delayed())
        n_rows = None
    else:
        raise TypeError(f"expected a Dask array or DataFrame, got {type(X).__name__}")
    d = len(X.columns) if isinstance(X, dd.DataFrame) else int(X.shape[1])
    y_ndim, k = _target_shape(y)
    y_parts = _row_parts(y, "y", row_chunks)
    w_parts: list[Any] = (
        [None] * len(x_parts)
        if sample_weight is None
        else _row_parts(sample_weight, "sample_weight", row_chunks)
    )
    if not len(x_parts) == len(y_parts) == len(w_parts):
        raise ValueError(
            f"X, y and sample_weight must have the same partitions, got {len(x_parts)}, "
            f"{len(y_parts)} and {len(w_parts)} blocks"
        )
    blocks = [
        delayed(_chunked.to_block)(x, yb, w, dtype, d, y_ndim)
        for x, yb, w in zip(x_parts, y_parts, w_parts, strict=True)
    ]
    feature_names = None if names is None else np.asarray(names, dtype=object)
    return _DaskData(blocks, d, k, y_ndim, dtype, n_rows, feature_names)


def _predict_block(
    X: np.ndarray, coef: np.ndarray, intercept: np.ndarray, dtype: np.dtype, multi: bool
) -> np.ndarray:
    values = np.asarray(X, dtype=dtype)
    out = np.empty((values.shape[0], coef.shape[0]), dtype=dtype)
    with _KERNEL_LOCK:
        launch(_kernels.predict_into, values, coef, intercept, out, _kernels.N_CHUNKS)
    if not np.all(np.isfinite(out)):
        _assert_all_finite(values, input_name="X")
    return out if multi else out[:, 0]


def _predict_frame(
    frame: pd.DataFrame, coef: np.ndarray, intercept: np.ndarray, dtype: np.dtype, multi: bool
) -> pd.Series | pd.DataFrame:
    values = frame.to_numpy(dtype=dtype, na_value=np.nan)
    out = _predict_block(values, coef, intercept, dtype, multi)
    if multi:
        return pd.DataFrame(out, index=frame.index)
    return pd.Series(out, index=frame.index)


def predict(model: LinearRegression, X: Any) -> Any:
    """Predict lazily for a Dask array or DataFrame: what ``model.predict`` does for Dask input.

    Parameters
    ----------
    model : LinearRegression
        A fitted model.
    X : dask.array.Array of shape (n_samples, n_features) or dask.dataframe.DataFrame
        Features, with the model's number of features (and names, for a DataFrame).

    Returns
    -------
    dask.array.Array, dask.dataframe.Series or dask.dataframe.DataFrame
        Not computed. A Dask array for a Dask array ``X`` (1-D, or 2-D for several targets,
        with ``X``'s row chunks); for a DataFrame, a Series (a DataFrame for several targets)
        with ``X``'s index and partitions. Values are in ``X``'s float dtype (float64 for
        other types), as ``predict`` gives for arrays.
    """
    check_is_fitted(model)
    _check_feature_names(model, _schema(X), reset=False)
    _check_n_features(model, _schema(X), reset=False)
    coef, intercept = fitted_blocks(model)
    k = coef.shape[0]
    multi = np.ndim(model.coef_) == 2
    if isinstance(X, dd.DataFrame):
        dtype = _frame_dtype(X)
        meta = (
            pd.DataFrame({t: np.empty(0, dtype) for t in range(k)})
            if multi
            else pd.Series(np.empty(0, dtype))
        )
        return X.map_partitions(_predict_frame, coef, intercept, dtype, multi, meta=meta)
    if not isinstance(X, da.Array) or X.ndim != 2:
        raise ValueError("X must be a 2-D Dask array or a Dask DataFrame")
    dtype = _array_dtype(X.dtype, "X")
    X = X.rechunk({1: -1})
    if multi:
        return X.map_blocks(
            _predict_block, coef, intercept, dtype, multi, dtype=dtype, chunks=(X.chunks[0], (k,))
        )
    return X.map_blocks(_predict_block, coef, intercept, dtype, multi, dtype=dtype, drop_axis=1)

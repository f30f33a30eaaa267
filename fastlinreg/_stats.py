"""Sufficient statistics of weighted least squares: computed in one pass, merged exactly."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from . import _kernels
from ._runtime import launch, num_threads

#: Rows averaged to choose the shift that large column offsets are cancelled against.
_SHIFT_ROWS = 1024
#: Memory allowed for the per-chunk d x d accumulators of one Gram pass.
_PARTIALS_BYTES = 32 * 2**20
#: Below this many features the Numba kernel beats per-block BLAS (docs/decisions.md).
_BLAS_MIN_FEATURES = 24
#: From this many features a block's product is accumulated in place by scipy's ``syrk``; below,
#: NumPy's ``block.T @ block`` into scratch (faster with OpenBLAS) is added to the accumulator,
#: an add of d^2 per block that loses once blocks have few rows per feature (docs/decisions.md).
_SYRK_MIN_FEATURES = 1500
#: The fewest rows of a Gram chunk (when there are that many).
_BLOCK_ROWS = 2048
#: Size of one float64 BLAS block ``[x | y | 1]``: large enough that the call's overhead is small
#: next to its product (5041 rows at d = 50; docs/decisions.md).
_BLOCK_BYTES = 2 * 2**20

_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter: Any = None
# Finding the loaded BLAS libraries takes milliseconds, so it is done once; limiting is then cheap.
_blas_controller: ThreadpoolController | None = None


@contextmanager
def _single_threaded_blas():
    """Limit BLAS to one thread while any Gram pass runs (our threads supply the parallelism).

    threadpoolctl's limit is process-wide, so overlapping passes from several Python threads
    share one limit, applied by the first to enter and restored by the last to leave.
    """
    global _blas_users, _blas_limiter, _blas_controller
    with _blas_lock:
        if _blas_users == 0:
            if _blas_controller is None:
                _blas_controller = ThreadpoolController()
            _blas_limiter = _blas_controller.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limiter is not None:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


@dataclass(frozen=True)
class SufficientStats:
    """Centred weighted moments of ``(X, Y)``: all that full-batch least squares needs.

    They are stored centred (rather than as raw ``X^T W X``) so that columns with large offsets
    keep their precision; the raw statistics are available as properties.

    Attributes
    ----------
    sum_w : float
        ``sum_i w_i``.
    mean_x : ndarray of shape (d,)
        Weighted column means of ``X``.
    mean_y : ndarray of shape (k,)
        Weighted means of the targets.
    cxx : ndarray of shape (d, d)
        ``sum_i w_i (x_i - mean_x)(x_i - mean_x)^T``.
    cxy : ndarray of shape (d, k)
        ``sum_i w_i (x_i - mean_x)(y_i - mean_y)^T``.
    cyy : ndarray of shape (k,)
        ``sum_i w_i (y_i - mean_y)**2`` per target.
    n_samples : int
        Rows seen (weights not applied).
    """

    sum_w: float
    mean_x: np.ndarray
    mean_y: np.ndarray
    cxx: np.ndarray
    cxy: np.ndarray
    cyy: np.ndarray
    n_samples: int

    @property
    def xtx(self) -> np.ndarray:
        """Raw ``X^T W X``, shape (d, d)."""
        return self.cxx + self.sum_w * np.outer(self.mean_x, self.mean_x)

    @property
    def xty(self) -> np.ndarray:
        """Raw ``X^T W Y``, shape (d, k)."""
        return self.cxy + self.sum_w * np.outer(self.mean_x, self.mean_y)

    @property
    def yty(self) -> np.ndarray:
        """Raw ``sum_i w_i y_i**2`` per target, shape (k,)."""
        return self.cyy + self.sum_w * self.mean_y**2

    @property
    def x_sum(self) -> np.ndarray:
        """Weighted column sums ``sum_i w_i x_i``, shape (d,)."""
        return self.sum_w * self.mean_x

    @property
    def y_sum(self) -> np.ndarray:
        """Weighted target sums ``sum_i w_i y_i``, shape (k,)."""
        return self.sum_w * self.mean_y

    @classmethod
    def empty(cls, n_features: int, n_targets: int) -> SufficientStats:
        """Return the statistics of no rows: the identity of :meth:`merge`.

        Parameters
        ----------
        n_features, n_targets : int

        Returns
        -------
        SufficientStats
        """
        d, k = n_features, n_targets
        return cls(
            0.0, np.zeros(d), np.zeros(k), np.zeros((d, d)), np.zeros((d, k)), np.zeros(k), 0
        )

    def merge(self, other: SufficientStats) -> SufficientStats:
        """Return the statistics of the two row sets together (Chan et al.'s pairwise update).

        Parameters
        ----------
        other : SufficientStats
            Statistics of other rows, with the same numbers of features and targets.

        Returns
        -------
        SufficientStats
        """
        if other.sum_w == 0.0:
            return replace(self, n_samples=self.n_samples + other.n_samples)
        if self.sum_w == 0.0:
            return replace(other, n_samples=self.n_samples + other.n_samples)
        total = self.sum_w + other.sum_w
        f = self.sum_w * other.sum_w / total
        dx = other.mean_x - self.mean_x
        dy = other.mean_y - self.mean_y
        return SufficientStats(
            sum_w=total,
            mean_x=self.mean_x + dx * (other.sum_w / total),
            mean_y=self.mean_y + dy * (other.sum_w / total),
            cxx=self.cxx + other.cxx + f * np.outer(dx, dx),
            cxy=self.cxy + other.cxy + f * np.outer(dx, dy),
            cyy=self.cyy + other.cyy + f * dy * dy,
            n_samples=self.n_samples + other.n_samples,
        )

    def is_finite(self) -> bool:
        """Whether every statistic is finite (false when the data held NaN/inf or overflowed)."""
        return bool(
            np.isfinite(self.sum_w)
            and np.all(np.isfinite(self.mean_x))
            and np.all(np.isfinite(self.mean_y))
            and np.all(np.isfinite(self.cxx))
            and np.all(np.isfinite(self.cxy))
            and np.all(np.isfinite(self.cyy))
        )


@dataclass(frozen=True)
class ColumnMoments:
    """Weighted column moments of ``X``: what diagonal preconditioning needs, in ``O(d)``.

    Attributes
    ----------
    sum_w : float
        ``sum_i w_i``.
    mean : ndarray of shape (d,)
        Weighted column means.
    m2 : ndarray of shape (d,)
        Centred sums of squares ``sum_i w_i (x_ij - mean_j)**2``.
    sumsq : ndarray of shape (d,)
        Raw sums of squares ``sum_i w_i x_ij**2``.
    n_samples : int
        Rows seen (weights not applied).
    """

    sum_w: float
    mean: np.ndarray
    m2: np.ndarray
    sumsq: np.ndarray
    n_samples: int

    @classmethod
    def empty(cls, n_features: int) -> ColumnMoments:
        """Return the moments of no rows: the identity of :meth:`merge`.

        Parameters
        ----------
        n_features : int

        Returns
        -------
        ColumnMoments
        """
        d = n_features
        return cls(0.0, np.zeros(d), np.zeros(d), np.zeros(d), 0)

    def merge(self, other: ColumnMoments) -> ColumnMoments:
        """Return the moments of the two row sets together (Chan et al.'s pairwise update).

        Parameters
        ----------
        other : ColumnMoments
            Moments of other rows, with the same number of columns.

        Returns
        -------
        ColumnMoments
        """
        n = self.n_samples + other.n_samples
        sumsq = self.sumsq + other.sumsq
        if other.sum_w == 0.0:
            return replace(self, sumsq=sumsq, n_samples=n)
        if self.sum_w == 0.0:
            return replace(other, sumsq=sumsq, n_samples=n)
        total = self.sum_w + other.sum_w
        delta = other.mean - self.mean
        return ColumnMoments(
            sum_w=total,
            mean=self.mean + delta * (other.sum_w / total),
            m2=self.m2 + other.m2 + delta * delta * (self.sum_w * other.sum_w / total),
            sumsq=sumsq,
            n_samples=n,
        )

    def is_finite(self) -> bool:
        """Whether every moment is finite (false when the data held NaN/inf or overflowed)."""
        return bool(
            np.isfinite(self.sum_w)
            and np.all(np.isfinite(self.mean))
            and np.all(np.isfinite(self.m2))
            and np.all(np.isfinite(self.sumsq))
        )


def compute_moments(X: np.ndarray, sample_weight: np.ndarray) -> ColumnMoments:
    """One pass over ``X``: its weighted column moments.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
        Read in place, never copied; may have no rows.
    sample_weight : ndarray of shape (n,) or (0,), float64
        Zero rows means unit weights.

    Returns
    -------
    ColumnMoments
    """
    n, d = X.shape
    if n == 0:
        return ColumnMoments.empty(d)
    sum_w, mean, m2, sumsq = launch(_kernels.column_moments, X, sample_weight, _kernels.N_CHUNKS)
    return ColumnMoments(float(sum_w), mean, m2, sumsq, n)


def gram_chunks(n_samples: int, n_features: int) -> int:
    """Return the row-chunk count of a Gram pass: fixed by the shape, never by the thread count.

    Chunks have at least ``_BLOCK_ROWS`` rows (when there are that many), so that small inputs,
    such as the blocks of a chunked or Dask fit, do not pay for many tiny tasks.
    """
    per_chunk = 8 * n_features * n_features
    by_rows = max(1, n_samples // _BLOCK_ROWS)
    return int(max(1, min(_kernels.N_CHUNKS, _PARTIALS_BYTES // per_chunk, by_rows)))


def row_shift(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the shift that large column offsets are cancelled against: a mean of leading rows.

    A C-ordered float64 copy of the first rows gives the same shift, bit for bit, whatever the
    layout of ``X`` (NumPy's reduction order follows the memory layout). Non-finite leading rows
    give zeros: any shift will do, and the pass will report the problem.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    Y : ndarray of shape (n, k)

    Returns
    -------
    shift_x : ndarray of shape (d,)
    shift_y : ndarray of shape (k,)
    """
    if X.shape[0] == 0:
        return np.zeros(X.shape[1]), np.zeros(Y.shape[1])
    shift_x = np.array(X[:_SHIFT_ROWS], dtype=np.float64, order="C").mean(axis=0)
    shift_y = np.array(Y[:_SHIFT_ROWS], dtype=np.float64, order="C").mean(axis=0)
    if not (np.all(np.isfinite(shift_x)) and np.all(np.isfinite(shift_y))):
        return np.zeros(X.shape[1]), np.zeros(Y.shape[1])
    return shift_x, shift_y


def run_chunks(task: Callable[[Any], Any], bounds: list, *, blas: bool) -> list:
    """Run ``task`` on every chunk's bounds on a thread pool; return the results in chunk order.

    Each task is serial and releases the GIL; the chunks, not the threads, fix the summation
    order. With ``blas`` the BLAS library is limited to one thread meanwhile (the pool supplies
    the parallelism).
    """
    workers = max(1, min(num_threads(), len(bounds)))
    limit = _single_threaded_blas() if blas else nullcontext()
    with limit, ThreadPoolExecutor(workers) as pool:
        try:
            return list(pool.map(task, bounds))
        except BaseException:
            # An interrupt (or a failing chunk) should not wait for the chunks not yet started.
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def compute_stats(X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray) -> SufficientStats:
    """One pass over ``X``: the sufficient statistics of weighted least squares.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
        Read in place, never copied; may have no rows.
    Y : ndarray of shape (n, k), float32 or float64
    sample_weight : ndarray of shape (n,) or (0,), float64
        Zero rows means unit weights.

    Returns
    -------
    SufficientStats
        :meth:`SufficientStats.empty` when ``X`` has no rows.
    """
    n, d = X.shape
    if n == 0:
        return SufficientStats.empty(d, Y.shape[1])
    shift_x, shift_y = row_shift(X, Y)
    n_chunks = gram_chunks(n, d)
    bounds = [(c * n // n_chunks, (c + 1) * n // n_chunks) for c in range(n_chunks)]
    chunk: Callable[..., tuple] = _kernels.gram_chunk if d < _BLAS_MIN_FEATURES else _blas_chunk
    parts = run_chunks(
        lambda b: chunk(X, Y, sample_weight, shift_x, shift_y, b[0], b[1]),
        bounds,
        blas=chunk is _blas_chunk,
    )
    w, sx, sy, xx, xy, yy = (np.array([p[i] for p in parts]) for i in range(6))
    sum_w, mean_x, mean_y, cxx, cxy, cyy = _kernels.merge_shifted_sums(
        w, sx, sy, xx, xy, yy, shift_x, shift_y
    )
    return SufficientStats(sum_w, mean_x, mean_y, cxx, cxy, cyy, n)


@functools.cache
def _dsyrk() -> Callable[..., np.ndarray]:
    """Return SciPy's BLAS ``dsyrk``, imported on first use rather than with the package."""
    from scipy.linalg.blas import dsyrk

    return dsyrk


def _blas_chunk(X, Y, sw, shift_x, shift_y, start, stop):
    """Compute what :func:`fastlinreg._kernels.gram_chunk` does, by float64 blocks and BLAS.

    Each block is copied, shifted and scaled by the root of its weights into ``[x | y | 1]``, so
    that one product ``block.T @ block`` gives every sum at once: ``x x^T``, ``x y^T``, ``y^2``,
    ``x``, ``y`` and the weight, in one BLAS call per block instead of five NumPy reductions
    (docs/decisions.md). Only the upper triangle of the product is used.
    """
    d, k = X.shape[1], Y.shape[1]
    rows = min(max(_BLOCK_BYTES // (8 * (d + k + 1)), 64), max(stop - start, 1))
    block = np.empty((rows, d + k + 1))
    block[:, d + k] = 1.0
    acc = np.zeros((d + k + 1, d + k + 1), order="F")
    product = np.empty_like(acc) if d < _SYRK_MIN_FEATURES else None
    for i0 in range(start, stop, rows):
        i1 = min(i0 + rows, stop)
        zb = block[: i1 - i0]
        np.subtract(X[i0:i1], shift_x, out=zb[:, :d])
        np.subtract(Y[i0:i1], shift_y, out=zb[:, d : d + k])
        if sw.shape[0]:
            zb *= np.sqrt(sw[i0:i1])[:, None]
        if d >= _SYRK_MIN_FEATURES:
            acc = _dsyrk()(1.0, zb.T, beta=1.0, c=acc, trans=0, lower=0, overwrite_c=1)
        else:
            np.matmul(zb.T, zb, out=product)
            acc += product
        if sw.shape[0]:
            zb[:, d + k] = 1.0
    xx = acc[:d, :d]
    xy = acc[:d, d : d + k]
    yy = np.diagonal(acc)[d : d + k].copy()
    return acc[d + k, d + k], acc[:d, d + k].copy(), acc[d : d + k, d + k].copy(), xx, xy, yy

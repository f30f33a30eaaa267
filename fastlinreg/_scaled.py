"""Data whose squares leave float64's range, fitted exactly through power-of-two rescaling.

The statistics, QR factors and column moments square the data: values below about ``1e-154``
have squares that underflow (a column of ``1e-200`` looks constant) and values above about
``1e154`` have squares that overflow. Multiplying by a power of two is exact, and least squares
is equivariant under it: with ``Z = X diag(s)``, targets ``T = Y diag(t)`` and weights
``w / u``, the fit of ``(Z, T)`` with penalty ``alpha'`` gives ``coef = s * coef' / t`` and
``intercept = intercept' / t``. Per-column scales change the ridge penalty column by column,
so with ``alpha > 0`` one scale serves every column and ``alpha' = alpha s**2 / u``.

:class:`ScaledArrayData` presents such a rescaled view of an array to the fit driver, a block of
rows at a time; ``X`` itself is never copied or changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ._chunked import (
    Sums,
    add_sums,
    block_moments,
    block_qr,
    block_refine,
    block_stats,
    merge_moments,
    merge_qr,
    merge_stats,
)
from ._solvers import fused_pass_sums
from ._stats import ColumnMoments, SufficientStats
from ._tsqr import QRFactor

#: Magnitudes whose squares, summed over many rows and columns, stay well inside float64.
_SAFE_LOW = 2.0**-400
_SAFE_HIGH = 2.0**400
#: Rows looked at to judge the magnitudes before a fit (as many as the shift is taken from).
_PROBE_ROWS = 1024
#: Size of the rescaled block handed to the kernels.
_BLOCK_BYTES = 8 * 2**20


@dataclass(frozen=True)
class Rescaling:
    """Power-of-two factors that bring the data into float64's safe range.

    Attributes
    ----------
    x : ndarray of shape (d,)
        Column factors ``s``.
    y : ndarray of shape (k,)
        Target factors ``t``.
    weight : float
        The weights are divided by this ``u``.
    """

    x: np.ndarray
    y: np.ndarray
    weight: float

    def alpha(self, alpha: float) -> float:
        """Return the rescaled problem's penalty (``alpha * s**2 / u``, at most float64's max)."""
        if alpha == 0.0:
            return 0.0
        with np.errstate(over="ignore"):
            scaled = float(np.float64(alpha) * self.x[0] * self.x[0] / self.weight)
        # Past float64's range the penalty dominates whatever the data say: the coefficients
        # are zero to the precision of their own scale, which the largest finite one gives too.
        return min(scaled, float(np.finfo(np.float64).max))

    def to_scaled(self, coef: np.ndarray, intercept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map a model ``(coef (k, d), intercept (k,))`` into the rescaled coordinates."""
        return coef * self.y[:, None] / self.x[None, :], intercept * self.y

    def from_scaled(self, coef: np.ndarray, intercept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map a model fitted on the rescaled data back to the original units."""
        return coef * self.x[None, :] / self.y[:, None], intercept / self.y


def _power_of_two_factor(magnitude: np.ndarray) -> np.ndarray:
    """``2**-e`` with ``magnitude = m 2**e``, ``0.5 <= m < 1``; one where the magnitude is 0.

    Subnormal magnitudes get the largest finite power, ``2**1023``.
    """
    _, exponent = np.frexp(magnitude)
    factor = np.ldexp(1.0, np.minimum(-exponent, 1023))
    return np.where(magnitude > 0.0, factor, 1.0)


def _power_of_two_unit(magnitude: float) -> float:
    """``2**e`` with ``magnitude = m 2**e``, ``0.5 <= m < 1`` (exact, subnormal included)."""
    _, exponent = np.frexp(magnitude)
    return float(np.ldexp(1.0, int(exponent)))


def _into_range(magnitude: float) -> float:
    """Return the power of two moving ``magnitude`` just inside the safe range (one if inside).

    With a penalty, rescaling as little as possible keeps the rescaled penalty and the
    rescaled coefficients representable.
    """
    _, exponent = np.frexp(magnitude)
    if magnitude < _SAFE_LOW:
        return float(np.ldexp(1.0, int(np.log2(_SAFE_LOW)) - int(exponent) + 1))
    if magnitude > _SAFE_HIGH:
        return float(np.ldexp(1.0, int(np.log2(_SAFE_HIGH)) - int(exponent)))
    return 1.0


def _outside(magnitude: np.ndarray) -> bool:
    nonzero = magnitude[magnitude > 0.0]
    return bool(np.any(nonzero < _SAFE_LOW) or np.any(nonzero > _SAFE_HIGH))


def plan_rescaling(
    X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray, alpha: float
) -> Rescaling | None:
    """Decide from the leading rows whether the data need rescaling, and by what.

    Only float64 data can leave the range (float32 values are squared in float64). The
    magnitudes come from the first rows, as the shift of the statistics does; the weights are
    looked at whole (they are a vector).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    Y : ndarray of shape (n, k)
    sample_weight : ndarray of shape (n,) or (0,)
    alpha : float

    Returns
    -------
    Rescaling or None
        None when every magnitude is safe as it is.
    """
    if X.shape[0] == 0:
        return None
    with np.errstate(invalid="ignore"):
        x_mag = np.nanmax(np.abs(np.asarray(X[:_PROBE_ROWS], dtype=np.float64)), axis=0)
        y_mag = np.max(np.abs(np.asarray(Y[:_PROBE_ROWS], dtype=np.float64)), axis=0)
    x_mag = np.where(np.isfinite(x_mag), x_mag, 0.0)  # the pass will name NaN/inf
    w_mag = float(np.max(sample_weight)) if sample_weight.shape[0] else 1.0
    x_risk = X.dtype == np.float64 and _outside(x_mag)
    y_risk = _outside(y_mag)
    w_risk = _outside(np.array([w_mag]))
    if not (x_risk or y_risk or w_risk):
        return None
    if not x_risk:
        x_factor = np.ones(X.shape[1])
    elif alpha > 0.0:
        # One factor for every column keeps the penalty a multiple of ||coef||^2.
        nonzero = x_mag[x_mag > 0.0]
        worst = nonzero.max() if nonzero.max() > _SAFE_HIGH else nonzero.min()
        x_factor = np.full(X.shape[1], _into_range(float(worst)))
    else:
        x_factor = _power_of_two_factor(x_mag)
    # The solution is linear in y, whatever the penalty: normalising the targets is free.
    y_factor = _power_of_two_factor(y_mag) if y_risk else np.ones(Y.shape[1])
    if not w_risk:
        weight = 1.0
    elif alpha > 0.0:
        weight = 1.0 / _into_range(w_mag)
    else:
        weight = _power_of_two_unit(w_mag)
    return Rescaling(x_factor, y_factor, weight)


#: Stored values of sparse ``X`` judged at a time.
_SPARSE_BLOCK = 1 << 20


def needs_rescaling(X, Y: np.ndarray, sample_weight: np.ndarray) -> bool:
    """Whether any magnitude of the data leaves the safe range (dense or scipy sparse ``X``).

    Dense ``X`` is judged from its leading rows, as :func:`plan_rescaling` does; sparse ``X``
    from all its stored values (one read of them, much less than a fit).

    Parameters
    ----------
    X : ndarray or scipy sparse matrix of shape (n, d)
    Y : ndarray of shape (n, k)
    sample_weight : ndarray of shape (n,) or (0,)

    Returns
    -------
    bool
    """
    if isinstance(X, np.ndarray):
        return plan_rescaling(X, Y, sample_weight, 0.0) is not None
    if X.shape[0] == 0:
        return False
    # Block by block: the magnitudes of all nonzeros at once would be a copy of them.
    x_risk = X.dtype == np.float64 and any(
        _outside(np.abs(X.data[i : i + _SPARSE_BLOCK]))
        for i in range(0, X.data.shape[0], _SPARSE_BLOCK)
    )
    y_mag = np.max(np.abs(Y[:_PROBE_ROWS]), axis=0)
    w_mag = np.array([float(np.max(sample_weight)) if sample_weight.shape[0] else 1.0])
    return bool(x_risk or _outside(y_mag) or _outside(w_mag))


class ScaledArrayData:
    """The driver's view of ``(X diag(s), Y diag(t), w / u)`` for an array, block by block.

    Each pass rescales one block of rows at a time into scratch memory and runs the array
    kernels on it; the blocks' results are merged in row order, so the fit is deterministic.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    Y : ndarray of shape (n, k)
    sample_weight : ndarray of shape (n,) or (0,)
    y_ndim : int
    rescaling : Rescaling
    """

    def __init__(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        sample_weight: np.ndarray,
        y_ndim: int,
        rescaling: Rescaling,
    ):
        # Private: solvers that read ``data.X`` directly (the dual system) would see the
        # unscaled values, so this source offers only the blockwise passes.
        self._X, self._Y = X, Y
        self.sample_weight = (
            sample_weight / rescaling.weight if sample_weight.shape[0] else sample_weight
        )
        self.rescaling = rescaling
        self.n_features = X.shape[1]
        self.n_targets = Y.shape[1]
        self.y_ndim = y_ndim
        self.dtype = X.dtype
        self.n_rows: int | None = X.shape[0]
        self.feature_names: np.ndarray | None = None
        self.rereadable = True
        row_bytes = 8 * (self.n_features + self.n_targets)
        self._rows = max(1, _BLOCK_BYTES // row_bytes)

    def _blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        sw = self.sample_weight
        for lo in range(0, max(self._X.shape[0], 1), self._rows):
            hi = lo + self._rows
            xb = np.multiply(self._X[lo:hi], self.rescaling.x, dtype=np.float64)
            yb = np.multiply(self._Y[lo:hi], self.rescaling.y, dtype=np.float64)
            yield xb, yb, sw[lo:hi] if sw.shape[0] else sw

    def stats(self) -> SufficientStats:
        """Return the rescaled data's sufficient statistics (one pass)."""
        return merge_stats(*(block_stats(*block) for block in self._blocks()))

    def moments(self) -> ColumnMoments:
        """Return the column moments of the rescaled ``[X, Y]`` (one pass)."""
        return merge_moments(*(block_moments(*block) for block in self._blocks()))

    def pass_sums(self, coef: np.ndarray, intercept: np.ndarray, with_y: bool) -> Sums:
        """Return the fused pass's sums on the rescaled data (one pass)."""
        return add_sums(
            *(fused_pass_sums(*block, coef, intercept, with_y) for block in self._blocks())
        )

    def qr(self, fit_intercept: bool) -> QRFactor:
        """Return the QR factor of the rescaled data (one pass)."""
        return merge_qr(*(block_qr(*block, fit_intercept) for block in self._blocks()))

    def refine_sums(
        self, shift_x: np.ndarray, shift_y: np.ndarray, coef: np.ndarray, offset: np.ndarray
    ) -> Sums:
        """Return the residual sums of the rescaled data in shifted coordinates (one pass)."""
        return add_sums(
            *(block_refine(*block, shift_x, shift_y, coef, offset) for block in self._blocks())
        )

    @contextmanager
    def streaming(self) -> Iterator[None]:
        """Nothing to prepare: the array is in memory."""
        yield

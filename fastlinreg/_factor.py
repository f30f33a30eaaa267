"""Direct solves of regularised least squares from its statistics or from a QR factor.

Both factorisations work, by default, on the *standardised* problem: every active column scaled
to unit norm (``D = diag(C)^(-1/2)`` for the centred cross-product matrix ``C``), which makes
the Cholesky factor's accuracy depend on the conditioning of the columns' directions, not on
their units.
Columns whose spread is within rounding of zero (constant columns) are inactive: their
coefficient is zero, as in scikit-learn.

- :class:`GramFactor`: ``D (C + alpha I) D`` by Cholesky; where Cholesky fails, or ``alpha = 0``
  and the matrix is numerically singular (an eigenvalue at most ``GRAM_RCOND`` times the
  largest), by a symmetric eigendecomposition that gives the minimum-norm solution in
  standardised coordinates, the eigenvalues below the cut-off treated as zero.
- :func:`solve_r`: least squares on the ``R`` factor of a QR decomposition, by LAPACK's SVD-based
  ``lstsq`` on ``R D`` (stacked with ``sqrt(alpha) D`` for ridge), with the cut-off of
  ``numpy.linalg.lstsq`` on the full design (``eps * max(n, d)``).

Both report what the factorisation reveals: the rank, the singular values of the standardised
design and its condition number.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

EPS = float(np.finfo(np.float64).eps)
#: Eigenvalues of the standardised cross-product matrix at most this times the largest are
#: numerically zero: computing the matrix from the data rounds them at about ``d * eps`` of the
#: largest, so nothing below a safety factor above that is information.
GRAM_RCOND = 100 * EPS
#: A column whose standard deviation is at most this many units in the last place of its mean
#: is constant. The statistics are accumulated in coordinates shifted by a mean of the first
#: rows, so a constant column's computed spread is a few ulps of its mean at most (the shift's
#: own rounding); scikit-learn's ``n_samples * eps`` bound is meant for unshifted sums and would
#: call columns near ``2**62`` that vary by thousands of ulps constant.
CONSTANT_ULPS = 16.0


@functools.cache
def _cholesky() -> tuple[Callable, Callable]:
    """SciPy's Cholesky factor and solve, imported on first use rather than with the package."""
    from scipy.linalg import cho_factor, cho_solve

    return cho_factor, cho_solve


def inactive_columns(m2: np.ndarray, mean: np.ndarray, sum_w: float, centred: bool) -> np.ndarray:
    """Flag columns with no spread beyond rounding: constant columns.

    The spread is compared with the rounding of the mean (:data:`CONSTANT_ULPS` ulps), since
    the sums were accumulated in shifted coordinates.

    Parameters
    ----------
    m2 : ndarray of shape (d,)
        Centred sums of squares when ``centred``, raw sums of squares otherwise.
    mean : ndarray of shape (d,)
        Weighted column means.
    sum_w : float
    centred : bool
        Whether the model has an intercept (a constant column then carries no information).

    Returns
    -------
    ndarray of bool, shape (d,)
    """
    if not centred:
        return m2 <= 0.0
    var = m2 / sum_w
    return var <= (CONSTANT_ULPS * EPS * mean) ** 2


def _column_scale(diag: np.ndarray, inactive: np.ndarray, standardize: bool) -> np.ndarray:
    """``1 / sqrt(diag)`` (ones without ``standardize``) on the active columns, zero elsewhere."""
    scale = np.zeros(diag.shape[0])
    ok = ~inactive & (diag > 0.0)
    scale[ok] = 1.0 / np.sqrt(diag[ok]) if standardize else 1.0
    return scale


@dataclass(frozen=True)
class Spectrum:
    """What a factorisation reveals about the standardised design.

    Attributes
    ----------
    rank : int
        Numerical rank of the design (active columns only).
    singular : ndarray
        Singular values of the standardised design (columns of unit norm), descending; length
        ``min(n_samples, n_active)``, as scikit-learn's ``singular_``, padded with zeros for
        inactive columns up to ``min(n_samples, d)``.
    cond : float
        ``singular[0] / singular[rank - 1]`` of the active columns (``inf`` when rank-deficient).
    """

    rank: int
    singular: np.ndarray
    cond: float


def _spectrum(singular: np.ndarray, rank: int, length: int) -> Spectrum:
    s = np.zeros(length)
    m = min(length, singular.shape[0])
    s[:m] = np.sort(singular)[::-1][:m]
    n_active = singular.shape[0]
    if rank == 0:
        cond = np.inf if n_active else 1.0
    elif rank < n_active:
        cond = np.inf
    else:
        cond = float(s[0] / s[rank - 1])
    return Spectrum(rank, s, cond)


@dataclass(frozen=True)
class GramFactor:
    """A factorisation of ``D (C + alpha I) D`` over the active columns, and its solve.

    Build it with :meth:`from_matrix`.

    Attributes
    ----------
    scale : ndarray of shape (d,)
        ``D``: the inverse column norms (zero on inactive columns).
    active : ndarray of bool, shape (d,)
    cholesky : tuple or None
        SciPy's ``cho_factor`` of the active block, when it is used.
    eigen : tuple of ndarray or None
        ``(values, vectors)`` of the active block, for the minimum-norm solve, when Cholesky
        is not used.
    spectrum : Spectrum
    contraction : float
        Estimated factor by which one refinement step with this factor reduces the error
        (``d * eps`` times the condition number of the factored matrix, of its retained
        eigenvalues for the minimum-norm solve; at most 1). It is also the relative error
        estimate of the unrefined solve.
    """

    scale: np.ndarray
    active: np.ndarray
    cholesky: tuple | None
    eigen: tuple[np.ndarray, np.ndarray] | None
    spectrum: Spectrum
    contraction: float

    @classmethod
    def from_matrix(
        cls,
        C: np.ndarray,
        alpha: float,
        inactive: np.ndarray,
        n_samples: int,
        standardize: bool = True,
    ) -> GramFactor:
        """Factor ``C + alpha I`` (``C`` the centred or raw cross-product matrix).

        Parameters
        ----------
        C : ndarray of shape (d, d)
            Symmetric positive semi-definite.
        alpha : float
            Ridge penalty.
        inactive : ndarray of bool, shape (d,)
            Columns left out (zero coefficients).
        n_samples : int
            Rows behind ``C`` (``singular_`` has ``min(n_samples, d)`` entries).
        standardize : bool, default=True
            Scale the columns to unit norm. Without, the problem is factored in its own units
            and a minimum-norm solution is the Euclidean one (``np.linalg.lstsq``'s).

        Returns
        -------
        GramFactor
        """
        d = C.shape[0]
        diag = np.diagonal(C).copy()
        scale = _column_scale(diag, inactive, standardize)
        active = scale > 0.0
        idx = np.flatnonzero(active)
        m = idx.shape[0]
        length = min(n_samples, d)
        if m == 0:
            return cls(
                scale,
                active,
                None,
                (np.zeros(0), np.zeros((0, 0))),
                _spectrum(np.zeros(0), 0, length),
                0.0,
            )
        s = scale[idx]
        design = C[np.ix_(idx, idx)] * s[:, None] * s[None, :]
        values = np.linalg.eigvalsh(design)
        top = max(float(values[-1]), 0.0)
        rank = int(np.count_nonzero(values > GRAM_RCOND * top)) if top > 0 else 0
        spectrum = _spectrum(np.sqrt(np.clip(values, 0.0, None)), rank, length)
        # Bounds on the extreme eigenvalues of A; tiny columns make s * s overflow to inf.
        with np.errstate(over="ignore"):
            penalty = alpha * s * s if alpha > 0 else np.zeros(m)
        a_min = float(values[0] + np.min(penalty))
        a_max = float(top + np.max(penalty))
        cond_a = a_max / a_min if a_min > 0 and np.isfinite(a_max) else np.inf
        A = design + np.diag(penalty)
        contraction = min(1.0, m * EPS * cond_a)
        if alpha > 0 or rank == m:
            cho_factor, _ = _cholesky()
            try:
                factor = cho_factor(A, lower=False, check_finite=False)
            except np.linalg.LinAlgError:
                factor = None
            if factor is not None and np.all(np.diagonal(factor[0]) > 0):
                return cls(scale, active, factor, None, spectrum, contraction)
        w, V = np.linalg.eigh(A)
        kept = w[w > GRAM_RCOND * max(float(w[-1]), 0.0)]
        contraction = min(1.0, m * EPS * float(w[-1] / kept[0])) if kept.shape[0] else 0.0
        return cls(scale, active, None, (w, V), spectrum, contraction)

    @property
    def min_norm(self) -> bool:
        """Whether the solve is the minimum-norm one (the matrix was numerically singular)."""
        return self.eigen is not None

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Return ``x`` with ``(C + alpha I) x = rhs`` on the active columns, zero elsewhere.

        Parameters
        ----------
        rhs : ndarray of shape (d, k)

        Returns
        -------
        ndarray of shape (d, k)
        """
        out = np.zeros_like(rhs, dtype=np.float64)
        idx = np.flatnonzero(self.active)
        if idx.shape[0] == 0:
            return out
        s = self.scale[idx][:, None]
        z = rhs[idx] * s
        if self.cholesky is not None:
            _, cho_solve = _cholesky()
            sol = cho_solve(self.cholesky, z, check_finite=False)
        else:
            assert self.eigen is not None
            w, V = self.eigen
            keep = w > GRAM_RCOND * max(float(w[-1]), 0.0)
            inv = np.divide(1.0, w, out=np.zeros_like(w), where=keep)
            sol = V @ (inv[:, None] * (V.T @ z))
        out[idx] = sol * s
        return out


def solve_r(
    R: np.ndarray,
    rhs: np.ndarray,
    alpha: float,
    inactive: np.ndarray,
    n_samples: int,
    standardize: bool = True,
) -> tuple[np.ndarray, Spectrum]:
    """Least squares ``min ||R x - rhs||^2 + alpha ||x||^2`` for a QR factor ``R``.

    Parameters
    ----------
    R : ndarray of shape (d, d)
        Upper triangular: the factor of the (centred, root-weighted) design's columns.
    rhs : ndarray of shape (d, k)
        ``Q^T y`` of the same decomposition.
    alpha : float
    inactive : ndarray of bool, shape (d,)
        Columns left out (zero coefficients).
    n_samples : int
        Rows of the design (sets the rank cut-off ``eps * max(n_samples, d)``).
    standardize : bool, default=True
        Scale the columns to unit norm (see :meth:`GramFactor.from_matrix`).

    Returns
    -------
    x : ndarray of shape (d, k)
    spectrum : Spectrum
        Of the standardised design (``alpha`` does not enter it).
    """
    d, k = rhs.shape
    norms = np.sqrt(np.einsum("ij,ij->j", R, R))
    scale = _column_scale(norms**2, inactive, standardize)
    idx = np.flatnonzero(scale > 0.0)
    out = np.zeros((d, k))
    length = min(n_samples, d)
    if idx.shape[0] == 0:
        return out, _spectrum(np.zeros(0), 0, length)
    s = scale[idx]
    A = R[:, idx] * s
    singular = np.linalg.svd(A, compute_uv=False)
    rcond = EPS * max(n_samples, d)
    rank = int(np.count_nonzero(singular > rcond * singular[0])) if singular[0] > 0 else 0
    b = rhs
    if alpha > 0:
        A = np.vstack([A, np.diag(np.sqrt(alpha) * s)])
        b = np.vstack([rhs, np.zeros((idx.shape[0], k))])
        sol = np.linalg.lstsq(A, b, rcond=None)[0]
    else:
        sol = np.linalg.lstsq(A, b, rcond=rcond)[0]
    out[idx] = sol * s[:, None]
    return out, _spectrum(singular, rank, length)

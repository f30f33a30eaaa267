"""What the fit driver takes and what every solver path returns.

:class:`FitParams` is the estimator's parameters as the solvers use them; :class:`FitOutcome`
is a fitted model in float64 with what the fit found out. Both the driver
(:mod:`fastlinreg._driver`) and the paths it delegates to (:mod:`fastlinreg._dual`) build on
them, so they live below both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._factor import Spectrum
from ._stats import SufficientStats
from ._tsqr import QRFactor

__all__ = ["FitOutcome", "FitParams"]


@dataclass(frozen=True)
class FitParams:
    """The estimator's parameters, as the driver uses them.

    Attributes
    ----------
    fit_intercept : bool
    alpha : float
    solver : str
        One of :data:`~fastlinreg._params.SOLVERS`.
    learning_rate : "auto" or float
        For ``"gd"``.
    max_iter : int
        For the iterative solvers.
    tol : float
        Target relative error of the coefficients.
    accelerate : bool
        Nesterov momentum for ``"gd"``.
    standardize : bool
        Diagonal preconditioning for the iterative solvers; column scaling (and so the norm a
        minimum-norm solution minimises) for the direct ones.
    verbose : int
    """

    fit_intercept: bool = True
    alpha: float = 0.0
    solver: str = "auto"
    learning_rate: str | float = "auto"
    max_iter: int = 1000
    tol: float = 1e-10
    accelerate: bool = True
    standardize: bool = True
    verbose: int = 0


@dataclass
class FitOutcome:
    """A fitted model in float64 and what the fit found out.

    Attributes
    ----------
    coef : ndarray of shape (k, d)
    intercept : ndarray of shape (k,)
    solver : str
        The solver(s) that produced it, e.g. ``"gram"``, ``"gram+qr"``, ``"cg+gram"``.
    n_iter : int
        Iterations of the iterative solver (refinement passes for the direct ones).
    n_passes : int
        Passes over the data, of every kind.
    loss_curve : list of float
        The objective at each evaluated point.
    converged : bool
        Whether the estimated relative error is within ``tol`` (or at rounding level).
    error : float
        The estimated relative error of the coefficients (standardised units).
    spectrum : Spectrum or None
        Rank, singular values and condition number, from a factorisation.
    stats : SufficientStats or None
        Kept after a Gram fit (for ``partial_fit``).
    qr : QRFactor or None
        Kept after a QR fit (for ``partial_fit``).
    """

    coef: np.ndarray
    intercept: np.ndarray
    solver: str
    n_iter: int
    n_passes: int
    loss_curve: list[float]
    converged: bool
    error: float
    spectrum: Spectrum | None = None
    stats: SufficientStats | None = None
    qr: QRFactor | None = None

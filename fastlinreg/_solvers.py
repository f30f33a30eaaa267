"""Iteration loops: objectives in preconditioned coordinates, step size, momentum, stopping.

A solver never validates input: the estimator hands it arrays it has already checked.

Coordinates. The solvers work on ``theta = (c, b)`` with ``c`` of shape (k, d) and ``b`` of shape
(k,), related to the model in original units by ``coef = c * inv_scale`` and
``intercept = b - coef @ mean``. With ``mean`` the column means and ``inv_scale`` the inverse
column scales this is diagonal preconditioning (standardisation) without touching ``X``: the kernel
runs on raw ``X`` with ``coef`` and ``intercept``, and the gradient is mapped back the same way. A
zero in ``inv_scale`` freezes that coordinate (constant columns).

The objective, per target and summed over targets, is::

    F = (sum_i w_i r_i**2 + alpha * ||coef||**2) / (2 * sum_i w_i)

whose minimiser is scikit-learn's ``Ridge(alpha)`` (``LinearRegression`` when ``alpha == 0``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from . import _fused, _kernels
from ._runtime import launch
from ._stats import SufficientStats

#: Relative precision of the power-iteration estimate of the largest eigenvalue.
_POWER_RTOL = 1e-2
_POWER_MAX_ITER = 50
#: Power iteration converges from below; this margin keeps 1/L a safe step.
_POWER_SAFETY = 1.05
#: A loss this many times its starting value means the explicit step size diverged.
_DIVERGENCE_FACTOR = 1e4
#: In "auto" mode, a loss above the starting one by this fraction means 1/L was too long a step.
_BACKTRACK_RTOL = 1e-6
#: Gradient norms below this multiple of the rounding level count as zero.
_ROUNDING_FLOOR = 1e3 * np.finfo(np.float64).eps
#: In "auto" mode, how often the step may be shrunk before giving up.
_MAX_STEP_REDUCTIONS = 8


class DivergenceError(FloatingPointError):
    """Raised when gradient descent produces a non-finite or exploding loss."""


class Objective(Protocol):
    """What a solver needs from a problem: values, gradients and Hessian-vector products."""

    def value_and_grad(self, c: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Return the objective and its gradient with respect to ``c`` and ``b``."""
        ...

    def hessian_vector(self, c: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the Hessian of the objective applied to ``(c, b)``."""
        ...


@dataclass
class Reparametrization:
    """The map between solver coordinates ``(c, b)`` and the model in original units.

    Parameters
    ----------
    mean : ndarray of shape (d,)
        Column centres folded into the intercept (zeros when not centring).
    inv_scale : ndarray of shape (d,)
        Inverse column scales (ones when not scaling, zero for frozen columns).
    fit_intercept : bool
        Whether ``b`` is a free parameter; when False it stays zero.
    """

    mean: np.ndarray
    inv_scale: np.ndarray
    fit_intercept: bool

    def to_model(self, c: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(coef, intercept)`` in original units for solver coordinates ``(c, b)``."""
        coef = c * self.inv_scale
        return coef, b - coef @ self.mean

    def from_model(self, coef: np.ndarray, intercept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return solver coordinates for a model in original units (used by warm starts)."""
        scale = np.divide(
            1.0, self.inv_scale, out=np.zeros_like(self.inv_scale), where=self.inv_scale != 0
        )
        c = coef * scale
        b = intercept + (c * self.inv_scale) @ self.mean
        return c, b if self.fit_intercept else np.zeros_like(b)

    def grad_to_solver(
        self, g_coef: np.ndarray, g_intercept: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Map gradients with respect to ``(coef, intercept)`` to gradients in ``(c, b)``."""
        g_c = (g_coef - np.outer(g_intercept, self.mean)) * self.inv_scale
        g_b = g_intercept if self.fit_intercept else np.zeros_like(g_intercept)
        return g_c, g_b


def _from_pass_sums(sums, coef, sum_weight, alpha, reparam):
    """Objective and solver-coordinate gradient from the unnormalised sums of one fused pass."""
    g, gb, loss = sums
    inv_w = 1.0 / sum_weight
    g_coef = g * inv_w + (alpha * inv_w) * coef
    g_c, g_b = reparam.grad_to_solver(g_coef, gb * inv_w)
    value = 0.5 * inv_w * (float(loss.sum()) + alpha * float(np.vdot(coef, coef)))
    return value, g_c, g_b


def fused_pass_sums(
    X: np.ndarray,
    Y: np.ndarray,
    sample_weight: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    with_y: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the fused pass over one array (or block): unnormalised gradient, intercept and loss sums.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    Y : ndarray of shape (n, k), float32 or float64
    sample_weight : ndarray of shape (n,) or (0,), float64
    coef : ndarray of shape (k, d), float64
    intercept : ndarray of shape (k,), float64
    with_y : bool
        False takes ``Y`` as zero (the Hessian-vector product).

    Returns
    -------
    tuple of ndarray
        ``sum_i w_i r_i x_i`` (k, d), ``sum_i w_i r_i`` (k,) and ``sum_i w_i r_i**2`` (k,).
    """
    targets = Y if with_y else np.empty((0, coef.shape[0]), dtype=Y.dtype)
    return launch(
        _fused.fused_pass_for(X), X, targets, coef, intercept, sample_weight, _kernels.N_CHUNKS
    )


#: ``pass_sums(coef, intercept, with_y)``: the sums of one fused pass over data held elsewhere.
PassSums = Callable[[np.ndarray, np.ndarray, bool], tuple[np.ndarray, np.ndarray, np.ndarray]]


class _QuadraticObjective:
    """Shared ``Objective`` methods for a least-squares objective evaluated with or without y."""

    def _evaluate(self, c: np.ndarray, b: np.ndarray, with_y: bool):
        raise NotImplementedError

    def value_and_grad(self, c, b):
        """Return the objective and its gradient at ``(c, b)``."""
        return self._evaluate(c, b, True)

    def hessian_vector(self, c, b):
        """Return ``H @ (c, b)``: the gradient of the same objective with ``y = 0``."""
        _, g_c, g_b = self._evaluate(c, b, False)
        return g_c, g_b


@dataclass
class SummedObjective(_QuadraticObjective):
    """Least squares whose fused-pass sums come from a callable: one call, one pass over the data.

    This is :class:`StreamingObjective` for data that is not one array: the chunks of a file read
    in turn, or the partitions of a Dask collection reduced on a cluster.

    Parameters
    ----------
    pass_sums : callable
        ``pass_sums(coef, intercept, with_y)`` with ``coef`` of shape (k, d) and ``intercept`` of
        shape (k,) in original units returns ``(grad, grad_intercept, loss)``: the sums
        ``sum_i w_i r_i x_i``, ``sum_i w_i r_i`` and ``sum_i w_i r_i**2`` over all rows, with
        ``r = X @ coef.T + intercept - Y`` (``Y`` taken as zero when ``with_y`` is false), as
        :func:`fused_pass_sums` returns them for one array.
    sum_weight : float
    alpha : float
    reparam : Reparametrization
    """

    pass_sums: PassSums
    sum_weight: float
    alpha: float
    reparam: Reparametrization
    n_passes: int = field(default=0, init=False)

    def _evaluate(self, c: np.ndarray, b: np.ndarray, with_y: bool):
        coef, intercept = self.reparam.to_model(c, b)
        sums = self.pass_sums(coef, intercept, with_y)
        self.n_passes += 1
        return _from_pass_sums(sums, coef, self.sum_weight, self.alpha, self.reparam)


@dataclass
class GramObjective(_QuadraticObjective):
    """Least squares evaluated from sufficient statistics: O(k d^2) per call, independent of n.

    With an intercept the problem is solved in centred coordinates (``reparam.mean`` must be
    ``stats.mean_x``), where the intercept decouples and its optimum is the mean of ``y``.

    Parameters
    ----------
    stats : SufficientStats
    alpha : float
    reparam : Reparametrization
    """

    stats: SufficientStats
    alpha: float
    reparam: Reparametrization

    def __post_init__(self) -> None:
        centred = self.reparam.fit_intercept
        s = self.stats
        self._xx = s.cxx if centred else s.xtx
        self._xy = (s.cxy if centred else s.xty).T
        self._yy = float(np.sum(s.cyy if centred else s.yty))
        self._ybar = s.mean_y if centred else np.zeros_like(s.mean_y)

    def _evaluate(self, c: np.ndarray, b: np.ndarray, with_y: bool):
        inv_w = 1.0 / self.stats.sum_w
        coef = c * self.reparam.inv_scale
        xx_coef = coef @ self._xx
        g_coef = xx_coef * inv_w + (self.alpha * inv_w) * coef
        quad = float(np.vdot(coef, xx_coef)) + self.alpha * float(np.vdot(coef, coef))
        if with_y:
            g_coef = g_coef - self._xy * inv_w
            db = b - self._ybar
            quad += self._yy - 2.0 * float(np.vdot(coef, self._xy))
        else:
            db = b
        g_b = db if self.reparam.fit_intercept else np.zeros_like(b)
        value = 0.5 * inv_w * quad + 0.5 * float(np.vdot(g_b, g_b))
        return value, g_coef * self.reparam.inv_scale, g_b


@dataclass
class SolverResult:
    """What an iteration loop returns.

    Attributes
    ----------
    c, b : ndarray
        Final solver coordinates.
    n_iter : int
        Gradient evaluations made by the descent loop.
    loss_curve : list of float
        Objective at each evaluated point.
    converged : bool
        Whether the stopping test was met.
    lipschitz : float
        The step-size constant L that was used (the step is 1/L unless given).
    """

    c: np.ndarray
    b: np.ndarray
    n_iter: int
    loss_curve: list[float]
    converged: bool
    lipschitz: float


def largest_eigenvalue(
    objective: Objective, k_shape: tuple[int, int], fit_intercept: bool, seed: int = 0
) -> float:
    """Estimate the largest eigenvalue of the objective's Hessian by power iteration.

    Each step is one Hessian-vector product (one fused pass for a streaming objective). The start
    vector is fixed by ``seed`` so that fits are reproducible.

    Parameters
    ----------
    objective : Objective
    k_shape : tuple of int
        ``(1, d)``: the shape of one coefficient block.
    fit_intercept : bool
        Whether the intercept direction takes part.
    seed : int

    Returns
    -------
    float
        An estimate from below, accurate to about ``_POWER_RTOL``.
    """
    rng = np.random.default_rng(seed)
    c = rng.standard_normal(k_shape)
    b = rng.standard_normal(k_shape[0]) if fit_intercept else np.zeros(k_shape[0])
    estimate = 0.0
    for _ in range(_POWER_MAX_ITER):
        norm = math.sqrt(float(np.vdot(c, c) + np.vdot(b, b)))
        if norm == 0.0 or not math.isfinite(norm):
            break
        c, b = c / norm, b / norm
        c, b = objective.hessian_vector(c, b)
        new = math.sqrt(float(np.vdot(c, c) + np.vdot(b, b)))
        if not math.isfinite(new):
            break
        if abs(new - estimate) <= _POWER_RTOL * new:
            return new
        estimate = new
    return estimate


def _norm(a: np.ndarray) -> float:
    return math.sqrt(float(np.vdot(a, a)))


def gradient_descent(
    objective: Objective,
    c0: np.ndarray,
    b0: np.ndarray,
    *,
    step: float | None,
    accelerate: bool,
    max_iter: int,
    tol: float,
    y_scale: float = 0.0,
    fit_intercept: bool = True,
    verbose: int = 0,
) -> tuple[SolverResult, float]:
    """Minimise a smooth convex quadratic by (accelerated) gradient descent.

    Parameters
    ----------
    objective : Objective
    c0, b0 : ndarray
        Starting point in solver coordinates.
    step : float or None
        Fixed step size; None means 1/L with L from power iteration, with automatic backtracking
        if the estimate proves too small.
    accelerate : bool
        Nesterov momentum with gradient-based adaptive restart (O'Donoghue & Candès, 2015).
    max_iter : int
        Maximum number of gradient evaluations.
    tol : float
        Stop when the estimated relative error of ``theta = (c, b)`` is at most ``tol``, or
        when the gradient is at the level of rounding error. The error is estimated as
        ``||g|| / mu / ||theta||``, with ``mu`` the smallest Rayleigh quotient of the Hessian
        seen along the differences of evaluated points (``(dtheta . dg) / ||dtheta||^2``: an
        upper estimate of the smallest eigenvalue, which the slow directions that dominate
        the remaining error approach). ``tol == 0`` runs exactly ``max_iter`` iterations.
    y_scale : float
        Standard deviation of the targets: rounding in a computed residual is relative to it,
        so gradients below ``sqrt(L) * y_scale`` times a few hundred ulps count as zero.
    fit_intercept : bool
        Whether the intercept direction takes part in power iteration.
    verbose : int
        Print progress every ``verbose`` iterations when positive.

    Returns
    -------
    result : SolverResult
    error : float
        The estimated relative error of the returned point (``inf`` when not estimated).

    Raises
    ------
    DivergenceError
        If the loss becomes non-finite or explodes.
    """
    auto_step = step is None
    if step is None:
        lipschitz = _POWER_SAFETY * largest_eigenvalue(objective, (1, c0.shape[1]), fit_intercept)
        if lipschitz == 0.0:
            lipschitz = 1.0  # every direction is frozen: any step leaves the model unchanged
        if not math.isfinite(lipschitz):
            raise DivergenceError(
                "non-finite curvature estimate: X contains NaN/inf or values too large"
            )
    else:
        lipschitz = 1.0 / step
    step = 1.0 / lipschitz

    curve: list[float] = []
    x_c, x_b = c0, b0
    y_c, y_b = c0, b0
    t = 1.0
    best = (math.inf, c0, b0)
    f_ref = math.nan
    reductions = 0
    converged = False
    mu = math.inf
    error = math.inf
    previous: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    for it in range(max_iter):
        f, g_c, g_b = objective.value_and_grad(y_c, y_b)
        curve.append(f)
        if it == 0:
            f_ref = f
        if previous is not None:
            dc, db = y_c - previous[0], y_b - previous[1]
            step_sq = float(np.vdot(dc, dc) + np.vdot(db, db))
            if step_sq > 0.0:
                rayleigh = float(np.vdot(dc, g_c - previous[2]) + np.vdot(db, g_b - previous[3]))
                if rayleigh > 0.0:
                    mu = min(mu, rayleigh / step_sq)
        previous = (y_c, y_b, g_c, g_b)
        # abs: a loss computed from sufficient statistics at an exact fit rounds to about
        # -1e-16, and a negative reference must not make the start itself look diverged.
        exploded = not math.isfinite(f) or f > _DIVERGENCE_FACTOR * abs(f_ref) + 1e-300
        if auto_step and math.isfinite(f) and f > f_ref + _BACKTRACK_RTOL * abs(f_ref) + 1e-300:
            exploded = True
        if exploded:
            if it == 0:
                raise DivergenceError(
                    "non-finite loss at the starting point: the input contains NaN or infinity, "
                    "or values too large for float64 arithmetic"
                )
            if not auto_step or reductions >= _MAX_STEP_REDUCTIONS:
                raise DivergenceError(
                    f"gradient descent diverged at iteration {it} (loss {f:.3g}, started at "
                    f"{f_ref:.3g}) with learning_rate={step:.3g}; use a smaller learning_rate "
                    'or learning_rate="auto"'
                )
            reductions += 1
            lipschitz *= 4.0
            step = 1.0 / lipschitz
            _, x_c, x_b = best
            y_c, y_b, t = x_c, x_b, 1.0
            continue
        if f < best[0]:
            best = (f, y_c, y_b)
        if verbose and it % verbose == 0:
            print(f"iter {it:6d}  objective {f:.10e}  |grad| {_norm(g_c):.3e}")
        # Residuals round at the scale of the centred targets: below this floor the gradient
        # is rounding noise.
        floor = _ROUNDING_FLOOR * math.sqrt(lipschitz) * y_scale
        g_norm = math.sqrt(_norm(g_c) ** 2 + _norm(g_b) ** 2)
        theta_norm = math.sqrt(_norm(y_c) ** 2 + _norm(y_b) ** 2)
        if g_norm == 0.0:
            error = 0.0
        elif math.isfinite(mu):
            error = g_norm / mu / max(theta_norm, np.finfo(np.float64).tiny)
        if tol > 0 and (error <= tol or g_norm <= floor):
            converged = True
            x_c, x_b = y_c, y_b
            break
        new_c = y_c - step * g_c
        new_b = y_b - step * g_b
        if accelerate:
            if np.vdot(g_c, new_c - x_c) + np.vdot(g_b, new_b - x_b) > 0:
                t = 1.0
            t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_next
            y_c = new_c + beta * (new_c - x_c)
            y_b = new_b + beta * (new_b - x_b)
            t = t_next
        else:
            y_c, y_b = new_c, new_b
        x_c, x_b = new_c, new_b
    result = SolverResult(
        c=x_c,
        b=x_b,
        n_iter=len(curve),
        loss_curve=curve,
        converged=converged,
        lipschitz=lipschitz,
    )
    return result, error

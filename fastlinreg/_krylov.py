"""Conjugate gradient on the normal equations, one Hessian-vector pass over ``X`` per iteration.

The objective's coordinates are already diagonally preconditioned (standardised columns folded
into the coefficients, see :mod:`fastlinreg._solvers`), so this is preconditioned CG on
``H theta = -grad F(0)``: each iteration makes one fused pass with ``y = 0`` (``H p``), and the
residual, the iterate and the objective are updated by the recurrences.

Stopping bounds the error, not only the gradient. CG's coefficients define the Lanczos
tridiagonal matrix of ``H``; its smallest eigenvalue (a Ritz value) estimates ``lambda_min(H)``
from above, and ``||theta - theta*|| <= ||r|| / lambda_min``. The fit stops when that estimate,
relative to ``||theta||``, is within ``tol``, or when the residual is at the level of rounding in
the pass. Before it reports convergence it recomputes the residual with one pass over the data,
so that drift of the recurrence cannot certify a wrong answer.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from ._solvers import (
    _ROUNDING_FLOOR,
    DivergenceError,
    Objective,
    SolverResult,
)


@functools.cache
def _tridiagonal_min() -> Callable[[np.ndarray, np.ndarray], float]:
    """Return a function giving the smallest eigenvalue of a symmetric tridiagonal matrix.

    SciPy is imported on first use rather than with the package.
    """
    from scipy.linalg import eigvalsh_tridiagonal

    def smallest(diag: np.ndarray, off: np.ndarray) -> float:
        if diag.shape[0] == 1:
            return float(diag[0])
        return float(
            eigvalsh_tridiagonal(diag, off, select="i", select_range=(0, 0), check_finite=False)[0]
        )

    return smallest


def _dot(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    return float(np.vdot(a[0], b[0]) + np.vdot(a[1], b[1]))


def conjugate_gradient(
    objective: Objective,
    c0: np.ndarray,
    b0: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    y_scale: float,
    verbose: int = 0,
) -> tuple[SolverResult, float, int]:
    """Minimise the quadratic objective by conjugate gradient.

    Parameters
    ----------
    objective : Objective
    c0, b0 : ndarray
        Starting point in solver coordinates.
    max_iter : int
        Maximum number of Hessian-vector passes.
    tol : float
        Stop when the estimated relative error of ``theta = (c, b)`` is at most ``tol``;
        ``tol == 0`` runs ``max_iter`` iterations (or until the residual vanishes).
    y_scale : float
        Standard deviation of the targets: residuals round at this scale, so a gradient below
        ``sqrt(lambda_max) * y_scale`` times a few hundred ulps is rounding noise.
    verbose : int
        Print progress every ``verbose`` iterations when positive.

    Returns
    -------
    result : SolverResult
        ``n_iter`` counts the Hessian-vector iterations.
    error : float
        The estimated relative error of the returned point.
    passes : int
        Passes over the data, the first gradient and the final check included.

    Raises
    ------
    DivergenceError
        If the objective is not finite at the start (NaN/inf or overflow in the data).
    """
    smallest = _tridiagonal_min()
    x = (c0.copy(), b0.copy())
    f, g_c, g_b = objective.value_and_grad(*x)
    passes = 1
    if not math.isfinite(f):
        raise DivergenceError(
            "non-finite loss at the starting point: the input contains NaN or infinity, "
            "or values too large for float64 arithmetic"
        )
    r = (-g_c, -g_b)
    p = (r[0].copy(), r[1].copy())
    rr = _dot(r, r)
    curve = [f]
    diag: list[float] = []
    off: list[float] = []
    alpha_prev, beta_prev = math.nan, 0.0
    lam_min, lam_max = math.inf, 0.0
    error = math.inf
    converged = False
    checked = False
    it = 0
    while True:
        norm_x = math.sqrt(_dot(x, x))
        floor = _ROUNDING_FLOOR * math.sqrt(max(lam_max, 0.0)) * y_scale
        if rr == 0.0:
            error = 0.0
        elif math.isfinite(lam_min) and lam_min > 0.0:
            error = math.sqrt(rr) / lam_min / max(norm_x, np.finfo(np.float64).tiny)
        stop = rr == 0.0 or (tol > 0 and (error <= tol or math.sqrt(rr) <= floor))
        if stop and not checked:
            # Recompute the residual from the data: the recurrence may have drifted.
            f, g_c, g_b = objective.value_and_grad(*x)
            passes += 1
            r = (-g_c, -g_b)
            rr_true = _dot(r, r)
            checked = True
            if rr_true <= 4.0 * rr or math.sqrt(rr_true) <= floor:
                rr = rr_true
                converged = True
                curve[-1] = f
                break
            rr = rr_true  # drifted: continue from the true residual, restarting the directions
            p = (r[0].copy(), r[1].copy())
            beta_prev, alpha_prev = 0.0, math.nan
            diag.clear()
            off.clear()
            continue
        if stop:
            converged = True
            break
        if it >= max_iter:
            break
        hp = objective.hessian_vector(*p)
        passes += 1
        it += 1
        curvature = _dot(p, hp)
        if not math.isfinite(curvature):
            raise DivergenceError("non-finite curvature: X contains NaN/inf or values too large")
        if curvature <= 0.0:
            break  # no curvature left along p: every remaining direction is frozen
        alpha = rr / curvature
        x = (x[0] + alpha * p[0], x[1] + alpha * p[1])
        r = (r[0] - alpha * hp[0], r[1] - alpha * hp[1])
        f -= 0.5 * alpha * rr
        curve.append(f)
        rr_new = _dot(r, r)
        beta = rr_new / rr
        # Lanczos tridiagonal of H from the CG coefficients.
        diag.append(1.0 / alpha + (beta_prev / alpha_prev if math.isfinite(alpha_prev) else 0.0))
        if len(diag) > 1:
            off.append(math.sqrt(beta_prev) / alpha_prev)
        # Ritz values bound lambda_min from above, so the smallest seen is the best estimate.
        lam_min = min(lam_min, smallest(np.array(diag), np.array(off)))
        lam_max = max(lam_max, curvature / _dot(p, p))
        alpha_prev, beta_prev = alpha, beta
        rr = rr_new
        checked = False
        p = (r[0] + beta * p[0], r[1] + beta * p[1])
        if verbose and it % verbose == 0:
            print(f"iter {it:6d}  objective {f:.10e}  |grad| {math.sqrt(rr):.3e}  err {error:.2e}")
    result = SolverResult(
        c=x[0],
        b=x[1],
        n_iter=it,
        loss_curve=curve,
        converged=converged,
        lipschitz=lam_max,
    )
    return result, error, passes

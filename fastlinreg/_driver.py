"""The one fit driver: every data source, the same solver choice, fallbacks and refinement.

Arrays in memory, memory maps, chunk iterables and files, and Dask collections all arrive here as
a :class:`~fastlinreg._chunked.ChunkedData` (a few one-pass reductions over row blocks), with the
estimator's parameters as :class:`FitParams`. The driver never validates input and never
touches an estimator: it returns a :class:`FitOutcome` in float64 for the estimator to adopt.

Solvers:

- ``"gram"``: one pass for the exact centred statistics, a direct solve of the standardised
  normal equations (:class:`~fastlinreg._factor.GramFactor`: scaled Cholesky, eigendecomposition
  when numerically singular), then mixed-precision iterative refinement: each further pass
  computes the exact residual gradient in shifted coordinates
  (:func:`~fastlinreg._kernels.shifted_residual_sums`) and the same factor turns it into a
  correction, until the correction is at rounding level (at most ``MAX_REFINEMENTS`` passes).
  Data that cannot be read again (``partial_fit``) gets the factor alone.
- ``"qr"``: one pass of tall-skinny QR (:mod:`fastlinreg._tsqr`), solved by
  :func:`~fastlinreg._factor.solve_r`; for data whose normal equations cannot deliver.
- ``"cg"``: conjugate gradient on the fused pass (:mod:`fastlinreg._krylov`), one pass per
  iteration, stopping on an estimate of the error.
- ``"gd"``: gradient descent on the fused pass, Nesterov-accelerated or plain (the tutorial).
- ``"auto"``: for an in-memory ``X`` with fewer rows than features (up to
  ``_dual.DUAL_MAX_ROWS``), the ``n x n`` dual system (:mod:`fastlinreg._dual`, ``"dual"``);
  else ``"gram"`` or ``"cg"`` by the cost model (:mod:`fastlinreg._cost`, or the source's own
  ``solver_costs()``: sparse X). Conjugate
  gradient gets as many iterations as the Gram fit costs in passes, then the Gram fit takes
  over (up to ``GRAM_MAX_FEATURES``). The Gram fit moves on to QR (one more pass) when its
  factor says that the normal equations cannot reach the answer: the standardised matrix is
  numerically singular, refinement would not contract, or it stalled short of ``tol``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _dual
from ._chunked import ChunkedData
from ._cost import GRAM_MAX_FEATURES, choose_solver, gram_cost_in_passes
from ._factor import EPS, GramFactor, Spectrum, inactive_columns, solve_r
from ._krylov import conjugate_gradient
from ._outcome import FitOutcome, FitParams
from ._solvers import Reparametrization, SolverResult, SummedObjective, gradient_descent
from ._stats import ColumnMoments, SufficientStats
from ._tsqr import QRFactor
from ._validation import check_rows_and_weights

#: Most refinement passes after a Gram solve.
MAX_REFINEMENTS = 4
#: Refinement stops once the estimated remaining relative error is this many ulps.
_REFINED_ULPS = 4.0
#: A Gram factor whose refinement step would shrink the error by less than this is not used by
#: ``"auto"`` (it moves to QR).
_MAX_CONTRACTION = 0.25


def _objective(ss: np.ndarray, coef: np.ndarray, alpha: float, sum_w: float) -> float:
    return 0.5 * (float(np.sum(ss)) + alpha * float(np.vdot(coef, coef))) / sum_w


def _gram_rhs(stats: SufficientStats, fit_intercept: bool) -> np.ndarray:
    return stats.cxy if fit_intercept else stats.xty


def _gram_factor(stats: SufficientStats, params: FitParams) -> GramFactor:
    C = stats.cxx if params.fit_intercept else stats.xtx
    inactive = inactive_columns(
        np.diagonal(C).copy(), stats.mean_x, stats.sum_w, params.fit_intercept
    )
    return GramFactor.from_matrix(C, params.alpha, inactive, stats.n_samples, params.standardize)


def _scaled_norm(v: np.ndarray, factor: GramFactor) -> float:
    """Norm of coefficients ``v`` (d, k) in standardised units."""
    scale = np.divide(1.0, factor.scale, out=np.zeros_like(factor.scale), where=factor.active)
    return float(np.linalg.norm(v * scale[:, None]))


def solve_statistics(
    stats: SufficientStats, params: FitParams, factor: GramFactor | None = None
) -> FitOutcome:
    """Solve from accumulated statistics alone: the factor without refinement.

    Parameters
    ----------
    stats : SufficientStats
    params : FitParams
    factor : GramFactor, optional
        The factor of these statistics, when already made.

    Returns
    -------
    FitOutcome
        ``error`` is the factor's own estimate (``d * eps`` times the condition number of the
        factored matrix); ``converged`` says whether it is within ``tol``.
    """
    if factor is None:
        factor = _gram_factor(stats, params)
    beta = factor.solve(_gram_rhs(stats, params.fit_intercept))
    intercept = _intercept(stats, beta, params.fit_intercept)
    error = factor.contraction
    return FitOutcome(
        coef=beta.T.copy(),
        intercept=intercept,
        solver="gram",
        n_iter=0,
        n_passes=0,
        loss_curve=[],
        converged=error <= max(params.tol, _REFINED_ULPS * EPS),
        error=max(error, _sensitivity(factor.spectrum)),
        spectrum=factor.spectrum,
        stats=stats,
    )


def _sensitivity(spectrum: Spectrum) -> float:
    """``eps`` times the condition number: the error any backward-stable solve can leave."""
    cond = spectrum.cond if math.isfinite(spectrum.cond) else 1.0
    return min(1.0, EPS * cond)


def _intercept(stats: SufficientStats, beta: np.ndarray, fit_intercept: bool) -> np.ndarray:
    if not fit_intercept:
        return np.zeros(beta.shape[1])
    return stats.mean_y - stats.mean_x @ beta


def _refine(
    data: ChunkedData, stats: SufficientStats, factor: GramFactor, params: FitParams
) -> FitOutcome:
    """Gram solve plus iterative refinement with passes over the data."""
    beta = factor.solve(_gram_rhs(stats, params.fit_intercept))
    d, k = beta.shape
    centred = params.fit_intercept
    shift_x = stats.mean_x if centred else np.zeros(d)
    shift_y = stats.mean_y if centred else np.zeros(k)
    offset = np.zeros(k)
    curve: list[float] = []
    previous = math.inf
    error = factor.contraction
    passes = 0
    while passes < MAX_REFINEMENTS:
        G, Gb, L = data.refine_sums(shift_x, shift_y, beta.T.copy(), offset)
        passes += 1
        curve.append(_objective(L, beta, params.alpha, stats.sum_w))
        delta = factor.solve(G.T - params.alpha * beta)
        beta = beta + delta
        if centred:
            offset = offset + Gb / stats.sum_w
        size = _scaled_norm(delta, factor) / max(_scaled_norm(beta, factor), 1e-300)
        # The error left after a correction is about the factor's contraction times its size.
        error = min(1.0, factor.contraction) * size
        if size > 0.5 * previous:
            break  # stalled: rounding in the residuals is all that is left
        if error <= _REFINED_ULPS * EPS or size == 0.0:
            break
        previous = size
    intercept = shift_y + offset - shift_x @ beta if centred else np.zeros(k)
    converged = error <= max(params.tol, _REFINED_ULPS * EPS)
    return FitOutcome(
        coef=beta.T.copy(),
        intercept=intercept,
        solver="gram",
        n_iter=passes,
        n_passes=passes,
        loss_curve=curve,
        converged=bool(converged),
        error=max(error, _sensitivity(factor.spectrum)),
        spectrum=factor.spectrum,
        stats=stats,
    )


def solve_qr(qr: QRFactor, params: FitParams) -> FitOutcome:
    """Solve from a QR factor.

    Parameters
    ----------
    qr : QRFactor
    params : FitParams

    Returns
    -------
    FitOutcome
        ``error`` is ``eps`` times the condition number of the standardised design (QR is
        backward stable).
    """
    R = qr.xx
    m2 = np.einsum("ij,ij->j", R, R)
    sum_w = qr.sum_w if qr.fit_intercept else 1.0
    mean = qr.mean_x if qr.fit_intercept else np.zeros(qr.n_features)
    inactive = inactive_columns(m2, mean, sum_w, qr.fit_intercept)
    coef, spectrum = solve_r(R, qr.xy, params.alpha, inactive, qr.n_samples, params.standardize)
    intercept = qr.intercept_for(coef)
    rss = qr.residual_ss() if params.alpha == 0 else None
    curve = [] if rss is None or not qr.fit_intercept else [_objective(rss, coef, 0.0, sum_w)]
    return FitOutcome(
        coef=coef.T.copy(),
        intercept=intercept,
        solver="qr",
        n_iter=0,
        n_passes=0,
        loss_curve=curve,
        converged=True,
        error=_sensitivity(spectrum),
        spectrum=spectrum,
        qr=qr,
    )


def reparametrization(
    moments: ColumnMoments, d: int, params: FitParams
) -> tuple[Reparametrization, np.ndarray, float]:
    """Diagonal preconditioning from column moments of ``[X, Y]``, as a change of coordinates.

    Returns
    -------
    reparam : Reparametrization
    mean_y : ndarray of shape (k,)
    y_scale : float
        Standard deviation of the targets (root mean square without an intercept): the scale at
        which residuals round.
    """
    fit_intercept = params.fit_intercept
    mean, m2, sumsq = moments.mean[:d], moments.m2[:d], moments.sumsq[:d]
    sum_w = moments.sum_w
    mean_y = moments.mean[d:]
    y_ss = moments.m2[d:] if fit_intercept else moments.sumsq[d:]
    y_scale = float(np.sqrt(np.sum(y_ss) / sum_w))
    if not params.standardize:
        return Reparametrization(np.zeros(d), np.ones(d), fit_intercept), mean_y, y_scale
    if fit_intercept:
        frozen = inactive_columns(m2, mean, sum_w, True)
        scale = np.sqrt(m2 / sum_w)
    else:
        mean = np.zeros(d)
        frozen = sumsq == 0.0
        scale = np.sqrt(sumsq / sum_w)
    inv_scale = np.divide(1.0, scale, out=np.zeros(d), where=~frozen)
    return Reparametrization(mean, inv_scale, fit_intercept), mean_y, y_scale


def _stream(data: ChunkedData, params: FitParams, solver: str, start, max_iter: int) -> FitOutcome:
    d = data.n_features
    with data.streaming():
        moments = data.moments()
        check_rows_and_weights(moments.sum_w, moments.n_samples)
        reparam, mean_y, y_scale = reparametrization(moments, d, params)
        objective = SummedObjective(
            pass_sums=data.pass_sums,
            sum_weight=moments.sum_w,
            alpha=params.alpha,
            reparam=reparam,
        )
        k = mean_y.shape[0]
        c0, b0 = np.zeros((k, d)), np.zeros(k)
        if start is not None:
            c0, b0 = reparam.from_model(*start)
        elif params.fit_intercept and np.any(reparam.mean != 0):
            # In centred coordinates the intercept decouples and its optimum is the mean of y.
            b0 = mean_y.copy()
        result: SolverResult
        if solver == "cg":
            result, error, _ = conjugate_gradient(
                objective,
                c0,
                b0,
                max_iter=max_iter,
                tol=params.tol,
                y_scale=y_scale,
                verbose=params.verbose,
            )
        else:
            step = None if params.learning_rate == "auto" else float(params.learning_rate)
            result, error = gradient_descent(
                objective,
                c0,
                b0,
                step=step,
                accelerate=params.accelerate,
                max_iter=max_iter,
                tol=params.tol,
                y_scale=y_scale,
                fit_intercept=params.fit_intercept,
                verbose=params.verbose,
            )
    coef, intercept = reparam.to_model(result.c, result.b)
    return FitOutcome(
        coef=coef,
        intercept=intercept if params.fit_intercept else np.zeros(k),
        solver=solver,
        n_iter=result.n_iter,
        n_passes=1 + objective.n_passes,
        loss_curve=result.loss_curve,
        converged=result.converged,
        error=error,
    )


def _combine(first: FitOutcome, then: FitOutcome) -> FitOutcome:
    """``then``, with the passes, iterations and losses of ``first`` that led to it."""
    then.solver = f"{first.solver}+{then.solver}"
    then.n_passes += first.n_passes
    then.n_iter += first.n_iter
    then.loss_curve = first.loss_curve + then.loss_curve
    return then


def fit(data: ChunkedData, params: FitParams, start=None) -> FitOutcome:
    """Fit least squares (ridge) on ``data`` with the solver that ``params`` asks for.

    Parameters
    ----------
    data : ChunkedData
    params : FitParams
    start : tuple of ndarray, optional
        ``(coef (k, d), intercept (k,))`` to warm-start the iterative solvers from.

    Returns
    -------
    FitOutcome

    Raises
    ------
    ValueError
        For data without rows or with all-zero weights, and for a solver that needs several
        passes over data that can be read once.
    """
    d = data.n_features
    solver = params.solver
    auto = solver == "auto"
    if auto and _dual.applies(data):
        return _dual.fit(data, params)
    gram_passes = gram_cost_in_passes(d, data.dtype.itemsize)
    if auto:
        costs = getattr(data, "solver_costs", None)
        if costs is not None:  # a source with a cost model of its own (sparse X)
            solver, gram_passes = costs()
        else:
            dense = choose_solver(data.n_rows or 1, d, data.dtype.itemsize)
            solver = "cg" if dense == "gd" else "gram"
    if solver in ("cg", "gd"):
        max_iter = params.max_iter
        if auto and params.tol > 0 and d <= GRAM_MAX_FEATURES:
            # Krylov for at most the price of the Gram fit, then the Gram fit.
            max_iter = min(max_iter, math.ceil(gram_passes))
        streamed = _stream(data, params, solver, start, max_iter)
        # tol = 0 asks for exactly max_iter iterations: nothing to finish.
        if streamed.converged or not auto or d > GRAM_MAX_FEATURES or params.tol == 0:
            return streamed
        return _combine(streamed, _direct(data, params, auto=True))
    return _direct(data, params, auto=auto, qr=solver == "qr")


def _direct(data: ChunkedData, params: FitParams, *, auto: bool, qr: bool = False) -> FitOutcome:
    if qr:
        qr_factor = data.qr(params.fit_intercept)
        check_rows_and_weights(
            qr_factor.sum_w if params.fit_intercept else 1.0, qr_factor.n_samples
        )
        out = solve_qr(qr_factor, params)
        out.n_passes = 1
        return out
    stats = data.stats()
    check_rows_and_weights(stats.sum_w, stats.n_samples)
    factor = _gram_factor(stats, params)
    if not data.rereadable:
        out = solve_statistics(stats, params, factor)
        out.n_passes = 1
        return out
    # Without a QR factor (sparse X) the refined Gram solve, minimum-norm if need be, is final.
    fallback = auto and getattr(data, "qr_available", True)
    ill = factor.min_norm or factor.contraction > _MAX_CONTRACTION
    if not (fallback and ill):
        out = _refine(data, stats, factor, params)
        out.n_passes += 1
        if not (fallback and not out.converged):
            return out
    else:
        out = solve_statistics(stats, params, factor)
        out.n_passes = 1
    # The normal equations cannot deliver here: one more pass, for the QR factor.
    qr_out = solve_qr(data.qr(params.fit_intercept), params)
    qr_out.n_passes = 1
    qr_out.stats = stats
    return _combine(out, qr_out)

"""The scikit-learn-compatible estimator: validation, preconditioning, dispatch, attributes."""

from __future__ import annotations

import functools
import math
import numbers
import warnings

import numpy as np

from . import _kernels
from ._chunked import block_stats, raise_non_finite
from ._cost import GRAM_MAX_FEATURES, choose_solver, gram_cost_in_passes
from ._runtime import launch
from ._sklearn_compat import SklearnRegressorBase
from ._solvers import (
    DivergenceError,
    GramObjective,
    Objective,
    Reparametrization,
    SolverResult,
    SummedObjective,
    fused_pass_sums,
    gradient_descent,
)
from ._stats import SufficientStats
from ._validation import (
    assert_all_finite,
    check_fitted,
    validate_fit_data,
    validate_predict_data,
)

_SOLVERS = ("auto", "gd", "gram")


def _is_constant(var: np.ndarray, mean: np.ndarray, n_samples: int) -> np.ndarray:
    """Flag columns whose variance is within rounding of zero (scikit-learn's criterion)."""
    eps = np.finfo(np.float64).eps
    return var <= n_samples * eps * var + (n_samples * mean * eps) ** 2


def _is_dask_collection(obj) -> bool:
    """Whether ``obj`` is a Dask collection, decided without importing Dask."""
    return type(obj).__module__.startswith("dask") and hasattr(obj, "__dask_graph__")


class LinearRegression(SklearnRegressorBase):
    """Least-squares linear regression fitted by gradient descent on a fused Numba kernel.

    Each iteration makes one parallel pass over ``X`` that computes predictions, residuals, the
    gradient, the intercept gradient and the loss together. Columns are standardised implicitly
    (the scaling is folded into the coefficients, so ``X`` is never copied), the step is ``1/L``
    with ``L`` from power iteration, and Nesterov momentum with adaptive restart accelerates
    convergence, so the defaults reach the closed-form solution without tuning.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    alpha : float, default=0.0
        L2 penalty; the solution equals ``sklearn.linear_model.Ridge(alpha=alpha)``.
    solver : {"auto", "gd", "gram"}, default="auto"
        ``"gd"`` is gradient descent with one fused pass over ``X`` per iteration. ``"gram"``
        makes one pass to build the sufficient statistics (``X^T W X``, ``X^T W y``, sums),
        then runs the same accelerated gradient descent on them at ``O(d^2)`` per iteration.
        ``"auto"`` picks the cheaper by the cost model of :mod:`fastlinreg._cost` (Gram up to
        224 features for float64 X, 44 for float32) and records the choice in ``solver_``;
        when it starts with ``"gd"`` and that has not converged after as many iterations as the
        Gram fit costs in passes (ill-conditioned data), it finishes with ``"gram"`` from
        where ``"gd"`` stopped, and ``solver_`` and ``n_passes_`` say so.
    learning_rate : "auto" or float, default="auto"
        ``"auto"`` uses the step ``1/L``, where ``L`` is the largest eigenvalue of the
        (preconditioned) Hessian estimated by power iteration on the same fused pass. A float
        is a fixed step in the solver's coordinates (standardised units when
        ``standardize=True``).
    max_iter : int, default=1000
        Maximum number of gradient iterations (each one pass over ``X``).
    tol : float, default=1e-10
        Relative stationarity tolerance: stop when the norm of the gradient with respect to the
        (standardised) coefficients falls below ``tol`` times its norm at zero coefficients
        (at the warm-start point for a warm-started ``"gd"`` fit), and likewise for the
        intercept. For well-conditioned data the relative error of
        ``coef_`` is then about ``tol`` times the condition number of the standardised
        problem. ``tol=0`` disables the test: exactly ``max_iter`` iterations run and no
        :class:`~sklearn.exceptions.ConvergenceWarning` is issued.
    accelerate : bool, default=True
        Use Nesterov momentum with gradient-based adaptive restart.
    standardize : bool, default=True
        Precondition by centring and scaling the columns, without copying ``X``.
    warm_start : bool, default=False
        Start from the previous solution when refitting data with the same shape.

    Notes
    -----
    On rank-deficient data both solvers converge to the minimum-norm solution in the
    coordinates they iterate in: with ``standardize=False`` that is ``np.linalg.lstsq``'s; with
    standardisation it is the minimum norm of the standardised coefficients (identical
    predictions, and identical coefficients when dependent columns share a scale).

    ``partial_fit`` accumulates the sufficient statistics of every batch exactly (it is not
    stochastic gradient descent), so after any sequence of batches the model equals ``fit`` on
    their concatenation.
    verbose : int, default=0
        Print the objective every ``verbose`` iterations when positive.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients, in the dtype of ``X`` (float32 or float64).
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept(s); 0.0 when ``fit_intercept=False``.
    n_iter_ : int
        Gradient iterations run (power-iteration passes not included).
    n_passes_ : int
        Passes over ``X`` made by the fit, all kinds included.
    loss_curve_ : list of float
        The objective ``(sum w r**2 + alpha ||coef||**2) / (2 sum w)`` (summed over targets)
        at each iteration.
    converged_ : bool
        Whether the stopping test was met.
    solver_ : str
        The solver that ran (``"gd"`` or ``"gram"``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from fastlinreg import LinearRegression
    >>> X = np.array([[1.0, 2.0], [2.0, 0.5], [3.0, 1.0], [4.0, 3.0]])
    >>> y = X @ np.array([2.0, -1.0]) + 0.5
    >>> model = LinearRegression().fit(X, y)
    >>> np.round(model.coef_, 6), round(float(model.intercept_), 6)
    (array([ 2., -1.]), 0.5)
    """

    # Set by input validation in fit (declared for type checkers; absent until then).
    n_features_in_: int
    feature_names_in_: np.ndarray

    def __init__(
        self,
        *,
        fit_intercept=True,
        alpha=0.0,
        solver="auto",
        learning_rate="auto",
        max_iter=1000,
        tol=1e-10,
        accelerate=True,
        standardize=True,
        warm_start=False,
        verbose=0,
    ):
        self.fit_intercept = fit_intercept
        self.alpha = alpha
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.accelerate = accelerate
        self.standardize = standardize
        self.warm_start = warm_start
        self.verbose = verbose

    def __sklearn_tags__(self):
        """Declare multi-output support and dense-only input."""
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = False
        return tags

    def _check_params(self) -> None:
        def real(name, value, low, low_open):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a real number, got {value!r}")
            if not np.isfinite(value) or value < low or (low_open and value == low):
                bound = f"> {low}" if low_open else f">= {low}"
                raise ValueError(f"{name} must be finite and {bound}, got {value!r}")

        real("alpha", self.alpha, 0.0, False)
        real("tol", self.tol, 0.0, False)
        if isinstance(self.learning_rate, str):
            if self.learning_rate != "auto":
                raise ValueError(
                    f'learning_rate must be "auto" or a positive float, got {self.learning_rate!r}'
                )
        else:
            real("learning_rate", self.learning_rate, 0.0, True)
        if (
            isinstance(self.max_iter, bool)
            or not isinstance(self.max_iter, numbers.Integral)
            or self.max_iter < 1
        ):
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter!r}")
        if (
            isinstance(self.verbose, bool)
            or not isinstance(self.verbose, numbers.Integral)
            or self.verbose < 0
        ):
            raise ValueError(f"verbose must be an integer >= 0, got {self.verbose!r}")
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {_SOLVERS}, got {self.solver!r}")
        for name in ("fit_intercept", "accelerate", "standardize", "warm_start"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")

    def fit(self, X, y, sample_weight=None):
        """Fit the model by gradient descent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. float32 and float64 arrays are used in place (any memory layout,
            read-only allowed, memory-mapped files included); other numeric types are
            converted to float64. pandas and polars DataFrames give ``feature_names_in_``. A
            Dask array or DataFrame is fitted on its workers (:mod:`fastlinreg.dask`).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets (a Series or DataFrame too).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights, not all zero.

        Returns
        -------
        self : LinearRegression
            The fitted estimator.

        Raises
        ------
        ValueError
            For invalid parameters or input (NaN/inf, shapes, negative weights, ...).
        DivergenceError
            If an explicit ``learning_rate`` makes the iterations diverge.
        """
        if _is_dask_collection(X):
            from . import dask

            return dask.fit(self, X, y, sample_weight)
        self._check_params()
        X, y, sw = self._validate_xy(X, y, sample_weight, reset=True)
        Y = y[:, None] if y.ndim == 1 else y
        n, d = X.shape
        if sw.shape[0] and sw.sum() <= 0.0:
            raise ValueError("sample_weight must not be all zero")
        solver = self.solver
        max_iter = int(self.max_iter)
        if solver == "auto":
            solver = choose_solver(n, d, X.dtype.itemsize)
            if solver == "gd" and self.tol > 0 and d <= GRAM_MAX_FEATURES:
                # Streaming descent for at most the price of the Gram fit, then the Gram fit.
                max_iter = min(max_iter, math.ceil(gram_cost_in_passes(d, X.dtype.itemsize)))
        start = self._warm_start_model(d, Y.shape[1])
        self._stats: SufficientStats | None = None
        passes = 0
        if solver == "gd":
            result, reparam, passes = self._solve_streaming(X, Y, sw, start, max_iter)
            if not result.converged and max_iter < self.max_iter:
                solver, start = "gram", reparam.to_model(result.c, result.b)
        if solver == "gram":
            stats = block_stats(X, Y, sw)
            result, reparam = self._solve_gram(stats, start)
            self._stats = stats
            passes += 1
        self._set_model(result, reparam, X.dtype, y.ndim, solver, passes)
        return self

    def partial_fit(self, X, y, sample_weight=None):
        """Add a batch of rows to the sufficient statistics and refit from them, exactly.

        After any sequence of batches the model equals ``fit`` on their concatenation (up to
        ``tol``). The statistics of a ``solver="gram"`` fit are continued; after a ``"gd"``
        fit, which keeps none, the first call starts a new accumulation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self : LinearRegression
            The fitted estimator.

        Raises
        ------
        ValueError
            If the number of features or targets differs from earlier batches, or for invalid
            input.
        """
        self._check_params()
        first = getattr(self, "_stats", None) is None
        X, y, sw = self._validate_xy(X, y, sample_weight, reset=first)
        Y = y[:, None] if y.ndim == 1 else y
        if not first and self._stats is not None and Y.shape[1] != self._stats.cxy.shape[1]:
            raise ValueError(
                f"y has {Y.shape[1]} targets, but earlier batches had {self._stats.cxy.shape[1]}"
            )
        batch = block_stats(X, Y, sw)
        stats = batch if first or self._stats is None else self._stats.merge(batch)
        if stats.sum_w <= 0.0:
            raise ValueError("sample_weight must not be all zero")
        start = None
        if hasattr(self, "coef_") and not first:
            start = (
                np.reshape(self.coef_, (-1, X.shape[1])).astype(np.float64),
                np.reshape(np.asarray(self.intercept_, dtype=np.float64), (-1,)),
            )
        result, reparam = self._solve_gram(stats, start)
        self._stats = stats
        self._set_model(result, reparam, X.dtype, y.ndim, "gram", 1)
        return self

    def _validate_xy(self, X, y, sample_weight, reset):
        # Finiteness of X is checked by the first pass over it rather than by a separate pass.
        return validate_fit_data(self, X, y, sample_weight, reset=reset)

    def _warm_start_model(self, d, k):
        """Return the previous model as float64 blocks to warm-start from, or None."""
        if not (self.warm_start and hasattr(self, "coef_")):
            return None
        coef = np.reshape(self.coef_, (-1, d)).astype(np.float64)
        if coef.shape != (k, d):
            return None
        intercept = np.reshape(np.asarray(self.intercept_, dtype=np.float64), (-1,))
        return coef, np.broadcast_to(intercept, (k,)).copy()

    def _descend(
        self, objective: Objective, reparam, start, mean_y, y_scale, grad_scale=None, max_iter=None
    ):
        k, d = mean_y.shape[0], reparam.mean.shape[0]
        c0, b0 = np.zeros((k, d)), np.zeros(k)
        if start is not None:
            c0, b0 = reparam.from_model(*start)
        elif reparam.fit_intercept and np.any(reparam.mean != 0):
            # In centred coordinates the intercept decouples and its optimum is the mean of y.
            b0 = mean_y.copy()
        step = None if self.learning_rate == "auto" else float(self.learning_rate)
        return gradient_descent(
            objective,
            c0,
            b0,
            step=step,
            accelerate=bool(self.accelerate),
            max_iter=int(self.max_iter) if max_iter is None else max_iter,
            tol=float(self.tol),
            grad_scale=grad_scale,
            y_scale=y_scale,
            fit_intercept=bool(self.fit_intercept),
            verbose=int(self.verbose),
        )

    def _solve_streaming(self, X, Y, sw, start, max_iter=None):
        n, d = X.shape
        sum_w = float(n) if sw.shape[0] == 0 else float(sw.sum())
        passes = 0
        if self.standardize:
            sum_w, mean, m2, sumsq = launch(_kernels.column_moments, X, sw, _kernels.N_CHUNKS)
            passes = 1
            if not all(np.all(np.isfinite(a)) for a in (mean, m2, sumsq)):
                raise_non_finite(X)
            reparam = self._reparametrization(mean, m2, sumsq, sum_w, n, center=True)
        else:
            reparam = Reparametrization(np.zeros(d), np.ones(d), bool(self.fit_intercept))
        objective = SummedObjective(
            pass_sums=functools.partial(fused_pass_sums, X, Y, sw),
            sum_weight=sum_w,
            alpha=float(self.alpha),
            reparam=reparam,
        )
        try:
            weights = sw if sw.shape[0] else None
            mean_y = np.asarray(np.average(Y, axis=0, weights=weights), dtype=np.float64)
            y_scale = float(np.sqrt(np.sum(np.average(np.square(Y), axis=0, weights=weights))))
            result = self._descend(objective, reparam, start, mean_y, y_scale, max_iter=max_iter)
        except DivergenceError:
            assert_all_finite(X, input_name="X")
            raise
        return result, reparam, passes + objective.n_passes

    def _solve_gram(self, stats: SufficientStats, start):
        d, k = stats.cxy.shape
        m2 = np.diag(stats.cxx).copy()
        sumsq = np.diag(stats.xtx).copy()
        # Centring is free here (it only changes the coordinates), so it is always used with
        # an intercept; standardize decides the scaling.
        reparam = self._reparametrization(
            stats.mean_x, m2, sumsq, stats.sum_w, stats.n_samples, center=True
        )
        objective = GramObjective(stats=stats, alpha=float(self.alpha), reparam=reparam)
        _, g_c, g_b = objective.value_and_grad(np.zeros((k, d)), np.zeros(k))
        scale = (float(np.linalg.norm(g_c)), float(np.linalg.norm(g_b)))
        y_scale = float(np.sqrt(np.sum(stats.yty) / stats.sum_w))
        result = self._descend(objective, reparam, start, stats.mean_y, y_scale, grad_scale=scale)
        return result, reparam

    def _set_model(self, result: SolverResult, reparam, dtype, y_ndim, solver, passes):
        coef, intercept = reparam.to_model(result.c, result.b)
        if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
            raise DivergenceError("the fit produced non-finite coefficients")
        if not result.converged and self.tol > 0:
            from sklearn.exceptions import ConvergenceWarning  # scikit-learn only when warning

            warnings.warn(
                f"gradient descent did not reach tol={self.tol} in max_iter={self.max_iter} "
                "iterations; increase max_iter or tol",
                ConvergenceWarning,
                stacklevel=3,
            )
        k = coef.shape[0]
        if y_ndim == 1:
            self.coef_ = coef[0].astype(dtype)
            self.intercept_ = dtype.type(intercept[0]) if self.fit_intercept else 0.0
        else:
            self.coef_ = coef.astype(dtype)
            self.intercept_ = intercept.astype(dtype) if self.fit_intercept else np.zeros(k)
        self.n_iter_ = result.n_iter
        self.n_passes_ = passes
        self.loss_curve_ = result.loss_curve
        self.converged_ = result.converged
        self.solver_ = solver

    def _reparametrization(self, mean, m2, sumsq, sum_w, n, *, center):
        """Diagonal preconditioning from column moments, as a change of coordinates."""
        d = mean.shape[0]
        fit_intercept = bool(self.fit_intercept)
        center = center and fit_intercept
        if center:
            frozen = _is_constant(m2 / sum_w, mean, n)
            scale = np.sqrt(m2 / sum_w)
        else:
            mean = np.zeros(d)
            frozen = sumsq == 0.0
            scale = np.sqrt(sumsq / sum_w)
        if not self.standardize:
            inv_scale = np.ones(d)
        else:
            inv_scale = np.divide(1.0, scale, out=np.zeros(d), where=~frozen)
        return Reparametrization(mean, inv_scale, fit_intercept)

    def predict(self, X):
        """Predict with the fitted linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            With the feature names seen in ``fit``, in the same order, if it had any.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions in the dtype of ``X`` (float64 for non-float input). For a Dask
            array or DataFrame, a lazy Dask collection (see :func:`fastlinreg.dask.predict`).
        """
        if _is_dask_collection(X):
            from . import dask

            return dask.predict(self, X)
        check_fitted(self)
        X = validate_predict_data(self, X)
        coef = np.atleast_2d(np.asarray(self.coef_, dtype=np.float64))
        intercept = np.broadcast_to(
            np.asarray(self.intercept_, dtype=np.float64), (coef.shape[0],)
        ).copy()
        out = np.empty((X.shape[0], coef.shape[0]), dtype=X.dtype)
        launch(_kernels.predict_into, X, coef, intercept, out, _kernels.N_CHUNKS)
        if not np.all(np.isfinite(out)):
            assert_all_finite(X, input_name="X")
        return out[:, 0] if np.ndim(self.coef_) == 1 else out

"""The scikit-learn-compatible estimator: validation, preconditioning, dispatch, attributes."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from . import _driver, _kernels
from ._chunked import ArrayData, ChunkedData
from ._outcome import FitOutcome, FitParams
from ._params import SOLVERS
from ._runtime import launch
from ._scaled import Rescaling, ScaledArrayData, needs_rescaling, plan_rescaling
from ._sklearn_compat import SklearnRegressorBase
from ._solvers import DivergenceError
from ._validation import (
    assert_all_finite,
    check_fitted,
    check_rows_and_weights,
    fitted_blocks,
    validate_fit_data,
    validate_predict_data,
)


@contextmanager
def _unchanged_on_error(model) -> Iterator[None]:
    """Restore the estimator's attributes if the block raises: a failed call changes nothing.

    Attributes are only ever replaced, never modified in place, so a shallow copy suffices.
    """
    saved = dict(model.__dict__)
    try:
        yield
    except BaseException:
        model.__dict__.clear()
        model.__dict__.update(saved)
        raise


def _data_source(X, Y, sw, y_ndim, rereadable=True) -> ChunkedData:
    """Return the validated ``X`` as the driver reads it (sparse: scipy imported only then)."""
    if isinstance(X, np.ndarray):
        return ArrayData(X, Y, sw, y_ndim, rereadable)
    from ._sparse_data import SparseData

    return SparseData(X, Y, sw, y_ndim, rereadable)


def _is_dask_collection(obj) -> bool:
    """Whether ``obj`` is a Dask collection, decided without importing Dask."""
    return type(obj).__module__.startswith("dask") and hasattr(obj, "__dask_graph__")


class LinearRegression(SklearnRegressorBase):
    """Least squares and ridge regression, exact on ill-conditioned data, fast on large data.

    The default fit makes one pass over ``X`` for its exact centred sufficient statistics,
    solves the standardised normal equations directly (scaled Cholesky) and refines the
    solution with one or two passes of a kernel that computes the exact residual gradient;
    when the factorisation shows that the normal equations cannot deliver (condition number
    near ``1 / sqrt(eps)``, or numerically singular), it moves to a one-pass tall-skinny QR.
    For many features it streams: conjugate gradient on a fused Numba pass that computes
    residuals, gradient and loss in one parallel read of ``X``. ``X`` is never copied.
    scipy sparse ``X`` (CSR, CSC) is fitted from its nonzeros, never densified (see ``fit``).

    Parameters
    ----------
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    alpha : float, default=0.0
        L2 penalty; the solution equals ``sklearn.linear_model.Ridge(alpha=alpha)``.
    solver : {"auto", "gram", "qr", "cg", "gd"}, default="auto"
        - ``"gram"``: exact statistics (one pass), a scaled Cholesky solve (an
          eigendecomposition giving the minimum-norm solution where the standardised matrix
          is numerically singular: eigenvalues at most ``100 * eps`` of the largest), then
          iterative refinement, one pass each, until the correction is at rounding level (at
          most 4 passes).
        - ``"qr"``: one-pass tall-skinny Householder QR of ``[1 | X - shift | y - shift]``,
          solved by SVD of the small factor (``np.linalg.lstsq``'s rank cut-off
          ``eps * max(n, d)``); twice the flops of the statistics, the accuracy of QR.
          Not for sparse ``X`` (a ``ValueError``: the factor is built from dense rows).
        - ``"cg"``: conjugate gradient on the normal equations, one fused pass per iteration.
        - ``"gd"``: gradient descent on the fused pass, Nesterov-accelerated (``accelerate``)
          or plain with a fixed ``learning_rate`` (the tutorial's method).
        - ``"auto"``: ``"gram"`` or ``"cg"`` by the cost model of :mod:`fastlinreg._cost`
          (statistics up to 224 features for float64 X, 44 for float32). ``"cg"`` runs for
          at most the cost of the Gram fit in passes, then the Gram fit finishes; the Gram fit
          moves to ``"qr"`` when its factor cannot deliver ``tol``. ``solver_`` records the
          path, e.g. ``"gram"``, ``"gram+qr"``, ``"cg+gram"``. For sparse ``X`` the choice
          is by the nonzeros (the pair products of the statistics against passes over the
          nonzeros) and ``d`` (statistics up to 4096 features); without QR, a numerically
          singular Gram matrix gets the refined minimum-norm solve. Wide ``X`` (dense or
          sparse, in memory) with fewer rows than features, up to 4096 rows, is solved through
          the ``n x n`` dual system ``(X_c X_c^T + alpha I) a = y_c``, never a ``d x d``
          matrix, refined with passes over ``X`` (``solver_ == "dual"``): ``Ridge(alpha)``'s
          solution, and for ``alpha = 0`` the minimum-norm one (of the standardised
          coefficients; ``np.linalg.lstsq``'s with ``standardize=False``).
    learning_rate : "auto" or float, default="auto"
        For ``"gd"``: ``"auto"`` uses the step ``1/L``, where ``L`` is the largest eigenvalue
        of the (preconditioned) Hessian estimated by power iteration on the same fused pass.
        A float is a fixed step in the solver's coordinates (standardised units when
        ``standardize=True``).
    max_iter : int, default=1000
        Maximum number of iterations of ``"cg"`` and ``"gd"`` (each one pass over ``X``).
    tol : float, default=1e-10
        Target relative error of the coefficients (in standardised units). The iterative
        solvers stop when their estimate of it is within ``tol`` (``"cg"``: the residual over
        the smallest Ritz value of the Lanczos matrix; ``"gd"``: the gradient over the
        smallest Rayleigh quotient seen along its steps) or when the gradient is at rounding
        level. The direct solvers refine to rounding level whatever ``tol``; ``tol`` decides
        whether their error estimate counts as converged. ``tol=0`` makes the iterative
        solvers run exactly ``max_iter`` iterations and issues no
        :class:`~sklearn.exceptions.ConvergenceWarning`.
    accelerate : bool, default=True
        ``"gd"``: Nesterov momentum with gradient-based adaptive restart.
    standardize : bool, default=True
        ``"cg"`` and ``"gd"``: precondition by centring and scaling the columns, without
        copying ``X``. ``"gram"`` and ``"qr"``: factor the problem with columns scaled to unit
        norm; without, in the original units (which decides only the rank cut-off and which
        minimum-norm solution a rank-deficient design gets: ``np.linalg.lstsq``'s Euclidean
        one).
    warm_start : bool, default=False
        ``"cg"`` and ``"gd"``: start from the previous solution when refitting data with the
        same shape.
    verbose : int, default=0
        Print the objective every ``verbose`` iterations when positive.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients, in the dtype of ``X`` (float32 or float64).
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept(s); 0.0 when ``fit_intercept=False``.
    n_iter_ : int
        Iterations of ``"cg"``/``"gd"`` (power-iteration passes not included), plus
        refinement passes of the direct solvers.
    n_passes_ : int
        Passes over ``X`` made by the fit, all kinds included.
    loss_curve_ : list of float
        The objective ``(sum w r**2 + alpha ||coef||**2) / (2 sum w)`` (summed over targets)
        at each evaluated point.
    converged_ : bool
        Whether the estimated relative error of ``coef_`` (``error_estimate_``) is within
        ``tol``, or at rounding level for a direct solve.
    error_estimate_ : float
        The fit's estimate of the relative error of ``coef_`` in standardised units.
    solver_ : str
        The solver or sequence of solvers that ran.
    rank_ : int or None
        Numerical rank of the standardised design, from the factorisation (None after a
        ``"cg"`` or ``"gd"`` fit).
    singular_ : ndarray of shape (min(n_samples, n_features),) or None
        Singular values of the centred (with an intercept), weighted design with columns
        scaled to unit norm (unscaled with ``standardize=False``), descending.
    cond_ : float or None
        Condition number of that design (``inf`` when rank-deficient).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` has string column names.

    Notes
    -----
    On rank-deficient data the direct solvers give the minimum-norm solution of the
    standardised coefficients (identical predictions to ``np.linalg.lstsq``'s, and identical
    coefficients when dependent columns share a scale); the iterative ones converge to it from
    a zero start.

    ``partial_fit`` accumulates the sufficient statistics (or, with ``solver="qr"``, the QR
    factor) of every batch exactly (it is not stochastic gradient descent), so after any
    sequence of batches the model equals ``fit`` on their concatenation.

    ``fit`` on an array rescales columns, targets and weights by powers of two when their
    magnitudes would overflow or underflow float64 in squares (judged from the first 1024
    rows), which changes no digit of the problem; ``partial_fit`` refuses such magnitudes.

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
        """Declare multi-output support and sparse input."""
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags

    def _check_params(self) -> None:
        def real(name, value, low, low_open):
            """Refuse a parameter that is not a finite real number within its bound.

            Parameters
            ----------
            name : str
                The parameter's name, for messages.
            value : object
                Its value.
            low : float
                The lower bound.
            low_open : bool
                Whether ``value`` must exceed ``low`` rather than merely reach it.
            """
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
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        for name in ("fit_intercept", "accelerate", "standardize", "warm_start"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")

    def _fit_params(self) -> FitParams:
        """Validate the parameters and return them as the driver takes them."""
        self._check_params()
        return FitParams(
            fit_intercept=bool(self.fit_intercept),
            alpha=float(self.alpha),
            solver=str(self.solver),
            learning_rate=self.learning_rate,
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            accelerate=bool(self.accelerate),
            standardize=bool(self.standardize),
            verbose=int(self.verbose),
        )

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. float32 and float64 arrays are used in place (any memory layout,
            read-only allowed, memory-mapped files included); other numeric types are
            converted to float64. pandas and polars DataFrames give ``feature_names_in_``. A
            Dask array or DataFrame is fitted on its workers (:mod:`fastlinreg.dask`). A scipy
            sparse CSR or CSC matrix or array (float32 or float64 values, int32 or int64
            indices, unsorted indices, explicit zeros and duplicates, which count as their sum)
            is read from its nonzeros and never densified: the statistics ``X^T W X`` are
            built from the nonzeros and centred afterwards, the streaming solvers run a sparse
            fused pass with the centring folded into the intercept. CSC is converted to CSR
            once (a copy of the nonzeros and indices); other sparse formats are converted to
            CSR by scikit-learn.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets (a Series or DataFrame too).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights, not all zero.

        Returns
        -------
        LinearRegression
            The fitted estimator. A call that raises (or is interrupted) leaves the estimator
            as it was.

        Raises
        ------
        ValueError
            For invalid parameters or input (NaN/inf, shapes, negative weights, ...).
        DivergenceError
            If an explicit ``learning_rate`` makes gradient descent diverge.
        """
        with _unchanged_on_error(self):
            if _is_dask_collection(X):
                from . import dask

                return fit_source(self, dask.data_source(X, y, sample_weight))
            self._check_params()
            X, y, sw = validate_fit_data(self, X, y, sample_weight, reset=True)
            if sw.shape[0]:
                check_rows_and_weights(float(sw.sum()), sw.shape[0])
            Y = y[:, None] if y.ndim == 1 else y
            X, Y, sw = _one_weighted_row(X, Y, sw)
            if not isinstance(X, np.ndarray):
                _refuse_extreme_magnitudes(X, Y, sw, "sparse X is fitted as it is")
                return fit_source(self, _data_source(X, Y, sw, y.ndim), set_features=False)
            rescaling = plan_rescaling(X, Y, sw, float(self.alpha))
            if rescaling is None:
                return fit_source(self, ArrayData(X, Y, sw, y.ndim), set_features=False)
            data = ScaledArrayData(X, Y, sw, y.ndim, rescaling)
            return fit_source(self, data, set_features=False, rescaling=rescaling)

    def partial_fit(self, X, y, sample_weight=None):
        """Add a batch of rows to the accumulated statistics and solve from them, exactly.

        After any sequence of batches the model equals ``fit`` on their concatenation, up to
        the accuracy of the factorisation. ``solver="qr"`` accumulates the QR factor of the
        rows (merged exactly, at about twice the cost of the statistics); every other solver
        accumulates the sufficient statistics and solves them directly. The statistics or
        factor of a previous ``fit`` by the same method are continued; otherwise the first
        call starts a new accumulation. The rows are not read again, so there is no
        refinement: on data whose normal equations lose more digits than ``tol`` allows the
        fit warns and says so; use ``solver="qr"``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of training rows.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets of the batch.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights of the batch.

        Returns
        -------
        LinearRegression
            The fitted estimator itself.

        Raises
        ------
        ValueError
            If the number of features or targets differs from earlier batches, or for invalid
            input.
        """
        with _unchanged_on_error(self):
            return self._partial_fit(X, y, sample_weight)

    def _partial_fit(self, X, y, sample_weight):
        params = self._fit_params()
        use_qr = params.solver == "qr"
        previous = getattr(self, "_qr" if use_qr else "_stats", None)
        if previous is not None and use_qr and previous.fit_intercept != params.fit_intercept:
            previous = None
        first = previous is None
        X, y, sw = validate_fit_data(self, X, y, sample_weight, reset=first)
        Y = y[:, None] if y.ndim == 1 else y
        _refuse_extreme_magnitudes(X, Y, sw, "partial_fit accumulates squares as they are")
        k = previous.xy.shape[1] if use_qr and previous is not None else None
        if previous is not None and not use_qr:
            k = previous.cxy.shape[1]
        if k is not None and Y.shape[1] != k:
            raise ValueError(f"y has {Y.shape[1]} targets, but earlier batches had {k}")
        data = _data_source(X, Y, sw, y.ndim, rereadable=False)
        if use_qr:
            batch_qr = data.qr(params.fit_intercept)
            acc_qr = batch_qr if previous is None else previous.merge(batch_qr)
            if params.fit_intercept:
                check_rows_and_weights(acc_qr.sum_w, acc_qr.n_samples)
            outcome = _driver.solve_qr(acc_qr, params)
        else:
            batch = data.stats()
            stats = batch if previous is None else previous.merge(batch)
            check_rows_and_weights(stats.sum_w, stats.n_samples)
            outcome = _driver.solve_statistics(stats, params)
        outcome.n_passes = 1
        self._adopt(outcome, X.dtype, y.ndim)
        return self

    def _warm_start_model(self, d, k):
        """Return the previous model as float64 blocks to warm-start from, or None."""
        if not (self.warm_start and hasattr(self, "coef_")) or np.size(self.coef_) != k * d:
            return None  # nothing to start from, or a model of another shape: start cold
        coef = np.reshape(self.coef_, (k, d)).astype(np.float64)
        intercept = np.reshape(np.asarray(self.intercept_, dtype=np.float64), (-1,))
        return coef, np.broadcast_to(intercept, (k,)).copy()

    def _adopt(self, outcome: FitOutcome, dtype, y_ndim) -> None:
        """Set the fitted attributes from the driver's outcome (warning if it stopped short)."""
        coef, intercept = outcome.coef, outcome.intercept
        if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
            raise DivergenceError("the fit produced non-finite coefficients")
        if not outcome.converged and self.tol > 0:
            _warn_unconverged(outcome, self.tol, self.max_iter)
        k = coef.shape[0]
        if y_ndim == 1:
            self.coef_ = coef[0].astype(dtype)
            self.intercept_ = dtype.type(intercept[0]) if self.fit_intercept else 0.0
        else:
            self.coef_ = coef.astype(dtype)
            self.intercept_ = intercept.astype(dtype) if self.fit_intercept else np.zeros(k)
        self.n_iter_ = outcome.n_iter
        self.n_passes_ = outcome.n_passes
        self.loss_curve_ = outcome.loss_curve
        self.converged_ = outcome.converged
        self.error_estimate_ = float(outcome.error)
        self.solver_ = outcome.solver
        spectrum = outcome.spectrum
        self.rank_ = None if spectrum is None else spectrum.rank
        self.singular_ = None if spectrum is None else spectrum.singular
        self.cond_ = None if spectrum is None else spectrum.cond
        self._stats = outcome.stats
        self._qr = outcome.qr

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
        coef, intercept = fitted_blocks(self)
        if isinstance(X, np.ndarray):
            out = np.empty((X.shape[0], coef.shape[0]), dtype=X.dtype)
            launch(_kernels.predict_into, X, coef, intercept, out, _kernels.N_CHUNKS)
            if not np.all(np.isfinite(out)):
                assert_all_finite(X, input_name="X")
        else:
            from ._sparse_data import predict

            out = predict(X, coef, intercept, X.dtype)
        return out[:, 0] if np.ndim(self.coef_) == 1 else out


def _refuse_extreme_magnitudes(X, Y: np.ndarray, sw: np.ndarray, why: str) -> None:
    """Refuse magnitudes whose squares leave float64's range where they cannot be rescaled."""
    if needs_rescaling(X, Y, sw):
        raise ValueError(
            "X, y or sample_weight has magnitudes whose squares leave float64's range "
            f"(below 2**-400 or above 2**400); {why}: rescale the data, or use fit on a "
            "dense array, which rescales them exactly"
        )


def _one_weighted_row(
    X: np.ndarray, Y: np.ndarray, sw: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep only the row that carries weight, when exactly one does (views, no copy).

    Rows of zero weight add nothing to the problem, but centring the others' statistics on a
    single row leaves only rounding noise, which standardisation would blow up to unit size:
    on the one row itself the centred statistics are exactly zero (scikit-learn's answer).
    """
    if sw.shape[0] == 0:
        return X, Y, sw
    nonzero = np.flatnonzero(sw)
    if nonzero.shape[0] != 1:
        return X, Y, sw
    row = slice(int(nonzero[0]), int(nonzero[0]) + 1)
    return X[row], Y[row], sw[row]


def _warn_unconverged(outcome: FitOutcome, tol: float, max_iter: int) -> None:
    from sklearn.exceptions import ConvergenceWarning  # scikit-learn only when warning

    if outcome.spectrum is not None:  # a direct solve: the factor itself fell short
        cond = f" (condition number {outcome.spectrum.cond:.2g})"
        advice = (
            'the normal equations of these data lose too many digits; use solver="qr", or '
            "fit (which can refine and fall back to QR) rather than partial_fit"
        )
        message = (
            f"the estimated relative error of coef_ is {outcome.error:.2g}, above tol={tol}"
            f"{cond}: {advice}"
        )
    else:
        message = (
            f"{outcome.solver} stopped after {outcome.n_iter} iterations with an estimated "
            f"relative error of {outcome.error:.2g} in coef_, above tol={tol}; increase "
            f'max_iter (now {max_iter}) or tol, or use solver="auto" or "gram"'
        )
    warnings.warn(message, ConvergenceWarning, stacklevel=4)


def fit_source(
    model: LinearRegression,
    data: ChunkedData,
    *,
    set_features: bool = True,
    rescaling: Rescaling | None = None,
):
    """Fit ``model`` on any data source through the one fit driver, and return it.

    This is how the adapters (files in chunks, Dask) fit an estimator: they describe their data
    as a :class:`~fastlinreg._chunked.ChunkedData` and never reach into the estimator.

    Parameters
    ----------
    model : LinearRegression
        Its parameters are honoured as in ``fit``.
    data : ChunkedData
        The rows to fit, seen through one-pass reductions.
    set_features : bool, default=True
        Set ``n_features_in_`` and ``feature_names_in_`` from ``data`` (``fit`` on an array has
        set them already, with scikit-learn's checks).
    rescaling : Rescaling, optional
        The power-of-two factors ``data`` was rescaled by: the penalty, the warm start and
        the fitted model are mapped accordingly.

    Returns
    -------
    LinearRegression
        ``model``, fitted.
    """
    with _unchanged_on_error(model):
        params = model._fit_params()
        start = model._warm_start_model(data.n_features, data.n_targets)
        if rescaling is not None:
            params = replace(params, alpha=rescaling.alpha(params.alpha))
            start = None if start is None else rescaling.to_scaled(*start)
        outcome = _driver.fit(data, params, start)
        if rescaling is not None:
            outcome.coef, outcome.intercept = rescaling.from_scaled(outcome.coef, outcome.intercept)
            # Kept statistics would be in the rescaled units: partial_fit starts afresh.
            outcome.stats = outcome.qr = None
        model._adopt(outcome, data.dtype, data.y_ndim)
        if set_features:
            model.n_features_in_ = data.n_features
            if data.feature_names is not None:
                model.feature_names_in_ = data.feature_names
            elif hasattr(model, "feature_names_in_"):
                del model.feature_names_in_
    return model

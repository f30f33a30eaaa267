"""Input validation of ``fit``, ``partial_fit`` and ``predict``: NumPy fast path, else scikit-learn.

Plain NumPy input that scikit-learn would accept without a warning is checked here, with the
same result as scikit-learn's ``validate_data``: the same arrays (``X`` itself, never copied),
dtypes and ``n_features_in_``/``feature_names_in_`` bookkeeping. Everything else (other
containers, other dtypes, and every input that scikit-learn rejects or warns about) goes to
scikit-learn, imported then, so that its messages, warnings and exception classes are unchanged.
The finiteness of ``X`` is left to the first pass over it, which reports it through
:func:`assert_all_finite`.

Also here, shared by every data path (arrays, chunks, files, Dask, the kernels): the checks of
weights (:func:`as_weights`, :func:`check_rows_and_weights`) and the fitted model's
coefficients as float64 blocks (:func:`fitted_blocks`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The dtypes ``X`` is used in (scikit-learn's ``dtype=[np.float64, np.float32]``).
FLOAT_DTYPES = [np.float64, np.float32]
#: Sparse formats used as they are; scikit-learn converts the others to the first (a copy).
SPARSE_FORMATS = ("csr", "csc")


def is_plain_array(a: Any) -> bool:
    """Whether ``a`` is exactly a NumPy array or memory map (no other subclass, no container)."""
    return type(a) is np.ndarray or type(a) is np.memmap


def all_finite(a: np.ndarray) -> bool:
    """Whether a numeric array holds no NaN or infinity (a sum first, as scikit-learn checks)."""
    if a.dtype.kind not in "fc":
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(a.sum())) or bool(np.isfinite(a).all())


def _float_dtypes(X: Any) -> Any:
    """Return the dtypes ``X`` may be validated to: float32 kept as float32, others made float64.

    scikit-learn keeps float32 for NumPy arrays and pandas frames, but converts other frames
    (polars) to the first dtype listed; an all-float32 polars frame therefore asks for float32.
    """
    if type(X).__module__.startswith("polars") and hasattr(X, "schema"):
        dtypes = list(X.schema.values())
        if dtypes and all(str(dt) == "Float32" for dt in dtypes):
            return np.float32
    return FLOAT_DTYPES


def _usable_X(estimator: Any, X: Any, reset: bool) -> bool:
    """Whether ``X`` passes scikit-learn's checks as it is, without a warning."""
    if not (
        is_plain_array(X)
        and X.ndim == 2
        and X.dtype in FLOAT_DTYPES
        and X.shape[0] >= 1
        and X.shape[1] >= 1
    ):
        return False
    if reset:
        return True
    # An estimator fitted with feature names warns about a plain array: scikit-learn warns.
    if hasattr(estimator, "feature_names_in_"):
        return False
    return not hasattr(estimator, "n_features_in_") or estimator.n_features_in_ == X.shape[1]


def _float_targets(y: np.ndarray) -> np.ndarray:
    """Native float32 and float64 targets are kept; any other dtype becomes float64.

    Big-endian targets are converted (as scikit-learn does for ``X``): the kernels read native
    floats only.
    """
    if y.dtype not in FLOAT_DTYPES:
        y = y.astype(np.float64)
    return y


def _refuse_strings(X: Any) -> None:
    """Refuse text in ``X`` (numeric strings too), as scikit-learn's estimators do.

    Converting to a float dtype, as fastlinreg asks scikit-learn to, would parse numeric
    strings silently.
    """
    if any(kind in "USO" for kind in _column_kinds(X)):
        from sklearn.utils.validation import check_array

        # Object columns of numbers pass; text gets scikit-learn's own error.
        check_array(X, dtype="numeric", ensure_all_finite=False, ensure_2d=False)


def _column_kinds(X: Any) -> list[str]:
    """Return the dtype kinds of ``X``'s columns (``"O"`` for extension types), unconverted."""
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # a DataFrame
        dtypes = X.dtypes
        return [getattr(dt, "kind", "O") for dt in getattr(dtypes, "values", dtypes)]
    if hasattr(X, "dtype"):
        return [getattr(X.dtype, "kind", "O")]
    if isinstance(X, (list, tuple)):
        return [np.asarray(X).dtype.kind]
    return []


def _fast_fit_data(
    estimator: Any, X: Any, y: Any, sample_weight: Any, reset: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Validate as :func:`validate_fit_data` does; return None, with no effect, if it cannot."""
    if not _usable_X(estimator, X, reset) or not is_plain_array(y):
        return None
    n = X.shape[0]
    if y.dtype.kind not in "iuf" or y.shape[0:1] != (n,) or y.ndim not in (1, 2):
        return None
    if (y.ndim == 2 and y.shape[1] < 1) or not all_finite(y):
        return None
    sw = np.empty(0)
    if sample_weight is not None:
        if not (
            is_plain_array(sample_weight)
            and sample_weight.dtype.kind in "iuf"
            and sample_weight.shape == (n,)
        ):
            return None
        sw = np.asarray(sample_weight, dtype=np.float64, order="C")
        if not all_finite(sw) or sw.min() < 0 or not np.any(sw != 0):
            return None
    if reset:
        estimator.n_features_in_ = X.shape[1]
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    return np.asarray(X), _float_targets(np.asarray(y)), sw


def _sklearn_fit_data(
    estimator: Any, X: Any, y: Any, sample_weight: Any, reset: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`validate_fit_data` by scikit-learn's validation alone."""
    from sklearn.utils.validation import _check_sample_weight, validate_data

    _refuse_strings(X)
    X, y = validate_data(
        estimator,
        X,
        y,
        dtype=_float_dtypes(X),
        accept_sparse=SPARSE_FORMATS,
        y_numeric=True,
        multi_output=True,
        ensure_all_finite=False,
        order=None,
        copy=False,
        reset=reset,
    )
    y = _float_targets(y)
    assert_all_finite(y, input_name="y")
    sw = (
        np.empty(0)
        if sample_weight is None
        else _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    )
    return X, y, sw


def validate_fit_data(
    estimator: Any, X: Any, y: Any, sample_weight: Any, *, reset: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate the data of ``fit`` or ``partial_fit`` (finiteness of ``X`` excepted).

    Parameters
    ----------
    estimator : LinearRegression
        Gets ``n_features_in_`` and ``feature_names_in_`` when ``reset``, else is checked
        against them.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
    sample_weight : array-like of shape (n_samples,) or None
    reset : bool
        True for ``fit`` and the first ``partial_fit``.

    Returns
    -------
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features), float32 or float64
        ``X`` itself (a memory map seen as an ndarray) when it is a float32 or float64 array,
        or a float32 or float64 CSR or CSC matrix or array.
    y : ndarray, float32 or float64
    sample_weight : ndarray of shape (n_samples,) or (0,), float64
        Zero rows when no weights are given.

    Raises
    ------
    ValueError, TypeError
        scikit-learn's, for input it rejects.
    """
    fast = _fast_fit_data(estimator, X, y, sample_weight, reset)
    return _sklearn_fit_data(estimator, X, y, sample_weight, reset) if fast is None else fast


def _sklearn_predict_data(estimator: Any, X: Any) -> np.ndarray:
    """:func:`validate_predict_data` by scikit-learn's validation alone."""
    from sklearn.utils.validation import validate_data

    _refuse_strings(X)
    return validate_data(
        estimator,
        X,
        dtype=_float_dtypes(X),
        accept_sparse=SPARSE_FORMATS,
        ensure_all_finite=False,
        order=None,
        reset=False,
    )


def validate_predict_data(estimator: Any, X: Any) -> np.ndarray:
    """Validate the ``X`` of ``predict`` (finiteness excepted).

    Parameters
    ----------
    estimator : LinearRegression
        A fitted estimator; ``X`` is checked against its ``n_features_in_`` and feature names.
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    ndarray or scipy sparse matrix of shape (n_samples, n_features), float32 or float64
        ``X`` itself (a memory map seen as an ndarray) when it is a float32 or float64 array,
        or a float32 or float64 CSR or CSC matrix or array.
    """
    if _usable_X(estimator, X, reset=False):
        return np.asarray(X)
    return _sklearn_predict_data(estimator, X)


def check_fitted(estimator: Any) -> None:
    """Raise scikit-learn's ``NotFittedError`` unless ``estimator`` has ``coef_``.

    Parameters
    ----------
    estimator : LinearRegression
    """
    if not hasattr(estimator, "coef_"):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator)


def assert_all_finite(a: np.ndarray, *, input_name: str) -> None:
    """Raise scikit-learn's error for NaN or infinity in ``a`` (scikit-learn imported then).

    Parameters
    ----------
    a : ndarray
    input_name : str
        The name in the message ("X", "y").
    """
    if all_finite(a):
        return
    from sklearn.utils.validation import _assert_all_finite

    _assert_all_finite(a, input_name=input_name)


def check_rows_and_weights(sum_w: float, n_samples: int) -> None:
    """Refuse data without rows, or whose weights are all zero.

    Parameters
    ----------
    sum_w : float
        The sum of the weights (or any positive number when nothing is weighted).
    n_samples : int
        Rows read.

    Raises
    ------
    ValueError
        Naming which of the two it is.
    """
    if n_samples == 0:
        raise ValueError("the data has no rows")
    if sum_w <= 0.0:
        raise ValueError("sample_weight must not be all zero")


def as_weights(sample_weight: Any, n_rows: int) -> np.ndarray:
    """Return weights given without scikit-learn's checks (kernels, chunks) as float64, checked.

    Parameters
    ----------
    sample_weight : array-like of shape (n_rows,) or None
        None means unit weights.
    n_rows : int
        Rows of the data they weigh.

    Returns
    -------
    ndarray of shape (n_rows,) or (0,), float64
        No rows for unit weights; not a copy when already float64.

    Raises
    ------
    ValueError
        For another shape, or a negative or non-finite weight.
    """
    if sample_weight is None:
        return np.empty(0)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n_rows,):
        raise ValueError(f"sample_weight has shape {sw.shape}, expected ({n_rows},)")
    if not (all_finite(sw) and np.all(sw >= 0)):
        raise ValueError("sample_weight must be finite and non-negative")
    return sw


def fitted_blocks(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return a fitted model's ``coef_`` and ``intercept_`` as float64 blocks, one row per target.

    Parameters
    ----------
    model : LinearRegression
        Fitted, with one target (1-D ``coef_``) or several.

    Returns
    -------
    coef : ndarray of shape (n_targets, n_features), float64
    intercept : ndarray of shape (n_targets,), float64
        A fresh array (``intercept_`` may be one number for every target).
    """
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))
    k = coef.shape[0]
    intercept = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (k,)).copy()
    return coef, intercept

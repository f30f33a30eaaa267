"""The documented low-level kernel API, for embedding fastlinreg's passes in pipelines.

These functions validate their arguments and call the compiled kernels. They never copy or write
``X`` (float32 or float64, any memory layout, read-only allowed); a ``y`` of another numeric type
is converted to float64. Non-finite input is not rejected: it propagates to the results (a NaN or
infinity anywhere in ``X`` or ``y`` makes the loss non-finite).

All sums are accumulated in float64 in a fixed number of row chunks merged in a fixed order, so
the results do not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np

from . import _fused, _kernels
from ._runtime import launch
from ._stats import SufficientStats, compute_stats
from ._validation import as_weights, check_rows_and_weights

__all__ = ["SufficientStats", "gram", "predict", "residual_gradient"]


def _check_X(X) -> np.ndarray:
    if not isinstance(X, np.ndarray):
        raise TypeError(f"X must be a numpy.ndarray, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}")
    if X.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"X must be float32 or float64, got {X.dtype}; convert it once with "
            "X.astype(np.float64) (the kernels never copy X themselves)"
        )
    return X


def _as_float(a, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "fiub" or a.dtype == np.float16:
        raise TypeError(f"{name} must be real numbers, got dtype {a.dtype}")
    if a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float64)
    return a


def _coef_block(coef, intercept, k: int, d: int, multi: bool) -> tuple[np.ndarray, np.ndarray]:
    coef = np.asarray(coef, dtype=np.float64)
    expected = (k, d) if multi else (d,)
    if coef.shape != expected:
        raise ValueError(f"coef must have shape {expected}, got {coef.shape}")
    intercept = np.asarray(intercept, dtype=np.float64)
    if intercept.shape not in ((), (k,)):
        raise ValueError(f"intercept must be a scalar or have shape ({k},), got {intercept.shape}")
    # A NaN here would come back as a NaN gradient, indistinguishable from NaN in X.
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        raise ValueError("coef and intercept must be finite")
    return coef.reshape(k, d), np.broadcast_to(intercept, (k,)).copy()


def residual_gradient(X, y, coef, intercept, sample_weight=None):
    """One fused pass: the least-squares gradient and loss at ``(coef, intercept)``.

    With residuals ``r = X @ coef.T + intercept - y`` and weights ``w`` (ones by default)::

        grad_coef      = sum_i w_i r_i x_i / sum_i w_i
        grad_intercept = sum_i w_i r_i     / sum_i w_i
        loss           = sum_i w_i r_i**2  / (2 sum_i w_i)

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Design matrix; read in place, never copied.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; converted to float64 unless float32 or float64.
    coef : array-like of shape (n_features,) or (n_targets, n_features)
        ``(n_features,)`` when ``y`` is 1-D, ``(n_targets, n_features)`` when it is 2-D.
    intercept : float or array-like of shape (n_targets,)
        Intercept of each target; a scalar is broadcast to every target.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights with a positive sum.

    Returns
    -------
    grad_coef : ndarray, float64
        Same shape as ``coef``.
    grad_intercept : float or ndarray of shape (n_targets,)
        Gradient with respect to the intercept; a float when ``y`` is 1-D.
    loss : float or ndarray of shape (n_targets,)
        Half the weighted mean squared residual; a float when ``y`` is 1-D.

    Examples
    --------
    >>> import numpy as np
    >>> from fastlinreg.kernels import residual_gradient
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> g, gb, loss = residual_gradient(X, np.array([1.0, 2.0]), np.zeros(2), 0.0)
    >>> g, gb, loss
    (array([-0.5, -1. ]), -1.5, 1.25)
    """
    X = _check_X(X)
    y = _as_float(y, "y")
    n, d = X.shape
    multi = y.ndim == 2
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ValueError(f"y must have shape ({n},) or ({n}, n_targets), got {y.shape}")
    Y = y if multi else y[:, None]
    coef2, intercept1 = _coef_block(coef, intercept, Y.shape[1], d, multi)
    sw = _check_weights(sample_weight, n)
    sum_w = float(n) if sw.shape[0] == 0 else float(sw.sum())
    if n == 0:
        raise ValueError("X has no rows")
    g, gb, lo = launch(_fused.fused_pass_for(X), X, Y, coef2, intercept1, sw, _kernels.N_CHUNKS)
    g /= sum_w
    gb /= sum_w
    lo /= 2.0 * sum_w
    if multi:
        return g, gb, lo
    return g[0], float(gb[0]), float(lo[0])


def _check_weights(sample_weight, n: int) -> np.ndarray:
    sw = as_weights(sample_weight, n)
    if sw.shape[0]:
        check_rows_and_weights(float(sw.sum()), n)
    return sw


def predict(X, coef, intercept):
    """Return ``X @ coef.T + intercept``, accumulated in float64, in ``X``'s dtype.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Design matrix; read in place, never copied.
    coef : array-like of shape (n_features,) or (n_targets, n_features)
        Coefficients; 2-D for several targets.
    intercept : float or array-like of shape (n_targets,)
        Intercept of each target; a scalar is broadcast to every target.

    Returns
    -------
    ndarray of shape (n_samples,) or (n_samples, n_targets)
        Predictions in ``X``'s dtype; 2-D when ``coef`` is 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> from fastlinreg.kernels import predict
    >>> predict(np.array([[1.0, 2.0]]), np.array([3.0, 4.0]), 0.5)
    array([11.5])
    """
    X = _check_X(X)
    coef_arr = np.asarray(coef)
    multi = coef_arr.ndim == 2
    k = coef_arr.shape[0] if multi else 1
    coef2, intercept1 = _coef_block(coef_arr, intercept, k, X.shape[1], multi)
    out = np.empty((X.shape[0], k), dtype=X.dtype)
    launch(_kernels.predict_into, X, coef2, intercept1, out, _kernels.N_CHUNKS)
    return out if multi else out[:, 0]


def gram(X, y, sample_weight=None) -> SufficientStats:
    """One pass over ``X``: the sufficient statistics of weighted least squares.

    Accumulated in float64 (also for float32 ``X``) over a fixed number of row chunks, each in
    row blocks, so extra memory is ``O(d^2)`` per chunk plus one block, never a copy of ``X``.
    Below 24 features a Numba kernel builds each chunk; above, float64 row blocks go through
    single-threaded BLAS ``syrk`` while the chunks run in parallel threads.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Design matrix; read in place, never copied.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; converted to float64 unless float32 or float64.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights with a positive sum.

    Returns
    -------
    SufficientStats
        Centred moments (``sum_w``, ``mean_x``, ``mean_y``, ``cxx``, ``cxy``, ``cyy``) and the
        raw ``xtx`` (``X^T W X``), ``xty``, ``yty``, ``x_sum`` and ``y_sum`` as properties;
        ``merge`` combines the statistics of two row sets exactly. ``cxy`` has one column per
        target (one for 1-D ``y``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastlinreg.kernels import gram
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> stats = gram(X, np.array([1.0, 0.0]))
    >>> stats.xtx
    array([[10., 14.],
           [14., 20.]])
    >>> stats.xty[:, 0], stats.sum_w
    (array([1., 2.]), 2.0)
    """
    X = _check_X(X)
    y = _as_float(y, "y")
    n = X.shape[0]
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise ValueError(f"y must have shape ({n},) or ({n}, n_targets), got {y.shape}")
    if n == 0:
        raise ValueError("X has no rows")
    return compute_stats(X, y if y.ndim == 2 else y[:, None], _check_weights(sample_weight, n))

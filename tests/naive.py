"""Naive reference implementations: the answers the tests hold fastlinreg to.

Each is written the plain way, in NumPy (or in exact or extended arithmetic), independently of
the package's code.
"""

from __future__ import annotations

import operator
from fractions import Fraction

import numpy as np


def numpy_residual_gradient(X, y, coef, intercept, sample_weight=None):
    """The fused pass written with NumPy in float64: the oracle for the kernels."""
    X64 = np.asarray(X, dtype=np.float64)
    Y = np.asarray(y, dtype=np.float64)
    multi = Y.ndim == 2
    Y = Y if multi else Y[:, None]
    C = np.asarray(coef, dtype=np.float64).reshape(Y.shape[1], X64.shape[1])
    b = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (Y.shape[1],))
    w = np.ones(X64.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    r = X64 @ C.T + b - Y
    wr = w[:, None] * r
    sw = w.sum()
    g = wr.T @ X64 / sw
    gb = wr.sum(axis=0) / sw
    loss = (wr * r).sum(axis=0) / (2 * sw)
    if multi:
        return g, gb, loss
    return g[0], gb[0], loss[0]


def lstsq_fit(X, y, sample_weight=None, fit_intercept=True, scale_columns=True):
    """Closed-form least squares (minimum-norm) via ``np.linalg.lstsq``: (coef, intercept).

    With ``scale_columns`` the columns are standardised before the solve (which keeps lstsq's
    rank cut-off meaningful across decades of scale); on rank-deficient data the result is then
    the minimum-norm solution in standardised coordinates, otherwise the Euclidean one.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    if fit_intercept:
        mu = w @ X / w.sum()
        ybar = w @ y / w.sum()
        Xc, yc = X - mu, y - ybar
    else:
        Xc, yc = X, y
    sq = np.sqrt(w)
    # Column scaling keeps lstsq's rank cut-off meaningful when scales span many decades.
    norms = np.sqrt(w @ Xc**2 / w.sum()) if scale_columns else np.ones(X.shape[1])
    norms[norms == 0] = 1.0
    coef = np.linalg.lstsq(Xc * sq[:, None] / norms, (yc.T * sq).T, rcond=None)[0].T / norms
    intercept = ybar - coef @ mu if fit_intercept else np.zeros(np.shape(coef)[:-1])
    return coef, intercept


def exact_lstsq(X, y, fit_intercept=True, sample_weight=None, steps=4):
    """The least-squares solution of the stored data to beyond float64 accuracy: (coef, intercept).

    ``np.linalg.lstsq`` on ``[1 | X]`` (Householder QR via SVD), then refinement steps whose
    residuals are computed in extended precision (``np.longdouble``), so that the reference is
    limited by the problem's conditioning times the extended precision's unit roundoff rather
    than float64's: an independent reference for the solvers' errors.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    A = np.c_[np.ones(len(X)), X] if fit_intercept else X
    if sample_weight is not None:
        root = np.sqrt(np.asarray(sample_weight, dtype=np.float64))
        A, y = A * root[:, None], y * root
    norms = np.sqrt((A**2).sum(axis=0))
    norms[norms == 0] = 1.0
    As = A / norms
    sol = np.linalg.lstsq(As, y, rcond=None)[0]
    A_ld, y_ld = As.astype(np.longdouble), y.astype(np.longdouble)
    sol_ld = sol.astype(np.longdouble)
    for _ in range(steps):
        r = y_ld - A_ld @ sol_ld
        sol_ld = sol_ld + np.linalg.lstsq(As, r.astype(np.float64), rcond=None)[0]
    sol = (sol_ld / norms).astype(np.float64)
    return (sol[1:], sol[0]) if fit_intercept else (sol, 0.0)


def exact_fit_quality(X: np.ndarray, y: np.ndarray, coef: np.ndarray) -> tuple[Fraction, Fraction]:
    """In exact arithmetic: the best intercept for ``coef`` on ``(X, y)``, and its mean square."""
    c = [Fraction(float(v)) for v in coef]
    residual = [
        Fraction(float(t)) - sum(map(operator.mul, c, map(Fraction, row)))
        for row, t in zip(X, y, strict=True)
    ]
    best = sum(residual) / len(residual)
    return best, sum((r - best) ** 2 for r in residual) / len(residual)

"""One-pass tall-skinny QR of the root-weighted design ``[1 | X - shift | Y - shift]``.

Householder QR (LAPACK ``geqrf`` through NumPy) runs on row blocks: each block is stacked under
the ``R`` factor accumulated so far in its chunk and factored again, so only a ``p x p`` triangle
(``p = 1 + d + k``) survives a block. Rows are cut into chunks fixed by the shape (as for the
statistics), chunks run in parallel, and their factors are merged pairwise in a fixed tree: the
result does not depend on the thread count. :class:`QRFactor` merges exactly like the
statistics, so ``partial_fit``, file chunks and Dask blocks combine their factors.

The factor keeps the accuracy of QR: unlike the normal equations it does not square the
condition number, which is what data such as NIST's Filip (a degree-10 polynomial) need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._stats import gram_chunks, row_shift, run_chunks

#: Size of one float64 block of the design factored at a time.
_BLOCK_BYTES = 2 * 2**20


def _qr_r(A: np.ndarray) -> np.ndarray:
    """Return the ``R`` factor of ``A``, padded with zero rows to a square."""
    p = A.shape[1]
    R: np.ndarray = np.linalg.qr(A, mode="r")  # type: ignore[assignment]
    if R.shape[0] < p:
        R = np.vstack([R, np.zeros((p - R.shape[0], p))])
    return R


@dataclass(frozen=True)
class QRFactor:
    """The ``R`` factor of the root-weighted, shifted design and targets.

    Columns are ``[1 | X - shift_x | Y - shift_y]`` with an intercept and ``[X | Y]`` without,
    every row scaled by the root of its weight.

    Attributes
    ----------
    R : ndarray of shape (p, p)
        Upper triangular.
    shift_x : ndarray of shape (d,)
    shift_y : ndarray of shape (k,)
    n_features : int
    fit_intercept : bool
    n_samples : int
    """

    R: np.ndarray
    shift_x: np.ndarray
    shift_y: np.ndarray
    n_features: int
    fit_intercept: bool
    n_samples: int

    @property
    def _offset(self) -> int:
        return int(self.fit_intercept)

    @property
    def sum_w(self) -> float:
        """Total weight (with an intercept; the sum of squares of the weight column)."""
        if not self.fit_intercept:
            raise ValueError("a factor without the intercept column does not hold the weights")
        return float(self.R[0, 0] ** 2)

    @property
    def xx(self) -> np.ndarray:
        """The factor of the (centred, with an intercept) design columns, shape (d, d)."""
        o, d = self._offset, self.n_features
        return self.R[o : o + d, o : o + d]

    @property
    def xy(self) -> np.ndarray:
        """``Q^T y`` on the design's columns, shape (d, k)."""
        o, d = self._offset, self.n_features
        return self.R[o : o + d, o + d :]

    @property
    def mean_x(self) -> np.ndarray:
        """Weighted column means (with an intercept)."""
        o, d = self._offset, self.n_features
        r00 = self.R[0, 0]
        if r00 == 0.0:
            return self.shift_x.copy()
        return self.shift_x + self.R[0, o : o + d] / r00

    def residual_ss(self) -> np.ndarray:
        """Residual sum of squares of the unpenalised least-squares fit, per target."""
        o, d = self._offset, self.n_features
        yy = self.R[o + d :, o + d :]
        return np.einsum("ij,ij->j", yy, yy)

    def intercept_for(self, coef: np.ndarray) -> np.ndarray:
        """Return the optimal intercept for coefficients ``coef`` of shape (d, k)."""
        if not self.fit_intercept:
            return np.zeros(coef.shape[1])
        d = self.n_features
        r00 = self.R[0, 0]
        row = self.R[0]
        offset = (row[1 + d :] - row[1 : 1 + d] @ coef) / r00 if r00 != 0.0 else 0.0
        return self.shift_y + offset - self.shift_x @ coef

    def _shifted_to(self, shift_x: np.ndarray, shift_y: np.ndarray) -> np.ndarray:
        """``R`` of the same rows in coordinates shifted by other amounts (exact algebra)."""
        if not self.fit_intercept:
            return self.R
        d = self.n_features
        T = np.eye(self.R.shape[0])
        T[0, 1 : 1 + d] = self.shift_x - shift_x
        T[0, 1 + d :] = self.shift_y - shift_y
        return self.R @ T

    def merge(self, other: QRFactor) -> QRFactor:
        """Return the factor of both row sets, in this factor's shift.

        Parameters
        ----------
        other : QRFactor
            Of other rows, with the same columns.

        Returns
        -------
        QRFactor
        """
        if other.n_samples == 0:
            return self
        if self.n_samples == 0:
            return other
        stacked = np.vstack([self.R, other._shifted_to(self.shift_x, self.shift_y)])
        return QRFactor(
            _qr_r(stacked),
            self.shift_x,
            self.shift_y,
            self.n_features,
            self.fit_intercept,
            self.n_samples + other.n_samples,
        )


def _chunk_factor(X, Y, sw, shift_x, shift_y, fit_intercept, start, stop) -> np.ndarray:
    d, k = X.shape[1], Y.shape[1]
    o = int(fit_intercept)
    p = o + d + k
    rows = min(max(_BLOCK_BYTES // (8 * p), 4 * p), max(stop - start, 1))
    buf = np.empty((p + rows, p))
    R = np.zeros((p, p))
    for i0 in range(start, stop, rows):
        i1 = min(i0 + rows, stop)
        m = i1 - i0
        z = buf[p : p + m]
        buf[:p] = R
        if fit_intercept:
            z[:, 0] = 1.0
        np.subtract(X[i0:i1], shift_x, out=z[:, o : o + d])
        np.subtract(Y[i0:i1], shift_y, out=z[:, o + d :])
        if sw.shape[0]:
            z *= np.sqrt(sw[i0:i1])[:, None]
        R = _qr_r(buf[: p + m])
    return R


def compute_qr(
    X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray, fit_intercept: bool
) -> QRFactor:
    """One pass over ``X``: the QR factor of its root-weighted, shifted design.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
        Read in place, never copied (blocks of it are converted to float64).
    Y : ndarray of shape (n, k), float32 or float64
    sample_weight : ndarray of shape (n,) or (0,), float64
        Zero rows means unit weights.
    fit_intercept : bool
        Whether the design has the column of ones (and is shifted by the mean of its first
        rows, so that column offsets cost no digits).

    Returns
    -------
    QRFactor
    """
    n, d = X.shape
    k = Y.shape[1]
    p = int(fit_intercept) + d + k
    if fit_intercept:
        shift_x, shift_y = row_shift(X, Y)
    else:
        shift_x, shift_y = np.zeros(d), np.zeros(k)
    if n == 0:
        return QRFactor(np.zeros((p, p)), shift_x, shift_y, d, fit_intercept, 0)
    n_chunks = gram_chunks(n, p)
    bounds = [(c * n // n_chunks, (c + 1) * n // n_chunks) for c in range(n_chunks)]
    parts = run_chunks(
        lambda b: _chunk_factor(X, Y, sample_weight, shift_x, shift_y, fit_intercept, b[0], b[1]),
        bounds,
        blas=True,
    )
    # Pairwise merges in a fixed tree: the same order for any number of threads.
    while len(parts) > 1:
        parts = [
            _qr_r(np.vstack(parts[i : i + 2])) if i + 1 < len(parts) else parts[i]
            for i in range(0, len(parts), 2)
        ]
    return QRFactor(parts[0], shift_x, shift_y, d, fit_intercept, n)

"""Numba kernels: pure functions on arrays and scalars.

Every kernel splits the rows into ``n_chunks`` fixed chunks (boundaries depend only on ``n`` and
``n_chunks``), gives each chunk private float64 accumulators, and merges the chunks serially in
chunk order. The result is therefore bitwise identical for any number of threads.

Kernels never write or copy their inputs and never allocate memory proportional to ``n`` (except
``predict_into``, which fills the caller's output). A ``Y`` with zero rows means "y is zero"; an
``sw`` with zero rows means "all weights are one".
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._jit import FASTMATH, jit

#: Default number of row chunks; fixed so that results do not depend on the thread count.
N_CHUNKS = 64


@njit(inline="always")
def _chunk_bounds(c, n, n_chunks):
    return c * n // n_chunks, (c + 1) * n // n_chunks


@jit(parallel=True, fastmath=FASTMATH)
def predict_into(X, coef, intercept, out, n_chunks):
    """Write ``X @ coef.T + intercept`` into ``out`` (shape (n, k)), accumulating in float64."""
    n, d = X.shape
    k = coef.shape[0]
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n, n_chunks)
        for i in range(start, stop):
            for t in range(k):
                acc = intercept[t]
                for j in range(d):
                    acc += X[i, j] * coef[t, j]
                out[i, t] = acc


@jit(parallel=True, fastmath=FASTMATH)
def column_moments(X, sw, n_chunks):
    """Weighted column means and centred sums of squares in one pass.

    Chunks accumulate sums shifted by the first row of ``X`` and are merged in order with
    Chan's pairwise update, which stays accurate for columns with large offsets.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    sw : ndarray of shape (n,) or (0,), float64
    n_chunks : int

    Returns
    -------
    sum_w : float
        Total weight.
    mean : ndarray of shape (d,)
        Weighted column means.
    m2 : ndarray of shape (d,)
        Weighted centred sums of squares ``sum_i w_i (x_ij - mean_j)**2``.
    sumsq : ndarray of shape (d,)
        Weighted raw sums of squares ``sum_i w_i x_ij**2``.
    """
    n, d = X.shape
    has_w = sw.shape[0] > 0
    # Sums are taken relative to the first row, so that a large common offset cancels exactly
    # (Sterbenz) before squaring; chunk means are merged in these shifted coordinates.
    shift = np.empty(d)
    for j in range(d):
        shift[j] = X[0, j] if n > 0 else 0.0
    part_w = np.zeros(n_chunks)
    part_mean = np.zeros((n_chunks, d))
    part_m2 = np.zeros((n_chunks, d))
    part_sq = np.zeros((n_chunks, d))
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n, n_chunks)
        s1 = np.zeros(d)
        s2 = np.zeros(d)
        sq = np.zeros(d)
        wsum = 0.0
        for i in range(start, stop):
            wi = sw[i] if has_w else 1.0
            wsum += wi
            for j in range(d):
                x = X[i, j]
                dx = x - shift[j]
                s1[j] += wi * dx
                s2[j] += wi * dx * dx
                sq[j] += wi * x * x
        part_w[c] = wsum
        for j in range(d):
            if wsum > 0.0:
                part_mean[c, j] = s1[j] / wsum
                part_m2[c, j] = max(s2[j] - s1[j] * s1[j] / wsum, 0.0)
            part_sq[c, j] = sq[j]
    sum_w = 0.0
    mean = np.zeros(d)
    m2 = np.zeros(d)
    sumsq = np.zeros(d)
    for c in range(n_chunks):
        wc = part_w[c]
        for j in range(d):
            sumsq[j] += part_sq[c, j]
        if wc <= 0.0:
            continue
        total = sum_w + wc
        for j in range(d):
            delta = part_mean[c, j] - mean[j]
            mean[j] += delta * (wc / total)
            m2[j] += part_m2[c, j] + delta * delta * (sum_w * wc / total)
        sum_w = total
    for j in range(d):
        mean[j] += shift[j]
    return sum_w, mean, m2, sumsq


@jit(nogil=True, fastmath=FASTMATH)
def gram_chunk(X, Y, sw, shift_x, shift_y, start, stop):
    """Shifted weighted sums of rows ``[start, stop)``, for the sufficient statistics.

    Serial and GIL-free: callers run chunks on their own threads. Rows are taken four at a
    time so that each update of the d x d accumulator carries four multiply-adds; values are
    shifted first, so that a large common offset cancels before any product.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    Y : ndarray of shape (n, k), float32 or float64
    sw : ndarray of shape (n,) or (0,), float64
    shift_x : ndarray of shape (d,), float64
        A point near the column means.
    shift_y : ndarray of shape (k,), float64
    start, stop : int
        The rows to read.

    Returns
    -------
    sum_w : float
    sx : ndarray of shape (d,)
        ``sum_i w_i (x_i - shift_x)``.
    sy : ndarray of shape (k,)
    xx : ndarray of shape (d, d)
        Upper triangle of ``sum_i w_i (x_i - shift_x)(x_i - shift_x)^T``.
    xy : ndarray of shape (d, k)
    yy : ndarray of shape (k,)
        ``sum_i w_i (y_it - shift_y_t)**2``.
    """
    d = X.shape[1]
    k = Y.shape[1]
    has_w = sw.shape[0] > 0
    xb = np.zeros((4, d))
    yb = np.zeros((4, k))
    wb = np.zeros(4)
    xx = np.zeros((d, d))
    xy = np.zeros((d, k))
    sx = np.zeros(d)
    sy = np.zeros(k)
    yy = np.zeros(k)
    wsum = 0.0
    for i0 in range(start, stop, 4):
        m = min(4, stop - i0)
        for r in range(4):
            if r < m:
                wb[r] = sw[i0 + r] if has_w else 1.0
                for j in range(d):
                    xb[r, j] = X[i0 + r, j] - shift_x[j]
                for t in range(k):
                    yb[r, t] = Y[i0 + r, t] - shift_y[t]
            else:
                # Padding rows carry zero weight and zero values.
                wb[r] = 0.0
                xb[r, :] = 0.0
                yb[r, :] = 0.0
        for r in range(4):
            wsum += wb[r]
            for t in range(k):
                sy[t] += wb[r] * yb[r, t]
                yy[t] += wb[r] * yb[r, t] * yb[r, t]
        for j in range(d):
            a0 = wb[0] * xb[0, j]
            a1 = wb[1] * xb[1, j]
            a2 = wb[2] * xb[2, j]
            a3 = wb[3] * xb[3, j]
            sx[j] += a0 + a1 + a2 + a3
            for t in range(k):
                xy[j, t] += a0 * yb[0, t] + a1 * yb[1, t] + a2 * yb[2, t] + a3 * yb[3, t]
            for q in range(j, d):
                xx[j, q] += a0 * xb[0, q] + a1 * xb[1, q] + a2 * xb[2, q] + a3 * xb[3, q]
    return wsum, sx, sy, xx, xy, yy


@jit(fastmath=FASTMATH)
def merge_shifted_sums(part_w, part_sx, part_sy, part_xx, part_xy, part_yy, shift_x, shift_y):
    """Merge per-chunk shifted sums, in chunk order, into centred moments.

    ``part_xx[c]`` needs only its upper triangle.

    Returns
    -------
    sum_w : float
    mean_x : ndarray of shape (d,)
    mean_y : ndarray of shape (k,)
    cxx : ndarray of shape (d, d)
        ``sum_i w_i (x_i - mean_x)(x_i - mean_x)^T``.
    cxy : ndarray of shape (d, k)
    cyy : ndarray of shape (k,)
    """
    n_chunks, d = part_sx.shape
    k = part_sy.shape[1]
    sum_w = 0.0
    mx = np.zeros(d)
    my = np.zeros(k)
    cxx = np.zeros((d, d))
    cxy = np.zeros((d, k))
    cyy = np.zeros(k)
    for c in range(n_chunks):
        wc = part_w[c]
        if wc <= 0.0:
            continue
        # Centre the chunk's shifted sums at its own mean, then merge (Chan et al.).
        ax = part_sx[c] / wc
        ay = part_sy[c] / wc
        total = sum_w + wc
        f = sum_w * wc / total
        dx = ax - mx
        dy = ay - my
        for j in range(d):
            for q in range(j, d):
                cxx[j, q] += part_xx[c, j, q] - wc * ax[j] * ax[q] + f * dx[j] * dx[q]
            for t in range(k):
                cxy[j, t] += part_xy[c, j, t] - wc * ax[j] * ay[t] + f * dx[j] * dy[t]
        for t in range(k):
            cyy[t] += part_yy[c, t] - wc * ay[t] * ay[t] + f * dy[t] * dy[t]
        mx += dx * (wc / total)
        my += dy * (wc / total)
        sum_w = total
    for j in range(d):
        for q in range(j + 1, d):
            cxx[q, j] = cxx[j, q]
    return sum_w, mx + shift_x, my + shift_y, cxx, cxy, cyy


@jit(parallel=True, fastmath=FASTMATH)
def shifted_residual_sums(X, Y, sw, shift_x, shift_y, coef, offset, n_chunks):
    """Residual sums in shifted coordinates: what iterative refinement needs, in one pass.

    With ``xs_i = x_i - shift_x`` and ``r_it = (Y[i, t] - shift_y[t]) - offset[t] - xs_i @ coef[t]``
    this returns ``G[t] = sum_i w_i r_it xs_i``, ``Gb[t] = sum_i w_i r_it`` and
    ``L[t] = sum_i w_i r_it**2``. Subtracting the shifts (the column means) before multiplying
    keeps the digits that large column offsets would otherwise cancel away.

    Parameters
    ----------
    X : ndarray of shape (n, d), float32 or float64
    Y : ndarray of shape (n, k), float32 or float64
    sw : ndarray of shape (n,) or (0,), float64
    shift_x : ndarray of shape (d,), float64
    shift_y : ndarray of shape (k,), float64
    coef : ndarray of shape (k, d), float64
    offset : ndarray of shape (k,), float64
    n_chunks : int

    Returns
    -------
    G : ndarray of shape (k, d)
    Gb : ndarray of shape (k,)
    L : ndarray of shape (k,)
    """
    n, d = X.shape
    k = coef.shape[0]
    has_w = sw.shape[0] > 0
    part_g = np.zeros((n_chunks, k, d))
    part_b = np.zeros((n_chunks, k))
    part_l = np.zeros((n_chunks, k))
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n, n_chunks)
        xs = np.empty(d)
        g = np.zeros((k, d))
        for i in range(start, stop):
            for j in range(d):
                xs[j] = X[i, j] - shift_x[j]
            wi = sw[i] if has_w else 1.0
            for t in range(k):
                r = (Y[i, t] - shift_y[t]) - offset[t]
                for j in range(d):
                    r -= xs[j] * coef[t, j]
                a = wi * r
                part_b[c, t] += a
                part_l[c, t] += a * r
                for j in range(d):
                    g[t, j] += a * xs[j]
        part_g[c] = g
    G = np.zeros((k, d))
    Gb = np.zeros(k)
    L = np.zeros(k)
    for c in range(n_chunks):
        G += part_g[c]
        Gb += part_b[c]
        L += part_l[c]
    return G, Gb, L

"""Numba kernels over CSR matrices: every pass reads the nonzeros in place, never densifies.

A CSR matrix is passed as its three arrays ``(data, indices, indptr)``: ``data`` float32 or
float64, ``indices`` and ``indptr`` int32 or int64. Indices need not be sorted within a row,
explicit zeros are harmless, and duplicate entries of a row count as their sum (as scipy reads
them): every kernel is linear in the entries of a row, or, where it squares them, takes all
ordered pairs of the row's entries or first adds a row's duplicates together.

As in :mod:`fastlinreg._kernels`, row-parallel kernels cut the rows into ``n_chunks`` fixed
chunks with private float64 accumulators merged in chunk order, so results are bitwise identical
for any number of threads. The Gram kernel is parallel over fixed blocks of output rows instead:
each entry of ``X^T W X`` is summed by one task, in row order.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import FASTMATH, jit
from ._kernels import _chunk_bounds


@jit(parallel=True, fastmath=FASTMATH)
def fused_pass(data, indices, indptr, d, Y, coef, intercept, sw, n_chunks):
    """Run the fused pass over CSR ``X``: residuals, gradient, intercept gradient and loss.

    With ``r_it = intercept[t] + x_i @ coef[t] - Y[i, t]`` (``Y`` taken as zero when it has no
    rows) this returns ``sum_i w_i r_i x_i`` (k, d), ``sum_i w_i r_i`` (k,) and
    ``sum_i w_i r_i**2`` (k,), float64. Each row's nonzeros are read once from memory (the
    second use, for the gradient, finds them in cache).
    """
    n = indptr.shape[0] - 1
    k = coef.shape[0]
    has_y = Y.shape[0] > 0
    has_w = sw.shape[0] > 0
    part_g = np.zeros((n_chunks, k, d))
    part_b = np.zeros((n_chunks, k))
    part_l = np.zeros((n_chunks, k))
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n, n_chunks)
        g = part_g[c]
        # Chunk-local sums, stored once: neighbouring chunks' entries share cache lines.
        gb = np.zeros(k)
        loss = np.zeros(k)
        for i in range(start, stop):
            p0, p1 = indptr[i], indptr[i + 1]
            wi = sw[i] if has_w else 1.0
            for t in range(k):
                r = intercept[t]
                if has_y:
                    r -= Y[i, t]
                for p in range(p0, p1):
                    r += data[p] * coef[t, indices[p]]
                a = wi * r
                gb[t] += a
                loss[t] += a * r
                for p in range(p0, p1):
                    g[t, indices[p]] += a * data[p]
        part_b[c] = gb
        part_l[c] = loss
    G = np.zeros((k, d))
    Gb = np.zeros(k)
    L = np.zeros(k)
    for c in range(n_chunks):
        G += part_g[c]
        Gb += part_b[c]
        L += part_l[c]
    return G, Gb, L


@jit(parallel=True, fastmath=FASTMATH)
def column_sums(data, indices, indptr, d, sw, n_chunks):
    """Weighted column sums and sums of squares, and the total weight, in one pass.

    Squares are of each row's summed duplicates: a row's entries are first added into a
    per-chunk scratch row, then squared and the scratch cleared, touching only the nonzeros.

    Returns
    -------
    sum_w : float
    sums : ndarray of shape (d,)
        ``sum_i w_i x_ij``.
    sumsq : ndarray of shape (d,)
        ``sum_i w_i x_ij**2``.
    """
    n = indptr.shape[0] - 1
    has_w = sw.shape[0] > 0
    part_s = np.zeros((n_chunks, d))
    part_q = np.zeros((n_chunks, d))
    part_w = np.zeros(n_chunks)
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n, n_chunks)
        s = part_s[c]
        q = part_q[c]
        row = np.zeros(d)
        wsum = 0.0
        for i in range(start, stop):
            p0, p1 = indptr[i], indptr[i + 1]
            wi = sw[i] if has_w else 1.0
            wsum += wi
            for p in range(p0, p1):
                row[indices[p]] += data[p]
            for p in range(p0, p1):
                j = indices[p]
                v = row[j]
                s[j] += wi * v
                q[j] += wi * v * v
                row[j] = 0.0  # a duplicate met later in the row adds nothing more
        part_w[c] = wsum
    sums = np.zeros(d)
    sumsq = np.zeros(d)
    sum_w = 0.0
    for c in range(n_chunks):
        sums += part_s[c]
        sumsq += part_q[c]
        sum_w += part_w[c]
    return sum_w, sums, sumsq


@jit(parallel=True, fastmath=FASTMATH)
def gram(data, indices, indptr, bounds, Y, shift_y, sw):
    """``X^T W X`` (full, symmetric) and ``X^T W (Y - shift_y)`` from the nonzeros, in one pass.

    Task ``b`` owns the output rows ``[bounds[b], bounds[b + 1])``: it reads every row of ``X``
    and, for each of the row's entries in its column range, adds the products with the row's
    entries of equal or larger column (all ordered pairs within a column, so duplicates count
    as their sum). Tasks write disjoint rows, so one ``d x d`` matrix serves all of them; the
    lower triangle is the mirror of the upper one.

    Parameters
    ----------
    data, indices, indptr : ndarray
        CSR arrays of ``X`` (n, d).
    bounds : ndarray of int64, shape (n_blocks + 1,)
        Increasing column boundaries from 0 to d.
    Y : ndarray of shape (n, k), float32 or float64
    shift_y : ndarray of shape (k,), float64
    sw : ndarray of shape (n,) or (0,), float64

    Returns
    -------
    xtx : ndarray of shape (d, d)
    xty : ndarray of shape (d, k)
    """
    n = indptr.shape[0] - 1
    d = bounds[-1]
    k = Y.shape[1]
    n_blocks = bounds.shape[0] - 1
    has_w = sw.shape[0] > 0
    xtx = np.zeros((d, d))
    xty = np.zeros((d, k))
    for b in prange(n_blocks):
        j0, j1 = bounds[b], bounds[b + 1]
        for i in range(n):
            p0, p1 = indptr[i], indptr[i + 1]
            wi = sw[i] if has_w else 1.0
            for p in range(p0, p1):
                j = indices[p]
                if j < j0 or j >= j1:
                    continue
                a = wi * data[p]
                for t in range(k):
                    xty[j, t] += a * (Y[i, t] - shift_y[t])
                for q in range(p0, p1):
                    col = indices[q]
                    if col >= j:
                        xtx[j, col] += a * data[q]
    for j in range(d):
        for col in range(j + 1, d):
            xtx[col, j] = xtx[j, col]
    return xtx, xty


@jit(parallel=True, fastmath=FASTMATH)
def predict_into(data, indices, indptr, coef, intercept, out, n_chunks):
    """Write ``X @ coef.T + intercept`` into ``out`` (shape (n, k)), accumulating in float64."""
    n = indptr.shape[0] - 1
    k = coef.shape[0]
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n, n_chunks)
        for i in range(start, stop):
            for t in range(k):
                acc = intercept[t]
                for p in range(indptr[i], indptr[i + 1]):
                    acc += data[p] * coef[t, indices[p]]
                out[i, t] = acc


@jit(parallel=True, fastmath=FASTMATH)
def transpose_times(data, indices, indptr, d, U, n_chunks):
    """``X^T @ U`` (d, k) for CSR ``X`` and dense ``U`` (n, k), in float64."""
    n = indptr.shape[0] - 1
    k = U.shape[1]
    part = np.zeros((n_chunks, d, k))
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n, n_chunks)
        acc = part[c]
        for i in range(start, stop):
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                for t in range(k):
                    acc[j, t] += data[p] * U[i, t]
    out = np.zeros((d, k))
    for c in range(n_chunks):
        out += part[c]
    return out


@jit(parallel=True, fastmath=FASTMATH)
def row_gram(data, indices, indptr, d, scale2, n_chunks):
    """``X diag(scale2) X^T`` (n, n) for CSR ``X``: the kernel matrix of the dual system.

    Chunk ``c`` owns rows ``c, c + n_chunks, ...`` (interleaved, so that the triangle's work is
    shared evenly): it scatters row ``i`` into a dense scratch row, dots it with rows
    ``i..n-1`` and clears it again. Each entry is one task's sum in index order, so the result
    does not depend on the thread count. The lower triangle mirrors the upper one.
    """
    n = indptr.shape[0] - 1
    K = np.zeros((n, n))
    for c in prange(n_chunks):
        row = np.zeros(d)
        for i in range(c, n, n_chunks):
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                row[j] += data[p] * scale2[j]
            for m in range(i, n):
                acc = 0.0
                for q in range(indptr[m], indptr[m + 1]):
                    acc += data[q] * row[indices[q]]
                K[i, m] = acc
            for p in range(indptr[i], indptr[i + 1]):
                row[indices[p]] = 0.0
    for i in range(n):
        for m in range(i + 1, n):
            K[m, i] = K[i, m]
    return K

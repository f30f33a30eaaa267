"""The fused pass over row-major (C-contiguous) X, written to run at the memory-bandwidth limit.

One read of ``X`` (and ``Y``) gives, for every target ``t``::

    r_i         = intercept[t] + X[i] @ coef[t] - Y[i, t]
    grad[t]     = sum_i w_i r_i X[i]
    grad_b[t]   = sum_i w_i r_i
    loss[t]     = sum_i w_i r_i**2

Rows are cut into fixed chunks (see :mod:`fastlinreg._kernels`); each chunk accumulates privately
and the partials are added in chunk order, so results are bitwise identical for any thread count,
including the serial path taken for small problems.

There is one compiled kernel per feature count up to ``small_d_limit(dtype)``, one per four
features from 9 to 32, and one for any ``d``, so that a fit compiles only the code its shape runs:

- small ``d``: ``d`` is a compile-time constant, the per-row dot product and gradient update
  unroll into scalars, and LLVM vectorises the loop across rows (a run-time ``d`` was 2-5x
  slower at d <= 8). Rows go in blocks of ``_SMALL_BLOCK``; an unweighted fit has its own
  specialisation with no weight stream.
- 9 to 32 features (C-contiguous): four rows per step in explicit four-lane float64 vector code
  (:mod:`fastlinreg._simd`); a row is ``ceil(d / 4)`` blocks of four features, each block
  widened once and used for the dot product and the gradient. LLVM left to itself either runs
  these short rows in scalar remainder loops (run-time ``d``) or gathers across rows
  (compile-time ``d``), well below the read probe (docs/decisions.md; the kernel table in
  docs/performance.md).
- any ``d``: four rows per step, so four dot products run as independent chains and the
  gradient is updated once per four rows. Short rows interleave the four dot products in one
  loop; rows longer than ``_INTERLEAVE_ROW_BYTES`` are read one after the other, because four
  interleaved streams defeat the hardware prefetcher (2.8x slower at d = 101, float64). Long
  float32 rows go two per step (see ``_rows_pairs``).

Precision: all arithmetic is float64 (float32 values convert exactly; ``coef`` is float64).
Summing the gradient terms of float32 X in float32 within 256-row blocks made the general kernel
1.15-1.3x faster (a variant compared in one process, not kept), but its error is relative to
``sum |r_i x_i|``, not to the gradient: near the optimum it is noise far above the solver's
stopping level (a 2048 x 50 float32 fit ran to ``max_iter``), and column offsets amplify it.
So it is not done.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from ._jit import FASTMATH, jit, specialised
from ._kernels import _chunk_bounds
from ._simd import four_rows

#: Largest ``d`` with its own compiled kernel, by itemsize. For float64 the d = 8 kernel compiles
#: to gather loads, slower than the general kernel (docs/decisions.md), so it stops at 7.
_SMALL_D_LIMIT = {4: 8, 8: 7}
#: Row lengths with a kernel in explicit four-lane vector code (:mod:`fastlinreg._simd`), one
#: per number of four-feature blocks ``NB = ceil(d / 4)``. Above 32 features the general kernel
#: keeps up with memory on its own (the kernel table in docs/performance.md).
SHORT_FEATURES = range(9, 33)
#: Rows per block in the small-d kernels (the block's y and weights stay in L1/L2).
_SMALL_BLOCK = 4096
#: With several targets the general kernel re-reads row blocks of this size from L2 per target,
#: so that X comes from memory once whatever the number of targets.
_WIDE_BLOCK_BYTES = 1 << 18
#: Rows up to this size interleave the four dot products of a step in one loop.
_INTERLEAVE_ROW_BYTES = 256
#: Below this ``n * d * k`` the chunks run serially: waking the thread pool (2-90 us, depending
#: on how long it slept) costs more than the work. Same chunks, same order, same result.
SERIAL_WORK = 1 << 15


def small_d_limit(dtype) -> int:
    """Return the largest feature count with a dedicated kernel for X of ``dtype``."""
    return _SMALL_D_LIMIT[np.dtype(dtype).itemsize]


def _small_rows_kernel(D):
    """Compile-time-``D`` kernel: one block of rows of exactly ``D`` features, one target."""

    @njit(fastmath=FASTMATH)
    @specialised(f"d{D}")
    def rows(x, y, w, cb):
        """Return the gradient partials (features 0..7, zero beyond D), sum(w r), sum(w r r).

        ``x`` is the block's rows flattened (length m * D), ``y`` the target (m,), ``w`` the
        weights (m,) or None for unit weights, ``cb`` the coefficients then the intercept.
        """
        c0 = cb[0]
        c1 = cb[1] if D > 1 else 0.0
        c2 = cb[2] if D > 2 else 0.0
        c3 = cb[3] if D > 3 else 0.0
        c4 = cb[4] if D > 4 else 0.0
        c5 = cb[5] if D > 5 else 0.0
        c6 = cb[6] if D > 6 else 0.0
        c7 = cb[7] if D > 7 else 0.0
        b = cb[D]
        g0 = g1 = g2 = g3 = g4 = g5 = g6 = g7 = 0.0
        sum_a = 0.0
        sum_l = 0.0
        for i in range(y.shape[0]):
            o = i * D
            r = b - y[i] + x[o] * c0
            if D > 1:
                r += x[o + 1] * c1
            if D > 2:
                r += x[o + 2] * c2
            if D > 3:
                r += x[o + 3] * c3
            if D > 4:
                r += x[o + 4] * c4
            if D > 5:
                r += x[o + 5] * c5
            if D > 6:
                r += x[o + 6] * c6
            if D > 7:
                r += x[o + 7] * c7
            a = r if w is None else w[i] * r
            sum_a += a
            sum_l += a * r
            g0 += a * x[o]
            if D > 1:
                g1 += a * x[o + 1]
            if D > 2:
                g2 += a * x[o + 2]
            if D > 3:
                g3 += a * x[o + 3]
            if D > 4:
                g4 += a * x[o + 4]
            if D > 5:
                g5 += a * x[o + 5]
            if D > 6:
                g6 += a * x[o + 6]
            if D > 7:
                g7 += a * x[o + 7]
        return g0, g1, g2, g3, g4, g5, g6, g7, sum_a, sum_l

    return rows


_SMALL_ROWS = tuple(_small_rows_kernel(D) for D in range(1, max(_SMALL_D_LIMIT.values()) + 1))


def _column(A, t, buf):
    """Column ``t`` of 2-D ``A`` as a contiguous 1-D array: a view when possible, else a copy."""


@overload(_column)
def _column_impl(A, t, buf):
    if A.layout == "C":

        def view_or_copy(A, t, buf):
            m, k = A.shape
            if k == 1:
                return A.reshape(-1)
            out = buf[:m]
            for i in range(m):
                out[i] = A[i, t]
            return out

        return view_or_copy

    def copy(A, t, buf):
        out = buf[: A.shape[0]]
        for i in range(A.shape[0]):
            out[i] = A[i, t]
        return out

    return copy


def _small_chunk_kernel(rows, D):
    """Compile the chunk loop around the small-d block kernel ``rows`` (``D`` features).

    ``rows`` is a closure variable, not an argument: a function passed as an argument makes
    the kernels that call this one uncacheable.
    """

    @njit
    @specialised(f"d{D}")
    def chunk(X, Y, coef, intercept, sw, has_y, has_w, g, gi, ls):
        """Accumulate the rows of C-contiguous chunk ``X`` into ``g, gi, ls``."""
        m, d = X.shape
        k = coef.shape[0]
        x = X.reshape(-1)  # a view: the chunk is C-contiguous
        block = max(1, min(_SMALL_BLOCK, m))
        zeros = np.zeros(block, Y.dtype)
        y_buf = np.empty(block, Y.dtype)
        cb = np.empty(d + 1)
        for b0 in range(0, m, block):
            mb = min(block, m - b0)
            # Views indexed from 0 inside the block kernel: with "b0 + i" Numba cannot prove the
            # index non-negative, and its wrap-around check scalarises the loop.
            xb = x[b0 * d : (b0 + mb) * d]
            Yb = Y[b0 : b0 + mb]
            for t in range(k):
                yv = _column(Yb, t, y_buf) if has_y else zeros[:mb]
                for j in range(d):
                    cb[j] = coef[t, j]
                cb[d] = intercept[t]
                # Unweighted: a specialisation with no weight stream at all (1.1-1.35x from memory).
                p = rows(xb, yv, sw[b0 : b0 + mb], cb) if has_w else rows(xb, yv, None, cb)
                for j in range(d):
                    g[t, j] += p[j]
                gi[t] += p[8]
                ls[t] += p[9]

    return chunk


_SMALL_CHUNKS = tuple(_small_chunk_kernel(rows, D) for D, rows in enumerate(_SMALL_ROWS, 1))


def _contiguous(v, buf):
    """1-D ``v`` as a C-contiguous array: ``v`` itself when its type says so, else a copy."""


@overload(_contiguous)
def _contiguous_impl(v, buf):
    if v.layout == "C":
        return lambda v, buf: v

    def copy(v, buf):
        out = buf[: v.shape[0]]
        for i in range(v.shape[0]):
            out[i] = v[i]
        return out

    return copy


def _short_chunk_kernel(NB):
    """Compile the chunk loop for rows of ``4 * (NB - 1) < d <= 4 * NB`` features."""
    step = four_rows(NB)
    full = 4 * (NB - 1)  # features in the blocks before the last, which starts at d - 4

    @njit(fastmath=FASTMATH)
    @specialised(f"nb{NB}")
    def rows(x, y, w, cp, b, gp, acc, d, m):
        for i in range(0, m - m % 4, 4):
            step(x, i, d, cp, y, w, b, gp, acc)

    @njit
    @specialised(f"nb{NB}")
    def chunk(X, Y, coef, intercept, sw, has_y, has_w, g, gi, ls):
        """Accumulate the rows of C-contiguous chunk ``X`` into ``g, gi, ls``."""
        m, d = X.shape
        k = coef.shape[0]
        x = X.reshape(-1)  # a view: the chunk is C-contiguous
        # Row blocks of at most _WIDE_BLOCK_BYTES, a multiple of four rows: with several targets
        # each block is re-read from L2, not from memory.
        block = max(4, _WIDE_BLOCK_BYTES // (d * X.itemsize) // 4 * 4)
        zeros = np.zeros(min(block, m), Y.dtype)
        y_buf = np.empty(min(block, m), Y.dtype)
        w_buf = np.empty(min(block, m) if has_w else 0)
        cp = np.zeros(4 * NB)
        gp = np.zeros((k, 4 * NB))
        acc = np.zeros((k, 8))
        for b0 in range(0, m, block):
            mb = min(block, m - b0)
            xb = x[b0 * d : (b0 + mb) * d]
            Yb = Y[b0 : b0 + mb]
            wb = _contiguous(sw[b0 : b0 + mb], w_buf) if has_w else w_buf
            for t in range(k):
                yv = _column(Yb, t, y_buf) if has_y else zeros[:mb]
                for j in range(full):
                    cp[j] = coef[t, j]
                for q in range(4):
                    # The last block overlaps the one before it: zero there, counted once.
                    cp[full + q] = coef[t, d - 4 + q] if d - 4 + q >= full else 0.0
                b = intercept[t]
                if has_w:
                    rows(xb, yv, wb, cp, b, gp[t], acc[t], d, mb)
                else:
                    rows(xb, yv, None, cp, b, gp[t], acc[t], d, mb)
                sa, sl = _rows_one_by_one(
                    X[b0 : b0 + mb], yv, coef[t], b, wb, True, has_w, g[t], mb - mb % 4
                )
                gi[t] += sa
                ls[t] += sl
        for t in range(k):
            for j in range(full):
                g[t, j] += gp[t, j]
            for q in range(4):
                if d - 4 + q >= full:
                    g[t, d - 4 + q] += gp[t, full + q]
            gi[t] += (acc[t, 0] + acc[t, 1]) + (acc[t, 2] + acc[t, 3])
            ls[t] += (acc[t, 4] + acc[t, 5]) + (acc[t, 6] + acc[t, 7])

    return chunk


_SHORT_CHUNKS = {
    NB: _short_chunk_kernel(NB)
    for NB in range((SHORT_FEATURES[0] + 3) // 4, (SHORT_FEATURES[-1] + 3) // 4 + 1)
}


@njit(fastmath=FASTMATH)
def _rows_one_by_one(X, y, c, b, w, has_y, has_w, g, start):
    """Accumulate rows ``start:`` of ``X`` one at a time: the rows left over after the steps."""
    d = X.shape[1]
    sum_a = 0.0
    sum_l = 0.0
    for i in range(start, X.shape[0]):
        s = b
        for j in range(d):
            s += X[i, j] * c[j]
        r = s - y[i] if has_y else s
        a = w[i] * r if has_w else r
        sum_a += a
        sum_l += a * r
        for j in range(d):
            g[j] += a * X[i, j]
    return sum_a, sum_l


@njit(fastmath=FASTMATH)
def _rows_wide(X, y, c, b, w, has_y, has_w, g):
    """Accumulate the rows of ``X`` (any ``d``) for one target; return sum(w r), sum(w r r).

    ``g`` is the float64 gradient accumulator of this target.
    """
    m, d = X.shape
    sum_a = 0.0
    sum_l = 0.0
    interleave = d * X.itemsize <= _INTERLEAVE_ROW_BYTES
    m4 = m - m % 4
    for i in range(0, m4, 4):
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        if interleave:
            for j in range(d):
                cj = c[j]
                s0 += X[i, j] * cj
                s1 += X[i + 1, j] * cj
                s2 += X[i + 2, j] * cj
                s3 += X[i + 3, j] * cj
        else:
            for j in range(d):
                s0 += X[i, j] * c[j]
            for j in range(d):
                s1 += X[i + 1, j] * c[j]
            for j in range(d):
                s2 += X[i + 2, j] * c[j]
            for j in range(d):
                s3 += X[i + 3, j] * c[j]
        r0 = s0 + b
        r1 = s1 + b
        r2 = s2 + b
        r3 = s3 + b
        if has_y:
            r0 -= y[i]
            r1 -= y[i + 1]
            r2 -= y[i + 2]
            r3 -= y[i + 3]
        if has_w:
            a0 = w[i] * r0
            a1 = w[i + 1] * r1
            a2 = w[i + 2] * r2
            a3 = w[i + 3] * r3
        else:
            a0 = r0
            a1 = r1
            a2 = r2
            a3 = r3
        sum_a += (a0 + a1) + (a2 + a3)
        sum_l += (a0 * r0 + a1 * r1) + (a2 * r2 + a3 * r3)
        # The four rows are in L1 now: one pass over g per four rows.
        for j in range(d):
            g[j] += a0 * X[i, j] + a1 * X[i + 1, j] + a2 * X[i + 2, j] + a3 * X[i + 3, j]
    tail_a, tail_l = _rows_one_by_one(X, y, c, b, w, has_y, has_w, g, m4)
    return sum_a + tail_a, sum_l + tail_l


@njit(fastmath=FASTMATH)
def _rows_pairs(X, y, c, b, w, has_y, has_w, g):
    """:func:`_rows_wide` two rows per step, for long float32 rows.

    Each float32 value is converted to float64 twice (dot product, gradient update); four rows
    per step made long float32 rows compute-bound, two keep them at memory speed
    (docs/decisions.md). float64 rows and shorter float32 rows are as fast or faster with four.
    """
    m, d = X.shape
    sum_a = 0.0
    sum_l = 0.0
    m2 = m - m % 2
    for i in range(0, m2, 2):
        s0 = 0.0
        s1 = 0.0
        for j in range(d):
            s0 += X[i, j] * c[j]
        for j in range(d):
            s1 += X[i + 1, j] * c[j]
        r0 = s0 + b
        r1 = s1 + b
        if has_y:
            r0 -= y[i]
            r1 -= y[i + 1]
        if has_w:
            a0 = w[i] * r0
            a1 = w[i + 1] * r1
        else:
            a0 = r0
            a1 = r1
        sum_a += a0 + a1
        sum_l += a0 * r0 + a1 * r1
        for j in range(d):
            g[j] += a0 * X[i, j] + a1 * X[i + 1, j]
    tail_a, tail_l = _rows_one_by_one(X, y, c, b, w, has_y, has_w, g, m2)
    return sum_a + tail_a, sum_l + tail_l


@njit
def _chunk_wide(X, Y, coef, intercept, sw, has_y, has_w, g, gi, ls):
    """Accumulate the rows of chunk ``X`` (any ``d``) into ``g, gi, ls``."""
    m, d = X.shape
    k = coef.shape[0]
    block = max(m, 1)
    if k > 1:
        block = max(4, (_WIDE_BLOCK_BYTES // (d * X.itemsize + 1)) // 4 * 4)
    pairs = X.itemsize == 4 and d * X.itemsize > _INTERLEAVE_ROW_BYTES
    for b0 in range(0, m, block):
        b1 = min(b0 + block, m)
        Xb = X[b0:b1]
        Yb = Y[b0:b1] if has_y else Y
        wb = sw[b0:b1] if has_w else sw
        for t in range(k):
            args = (Xb, Yb[:, t], coef[t], intercept[t], wb, has_y, has_w, g[t])
            sa, sl = _rows_pairs(*args) if pairs else _rows_wide(*args)
            gi[t] += sa
            ls[t] += sl


@njit
def _chunk_rows(c, n_chunks, X, Y, sw, has_y, has_w):
    """Return the rows of chunk ``c``: C-layout slices of X (and of Y and ``sw`` when present)."""
    lo, hi = _chunk_bounds(c, X.shape[0], n_chunks)
    return X[lo:hi], (Y[lo:hi] if has_y else Y), (sw[lo:hi] if has_w else sw)


def _accumulate_chunk(D, c, n_chunks, X, Y, coef, intercept, sw, has_y, has_w, g, gi, ls):
    """Accumulate chunk ``c`` into ``g, gi, ls`` with the code for ``D`` (see the kernels)."""


@overload(_accumulate_chunk)
def _accumulate_chunk_impl(D, c, n_chunks, X, Y, coef, intercept, sw, has_y, has_w, g, gi, ls):
    # D is a literal, so each kernel links only the block code its own D runs: each small-d
    # kernel compiles its own few blocks, not every one (docs/decisions.md).
    if not isinstance(D, types.IntegerLiteral):
        return None
    if D.literal_value == 0:

        def wide(D, c, n_chunks, X, Y, coef, intercept, sw, has_y, has_w, g, gi, ls):
            Xc, Yc, wc = _chunk_rows(c, n_chunks, X, Y, sw, has_y, has_w)
            if Xc.shape[0] > 0:
                _chunk_wide(Xc, Yc, coef, intercept, wc, has_y, has_w, g, gi, ls)

        return wide
    width = D.literal_value
    chunk = _SMALL_CHUNKS[width - 1] if width > 0 else _SHORT_CHUNKS[-width]

    def by_width(D, c, n_chunks, X, Y, coef, intercept, sw, has_y, has_w, g, gi, ls):
        Xc, Yc, wc = _chunk_rows(c, n_chunks, X, Y, sw, has_y, has_w)
        if Xc.shape[0] > 0:
            chunk(Xc, Yc, coef, intercept, wc, has_y, has_w, g, gi, ls)

    return by_width


@njit
def _partials(n_chunks, k, d):
    # Allocated outside the parallel kernel, where parfor conversion would parallelise the fill.
    return np.zeros((n_chunks, k, d)), np.zeros((n_chunks, k)), np.zeros((n_chunks, k))


#: Rows per tile in the column-major kernel: a tile's residuals stay in L1 while each column of
#: the tile is streamed twice (once for the prediction, once for the gradient).
_TILE = 256


def _fused_pass_kernel(D):
    """Compile the fused pass for the rows ``D`` names.

    ``D > 0``: C-contiguous rows of exactly ``D`` features; ``D < 0``: C-contiguous rows of
    ``4 * (NB - 1) < d <= 4 * NB`` features with ``NB = -D``; ``D == 0``: any ``d`` and layout.
    """

    @jit(identity=f"d{D}" if D > 0 else f"nb{-D}" if D < 0 else "any", parallel=True)
    def fused_pass(X, Y, coef, intercept, sw, n_chunks):
        n, d = X.shape
        k = coef.shape[0]
        if (D > 0 and d != D) or (D < 0 and not 4 * (-D - 1) < d <= -4 * D):
            raise ValueError("this fused-pass kernel is compiled for another number of features")
        has_y = Y.shape[0] > 0
        has_w = sw.shape[0] > 0
        part_g, part_b, part_l = _partials(n_chunks, k, d)
        if n * d * k < SERIAL_WORK:
            for c in range(n_chunks):
                _accumulate_chunk(
                    D, c, n_chunks, X, Y, coef, intercept, sw, has_y, has_w,
                    part_g[c], part_b[c], part_l[c],
                )  # fmt: skip
        else:
            for c in prange(n_chunks):
                _accumulate_chunk(
                    D, c, n_chunks, X, Y, coef, intercept, sw, has_y, has_w,
                    part_g[c], part_b[c], part_l[c],
                )  # fmt: skip
        return _merge(part_g, part_b, part_l)

    return fused_pass


@jit(parallel=True, fastmath=FASTMATH)
def fused_pass_cols(X, Y, coef, intercept, sw, n_chunks):
    """Fused pass over column-major (F order) X; arguments and results as for the row kernels.

    Each chunk walks its rows in tiles: the tile's residuals are built column by column, then the
    gradient is accumulated column by column, so every access to ``X`` is contiguous.
    """
    n, d = X.shape
    k = coef.shape[0]
    has_y = Y.shape[0] > 0
    has_w = sw.shape[0] > 0
    part_g = np.empty((n_chunks, k, d))
    part_b = np.empty((n_chunks, k))
    part_l = np.empty((n_chunks, k))
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n, n_chunks)
        g = np.zeros((k, d))
        gb = np.zeros(k)
        lo = np.zeros(k)
        r = np.empty(_TILE)
        for t in range(k):
            for t0 in range(start, stop, _TILE):
                t1 = min(t0 + _TILE, stop)
                m = t1 - t0
                for i in range(m):
                    r[i] = intercept[t]
                for j in range(d):
                    cj = coef[t, j]
                    for i in range(m):
                        r[i] += X[t0 + i, j] * cj
                for i in range(m):
                    ri = r[i]
                    if has_y:
                        ri -= Y[t0 + i, t]
                    wr = sw[t0 + i] * ri if has_w else ri
                    gb[t] += wr
                    lo[t] += wr * ri
                    r[i] = wr
                for j in range(d):
                    acc = 0.0
                    for i in range(m):
                        acc += r[i] * X[t0 + i, j]
                    g[t, j] += acc
        part_g[c] = g
        part_b[c] = gb
        part_l[c] = lo
    return _merge(part_g, part_b, part_l)


@jit(fastmath=FASTMATH)
def _merge(part_g, part_b, part_l):
    """Sum the chunk partials in chunk order (bitwise reproducible)."""
    n_chunks, k, d = part_g.shape
    g = np.zeros((k, d))
    gb = np.zeros(k)
    lo = np.zeros(k)
    for c in range(n_chunks):
        for t in range(k):
            gb[t] += part_b[c, t]
            lo[t] += part_l[c, t]
            for j in range(d):
                g[t, j] += part_g[c, t, j]
    return g, gb, lo


#: The fused pass over C-contiguous (or any strided) X, for any number of features.
fused_pass_rows = _fused_pass_kernel(0)
_FUSED_PASS_SMALL = {D: _fused_pass_kernel(D) for D in range(1, len(_SMALL_ROWS) + 1)}
_FUSED_PASS_SHORT = {NB: _fused_pass_kernel(-NB) for NB in _SHORT_CHUNKS}
#: Every fused-pass kernel (for compile and cache reports).
KERNELS = (
    fused_pass_rows,
    fused_pass_cols,
    *_FUSED_PASS_SMALL.values(),
    *_FUSED_PASS_SHORT.values(),
)


def fused_pass_for(X):
    """Return the fused-pass kernel for ``X``'s memory layout, dtype and number of features.

    Every kernel takes ``(X, Y, coef, intercept, sw, n_chunks)``:

    X : ndarray of shape (n, d), float32 or float64
        Read once, never written or copied.
    Y : ndarray of shape (n, k) or (0, k), float32 or float64
        Targets; zero rows means y = 0.
    coef : ndarray of shape (k, d), float64
    intercept : ndarray of shape (k,), float64
    sw : ndarray of shape (n,) or (0,), float64
        Sample weights; zero rows means unit weights.
    n_chunks : int
        Number of fixed row chunks: chunk ``c`` is rows ``[c*n//n_chunks, (c+1)*n//n_chunks)``.

    and returns ``(grad, grad_intercept, loss)``: ``sum_i w_i r_i x_i`` of shape (k, d),
    ``sum_i w_i r_i`` and ``sum_i w_i r_i**2`` of shape (k,), float64, with
    ``r = X @ coef.T + intercept - Y``. The result depends on ``n_chunks`` but not on the number
    of threads.

    Parameters
    ----------
    X : ndarray of shape (n, d)

    Returns
    -------
    numba dispatcher
        The column-major kernel for F-ordered X; for C-contiguous X, the kernel compiled for
        exactly ``d`` features when ``d <= small_d_limit(X.dtype)``, the four-lane vector kernel
        for ``d`` in ``SHORT_FEATURES`` (9 to 32); else the general row kernel.
    """
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        return fused_pass_cols
    d = X.shape[1]
    if X.flags.c_contiguous:
        if 1 <= d <= small_d_limit(X.dtype):
            return _FUSED_PASS_SMALL[d]
        if d in SHORT_FEATURES:
            return _FUSED_PASS_SHORT[(d + 3) // 4]
    return fused_pass_rows

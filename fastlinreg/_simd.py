"""Four rows of the fused pass in explicit four-lane float64 vector code (a Numba intrinsic).

For short rows (9 to 32 features) LLVM does not vectorise the fused pass well on its own: with
``d`` a run-time value the loops over a row are too short for its vector body, and with ``d`` a
compile-time constant it vectorises across rows with gather loads. Here the code is written
directly in LLVM IR: a row is ``NB`` blocks of four features, the last block starting at
``d - 4`` (it overlaps the one before it when ``4`` does not divide ``d``; its coefficients are
zero on the overlap, so the dot product counts every feature once, and the caller drops its
gradient lanes there). Each block is loaded once as four values, widened to float64 and used
for both the dot product and the gradient update; the dot products of four rows are reduced
together by one transposition. All arithmetic is float64, in a fixed order.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_F64 = ir.DoubleType()
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_V4 = ir.VectorType(_F64, 4)
_FLOATS = (types.float32, types.float64)


def _lanes(*index):
    return ir.Constant(ir.VectorType(_I32, len(index)), list(index))


def _load4(context, builder, arrty, arr, offset):
    """``arr[offset:offset + 4]`` as a float64 vector (float32 is widened exactly)."""
    data = context.make_array(arrty)(context, builder, arr).data
    elt = context.get_value_type(arrty.dtype)
    ptr = builder.bitcast(builder.gep(data, [offset]), ir.VectorType(elt, 4).as_pointer())
    vec = builder.load(ptr, align=arrty.dtype.bitwidth // 8)
    return vec if arrty.dtype == types.float64 else builder.fpext(vec, _V4)


def _add4(context, builder, arrty, arr, offset, value):
    """``arr[offset:offset + 4] += value`` for a float64 array."""
    data = context.make_array(arrty)(context, builder, arr).data
    ptr = builder.bitcast(builder.gep(data, [offset]), _V4.as_pointer())
    builder.store(builder.fadd(builder.load(ptr, align=8), value), ptr, align=8)


def _row_sums(builder, p):
    """``[sum(p[0]), sum(p[1]), sum(p[2]), sum(p[3])]``, each as ``(p0 + p1) + (p2 + p3)``."""
    even, odd = _lanes(0, 4, 2, 6), _lanes(1, 5, 3, 7)
    u = builder.fadd(
        builder.shuffle_vector(p[0], p[1], even), builder.shuffle_vector(p[0], p[1], odd)
    )
    v = builder.fadd(
        builder.shuffle_vector(p[2], p[3], even), builder.shuffle_vector(p[2], p[3], odd)
    )
    return builder.fadd(
        builder.shuffle_vector(u, v, _lanes(0, 1, 4, 5)),
        builder.shuffle_vector(u, v, _lanes(2, 3, 6, 7)),
    )


def _broadcast(builder, vec, lane):
    return builder.shuffle_vector(vec, vec, _lanes(lane, lane, lane, lane))


def _vector_1d(ty, dtypes) -> bool:
    return isinstance(ty, types.Array) and ty.ndim == 1 and ty.layout == "C" and ty.dtype in dtypes


def four_rows(NB: int):
    """Return an intrinsic for four rows of ``d`` features, ``4 * (NB - 1) < d <= 4 * NB``.

    The intrinsic is called as ``four_rows(NB)(x, i, d, cp, y, w, b, gp, acc)`` from jitted code:

    - ``x``: the rows, flattened (C-contiguous float32 or float64); rows ``i .. i + 3`` are read;
    - ``i, d``: first row, features per row (int64); ``d >= 4``;
    - ``cp``: ``4 * NB`` float64 coefficients by block, the last block's zero on the overlap;
    - ``y``: targets (C-contiguous, float32 or float64), ``w``: float64 weights or None;
    - ``b``: the intercept;
    - ``gp``: ``4 * NB`` float64 gradient lanes, ``+= w_r r_r x_r`` block by block;
    - ``acc``: 8 float64, lanes 0-3 ``+= w_r r_r`` and lanes 4-7 ``+= w_r r_r**2``,

    with ``r_r = x_r . coef + b - y_r``. Nothing is bounds-checked: the caller guarantees that
    the rows exist and that the arrays have these lengths.
    """

    @intrinsic
    def step(typingctx, x, i, d, cp, y, w, b, gp, acc):
        ints = all(isinstance(t, types.Integer) for t in (i, d))
        weights = isinstance(w, types.NoneType) or _vector_1d(w, (types.float64,))
        f64 = all(_vector_1d(t, (types.float64,)) for t in (cp, gp, acc))
        if not (ints and weights and f64 and _vector_1d(x, _FLOATS) and _vector_1d(y, _FLOATS)):
            return None
        sig = types.none(x, i, d, cp, y, w, types.float64, gp, acc)

        def codegen(context, builder, signature, args):
            x_, i_, d_, cp_, y_, w_, b_, gp_, acc_ = args
            tx, ti, td, tcp, ty, tw, _, tgp, tacc = signature.args
            i_ = context.cast(builder, i_, ti, types.int64)
            d_ = context.cast(builder, d_, td, types.int64)
            last = builder.sub(d_, ir.Constant(_I64, 4))
            starts = [ir.Constant(_I64, 4 * k) for k in range(NB - 1)] + [last]
            coef = [_load4(context, builder, tcp, cp_, ir.Constant(_I64, 4 * k)) for k in range(NB)]
            rows, dots = [], []
            for r in range(4):
                base = builder.mul(builder.add(i_, ir.Constant(_I64, r)), d_)
                row = [_load4(context, builder, tx, x_, builder.add(base, s)) for s in starts]
                dot = builder.fmul(row[0], coef[0])
                for k in range(1, NB):
                    dot = builder.fadd(dot, builder.fmul(row[k], coef[k]))
                rows.append(row)
                dots.append(dot)
            intercept = builder.insert_element(ir.Constant(_V4, ir.Undefined), b_, _I32(0))
            resid = builder.fsub(
                builder.fadd(_row_sums(builder, dots), _broadcast(builder, intercept, 0)),
                _load4(context, builder, ty, y_, i_),
            )
            a = resid
            if not isinstance(tw, types.NoneType):
                a = builder.fmul(resid, _load4(context, builder, tw, w_, i_))
            _add4(context, builder, tacc, acc_, ir.Constant(_I64, 0), a)
            _add4(context, builder, tacc, acc_, ir.Constant(_I64, 4), builder.fmul(a, resid))
            weight = [_broadcast(builder, a, r) for r in range(4)]
            for k in range(NB):
                update = builder.fadd(
                    builder.fadd(
                        builder.fmul(weight[0], rows[0][k]), builder.fmul(weight[1], rows[1][k])
                    ),
                    builder.fadd(
                        builder.fmul(weight[2], rows[2][k]), builder.fmul(weight[3], rows[3][k])
                    ),
                )
                _add4(context, builder, tgp, gp_, ir.Constant(_I64, 4 * k), update)
            return context.get_dummy_value()

        return sig, codegen

    return step

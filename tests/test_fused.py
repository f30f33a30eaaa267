"""Every fused-pass kernel and code path against the NumPy float64 oracle.

The kernels choose their code by layout, dtype, number of features (one kernel per small d),
row length (interleaved or sequential dot products), number of targets (row blocks re-read per
target), weights and problem size (serial or parallel); each case below lands on one of them.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tolerance
from naive import numpy_residual_gradient

from fastlinreg import _fused, _kernels
from fastlinreg._runtime import _serial_twin, launch

# Small d up to one past each dtype's dedicated kernels; rows of 8 float64 go to the general
# kernel; 9 to 32 to the four-lane kernels (three to eight blocks; 12, 24, 32 without overlap);
# 33 float64 / 65 float32 are the first rows read sequentially (> 256 bytes); 101 prime.
FEATURES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 17, 24, 27, 32, 33, 65, 101]
# One width of each kind of code (a dedicated kernel, the general one on a short row, four-lane
# blocks with and without overlap, sequential rows, a prime) for the quick subset; each further
# width is one more compilation on a cold cache.
QUICK_FEATURES = {1, 7, 8, 13, 32, 33, 101}


def _case(rng, n, d, k, dtype, weights, with_y):
    X = rng.normal(size=(n, d)).astype(dtype) + dtype(0.5)
    Y = rng.normal(size=(n, k)).astype(dtype)
    coef = rng.normal(size=(k, d)) / np.sqrt(d)
    intercept = rng.normal(size=k)
    sw = rng.uniform(0.1, 3.0, size=n) if weights else np.empty(0)
    return X, (Y if with_y else Y[:0]), coef, intercept, sw


def _check(X, Y, coef, intercept, sw, dtype):
    got = launch(_fused.fused_pass_for(X), X, Y, coef, intercept, sw, _kernels.N_CHUNKS)
    y = Y if Y.shape[0] else np.zeros((X.shape[0], coef.shape[0]))
    want = numpy_residual_gradient(X, y, coef, intercept, sw if sw.shape[0] else None)
    n_total = sw.sum() if sw.shape[0] else X.shape[0]
    for g, w, scale in zip(got, want, (n_total, n_total, 2 * n_total), strict=True):
        assert g.dtype == np.float64
        magnitude = max(np.max(np.abs(w)), 1.0)
        np.testing.assert_allclose(
            g / scale, w, rtol=tolerance(dtype), atol=tolerance(dtype) * magnitude
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "d", [d if d in QUICK_FEATURES else pytest.param(d, marks=pytest.mark.slow) for d in FEATURES]
)
@pytest.mark.parametrize("n", [1, 5, 63, 1003, 40_001])
def test_every_kernel_matches_numpy(rng, dtype, d, n):
    for k, weights, with_y in [
        (1, False, True),
        (1, True, True),
        (3, True, True),
        (2, False, False),
    ]:
        _check(*_case(rng, n, d, k, dtype, weights, with_y), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "d", "k"), [(300_001, 2, 1), (300_001, 3, 2), (90_001, 40, 3)])
def test_blocks_within_chunks(rng, dtype, n, d, k):
    # Chunks of ~4700 rows: several small-d blocks (4096 rows), several row blocks re-read per
    # target (~800 rows at d = 40), many float32 flushes (256 rows).
    _check(*_case(rng, n, d, k, dtype, True, True), dtype)


@pytest.mark.parametrize("d", [1, 5, 50])
def test_non_contiguous_targets_and_strided_rows(rng, d):
    X, Y, coef, intercept, sw = _case(rng, 2001, d, 1, np.float64, False, True)
    column = np.repeat(Y, 2, axis=1)[:, :1]  # shape (n, 1), not contiguous
    _check(X, column, coef, intercept, sw, np.float64)
    strided = np.repeat(X, 2, axis=0)[::2]  # rows one row apart: neither C nor F
    assert not strided.flags.c_contiguous and not strided.flags.f_contiguous
    assert _fused.fused_pass_for(strided) is _fused.fused_pass_rows
    _check(strided, Y, coef, intercept, sw, np.float64)


def test_dispatch_by_layout_dtype_and_width(rng):
    assert list(_fused.SHORT_FEATURES) == list(range(9, 33))
    for dtype, limit in ((np.float32, 8), (np.float64, 7)):
        assert _fused.small_d_limit(dtype) == limit
        for d in range(1, limit + 1):
            kernel = _fused.fused_pass_for(np.zeros((4, d), dtype))
            assert kernel is _fused.KERNELS[1 + d]
        for d in range(limit + 1, 40):
            kernel = _fused.fused_pass_for(np.zeros((4, d), dtype))
            if d in _fused.SHORT_FEATURES:
                assert kernel is _fused._FUSED_PASS_SHORT[(d + 3) // 4]
            else:
                assert kernel is _fused.fused_pass_rows
        assert _fused.fused_pass_for(np.zeros((4, 3), dtype, order="F")) is _fused.fused_pass_cols
        strided = np.zeros((8, 11), dtype)[::2]
        assert _fused.fused_pass_for(strided) is _fused.fused_pass_rows


@pytest.mark.parametrize(("compiled_for", "given"), [(3, 4), (11, 13), (11, 8), (20, 16)])
def test_fixed_width_kernels_refuse_another_width(rng, compiled_for, given):
    kernel = _fused.fused_pass_for(np.zeros((4, compiled_for)))
    X = np.zeros((10, given))
    with pytest.raises(ValueError, match="another number of features"):
        kernel(X, np.zeros((10, 1)), np.zeros((1, given)), np.zeros(1), np.empty(0), 64)


@pytest.mark.parametrize("d", [5, 11])
def test_non_contiguous_weights(rng, d):
    X, Y, coef, intercept, sw = _case(rng, 1001, d, 2, np.float32, True, True)
    strided = np.repeat(sw, 2)[::2]
    assert not strided.flags.c_contiguous
    _check(X, Y, coef, intercept, strided, np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [2, 11, 50])
def test_same_result_for_any_thread_count(rng, dtype, d):
    # Large enough for the parallel path; the kernel's serial twin runs the same chunks in order.
    X, Y, coef, intercept, sw = _case(rng, 100_003, d, 2, dtype, True, True)
    kernel = _fused.fused_pass_for(X)
    args = (X, Y, coef, intercept, sw, _kernels.N_CHUNKS)
    for a, b in zip(kernel(*args), _serial_twin(kernel)(*args), strict=True):
        np.testing.assert_array_equal(a, b)


def test_float32_sums_are_float64_accurate(rng):
    # 1e6 float32 rows near the optimum: float32 residuals would be off by ~1e-4 relative here.
    n, d = 1_000_000, 20
    X = rng.normal(size=(n, d)).astype(np.float32)
    coef = rng.normal(size=(1, d))
    y = (X.astype(np.float64) @ coef[0] + 1e-3 * rng.normal(size=n)).astype(np.float32)
    g, _, _ = launch(
        _fused.fused_pass_for(X), X, y[:, None], coef, np.zeros(1), np.empty(0), _kernels.N_CHUNKS
    )
    want = numpy_residual_gradient(X, y, coef[0], 0.0)[0] * n
    assert np.max(np.abs(g[0] - want)) <= 1e-6 * np.max(np.abs(want)) + 1e-6

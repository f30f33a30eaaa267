"""The public kernel API against a NumPy float64 oracle."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tolerance
from naive import numpy_residual_gradient

from fastlinreg import _fused, _kernels, kernels

SHAPES = [(1, 1), (1, 4), (5, 3), (63, 2), (200, 1), (257, 7), (1000, 13), (3001, 31)]


def _data(rng, n, d, dtype, k=None, weights=False):
    X = rng.normal(size=(n, d)).astype(dtype)
    y = rng.normal(size=(n,) if k is None else (n, k)).astype(dtype)
    coef = rng.normal(size=(d,) if k is None else (k, d))
    intercept = rng.normal() if k is None else rng.normal(size=k)
    sw = rng.uniform(0.1, 3.0, size=n) if weights else None
    return X, y, coef, intercept, sw


def _assert_close(got, want, dtype):
    for g, w in zip(got, want, strict=True):
        scale = max(np.max(np.abs(w)), 1.0)
        np.testing.assert_allclose(g, w, rtol=tolerance(dtype), atol=tolerance(dtype) * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "d"), SHAPES)
@pytest.mark.parametrize("weights", [False, True])
def test_residual_gradient_matches_numpy(rng, dtype, n, d, weights):
    X, y, coef, intercept, sw = _data(rng, n, d, dtype, weights=weights)
    got = kernels.residual_gradient(X, y, coef, intercept, sample_weight=sw)
    _assert_close(got, numpy_residual_gradient(X, y, coef, intercept, sw), dtype)
    assert isinstance(got[1], float) and isinstance(got[2], float)
    assert got[0].shape == (d,) and got[0].dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F", "strided"])
def test_multi_target_and_layouts(rng, dtype, order):
    X, y, coef, intercept, sw = _data(rng, 301, 11, dtype, k=3, weights=True)
    if order == "F":
        X = np.asfortranarray(X)
    elif order == "strided":
        X = np.asfortranarray(rng.normal(size=(301, 22)).astype(dtype))[:, ::2]
    g, gb, loss = kernels.residual_gradient(X, y, coef, intercept, sample_weight=sw)
    assert g.shape == (3, 11) and gb.shape == (3,) and loss.shape == (3,)
    _assert_close((g, gb, loss), numpy_residual_gradient(X, y, coef, intercept, sw), dtype)


def test_y_dtype_may_differ_from_X(rng):
    X, y, coef, intercept, _ = _data(rng, 50, 3, np.float32)
    for y_cast in (y.astype(np.float64), (y * 10).astype(np.int64)):
        _assert_close(
            kernels.residual_gradient(X, y_cast, coef, intercept),
            numpy_residual_gradient(X, y_cast, coef, intercept),
            np.float32,
        )


def test_fewer_rows_than_chunks_and_custom_chunks(rng):
    X, y, coef, intercept, _ = _data(rng, 3, 5, np.float64)
    want = numpy_residual_gradient(X, y, coef, intercept)
    for n_chunks in (1, 2, 3, 7, 64, 200):
        g, gb, lo = _fused.fused_pass_rows(
            X, y[:, None], coef[None], np.array([intercept]), np.empty(0), n_chunks
        )
        np.testing.assert_allclose(g[0] / 3, want[0], rtol=1e-12)
        np.testing.assert_allclose(gb[0] / 3, want[1], rtol=1e-12)
        np.testing.assert_allclose(lo[0] / 6, want[2], rtol=1e-12)


def test_zero_targets_array_means_y_is_zero(rng):
    X, _, coef, intercept, _ = _data(rng, 40, 4, np.float64)
    args = (coef[None], np.array([intercept]), np.empty(0), _kernels.N_CHUNKS)
    with_zero = _fused.fused_pass_rows(X, np.zeros((40, 1)), *args)
    empty = _fused.fused_pass_rows(X, np.empty((0, 1)), *args)
    for a, b in zip(with_zero, empty, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["X", "y"])
def test_non_finite_input_gives_non_finite_loss(rng, bad, where):
    X, y, coef, intercept, _ = _data(rng, 100, 3, np.float64)
    (X if where == "X" else y)[17] = bad
    for c in (coef, np.zeros_like(coef)):
        _, _, loss = kernels.residual_gradient(X, y, c, intercept)
        assert not np.isfinite(loss)


def test_inputs_are_not_modified_and_read_only_is_accepted(rng):
    X, y, coef, intercept, sw = _data(rng, 100, 6, np.float64, weights=True)
    X.flags.writeable = False
    y.flags.writeable = False
    copies = [a.copy() for a in (X, y, coef, sw)]
    kernels.residual_gradient(X, y, coef, intercept, sample_weight=sw)
    kernels.predict(X, coef, intercept)
    for a, c in zip((X, y, coef, sw), copies, strict=True):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [None, 2])
def test_predict_matches_numpy(rng, dtype, k):
    X, _, coef, intercept, _ = _data(rng, 77, 9, dtype, k=k)
    got = kernels.predict(X, coef, intercept)
    want = X.astype(np.float64) @ np.asarray(coef).T + intercept
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tolerance(dtype), atol=tolerance(dtype))


def test_column_moments_are_stable_for_large_offsets(rng):
    X = rng.normal(size=(5000, 3)) + np.array([0.0, 1e8, -1e12])
    w = rng.uniform(0, 2, size=5000)
    sum_w, mean, m2, sumsq = _kernels.column_moments(X, w, 64)
    Z = X - X[0]  # exact: the offsets cancel before any rounding
    want_mean = w @ Z / w.sum()
    want_m2 = w @ (Z - want_mean) ** 2
    want_mean += X[0]
    np.testing.assert_allclose(sum_w, w.sum(), rtol=1e-13)
    np.testing.assert_allclose(mean, want_mean, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(m2, want_m2, rtol=1e-10)
    np.testing.assert_allclose(sumsq, w @ X**2, rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda X, y: kernels.residual_gradient(X.tolist(), y, np.zeros(3), 0.0),
            TypeError,
            "numpy.ndarray",
        ),
        (
            lambda X, y: kernels.residual_gradient(X.astype(int), y, np.zeros(3), 0.0),
            TypeError,
            "float32 or float64",
        ),
        (lambda X, y: kernels.residual_gradient(X[0], y, np.zeros(3), 0.0), ValueError, "2-D"),
        (
            lambda X, y: kernels.residual_gradient(X, y[:-1], np.zeros(3), 0.0),
            ValueError,
            "y must have shape",
        ),
        (
            lambda X, y: kernels.residual_gradient(X, y, np.zeros(4), 0.0),
            ValueError,
            "coef must have shape",
        ),
        (
            lambda X, y: kernels.residual_gradient(X, y, np.zeros(3), np.zeros(2)),
            ValueError,
            "intercept",
        ),
        (
            lambda X, y: kernels.residual_gradient(X, y, np.zeros(3), 0.0, -np.ones(10)),
            ValueError,
            "non-negative",
        ),
        (
            lambda X, y: kernels.residual_gradient(X, y, np.zeros(3), 0.0, np.zeros(10)),
            ValueError,
            "all zero",
        ),
        (
            lambda X, y: kernels.residual_gradient(X, y, np.zeros(3), 0.0, np.ones(9)),
            ValueError,
            r"sample_weight has shape \(9,\), expected \(10,\)",
        ),
        (
            lambda X, y: kernels.residual_gradient(X, y.astype(complex), np.zeros(3), 0.0),
            TypeError,
            "real numbers",
        ),
        (lambda X, y: kernels.predict(X, np.zeros(2), 0.0), ValueError, "coef must have shape"),
    ],
)
def test_kernel_api_rejects_bad_arguments(rng, call, exc, match):
    X = rng.normal(size=(10, 3))
    y = rng.normal(size=10)
    with pytest.raises(exc, match=match):
        call(X, y)

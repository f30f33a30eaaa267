"""Property-based tests of the kernels against NumPy (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from naive import numpy_residual_gradient

from fastlinreg import kernels

pytestmark = pytest.mark.slow

CASES = st.fixed_dictionaries(
    {
        "n": st.integers(1, 150),
        "d": st.integers(1, 40),
        "k": st.one_of(st.none(), st.integers(1, 3)),
        "dtype": st.sampled_from([np.float32, np.float64]),
        "weighted": st.booleans(),
        "order": st.sampled_from(["C", "F"]),
        "offset": st.sampled_from([0.0, 1e3, -1e6]),
        "seed": st.integers(0, 2**32 - 1),
    }
)


def _build(case):
    rng = np.random.default_rng(case["seed"])
    n, d, k = case["n"], case["d"], case["k"]
    X = (rng.standard_normal((n, d)) + case["offset"]).astype(case["dtype"], order=case["order"])
    y = rng.standard_normal((n,) if k is None else (n, k)) + case["offset"]
    coef = rng.standard_normal((d,) if k is None else (k, d))
    intercept = rng.standard_normal() if k is None else rng.standard_normal(k)
    w = rng.uniform(0, 2, n) if case["weighted"] else None
    if w is not None:
        w[0] += 0.1  # keep the sum positive
    return X, y, coef, intercept, w


@pytest.fixture(scope="module", autouse=True)
def _warm():
    X = np.ones((4, 2))
    kernels.residual_gradient(X, np.ones(4), np.ones(2), 0.0)
    kernels.gram(X, np.ones(4))


@settings(deadline=None, max_examples=60)
@given(CASES)
def test_residual_gradient_property(case):
    X, y, coef, intercept, w = _build(case)
    got = kernels.residual_gradient(X, y, coef, intercept, sample_weight=w)
    want = numpy_residual_gradient(X, y, coef, intercept, w)
    for g, v in zip(got, want, strict=True):
        scale = np.max(np.abs(v)) + 1e-300
        np.testing.assert_allclose(g, v, rtol=1e-9, atol=1e-9 * scale + 1e-12)


@settings(deadline=None, max_examples=60)
@given(CASES)
def test_gram_property(case):
    X, y, _, _, w = _build(case)
    stats = kernels.gram(X, y, sample_weight=w)
    X64 = X.astype(np.float64)
    Y = y if y.ndim == 2 else y[:, None]
    ww = np.ones(len(X)) if w is None else w
    W = ww.sum()
    mx, my = ww @ X64 / W, ww @ Y / W
    Xc = X64 - mx
    np.testing.assert_allclose(stats.sum_w, W, rtol=1e-12)
    np.testing.assert_allclose(stats.mean_x, mx, rtol=1e-9, atol=1e-9)
    # Centring rounds at the size of the raw values, so that sets the absolute tolerance.
    rounding = 1e-12 * W * (np.abs(X64).max() + np.abs(Y).max()) ** 2
    cxx = (Xc * ww[:, None]).T @ Xc
    cxy = (Xc * ww[:, None]).T @ (Y - my)
    np.testing.assert_allclose(stats.cxx, cxx, atol=1e-9 * np.abs(cxx).max() + rounding)
    np.testing.assert_allclose(stats.cxy, cxy, atol=1e-9 * np.abs(cxy).max() + rounding)


@settings(deadline=None, max_examples=60)
@given(CASES)
def test_predict_property(case):
    X, _, coef, intercept, _ = _build(case)
    got = kernels.predict(X, coef, intercept)
    want = X.astype(np.float64) @ np.asarray(coef).T + intercept
    tol = 1e-6 if case["dtype"] == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * (np.abs(want).max() + 1))

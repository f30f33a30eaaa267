"""The NumPy fast path of input validation gives exactly what scikit-learn's validation gives.

Every case is validated twice, by the public entry point (fast path where it applies) and by
scikit-learn's calls alone, and the outcomes must be identical: the same arrays (the same
objects or views, dtypes, layouts and values), the same ``n_features_in_`` and
``feature_names_in_`` bookkeeping, or the same exception class and message, with the same
warnings.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fastlinreg import LinearRegression, _validation

N, D = 12, 3


def _xyw(dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D)).astype(dtype)
    return X, rng.normal(size=N), rng.uniform(0.5, 2.0, size=N)


def _memmap(tmp_path, a, name):
    path = tmp_path / f"{name}.npy"
    np.save(path, a)
    return np.load(path, mmap_mode="r")


def _case(fx=None, fy=None, fw=None, weighted=False, dtype=np.float64):
    def make(tmp_path):
        X, y, w = _xyw(dtype)
        X = X if fx is None else fx(X, tmp_path)
        y = y if fy is None else fy(y, tmp_path)
        w = (w if weighted else None) if fw is None else fw(w, tmp_path)
        return X, y, w

    return make


class _Subclass(np.ndarray):
    """An ndarray subclass other than a memory map: left to scikit-learn."""


def _readonly(a, _):
    a.flags.writeable = False
    return a


# Cases the fast path takes: it must give scikit-learn's result.
FAST_FIT = {
    "float64": _case(),
    "float32": _case(dtype=np.float32),
    "fortran X": _case(fx=lambda X, _: np.asfortranarray(X)),
    "strided X": _case(fx=lambda X, _: np.repeat(X, 2, axis=1)[:, ::2]),
    "read-only X": _case(fx=_readonly),
    "memmap X": _case(fx=lambda X, p: _memmap(p, X, "X")),
    "memmap float32 X": _case(fx=lambda X, p: _memmap(p, X, "X"), dtype=np.float32),
    "NaN in X (left to the pass)": _case(fx=lambda X, _: np.where(X > 1, np.nan, X)),
    "one row": _case(fx=lambda X, _: X[:1], fy=lambda y, _: y[:1]),
    "float32 y": _case(fy=lambda y, _: y.astype(np.float32)),
    "float16 y": _case(fy=lambda y, _: y.astype(np.float16)),
    "int y": _case(fy=lambda y, _: (10 * y).astype(np.int64)),
    "uint8 y": _case(fy=lambda y, _: np.arange(N, dtype=np.uint8)),
    "2-D y": _case(fy=lambda y, _: np.c_[y, 2 * y]),
    "column y": _case(fy=lambda y, _: y[:, None]),
    "memmap y": _case(fy=lambda y, p: _memmap(p, y, "y")),
    "weights": _case(weighted=True),
    "float32 weights": _case(fw=lambda w, _: w.astype(np.float32)),
    "int weights": _case(fw=lambda w, _: np.arange(N)),
    "strided weights": _case(fw=lambda w, _: np.repeat(w, 2)[::2]),
    "memmap weights": _case(fw=lambda w, p: _memmap(p, w, "w")),
    "weights with zeros": _case(fw=lambda w, _: np.where(w > 1, w, 0.0)),
}

# Cases left to scikit-learn: most raise or warn, a few are conversions.
SKLEARN_FIT = {
    "no rows": _case(fx=lambda X, _: X[:0], fy=lambda y, _: y[:0]),
    "no features": _case(fx=lambda X, _: X[:, :0]),
    "1-D X": _case(fx=lambda X, _: X[:, 0]),
    "3-D X": _case(fx=lambda X, _: X[:, :, None]),
    "int X": _case(fx=lambda X, _: (10 * X).astype(np.int32)),
    "bool X": _case(fx=lambda X, _: X > 0),
    "float16 X": _case(fx=lambda X, _: X.astype(np.float16)),
    "big-endian X": _case(fx=lambda X, _: X.astype(">f8")),
    "complex X": _case(fx=lambda X, _: X + 1j),
    "object X": _case(fx=lambda X, _: X.astype(object)),
    "string X": _case(fx=lambda X, _: np.where(X > 0, "up", "down")),
    "list X": _case(fx=lambda X, _: X.tolist()),
    "ndarray subclass X": _case(fx=lambda X, _: X.view(_Subclass)),
    "NaN in y": _case(fy=lambda y, _: np.where(y > 1, np.nan, y)),
    "inf in y": _case(fy=lambda y, _: np.where(y > 1, np.inf, y)),
    "short y": _case(fy=lambda y, _: y[:-1]),
    "3-D y": _case(fy=lambda y, _: y[:, None, None]),
    "y without columns": _case(fy=lambda y, _: y[:, None][:, :0]),
    "complex y": _case(fy=lambda y, _: y + 1j),
    "bool y": _case(fy=lambda y, _: y > 0),
    "object y": _case(fy=lambda y, _: y.astype(object)),
    "list y": _case(fy=lambda y, _: y.tolist()),
    "NaN weight": _case(fw=lambda w, _: np.r_[np.nan, w[1:]]),
    "inf weight": _case(fw=lambda w, _: np.r_[np.inf, w[1:]]),
    "negative weight": _case(fw=lambda w, _: np.r_[-1.0, w[1:]]),
    "all-zero weights": _case(fw=lambda w, _: np.zeros(N)),
    "short weights": _case(fw=lambda w, _: w[:-2]),
    "2-D weights": _case(fw=lambda w, _: np.c_[w, w]),
    "scalar weight": _case(fw=lambda w, _: 2.0),
    "list weights": _case(fw=lambda w, _: w.tolist()),
    "bool weights": _case(fw=lambda w, _: w > 1),
    "complex weights": _case(fw=lambda w, _: w + 0j),
}


def _fitted(state):
    """An estimator as fit leaves it: with n_features_in_, and feature names if asked."""
    model = LinearRegression()
    if state != "unfitted":
        model.n_features_in_ = D
    if state == "fitted with names":
        model.feature_names_in_ = np.array(["a", "b", "c"], dtype=object)
    return model


def _outcome(validate, model, *args, **kwargs):
    """Run ``validate``; describe its result or error, the warnings and the model's state."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = validate(model, *args, **kwargs)
        except Exception as error:  # the class and message are what is compared
            result = error
    state = (
        getattr(model, "n_features_in_", None),
        tuple(getattr(model, "feature_names_in_", ())),
    )
    return result, [(w.category, str(w.message)) for w in caught], state


def _assert_same_array(a, b, inputs):
    assert type(a) is type(b)
    assert a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides
    assert a.flags.writeable == b.flags.writeable
    np.testing.assert_array_equal(a, b)
    for source in inputs:
        if isinstance(source, np.ndarray):
            assert (a is source) == (b is source)
            assert np.shares_memory(a, source) == np.shares_memory(b, source)


def _assert_same_outcome(fast, slow, inputs):
    (got, got_warnings, got_state), (want, want_warnings, want_state) = fast, slow
    assert got_warnings == want_warnings
    assert got_state == want_state
    if isinstance(want, Exception):
        assert type(got) is type(want) and str(got) == str(want)
        return
    assert not isinstance(got, Exception), got
    # fit validation returns (X, y, sample_weight), predict validation X.
    got, want = (r if isinstance(r, tuple) else (r,) for r in (got, want))
    for a, b in zip(got, want, strict=True):
        _assert_same_array(a, b, inputs)


@pytest.mark.parametrize("state", ["unfitted", "fitted", "fitted with names"])
@pytest.mark.parametrize("case", sorted(FAST_FIT) + sorted(SKLEARN_FIT))
def test_fit_validation_equals_sklearn(tmp_path, case, state):
    X, y, w = {**FAST_FIT, **SKLEARN_FIT}[case](tmp_path)
    for reset in (True, False):
        fast = _outcome(_validation.validate_fit_data, _fitted(state), X, y, w, reset=reset)
        slow = _outcome(_validation._sklearn_fit_data, _fitted(state), X, y, w, reset)
        _assert_same_outcome(fast, slow, (X, y, w))


@pytest.mark.parametrize("case", sorted(FAST_FIT))
def test_fast_path_is_taken(tmp_path, case):
    X, y, w = FAST_FIT[case](tmp_path)
    model = _fitted("fitted")
    assert _validation._fast_fit_data(model, X, y, w, reset=False) is not None
    model = _fitted("fitted with names")
    out = _validation._fast_fit_data(model, X, y, w, reset=True)
    assert out is not None and np.shares_memory(out[0], X)
    assert out[0] is X or type(X) is np.memmap
    assert model.n_features_in_ == X.shape[1] and not hasattr(model, "feature_names_in_")


@pytest.mark.parametrize("case", sorted(SKLEARN_FIT))
def test_other_input_is_left_to_sklearn_untouched(tmp_path, case):
    X, y, w = SKLEARN_FIT[case](tmp_path)
    model = _fitted("fitted with names")
    assert _validation._fast_fit_data(model, X, y, w, reset=True) is None
    assert model.n_features_in_ == D and hasattr(model, "feature_names_in_")


PREDICT_CASES = {
    "float64": lambda X: X,
    "float32": lambda X: X.astype(np.float32),
    "fortran": np.asfortranarray,
    "read-only": lambda X: _readonly(X, None),
    "NaN (left to the pass)": lambda X: np.where(X > 1, np.nan, X),
    "too many features": lambda X: np.c_[X, X],
    "too few features": lambda X: X[:, :2],
    "no rows": lambda X: X[:0],
    "1-D": lambda X: X[0],
    "int": lambda X: X.astype(np.int64),
    "float16": lambda X: X.astype(np.float16),
    "complex": lambda X: X + 1j,
    "list": lambda X: X.tolist(),
}


@pytest.mark.parametrize("state", ["unfitted", "fitted", "fitted with names"])
@pytest.mark.parametrize("case", sorted(PREDICT_CASES))
def test_predict_validation_equals_sklearn(case, state):
    X = PREDICT_CASES[case](_xyw()[0])
    fast = _outcome(_validation.validate_predict_data, _fitted(state), X)
    slow = _outcome(_validation._sklearn_predict_data, _fitted(state), X)
    _assert_same_outcome(fast, slow, (X,))


def test_memmap_predict_input_is_a_view_of_the_map(tmp_path):
    mapped = _memmap(tmp_path, _xyw()[0], "X")
    out = _validation.validate_predict_data(_fitted("fitted"), mapped)
    assert type(out) is np.ndarray and np.shares_memory(out, mapped)
    slow = _validation._sklearn_predict_data(_fitted("fitted"), mapped)
    _assert_same_array(out, slow, (mapped,))

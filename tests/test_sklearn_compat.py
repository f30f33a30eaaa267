"""The estimator protocol without scikit-learn's base classes behaves as with them.

``Twin`` is ``LinearRegression``'s own code on ``RegressorMixin, BaseEstimator``, the base classes
it had before: parameters, repr, tags, HTML, routing and scores must match it.
"""

from __future__ import annotations

import dataclasses
import pickle
import re
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, RegressorMixin, clone, is_regressor
from sklearn.exceptions import NotFittedError, UndefinedMetricWarning
from sklearn.linear_model import LinearRegression as SklearnLinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from fastlinreg import LinearRegression, _sklearn_compat


def _twin_tags(self):
    tags = super(Twin, self).__sklearn_tags__()
    tags.target_tags.multi_output = True
    tags.input_tags.sparse = True
    return tags


Twin = type(
    "LinearRegression",
    (RegressorMixin, BaseEstimator),
    {
        **{
            k: v
            for k, v in vars(LinearRegression).items()
            if k not in ("__dict__", "__weakref__", "__doc__", "__annotations__")
        },
        "__sklearn_tags__": _twin_tags,
        "__module__": __name__,
    },
)


def _problem(n=60, d=3, k=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    coef = rng.normal(size=(d,) if k is None else (d, k))
    y = X @ coef + 0.5 + 0.3 * rng.normal(size=(n,) if k is None else (n, k))
    return X, y, rng.uniform(0.2, 3.0, size=n)


PARAMS = [
    {},
    {"alpha": 1.0},
    {"alpha": 1, "solver": "gram", "tol": 1e-6},
    {"alpha": float("nan")},
    {"fit_intercept": False, "max_iter": 10, "learning_rate": 0.1, "verbose": 2},
    {
        "accelerate": False,
        "alpha": 2.5,
        "fit_intercept": False,
        "learning_rate": 0.001,
        "max_iter": 12345,
        "solver": "gd",
        "standardize": False,
        "tol": 1e-3,
        "verbose": 1,
        "warm_start": True,
    },
    {"solver": "a rather long solver name that does not exist", "alpha": np.float32(3.0)},
    # The last item of a wrapped line fits only without the room for ")".
    {"alpha": "a" * 50, "solver": "s" * 10, "verbose": "v" * 31},
    # Items longer than a line; a repr longer than 700 characters, cut in the middle.
    {"solver": "s" * 70, "verbose": "v" * 70, "tol": 1},
    {"solver": "x" * 2000},
]


@pytest.mark.parametrize("params", PARAMS)
def test_params_and_repr_equal_base_estimator(params):
    ours, twin = LinearRegression(**params), Twin(**params)
    assert repr(ours) == repr(twin)
    assert str(ours.get_params()) == str(twin.get_params())
    with sklearn.config_context(print_changed_only=False):
        assert repr(ours) == repr(twin)
    ours.set_params(alpha=3.0, tol=1e-4)
    twin.set_params(alpha=3.0, tol=1e-4)
    assert repr(ours) == repr(twin) and ours.get_params() == twin.get_params()


def test_repr_examples():
    assert repr(LinearRegression()) == "LinearRegression()"
    assert repr(LinearRegression(alpha=1.0)) == "LinearRegression(alpha=1.0)"
    huge = repr(LinearRegression(solver="x" * 2000))
    assert "..." in huge and len(huge) < 800


@pytest.mark.parametrize(
    ("params", "error"),
    [({"alpha_": 1.0}, ValueError), ({"alpha__x": 1.0}, AttributeError)],
)
def test_set_params_errors_equal_base_estimator(params, error):
    with pytest.raises(error) as ours:
        LinearRegression(alpha=2.0).set_params(**params)
    with pytest.raises(error) as twin:
        Twin(alpha=2.0).set_params(**params)
    assert str(ours.value) == str(twin.value)


def test_invalid_parameter_message():
    with pytest.raises(ValueError, match=re.escape("Invalid parameter 'alpha_' for estimator")):
        LinearRegression().set_params(alpha_=1.0)


class _WithEstimatorParameter(LinearRegression):
    def __init__(self, *, alpha=0.0, scaler=None):
        super().__init__(alpha=alpha)
        self.scaler = scaler


def test_nested_params():
    model = _WithEstimatorParameter(scaler=StandardScaler())
    assert model.get_params()["scaler__with_mean"] is True
    assert "scaler__with_mean" not in model.get_params(deep=False)
    model.set_params(scaler__with_mean=False, alpha=2.0)
    assert model.scaler.with_mean is False and model.alpha == 2.0
    expected = "_WithEstimatorParameter(alpha=2.0, scaler=StandardScaler(with_mean=False))"
    assert repr(model) == expected


def test_tags_equal_base_estimator_field_by_field():
    ours, twin = get_tags(LinearRegression()), get_tags(Twin())
    assert dataclasses.asdict(ours) == dataclasses.asdict(twin)
    assert ours == twin
    assert ours.estimator_type == "regressor" and ours.target_tags.required
    assert ours.target_tags.multi_output and ours.input_tags.sparse
    assert is_regressor(LinearRegression())


def test_clone_and_check_is_fitted():
    X, y, _ = _problem()
    model = LinearRegression(alpha=0.5, solver="gram")
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    model.fit(X, y)
    check_is_fitted(model)
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert not hasattr(copy, "coef_")
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)


@pytest.mark.parametrize("fitted", [False, True])
def test_pickle_round_trip(fitted):
    X, y, _ = _problem()
    model = LinearRegression(alpha=0.25, solver="gd")
    if fitted:
        model.fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    assert repr(loaded) == repr(model) and loaded.get_params() == model.get_params()
    if fitted:
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        assert loaded.n_features_in_ == 3
    else:
        assert vars(loaded) == vars(model)


def test_grid_search_over_alpha_equals_base_estimator():
    X, y, _ = _problem(n=80, d=4)
    grid = {"alpha": [0.0, 1.0, 10.0, 100.0]}
    ours = GridSearchCV(LinearRegression(), grid, cv=4).fit(X, y)
    twin = GridSearchCV(Twin(), grid, cv=4).fit(X, y)
    np.testing.assert_array_equal(
        ours.cv_results_["mean_test_score"], twin.cv_results_["mean_test_score"]
    )
    assert ours.best_params_ == twin.best_params_
    assert isinstance(ours.best_estimator_, LinearRegression)


def test_pipeline_with_standard_scaler():
    X, y, w = _problem()
    X = X * [1.0, 100.0, 0.01] + 7.0
    pipe = make_pipeline(StandardScaler(), LinearRegression())
    ref = make_pipeline(StandardScaler(), SklearnLinearRegression())
    pipe.fit(X, y, linearregression__sample_weight=w)
    ref.fit(X, y, linearregression__sample_weight=w)
    np.testing.assert_allclose(pipe.predict(X), ref.predict(X), rtol=1e-9)
    assert pipe.score(X, y) == pytest.approx(ref.score(X, y), rel=1e-9)
    assert "('linearregression', LinearRegression())" in repr(pipe)


def _normalised_html(html):
    return re.sub(r"-id-\d+", "-id-N", html)


@pytest.mark.parametrize("fitted", [False, True])
def test_html_repr_equals_base_estimator(fitted):
    X, y, _ = _problem()
    ours, twin = LinearRegression(alpha=1.0), Twin(alpha=1.0)
    if fitted:
        ours.fit(X, y)
        twin.fit(X, y)
    assert _normalised_html(ours._repr_html_()) == _normalised_html(twin._repr_html_())
    bundle, twin_bundle = ours._repr_mimebundle_(), twin._repr_mimebundle_()
    assert bundle.keys() == twin_bundle.keys() == {"text/plain", "text/html"}
    assert bundle["text/plain"] == "LinearRegression(alpha=1.0)"
    assert _normalised_html(bundle["text/html"]) == _normalised_html(twin_bundle["text/html"])
    assert "alpha" in bundle["text/html"]
    with sklearn.config_context(display="text"):
        assert not hasattr(ours, "_repr_html_") and not hasattr(twin, "_repr_html_")
        assert ours._repr_mimebundle_() == {"text/plain": "LinearRegression(alpha=1.0)"}


def _r2_cases():
    rng = np.random.default_rng(3)
    y = rng.normal(size=50)
    pred = y + 0.3 * rng.normal(size=50)
    w = rng.uniform(0.1, 2.0, size=50)
    Y = np.c_[y, 3 * y + 1, rng.normal(size=50)]
    P = Y + 0.5 * rng.normal(size=Y.shape)
    const = np.full(50, 2.5)
    return {
        "random": (y, pred, None),
        "weighted": (y, pred, w),
        "float32 prediction": (y, pred.astype(np.float32), None),
        "float32 both": (y.astype(np.float32), pred.astype(np.float32), w.astype(np.float32)),
        "int y": (np.round(10 * y).astype(np.int64), 10 * pred, None),
        "int weights": (y, pred, np.arange(50)),
        "weights with zeros and negatives": (y, pred, np.r_[0.0, -0.5, w[2:]]),
        "multi-output": (Y, P, None),
        "multi-output weighted": (Y, P, w),
        "column y, flat prediction": (y[:, None], pred, None),
        "constant y, perfect": (const, const.copy(), None),
        "constant y, imperfect": (const, pred, None),
        "constant and varying outputs": (np.c_[const, y], np.c_[const + 1.0, pred], w),
        "two rows": (y[:2], pred[:2], None),
    }


@pytest.mark.parametrize("case", sorted(_r2_cases()))
def test_r2_score_without_sklearn_equals_r2_score(case):
    y, pred, w = _r2_cases()[case]
    assert _sklearn_compat._r2_score_numpy(y, pred, w) is not None
    assert _sklearn_compat.r2_score(y, pred, w) == r2_score(y, pred, sample_weight=w)


DELEGATED_R2 = {
    "one row": (np.ones(1), np.ones(1), None, UndefinedMetricWarning),
    "NaN in y": (np.r_[np.nan, 1.0, 2.0], np.ones(3), None, ValueError),
    "inf in prediction": (np.ones(3), np.r_[np.inf, 1.0, 2.0], None, ValueError),
    "all-zero weights": (np.arange(3.0), np.ones(3), np.zeros(3), ValueError),
    "zero-sum weights": (np.arange(3.0), np.ones(3), np.r_[1.0, -1.0, 0.0], ZeroDivisionError),
    "short weights": (np.arange(3.0), np.ones(3), np.ones(2), ValueError),
    "output count mismatch": (np.ones((3, 2)), np.ones((3, 3)), None, ValueError),
    "list y": ([1.0, 2.0, 4.0], np.ones(3), None, None),
}


@pytest.mark.parametrize("case", sorted(DELEGATED_R2))
def test_r2_score_leaves_other_cases_to_sklearn(case):
    y, pred, w, outcome = DELEGATED_R2[case]
    assert _sklearn_compat._r2_score_numpy(y, pred, w) is None
    if outcome is None:
        assert _sklearn_compat.r2_score(y, pred, w) == r2_score(y, pred, sample_weight=w)
    elif outcome is UndefinedMetricWarning:
        with pytest.warns(UndefinedMetricWarning):
            assert np.isnan(_sklearn_compat.r2_score(y, pred, w))
    else:
        with pytest.raises(outcome) as ours:
            _sklearn_compat.r2_score(y, pred, w)
        with pytest.raises(outcome) as theirs:
            r2_score(y, pred, sample_weight=w)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("k", [None, 2])
def test_score_equals_regressor_mixin_score(k):
    X, y, w = _problem(k=k)
    model = LinearRegression().fit(X, y)
    assert model.score(X, y) == RegressorMixin.score(model, X, y)
    assert model.score(X, y, sample_weight=w) == RegressorMixin.score(model, X, y, w)


def test_request_methods_need_routing_enabled():
    for method in ("set_fit_request", "set_partial_fit_request", "set_score_request"):
        with pytest.raises(RuntimeError) as ours:
            getattr(LinearRegression(), method)(sample_weight=True)
        with pytest.raises(RuntimeError) as twin:
            getattr(Twin(), method)(sample_weight=True)
        assert str(ours.value) == str(twin.value)


def test_metadata_requests_equal_base_estimator():
    def serialized(model):
        return model.get_metadata_routing()._serialize()

    assert serialized(LinearRegression()) == serialized(Twin())
    with sklearn.config_context(enable_metadata_routing=True):
        ours = LinearRegression().set_fit_request(sample_weight=True)
        twin = Twin().set_fit_request(sample_weight=True)
        ours.set_score_request(sample_weight="w").set_partial_fit_request(sample_weight=False)
        twin.set_score_request(sample_weight="w").set_partial_fit_request(sample_weight=False)
        assert serialized(ours) == serialized(twin)
        ours.set_fit_request(sample_weight=_sklearn_compat.UNCHANGED)
        assert serialized(ours) == serialized(twin)
        for copy in (clone(ours), pickle.loads(pickle.dumps(ours))):
            assert serialized(copy) == serialized(twin)
        with pytest.raises(TypeError):
            ours.set_fit_request(weights=True)


def test_cross_validate_routes_weights_as_for_sklearn():
    X, y, w = _problem(n=90)
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        results = [
            cross_validate(
                model.set_fit_request(sample_weight=True).set_score_request(sample_weight=True),
                X,
                y,
                cv=cv,
                params={"sample_weight": w},
                return_estimator=True,
            )
            for model in (LinearRegression(), SklearnLinearRegression())
        ]
        unweighted = cross_validate(LinearRegression(), X, y, cv=cv)
    ours, ref = results
    np.testing.assert_allclose(ours["test_score"], ref["test_score"], rtol=1e-9)
    assert not np.allclose(ours["test_score"], unweighted["test_score"], rtol=1e-6)
    for a, b in zip(ours["estimator"], ref["estimator"], strict=True):
        np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)


def test_pipeline_routes_weights_as_for_sklearn():
    X, y, w = _problem()
    with sklearn.config_context(enable_metadata_routing=True):
        pipes = [
            make_pipeline(
                StandardScaler().set_fit_request(sample_weight=False),
                model.set_fit_request(sample_weight=True).set_score_request(sample_weight=True),
            ).fit(X, y, sample_weight=w)
            for model in (LinearRegression(), SklearnLinearRegression())
        ]
        scores = [pipe.score(X, y, sample_weight=w) for pipe in pipes]
    np.testing.assert_allclose(pipes[0][-1].coef_, pipes[1][-1].coef_, rtol=1e-9)
    assert scores[0] == pytest.approx(scores[1], rel=1e-9)


def test_unrequested_weights_raise_as_for_sklearn():
    X, y, w = _problem()
    errors = []
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        for model in (LinearRegression(), SklearnLinearRegression()):
            with pytest.raises(ValueError) as error:
                cross_validate(model, X, y, params={"sample_weight": w})
            errors.append(error.value)
    assert type(errors[0]) is type(errors[1]) and str(errors[0]) == str(errors[1])

"""The JSON model format: exact round trips, strict validation, never code execution."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from fastlinreg import LinearRegression, ModelFormatError, load_model, save_model
from fastlinreg._model_io import model_to_dict


def _fitted(rng, dtype=np.float64, k=None, **params):
    X = rng.normal(size=(200, 4)).astype(dtype)
    shape = (200,) if k is None else (200, k)
    y = (X @ rng.normal(size=(4,) if k is None else (4, k)) + 0.3 + rng.normal(size=shape)).astype(
        dtype
    )
    return LinearRegression(**params).fit(X, y), X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [None, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_round_trip_predicts_identically(tmp_path, rng, dtype, k, fit_intercept):
    model, X = _fitted(rng, dtype, k, fit_intercept=fit_intercept, alpha=0.5)
    save_model(model, tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.predict(X).dtype == model.predict(X).dtype
    assert loaded.coef_.dtype == model.coef_.dtype
    assert type(loaded.intercept_) is type(model.intercept_)
    assert loaded.get_params() == model.get_params()
    for attr in ("n_features_in_", "n_iter_", "n_passes_", "converged_", "solver_", "loss_curve_"):
        assert getattr(loaded, attr) == getattr(model, attr)
    assert not hasattr(loaded, "feature_names_in_")


def test_feature_names_survive(tmp_path, rng):
    X = pd.DataFrame(rng.normal(size=(50, 2)), columns=["a b", "c(d)"])
    model = LinearRegression().fit(X, X["a b"] * 2 + 1)
    save_model(model, tmp_path / "m.json", training={"source": "x.csv"})
    loaded = load_model(tmp_path / "m.json")
    assert list(loaded.feature_names_in_) == ["a b", "c(d)"]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert json.loads((tmp_path / "m.json").read_text())["training"]["source"] == "x.csv"


def test_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        save_model(LinearRegression(), tmp_path / "m.json")


@pytest.fixture
def document(rng):
    model, _ = _fitted(rng)
    return model_to_dict(model)


def _write(tmp_path, document) -> str:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document))
    return str(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("format"), "not a fastlinreg model"),
        (lambda d: d.update(format="something-else"), "not a fastlinreg model"),
        (lambda d: d.update(format_version=2), "unsupported model format_version 2"),
        (lambda d: d.pop("coef"), r"missing field\(s\) \['coef'\]"),
        (lambda d: d.update(extra=1), r"unexpected field\(s\) \['extra'\]"),
        (lambda d: d.update(coef="1.0"), '"coef" must be'),
        (lambda d: d.update(coef=[1.0, True, 2.0, 3.0]), '"coef" must be'),
        (lambda d: d.update(coef=[[1.0, 2.0], [3.0]]), '"coef" must be'),
        (lambda d: d.update(coef=[1.0, 2.0]), r'"n_features_in" \(4\) does not match'),
        (lambda d: d.update(coef=[10**400, 0, 0, 0]), '"coef" must be'),
        (lambda d: d.update(intercept=[1.0]), '"intercept" must have shape'),
        (lambda d: d.update(dtype="int8"), '"dtype" must be'),
        (lambda d: d["params"].update(bogus=1), r"unknown estimator parameter\(s\) \['bogus'\]"),
        (lambda d: d["params"].update(alpha=-1.0), "invalid params: alpha must be"),
        (lambda d: d.update(params=[]), '"params" must be an object'),
        (lambda d: d.update(feature_names=["a", "a", "b", "c"]), '"feature_names" must be'),
        (lambda d: d.update(training=None), '"training" must be an object'),
        (lambda d: d["training"].update(n_iter="12"), 'invalid "training.n_iter"'),
        (lambda d: d["training"].update(loss_curve=["x"]), '"training.loss_curve" must be'),
    ],
)
def test_malformed_documents_are_rejected(tmp_path, document, change, message):
    change(document)
    with pytest.raises(ModelFormatError, match=message):
        load_model(_write(tmp_path, document))


def test_foreign_json_is_rejected(tmp_path):
    (tmp_path / "m.json").write_text("[1, 2, 3]")
    with pytest.raises(ModelFormatError, match="not a fastlinreg model"):
        load_model(tmp_path / "m.json")


def test_nan_literal_is_rejected(tmp_path, document):
    text = json.dumps(document).replace('"intercept": ', '"intercept": NaN, "x": ', 1)
    (tmp_path / "m.json").write_text(text)
    with pytest.raises(ModelFormatError, match="invalid JSON: NaN is not allowed"):
        load_model(tmp_path / "m.json")


def test_pickle_is_never_loaded(tmp_path, rng):
    model, _ = _fitted(rng)
    (tmp_path / "m.json").write_bytes(pickle.dumps(model))
    with pytest.raises(ModelFormatError, match="not a fastlinreg model"):
        load_model(tmp_path / "m.json")


def test_missing_model_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.json")

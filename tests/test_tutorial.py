"""The tutorial, reproduced: same iterates as the reference, closed-form accuracy by default."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.model_selection import train_test_split

from fastlinreg import LinearRegression
from fastlinreg.reference import NumpyLinearRegression


@pytest.fixture(scope="module")
def tutorial_data():
    X, y = make_regression(n_samples=100, n_features=1, noise=20, random_state=4)
    return train_test_split(X, y, test_size=0.2, random_state=1234)


def test_tutorial_settings_give_the_reference_iterates(tutorial_data):
    X_train, X_test, y_train, y_test = tutorial_data
    ours = LinearRegression(
        learning_rate=0.001,
        max_iter=1000,
        tol=0,
        solver="gd",
        accelerate=False,
        standardize=False,
    ).fit(X_train, y_train)
    ref = NumpyLinearRegression(learning_rate=0.001, n_iters=1000).fit(X_train, y_train)
    np.testing.assert_allclose(ours.coef_, ref.weights, rtol=1e-12)
    assert ours.intercept_ == pytest.approx(ref.bias, rel=1e-12)
    assert ours.n_iter_ == 1000 and not ours.converged_
    mse = np.mean((y_test - ours.predict(X_test)) ** 2)
    assert mse == pytest.approx(783.8, abs=0.05)


def test_loss_curve_matches_reference_objective(tutorial_data):
    X_train, _, y_train, _ = tutorial_data
    ours = LinearRegression(
        learning_rate=0.001, max_iter=5, tol=0, solver="gd", accelerate=False, standardize=False
    ).fit(X_train, y_train)
    ref_losses = []
    for n_iters in range(5):
        ref = NumpyLinearRegression(learning_rate=0.001, n_iters=n_iters).fit(X_train, y_train)
        ref_losses.append(np.mean((ref.predict(X_train) - y_train) ** 2) / 2)
    np.testing.assert_allclose(ours.loss_curve_, ref_losses, rtol=1e-12)


def test_defaults_reach_the_closed_form(tutorial_data):
    X_train, X_test, y_train, y_test = tutorial_data
    model = LinearRegression().fit(X_train, y_train)
    closed = np.linalg.lstsq(np.c_[X_train, np.ones(len(X_train))], y_train, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, closed[:1], rtol=1e-9)
    mse = np.mean((y_test - model.predict(X_test)) ** 2)
    assert mse == pytest.approx(305.774, abs=5e-4)
    assert model.converged_

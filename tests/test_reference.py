"""The NumPy tutorial baseline reproduces the tutorial's published numbers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.model_selection import train_test_split

from fastlinreg.reference import NumpyLinearRegression


@pytest.fixture(scope="module")
def tutorial_data():
    X, y = make_regression(n_samples=100, n_features=1, noise=20, random_state=4)
    return train_test_split(X, y, test_size=0.2, random_state=1234)


@pytest.mark.parametrize(("lr", "mse"), [(0.001, 783.8), (0.01, 305.77)])
def test_tutorial_mse(tutorial_data, lr, mse):
    X_train, X_test, y_train, y_test = tutorial_data
    model = NumpyLinearRegression(learning_rate=lr).fit(X_train, y_train)
    assert np.mean((y_test - model.predict(X_test)) ** 2) == pytest.approx(mse, abs=0.05)


def test_reference_converges_to_lstsq(rng):
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 4.0
    model = NumpyLinearRegression(learning_rate=0.1, n_iters=5000).fit(X, y)
    np.testing.assert_allclose(model.weights, [1.0, -2.0, 0.5], atol=1e-8)
    assert model.bias == pytest.approx(4.0, abs=1e-8)

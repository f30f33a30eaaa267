"""The tutorial's algorithm in plain NumPy: the baseline for tests and benchmarks.

This is gradient descent exactly as taught in the "Machine Learning From Scratch" tutorial that
fastlinreg started from: zero initialisation, a fixed learning rate and a fixed number of
iterations, two passes over ``X`` per iteration (``X @ w`` then ``X.T @ r``).
"""

from __future__ import annotations

import numpy as np


class NumpyLinearRegression:
    """Batch gradient descent for least squares, written with NumPy only.

    Parameters
    ----------
    learning_rate : float, default=0.001
        Fixed step size.
    n_iters : int, default=1000
        Number of gradient steps.

    Attributes
    ----------
    weights : ndarray of shape (n_features,)
        Coefficients after ``n_iters`` steps.
    bias : float
        Intercept after ``n_iters`` steps.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> model = NumpyLinearRegression(learning_rate=0.1, n_iters=2000).fit(X, 2 * X[:, 0] + 1)
    >>> round(float(model.weights[0]), 6), round(float(model.bias), 6)
    (2.0, 1.0)
    """

    def __init__(self, learning_rate: float = 0.001, n_iters: int = 1000):
        self.learning_rate = learning_rate
        self.n_iters = n_iters
        self.weights: np.ndarray | None = None
        self.bias: float | None = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> NumpyLinearRegression:
        """Run ``n_iters`` gradient-descent steps from zero.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Training data.
        y : ndarray of shape (n_samples,)
            Targets.

        Returns
        -------
        NumpyLinearRegression
            The fitted estimator itself.
        """
        n_samples, n_features = X.shape
        self.weights = np.zeros(n_features)
        self.bias = 0.0
        for _ in range(self.n_iters):
            y_predicted = np.dot(X, self.weights) + self.bias
            dw = (1 / n_samples) * np.dot(X.T, (y_predicted - y))
            db = (1 / n_samples) * np.sum(y_predicted - y)
            self.weights -= self.learning_rate * dw
            self.bias -= self.learning_rate * db
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return ``X @ weights + bias``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Samples to predict.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted values.
        """
        if self.weights is None or self.bias is None:
            raise RuntimeError("call fit before predict")
        return np.dot(X, self.weights) + self.bias

"""One pass over X: fastlinreg's fused kernel against one NumPy tutorial iteration."""

from __future__ import annotations

import numpy as np

from fastlinreg import bench, kernels
from fastlinreg.reference import NumpyLinearRegression

from .common import DTYPES, N_FEATURES, N_SAMPLES, pin_threads


class Pass:
    """Time and peak memory of one pass over ``X`` (peak memory includes ``X`` itself)."""

    params = (N_SAMPLES, N_FEATURES, DTYPES)
    param_names = ["n_samples", "n_features", "dtype"]
    timeout = 300

    def setup(self, n_samples, n_features, dtype):
        """Make the data and compile the kernels for this dtype."""
        pin_threads()
        self.X, self.y = bench.make_data(n_samples, n_features, dtype)
        self.coef = np.zeros(n_features)
        kernels.residual_gradient(self.X[:100], self.y[:100], self.coef, 0.0)
        kernels.predict(self.X[:100], self.coef, 0.0)

    def time_fused_pass(self, n_samples, n_features, dtype):
        """Residuals, gradient and loss in one fused pass (fastlinreg's GD iteration)."""
        kernels.residual_gradient(self.X, self.y, self.coef, 0.0)

    def time_numpy_tutorial_iteration(self, n_samples, n_features, dtype):
        """One iteration of the tutorial's GD: ``X @ w``, then ``X.T @ r`` (two passes)."""
        NumpyLinearRegression(learning_rate=0.001, n_iters=1).fit(self.X, self.y)

    def time_predict(self, n_samples, n_features, dtype):
        """``X @ coef + intercept`` by the predict kernel."""
        kernels.predict(self.X, self.coef, 0.0)

    def peakmem_fused_pass(self, n_samples, n_features, dtype):
        """Peak memory of the fused pass."""
        kernels.residual_gradient(self.X, self.y, self.coef, 0.0)

    def peakmem_numpy_tutorial_iteration(self, n_samples, n_features, dtype):
        """Peak memory of one tutorial iteration (it allocates n-sized temporaries)."""
        NumpyLinearRegression(learning_rate=0.001, n_iters=1).fit(self.X, self.y)

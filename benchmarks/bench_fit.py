"""Time to solution: every fastlinreg solver against NumPy and scikit-learn closed forms."""

from __future__ import annotations

from fastlinreg import bench

from .common import DTYPES, N_FEATURES, N_SAMPLES, fit_candidates, pin_threads, prepared


class Fit:
    """Time and peak memory of a full fit (peak memory includes ``X`` itself).

    The candidates are those of ``fastlinreg bench``: fastlinreg with each solver, NumPy
    normal equations, scikit-learn ``LinearRegression`` and ``Ridge(alpha=1)``.
    """

    params = (N_SAMPLES, N_FEATURES, DTYPES, list(fit_candidates()))
    param_names = ["n_samples", "n_features", "dtype", "candidate"]
    timeout = 600
    number = 1
    repeat = (1, 5, 60.0)

    def setup(self, n_samples, n_features, dtype, candidate):
        """Make the data and warm the candidate up."""
        pin_threads()
        self.X, self.y = bench.make_data(n_samples, n_features, dtype)
        self.candidate = prepared(fit_candidates(dtype)[candidate], self.X, self.y)

    def time_fit(self, n_samples, n_features, dtype, candidate):
        """Fit to the closed-form solution."""
        self.candidate.call(self.X, self.y)

    def peakmem_fit(self, n_samples, n_features, dtype, candidate):
        """Peak memory of the fit."""
        self.candidate.call(self.X, self.y)

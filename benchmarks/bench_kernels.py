"""One pass over X: fastlinreg's fused kernel against one NumPy tutorial iteration and a probe."""

from __future__ import annotations

import numpy as np

from fastlinreg import bench, bench_kernel, kernels
from fastlinreg.reference import NumpyLinearRegression

from .common import (
    DTYPES,
    KERNEL_FEATURES,
    KERNEL_MEGABYTES,
    N_FEATURES,
    N_SAMPLES,
    pin_threads,
)


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


class KernelBandwidth:
    """The fused pass's bandwidth next to the in-run read-bandwidth probe, over (n, d, dtype).

    ``X`` is ``megabytes`` MB (``n = ceil(MB * 1e6 / (d * itemsize))`` rows) and the model a
    nonzero random one, as in ``fastlinreg bench --kernel``. Each ``track_*`` entry times
    :data:`ROUNDS` interleaved rounds of probe and fused pass (and the NumPy tutorial iteration
    for ``track_times_numpy``) in the process, with the helper of that table, and reports the
    best round: a bandwidth makes sense only beside a probe measured in the same run.
    """

    params = (KERNEL_MEGABYTES, KERNEL_FEATURES, DTYPES)
    param_names = ["megabytes", "n_features", "dtype"]
    unit = "GB/s"
    timeout = 300
    #: Interleaved rounds per ``track_*`` call.
    ROUNDS = 5

    def setup(self, megabytes, n_features, dtype):
        """Make the data and the model; compile the probe and the fused kernel on a slice."""
        pin_threads()
        n = bench_kernel.n_samples_for(megabytes, n_features, dtype)
        self.X, self.y = bench.make_data(n, n_features, dtype)
        self.coef, self.intercept = bench_kernel.random_model(n_features)
        bench_kernel.warm_up(self.X, self.y, self.coef, self.intercept)

    def _measure(self, numpy=False):
        return bench_kernel.measure(
            self.X, self.y, self.coef, self.intercept, self.ROUNDS, numpy=numpy
        )

    def time_fused_pass(self, megabytes, n_features, dtype):
        """One fused pass (residuals, gradient, loss) with a nonzero model."""
        bench.fused_pass(self.X, self.y, self.coef, self.intercept)

    def track_fused_gbps(self, megabytes, n_features, dtype):
        """Fused pass: (X + y bytes) / time, best of the rounds."""
        return self._measure().gb_per_s("fused")

    def track_probe_gbps(self, megabytes, n_features, dtype):
        """Read probe (parallel sum over X): X bytes / time, best of the rounds."""
        return self._measure().gb_per_s("probe")

    def track_percent_of_probe(self, megabytes, n_features, dtype):
        """Fused GB/s as a percentage of the probe's, both measured in the same rounds."""
        return self._measure().percent_of_probe()

    track_percent_of_probe.unit = "%"

    def track_times_numpy(self, megabytes, n_features, dtype):
        """NumPy tutorial iteration's time over the fused pass's, best of the rounds each."""
        return self._measure(numpy=True).vs_numpy()

    track_times_numpy.unit = "x"

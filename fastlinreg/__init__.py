"""fastlinreg: gradient-descent linear regression on a fused, memory-bandwidth-bound kernel.

Public names: :class:`LinearRegression`, :class:`DivergenceError`, :func:`save_model` and
:func:`load_model` (the JSON model format, with :class:`ModelFormatError`),
:func:`show_config` (threading layer, threads, cache, versions), and the modules
:mod:`fastlinreg.kernels` (low-level passes), :mod:`fastlinreg.reference` (the NumPy tutorial
baseline), :mod:`fastlinreg.io` (reading data files) and :mod:`fastlinreg.bench` (the benchmark
harness). Importing the package compiles nothing.
"""

from ._estimator import LinearRegression
from ._model_io import ModelFormatError, load_model, save_model
from ._runtime import show_config
from ._solvers import DivergenceError

__all__ = [
    "DivergenceError",
    "LinearRegression",
    "ModelFormatError",
    "__version__",
    "load_model",
    "save_model",
    "show_config",
]

__version__ = "0.1.0"

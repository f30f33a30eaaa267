"""fastlinreg: gradient-descent linear regression on a fused, memory-bandwidth-bound kernel.

Public names: :class:`LinearRegression`, :class:`DivergenceError`, and the modules
:mod:`fastlinreg.kernels` (low-level passes) and :mod:`fastlinreg.reference` (the NumPy tutorial
baseline). Importing the package compiles nothing.
"""

from ._estimator import LinearRegression
from ._solvers import DivergenceError

__all__ = ["DivergenceError", "LinearRegression", "__version__"]

__version__ = "0.1.0"

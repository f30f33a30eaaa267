"""Least squares and ridge on large data, on a fused, memory-bandwidth-bound kernel.

Public names: :class:`LinearRegression`, :class:`DivergenceError`, :func:`save_model` and
:func:`load_model` (the JSON model format, with :class:`ModelFormatError`),
:func:`show_config` (threading layer, threads, cache, versions), and the modules
:mod:`fastlinreg.kernels` (low-level passes), :mod:`fastlinreg.reference` (the NumPy tutorial
baseline), :mod:`fastlinreg.io` (reading data files) and :mod:`fastlinreg.bench` (the benchmark
harness). Importing the package compiles nothing and imports nothing heavy: each public name
is imported on first use, so the command line can take Ctrl-C from its very first line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._estimator import LinearRegression
    from ._model_io import ModelFormatError, load_model, save_model
    from ._runtime import show_config
    from ._solvers import DivergenceError

__version__ = "0.1.0"

#: Public name -> the private module that defines it.
_HOMES = {
    "DivergenceError": "._solvers",
    "LinearRegression": "._estimator",
    "ModelFormatError": "._model_io",
    "load_model": "._model_io",
    "save_model": "._model_io",
    "show_config": "._runtime",
}

__all__ = [
    "DivergenceError",
    "LinearRegression",
    "ModelFormatError",
    "__version__",
    "load_model",
    "save_model",
    "show_config",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})

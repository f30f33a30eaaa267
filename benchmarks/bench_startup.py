"""Cold start: a fresh interpreter imports fastlinreg and fits once."""

from __future__ import annotations

FIRST_FIT = """
import numpy as np
from fastlinreg import LinearRegression
X = np.random.default_rng(0).standard_normal((1000, 10))
LinearRegression().fit(X, X @ np.arange(10.0) + 1.0)
"""

EMPTY_CACHE = """
import os, tempfile
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp()
"""


class Startup:
    """Import plus first fit, with Numba's on-disk cache as installed or empty."""

    params = ["cache", "compile"]
    param_names = ["numba_cache"]
    timeout = 600

    def timeraw_import_and_first_fit(self, numba_cache):
        """``compile`` points Numba at an empty cache directory, so every kernel compiles."""
        return FIRST_FIT, (EMPTY_CACHE if numba_cache == "compile" else "")

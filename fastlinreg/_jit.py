"""The one way fastlinreg compiles kernels: Numba, cached on disk where that is possible."""

from __future__ import annotations

from numba import njit

# "nnan"/"ninf" are left out on purpose: they would let LLVM drop the propagation of NaN/inf that
# the solvers rely on to detect bad input and divergence.
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


def jit(**options):
    """Return ``njit`` with an on-disk cache where one can be written, and without one elsewhere.

    Numba refuses ``cache=True`` at decoration time (that is, at import) when neither the
    package's ``__pycache__``, ``NUMBA_CACHE_DIR`` nor the user's cache directory is writable,
    e.g. for a read-only install run with an unwritable HOME; the kernels then compile on first
    use in each process instead.
    """

    def decorate(fn):
        try:
            return njit(cache=True, **options)(fn)
        except RuntimeError as exc:
            if "no locator available" not in str(exc):
                raise
            return njit(cache=False, **options)(fn)

    return decorate

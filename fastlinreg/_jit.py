"""The one way fastlinreg compiles kernels: Numba, cached on disk where that is possible."""

from __future__ import annotations

import hashlib
from typing import Any

from numba import njit
from numba.core.caching import IndexDataCacheFile

# "nnan"/"ninf" are left out on purpose: they would let LLVM drop the propagation of NaN/inf that
# the solvers rely on to detect bad input and divergence.
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


class _KeyedCacheFile(IndexDataCacheFile):
    """Numba's cache files, with each data file named by a hash of its key.

    Numba numbers a function's data files in the order their signatures are first saved, so two
    processes compiling different signatures at the same time can both pick number 1 and one
    overwrites the other's machine code under the other's index entry: a later process then
    loads code compiled for other types or another specialisation. A name derived from the key
    (signature, target, bytecode and closure variables) cannot be shared by two keys, and the
    data is written before the index points at it.
    """

    def save(self, key: Any, data: Any) -> None:
        """Write the data file of ``key``, then record it in the index."""
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
        name = self._data_name_pattern.replace("{number:d}", digest)
        self._save_data(name, data)
        overloads = self._load_index()
        if overloads.get(key) != name:
            overloads[key] = name
            self._save_index(overloads)


def _keyed_cache(dispatcher: Any) -> bool:
    """Give a caching dispatcher :class:`_KeyedCacheFile`; False if Numba's layout is unknown."""
    cache: Any = getattr(dispatcher, "_cache", None)
    try:
        cache._cache_file = _KeyedCacheFile(
            cache_path=cache._cache_path,
            filename_base=cache._impl.filename_base,
            source_stamp=cache._impl.locator.get_source_stamp(),
        )
    except AttributeError:
        return False
    return True


def specialised(identity: str):
    """Return a decorator that names a factory-made function after its specialisation.

    Numba names compiled functions (and their symbols in machine code) by qualified name, a
    per-process counter and argument types. Closures that one factory makes for different
    constants have the same qualified name and argument types, so their symbols can coincide
    between processes, and a process that loads two of them from the disk cache links calls to
    the wrong one. The identity makes the names differ. Apply it below ``njit``.

    Parameters
    ----------
    identity : str
        Letters, digits and underscores: what tells this specialisation apart.
    """

    def rename(fn):
        fn.__qualname__ = f"{fn.__qualname__}_{identity}"
        fn.__name__ = f"{fn.__name__}_{identity}"
        return fn

    return rename


def jit(identity: str | None = None, **options):
    """Return ``njit`` with an on-disk cache where one can be written, and without one elsewhere.

    Numba refuses ``cache=True`` at decoration time (that is, at import) when neither the
    package's ``__pycache__``, ``NUMBA_CACHE_DIR`` nor the user's cache directory is writable,
    e.g. for a read-only install run with an unwritable HOME; the kernels then compile on first
    use in each process instead.

    Parameters
    ----------
    identity : str, optional
        What tells this specialisation apart from the others that the same factory makes (see
        :func:`specialised`); it also gives each its own cache index, which Numba keys by
        qualified name and line.
    **options
        Passed to ``numba.njit``.
    """

    def decorate(fn):
        if identity is not None:
            fn = specialised(identity)(fn)
        try:
            dispatcher = njit(cache=True, **options)(fn)
        except RuntimeError as exc:
            if "no locator available" not in str(exc):
                raise
            return njit(cache=False, **options)(fn)
        # A Numba whose cache internals differ gets no disk cache rather than a racy one.
        return dispatcher if _keyed_cache(dispatcher) else njit(cache=False, **options)(fn)

    return decorate

"""Thread and fork safety of the parallel kernels, and a report of the runtime configuration.

Numba's threading layers differ in what survives: ``tbb`` is safe with Python threads and with
``fork``; GNU OpenMP (``omp``, what a plain pip install gets when TBB cannot be loaded) is
thread-safe but a process forked after it started dies or hangs at its next parallel launch;
``workqueue`` is fork-safe but aborts the process when two Python threads launch at once.

So, before the first launch (never at import):

- if the user has not chosen a layer, the ``tbb`` wheel's library is preloaded, because pip puts
  it outside the loader's path and Numba would otherwise fall back to ``omp``; Numba's own
  priority (tbb, omp, workqueue) then picks it. ``FASTLINREG_PRELOAD_TBB=0`` turns this off;
- under ``workqueue`` every launch takes a process-wide lock;
- in a process forked after GNU OpenMP started, launches run the kernel's serial twin (the
  same function compiled without ``parallel``: identical results, since the chunking is fixed).

Limitation: a fork is recognised through a handler registered when fastlinreg is imported; a
process forked from a parent that ran its own GNU-OpenMP parallel code *before importing
fastlinreg* cannot be told apart, and its parallel launches would hang as Numba's own would.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numba

PRELOAD_ENV = "FASTLINREG_PRELOAD_TBB"
_TBB_LIBRARY = {"linux": "libtbb.so.12", "darwin": "libtbb.12.dylib"}.get(sys.platform)
_THREAD_SAFE = frozenset({"tbb", "omp"})

_setup_lock = threading.Lock()
_launch_lock = threading.RLock()
_state: dict[str, Any] = {}
_serial_twins: dict[Any, Any] = {}
_forked_after_gnu_omp = False


def _config(name: str) -> Any:
    # numba.config sets its attributes at run time, out of a type checker's sight.
    return getattr(numba.config, name)


def _active_layer() -> str | None:
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel region has run yet: do not start one here
        return None


def _gnu_openmp() -> bool:
    if _active_layer() != "omp":
        return False
    omppool = importlib.import_module("numba.np.ufunc.omppool")
    return getattr(omppool, "openmp_vendor", None) == "GNU"


def _after_fork_in_child() -> None:
    global _launch_lock, _forked_after_gnu_omp
    _launch_lock = threading.RLock()  # the parent's may have been held by another thread
    if _gnu_openmp():
        _forked_after_gnu_omp = True


if hasattr(os, "register_at_fork"):
    # Only records that a fork happened; it starts nothing and loads nothing.
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _preload_tbb() -> str | None:
    """Load the ``tbb`` wheel's library so that Numba can find it; return its path."""
    if _TBB_LIBRARY is None or os.environ.get(PRELOAD_ENV, "1") == "0":
        return None
    from importlib import metadata

    try:
        files = metadata.files("tbb") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in files:
        if entry.name == _TBB_LIBRARY:
            path = os.path.realpath(str(entry.locate()))
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                return None
            return path
    return None


def ensure_runtime() -> dict[str, Any]:
    """Choose and start the threading layer once (idempotent, thread-safe).

    A layer that is already running, or one requested through ``NUMBA_THREADING_LAYER`` or
    ``numba.config.THREADING_LAYER``, is left as it is.

    Returns
    -------
    dict
        ``active_layer``, ``tbb_preloaded`` (path or None) and ``preconfigured`` (whether the
        layer was chosen by someone else).
    """
    if _state:
        return _state
    with _setup_lock:
        if _state:
            return _state
        running = _active_layer() is not None
        requested = str(_config("THREADING_LAYER")).lower()
        preconfigured = running or requested != "default"
        tbb = None if preconfigured else _preload_tbb()
        numba.get_num_threads()  # starts the layer
        _state.update(active_layer=_active_layer(), tbb_preloaded=tbb, preconfigured=preconfigured)
        return _state


def num_threads() -> int:
    """Return Numba's thread count, read after the threading layer is established.

    ``numba.get_num_threads()`` starts a layer when none is running, so calling it before
    :func:`ensure_runtime` would settle on whatever Numba finds first (OpenMP rather than the
    preloaded TBB). Every fastlinreg path that sizes a thread pool asks here instead.

    Returns
    -------
    int
        The number of threads a parallel launch uses.
    """
    ensure_runtime()
    return int(numba.get_num_threads())


@contextlib.contextmanager
def pinned_numba_threads(threads: int) -> Iterator[None]:
    """Set Numba's thread count inside the block, after establishing the threading layer.

    Parameters
    ----------
    threads : int
        At most Numba's ``NUMBA_NUM_THREADS``.

    Yields
    ------
    None
        The previous count is restored on exit.
    """
    previous = num_threads()
    numba.set_num_threads(threads)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _serial_twin(kernel):
    twin = _serial_twins.get(kernel)
    if twin is None:
        # A compiled dispatcher's options include "nopython", which njit warns about.
        options = {k: v for k, v in kernel.targetoptions.items() if k != "nopython"}
        options["parallel"] = False
        twin = _serial_twins[kernel] = numba.njit(**options)(kernel.py_func)
    return twin


def _caused_by_interrupt(exc: BaseException) -> bool:
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, KeyboardInterrupt):
            return True
        cause = cause.__cause__
    return False


def launch(kernel, *args):
    """Run a parallel kernel safely for the active threading layer.

    Parameters
    ----------
    kernel : numba dispatcher
        A function compiled with ``parallel=True``.
    *args
        Its arguments.

    Returns
    -------
    object
        What the kernel returns.

    Raises
    ------
    KeyboardInterrupt
        When interrupted, as a plain ``KeyboardInterrupt`` (however the signal reached Numba).
    """
    state = ensure_runtime()
    try:
        if _forked_after_gnu_omp:
            return _serial_twin(kernel)(*args)
        if state["active_layer"] in _THREAD_SAFE:
            return kernel(*args)
        with _launch_lock:
            return kernel(*args)
    except SystemError as exc:
        # A signal handled while Numba boxes the result (Ctrl-C) leaves its exception set
        # beside the result, which CPython reports as SystemErrors caused by it.
        if _caused_by_interrupt(exc):
            raise KeyboardInterrupt from None
        raise


def show_config() -> dict[str, Any]:
    """Report the parallel runtime, the kernel cache and versions, without starting anything.

    Returns
    -------
    dict
        Threading layer requested and active (None before the first fit), whether TBB was
        preloaded, whether launches are serialised by a lock or run serially after a fork,
        Numba's thread count, the cache location, and the versions of fastlinreg, Numba,
        NumPy, scikit-learn and Python.
    """
    import numpy
    import sklearn

    from . import __version__, _fused

    layer = _active_layer()
    cache = getattr(_fused.fused_pass_rows, "_cache", None)
    return {
        "threading_layer_requested": str(_config("THREADING_LAYER")),
        "threading_layer_active": layer,
        "tbb_preloaded": _state.get("tbb_preloaded"),
        "launch_lock": layer is not None and layer not in _THREAD_SAFE,
        "serial_after_fork": _forked_after_gnu_omp,
        "num_threads": _config("NUMBA_NUM_THREADS"),
        "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR"),
        "kernel_cache_path": getattr(cache, "_cache_path", None),
        "fastlinreg": __version__,
        "numba": numba.__version__,
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "python": sys.version.split()[0],
    }

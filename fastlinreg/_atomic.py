"""Output files that never cost data: same-file checks and atomic replacement.

:func:`check_output` refuses an output path that is one of the inputs (compared by device and
inode, so a second name, a hard link or a symbolic link to the input is caught) and one whose
folder cannot take a new file, before any data is read. :func:`atomic_writer` writes to a
temporary file in the target's folder, flushes it to disk and renames it over the target, so
the target holds either its old contents or the complete new ones, whatever happens to the
process (an error, a signal, a full disk, ``SIGKILL``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

__all__ = ["OutputError", "atomic_writer", "check_output", "same_file"]


class OutputError(ValueError):
    """An output path that cannot be written safely; the message says why."""


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same existing file (same device and inode).

    Parameters
    ----------
    a, b : str or path-like

    Returns
    -------
    bool
        False when either path does not exist.
    """
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def check_output(
    path: str | os.PathLike[str],
    inputs: Iterable[str | os.PathLike[str]],
    option: str = "--output",
) -> None:
    """Refuse an output path that is an input, a folder, or in a folder that cannot be written.

    Parameters
    ----------
    path : str or path-like
        The output file (it may not exist yet).
    inputs : iterable of str or path-like
        Files the command reads (``"-"``, standard input, is skipped).
    option : str, default="--output"
        The option that named ``path``, for the message.

    Raises
    ------
    OutputError
        Naming the input the output would overwrite, or the folder's problem.
    """
    for source in inputs:
        if str(source) != "-" and same_file(path, source):
            raise OutputError(
                f"{option} {path} is the input file {source}; writing it would destroy the "
                "input: choose another output path"
            )
    if os.path.isdir(path):
        raise OutputError(f"{option} {path} is a folder, not a file")
    folder = os.path.dirname(os.path.realpath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"{option} {path}: the folder does not exist ({folder})")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {path}: the folder is not writable ({folder})")


def _new_file_mode(target: str) -> int:
    """Return the target's mode, or for a new file the mode ``open`` would give it."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        # The umask can only be read by setting it; this runs in the command line's one thread.
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8"
) -> Iterator[IO[Any]]:
    r"""Open a temporary file beside ``path`` and, if the block succeeds, rename it over ``path``.

    The data are flushed and ``fsync``-ed before the rename, and the folder after it. If the
    block raises anything (an error, ``KeyboardInterrupt``, an exception raised by a signal
    handler), the temporary file is removed and ``path`` is left as it was. A symbolic link
    at ``path`` keeps pointing where it did: the file it points to is replaced.

    Parameters
    ----------
    path : str or path-like
        The file to create or replace.
    mode : {"w", "wb"}, default="w"
        Text or binary.
    encoding : str or None, default="utf-8"
        Encoding in text mode (ignored in binary mode).

    Yields
    ------
    file object
        The temporary file, open for writing.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_writer(target) as out:
    ...     _ = out.write("complete\n")
    >>> from pathlib import Path
    >>> Path(target).read_text()
    'complete\n'
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    target = os.path.realpath(path)
    folder, name = os.path.split(target)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        if mode == "wb":
            out: IO[Any] = os.fdopen(fd, "wb")
        else:
            out = os.fdopen(fd, "w", encoding=encoding, newline="")
    except BaseException:
        os.close(fd)
        os.unlink(temporary)
        raise
    try:
        with out:
            os.fchmod(out.fileno(), _new_file_mode(target))
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename durable; some file systems cannot open a folder, which is harmless."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

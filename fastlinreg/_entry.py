"""The console script's entry point: Ctrl-C and SIGTERM are one line from the first import on.

The ``fastlinreg`` script imports this module before anything else of the package, so the
signals are handled while NumPy and the command line are still being imported (a second or
more on a cold machine), not only once :func:`fastlinreg.cli.main` runs.
"""

from __future__ import annotations

import signal
import sys
from typing import Any


class _TerminatedWhileImporting(BaseException):
    """SIGTERM before the command line installed its own handler."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _TerminatedWhileImporting


def main() -> int:
    """Import the command line and run it; exit 130 or 143 with one line if stopped on the way.

    Returns
    -------
    int
        The exit status of :func:`fastlinreg.cli.main`, or 130 (SIGINT) and 143 (SIGTERM)
        when the signal arrives before it runs.
    """
    # Kept until the process exits: the command line replaces it while it runs and puts it
    # back when it returns, so no moment is left to the default action (a silent kill).
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        from .cli import main as cli_main

        return cli_main()
    except KeyboardInterrupt:
        print("fastlinreg: interrupted", file=sys.stderr)
        return 130
    except _TerminatedWhileImporting:
        print("fastlinreg: terminated", file=sys.stderr)
        return 143

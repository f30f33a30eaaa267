"""Run the command line, sending signal ``argv[1]`` to itself when an output is made durable.

The signal comes after the temporary file is written, before it is renamed over the target.
"""

import os
import sys

from fastlinreg.cli import main

_real_fsync = os.fsync


def _fsync_after_a_signal(fd: int) -> None:
    os.kill(os.getpid(), int(sys.argv[1]))
    _real_fsync(fd)


if __name__ == "__main__":
    os.fsync = _fsync_after_a_signal
    sys.exit(main(sys.argv[2:]))

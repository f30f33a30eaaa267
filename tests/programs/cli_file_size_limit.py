"""Run the command line under a file-size limit of ``argv[1]`` bytes, so that its write fails.

The same command runs once before without the limit, writing to ``OUTPUT.warm``, so that every
kernel is loaded (and any cache file written) before the limit is set.
"""

import resource
import signal
import sys

from fastlinreg.cli import main

if __name__ == "__main__":
    argv = sys.argv[2:]
    assert main([*argv[:-1], argv[-1] + ".warm"]) == 0
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    sys.exit(main(argv))

"""Run the command line with a fit that prints ``fitting`` and then sleeps for a minute."""

import sys
import time

import fastlinreg
from fastlinreg.cli import main


def _slow_fit(self, *args, **kwargs):
    print("fitting", flush=True)
    time.sleep(60)


if __name__ == "__main__":
    fastlinreg.LinearRegression.fit = _slow_fit
    sys.exit(main(sys.argv[1:]))

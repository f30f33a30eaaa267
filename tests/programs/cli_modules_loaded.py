"""Run the command line with the arguments given; print its status and every loaded module."""

import json
import sys

from fastlinreg.cli import main

if __name__ == "__main__":
    try:
        status = main(sys.argv[1:])
    except SystemExit as exc:
        status = exc.code
    print(json.dumps({"status": status, "modules": sorted(sys.modules)}))

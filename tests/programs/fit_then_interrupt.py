"""Send SIGINT to a long fit (solver ``argv[1]``) one second in; print what happened as JSON.

The result says how the fit ended, how long after the signal, and whether the estimator's
attributes are those it had before the call.
"""

import json
import os
import signal
import sys
import threading
import time

import numpy as np

from fastlinreg import LinearRegression


def main(solver: str) -> None:
    """Warm the kernels on a short fit, then interrupt a long one."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300_000, 20))
    y = X @ np.ones(20) + rng.standard_normal(300_000)
    # A short fit first, so that the kernels are compiled before the clock starts.
    model = LinearRegression(solver=solver, max_iter=5, tol=0).fit(X[:500], y[:500])
    model.set_params(max_iter=10**6)
    before = {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in vars(model).items()}
    sent = []

    def interrupt() -> None:
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Timer(1.0, interrupt).start()
    try:
        model.fit(X, y)
        outcome = "finished"
    except KeyboardInterrupt:
        outcome = "KeyboardInterrupt"
    except BaseException as exc:
        outcome = type(exc).__name__
    delay = time.perf_counter() - sent[0] if sent else None
    after = vars(model)
    same = before.keys() == after.keys() and all(
        np.array_equal(v, after[k]) if isinstance(v, np.ndarray) else v == after[k]
        for k, v in before.items()
    )
    print(json.dumps({"outcome": outcome, "delay": delay, "unchanged": bool(same)}))


if __name__ == "__main__":
    main(sys.argv[1])

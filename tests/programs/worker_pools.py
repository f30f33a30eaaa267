"""Fit from 8 threads, or from a pool of processes (``fork``, ``spawn``, ...), after a fit here.

``argv[1]`` is ``threads`` or a start method. Prints JSON: whether every result equals the
serial one, bit for bit, the active threading layer and whether launches were locked.
"""

import json
import multiprocessing
import sys
import threading

import numpy as np

import fastlinreg
from fastlinreg import LinearRegression

SOLVERS = ("gd", "gram", "auto")


def data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return a problem of 3000 x 30 with scaled, offset columns."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3000, 30)) * rng.uniform(0.5, 2, 30) + 1
    return X, X @ rng.standard_normal(30) + rng.standard_normal(3000)


def fit(seed: int) -> list[str]:
    """Fit problem ``seed`` with every solver; return coefficients and predictions as hex."""
    X, y = data(seed)
    out = []
    for solver in SOLVERS:
        m = LinearRegression(solver=solver).fit(X, y)
        out.append(m.coef_.tobytes().hex() + m.predict(X[:50]).tobytes().hex())
    return out


def threads() -> bool:
    """Whether 8 threads fitting 3 times each give the serial results."""
    want = [fit(s) for s in range(8)]
    got: list[list[str] | None] = [None] * 8

    def run(i: int) -> None:
        for _ in range(3):
            got[i] = fit(i)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return got == want


def pool(method: str) -> bool:
    """Whether a pool of 2 processes started by ``method`` gives the serial results."""
    want = [fit(s) for s in range(4)]
    with multiprocessing.get_context(method).Pool(2) as p:
        got = p.map(fit, range(4))
    return got == want


if __name__ == "__main__":
    scenario = sys.argv[1]
    ok = threads() if scenario == "threads" else pool(scenario)
    config = fastlinreg.show_config()
    print(
        json.dumps(
            {"ok": ok, "layer": config["threading_layer_active"], "lock": config["launch_lock"]}
        )
    )

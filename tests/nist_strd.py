"""NIST StRD linear-regression datasets and their certified values, and the LRE measure.

The files in ``tests/data/nist_strd/`` are NIST's, unchanged (see ``SOURCE.md`` there). The design
matrix is built from the model line of each file: a polynomial in one predictor (Norris, Pontius,
Filip, Wampler1-5), a line through the origin (NoInt1, NoInt2) or one column per predictor
(Longley).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).parent / "data" / "nist_strd"
NAMES = (
    "Norris",
    "Pontius",
    "NoInt1",
    "NoInt2",
    "Filip",
    "Longley",
    "Wampler1",
    "Wampler2",
    "Wampler3",
    "Wampler4",
    "Wampler5",
)
_NUMBER = r"([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)"


@dataclass(frozen=True)
class Dataset:
    """One certified problem: ``y ~ intercept + X @ coef`` (no intercept when it has none)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    fit_intercept: bool
    coef: np.ndarray
    intercept: float
    residual_sd: float
    r_squared: float


def load(name: str) -> Dataset:
    """Parse one StRD file into its design, targets and certified values."""
    lines = (DATA_DIR / f"{name}.dat").read_text().splitlines()
    params: dict[int, float] = {}
    for line in lines:
        m = re.match(rf"^\s*B(\d+)\s+{_NUMBER}\s+{_NUMBER}\s*$", line)
        if m:
            params[int(m.group(1))] = float(m.group(2))
    residual_sd = _certified(lines, r"Standard Deviation\s+" + _NUMBER)
    r_squared = _certified(lines, r"R-Squared\s+" + _NUMBER)
    start = max(i for i, line in enumerate(lines) if line.lstrip().startswith("Data:"))
    header = lines[start].split()[1:]
    rows = [list(map(float, line.split())) for line in lines[start + 1 :] if line.strip()]
    data = np.array(rows)
    y = data[:, header.index("y")]
    predictors = data[:, [i for i, h in enumerate(header) if h != "y"]]
    fit_intercept = 0 in params
    n_coef = len(params) - int(fit_intercept)
    # One predictor: the model is a polynomial in it (a line through the origin for NoInt).
    X = predictors[:, [0]] ** np.arange(1, n_coef + 1) if predictors.shape[1] == 1 else predictors
    coef = np.array([params[j] for j in range(1, n_coef + 1)])
    return Dataset(name, X, y, fit_intercept, coef, params.get(0, 0.0), residual_sd, r_squared)


def _certified(lines: list[str], pattern: str) -> float:
    for line in lines:
        m = re.search(pattern, line)
        if m:
            return float(m.group(1))
    raise ValueError(f"no line matches {pattern!r}")


def lre(estimate, certified) -> np.ndarray:
    """Log relative error: the number of correct significant digits (absolute where certified is 0).

    Capped at 15 (float64 cannot certify more) and floored at 0, as NIST's StRD reports do.
    """
    estimate = np.asarray(estimate, dtype=np.float64)
    certified = np.asarray(certified, dtype=np.float64)
    err = np.abs(estimate - certified)
    denom = np.where(certified == 0.0, 1.0, np.abs(certified))
    with np.errstate(divide="ignore"):
        digits = -np.log10(err / denom)
    return np.clip(np.where(err == 0.0, 15.0, digits), 0.0, 15.0)


def min_coef_lre(ds: Dataset, coef, intercept) -> float:
    """The fewest correct digits over the coefficients, the intercept included when fitted."""
    values = lre(coef, ds.coef)
    if ds.fit_intercept:
        values = np.append(values, lre(intercept, ds.intercept))
    return float(values.min())

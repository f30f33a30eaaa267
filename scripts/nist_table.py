"""NIST StRD linear regression: correct digits of every fastlinreg solver and of the peers.

Prints, per certified dataset, the minimum log relative error (LRE: correct significant digits,
capped at 15) over the coefficients, intercept included, for fastlinreg's solvers (default
settings otherwise), ``np.linalg.lstsq`` on ``[1 | X]``, scikit-learn's ``LinearRegression`` and
``Ridge(alpha=0, solver="cholesky")``, and statsmodels' ``OLS`` with ``method="qr"`` and
``"pinv"`` (when statsmodels is installed). The datasets are NIST's files in
``tests/data/nist_strd/``.

    python scripts/nist_table.py [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from nist_strd import NAMES, load, min_coef_lre

from fastlinreg import LinearRegression

SOLVERS = ("auto", "gram", "qr", "cg", "gd")


def _peers(ds):
    from sklearn.linear_model import LinearRegression as SkLinearRegression
    from sklearn.linear_model import Ridge

    A = np.c_[np.ones(len(ds.y)), ds.X] if ds.fit_intercept else ds.X
    sol = np.linalg.lstsq(A, ds.y, rcond=None)[0]
    yield "lstsq", (sol[1:], sol[0]) if ds.fit_intercept else (sol, 0.0)
    for name, est in (
        ("sklearn LR", SkLinearRegression(fit_intercept=ds.fit_intercept)),
        ("sklearn Ridge", Ridge(alpha=0.0, solver="cholesky", fit_intercept=ds.fit_intercept)),
    ):
        est.fit(ds.X, ds.y)
        yield name, (est.coef_, est.intercept_)
    try:
        import statsmodels.api as sm
    except ImportError:
        return
    for method in ("qr", "pinv"):
        params = sm.OLS(ds.y, A).fit(method=method).params
        yield (
            f"statsmodels {method}",
            (params[1:], params[0]) if ds.fit_intercept else (params, 0.0),
        )


def main(argv=None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args(argv)
    rows = []
    for name in NAMES:
        ds = load(name)
        row = {"dataset": name}
        for solver in SOLVERS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = LinearRegression(fit_intercept=ds.fit_intercept, solver=solver)
                model.fit(ds.X, ds.y)
            row[solver] = min_coef_lre(ds, model.coef_, model.intercept_)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the peers warn about ill-conditioning
            for peer, (coef, intercept) in _peers(ds):
                row[peer] = min_coef_lre(ds, coef, intercept)
        rows.append(row)
    columns = list(rows[0])
    if args.markdown:
        print("| " + " | ".join(columns) + " |")
        print("|---|" + "--:|" * (len(columns) - 1))
        for row in rows:
            cells = [row["dataset"]] + [f"{row[c]:.1f}" for c in columns[1:]]
            print("| " + " | ".join(cells) + " |")
    else:
        print("  ".join(f"{c:>15s}" for c in columns))
        for row in rows:
            print(f"{row['dataset']:>15s}  " + "  ".join(f"{row[c]:15.1f}" for c in columns[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

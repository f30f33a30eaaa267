"""Sparse and wide fits: fastlinreg against scikit-learn, glum, skglm and scikit-learn-intelex.

Designs (synthetic, seeded):

- ``onehot``: ``--rows`` rows, ``--onehot-nnz`` categorical features of equal numbers of levels
  (``--onehot-columns`` columns in all), one 1.0 per feature and row;
- ``hashed``: ``--rows`` rows, ``--hashed-columns`` columns, ``--hashed-nnz`` entries per row at
  uniformly random columns with normal values (collisions are duplicates, summed);
- ``wide``: dense ``--wide-rows x --wide-columns`` and a sparse design of the same shape
  (density ``--wide-density``), ``alpha = 1``.

In one process, candidates run interleaved (A B C ... A B C ...) for ``--rounds`` rounds after
a warm-up fit of each on a 2,000-row slice (compile time reported apart); threads pinned equal
for Numba and BLAS. Each cell is the best round. Accuracy is the relative RMS distance of the
training predictions from a reference (scipy's ``lsqr`` to 1e-14 on the centred operator for
least squares; scikit-learn's ``Ridge(solver="cholesky")`` where it applies), since one-hot
designs with an intercept have no unique coefficients. Peak extra memory is the peak resident
set size during the call minus the size before it. The fused-pass row gives the sparse pass's
read rate beside a parallel read-only sum over the same nonzeros and indices.

    python scripts/sparse_vs_peers.py --design onehot --rows 1000000 --rounds 2
"""

from __future__ import annotations

import argparse
import time
import warnings

import numba
import numpy as np
import scipy.sparse as sp
from numba import prange

from fastlinreg import LinearRegression
from fastlinreg._sparse_data import SparseData
from fastlinreg.bench import _PeakMemory, default_threads, pinned_threads


@numba.njit(parallel=True)
def _read_probe(data, indices, indptr, n_chunks):
    """Sum every value, index and row pointer: a read of exactly what the fused pass reads."""
    n = data.shape[0]
    parts = np.zeros(n_chunks)
    for c in prange(n_chunks):
        acc = 0.0
        for p in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            acc += data[p] + indices[p]
        m = indptr.shape[0]
        for i in range(c * m // n_chunks, (c + 1) * m // n_chunks):
            acc += indptr[i]
        parts[c] = acc
    return parts.sum()


def one_hot(rows, columns, per_row, seed):
    """One-hot design: ``per_row`` categoricals of ``columns // per_row`` levels each."""
    rng = np.random.default_rng(seed)
    levels = columns // per_row
    idx = rng.integers(0, levels, size=(rows, per_row), dtype=np.int32)
    idx += (np.arange(per_row, dtype=np.int32) * levels)[None, :]
    indptr = np.arange(0, rows * per_row + 1, per_row, dtype=np.int64)
    X = sp.csr_matrix((np.ones(rows * per_row), idx.reshape(-1), indptr), shape=(rows, columns))
    return X


def hashed(rows, columns, per_row, seed):
    """Hashed-feature design: ``per_row`` normal values at random columns of each row."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, columns, size=rows * per_row, dtype=np.int32)
    data = rng.standard_normal(rows * per_row)
    indptr = np.arange(0, rows * per_row + 1, per_row, dtype=np.int64)
    return sp.csr_matrix((data, idx, indptr), shape=(rows, columns))


def target(X, seed):
    """Return ``X @ coef + 3 + noise`` with seeded normal coefficients and noise."""
    rng = np.random.default_rng(seed + 1)
    coef = rng.standard_normal(X.shape[1])
    return X @ coef + 3.0 + rng.standard_normal(X.shape[0])


def lsqr_reference(X, y):
    """Least-squares predictions by scipy's lsqr on the implicitly centred operator."""
    from scipy.sparse.linalg import LinearOperator, lsqr

    mu = np.asarray(X.mean(axis=0)).ravel()
    op = LinearOperator(
        X.shape,
        matvec=lambda v: X @ v - mu @ v,
        rmatvec=lambda u: X.T @ u - mu * u.sum(),
        dtype=np.float64,
    )
    coef = lsqr(op, y - y.mean(), atol=1e-14, btol=1e-14, iter_lim=5000)[0]
    return X @ coef + (y.mean() - mu @ coef)


def candidates(alpha, design):
    """Name -> fit(X, y) returning a fitted object with ``predict``."""
    from sklearn.linear_model import LinearRegression as SkLR
    from sklearn.linear_model import Ridge

    n_hint = {}
    cands = {"fastlinreg auto": lambda X, y: LinearRegression(alpha=alpha).fit(X, y)}
    if alpha == 0:
        cands["sklearn LinearRegression"] = lambda X, y: SkLR().fit(X, y)
    else:
        cands['sklearn Ridge(solver="sparse_cg")'] = lambda X, y: Ridge(
            alpha=alpha, solver="sparse_cg", tol=1e-10
        ).fit(X, y)
        cands['sklearn Ridge(solver="sag")'] = lambda X, y: Ridge(
            alpha=alpha, solver="sag", tol=1e-8, max_iter=200
        ).fit(X, y)
    try:
        from glum import GeneralizedLinearRegressor
    except ImportError:
        print("glum is not installed: its row is left out")
    else:
        # glum minimises mean deviance / 2 + alpha / 2 ||coef||^2: alpha / n is Ridge(alpha).
        def glum_fit(X, y):
            n_hint["n"] = X.shape[0]
            solver = "lbfgs" if X.shape[1] > 20000 else "auto"
            return GeneralizedLinearRegressor(
                alpha=alpha / X.shape[0], l1_ratio=0.0, solver=solver, gradient_tol=1e-10
            ).fit(X, y)

        cands["glum"] = glum_fit
    if alpha > 0:
        try:
            from skglm import ElasticNet
        except ImportError:
            print("skglm is not installed: its row is left out")
        else:
            # (||y - Xw||^2 / n + alpha' ||w||^2) / 2 with l1_ratio = 0: alpha' = alpha / n.
            cands["skglm ElasticNet(l1_ratio=0)"] = lambda X, y: ElasticNet(
                alpha=alpha / X.shape[0], l1_ratio=0.0, tol=1e-10, max_iter=200
            ).fit(X, y)
    return cands


def timed(fn, X, y):
    """Return the seconds, the fitted model and the peak extra bytes of ``fn(X, y)``."""
    meter = _PeakMemory() if _PeakMemory.available() else None
    if meter is None:
        t0 = time.perf_counter()
        model = fn(X, y)
        return time.perf_counter() - t0, model, None
    with meter:  # the timer starts after the meter's reset
        t0 = time.perf_counter()
        model = fn(X, y)
        seconds = time.perf_counter() - t0
    return seconds, model, meter.extra_bytes


def run_sparse(name, X, y, alpha, rounds):
    """Time every candidate on one sparse design and print the table."""
    print(f"\n## {name}: {X.shape[0]:,} x {X.shape[1]:,}, nnz {X.nnz:,}, alpha={alpha}")
    ref = None
    if alpha == 0:
        t0 = time.perf_counter()
        ref = lsqr_reference(X, y)
        print(f"reference: scipy lsqr to 1e-14 ({time.perf_counter() - t0:.1f} s)")
    cands = candidates(alpha, name)
    small = slice(0, 2000)
    for cname, fn in cands.items():
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(X[small], y[small])
        print(f"warm-up (compile) {cname}: {time.perf_counter() - t0:.2f} s")
    best = {c: (np.inf, None, None) for c in cands}
    for _ in range(rounds):
        for cname, fn in cands.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t, model, extra = timed(fn, X, y)
            if t < best[cname][0]:
                best[cname] = (t, model, extra)
            time.sleep(0.2)
    if ref is None:
        ref = best["fastlinreg auto"][1].predict(X)
        print("reference: fastlinreg's own predictions (no exact Ridge reference at this size)")
    spread = float(np.linalg.norm(ref - ref.mean()))
    print("| candidate | time [s] | rel. RMS Δprediction | peak extra MB | note |")
    print("|:--|--:|--:|--:|:--|")
    for cname, (t, model, extra) in best.items():
        err = float(np.linalg.norm(model.predict(X) - ref)) / spread
        mb = "—" if extra is None else f"{extra / 1e6:.0f}"
        note = ""
        if cname.startswith("fastlinreg"):
            note = (
                f"solver_={model.solver_}, passes {model.n_passes_}, converged {model.converged_}"
            )
        print(f"| {cname} | {t:.3f} | {err:.1e} | {mb} | {note} |")
    fused_row(X, y)


def fused_row(X, y):
    """Time one sparse fused pass beside the read probe over the same arrays."""
    data = SparseData(X, y[:, None], np.empty(0), 1)
    coef = np.random.default_rng(0).standard_normal((1, X.shape[1]))
    intercept = np.zeros(1)
    data.pass_sums(coef, intercept, True)
    _read_probe(X.data, X.indices, X.indptr, 64)
    fused, probe = np.inf, np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        _read_probe(X.data, X.indices, X.indptr, 64)
        probe = min(probe, time.perf_counter() - t0)
        t0 = time.perf_counter()
        data.pass_sums(coef, intercept, True)
        fused = min(fused, time.perf_counter() - t0)
    read = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    print(
        f"- fused sparse pass: {fused * 1e3:.1f} ms, {(read + y.nbytes) / fused / 1e9:.1f} GB/s "
        f"(values, indices, row pointers and y); read probe over the same values, indices and "
        f"row pointers: {probe * 1e3:.1f} ms, {read / probe / 1e9:.1f} GB/s; "
        f"pass / probe time: {100 * probe / fused:.0f} %"
    )


def run_wide(rows, columns, density, rounds):
    """Time the wide dense and sparse Ridge fits and print their tables."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    dense = rng.standard_normal((rows, columns))
    sparse = sp.random(rows, columns, density=density, format="csr", random_state=0)
    cands = {
        "fastlinreg auto": lambda X, y: LinearRegression(alpha=1.0).fit(X, y),
        "sklearn Ridge (auto)": lambda X, y: Ridge(alpha=1.0).fit(X, y),
    }
    try:
        from sklearnex.linear_model import Ridge as ExRidge
    except ImportError:
        print("scikit-learn-intelex is not installed: its row is left out")
    else:
        cands["sklearnex Ridge"] = lambda X, y: ExRidge(alpha=1.0).fit(X, y)
    for label, X in (("dense", dense), ("sparse", sparse)):
        y = target(X, 0)
        print(
            f"\n## wide {label}: {rows:,} x {columns:,}"
            + (f", nnz {X.nnz:,}" if label == "sparse" else "")
        )
        Xref = X.toarray() if sp.issparse(X) else X
        ref = Ridge(alpha=1.0, solver="cholesky").fit(Xref, y).coef_
        del Xref
        for cname, fn in cands.items():
            t0 = time.perf_counter()
            fn(X[:50], y[:50])
            print(f"warm-up (compile) {cname}: {time.perf_counter() - t0:.2f} s")
        best = {c: (np.inf, None, None) for c in cands}
        for _ in range(rounds):
            for cname, fn in cands.items():
                t, model, extra = timed(fn, X, y)
                if t < best[cname][0]:
                    best[cname] = (t, model, extra)
                time.sleep(0.2)
        print("| candidate | time [s] | rel. error of coef vs Ridge(cholesky) | peak extra MB |")
        print("|:--|--:|--:|--:|")
        for cname, (t, model, extra) in best.items():
            err = float(np.linalg.norm(model.coef_ - ref) / np.linalg.norm(ref))
            mb = "—" if extra is None else f"{extra / 1e6:.0f}"
            print(f"| {cname} | {t:.3f} | {err:.1e} | {mb} |")


def main(argv=None) -> int:
    """Run the chosen designs and print one table each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", choices=["onehot", "hashed", "wide", "all"], default="all")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--onehot-columns", type=int, default=10_000)
    parser.add_argument("--onehot-nnz", type=int, default=20)
    parser.add_argument("--hashed-columns", type=int, default=2**18)
    parser.add_argument("--hashed-nnz", type=int, default=50)
    parser.add_argument("--alpha", type=float, nargs="+", default=[0.0, 1.0])
    parser.add_argument("--wide-rows", type=int, default=2000)
    parser.add_argument("--wide-columns", type=int, default=20000)
    parser.add_argument("--wide-density", type=float, default=0.01)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=default_threads())
    args = parser.parse_args(argv)
    print(f"threads: {args.threads}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    with pinned_threads(args.threads):
        if args.design in ("onehot", "all"):
            X = one_hot(args.rows, args.onehot_columns, args.onehot_nnz, 0)
            y = target(X, 0)
            for alpha in args.alpha:
                run_sparse("one-hot", X, y, alpha, args.rounds)
            del X, y
        if args.design in ("hashed", "all"):
            X = hashed(args.rows, args.hashed_columns, args.hashed_nnz, 1)
            y = target(X, 1)
            for alpha in args.alpha:
                run_sparse("hashed", X, y, alpha, args.rounds)
            del X, y
        if args.design in ("wide", "all"):
            run_wide(args.wide_rows, args.wide_columns, args.wide_density, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

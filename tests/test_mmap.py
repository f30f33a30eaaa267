"""Memory-mapped X is streamed in place: the kernels receive the mapping itself, never a copy.

The memory the fit adds is measured by ``scripts/mmap_memory.py``; here the absence of a copy is
checked structurally, by looking at the arrays that reach the passes.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_coef_close

from fastlinreg import LinearRegression, _chunked, _fused, _kernels


@pytest.fixture
def problem(rng):
    X = rng.normal(size=(3000, 8)) * rng.uniform(0.5, 4, size=8) + 5.0
    y = X @ rng.normal(size=8) + 1.0 + 0.1 * rng.normal(size=3000)
    return X, y


@pytest.fixture
def spy(monkeypatch):
    """Record every X that reaches a pass over the data (moments, fused pass, statistics).

    The targets' moments go through the same kernel; only 2-D arguments with the features'
    width are X.
    """
    seen: list[np.ndarray] = []

    def record(fn):
        def wrapper(X, *args, **kwargs):
            if X.ndim == 2 and X.shape[1] > 1:
                seen.append(X)
            return fn(X, *args, **kwargs)

        return wrapper

    fused_pass_for = _fused.fused_pass_for
    monkeypatch.setattr(_kernels, "column_moments", record(_kernels.column_moments))
    monkeypatch.setattr(_fused, "fused_pass_for", lambda X: record(fused_pass_for(X)))
    monkeypatch.setattr(_chunked, "compute_stats", record(_chunked.compute_stats))
    monkeypatch.setattr(_kernels, "shifted_residual_sums", record(_kernels.shifted_residual_sums))
    return seen


@pytest.mark.parametrize("solver", ["gd", "gram"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_np_load_mmap_is_used_in_place(tmp_path, problem, spy, solver, dtype):
    X, y = problem
    path = tmp_path / "X.npy"
    np.save(path, X.astype(dtype))
    mapped = np.load(path, mmap_mode="r")
    assert isinstance(mapped, np.memmap) and not mapped.flags.writeable
    model = LinearRegression(solver=solver).fit(mapped, y)
    assert spy and all(np.shares_memory(seen, mapped) for seen in spy)
    ref = LinearRegression(solver=solver).fit(X.astype(dtype), y)
    assert_coef_close(model.coef_, ref.coef_, 1e-12)
    assert model.coef_.dtype == dtype
    np.testing.assert_array_equal(model.predict(mapped), ref.predict(X.astype(dtype)))


@pytest.mark.parametrize("solver", ["gd", "gram"])
def test_np_memmap_fortran_order_with_offset(tmp_path, problem, spy, solver):
    X, y = problem
    path = tmp_path / "X.bin"
    header = 128
    with open(path, "wb") as f:
        f.write(b"\0" * header)
        f.write(np.asfortranarray(X).tobytes(order="F"))
    mapped = np.memmap(path, dtype=np.float64, mode="r", offset=header, shape=X.shape, order="F")
    model = LinearRegression(solver=solver).fit(mapped, y)
    assert spy and all(np.shares_memory(seen, mapped) for seen in spy)
    assert_coef_close(model.coef_, LinearRegression(solver=solver).fit(X, y).coef_, 1e-10)


def test_memmap_targets_and_weights(tmp_path, problem, rng):
    X, y = problem
    w = rng.uniform(0.5, 2.0, size=len(y))
    for name, a in (("X", X), ("y", y), ("w", w)):
        np.save(tmp_path / f"{name}.npy", a)
    mapped = [np.load(tmp_path / f"{n}.npy", mmap_mode="r") for n in ("X", "y", "w")]
    model = LinearRegression().fit(mapped[0], mapped[1], sample_weight=mapped[2])
    assert_coef_close(model.coef_, LinearRegression().fit(X, y, sample_weight=w).coef_, 1e-12)

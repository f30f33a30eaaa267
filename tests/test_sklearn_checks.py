"""scikit-learn's estimator contract, every check."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastlinreg import LinearRegression

pytestmark = pytest.mark.slow


@parametrize_with_checks([LinearRegression()])
def test_sklearn_compatible(estimator, check):
    check(estimator)

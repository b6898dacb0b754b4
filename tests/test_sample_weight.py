"""Sample weights: exact equivalence for full batches, the weighted optimum for random batches."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import StandardScaler

from skgd import GDLinearRegressor
from skgd._optimizers import PRESETS


@pytest.fixture(scope="module")
def weighted_diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    weights = np.random.RandomState(0).randint(0, 5, size=len(y)).astype(float)
    return X, y, weights


def weighted_mse(model, X, y, weights):
    return np.average((model.predict(X) - y) ** 2, weights=weights)


@pytest.mark.parametrize("optimizer", PRESETS)
def test_weighted_random_batches_reach_weighted_closed_form(weighted_diabetes, optimizer):
    """The check scikit-learn's weight-equivalence test cannot make for random batches."""
    X, y, weights = weighted_diabetes
    closed_form = LinearRegression().fit(X, y, sample_weight=weights)
    model = GDLinearRegressor(optimizer=optimizer, random_state=0)
    model.fit(X, y, sample_weight=weights)
    optimum = weighted_mse(closed_form, X, y, weights)
    assert weighted_mse(model, X, y, weights) < optimum * 1.01
    # the unweighted fit is measurably worse on the weighted objective
    unweighted = LinearRegression().fit(X, y)
    assert weighted_mse(unweighted, X, y, weights) > optimum * 1.01


@pytest.mark.parametrize("optimizer", ["batch", "momentum", "adam"])
def test_integer_weights_equal_repeated_rows_for_full_batches(weighted_diabetes, optimizer):
    X, y, weights = weighted_diabetes
    params = dict(optimizer=optimizer, batch_size=10_000, shuffle=False, max_iter=20, tol=None)
    weighted = GDLinearRegressor(**params).fit(X, y, sample_weight=weights)
    repeats = weights.astype(int)
    repeated = GDLinearRegressor(**params).fit(np.repeat(X, repeats, axis=0), np.repeat(y, repeats))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-7)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-7)

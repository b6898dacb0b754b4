"""Fixtures and helpers shared by the test modules."""

import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def diabetes():
    """Standardized diabetes features and the raw target."""
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _relative_gap(model, X, y):
    optimum = mean_squared_error(y, LinearRegression().fit(X, y).predict(X))
    return (mean_squared_error(y, model.predict(X)) - optimum) / optimum


@pytest.fixture(scope="session")
def relative_gap():
    """``relative_gap(model, X, y)``: training MSE relative to the closed form's, minus 1."""
    return _relative_gap

"""The objective: what loss_curve_ records, and how alpha maps to Ridge and LogisticRegression."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor


def full_batch(Estimator, **params):
    defaults = dict(optimizer="momentum", batch_size=100_000, shuffle=False, tol=None)
    return Estimator(**{**defaults, **params})


@pytest.fixture
def regression():
    X, y = make_regression(n_samples=80, n_features=4, noise=5.0, random_state=0)
    return X, y + 3.0


@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_loss_curve_is_the_regression_objective_at_the_start_of_each_epoch(regression, alpha):
    X, y = regression
    n_epochs = 6
    curve = full_batch(GDLinearRegressor, alpha=alpha, max_iter=n_epochs).fit(X, y).loss_curve_
    assert curve[0] == pytest.approx(np.mean(y**2))  # zero coefficients
    for k in range(1, n_epochs):
        after_k = full_batch(GDLinearRegressor, alpha=alpha, max_iter=k).fit(X, y)
        objective = mean_squared_error(y, after_k.predict(X)) + alpha * np.sum(after_k.coef_**2)
        assert curve[k] == pytest.approx(objective, rel=1e-12)


@pytest.mark.parametrize("load", [load_breast_cancer, load_iris])
def test_loss_curve_is_the_log_loss_objective_at_the_start_of_each_epoch(load):
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    alpha, n_epochs = 0.01, 4
    curve = full_batch(GDClassifier, alpha=alpha, max_iter=n_epochs).fit(X, y).loss_curve_
    for k in range(1, n_epochs):
        after_k = full_batch(GDClassifier, alpha=alpha, max_iter=k).fit(X, y)
        objective = log_loss(y, after_k.predict_proba(X)) + alpha * np.sum(after_k.coef_**2)
        assert curve[k] == pytest.approx(objective, rel=1e-10)


def test_weighted_objective_uses_weighted_mean(regression):
    X, y = regression
    weights = np.random.RandomState(1).uniform(0.5, 2.0, size=len(y))
    model = full_batch(GDLinearRegressor, max_iter=3).fit(X, y, sample_weight=weights)
    assert model.loss_curve_[0] == pytest.approx(np.average(y**2, weights=weights))


@pytest.mark.parametrize("alpha", [0.01, 1.0])
def test_alpha_matches_ridge(regression, alpha):
    """Minimizer of MSE + alpha ||w||^2 is Ridge(alpha * n_samples)."""
    X, y = regression
    model = full_batch(GDLinearRegressor, alpha=alpha, max_iter=3000).fit(X, y)
    ridge = Ridge(alpha=alpha * len(y)).fit(X, y)
    np.testing.assert_allclose(model.coef_, ridge.coef_, rtol=1e-8)
    np.testing.assert_allclose(model.intercept_, ridge.intercept_, rtol=1e-8)


def test_alpha_matches_ridge_with_weights_and_two_targets(regression):
    X, y = regression
    Y = np.column_stack([y, 0.5 * y - 2.0])
    weights = np.random.RandomState(2).uniform(0.5, 2.0, size=len(y))
    alpha = 0.05
    model = full_batch(GDLinearRegressor, alpha=alpha, max_iter=3000)
    model.fit(X, Y, sample_weight=weights)
    ridge = Ridge(alpha=alpha * 2 * weights.sum()).fit(X, Y, sample_weight=weights)
    np.testing.assert_allclose(model.coef_, ridge.coef_, rtol=1e-7)
    np.testing.assert_allclose(model.intercept_, ridge.intercept_, rtol=1e-7)


@pytest.mark.parametrize("load", [load_breast_cancer, load_iris])
def test_alpha_matches_logistic_regression_C(load):
    """Minimizer of log-loss + alpha ||W||^2 is LogisticRegression(C = 1 / (2 alpha n))."""
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    alpha = 0.01
    model = full_batch(GDClassifier, alpha=alpha, max_iter=4000).fit(X, y)
    reference = LogisticRegression(C=1 / (2 * alpha * len(y)), tol=1e-12, max_iter=10_000)
    reference.fit(X, y)
    # LogisticRegression's softmax coefficients are centred across classes;
    # centring ours the same way leaves the probabilities unchanged.
    coef = model.coef_ - model.coef_.mean(axis=0) if len(model.classes_) > 2 else model.coef_
    np.testing.assert_allclose(coef, reference.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-6)

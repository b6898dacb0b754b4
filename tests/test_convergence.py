"""Fits with default settings reach the closed form (regression) or LogisticRegression."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDRegressor
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor
from skgd._optimizers import PRESETS

OPTIMIZERS = list(PRESETS)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_reaches_closed_form_with_defaults(diabetes, optimizer, relative_gap):
    X, y = diabetes
    model = GDLinearRegressor(optimizer=optimizer, random_state=0).fit(X, y)
    assert relative_gap(model, X, y) < 0.01
    assert len(model.loss_curve_) == model.n_iter_
    assert np.all(np.isfinite(model.loss_curve_))


def test_default_stopping_ends_full_batch_momentum_at_the_optimum(diabetes, relative_gap):
    """Momentum's loss can level off far from the optimum: the default rule must not stop there."""
    X, y = diabetes
    model = GDLinearRegressor(optimizer="momentum", batch_size=len(y)).fit(X, y)
    assert relative_gap(model, X, y) < 1e-4


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_default_stopping_ends_stochastic_fits_near_the_optimum(diabetes, optimizer, relative_gap):
    X, y = diabetes
    for seed in range(5):
        model = GDLinearRegressor(optimizer=optimizer, random_state=seed).fit(X, y)
        assert relative_gap(model, X, y) < 5e-3


@pytest.mark.parametrize("optimizer", ["batch", "momentum"])
def test_full_batch_reaches_closed_form(diabetes, optimizer, relative_gap):
    X, y = diabetes
    model = GDLinearRegressor(optimizer=optimizer, batch_size=len(y), tol=None, max_iter=5000)
    model.fit(X, y)
    assert relative_gap(model, X, y) < 1e-4
    closed_form = LinearRegression().fit(X, y)
    np.testing.assert_allclose(model.coef_, closed_form.coef_, rtol=1e-3)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_raw_diabetes_at_least_as_good_as_sgd_regressor(optimizer, relative_gap):
    X, y = load_diabetes(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = SGDRegressor(random_state=0).fit(X, y)
    model = GDLinearRegressor(optimizer=optimizer, random_state=0).fit(X, y)
    assert np.all(np.isfinite(model.coef_))
    assert relative_gap(model, X, y) <= relative_gap(reference, X, y)
    assert relative_gap(model, X, y) < 0.05


def digits_third(return_X_y):
    """A third of the digits (599 rows, still ten classes): the same test at a third of the time."""
    X, y = load_digits(return_X_y=return_X_y)
    return X[::3], y[::3]


@pytest.mark.parametrize("load", [load_breast_cancer, load_iris, digits_third])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_classifier_accuracy_close_to_logistic_regression(load, optimizer):
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reference = LogisticRegression(max_iter=5000).fit(X, y).score(X, y)
    model = GDClassifier(optimizer=optimizer, random_state=0).fit(X, y)
    assert model.score(X, y) >= reference - 0.03
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))


@pytest.mark.parametrize("optimizer", ["batch", "momentum"])
def test_default_stopping_waits_for_full_batch_softmax_to_settle(optimizer):
    """Full-batch momentum's loss swings up for several epochs on iris: that is not convergence.

    The default tol (1e-4) is a relative gap to the optimum.
    """
    rtol = 1e-4
    from sklearn.metrics import log_loss

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    alpha = 0.01
    model = GDClassifier(optimizer=optimizer, batch_size=len(y), alpha=alpha).fit(X, y)
    reference = LogisticRegression(C=1 / (2 * alpha * len(y)), tol=1e-10, max_iter=10_000)
    reference.fit(X, y)

    def objective(m):
        return log_loss(y, m.predict_proba(X)) + alpha * np.sum(m.coef_**2)

    assert objective(model) <= objective(reference) * (1 + rtol)


def _lbfgs_optimum(X, y, alpha, logistic):
    """Minimum of mean loss + alpha ||w||^2 (intercept unpenalized), by scipy's L-BFGS-B."""
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    A = np.hstack([X, np.ones((X.shape[0], 1))])

    def objective_and_gradient(theta):
        z = A @ theta
        w = theta[:-1]
        if logistic:  # y in {0, 1}
            value = -np.mean(y * log_expit(z) + (1 - y) * log_expit(-z))
            residual = (expit(z) - y) / len(y)
        else:
            value = np.mean((z - y) ** 2)
            residual = 2 * (z - y) / len(y)
        gradient = A.T @ residual + np.r_[2 * alpha * w, 0.0]
        return value + alpha * w @ w, gradient

    result = minimize(objective_and_gradient, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B",
                      options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 100_000})  # fmt: skip
    return result.fun


@pytest.mark.parametrize("batch_size", ["auto", 100_000])  # mini-batches, full batches
@pytest.mark.parametrize(
    "optimizer", ["nadam", "schedule_free_adamw", "schedule_free_sgd", "prodigy"]
)
def test_default_fits_reach_the_lbfgs_optimum(optimizer, batch_size):
    """No learning_rate given: within 1e-3 (relative) of the optimum of the documented objective."""
    from skgd import objective

    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = GDLinearRegressor(optimizer=optimizer, batch_size=batch_size, random_state=0)
    model.fit(X, y)
    optimum = _lbfgs_optimum(X, y, model.alpha, logistic=False)
    assert objective(model, X, y) <= optimum * (1 + 1e-3)

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = GDClassifier(optimizer=optimizer, batch_size=batch_size, random_state=0).fit(X, y)
    optimum = _lbfgs_optimum(X, y, model.alpha, logistic=True)
    assert objective(model, X, y) <= optimum * (1 + 1e-3)

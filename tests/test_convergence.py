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


@pytest.mark.parametrize("load", [load_breast_cancer, load_iris, load_digits])
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

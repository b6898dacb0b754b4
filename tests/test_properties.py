"""Properties that hold for any well-posed problem, checked on random ones with hypothesis."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skgd import GDClassifier, GDLinearRegressor

FULL_BATCH = dict(batch_size=10_000, shuffle=False, max_iter=15, tol=None)


@st.composite
def problems(draw):
    """A random regression problem: 5-40 rows, 1-6 features of moderate scale."""
    n_samples = draw(st.integers(5, 40))
    n_features = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.RandomState(seed)
    scales = 10.0 ** rng.uniform(-2, 2, size=n_features)
    X = rng.normal(size=(n_samples, n_features)) * scales + rng.normal(size=n_features) * scales
    y = X @ rng.normal(size=n_features) + rng.normal() + 0.1 * rng.normal(size=n_samples)
    return X, y, rng


settings.register_profile("skgd", max_examples=25, deadline=None)
settings.load_profile("skgd")


@given(problems(), st.sampled_from(["batch", "momentum", "adam"]))
def test_full_batch_fit_is_invariant_to_row_order(problem, optimizer):
    X, y, rng = problem
    order = rng.permutation(len(y))
    first = GDLinearRegressor(optimizer=optimizer, **FULL_BATCH).fit(X, y)
    second = GDLinearRegressor(optimizer=optimizer, **FULL_BATCH).fit(X[order], y[order])
    np.testing.assert_allclose(second.coef_, first.coef_, rtol=1e-7, atol=1e-10)


@given(problems(), st.floats(1e-3, 1e3), st.sampled_from(["batch", "momentum", "adam"]))
def test_scaling_y_scales_the_coefficients(problem, factor, optimizer):
    X, y, _ = problem
    fit = GDLinearRegressor(optimizer=optimizer, epsilon=1e-300, **FULL_BATCH).fit(X, y)
    scaled = GDLinearRegressor(optimizer=optimizer, epsilon=1e-300, **FULL_BATCH)
    scaled.fit(X, factor * y)
    np.testing.assert_allclose(scaled.coef_, factor * fit.coef_, rtol=1e-7, atol=1e-12)


@given(problems(), st.sampled_from(["batch", "momentum", "rmsprop", "adam"]))
def test_zero_weight_row_changes_nothing(problem, optimizer):
    X, y, rng = problem
    extra = rng.normal(size=(1, X.shape[1])) * 100
    X_more, y_more = np.vstack([X, extra]), np.append(y, 1e3)
    weights = np.append(np.ones(len(y)), 0.0)
    plain = GDLinearRegressor(optimizer=optimizer, **FULL_BATCH).fit(X, y)
    weighted = GDLinearRegressor(optimizer=optimizer, **FULL_BATCH)
    weighted.fit(X_more, y_more, sample_weight=weights)
    np.testing.assert_allclose(weighted.coef_, plain.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@given(problems(), st.sampled_from(["batch", "sgd", "minibatch", "momentum", "rmsprop", "adam"]))
def test_predictions_are_finite_and_pickling_round_trips(problem, optimizer):
    X, y, _ = problem
    labels = y > np.median(y)
    fits = [GDLinearRegressor(optimizer=optimizer, max_iter=30, random_state=0).fit(X, y)]
    if len(np.unique(labels)) == 2:
        fits.append(GDClassifier(optimizer=optimizer, max_iter=30, random_state=0).fit(X, labels))
    for model in fits:
        output = model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
        assert np.all(np.isfinite(output))
        restored = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(restored.predict(X), model.predict(X))

"""Sparse input trains without densifying and gives the dense result."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error

from skgd import GDClassifier, GDLinearRegressor
from skgd._optimizers import PRESETS


@pytest.fixture(scope="module")
def sparse_problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 15))
    X[rng.uniform(size=X.shape) < 0.8] = 0.0
    y = X @ rng.normal(size=15) + 0.5 + 0.1 * rng.normal(size=120)
    return X, y


def relative_gap(model, X, y):
    optimum = mean_squared_error(y, LinearRegression().fit(X, y).predict(X))
    return (mean_squared_error(y, model.predict(X)) - optimum) / optimum


@pytest.mark.parametrize("optimizer", PRESETS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_fit_equals_dense_fit(sparse_problem, optimizer, fmt):
    X, y = sparse_problem
    # Dense features are centred, sparse ones only scaled: the same rule in the
    # same coordinates needs the same preconditioning (none here, or see below).
    params = dict(optimizer=optimizer, max_iter=20, tol=None, shuffle=False, batch_size=16,
                  precondition=False)  # fmt: skip
    dense = GDLinearRegressor(**params).fit(X, y)
    sparse = GDLinearRegressor(**params).fit(sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-8)
    np.testing.assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X), rtol=1e-8)


@pytest.mark.parametrize("optimizer", PRESETS)
def test_sparse_and_dense_default_fits_reach_the_same_optimum(sparse_problem, optimizer):
    """Scaled only (sparse) or centred and scaled (dense): other paths, the same minimizer."""
    X, y = sparse_problem
    closed_form = LinearRegression().fit(X, y)
    for data in (X, sp.csr_matrix(X)):
        model = GDLinearRegressor(optimizer=optimizer, random_state=0).fit(data, y)
        assert relative_gap(model, X, y) < 1e-4
    np.testing.assert_allclose(model.coef_, closed_form.coef_, rtol=1e-2, atol=1e-2)


def test_sparse_classifier_equals_dense():
    X, y = load_iris(return_X_y=True)
    params = dict(optimizer="adam", max_iter=10, tol=None, random_state=0, precondition=False)
    dense = GDClassifier(**params).fit(X, y)
    sparse = GDClassifier(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-8)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X))


def test_sparse_memory_follows_the_non_zeros():
    """2,000,000 columns: a dense copy of X would take 1.6 GB; the fit stays far below."""
    rng = np.random.RandomState(0)
    n_samples, n_features, nnz = 100, 2_000_000, 2_000
    X = sp.csr_matrix(
        (rng.normal(size=nnz), (rng.randint(0, n_samples, nnz), rng.randint(0, n_features, nnz))),
        shape=(n_samples, n_features),
    )
    y = rng.normal(size=n_samples)
    tracemalloc.start()
    model = GDLinearRegressor(optimizer="batch", max_iter=3, tol=None).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert model.coef_.shape == (n_features,)
    # model, solver parameters, moments, gradients and the per-feature scales:
    # about a dozen arrays of 16 MB, far from a dense copy
    assert peak < 300e6

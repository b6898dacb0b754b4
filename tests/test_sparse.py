"""Sparse input trains without densifying and gives the dense result."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error

import skgd._base
from skgd import GDClassifier, GDLinearRegressor
from skgd._epoch import run_epoch
from skgd._losses import LOGISTIC, SOFTMAX, SQUARED_ERROR
from skgd._optimizers import GRADIENT_DESCENT, MOMENTUM, NESTEROV, PRESETS
from skgd._precondition import model_from_solver
from skgd._sparse_epoch import RecordsCache, run_sparse_epoch, stepped_columns


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


def wide_sparse_problem(n_outputs):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(90, 30)) * rng.uniform(0.1, 10.0, size=30)
    X[rng.uniform(size=X.shape) < 0.85] = 0.0
    X[:, 24:] = 0.0  # features no row has a value for
    labels = rng.randint(n_outputs, size=90)
    return sp.csr_matrix(X), np.eye(n_outputs)[labels] if n_outputs > 1 else labels[:, None] * 1.0


@pytest.mark.parametrize("rule", [GRADIENT_DESCENT, MOMENTUM, NESTEROV])
@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("loss, n_outputs", [(SOFTMAX, 3), (LOGISTIC, 1), (SQUARED_ERROR, 2)])
@pytest.mark.parametrize("averaging", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_epoch_takes_the_steps_of_the_dense_epoch(rule, batch_size, loss, n_outputs,
                                                         averaging, fit_intercept):  # fmt: skip
    """Just-in-time steps on a CSR matrix: the same parameters, moments, running average and
    epoch objective as stepping every coordinate, over three epochs that share their records
    (with the state changed between two of them, as the stopping rule's averaging does)."""
    X, targets = wide_sparse_problem(n_outputs)
    rng = np.random.RandomState(2)
    weights = rng.uniform(size=X.shape[0])
    weights[:10] = 0.0  # zero-weight rows, and with batch_size 1 zero-weight batches
    inverse_scale = rng.uniform(0.2, 3.0, size=X.shape[1])
    start = rng.normal(size=(n_outputs, X.shape[1] + 1))
    start[:, 24:29] = 0.0  # unread and zero: not stepped; column 29 unread, decaying
    if not fit_intercept:
        start[:, -1] = 0.0
    results = []
    for kernel in (run_epoch, run_sparse_epoch):
        records = ()
        if kernel is run_sparse_epoch:
            records = RecordsCache().get(inverse_scale, 0.3, 0.05, 0.9, rule, n_outputs, averaging)
        theta = start.copy()
        state = 0.1 * start[None] if rule != GRADIENT_DESCENT else np.empty((0, *start.shape))
        if kernel is run_sparse_epoch:
            columns = stepped_columns(X.indices, theta, state)
            assert list(columns) == [*range(24), 29]
            records = (*records, columns)
        model = np.empty_like(theta)  # the model of theta, as the kernels keep it
        model_from_solver(theta, np.zeros(X.shape[1]), inverse_scale, model)
        average = start.copy() if averaging else np.empty((0, 0))
        n_averaged, t, losses = int(averaging) * 5, 0, []
        for epoch in range(3):
            order = np.random.RandomState(epoch).permutation(X.shape[0])
            value, t, n_averaged = kernel(
                (X.data, X.indices, X.indptr), targets, weights, order, batch_size, theta,
                model, np.zeros(X.shape[1]), inverse_scale, state, t, rule, 0.05,
                0.0, 0.9, 0.999, 1e-8, loss, 0.3, fit_intercept, np.empty((0, 0)),
                np.empty(0), np.empty((0, 0)), average, n_averaged, *records,
            )  # fmt: skip
            losses.append(value)
            theta[:, ::2] *= 0.5  # changed outside the epoch
            model_from_solver(theta, np.zeros(X.shape[1]), inverse_scale, model)
        results.append((theta, model, state, average, losses, t, n_averaged))
    (dense, sparse) = results
    for dense_part, sparse_part in zip(dense, sparse, strict=True):
        # the closed forms keep about 11 digits of the O(1) parameters (the issue asks 1e-9)
        np.testing.assert_allclose(sparse_part, dense_part, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("optimizer", ["sgd", "minibatch", "momentum", "nesterov"])
def test_sparse_fits_step_just_in_time(optimizer, monkeypatch):
    """A default fit on CSR input (preconditioned, penalized, averaged after its first
    plateau) ends where the fit that steps every coordinate ends."""
    X, targets = wide_sparse_problem(3)
    y = targets.argmax(axis=1)
    model = GDClassifier(optimizer=optimizer, alpha=0.01, random_state=0, max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lazy = clone(model).fit(X, y)
        monkeypatch.setattr(skgd._base, "runs_sparse", lambda *args: False)
        stepped = clone(model).fit(X, y)
    assert lazy.n_iter_ == stepped.n_iter_
    np.testing.assert_allclose(lazy.coef_, stepped.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lazy.loss_curve_, stepped.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("optimizer, steps", [("adam", 4), ("rmsprop", 4), ("minibatch", 63)])
def test_automatic_batch_size_of_wide_sparse_data(optimizer, steps):
    """RMSprop's and Adam's steps move every coordinate: on 2,000 rows of 5,000 columns
    with 10 non-zeros each, "auto" batches 500 rows (a batch's non-zeros as many as
    the features); the plain rules keep 32, and dense data too."""
    rng = np.random.RandomState(0)
    rows = np.repeat(np.arange(2000), 10)
    columns = (np.arange(20000) * 7919) % 5000  # distinct within each row
    X = sp.csr_matrix((rng.normal(size=20000), (rows, columns)), shape=(2000, 5000))
    y = rng.normal(size=2000)
    params = dict(optimizer=optimizer, max_iter=1, tol=None)
    assert GDLinearRegressor(**params).fit(X, y).t_ == steps
    assert GDLinearRegressor(**params).fit(X[:, :20].toarray(), y).t_ == 63


@pytest.mark.parametrize("optimizer", ["sgd", "minibatch"])
def test_repeated_columns_in_a_csr_row_add_up(optimizer):
    """A CSR matrix may store a row's column twice (scipy then means their sum): the
    just-in-time steps count the feature once per batch and step it with the sum, as for
    the matrix stored without repeats."""
    rng = np.random.RandomState(0)
    X = sp.random(200, 30, density=0.2, format="coo", random_state=rng)
    doubled = sp.coo_matrix(
        (np.r_[X.data / 2, X.data / 2], (np.r_[X.row, X.row], np.r_[X.col, X.col])),
        shape=X.shape,
    )
    order = np.argsort(doubled.row, kind="stable")  # each row's entries, twice, unsummed
    indptr = np.r_[0, np.cumsum(np.bincount(doubled.row, minlength=X.shape[0]))]
    repeated = sp.csr_matrix((doubled.data[order], doubled.col[order], indptr), shape=X.shape)
    assert not repeated.has_canonical_format
    y = (X @ rng.normal(size=30) > 0).astype(int)
    params = dict(optimizer=optimizer, max_iter=3, tol=None, random_state=0)
    sparse_fit = GDClassifier(**params).fit(repeated, y)
    assert not repeated.has_canonical_format  # the caller's matrix is left as it was
    canonical_fit = GDClassifier(**params).fit(X.tocsr(), y)
    np.testing.assert_allclose(sparse_fit.coef_, canonical_fit.coef_, rtol=1e-9, atol=1e-12)

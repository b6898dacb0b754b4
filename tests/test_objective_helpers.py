"""skgd.objective and skgd.optimal_objective against values computed here independently."""

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import minimize as scipy_minimize
from scipy.special import log_softmax
from sklearn.datasets import load_iris, load_wine, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor, objective, optimal_objective


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=60, n_features=3, noise=4.0, random_state=0)
    return X, y + 2.0


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def quick(Estimator, **params):
    return Estimator(max_iter=3, tol=None, random_state=0, **params)


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_objective_is_mean_squared_error_plus_penalty(regression, alpha):
    X, y = regression
    model = quick(GDLinearRegressor, alpha=alpha).fit(X, y)
    expected = mean_squared_error(y, model.predict(X)) + alpha * np.sum(model.coef_**2)
    assert objective(model, X, y) == pytest.approx(expected, rel=1e-12)


def test_objective_at_given_coefficients_with_weights(regression):
    X, y = regression
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    model = quick(GDLinearRegressor, alpha=0.1).fit(X, y)
    coef, intercept = np.array([1.0, -2.0, 0.5]), 3.0
    residuals = X @ coef + intercept - y
    expected = np.sum(weights * residuals**2) / weights.sum() + 0.1 * np.sum(coef**2)
    value = objective(model, X, y, weights, coef=coef, intercept=intercept)
    assert value == pytest.approx(expected, rel=1e-12)


def test_objective_of_the_classifier_is_log_loss_plus_penalty(iris):
    X, y = iris
    model = quick(GDClassifier, alpha=0.01).fit(X, y)
    expected = log_loss(y, model.predict_proba(X)) + 0.01 * np.sum(model.coef_**2)
    assert objective(model, X, y) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_optimal_objective_of_the_regressor_is_ridges(regression, alpha):
    X, y = regression
    model = quick(GDLinearRegressor, alpha=alpha).fit(X, y)
    exact = Ridge(alpha=alpha * len(y)) if alpha else LinearRegression()
    exact.fit(X, y)
    expected = mean_squared_error(y, exact.predict(X)) + alpha * np.sum(exact.coef_**2)
    assert optimal_objective(model, X, y) == pytest.approx(expected, rel=1e-10)
    assert objective(model, X, y) >= optimal_objective(model, X, y)


@pytest.mark.parametrize("data, alpha", [("iris", 0.01), ("raw wine", 1e-4),
                                         ("sparse iris", 0.01)])  # fmt: skip
def test_optimal_objective_of_the_classifier_is_the_l_bfgs_minimum(iris, data, alpha):
    # raw wine: features from 0.1 to 1,680, where scikit-learn's lbfgs alone
    # stopped 1.8 % above the minimum; sparse iris: half its values zero, and
    # three columns no row has a value for (the polish solves without them)
    X, y = iris if data != "raw wine" else load_wine(return_X_y=True)
    if data == "sparse iris":
        X = np.hstack([X * (X > 0), np.zeros((len(y), 3))])
    n_classes, n_features = 3, X.shape[1]
    one_hot = np.eye(n_classes)[y]
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0

    def softmax_objective(params):  # written here: mean cross-entropy + alpha ||W||^2
        # in standardized coordinates (V = W * scale, c = b + W . mean), so that
        # L-BFGS reaches the minimum on raw features too
        V = params[: n_classes * n_features].reshape(n_classes, n_features)
        W, b = V / scale, params[n_classes * n_features :] - (V / scale) @ mean
        log_p = log_softmax(X @ W.T + b, axis=1)
        value = -np.mean(np.sum(one_hot * log_p, axis=1)) + alpha * np.sum(W**2)
        residual = (np.exp(log_p) - one_hot) / len(y)
        grad_W = residual.T @ X + 2 * alpha * W
        grad_b = residual.sum(0)
        grad_V = (grad_W - np.outer(grad_b, mean)) / scale
        return value, np.concatenate([grad_V.ravel(), grad_b])

    start = np.zeros(n_classes * (n_features + 1))
    exact = scipy_minimize(softmax_objective, start, jac=True, method="L-BFGS-B",
                           options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10_000})  # fmt: skip
    X_given = sparse.csr_matrix(X) if data == "sparse iris" else X
    model = quick(GDClassifier, alpha=alpha).fit(X_given, y)
    assert optimal_objective(model, X_given, y) == pytest.approx(exact.fun, rel=1e-8)


def test_helpers_need_a_fitted_skgd_estimator(regression):
    X, y = regression
    with pytest.raises(NotFittedError):
        objective(GDLinearRegressor(), X, y)
    with pytest.raises(NotFittedError):
        optimal_objective(GDLinearRegressor(), X, y)
    with pytest.raises(TypeError, match="GDLinearRegressor or GDClassifier"):
        objective(Ridge().fit(X, y), X, y)


def test_objective_names_a_coefficient_of_the_wrong_shape(regression):
    X, y = regression
    model = quick(GDLinearRegressor).fit(X, y)
    with pytest.raises(ValueError, match=r"coef must have the shape .*\(3,\)"):
        objective(model, X, y, coef=np.zeros(4))
    with pytest.raises(ValueError, match="intercept must have the shape"):
        objective(model, X, y, intercept=np.zeros(2))


def test_helpers_reject_data_and_coefficients_that_do_not_fit_the_model(regression):
    X, y = regression
    two_targets = np.column_stack([y, 2 * y])
    model = quick(GDLinearRegressor).fit(X, two_targets)
    with pytest.raises(ValueError, match=r"coef must have the shape .*\(2, 3\)"):
        objective(model, X, two_targets, coef=model.coef_.T)  # the same size, transposed
    with pytest.raises(ValueError, match="n_features_in_=3"):
        optimal_objective(model, X[:, :2], two_targets)
    with pytest.raises(ValueError, match="y has 1 targets"):
        optimal_objective(model, X, y)


def test_the_optimum_of_a_classifier_on_rows_that_lack_one_of_its_classes(iris):
    X, y = iris
    model = quick(GDClassifier).fit(X, y)
    rows = y < 2  # classes 0 and 1 only: the softmax over three classes still applies
    optimum = optimal_objective(model, X[rows], y[rows])
    assert 0 < optimum <= objective(model, X[rows], y[rows])

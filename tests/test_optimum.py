"""Default fits end at the optimum of their documented objective, or say how far they are.

The exact optimum is computed here, independently of skgd: the objective
written out with numpy and minimized by scipy's L-BFGS-B to a tight gradient
tolerance.
"""

import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit, log_softmax, logsumexp, softmax
from sklearn.datasets import load_diabetes, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor, _certificate
from skgd._losses import LOGISTIC, SOFTMAX
from skgd._precondition import Preconditioner

OPTIMIZERS = ["batch", "sgd", "minibatch", "momentum", "rmsprop", "adam"]


def encoded(estimator, y):
    if isinstance(estimator, GDLinearRegressor):
        return np.reshape(y, (len(y), -1)).astype(float), "squared"
    classes = np.unique(y)
    if len(classes) == 2:
        return (y == classes[1]).astype(float)[:, None], "logistic"
    return (y[:, None] == classes).astype(float), "softmax"


def objective(params, X, targets, weights, alpha, kind):
    """mean_w loss + alpha ||W||^2 and its gradient; params = [W (K x p) ravelled, b (K)]."""
    n, p = X.shape
    K = targets.shape[1]
    W, b = params[: K * p].reshape(K, p), params[K * p :]
    raw = X @ W.T + b
    w = weights / weights.sum()
    if kind == "squared":
        value = w @ np.mean((raw - targets) ** 2, axis=1)
        draw = 2.0 * (raw - targets) / K * w[:, None]
    elif kind == "logistic":
        z = raw[:, 0]
        value = w @ (np.logaddexp(0.0, z) - targets[:, 0] * z)
        draw = ((1.0 / (1.0 + np.exp(-z)) - targets[:, 0]) * w)[:, None]
    else:
        value = w @ (logsumexp(raw, axis=1) - np.sum(targets * raw, axis=1))
        draw = (np.exp(log_softmax(raw, axis=1)) - targets) * w[:, None]
    value += alpha * np.sum(W**2)
    gradient = np.concatenate([(draw.T @ X + 2.0 * alpha * W).ravel(), draw.sum(axis=0)])
    return value, gradient


def exact_optimum(estimator, X, y, sample_weight=None):
    """min J by L-BFGS-B, over coefficients of standardized features (the same function)."""
    targets, kind = encoded(estimator, y)
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    K, p = targets.shape[1], X.shape[1]
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0

    def fun(z):
        W = z[: K * p].reshape(K, p) / scale
        params = np.concatenate([W.ravel(), z[K * p :] - W @ mean])
        value, g = objective(params, X, targets, weights, estimator.alpha, kind)
        g_W, g_b = g[: K * p].reshape(K, p), g[K * p :]
        return value, np.concatenate([((g_W - np.outer(g_b, mean)) / scale).ravel(), g_b])

    result = minimize(fun, np.zeros(K * (p + 1)), jac=True, method="L-BFGS-B",
                      options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 50_000})  # fmt: skip
    return result.fun


def fitted_objective(model, X, y, sample_weight=None):
    targets, kind = encoded(model, y)
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    coef = np.reshape(model.coef_, (targets.shape[1], X.shape[1]))
    params = np.concatenate([coef.ravel(), np.reshape(model.intercept_, -1)])
    return objective(params, X, targets, weights, model.alpha, kind)[0]


def fit_recording_warnings(model, X, y, **fit_params):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y, **fit_params)
    return [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]


def problem(name, standardized):
    loader, Estimator = {
        "diabetes": (load_diabetes, GDLinearRegressor),
        "iris": (load_iris, GDClassifier),
        "wine": (load_wine, GDClassifier),
    }[name]
    X, y = loader(return_X_y=True)
    if standardized:
        X = StandardScaler().fit_transform(X)
    return X, y, Estimator


@pytest.fixture(scope="module")
def optima():
    cache = {}

    def optimum(name, standardized):
        if (name, standardized) not in cache:
            X, y, Estimator = problem(name, standardized)
            cache[name, standardized] = exact_optimum(Estimator(), X, y)
        return cache[name, standardized]

    return optimum


@pytest.mark.parametrize("standardized", [False, True])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_default_regression_fits_reach_the_optimum(optima, optimizer, standardized):
    """Raw diabetes (uncentred target, unscaled features) as well as standardized: within 1e-4."""
    X, y, Estimator = problem("diabetes", standardized)
    model = Estimator(optimizer=optimizer, random_state=0)
    messages = fit_recording_warnings(model, X, y)
    gap = fitted_objective(model, X, y) / optima("diabetes", standardized) - 1
    assert gap < 1e-4 and not messages
    assert model.optimality_gap_ >= gap * optima("diabetes", standardized)


@pytest.mark.parametrize("name, standardized", [("iris", False), ("iris", True), ("wine", True)])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_default_classifier_fits_reach_the_optimum_or_say_how_far(
    optima, name, standardized, optimizer
):
    """Within 1e-4, or a ConvergenceWarning whose stated bound is at least the true gap."""
    X, y, Estimator = problem(name, standardized)
    model = Estimator(optimizer=optimizer, random_state=0)
    messages = fit_recording_warnings(model, X, y)
    optimum = optima(name, standardized)
    gap = fitted_objective(model, X, y) - optimum
    assert model.optimality_gap_ >= gap  # the certificate's estimate bounds the gap
    if gap > 1e-4 * optimum:
        assert any(f"{model.optimality_gap_:.3g} above the optimum" in m for m in messages)
    else:
        assert model.optimality_gap_ <= 1e-4 * fitted_objective(model, X, y) or messages


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_smaller_tol_gives_a_closer_fit(optima, optimizer):
    """tol is the relative gap a fit certifies: each fit ends within its own tol."""
    X, y, Estimator = problem("diabetes", True)
    optimum = optima("diabetes", True)
    gaps = []
    for tol in (1e-2, 1e-4, 1e-6):
        model = Estimator(optimizer=optimizer, tol=tol, random_state=0, max_iter=20_000)
        assert not fit_recording_warnings(model, X, y)
        gaps.append(fitted_objective(model, X, y) / optimum - 1)
        assert gaps[-1] <= tol
    assert gaps[2] < gaps[0]


def structured_cases():
    rng = np.random.RandomState(0)
    year = rng.uniform(1990, 2020, size=300)[:, None]  # uncentred: mean 2005
    levels = StandardScaler().fit_transform(np.repeat([10.0, 20.0, 30.0], 50)[:, None])
    grid = np.array(np.meshgrid(*[[-1.0, 0.0, 1.0]] * 4)).reshape(4, -1).T  # 3^4 factorial
    return {
        "year": (GDLinearRegressor, year, 3.0 * (year[:, 0] - 2005) + rng.normal(size=300)),
        "levels": (GDClassifier, levels, np.repeat([0, 1, 2], 50)),
        "factorial": (GDLinearRegressor, grid, 2.0 * grid[:, 0]),
    }


@pytest.mark.parametrize("case", ["year", "levels", "factorial"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_structured_data_is_fitted(case, optimizer):
    """An uncentred year, a 3-level feature with 3 classes, an orthogonal design."""
    Estimator, X, y = structured_cases()[case]
    model = Estimator(optimizer=optimizer, random_state=0)
    assert not fit_recording_warnings(model, X, y)
    assert model.score(X, y) >= 0.99


@pytest.mark.parametrize("optimizer", ["rmsprop", "adam"])
def test_adaptive_step_ignores_gradient_coordinates_at_rounding_level(optimizer):
    """Most coordinates of the first gradient are zero up to rounding: they must not set it."""
    _, X, y = structured_cases()["levels"]
    model = GDClassifier(optimizer=optimizer, max_iter=1, tol=None).fit(X, y)
    assert model.learning_rate_ > 1e-3


@pytest.mark.parametrize("precondition", [False, True])
def test_automatic_step_sees_a_few_large_rows_of_large_data(precondition):
    """200,000 rows, three with 1000 in an otherwise zero column: the step must respect them.

    The largest eigenvalue comes from a subset of the rows when there are
    more than 20,000; a random tenth would miss the three.
    """
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=(200_000, 3)), np.zeros(200_000)])
    X[[5, 117_000, 199_000], 3] = 1000.0
    y = X @ [1.0, -1.0, 0.5, 0.01] + 0.1 * rng.normal(size=200_000)
    model = GDLinearRegressor(optimizer="batch", max_iter=3, tol=None, precondition=precondition)
    model.fit(X, y)
    if precondition:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    A = np.column_stack([X, np.ones(len(y))])
    smoothness = 2 * np.linalg.eigvalsh(A.T @ A / len(y))[-1]
    assert 0.8 < model.learning_rate_ * smoothness < 1.25  # well within the 2 / L limit
    assert np.all(np.diff(model.loss_curve_) < 0)


def test_automatic_mini_batch_step_is_one_over_the_batch_smoothness():
    """1 / L_b of Gower et al. (2019), from the full and the largest per-sample curvature of the
    standardized rows (raw columns far from zero and of different spreads), written out here."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(3_000, 6)) * [1.0, 10.0, 0.1, 5.0, 1.0, 2.0] + [50.0, -20.0, 3.0, 0, 0, 9]
    X[7] += 8.0 * X.std(axis=0)  # one heavy row sets the per-sample curvature
    y = X @ rng.normal(size=6) + rng.normal(size=3_000)
    model = GDLinearRegressor(optimizer="minibatch", batch_size=32, max_iter=1, tol=None)
    model.fit(X, y)
    A = np.column_stack([(X - X.mean(axis=0)) / X.std(axis=0), np.ones(len(y))])
    penalty = 2 * model.alpha / X.std(axis=0).min() ** 2
    full = 2 * np.linalg.eigvalsh(A.T @ A / len(y))[-1] + penalty
    per_sample = 2 * np.max(np.sum(A**2, axis=1)) + penalty
    n, b = len(y), 32
    batch = (n * (b - 1) * full + (n - b) * per_sample) / (b * (n - 1))
    assert model.learning_rate_ == pytest.approx(1 / batch, rel=1e-2)  # lambda_max by power iteration


def test_no_worse_than_constant_warning_when_the_optimum_is_the_constant():
    """y uncorrelated with x: the best model predicts the mean, which is no failure."""
    X = np.tile([[-1.0], [1.0]], (20, 1))
    y = np.repeat([1.0, 2.0], 20)
    for optimizer in OPTIMIZERS:
        model = GDLinearRegressor(optimizer=optimizer, random_state=0)
        assert not fit_recording_warnings(model, X, y)
        assert model.coef_[0] == pytest.approx(0.0, abs=1e-2)


def test_weighted_stochastic_fit_reaches_the_weighted_optimum():
    X, y, _ = problem("diabetes", False)
    weights = np.random.RandomState(0).randint(0, 5, size=len(y)).astype(float)
    model = GDLinearRegressor(optimizer="sgd", random_state=0)
    assert not fit_recording_warnings(model, X, y, sample_weight=weights)
    optimum = exact_optimum(model, X, y, weights)
    assert fitted_objective(model, X, y, weights) / optimum - 1 < 1e-4


def test_partial_fit_keeps_the_coordinates_of_its_first_call():
    X, y, _ = problem("diabetes", False)
    model = GDLinearRegressor(random_state=0).partial_fit(X[:100], y[:100])
    first = model._preconditioner.scale.copy()
    model.partial_fit(X[100:] * 10, y[100:])
    np.testing.assert_array_equal(model._preconditioner.scale, first)
    np.testing.assert_allclose(first, X[:100].std(axis=0))


@pytest.mark.parametrize("optimizer", ["batch", "sgd", "minibatch", "momentum"])
@pytest.mark.parametrize("chunk", [5, 10])
def test_partial_fit_on_small_chunks_keeps_a_safe_step(optimizer, chunk, optima):
    """A chunk of a few rows curves less than the data: its automatic step is too long
    for later chunks (the fits diverged). Each call lowers it to its own chunk's."""
    X, y, _ = problem("diabetes", False)
    model = GDLinearRegressor(optimizer=optimizer, random_state=0)
    for _ in range(20):
        for start in range(0, len(y), chunk):
            model.partial_fit(X[start : start + chunk], y[start : start + chunk])
    assert fitted_objective(model, X, y) / optima("diabetes", False) - 1 < 0.05


def test_warning_states_the_bound_when_max_iter_cuts_a_fit_short():
    X, y, Estimator = problem("diabetes", False)
    model = Estimator(optimizer="batch", max_iter=20)
    (message,) = fit_recording_warnings(model, X, y)
    gap = fitted_objective(model, X, y) - exact_optimum(model, X, y)
    assert "max_iter=20" in message and f"{model.optimality_gap_:.3g} above" in message
    assert model.optimality_gap_ >= gap > 0


@pytest.mark.parametrize("optimizer", ["batch", "momentum"])
def test_full_batch_log_loss_fits_retune_their_step_and_certify(optima, optimizer):
    """Near the optimum the log-loss curves far less than its bound at the start: the
    automatic step of full batches is re-derived there, and the fit certifies in time."""
    X, y, Estimator = problem("iris", True)
    model = Estimator(optimizer=optimizer, batch_size=len(y))
    assert not fit_recording_warnings(model, X, y)
    assert fitted_objective(model, X, y) / optima("iris", True) - 1 < 1e-4
    start = Estimator(optimizer=optimizer, batch_size=len(y), max_iter=1, tol=None).fit(X, y)
    assert model.learning_rate_ > 2 * start.learning_rate_


def test_a_step_given_by_the_user_is_never_retuned():
    X, y, Estimator = problem("iris", True)
    model = Estimator(optimizer="batch", learning_rate=0.5, max_iter=300)
    fit_recording_warnings(model, X, y)
    assert model.learning_rate_ == 0.5


@pytest.mark.parametrize("optimizer", ["batch", "adam"])
def test_a_feature_of_small_spread_does_not_shorten_the_step(optimizer):
    """The penalty's curvature of a feature with standard deviation 1e-3 is 2e6 times
    alpha in the solver's coordinates: with scales floored at sqrt(2 alpha / c) it is
    no larger than the data's, so the default fit still certifies its optimum."""
    X, y, _ = problem("iris", True)
    X = X.copy()
    X[:, 0] *= 1e-3
    model = GDClassifier(optimizer=optimizer)
    assert not fit_recording_warnings(model, X, y)
    assert fitted_objective(model, X, y) / exact_optimum(model, X, y) - 1 < 1e-4


@pytest.mark.parametrize("optimizer", ["minibatch", "adam"])
def test_fits_too_large_for_the_exact_hessian_say_how_far_they_ended(optimizer):
    """3 x 401 parameters: no exact Hessian, so the fit stops on its plateaus; its gap,
    estimated by conjugate gradients, is stated (and is at least the true gap)."""
    X, y, _ = problem("wine", True)
    X = np.hstack([X, np.random.RandomState(0).normal(size=(len(y), 387))])
    model = GDClassifier(optimizer=optimizer, random_state=0, max_iter=300)
    (message,) = fit_recording_warnings(model, X, y)
    gap = fitted_objective(model, X, y) - exact_optimum(model, X, y)
    assert "conjugate gradients" in message and f"{model.optimality_gap_:.3g} above" in message
    assert model.optimality_gap_ >= gap > 1e-4 * fitted_objective(model, X, y)


def test_the_softmax_hessian_of_rows_in_several_blocks_is_the_formulas():
    """5,000 rows (blocks of 4,096 and 904), raw columns, three classes: the Hessian in the
    solver's coordinates equals sum_i w_i (diag(p_i) - p_i p_i^T) (x) a_i a_i^T + the penalty."""
    rng = np.random.RandomState(0)
    n, p, l2 = 5_000, 4, 0.05
    X = rng.normal(size=(n, p)) * [1.0, 3.0, 0.5, 2.0] + [4.0, -1.0, 0.0, 10.0]
    w = rng.uniform(0.5, 2.0, size=n)
    shift, scale = X.mean(axis=0), X.std(axis=0)
    model = rng.normal(size=(3, p + 1)) * 0.3
    H, _ = _certificate.hessian(X, w, model, Preconditioner.of(shift, scale), SOFTMAX, l2, True)

    probability = softmax(X @ model[:, :-1].T + model[:, -1], axis=1)
    design = np.hstack([(X - shift) / scale, np.ones((n, 1))])
    weights = w / w.sum()
    expected = np.zeros((3, p + 1, 3, p + 1))
    for k in range(3):
        for m in range(3):
            curvature = probability[:, k] * ((k == m) - probability[:, m])
            expected[k, :, m, :] = design.T @ (design * (weights * curvature)[:, None])
        expected[k, np.arange(p), k, np.arange(p)] += 2 * l2 / scale**2
    np.testing.assert_allclose(H, expected.reshape(3 * (p + 1), 3 * (p + 1)), rtol=1e-10,
                               atol=1e-14)  # fmt: skip


def test_the_gap_estimate_on_sparse_data_skips_empty_columns_exactly(monkeypatch):
    """Columns no sample has a value for meet the penalty only: the estimate splits
    them off (conjugate gradients run on the others) and still equals g^T H^-1 g of
    the whole Hessian, computed here from the logistic loss's formulas."""
    monkeypatch.setattr(_certificate, "CG_AGREEMENT", 1e-12)  # run CG to convergence
    rng = np.random.RandomState(0)
    n, p, l2 = 40, 60, 0.05
    dense = rng.normal(size=(n, p)) * (rng.uniform(size=(n, p)) < 0.3)
    dense[:, ::3] = 0.0  # 20 columns no sample has a value for
    y = (rng.uniform(size=n) < 0.5).astype(float)
    w = rng.uniform(0.5, 2.0, size=n)
    scale = rng.uniform(0.5, 2.0, size=p)
    model = rng.normal(size=(1, p + 1))  # every coefficient non-zero
    certifier = _certificate.MatrixFreeCertifier(
        sparse.csr_matrix(dense), y[:, None], w, LOGISTIC, Preconditioner.of(np.zeros(p), scale),
        l2, True,
    )  # fmt: skip
    _, estimate = certifier.check(model)

    theta = model[0] * np.append(scale, 1.0)  # in the solver's coordinates
    design = np.hstack([dense / scale, np.ones((n, 1))])
    weights = w / w.sum()
    probability = expit(design @ theta)
    penalty = np.append(2 * l2 / scale**2, 0.0)
    gradient = design.T @ (weights * (probability - y)) + penalty * theta
    H = design.T @ (design * (weights * probability * (1 - probability))[:, None])
    exact = gradient @ np.linalg.solve(H + np.diag(penalty), gradient)
    assert estimate == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize(
    "name, standardized",
    [("diabetes", True), ("diabetes", False), ("iris", True), ("iris", False), ("wine", True)],
)
def test_prodigy_default_fits_reach_the_optimum(optima, name, standardized):
    """Without a learning_rate (eta = 1: Prodigy estimates its steps' length itself), the
    default fit certifies its way to within 1e-3 of the exact optimum, without a warning."""
    X, y, Estimator = problem(name, standardized)
    model = Estimator(optimizer="prodigy", random_state=0)
    messages = fit_recording_warnings(model, X, y)
    gap = fitted_objective(model, X, y) / optima(name, standardized) - 1
    assert gap < 1e-3 and not messages
    assert model.optimality_gap_ >= gap * optima(name, standardized)


def test_prodigy_automatic_step_is_one():
    X, y, Estimator = problem("diabetes", False)
    model = Estimator(optimizer="prodigy", max_iter=1, tol=None).fit(X, y)
    assert model.learning_rate_ == 1.0

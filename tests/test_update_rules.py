"""With a full batch and no shuffling, k epochs equal the formulas applied k times by hand."""

import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning

from skgd import GDClassifier, GDLinearRegressor

LEARNING_RATE = 0.05
BETA, BETA2, EPSILON = 0.8, 0.95, 1e-6
N_EPOCHS = 7


def design(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def squared_error_gradient(A, Y, theta):
    """Gradient of mean_k mean_i (A theta_k - y_k)^2 written out: (2/n) A^T (A theta - Y) / K."""
    n, n_outputs = Y.shape
    return (2.0 / n) * (A @ theta.T - Y).T @ A / n_outputs


def logistic_gradient(A, Y, theta):
    return (expit(A @ theta.T) - Y).T @ A / A.shape[0]


def softmax_gradient(A, Y, theta):
    return (softmax(A @ theta.T, axis=1) - Y).T @ A / A.shape[0]


def by_hand(rule, gradient, A, Y, n_steps, start=None, first_step=1, eta=LEARNING_RATE):
    """The model after n_steps of the textbook rule from zero (or ``start``, from ``first_step``).

    The model is theta, where the gradient is taken, except for Schedule-Free: the
    gradient at theta = y, the model x. ``eta``: the step size.
    """
    theta = np.zeros((Y.shape[1], A.shape[1])) if start is None else start.copy()
    v = np.zeros_like(theta)
    m = np.zeros_like(theta)
    s = np.zeros_like(theta)
    s_max = np.zeros_like(theta)
    z, x = theta.copy(), theta.copy()  # Schedule-Free: y = x = z where it starts
    x0, r, d = theta.copy(), 0.0, 1e-6  # Prodigy: its start, r and d = d0
    for t in range(first_step, first_step + n_steps):
        g = gradient(A, Y, theta)
        if rule == "plain":
            theta = theta - eta * g
        elif rule == "momentum":
            v = BETA * v + (1 - BETA) * g
            theta = theta - eta * v
        elif rule == "rmsprop":
            s = BETA2 * s + (1 - BETA2) * g**2
            theta = theta - eta * g / (np.sqrt(s) + EPSILON)
        elif rule == "adam":
            m = BETA * m + (1 - BETA) * g
            s = BETA2 * s + (1 - BETA2) * g**2
            m_hat = m / (1 - BETA**t)
            s_hat = s / (1 - BETA2**t)
            theta = theta - eta * m_hat / (np.sqrt(s_hat) + EPSILON)
        elif rule == "nesterov":
            v = BETA * v + (1 - BETA) * g
            theta = theta - eta * (BETA * v + (1 - BETA) * g)
        elif rule == "adamax":  # s holds u
            m = BETA * m + (1 - BETA) * g
            s = np.maximum(BETA2 * s, np.abs(g) + EPSILON)
            theta = theta - eta / (1 - BETA**t) * m / s
        elif rule == "adagrad":
            s = s + g**2
            theta = theta - eta * g / (np.sqrt(s) + EPSILON)
        elif rule == "amsgrad":
            m = BETA * m + (1 - BETA) * g
            s = BETA2 * s + (1 - BETA2) * g**2
            s_max = np.maximum(s_max, s)
            theta = theta - eta * (m / (1 - BETA**t)) / (np.sqrt(s_max / (1 - BETA2**t)) + EPSILON)
        elif rule == "adadelta":  # s_max holds u
            s = BETA2 * s + (1 - BETA2) * g**2
            delta = g * np.sqrt(s_max + EPSILON) / np.sqrt(s + EPSILON)
            s_max = BETA2 * s_max + (1 - BETA2) * delta**2
            theta = theta - eta * delta
        elif rule == "nadam":
            m = BETA * m + (1 - BETA) * g
            s = BETA2 * s + (1 - BETA2) * g**2
            m_bar = BETA * m / (1 - BETA ** (t + 1)) + (1 - BETA) * g / (1 - BETA**t)
            theta = theta - eta * m_bar / (np.sqrt(s / (1 - BETA2**t)) + EPSILON)
        elif rule == "schedule_free_sgd":
            z = z - eta * g
            x = (1 - 1 / t) * x + (1 / t) * z
            theta = BETA * x + (1 - BETA) * z
        elif rule == "prodigy":  # Mishchenko & Defazio (2023), Adam's form, ProdigyReference
            beta3 = np.sqrt(BETA2)
            r = beta3 * r + (1 - beta3) * eta * d**2 * np.sum(g * (x0 - theta))
            s = beta3 * s + (1 - beta3) * eta * d**2 * g
            m = BETA * m + (1 - BETA) * d * g
            v = BETA2 * v + (1 - BETA2) * d**2 * g**2
            d_next = max(d, r / np.sum(np.abs(s)))
            theta = theta - eta * d * m / (np.sqrt(v) + d_next * EPSILON)
            d = d_next
        elif rule == "schedule_free_adamw":
            s = BETA2 * s + (1 - BETA2) * g**2
            z = z - eta * g / (np.sqrt(s / (1 - BETA2**t)) + EPSILON)
            x = (1 - 1 / t) * x + (1 / t) * z
            theta = BETA * x + (1 - BETA) * z
    return x if rule.startswith("schedule_free") else theta


RULE_OF = {
    "batch": "plain",
    "sgd": "plain",
    "minibatch": "plain",
    "momentum": "momentum",
    "rmsprop": "rmsprop",
    "adam": "adam",
    "nesterov": "nesterov",
    "adamax": "adamax",
    "adagrad": "adagrad",
    "amsgrad": "amsgrad",
    "adadelta": "adadelta",
    "schedule_free_sgd": "schedule_free_sgd",
    "nadam": "nadam",
    "prodigy": "prodigy",
    "schedule_free_adamw": "schedule_free_adamw",
}
FULL_BATCH_RULES = [
    "batch", "momentum", "rmsprop", "adam", "nesterov", "adamax", "adagrad", "amsgrad",
    "adadelta", "schedule_free_sgd", "nadam", "prodigy", "schedule_free_adamw",
]  # fmt: skip


def full_batch(Estimator, optimizer, **params):
    params = {"precondition": False, **params}  # the features as given: the textbook loop
    return Estimator(
        optimizer=optimizer,
        learning_rate=LEARNING_RATE,
        schedule="constant",
        beta=BETA,
        beta2=BETA2,
        epsilon=EPSILON,
        batch_size=10_000,
        alpha=0.0,
        max_iter=N_EPOCHS,
        tol=None,
        shuffle=False,
        **params,
    )


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)) + [0.5, -1.0, 2.0]
    y = X @ [1.5, -2.0, 0.5] + 0.3 + 0.1 * rng.normal(size=40)
    return X, y


@pytest.mark.parametrize("optimizer", FULL_BATCH_RULES)
def test_regressor_matches_hand_computed_sequence(data, optimizer):
    X, y = data
    model = full_batch(GDLinearRegressor, optimizer).fit(X, y)
    expected = by_hand(RULE_OF[optimizer], squared_error_gradient, design(X), y[:, None], N_EPOCHS)
    np.testing.assert_allclose(model.coef_, expected[0, :-1], rtol=1e-9)
    np.testing.assert_allclose(model.intercept_, expected[0, -1], rtol=1e-9)
    assert model.t_ == N_EPOCHS


@pytest.mark.parametrize("optimizer", ["minibatch", "sgd"])
def test_full_batch_size_means_full_batch(data, optimizer):
    """batch_size >= n_samples makes minibatch a full batch; sgd keeps one sample per step."""
    X, y = data
    model = full_batch(GDLinearRegressor, optimizer).fit(X, y)
    n_steps = N_EPOCHS if optimizer == "minibatch" else N_EPOCHS * X.shape[0]
    assert model.t_ == n_steps
    if optimizer == "minibatch":
        expected = by_hand("plain", squared_error_gradient, design(X), y[:, None], N_EPOCHS)
        np.testing.assert_allclose(model.coef_, expected[0, :-1], rtol=1e-9)


def test_sgd_visits_one_sample_per_step(data):
    """sgd with shuffle=False: step i uses sample i only, theta -= a * 2 (a_i theta - y_i) a_i."""
    X, y = data
    model = (
        full_batch(
            GDLinearRegressor,
            "sgd",
        )
        .set_params(max_iter=1)
        .fit(X, y)
    )
    A = design(X)
    theta = np.zeros(A.shape[1])
    for a_i, y_i in zip(A, y, strict=False):
        theta = theta - LEARNING_RATE * 2.0 * (a_i @ theta - y_i) * a_i
    np.testing.assert_allclose(model.coef_, theta[:-1], rtol=1e-9)


def test_first_step_is_the_source_notes_formula(data):
    """theta_1 = theta_0 - a (2/n) A^T (A theta_0 - y) with theta_0 = 0."""
    X, y = data
    model = full_batch(GDLinearRegressor, "batch").set_params(max_iter=1).fit(X, y)
    A = design(X)
    theta_1 = -LEARNING_RATE * (2.0 / len(y)) * A.T @ (-y)
    np.testing.assert_allclose(np.r_[model.coef_, model.intercept_], theta_1, rtol=1e-12)


@pytest.mark.parametrize("optimizer", FULL_BATCH_RULES)
def test_binary_classifier_matches_hand_computed_sequence(data, optimizer):
    X, y = data
    labels = np.where(y > np.median(y), "high", "low")
    model = full_batch(GDClassifier, optimizer).fit(X, labels)
    targets = (labels == model.classes_[1]).astype(float)[:, None]
    expected = by_hand(RULE_OF[optimizer], logistic_gradient, design(X), targets, N_EPOCHS)
    np.testing.assert_allclose(model.coef_, expected[:, :-1], rtol=1e-9)
    np.testing.assert_allclose(model.intercept_, expected[:, -1], rtol=1e-9)


@pytest.mark.parametrize("optimizer", FULL_BATCH_RULES)
def test_softmax_classifier_matches_hand_computed_sequence(data, optimizer):
    X, y = data
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    model = full_batch(GDClassifier, optimizer).fit(X, labels)
    one_hot = np.eye(3)[labels]
    expected = by_hand(RULE_OF[optimizer], softmax_gradient, design(X), one_hot, N_EPOCHS)
    np.testing.assert_allclose(model.coef_, expected[:, :-1], rtol=1e-9)
    np.testing.assert_allclose(model.intercept_, expected[:, -1], rtol=1e-9)


def test_multi_output_regression_matches_hand_computed_sequence(data):
    X, y = data
    Y = np.column_stack([y, -2 * y + 1])
    model = full_batch(GDLinearRegressor, "adam").fit(X, Y)
    expected = by_hand("adam", squared_error_gradient, design(X), Y, N_EPOCHS)
    np.testing.assert_allclose(model.coef_, expected[:, :-1], rtol=1e-9)
    assert model.coef_.shape == (2, 3) and model.intercept_.shape == (2,)


@pytest.mark.parametrize("Estimator", [GDLinearRegressor, GDClassifier])
@pytest.mark.parametrize("optimizer", ["batch", "sgd", "momentum", "adam", "schedule_free_sgd",
                                       "prodigy"])  # fmt: skip
def test_preconditioning_is_the_textbook_rule_on_standardized_features(data, Estimator, optimizer):
    """On raw X, precondition=True takes the steps the textbook rule takes on standardized X."""
    X, y = data
    if Estimator is GDClassifier:
        y = y > np.median(y)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    on_raw = full_batch(Estimator, optimizer, precondition=True).fit(X, y)
    by_hand_on_z = full_batch(Estimator, optimizer).fit(Z, y)
    # the same model: coef_raw = coef_z / sigma, intercept_raw = intercept_z - coef_raw . mu
    coef = np.reshape(by_hand_on_z.coef_, (-1, X.shape[1])) / X.std(axis=0)
    intercept = np.reshape(by_hand_on_z.intercept_, -1) - coef @ X.mean(axis=0)
    np.testing.assert_allclose(np.reshape(on_raw.coef_, coef.shape), coef, rtol=1e-9)
    np.testing.assert_allclose(np.reshape(on_raw.intercept_, -1), intercept, rtol=1e-9, atol=1e-12)
    # and on standardized data, both settings give the same path up to rounding
    on_z = full_batch(Estimator, optimizer, precondition=True).fit(Z, y)
    np.testing.assert_allclose(on_z.coef_, by_hand_on_z.coef_, rtol=1e-9, atol=1e-12)


def test_no_intercept_keeps_intercept_at_zero(data):
    X, y = data
    model = full_batch(GDLinearRegressor, "adam", fit_intercept=False).fit(X, y)
    A = X  # no column of ones
    expected = by_hand("adam", squared_error_gradient, A, y[:, None], N_EPOCHS)
    np.testing.assert_allclose(model.coef_, expected[0], rtol=1e-9)
    assert model.intercept_ == 0.0


def test_every_preset_is_checked_by_hand():
    """Each preset's rule has its formula written out in ``by_hand`` and is tested above."""
    from skgd._optimizers import PRESETS

    assert set(RULE_OF) == set(PRESETS)
    assert set(FULL_BATCH_RULES) | {"sgd", "minibatch"} == set(PRESETS)


def test_a_rule_without_a_step_fails_loudly():
    """A rule number that ``with_rule`` does not know raises; it never steps as another rule."""
    from skgd._epoch import step_parameters

    theta, model, grad = np.zeros((1, 3)), np.zeros((1, 3)), np.ones((1, 3))
    with pytest.raises(ValueError, match="with_rule"):
        step_parameters(theta, model, grad, np.zeros((0, 1, 3)), 1.0, np.zeros(2), np.ones(2),
                        0.0, True, 99, 0.1, 0.9, 0.999, 1e-8, 1, np.empty((0, 0)), 0)  # fmt: skip


def test_amsgrad_steps_with_the_running_maximum(data):
    """Over enough steps for some second moment to fall below its maximum, amsgrad still
    matches its formula, and its steps are no longer Adam's (the maximum is exercised)."""
    X, y = data
    n_steps = 60
    model = full_batch(GDLinearRegressor, "amsgrad").set_params(max_iter=n_steps).fit(X, y)
    A, Y = design(X), y[:, None]
    expected = by_hand("amsgrad", squared_error_gradient, A, Y, n_steps)
    np.testing.assert_allclose(model.coef_, expected[0, :-1], rtol=1e-9)
    adam = by_hand("adam", squared_error_gradient, A, Y, n_steps)
    assert not np.allclose(expected, adam, rtol=1e-6)


@pytest.mark.parametrize("optimizer", ["schedule_free_sgd", "schedule_free_adamw"])
def test_schedule_free_steps_on_from_a_model_a_user_sets(data, optimizer):
    """A warm start from a coef_ set by hand restarts z and x there; t and s go on."""
    X, y = data
    model = full_batch(GDLinearRegressor, optimizer, warm_start=True).fit(X, y)
    start = np.array([[0.5, -1.0, 0.25, 0.1]])
    model.coef_, model.intercept_ = start[0, :-1].copy(), start[0, -1]
    model.set_params(max_iter=1).fit(X, y)
    A, Y = design(X), y[:, None]
    if optimizer == "schedule_free_sgd":  # no moment: one step from the new start
        expected = by_hand(RULE_OF[optimizer], squared_error_gradient, A, Y, 1, start,
                           first_step=N_EPOCHS + 1)  # fmt: skip
        np.testing.assert_allclose(model.coef_, expected[0, :-1], rtol=1e-9)
    else:  # s of the first N_EPOCHS steps is kept: only where z and x start differs
        assert model.t_ == N_EPOCHS + 1
    moved = np.r_[model.coef_, model.intercept_] - start[0]
    assert np.linalg.norm(moved) < 0.5 * np.linalg.norm(start)  # one step from the start


@pytest.mark.parametrize("optimizer", ["schedule_free_sgd", "schedule_free_adamw"])
def test_schedule_free_warm_start_continues_its_z_and_x(data, optimizer):
    """3 epochs, then 4 more with warm_start, equal 7 at once: z, x, s and t carry over."""
    X, y = data
    at_once = full_batch(GDLinearRegressor, optimizer).fit(X, y)
    split = full_batch(GDLinearRegressor, optimizer, warm_start=True)
    split.set_params(max_iter=3).fit(X, y)
    split.set_params(max_iter=N_EPOCHS - 3).fit(X, y)
    np.testing.assert_allclose(split.coef_, at_once.coef_, rtol=1e-12)
    np.testing.assert_allclose(split.intercept_, at_once.intercept_, rtol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_nadam_stability_limit_is_where_its_steps_on_a_quadratic_turn_unstable(beta):
    """NAdam's step (s held fixed, bias corrections 1) on J = lambda u^2 / 2, run by hand:
    below the limit u shrinks, above it u grows."""
    from skgd._optimizers import nadam_stability_limit

    def final_size(a_lambda):
        u, m = 1.0, 0.0
        for _ in range(2000):
            g = u  # lambda = 1: a_lambda is the step
            m = beta * m + (1 - beta) * g
            u = u - a_lambda * (beta * m + (1 - beta) * g)
        return abs(u)

    limit = nadam_stability_limit(beta)
    assert final_size(0.99 * limit) < 1e-3
    assert final_size(1.01 * limit) > 1e3


def test_full_batch_nadam_keeps_its_steps_stable_on_an_interpolating_problem():
    """15 rows, 30 features (J* = 0): as the gradient vanishes NAdam's steps grow past their
    stability limit unless the schedule divides them; past it the path depends on rounding,
    so a weighted fit and one on repeated rows (equal up to rounding) would part."""
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15).astype(float)
    weights = rng.randint(0, 5, size=15)
    params = dict(optimizer="nadam", batch_size=100, random_state=0)
    weighted = GDLinearRegressor(**params).fit(X, y, sample_weight=weights)
    repeated = GDLinearRegressor(**params).fit(X.repeat(weights, axis=0), y.repeat(weights))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7)
    assert weighted.learning_rate_ < weighted._initial_learning_rate  # the step was divided


PRODIGY_STEPS = 40  # with eta = 1, d grows from d0 to its plateau


@pytest.mark.parametrize("problem", ["regression", "no intercept", "penalty", "binary",
                                     "softmax"])  # fmt: skip
def test_prodigy_estimates_d_as_written(data, problem):
    """40 full-batch steps of eta = 1, over which d grows from 1e-6 to above 0.4 (and,
    for the regressor, then stays while r falls): the formula by hand, with d reduced
    over every coefficient and intercept."""
    X, y = data
    A, params = design(X), {}
    if problem in ("regression", "no intercept", "penalty"):
        Estimator, targets, gradient = GDLinearRegressor, y, squared_error_gradient
        Y = y[:, None]
        if problem == "no intercept":  # its gradient and x0 - theta are zero: out of d
            A, params = X, {"fit_intercept": False}
        if problem == "penalty":  # the gradient of alpha ||W||^2 is part of g

            def gradient(A, Y, theta):
                return squared_error_gradient(A, Y, theta) + 2 * 0.1 * np.c_[theta[:, :-1], 0]

            params = {"alpha": 0.1}
    elif problem == "binary":
        Estimator, targets, gradient = GDClassifier, y > np.median(y), logistic_gradient
        Y = targets[:, None].astype(float)
    else:
        targets = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
        Estimator, gradient, Y = GDClassifier, softmax_gradient, np.eye(3)[targets]
    model = full_batch(Estimator, "prodigy")
    model.set_params(learning_rate=1.0, max_iter=PRODIGY_STEPS, **params).fit(X, targets)
    expected = by_hand("prodigy", gradient, A, Y, PRODIGY_STEPS, eta=1.0)
    np.testing.assert_allclose(np.reshape(model.coef_, (Y.shape[1], -1)),
                               expected[:, : X.shape[1]], rtol=1e-9)  # fmt: skip
    if model.fit_intercept:
        np.testing.assert_allclose(np.reshape(model.intercept_, -1), expected[:, -1], rtol=1e-9)
    # d grew: steps of d0 = 1e-6 (each about d0 / sqrt(1 - beta2) long) would not reach 1e-3
    assert model.t_ == PRODIGY_STEPS and np.max(np.abs(expected)) > 1e-3


def test_prodigy_warm_start_continues_its_estimate(data):
    """3 epochs, then 37 more with warm_start, equal 40 at once: m, v, s, x0, d, r carry over."""
    X, y = data
    at_once = full_batch(GDLinearRegressor, "prodigy")
    at_once.set_params(learning_rate=1.0, max_iter=PRODIGY_STEPS).fit(X, y)
    split = full_batch(GDLinearRegressor, "prodigy", warm_start=True)
    split.set_params(learning_rate=1.0, max_iter=3).fit(X, y)
    split.set_params(max_iter=PRODIGY_STEPS - 3).fit(X, y)
    np.testing.assert_array_equal(split.coef_, at_once.coef_)
    np.testing.assert_array_equal(split.intercept_, at_once.intercept_)


def test_prodigy_x0_is_where_a_fresh_optimizer_starts(data):
    """A warm start that changes the optimizer to prodigy starts it afresh from the current
    model: x0 is that model, not zero."""
    X, y = data
    model = full_batch(GDLinearRegressor, "adam", warm_start=True).fit(X, y)
    start = np.r_[model.coef_, model.intercept_][None, :]
    model.set_params(optimizer="prodigy", learning_rate=1.0, max_iter=PRODIGY_STEPS).fit(X, y)
    expected = by_hand("prodigy", squared_error_gradient, design(X), y[:, None], PRODIGY_STEPS,
                       start, eta=1.0)  # fmt: skip
    np.testing.assert_allclose(model.coef_, expected[0, :-1], rtol=1e-9)
    np.testing.assert_allclose(model.intercept_, expected[0, -1], rtol=1e-9)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_schedule_free_stability_limit_is_where_its_steps_on_a_quadratic_turn_unstable(beta):
    """Schedule-Free AdamW's step (s held fixed, a = its step times lambda) late in a fit
    on J = u^2 / 2, run by hand: below the limit y shrinks, above it y grows."""
    from skgd._optimizers import schedule_free_stability_limit

    def final_size(a_lambda):
        z = x = y = 1.0
        for t in range(10**6, 10**6 + 2000):
            z = z - a_lambda * y  # lambda = 1: the gradient at y is y
            x = (1 - 1 / t) * x + (1 / t) * z
            y = beta * x + (1 - beta) * z
        return abs(y)

    limit = schedule_free_stability_limit(beta)
    assert final_size(0.99 * limit) < 1e-3
    assert final_size(1.01 * limit) > 1e3


def test_full_batch_schedule_free_adamw_keeps_its_steps_stable_on_an_interpolating_problem():
    """15 rows, 30 features (J* = 0): as the gradient vanishes Schedule-Free AdamW's steps
    grow to their stability limit, where z oscillates and its mean x is never certified;
    its default (constant) schedule divides the step there and restarts the mean, so the
    weighted fit and the one on repeated rows stay equal and are certified."""
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15).astype(float)
    weights = rng.randint(0, 5, size=15)
    params = dict(optimizer="schedule_free_adamw", batch_size=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # certified within max_iter
        weighted = GDLinearRegressor(**params).fit(X, y, sample_weight=weights)
        repeated = GDLinearRegressor(**params).fit(X.repeat(weights, axis=0), y.repeat(weights))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-7)
    assert weighted.learning_rate_ < weighted._initial_learning_rate  # the step was divided
    assert weighted.n_iter_ < weighted.max_iter

"""Training controls: auto step, schedules, early stopping, weights, partial_fit, dtypes."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor
from skgd._optimizers import PRESETS

# -- learning_rate="auto" ---------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["batch", "momentum"])
def test_auto_full_batch_reaches_closed_form_to_1e_5(diabetes, optimizer, relative_gap):
    X, y = diabetes
    model = GDLinearRegressor(optimizer=optimizer, batch_size=len(y), max_iter=5000, tol=None)
    assert relative_gap(model.fit(X, y), X, y) < 1e-5


def test_auto_batch_step_is_inverse_smoothness(diabetes):
    """For squared error, L = 2 lambda_max([X, 1]^T [X, 1] / n), computed here exactly."""
    X, y = diabetes
    A = np.hstack([X, np.ones((len(y), 1))])
    smoothness = 2 * np.linalg.eigvalsh(A.T @ A / len(y))[-1]
    model = GDLinearRegressor(optimizer="batch", max_iter=1, tol=None).fit(X, y)
    assert model.learning_rate_ == pytest.approx(1 / smoothness, rel=1e-3)


@pytest.mark.parametrize("weighted", [False, True])
def test_auto_step_on_large_data_with_rows_in_a_pattern(weighted):
    """Above 20,000 rows the eigenvalue comes from a subset, which must see every kind of row.

    Odd rows are 10 times larger (alternating sources); the weighted case gives
    the even rows weight 0. Evenly spaced rows would see one kind only.
    """
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40_000, 5))
    X[1::2] *= 10.0
    y = X @ np.arange(1.0, 6.0)
    weights = np.tile([0.0, 1.0], 20_000) if weighted else np.ones(40_000)
    mean = np.average(X, axis=0, weights=weights)  # the solver's standardized coordinates
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weights))
    A = np.hstack([(X - mean) / std, np.ones((len(y), 1))])
    smoothness = 2 * np.linalg.eigvalsh(A.T @ (A * weights[:, None]) / weights.sum())[-1]
    model = GDLinearRegressor(optimizer="batch", max_iter=1, tol=None)
    model.fit(X, y, sample_weight=weights)
    assert 0.8 < model.learning_rate_ * smoothness < 1.25


@pytest.fixture(scope="module")
def unscaled():
    rng = np.random.RandomState(0)
    scales = np.array([1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3])
    X = rng.normal(size=(300, 6)) * scales + 3 * scales  # offset means too
    y = X @ (1.0 / scales) + 5.0 + rng.normal(size=300)
    return X, y


@pytest.mark.parametrize("optimizer", PRESETS)
def test_auto_is_stable_on_unscaled_data(unscaled, optimizer):
    X, y = unscaled
    model = GDLinearRegressor(optimizer=optimizer, random_state=0, max_iter=200, tol=None)
    model.fit(X, y)
    curve = np.asarray(model.loss_curve_)
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(curve))
    assert curve[-1] < 0.5 * curve[0]
    if optimizer == "batch":  # a step of 1/L decreases the objective every epoch
        assert np.all(np.diff(curve) <= 1e-12 * curve[0])  # up to rounding


# -- schedules --------------------------------------------------------------------------------


def test_invscaling_divides_step_t_by_t_to_the_power_t(diabetes):
    X, y = diabetes
    alpha0, power_t, n_steps = 0.05, 0.5, 6
    model = GDLinearRegressor(optimizer="batch", learning_rate=alpha0, schedule="invscaling",
                              power_t=power_t, max_iter=n_steps, tol=None).fit(X, y)  # fmt: skip
    A = np.hstack([X, np.ones((len(y), 1))])
    theta = np.zeros(A.shape[1])
    for t in range(1, n_steps + 1):
        theta -= alpha0 / t**power_t * (2 / len(y)) * A.T @ (A @ theta - y)
    np.testing.assert_allclose(model.coef_, theta[:-1], rtol=1e-10)


def test_adaptive_divides_by_five_on_plateau(diabetes):
    X, y = diabetes
    model = GDLinearRegressor(optimizer="sgd", learning_rate=0.01, schedule="adaptive",
                              random_state=0, tol=1e-6).fit(X, y)  # fmt: skip
    ratio = model.learning_rate_ / 0.01
    n_divisions = round(-np.log(ratio) / np.log(5))
    assert n_divisions >= 1
    assert ratio == pytest.approx(5.0**-n_divisions)


def test_constant_schedule_keeps_step(diabetes):
    X, y = diabetes
    model = GDLinearRegressor(optimizer="sgd", learning_rate=0.01, schedule="constant",
                              random_state=0).fit(X, y)  # fmt: skip
    assert model.learning_rate_ == 0.01


# -- early stopping ---------------------------------------------------------------------------


def test_early_stopping_on_noise_restores_best_validation_coefficients():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    y = rng.normal(size=400)  # nothing to learn: the validation score peaks early
    model = GDLinearRegressor(optimizer="adam", early_stopping=True, validation_fraction=0.2,
                              random_state=0, max_iter=1000).fit(X, y)  # fmt: skip
    assert model.n_iter_ < 200
    assert len(model.validation_scores_) == model.n_iter_ == len(model.loss_curve_)
    _, X_val, _, y_val = train_test_split(X, y, test_size=0.2, random_state=0)
    # the kept coefficients are those of the lowest validation loss, not the last epoch's
    assert model.best_validation_score_ in model.validation_scores_
    assert model.score(X_val, y_val) == pytest.approx(model.best_validation_score_, rel=1e-12)
    assert mean_squared_error(y_val, model.predict(X_val)) == pytest.approx(model.best_loss_)
    assert model.validation_scores_[-1] != model.best_validation_score_


def test_early_stopping_split_is_stratified_for_the_classifier():
    X, y = load_iris(return_X_y=True)
    model = GDClassifier(early_stopping=True, validation_fraction=0.2, random_state=0)
    model.fit(StandardScaler().fit_transform(X), y)
    assert model.best_validation_score_ > 0.85
    assert len(model.validation_scores_) == model.n_iter_


def test_best_validation_score_is_the_best_score_as_in_mlp():
    """The kept coefficients have the lowest validation loss; the accuracy can peak elsewhere."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X[:500])
    model = GDClassifier(early_stopping=True, validation_fraction=0.2, random_state=0)
    model.fit(X, y[:500])
    assert model.best_validation_score_ == max(model.validation_scores_)
    _, X_val, _, y_val = train_test_split(X, y[:500], test_size=0.2, random_state=0,
                                          stratify=y[:500])  # fmt: skip
    assert model.score(X_val, y_val) < model.best_validation_score_


def test_no_early_stopping_means_no_validation_scores(diabetes):
    X, y = diabetes
    model = GDLinearRegressor(max_iter=5, tol=None).fit(X, y)
    assert model.validation_scores_ is None and model.best_validation_score_ is None


# -- weights ----------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["batch", "momentum", "rmsprop", "adam"])
def test_zero_weight_equals_dropping_the_row(diabetes, optimizer):
    X, y = diabetes
    weights = np.ones(len(y))
    weights[::7] = 0.0
    params = dict(optimizer=optimizer, batch_size=10_000, shuffle=False, max_iter=15, tol=None)
    weighted = GDLinearRegressor(**params).fit(X, y, sample_weight=weights)
    kept = weights > 0
    dropped = GDLinearRegressor(**params).fit(X[kept], y[kept])
    np.testing.assert_allclose(weighted.coef_, dropped.coef_, rtol=1e-7)


def test_class_weight_equals_sample_weight():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    params = dict(optimizer="batch", max_iter=30, tol=None)
    by_class = GDClassifier(class_weight={0: 3.0, 2: 0.5}, **params).fit(X, y)
    by_sample = GDClassifier(**params).fit(X, y, sample_weight=np.array([3.0, 1.0, 0.5])[y])
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-10)


def test_balanced_class_weight_equalizes_classes():
    X, y = load_iris(return_X_y=True)
    X, y = X[20:], y[20:]  # class 0 now has 30 samples, the others 50
    params = dict(optimizer="batch", max_iter=30, tol=None)
    balanced = GDClassifier(class_weight="balanced", **params).fit(X, y)
    weights = len(y) / (3 * np.bincount(y))
    manual = GDClassifier(**params).fit(X, y, sample_weight=weights[y])
    np.testing.assert_allclose(balanced.coef_, manual.coef_, rtol=1e-10)
    with pytest.raises(ValueError, match="not supported by partial_fit"):
        GDClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


# -- partial_fit and warm_start ---------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "rmsprop", "prodigy"])
def test_partial_fit_keeps_optimizer_state(diabetes, optimizer):
    """n calls of partial_fit equal fit(max_iter=n): the moments and t_ carry over (and
    Prodigy's start x0, estimate d and sums r and s)."""
    X, y = diabetes
    params = dict(optimizer=optimizer, learning_rate=0.5, shuffle=False, schedule="constant")
    incremental = GDLinearRegressor(**params)
    for _ in range(5):
        incremental.partial_fit(X, y)
    batch = GDLinearRegressor(max_iter=5, tol=None, **params).fit(X, y)
    np.testing.assert_array_equal(incremental.coef_, batch.coef_)
    assert incremental.t_ == batch.t_
    assert incremental.loss_curve_ == batch.loss_curve_


def test_warm_start_continues_like_one_long_fit(diabetes):
    X, y = diabetes
    params = dict(optimizer="adam", learning_rate=0.5, shuffle=False, tol=None)
    warm = GDLinearRegressor(max_iter=4, warm_start=True, **params).fit(X, y).fit(X, y)
    long = GDLinearRegressor(max_iter=8, **params).fit(X, y)
    np.testing.assert_array_equal(warm.coef_, long.coef_)
    assert len(warm.loss_curve_) == warm.n_iter_ == 8


def test_partial_fit_classifier_needs_classes_first():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        GDClassifier().partial_fit(X, y)
    model = GDClassifier().partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    assert list(model.classes_) == [0, 1, 2] and model.coef_.shape == (3, 4)
    model.partial_fit(X[50:], y[50:])
    assert model.n_iter_ == 2


# -- dtypes and shapes ------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [GDLinearRegressor, GDClassifier])
def test_float32_trains_in_float32(Estimator):
    X, y = load_iris(return_X_y=True)
    model = Estimator(random_state=0).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32
    output = model.predict(X.astype(np.float32)) if Estimator is GDLinearRegressor else (
        model.decision_function(X.astype(np.float32)))  # fmt: skip
    assert output.dtype == np.float32
    assert Estimator(random_state=0).fit(X, y).coef_.dtype == np.float64


def test_multi_output_matches_linear_regression():
    X, Y = make_regression(n_samples=200, n_features=5, n_targets=3, noise=1.0, random_state=0)
    model = GDLinearRegressor(optimizer="momentum", batch_size=1000, tol=None, max_iter=2000)
    model.fit(X, Y)
    closed_form = LinearRegression().fit(X, Y)
    assert model.coef_.shape == closed_form.coef_.shape == (3, 5)
    np.testing.assert_allclose(model.coef_, closed_form.coef_, rtol=1e-7)
    np.testing.assert_allclose(model.intercept_, closed_form.intercept_, atol=1e-7)


# -- verbose ----------------------------------------------------------------------------------


def test_verbose_prints_one_line_per_epoch(diabetes, capsys):
    X, y = diabetes
    GDLinearRegressor(max_iter=3, tol=None).fit(X, y)
    assert capsys.readouterr().out == ""
    model = GDLinearRegressor(max_iter=3, tol=None, verbose=1, early_stopping=True,
                              random_state=0).fit(X, y)  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == model.n_iter_ == 3
    assert lines[0].startswith("Epoch 1, loss: ")
    assert "learning_rate: " in lines[0] and "validation score: " in lines[0]


def test_badly_scaled_features_reach_the_optimum_or_warn(relative_gap):
    """Scales 1..1000 and offsets up to 5e4: the solver's coordinates take them in their stride.

    With precondition=False the textbook rule on the raw features crawls, and
    its fit says so.
    """
    rng = np.random.RandomState(0)
    scales = np.array([1.0, 10.0, 100.0, 1000.0])
    X = rng.normal(size=(500, 4)) * scales + 50 * scales
    y = X @ (1 / scales) + rng.normal(size=500)
    with pytest.warns(ConvergenceWarning, match="worse than predicting the mean"):
        model = GDLinearRegressor(optimizer="minibatch", random_state=0, precondition=False)
        model.fit(X, y)
    assert np.all(np.isfinite(model.coef_))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        fixed = GDLinearRegressor(optimizer="minibatch", random_state=0).fit(X, y)
    assert relative_gap(fixed, X, y) < 1e-4


def test_warm_start_with_a_changed_optimizer_starts_a_fresh_optimizer(diabetes):
    X, y = diabetes
    model = GDLinearRegressor(optimizer="adam", warm_start=True, max_iter=5, tol=None,
                              random_state=0).fit(X, y)  # fmt: skip
    coef = model.coef_.copy()
    model.set_params(optimizer="sgd", max_iter=1)
    fresh_sgd = GDLinearRegressor(optimizer="sgd", max_iter=1, tol=None, random_state=0)
    fresh_sgd.fit(X, y)
    model.fit(X, y)
    assert model.learning_rate_ == pytest.approx(fresh_sgd.learning_rate_)  # sgd's own step
    assert model.t_ == len(y) and model.n_iter_ == 6  # new optimizer state, same history
    assert not np.array_equal(model.coef_, coef)
    model.set_params(learning_rate=1e-6).fit(X, y)
    assert model.learning_rate_ == 1e-6


def test_early_stopping_rejects_a_validation_set_too_small_to_score():
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5.0)
    with pytest.raises(ValueError, match="validation_fraction=0.1 of 5 samples"):
        GDLinearRegressor(early_stopping=True).fit(X, y)
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    with pytest.raises(ValueError, match="need at least 3"):
        GDClassifier(early_stopping=True, validation_fraction=0.2).fit(np.eye(10), labels)


def test_learning_rate_attribute_is_the_last_step_under_invscaling(diabetes):
    X, y = diabetes
    model = GDLinearRegressor(optimizer="minibatch", learning_rate=0.01, schedule="invscaling",
                              power_t=0.5, max_iter=3, tol=None).fit(X, y)  # fmt: skip
    assert model.learning_rate_ == pytest.approx(0.01 / model.t_**0.5)


def test_refit_without_record_path_drops_the_old_path(diabetes):
    X, y = diabetes
    model = GDLinearRegressor(record_path=True, max_iter=2, tol=None).fit(X, y)
    assert hasattr(model, "coef_path_")
    model.set_params(record_path=False).fit(X, y)
    assert not hasattr(model, "coef_path_") and not hasattr(model, "intercept_path_")


def test_background_shuffle_draws_the_same_orders(diabetes, monkeypatch):
    """Large data shuffles on a second thread; the fit must equal the sequential one."""
    import skgd._orders

    X, y = diabetes
    params = dict(optimizer="adam", max_iter=20, tol=None, random_state=3)
    sequential = GDLinearRegressor(**params).fit(X, y)
    monkeypatch.setattr(skgd._orders, "BACKGROUND_SHUFFLE_MIN_ROWS", 0)
    background = GDLinearRegressor(**params).fit(X, y)
    np.testing.assert_array_equal(background.coef_, sequential.coef_)
    assert background.loss_curve_ == sequential.loss_curve_
    caller = np.random.RandomState(0)
    orders = list(skgd._orders.epoch_orders(caller, 50, 4, shuffled=True))
    expected = np.random.RandomState(np.random.RandomState(0).randint(np.iinfo(np.int32).max))
    for order in orders:
        np.testing.assert_array_equal(order, expected.permutation(50))
    # One draw from the caller's generator, however many epochs ran.
    assert caller.randint(1000) == np.random.RandomState(0).randint(1000, size=2)[1]


def test_background_shuffle_thread_ends_with_the_fit(diabetes, monkeypatch):
    """Early stopping and the divergence error close the shuffling thread."""
    import threading

    import skgd._orders

    X, y = diabetes
    monkeypatch.setattr(skgd._orders, "BACKGROUND_SHUFFLE_MIN_ROWS", 0)
    before = threading.active_count()
    model = GDLinearRegressor(optimizer="sgd", tol=1e-2, random_state=0).fit(X, y)
    assert model.n_iter_ < model.max_iter
    assert threading.active_count() == before
    with pytest.raises(ValueError, match="diverged") as error:
        GDLinearRegressor(optimizer="sgd", learning_rate=10.0, random_state=0).fit(X, y)
    assert threading.active_count() == before  # even while the traceback is kept
    assert error.traceback


def test_shuffles_are_drawn_here_when_no_thread_can_start(diabetes, monkeypatch):
    """At interpreter shutdown new threads are refused: the fit draws the same orders itself."""
    from concurrent.futures import ThreadPoolExecutor

    import skgd._orders

    X, y = diabetes
    params = dict(optimizer="adam", max_iter=5, tol=None, random_state=3)
    monkeypatch.setattr(skgd._orders, "BACKGROUND_SHUFFLE_MIN_ROWS", 0)
    threaded = GDLinearRegressor(**params).fit(X, y)

    def refuse(self, *args, **kwargs):
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(ThreadPoolExecutor, "submit", refuse)
    unthreaded = GDLinearRegressor(**params).fit(X, y)
    np.testing.assert_array_equal(unthreaded.coef_, threaded.coef_)


def test_early_stopping_on_a_dataframe_warns_nothing_about_feature_names(diabetes):
    import pandas as pd

    X, y = diabetes
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = GDLinearRegressor(early_stopping=True, random_state=0, max_iter=30, tol=None)
        model.fit(frame, y)
    assert len(model.validation_scores_) == model.n_iter_

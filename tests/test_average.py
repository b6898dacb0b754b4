"""average=True or n: coef_ is the mean of the iterates (from the n-th sample on)."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import skgd
from skgd import GDClassifier, GDLinearRegressor


@pytest.fixture(scope="module")
def small():
    """100 standardized diabetes rows: batches of 32 leave a last batch of 4."""
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X[:100]), y[:100]


def iterates_by_hand(chunks, batch_size, eta, alpha, beta=None):
    """Every iterate ``[w, b]`` of plain (or, with ``beta``, momentum) steps on the squared error.

    ``chunks``: ``(X, y, sample_weight)`` of each epoch, visited in order, in batches of
    ``batch_size``. A batch's gradient is ``sum_i w_i 2 (x_i . w + b - y_i) [x_i, 1] /
    (|B| mean(w)) + 2 alpha [w, 0]``; a batch whose rows all weigh zero takes no step.
    Returns the iterates after each step and the number of samples seen before each step's
    batch ended.
    """
    n_features = chunks[0][0].shape[1]
    theta, velocity = np.zeros(n_features + 1), np.zeros(n_features + 1)
    iterates, seen_at_step, seen = [], [], 0
    for X, y, weight in chunks:
        mean_weight = weight.mean()
        for start in range(0, len(y), batch_size):
            rows = slice(start, start + batch_size)
            seen += len(y[rows])
            if not weight[rows].sum() > 0:
                continue
            residual = X[rows] @ theta[:-1] + theta[-1] - y[rows]
            scaled = 2 * weight[rows] * residual / (len(y[rows]) * mean_weight)
            gradient = np.append(scaled @ X[rows], scaled.sum())
            gradient[:-1] += 2 * alpha * theta[:-1]
            if beta is None:
                theta = theta - eta * gradient
            else:
                velocity = beta * velocity + (1 - beta) * gradient
                theta = theta - eta * velocity
            iterates.append(theta)
            seen_at_step.append(seen)
    return np.array(iterates), np.array(seen_at_step)


def mean_from(iterates, seen_at_step, average):
    """scikit-learn's rule: the mean of the iterates from the step that sees sample ``average``."""
    return iterates[seen_at_step >= int(average)].mean(axis=0)


TEXTBOOK = dict(precondition=False, shuffle=False, schedule="constant", tol=None)


@pytest.mark.parametrize(
    "optimizer, batch_size, average",
    [
        ("minibatch", 32, True),
        ("minibatch", 32, 1),
        ("minibatch", 32, 45),  # inside the second batch
        ("minibatch", 32, 64),  # the second batch's last sample
        ("minibatch", 32, 100),  # the last, short batch
        ("minibatch", 32, 101),  # the second epoch's first batch
        ("minibatch", 32, 250),  # the third epoch
        ("sgd", 1, 7),
        ("momentum", 32, True),
        ("momentum", 16, 40),
    ],
)
def test_coef_is_the_mean_of_the_iterates_computed_by_hand(small, optimizer, batch_size, average):
    X, y = small
    eta, alpha, max_iter = 0.01, 0.05, 3
    model = GDLinearRegressor(optimizer=optimizer, batch_size=batch_size, learning_rate=eta,
                              alpha=alpha, average=average, max_iter=max_iter, record_path=True,
                              **TEXTBOOK).fit(X, y)  # fmt: skip
    beta = model.beta if optimizer == "momentum" else None
    weight = np.ones(len(y))
    iterates, seen = iterates_by_hand([(X, y, weight)] * max_iter, batch_size, eta, alpha, beta)
    # the rule by hand is the estimator's: its recorded path is these iterates
    np.testing.assert_allclose(model.coef_path_[1:], iterates[:, :-1], rtol=1e-9, atol=1e-9)
    expected = mean_from(iterates, seen, average)
    assert not np.allclose(expected, iterates[-1], rtol=1e-3)  # a mean, not the last iterate
    np.testing.assert_allclose(model.coef_, expected[:-1], rtol=1e-9, atol=1e-9)
    assert model.intercept_ == pytest.approx(expected[-1], rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("average", [True, 7, 150])
def test_sgd_averages_as_scikit_learns_sgd_regressor(small, average):
    """SGDRegressor's squared loss is half skgd's: its eta0 = 2 eta takes the same steps."""
    X, y = small
    eta = 0.005
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=2, as asked
        reference = SGDRegressor(penalty=None, learning_rate="constant", eta0=2 * eta,
                                 average=average, shuffle=False, max_iter=2, tol=None)  # fmt: skip
        reference.fit(X, y)
    model = GDLinearRegressor(optimizer="sgd", learning_rate=eta, average=average, max_iter=2,
                              **TEXTBOOK).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-11)
    assert model.intercept_ == pytest.approx(reference.intercept_[0], rel=1e-11)


def test_the_average_starts_at_the_next_step_when_its_sample_weighs_zero(small):
    """Samples 3, 7 and 8 weigh zero: their one-sample batches take no step, so the average
    of average=7 starts with the step of sample 9, the sixth."""
    X, y = small
    weight = np.ones(len(y))
    weight[[2, 6, 7]] = 0.0
    model = GDLinearRegressor(optimizer="sgd", learning_rate=0.005, average=7, max_iter=2,
                              **TEXTBOOK).fit(X, y, sample_weight=weight)  # fmt: skip
    iterates, seen = iterates_by_hand([(X, y, weight)] * 2, 1, 0.005, 0.0)
    expected = mean_from(iterates, seen, 7)  # the iterates of the steps of samples 9, 10, ...
    assert len(iterates[seen >= 7]) == len(iterates) - 5
    np.testing.assert_allclose(model.coef_, expected[:-1], rtol=1e-9, atol=1e-9)


def test_partial_fit_continues_the_average_across_chunks(small):
    """Chunks of 50 and 30 rows; the average starts at the 60th sample, in the second chunk."""
    X, y = small
    chunks = [(X[:50], y[:50]), (X[50:80], y[50:80]), (X[:50], y[:50])]
    model = GDLinearRegressor(optimizer="minibatch", batch_size=16, learning_rate=0.01,
                              average=60, **TEXTBOOK)  # fmt: skip
    for X_chunk, y_chunk in chunks:
        model.partial_fit(X_chunk, y_chunk)
    iterates, seen = iterates_by_hand([(X_chunk, y_chunk, np.ones(len(y_chunk)))
                                       for X_chunk, y_chunk in chunks], 16, 0.01, 0.0)  # fmt: skip
    expected = mean_from(iterates, seen, 60)
    np.testing.assert_allclose(model.coef_, expected[:-1], rtol=1e-9, atol=1e-9)
    assert model.intercept_ == pytest.approx(expected[-1], rel=1e-9)


def test_a_model_set_by_the_user_restarts_the_average(small):
    """A changed coef_ is where the next step starts, and the average starts there anew."""
    X, y = small
    params = dict(optimizer="minibatch", learning_rate=0.01, average=True, **TEXTBOOK)
    model = GDLinearRegressor(**params).partial_fit(X, y).partial_fit(X, y)
    model.coef_[:] = 0.0
    model.intercept_ = 0.0
    model.partial_fit(X, y)
    fresh = GDLinearRegressor(**params).partial_fit(X, y)  # the same steps from zero
    np.testing.assert_allclose(model.coef_, fresh.coef_, rtol=1e-12)


@pytest.mark.parametrize("average", [True, 150])
def test_partial_fit_calls_equal_one_fit(small, average):
    """n calls of partial_fit equal fit(max_iter=n): the average carries over with the moments."""
    X, y = small
    params = dict(optimizer="adam", learning_rate=0.05, shuffle=False, schedule="constant",
                  average=average)  # fmt: skip
    incremental = GDLinearRegressor(**params)
    for _ in range(4):
        incremental.partial_fit(X, y)
    whole = GDLinearRegressor(max_iter=4, tol=None, **params).fit(X, y)
    np.testing.assert_array_equal(incremental.coef_, whole.coef_)
    warm = GDLinearRegressor(max_iter=2, tol=None, warm_start=True, **params).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(warm.coef_, whole.coef_)


@pytest.mark.parametrize("average", [True, 1000])
def test_sparse_input_averages_as_dense(small, average):
    """The just-in-time sparse epoch keeps the average in closed form; the epoch where it
    starts runs the dense steps."""
    X, y = small
    X = np.where(np.abs(X) < 0.7, 0.0, X)  # about half zeros
    params = dict(optimizer="momentum", learning_rate=0.01, alpha=0.01, average=average,
                  max_iter=15, **TEXTBOOK)  # fmt: skip
    dense = GDLinearRegressor(**params).fit(X, y)
    on_csr = GDLinearRegressor(**params).fit(sparse.csr_array(X), y)
    np.testing.assert_allclose(on_csr.coef_, dense.coef_, rtol=1e-9)
    assert on_csr.intercept_ == pytest.approx(dense.intercept_, rel=1e-9)


def test_the_stopping_rule_certifies_the_average_and_returns_it():
    """A default averaged fit: coef_ is the mean of every step's iterate, certified."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = GDLinearRegressor(average=True, record_path=True, random_state=0).fit(X, y)
    assert model.record_stride_ == 1
    np.testing.assert_allclose(model.coef_, model.coef_path_[1:].mean(axis=0), rtol=1e-9)
    assert model.intercept_ == pytest.approx(model.intercept_path_[1:].mean(), rel=1e-9)
    assert model.optimality_gap_ <= model.tol * skgd.objective(model, X, y)


@pytest.mark.parametrize(
    "Estimator, load, average",
    [
        (GDLinearRegressor, load_diabetes, True),
        (GDLinearRegressor, load_diabetes, 1000),
        (GDClassifier, load_iris, True),
    ],
)
def test_an_averaged_default_fit_reaches_the_optimum(Estimator, load, average):
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # certified, no ConvergenceWarning
        model = Estimator(average=average, random_state=0).fit(X, y)
    optimum = skgd.optimal_objective(model, X, y)
    assert skgd.objective(model, X, y) == pytest.approx(optimum, rel=1e-3)


def test_early_stopping_keeps_the_average_of_its_best_epoch():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    y = rng.normal(size=400)  # nothing to learn: the validation score peaks early
    model = GDLinearRegressor(average=True, early_stopping=True, validation_fraction=0.2,
                              record_path=True, random_state=0).fit(X, y)  # fmt: skip
    best_epoch = int(np.argmax(model.validation_scores_))  # R^2: the lowest validation MSE
    assert best_epoch < model.n_iter_ - 1  # it ran on after its best epoch
    steps_per_epoch = model.t_ // model.n_iter_
    assert steps_per_epoch == 10  # 320 training rows
    steps = (best_epoch + 1) * steps_per_epoch
    np.testing.assert_allclose(model.coef_, model.coef_path_[1 : steps + 1].mean(axis=0),
                               rtol=1e-9)  # fmt: skip


def test_an_interrupted_averaged_fit_returns_the_average_of_its_good_epochs(monkeypatch):
    import skgd._base

    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    original, calls = skgd._base.BaseGD._epoch_step, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(skgd._base.BaseGD, "_epoch_step", interrupted)
    model = GDLinearRegressor(average=True, record_path=True, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)
    assert model.n_iter_ == 3
    np.testing.assert_allclose(model.coef_, model.coef_path_[1:].mean(axis=0), rtol=1e-9)


def test_full_batches_are_not_averaged(small):
    """Exact steps have no noise to average: the fit is that of average=False."""
    X, y = small
    for params in (dict(optimizer="batch"), dict(optimizer="adam", batch_size=len(y))):
        plain = GDLinearRegressor(**params).fit(X, y)
        averaged = GDLinearRegressor(average=True, **params).fit(X, y)
        np.testing.assert_array_equal(averaged.coef_, plain.coef_)


def test_changing_average_on_a_warm_start_starts_a_fresh_optimizer(small):
    X, y = small
    model = GDLinearRegressor(max_iter=3, tol=None, warm_start=True, random_state=0).fit(X, y)
    model.set_params(average=True).fit(X, y)
    assert model.t_ == 3 * 4  # three epochs of four steps, from the fresh optimizer's first


def test_schedule_free_rejects_average(small):
    X, y = small
    with pytest.raises(ValueError, match="already .*average=False"):
        GDLinearRegressor(optimizer="schedule_free_sgd", average=True).fit(X, y)
    with pytest.raises(ValueError, match="already"):
        GDLinearRegressor(optimizer="schedule_free_sgd", average=5).partial_fit(X, y)


@pytest.mark.parametrize("average", [0, -1, 2.5, "yes"])
def test_average_must_be_a_bool_or_a_positive_int(small, average):
    X, y = small
    with pytest.raises(InvalidParameterError, match="'average' parameter"):
        GDLinearRegressor(average=average).fit(X, y)

"""Bad input and bad parameters give clear errors; divergence never returns NaN."""

import re

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skgd import GDClassifier, GDLinearRegressor

ESTIMATORS = [GDLinearRegressor, GDClassifier]


@pytest.fixture
def data():
    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    return X, y


def labels_for(Estimator, y):
    return (y > 0).astype(int) if Estimator is GDClassifier else y


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "param, value",
    [
        ("optimizer", "lbfgs"),
        ("learning_rate", 0.0),
        ("learning_rate", -1.0),
        ("learning_rate", "fast"),
        ("schedule", "cosine"),
        ("beta", 1.0),
        ("beta", -0.1),
        ("beta2", 1.5),
        ("epsilon", 0.0),
        ("batch_size", 0),
        ("max_iter", 0),
        ("tol", -1e-3),
        ("n_iter_no_change", 0),
        ("alpha", -1.0),
        ("alpha", 1e308),  # its penalty gradient overflows float64
        ("fit_intercept", "yes"),
        ("power_t", -1.0),
    ],
)
def test_invalid_parameter_names_parameter_and_accepted_values(Estimator, data, param, value):
    X, y = data
    with pytest.raises(InvalidParameterError, match=f"The '{param}' parameter of"):
        Estimator(**{param: value}).fit(X, labels_for(Estimator, y))


def test_unknown_optimizer_lists_the_presets(data):
    X, y = data
    with pytest.raises(InvalidParameterError) as error:
        GDLinearRegressor(optimizer="lbfgs").fit(X, y)
    for name in ["batch", "sgd", "minibatch", "momentum", "rmsprop", "adam"]:
        assert repr(name) in str(error.value)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_X_is_rejected(Estimator, data, bad):
    X, y = data
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match="Input X contains"):
        Estimator().fit(X, labels_for(Estimator, y))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_y_is_rejected(data, bad):
    X, y = data
    y = y.copy()
    y[0] = bad
    with pytest.raises(ValueError, match="Input y contains"):
        GDLinearRegressor().fit(X, y)


@pytest.mark.parametrize("labels", [["cat"] * 30, ["1.5"] * 29 + ["dog"]])
def test_a_regression_target_of_labels_names_y_and_a_value(data, labels):
    X, _ = data
    with pytest.raises(ValueError, match="numeric target y.*such as 'dog'|numeric target y.*'cat'"):
        GDLinearRegressor().fit(X, labels)


def test_nan_label_is_rejected(data):
    X, y = data
    labels = np.where(y > 0, 1.0, 0.0)
    labels[0] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        GDClassifier().fit(X, labels)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_wrong_number_of_features_at_predict(Estimator, data):
    X, y = data
    model = Estimator().fit(X, labels_for(Estimator, y))
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3 features"):
        model.predict(X[:, :2])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_empty_X(Estimator):
    with pytest.raises(ValueError, match="0 sample"):
        Estimator().fit(np.empty((0, 3)), np.empty(0))


def test_single_class_is_rejected(data):
    X, _ = data
    with pytest.raises(ValueError, match="at least 2 classes"):
        GDClassifier().fit(X, np.ones(len(X)))


def test_negative_or_all_zero_weights_are_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        GDLinearRegressor().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="at least one non-zero"):
        GDLinearRegressor().fit(X, y, sample_weight=np.zeros(len(y)))


@pytest.mark.parametrize("optimizer", ["batch", "sgd", "minibatch", "momentum"])
def test_divergence_raises_and_names_learning_rate(optimizer):
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1000, size=(50, 3))
    y = X @ [1.0, 2.0, 3.0]
    model = GDLinearRegressor(optimizer=optimizer, learning_rate=10.0, max_iter=200, tol=None)
    with pytest.raises(ValueError, match=re.escape("learning_rate=10")) as error:
        model.fit(X, y)
    assert "StandardScaler" in str(error.value)
    assert "diverged" in str(error.value)


def test_convergence_warning_when_max_iter_is_reached(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        GDLinearRegressor(optimizer="batch", max_iter=2).fit(X, y)


def test_tol_none_runs_exactly_max_iter_without_warning(data, recwarn):
    X, y = data
    model = GDLinearRegressor(optimizer="sgd", max_iter=7, tol=None).fit(X, y)
    assert model.n_iter_ == 7 and len(model.loss_curve_) == 7
    assert model.t_ == 7 * len(y)
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("optimizer", ["batch", "sgd", "minibatch", "momentum", "rmsprop", "adam"])
def test_auto_step_never_diverges_on_unscaled_data(optimizer):
    rng = np.random.RandomState(0)
    scales = np.array([1e-2, 1.0, 1e2, 1e3])
    X = rng.normal(size=(200, 4)) * scales + 5 * scales
    y = X @ (1.0 / scales) + rng.normal(size=200)
    model = GDLinearRegressor(optimizer=optimizer, random_state=0, max_iter=300).fit(X, y)
    assert np.all(np.isfinite(model.coef_))
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_divergence_is_caught_before_numbers_overflow():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1000, size=(50, 3))
    y = X @ [1.0, 2.0, 3.0]
    model = GDLinearRegressor(optimizer="batch", learning_rate=1e-3, max_iter=3, tol=None,
                              precondition=False)  # fmt: skip
    with pytest.raises(ValueError, match="times that of predicting zero") as error:
        model.fit(X, y)
    assert "learning_rate=0.001" in str(error.value)


# -- state and input the fit used to accept silently ------------------------------------------


def test_partial_fit_rejects_early_stopping():
    X, y = np.random.RandomState(0).normal(size=(40, 3)), np.arange(40.0)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        GDLinearRegressor(early_stopping=True).partial_fit(X, y)


@pytest.mark.parametrize("part", ["validation", "training"])
def test_early_stopping_with_zero_weight_in_one_part_names_it(part):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model = GDLinearRegressor(early_stopping=True, validation_fraction=0.25, random_state=0)
    # The rows the split holds out, found by splitting the row numbers the same way.
    from sklearn.model_selection import train_test_split

    _, held_out = train_test_split(
        np.arange(40), test_size=0.25, random_state=np.random.RandomState(0)
    )
    weights = np.zeros(40)
    if part == "validation":
        weights[np.setdiff1d(np.arange(40), held_out)] = 1.0
    else:
        weights[held_out] = 1.0
    with pytest.raises(ValueError, match=f"weights of the {part} part are all zero"):
        model.fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_class_weight_must_be_finite_and_non_negative(bad):
    X, y = np.random.RandomState(0).normal(size=(30, 2)), np.repeat([0, 1, 2], 10)
    with pytest.raises(ValueError, match="class_weight must give each class a finite"):
        GDClassifier(class_weight={0: 1.0, 1: bad, 2: 1.0}).fit(X, y)


def test_class_weight_that_is_not_a_number_is_named():
    X, y = np.random.RandomState(0).normal(size=(30, 2)), np.repeat([0, 1, 2], 10)
    with pytest.raises(ValueError, match=r"class_weight=\{0: 'a'.*is not usable"):
        GDClassifier(class_weight={0: "a", 1: 1.0, 2: 1.0}).fit(X, y)


def test_warm_start_rejects_other_classes():
    X, y = np.random.RandomState(0).normal(size=(30, 2)), np.repeat([0, 1, 2], 10)
    model = GDClassifier(warm_start=True, max_iter=5, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="same classes as in the previous call"):
        model.fit(X[:20], y[:20])


def test_warm_start_without_intercept_drops_the_old_one():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 2))
    y = X @ [1.0, 2.0] + 5.0
    model = GDLinearRegressor(optimizer="adam", warm_start=True, random_state=0).fit(X, y)
    assert model.intercept_ == pytest.approx(5.0, rel=1e-3)
    model.set_params(fit_intercept=False).fit(X, y)
    assert model.intercept_ == 0.0
    np.testing.assert_allclose(model.predict(X), X @ model.coef_)

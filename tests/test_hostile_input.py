"""Hostile input: each case gives a clear error or a correct fit, and never touches the input."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from skgd import GDClassifier, GDLinearRegressor


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    y = X @ [1.0, 2.0, 3.0] + 0.5
    return X, y


def fit_regressor(X, y, sample_weight=None, **params):
    return GDLinearRegressor(random_state=0, **params).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_sample_weight(data, bad):
    X, y = data
    weights = np.ones(len(y))
    weights[3] = bad
    with pytest.raises(ValueError, match="Input sample_weight contains"):
        fit_regressor(X, y, sample_weight=weights)


@pytest.mark.parametrize("scale, target", [(1e300, "X"), (1e155, "X"), (1e-300, "X")])
def test_values_near_the_float_limits_in_X(data, scale, target):
    X, y = data
    message = f"{target} has .* whose (sum of )?squares (over|under)flow"
    with pytest.raises(ValueError, match=message):
        fit_regressor(X * scale, y)
    with pytest.raises(ValueError, match="Rescale X"):
        GDClassifier().fit(X * scale, y > 0)


@pytest.mark.parametrize("dtype, scale", [(np.float64, 1e-155), (np.float32, 1e-20)])
def test_many_values_whose_squares_underflow(dtype, scale):
    """Enough of them sum to more than the smallest normal number: still rejected."""
    X = (np.random.RandomState(0).normal(size=(20_000, 10)) * scale).astype(dtype)
    y = np.arange(20_000.0)
    with pytest.raises(ValueError, match="X has .* whose squares underflow"):
        fit_regressor(X, y)


def test_values_near_the_float_limits_in_y(data):
    X, y = data
    with pytest.raises(ValueError, match="y has values up to .* whose sum of squares overflows"):
        fit_regressor(X, y * 1e300)


def test_large_but_representable_values_fit_correctly(data):
    """With X and y scaled by 1e100, the auto step scales too: the same coefficients."""
    X, y = data
    params = dict(optimizer="momentum", batch_size=100, fit_intercept=False)
    model = fit_regressor(X * 1e100, y * 1e100, **params)
    unscaled = fit_regressor(X, y, **params)
    np.testing.assert_allclose(model.coef_, unscaled.coef_, rtol=1e-8)
    assert np.all(np.isfinite(model.predict(X * 1e100)))


def test_constant_and_duplicate_features(data):
    X, y = data
    X = np.column_stack([X, np.full(len(y), 7.0), X[:, 0]])
    model = fit_regressor(X, y, optimizer="momentum", batch_size=100)
    residual = model.predict(X) - y
    optimum = LinearRegression().fit(X, y).predict(X) - y
    assert np.mean(residual**2) <= np.mean(optimum**2) + 1e-4 * np.var(y)
    # from zero, the duplicated feature's weight is shared equally
    assert model.coef_[0] == pytest.approx(model.coef_[4])


@pytest.mark.parametrize("optimizer", ["batch", "sgd", "adam"])
def test_one_sample(data, optimizer):
    X, y = data
    model = fit_regressor(X[:1], y[:1], optimizer=optimizer)
    assert model.predict(X[:1])[0] == pytest.approx(y[0], rel=1e-3)
    with pytest.raises(ValueError, match="at least 2 classes"):
        GDClassifier().fit(X[:1], [1])


def test_more_features_than_samples():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(5, 50)), rng.normal(size=5)
    model = fit_regressor(X, y, optimizer="momentum", batch_size=100)
    np.testing.assert_allclose(model.predict(X), y, atol=1e-3)  # interpolates
    # from zero, the textbook rule finds the minimum-norm solution of [X, 1] theta = y
    # (preconditioned, the minimum norm is that of the solver's coordinates)
    model = fit_regressor(X, y, optimizer="momentum", batch_size=100, precondition=False)
    theta = np.linalg.pinv(np.column_stack([X, np.ones(5)])) @ y
    np.testing.assert_allclose(model.coef_, theta[:-1], atol=1e-3)


@pytest.mark.parametrize(
    "layout",
    ["fortran", "non_contiguous", "read_only", "object_dtype", "float32", "list"],
)
def test_array_layouts_give_the_same_fit(data, layout):
    X, y = data
    reference = fit_regressor(X, y, max_iter=20, tol=None)
    if layout == "fortran":
        X_in = np.asfortranarray(X)
    elif layout == "non_contiguous":
        X_in = np.repeat(X, 2, axis=1)[:, ::2]  # a strided view
    elif layout == "read_only":
        X_in = X.copy()
        X_in.setflags(write=False)
    elif layout == "object_dtype":
        X_in = X.astype(object)
    elif layout == "float32":
        X_in = X.astype(np.float32)
    else:
        X_in = X.tolist()
    snapshot = np.array(X_in, dtype=object, copy=True)
    model = fit_regressor(X_in, y, max_iter=20, tol=None)
    rtol = 1e-4 if layout == "float32" else 1e-12
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=rtol)
    np.testing.assert_array_equal(np.array(X_in, dtype=object), snapshot)  # untouched


def test_object_dtype_with_text_is_rejected(data):
    X, y = data
    X = X.astype(object)
    X[0, 0] = "a"
    with pytest.raises(ValueError, match="could not convert string to float"):
        fit_regressor(X, y)


def test_pandas_nullable_dtypes(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).astype("Float64")
    model = fit_regressor(frame, pd.Series(y, dtype="Float64"), max_iter=20, tol=None)
    reference = fit_regressor(X, y, max_iter=20, tol=None)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-12)
    labels = pd.Series((y > 0).astype(int), dtype="Int64")
    assert list(GDClassifier().fit(frame, labels).classes_) == [0, 1]
    frame.iloc[0, 0] = pd.NA
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fit_regressor(frame, y)


def test_three_dimensional_input(data):
    X, y = data
    with pytest.raises(ValueError, match="Found array with dim 3"):
        fit_regressor(X.reshape(30, 3, 1), y)


def test_mismatched_lengths(data):
    X, y = data
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        fit_regressor(X, y[:-1])
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(29,\), expected \(30,\)"):
        fit_regressor(X, y, sample_weight=np.ones(29))


def test_mixed_type_labels(data):
    X, _ = data
    with pytest.raises(ValueError, match="Unknown label type"):
        GDClassifier().fit(X, np.array([1, "a"] * 15, dtype=object))


def test_unseen_label_in_partial_fit(data):
    X, y = data
    model = GDClassifier().partial_fit(X, y > 0, classes=[False, True])
    with pytest.raises(ValueError):
        model.partial_fit(X, np.where(y > 0, "yes", "no"))


def test_class_weight_zeroing_every_present_class(data):
    X, y = data
    with pytest.raises(ValueError, match="class_weight gives every sample of y a zero weight"):
        GDClassifier(class_weight={0: 0.0, 1: 0.0}).fit(X, (y > 0).astype(int))


def test_partial_fit_after_early_stopping_keeps_history_consistent(data):
    X, y = data
    model = GDLinearRegressor(early_stopping=True, validation_fraction=0.2, max_iter=5, tol=None)
    model.fit(X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        model.partial_fit(X, y)
    model.set_params(early_stopping=False).partial_fit(X, y)
    assert model.validation_scores_ is None and len(model.loss_curve_) == model.n_iter_ == 6


def test_y_too_large_for_the_dtype_of_X(data):
    """y is trained in X's dtype: float32 X with y of 1e39 is refused, not turned into inf."""
    X, y = data
    with pytest.raises(ValueError, match=r"y contains infinity or a value too large .*float32"):
        fit_regressor(X.astype(np.float32), y * 1e39)

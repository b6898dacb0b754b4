"""The displays draw, and what they draw is the fitted estimators' data."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor, LossCurveDisplay, OptimizerPathDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def two_features():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X[:, [2, 8]]), y


def test_loss_curve_display_plots_loss_curves_and_closed_form(two_features):
    X, y = two_features
    fits = [GDLinearRegressor(optimizer=o, random_state=0).fit(X, y) for o in ("sgd", "adam")]
    display = LossCurveDisplay.from_estimators(fits, X, y)
    for fit in fits:
        line = display.lines_[fit.optimizer]
        np.testing.assert_array_equal(line.get_ydata(), fit.loss_curve_)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, fit.n_iter_ + 1))
    closed_form = mean_squared_error(y, LinearRegression().fit(X, y).predict(X))
    assert display.optimum_line_.get_ydata()[0] == pytest.approx(closed_form, rel=1e-10)
    assert display.ax_.get_yscale() == "log"


def test_loss_curve_display_single_estimator_without_data():
    X, y = load_iris(return_X_y=True)
    fit = GDClassifier(max_iter=20, tol=None).fit(X, y)
    _, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(fit, name="mine", ax=ax, log_scale=False)
    assert display.ax_ is ax and display.optimum_line_ is None
    np.testing.assert_array_equal(display.lines_["mine"].get_ydata(), fit.loss_curve_)


def test_optimizer_path_display_plots_recorded_paths(two_features):
    X, y = two_features
    fits = {
        optimizer: GDLinearRegressor(
            optimizer=optimizer, batch_size=len(y), max_iter=30, tol=None, record_path=True
        ).fit(X, y)  # fmt: skip
        for optimizer in ("batch", "momentum")
    }
    display = OptimizerPathDisplay.from_estimators(fits, X, y, coefficients=(0, "intercept"))
    for name, fit in fits.items():
        xdata, ydata = display.lines_[name].get_data()
        np.testing.assert_array_equal(xdata, fit.coef_path_[:, 0])
        np.testing.assert_array_equal(ydata, fit.intercept_path_)
        assert len(xdata) == fit.t_ + 1
    closed_form = LinearRegression().fit(X, y)
    np.testing.assert_allclose(display.optimum, [closed_form.coef_[0], closed_form.intercept_])
    first, second, values = display.grid
    # the lowest grid point is next to the closed form's coefficients
    row, column = np.unravel_index(np.argmin(values), values.shape)
    assert abs(first[column] - display.optimum[0]) <= 2 * (first[1] - first[0])
    assert abs(second[row] - display.optimum[1]) <= 2 * (second[1] - second[0])


def test_optimizer_path_display_for_a_softmax_class_row():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    fit = GDClassifier(optimizer="adam", record_path=True, max_iter=5, tol=None,
                       random_state=0).fit(X, y)  # fmt: skip
    display = OptimizerPathDisplay.from_estimator(fit, X, y, coefficients=(2, 3), output=1,
                                                  grid_resolution=10)  # fmt: skip
    np.testing.assert_array_equal(display.lines_["adam"].get_xdata(), fit.coef_path_[:, 1, 2])


def test_path_display_needs_record_path(two_features):
    X, y = two_features
    fit = GDLinearRegressor(max_iter=2, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="record_path=True"):
        OptimizerPathDisplay.from_estimator(fit, X, y)


def test_coef_path_ends_at_coef_and_starts_at_zero(two_features):
    X, y = two_features
    fit = GDLinearRegressor(optimizer="sgd", record_path=True, max_iter=2, tol=None).fit(X, y)
    assert fit.coef_path_.shape == (fit.t_ + 1, 2)
    np.testing.assert_array_equal(fit.coef_path_[0], 0.0)
    np.testing.assert_array_equal(fit.coef_path_[-1], fit.coef_)
    assert fit.intercept_path_[-1] == fit.intercept_


def test_class_weight_is_part_of_the_drawn_optimum():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = GDClassifier(optimizer="momentum", batch_size=1000, class_weight={0: 10.0}).fit(X, y)
    display = LossCurveDisplay.from_estimator(model, X, y)
    optimum = display.optimum_line_.get_ydata()[0]
    assert model.loss_curve_[-1] >= optimum * (1 - 1e-9)
    assert model.loss_curve_[-1] == pytest.approx(optimum, rel=1e-2)


def test_repeated_optimizers_get_distinct_names_and_unfitted_ones_are_refused(two_features):
    X, y = two_features
    fits = [GDLinearRegressor(learning_rate=lr, max_iter=5, tol=None).fit(X, y) for lr in (1, 2)]
    assert sorted(LossCurveDisplay.from_estimators(fits).lines_) == ["adam", "adam (2)"]
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(GDLinearRegressor())


def test_path_display_with_sparse_data_and_bad_coefficients(two_features):
    import scipy.sparse as sp

    X, y = two_features
    fit = GDLinearRegressor(optimizer="batch", record_path=True, max_iter=5, tol=None)
    fit.fit(sp.csr_matrix(X), y)
    display = OptimizerPathDisplay.from_estimator(fit, sp.csr_matrix(X), y, grid_resolution=8)
    np.testing.assert_array_equal(display.lines_["batch"].get_xdata(), fit.coef_path_[:, 0])
    for bad in [(0,), (0, 5), (0, "slope")]:
        with pytest.raises(ValueError, match="coefficients must be two feature indices"):
            OptimizerPathDisplay.from_estimator(fit, X, y, coefficients=bad)

"""The displays draw, and what they draw is the fitted estimators' data."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.preprocessing import StandardScaler

from skgd import (
    GDClassifier,
    GDLinearRegressor,
    LearningRateSweepDisplay,
    LossCurveDisplay,
    OptimizerPathDisplay,
    minimize,
    objective,
    optimal_objective,
)
from skgd.functions import quadratic, rosenbrock

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


def test_gap_view_draws_loss_curve_minus_the_optimum_on_a_log_axis(two_features):
    X, y = two_features
    fit = GDLinearRegressor(optimizer="momentum", max_iter=8, tol=None, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(fit, X, y, kind="gap")
    optimum = optimal_objective(fit, X, y)
    xdata, ydata = display.lines_["momentum"].get_data()
    np.testing.assert_array_equal(ydata, np.asarray(fit.loss_curve_) - optimum)
    np.testing.assert_array_equal(xdata, np.arange(1, 9))
    assert display.optimum_line_ is None and display.ax_.get_yscale() == "log"
    assert display.ax_.get_ylabel() == "objective − optimum"
    with pytest.raises(ValueError, match="kind='gap' needs the training data"):
        LossCurveDisplay.from_estimator(fit, kind="gap")
    with pytest.raises(ValueError, match="kind must be one of"):
        LossCurveDisplay.from_estimator(fit, X, y, kind="excess")


def test_seconds_axis_draws_loss_curve_against_time_curve(two_features):
    X, y = two_features
    fit = GDLinearRegressor(optimizer="adam", max_iter=6, tol=None).fit(X, y)
    display = LossCurveDisplay.from_estimator(fit, x="seconds", legend_loc="outside")
    xdata, ydata = display.lines_["adam"].get_data()
    np.testing.assert_array_equal(xdata, fit.time_curve_)
    np.testing.assert_array_equal(ydata, fit.loss_curve_)
    assert display.ax_.get_xlabel() == "seconds of training"
    # the legend sits right of the axes, over no curve
    assert display.legend_.get_bbox_to_anchor().x0 > display.ax_.get_window_extent().x1
    with pytest.raises(ValueError, match="x must be one of"):
        LossCurveDisplay.from_estimator(fit, x="minutes")


def test_steps_axis_draws_recorded_step_losses_or_the_epochs_ends(two_features):
    X, y = two_features
    noisy = GDLinearRegressor(optimizer="sgd", max_iter=3, tol=None, record_steps=True,
                              random_state=0).fit(X, y)  # fmt: skip
    plain = GDLinearRegressor(optimizer="minibatch", max_iter=3, tol=None).fit(X, y)
    display = LossCurveDisplay.from_estimators([noisy, plain], X, y, x="steps")
    xdata, ydata = display.lines_["sgd"].get_data()
    np.testing.assert_array_equal(ydata, noisy.step_loss_curve_)
    steps = np.arange(1, len(noisy.step_loss_curve_) + 1) * noisy.record_stride_
    np.testing.assert_array_equal(xdata, steps)
    assert xdata[-1] == noisy.t_ == 3 * len(y)
    xdata, ydata = display.lines_["minibatch"].get_data()
    np.testing.assert_array_equal(ydata, plain.loss_curve_)
    np.testing.assert_array_equal(xdata, [14, 28, 42])  # ceil(442 / 32) steps an epoch
    assert display.ax_.get_xlabel() == "step"


def test_optimizer_path_display_has_an_equal_aspect_unless_asked(two_features):
    X, y = two_features
    fit = GDLinearRegressor(optimizer="batch", max_iter=5, tol=None, record_path=True).fit(X, y)
    assert OptimizerPathDisplay.from_estimator(fit, X, y).ax_.get_aspect() == 1.0
    loose = OptimizerPathDisplay.from_estimator(fit, X, y, equal_aspect=False)
    assert loose.ax_.get_aspect() == "auto"


@pytest.fixture(scope="module")
def valley_runs():
    problem = quadratic(condition_number=100.0)
    results = {
        "batch": minimize(problem.fun, [0.0, -1.0], jac=problem.jac, optimizer="batch",
                          learning_rate=0.019, max_iter=30, tol=None),
        "adam": minimize(problem.fun, [0.0, -1.0], jac=problem.jac, optimizer="adam",
                         learning_rate=0.1, max_iter=12, tol=None),
    }  # fmt: skip
    return problem, results


def test_from_minimize_draws_the_paths_over_the_function(valley_runs):
    problem, results = valley_runs
    display = OptimizerPathDisplay.from_minimize(results, problem, grid_resolution=30)
    for name, result in results.items():
        xdata, ydata = display.lines_[name].get_data()
        np.testing.assert_array_equal(np.column_stack([xdata, ydata]), result.path)
    np.testing.assert_array_equal(display.optimum, problem.minimizer)
    first, second, values = display.grid
    np.testing.assert_allclose(values[3, 5], problem.fun(np.array([first[5], second[3]])))
    assert display.ax_.get_aspect() == 1.0
    # the window holds every path and the minimizer
    points = np.vstack([*[r.path for r in results.values()], problem.minimizer])
    assert first[0] <= points[:, 0].min() and points[:, 0].max() <= first[-1]
    assert second[0] <= points[:, 1].min() and points[:, 1].max() <= second[-1]


def test_from_minimize_refuses_paths_of_other_dimensions():
    problem = rosenbrock(n_features=3)
    result = minimize(problem.fun, np.zeros(3), jac=problem.jac, max_iter=3)
    with pytest.raises(ValueError, match=r"results\['adam'\] must be a path of two variables"):
        OptimizerPathDisplay.from_minimize({"adam": result}, problem)
    with pytest.raises(ValueError, match="window must be"):
        OptimizerPathDisplay.from_minimize({"a": np.zeros((2, 2))}, rosenbrock(),
                                           window=(1, 0, 0, 1))  # fmt: skip


def test_animation_grows_the_paths_and_ends_on_the_whole_paths(valley_runs, tmp_path):
    problem, results = valley_runs
    display = OptimizerPathDisplay.from_minimize(results, problem, grid_resolution=20)
    animation = display.animate(frames=7, interval=20)
    np.testing.assert_array_equal(display.frame_steps_, [0, 5, 10, 15, 20, 25, 30])
    display.draw_until(10)
    assert len(display.lines_["batch"].get_xdata()) == 11
    assert len(display.lines_["adam"].get_xdata()) == 11
    display.draw_until(15)  # adam's 12 steps are all drawn
    np.testing.assert_array_equal(display.lines_["adam"].get_xdata(), results["adam"].path[:, 0])
    path = tmp_path / "paths.gif"
    animation.save(path, writer="pillow")  # draws every frame, the last one last
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.n_frames == len(display.frame_steps_)
    for name, result in results.items():
        xdata, ydata = display.lines_[name].get_data()
        np.testing.assert_array_equal(np.column_stack([xdata, ydata]), result.path)
    assert display.step_text_.get_text() == "step 30"
    assert "<script" in display.animate(frames=3).to_jshtml()
    with pytest.raises(ValueError, match="frames must be an integer of at least 2"):
        display.animate(frames=1)


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_animation_of_an_estimator_path_counts_steps_with_the_record_stride(two_features):
    X, y = two_features
    fit = GDLinearRegressor(optimizer="batch", max_iter=6, tol=None, record_path=True).fit(X, y)
    display = OptimizerPathDisplay.from_estimator(fit, X, y, grid_resolution=10)
    display.strides = {"batch": 2}  # as if every other step were kept
    display.animate(frames=4)
    np.testing.assert_array_equal(display.frame_steps_, [0, 4, 8, 12])
    display.draw_until(4)
    np.testing.assert_array_equal(display.lines_["batch"].get_xdata(), fit.coef_path_[:3, 0])


def test_learning_rate_sweep_draws_the_gaps_of_independent_fits(two_features):
    X, y = two_features
    rates = [1e-3, 1e-2, 1e-1, 1e3]
    base = GDLinearRegressor(max_iter=5, tol=None, random_state=0)
    display = LearningRateSweepDisplay.from_estimator(base, X, y, learning_rates=rates,
                                                      optimizers=["batch", "adam"])  # fmt: skip
    for optimizer in ("batch", "adam"):
        expected = []
        for rate in rates:
            model = GDLinearRegressor(optimizer=optimizer, learning_rate=rate, max_iter=5,
                                      tol=None, random_state=0)  # fmt: skip
            try:
                model.fit(X, y)
            except ValueError:  # diverged: no point on the line
                expected.append(np.nan)
                continue
            optimum = optimal_objective(model, X, y)
            expected.append(max((objective(model, X, y) - optimum) / optimum, 2.0**-52))
        xdata, ydata = display.lines_[optimizer].get_data()
        np.testing.assert_array_equal(xdata, rates)
        np.testing.assert_allclose(ydata, expected, rtol=1e-12)
    assert np.isinf(display.gaps["batch"][-1]) and display.fits_["batch"][-1] is None
    assert display.ax_.get_xscale() == "log" and display.ax_.get_yscale() == "log"
    with pytest.raises(ValueError, match="learning_rates must be a non-empty list"):
        LearningRateSweepDisplay.from_estimator(base, X, y, learning_rates=[0.1, -1.0])


def test_learning_rate_sweep_on_a_function():
    problem = quadratic(condition_number=10.0)
    rates = [0.01, 0.1, 0.3]
    display = LearningRateSweepDisplay.from_function(problem, [0.0, 0.0], learning_rates=rates,
                                                     optimizers=["batch"], max_iter=20)  # fmt: skip
    expected = [
        minimize(problem.fun, [0.0, 0.0], jac=problem.jac, optimizer="batch",
                 learning_rate=rate, max_iter=20, tol=None).fun - problem.minimum
        for rate in rates
    ]  # fmt: skip
    np.testing.assert_allclose(display.lines_["batch"].get_ydata()[:2], expected[:2], rtol=1e-12)
    # 0.3 > 2 / L = 0.2: after 20 steps still finite, but above the start: diverged
    assert expected[2] > problem.fun(np.zeros(2)) - problem.minimum
    assert np.isinf(display.gaps["batch"][2])
    # the steps grow until they overflow, and leave the line
    blown = LearningRateSweepDisplay.from_function(problem, [0.0, 0.0], learning_rates=[0.3],
                                                   optimizers=["batch"], max_iter=5000)  # fmt: skip
    assert np.isinf(blown.gaps["batch"][0]) and np.isnan(blown.lines_["batch"].get_ydata()[0])


def test_eleven_loss_curves_get_eleven_colours():
    curves = {f"fit {k}": [3.0, 2.0, 1.0 + k] for k in range(11)}
    display = LossCurveDisplay(loss_curves=curves).plot()
    colours = {line.get_color() for line in display.lines_.values()}
    assert len(colours) == 11

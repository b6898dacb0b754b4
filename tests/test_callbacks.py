"""scikit-learn's callbacks: the fit a root task, each epoch a subtask."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor

callback = pytest.importorskip("sklearn.callback")


class StopAfter:
    """A callback that asks the fit to stop at the end of epoch ``n_epochs``."""

    def __init__(self, n_epochs):
        self.n_epochs = n_epochs

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        return context.task_name == "epoch" and context.task_id + 1 >= self.n_epochs


def test_scoring_monitor_scores_the_model_of_every_epoch(diabetes):
    X, y = diabetes
    monitor = callback.ScoringMonitor(scoring="r2")
    model = GDLinearRegressor(optimizer="batch", record_path=True).set_callbacks(monitor)
    model.fit(X, y)
    epochs = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert [row["task_id"] for row in epochs] == list(range(model.n_iter_))
    # a full batch steps once per epoch: the path's row k + 1 is the model after epoch k
    path = zip(model.coef_path_[1:], model.intercept_path_[1:], strict=True)
    expected = [r2_score(y, X @ coef + b) for coef, b in path]
    np.testing.assert_allclose([row["r2"] for row in epochs], expected, rtol=1e-10)
    assert epochs[-1]["r2"] == pytest.approx(model.score(X, y), rel=1e-12)


@pytest.mark.parametrize("Estimator", [GDLinearRegressor, GDClassifier])
def test_a_callback_stops_the_fit_cleanly(diabetes, Estimator):
    X, y = diabetes
    if Estimator is GDClassifier:
        y = y > np.median(y)
    with pytest.warns(ConvergenceWarning, match="stopped by a callback after 7 epochs.*above"):
        stopped = Estimator(optimizer="batch").set_callbacks(StopAfter(7)).fit(X, y)
    assert stopped.n_iter_ == len(stopped.loss_curve_) == 7
    assert stopped.optimality_gap_ > 0
    # the same seven steps as a fit told to run seven epochs
    seven = Estimator(optimizer="batch", max_iter=7, tol=None).fit(X, y)
    np.testing.assert_allclose(stopped.coef_, seven.coef_, rtol=1e-12)
    np.testing.assert_allclose(stopped.decision_function(X) if Estimator is GDClassifier
                               else stopped.predict(X), X @ np.ravel(seven.coef_)
                               + seven.intercept_, rtol=1e-10)  # fmt: skip


def test_a_stopped_stochastic_fit_returns_its_model(diabetes):
    X, y = diabetes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GDLinearRegressor(optimizer="adam", random_state=0).set_callbacks(StopAfter(3))
        model.fit(X, y)
    assert model.n_iter_ == 3
    np.testing.assert_allclose(model.predict(X), X @ model.coef_ + model.intercept_)
    model.set_callbacks().fit(X, y)  # without the callback it runs to its own end
    assert model.n_iter_ > 3


def test_progress_bar_is_drawn_through_a_grid_search(diabetes, capsys):
    pytest.importorskip("rich")
    X, y = diabetes
    search = GridSearchCV(
        make_pipeline(StandardScaler(), GDLinearRegressor()),
        {"gdlinearregressor__beta": [0.5, 0.9]},
        cv=2,
    )
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    search.fit(X, y)
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out
    assert out.count("GDLinearRegressor - fit") == 2 * 2 + 1  # each split, then the refit
    assert "100%" in out


def test_callbacks_of_an_estimator_in_a_search_see_each_fit(diabetes):
    X, y = diabetes
    monitor = callback.ScoringMonitor(scoring="r2")
    search = GridSearchCV(GDLinearRegressor().set_callbacks(monitor), {"beta": [0.5, 0.9]}, cv=2)
    search.fit(X, y)
    (log,) = monitor.get_logs(select="all")  # the fits are tasks of the search's tree
    epochs = [row for row in log.data if row["task_name"] == "epoch"]
    assert {row["estimator_name"] for row in epochs} == {"GDLinearRegressor"}
    fits = {row["parent_task_id_path"] for row in epochs}
    assert len(fits) == 2 * 2 + 1  # each split, then the refit
    assert all(np.isfinite(row["r2"]) for row in epochs)


def test_without_callbacks_a_fit_makes_no_callback_context(diabetes, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a callback context was made")

    monkeypatch.setattr(callback.CallbackContext, "_from_estimator", fail)
    GDLinearRegressor().fit(*diabetes)


def test_a_callback_that_fails_to_set_up_leaves_the_fitted_model(diabetes):
    X, y = diabetes
    model = GDLinearRegressor(random_state=0).fit(X, y)
    coef, n_iter = model.coef_.copy(), model.n_iter_
    model.set_callbacks(callback.ScoringMonitor(scoring="no_such_scorer"))
    with pytest.raises(ValueError):
        model.fit(X[:, :3], y)
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.n_iter_ == n_iter and model.n_features_in_ == X.shape[1]

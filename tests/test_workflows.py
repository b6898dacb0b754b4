"""skgd inside scikit-learn workflows: pipelines, grid search, cross-validation, pickling."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor
from skgd._optimizers import PRESETS


def test_grid_search_over_beta_and_learning_rate_in_a_pipeline():
    X, y = load_diabetes(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), GDLinearRegressor(optimizer="momentum"))
    grid = {
        "gdlinearregressor__beta": [0.5, 0.9],
        "gdlinearregressor__learning_rate": [1e-3, 1e-2],
    }
    search = GridSearchCV(pipeline, grid, cv=3, n_jobs=2).fit(X, y)
    assert set(search.cv_results_["params"][0]) == set(grid)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_score_ > 0.4  # LinearRegression's cross-validated R^2 is about 0.48


@pytest.mark.parametrize("optimizer", PRESETS)
def test_cross_val_score_every_optimizer(optimizer):
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), GDClassifier(optimizer=optimizer, random_state=0))
    scores = cross_val_score(pipeline, X, y, cv=5)
    assert scores.mean() > 0.9


@pytest.mark.parametrize("Estimator", [GDLinearRegressor, GDClassifier])
def test_pickle_round_trip_gives_identical_predictions(Estimator):
    X, y = load_iris(return_X_y=True)
    model = Estimator(optimizer="adam", random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


@pytest.mark.parametrize("optimizer", PRESETS)
def test_same_random_state_gives_bit_identical_loss_curve(optimizer):
    X, y = load_diabetes(return_X_y=True)
    first = GDLinearRegressor(optimizer=optimizer, random_state=3).fit(X, y)
    second = GDLinearRegressor(optimizer=optimizer, random_state=3).fit(X, y)
    assert first.loss_curve_ == second.loss_curve_
    np.testing.assert_array_equal(first.coef_, second.coef_)


def test_inputs_are_not_modified():
    X, y = load_diabetes(return_X_y=True)
    weights = np.linspace(0.5, 1.5, len(y))
    copies = X.copy(), y.copy(), weights.copy()
    GDLinearRegressor(optimizer="adam", random_state=0).fit(X, y, sample_weight=weights)
    for original, copy in zip((X, y, weights), copies, strict=False):
        np.testing.assert_array_equal(original, copy)


def test_string_labels_and_coefficient_shapes():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = GDClassifier(random_state=0).fit(X, names)
    assert model.coef_.shape == (3, 4) and model.intercept_.shape == (3,)
    assert set(model.predict(X)) <= set(names)
    binary = GDClassifier(random_state=0).fit(X[y < 2], names[y < 2])
    assert binary.coef_.shape == (1, 4) and binary.intercept_.shape == (1,)
    assert binary.decision_function(X).shape == (150,)
    assert list(binary.classes_) == ["setosa", "versicolor"]


def test_warm_start_continues_training():
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegressor(
        optimizer="adam", max_iter=3, tol=None, warm_start=True, random_state=0
    )
    model.fit(X, y)
    steps = model.t_
    model.fit(X, y)
    assert model.n_iter_ == 6 and len(model.loss_curve_) == 6
    assert model.t_ == 2 * steps


def test_predict_log_proba_is_log_of_predict_proba():
    X, y = load_iris(return_X_y=True)
    for labels in (y, y == 2):
        model = GDClassifier(random_state=0).fit(X, labels)
        np.testing.assert_allclose(
            np.exp(model.predict_log_proba(X)), model.predict_proba(X), rtol=1e-9
        )


def test_dataframe_feature_names_are_kept():
    pd = pytest.importorskip("pandas")
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = GDLinearRegressor(random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.feature_names_in_, X.columns)
    np.testing.assert_allclose(model.predict(X), model.predict(X.to_numpy()))
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(X.rename(columns={"bmi": "BMI"}))
    assert isinstance(pd.Series(model.predict(X)), pd.Series)


def test_html_repr_for_notebooks():
    html = GDClassifier(optimizer="momentum", beta=0.8)._repr_html_()
    assert "GDClassifier" in html and "momentum" in html and "0.8" in html

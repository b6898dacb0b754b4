"""ONNX export: onnxruntime gives skgd's predictions (skipped without the onnx extra)."""

import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skgd
from skgd import GDClassifier, GDLinearRegressor, to_onnx

skl2onnx = pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")

DTYPES = [np.float32, np.float64]
# a few epochs: the graph must reproduce the model, whether or not it converged
FEW_EPOCHS = {"max_iter": 5, "tol": None, "random_state": 0}


def run_onnx(onnx_model, X):
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X})


def assert_close(onnx_output, expected):
    np.testing.assert_allclose(onnx_output, expected, rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_targets", [1, 3])
def test_regressor(diabetes, dtype, n_targets):
    X, y = diabetes
    X = X.astype(dtype)
    Y = y if n_targets == 1 else np.column_stack([y, -y / 10, np.sqrt(y)])
    model = GDLinearRegressor(**FEW_EPOCHS).fit(X, Y)
    (predictions,) = run_onnx(to_onnx(model, X[:1]), X)
    assert predictions.dtype == dtype
    assert predictions.shape == (len(X), n_targets)
    assert_close(predictions, model.predict(X).reshape(len(X), n_targets))


LABELS = {
    "binary": lambda y: y == 2,
    "multiclass": lambda y: y,
    "strings": lambda y: np.array(["setosa", "versicolor", "virginica"])[y],
    "binary strings": lambda y: np.where(y == 1, "versicolor", "other"),
    "integral floats": lambda y: y * 2.0 - 1.0,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("labels", LABELS)
def test_classifier(iris, dtype, labels):
    X, y = iris
    X, y = X.astype(dtype), LABELS[labels](y)
    model = GDClassifier(**FEW_EPOCHS).fit(X, y)
    predicted, probabilities = run_onnx(to_onnx(model, X[:1], options={"zipmap": False}), X)
    assert probabilities.dtype == dtype
    np.testing.assert_array_equal(predicted, model.predict(X))
    assert_close(probabilities, model.predict_proba(X))


def test_binary_labels_follow_the_sign_of_the_score(iris):
    X, y = iris
    model = GDClassifier(**FEW_EPOCHS).fit(X, y == 2)
    # samples on both sides of the boundary and exactly on it
    model.coef_[:] = [[0.0, 0.0, 1.0, 0.0]]
    model.intercept_[:] = [-4.5]
    X_test = np.array([[5.0, 3.0, 4.0, 1.0], [5.0, 3.0, 4.5, 1.0], [5.0, 3.0, 5.0, 1.0]])
    predicted, probabilities = run_onnx(to_onnx(model, X_test, options={"zipmap": False}), X_test)
    np.testing.assert_array_equal(predicted, model.predict(X_test))
    np.testing.assert_array_equal(predicted, [False, False, True])
    assert_close(probabilities, model.predict_proba(X_test))


def test_pipeline_with_zipmap(iris):
    X, y = iris
    X = X.astype(np.float32)
    pipeline = make_pipeline(StandardScaler(), GDClassifier(**FEW_EPOCHS)).fit(X, y)
    predicted, probabilities = run_onnx(to_onnx(pipeline, X[:1]), X)
    np.testing.assert_array_equal(predicted, pipeline.predict(X))
    # ZipMap: one {class: probability} dictionary per sample
    assert_close([[row[c] for c in pipeline.classes_] for row in probabilities],
                 pipeline.predict_proba(X))  # fmt: skip


def test_registered_converters_serve_skl2onnx_itself(diabetes):
    X, y = diabetes
    X = X.astype(np.float32)
    model = GDLinearRegressor(**FEW_EPOCHS).fit(X, y)
    skgd.register_onnx_converters()
    skgd.register_onnx_converters()  # a second call changes nothing
    (predictions,) = run_onnx(skl2onnx.to_onnx(model, X[:1]), X)
    assert_close(predictions.ravel(), model.predict(X))


@pytest.mark.parametrize(
    "model", [GDClassifier(), make_pipeline(StandardScaler(), GDLinearRegressor())]
)
def test_unfitted_model_is_refused(model):
    with pytest.raises(NotFittedError, match="model must be fitted.*this (GDClassifier|Pipeline)"):
        to_onnx(model, np.zeros((1, 2), dtype=np.float32))


def test_missing_skl2onnx_names_the_extra(monkeypatch):
    from skgd import _onnx

    monkeypatch.setattr(_onnx, "_registered", False)
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import skl2onnx now fails
    with pytest.raises(ImportError, match=r'pip install "skgd\[onnx\]"'):
        skgd.register_onnx_converters()


def test_float64_classifier_loads_and_predicts_with_default_options():
    X, y = load_iris(return_X_y=True)  # float64, as scikit-learn's loaders give
    model = GDClassifier(max_iter=5, tol=None, random_state=0).fit(X, y)
    session = onnxruntime.InferenceSession(skgd.to_onnx(model, X[:1]).SerializeToString())
    labels, probabilities = session.run(None, {"X": X})
    np.testing.assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(probabilities, model.predict_proba(X), atol=1e-5)


def test_samples_of_another_width_or_a_list_are_checked():
    X, y = load_iris(return_X_y=True)
    model = GDClassifier(max_iter=5, tol=None, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="n_features_in_=4"):
        skgd.to_onnx(model, X[:1, :2])
    assert skgd.to_onnx(model, X[:1].tolist()) is not None

"""ONNX export: converters for skl2onnx, so skgd's models run in onnxruntime.

skl2onnx's own linear shape calculators and its parser (which adds ``ZipMap``
and handles ``zipmap`` and ``nocl``) fit skgd's estimators unchanged. Its
linear converters do not, so the two graphs are written here:

- its classifier converter gives a binary model that is not a
  ``LogisticRegression`` the softmax of ``[-s, s]``, that is ``sigmoid(2 s)``,
  where ``predict_proba`` is ``sigmoid(s)``;
- its regressor converter calls ``intercept_.reshape`` for float64 input, and a
  one-target ``GDLinearRegressor`` has a Python float intercept where
  ``sklearn.linear_model.LinearRegression`` has a NumPy scalar.

Both graphs compute ``X @ coef_.T + intercept_`` in the dtype of their output
(float32 or float64, as the input), as ``predict`` does.
"""

import importlib

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_array, check_is_fitted

_INSTALL_HINT = (
    'ONNX export needs skl2onnx and onnxruntime: pip install "skgd[onnx]" '
    "(or pip install skl2onnx onnxruntime)."
)
_registered = False


def _import_skl2onnx():
    try:
        return importlib.import_module("skl2onnx")
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error


def register_onnx_converters():
    """Register skgd's estimators with skl2onnx, so that it can convert them.

    After this call, ``skl2onnx.to_onnx`` and ``skl2onnx.convert_sklearn``
    convert a fitted :class:`~skgd.GDLinearRegressor` or
    :class:`~skgd.GDClassifier`, alone or as a step of a
    :class:`~sklearn.pipeline.Pipeline`. Calling it again does nothing.
    :func:`skgd.to_onnx` calls it for you.

    The regressor's graph outputs ``variable``, of shape (n_samples, 1) or
    (n_samples, n_targets). The classifier's outputs ``label`` (int64 or
    string, as ``classes_``) and ``probabilities``: a list of dictionaries
    (skl2onnx's ``ZipMap``) unless converted with
    ``options={"zipmap": False}``, which gives an array of shape
    (n_samples, n_classes), as ``predict_proba``.

    Raises
    ------
    ImportError
        If skl2onnx is not installed (``pip install "skgd[onnx]"``).

    See Also
    --------
    to_onnx : Register and convert in one call.

    Examples
    --------
    >>> import skl2onnx
    >>> from sklearn.datasets import load_diabetes
    >>> from skgd import GDLinearRegressor, register_onnx_converters
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = GDLinearRegressor().fit(X, y)
    >>> register_onnx_converters()
    >>> onnx_model = skl2onnx.to_onnx(model, X[:1])
    >>> [output.name for output in onnx_model.graph.output]
    ['variable']
    """
    global _registered
    if _registered:
        return
    skl2onnx = _import_skl2onnx()
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    from ._classifier import GDClassifier
    from ._regressor import GDLinearRegressor

    skl2onnx.update_registered_converter(
        GDLinearRegressor,
        "SkgdGDLinearRegressor",
        calculate_linear_regressor_output_shapes,
        _convert_regressor,
    )
    skl2onnx.update_registered_converter(
        GDClassifier,
        "SkgdGDClassifier",
        calculate_linear_classifier_output_shapes,
        _convert_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )
    _registered = True


def to_onnx(model, X=None, **kwargs):
    """Convert a fitted skgd model, or a pipeline ending in one, to ONNX.

    Registers skgd's converters (:func:`register_onnx_converters`) and calls
    ``skl2onnx.to_onnx(model, X, **kwargs)``. Given samples ``X``, the graph's
    input is named ``X`` and has their dtype (float32 or float64), in which
    the graph computes.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~skgd.GDLinearRegressor` or
        :class:`~skgd.GDClassifier`, or a fitted
        :class:`~sklearn.pipeline.Pipeline` of steps skl2onnx converts.
    X : array-like of shape (n_samples, n_features), default=None
        A few samples, from which skl2onnx infers the input's type and
        number of features; ``None`` if ``initial_types`` is given.
    **kwargs
        Passed to ``skl2onnx.to_onnx``: for example
        ``options={"zipmap": False}`` for a classifier's probabilities as an
        array, or ``target_opset``. A classifier given float64 samples and no
        ``options`` gets ``{"zipmap": False}``: onnxruntime's ZipMap, skl2onnx's
        default for probabilities, takes float32 only.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The model; ``onnx_model.SerializeToString()`` gives the bytes that
        ``onnxruntime.InferenceSession`` loads.

    Raises
    ------
    ImportError
        If skl2onnx is not installed (``pip install "skgd[onnx]"``).
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.

    See Also
    --------
    register_onnx_converters : Let skl2onnx's own functions convert skgd models.

    Examples
    --------
    >>> import onnxruntime
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgd import GDClassifier, to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype("float32")
    >>> model = make_pipeline(StandardScaler(), GDClassifier()).fit(X, y)
    >>> onnx_model = to_onnx(model, X[:1], options={"zipmap": False})
    >>> session = onnxruntime.InferenceSession(onnx_model.SerializeToString())
    >>> labels, probabilities = session.run(None, {"X": X})
    >>> bool((labels == model.predict(X)).all())
    True
    >>> bool(abs(probabilities - model.predict_proba(X)).max() < 1e-5)
    True
    """
    check_is_fitted(
        model, msg="model must be fitted before conversion to ONNX; this %(name)s is not."
    )
    if X is not None:
        X = check_array(X, accept_sparse=False, dtype=[np.float32, np.float64])
        n_features = getattr(model, "n_features_in_", X.shape[1])
        if X.shape[1] != n_features:
            raise ValueError(f"X has {X.shape[1]} features, but the model was fitted with "
                             f"n_features_in_={n_features}.")  # fmt: skip
        if X.dtype == np.float64 and is_classifier(model) and "options" not in kwargs:
            # onnxruntime's ZipMap takes float32 probabilities only: the graph
            # would not load
            kwargs["options"] = {"zipmap": False}
    register_onnx_converters()
    return _import_skl2onnx().to_onnx(model, X, **kwargs)


def _add_node(scope, container, op_type, inputs, output, **attributes):
    name = scope.get_unique_operator_name(op_type)
    container.add_node(op_type, inputs, output, name=name, **attributes)


def _scores(scope, operator, container, output):
    """Add ``output = X @ coef_.T + intercept_`` to the graph, in the dtype of the last output."""
    from skl2onnx.common.data_types import guess_numpy_type, guess_proto_type

    model = operator.raw_operator
    out_type = operator.outputs[-1].type
    dtype, proto_dtype = guess_numpy_type(out_type), guess_proto_type(out_type)
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=dtype))
    intercept = np.reshape(np.asarray(model.intercept_, dtype=dtype), -1)

    X = operator.inputs[0].full_name
    if guess_proto_type(operator.inputs[0].type) != proto_dtype:  # integer or boolean input
        cast = scope.get_unique_variable_name("cast_input")
        _add_node(scope, container, "Cast", X, cast, to=proto_dtype)
        X = cast
    coef_name, intercept_name, product = (
        scope.get_unique_variable_name(key) for key in ("coef", "intercept", "product")
    )
    container.add_initializer(coef_name, proto_dtype, coef.T.shape, coef.T.ravel().tolist())
    container.add_initializer(intercept_name, proto_dtype, intercept.shape, intercept.tolist())
    _add_node(scope, container, "MatMul", [X, coef_name], product)
    _add_node(scope, container, "Add", [product, intercept_name], output)
    return proto_dtype


def _convert_regressor(scope, operator, container):
    _scores(scope, operator, container, operator.outputs[0].full_name)


def _convert_classifier(scope, operator, container):
    from skl2onnx.common.utils_classifier import get_label_classes
    from skl2onnx.proto import onnx_proto

    classes = list(get_label_classes(scope, operator.raw_operator))
    # skl2onnx's parser has refused labels that are neither strings nor integral numbers
    if all(isinstance(c, str) for c in classes):
        class_proto, classes = onnx_proto.TensorProto.STRING, [c.encode() for c in classes]
    else:
        class_proto, classes = onnx_proto.TensorProto.INT64, [int(c) for c in classes]

    def name(key):
        return scope.get_unique_variable_name(key)

    def node(op_type, inputs, output, **attributes):
        _add_node(scope, container, op_type, inputs, output, **attributes)

    label, probabilities = (output.full_name for output in operator.outputs[:2])
    scores, index = name("scores"), name("class_index")
    proto_dtype = _scores(scope, operator, container, scores)
    if len(classes) == 2:
        # predict's rule: the second class where the score is positive, the first on ties
        one, zero, shape, positive, negative, is_positive, index_2d = (
            name(k)
            for k in ("one", "zero", "shape", "positive", "negative", "is_positive", "index_2d")
        )
        container.add_initializer(one, proto_dtype, [], [1.0])
        container.add_initializer(zero, proto_dtype, [], [0.0])
        container.add_initializer(shape, onnx_proto.TensorProto.INT64, [1], [-1])
        node("Sigmoid", scores, positive)
        node("Sub", [one, positive], negative)
        node("Concat", [negative, positive], probabilities, axis=1)
        node("Greater", [scores, zero], is_positive)
        node("Cast", is_positive, index_2d, to=onnx_proto.TensorProto.INT64)
        node("Reshape", [index_2d, shape], index)
    else:
        node("Softmax", scores, probabilities, axis=1)
        node("ArgMax", scores, index, axis=1, keepdims=0)
    class_labels = name("classes")
    container.add_initializer(class_labels, class_proto, [len(classes)], classes)
    node("Gather", [class_labels, index], label, axis=0)

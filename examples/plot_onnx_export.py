"""
Deploying with ONNX
===================

A fitted skgd model, alone or at the end of a ``Pipeline``, converts to an
ONNX graph with :func:`skgd.to_onnx` (``pip install "skgd[onnx]"``, which
brings skl2onnx and onnxruntime). The graph then runs in onnxruntime, or any
other ONNX runtime, without Python, scikit-learn or numba. Here a scaled
softmax classifier with string labels and a regressor with two targets are
exported, and onnxruntime's outputs are compared with the models' own.
"""

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime
from sklearn.datasets import load_diabetes, load_wine
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor, to_onnx

# %%
# A classifier in a pipeline
# --------------------------
# The graph computes in the dtype of the sample given to ``to_onnx``: float32
# here, as most deployments use. ``options={"zipmap": False}`` makes the
# probabilities one array, as ``predict_proba`` returns them, instead of one
# dictionary per sample.

wine = load_wine()
X = wine.data.astype(np.float32)
y = wine.target_names[wine.target]  # string labels
classifier = make_pipeline(StandardScaler(), GDClassifier(random_state=0)).fit(X, y)

onnx_classifier = to_onnx(classifier, X[:1], options={"zipmap": False})
print("nodes:", [node.op_type for node in onnx_classifier.graph.node])

session = onnxruntime.InferenceSession(
    onnx_classifier.SerializeToString(), providers=["CPUExecutionProvider"]
)
labels, probabilities = session.run(None, {"X": X})
expected_probabilities = classifier.predict_proba(X)
print("labels equal:", np.array_equal(labels, classifier.predict(X)))
print("largest probability difference:", np.abs(probabilities - expected_probabilities).max())

# %%
# A regressor with two targets
# ----------------------------
# The graph's output ``variable`` has one column per target. Saved to a file,
# the model takes a few hundred bytes: its coefficients and a handful of operators.

X, y = load_diabetes(return_X_y=True)
X = X.astype(np.float32)
Y = np.column_stack([y, np.log(y)])
regressor = make_pipeline(StandardScaler(), GDLinearRegressor(random_state=0)).fit(X, Y)

onnx_regressor = to_onnx(regressor, X[:1])
print("size of the file:", len(onnx_regressor.SerializeToString()), "bytes")
session = onnxruntime.InferenceSession(
    onnx_regressor.SerializeToString(), providers=["CPUExecutionProvider"]
)
(predictions,) = session.run(None, {"X": X})
expected_predictions = regressor.predict(X)
print("largest relative difference:", np.abs(predictions / expected_predictions - 1).max())

# %%
# The two runtimes side by side
# -----------------------------
# Every point lies on the diagonal: float32 rounding is all that separates
# onnxruntime's outputs from skgd's.

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
axes[0].scatter(expected_probabilities.ravel(), probabilities.ravel(), s=8)
axes[0].set(xlabel="skgd predict_proba", ylabel="onnxruntime", title="wine: probabilities")
axes[1].scatter(expected_predictions[:, 0], predictions[:, 0], s=8)
axes[1].set(xlabel="skgd predict", ylabel="onnxruntime", title="diabetes: first target")
for ax in axes:
    ax.axline((0, 0), slope=1, color="grey", linewidth=0.8)
fig.tight_layout()
plt.show()

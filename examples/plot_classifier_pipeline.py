"""
A classifier in a pipeline, cross-validated
===========================================

``GDClassifier`` is logistic regression for two classes and softmax regression
for more. In a ``Pipeline`` with a scaler it cross-validates like any
scikit-learn classifier; here every optimizer is compared with
``LogisticRegression`` on the breast-cancer and wine datasets.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier

OPTIMIZERS = ["batch", "sgd", "minibatch", "momentum", "rmsprop", "adam"]
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, load in zip(axes, [load_breast_cancer, load_wine], strict=True):
    X, y = load(return_X_y=True)
    models = {"LogisticRegression": LogisticRegression(max_iter=1000)}
    models.update({o: GDClassifier(optimizer=o, random_state=0) for o in OPTIMIZERS})
    means, spreads = [], []
    for name, model in models.items():
        scores = cross_val_score(make_pipeline(StandardScaler(), model), X, y, cv=5)
        means.append(scores.mean())
        spreads.append(scores.std())
        print(
            f"{load.__name__[5:]:>14} {name:>18}: accuracy {scores.mean():.3f} ± {scores.std():.3f}"
        )
    ax.barh(list(models), means, xerr=spreads, color=["grey"] + ["C0"] * len(OPTIMIZERS))
    ax.set_xlim(0.8, 1.0)
    ax.set_title(load.__name__[5:])
    ax.set_xlabel("5-fold accuracy")
axes[0].invert_yaxis()
fig.tight_layout()
plt.show()

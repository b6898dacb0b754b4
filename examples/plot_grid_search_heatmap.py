"""
Tuning beta and the step size with GridSearchCV
===============================================

``beta`` (momentum) and ``learning_rate`` are plain constructor parameters,
so ``GridSearchCV`` tunes them directly inside a ``Pipeline``. The heat map
shows the cross-validated R² of every pair: too small a step never gets there
within the epoch budget, too large a one diverges (skgd stops such a fit with an
error, which the search records as a failed score, drawn here in grey).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import GDLinearRegressor

X, y = load_diabetes(return_X_y=True)
pipeline = make_pipeline(
    StandardScaler(),
    GDLinearRegressor(optimizer="momentum", batch_size=len(y), max_iter=100, tol=None),
)
betas = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99]
learning_rates = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0]
search = GridSearchCV(
    pipeline,
    {"gdlinearregressor__beta": betas, "gdlinearregressor__learning_rate": learning_rates},
    cv=5,
    error_score=np.nan,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FitFailedWarning)  # diverging corners of the grid
    warnings.simplefilter("ignore", UserWarning)
    search.fit(X, y)
print("best:", search.best_params_, f"R² = {search.best_score_:.3f}")

# %%
scores = search.cv_results_["mean_test_score"].reshape(len(betas), len(learning_rates))
fig, ax = plt.subplots(figsize=(8, 4.5))
image = ax.imshow(np.ma.masked_invalid(np.clip(scores, 0, None)), cmap="viridis", vmin=0)
ax.set_facecolor("lightgrey")
ax.set_xticks(range(len(learning_rates)), [f"{lr:g}" for lr in learning_rates])
ax.set_yticks(range(len(betas)), [f"{b:g}" for b in betas])
ax.set_xlabel("learning_rate")
ax.set_ylabel("beta")
for (row, column), score in np.ndenumerate(scores):
    if np.isfinite(score):
        ax.text(
            column,
            row,
            f"{score:.2f}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if score < 0.3 else "black",
        )
fig.colorbar(image, label="cross-validated R² (clipped at 0)")
ax.set_title("Momentum, 100 full-batch epochs")
plt.show()

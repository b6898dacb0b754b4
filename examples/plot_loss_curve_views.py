"""
Loss curves in three x-axes, and a sweep of the step size
=========================================================

On the diabetes data (442 samples, 10 features, least squares), four views of
how fast the optimizers close the gap to the optimum :math:`J^*` of the
objective, computed exactly by :func:`skgd.optimal_objective`:

* ``kind="gap"`` draws :math:`J - J^*` on a logarithmic axis, where a linear
  rate of convergence is a straight line. Full-batch steps (``"batch"``)
  close the gap steadily; the rules that step on batches of 32 samples
  (``"momentum"``, ``"adam"``, ``"minibatch"``) or on one (``"sgd"``) fall
  faster in the first epochs and then wander at a floor set by their noise
  and their step size;
* ``x="steps"`` counts update steps rather than epochs. With
  ``record_steps=True`` the curve is each step's batch objective, the noise
  itself: one sample's objective (SGD) spans orders of magnitude from step to
  step, a batch of 32's much less, and a full batch is the objective. A
  batch's objective can be below :math:`J^*`, so this view
  draws the objective itself, with :math:`J^*` dashed;
* ``x="seconds"`` draws the gap against ``time_curve_``, the time of
  training: an epoch of 442 one-sample steps costs more than one of 14
  batches of 32, or one full-batch step;
* :class:`~skgd.LearningRateSweepDisplay` fits every optimizer at a range of
  step sizes η, each for the same 30 epochs, and draws the relative gap
  :math:`(J - J^*) / J^*` it ends with: steps too short do not get there in
  30 epochs, longer ones leave a noise floor (stochastic batches) or diverge
  (where a line stops).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from skgd import GDLinearRegressor, LearningRateSweepDisplay, LossCurveDisplay

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)

optimizers = ("batch", "momentum", "adam", "minibatch", "sgd")
# A first fit compiles each optimizer's loop; fitting once before keeps the
# compilation out of the seconds axis below.
for optimizer in optimizers:
    GDLinearRegressor(optimizer=optimizer, max_iter=1, tol=None).fit(X, y)

fits = {
    optimizer: GDLinearRegressor(
        optimizer=optimizer, max_iter=30, tol=None, record_steps=True, random_state=0
    ).fit(X, y)
    for optimizer in optimizers
}

# %%
# The gap, against epochs and seconds, and the steps' own objective
# -----------------------------------------------------------------
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
epochs = LossCurveDisplay.from_estimators(fits, X, y, kind="gap", x="epochs", ax=axes[0])
noisy = {name: fits[name] for name in ("sgd", "minibatch", "batch")}
steps = LossCurveDisplay.from_estimators(noisy, X, y, x="steps", ax=axes[1])
for name, line in steps.lines_.items():  # each optimizer in its colour of the other panels
    line.set_color(epochs.lines_[name].get_color())
steps.lines_["sgd"].set_alpha(0.4)  # the one-sample curve drawn under the others
steps.legend_ = axes[1].legend(loc="lower left")
axes[1].set_xscale("log")  # 30 full-batch steps, 420 of 32 samples, 13,260 of one
axes[1].set_ylim(bottom=1.0)  # below, single samples the model fits almost exactly
times = LossCurveDisplay.from_estimators(fits, X, y, kind="gap", x="seconds", ax=axes[2])
times.legend_.remove()  # the same lines as in the first panel
for ax, title in zip(axes, ("per epoch", "per step: each step's batch objective", "per second"),
                     strict=True):  # fmt: skip
    ax.set_title(title)

# %%
# The final gap against the step size
# -----------------------------------
sweep = LearningRateSweepDisplay.from_estimator(
    GDLinearRegressor(max_iter=30, tol=None, random_state=0),
    X,
    y,
    learning_rates=np.geomspace(1e-4, 10.0, 11),
    optimizers=["batch", "momentum", "adam", "sgd"],
    legend_loc="outside",
)
sweep.ax_.set_title("after 30 epochs")
plt.show()

"""
Choosing the batch size
=======================

Each step of ``"minibatch"`` averages the gradient over ``batch_size`` rows. A
small batch takes many cheap, noisy steps per epoch; a large one few, accurate
ones; ``batch_size >= n_samples`` is full-batch gradient descent. With
``learning_rate="auto"`` the step grows with the batch (it is ``1 / L_b``, the
smoothness constant for that batch size), so every size is stable. The plot
shows how far the training objective is above the optimum, per epoch and
against wall-clock time. With a constant step (``tol=None`` here runs exactly
15 epochs) small batches level off at a noise floor; with the default stopping
rule the adaptive schedule shrinks the step at each such plateau.
"""

import time

import matplotlib.pyplot as plt
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

from skgd import GDLinearRegressor, optimal_objective

X, y = make_regression(n_samples=20_000, n_features=50, noise=10.0, random_state=0)
X = StandardScaler().fit_transform(X)

optimum = None
fig, (by_epoch, by_time) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for batch_size in [1, 16, 256, 4096, len(y)]:
    model = GDLinearRegressor(
        optimizer="minibatch", batch_size=batch_size, max_iter=15, tol=None, random_state=0
    )
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    label = "full batch" if batch_size == len(y) else f"batch_size={batch_size}"
    print(
        f"{label:>16}: step {model.learning_rate_:.3g}, {seconds:.2f} s, "
        f"final objective {model.loss_curve_[-1]:.2f}"
    )
    if optimum is None:
        optimum = optimal_objective(model, X, y)  # closed form of the same objective
    excess = [loss - optimum for loss in model.loss_curve_]
    epochs = range(1, model.n_iter_ + 1)
    by_epoch.plot(epochs, excess, label=label)
    by_time.plot([seconds * k / model.n_iter_ for k in epochs], excess, label=label)

for ax in (by_epoch, by_time):
    ax.set_yscale("log")
by_epoch.set_xlabel("epoch")
by_time.set_xlabel("seconds (epochs spread evenly over the fit)")
by_epoch.set_ylabel("objective minus its optimum")
by_epoch.legend()
fig.tight_layout()
plt.show()

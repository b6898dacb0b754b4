"""
Every preset on one classification problem
==========================================

Each preset of ``optimizer`` (the table ``skgd._optimizers.PRESETS``, so a
preset added to skgd appears here too) fits the softmax regression of the
standardized iris data with default parameters: the automatic step, the
default schedule and the stopping rule, which stops once it certifies the fit
within ``tol=1e-4`` (relative) of the optimum, or warns when ``max_iter`` comes
first. The table gives each fit's epochs, its seconds of training and its
relative gap to the exact optimum of the same objective
(``skgd.optimal_objective``); the curves show how each got there.
"""

import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, LossCurveDisplay, objective, optimal_objective
from skgd._optimizers import PRESETS

X, y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)

fits, rows = {}, []
for optimizer in PRESETS:
    # One epoch first: it compiles the rule's loop, which the times leave out.
    GDClassifier(optimizer=optimizer, max_iter=1, tol=None).fit(X, y)
    model = GDClassifier(optimizer=optimizer, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    certified = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    fits[optimizer] = model
    rows.append((optimizer, model.n_iter_, seconds, objective(model, X, y), certified))

optimum = optimal_objective(model, X, y)  # every fit minimizes the same objective
print(f"{'optimizer':<18} {'epochs':>6} {'seconds':>8} {'relative gap':>13}  certified")
for optimizer, epochs, seconds, value, certified in rows:
    gap = (value - optimum) / optimum
    answer = "yes" if certified else "no"
    print(f"{optimizer:<18} {epochs:>6} {seconds:>8.3f} {gap:>13.1e}  {answer}")

# %%
# One panel per preset: the objective's excess over the optimum, epoch by
# epoch, on logarithmic axes. Plain full-batch steps (``"batch"``) descend
# steadily. The noisy presets' curves are those of their iterates, whose
# epoch objective hovers at the noise floor of the step (dipping below the
# optimum at times: an epoch's objective is a mean over its batches, each
# before its step) until the adaptive schedule divides the step; the stopping
# rule meanwhile averages their iterates, and a fit that ends on the average
# reports its gap, in the table. A fit that is not certified after
# ``max_iter=5000`` epochs says so in a ``ConvergenceWarning``, caught here for
# the last column: its gap is still small.
n_columns = 4
n_rows = -(-len(fits) // n_columns)
fig, axes = plt.subplots(n_rows, n_columns, figsize=(12, 2.6 * n_rows), sharex=True,
                         sharey=True, squeeze=False)  # fmt: skip
for ax, (optimizer, model) in zip(axes.flat, fits.items(), strict=False):  # spare axes left
    display = LossCurveDisplay(loss_curves={optimizer: model.loss_curve_}, optimum=optimum)
    display.plot(ax=ax, kind="gap")
    display.legend_.remove()
    ax.set_title(optimizer)
    ax.set_xscale("log")
    ax.label_outer()
for ax in axes.flat[len(fits) :]:
    ax.set_visible(False)
fig.suptitle("Gap to the optimum per epoch, standardized iris")
fig.tight_layout()
plt.show()

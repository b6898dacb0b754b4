"""
The update rules on classic test functions
==========================================

``skgd.minimize`` runs the estimators' update rules on any function whose
gradient is known, and keeps every iterate in ``path``. Here they descend two
functions of :mod:`skgd.functions` from the same start, over the function's
contours:

* a quadratic of condition number 50, turned so that its valley lies across
  the axes: plain gradient descent with a step close to its limit ``2 / L``
  zig-zags across the valley; momentum and Nesterov, with a longer step,
  reach the minimizer first; Adam moves every coordinate by about its step
  size and heads for the minimizer on a different line;
* Rosenbrock's curved valley: every rule finds the valley in a few steps and
  follows its floor towards the minimizer (1, 1) slowly, plain steps slowest.
"""

import matplotlib.pyplot as plt
import numpy as np

from skgd import minimize
from skgd.functions import quadratic, rosenbrock

# Per function: the start, the window, the number of steps and each rule's parameters.
runs = {
    "quadratic, condition number 50": (
        quadratic(50.0), [-2.5, 3.0], (-3.0, 5.0, -1.5, 4.0), 100,
        {"batch": dict(learning_rate=1.9 / 50),  # close to the limit 2 / L, L = 50
         "momentum": dict(learning_rate=0.1, beta=0.6),
         "nesterov": dict(learning_rate=0.05, beta=0.8),
         "adam": dict(learning_rate=0.1)},
    ),
    "Rosenbrock": (
        rosenbrock(), [-1.2, 1.0], (-2.0, 2.0, -1.0, 3.0), 2000,
        {"batch": dict(learning_rate=1.5e-3),  # the valley's walls curve by about 1000
         "momentum": dict(learning_rate=0.02, beta=0.95),
         "nesterov": dict(learning_rate=0.02, beta=0.95),
         "adam": dict(learning_rate=0.02)},
    ),
}  # fmt: skip
fig, axes = plt.subplots(1, 2, figsize=(12, 5))
for ax, (title, run) in zip(axes, runs.items(), strict=True):
    problem, start, (left, right, bottom, top), n_steps, rules = run
    for optimizer, params in rules.items():
        result = minimize(problem.fun, start, jac=problem.jac, optimizer=optimizer,
                          max_iter=n_steps, tol=None, **params)  # fmt: skip
        ax.plot(*result.path.T, ".-", markersize=2, label=f"{optimizer} ({result.fun:.2g})")
        print(f"{title}, {optimizer}: f = {result.fun:.3g} after {result.nit} steps")
    xs, ys = np.linspace(left, right, 200), np.linspace(bottom, top, 200)
    values = problem.fun(np.stack(np.meshgrid(xs, ys)))  # the whole grid in one call
    ax.contour(xs, ys, np.log1p(values), levels=25, colors="lightgray")
    ax.plot(*problem.minimizer, "k*", markersize=12)
    ax.set_title(f"{title}: {n_steps} steps")
    ax.legend(title="optimizer (final value)", loc="lower right")
plt.show()

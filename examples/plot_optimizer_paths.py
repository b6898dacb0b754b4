"""
Optimizer paths on a two-feature problem
========================================

Two strongly correlated features (diabetes' ``s1`` and ``s2``, correlation
0.9) make a long, narrow valley in the objective. With ``record_path=True`` an
estimator keeps its coefficients after every step, and ``OptimizerPathDisplay``
draws them over the contours of the objective:

* plain gradient descent with a step close to its stability limit (``1.9 / L``)
  zig-zags across the valley;
* momentum, from the same start, averages the zig-zag away and runs along
  the valley floor;
* Adam scales every coordinate separately and heads for the optimum on a
  different line.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from skgd import GDLinearRegressor, OptimizerPathDisplay

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X[:, [4, 5]])
y = y - y.mean()  # the intercept is then zero from the start: the picture is about the slopes

# The "auto" step of plain gradient descent is 1 / L; 1.9 / L shows the zig-zag.
safe_step = GDLinearRegressor(optimizer="batch", max_iter=1, tol=None).fit(X, y).learning_rate_
common = dict(batch_size=len(y), max_iter=40, tol=None, record_path=True)
fits = {
    "batch (1.9 / L)": GDLinearRegressor(
        optimizer="batch", learning_rate=1.9 * safe_step, **common
    ),
    "momentum (beta = 0.9)": GDLinearRegressor(
        optimizer="momentum", learning_rate=safe_step, **common
    ),
    "adam": GDLinearRegressor(optimizer="adam", learning_rate=2.0, **common),
}
for fit in fits.values():
    fit.set_params(**common).fit(X, y)

fig, ax = plt.subplots(figsize=(7, 6))
OptimizerPathDisplay.from_estimators(fits, X, y, coefficients=(0, 1), ax=ax)
ax.set_xlabel("coefficient of s1")
ax.set_ylabel("coefficient of s2")
plt.show()

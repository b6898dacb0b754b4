"""
Every optimizer against the closed form
=======================================

``compare_optimizers`` fits each of skgd's optimizers with default settings
and scikit-learn's closed-form solution on the same (standardized) data, and
returns the table the ``skgd`` command prints: final objective, gap to the
optimum, epochs and seconds. ``LossCurveDisplay`` then shows how each one got
there.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_diabetes

from skgd import LossCurveDisplay, compare_optimizers, format_comparison

X, y = load_diabetes(return_X_y=True)
rows = compare_optimizers(X, y)
print(format_comparison(rows))

# %%
# The objective of every fit falls to the optimum (dashed). Plain full
# batch gradient descent ("batch") needs the most epochs: the features of this
# dataset are correlated, and a safe step along the steepest direction is a
# slow one along the flattest. Momentum and Adam get there in far fewer.
fits = {row["model"]: row["estimator"] for row in rows[1:]}
display = LossCurveDisplay.from_estimators(fits)
display.ax_.axhline(rows[0]["optimum"], color="black", linestyle="--", label="optimum")
display.ax_.set_xscale("log")
display.ax_.legend()
plt.show()

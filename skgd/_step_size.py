"""The step size chosen by ``learning_rate="auto"``.

For the plain-gradient rules the step is ``1 / L``, where ``L`` bounds the
curvature of the objective that one step sees:

* full batch: ``L = c * lambda_max(A^T W A / sum(w)) + 2 * l2``, with ``A`` the
  design matrix (a column of ones appended when fitting an intercept), ``W`` the
  sample weights and ``c`` the loss's curvature bound (2/n_outputs for the
  squared error, 1/4 for the logistic loss, 1/2 for softmax). ``lambda_max`` is
  estimated by a few power iterations;
* one sample per step: ``L_max = c * max_i (w_i / mean(w)) * ||a_i||^2 + 2 * l2``,
  the largest per-sample constant, as in SAG;
* ``b`` samples per step (sampling without replacement, Gower et al., 2019):
  ``L_b = n (b - 1) / (b (n - 1)) * L + (n - b) / (b (n - 1)) * L_max``.

Momentum in the form ``v = beta v + (1 - beta) g`` moves, once ``v`` has built up,
by ``alpha * g`` per step along a steady gradient, yet its first step is only
``alpha (1 - beta) g``. It takes ``alpha = 1 / ((1 - beta) L_b)``, so its first
step equals plain gradient descent's; this is within the heavy-ball stability
limit ``alpha (1 - beta) L < 2 (1 + beta)``.

RMSprop and Adam move every coordinate by about ``alpha`` per step whatever the
gradient's scale, so their step is a length. They take the largest coordinate of
the first safe gradient step from zero, ``||grad J(0)||_inf / L``: the distance
plain gradient descent would move the parameter that moves most (for a
regressor on standardized data, about the intercept's distance to mean(y)).
RMSprop has no bias correction, so its first step is ``alpha / sqrt(1 - beta2)``
long; it takes ``sqrt(1 - beta2)`` times that length, making its first step as
long as Adam's. The adaptive schedule then shrinks either as the fit settles.
"""

import numpy as np

from ._losses import CURVATURE_BOUND, SQUARED_ERROR
from ._optimizers import ADAPTIVE_RULES, GRADIENT_DESCENT, MOMENTUM, RMSPROP

N_POWER_ITERATIONS = 10
# Rows used to estimate lambda_max: a random subset's Gram matrix has nearly the
# same top eigenvalue, and a step from a slight underestimate stays below the
# 2 / L stability limit.
MAX_ROWS_FOR_EIGENVALUE = 20_000


def curvature_bound(loss, n_outputs):
    """Upper bound of the per-sample loss's second derivative in the raw output."""
    if loss == SQUARED_ERROR:
        return CURVATURE_BOUND[SQUARED_ERROR] / n_outputs
    return CURVATURE_BOUND[loss]


def largest_gram_eigenvalue(X, sample_weight, fit_intercept):
    """Power-iteration estimate of lambda_max(A^T W A / sum(w)), A = [X, 1]."""
    if X.shape[0] > MAX_ROWS_FOR_EIGENVALUE:
        rows = np.random.RandomState(0).choice(X.shape[0], MAX_ROWS_FOR_EIGENVALUE, replace=False)
        rows.sort()
        X, sample_weight = X[rows], sample_weight[rows]
    weights = sample_weight / sample_weight.sum()
    n_features = X.shape[1]
    # A fixed start keeps the step independent of random_state; ones point at
    # the dominant direction of data with offset means.
    vector = np.ones(n_features + int(fit_intercept))
    vector /= np.linalg.norm(vector)
    eigenvalue = 0.0
    for _ in range(N_POWER_ITERATIONS):
        projected = X @ vector[:n_features]
        if fit_intercept:
            projected += vector[-1]
        weighted = weights * projected
        image = np.empty_like(vector)
        image[:n_features] = X.T @ weighted
        if fit_intercept:
            image[-1] = weighted.sum()
        eigenvalue = float(vector @ image)
        norm = np.linalg.norm(image)
        if norm == 0.0:
            return 0.0
        vector = image / norm
    return eigenvalue


def largest_row_curvature(X, sample_weight, fit_intercept):
    """max_i (w_i / mean(w)) * ||a_i||^2."""
    squared_norms = np.einsum("ij,ij->i", X, X, dtype=np.float64) + float(fit_intercept)
    return float(np.max(sample_weight / sample_weight.mean() * squared_norms))


def auto_learning_rate(
    rule, X, gradient_at_zero, sample_weight, batch, loss, n_outputs, l2, beta, beta2, fit_intercept
):
    """Step size for ``learning_rate="auto"`` (see the module docstring)."""
    n_samples = X.shape[0]
    c = curvature_bound(loss, n_outputs)
    full = c * largest_gram_eigenvalue(X, sample_weight, fit_intercept) + 2.0 * l2
    if batch >= n_samples or rule in ADAPTIVE_RULES:
        smoothness = full
    else:
        per_sample = c * largest_row_curvature(X, sample_weight, fit_intercept) + 2.0 * l2
        smoothness = (n_samples * (batch - 1) * full + (n_samples - batch) * per_sample) / (
            batch * (n_samples - 1)
        )
    if smoothness <= 0.0:
        return 1.0  # constant zero data: any step leaves the objective unchanged

    if rule == GRADIENT_DESCENT:
        return 1.0 / smoothness
    if rule == MOMENTUM:
        return 1.0 / ((1.0 - beta) * smoothness)
    step = float(np.max(np.abs(gradient_at_zero))) / smoothness
    if rule == RMSPROP:
        step *= np.sqrt(
            1.0 - beta2
        )  # no bias correction: its first step is alpha / sqrt(1 - beta2)
    return step if step > 0.0 else 1.0

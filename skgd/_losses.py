"""Per-sample losses and their derivatives with respect to the raw prediction.

Each loss is one compiled function ``<name>_row(raw, targets, i, dloss) -> loss``:
it returns the loss of sample ``i`` and writes ``d loss / d raw`` into ``dloss``.
The training loop, the objective reported in ``loss_curve_`` and the automatic
step size all use these functions, so every loss formula lives here only.

A loss is named by one of ``SQUARED_ERROR``, ``LOGISTIC`` and ``SOFTMAX``,
which also carry the loss's curvature bound. All three have the same numba
type and ``loss_row`` branches on ``kind`` per sample (a branch the processor
always predicts): a fresh install compiles each loop once for all three
losses, not once per loss.

``raw`` holds the sample's raw predictions (one per output), ``targets[i]`` its
encoded target row (read in place: a row view per sample would cost reference
counting in the loop): the regression targets, a single 0/1 column for binary
logistic regression, or a one-hot row for softmax.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy import special

from ._jit import njit

# ``curvature`` bounds the second derivative of the loss with respect to the raw
# prediction (per output). The objective's smoothness constant is this bound
# times the largest eigenvalue of the data's Gram matrix (see ``_step_size``).


class Loss(NamedTuple):
    """A loss: which formula (``kind``), and ``curvature``, a bound of the second
    derivative of the per-sample loss in the raw prediction (per output)."""

    kind: int
    curvature: float


SQUARED, BINARY_LOG, MULTINOMIAL_LOG = 0, 1, 2  # the kinds
SQUARED_ERROR = Loss(SQUARED, 2.0)  # d2/draw2 (raw - y)^2 = 2
LOGISTIC = Loss(BINARY_LOG, 0.25)  # sigmoid' <= 1/4
SOFTMAX = Loss(MULTINOMIAL_LOG, 0.5)  # diag(p) - p p^T <= 1/2 I (Boehning's bound)


@njit(cache=True)
def squared_error_row(raw, targets, i, dloss):
    """Mean over outputs of ``(raw_k - y_k)^2``; derivative ``2 (raw_k - y_k) / K``."""
    n_outputs = raw.shape[0]
    loss = 0.0
    for k in range(n_outputs):
        residual = raw[k] - targets[i, k]
        loss += residual * residual
        dloss[k] = 2.0 * residual / n_outputs
    return loss / n_outputs


@njit(cache=True)
def logistic_row(raw, targets, i, dloss):
    """Log-loss ``log(1 + e^z) - y z`` of one logit ``z``; derivative ``sigmoid(z) - y``."""
    z = raw[0]
    if z > 0:
        softplus = z + math.log1p(math.exp(-z))
        probability = 1.0 / (1.0 + math.exp(-z))
    else:
        exp_z = math.exp(z)
        softplus = math.log1p(exp_z)
        probability = exp_z / (1.0 + exp_z)
    dloss[0] = probability - targets[i, 0]
    return softplus - targets[i, 0] * z


@njit(cache=True)
def softmax_row(raw, targets, i, dloss):
    """Cross-entropy ``logsumexp(z) - sum_k y_k z_k``; derivative ``softmax(z) - y``."""
    n_classes = raw.shape[0]
    largest = raw[0]
    for k in range(1, n_classes):
        largest = max(largest, raw[k])
    total = 0.0
    for k in range(n_classes):
        dloss[k] = math.exp(raw[k] - largest)  # unnormalized probability, reused below
        total += dloss[k]
    loss = largest + math.log(total)
    for k in range(n_classes):
        dloss[k] = dloss[k] / total - targets[i, k]
        loss -= targets[i, k] * raw[k]
    return loss


@njit(cache=True, inline="always")
def loss_row(loss, raw, targets, i, dloss):
    """The per-sample loss of ``loss`` (``SQUARED_ERROR`` ...), and its derivative in ``dloss``."""
    if loss.kind == SQUARED:
        return squared_error_row(raw, targets, i, dloss)
    if loss.kind == BINARY_LOG:
        return logistic_row(raw, targets, i, dloss)
    return softmax_row(raw, targets, i, dloss)


def raw_output(X, coef, intercept):
    """The linear model's raw output ``X @ coef.T + intercept``: (n_samples, n_outputs).

    ``coef`` is (n_outputs, n_features); ``X`` may be sparse.
    """
    return np.asarray(X @ coef.T) + intercept


@njit(cache=True, fastmath={"reassoc", "contract"})  # a vectorized sum of squares
def l2_penalty(params, l2, n_features):
    """The penalty ``l2 * ||W||_F^2`` of the first ``n_features`` columns of ``params``.

    ``params`` is C-contiguous, (n_outputs, n_features) or with the intercepts
    as an extra, unpenalized column. The gradient ``2 * l2 * W`` is in the
    epoch loop.
    """
    total = 0.0
    for k in range(params.shape[0]):
        for j in range(n_features):
            total += params[k, j] * params[k, j]
    return l2 * total


def objective(loss, raw, targets, sample_weight, coef, l2):
    """The training objective: weighted mean loss of ``raw`` plus the L2 penalty of ``coef``."""
    coef = np.ascontiguousarray(np.atleast_2d(coef), dtype=np.float64)
    return mean_loss(loss, raw, targets, sample_weight) + l2_penalty(coef, l2, coef.shape[1])


def best_constant_output(loss, targets, sample_weight):
    """Raw output of the best constant model: the weighted mean target, or the class log-odds."""
    mean = np.average(np.asarray(targets, dtype=np.float64), axis=0, weights=sample_weight)
    return constant_of_mean_target(loss, mean)


def constant_of_mean_target(loss, mean):
    """``best_constant_output`` from the weighted mean of the encoded targets."""
    if loss == SQUARED_ERROR:
        return mean
    frequency = np.clip(mean, 1e-12, 1.0 - 1e-12)
    if loss == LOGISTIC:
        return np.log(frequency / (1.0 - frequency))
    return np.log(frequency)


def mean_loss(loss, raw, targets, sample_weight):
    """Weighted mean of the per-sample loss over all rows of ``raw``."""
    raw = np.ascontiguousarray(raw, dtype=np.float64)
    targets = np.ascontiguousarray(targets, dtype=np.float64)
    return _weighted_mean_loss(loss, raw, targets, sample_weight.astype(np.float64))


@njit(cache=True)
def _weighted_mean_loss(loss, raw, targets, sample_weight):
    dloss = np.empty(raw.shape[1])
    total = 0.0
    for i in range(raw.shape[0]):
        total += sample_weight[i] * loss_row(loss, raw[i], targets, i, dloss)
    return total / sample_weight.sum()


def output_curvature(loss, raw):
    """Second derivative of each sample's loss in its raw outputs: (n_samples, K, K).

    Squared error: ``2 / K`` on the diagonal; logistic: ``p (1 - p)``; softmax:
    ``diag(p) - p p^T`` (``p`` the predicted probabilities).
    """
    n_samples, n_outputs = raw.shape
    if loss == SQUARED_ERROR:
        curvature = np.zeros((n_samples, n_outputs, n_outputs))
        curvature[:, np.arange(n_outputs), np.arange(n_outputs)] = 2.0 / n_outputs
        return curvature
    if loss == LOGISTIC:
        probability = special.expit(raw)
        return (probability * (1.0 - probability))[:, :, None]
    probability = special.softmax(raw, axis=1)
    curvature = -probability[:, :, None] * probability[:, None, :]
    curvature[:, np.arange(n_outputs), np.arange(n_outputs)] += probability
    return curvature

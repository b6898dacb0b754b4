"""The compiled epoch: one pass over the training rows in a given order.

Rows are visited through an index array, so shuffling never copies ``X``. Each
batch's gradient is accumulated in the same pass that computes its raw
predictions, so ``X`` is read once per epoch whatever the batch size. ``X``,
coefficients and moments keep the input's dtype (float32 stays float32); the
gradient and the loss are accumulated in float64, so a float32 full batch of
many rows sums without drifting.
"""

import numpy as np
from numba import njit

from ._losses import l2_penalty, loss_row
from ._optimizers import apply_rule
from ._prefetch import ROWS_AHEAD, prefetch_row
from ._rows import prefetch_sample, row_axpy, row_dot
from ._schedules import step_size

# Reassociation lets LLVM vectorize the dot products and gradient sums; the
# flags that assume finite numbers are left out, so divergence still shows.
FAST_MATH = {"reassoc", "contract", "arcp", "nsz"}


# nogil: the next epoch's shuffle is drawn on another thread meanwhile (_orders).
@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def run_epoch(
    X,
    targets,
    sample_weight,
    order,
    batch_size,
    theta,
    first_moment,
    second_moment,
    t,
    rule,
    alpha,
    power_t,
    beta,
    beta2,
    epsilon,
    loss,
    l2,
    fit_intercept,
    path,
):
    """Run one epoch in place on ``theta`` and the rule's moments.

    ``order`` is a permutation of the row indices: the epoch visits every row
    once, in that order.

    ``theta`` has shape (n_outputs, n_features + 1): coefficients, then the
    intercept. The gradient of a batch B is the unbiased estimate of the
    objective's gradient::

        g = sum_{i in B} w_i * dloss_i * [x_i, 1] / (|B| * mean(w)) + 2 * l2 * [W, 0]

    which for a full batch is exactly the gradient of the weighted objective.

    When ``path`` has rows (one per step of the epoch), row ``s`` receives the
    flattened ``theta`` after the epoch's step ``s``; pass an empty array to
    record nothing.

    Returns ``(epoch_loss, t)``: the objective averaged over the epoch's batches,
    each term evaluated at the parameters just before that batch's step, and
    the number of steps taken so far.
    """
    n_rows = order.shape[0]
    n_outputs, n_params = theta.shape  # X: a 2-D array or a CSR (data, indices, indptr)
    n_features = n_params - 1
    mean_weight = 0.0
    for i in range(n_rows):  # in storage order: ``order`` visits every row once
        mean_weight += sample_weight[i]
    mean_weight /= n_rows

    grad = np.zeros((n_outputs, n_params))
    raw = np.empty(n_outputs)
    dloss = np.empty(n_outputs)
    flat_theta = theta.reshape(-1)
    flat_grad = grad.reshape(-1)
    flat_first = first_moment.reshape(-1)
    flat_second = second_moment.reshape(-1)

    record_path = path.shape[0] > 0
    steps_this_epoch = 0
    epoch_loss = 0.0
    for start in range(0, n_rows, batch_size):
        stop = min(start + batch_size, n_rows)
        grad[:] = 0.0
        batch_loss = 0.0
        batch_weight = 0.0
        for p in range(start, stop):
            if p + ROWS_AHEAD < n_rows:
                ahead = order[p + ROWS_AHEAD]
                prefetch_sample(X, ahead)
                prefetch_row(targets, ahead)
                prefetch_row(sample_weight, ahead)
            i = order[p]
            weight = sample_weight[i]
            if weight == 0.0:
                continue
            for k in range(n_outputs):
                raw[k] = theta[k, n_features] + row_dot(X, i, theta, k)
            batch_loss += weight * loss_row(loss, raw, targets, i, dloss)
            batch_weight += weight
            for k in range(n_outputs):
                c = weight * dloss[k]
                row_axpy(X, i, c, grad, k)
                grad[k, n_features] += c
        if batch_weight == 0.0:
            continue  # only zero-weight rows: as if they were not there

        scale = 1.0 / ((stop - start) * mean_weight)
        penalty = l2_penalty(theta, l2, n_features)
        for k in range(n_outputs):
            for j in range(n_features):
                grad[k, j] = grad[k, j] * scale + 2.0 * l2 * theta[k, j]
            grad[k, n_features] = grad[k, n_features] * scale if fit_intercept else 0.0
        epoch_loss += batch_loss + (stop - start) * mean_weight * penalty

        t += 1
        apply_rule(
            rule,
            flat_theta,
            flat_grad,
            flat_first,
            flat_second,
            t,
            step_size(alpha, t, power_t),
            beta,
            beta2,
            epsilon,
        )
        if record_path:
            path[steps_this_epoch] = flat_theta
            steps_this_epoch += 1
    return epoch_loss / (n_rows * mean_weight), t

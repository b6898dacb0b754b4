"""The sparse epoch: plain and momentum steps that cost the batch's non-zeros.

``run_epoch`` steps every coordinate at every step; on CSR input with many
columns most of that work is the penalty's shrink of coordinates no row of the
batch touches. ``run_sparse_epoch`` takes the same steps just in time: a
coordinate is brought up to date only when a row of a batch reads it, by the
closed form of the idle steps it took meanwhile (``_idle_steps``), and then
stepped by the rule with its batch gradient. Every coordinate catches up once
before the epoch's last batch (whose size, and so its weight in the epoch's
objective, may differ) and once at the end. The result is ``run_epoch``'s to
rounding: the same rule, the same steps, the same ``loss_curve_`` and running
average; a step costs the batch's non-zeros times ``n_outputs``, and the epoch
``O(n_features)`` more.

It applies (``runs_sparse``) to CSR input in scale-only coordinates (sparse
input is never centred), plain and momentum rules with a step that is constant
within the epoch (``power_t = 0``: the "constant" and "adaptive" schedules),
no recorded path and no full batch. RMSprop's and Adam's moments decay at every
step, so their exact steps move every coordinate; they stay with ``run_epoch``.
"""

import numpy as np
from numba import njit

from ._epoch import FAST_MATH, mean_weight_of
from ._idle_steps import momentum_eigenvalues, momentum_idle, plain_idle
from ._losses import loss_row
from ._optimizers import (
    GRADIENT_DESCENT,
    MOMENTUM,
    gradient_descent_coordinate,
    momentum_coordinate,
)
from ._precondition import model_from_solver, solver_coordinate_gradient


def runs_sparse(X_is_sparse, rule, power_t, shift, recording_path, full_batch):
    """Whether ``run_sparse_epoch`` takes this epoch's steps (see the module docstring)."""
    return (X_is_sparse and rule in (GRADIENT_DESCENT, MOMENTUM) and power_t == 0.0
            and not np.any(shift) and not recording_path and not full_batch)  # fmt: skip


@njit(cache=True, nogil=True, inline="always")
def _catch_up(j, steps, theta, velocity, last, q, lambda_1, lambda_2, one_minus_lambda_1,
              alpha, beta, momentum, sums, averaging):  # fmt: skip
    """Apply column ``j``'s idle steps up to ``steps``; return ``sum theta_m^2`` over them."""
    n = steps - last[j]
    if n == 0:
        return 0.0
    last[j] = steps
    squares = 0.0
    for k in range(theta.shape[0]):
        if momentum:
            theta_n, v_n, square, total = momentum_idle(
                theta[k, j], velocity[k, j], q[j], alpha, beta, lambda_1[j], lambda_2[j],
                one_minus_lambda_1[j], n,
            )  # fmt: skip
            velocity[k, j] = v_n
        else:
            theta_n, square, total = plain_idle(theta[k, j], 1.0 - alpha * q[j], alpha * q[j], n)
        theta[k, j] = theta_n
        squares += square
        if averaging:
            sums[k, j] += total
    return squares


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def run_sparse_epoch(
    X,
    targets,
    sample_weight,
    order,
    batch_size,
    theta,
    model,
    shift,
    inverse_scale,
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
    last_gradient,
    average,
    n_averaged,
):
    """``run_epoch`` on a CSR ``X`` (``(data, indices, indptr)``), just in time.

    Same arguments and result as ``run_epoch``; ``shift`` is zero, ``power_t``
    0, ``path`` and ``last_gradient`` empty (``runs_sparse``), and
    ``second_moment``, ``beta2``, ``epsilon`` unused.
    """
    data, indices, indptr = X
    n_rows = order.shape[0]
    n_outputs, n_params = theta.shape
    n_features = n_params - 1
    mean_weight = mean_weight_of(sample_weight)
    momentum = rule == MOMENTUM
    averaging = n_averaged > 0

    # In the solver's coordinates the penalty's gradient is q_j * theta_kj.
    q = 2.0 * l2 * inverse_scale.astype(np.float64) ** 2
    if momentum:
        lambda_1, lambda_2, one_minus_lambda_1 = momentum_eigenvalues(q, alpha, beta)
    else:
        lambda_1 = lambda_2 = one_minus_lambda_1 = np.zeros(0, dtype=np.complex128)
    sums = np.zeros((n_outputs, n_params) if averaging else (0, 0))
    if averaging:
        sums[:] = average
        sums *= n_averaged
    last = np.zeros(n_features, dtype=np.int64)  # steps applied to each column
    batch_of = np.full(n_features, -1, dtype=np.int64)  # the batch that last read it
    touched = np.empty(n_features, dtype=np.int64)
    grad = np.zeros((n_outputs, n_params))
    raw = np.empty(n_outputs)
    dloss = np.empty(n_outputs)

    # sum over the steps of full-size batches of sum_kj theta_kj^2 / sigma_j^2
    # (= ||W||^2) before the step
    squares_before = 0.0
    steps = 0
    epoch_loss = 0.0
    batch_index = 0
    for start in range(0, n_rows, batch_size):
        stop = min(start + batch_size, n_rows)
        batch_index += 1
        last_batch = stop == n_rows
        last_penalty = 0.0
        if last_batch:  # of another size, maybe: its penalty is computed whole
            for j in range(n_features):
                squares = _catch_up(j, steps, theta, first_moment, last, q, lambda_1, lambda_2,
                                    one_minus_lambda_1, alpha, beta, momentum, sums,
                                    averaging)  # fmt: skip
                squares_before += squares * inverse_scale[j] * inverse_scale[j]
                for k in range(n_outputs):
                    coefficient = theta[k, j] * inverse_scale[j]
                    last_penalty += coefficient * coefficient
        n_touched = 0
        batch_loss = 0.0
        batch_weight = 0.0
        for p in range(start, stop):
            i = order[p]
            weight = sample_weight[i]
            if weight == 0.0:
                continue
            for position in range(indptr[i], indptr[i + 1]):
                j = indices[position]
                if batch_of[j] != batch_index:
                    batch_of[j] = batch_index
                    touched[n_touched] = j
                    n_touched += 1
                    squares = _catch_up(j, steps, theta, first_moment, last, q, lambda_1,
                                        lambda_2, one_minus_lambda_1, alpha, beta, momentum,
                                        sums, averaging)  # fmt: skip
                    squares_before += squares * inverse_scale[j] * inverse_scale[j]
            for k in range(n_outputs):
                total = theta[k, n_features]  # the model's intercept: no shift
                for position in range(indptr[i], indptr[i + 1]):
                    j = indices[position]
                    total += data[position] * (theta[k, j] * inverse_scale[j])
                raw[k] = total
            batch_loss += weight * loss_row(loss, raw, targets, i, dloss)
            batch_weight += weight
            for k in range(n_outputs):
                c = weight * dloss[k]
                for position in range(indptr[i], indptr[i + 1]):
                    grad[k, indices[position]] += c * data[position]
                grad[k, n_features] += c
        if batch_weight == 0.0:
            continue  # only zero-weight rows: as if they were not there

        data_scale = 1.0 / ((stop - start) * mean_weight)
        steps += 1
        t += 1
        for k in range(n_outputs):
            g = grad[k, n_features] * data_scale if fit_intercept else 0.0
            grad[k, n_features] = 0.0
            if momentum:
                theta[k, n_features], first_moment[k, n_features] = momentum_coordinate(
                    theta[k, n_features], first_moment[k, n_features], g, alpha, beta
                )
            else:
                theta[k, n_features] = gradient_descent_coordinate(theta[k, n_features], g, alpha)
            if averaging:
                sums[k, n_features] += theta[k, n_features]
        for position in range(n_touched):
            j = touched[position]
            for k in range(n_outputs):
                coefficient = theta[k, j] * inverse_scale[j]
                if not last_batch:
                    squares_before += coefficient * coefficient
                g = solver_coordinate_gradient(grad[k, j] * data_scale, 0.0, 0.0, coefficient,
                                               l2, inverse_scale[j])  # fmt: skip
                grad[k, j] = 0.0
                if momentum:
                    theta[k, j], first_moment[k, j] = momentum_coordinate(
                        theta[k, j], first_moment[k, j], g, alpha, beta
                    )
                else:
                    theta[k, j] = gradient_descent_coordinate(theta[k, j], g, alpha)
                if averaging:
                    sums[k, j] += theta[k, j]
            last[j] = steps
        epoch_loss += batch_loss
        if last_batch:
            epoch_loss += (stop - start) * mean_weight * l2 * last_penalty
    for j in range(n_features):  # the last batch's penalty is counted already
        _catch_up(j, steps, theta, first_moment, last, q, lambda_1, lambda_2, one_minus_lambda_1,
                  alpha, beta, momentum, sums, averaging)  # fmt: skip
    epoch_loss += batch_size * mean_weight * l2 * squares_before
    model_from_solver(theta, shift, inverse_scale, model)
    if averaging:
        n_averaged += steps
        for k in range(n_outputs):
            for j in range(n_params):
                average[k, j] = sums[k, j] / n_averaged
    return epoch_loss / (n_rows * mean_weight), t, n_averaged

"""The compiled epoch: one pass over the training rows in a given order.

Rows are visited through an index array, so shuffling never copies ``X``. Each
batch's gradient is accumulated in the same pass that computes its raw
predictions, so ``X`` is read once per epoch whatever the batch size. ``X``,
coefficients and moments keep the input's dtype (float32 stays float32); the
gradient and the loss are accumulated in float64, so a float32 full batch of
many rows sums without drifting.

The update rule steps on the solver's parameters ``theta`` (standardized
coordinates, see ``_precondition``); predictions use the model's own
parameters ``model``, mapped from ``theta`` after every step.
"""

import numpy as np
from numba import prange

from ._jit import njit
from ._losses import l2_penalty, loss_row
from ._optimizers import no_estimate, step_constants, with_rule
from ._precondition import model_coefficient, solver_coordinate_gradient, solver_gradient
from ._prefetch import ROWS_AHEAD, prefetch_row
from ._rows import is_dask_array, prefetch_sample, row_axpy, row_dot
from ._schedules import step_size

# Reassociation lets LLVM vectorize the dot products and gradient sums; the
# flags that assume finite numbers are left out, so divergence still shows.
FAST_MATH = {"reassoc", "contract", "arcp", "nsz"}


@njit(cache=True, nogil=True, fastmath=FAST_MATH, inline="always")
def accumulate_rows(X, targets, sample_weight, order, start, stop, model, loss, grad, raw, dloss):
    """Add ``sum_i w_i * dloss_i * [x_i, 1]`` over rows ``order[start:stop]`` to ``grad``.

    Returns the rows' weighted loss and their total weight.
    """
    n_rows = order.shape[0]
    n_outputs, n_params = model.shape
    n_features = n_params - 1
    total_loss = 0.0
    total_weight = 0.0
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
            raw[k] = model[k, n_features] + row_dot(X, i, model, k)
        total_loss += weight * loss_row(loss, raw, targets, i, dloss)
        total_weight += weight
        for k in range(n_outputs):
            c = weight * dloss[k]
            row_axpy(X, i, c, grad, k)
            grad[k, n_features] += c
    return total_loss, total_weight


# Not inlined: one compiled copy per dtype serves every kind of X (dense, CSR),
# and this pass, a vectorized loop per rule, is most of an epoch's compile time.
@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def step_parameters(theta, model, grad, state, data_scale, shift, inverse_scale, l2,
                    fit_intercept, rule, eta, beta, beta2, epsilon, t, average,
                    n_averaged):  # fmt: skip
    """One step of the rule, in one pass over the parameters; returns the penalty before it.

    Per coordinate: the objective's gradient in the solver's coordinates
    (``solver_coordinate_gradient`` of the batch's ``grad``, which receives it),
    the rule's step, the model's new coefficient and, with
    ``n_averaged > 0`` (this step's count), the running average. One pass
    instead of one per stage: on wide data the parameters outgrow the caches.
    Each rule gets its own copy of the loop (``_step_pass`` given the rule's
    step function by ``_optimizers.with_rule``), which the compiler vectorizes
    and which holds that rule alone. A rule whose steps share an estimate
    reduced over every coordinate (Prodigy's ``d``) makes its estimate in a
    pass of its own before (``_step_pass``'s ``estimate``).
    """
    arguments = (theta, model, grad, state, data_scale, shift, inverse_scale, l2, fit_intercept,
                 eta, step_constants(t, beta, beta2, epsilon), average, n_averaged)  # fmt: skip
    return with_rule(rule, _step_pass, arguments)


@njit(cache=True, nogil=True, fastmath=FAST_MATH, inline="always")
def _step_pass(step, arguments, estimate=no_estimate):
    """``step_parameters`` for one rule's ``step`` (``_optimizers``), its ``arguments`` packed.

    The rule's ``estimate`` first gives the step's constants (``_optimizers``),
    reading the gradient as this pass computes it (``_gradient_at``).
    """
    (theta, model, grad, state, data_scale, shift, inverse_scale, l2, fit_intercept, eta,
     constants, average, n_averaged) = arguments  # fmt: skip
    constants = estimate(theta, _gradient_at, arguments, state, eta, constants)
    n_outputs, n_params = theta.shape
    n_features = n_params - 1
    weight_of_step = 1.0 / n_averaged if n_averaged > 0 else 0.0
    squares = 0.0
    for k in range(n_outputs):
        intercept_gradient = grad[k, n_features] * data_scale
        offset = 0.0
        for j in range(n_features):
            squares += model[k, j] * model[k, j]
            g = solver_coordinate_gradient(grad[k, j] * data_scale, shift[j], intercept_gradient,
                                           model[k, j], l2, inverse_scale[j])  # fmt: skip
            grad[k, j] = g
            theta[k, j] = step(theta[k, j], g, state, k, j, eta, constants)
            model[k, j] = model_coefficient(theta[k, j], inverse_scale[j])
            offset += model[k, j] * shift[j]
            if n_averaged > 0:
                average[k, j] += (theta[k, j] - average[k, j]) * weight_of_step
        g = intercept_gradient if fit_intercept else 0.0
        grad[k, n_features] = g
        theta[k, n_features] = step(theta[k, n_features], g, state, k, n_features, eta, constants)
        model[k, n_features] = theta[k, n_features] - offset
        if n_averaged > 0:
            average[k, n_features] += (
                theta[k, n_features] - average[k, n_features]
            ) * weight_of_step
    return l2 * squares


@njit(cache=True, nogil=True, fastmath=FAST_MATH, inline="always")
def _gradient_at(arguments, k, j):
    """The gradient ``_step_pass`` computes for coordinate ``(k, j)``, before its step."""
    (theta, model, grad, _, data_scale, shift, inverse_scale, l2, fit_intercept, _, _, _,
     _) = arguments  # fmt: skip
    n_features = theta.shape[1] - 1
    intercept_gradient = grad[k, n_features] * data_scale
    if j == n_features:
        return intercept_gradient if fit_intercept else 0.0
    return solver_coordinate_gradient(grad[k, j] * data_scale, shift[j], intercept_gradient,
                                      model[k, j], l2, inverse_scale[j])  # fmt: skip


# Full batches of at least two blocks of rows are summed block by block on all
# cores (``run_full_batch_epoch``, ``full_gradient_in_blocks``): a fixed
# partition, and the blocks' sums added in order, so the result does not
# depend on the number of threads. Each block needs its own gradient buffer:
# at most BLOCK_BUFFER_VALUES values in all, fewer blocks for wide models. They
# are separate kernels, chosen by ``in_blocks``, so that fits of smaller data
# never compile the parallel loop (some ten seconds per kind of input).
BLOCK_ROWS = 4096
BLOCK_BUFFER_VALUES = 4_000_000


def in_blocks(n_rows, batch_size):
    """Whether a batch is summed in parallel blocks: a full batch of two blocks or more."""
    return batch_size >= n_rows >= 2 * BLOCK_ROWS


@njit(cache=True, nogil=True, parallel=True, fastmath=FAST_MATH)
def accumulate_blocks(X, targets, sample_weight, order, start, stop, model, loss, grad):
    """``accumulate_rows`` over ``order[start:stop]`` in parallel blocks (see above)."""
    n_outputs, n_params = model.shape
    n_blocks = min(-(-(stop - start) // BLOCK_ROWS),
                   max(1, BLOCK_BUFFER_VALUES // (n_outputs * n_params)))  # fmt: skip
    rows_per_block = -(-(stop - start) // n_blocks)
    partial = np.zeros((n_blocks, n_outputs, n_params))
    losses = np.zeros(n_blocks)
    weights = np.zeros(n_blocks)
    for block in prange(n_blocks):
        raw = np.empty(n_outputs)
        dloss = np.empty(n_outputs)
        low = start + block * rows_per_block
        high = min(low + rows_per_block, stop)
        losses[block], weights[block] = accumulate_rows(
            X, targets, sample_weight, order, low, high, model, loss, partial[block], raw, dloss
        )
    total_loss = 0.0
    total_weight = 0.0
    for block in range(n_blocks):  # in order: the same sum on any number of threads
        grad += partial[block]
        total_loss += losses[block]
        total_weight += weights[block]
    return total_loss, total_weight


@njit(cache=True, nogil=True, fastmath=FAST_MATH, inline="always")
def take_step(batch_loss, batch_rows, mean_weight, theta, model, grad, state, shift,
              inverse_scale, l2, fit_intercept, rule, alpha, power_t, beta, beta2, epsilon, t,
              average, n_averaged):  # fmt: skip
    """Step ``t + 1`` on a batch's summed ``grad``; returns ``(batch objective, t, n_averaged)``.

    The batch objective is its weighted loss plus its rows' share of the
    penalty before the step (``run_epoch`` sums them over the epoch).
    """
    t += 1
    if n_averaged != 0:  # counting the averaged steps, or down to the first (run_epoch)
        n_averaged += 1
        if n_averaged == 0:
            n_averaged = 1
    penalty = step_parameters(theta, model, grad, state, 1.0 / (batch_rows * mean_weight),
                              shift, inverse_scale, l2,
                              fit_intercept, rule, step_size(alpha, t, power_t), beta, beta2,
                              epsilon, t, average, n_averaged)  # fmt: skip
    return batch_loss + batch_rows * mean_weight * penalty, t, n_averaged


def steps_before_average(order, sample_weight, batch_size, first_row):
    """Steps an epoch takes before the first one of an average that starts in it.

    The average starts with the step of the batch that holds the epoch's
    ``first_row``-th row (1-based), or the next step if that batch's rows all
    weigh zero (``run_epoch`` skips such batches). None when no batch from
    there on steps.
    """
    n_rows = order.shape[0]
    if batch_size >= n_rows:
        return 0  # one full batch, which steps: the weights have a positive sum
    batch_weights = np.add.reduceat(
        np.asarray(sample_weight)[order], np.arange(0, n_rows, batch_size)
    )
    stepping = batch_weights > 0
    batch = (first_row - 1) // batch_size
    if not stepping[batch:].any():
        return None
    return int(np.count_nonzero(stepping[:batch]))


@njit(cache=True, nogil=True, inline="always")
def _record(path, row, model):
    """``path[row] = model.ravel()`` (numba's ravel and reshape compile slowly)."""
    n_params = model.shape[1]
    for k in range(model.shape[0]):
        for j in range(n_params):
            path[row, k * n_params + j] = model[k, j]


@njit(cache=True, nogil=True, inline="always")
def _copy(source, destination):
    """``destination[:] = source`` for two (n_outputs, n_params) arrays, compiled quickly."""
    for k in range(source.shape[0]):
        for j in range(source.shape[1]):
            destination[k, j] = source[k, j]


@njit(cache=True, nogil=True)
def mean_weight_of(sample_weight):
    total = 0.0
    for i in range(sample_weight.shape[0]):  # in storage order
        total += sample_weight[i]
    return total / sample_weight.shape[0]


# nogil: the next epoch's shuffle is drawn on another thread meanwhile (_orders).
@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def run_epoch(
    X,
    targets,
    sample_weight,
    order,
    batch_size,
    theta,
    model,
    shift,
    inverse_scale,
    state,
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
    step_losses,
    last_gradient,
    average,
    n_averaged,
):
    """Run one epoch in place on ``theta``, ``model`` and the rule's ``state``.

    ``order`` is a permutation of the row indices: the epoch visits every row
    once, in that order.

    ``theta`` (the solver's parameters) and ``model`` (the model's, kept equal
    to ``model_from_solver(theta, shift, inverse_scale)``) have shape
    (n_outputs, n_features + 1): coefficients, then the intercept; ``state``,
    the rule's arrays of that shape stacked (``_optimizers.RULES``), shape
    (len(state), n_outputs, n_features + 1). The gradient of a batch B is
    the unbiased estimate of the objective's gradient in the solver's
    coordinates (``solver_gradient`` of)::

        G = sum_{i in B} w_i * dloss_i * [x_i, 1] / (|B| * mean(w))

    which for a full batch is exactly the gradient of the weighted objective.

    When ``path`` has rows (one per step of the epoch), row ``s`` receives the
    flattened ``model`` after the epoch's step ``s``, and when ``step_losses``
    has, its ``s``-th value the objective of that step's batch before the
    step (the batch's weighted mean loss plus the penalty, an unbiased
    estimate of the objective); pass empty arrays to record nothing.
    ``last_gradient``, unless empty, receives the gradient of the epoch's last
    step (for a full batch: the objective's gradient at the start).

    With ``n_averaged > 0``, ``average`` is the running mean of the last
    ``n_averaged`` values of ``theta`` and each step adds to it (Polyak-Ruppert
    averaging, which removes the noise of stochastic steps); 0 averages nothing;
    ``-(k + 1)`` starts it at the epoch's step ``k + 1`` (``steps_before_average``),
    with ``average`` all zeros: after that step it is that step's ``theta``.

    Returns ``(epoch_loss, t, n_averaged)``: the objective averaged over the
    epoch's batches, each term evaluated at the parameters just before that
    batch's step, the number of steps taken so far, and of steps averaged.
    """
    n_rows = order.shape[0]
    n_outputs, n_params = theta.shape  # X: a 2-D array or a CSR (data, indices, indptr)
    mean_weight = mean_weight_of(sample_weight)

    grad = np.zeros((n_outputs, n_params))
    raw = np.empty(n_outputs)
    dloss = np.empty(n_outputs)

    record_path = path.shape[0] > 0
    record_losses = step_losses.shape[0] > 0
    steps_this_epoch = 0
    epoch_loss = 0.0
    for start in range(0, n_rows, batch_size):
        stop = min(start + batch_size, n_rows)
        grad[:] = 0.0
        batch_loss, batch_weight = accumulate_rows(
            X, targets, sample_weight, order, start, stop, model, loss, grad, raw, dloss
        )
        if batch_weight == 0.0:
            continue  # only zero-weight rows: as if they were not there
        batch_objective, t, n_averaged = take_step(
            batch_loss, stop - start, mean_weight, theta, model, grad, state, shift, inverse_scale,
            l2, fit_intercept, rule, alpha, power_t, beta, beta2, epsilon, t, average, n_averaged,
        )  # fmt: skip
        epoch_loss += batch_objective
        if record_path:
            _record(path, steps_this_epoch, model)
        if record_losses:
            step_losses[steps_this_epoch] = batch_objective / ((stop - start) * mean_weight)
        steps_this_epoch += 1
    if last_gradient.size:
        _copy(grad, last_gradient)
    return epoch_loss / (n_rows * mean_weight), t, n_averaged


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def full_gradient(X, targets, sample_weight, model, shift, inverse_scale, loss, l2,
                  fit_intercept):  # fmt: skip
    """The objective at ``model`` and its gradient in the solver's coordinates: one pass."""
    n_rows = sample_weight.shape[0]
    n_outputs, n_params = model.shape
    grad = np.zeros((n_outputs, n_params))
    total_loss, _ = accumulate_rows(X, targets, sample_weight, np.arange(n_rows), 0, n_rows,
                                    model, loss, grad, np.empty(n_outputs),
                                    np.empty(n_outputs))  # fmt: skip
    total_weight = mean_weight_of(sample_weight) * n_rows
    return _objective(total_loss, total_weight, grad, model, shift, inverse_scale, l2,
                      fit_intercept)  # fmt: skip


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def full_gradient_in_blocks(X, targets, sample_weight, model, shift, inverse_scale, loss, l2,
                            fit_intercept):  # fmt: skip
    """``full_gradient``, the rows summed in parallel blocks (``in_blocks``)."""
    n_rows = sample_weight.shape[0]
    grad = np.zeros(model.shape)
    total_loss, _ = accumulate_blocks(X, targets, sample_weight, np.arange(n_rows), 0, n_rows,
                                      model, loss, grad)  # fmt: skip
    total_weight = mean_weight_of(sample_weight) * n_rows
    return _objective(total_loss, total_weight, grad, model, shift, inverse_scale, l2,
                      fit_intercept)  # fmt: skip


@njit(cache=True, nogil=True, fastmath=FAST_MATH, inline="always")
def _objective(total_loss, total_weight, grad, model, shift, inverse_scale, l2, fit_intercept):
    """``(J, its gradient in the solver's coordinates)`` from the summed loss and ``grad``."""
    solver_gradient(grad, 1.0 / total_weight, model, shift, inverse_scale, l2, fit_intercept, grad)
    value = total_loss / total_weight + l2_penalty(model, l2, model.shape[1] - 1)
    return value, grad


def objective_and_gradient(X, targets, sample_weight, model, shift, inverse_scale, loss, l2,
                           fit_intercept):  # fmt: skip
    """``full_gradient`` of ``X`` (an array or a CSR's three arrays), in blocks when large.

    A Dask array's chunks are summed where they live (``_dask``).
    """
    if is_dask_array(X):
        from ._dask import objective_and_gradient as of_chunks  # noqa: PLC0415 - optional

        return of_chunks(X, targets, sample_weight, model, shift, inverse_scale, loss, l2,
                         fit_intercept)  # fmt: skip
    n_rows = sample_weight.shape[0]
    kernel = full_gradient_in_blocks if in_blocks(n_rows, n_rows) else full_gradient
    return kernel(X, targets, sample_weight, model, shift, inverse_scale, loss, l2, fit_intercept)


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def objective_of_sums(total_loss, total_weight, grad, model, shift, inverse_scale, l2,
                      fit_intercept):  # fmt: skip
    """``full_gradient`` from the rows' sums of ``accumulate_rows`` (added up elsewhere)."""
    return _objective(total_loss, total_weight, grad, model, shift, inverse_scale, l2,
                      fit_intercept)  # fmt: skip


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def run_full_batch_epoch(
    X,
    targets,
    sample_weight,
    order,
    batch_size,
    theta,
    model,
    shift,
    inverse_scale,
    state,
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
    step_losses,
    last_gradient,
    average,
    n_averaged,
):
    """``run_epoch`` of one full batch (``in_blocks``), its rows summed in parallel blocks."""
    n_rows = order.shape[0]
    mean_weight = mean_weight_of(sample_weight)
    grad = np.zeros(theta.shape)
    batch_loss, batch_weight = accumulate_blocks(X, targets, sample_weight, order, 0, n_rows,
                                                 model, loss, grad)  # fmt: skip
    return step_on_full_batch(
        batch_loss, batch_weight, grad, n_rows, mean_weight, theta, model, shift, inverse_scale,
        state, t, rule, alpha, power_t, beta, beta2, epsilon, l2, fit_intercept, path,
        step_losses, last_gradient, average, n_averaged,
    )  # fmt: skip


@njit(cache=True, nogil=True, fastmath=FAST_MATH)
def step_on_full_batch(batch_loss, batch_weight, grad, n_rows, mean_weight, theta, model, shift,
                       inverse_scale, state, t, rule, alpha, power_t, beta, beta2, epsilon, l2,
                       fit_intercept, path, step_losses, last_gradient, average,
                       n_averaged):  # fmt: skip
    """The step of a full batch whose rows were summed elsewhere (chunk by chunk).

    ``batch_loss``, ``batch_weight`` and ``grad`` are the sums of
    ``accumulate_rows`` over all ``n_rows`` rows; ``mean_weight`` their mean
    weight. Returns what ``run_full_batch_epoch`` returns.
    """
    epoch_loss = 0.0
    if batch_weight > 0.0:
        epoch_loss, t, n_averaged = take_step(
            batch_loss, n_rows, mean_weight, theta, model, grad, state, shift, inverse_scale, l2,
            fit_intercept, rule, alpha, power_t, beta, beta2, epsilon, t, average, n_averaged,
        )  # fmt: skip
        if path.shape[0] > 0:
            _record(path, 0, model)
        if step_losses.shape[0] > 0:
            step_losses[0] = epoch_loss / (n_rows * mean_weight)
    if last_gradient.size:
        _copy(grad, last_gradient)
    return epoch_loss / (n_rows * mean_weight), t, n_averaged

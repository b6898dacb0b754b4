"""The sparse epoch: plain, momentum and Nesterov steps that cost the batch's non-zeros.

``run_epoch`` steps every coordinate at every step; on CSR input with many
columns most of that work is the penalty's shrink of coordinates no row of the
batch touches. ``run_sparse_epoch`` takes the same steps just in time: a
coordinate is brought up to date only when a row of a batch reads it, by the
closed form of the idle steps it took meanwhile (``_idle_steps``), and then
stepped by the rule with its batch gradient. Every coordinate catches up once
at the end of the epoch, and once before its last batch if that is smaller
(its weight in the epoch's objective differs). The result is ``run_epoch``'s to
rounding: the same rule, the same steps, the same ``loss_curve_`` and running
average; a step costs the batch's non-zeros times ``n_outputs``, and the epoch
``O(n_features)`` more: loading the state into the features' records, which
are kept from epoch to epoch (``RecordsCache``), and the last catch-up.

It applies (``runs_sparse``) to CSR input in scale-only coordinates (sparse
input is never centred), plain, momentum and Nesterov rules with a step that is constant
within the epoch (``power_t = 0``: the "constant" and "adaptive" schedules),
no recorded path, no full batch and no average starting within the epoch (its
idle steps' sums would have to begin part-way; that one epoch runs ``run_epoch``).
RMSprop's and Adam's moments decay at every step, so their exact steps move every
coordinate; they stay with ``run_epoch``.
"""

import numpy as np

from ._epoch import FAST_MATH, mean_weight_of
from ._idle_steps import (
    COMPLEX,
    REAL,
    complex_momentum_factors,
    log_of,
    momentum_idle,
    momentum_idle_by_steps,
    momentum_idle_constants,
    momentum_idle_factors,
    plain_idle,
    plain_idle_factors,
)
from ._jit import njit
from ._losses import loss_row
from ._optimizers import (
    MOMENTUM_RULES,
    NESTEROV,
    SPARSE_RULES,
    gradient_descent_coordinate,
    velocity_coordinate,
)
from ._precondition import model_from_solver, solver_coordinate_gradient
from ._prefetch import prefetch_row


def runs_sparse(X_is_sparse, rule, power_t, shift, recording_path, full_batch, n_averaged=0):
    """Whether ``run_sparse_epoch`` takes this epoch's steps (see the module docstring).

    ``n_averaged < 0``: an average starts within the epoch (``run_epoch``).
    """
    return (X_is_sparse and rule in SPARSE_RULES and power_t == 0.0
            and not np.any(shift) and not recording_path and not full_batch
            and n_averaged >= 0)  # fmt: skip


ROWS_AHEAD = 1  # prefetch the features of the next row (further ahead measured slower)


@njit(cache=True, inline="always")
def _rule_step(momentum, nesterov, theta, v, g, alpha, beta):
    """The plain, momentum or Nesterov rule's step of one coordinate: the new ``(theta, v)``."""
    if momentum:
        return velocity_coordinate(theta, v, g, alpha, beta, nesterov)
    return gradient_descent_coordinate(theta, g, alpha), v


# Each feature's state and constants are one row of a ``records`` array, so
# reading a feature costs one or two cache lines, not one per array: on 2^18
# columns the arrays outgrow the caches and every access to a scattered feature
# is a miss. A row holds, at these offsets, 1 / sigma, the steps applied so
# far, the batch that last read the feature, for momentum the idle steps'
# constants (``_idle_steps``; q = 2 l2 / sigma^2, the penalty's gradient being
# q theta), then per output the coefficient, the batch gradient, momentum's
# velocity and the average's running sum.
SCALE, LAST, BATCH = 0, 1, 2
LOG_RHO = 3  # plain steps
Q, KIND, REAL_1, REAL_2, ONE_MINUS_1, LOG_1, LOG_2 = 3, 4, 5, 6, 7, 8, 9  # momentum
PLAIN_CONSTANTS, MOMENTUM_CONSTANTS = 4, 10


def records_width(n_outputs, momentum, averaging):
    """Columns of a feature's record (see above)."""
    return (MOMENTUM_CONSTANTS if momentum else PLAIN_CONSTANTS) + n_outputs * (
        3 + momentum + averaging
    )


@njit(cache=True, nogil=True)
def feature_records(inverse_scale, l2, alpha, beta, momentum, nesterov, width):
    """The features' records with their constants, and momentum's complex eigenvalues.

    The constants depend on the step and the penalty only: the training loop
    keeps the records from epoch to epoch while those stay the same, and each
    epoch loads the state into them (``_load_state``). Loops over the features
    rather than array expressions, which compile slowly.
    """
    n_features = inverse_scale.shape[0]
    records = np.zeros((n_features, width))
    eigenvalues = np.empty((n_features if momentum else 0, 2), dtype=np.complex128)
    for j in range(n_features):
        r = float(inverse_scale[j])
        records[j, SCALE] = r
        if momentum:
            records[j, Q] = q = 2.0 * l2 * r * r
            kind, lambda_1, lambda_2, one_minus_1, real_1, real_2, log_1, log_2 = (
                momentum_idle_constants(q, alpha, beta, nesterov)
            )
            records[j, KIND] = kind
            records[j, REAL_1], records[j, REAL_2] = real_1, real_2
            records[j, ONE_MINUS_1] = one_minus_1.real
            records[j, LOG_1], records[j, LOG_2] = log_1, log_2
            eigenvalues[j, 0], eigenvalues[j, 1] = lambda_1, lambda_2
        else:
            records[j, LOG_RHO] = log_of(alpha * 2.0 * l2 * r * r)
    return records, eigenvalues


class RecordsCache:
    """The records of one call to ``fit``, kept while the step and the penalty stay the same.

    Building them costs ``O(n_features)`` logarithms (momentum: eigenvalues)
    and allocation, several times an epoch's steps on wide data.
    """

    def __init__(self):
        self._key, self._records = None, None
        self._columns = None

    def columns(self, indices, theta, state):
        """The features whose coordinates the fit steps: ``stepped_columns`` at its first epoch."""
        if self._columns is None:
            self._columns = stepped_columns(indices, theta, state)
        return self._columns

    def get(self, inverse_scale, l2, alpha, beta, rule, n_outputs, averaging):
        momentum, nesterov = rule in MOMENTUM_RULES, rule == NESTEROV
        width = records_width(n_outputs, momentum, averaging)
        key = (inverse_scale, l2, alpha, beta if momentum else None, rule, width)
        same = self._key is not None and self._key[0] is inverse_scale and self._key[1:] == key[1:]
        if not same:
            self._key = key
            self._records = feature_records(inverse_scale, l2, alpha, beta, momentum, nesterov,
                                            width)  # fmt: skip
        return self._records


def stepped_columns(indices, theta, state):
    """The features some row has a value for, or whose coefficient or velocity is not zero.

    Any other coordinate has the gradient ``q * theta = 0`` at every step: it
    stays zero, and so does its share in the average and the penalty. Text
    hashed into 2^18 columns reads about a quarter of them: the epoch's passes
    over the features (loading the state, the last catch-up, storing the state
    back) skip the rest. ``indices`` are the CSR's column indices; computed once
    per fit, since a zero coordinate of an unread feature stays zero.
    """
    n_features = theta.shape[1] - 1
    stepped = np.bincount(indices, minlength=n_features) > 0
    stepped |= np.any(theta[:, :-1] != 0.0, axis=0)
    if state.size:
        stepped |= np.any(state[..., :-1] != 0.0, axis=(0, 1))
    return np.flatnonzero(stepped)


@njit(cache=True, nogil=True)
def _load_state(records, theta, state, average, n_averaged, momentum, columns):
    """Each feature's coefficients (velocities, average's sums) into its record, no step taken."""
    n_outputs = theta.shape[0]
    at = MOMENTUM_CONSTANTS if momentum else PLAIN_CONSTANTS
    sums = records.shape[1] - n_outputs
    for j in columns:
        records[j, LAST] = 0.0
        records[j, BATCH] = -1.0
        for k in range(n_outputs):
            records[j, at + k] = theta[k, j]
            records[j, at + n_outputs + k] = 0.0  # the batch gradient
            if momentum:
                records[j, at + 2 * n_outputs + k] = state[0, k, j]
            if n_averaged > 0:
                records[j, sums + k] = average[k, j] * n_averaged


@njit(cache=True, nogil=True)
def _catch_up_all(records, steps, eigenvalues, alpha, beta, l2, momentum, nesterov, averaging,
                  columns):  # fmt: skip
    """Apply the idle steps of the features ``columns`` up to ``steps``; return
    ``sum_j sum_k sum_m W_kj,m^2``.

    The epoch's loops over a batch's non-zeros repeat this loop's body for one
    feature, written out: a compiled function that takes an array, inlined or
    not, costs two atomic reference counts per call, which were a third of an
    "sgd" epoch.
    """
    n_outputs = (records.shape[1] - (MOMENTUM_CONSTANTS if momentum else PLAIN_CONSTANTS)) // (
        3 + momentum + averaging
    )
    sums_at = records.shape[1] - n_outputs
    squares = 0.0
    for j in columns:
        n = int(steps - records[j, LAST])
        if n > 0 and momentum:
            records[j, LAST] = steps
            squares += _inlined_catch_up_momentum(
                records, j, n, eigenvalues, alpha, beta, nesterov, averaging
            )
        elif n > 0:
            records[j, LAST] = steps
            r = records[j, SCALE]
            rho_n, square_factor, total_factor = plain_idle_factors(
                alpha * 2.0 * l2 * r * r, records[j, LOG_RHO], n
            )
            for k in range(n_outputs):
                at = PLAIN_CONSTANTS + k
                records[j, at], square, total = plain_idle(
                    records[j, at], rho_n, square_factor, total_factor
                )
                squares += square * r * r
                if averaging:
                    records[j, sums_at + k] += total
    return squares


def _momentum_catch_up(records, j, n, eigenvalues, alpha, beta, nesterov, averaging):
    """Apply feature ``j``'s ``n`` idle momentum (``nesterov``: look-ahead) steps; return its
    ``sum_k sum_m W_kj,m^2``."""
    at = MOMENTUM_CONSTANTS
    n_outputs = (records.shape[1] - at) // (4 + averaging)
    sums = records.shape[1] - n_outputs
    squares = 0.0

    q, kind = records[j, Q], records[j, KIND]
    lambda_1, lambda_2 = records[j, REAL_1], records[j, REAL_2]
    velocity = at + 2 * n_outputs
    if kind == REAL:
        factors = momentum_idle_factors(lambda_1, lambda_2, records[j, ONE_MINUS_1],
                                        records[j, LOG_1], records[j, LOG_2], n)  # fmt: skip
    elif kind == COMPLEX:
        complex_factors = complex_momentum_factors(eigenvalues[j, 0], eigenvalues[j, 1], n)
    for k in range(n_outputs):
        theta, v = records[j, at + k], records[j, velocity + k]
        if kind == REAL:
            theta_n, v_n, square, total = momentum_idle(theta, v, q, alpha, beta, lambda_1,
                                                        lambda_2, factors, nesterov)  # fmt: skip
        elif kind == COMPLEX:
            c_theta, c_v, c_square, c_total = momentum_idle(
                theta, v, q, alpha, beta, eigenvalues[j, 0], eigenvalues[j, 1], complex_factors,
                nesterov,
            )  # fmt: skip
            theta_n, v_n, square, total = c_theta.real, c_v.real, c_square.real, c_total.real
        else:
            theta_n, v_n, square, total = momentum_idle_by_steps(theta, v, q, alpha, beta, n,
                                                                 nesterov)  # fmt: skip
        records[j, at + k] = theta_n
        records[j, velocity + k] = v_n
        squares += square
        if averaging:
            records[j, sums + k] += total
    return squares * records[j, SCALE] * records[j, SCALE]


# The epoch calls it, not inlined: the closed forms of momentum (complex ones
# too) compile once, not once per kind of input as the epoch does.
# ``_catch_up_all`` inlines it (compiled once too): a call per feature costs
# reference counts, a third of its time.
_catch_up_momentum = njit(cache=True, nogil=True)(_momentum_catch_up)
_inlined_catch_up_momentum = njit(inline="always")(_momentum_catch_up)


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
    records,
    eigenvalues,
    columns,
):
    """``run_epoch`` on a CSR ``X`` (``(data, indices, indptr)``), just in time.

    Same arguments and result as ``run_epoch``; ``shift`` is zero, ``power_t``
    0, ``path``, ``step_losses`` and ``last_gradient`` empty (``runs_sparse``), and
    ``beta2``, ``epsilon`` unused; ``state`` is empty or holds the velocity.
    ``records`` and ``eigenvalues`` are ``feature_records`` of this epoch's step and penalty:
    their state is overwritten. Only the coordinates of ``columns`` (``stepped_columns``) move.
    """
    data, indices, indptr = X
    n_rows = order.shape[0]
    n_outputs, n_params = theta.shape
    n_features = n_params - 1
    mean_weight = mean_weight_of(sample_weight)
    momentum, nesterov = rule in MOMENTUM_RULES, rule == NESTEROV
    averaging = n_averaged > 0
    _load_state(records, theta, state, average, n_averaged, momentum, columns)
    at = MOMENTUM_CONSTANTS if momentum else PLAIN_CONSTANTS
    grad_at = at + n_outputs
    velocity_at = at + 2 * n_outputs
    sums_at = records.shape[1] - n_outputs
    intercept = theta[:, n_features].astype(np.float64)
    intercept_velocity = np.zeros(n_outputs)
    if momentum:
        for k in range(n_outputs):
            intercept_velocity[k] = state[0, k, n_features]
    intercept_sum = average[:, n_features] * n_averaged if averaging else np.zeros(n_outputs)
    intercept_grad = np.zeros(n_outputs)
    touched = np.empty(n_features, dtype=np.int64)
    raw = np.empty(n_outputs)
    dloss = np.empty(n_outputs)

    # sum over the steps of full-size batches of ||W||^2 before the step
    squares_before = 0.0
    steps = 0
    epoch_loss = 0.0
    batch_index = 0
    last_batch = False
    for start in range(0, n_rows, batch_size):
        stop = min(start + batch_size, n_rows)
        batch_index += 1
        # A last batch of another size weighs its penalty term differently: it is
        # computed whole
        last_batch = stop == n_rows and stop - start != batch_size
        last_penalty = 0.0
        if last_batch:
            squares_before += _catch_up_all(records, steps, eigenvalues, alpha, beta, l2,
                                            momentum, nesterov, averaging, columns)  # fmt: skip
            for j in columns:
                for k in range(n_outputs):
                    coefficient = records[j, at + k] * records[j, SCALE]
                    last_penalty += coefficient * coefficient
        n_touched = 0
        batch_loss = 0.0
        batch_weight = 0.0
        for p in range(start, stop):
            i = order[p]
            weight = sample_weight[i]
            if weight == 0.0:
                continue
            if p + ROWS_AHEAD < n_rows:  # scattered features miss the cache
                ahead = order[p + ROWS_AHEAD]
                for position in range(indptr[ahead], indptr[ahead + 1]):
                    prefetch_row(records, indices[position])
            for k in range(n_outputs):
                raw[k] = intercept[k]  # the model's intercept: no shift
            for position in range(indptr[i], indptr[i + 1]):
                j = indices[position]
                if records[j, BATCH] != batch_index:
                    records[j, BATCH] = batch_index
                    touched[n_touched] = j
                    n_touched += 1
                    n = int(steps - records[j, LAST])  # _catch_up_all's body, written out
                    if n > 0 and momentum:
                        records[j, LAST] = steps
                        squares_before += _catch_up_momentum(records, j, n, eigenvalues, alpha,
                                                             beta, nesterov,
                                                             averaging)  # fmt: skip
                    elif n > 0:
                        records[j, LAST] = steps
                        r = records[j, SCALE]
                        rho_n, square_factor, total_factor = plain_idle_factors(
                            alpha * 2.0 * l2 * r * r, records[j, LOG_RHO], n
                        )
                        for k in range(n_outputs):
                            records[j, at + k], square, total = plain_idle(
                                records[j, at + k], rho_n, square_factor, total_factor
                            )
                            squares_before += square * r * r
                            if averaging:
                                records[j, sums_at + k] += total
                x = data[position] * records[j, SCALE]
                for k in range(n_outputs):
                    raw[k] += x * records[j, at + k]
            batch_loss += weight * loss_row(loss, raw, targets, i, dloss)
            batch_weight += weight
            for k in range(n_outputs):
                dloss[k] *= weight
                intercept_grad[k] += dloss[k]
            for position in range(indptr[i], indptr[i + 1]):
                j = indices[position]
                for k in range(n_outputs):
                    records[j, grad_at + k] += dloss[k] * data[position]
        if batch_weight == 0.0:
            continue  # only zero-weight rows: as if they were not there

        data_scale = 1.0 / ((stop - start) * mean_weight)
        steps += 1
        t += 1
        for k in range(n_outputs):
            g = intercept_grad[k] * data_scale if fit_intercept else 0.0
            intercept_grad[k] = 0.0
            intercept[k], intercept_velocity[k] = _rule_step(
                momentum, nesterov, intercept[k], intercept_velocity[k], g, alpha, beta
            )
            if averaging:
                intercept_sum[k] += intercept[k]
        for position in range(n_touched):
            j = touched[position]
            r = records[j, SCALE]
            for k in range(n_outputs):
                coefficient = records[j, at + k] * r
                if not last_batch:
                    squares_before += coefficient * coefficient
                g = solver_coordinate_gradient(records[j, grad_at + k] * data_scale, 0.0, 0.0,
                                               coefficient, l2, r)  # fmt: skip
                records[j, grad_at + k] = 0.0
                v = records[j, velocity_at + k] if momentum else 0.0
                records[j, at + k], v = _rule_step(momentum, nesterov, records[j, at + k], v, g,
                                                   alpha, beta)  # fmt: skip
                if momentum:
                    records[j, velocity_at + k] = v
                if averaging:
                    records[j, sums_at + k] += records[j, at + k]
            records[j, LAST] = steps
        epoch_loss += batch_loss
        if last_batch:
            epoch_loss += (stop - start) * mean_weight * l2 * last_penalty
    squares = _catch_up_all(records, steps, eigenvalues, alpha, beta, l2, momentum, nesterov,
                            averaging, columns)  # fmt: skip
    if not last_batch:  # else these idle steps are the last batch's, counted whole
        squares_before += squares
    epoch_loss += batch_size * mean_weight * l2 * squares_before

    if averaging:
        n_averaged += steps
    for k in range(n_outputs):  # the state back from the records (loops compile quickly)
        for j in columns:
            theta[k, j] = records[j, at + k]
            if momentum:
                state[0, k, j] = records[j, velocity_at + k]
            if averaging:
                average[k, j] = records[j, sums_at + k] / n_averaged
        theta[k, n_features] = intercept[k]
        if momentum:
            state[0, k, n_features] = intercept_velocity[k]
        if averaging:
            average[k, n_features] = intercept_sum[k] / n_averaged
    model_from_solver(theta, shift, inverse_scale, model)
    return epoch_loss / (n_rows * mean_weight), t, n_averaged

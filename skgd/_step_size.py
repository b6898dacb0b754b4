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
by ``eta * g`` per step along a steady gradient, yet its first step is only
``eta (1 - beta) g``. With full batches it takes ``eta = 1 / ((1 - beta) L)``,
so its first step equals plain gradient descent's and its long-run step is
``1 / (1 - beta)`` times longer; this is within the heavy-ball stability limit
``eta (1 - beta) L < 2 (1 + beta)``. With noisy batches that long-run step
amplifies the noise as a plain step of ``eta`` would (10 / L_b diverged on
200,000 x 100 data), so it takes ``eta = 1 / L_b``.

Nesterov's look-ahead steps are momentum's, and take momentum's step.

RMSprop, Adam, AdaMax, AMSGrad, NAdam and Schedule-Free AdamW (its ``z``)
move every coordinate by about ``eta`` per step whatever the gradient's
scale, so their step is a length,
read off the first safe gradient step from zero, ``|grad J(0)| / L``
(coordinates with a zero gradient left out):

* Adam takes its median coordinate, a length that suits the typical
  parameter; parameters that must travel further get there in more steps,
  while irrelevant ones are not kicked as far as the largest one moves (with
  the largest coordinate instead, 90 irrelevant features of ``make_regression``
  jittered so much that 10 epochs ended 400 times above the optimum);
* RMSprop has no bias correction, so its first step is ``eta / sqrt(1 - beta2)``
  long, shrinking to ``eta`` as ``s`` fills. It takes ``sqrt(1 - beta2)`` times
  the largest coordinate, so that no first step is longer than plain gradient
  descent's;
* AdaMax and AMSGrad take Adam's step (their first step is ``eta`` long too),
  and so does NAdam, as Adam with a look-ahead moment, although its first
  step is ``1 + beta / (1 + beta)`` times as long (1.47 with the default
  ``beta``: the look-ahead adds the next step's share of ``g``), and so
  does Schedule-Free AdamW, whose ``z`` takes Adam's steps without a moment
  (its first is ``eta`` long too; the reference's default, 0.0025, is a
  length in the units of a neural network's weights);
* AdaDelta's step has no unit of length: its first step is
  ``eta * g sqrt(epsilon) / sqrt((1 - beta2) g^2 + epsilon)``, about
  ``eta * sqrt(epsilon / (1 - beta2))`` (3e-3 with the defaults, and
  ``eta = 1`` is customary), and grows only slowly as ``u`` fills. It takes
  the ``eta`` whose median first step is Adam's;
* AdaGrad's first step is ``eta`` long as well, but its sum of squares only
  grows: step ``t`` along a steady gradient is ``eta / sqrt(t)`` long. With
  Adam's length it crawled (default fits ended 5e-3 above the optimum on
  iris, 1.2e-2 on breast_cancer). It takes Adam's length times
  ``sqrt(T)``, so that its steps stay at least that long for ``T`` steps:
  30 epochs' worth of noisy steps, whose noise keeps its sums of squares
  growing (so a longer ``eta`` raises the noise of every later step; 100
  epochs' worth ended above 1e-4 on breast_cancer), or 1000 full-batch
  steps, whose sums stop growing as the gradient vanishes (a step too long
  only makes the sums grow until the step is stable: ``T = 30`` ended
  2e-3 above the optimum, ``T`` from 300 to 30,000 all within 5e-5).

Prodigy estimates the length of its steps itself (its ``d``, an estimate of
the distance to the optimum): ``eta`` only multiplies that estimate, and
takes the value its authors leave it at, 1.

The adaptive schedule then shrinks either step as the fit settles.
"""

import numpy as np

from ._losses import SQUARED_ERROR
from ._optimizers import (
    ACCUMULATED_LENGTH,
    ADAPTIVE_RULES,
    MOMENTUM_RULES,
    MULTIPLIER,
    PLAIN_STEP_RULES,
    RULES,
    UNCORRECTED_LENGTH,
    UNIT_FREE_LENGTH,
    is_full_batch,
)
from ._precondition import solver_row_norms
from ._rows import is_dask_array

N_POWER_ITERATIONS = 10
# Rows used to estimate lambda_max: a representative subset's Gram matrix (see
# _spread_rows) has nearly the same top eigenvalue, and a step from a slight
# underestimate stays below the 2 / L stability limit.
MAX_ROWS_FOR_EIGENVALUE = 20_000
HEAVY_ROW_FACTOR = 4.0
# Gradient coordinates below this fraction of the largest are rounding noise.
ROUNDING_NOISE = 1e-8
# AdaGrad's steps stay at least Adam's length over this many epochs of noisy
# steps, or this many full-batch steps (see the module docstring).
FULL_LENGTH_EPOCHS = 30
FULL_BATCH_LENGTH_STEPS = 1000


def curvature_bound(loss, n_outputs):
    """Upper bound of the per-sample loss's second derivative in the raw output."""
    if loss == SQUARED_ERROR:  # the mean over outputs divides it by their number
        return loss.curvature / n_outputs
    return loss.curvature


def spread_rows(n_samples):
    """About ``MAX_ROWS_FOR_EIGENVALUE`` sorted row indices, one drawn at random from each block.

    Random within blocks, so rows that repeat in a pattern (alternating
    sources, k entities per time step) are all represented, as evenly spaced
    rows would not be; fixed seed, so the step does not depend on random_state.
    """
    every = -(-n_samples // MAX_ROWS_FOR_EIGENVALUE)
    starts = np.arange(0, n_samples, every)
    offsets = np.random.RandomState(0).randint(every, size=starts.size)
    return np.minimum(starts + offsets, n_samples - 1)


def heavy_rows(row_curvatures, sample_weight, mean_curvature):
    """Rows (a mask) of weight whose curvature passes ``HEAVY_ROW_FACTOR`` times the mean."""
    return (row_curvatures > HEAVY_ROW_FACTOR * mean_curvature) & (sample_weight > 0)


def spread_factor(light_total, spread_total):
    """What the spread rows' weights are multiplied by to stand for every light row.

    None when the spread rows weigh nothing but the light rows do: the subset
    cannot stand for them, and every row is used.
    """
    if light_total > 0 and spread_total == 0:
        return None
    return light_total / spread_total if spread_total > 0 else 0.0


def _eigenvalue_rows(row_curvatures, sample_weight):
    """Rows and weights of a smaller Gram matrix with nearly the same top eigenvalue, or None.

    Every heavy row (``heavy_rows``, at most ``MAX_ROWS_FOR_EIGENVALUE`` of
    the heaviest) keeps its own weight: a handful of large rows can make the
    top eigenvalue, and a random subset would miss them. The other rows are
    represented by a spread subset (``spread_rows``) whose weights are scaled
    up to their total.
    """
    n_samples = row_curvatures.shape[0]
    mean = np.average(row_curvatures, weights=sample_weight)
    heavy = np.flatnonzero(heavy_rows(row_curvatures, sample_weight, mean))
    if heavy.size > MAX_ROWS_FOR_EIGENVALUE:
        heavy = heavy[np.argsort(row_curvatures[heavy])[-MAX_ROWS_FOR_EIGENVALUE:]]
    light = np.ones(n_samples, dtype=bool)
    light[heavy] = False
    spread = spread_rows(n_samples)
    spread = np.unique(spread[light[spread]])
    factor = spread_factor(sample_weight[light].sum(), sample_weight[spread].sum())
    if factor is None:
        return None
    rows = np.concatenate([heavy, spread])
    weights = np.concatenate([sample_weight[heavy], factor * sample_weight[spread]])
    return rows, weights


def largest_gram_eigenvalue(X, sample_weight, fit_intercept, preconditioner, row_curvatures=None):
    """Power-iteration estimate of lambda_max(A^T W A / sum(w)), A = [(X - mu) / sigma, 1].

    ``row_curvatures`` (the rows' ``||a_i||^2``, computed when not given)
    decide which rows a large ``X`` is estimated from (``_eigenvalue_rows``).
    """
    if is_dask_array(X):  # the same Gram matrix, summed where the chunks live
        from ._dask import eigenvalue_gram  # noqa: PLC0415 - dask is optional

        gram = eigenvalue_gram(X, sample_weight, fit_intercept, preconditioner)
        if not fit_intercept:
            gram = np.ascontiguousarray(gram[:-1, :-1])
        return power_iteration(gram.__matmul__, gram.shape[0], X.dtype, N_POWER_ITERATIONS)
    shift, _, inverse_scale = preconditioner
    if X.shape[0] > MAX_ROWS_FOR_EIGENVALUE:
        if row_curvatures is None:
            row_curvatures = solver_row_norms(X, preconditioner) + float(fit_intercept)
        subset = _eigenvalue_rows(row_curvatures, np.asarray(sample_weight))
        if subset is not None:
            rows, sample_weight = subset
            X = X[rows]
    weights = sample_weight / sample_weight.sum()
    n_features = X.shape[1]
    weights = weights.astype(X.dtype)
    inverse_scale = inverse_scale.astype(X.dtype, copy=False)
    offset = (shift * inverse_scale).astype(X.dtype) if np.any(shift) else None

    def gram_times(vector):
        # A v = X (v / sigma) - (mu / sigma) . v [+ v_b], then A^T diag(w) (A v)
        projected = X @ (vector[:n_features] * inverse_scale)
        if offset is not None:
            projected -= offset @ vector[:n_features]
        if fit_intercept:
            projected += vector[-1]
        weighted = weights * projected
        image = np.empty_like(vector)
        total = weighted.sum()
        image[:n_features] = X.T @ weighted
        image[:n_features] *= inverse_scale
        if offset is not None:
            image[:n_features] -= offset * total
        if fit_intercept:
            image[-1] = total
        return image

    return power_iteration(gram_times, n_features + int(fit_intercept), X.dtype,
                           N_POWER_ITERATIONS)  # fmt: skip


def power_iteration(apply, size, dtype, n_iterations):
    """Estimate of the largest eigenvalue of the PSD map ``apply`` (from below).

    A fixed random start keeps the estimate independent of random_state and is
    not orthogonal to the top eigenvector (a vector of ones is, when every row
    of X sums to zero). Vectors in X's dtype: a float64 vector would make numpy
    copy float32 X.
    """
    vector = np.random.RandomState(0).normal(size=size).astype(dtype)
    eigenvalue = 0.0
    for _ in range(n_iterations):
        image = apply(vector)
        eigenvalue = float(vector @ image) / float(vector @ vector)
        # Scale by the largest entry, not the 2-norm, whose squares overflow
        # long before the entries do.
        largest = np.max(np.abs(image))
        if largest == 0.0:
            return 0.0
        vector = image / largest
    return eigenvalue


def largest_row_curvature(row_curvatures, sample_weight):
    """max_i (w_i / mean(w)) * ||a_i||^2."""
    return float(np.max(sample_weight / sample_weight.mean() * row_curvatures))


def first_step_lengths(gradient, smoothness):
    """``|g_j| / L`` of the coordinates whose gradient is not zero up to rounding.

    A coordinate whose true gradient is zero (a class whose mean feature
    equals the overall mean, an orthogonal design's other factors) comes out as
    rounding noise, some 1e-17 of the others: it must not set the step.
    """
    magnitude = np.abs(gradient.reshape(-1))
    significant = magnitude > ROUNDING_NOISE * np.max(magnitude, initial=0.0)
    return magnitude[significant] / smoothness


def batch_smoothness(full, per_sample, n_samples, batch):
    """``L_b`` of steps on ``batch`` samples drawn without replacement (Gower et al., 2019)."""
    if is_full_batch(batch, n_samples):
        return full
    return (n_samples * (batch - 1) * full + (n_samples - batch) * per_sample) / (
        batch * (n_samples - 1)
    )


def plain_step(rule, smoothness, beta, full_batch):
    """The step of plain gradient steps (``1 / L``) or of momentum, for smoothness ``L``."""
    if rule in MOMENTUM_RULES and full_batch:
        return 1.0 / ((1.0 - beta) * smoothness)
    return 1.0 / smoothness  # noisy momentum: its long-run step eta must stay safe


def auto_learning_rate(
    rule, X, gradient, sample_weight, batch, loss, n_outputs, l2, beta, beta2, fit_intercept,
    preconditioner, chunked=False, epsilon=1e-8,
):  # fmt: skip
    """Step size for ``learning_rate="auto"`` (see the module docstring).

    ``gradient`` is the objective's gradient where training starts, in the
    solver's coordinates (used by the rules of ``FIRST_GRADIENT_RULES``).
    ``chunked``: ``X`` is a chunk of ``partial_fit``, whose full batches are
    noisy too (momentum takes the noisy form of its step).
    """
    if RULES[rule].automatic_step == MULTIPLIER:
        return 1.0  # Prodigy: eta multiplies the step it estimates
    n_samples = X.shape[0]
    c = curvature_bound(loss, n_outputs)
    # The penalty's curvature in the solver's coordinates is 2 l2 / sigma_j^2.
    penalty = 2.0 * l2 / float(np.min(preconditioner.scale)) ** 2 if l2 else 0.0
    row_curvatures = None  # L_max's (largest_gram_eigenvalue computes its own if it needs them)
    if not (is_full_batch(batch, n_samples) or rule in ADAPTIVE_RULES):
        row_curvatures = solver_row_norms(X, preconditioner) + float(fit_intercept)
    eigenvalue = largest_gram_eigenvalue(X, sample_weight, fit_intercept, preconditioner,
                                         row_curvatures)  # fmt: skip
    full = c * eigenvalue + penalty
    if is_full_batch(batch, n_samples) or rule in ADAPTIVE_RULES:
        smoothness = full
    else:
        per_sample = c * largest_row_curvature(row_curvatures, sample_weight) + penalty
        smoothness = batch_smoothness(full, per_sample, n_samples, batch)
    if smoothness <= 0.0:
        return 1.0  # constant zero data: any step leaves the objective unchanged
    if rule in PLAIN_STEP_RULES:
        return plain_step(rule, smoothness, beta, is_full_batch(batch, n_samples) and not chunked)
    first_step = first_step_lengths(gradient, smoothness)
    if first_step.size == 0:
        return 1.0  # zero gradient: already at the optimum
    automatic_step = RULES[rule].automatic_step
    if automatic_step == UNCORRECTED_LENGTH:
        # Without bias correction its first step is eta / sqrt(1 - beta2) long.
        return float(np.max(first_step)) * np.sqrt(1.0 - beta2)
    length = float(np.median(first_step))  # Adam, AdaMax, AMSGrad, NAdam, Schedule-Free AdamW
    if automatic_step == UNIT_FREE_LENGTH:
        # AdaDelta's first step per unit of eta: g sqrt(eps) / sqrt((1 - beta2) g^2 + eps)
        g = first_step * smoothness
        unit_step = g * np.sqrt(epsilon) / np.sqrt((1.0 - beta2) * g * g + epsilon)
        return length / float(np.median(unit_step))
    if automatic_step == ACCUMULATED_LENGTH:
        return length * float(np.sqrt(accumulated_steps(n_samples, batch, chunked)))
    return length


def accumulated_steps(n_samples, batch, chunked):
    """Steps over which AdaGrad's steps, ``eta / sqrt(t)`` long, stay at least Adam's first."""
    if is_full_batch(batch, n_samples) and not chunked:
        return FULL_BATCH_LENGTH_STEPS
    return FULL_LENGTH_EPOCHS * -(-n_samples // batch)

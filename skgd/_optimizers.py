"""Update rules and the presets that pair a rule with a batching.

Each rule is one compiled function that steps a single coordinate ``theta``,
given its gradient ``g`` of the objective on the current batch and its moments,
and returns the new values; the epochs apply it coordinate by coordinate. A
rule's ``*_step`` function is the same step with the signature every rule
shares, which the compiled passes take as an argument. Adding a rule: its
``*_coordinate`` formula and ``*_step``, its number and preset below, and its
line in ``_epoch.step_parameters``. The symbols follow the formulas in the
docstrings:
``alpha`` is the step size (the estimators' ``learning_rate``), ``beta`` the
first-moment decay, ``beta2`` the second-moment decay, ``epsilon`` the
denominator guard and ``t`` the 1-based number of the step being taken.
"""

import math

from scipy import sparse

from ._jit import njit

GRADIENT_DESCENT = 0
MOMENTUM = 1
RMSPROP = 2
ADAM = 3
NESTEROV = 4
ADAMAX = 5

# Batching of a preset: every sample per step, one sample per step, or
# ``batch_size`` samples per step. ``batch_size >= n_samples`` is a full batch.
FULL_BATCH = "full"
ONE_SAMPLE = "one"
MINI_BATCH = "batch_size"

#: optimizer name -> (update rule, batching)
PRESETS = {
    "batch": (GRADIENT_DESCENT, FULL_BATCH),
    "sgd": (GRADIENT_DESCENT, ONE_SAMPLE),
    "minibatch": (GRADIENT_DESCENT, MINI_BATCH),
    "momentum": (MOMENTUM, MINI_BATCH),
    "rmsprop": (RMSPROP, MINI_BATCH),
    "adam": (ADAM, MINI_BATCH),
    "nesterov": (NESTEROV, MINI_BATCH),
    "adamax": (ADAMAX, MINI_BATCH),
}

#: rules whose step length does not scale with the gradient
ADAPTIVE_RULES = (RMSPROP, ADAM, ADAMAX)
#: rules with a velocity (``first_moment``) and the steps of plain gradient descent
MOMENTUM_RULES = (MOMENTUM, NESTEROV)
#: rules whose step is the gradient times the step size (its automatic value ``1 / L``)
PLAIN_STEP_RULES = (GRADIENT_DESCENT, *MOMENTUM_RULES)
#: rules whose steps on sparse input touch the batch's non-zeros only (``_sparse_epoch``)
SPARSE_RULES = (GRADIENT_DESCENT, MOMENTUM, NESTEROV)


def is_full_batch(batch, n_samples):
    """Whether steps of ``batch`` samples cover all ``n_samples``: deterministic steps."""
    return batch >= n_samples


DEFAULT_BATCH_SIZE = 32


def samples_per_step(optimizer, batch_size, X):
    """Number of samples each step of ``optimizer`` averages its gradient over, on ``X``.

    ``batch_size="auto"`` is 32, except for rules without a just-in-time
    sparse epoch (``SPARSE_RULES``) on sparse input: their exact steps move
    every coordinate, so a step costs ``n_features``
    however few non-zeros its batch has; there a batch holds about as many
    non-zeros as there are features, so that the pass over the parameters
    costs no more than reading the batch.
    """
    n_samples = X.shape[0]
    rule, batching = PRESETS[optimizer]
    if batching == FULL_BATCH:
        return n_samples
    if batching == ONE_SAMPLE:
        return 1
    if batch_size == "auto":
        batch_size = DEFAULT_BATCH_SIZE
        if rule not in SPARSE_RULES and sparse.issparse(X) and X.nnz > 0:
            batch_size = max(batch_size, math.ceil(X.shape[1] * n_samples / X.nnz))
    return min(batch_size, n_samples)


# Each rule is written once, for one coordinate: the epoch's fused pass over
# the parameters (``_epoch.step_parameters``) and the sparse epoch's
# just-in-time updates (``_sparse_epoch``) both call these.
@njit(cache=True, inline="always")
def gradient_descent_coordinate(theta, g, alpha):
    """``theta - alpha * g``."""
    return theta - alpha * g


@njit(cache=True, inline="always")
def momentum_coordinate(theta, v, g, alpha, beta):
    """``v = beta * v + (1 - beta) * g ; theta = theta - alpha * v``: the new ``(theta, v)``."""
    v = beta * v + (1.0 - beta) * g
    return theta - alpha * v, v


@njit(cache=True, inline="always")
def rmsprop_coordinate(theta, s, g, alpha, beta2, epsilon):
    """``s = beta2 * s + (1 - beta2) * g^2 ; theta = theta - alpha * g / (sqrt(s) + epsilon)``."""
    s = beta2 * s + (1.0 - beta2) * g * g
    return theta - alpha * g / (math.sqrt(s) + epsilon), s


@njit(cache=True, inline="always")
def adam_coordinate(theta, m, s, g, alpha, beta, beta2, epsilon, m_correction, s_correction):
    """Adam with bias correction (Kingma & Ba, 2015): the new ``(theta, m, s)``.

    ``m = beta * m + (1 - beta) * g ; s = beta2 * s + (1 - beta2) * g^2 ;
    m_hat = m / (1 - beta^t) ; s_hat = s / (1 - beta2^t) ;
    theta = theta - alpha * m_hat / (sqrt(s_hat) + epsilon)``, with
    ``m_correction = 1 - beta^t`` and ``s_correction = 1 - beta2^t``.
    """
    m = beta * m + (1.0 - beta) * g
    s = beta2 * s + (1.0 - beta2) * g * g
    m_hat = m / m_correction
    s_hat = s / s_correction
    return theta - alpha * m_hat / (math.sqrt(s_hat) + epsilon), m, s


@njit(cache=True, inline="always")
def nesterov_coordinate(theta, v, g, alpha, beta):
    """NAG in the seeds' EMA form, look-ahead: the new ``(theta, v)``.

    ``v = beta * v + (1 - beta) * g ; theta = theta - alpha * (beta * v + (1 - beta) * g)``.
    """
    v = beta * v + (1.0 - beta) * g
    return theta - alpha * (beta * v + (1.0 - beta) * g), v


@njit(cache=True, inline="always")
def velocity_coordinate(theta, v, g, alpha, beta, nesterov):
    """Momentum's step, or with ``nesterov`` its look-ahead form: the new ``(theta, v)``."""
    if nesterov:
        return nesterov_coordinate(theta, v, g, alpha, beta)
    return momentum_coordinate(theta, v, g, alpha, beta)


@njit(cache=True, inline="always")
def adamax_coordinate(theta, m, u, g, alpha, beta, beta2, epsilon, m_correction):
    """AdaMax (Kingma & Ba, 2015, section 7.1; ``torch.optim.Adamax``): the new ``(theta, m, u)``.

    ``m = beta * m + (1 - beta) * g ; u = max(beta2 * u, |g| + epsilon) ;
    theta = theta - alpha / (1 - beta^t) * m / u``, with ``m_correction = 1 - beta^t``.
    """
    m = beta * m + (1.0 - beta) * g
    u = max(beta2 * u, abs(g) + epsilon)
    return theta - alpha / m_correction * m / u, m, u


@njit(cache=True, inline="always")
def bias_corrections(rule, t, beta, beta2):
    """``(1 - beta^t, 1 - beta2^t)`` of step ``t``; 1 where a rule has none."""
    if rule == ADAM or rule == ADAMAX:
        return 1.0 - beta**t, 1.0 - beta2**t
    return 1.0, 1.0


# The rules as the compiled passes take them: one signature for all,
# ``step(theta, first, second, g, alpha, beta, beta2, epsilon, corrections)``
# returning the new ``(theta, first, second)``. A pass receives the step as an
# argument (``_epoch.step_parameters``), so each pass compiles its own rule
# only: an ``if`` chain on the rule's number inside it compiled every rule
# into every copy (two rules more made a first fit's compilation 4 s longer).
@njit(cache=True, inline="always")
def gradient_descent_step(theta, first, second, g, alpha, beta, beta2, epsilon, corrections):
    return gradient_descent_coordinate(theta, g, alpha), first, second


@njit(cache=True, inline="always")
def momentum_step(theta, first, second, g, alpha, beta, beta2, epsilon, corrections):
    theta, first = momentum_coordinate(theta, first, g, alpha, beta)
    return theta, first, second


@njit(cache=True, inline="always")
def rmsprop_step(theta, first, second, g, alpha, beta, beta2, epsilon, corrections):
    theta, second = rmsprop_coordinate(theta, second, g, alpha, beta2, epsilon)
    return theta, first, second


@njit(cache=True, inline="always")
def adam_step(theta, first, second, g, alpha, beta, beta2, epsilon, corrections):
    m_correction, s_correction = corrections
    return adam_coordinate(theta, first, second, g, alpha, beta, beta2, epsilon, m_correction,
                           s_correction)  # fmt: skip


@njit(cache=True, inline="always")
def nesterov_step(theta, first, second, g, alpha, beta, beta2, epsilon, corrections):
    theta, first = nesterov_coordinate(theta, first, g, alpha, beta)
    return theta, first, second


@njit(cache=True, inline="always")
def adamax_step(theta, first, second, g, alpha, beta, beta2, epsilon, corrections):
    return adamax_coordinate(theta, first, second, g, alpha, beta, beta2, epsilon, corrections[0])

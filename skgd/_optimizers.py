"""Update rules and the presets that pair a rule with a batching.

Each rule is one compiled function that applies a single step to the flat
parameter vector ``theta`` in place, given the gradient ``g`` of the objective
on the current batch. The symbols follow the formulas in the docstrings:
``alpha`` is the step size (the estimators' ``learning_rate``), ``beta`` the
first-moment decay, ``beta2`` the second-moment decay, ``epsilon`` the
denominator guard and ``t`` the 1-based number of the step being taken.
"""

import math

from numba import njit

GRADIENT_DESCENT = 0
MOMENTUM = 1
RMSPROP = 2
ADAM = 3

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
}

#: rules whose step length does not scale with the gradient
ADAPTIVE_RULES = (RMSPROP, ADAM)


def is_full_batch(batch, n_samples):
    """Whether steps of ``batch`` samples cover all ``n_samples``: deterministic steps."""
    return batch >= n_samples


def samples_per_step(optimizer, batch_size, n_samples):
    """Number of samples each step of ``optimizer`` averages its gradient over."""
    batching = PRESETS[optimizer][1]
    if batching == FULL_BATCH:
        return n_samples
    if batching == ONE_SAMPLE:
        return 1
    return min(batch_size, n_samples)


# The plain and momentum rules of one coordinate: the vector steps below and
# the sparse epoch's just-in-time updates (``_sparse_epoch``) both use them.
@njit(cache=True, inline="always")
def gradient_descent_coordinate(theta, g, alpha):
    """``theta - alpha * g``."""
    return theta - alpha * g


@njit(cache=True, inline="always")
def momentum_coordinate(theta, v, g, alpha, beta):
    """``v = beta * v + (1 - beta) * g ; theta = theta - alpha * v``: the new ``(theta, v)``."""
    v = beta * v + (1.0 - beta) * g
    return theta - alpha * v, v


@njit(cache=True)
def gradient_descent_step(theta, g, alpha):
    """``theta = theta - alpha * g``."""
    for j in range(theta.shape[0]):
        theta[j] = gradient_descent_coordinate(theta[j], g[j], alpha)


@njit(cache=True)
def momentum_step(theta, g, v, alpha, beta):
    """``v = beta * v + (1 - beta) * g ; theta = theta - alpha * v``."""
    for j in range(theta.shape[0]):
        theta[j], v[j] = momentum_coordinate(theta[j], v[j], g[j], alpha, beta)


@njit(cache=True)
def rmsprop_step(theta, g, s, alpha, beta2, epsilon):
    """``s = beta2 * s + (1 - beta2) * g^2 ; theta = theta - alpha * g / (sqrt(s) + epsilon)``."""
    for j in range(theta.shape[0]):
        s[j] = beta2 * s[j] + (1.0 - beta2) * g[j] * g[j]
        theta[j] -= alpha * g[j] / (math.sqrt(s[j]) + epsilon)


@njit(cache=True)
def adam_step(theta, g, m, s, t, alpha, beta, beta2, epsilon):
    """Adam with bias correction (Kingma & Ba, 2015).

    ``m = beta * m + (1 - beta) * g ; s = beta2 * s + (1 - beta2) * g^2 ;
    m_hat = m / (1 - beta^t) ; s_hat = s / (1 - beta2^t) ;
    theta = theta - alpha * m_hat / (sqrt(s_hat) + epsilon)``.
    """
    m_correction = 1.0 - beta**t
    s_correction = 1.0 - beta2**t
    for j in range(theta.shape[0]):
        m[j] = beta * m[j] + (1.0 - beta) * g[j]
        s[j] = beta2 * s[j] + (1.0 - beta2) * g[j] * g[j]
        m_hat = m[j] / m_correction
        s_hat = s[j] / s_correction
        theta[j] -= alpha * m_hat / (math.sqrt(s_hat) + epsilon)


@njit(cache=True)
def apply_rule(rule, theta, g, first_moment, second_moment, t, alpha, beta, beta2, epsilon):
    """Take step ``t`` of the rule numbered ``rule`` (one of the constants above)."""
    if rule == GRADIENT_DESCENT:
        gradient_descent_step(theta, g, alpha)
    elif rule == MOMENTUM:
        momentum_step(theta, g, first_moment, alpha, beta)
    elif rule == RMSPROP:
        rmsprop_step(theta, g, second_moment, alpha, beta2, epsilon)
    else:
        adam_step(theta, g, first_moment, second_moment, t, alpha, beta, beta2, epsilon)

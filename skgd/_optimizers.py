"""Update rules and the presets that pair a rule with a batching.

A rule is one small unit of this module: its number, its line in ``RULES``
(the state it keeps, how ``learning_rate="auto"`` picks its step, whether the
sparse epoch runs it just in time) and its compiled ``*_step`` function, whose
docstring gives its formula with the code's symbols. ``with_rule`` maps a
rule's number to its step for the compiled pass over the parameters. Adding a
rule: its number, its ``*_step``, its line in ``RULES`` and in ``with_rule``,
and its preset in ``PRESETS``; no other module's code changes, unless the rule
needs a new kind of automatic step (``_step_size``) or a just-in-time sparse
epoch (``_sparse_epoch``).

Every step has the same signature, ``step(theta, g, state, k, j, eta, h)``:
it returns the new value of the coordinate ``theta`` (output ``k``, parameter
``j``) given ``g``, its gradient of the objective on the current batch, and
updates the rule's own entries ``state[:, k, j]`` (``state`` holds one array
per name in the rule's ``RULES`` line, zero before the first step). The
symbols follow the formulas: ``eta`` is the step size (the estimators'
``learning_rate``); ``h`` the step's ``Constants``: ``beta`` the first-moment
decay, ``beta2`` the second-moment decay, ``epsilon`` the denominator guard,
the bias corrections of the 1-based step number ``t``, ``1 / t``, and
Prodigy's ``d`` and ``d_next``.

Most rules step the model itself: ``theta`` is the model (in the solver's
coordinates). A rule whose ``RULES`` line names a ``model`` array (Schedule-Free)
takes its gradients at ``theta`` but reports another point, that state array;
its arrays named in ``start`` begin at the parameters instead of zero
(``start_state``).

A rule whose step shares a quantity reduced over every coordinate (Prodigy's
estimate ``d``) also has an ``*_estimate(theta, gradient_at, arguments, state,
eta, h)``, run once before the pass over the parameters: it reads the step's
gradient through ``gradient_at(arguments, k, j)`` (the pass's own solver
gradient of coordinate ``(k, j)``), updates its state and returns the step's
``Constants`` with its estimate; ``with_rule`` hands it to the pass with the
step. The other rules estimate nothing (``no_estimate``), which compiles away.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy import sparse

from ._jit import njit

GRADIENT_DESCENT = 0
MOMENTUM = 1
RMSPROP = 2
ADAM = 3
NESTEROV = 4
ADAMAX = 5
ADAGRAD = 6
AMSGRAD = 7
ADADELTA = 8
SCHEDULE_FREE_SGD = 9
NADAM = 10
PRODIGY = 11
SCHEDULE_FREE_ADAMW = 12

# How learning_rate="auto" picks a rule's step (``_step_size``): 1 / L for plain
# gradient steps; momentum's; a length for the steps that move every coordinate
# by about eta whatever the gradient's scale (the median first step; RMSprop's
# without bias correction); a length spread over the fit for AdaGrad, whose
# steps shrink as its sums of squares grow; a factor for AdaDelta, whose step has
# no unit of length (its first is about sqrt(epsilon / (1 - beta2)) per unit of eta);
# a multiplier, 1, for Prodigy, which estimates its step's length itself.
PLAIN, VELOCITY, LENGTH, UNCORRECTED_LENGTH, ACCUMULATED_LENGTH, UNIT_FREE_LENGTH, MULTIPLIER = (
    "plain", "velocity", "length", "uncorrected length", "accumulated length",
    "unit-free length", "multiplier",
)  # fmt: skip


class Rule(NamedTuple):
    """What the estimator needs to know of an update rule besides its step.

    ``state``: names of the arrays the rule keeps per coordinate (the symbols of
    its formula), in the order of ``state[i]``. ``automatic_step``: how
    ``learning_rate="auto"`` picks its step (``_step_size``). ``sparse_epoch``:
    whether sparse input runs it just in time (``_sparse_epoch``), touching
    only the batch's non-zeros. ``model``: the name of the state array that
    is the model the estimator reports (``coef_``, predictions, the stopping
    rule's checks), or None when the model is the iterate ``theta`` where the
    gradients are taken. ``start``: names of the state arrays that start at
    the parameters where the fit starts, rather than at zero (``start_state``).
    ``stability_limit``: for rules whose steps scale the gradient by
    ``effective_steps``, a function of ``beta`` that bounds the largest
    eigenvalue of ``D^(1/2) H D^(1/2)`` (``D`` those steps, ``H`` the
    objective's Hessian) below which its steps on a quadratic are stable; None
    when full-batch fits need not watch it (``_stopping``).
    """

    state: tuple
    automatic_step: str
    sparse_epoch: bool = False
    model: str | None = None
    start: tuple = ()
    stability_limit: object = None


def nadam_stability_limit(beta):
    """NAdam's steps on a quadratic of curvature ``lambda`` with a fixed ``s``: stable below this.

    With ``a`` the step ``effective_steps`` gives, ``k = a * lambda * (1 - beta)``
    and ``(u, m)`` the coordinate and its moment (bias corrections near 1), a step
    is linear with trace ``(1 + beta) (1 - k)`` and determinant ``beta (1 - k)``:
    its eigenvalues stay inside the unit circle while
    ``k < 2 (1 + beta) / (1 + 2 beta)``. Near ``k = 1`` both are close to zero, so
    the stiffest direction is damped to rounding noise before ``s``, which
    forgets the larger gradients of the start, lets ``a`` cross this limit; its
    growth then starts from that noise.
    """
    return 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * (1.0 - beta))


def schedule_free_stability_limit(beta):
    """Schedule-Free AdamW on a quadratic of curvature ``lambda`` with a fixed ``s``: stable below.

    With ``a`` the step ``effective_steps`` gives and the optimum at 0, ``z``
    steps by ``a * lambda * y`` with ``y = beta * x + (1 - beta) * z``, while
    its mean ``x`` moves by ``1 / t`` of the way: late in a fit ``x`` is all
    but fixed and ``z`` is multiplied by ``1 - a * lambda * (1 - beta)`` per
    step, which stays inside the unit circle while
    ``a * lambda * (1 - beta) < 2``. As the gradient vanishes ``s`` forgets the
    larger gradients of the start and lets ``a`` grow to that edge, where ``z``
    oscillates without decaying.
    """
    return 2.0 / (1.0 - beta)


#: rule -> its state, automatic step, sparse epoch, model and starting arrays
RULES = {
    GRADIENT_DESCENT: Rule((), PLAIN, sparse_epoch=True),
    MOMENTUM: Rule(("v",), VELOCITY, sparse_epoch=True),
    RMSPROP: Rule(("s",), UNCORRECTED_LENGTH),
    ADAM: Rule(("m", "s"), LENGTH),
    NESTEROV: Rule(("v",), VELOCITY, sparse_epoch=True),
    ADAMAX: Rule(("m", "u"), LENGTH),
    ADAGRAD: Rule(("s",), ACCUMULATED_LENGTH),
    AMSGRAD: Rule(("m", "s", "s_max"), LENGTH),
    ADADELTA: Rule(("s", "u"), UNIT_FREE_LENGTH),
    NADAM: Rule(("m", "s"), LENGTH, stability_limit=nadam_stability_limit),
    # Schedule-Free: gradients at theta = y, the model is the average x; every
    # step moves every coordinate (y mixes x and z), so no just-in-time sparse epoch.
    SCHEDULE_FREE_SGD: Rule(("z", "x"), PLAIN, model="x", start=("z", "x")),
    # Prodigy: x0 is where the fit starts; its global d and r, two numbers, are
    # the first two entries of the last array (see prodigy_estimate).
    PRODIGY: Rule(("m", "v", "s", "x0", "d, r"), MULTIPLIER, start=("x0",)),
    SCHEDULE_FREE_ADAMW: Rule(
        ("z", "x", "s"),
        LENGTH,
        model="x",
        start=("z", "x"),
        stability_limit=schedule_free_stability_limit,
    ),
}

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
    "adagrad": (ADAGRAD, MINI_BATCH),
    "amsgrad": (AMSGRAD, MINI_BATCH),
    "adadelta": (ADADELTA, MINI_BATCH),
    "schedule_free_sgd": (SCHEDULE_FREE_SGD, MINI_BATCH),
    "nadam": (NADAM, MINI_BATCH),
    "prodigy": (PRODIGY, MINI_BATCH),
    "schedule_free_adamw": (SCHEDULE_FREE_ADAMW, MINI_BATCH),
}


def _rules_where(condition):
    return tuple(number for number, rule in RULES.items() if condition(rule))


#: rules whose step length does not scale with the gradient
ADAPTIVE_RULES = _rules_where(lambda rule: rule.automatic_step not in (PLAIN, VELOCITY))
#: rules whose automatic step is read off the objective's gradient where the fit starts
FIRST_GRADIENT_RULES = _rules_where(
    lambda rule: rule.automatic_step not in (PLAIN, VELOCITY, MULTIPLIER)
)
#: rules with a velocity (``state[0]``) and the steps of plain gradient descent
MOMENTUM_RULES = _rules_where(lambda rule: rule.automatic_step == VELOCITY)
#: rules whose step is the gradient times the step size (its automatic value ``1 / L``)
PLAIN_STEP_RULES = _rules_where(lambda rule: rule.automatic_step in (PLAIN, VELOCITY))
#: rules whose steps on sparse input touch the batch's non-zeros only (``_sparse_epoch``)
SPARSE_RULES = _rules_where(lambda rule: rule.sparse_epoch)
#: rules whose model is one of their state arrays, not the iterate (``Rule.model``)
MODEL_IN_STATE_RULES = _rules_where(lambda rule: rule.model is not None)
#: rules whose full-batch steps the adaptive schedule keeps stable (``Rule.stability_limit``)
STABILITY_LIMITED_RULES = _rules_where(lambda rule: rule.stability_limit is not None)


def state_size(optimizer):
    """Number of arrays of the size of the parameters that ``optimizer``'s rule keeps."""
    return len(RULES[PRESETS[optimizer][0]].state)


def start_state(rule, state, theta):
    """Set the arrays of ``rule``'s ``start`` to ``theta``: where its fit starts (or restarts).

    ``state`` has shape (len(state), *theta.shape); its other arrays are left as they are
    (zero for a new fit, the moments so far for a warm start from a model a user set).
    """
    names = RULES[rule].state
    for name in RULES[rule].start:
        state[names.index(name)] = theta


def reported_point(rule, theta, state):
    """The model of ``rule`` in the solver's coordinates: ``theta``, or its ``model`` array."""
    name = RULES[rule].model
    return theta if name is None else state[RULES[rule].state.index(name)]


def effective_steps(rule, state, eta, t, beta2, epsilon):
    """The step each coordinate's gradient is scaled by, ``eta / (sqrt(s_hat) + epsilon)``.

    ``s_hat = s / (1 - beta2^t)``, for the rules with a ``stability_limit``,
    whose ``state`` holds ``s``.
    """
    s = state[RULES[rule].state.index("s")]
    return eta / (np.sqrt(s / (1.0 - beta2**t)) + epsilon)


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


class Constants(NamedTuple):
    """The hyper-parameters of step ``t`` that every coordinate shares.

    The powers are taken once per step, not once per coordinate.
    """

    beta: float
    beta2: float
    epsilon: float
    m_correction: float  # 1 - beta^t
    s_correction: float  # 1 - beta2^t
    average_weight: float  # 1 / t
    next_m_correction: float  # 1 - beta^(t + 1)
    d: float  # Prodigy's estimate before the step (prodigy_estimate); 1 for the other rules
    d_next: float  # and after it


@njit(cache=True, inline="always")
def step_constants(t, beta, beta2, epsilon):
    """``Constants`` of the 1-based step ``t``."""
    return Constants(beta, beta2, epsilon, 1.0 - beta**t, 1.0 - beta2**t, 1.0 / t,
                     1.0 - beta ** (t + 1), 1.0, 1.0)  # fmt: skip


# The plain and velocity rules are also written for one coordinate's scalars:
# the sparse epoch's just-in-time updates (``_sparse_epoch``, ``_idle_steps``)
# take them without a state array.
@njit(cache=True, inline="always")
def gradient_descent_coordinate(theta, g, eta):
    """``theta - eta * g``."""
    return theta - eta * g


@njit(cache=True, inline="always")
def momentum_coordinate(theta, v, g, eta, beta):
    """``v = beta * v + (1 - beta) * g ; theta = theta - eta * v``: the new ``(theta, v)``."""
    v = beta * v + (1.0 - beta) * g
    return theta - eta * v, v


@njit(cache=True, inline="always")
def nesterov_coordinate(theta, v, g, eta, beta):
    """NAG in the EMA form, look-ahead: the new ``(theta, v)``.

    ``v = beta * v + (1 - beta) * g ; theta = theta - eta * (beta * v + (1 - beta) * g)``.
    """
    v = beta * v + (1.0 - beta) * g
    return theta - eta * (beta * v + (1.0 - beta) * g), v


@njit(cache=True, inline="always")
def velocity_coordinate(theta, v, g, eta, beta, nesterov):
    """Momentum's step, or with ``nesterov`` its look-ahead form: the new ``(theta, v)``."""
    if nesterov:
        return nesterov_coordinate(theta, v, g, eta, beta)
    return momentum_coordinate(theta, v, g, eta, beta)


# The steps, one per rule, with the signature of the module docstring.
@njit(cache=True, inline="always")
def gradient_descent_step(theta, g, state, k, j, eta, h):
    """Gradient descent: ``theta = theta - eta * g``."""
    return gradient_descent_coordinate(theta, g, eta)


@njit(cache=True, inline="always")
def momentum_step(theta, g, state, k, j, eta, h):
    """Momentum (``momentum_coordinate``); ``state`` holds ``v``."""
    theta, v = momentum_coordinate(theta, state[0, k, j], g, eta, h.beta)
    state[0, k, j] = v
    return theta


@njit(cache=True, inline="always")
def nesterov_step(theta, g, state, k, j, eta, h):
    """Nesterov's look-ahead momentum (``nesterov_coordinate``); ``state`` holds ``v``."""
    theta, v = nesterov_coordinate(theta, state[0, k, j], g, eta, h.beta)
    state[0, k, j] = v
    return theta


@njit(cache=True, inline="always")
def rmsprop_step(theta, g, state, k, j, eta, h):
    """RMSprop (Tieleman & Hinton, 2012).

    ``s = beta2 * s + (1 - beta2) * g^2 ; theta = theta - eta * g / (sqrt(s) + epsilon)``.
    """
    s = h.beta2 * state[0, k, j] + (1.0 - h.beta2) * g * g
    state[0, k, j] = s
    return theta - eta * g / (math.sqrt(s) + h.epsilon)


@njit(cache=True, inline="always")
def adam_step(theta, g, state, k, j, eta, h):
    """Adam with bias correction (Kingma & Ba, 2015).

    ``m = beta * m + (1 - beta) * g ; s = beta2 * s + (1 - beta2) * g^2 ;
    m_hat = m / (1 - beta^t) ; s_hat = s / (1 - beta2^t) ;
    theta = theta - eta * m_hat / (sqrt(s_hat) + epsilon)``.
    """
    m = h.beta * state[0, k, j] + (1.0 - h.beta) * g
    s = h.beta2 * state[1, k, j] + (1.0 - h.beta2) * g * g
    state[0, k, j], state[1, k, j] = m, s
    m_hat = m / h.m_correction
    s_hat = s / h.s_correction
    return theta - eta * m_hat / (math.sqrt(s_hat) + h.epsilon)


@njit(cache=True, inline="always")
def adamax_step(theta, g, state, k, j, eta, h):
    """AdaMax (Kingma & Ba, 2015, section 7.1; ``torch.optim.Adamax``).

    ``m = beta * m + (1 - beta) * g ; u = max(beta2 * u, |g| + epsilon) ;
    theta = theta - eta / (1 - beta^t) * m / u``.
    """
    m = h.beta * state[0, k, j] + (1.0 - h.beta) * g
    u = max(h.beta2 * state[1, k, j], abs(g) + h.epsilon)
    state[0, k, j], state[1, k, j] = m, u
    return theta - eta / h.m_correction * m / u


@njit(cache=True, inline="always")
def adagrad_step(theta, g, state, k, j, eta, h):
    """AdaGrad (Duchi, Hazan & Singer, 2011; ``torch.optim.Adagrad``).

    ``s = s + g^2 ; theta = theta - eta * g / (sqrt(s) + epsilon)``.
    """
    s = state[0, k, j] + g * g
    state[0, k, j] = s
    return theta - eta * g / (math.sqrt(s) + h.epsilon)


@njit(cache=True, inline="always")
def amsgrad_step(theta, g, state, k, j, eta, h):
    """AMSGrad (Reddi, Kale & Kumar, 2018; ``torch.optim.Adam(amsgrad=True)``).

    ``m = beta * m + (1 - beta) * g ; s = beta2 * s + (1 - beta2) * g^2 ;
    s_max = max(s_max, s) ;
    theta = theta - eta * (m / (1 - beta^t)) / (sqrt(s_max / (1 - beta2^t)) + epsilon)``.
    """
    m = h.beta * state[0, k, j] + (1.0 - h.beta) * g
    s = h.beta2 * state[1, k, j] + (1.0 - h.beta2) * g * g
    s_max = max(state[2, k, j], s)
    state[0, k, j], state[1, k, j], state[2, k, j] = m, s, s_max
    return theta - eta * (m / h.m_correction) / (math.sqrt(s_max / h.s_correction) + h.epsilon)


@njit(cache=True, inline="always")
def adadelta_step(theta, g, state, k, j, eta, h):
    """AdaDelta (Zeiler, 2012; ``torch.optim.Adadelta`` with ``rho = beta2``).

    ``s = beta2 * s + (1 - beta2) * g^2 ; delta = g * sqrt(u + epsilon) / sqrt(s + epsilon) ;
    u = beta2 * u + (1 - beta2) * delta^2 ; theta = theta - eta * delta``.
    """
    s = h.beta2 * state[0, k, j] + (1.0 - h.beta2) * g * g
    delta = g * math.sqrt(state[1, k, j] + h.epsilon) / math.sqrt(s + h.epsilon)
    u = h.beta2 * state[1, k, j] + (1.0 - h.beta2) * delta * delta
    state[0, k, j], state[1, k, j] = s, u
    return theta - eta * delta


@njit(cache=True, inline="always")
def nadam_step(theta, g, state, k, j, eta, h):
    """NAdam (Dozat, 2016), as optax's ``nadam``: Adam with a look-ahead first moment.

    ``m = beta * m + (1 - beta) * g ; s = beta2 * s + (1 - beta2) * g^2 ;
    m_bar = beta * m / (1 - beta^(t+1)) + (1 - beta) * g / (1 - beta^t) ;
    theta = theta - eta * m_bar / (sqrt(s / (1 - beta2^t)) + epsilon)``.
    """
    m = h.beta * state[0, k, j] + (1.0 - h.beta) * g
    s = h.beta2 * state[1, k, j] + (1.0 - h.beta2) * g * g
    state[0, k, j], state[1, k, j] = m, s
    m_bar = h.beta * m / h.next_m_correction + (1.0 - h.beta) * g / h.m_correction
    return theta - eta * m_bar / (math.sqrt(s / h.s_correction) + h.epsilon)


@njit(cache=True, inline="always")
def schedule_free_average(z, state, k, j, h):
    """Schedule-Free's averaging of the new ``z`` (``state`` holds ``z``, then ``x``): ``y``.

    ``x = (1 - 1/t) * x + (1/t) * z ; y = beta * x + (1 - beta) * z``.
    """
    x = (1.0 - h.average_weight) * state[1, k, j] + h.average_weight * z
    state[0, k, j], state[1, k, j] = z, x
    return h.beta * x + (1.0 - h.beta) * z


@njit(cache=True, inline="always")
def schedule_free_sgd_step(theta, g, state, k, j, eta, h):
    """Schedule-Free SGD (Defazio et al., 2024, ``SGDScheduleFreeReference`` without warm-up).

    ``theta`` is ``y``, where ``g`` is taken; ``state`` holds ``z`` and ``x``, the model:
    ``z = z - eta * g``, then ``schedule_free_average``.
    """
    return schedule_free_average(state[0, k, j] - eta * g, state, k, j, h)


# Prodigy's first estimate of the distance to the optimum, as in ProdigyReference.
PRODIGY_D0 = 1e-6


@njit(cache=True, inline="always")
def prodigy_estimate(theta, gradient_at, arguments, state, eta, h):
    """Prodigy's estimate of ``d`` (Mishchenko & Defazio, 2023): the step's ``Constants``.

    With ``state`` holding ``m, v, s, x0`` and ``(d, r)`` (``d`` 0 before the
    first step, read as ``d0 = 1e-6``), ``beta3 = sqrt(beta2)`` and ``g`` the
    step's gradient, over every coordinate (intercepts included)::

        r = beta3 * r + (1 - beta3) * eta * d^2 * <g, x0 - theta> ;
        s = beta3 * s + (1 - beta3) * eta * d^2 * g ;
        d_next = max(d, r / ||s||_1)

    (``d`` is kept while ``||s||_1 = 0``, when every gradient so far was 0).
    ``ProdigyReference`` adds both terms times ``1 / ((1 - beta3) * d0)``,
    which cancels in ``r / ||s||_1``. ``prodigy_step`` then steps with
    ``d`` and ``d_next``.
    """
    d = max(state[4, 0, 0], PRODIGY_D0)
    beta3 = math.sqrt(h.beta2)
    weight = (1.0 - beta3) * eta * d * d
    inner = 0.0
    s_norm = 0.0
    n_outputs, n_params = theta.shape
    for k in range(n_outputs):
        for j in range(n_params):
            g = gradient_at(arguments, k, j)
            inner += g * (state[3, k, j] - theta[k, j])
            s = beta3 * state[2, k, j] + weight * g
            state[2, k, j] = s
            s_norm += abs(s)
    r = beta3 * state[4, 0, 1] + weight * inner
    d_next = max(d, r / s_norm) if s_norm > 0.0 else d
    state[4, 0, 0], state[4, 0, 1] = d_next, r
    return Constants(h.beta, h.beta2, h.epsilon, h.m_correction, h.s_correction,
                     h.average_weight, h.next_m_correction, d, d_next)  # fmt: skip


@njit(cache=True, inline="always")
def prodigy_step(theta, g, state, k, j, eta, h):
    """Prodigy, Adam's form (Mishchenko & Defazio, 2023, ``ProdigyReference``).

    With ``d`` and ``d_next`` of ``prodigy_estimate`` (no bias correction)::

        m = beta * m + (1 - beta) * d * g ; v = beta2 * v + (1 - beta2) * d^2 * g^2 ;
        theta = theta - eta * d * m / (sqrt(v) + d_next * epsilon)
    """
    m = h.beta * state[0, k, j] + (1.0 - h.beta) * h.d * g
    v = h.beta2 * state[1, k, j] + (1.0 - h.beta2) * h.d * h.d * g * g
    state[0, k, j], state[1, k, j] = m, v
    return theta - eta * h.d * m / (math.sqrt(v) + h.d_next * h.epsilon)


@njit(cache=True, inline="always")
def no_estimate(theta, gradient_at, arguments, state, eta, h):
    """The ``*_estimate`` of a rule whose steps share nothing but ``h``: ``h``."""
    return h


@njit(cache=True, inline="always")
def schedule_free_adamw_step(theta, g, state, k, j, eta, h):
    """Schedule-Free AdamW (Defazio et al., 2024, ``AdamWScheduleFreeReference``, no decay).

    ``theta`` is ``y``, where ``g`` is taken; ``state`` holds ``z``, ``x`` (the model), ``s``:
    ``s = beta2 * s + (1 - beta2) * g^2 ; z = z - eta * g / (sqrt(s / (1 - beta2^t)) + epsilon)``,
    then ``schedule_free_average``.
    """
    s = h.beta2 * state[2, k, j] + (1.0 - h.beta2) * g * g
    state[2, k, j] = s
    z = state[0, k, j] - eta * g / (math.sqrt(s / h.s_correction) + h.epsilon)
    return schedule_free_average(z, state, k, j, h)


# A pass receives its rule's step as an argument, so each copy of the pass
# holds one rule only and is vectorized for it; an ``if`` on the rule inside
# the pass compiled every rule into every copy (two rules more made a first
# fit's compilation 4 s longer). numba types a table of functions indexed by a
# run-time number as its experimental first-class functions (a warning at every
# compilation), hence one line per rule here.
@njit(cache=True, inline="always")
def with_rule(rule, step_pass, arguments):
    """``step_pass(<the rule's step>, arguments[, <the rule's estimate>])``."""
    if rule == GRADIENT_DESCENT:
        return step_pass(gradient_descent_step, arguments)
    if rule == MOMENTUM:
        return step_pass(momentum_step, arguments)
    if rule == RMSPROP:
        return step_pass(rmsprop_step, arguments)
    if rule == ADAM:
        return step_pass(adam_step, arguments)
    if rule == NESTEROV:
        return step_pass(nesterov_step, arguments)
    if rule == ADAMAX:
        return step_pass(adamax_step, arguments)
    if rule == ADAGRAD:
        return step_pass(adagrad_step, arguments)
    if rule == AMSGRAD:
        return step_pass(amsgrad_step, arguments)
    if rule == ADADELTA:
        return step_pass(adadelta_step, arguments)
    if rule == SCHEDULE_FREE_SGD:
        return step_pass(schedule_free_sgd_step, arguments)
    if rule == NADAM:
        return step_pass(nadam_step, arguments)
    if rule == PRODIGY:
        return step_pass(prodigy_step, arguments, prodigy_estimate)
    if rule == SCHEDULE_FREE_ADAMW:
        return step_pass(schedule_free_adamw_step, arguments)
    raise ValueError("a rule of RULES without its line in with_rule")

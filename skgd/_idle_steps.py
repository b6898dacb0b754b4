"""Steps a coordinate takes while no sample touches it, in closed form.

On sparse data most of a batch's gradient is the penalty's alone: a coordinate
``theta`` whose feature is zero in every row of the batch has the gradient
``g = q * theta``, ``q = 2 * l2 / sigma^2`` in the solver's coordinates
(``_precondition``). Its steps are then a linear recurrence with a constant
step ``eta``, and ``n`` of them have a closed form, so the sparse epoch
(``_sparse_epoch``) applies them just in time, when the feature is next read,
as lightning's SAG does, at a cost that does not grow with ``n``. Each
function also returns the two sums over those steps that the epoch needs:

* ``squares``: ``sum_{m=0}^{n-1} theta_m^2``, the coordinate's share in the
  penalty of each step's objective (``theta_m`` is the value before the
  ``(m+1)``-th idle step, ``theta_0`` the value given);
* ``total``: ``sum_{m=1}^{n} theta_m``, its share in the running average
  of the iterates.

Plain steps ``theta = theta - eta * q * theta`` scale by ``rho = 1 - eta q``.
Momentum steps ``v = beta v + (1 - beta) q theta ; theta = theta - eta v``
map ``(v, theta)`` by a 2 x 2 matrix ``M`` with trace ``1 + beta - eta (1 -
beta) q`` and determinant ``beta`` (Nesterov's look-ahead steps by another,
of trace ``1 + beta - eta (1 - beta^2) q`` and determinant
``beta (1 - eta (1 - beta) q)``): with its eigenvalues ``lambda_1 != lambda_2``
(complex when the penalty is strong), ``theta_m = A lambda_1^m + B lambda_2^m``.
Nearly equal eigenvalues would lose digits in ``A`` and ``B``; there the steps
are taken one by one (``momentum_idle_by_steps``), which is the rule itself.
"""

import cmath
import math

from ._jit import njit
from ._optimizers import gradient_descent_coordinate, velocity_coordinate

# Eigenvalues closer than this are taken step by step (with beta = 0.99 they are
# 0.01 apart, and the closed form keeps about 11 digits).
NEARLY_EQUAL = 5e-3


# How a column's idle momentum steps are computed: eigenvalues real, complex,
# or nearly equal (one step at a time).
REAL, COMPLEX, STEPWISE = 0, 1, 2


# Up to this many idle steps, powers and sums are taken by multiplication
# (frequent features are read every few steps); beyond, by one expm1.
SHORT = 8


@njit(cache=True, inline="always")
def powers(x, one_minus_x, log_x, n):
    """``(x^n, sum_{m<n} x^m, 1 - x^n)``, accurate when ``x`` is close to 1.

    ``1 - x^n = (1 - x) sum_{m<n} x^m`` has no cancellation to lose digits
    to; ``log_x = log1p(-one_minus_x)`` (``log_of``) is used when ``x`` is in (0.5, 1).
    """
    if n <= SHORT:
        power, total = 1.0, 0.0
        for _ in range(n):
            total = total * x + 1.0
            power *= x
        return power, total, one_minus_x * total
    if 0.0 < one_minus_x < 0.5:
        e = -math.expm1(n * log_x)
        return 1.0 - e, e / one_minus_x, e
    if one_minus_x == 0.0:
        return 1.0, float(n), 0.0
    power = x**n  # far from 1: nothing to lose
    return power, (1.0 - power) / one_minus_x, 1.0 - power


@njit(cache=True, inline="always")
def log_of(one_minus_x):
    """``log(x)`` where ``powers`` uses it (``x`` in (0.5, 1)), 0 elsewhere."""
    return math.log1p(-one_minus_x) if 0.0 < one_minus_x < 0.5 else 0.0


@njit(cache=True, inline="always")
def plain_idle_factors(one_minus_rho, log_rho, n):
    """``(rho^n, sum_{m<n} rho^(2m), sum_{m=1}^{n} rho^m)`` of ``n`` idle plain steps.

    ``one_minus_rho = eta q``, ``log_rho = log_of(one_minus_rho)``.
    """
    if one_minus_rho == 0.0:
        return 1.0, float(n), float(n)
    rho = 1.0 - one_minus_rho
    rho_n, total, e = powers(rho, one_minus_rho, log_rho, n)
    # sum rho^(2m) = (1 - rho^2n) / (1 - rho^2) = total (2 - e) / (2 - (1 - rho))
    return rho_n, total * (2.0 - e) / (2.0 - one_minus_rho), rho * total


@njit(cache=True, inline="always")
def plain_idle(theta, rho_n, squares, total):
    """Apply ``plain_idle_factors`` to one coordinate: ``(theta_n, squares, total)``."""
    return theta * rho_n, theta * theta * squares, theta * total


@njit(cache=True, inline="always")
def momentum_idle_constants(q, eta, beta, nesterov=False):
    """Of one column: how its idle steps are computed, its eigenvalues and their logarithms.

    Returns ``(kind, lambda_1, lambda_2, 1 - lambda_1, re lambda_1, re lambda_2,
    log_of(re(1 - lambda_1)), log(re lambda_2))``. ``1 - lambda_1`` (about
    ``eta q`` when small) is computed without cancellation from
    ``(1 - lambda_1)(1 - lambda_2) = eta (1 - beta) q``, which holds for
    Nesterov's look-ahead steps too (``nesterov``: trace ``1 + beta - u (1 +
    beta)``, determinant ``beta (1 - u)``, with ``u = eta (1 - beta) q``).
    Scalar arithmetic: whole-array NumPy expressions here took seconds to compile.
    """
    u = eta * (1.0 - beta) * q
    trace = 1.0 + beta - u * (1.0 + beta) if nesterov else 1.0 + beta - u
    determinant = beta * (1.0 - u) if nesterov else beta
    root = cmath.sqrt(complex(trace * trace - 4.0 * determinant))
    lambda_1 = (trace + root) / 2.0  # trace > 0: no cancellation
    lambda_2 = determinant / lambda_1  # where trace - root would cancel
    one_minus_lambda_1 = u / (1.0 - lambda_2)
    kind = REAL if lambda_1.imag == 0.0 else COMPLEX
    if abs(lambda_1 - lambda_2) < NEARLY_EQUAL:
        kind = STEPWISE
    real_1, real_2 = lambda_1.real, lambda_2.real
    log_1 = log_of(one_minus_lambda_1.real)
    log_2 = math.log(max(real_2, 1e-300))
    return kind, lambda_1, lambda_2, one_minus_lambda_1, real_1, real_2, log_1, log_2


@njit(cache=True, inline="always")
def momentum_idle_factors(lambda_1, lambda_2, one_minus_lambda_1, log_1, log_2, n):
    """Powers and geometric sums of real eigenvalues for ``n`` idle momentum steps.

    ``(p_1, p_2, S_11, S_12, S_22, S_1, S_2)`` with ``p_i = lambda_i^n``,
    ``S_ij = sum_{m<n} (lambda_i lambda_j)^m`` and ``S_i = sum_{m=1}^{n} lambda_i^m``.
    """
    d1 = one_minus_lambda_1
    p1, total_1, e1 = powers(lambda_1, d1, log_1, n)
    p2 = lambda_2**n if n <= SHORT or lambda_2 <= 0.0 else math.exp(n * log_2)
    # sum lambda_1^(2m) = (1 - p1^2) / (1 - lambda_1^2), without dividing by a small d1
    s11 = total_1 * (2.0 - e1) / (2.0 - d1)
    s1 = lambda_1 * total_1
    s12 = (1.0 - p1 * p2) / (1.0 - lambda_1 * lambda_2)
    s22 = (1.0 - p2 * p2) / (1.0 - lambda_2 * lambda_2)
    s2 = lambda_2 * (1.0 - p2) / (1.0 - lambda_2)
    return p1, p2, s11, s12, s22, s1, s2


@njit(cache=True, inline="always")
def momentum_idle(theta, v, q, eta, beta, lambda_1, lambda_2, factors, nesterov=False):
    """Apply ``momentum_idle_factors`` to one coordinate: ``(theta_n, v_n, squares, total)``.

    ``theta_m = a lambda_1^m + b lambda_2^m``, ``a`` and ``b`` from ``theta_0``
    and ``theta_1``; the same for ``v``.
    """
    p1, p2, s11, s12, s22, s1, s2 = factors
    theta_1, v_1 = velocity_coordinate(theta, v, q * theta, eta, beta, nesterov)
    difference = lambda_1 - lambda_2
    a = (theta_1 - lambda_2 * theta) / difference
    b = (lambda_1 * theta - theta_1) / difference
    a_v = (v_1 - lambda_2 * v) / difference
    b_v = (lambda_1 * v - v_1) / difference
    squares = a * a * s11 + 2.0 * a * b * s12 + b * b * s22
    return a * p1 + b * p2, a_v * p1 + b_v * p2, squares, a * s1 + b * s2


@njit(cache=True)
def complex_momentum_factors(lambda_1, lambda_2, n):
    """``momentum_idle_factors`` of complex eigenvalues (a strong penalty)."""
    p1 = cmath.exp(n * cmath.log(lambda_1))
    p2 = cmath.exp(n * cmath.log(lambda_2))
    s12 = (1.0 - p1 * p2) / (1.0 - lambda_1 * lambda_2)
    s11 = (1.0 - p1 * p1) / (1.0 - lambda_1 * lambda_1)
    s22 = (1.0 - p2 * p2) / (1.0 - lambda_2 * lambda_2)
    s1 = lambda_1 * (1.0 - p1) / (1.0 - lambda_1)
    s2 = lambda_2 * (1.0 - p2) / (1.0 - lambda_2)
    return p1, p2, s11, s12, s22, s1, s2


@njit(cache=True)
def plain_idle_by_steps(theta, q, eta, n):
    """The definition of ``plain_idle``: the rule, ``n`` times."""
    squares = total = 0.0
    for _ in range(n):
        squares += theta * theta
        theta = gradient_descent_coordinate(theta, q * theta, eta)
        total += theta
    return theta, squares, total


@njit(cache=True)
def momentum_idle_by_steps(theta, v, q, eta, beta, n, nesterov=False):
    """The definition of ``momentum_idle``: the rule, ``n`` times."""
    squares = total = 0.0
    for _ in range(n):
        squares += theta * theta
        theta, v = velocity_coordinate(theta, v, q * theta, eta, beta, nesterov)
        total += theta
    return theta, v, squares, total

"""Steps a coordinate takes while no sample touches it, in closed form.

On sparse data most of a batch's gradient is the penalty's alone: a coordinate
``theta`` whose feature is zero in every row of the batch has the gradient
``g = q * theta``, ``q = 2 * l2 / sigma^2`` in the solver's coordinates
(``_precondition``). Its steps are then a linear recurrence with a constant
step ``alpha``, and ``n`` of them have a closed form, so the sparse epoch
(``_sparse_epoch``) applies them just in time, when the feature is next read,
as lightning's SAG does, at a cost that does not grow with ``n``. Each
function also returns the two sums over those steps that the epoch needs:

* ``squares``: ``sum_{m=0}^{n-1} theta_m^2``, the coordinate's share in the
  penalty of each step's objective (``theta_m`` is the value before the
  ``(m+1)``-th idle step, ``theta_0`` the value given);
* ``total``: ``sum_{m=1}^{n} theta_m``, its share in the running average
  of the iterates.

Plain steps ``theta = theta - alpha * q * theta`` scale by ``rho = 1 - alpha q``.
Momentum steps ``v = beta v + (1 - beta) q theta ; theta = theta - alpha v``
map ``(v, theta)`` by a 2 x 2 matrix ``M`` with trace ``1 + beta - alpha (1 -
beta) q`` and determinant ``beta``: with its eigenvalues ``lambda_1 != lambda_2``
(complex when the penalty is strong), ``theta_m = A lambda_1^m + B lambda_2^m``.
Nearly equal eigenvalues would lose digits in ``A`` and ``B``; there the steps
are taken one by one (``momentum_idle_by_steps``), which is the rule itself.
"""

import cmath
import math

import numpy as np
from numba import njit

from ._optimizers import gradient_descent_coordinate, momentum_coordinate

# Eigenvalues closer than this are taken step by step (with beta = 0.99 they are
# 0.01 apart, and the closed form keeps about 11 digits).
NEARLY_EQUAL = 5e-3


@njit(cache=True, inline="always")
def geometric_sum(x, one_minus_x, n):
    """``sum_{m=0}^{n-1} x^m`` for real ``x``, accurate when ``x`` is close to 1."""
    if one_minus_x == 0.0:
        return float(n)
    if abs(one_minus_x) < 0.5:
        return -math.expm1(n * math.log1p(-one_minus_x)) / one_minus_x
    return (1.0 - x**n) / one_minus_x


@njit(cache=True, inline="always")
def plain_idle(theta, rho, one_minus_rho, n):
    """``n`` plain steps on the penalty alone: ``(theta_n, squares, total)``."""
    rho_n = rho**n
    squares = theta * theta * geometric_sum(rho * rho, one_minus_rho * (2.0 - one_minus_rho), n)
    total = theta * rho * geometric_sum(rho, one_minus_rho, n)
    return theta * rho_n, squares, total


@njit(cache=True)
def momentum_eigenvalues(q, alpha, beta):
    """``(lambda_1, lambda_2, 1 - lambda_1)`` of the idle momentum map, per coordinate.

    Complex arrays; ``1 - lambda_1`` is computed without cancellation (it is
    about ``alpha q`` when small), from ``(1 - lambda_1)(1 - lambda_2) = alpha (1 - beta) q``.
    """
    u = alpha * (1.0 - beta) * q
    trace = 1.0 + beta - u
    root = np.sqrt((trace * trace - 4.0 * beta).astype(np.complex128))
    lambda_1 = (trace + root) / 2.0  # trace > 0: no cancellation
    lambda_2 = beta / lambda_1  # lambda_1 lambda_2 = beta, where trace - root would cancel
    return lambda_1, lambda_2, u / (1.0 - lambda_2)


@njit(cache=True)
def momentum_idle(theta, v, q, alpha, beta, lambda_1, lambda_2, one_minus_lambda_1, n):
    """``n`` momentum steps on the penalty alone: ``(theta_n, v_n, squares, total)``."""
    if abs(lambda_1 - lambda_2) < NEARLY_EQUAL:
        return momentum_idle_by_steps(theta, v, q, alpha, beta, n)
    theta_1, v_1 = momentum_coordinate(theta, v, q * theta, alpha, beta)
    difference = lambda_1 - lambda_2
    a = (theta_1 - lambda_2 * theta) / difference  # theta_m = a lambda_1^m + b lambda_2^m
    b = (lambda_1 * theta - theta_1) / difference
    a_v = (v_1 - lambda_2 * v) / difference
    b_v = (lambda_1 * v - v_1) / difference
    if lambda_1.imag == 0.0 and lambda_2.imag == 0.0:
        l1, l2, d1 = lambda_1.real, lambda_2.real, one_minus_lambda_1.real
        a, b, a_v, b_v = a.real, b.real, a_v.real, b_v.real
        p1, p2 = l1**n, l2**n
        squares = (a * a * geometric_sum(l1 * l1, d1 * (2.0 - d1), n)
                   + 2.0 * a * b * geometric_sum(l1 * l2, 1.0 - l1 * l2, n)
                   + b * b * geometric_sum(l2 * l2, 1.0 - l2 * l2, n))  # fmt: skip
        total = a * l1 * geometric_sum(l1, d1, n) + b * l2 * geometric_sum(l2, 1.0 - l2, n)
        return a * p1 + b * p2, a_v * p1 + b_v * p2, squares, total
    p1, p2 = cmath.exp(n * cmath.log(lambda_1)), cmath.exp(n * cmath.log(lambda_2))
    squares = (a * a * _complex_geometric(lambda_1 * lambda_1, n)
               + 2.0 * a * b * _complex_geometric(lambda_1 * lambda_2, n)
               + b * b * _complex_geometric(lambda_2 * lambda_2, n))  # fmt: skip
    total = (a * lambda_1 * _complex_geometric(lambda_1, n)
             + b * lambda_2 * _complex_geometric(lambda_2, n))  # fmt: skip
    return (a * p1 + b * p2).real, (a_v * p1 + b_v * p2).real, squares.real, total.real


@njit(cache=True, inline="always")
def _complex_geometric(x, n):
    if x == 1.0:
        return complex(n)
    return (1.0 - cmath.exp(n * cmath.log(x))) / (1.0 - x)


@njit(cache=True)
def plain_idle_by_steps(theta, q, alpha, n):
    """The definition of ``plain_idle``: the rule, ``n`` times."""
    squares = total = 0.0
    for _ in range(n):
        squares += theta * theta
        theta = gradient_descent_coordinate(theta, q * theta, alpha)
        total += theta
    return theta, squares, total


@njit(cache=True)
def momentum_idle_by_steps(theta, v, q, alpha, beta, n):
    """The definition of ``momentum_idle``: the rule, ``n`` times."""
    squares = total = 0.0
    for _ in range(n):
        squares += theta * theta
        theta, v = momentum_coordinate(theta, v, q * theta, alpha, beta)
        total += theta
    return theta, v, squares, total

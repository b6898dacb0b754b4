"""The closed forms of idle steps equal the rule applied step by step."""

import numpy as np
import pytest

from skgd._idle_steps import (
    COMPLEX,
    REAL,
    STEPWISE,
    complex_momentum_factors,
    log_of,
    momentum_idle,
    momentum_idle_by_steps,
    momentum_idle_constants,
    momentum_idle_factors,
    plain_idle,
    plain_idle_by_steps,
    plain_idle_factors,
)


def closed_form_momentum(theta, v, q, alpha, beta, n, nesterov=False):
    kind, lambda_1, lambda_2, one_minus_1, real_1, real_2, log_1, log_2 = momentum_idle_constants(
        q, alpha, beta, nesterov
    )
    if kind == STEPWISE:
        return kind, momentum_idle_by_steps(theta, v, q, alpha, beta, n, nesterov)
    if kind == REAL:
        factors = momentum_idle_factors(real_1, real_2, one_minus_1.real, log_1, log_2, n)
        return kind, momentum_idle(theta, v, q, alpha, beta, real_1, real_2, factors, nesterov)
    factors = complex_momentum_factors(lambda_1, lambda_2, n)
    result = momentum_idle(theta, v, q, alpha, beta, lambda_1, lambda_2, factors, nesterov)
    return kind, tuple(value.real for value in result)


CASES = [  # q, alpha, beta: penalties from none to strong, real and complex eigenvalues
    (0.0, 0.1, 0.9),
    (1e-9, 0.5, 0.9),
    (1e-4, 0.05, 0.9),
    (0.3, 0.2, 0.9),  # alpha (1 - beta) q = 0.006: complex
    (2.0, 0.5, 0.5),
    (1e-3, 0.1, 0.99),
    (0.01, 0.1, 0.0),
]


@pytest.mark.parametrize("q, alpha, beta", CASES)
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 2500])
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_idle_steps_in_closed_form(q, alpha, beta, n, nesterov):
    """Momentum's idle steps, and Nesterov's look-ahead ones, against the rule itself."""
    kind, closed = closed_form_momentum(1.3, -0.4, q, alpha, beta, n, nesterov)
    stepped = momentum_idle_by_steps(1.3, -0.4, q, alpha, beta, n, nesterov)
    np.testing.assert_allclose(closed, stepped, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_the_cases_cover_real_and_complex_eigenvalues(nesterov):
    kinds = {closed_form_momentum(1.0, 0.0, q, alpha, beta, 3, nesterov)[0]
             for q, alpha, beta in CASES}  # fmt: skip
    assert {REAL, COMPLEX} <= kinds


@pytest.mark.parametrize(
    "q, alpha", [(0.0, 0.1), (1e-10, 0.3), (1e-3, 0.1), (3.0, 0.25), (3.0, 0.6)]
)
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 2500])
def test_plain_idle_steps_in_closed_form(q, alpha, n):
    factors = plain_idle_factors(alpha * q, log_of(alpha * q), n)
    closed = plain_idle(-2.1, *factors)
    np.testing.assert_allclose(closed, plain_idle_by_steps(-2.1, q, alpha, n), rtol=1e-11,
                               atol=1e-14)  # fmt: skip

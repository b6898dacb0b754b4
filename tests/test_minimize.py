"""skgd.minimize: the estimators' rules on a function, against the rules written out here."""

import numpy as np
import pytest
from scipy.optimize import OptimizeResult, check_grad

from skgd import minimize
from skgd.functions import beale, quadratic, rosenbrock

# A rotated, ill-conditioned quadratic written out here, independent of skgd.functions.
HESSIAN = np.array([[3.0, 1.2], [1.2, 0.8]])
MINIMIZER = np.array([1.0, -2.0])
X0 = np.array([0.5, 1.5])


def fun(x):
    return 0.5 * (x - MINIMIZER) @ HESSIAN @ (x - MINIMIZER)


def jac(x):
    return HESSIAN @ (x - MINIMIZER)


def fun_and_jac(x):
    return fun(x), jac(x)


ETA, BETA, BETA2, EPSILON = 0.05, 0.8, 0.95, 1e-3  # not the defaults: each must reach the rule


# The update rules as the README's table writes them: step size η (ETA), gradient g,
# t the 1-based number of the step; moments start at zero.
def plain(x, g, state, t):
    return x - ETA * g


def momentum(x, g, state, t):
    state["v"] = BETA * state["v"] + (1 - BETA) * g
    return x - ETA * state["v"]


def rmsprop(x, g, state, t):
    state["s"] = BETA2 * state["s"] + (1 - BETA2) * g**2
    return x - ETA * g / (np.sqrt(state["s"]) + EPSILON)


def adam(x, g, state, t):
    state["m"] = BETA * state["m"] + (1 - BETA) * g
    state["s"] = BETA2 * state["s"] + (1 - BETA2) * g**2
    m_hat = state["m"] / (1 - BETA**t)
    s_hat = state["s"] / (1 - BETA2**t)
    return x - ETA * m_hat / (np.sqrt(s_hat) + EPSILON)


def nesterov(x, g, state, t):
    state["v"] = BETA * state["v"] + (1 - BETA) * g
    return x - ETA * (BETA * state["v"] + (1 - BETA) * g)


def adamax(x, g, state, t):
    state["m"] = BETA * state["m"] + (1 - BETA) * g
    state["u"] = np.maximum(BETA2 * state["u"], np.abs(g) + EPSILON)
    return x - ETA / (1 - BETA**t) * state["m"] / state["u"]


def adagrad(x, g, state, t):
    state["s"] = state["s"] + g**2
    return x - ETA * g / (np.sqrt(state["s"]) + EPSILON)


def amsgrad(x, g, state, t):
    state["m"] = BETA * state["m"] + (1 - BETA) * g
    state["s"] = BETA2 * state["s"] + (1 - BETA2) * g**2
    state["s_max"] = np.maximum(state["s_max"], state["s"])
    return x - ETA * (state["m"] / (1 - BETA**t)) / (np.sqrt(state["s_max"] / (1 - BETA2**t))
                                                      + EPSILON)  # fmt: skip


def adadelta(x, g, state, t):
    state["s"] = BETA2 * state["s"] + (1 - BETA2) * g**2
    delta = g * np.sqrt(state["u"] + EPSILON) / np.sqrt(state["s"] + EPSILON)
    state["u"] = BETA2 * state["u"] + (1 - BETA2) * delta**2
    return x - ETA * delta


def nadam(x, g, state, t):
    state["m"] = BETA * state["m"] + (1 - BETA) * g
    state["s"] = BETA2 * state["s"] + (1 - BETA2) * g**2
    m_bar = BETA * state["m"] / (1 - BETA ** (t + 1)) + (1 - BETA) * g / (1 - BETA**t)
    return x - ETA * m_bar / (np.sqrt(state["s"] / (1 - BETA2**t)) + EPSILON)


def schedule_free(z_step):
    """Schedule-Free around ``z_step(g, state, t)``: x is returned; the gradient is at y."""

    def rule(x, g, state, t):
        state["z"] = state.get("z", x) - z_step(g, state, t)  # z, x and y start at x0
        state["x"] = (1 - 1 / t) * x + (1 / t) * state["z"]
        state["y"] = BETA * state["x"] + (1 - BETA) * state["z"]
        return state["x"]

    return rule


def prodigy(x, g, state, t):
    """Mishchenko & Defazio (2023), Adam's form: d is one number, x0 the start."""
    x0, d = state.setdefault("x0", x), state.setdefault("d", 1e-6)
    beta3 = np.sqrt(BETA2)
    state["r"] = beta3 * state.get("r", 0.0) + (1 - beta3) * ETA * d**2 * g @ (x0 - x)
    state["s"] = beta3 * state["s"] + (1 - beta3) * ETA * d**2 * g
    state["m"] = BETA * state["m"] + (1 - BETA) * d * g
    state["v"] = BETA2 * state["v"] + (1 - BETA2) * d**2 * g**2
    state["d"] = max(d, state["r"] / np.sum(np.abs(state["s"])))
    return x - ETA * d * state["m"] / (np.sqrt(state["v"]) + state["d"] * EPSILON)


def schedule_free_adamw_z_step(g, state, t):
    state["s"] = BETA2 * state["s"] + (1 - BETA2) * g**2
    return ETA * g / (np.sqrt(state["s"] / (1 - BETA2**t)) + EPSILON)


BY_HAND = {
    "batch": plain,
    "sgd": plain,
    "minibatch": plain,
    "momentum": momentum,
    "rmsprop": rmsprop,
    "adam": adam,
    "nesterov": nesterov,
    "adamax": adamax,
    "adagrad": adagrad,
    "amsgrad": amsgrad,
    "adadelta": adadelta,
    "schedule_free_sgd": schedule_free(lambda g, state, t: ETA * g),
    "nadam": nadam,
    "prodigy": prodigy,
    "schedule_free_adamw": schedule_free(schedule_free_adamw_z_step),
}


def path_by_hand(rule, n_steps):
    state = {name: np.zeros(2) for name in ("v", "s", "m", "u", "s_max")}
    path = [X0]
    for t in range(1, n_steps + 1):
        point = state.get("y", path[-1])  # where the gradient is taken
        path.append(rule(path[-1], jac(point), state, t))
    return np.array(path)


@pytest.mark.parametrize("optimizer", list(BY_HAND))
def test_path_is_the_rule_written_out(optimizer):
    n_steps = 12
    result = minimize(fun, X0, jac=jac, optimizer=optimizer, learning_rate=ETA, beta=BETA,
                      beta2=BETA2, epsilon=EPSILON, max_iter=n_steps, tol=None)  # fmt: skip
    expected = path_by_hand(BY_HAND[optimizer], n_steps)
    np.testing.assert_allclose(result.path, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.fun_path, [fun(x) for x in expected], rtol=1e-12)
    assert result.nit == n_steps
    np.testing.assert_array_equal(result.x, result.path[-1])
    assert result.fun == result.fun_path[-1]
    np.testing.assert_allclose(result.jac, jac(result.x), rtol=1e-12)


def test_every_preset_has_a_rule_written_out():
    from skgd._optimizers import PRESETS

    assert set(PRESETS) == set(BY_HAND), "write the new rule out in BY_HAND"


def test_the_result_is_scipys():
    result = minimize(fun, X0, jac=jac, optimizer="momentum", learning_rate=0.2, tol=1e-8,
                      max_iter=10_000)  # fmt: skip
    assert isinstance(result, OptimizeResult)
    assert result.success and result.status == 0
    assert np.linalg.norm(result.jac) <= 1e-8
    np.testing.assert_allclose(result.x, MINIMIZER, atol=1e-7)
    assert result.path.shape == (result.nit + 1, 2)
    assert result.fun_path.shape == (result.nit + 1,)
    np.testing.assert_array_equal(result.path[0], X0)
    assert result.nfev == result.njev == result.nit + 1
    assert "tol" in result.message


def test_jac_true_equals_jac_callable():
    params = dict(optimizer="adam", learning_rate=0.1, max_iter=30, tol=None)
    separate = minimize(fun, X0, jac=jac, **params)
    together = minimize(fun_and_jac, X0, jac=True, **params)
    np.testing.assert_array_equal(separate.path, together.path)
    np.testing.assert_array_equal(separate.fun_path, together.fun_path)


def test_tol_stops_at_the_first_small_gradient():
    result = minimize(fun, X0, jac=jac, optimizer="batch", learning_rate=0.2, tol=1e-3)
    norms = [np.linalg.norm(jac(x)) for x in result.path]
    assert norms[-1] <= 1e-3 < min(norms[:-1])
    at_start = minimize(fun, MINIMIZER, jac=jac, tol=0.0)
    assert at_start.nit == 0 and at_start.success


def test_max_iter_reached_is_not_a_success():
    result = minimize(fun, X0, jac=jac, optimizer="batch", learning_rate=1e-3, max_iter=5)
    assert result.nit == 5 and not result.success and result.status == 1
    assert "max_iter" in result.message


def test_the_iterate_is_a_copy():
    def mutating_jac(x):
        gradient = jac(x)
        x[:] = 1e6  # must not reach the iterate
        return gradient

    start = X0.copy()
    result = minimize(fun, start, jac=mutating_jac, optimizer="batch", learning_rate=0.1,
                      max_iter=3, tol=None)  # fmt: skip
    np.testing.assert_array_equal(start, X0)
    np.testing.assert_allclose(result.path, path_by_hand(lambda x, g, s, t: x - 0.1 * g, 3))


@pytest.mark.parametrize(
    "problem, start",
    [(rosenbrock(), [-1.2, 1.0]), (rosenbrock(4), [0.5, -0.5, 0.0, 2.0]), (beale(), [1.0, 1.0]),
     (quadratic(100.0, 3), [0.0, 0.0, 0.0]), (quadratic(10.0, rotate=False), [3.0, -1.0])],
)  # fmt: skip
def test_test_function_gradients_match_finite_differences(problem, start):
    rng = np.random.default_rng(0)
    for point in [np.asarray(start), *(start + rng.normal(scale=0.3, size=len(start)))[None]]:
        scale = max(1.0, np.linalg.norm(problem.jac(point)))
        assert check_grad(problem.fun, problem.jac, point) <= 1e-5 * scale


@pytest.mark.parametrize("problem", [rosenbrock(), rosenbrock(5), beale(), quadratic(1e3, 4)])
def test_test_functions_are_lowest_at_their_documented_minimizer(problem):
    np.testing.assert_allclose(problem.jac(problem.minimizer), 0.0, atol=1e-12)
    assert problem.fun(problem.minimizer) == pytest.approx(problem.minimum, abs=1e-12)
    rng = np.random.default_rng(0)
    nearby = problem.minimizer + rng.normal(scale=0.1, size=(20, problem.minimizer.size))
    assert all(problem.fun(x) > problem.minimum for x in nearby)


def test_test_functions_evaluate_grids():
    problem = beale()
    grid = np.stack(np.meshgrid(np.linspace(-4, 4, 5), np.linspace(-4, 4, 7)))
    values, gradients = problem.fun(grid), problem.jac(grid)
    assert values.shape == (7, 5) and gradients.shape == (2, 7, 5)
    assert values[3, 2] == pytest.approx(problem.fun(grid[:, 3, 2]))
    np.testing.assert_allclose(gradients[:, 6, 1], problem.jac(grid[:, 6, 1]))


def test_quadratic_has_the_chosen_condition_number():
    problem = quadratic(250.0, 4, random_state=3)
    hessian = np.array([problem.jac(problem.minimizer + e) for e in np.eye(4)]).T
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert eigenvalues.max() / eigenvalues.min() == pytest.approx(250.0)
    assert eigenvalues.min() == pytest.approx(1.0)
    assert not np.allclose(hessian, np.diag(np.diag(hessian)))  # rotated


def test_reaches_the_rosenbrock_minimum():
    problem = rosenbrock()
    # The valley's curvature is about 1000 across, 0.4 along: plain steps take
    # some 16,000 steps at their largest stable size, momentum about 1,300.
    result = minimize(problem.fun, [-1.2, 1.0], jac=problem.jac, optimizer="momentum",
                      learning_rate=0.02, beta=0.95, max_iter=5000, tol=1e-6)  # fmt: skip
    assert result.success, result.message
    np.testing.assert_allclose(result.x, problem.minimizer, atol=1e-5)


def test_every_rule_descends_the_rosenbrock_valley():
    problem = rosenbrock()
    # Steps that scale the gradient must stay below 2 / 1000; the adaptive ones are lengths.
    steps = {"batch": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "rmsprop": 1e-2, "adam": 1e-2,
             "adamax": 1e-2}  # fmt: skip
    for optimizer, step in steps.items():
        result = minimize(problem.fun, [-1.2, 1.0], jac=problem.jac, optimizer=optimizer,
                          learning_rate=step, max_iter=2000, tol=None)  # fmt: skip
        assert result.fun < 0.1 * result.fun_path[0], optimizer


def test_a_step_too_large_stops_at_the_last_finite_iterate():
    problem = quadratic(10.0)
    with np.errstate(over="ignore", invalid="ignore"):
        result = minimize(problem.fun, [0.0, 0.0], jac=problem.jac, optimizer="batch",
                          learning_rate=10.0, max_iter=10_000)  # fmt: skip
    assert not result.success and result.status == 2
    assert "learning_rate" in result.message
    assert np.all(np.isfinite(result.x)) and np.isfinite(result.fun)
    assert np.all(np.isfinite(result.path)) and np.all(np.isfinite(result.fun_path))
    assert result.nit < 10_000


def test_a_non_finite_value_stops_the_run():
    def fun_with_a_wall(x):  # finite until x[0] passes 1
        return np.inf if x[0] > 1 else float(np.sum(x**2))

    result = minimize(fun_with_a_wall, [0.0], jac=lambda x: np.array([-1.0]),
                      optimizer="batch", learning_rate=0.3, max_iter=100)  # fmt: skip
    assert result.status == 2 and not result.success
    np.testing.assert_allclose(result.x, [0.9])


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(optimizer="newton"), ValueError, "optimizer='newton'.*batch, sgd, minibatch"),
        (dict(optimizer=3), ValueError, "optimizer"),
        (dict(learning_rate=0.0), ValueError, "learning_rate"),
        (dict(learning_rate="auto"), ValueError, "learning_rate"),
        (dict(beta=1.0), ValueError, "beta"),
        (dict(beta2=-0.1), ValueError, "beta2"),
        (dict(epsilon=0.0), ValueError, "epsilon"),
        (dict(max_iter=-1), ValueError, "max_iter"),
        (dict(max_iter=2.5), ValueError, "max_iter"),
        (dict(tol=-1e-3), ValueError, "tol"),
        (dict(jac=False), ValueError, "jac"),
        (dict(jac="2-point"), ValueError, "jac"),
    ],
)
def test_bad_parameters_are_named(params, error, match):
    params = {"jac": jac, **params}
    with pytest.raises(error, match=match):
        minimize(fun, X0, **params)


def test_jac_is_required():
    with pytest.raises(TypeError, match="jac"):
        minimize(fun, X0)


@pytest.mark.parametrize(
    "x0, match",
    [
        ([1.0, np.nan], r"x0 must be finite.*\[1\]"),
        ([np.inf, 0.0], "x0 must be finite"),
        (np.zeros((2, 2)), "x0 must be a vector"),
        ([], "x0 is empty"),
        (["a", "b"], "x0 must be a vector of real numbers"),
    ],
)
def test_bad_x0(x0, match):
    with pytest.raises(ValueError, match=match):
        minimize(fun, x0, jac=jac)


def test_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"jac returned a gradient of shape \(3,\)"):
        minimize(fun, X0, jac=lambda x: np.zeros(3))
    with pytest.raises(ValueError, match=r"fun's second value .* shape \(1, 2\)"):
        minimize(lambda x: (fun(x), jac(x)[None]), X0, jac=True)


def test_fun_must_return_what_jac_says():
    with pytest.raises(ValueError, match="with jac=True, fun must return a pair"):
        minimize(fun, X0, jac=True)
    with pytest.raises(ValueError, match="fun must return a number"):
        minimize(lambda x: x, X0, jac=jac)


def test_a_non_finite_start():
    with pytest.raises(ValueError, match=r"fun\(x0\) is nan"):
        minimize(lambda x: np.nan, X0, jac=jac)
    with pytest.raises(ValueError, match="the gradient at x0 is not finite"):
        minimize(fun, X0, jac=lambda x: np.array([np.inf, 0.0]))


def test_a_scalar_x0_is_a_vector_of_one():
    result = minimize(lambda x: float(x[0] ** 2), 3.0, jac=lambda x: 2 * x, optimizer="batch",
                      learning_rate=0.25, max_iter=1, tol=None)  # fmt: skip
    np.testing.assert_allclose(result.path, [[3.0], [1.5]])


def test_functions_validate_their_parameters():
    with pytest.raises(ValueError, match="condition_number"):
        quadratic(0.5)
    with pytest.raises(ValueError, match="n_features"):
        rosenbrock(1)
    with pytest.raises(ValueError, match=r"x must have shape \(2,\)"):
        beale().fun(np.zeros(3))


def test_the_public_names():
    import skgd

    assert {"minimize", "functions"} <= set(skgd.__all__) <= set(dir(skgd))
    assert skgd.functions.rosenbrock is rosenbrock and skgd.minimize is minimize
    with pytest.raises(ValueError, match="read-only"):
        rosenbrock().minimizer[0] = 2.0

"""The estimators' update rules on any differentiable function of a vector.

``minimize`` takes the estimators' own compiled step, ``_epoch.step_parameters``,
with nothing of a linear model around it: the identity change of coordinates
(no shift, scale 1), no penalty and no intercept. The parameters it steps are
then the vector ``x`` itself, and the gradient it is handed is the function's,
so each step is the rule exactly as the estimators take it: the formulas live
in ``_optimizers`` only, and a rule added there works here unchanged. A rule
whose model is not its iterate (Schedule-Free: gradients at ``y``, the model
``x``) reports its model: ``x`` and the path are the model's, and the gradient
of each step is taken at the iterate, one more evaluation per step.
"""

from numbers import Integral, Real

import numpy as np
from scipy.optimize import OptimizeResult
from sklearn.utils._param_validation import Interval, validate_params

from ._epoch import step_parameters
from ._optimizers import MODEL_IN_STATE_RULES, PRESETS, reported_point, start_state, state_size

SUCCESS, MAX_ITER_REACHED, NON_FINITE = 0, 1, 2


@validate_params(
    {
        "fun": [callable],
        "x0": ["array-like", Real],
        "jac": [callable, "boolean"],
        "optimizer": [str],  # checked against PRESETS below, naming them in order
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "beta": [Interval(Real, 0, 1, closed="left")],
        "beta2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def minimize(fun, x0, *, jac, optimizer="adam", learning_rate=0.01, beta=0.9, beta2=0.999,
             epsilon=1e-8, max_iter=1000, tol=1e-6):  # fmt: skip
    """Minimize a differentiable function of a vector with one of skgd's update rules.

    Each step is the estimators' own update rule (the same compiled code),
    applied to ``x`` with the function's full gradient: see
    :doc:`/user_guide/optimizers` for the formulas and :doc:`/user_guide/minimize`
    for a guide. The step size ``learning_rate`` is constant.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float``, with ``x`` an array of shape (n,); with
        ``jac=True``, ``fun(x) -> (float, gradient)``. Each call receives a
        copy of the iterate.
    x0 : array-like of shape (n,) or float
        Starting point. It must be finite.
    jac : callable or True
        ``jac(x) -> gradient`` of shape (n,), or ``True`` when ``fun`` returns
        the value and the gradient together (as in :func:`scipy.optimize.minimize`).
        There are no finite differences: the gradient is required.
    optimizer : str, default="adam"
        The update rule, named as the estimators' ``optimizer``. A function has
        no samples to batch, so the presets that differ only in their batching
        (``"batch"``, ``"sgd"`` and ``"minibatch"``) are all plain gradient
        descent; ``"momentum"``, ``"rmsprop"``, ``"adam"``, ``"nesterov"`` and
        ``"adamax"`` (and the others) are their rules on the full gradient.
    learning_rate : float, default=0.01
        The step size (η in :doc:`/user_guide/minimize`), constant over the
        steps. For plain gradient descent and momentum it multiplies the
        gradient, so a stable value depends on the function's curvature (below
        ``2 / L`` for a function whose gradient is ``L``-Lipschitz); for the
        adaptive rules (RMSprop, Adam, AdaMax) it is about the length of a
        step in each coordinate, whatever the scale of the gradient.
    beta : float, default=0.9
        Decay of the first moment (momentum, Nesterov, Adam, AdaMax), in [0, 1).
    beta2 : float, default=0.999
        Decay of the second moment (RMSprop, Adam) or of AdaMax's norm, in [0, 1).
    epsilon : float, default=1e-8
        The adaptive rules' guard of the denominator, > 0.
    max_iter : int, default=1000
        The most steps to take.
    tol : float or None, default=1e-6
        Stop as soon as the Euclidean norm of the gradient at the current
        iterate is at most ``tol`` (the starting point included). None takes
        exactly ``max_iter`` steps.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        With the fields

        - ``x``: the last iterate, shape (n,); for the Schedule-Free rules, the
          last model ``x`` (the average of their ``z``), while their gradients
          are taken at ``y``, which the path does not show;
        - ``fun``, ``jac``: the function's value and gradient at ``x``;
        - ``nit``: the number of steps taken;
        - ``nfev``, ``njev``: the number of evaluations of the function and
          of its gradient (one of each at every iterate, and at a rejected
          non-finite one; the Schedule-Free rules evaluate ``y`` as well);
        - ``path``: every iterate, ``x0`` first and ``x`` last, shape
          (nit + 1, n);
        - ``fun_path``: the function's values along ``path``, shape (nit + 1,);
        - ``success``, ``status``, ``message``: ``status`` is 0 when the
          gradient's norm reached ``tol`` (or, with ``tol=None``, after the
          ``max_iter`` steps), 1 when ``max_iter`` steps ended the run first,
          and 2 when a step produced a non-finite iterate, value or gradient:
          the run then stops at the last finite iterate, and the message
          suggests a smaller ``learning_rate``. ``success`` is ``status == 0``.

    Raises
    ------
    ValueError
        If a parameter is out of range (an ``optimizer`` not among skgd's),
        if ``x0`` is not a finite vector, if ``fun`` does not return a number
        (or a pair with ``jac=True``), if the gradient's shape differs from
        ``x0``'s, or if the value or the gradient at ``x0`` is not finite.

    See Also
    --------
    skgd.functions : Classic test functions with their gradients and minima.
    scipy.optimize.minimize : Quasi-Newton and other solvers for the same calls.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd import minimize
    >>> from skgd.functions import quadratic
    >>> problem = quadratic(condition_number=10.0)
    >>> result = minimize(problem.fun, np.zeros(2), jac=problem.jac,
    ...                   optimizer="momentum", learning_rate=0.1, tol=1e-8)
    >>> bool(result.success), result.path.shape == (result.nit + 1, 2)
    (True, True)
    >>> np.allclose(result.x, problem.minimizer)
    True
    """
    if optimizer not in PRESETS:
        raise ValueError(f"unknown optimizer={optimizer!r}: choose from {', '.join(PRESETS)}")
    evaluate = _evaluator(fun, jac)
    x = _check_x0(x0)
    n = x.shape[0]
    value, gradient = evaluate(x, n)
    if not np.isfinite(value):
        raise ValueError(f"fun(x0) is {value}, not finite: start where fun and jac are finite")
    if not np.all(np.isfinite(gradient)):
        raise ValueError("the gradient at x0 is not finite: start where fun and jac are finite")
    rule = PRESETS[optimizer][0]
    # The linear models' parameters are (n_outputs, n_features + 1), intercepts
    # last: here one output whose "intercept" is fixed, a zero gradient and no
    # fitted intercept, with the identity change of coordinates and no penalty.
    theta = np.zeros((1, n + 1))
    theta[0, :n] = x
    model = theta.copy()
    grad = np.zeros_like(theta)
    state = np.zeros((state_size(optimizer), *theta.shape))  # the rule's moments, from zero
    start_state(rule, state, theta)
    model_apart = rule in MODEL_IN_STATE_RULES  # the gradient is not the reported point's
    shift, inverse_scale = np.zeros(n), np.ones(n)
    no_average = np.empty((0, 0))

    path, fun_path = [x], [value]
    n_evaluations = 1
    status = _status_at(gradient, tol)
    step_gradient = gradient  # at the iterate theta, which the rule steps from
    while status is None and len(path) <= max_iter:
        grad[0, :n] = step_gradient
        grad[0, n] = 0.0
        t = len(path)  # the 1-based number of this step
        step_parameters(theta, model, grad, state, 1.0, shift, inverse_scale, 0.0, False, rule,
                        float(learning_rate), float(beta), float(beta2), float(epsilon), t,
                        no_average, 0)  # fmt: skip
        candidate = reported_point(rule, theta, state)[0, :n].copy()
        if not (np.all(np.isfinite(candidate)) and np.all(np.isfinite(theta))):
            status = NON_FINITE
            break
        candidate_value, candidate_gradient = evaluate(candidate, n)
        n_evaluations += 1
        candidate_step_gradient = candidate_gradient
        if model_apart and np.all(np.isfinite(candidate_gradient)):
            _, candidate_step_gradient = evaluate(theta[0, :n].copy(), n)
            n_evaluations += 1
        if not (np.isfinite(candidate_value) and np.all(np.isfinite(candidate_gradient))
                and np.all(np.isfinite(candidate_step_gradient))):  # fmt: skip
            status = NON_FINITE
            break
        x, value, gradient = candidate, candidate_value, candidate_gradient
        step_gradient = candidate_step_gradient
        path.append(x)
        fun_path.append(value)
        status = _status_at(gradient, tol)
    if status is None:
        status = SUCCESS if tol is None else MAX_ITER_REACHED
    nit = len(path) - 1
    return OptimizeResult(
        x=x,
        fun=value,
        jac=gradient,
        nit=nit,
        nfev=n_evaluations,
        njev=n_evaluations,
        path=np.array(path),
        fun_path=np.array(fun_path),
        status=status,
        success=status == SUCCESS,
        message=_message(status, nit, gradient, optimizer, learning_rate, max_iter, tol),
    )


def _status_at(gradient, tol):
    """``SUCCESS`` once the gradient's norm is at most ``tol``, else None (keep stepping)."""
    if tol is not None and _norm(gradient) <= tol:
        return SUCCESS
    return None


def _norm(gradient):
    """The Euclidean norm, inf rather than an overflow warning for a huge finite gradient."""
    with np.errstate(over="ignore"):
        return np.linalg.norm(gradient)


def _message(status, nit, gradient, optimizer, learning_rate, max_iter, tol):
    norm = _norm(gradient)
    if status == NON_FINITE:
        return (
            f"step {nit + 1} of {optimizer!r} produced a non-finite iterate, value or gradient "
            f"with learning_rate={learning_rate:.4g}; x is the last finite iterate. Use a "
            "smaller learning_rate."
        )
    if tol is None:
        return f"took max_iter={max_iter} steps (tol=None); the gradient's norm is {norm:.3g}"
    if status == SUCCESS:
        return f"the gradient's norm {norm:.3g} is at most tol={tol:.3g} after {nit} steps"
    return (
        f"max_iter={max_iter} steps ended the run with the gradient's norm at {norm:.3g}, "
        f"above tol={tol:.3g}: raise max_iter, or tune learning_rate"
    )


def _check_x0(x0):
    """``x0`` as a new finite float64 vector."""
    try:
        x = np.array(x0, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"x0 must be a vector of real numbers ({error})") from None
    if x.ndim > 1:
        raise ValueError(f"x0 must be a vector (1-D), not an array of shape {x.shape}")
    x = np.atleast_1d(x)
    if x.size == 0:
        raise ValueError("x0 is empty: it needs at least one coordinate")
    if not np.all(np.isfinite(x)):
        where = np.flatnonzero(~np.isfinite(x)).tolist()
        raise ValueError(f"x0 must be finite; it has NaN or infinity at indices {where}")
    return x


def _evaluator(fun, jac):
    """``evaluate(x, n) -> (value, gradient)``: ``fun`` and ``jac`` called and checked."""
    if jac is True:

        def value_and_gradient(x):
            returned = fun(x.copy())
            if not (isinstance(returned, tuple | list) and len(returned) == 2):
                raise ValueError(
                    "with jac=True, fun must return a pair (value, gradient); it returned "
                    f"{type(returned).__name__}"
                )
            return returned

    elif callable(jac):

        def value_and_gradient(x):
            return fun(x.copy()), jac(x.copy())

    else:
        raise ValueError(
            f"jac={jac!r}: minimize needs the gradient; pass jac=callable(x) -> gradient, or "
            "jac=True when fun returns (value, gradient)"
        )

    def evaluate(x, n):
        value, gradient = value_and_gradient(x)
        if np.ndim(value) != 0:
            raise ValueError(f"fun must return a number; it returned shape {np.shape(value)}")
        try:
            value = float(value)
            gradient = np.array(gradient, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(f"fun and jac must return real numbers ({error})") from None
        if gradient.shape != (n,):
            source = "fun's second value" if jac is True else "jac"
            raise ValueError(
                f"{source} returned a gradient of shape {gradient.shape}; x0 has shape ({n},)"
            )
        return value, gradient

    return evaluate

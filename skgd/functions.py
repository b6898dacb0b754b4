"""Classic test functions of optimization, with their gradients and known minima.

Each factory returns a :class:`TestFunction`: the function, its gradient, its
minimizer and its minimum, ready for :func:`skgd.minimize` (``fun`` and
``jac``) or :func:`scipy.optimize.minimize`. ``fun`` and ``jac`` also take
arrays of shape (n, ...), a point per trailing index, so that a contour plot
evaluates a whole grid at once (``fun(np.stack([X, Y]))``).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["TestFunction", "beale", "quadratic", "rosenbrock"]


@dataclass(frozen=True)
class TestFunction:
    """A test function, its gradient, its minimizer and its minimum.

    Attributes
    ----------
    fun : callable
        ``fun(x)``: the value at ``x`` of shape (n,), or the values at the
        points of ``x`` of shape (n, ...).
    jac : callable
        ``jac(x)``: the gradient, of the shape of ``x``.
    minimizer : ndarray of shape (n,)
        The point where the function is lowest.
    minimum : float
        The function's value there.
    """

    __test__ = False  # not a test case, for test runners that collect ``Test*`` classes

    fun: Callable
    jac: Callable
    minimizer: np.ndarray
    minimum: float

    def __post_init__(self):  # a copy, read-only: the minimizer is a fact, not a buffer
        minimizer = np.array(self.minimizer, dtype=np.float64)
        minimizer.setflags(write=False)
        object.__setattr__(self, "minimizer", minimizer)


def rosenbrock(n_features=2):
    """Rosenbrock's banana-shaped valley (Rosenbrock, 1960), in ``n_features`` dimensions.

    .. math::

        f(x) = \\sum_{i=1}^{n-1} 100\\,(x_{i+1} - x_i^2)^2 + (1 - x_i)^2,

    the same function as :func:`scipy.optimize.rosen`. Its minimizer is
    :math:`(1, \\dots, 1)` and its minimum 0, at the end of a narrow, curved
    valley: the valley is found at once, its floor slowly. The usual start is
    :math:`(-1.2, 1)`. Near the minimizer the Hessian's condition number is
    about 2500 in two dimensions.

    Parameters
    ----------
    n_features : int, default=2
        The dimension n, at least 2.

    Returns
    -------
    function : TestFunction
        ``fun``, ``jac``, ``minimizer`` (all ones) and ``minimum`` (0.0).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.functions import rosenbrock
    >>> problem = rosenbrock()
    >>> round(float(problem.fun(np.array([-1.2, 1.0]))), 6)
    24.2
    >>> problem.jac(np.array([-1.2, 1.0]))
    array([-215.6,  -88. ])
    """
    n_features = _dimension(n_features, smallest=2)

    def fun(x):
        x = _points(x, n_features)
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2, axis=0)

    def jac(x):
        x = _points(x, n_features)
        valley = x[1:] - x[:-1] ** 2
        gradient = np.zeros_like(x)
        gradient[:-1] = -400.0 * x[:-1] * valley - 2.0 * (1.0 - x[:-1])
        gradient[1:] += 200.0 * valley
        return gradient

    return TestFunction(fun, jac, np.ones(n_features), 0.0)


def beale():
    """Beale's function (Beale, 1958), two-dimensional, with sharp ridges near its corners.

    .. math::

        f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2.

    Its minimizer is :math:`(3, 0.5)` and its minimum 0; it is flat near the
    axis :math:`y = 0` and steep for :math:`|y| > 1`, so a step size that suits
    one region is too long or too short in another. The usual plotting window
    is :math:`[-4.5, 4.5]^2`.

    Returns
    -------
    function : TestFunction
        ``fun``, ``jac``, ``minimizer`` ``(3, 0.5)`` and ``minimum`` (0.0).

    Examples
    --------
    >>> from skgd.functions import beale
    >>> problem = beale()
    >>> float(problem.fun(problem.minimizer))
    0.0
    >>> problem.jac([1.0, 1.0])
    array([ 0.   , 27.75])
    """

    def residuals(x):
        """``(x, y, [(k, c - x + x y^k) for each term])``."""
        x = _points(x, 2)
        first, second = x[0], x[1]
        return first, second, [(k, c - first + first * second**k) for k, c in _BEALE_TERMS]

    def fun(x):
        _, _, terms = residuals(x)
        return sum(r**2 for _, r in terms)

    def jac(x):
        first, second, terms = residuals(x)
        d_first = sum(2.0 * r * (second**k - 1.0) for k, r in terms)
        d_second = sum(2.0 * r * k * first * second ** (k - 1) for k, r in terms)
        return np.stack([d_first, d_second])

    return TestFunction(fun, jac, np.array([3.0, 0.5]), 0.0)


_BEALE_TERMS = ((1, 1.5), (2, 2.25), (3, 2.625))  # (power of y, constant) of each square


def quadratic(condition_number=10.0, n_features=2, *, rotate=True, random_state=0):
    """A convex quadratic of a chosen condition number, lowest at :math:`(1, \\dots, 1)`.

    .. math::

        f(x) = \\tfrac12 (x - x^*)^\\top A\\, (x - x^*),
        \\qquad A = Q\\, \\mathrm{diag}(\\lambda_1, \\dots, \\lambda_n)\\, Q^\\top,

    with eigenvalues :math:`\\lambda` spaced geometrically from 1 to
    ``condition_number`` (so :math:`L = \\kappa` is the gradient's Lipschitz
    constant, and plain gradient descent is stable for step sizes below
    :math:`2 / \\kappa`) and :math:`Q` a random rotation, or the identity. The
    minimizer :math:`x^*` is all ones and the minimum 0. Gradient descent's
    error shrinks by about :math:`1 - 1/\\kappa` per step at its best step
    size: the condition number sets its speed.

    Parameters
    ----------
    condition_number : float, default=10.0
        :math:`\\kappa = \\lambda_{max} / \\lambda_{min}`, at least 1 (exactly 1
        when ``n_features`` is 1).
    n_features : int, default=2
        The dimension n.
    rotate : bool, default=True
        Turn the eigenvectors by a random rotation, so that the valley does not
        lie along the axes (which favours the rules that scale each coordinate
        separately, such as Adam); False keeps :math:`A` diagonal.
    random_state : int, numpy.random.Generator or None, default=0
        The seed of the rotation, with ``rotate=True``.

    Returns
    -------
    function : TestFunction
        ``fun``, ``jac``, ``minimizer`` (all ones) and ``minimum`` (0.0).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.functions import quadratic
    >>> problem = quadratic(condition_number=100.0, rotate=False)
    >>> problem.jac(np.array([2.0, 2.0]))
    array([  1., 100.])
    """
    n_features = _dimension(n_features, smallest=1)
    if not (np.isfinite(condition_number) and condition_number >= 1.0):
        raise ValueError(f"condition_number must be a finite number >= 1, not {condition_number}")
    if n_features == 1 and condition_number != 1.0:
        raise ValueError("a quadratic of one variable has condition_number 1")
    eigenvalues = np.geomspace(1.0, condition_number, n_features)
    if rotate:
        # The Q of a Gaussian matrix's QR, its columns' signs fixed: a uniform rotation.
        gaussian = np.random.default_rng(random_state).standard_normal((n_features, n_features))
        q, r = np.linalg.qr(gaussian)
        rotation = q * np.sign(np.diag(r))
    else:
        rotation = np.eye(n_features)
    hessian = (rotation * eigenvalues) @ rotation.T
    minimizer = np.ones(n_features)

    def jac(x):
        x = _points(x, n_features)
        offset = x - minimizer.reshape((-1,) + (1,) * (x.ndim - 1))
        return np.tensordot(hessian, offset, axes=1)

    def fun(x):
        x = _points(x, n_features)
        offset = x - minimizer.reshape((-1,) + (1,) * (x.ndim - 1))
        return 0.5 * np.sum(offset * np.tensordot(hessian, offset, axes=1), axis=0)

    return TestFunction(fun, jac, minimizer, 0.0)


def _dimension(n_features, smallest):
    if isinstance(n_features, bool) or not isinstance(n_features, int | np.integer):
        raise ValueError(f"n_features must be an integer, not {n_features!r}")
    if n_features < smallest:
        raise ValueError(f"n_features must be at least {smallest}, not {n_features}")
    return int(n_features)


def _points(x, n_features):
    """``x`` as a float array of shape (n_features, ...)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0 or x.shape[0] != n_features:
        raise ValueError(f"x must have shape ({n_features},) or ({n_features}, ...), not {x.shape}")
    return x

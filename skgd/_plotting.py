"""Displays in scikit-learn's style: loss curves and optimizer paths.

matplotlib is an optional dependency (``pip install skgd[plot]``), imported
only when a display draws.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._losses import objective, raw_output
from ._reference import optimal_objective, training_data


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plotting needs matplotlib: pip install 'skgd[plot]' (or pip install matplotlib)."
        ) from error
    return plt


def _named(estimators):
    """``{name: fitted estimator}`` from a dict, or from a list named by optimizer.

    Repeated optimizers in a list are numbered ("adam", "adam (2)"), so no
    curve hides another.
    """
    if not isinstance(estimators, dict):
        named = {}
        for estimator in estimators:
            name, count = estimator.optimizer, 1
            while name in named:
                count += 1
                name = f"{estimator.optimizer} ({count})"
            named[name] = estimator
        estimators = named
    for estimator in estimators.values():
        check_is_fitted(estimator)
    return dict(estimators)


class LossCurveDisplay:
    """Loss curves (``loss_curve_``) of fitted skgd estimators, with the optimum for reference.

    Build it with :meth:`from_estimator` or :meth:`from_estimators`; the
    constructor takes the data directly.

    Parameters
    ----------
    loss_curves : dict of str to list of float
        One loss curve per name, one value per epoch.
    optimum : float or None, default=None
        The lowest value of the objective (from the closed form or
        ``LogisticRegression``), drawn as a horizontal line.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The curve drawn for each name.
    optimum_line_ : matplotlib Line2D or None
        The reference line.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import scale
    >>> from skgd import GDLinearRegressor, LossCurveDisplay
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = scale(X)
    >>> fits = [GDLinearRegressor(optimizer=o, random_state=0).fit(X, y) for o in ("sgd", "adam")]
    >>> display = LossCurveDisplay.from_estimators(fits, X, y)
    >>> sorted(display.lines_)
    ['adam', 'sgd']
    """

    def __init__(self, *, loss_curves, optimum=None):
        self.loss_curves = loss_curves
        self.optimum = optimum

    def plot(self, ax=None, *, log_scale=True):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        log_scale : bool, default=True
            Draw the objective on a logarithmic axis.

        Returns
        -------
        self : LossCurveDisplay
        """
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots()
        self.lines_ = {}
        for name, curve in self.loss_curves.items():
            epochs = np.arange(1, len(curve) + 1)
            (self.lines_[name],) = ax.plot(epochs, curve, label=name)
        self.optimum_line_ = None
        if self.optimum is not None:
            self.optimum_line_ = ax.axhline(
                self.optimum, color="black", linestyle="--", linewidth=1, label="optimum"
            )
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("objective (mean loss + penalty)")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X=None, y=None, *, sample_weight=None, name=None,
                       ax=None, log_scale=True):  # fmt: skip
        """Draw one fitted estimator's loss curve.

        Parameters
        ----------
        estimator : GDLinearRegressor or GDClassifier
            A fitted estimator.
        X, y : array-like, default=None
            The training data; when given, the optimum of the same objective
            (closed form or ``LogisticRegression``) is drawn as a reference.
        sample_weight : array-like of shape (n_samples,), default=None
            The training weights, for the optimum.
        name : str, default=None
            Legend entry; the optimizer's name when None.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        log_scale : bool, default=True
            Draw the objective on a logarithmic axis.

        Returns
        -------
        display : LossCurveDisplay
        """
        name = estimator.optimizer if name is None else name
        return cls.from_estimators({name: estimator}, X, y, sample_weight=sample_weight, ax=ax,
                                   log_scale=log_scale)  # fmt: skip

    @classmethod
    def from_estimators(cls, estimators, X=None, y=None, *, sample_weight=None, ax=None,
                        log_scale=True):  # fmt: skip
        """Draw several fitted estimators' loss curves on one axes.

        Parameters
        ----------
        estimators : dict of str to estimator, or list of estimators
            Fitted estimators; a list is labelled by each one's optimizer.
        X, y : array-like, default=None
            The training data; when given, the optimum of the first estimator's
            objective is drawn as a reference.
        sample_weight : array-like of shape (n_samples,), default=None
            The training weights, for the optimum.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        log_scale : bool, default=True
            Draw the objective on a logarithmic axis.

        Returns
        -------
        display : LossCurveDisplay
        """
        estimators = _named(estimators)
        optimum = None
        if X is not None and y is not None:
            first = next(iter(estimators.values()))
            optimum, _ = optimal_objective(first, X, y, sample_weight)
        curves = {name: list(estimator.loss_curve_) for name, estimator in estimators.items()}
        return cls(loss_curves=curves, optimum=optimum).plot(ax=ax, log_scale=log_scale)


class OptimizerPathDisplay:
    """Paths of two coefficients during training, over the contours of the objective.

    The classic picture: plain gradient descent zig-zags across a narrow valley,
    momentum smooths the path, Adam moves every coordinate at a similar pace.
    Fit with ``record_path=True``; build it with :meth:`from_estimator` or
    :meth:`from_estimators`.

    The contours show the objective as a function of the two chosen
    coefficients with every other coefficient held at the optimum of the
    objective (closed form or ``LogisticRegression``), which is marked.

    Parameters
    ----------
    paths : dict of str to ndarray of shape (n_steps + 1, 2)
        The two coefficients before the first step and after every step.
    grid : tuple of (ndarray, ndarray, ndarray)
        ``(first, second, objective)``: the coefficient values along each axis
        and the objective on that grid, shape (len(second), len(first)).
    optimum : ndarray of shape (2,)
        The two coefficients at the optimum.
    labels : tuple of str
        Axis labels.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The path drawn for each name.
    contour_ : matplotlib ContourSet
        The contours.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.
    """

    def __init__(self, *, paths, grid, optimum, labels):
        self.paths = paths
        self.grid = grid
        self.optimum = optimum
        self.labels = labels

    def plot(self, ax=None, *, levels=25):
        """Draw the contours and the paths.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        levels : int, default=25
            Number of contour levels (spaced evenly in the logarithm of the
            objective's excess over its optimum, so the valley floor shows).

        Returns
        -------
        self : OptimizerPathDisplay
        """
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots()
        first, second, values = self.grid
        excess = values - values.min()
        positive = excess[excess > 0]
        low = positive.min() if positive.size else 1.0
        contour_levels = np.geomspace(low, max(excess.max(), low * 10), levels)
        self.contour_ = ax.contour(first, second, excess, levels=contour_levels,
                                   cmap="viridis", linewidths=0.8, alpha=0.6)  # fmt: skip
        self.lines_ = {}
        for name, path in self.paths.items():
            (self.lines_[name],) = ax.plot(path[:, 0], path[:, 1], marker=".", markersize=3,
                                           linewidth=1, label=name)  # fmt: skip
        ax.plot(*self.optimum, marker="*", markersize=12, color="black", linestyle="none",
                label="optimum")  # fmt: skip
        ax.set_xlabel(self.labels[0])
        ax.set_ylabel(self.labels[1])
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, coefficients=(0, 1), output=0,
                       sample_weight=None, name=None, ax=None, grid_resolution=80):  # fmt: skip
        """Draw one estimator's path (fitted with ``record_path=True``).

        Parameters
        ----------
        estimator : GDLinearRegressor or GDClassifier
            Fitted with ``record_path=True``.
        X, y : array-like
            The training data.
        coefficients : tuple of two (int or "intercept"), default=(0, 1)
            Which coefficients to follow: feature indices, or "intercept".
        output : int, default=0
            Which row of ``coef_`` (target or class) when there are several.
        sample_weight : array-like of shape (n_samples,), default=None
            The training weights.
        name : str, default=None
            Legend entry; the optimizer's name when None.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        grid_resolution : int, default=80
            Points along each axis of the contour grid.

        Returns
        -------
        display : OptimizerPathDisplay
        """
        name = estimator.optimizer if name is None else name
        return cls.from_estimators({name: estimator}, X, y, coefficients=coefficients,
                                   output=output, sample_weight=sample_weight, ax=ax,
                                   grid_resolution=grid_resolution)  # fmt: skip

    @classmethod
    def from_estimators(cls, estimators, X, y, *, coefficients=(0, 1), output=0,
                        sample_weight=None, ax=None, grid_resolution=80):  # fmt: skip
        """Draw several estimators' paths on one axes (all fitted with ``record_path=True``).

        Parameters
        ----------
        estimators : dict of str to estimator, or list of estimators
            Fitted estimators of the same objective; a list is labelled by
            each one's optimizer.
        X, y : array-like
            The training data.
        coefficients : tuple of two (int or "intercept"), default=(0, 1)
            Which coefficients to follow: feature indices, or "intercept".
        output : int, default=0
            Which row of ``coef_`` (target or class) when there are several.
        sample_weight : array-like of shape (n_samples,), default=None
            The training weights.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        grid_resolution : int, default=80
            Points along each axis of the contour grid.

        Returns
        -------
        display : OptimizerPathDisplay
        """
        estimators = _named(estimators)
        for name, estimator in estimators.items():
            if not hasattr(estimator, "coef_path_"):
                raise ValueError(
                    f"Estimator {name!r} has no coef_path_: fit it with record_path=True."
                )
        first_estimator = next(iter(estimators.values()))
        _check_coefficients(coefficients, output, first_estimator)
        _, reference = optimal_objective(first_estimator, X, y, sample_weight)
        best = _parameters(reference.coef_, reference.intercept_, first_estimator)
        paths = {
            name: np.column_stack(
                [
                    _follow(estimator, c, output, estimator.coef_path_, estimator.intercept_path_)
                    for c in coefficients
                ]  # fmt: skip
            )
            for name, estimator in estimators.items()
        }
        optimum = np.array([_pick(best, c, output) for c in coefficients])
        grid = _objective_grid(first_estimator, X, y, sample_weight, best, coefficients, output,
                               paths, optimum, grid_resolution)  # fmt: skip
        labels = tuple(_label(c) for c in coefficients)
        return cls(paths=paths, grid=grid, optimum=optimum, labels=labels).plot(ax=ax)


def _check_coefficients(coefficients, output, estimator):
    n_features, n_outputs = estimator.n_features_in_, estimator._theta.shape[0]
    valid = len(coefficients) == 2 and all(
        c == "intercept" or (isinstance(c, (int, np.integer)) and 0 <= c < n_features)
        for c in coefficients
    )
    if not valid:
        raise ValueError(
            f"coefficients must be two feature indices in [0, {n_features}) or 'intercept', "
            f"got {coefficients!r}."
        )
    if not 0 <= output < n_outputs:
        raise ValueError(f"output must be in [0, {n_outputs}), got {output!r}.")


def _column(coefficient):
    """Column of a coefficient in a (n_outputs, n_features + 1) parameter array."""
    return -1 if coefficient == "intercept" else coefficient


def _label(coefficient):
    return "intercept" if coefficient == "intercept" else f"coef[{coefficient}]"


def _parameters(coef, intercept, estimator):
    """(n_outputs, n_features + 1) array of coefficients then intercepts."""
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    intercept = np.reshape(np.asarray(intercept, dtype=np.float64), -1)
    if intercept.size == 0 or not estimator.fit_intercept:
        intercept = np.zeros(coef.shape[0])
    return np.column_stack([coef, intercept])


def _pick(parameters, coefficient, output):
    return parameters[output, _column(coefficient)]


def _follow(estimator, coefficient, output, coef_path, intercept_path):
    """One coefficient's values along a recorded path."""
    steps = coef_path.shape[0]
    if coefficient == "intercept":
        return np.reshape(intercept_path, (steps, -1))[:, output]
    return np.reshape(coef_path, (steps, -1, estimator.n_features_in_))[:, output, coefficient]


def _objective_grid(estimator, X, y, sample_weight, best, coefficients, output, paths, optimum,
                    resolution):  # fmt: skip
    """The objective over a grid of the two coefficients, the others at the optimum."""
    points = np.vstack([*paths.values(), optimum[None, :]])
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-3)
    low, high = low - margin, high + margin
    axes = [np.linspace(low[i], high[i], resolution) for i in range(2)]
    X, _, weights, targets = training_data(estimator, X, y, sample_weight)
    loss = estimator._loss_for(targets.shape[1])
    values = np.empty((resolution, resolution))
    for row, second in enumerate(axes[1]):
        for column, first in enumerate(axes[0]):
            parameters = best.copy()
            for coefficient, value in zip(coefficients, (first, second), strict=True):
                parameters[output, _column(coefficient)] = value
            raw = raw_output(X, parameters[:, :-1], parameters[:, -1])
            values[row, column] = objective(loss, raw, targets, weights, parameters[:, :-1],
                                            estimator.alpha)  # fmt: skip
    return axes[0], axes[1], values

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


def _axes(ax):
    """``ax``, or the axes of a new figure with room for a legend outside them."""
    if ax is None:
        _, ax = _pyplot().subplots(layout="constrained")
    return ax


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


_X_AXES = {"epochs": "epoch", "steps": "step", "seconds": "seconds of training"}
_KINDS = ("objective", "gap")


def _check_option(name, value, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}, got {value!r}.")


def _legend(ax, legend_loc):
    """A legend that hides no curve: matplotlib's emptiest corner, or right of the axes."""
    if legend_loc == "outside":
        return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return ax.legend(loc=legend_loc)


def _curve(estimator, x):
    """``(x values, objective values)`` of one fit along the chosen x-axis."""
    if x == "seconds":
        return np.asarray(estimator.time_curve_, dtype=float), np.asarray(estimator.loss_curve_)
    if x == "steps" and hasattr(estimator, "step_loss_curve_"):
        # the record knows its steps: it starts where a warm start switched it on
        steps = estimator._step_losses.steps()[: len(estimator.step_loss_curve_)]
        return steps, np.asarray(estimator.step_loss_curve_)
    losses = np.asarray(estimator.loss_curve_)
    epochs = np.arange(1, len(losses) + 1)
    if x == "steps":  # no per-step record: the epochs' ends, the fit's steps spread evenly
        return epochs * (estimator.t_ / max(estimator.n_iter_, 1)), losses
    return epochs, losses


class LossCurveDisplay:
    """Loss curves of fitted skgd estimators: the objective, or its distance to the optimum.

    Build it with :meth:`from_estimator` or :meth:`from_estimators`; the
    constructor takes the data directly.

    Two views (``kind``):

    - ``"objective"``: the objective :math:`J` along the fit, with its optimum
      :math:`J^*` (from the closed form or ``LogisticRegression``) as a dashed
      line;
    - ``"gap"``: :math:`J - J^*` on a logarithmic axis, where a linear rate of
      convergence is a straight line and the last digits of the gap show.

    Three x-axes (``x``): ``"epochs"`` (``loss_curve_``, one value per epoch),
    ``"steps"`` (with ``record_steps=True``, ``step_loss_curve_``: each step's
    batch objective, the noisy per-step view; otherwise the epochs' values at
    the step ending each epoch) and ``"seconds"`` (``loss_curve_`` against
    ``time_curve_``, the seconds of training; the first fit in a Python process
    includes the compilation of its loops).

    Parameters
    ----------
    loss_curves : dict of str to array-like of float
        One curve of objective values per name.
    optimum : float or None, default=None
        The lowest value of the objective, drawn as a horizontal line in the
        ``"objective"`` view and subtracted in the ``"gap"`` view.
    x_values : dict of str to array-like of float, default=None
        The x-coordinate of each value of ``loss_curves``, per name; None
        numbers the values 1, 2, ... (epochs).
    x : {"epochs", "steps", "seconds"}, default="epochs"
        What ``x_values`` count, for the axis label.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The curve drawn for each name.
    optimum_line_ : matplotlib Line2D or None
        The reference line (``"objective"`` view with a known optimum only).
    legend_ : matplotlib Legend
        The legend.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.

    See Also
    --------
    OptimizerPathDisplay : The paths of two coefficients over the objective's contours.
    LearningRateSweepDisplay : The final gap of several optimizers against the step size.

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
    >>> gaps = LossCurveDisplay.from_estimators(fits, X, y, kind="gap", x="seconds")
    >>> gaps.ax_.get_xlabel()
    'seconds of training'
    """

    def __init__(self, *, loss_curves, optimum=None, x_values=None, x="epochs"):
        self.loss_curves = loss_curves
        self.optimum = optimum
        self.x_values = x_values
        self.x = x

    def plot(self, ax=None, *, kind="objective", log_scale=True, legend_loc="best"):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        kind : {"objective", "gap"}, default="objective"
            Draw the objective, or its excess over ``optimum`` (which must
            then be known). Gaps at or below zero (a batch's objective can be
            below the optimum of the whole objective) are left out by the
            logarithmic axis.
        log_scale : bool, default=True
            Draw the y-axis on a logarithmic scale.
        legend_loc : str, default="best"
            Where the legend goes: any ``loc`` of matplotlib's ``Axes.legend``
            (``"best"`` picks the corner the curves leave emptiest), or
            ``"outside"``, right of the axes.

        Returns
        -------
        self : LossCurveDisplay
        """
        _check_option("kind", kind, _KINDS)
        _check_option("x", self.x, tuple(_X_AXES))
        if kind == "gap" and self.optimum is None:
            raise ValueError("kind='gap' needs the optimum: pass X and y, or optimum=.")
        ax = _axes(ax)
        offset = self.optimum if kind == "gap" else 0.0
        self.lines_ = {}
        if len(self.loss_curves) > 10:  # the default cycle repeats after 10 colours
            ax.set_prop_cycle(color=_pyplot().get_cmap("tab20").colors)
        for name, curve in self.loss_curves.items():
            curve = np.asarray(curve, dtype=float)
            if self.x_values is None:
                xs = np.arange(1, len(curve) + 1)
            else:
                xs = np.asarray(self.x_values[name], dtype=float)
            # a per-step curve has thousands of points: thin lines keep its noise readable
            width = 0.6 if self.x == "steps" and len(curve) > 500 else 1.5
            (self.lines_[name],) = ax.plot(xs, curve - offset, label=name, linewidth=width)
        self.optimum_line_ = None
        if self.optimum is not None and kind == "objective":
            self.optimum_line_ = ax.axhline(
                self.optimum, color="black", linestyle="--", linewidth=1, label="optimum"
            )
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel(_X_AXES[self.x])
        ax.set_ylabel("objective − optimum" if kind == "gap" else "objective (mean loss + penalty)")
        self.legend_ = _legend(ax, legend_loc)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X=None, y=None, *, sample_weight=None, name=None,
                       kind="objective", x="epochs", ax=None, log_scale=True,
                       legend_loc="best"):  # fmt: skip
        """Draw one fitted estimator's loss curve.

        Parameters
        ----------
        estimator : GDLinearRegressor or GDClassifier
            A fitted estimator.
        X, y : array-like, default=None
            The training data; when given, the optimum of the same objective
            (closed form or ``LogisticRegression``) is computed, as a reference
            line or for ``kind="gap"``.
        sample_weight : array-like of shape (n_samples,), default=None
            The training weights, for the optimum.
        name : str, default=None
            Legend entry; the optimizer's name when None.
        kind : {"objective", "gap"}, default="objective"
            The objective, or objective − optimum (which needs ``X`` and ``y``).
        x : {"epochs", "steps", "seconds"}, default="epochs"
            The x-axis: epochs (``loss_curve_``); steps (``step_loss_curve_``
            when the fit had ``record_steps=True``, else ``loss_curve_`` at
            epoch ``k`` drawn at step ``k * t_ / n_iter_``); or seconds
            (``loss_curve_`` against ``time_curve_``).
        ax : matplotlib Axes, default=None
            Axes to draw on.
        log_scale : bool, default=True
            Draw the y-axis on a logarithmic scale.
        legend_loc : str, default="best"
            Any ``loc`` of matplotlib's legend, or ``"outside"`` (right of the axes).

        Returns
        -------
        display : LossCurveDisplay
        """
        name = estimator.optimizer if name is None else name
        return cls.from_estimators({name: estimator}, X, y, sample_weight=sample_weight, kind=kind,
                                   x=x, ax=ax, log_scale=log_scale,
                                   legend_loc=legend_loc)  # fmt: skip

    @classmethod
    def from_estimators(cls, estimators, X=None, y=None, *, sample_weight=None,
                        kind="objective", x="epochs", ax=None, log_scale=True,
                        legend_loc="best"):  # fmt: skip
        """Draw several fitted estimators' loss curves on one axes.

        Parameters
        ----------
        estimators : dict of str to estimator, or list of estimators
            Fitted estimators; a list is labelled by each one's optimizer.
        X, y : array-like, default=None
            The training data; when given, the optimum of the first estimator's
            objective is computed, as a reference line or for ``kind="gap"``.
        sample_weight : array-like of shape (n_samples,), default=None
            The training weights, for the optimum.
        kind : {"objective", "gap"}, default="objective"
            The objective, or objective − optimum (which needs ``X`` and ``y``).
        x : {"epochs", "steps", "seconds"}, default="epochs"
            The x-axis, as in :meth:`from_estimator`.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        log_scale : bool, default=True
            Draw the y-axis on a logarithmic scale.
        legend_loc : str, default="best"
            Any ``loc`` of matplotlib's legend, or ``"outside"`` (right of the axes).

        Returns
        -------
        display : LossCurveDisplay
        """
        _check_option("kind", kind, _KINDS)
        _check_option("x", x, tuple(_X_AXES))
        estimators = _named(estimators)
        if kind == "gap" and (X is None or y is None):
            raise ValueError("kind='gap' needs the training data X and y, for the optimum.")
        optimum = None
        if X is not None and y is not None:
            first = next(iter(estimators.values()))
            optimum, _ = optimal_objective(first, X, y, sample_weight)
        curves, x_values = {}, {}
        for name, estimator in estimators.items():
            x_values[name], curves[name] = _curve(estimator, x)
        return cls(loss_curves=curves, optimum=optimum, x_values=x_values, x=x).plot(
            ax=ax, kind=kind, log_scale=log_scale, legend_loc=legend_loc
        )


class OptimizerPathDisplay:
    """Optimizer paths over the contours of the function they descend.

    The classic picture: plain gradient descent zig-zags across a narrow valley,
    momentum smooths the path, Adam moves every coordinate at a similar pace.
    Build it with :meth:`from_estimator` or :meth:`from_estimators` (two
    coefficients of estimators fitted with ``record_path=True``), or with
    :meth:`from_minimize` (the paths of :func:`~skgd.minimize` on a function of
    two variables). :meth:`animate` turns the drawing into an animation of the
    paths growing step by step.

    For estimators, the contours show the objective as a function of the two
    chosen coefficients with every other coefficient held at the optimum of the
    objective (closed form or ``LogisticRegression``), which is marked.

    The axes have an equal aspect by default, so that a contour's shape and
    orientation are those of the function: a valley of condition number 100 is
    drawn ten times longer than wide, the same way in every panel.

    Parameters
    ----------
    paths : dict of str to ndarray of shape (n_rows, 2)
        The two coordinates along each path, the start first.
    grid : tuple of (ndarray, ndarray, ndarray)
        ``(first, second, values)``: the coordinates along each axis and the
        function on that grid, shape (len(second), len(first)).
    optimum : ndarray of shape (2,)
        The two coordinates of the minimizer, marked with a star.
    labels : tuple of str
        Axis labels.
    strides : dict of str to int, default=None
        The steps between two rows of each path (an estimator's
        ``record_stride_``); None is 1 for every path.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The path drawn for each name.
    contour_ : matplotlib ContourSet
        The contours.
    legend_ : matplotlib Legend
        The legend.
    frame_steps_ : ndarray of int
        After :meth:`animate`, the step number of each frame.
    step_text_ : matplotlib Text
        After :meth:`draw_until` (or a frame of :meth:`animate`), the caption
        "step k".
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.

    See Also
    --------
    LossCurveDisplay : The objective along the fit.
    skgd.minimize : The update rules on any function of a vector.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skgd import OptimizerPathDisplay, minimize
    >>> from skgd.functions import quadratic
    >>> problem = quadratic(condition_number=100.0)
    >>> results = {rule: minimize(problem.fun, [-1.0, 2.0], jac=problem.jac, optimizer=rule,
    ...                           learning_rate=0.015, max_iter=50, tol=None)
    ...            for rule in ("batch", "momentum")}
    >>> display = OptimizerPathDisplay.from_minimize(results, problem)
    >>> display.ax_.get_aspect()
    1.0
    >>> animation = display.animate(frames=10)
    >>> html = animation.to_jshtml()  # for a notebook; animation.save("paths.gif") for a file
    """

    def __init__(self, *, paths, grid, optimum, labels, strides=None):
        self.paths = paths
        self.grid = grid
        self.optimum = optimum
        self.labels = labels
        self.strides = strides

    def plot(self, ax=None, *, levels=25, equal_aspect=True, legend_loc="best"):
        """Draw the contours and the paths.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        levels : int, default=25
            Number of contour levels, spaced evenly in the logarithm of the
            function's excess over its lowest value on the grid, so that the
            valley floor shows as well as the walls (Rosenbrock's valley
            needs it).
        equal_aspect : bool, default=True
            One unit is as long on both axes, so that contours keep their
            shape; False lets the axes fill their box.
        legend_loc : str, default="best"
            Any ``loc`` of matplotlib's legend, or ``"outside"`` (right of the axes).

        Returns
        -------
        self : OptimizerPathDisplay
        """
        ax = _axes(ax)
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
                label="minimizer")  # fmt: skip
        ax.set_xlim(first[0], first[-1])
        ax.set_ylim(second[0], second[-1])
        if equal_aspect:
            ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel(self.labels[0])
        ax.set_ylabel(self.labels[1])
        self.legend_ = _legend(ax, legend_loc)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def animate(self, *, frames=50, interval=100, repeat_delay=1000):
        """An animation of the drawn paths growing, step by step.

        Each frame draws every path up to one step number, the same for all
        paths (a path that stopped earlier stays whole); the last frame shows
        every path whole. Save it as a GIF with
        ``animation.save("paths.gif", writer="pillow")`` (pillow comes with
        matplotlib), or show it in a notebook with
        ``IPython.display.HTML(animation.to_jshtml())``; ``to_html5_video``
        would need ffmpeg. Keep a reference to the animation while it plays.

        Parameters
        ----------
        frames : int, default=50
            The most frames: the step numbers shown are spread evenly from 0
            (the starts) to the longest path's last step, at most one frame per
            step.
        interval : int, default=100
            Milliseconds between frames.
        repeat_delay : int, default=1000
            Milliseconds the last frame stays before the animation repeats.

        Returns
        -------
        animation : matplotlib.animation.FuncAnimation
            Its frames are the step numbers shown, also in ``frame_steps_``;
            each is drawn by :meth:`draw_until`.
        """
        if not hasattr(self, "lines_"):
            raise ValueError("Call plot (or a from_* constructor) before animate.")
        if isinstance(frames, bool) or not isinstance(frames, int | np.integer) or frames < 2:
            raise ValueError(f"frames must be an integer of at least 2, got {frames!r}.")
        from matplotlib.animation import FuncAnimation

        last_step = max((len(path) - 1) * stride for path, stride in self._strided())
        self.frame_steps_ = np.unique(np.round(np.linspace(0, last_step, frames)).astype(int))
        return FuncAnimation(self.figure_, self.draw_until, frames=self.frame_steps_,
                             init_func=lambda: [], interval=interval,
                             repeat_delay=repeat_delay)  # fmt: skip

    def draw_until(self, step):
        """Redraw every path up to step number ``step``: one frame of :meth:`animate`.

        Parameters
        ----------
        step : int
            The last step shown (0: the starts only); a path that ended
            earlier is drawn whole.

        Returns
        -------
        artists : list of matplotlib Artist
            The redrawn lines and the caption ``step_text_`` ("step k").
        """
        if not hasattr(self, "lines_"):
            raise ValueError("Call plot (or a from_* constructor) before draw_until.")
        if not hasattr(self, "step_text_"):
            self.step_text_ = self.ax_.text(0.02, 0.98, "", transform=self.ax_.transAxes,
                                            va="top", ha="left", fontsize="small")  # fmt: skip
        for line, (path, stride) in zip(self.lines_.values(), self._strided(), strict=True):
            shown = path[: int(step) // stride + 1]
            line.set_data(shown[:, 0], shown[:, 1])
        self.step_text_.set_text(f"step {int(step)}")
        return [*self.lines_.values(), self.step_text_]

    def _strided(self):
        """``(path, steps between its rows)`` per path, in the order of ``lines_``."""
        strides = self.strides or {}
        return [(path, strides.get(name, 1)) for name, path in self.paths.items()]

    @classmethod
    def from_minimize(cls, results, function, *, window=None, grid_resolution=200,
                      labels=("x₀", "x₁"), ax=None, levels=25, equal_aspect=True,
                      legend_loc="best"):  # fmt: skip
        """Draw :func:`~skgd.minimize`'s paths over the contours of a function of two variables.

        Parameters
        ----------
        results : dict of str to OptimizeResult or ndarray
            Per name, a result of :func:`~skgd.minimize` (its ``path`` is
            drawn) or a path of shape (n_rows, 2) itself.
        function : TestFunction or callable
            A :class:`~skgd.functions.TestFunction` (its minimizer is marked),
            or ``fun`` alone; either way it must take a grid of points,
            an array of shape (2, rows, columns).
        window : tuple of 4 float, default=None
            ``(left, right, bottom, top)`` of the drawing; None frames the
            paths and the minimizer with a margin.
        grid_resolution : int, default=200
            Points along each axis of the contour grid.
        labels : tuple of str, default=("x₀", "x₁")
            Axis labels.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        levels : int, default=25
            Number of contour levels (log-spaced, as in :meth:`plot`).
        equal_aspect : bool, default=True
            One unit as long on both axes.
        legend_loc : str, default="best"
            Any ``loc`` of matplotlib's legend, or ``"outside"``.

        Returns
        -------
        display : OptimizerPathDisplay
        """
        fun = function.fun if hasattr(function, "fun") else function
        if not callable(fun):
            raise ValueError(f"function must be a TestFunction or a callable, got {function!r}.")
        paths = {}
        for name, result in dict(results).items():
            path = np.asarray(getattr(result, "path", result), dtype=float)
            if path.ndim != 2 or path.shape[1] != 2:
                raise ValueError(
                    f"results[{name!r}] must be a path of two variables, shape (n_rows, 2); "
                    f"got shape {path.shape}."
                )
            paths[name] = path
        minimizer = getattr(function, "minimizer", None)
        optimum = np.full(2, np.nan) if minimizer is None else np.asarray(minimizer, dtype=float)
        if window is None:
            left, right, bottom, top = _window([*paths.values(), optimum[None, :]])
        else:
            if len(window) != 4 or not (window[0] < window[1] and window[2] < window[3]):
                raise ValueError(f"window must be (left, right, bottom, top), got {window!r}.")
            left, right, bottom, top = window
        first = np.linspace(left, right, grid_resolution)
        second = np.linspace(bottom, top, grid_resolution)
        values = np.asarray(fun(np.stack(np.meshgrid(first, second))), dtype=float)
        display = cls(paths=paths, grid=(first, second, values), optimum=optimum,
                      labels=tuple(labels))  # fmt: skip
        return display.plot(ax=ax, levels=levels, equal_aspect=equal_aspect, legend_loc=legend_loc)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, coefficients=(0, 1), output=0,
                       sample_weight=None, name=None, ax=None, grid_resolution=80,
                       equal_aspect=True, legend_loc="best"):  # fmt: skip
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
        equal_aspect : bool, default=True
            One unit as long on both axes.
        legend_loc : str, default="best"
            Any ``loc`` of matplotlib's legend, or ``"outside"``.

        Returns
        -------
        display : OptimizerPathDisplay
        """
        name = estimator.optimizer if name is None else name
        return cls.from_estimators({name: estimator}, X, y, coefficients=coefficients,
                                   output=output, sample_weight=sample_weight, ax=ax,
                                   grid_resolution=grid_resolution, equal_aspect=equal_aspect,
                                   legend_loc=legend_loc)  # fmt: skip

    @classmethod
    def from_estimators(cls, estimators, X, y, *, coefficients=(0, 1), output=0,
                        sample_weight=None, ax=None, grid_resolution=80, equal_aspect=True,
                        legend_loc="best"):  # fmt: skip
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
        equal_aspect : bool, default=True
            One unit as long on both axes.
        legend_loc : str, default="best"
            Any ``loc`` of matplotlib's legend, or ``"outside"``.

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
        strides = {name: estimator.record_stride_ for name, estimator in estimators.items()}
        display = cls(paths=paths, grid=grid, optimum=optimum, labels=labels, strides=strides)
        return display.plot(ax=ax, equal_aspect=equal_aspect, legend_loc=legend_loc)


def _window(point_sets):
    """``(left, right, bottom, top)`` framing the points with a margin, NaNs ignored.

    The shorter side is widened to at least half the longer one: with an
    equal aspect a narrow window would draw a sliver, and the contours around
    the paths show where the valley's walls are.
    """
    points = np.vstack(point_sets)
    points = points[np.all(np.isfinite(points), axis=1)]
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-3)
    low, high = low - margin, high + margin
    span = high - low
    widen = np.maximum(0.5 * span.max() - span, 0.0) / 2
    low, high = low - widen, high + widen
    return low[0], high[0], low[1], high[1]


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
    left, right, bottom, top = _window([*paths.values(), optimum[None, :]])
    axes = [np.linspace(left, right, resolution), np.linspace(bottom, top, resolution)]
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

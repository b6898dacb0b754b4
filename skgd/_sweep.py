"""The final distance to the optimum of several optimizers against the step size."""

import numpy as np
from sklearn.base import clone

from ._objective import objective, optimal_objective
from ._plotting import _axes, _legend

# A fit that reaches the optimum to rounding shows a gap of about this, or a
# rounding error of either sign: drawn at this floor so that the log axis keeps it.
GAP_FLOOR = np.finfo(np.float64).eps


class LearningRateSweepDisplay:
    """How close each optimizer gets to the optimum, against the step size η (``learning_rate``).

    One line per optimizer, one point per step size, on logarithmic axes: the
    curve is flat and low over the step sizes that work, rises to the left
    (steps too short for the budget) and ends on the right where the steps
    diverge. Build it with :meth:`from_estimator` (clones of an estimator
    fitted at each step size) or :meth:`from_function` (:func:`~skgd.minimize`
    on a test function).

    A fit that diverges (the estimator's divergence error, or a non-finite
    result of ``minimize``) has an infinite gap and leaves its line, which
    stops there; gaps below the float64 rounding ``eps`` are drawn at ``eps``.

    Parameters
    ----------
    learning_rates : array-like of shape (n_rates,)
        The step sizes, shared by every line.
    gaps : dict of str to array-like of shape (n_rates,)
        Per optimizer, the gap reached at each step size (``inf`` where the
        fit diverged).
    ylabel : str, default="(objective − optimum) / optimum"
        What the gaps measure.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The line drawn for each optimizer: x the step sizes, y the gaps
        (non-finite ones as NaN, which leave the line).
    legend_ : matplotlib Legend
        The legend.
    ax_ : matplotlib Axes
        The axes drawn on.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.

    See Also
    --------
    LossCurveDisplay : The objective along one fit.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skgd import LearningRateSweepDisplay
    >>> from skgd.functions import quadratic
    >>> display = LearningRateSweepDisplay.from_function(
    ...     quadratic(10.0), [0.0, 0.0], learning_rates=np.geomspace(1e-3, 1.0, 7),
    ...     optimizers=["batch", "adam"], max_iter=50)
    >>> display.lines_["batch"].get_xdata().shape
    (7,)
    """

    def __init__(self, *, learning_rates, gaps, ylabel="(objective − optimum) / optimum"):
        self.learning_rates = learning_rates
        self.gaps = gaps
        self.ylabel = ylabel

    def plot(self, ax=None, *, legend_loc="best"):
        """Draw one line per optimizer on logarithmic axes.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        legend_loc : str, default="best"
            Any ``loc`` of matplotlib's legend, or ``"outside"`` (right of the axes).

        Returns
        -------
        self : LearningRateSweepDisplay
        """
        ax = _axes(ax)
        rates = np.asarray(self.learning_rates, dtype=float)
        self.lines_ = {}
        for name, gaps in self.gaps.items():
            drawn = _drawn(gaps)
            (self.lines_[name],) = ax.plot(rates, drawn, marker="o", markersize=4, label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("learning_rate η")
        ax.set_ylabel(self.ylabel)
        self.legend_ = _legend(ax, legend_loc)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, learning_rates, optimizers=None,
                       sample_weight=None, ax=None, legend_loc="best"):  # fmt: skip
        """Fit a clone of ``estimator`` per optimizer and step size, and draw the final gaps.

        Each clone keeps every parameter of ``estimator`` but ``optimizer``
        and ``learning_rate``, ``max_iter`` and ``tol`` included: with
        ``tol=None`` every fit runs ``max_iter`` epochs, the same budget for
        all (the usual sweep); with a ``tol`` each stops by the estimator's
        rule, and the gap then says how well that rule did. The gap is the
        relative excess of the final objective over the optimum,
        ``(objective - optimum) / optimum`` (see :func:`~skgd.objective` and
        :func:`~skgd.optimal_objective`), or the plain excess when the optimum
        is 0.

        Parameters
        ----------
        estimator : GDLinearRegressor or GDClassifier
            The estimator to clone, fitted or not.
        X, y : array-like
            The training data.
        learning_rates : array-like of float
            The step sizes, all positive.
        optimizers : list of str, default=None
            The optimizers, one line each; None is ``[estimator.optimizer]``.
        sample_weight : array-like of shape (n_samples,), default=None
            The training weights.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        legend_loc : str, default="best"
            Any ``loc`` of matplotlib's legend, or ``"outside"``.

        Returns
        -------
        display : LearningRateSweepDisplay
            ``fits_`` holds each fitted clone, ``{optimizer: [estimator or
            None if it diverged, per step size]}``.
        """
        rates = _check_rates(learning_rates)
        optimizers = [estimator.optimizer] if optimizers is None else list(optimizers)
        gaps, fits, optimum = {}, {}, None
        for optimizer in optimizers:
            gaps[optimizer], fits[optimizer] = [], []
            for rate in rates:
                model = clone(estimator).set_params(optimizer=optimizer, learning_rate=rate)
                try:
                    model.fit(X, y, sample_weight=sample_weight)
                except ValueError as error:
                    if "diverged" not in str(error):
                        raise
                    gaps[optimizer].append(np.inf)
                    fits[optimizer].append(None)
                    continue
                if optimum is None:  # the objective is the same for every clone
                    optimum = optimal_objective(model, X, y, sample_weight)
                value = objective(model, X, y, sample_weight)
                gaps[optimizer].append(relative_gap(value, optimum))
                fits[optimizer].append(model)
        display = cls(learning_rates=rates, gaps={k: np.array(v) for k, v in gaps.items()})
        display.fits_ = fits
        return display.plot(ax=ax, legend_loc=legend_loc)

    @classmethod
    def from_function(cls, function, x0, *, learning_rates, optimizers, max_iter=100, ax=None,
                      legend_loc="best", **params):  # fmt: skip
        """Run :func:`~skgd.minimize` per optimizer and step size, and draw ``f(x) - f*``.

        Every run takes ``max_iter`` steps (``tol=None``) from ``x0``; the gap
        is ``function.fun(result.x) - function.minimum``, infinite when the
        run diverged: it stopped on a non-finite step, or ended above where
        it started (a step too long for the function, not yet overflowing).

        Parameters
        ----------
        function : TestFunction
            A function of :mod:`skgd.functions` (or any object with ``fun``,
            ``jac`` and ``minimum``).
        x0 : array-like
            The start of every run.
        learning_rates : array-like of float
            The step sizes, all positive.
        optimizers : list of str
            The update rules, one line each.
        max_iter : int, default=100
            The steps of every run.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        legend_loc : str, default="best"
            Any ``loc`` of matplotlib's legend, or ``"outside"``.
        **params
            Further parameters of :func:`~skgd.minimize` (``beta``, ...).

        Returns
        -------
        display : LearningRateSweepDisplay
        """
        from ._minimize import NON_FINITE, minimize

        rates = _check_rates(learning_rates)
        gaps = {}
        for optimizer in optimizers:
            gaps[optimizer] = np.empty(len(rates))
            for index, rate in enumerate(rates):
                # steps too long for the function overflow: that is what the sweep shows
                with np.errstate(over="ignore", invalid="ignore"):
                    result = minimize(function.fun, x0, jac=function.jac, optimizer=optimizer,
                                      learning_rate=rate, max_iter=max_iter, tol=None,
                                      **params)  # fmt: skip
                diverged = result.status == NON_FINITE or result.fun > result.fun_path[0]
                gaps[optimizer][index] = np.inf if diverged else result.fun - function.minimum
        display = cls(learning_rates=rates, gaps=gaps, ylabel="f(x) − f*")
        return display.plot(ax=ax, legend_loc=legend_loc)


def relative_gap(value, optimum):
    """``(value - optimum) / optimum``, or ``value - optimum`` when the optimum is 0."""
    excess = value - optimum
    return excess / optimum if optimum > 0 else excess


def _drawn(gaps):
    """Gaps as drawn: non-finite ones as NaN (a break in the line), tiny ones at the floor."""
    gaps = np.asarray(gaps, dtype=float)
    return np.where(np.isfinite(gaps), np.maximum(gaps, GAP_FLOOR), np.nan)


def _check_rates(learning_rates):
    rates = np.asarray(learning_rates, dtype=float)
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError(
            f"learning_rates must be a non-empty list of positive numbers, got {learning_rates!r}."
        )
    return rates

"""Public helpers: the objective of a fitted estimator, and its exact optimum.

Both are the computations of ``_reference`` (which comparisons and plots use),
checked and documented for users.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import BaseGD
from ._reference import optimal_objective as _optimum_and_solution
from ._reference import training_objective


def objective(estimator, X, y, sample_weight=None, *, coef=None, intercept=None):
    """The objective a fitted estimator minimizes, on data, at its coefficients or given ones.

    For :class:`~skgd.GDLinearRegressor` the weighted mean squared error (averaged
    over the targets), for :class:`~skgd.GDClassifier` the weighted mean
    log-loss, plus ``alpha * ||coef||^2`` in both cases: the function
    :doc:`/user_guide/objective` defines, the one ``loss_curve_`` records.

    Parameters
    ----------
    estimator : GDLinearRegressor or GDClassifier
        A fitted estimator. Its ``alpha`` and, for the classifier, its
        ``classes_`` and ``class_weight`` define the objective.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Data.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets or class labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples; None weighs each sample 1.
    coef : array-like of the shape of ``estimator.coef_``, default=None
        Coefficients at which to evaluate the objective; None uses the
        estimator's own ``coef_``.
    intercept : float or array-like of the shape of ``estimator.intercept_``, default=None
        Intercepts at which to evaluate the objective; None uses the
        estimator's own ``intercept_``.

    Returns
    -------
    value : float
        The objective's value.

    See Also
    --------
    optimal_objective : The lowest value of the same objective.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.metrics import mean_squared_error
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgd import GDLinearRegressor, objective
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = GDLinearRegressor(alpha=0.01).fit(X, y)
    >>> by_hand = mean_squared_error(y, model.predict(X)) + 0.01 * np.sum(model.coef_**2)
    >>> bool(np.isclose(objective(model, X, y), by_hand))
    True
    >>> round(objective(model, X, y, coef=np.zeros(10), intercept=y.mean()), 2)  # y's variance
    5929.88
    """
    _check_estimator(estimator, "objective")
    check_is_fitted(estimator)
    for name, given, fitted in [("coef", coef, "coef_"), ("intercept", intercept, "intercept_")]:
        expected = np.shape(getattr(estimator, fitted))
        # a coef of the right size but another shape (transposed) would be read wrongly
        wrong = np.shape(given) != expected if name == "coef" else (
            np.size(given) != np.prod(expected, dtype=int))  # fmt: skip
        if given is not None and wrong:
            raise ValueError(
                f"{name} must have the shape of the estimator's {fitted}, {expected}; it has "
                f"shape {np.shape(given)}"
            )
    return training_objective(estimator, X, y, sample_weight, coef=coef, intercept=intercept)


def optimal_objective(estimator, X, y, sample_weight=None):
    """The lowest value of a fitted estimator's objective on data, from an exact solver.

    The minimizer comes from scikit-learn's solver of the same objective:
    ``LinearRegression``, or ``Ridge(alpha=alpha * n_targets * sum(sample_weight))``
    when ``alpha > 0``, for the regressor (a closed form); ``LogisticRegression``
    with ``C = 1 / (2 * alpha * sum(sample_weight))`` (no penalty when
    ``alpha=0``), solved to a tolerance of 1e-10, for the classifier. The
    value is then :func:`objective` at that minimizer, so the two are
    comparable: ``objective(model, X, y) - optimal_objective(model, X, y)`` is
    how far a fit is from the optimum.

    Parameters
    ----------
    estimator : GDLinearRegressor or GDClassifier
        A fitted estimator. Its ``alpha`` and ``fit_intercept`` and, for the
        classifier, its ``classes_`` and ``class_weight`` define the objective;
        its coefficients are not used.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Data.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets or class labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples; None weighs each sample 1.

    Returns
    -------
    value : float
        The objective's minimum.

    See Also
    --------
    objective : The objective at the estimator's coefficients or at given ones.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgd import GDLinearRegressor, objective, optimal_objective
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = GDLinearRegressor(optimizer="sgd", max_iter=3, tol=None).fit(X, y)
    >>> gap = objective(model, X, y) - optimal_objective(model, X, y)
    >>> bool(gap >= 0)
    True
    """
    _check_estimator(estimator, "optimal_objective")
    value, _ = _optimum_and_solution(estimator, X, y, sample_weight)
    return value


def _check_estimator(estimator, function):
    if not isinstance(estimator, BaseGD):
        raise TypeError(
            f"{function} takes a fitted GDLinearRegressor or GDClassifier as estimator, not "
            f"{type(estimator).__name__}"
        )

"""The objective of a fitted skgd estimator, and scikit-learn's solution of the same objective.

``LinearRegression``/``Ridge`` and ``LogisticRegression`` minimize exactly the
objective skgd's estimators descend, once ``alpha`` is translated (see the
estimators' docstrings); comparisons and plots measure skgd against them.
"""

import warnings

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.utils.validation import _check_sample_weight, check_array, check_is_fitted

from ._certificate import _TrainingObjective
from ._losses import objective, raw_output
from ._precondition import fit_preconditioner, model_from_solver, solver_from_model

#: the gradient norm (in the solver's coordinates) at which the classifier's optimum is taken
OPTIMUM_GTOL = 1e-12


def training_data(estimator, X, y, sample_weight=None):
    """``(X, y, weights, targets)`` as ``estimator`` trains on them (class weights included)."""
    X = check_array(X, accept_sparse="csr", dtype=np.float64)
    name = type(estimator).__name__
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {name} was fitted with "
                         f"n_features_in_={estimator.n_features_in_}.")  # fmt: skip
    y = np.asarray(y)
    sample_weight = _check_sample_weight(sample_weight, X)
    sample_weight = sample_weight * estimator._class_weights(y, partial=False)
    targets = estimator._encode_targets(y, np.float64)
    if targets.shape[1] != estimator._model.shape[0]:
        raise ValueError(f"y has {targets.shape[1]} targets, but {name} was fitted with "
                         f"{estimator._model.shape[0]}: its objective needs as many.")  # fmt: skip
    return X, y, sample_weight, targets


def training_objective(estimator, X, y, sample_weight=None, coef=None, intercept=None):
    """The objective ``estimator`` minimizes, on ``(X, y)``, at its coefficients or at given ones.

    ``coef`` and ``intercept`` (shaped like the fitted ``coef_`` and
    ``intercept_``) default to the estimator's own.
    """
    check_is_fitted(estimator)
    X, y, sample_weight, targets = training_data(estimator, X, y, sample_weight)
    coef = estimator.coef_ if coef is None else coef
    intercept = estimator.intercept_ if intercept is None else intercept
    coef_2d = np.reshape(coef, (targets.shape[1], X.shape[1]))
    raw = raw_output(X, coef_2d, np.reshape(intercept, -1))
    loss = estimator._loss_for(targets.shape[1])
    return float(objective(loss, raw, targets, sample_weight, coef_2d, estimator.alpha))


def scikit_learn_solver(estimator, y, total_weight):
    """scikit-learn's estimator of ``estimator``'s objective, unfitted, with its default solver.

    ``LinearRegression`` (``alpha=0``) or ``Ridge(alpha * n_targets * total_weight)``
    for the regressor; ``LogisticRegression`` with ``C = 1 / (2 alpha total_weight)``
    (no penalty when ``alpha=0``) for the classifier.
    """
    fit_intercept = estimator.fit_intercept
    if is_classifier(estimator):
        C = 1.0 / (2.0 * estimator.alpha * total_weight) if estimator.alpha > 0 else np.inf
        return LogisticRegression(C=C, fit_intercept=fit_intercept)
    if estimator.alpha > 0:
        n_targets = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        return Ridge(alpha=estimator.alpha * n_targets * total_weight, fit_intercept=fit_intercept)
    return LinearRegression(fit_intercept=fit_intercept)


def reference_solution(estimator, X, y, sample_weight=None):
    """scikit-learn's minimizer of ``estimator``'s objective, fitted on ``(X, y)``.

    ``scikit_learn_solver``'s estimator; ``LogisticRegression``'s solution is
    finished by ``_polish`` to a gradient norm of ``OPTIMUM_GTOL``: this solve
    defines the optimum.
    """
    check_is_fitted(estimator)  # its classes and class weights define the objective
    X, y, sample_weight, targets = training_data(estimator, X, y, sample_weight)
    reference = scikit_learn_solver(estimator, y, sample_weight.sum())
    if not is_classifier(estimator):
        return reference.fit(X, y, sample_weight=sample_weight)  # closed form: exact
    with warnings.catch_warnings():  # it only starts the polish
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, y, sample_weight=sample_weight)
    _polish(reference, estimator, X, targets, sample_weight)
    return reference


def _polish(reference, estimator, X, targets, sample_weight):
    """Finish ``LogisticRegression``'s solve in standardized coordinates.

    On features of very different scales lbfgs crawls in the user's
    coordinates: at ``tol=1e-10`` and 10,000 iterations it still ended 1.8 %
    above the minimum on raw wine (in 57 s; raw digits: 2.5 % in 493 s).
    L-BFGS on skgd's own objective in the solver's coordinates
    (``_precondition``), started from its default solve, reaches a gradient
    norm of ``OPTIMUM_GTOL`` in a fraction of a second; its coefficients
    replace the reference's when they are lower.
    """
    n_outputs, n_features = targets.shape[1], X.shape[1]
    full = np.zeros((n_outputs, n_features + 1))
    # y may lack one of the estimator's classes: scikit-learn's model then has
    # fewer outputs than the objective, and the polish starts from zero
    if np.size(reference.coef_) == n_outputs * n_features:
        full[:, :-1] = np.reshape(reference.coef_, (n_outputs, n_features))
        if estimator.fit_intercept:
            full[:, -1] = reference.intercept_
    # A column no row has a value for meets the penalty alone: its optimal
    # coefficient is 0, and the solve runs on the others (hashed text reads
    # about a quarter of its columns)
    read = np.append(np.diff(X.tocsc().indptr) > 0 if sparse.issparse(X) else
                     np.ones(n_features, dtype=bool), True)  # fmt: skip
    X, model = X[:, read[:-1]], full[:, read]
    centre = estimator.fit_intercept and not sparse.issparse(X)
    preconditioner = fit_preconditioner(X, sample_weight, centre)
    loss = estimator._loss_for(n_outputs)
    training = _TrainingObjective(X, targets, sample_weight, loss, preconditioner,
                                  estimator.alpha, estimator.fit_intercept)  # fmt: skip
    theta = np.empty_like(model)

    def value_and_gradient(flat):
        model_from_solver(flat.reshape(model.shape), *preconditioner.maps, model)
        value, gradient = training.value_and_gradient(model)
        return value, gradient.ravel()

    solver_from_model(model, *preconditioner[:2], theta)
    start = value_and_gradient(theta.ravel())[0]
    options = {"gtol": OPTIMUM_GTOL, "ftol": 1e-16, "maxiter": 10_000, "maxcor": 30}
    result = minimize(value_and_gradient, theta.ravel(), jac=True, method="L-BFGS-B",
                      options=options)  # fmt: skip
    best = result.x if result.fun < start else theta.ravel()
    model_from_solver(best.reshape(model.shape), *preconditioner.maps, model)
    full[:] = 0.0
    full[:, read] = model
    reference.coef_ = full[:, :-1].copy()
    if estimator.fit_intercept:
        reference.intercept_ = full[:, -1].copy()


def optimal_objective(estimator, X, y, sample_weight=None):
    """The lowest value of ``estimator``'s objective on ``(X, y)`` and the model reaching it."""
    reference = reference_solution(estimator, X, y, sample_weight)
    coef, intercept = reference.coef_, reference.intercept_
    if is_classifier(estimator) and not estimator.fit_intercept:
        intercept = np.zeros(np.shape(coef)[0])
    value = training_objective(estimator, X, y, sample_weight, coef=coef, intercept=intercept)
    return value, reference

"""GDLinearRegressor: linear least squares trained by gradient descent."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context

from ._base import BaseGD
from ._docstrings import COMMON_ATTRIBUTES, COMMON_PARAMETERS
from ._losses import SQUARED_ERROR
from ._rows import by_row_chunks


class GDLinearRegressor(RegressorMixin, BaseGD):
    __doc__ = f"""Linear regression trained by gradient descent.

    Minimizes the weighted mean squared error plus an L2 penalty::

        J(W, b) = sum_i w_i * mean_k (x_i . W_k + b_k - y_ik)^2 / sum_i w_i + alpha * ||W||_F^2

    With unit weights and one target the first term is exactly
    ``sklearn.metrics.mean_squared_error(y, predict(X))``. The minimizer of ``J``
    equals ``Ridge(alpha=alpha * n_targets * sum(sample_weight))`` (with
    ``alpha=0``, ``LinearRegression``). The intercept is not penalized.

    Parameters
    ----------
{COMMON_PARAMETERS}
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients; 2-D when ``y`` is 2-D.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept; an array when ``y`` is 2-D.
{COMMON_ATTRIBUTES}
    See Also
    --------
    GDClassifier : Logistic and softmax regression trained the same way.
    sklearn.linear_model.LinearRegression : The closed-form solution.
    sklearn.linear_model.SGDRegressor : scikit-learn's per-sample SGD.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgd import GDLinearRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> gd = GDLinearRegressor(optimizer="momentum", batch_size=len(X)).fit(X, y)
    >>> closed_form = LinearRegression().fit(X, y)
    >>> round(gd.score(X, y), 4), round(closed_form.score(X, y), 4)
    (0.5177, 0.5177)
    """

    def __init__(
        self,
        *,
        optimizer="adam",
        learning_rate="auto",
        schedule="auto",
        power_t=0.25,
        beta=0.9,
        beta2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        average=False,
        max_iter=5000,
        tol=1e-4,
        n_iter_no_change=10,
        alpha=0.0,
        fit_intercept=True,
        shuffle=True,
        random_state=None,
        warm_start=False,
        verbose=0,
        early_stopping=False,
        validation_fraction=0.1,
        record_path=False,
        record_steps=False,
        precondition=True,
    ):
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.power_t = power_t
        self.beta = beta
        self.beta2 = beta2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.average = average
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.record_path = record_path
        self.record_steps = record_steps
        self.precondition = precondition

    def _target_validation(self):
        return {"multi_output": True, "y_numeric": True}

    def _loss_for(self, n_outputs):
        return SQUARED_ERROR

    def _prepare_outputs(self, y, reset, classes, partial):
        if reset:
            self._y_is_1d = y.ndim == 1

    def _encode_targets(self, y, dtype):
        return np.ascontiguousarray(y.reshape(y.shape[0], -1), dtype=dtype)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over ``(X, y)``, keeping coefficients and optimizer state.

        The first call sets the step size (``learning_rate="auto"`` uses this
        first chunk); later calls continue Adam's and momentum's moments and the
        step count ``t_``. Each call appends one entry to ``loss_curve_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight)

    def _split_theta(self, theta):
        """Coefficients and intercepts of a stack of (n_targets, n_features + 1) parameters."""
        if self._y_is_1d:
            return theta[..., 0, :-1], theta[..., 0, -1]
        return theta[..., :-1], theta[..., -1]

    @by_row_chunks
    def predict(self, X):
        """Predict with the linear model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted values.
        """
        return self._prediction(self._raw_output(X))

    def _prediction(self, raw):
        """``predict``'s output from the raw output."""
        return raw[:, 0] if self._y_is_1d else raw

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

"""GDClassifier: logistic (two classes) and softmax (more) regression by gradient descent."""

import numpy as np
from scipy.special import expit, log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from ._base import BaseGD
from ._docstrings import COMMON_ATTRIBUTES, COMMON_PARAMETERS
from ._losses import LOGISTIC, SOFTMAX


class GDClassifier(ClassifierMixin, BaseGD):
    __doc__ = f"""Logistic (two classes) or softmax (more classes) regression by gradient descent.

    Minimizes the weighted mean log-loss plus an L2 penalty::

        J(W, b) = -sum_i w_i * log p(y_i | x_i) / sum_i w_i + alpha * ||W||_F^2

    where ``p`` is the sigmoid of ``x . W_0 + b_0`` for two classes (one row of
    coefficients, for the second class of ``classes_``) and the softmax of
    ``x . W_k + b_k`` for more. With unit weights the first term is exactly
    ``sklearn.metrics.log_loss(y, predict_proba(X))``. The minimizer of ``J``
    equals ``LogisticRegression(C=1 / (2 * alpha * sum(sample_weight)))``;
    ``alpha=0`` is unpenalized (``C=inf``). The intercept is not penalized.

    Parameters
    ----------
{COMMON_PARAMETERS}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, in sorted order.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients; one row for two classes, one row per class for more.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts, as ``coef_``.
{COMMON_ATTRIBUTES}
    See Also
    --------
    GDLinearRegressor : Least squares trained the same way.
    sklearn.linear_model.LogisticRegression : The same objective, second-order solvers.
    sklearn.linear_model.SGDClassifier : scikit-learn's per-sample SGD.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skgd import GDClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), GDClassifier(random_state=0)).fit(X, y)
    >>> model.predict_proba(X[:2]).round(3).sum(axis=1)
    array([1., 1.])
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
        batch_size=32,
        max_iter=5000,
        tol=1e-6,
        n_iter_no_change=10,
        alpha=1e-4,
        fit_intercept=True,
        shuffle=True,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.power_t = power_t
        self.beta = beta
        self.beta2 = beta2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    def _target_validation(self):
        return {}

    def _loss_for(self, n_outputs):
        return LOGISTIC if n_outputs == 1 else SOFTMAX

    def _encode_targets(self, y, reset, dtype):
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y)
            if self.classes_.shape[0] < 2:
                raise ValueError(
                    "GDClassifier needs samples of at least 2 classes in the data, but the "
                    f"data contains only one class: {self.classes_[0]!r}."
                )
        codes = np.searchsorted(self.classes_, y)
        codes = np.minimum(codes, self.classes_.shape[0] - 1)
        unknown = self.classes_[codes] != y
        if np.any(unknown):
            raise ValueError(
                f"y contains labels not seen in the first fit: {np.unique(y[unknown])!r}; "
                f"classes_ is {self.classes_!r}."
            )
        if self.classes_.shape[0] == 2:
            return codes.astype(dtype).reshape(-1, 1)
        one_hot = np.zeros((y.shape[0], self.classes_.shape[0]), dtype=dtype)
        one_hot[np.arange(y.shape[0]), codes] = 1.0
        return one_hot

    def _set_coef(self, coef, intercept):
        self.coef_ = coef.copy()
        self.intercept_ = intercept.copy()

    def decision_function(self, X):
        """Raw scores: logits of the second class (two classes) or of each class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            1-D for two classes, as in scikit-learn's linear classifiers.
        """
        raw = self._raw_output(X)
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def predict(self, X):
        """Predict the most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        """Class probabilities: sigmoid (two classes) or softmax (more) of the scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in ``classes_``; rows sum to 1.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = expit(scores)
            return np.column_stack([1.0 - positive, positive])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``, computed without underflow.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        return log_softmax(scores, axis=1)

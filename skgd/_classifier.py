"""GDClassifier: logistic (two classes) and softmax (more) regression by gradient descent."""

import numpy as np
from scipy.special import expit, log_softmax, softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets

from ._base import BaseGD
from ._docstrings import COMMON_ATTRIBUTES, COMMON_PARAMETERS
from ._losses import LOGISTIC, SOFTMAX
from ._rows import by_row_chunks


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
{COMMON_PARAMETERS}    class_weight : dict, "balanced" or None, default=None
        Weights multiplying ``sample_weight`` by class: ``{{label: weight}}``, or
        "balanced" for ``n_samples / (n_classes * np.bincount(y))``. Not
        "balanced" in ``partial_fit``.

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
        batch_size="auto",
        average=False,
        max_iter=5000,
        tol=1e-4,
        n_iter_no_change=10,
        alpha=1e-4,
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
        class_weight=None,
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
        self.class_weight = class_weight

    _parameter_constraints: dict = {
        **BaseGD._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def _target_validation(self):
        return {}

    def _loss_for(self, n_outputs):
        return LOGISTIC if n_outputs == 1 else SOFTMAX

    def _prepare_outputs(self, y, reset, classes, partial):
        check_classification_targets(y)
        if partial:
            _check_partial_fit_first_call(self, classes)  # sets or checks classes_
        elif reset:
            self.classes_ = np.unique(y)
        elif not np.array_equal(np.unique(y), self.classes_):
            raise ValueError(
                "warm_start can only be used where y has the same classes as in the previous "
                f"call to fit: previously {self.classes_!r}, now {np.unique(y)!r}. Fit "
                "without warm_start, or use partial_fit with classes=."
            )
        if self.classes_.shape[0] < 2:
            raise ValueError(
                "GDClassifier needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {self.classes_[0]}."
            )

    def _encode_targets(self, y, dtype):
        codes = np.searchsorted(self.classes_, y)
        codes = np.minimum(codes, self.classes_.shape[0] - 1)
        unknown = self.classes_[codes] != y
        if np.any(unknown):
            raise ValueError(
                f"y contains labels not in classes_ {self.classes_!r}: {np.unique(y[unknown])!r}."
            )
        if self.classes_.shape[0] == 2:
            return codes.astype(dtype).reshape(-1, 1)
        one_hot = np.zeros((y.shape[0], self.classes_.shape[0]), dtype=dtype)
        one_hot[np.arange(y.shape[0]), codes] = 1.0
        return one_hot

    def _class_weights(self, y, partial):
        if self.class_weight is None:
            return np.ones(1)
        if partial and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the class "
                "frequencies of one chunk are not those of the data. Pass a dict of "
                "weights computed on all the data, e.g. with "
                "sklearn.utils.class_weight.compute_class_weight."
            )
        try:
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"class_weight={self.class_weight!r} is not usable: {error}"
            ) from error
        if not np.all(np.isfinite(weights) & (weights >= 0)):
            wrong = ~(np.isfinite(weights) & (weights >= 0))
            bad = dict(zip(self.classes_[wrong].tolist(), weights[wrong].tolist(), strict=True))
            raise ValueError(
                f"class_weight must give each class a finite, non-negative weight; got {bad}."
            )
        return weights[np.searchsorted(self.classes_, y)]

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over ``(X, y)``, keeping coefficients and optimizer state.

        The first call needs ``classes`` and sets the step size
        (``learning_rate="auto"`` uses this first chunk); later calls continue
        Adam's and momentum's moments and the step count ``t_``. Each call
        appends one entry to ``loss_curve_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear in any call. Required on the first call,
            ignored (but checked) afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def _split_theta(self, theta):
        """Coefficients and intercepts of a stack of (n_rows, n_features + 1) parameters."""
        return theta[..., :-1], theta[..., -1]

    @by_row_chunks
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

    @by_row_chunks
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
        return self._prediction(self._raw_output(X))

    def _prediction(self, raw):
        """``predict``'s labels from the raw output."""
        if raw.shape[1] == 1:
            return self.classes_[(raw[:, 0] > 0).astype(int)]
        return self.classes_[np.argmax(raw, axis=1)]

    @by_row_chunks
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

    @by_row_chunks
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

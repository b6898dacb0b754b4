"""BaseGD: parameter validation, state handling and the one training loop."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._epoch import run_epoch
from ._losses import mean_loss
from ._optimizers import GRADIENT_DESCENT, MOMENTUM, PRESETS, samples_per_step
from ._schedules import SCHEDULES, Plateau, reduce_on_plateau
from ._step_size import auto_learning_rate


class BaseGD(BaseEstimator):
    """Shared machinery of the skgd estimators; subclasses supply loss and outputs.

    Subclasses define ``_loss_for(n_outputs)``, ``_encode_targets(y, reset)``
    and how coefficients are exposed (``_set_coef``).
    """

    _parameter_constraints: dict = {
        "optimizer": [StrOptions(set(PRESETS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "schedule": [StrOptions({"auto", *SCHEDULES})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, 1, closed="left")],
        "beta2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    # -- fitting ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by running ``max_iter`` epochs at most of the chosen optimizer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples; None gives every sample weight 1.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "coef_")
        X, y = validate_data(
            self,
            X,
            y,
            reset=not warm,
            dtype=[np.float64, np.float32],
            order="C",
            **self._target_validation(),
        )
        targets = self._encode_targets(y, reset=not warm, dtype=X.dtype)
        sample_weight = self._check_weights(sample_weight, X)
        if not warm:
            self._initialize(X, targets, sample_weight)
        self._run_epochs(X, targets, sample_weight)
        return self

    def _check_weights(self, sample_weight, X):
        # Also rejects all-zero weights, which leave the objective undefined.
        return _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)

    def _initialize(self, X, targets, sample_weight):
        """Zero coefficients, zero optimizer state, and the initial step size."""
        n_outputs = targets.shape[1]
        self._theta = np.zeros((n_outputs, X.shape[1] + 1), dtype=X.dtype)
        self._first_moment = np.zeros_like(self._theta)
        self._second_moment = np.zeros_like(self._theta)
        self.t_ = 0
        self.n_iter_ = 0
        self.loss_curve_ = []
        rule = PRESETS[self.optimizer][0]
        if self.learning_rate == "auto":
            self._initial_learning_rate = auto_learning_rate(
                rule,
                X,
                self._gradient_at_zero(X, targets, sample_weight),
                sample_weight,
                samples_per_step(self.optimizer, self.batch_size, X.shape[0]),
                self._loss_for(n_outputs),
                n_outputs,
                self.alpha,
                self.beta,
                self.fit_intercept,
            )
        else:
            self._initial_learning_rate = float(self.learning_rate)
        self.learning_rate_ = self._initial_learning_rate
        self._sync_coef()

    def _gradient_at_zero(self, X, targets, sample_weight):
        """Full-batch gradient of the objective at zero coefficients (one pass over X)."""
        theta = np.zeros((targets.shape[1], X.shape[1] + 1), dtype=X.dtype)
        scratch = np.zeros_like(theta)
        self._epoch(
            X,
            targets,
            sample_weight,
            np.arange(X.shape[0]),
            X.shape[0],
            theta,
            scratch,
            scratch.copy(),
            t=0,
            rule=GRADIENT_DESCENT,
            alpha=-1.0,
        )
        return theta  # one step of size -1 from zero leaves +gradient

    def _resolved_schedule(self, batch, n_samples):
        """``schedule="auto"``: constant for full-batch plain and momentum steps, else adaptive."""
        if self.schedule != "auto":
            return self.schedule
        rule = PRESETS[self.optimizer][0]
        if batch >= n_samples and rule in (GRADIENT_DESCENT, MOMENTUM):
            return "constant"
        return "adaptive"

    def _epoch(
        self,
        X,
        targets,
        sample_weight,
        order,
        batch,
        theta,
        first,
        second,
        t,
        rule,
        alpha,
        power_t=0.0,
    ):
        return run_epoch(
            X,
            targets,
            sample_weight,
            order,
            batch,
            theta,
            first,
            second,
            t,
            rule,
            alpha,
            power_t,
            self.beta,
            self.beta2,
            self.epsilon,
            self._loss_for(targets.shape[1]),
            self.alpha,
            self.fit_intercept,
        )

    def _run_epochs(self, X, targets, sample_weight):
        """The training loop shared by every estimator and optimizer."""
        n_samples = X.shape[0]
        rule = PRESETS[self.optimizer][0]
        batch = samples_per_step(self.optimizer, self.batch_size, n_samples)
        schedule = self._resolved_schedule(batch, n_samples)
        power_t = self.power_t if schedule == "invscaling" else 0.0
        rng = check_random_state(self.random_state)
        # tol is relative to the objective of the all-zero model, so rescaling y
        # does not change when a fit stops.
        zero_model_loss = mean_loss(
            self._loss_for(targets.shape[1]), np.zeros(targets.shape), targets, sample_weight
        )
        plateau = Plateau((self.tol or 0.0) * zero_model_loss, self.n_iter_no_change)
        converged = False
        for _ in range(self.max_iter):
            order = rng.permutation(n_samples) if self.shuffle else np.arange(n_samples)
            epoch_loss, self.t_ = self._epoch(
                X,
                targets,
                sample_weight,
                order,
                batch,
                self._theta,
                self._first_moment,
                self._second_moment,
                self.t_,
                rule,
                self.learning_rate_,
                power_t,
            )
            self.n_iter_ += 1
            self._check_finite(epoch_loss)
            self.loss_curve_.append(float(epoch_loss))
            if self.verbose:
                print(
                    f"Epoch {self.n_iter_}, loss: {epoch_loss:.8g}, "
                    f"learning_rate: {self.learning_rate_:.4g}"
                )
            if self.tol is None or not plateau.update(epoch_loss):
                continue
            if schedule == "adaptive":
                reduced = reduce_on_plateau(self.learning_rate_, self._initial_learning_rate)
                if reduced is not None:
                    self.learning_rate_ = reduced
                    plateau.restart()
                    continue
            converged = True
            break
        self._sync_coef()
        if self.tol is not None and not converged:
            warnings.warn(
                f"Maximum number of epochs ({self.max_iter}) reached and the optimization "
                f"has not converged yet; increase max_iter.",
                ConvergenceWarning,
                stacklevel=2,
            )

    def _check_finite(self, epoch_loss):
        if np.isfinite(epoch_loss) and np.all(np.isfinite(self._theta)):
            return
        learning_rate = self.learning_rate_
        raise ValueError(
            f"The {self.optimizer!r} optimizer diverged at epoch {self.n_iter_}: the "
            f"objective or the coefficients became non-finite with learning_rate="
            f"{learning_rate:.4g}. Use a smaller learning_rate (or learning_rate='auto'), "
            f"or scale the features, for example with sklearn.preprocessing.StandardScaler."
        )

    def _sync_coef(self):
        self._set_coef(self._theta[:, :-1], self._theta[:, -1])

    # -- prediction ------------------------------------------------------------

    def _raw_output(self, X):
        """Raw model output, shape (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self._theta[:, :-1].T + self._theta[:, -1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

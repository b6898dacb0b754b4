"""BaseGD: parameter validation, state handling and the one training loop."""

import os
import sys
import time
import warnings
from contextlib import closing, contextmanager
from functools import partial
from numbers import Integral, Real

import joblib
import numpy as np
import sklearn
from scipy import sparse
from sklearn.base import BaseEstimator, _fit_context, is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._callbacks import CallbackSupportMixin, FitTasks
from ._certificate import HESSIAN_MAX_AGE, Certifier, MatrixFreeCertifier, can_certify
from ._epoch import (
    in_blocks,
    objective_and_gradient,
    run_epoch,
    run_full_batch_epoch,
    steps_before_average,
)
from ._losses import best_constant_output, mean_loss, objective, raw_output
from ._optimizers import (
    FIRST_GRADIENT_RULES,
    MODEL_IN_STATE_RULES,
    PLAIN_STEP_RULES,
    PRESETS,
    RULES,
    STABILITY_LIMITED_RULES,
    effective_steps,
    is_full_batch,
    reported_point,
    samples_per_step,
    start_state,
    state_size,
)
from ._orders import epoch_orders
from ._path import StepRecorder
from ._precondition import (
    fit_preconditioner,
    identity,
    model_from_solver,
    penalty_floor,
    solver_from_model,
)
from ._rows import compiled_view, is_dask_array, read_only, training_view
from ._schedules import SCHEDULES, reduce_on_plateau, restore_after_plateau, step_size
from ._sparse_epoch import RecordsCache, run_sparse_epoch, runs_sparse
from ._step_size import auto_learning_rate, batch_smoothness, curvature_bound, plain_step
from ._stopping import (
    ADOPT_ITERATE,
    AVERAGE_FROM_ITERATE,
    RESTART_AVERAGING,
    STABILITY_DIVISOR,
    START_AVERAGING,
    STOP,
    Stopping,
)

# Changing one of these between warm-started fits starts a fresh optimizer state.
OPTIMIZER_PARAMS = (
    "optimizer", "learning_rate", "schedule", "power_t", "beta", "beta2", "epsilon", "batch_size",
    "average",  # the mean of this optimizer's iterates
    "alpha",  # part of the smoothness constant behind learning_rate="auto"
    "fit_intercept", "precondition",  # the solver's coordinates
)  # fmt: skip

# The most a retuned automatic step grows at once (see _retune_learning_rate).
RETUNE_LIMIT = 10.0

# Beyond this the penalty's gradient 2 alpha W overflows float64 (1e308 did).
MAX_ALPHA = 1e300

# An objective this many times that of the all-zero model means the steps diverge.
DIVERGENCE_FACTOR = 1e6


def _check_values(name, values, estimator):
    """Reject non-finite values and values whose squares overflow or underflow.

    One pass over the values: a finite sum of squares means every value is finite
    and the squares do not overflow, and one of at least ``size * tiny`` means
    the largest square does not underflow (scikit-learn's finiteness check and a
    max/min would take three passes over X).
    """
    stored = values.data if sparse.issparse(values) else np.asarray(values)
    if stored.dtype.kind != "f":
        stored = stored.astype(np.float64)
    flat = stored.reshape(-1)
    if flat.size == 0:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.vdot(flat, flat))  # dot copies an unaligned X (one from Dask's compute)
    limits = np.finfo(stored.dtype)
    if np.isfinite(total) and total >= flat.size * limits.tiny:
        return
    assert_all_finite(stored, input_name=name, estimator_name=type(estimator).__name__)
    largest = float(np.max(np.abs(flat)))
    if largest == 0.0:
        return
    if total == np.inf:
        problem = f"values up to {largest:.3g}, whose sum of squares overflows {stored.dtype}"
    elif 2 * np.log(largest) < np.log(limits.tiny):
        problem = f"no value above {largest:.3g}, whose squares underflow {stored.dtype}"
    else:
        return
    raise ValueError(
        f"{name} has {problem}: gradient descent cannot fit it. Rescale {name}, for example "
        "with sklearn.preprocessing.StandardScaler (or divide it by a constant)."
    )


_LIBRARY_FOLDERS = tuple(
    os.path.dirname(module.__file__) + os.sep
    for module in (sys.modules["skgd"], sklearn, joblib)  # joblib: the searches' loops
)


def _not_a_number(values):
    """The first of ``values`` that is not a number, as a plain Python object."""
    for value in np.ravel(np.asarray(values, dtype=object)):
        try:
            float(value)
        except (TypeError, ValueError):
            return value.item() if isinstance(value, np.generic) else value
    return None


def _warn_at_caller(message):
    """A ConvergenceWarning attributed to the first caller outside skgd and scikit-learn.

    In a Pipeline or a search, a fixed stacklevel would point at their code.
    (Python 3.12's ``skip_file_prefixes`` does this; skgd supports 3.10.)
    """
    frame, level = sys._getframe(1), 2  # stacklevel 2 is the frame that called this
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_FOLDERS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, ConvergenceWarning, stacklevel=level)


class BaseGD(CallbackSupportMixin, BaseEstimator):
    """Shared machinery of the skgd estimators; subclasses supply loss and outputs.

    Subclasses define the loss (``_loss_for``), how targets are checked and
    encoded (``_target_validation``, ``_prepare_outputs``, ``_encode_targets``)
    and how coefficients are exposed (``_split_theta``).

    ``fit`` reports to scikit-learn's callbacks (``set_callbacks``, scikit-learn
    1.9 and newer; ``_callbacks``): the fit is the root task, each epoch a subtask.
    """

    _parameter_constraints: dict = {
        "optimizer": [StrOptions(set(PRESETS))],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "schedule": [StrOptions({"auto", *SCHEDULES})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, 1, closed="left")],
        "beta2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "average": ["boolean", Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, MAX_ALPHA, closed="both")],
        "fit_intercept": ["boolean"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "early_stopping": ["boolean"],
        "record_path": ["boolean"],
        "record_steps": ["boolean"],
        "precondition": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    }

    # -- fitting ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by running at most ``max_iter`` epochs of the chosen optimizer.

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
        user_weight = sample_weight
        self._check_average()
        with self._unchanged_on_error():
            rng = check_random_state(self.random_state)
            validation = None
            if is_dask_array(X):  # chunks summed where they live (_dask)
                from ._dask import training_data  # noqa: PLC0415 - dask is optional

                X, y, targets, sample_weight = training_data(self, X, y, sample_weight,
                                                             reset=not warm)  # fmt: skip
                X_all, y_all = X, y
            else:
                X, y, sample_weight = self._validate_training_data(X, y, sample_weight,
                                                                   reset=not warm)  # fmt: skip
                X_all, y_all = X, y
                if self.early_stopping:
                    X, y, sample_weight, validation = self._split_validation(X, y, sample_weight,
                                                                             rng)  # fmt: skip
                targets = read_only(self._encode_targets(y, X.dtype))
            if warm:
                self._continue_optimizer(X, targets, sample_weight)
            else:
                self._initialize(X, targets, sample_weight)
            self._reset_validation(validation)
            # a callback's set-up can fail (a scorer unknown to scikit-learn): the
            # estimator stays as it was
            tasks = FitTasks.begin(self, self.max_iter, X_all, y_all, user_weight)
        self.best_loss_ = np.inf  # of this fit's monitored loss
        self._run_epochs(X, targets, sample_weight, rng, self.max_iter, validation, stopping=True,
                         tasks=tasks)  # fmt: skip
        if tasks is not None:
            tasks.end()
        return self

    def _partial_fit(self, X, y, sample_weight, classes=None):
        """One epoch over ``X``, continuing from the current coefficients and optimizer state."""
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: a chunk holds out no "
                "validation rows. Set early_stopping=False, or use fit."
            )
        self._check_average()
        first_call = not hasattr(self, "coef_")
        with self._unchanged_on_error():
            X, y, sample_weight = self._validate_training_data(
                X, y, sample_weight, reset=first_call, classes=classes, partial=True
            )
            targets = read_only(self._encode_targets(y, X.dtype))
            if first_call:
                self._initialize(X, targets, sample_weight, chunked=True)
            else:
                self._continue_optimizer(X, targets, sample_weight, chunked=True)
            self._reset_validation(None)  # partial_fit holds nothing out
        rng = check_random_state(self.random_state)
        self._run_epochs(X, targets, sample_weight, rng, 1, None, stopping=False)
        return self

    def _averaged_from(self):
        """The sample from which ``coef_`` is the mean of the iterates (``average``); 0: never.

        Set when the optimizer starts (``_initialize_optimizer``).
        """
        return self._average_start

    def _check_average(self):
        if self.average and PRESETS[self.optimizer][0] in MODEL_IN_STATE_RULES:
            raise ValueError(
                f"optimizer={self.optimizer!r} reports the mean of its iterates already (its "
                f"model x averages its z from the first step), so average={self.average!r} "
                "does not apply to it: set average=False, or choose another optimizer."
            )

    @contextmanager
    def _unchanged_on_error(self):
        """Undo a failed set-up: attributes as before the call, not half of a new fit's.

        The set-up replaces attributes (``n_features_in_``, ``classes_``, the
        state arrays) rather than writing into them, so a shallow copy is the
        state before the call.
        """
        before = dict(self.__dict__)
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _validate_training_data(self, X, y, sample_weight, reset, classes=None, partial=False):
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            ensure_all_finite=False,  # _check_values checks it along with the scale
            **self._target_validation(),
        )
        _check_values("X", X, self)
        X = training_view(X)
        if not is_classifier(self):
            try:
                with np.errstate(over="ignore"):  # too large for X's dtype: reported as such
                    numeric_y = np.asarray(y, dtype=X.dtype)  # trained in X's dtype
            except (TypeError, ValueError) as error:
                value = _not_a_number(y)
                reason = f"y is not an array of numbers ({error})"
                if value is not None:
                    reason = f"y holds values that are not numbers, such as {value!r}"
                raise ValueError(
                    f"{type(self).__name__} needs a numeric target y; {reason}. Use GDClassifier "
                    "for class labels."
                ) from error
            _check_values("y", numeric_y, self)
        self._prepare_outputs(y, reset, classes, partial)
        # Also rejects all-zero weights, which leave the objective undefined.
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        sample_weight = sample_weight * self._class_weights(y, partial).astype(X.dtype)
        if not sample_weight.sum() > 0:
            raise ValueError(
                "class_weight gives every sample of y a zero weight: at least one class "
                "present in y needs a positive weight."
            )
        return X, y, sample_weight

    def _check_n_outputs(self, targets):
        if targets.shape[1] != self._model.shape[0]:
            raise ValueError(
                f"y has {targets.shape[1]} targets, but the model was fitted with "
                f"{self._model.shape[0]}; fit again without warm_start to change them."
            )

    def _class_weights(self, y, partial):
        """Per-sample weight factors from ``class_weight``; regression has none."""
        return np.ones(1)

    def _split_validation(self, X, y, sample_weight, rng):
        """Hold out ``validation_fraction`` of the rows (stratified for classifiers)."""
        n_held_out = int(np.ceil(self.validation_fraction * X.shape[0]))
        needed = max(2, len(self.classes_)) if is_classifier(self) else 2
        if n_held_out < needed or X.shape[0] - n_held_out < needed:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction={self.validation_fraction} "
                f"of {X.shape[0]} samples, {n_held_out} rows; both the validation and the "
                f"training part need at least {needed}. Raise validation_fraction, use more "
                "data, or set early_stopping=False."
            )
        X, X_val, y, y_val, sample_weight, weight_val = train_test_split(
            X,
            y,
            sample_weight,
            test_size=self.validation_fraction,
            random_state=rng,
            stratify=y if is_classifier(self) else None,
        )
        for part, weights in (("validation", weight_val), ("training", sample_weight)):
            if not weights.sum() > 0:
                raise ValueError(
                    f"early_stopping=True holds out validation_fraction="
                    f"{self.validation_fraction} of the rows, and the sample weights of the "
                    f"{part} part are all zero: its loss is undefined. Use other weights or "
                    "random_state, or set early_stopping=False."
                )
        targets_val = read_only(self._encode_targets(y_val, X.dtype))
        X, X_val = training_view(X), training_view(X_val)
        return X, y, sample_weight, (X_val, y_val, weight_val, targets_val)

    def _initialize(self, X, targets, sample_weight, chunked=False):
        """Zero coefficients, an empty history and a fresh optimizer."""
        self._model = np.zeros((targets.shape[1], X.shape[1] + 1), dtype=X.dtype)
        self._theta = np.empty_like(self._model)
        self._iterate = self._model.copy()
        self.n_iter_ = 0
        self.loss_curve_ = []
        self.time_curve_ = []
        self.best_loss_ = np.inf
        self.optimality_gap_ = None
        self._start_path()
        self._initialize_optimizer(X, targets, sample_weight, chunked)
        self._sync_coef()

    def _optimizer_config(self):
        """The parameters the optimizer's state and step size were derived from."""
        return tuple(getattr(self, name) for name in OPTIMIZER_PARAMS)

    def _initialize_optimizer(self, X, targets, sample_weight, chunked=False):
        """The solver's coordinates, zero moments and step count, and the initial step size.

        The coordinates come from this data (the first chunk, for
        ``partial_fit``) and are kept while the optimizer continues.
        """
        # New arrays, never writes into the old ones: a failed set-up leaves the
        # previous state (see _unchanged_on_error).
        if not self.fit_intercept:  # warm start after a fit with an intercept: none now
            self._model = self._model.copy()
            self._model[:, -1] = 0.0
        centre = self.fit_intercept and not sparse.issparse(X)
        if self.precondition:
            curvature = curvature_bound(self._loss_for(targets.shape[1]), targets.shape[1])
            self._preconditioner = fit_preconditioner(
                X, sample_weight, centre, penalty_floor(self.alpha, curvature)
            )
        else:
            self._preconditioner = identity(X.shape[1])
        self._theta = np.empty_like(self._model)
        solver_from_model(self._model, *self._preconditioner[:2], self._theta)
        self._iterate = np.empty_like(self._model)
        model_from_solver(self._theta, *self._preconditioner.maps, self._iterate)
        self._state = np.zeros((state_size(self.optimizer), *self._theta.shape),
                               dtype=self._theta.dtype)  # fmt: skip
        start_state(PRESETS[self.optimizer][0], self._state, self._theta)
        full = is_full_batch(samples_per_step(self.optimizer, self.batch_size, X),
                             X.shape[0])  # fmt: skip
        # Only a full batch's last gradient is the objective's (see _stopping).
        self._last_gradient = np.zeros(self._theta.shape if full else (0, 0))
        self.t_ = 0
        # average: noisy steps only. Full batches' exact steps have none to remove
        # (their mean converges as 1 / t where they converge linearly); a chunk's
        # full batch is a noisy estimate of the objective's gradient.
        self._average_start = int(self.average) if chunked or not full else 0  # True is 1
        self._samples_seen = 0  # for average=n
        self._n_averaged = 0
        if self.learning_rate == "auto":
            self._initial_learning_rate = self._automatic_step(X, targets, sample_weight, chunked)
        else:
            self._initial_learning_rate = float(self.learning_rate)
        self._learning_rate_base = self._initial_learning_rate  # what "adaptive" divides
        self.learning_rate_ = self._initial_learning_rate
        self._fitted_optimizer_config = self._optimizer_config()

    def _automatic_step(self, X, targets, sample_weight, chunked):
        """The step of ``learning_rate="auto"`` on this data (``_step_size``).

        ``chunked``: the data is a chunk of ``partial_fit``, so even a batch of
        all its rows is a noisy estimate of the objective's gradient.
        """
        rule = PRESETS[self.optimizer][0]
        gradient = None
        if rule in FIRST_GRADIENT_RULES:
            gradient = self._full_gradient(X, targets, sample_weight)
        n_outputs = targets.shape[1]
        return auto_learning_rate(rule, X, gradient, sample_weight,
                                  samples_per_step(self.optimizer, self.batch_size, X),
                                  self._loss_for(n_outputs), n_outputs, self.alpha, self.beta,
                                  self.beta2, self.fit_intercept, self._preconditioner,
                                  chunked=chunked, epsilon=self.epsilon)  # fmt: skip

    def _continue_optimizer(self, X, targets, sample_weight, chunked=False):
        """Keep the optimizer's state, unless its parameters changed since it was set up.

        ``partial_fit`` (``chunked``) keeps the automatic step of plain and
        momentum rules safe on every chunk: the first chunk's step can be too
        long for later rows (one row curves less than the data), so each call
        lowers it to its own chunk's automatic step when that is shorter.
        """
        self._check_n_outputs(targets)
        self._adopt_attributes(X.dtype)
        if self._fitted_optimizer_config != self._optimizer_config():
            self._initialize_optimizer(X, targets, sample_weight, chunked)
            self._start_path()  # the path is that of the optimizer's t_ steps
        elif chunked and self.learning_rate == "auto" and (
            PRESETS[self.optimizer][0] in PLAIN_STEP_RULES
        ):  # fmt: skip
            step = self._automatic_step(X, targets, sample_weight, chunked)
            if step < self._learning_rate_base:
                self._learning_rate_base = self.learning_rate_ = step
                self._initial_learning_rate = min(self._initial_learning_rate, step)

    def _start_path(self):
        """Fresh step records (``record_path``, ``record_steps``) from the model at step 0."""
        for name in ("_path", "_step_losses", "coef_path_", "intercept_path_",
                     "step_loss_curve_", "record_stride_"):  # fmt: skip
            if hasattr(self, name):
                delattr(self, name)
        if self.record_path:
            self._path = StepRecorder.of_path(self._model, 0)
        if self.record_steps:
            self._step_losses = StepRecorder(0, np.float64, 0)

    def _reset_validation(self, validation):
        if validation is None:
            self.validation_scores_ = None
            self.best_validation_score_ = None
        else:
            self.validation_scores_ = [np.nan] * self.n_iter_  # epochs of earlier fits
            self.best_validation_score_ = None
        self._best_state = None

    def _full_gradient(self, X, targets, sample_weight):
        """The objective's gradient at the model, in the solver's coordinates (one pass)."""
        _, gradient = objective_and_gradient(compiled_view(X), targets, sample_weight, self._model,
                                    *self._preconditioner.maps, self._loss_for(targets.shape[1]),
                                    self.alpha, self.fit_intercept)  # fmt: skip
        return gradient

    def _resolved_schedule(self, batch, n_samples):
        """``(power_t, adaptive)`` of the schedule: per-step decay, and division on plateaus.

        "auto" keeps full-batch plain and momentum steps constant (deterministic
        steps need no decay), and Schedule-Free's (its model, the mean of its
        iterates, converges without a schedule; dividing its step on plateaus
        stalled it: the mean keeps the early iterates of the longer step), and
        divides the others on plateaus: noisy steps must shrink to converge.
        Schedule-Free AdamW on noisy batches is divided too: its steps, like
        Adam's, stay about ``eta`` long whatever the gradient's scale, so their
        noise does not fade as the gradient does (with a constant step, its mean
        ended 5,000 epochs 6.6e-4 above the optimum of a 120-row least squares,
        where the adaptive schedule certified 2e-5 in 278).
        (A per-step decay as well helps a fixed budget of a few epochs on
        large data, but slowed small ill-conditioned fits, digits' softmax,
        threefold.)
        """
        rule = PRESETS[self.optimizer][0]
        if self.schedule == "auto":
            full_batch = is_full_batch(batch, n_samples)
            if full_batch and rule in PLAIN_STEP_RULES:
                return 0.0, False
            if rule in MODEL_IN_STATE_RULES and (rule in PLAIN_STEP_RULES or full_batch):
                return 0.0, False  # Schedule-Free: its mean x replaces a schedule
            return 0.0, True
        return (self.power_t if self.schedule == "invscaling" else 0.0), self.schedule == "adaptive"

    def _stopping_rule(self, X, targets, sample_weight, validation, full_batch, adaptive,
                       baseline):  # fmt: skip
        """The rule that decides when this fit stops (see ``_stopping``).

        ``baseline``: the training data's ``_baseline_losses``.
        """
        certifier = estimator = None
        problem = (X, targets, sample_weight, self._loss_for(targets.shape[1]),
                   self._preconditioner, self.alpha, self.fit_intercept)  # fmt: skip
        if validation is None and can_certify(targets.shape[1], X.shape[1]):
            certifier = Certifier(*problem)
        elif validation is None and not is_dask_array(X):  # too large for H: stops on
            # plateaus, then says how far (a pass per Hessian-vector product)
            estimator = MatrixFreeCertifier(*problem)
        if validation is not None:
            _, _, sample_weight, targets = validation
            baseline = self._baseline_losses(targets, sample_weight)
        rule = PRESETS[self.optimizer][0]
        retune = None
        if self.learning_rate == "auto" and rule in PLAIN_STEP_RULES and certifier:
            batch = samples_per_step(self.optimizer, self.batch_size, X)
            retune = partial(self._retune_learning_rate, certifier, X.shape[0], batch)
        stable = rule in STABILITY_LIMITED_RULES
        stabilize = None
        if stable and (adaptive or rule in MODEL_IN_STATE_RULES):  # Schedule-Free: any schedule
            stabilize = partial(self._stabilize_learning_rate, adaptive)
        return Stopping(self.tol or 0.0, self.n_iter_no_change, certifier, full_batch,
                        self._reduce_learning_rate if adaptive else None,
                        self._restore_learning_rate if adaptive else None,
                        self._loss_scale(baseline),
                        deterministic=full_batch and validation is None,
                        retune_step=retune, back_off_step=self._back_off_learning_rate,
                        estimator=estimator,
                        step_stability=self._step_stability if stable else None,
                        stabilize_step=stabilize,
                        fixed_average=bool(self._averaged_from()))  # fmt: skip

    def _retune_learning_rate(self, certifier, n_samples, batch, limit=None):
        """Re-derive the automatic step of plain and momentum steps where the fit is now.

        The same formula as at the start (``_step_size``), with the curvature of
        the objective at the current model instead of its bound over all
        models; only ever raised, by at most ``limit`` (default
        ``RETUNE_LIMIT``) times at once. True when the step changed.
        """
        rule = PRESETS[self.optimizer][0]
        # Full batches retune a few times per fit, on a current Hessian.
        full, per_sample = certifier.local_smoothness(
            self._model, 0 if is_full_batch(batch, n_samples) else HESSIAN_MAX_AGE
        )
        smoothness = batch_smoothness(full, per_sample, n_samples, batch)
        if not smoothness > 0:
            return False
        step = plain_step(rule, smoothness, self.beta, is_full_batch(batch, n_samples))
        if step <= self._learning_rate_base * (1.0 + 1e-9):
            return False
        self._learning_rate_base = min(step, (limit or RETUNE_LIMIT) * self._learning_rate_base)
        self.learning_rate_ = self._learning_rate_base
        self._initial_learning_rate = max(self._initial_learning_rate, self._learning_rate_base)
        return True

    def _step_stability(self, certifier):
        """The largest curvature the rule's steps scale, as a fraction of its stability limit."""
        rule = PRESETS[self.optimizer][0]
        steps = effective_steps(rule, self._state, self._learning_rate_base, max(self.t_, 1),
                                self.beta2, self.epsilon)  # fmt: skip
        return certifier.largest_scaled_curvature(steps) / RULES[rule].stability_limit(self.beta)

    def _stabilize_learning_rate(self, adaptive):
        """Divide a full-batch step that nears its rule's stability limit (``_stopping``).

        The adaptive schedule divides it as on a plateau; Schedule-Free's
        constant step is divided by ``STABILITY_DIVISOR``, and its mean ``x``
        (and ``z``) restart at ``y``: the mean assumes one step throughout, and
        one over the iterates of the longer step would keep their error.
        """
        if adaptive:
            self._reduce_learning_rate(False)
        else:
            self._learning_rate_base /= STABILITY_DIVISOR
            self.learning_rate_ = self._learning_rate_base
        rule = PRESETS[self.optimizer][0]
        if rule in MODEL_IN_STATE_RULES:  # theta is y: z and x restart there
            start_state(rule, self._state, self._theta)
            self._model[:] = self._iterate

    def _back_off_learning_rate(self):
        """Halve a retuned step whose objective went up."""
        self._learning_rate_base /= 2.0
        self._initial_learning_rate = self.learning_rate_ = self._learning_rate_base

    @staticmethod
    def _loss_scale(baseline):
        """The objective of the best constant model, or of the zero model if that is 0.

        ``baseline``: ``_baseline_losses`` of the data. Neither rescaling nor
        offsetting ``y`` changes it relative to the objective.
        """
        zero, constant = baseline
        return constant if constant > 0 else zero

    def _epoch(self, X, targets, sample_weight, order, batch, theta, model, state, t, rule,
               alpha, power_t, path=None, step_losses=None, average=None,
               n_averaged=0):  # fmt: skip
        loss = self._loss_for(targets.shape[1])
        if path is None:
            path = np.empty((0, theta.size), dtype=theta.dtype)
        if step_losses is None:
            step_losses = np.empty(0)
        if average is None:  # averaging nothing: a placeholder of the right type
            average, n_averaged = np.empty((0, 0), dtype=theta.dtype), 0
        kernel = run_full_batch_epoch if in_blocks(X.shape[0], batch) else run_epoch
        if is_dask_array(X):
            from ._dask import run_full_batch_epoch as kernel  # noqa: PLC0415 - dask is optional
        records = ()
        recording = path.shape[0] > 0 or step_losses.shape[0] > 0
        if runs_sparse(sparse.issparse(X), rule, power_t, self._preconditioner.shift,
                       recording, self._last_gradient.size > 0, n_averaged):  # fmt: skip
            kernel = run_sparse_epoch  # the same steps, just in time: O(non-zeros)
            records = (*self._records.get(
                self._preconditioner.inverse_scale, self.alpha, alpha, self.beta, rule,
                theta.shape[0], n_averaged > 0,
            ), self._records.columns(compiled_view(X)[1], theta, state))  # fmt: skip
        return kernel(compiled_view(X), targets, sample_weight, order, batch, theta, model,
                      *self._preconditioner.maps, state, t, rule, alpha, power_t,
                      self.beta, self.beta2, self.epsilon, loss, self.alpha,
                      self.fit_intercept, path, step_losses, self._last_gradient, average,
                      n_averaged,
                      *records)  # fmt: skip

    def _run_epochs(self, X, targets, sample_weight, rng, max_epochs, validation, stopping,
                    tasks=None):  # fmt: skip
        """The training loop shared by every estimator, optimizer and entry point.

        ``tasks``: the callbacks' ``FitTasks``, or None.
        """
        n_samples = X.shape[0]
        rule = PRESETS[self.optimizer][0]
        batch = samples_per_step(self.optimizer, self.batch_size, X)
        full_batch = is_full_batch(batch, n_samples)
        power_t, adaptive = self._resolved_schedule(batch, n_samples)
        stopping = stopping and self.tol is not None
        baseline = self._baseline_losses(targets, sample_weight)
        rule_of_stopping = self._stopping_rule(X, targets, sample_weight, validation, full_batch,
                                               adaptive, baseline)  # fmt: skip
        # A full batch sums over every row whatever the order: reading X in
        # order is several times faster than in a shuffled one.
        shuffled = self.shuffle and not full_batch
        if not self._averaged_from():  # the user's average goes on with its optimizer
            self._n_averaged = 0
        self.optimality_gap_ = None
        self._records = RecordsCache()
        start = last_good = self._snapshot()
        diverged = False
        stopped_by_callback = False
        seconds_before = self.time_curve_[-1] if self.time_curve_ else 0.0
        clock = time.perf_counter()

        def check_divergence(value):
            nonlocal diverged
            diverged = True
            self._check_divergence(value, baseline[0], lambda: self._objective_of(
                start[0], X, targets, sample_weight
            ))  # fmt: skip
            diverged = False

        try:
            with closing(epoch_orders(rng, n_samples, max_epochs, shuffled)) as orders:
                for order in orders:
                    if tasks is not None:
                        tasks.epoch_begin()
                    epoch_loss = self._epoch_step(
                        X, targets, sample_weight, order, batch, rule, power_t
                    )
                    check_divergence(epoch_loss)
                    self.loss_curve_.append(float(epoch_loss))
                    monitored = epoch_loss if validation is None else self._validate(validation)
                    self.best_loss_ = min(self.best_loss_, float(monitored))
                    self._print_progress()
                    done = stopping and self._follow(rule_of_stopping.update(
                        epoch_loss, monitored, self._last_gradient, self._model, self._iterate
                    ))  # fmt: skip
                    self.time_curve_.append(seconds_before + time.perf_counter() - clock)
                    if tasks is not None and tasks.epoch_end() and not done:
                        done = stopped_by_callback = True
                    if done:
                        break
                    last_good = self._snapshot()
            if full_batch and self.n_iter_ > start[2] and not rule_of_stopping.certified:
                # a full batch's objective is the one before its step: the last
                # step's is unknown (a single step can blow up)
                check_divergence(self._objective_of(self._model, X, targets, sample_weight))
        except BaseException:  # a divergence, an interrupt...: end on the last good epoch
            # A divergence is seen epochs after the steps that started it (a full
            # batch's objective is the one before its step): the fit gives them
            # all back and ends where it started.
            self._recover(start if diverged else last_good)
            raise
        finally:
            del self._records  # the size of the data's columns: not kept with the model
        if validation is not None:
            self._model[:], self._theta[:], self._average, self._n_averaged = self._best_state
            self._iterate[:] = self._model
            if self._n_averaged > 0:  # the model is the user's average, not the iterate
                model_from_solver(self._theta, *self._preconditioner.maps, self._iterate)
            if rule in MODEL_IN_STATE_RULES:  # its theta was not the model: step on from it
                self._restart_from_model()
        if not self._averaged_from():  # the stopping rule's average: the optimizer's state
            self._adopt_average()
        self._sync_coef()  # before any warning, which a caller may turn into an error
        if stopping:
            self._report(rule_of_stopping, baseline, targets, sample_weight, stopped_by_callback)

    def _snapshot(self):
        """What an interrupted fit returns to: the model and history after an epoch."""
        return self._model.copy(), self._theta.copy(), len(self.loss_curve_), self.t_

    def _recover(self, snapshot):
        """A consistent estimator after a failed epoch: the last good model, its history.

        The optimizer starts afresh at the next fit (a diverged moment would
        derail it at once): its configuration no longer matches any.
        """
        model, theta, n_epochs, self.t_ = snapshot
        self._model[:], self._theta[:], self._iterate[:] = model, theta, model
        self._n_averaged = 0
        del self.loss_curve_[n_epochs:]
        del self.time_curve_[n_epochs:]
        if self.validation_scores_ is not None:
            del self.validation_scores_[n_epochs:]
        for record in self._records_kept():
            record.truncate_to(self.t_)
        self.n_iter_ = n_epochs
        self._state[:] = 0.0
        self._fitted_optimizer_config = None
        self._sync_coef()

    def _follow(self, action):
        """Carry out the stopping rule's ``action``; True when the fit stops.

        Rules whose model is an average of their own (``MODEL_IN_STATE_RULES``:
        Schedule-Free's ``x``, the mean of all its ``z``) are not averaged once
        more: a second average would lag further behind the first, and it
        would be of ``y``, not of the model. Their plateaus still compare the
        model with the iterate ``y``: a certified ``y`` is adopted, its ``x`` and
        ``z`` restarting there, so that the model stays the state's ``x``.
        """
        if self._averaged_from():  # the user's average is the model (see _stopping)
            return action == STOP
        if PRESETS[self.optimizer][0] in MODEL_IN_STATE_RULES:
            if action == ADOPT_ITERATE:
                self._model[:] = self._iterate
                self._restart_from_model()
            return action in (STOP, ADOPT_ITERATE)
        if action in (ADOPT_ITERATE, AVERAGE_FROM_ITERATE):
            self._n_averaged = 0
            self._model[:] = self._iterate
        if action == RESTART_AVERAGING:
            self._adopt_average()
        if action in (START_AVERAGING, RESTART_AVERAGING, AVERAGE_FROM_ITERATE):
            self._average, self._n_averaged = self._theta.copy(), 1
        return action in (STOP, ADOPT_ITERATE)

    def _report(self, rule_of_stopping, baseline, targets, sample_weight, stopped_by_callback):
        """``optimality_gap_``, and the warnings of a fit that ended uncertified."""
        if rule_of_stopping.certifier is not None:
            if not rule_of_stopping.certified:
                rule_of_stopping.check(self._model, final=True)  # the gap where the fit ended
            self.optimality_gap_ = float(rule_of_stopping.gap)
        elif rule_of_stopping.estimator is not None:
            rule_of_stopping.estimate(self._model)
            self.optimality_gap_ = float(rule_of_stopping.gap)
        message = rule_of_stopping.warning(self.max_iter, self.n_iter_ if stopped_by_callback
                                           else None)  # fmt: skip
        if message is not None:
            _warn_at_caller(message)
        worse_than_constant = self.loss_curve_[-1] > baseline[1] + self.tol * self._loss_scale(
            baseline
        )
        if self.fit_intercept and not rule_of_stopping.certified and worse_than_constant:
            _warn_at_caller(
                f"The fit ended with a training objective of {self.loss_curve_[-1]:.6g}, worse "
                f"than predicting the {'mean' if is_regressor(self) else 'class frequencies'} "
                f"({baseline[1]:.6g}): the features are probably on very different scales or "
                "far from zero, which makes gradient descent crawl. Standardize them, for "
                "example with sklearn.preprocessing.StandardScaler, or set precondition=True."
            )

    def _epoch_step(self, X, targets, sample_weight, order, batch, rule, power_t):
        """One epoch of steps on the model's state; returns its objective (see ``run_epoch``)."""
        path, step_losses = self._step_buffers(-(-X.shape[0] // batch))  # the epoch's steps
        t_before = self.t_
        self._start_average_in(order, sample_weight, batch)
        epoch_loss, self.t_, self._n_averaged = self._epoch(
            X, targets, sample_weight, order, batch, self._theta, self._iterate,
            self._state, self.t_, rule, self._learning_rate_base, power_t, path, step_losses,
            self._average if self._n_averaged else None, self._n_averaged,
        )  # fmt: skip
        self._samples_seen += X.shape[0]
        if self._n_averaged > 0:
            model_from_solver(self._average, *self._preconditioner.maps, self._model)
        elif rule in MODEL_IN_STATE_RULES:  # gradients at the iterate, the model elsewhere
            model_from_solver(reported_point(rule, self._theta, self._state),
                              *self._preconditioner.maps, self._model)  # fmt: skip
        else:
            self._model[:] = self._iterate
        for record in self._records_kept():
            record.commit(t_before, self.t_ - t_before)
        self.n_iter_ += 1
        self.learning_rate_ = float(step_size(self._learning_rate_base, max(self.t_, 1), power_t))
        return epoch_loss

    def _start_average_in(self, order, sample_weight, batch):
        """Count down to the user's average if this epoch reaches its first sample.

        ``average=n`` averages the iterates from the step whose batch holds the
        ``n``-th sample the optimizer sees (scikit-learn's ``SGDRegressor``
        counts samples likewise), over epochs and ``partial_fit`` calls: the
        epoch's kernel starts it at that step (``run_epoch``'s ``n_averaged < 0``).
        """
        first = self._averaged_from() - self._samples_seen  # its row in this epoch, 1-based
        if self._n_averaged or not self._averaged_from() or first > order.shape[0]:
            return
        steps_before = steps_before_average(order, sample_weight, batch, max(first, 1))
        if steps_before is not None:
            self._average = np.zeros_like(self._theta)
            self._n_averaged = -(steps_before + 1)

    def _adopt_average(self):
        """Continue from the averaged iterate: the optimizer's state is the model again."""
        if self._n_averaged:
            self._theta[:] = self._average
            self._iterate[:] = self._model
            self._n_averaged = 0

    def _reduce_learning_rate(self, limited):
        """The adaptive schedule's division on a plateau; False once the step has run out."""
        reduced = reduce_on_plateau(self._learning_rate_base, self._initial_learning_rate, limited)
        if reduced is None:
            return False
        self._learning_rate_base = self.learning_rate_ = reduced
        return True

    def _restore_learning_rate(self):
        """Undo one division of the adaptive schedule, up to the initial step."""
        restored = restore_after_plateau(self._learning_rate_base, self._initial_learning_rate)
        self._learning_rate_base = self.learning_rate_ = restored

    def _step_buffers(self, n_steps):
        """Room for ``n_steps`` steps of the path and of the steps' losses (None: not recorded).

        A warm start that switches a record on records from the step it starts
        at; one that switches it off drops it (a record with a hole in it would
        misplace its steps).
        """
        for name, attributes, recorded in (
            ("_path", ("coef_path_", "intercept_path_"), self.record_path),
            ("_step_losses", ("step_loss_curve_",), self.record_steps),
        ):  # fmt: skip
            if not recorded:
                for attribute in (name, *attributes):
                    self.__dict__.pop(attribute, None)
        if not (self.record_path or self.record_steps):
            self.__dict__.pop("record_stride_", None)
        if self.record_path and not hasattr(self, "_path"):
            self._path = StepRecorder.of_path(self._model, self.t_)
        if self.record_steps and not hasattr(self, "_step_losses"):
            self._step_losses = StepRecorder(0, np.float64, self.t_)
        return tuple(
            getattr(self, name).reserve(n_steps) if recorded else None
            for name, recorded in (("_path", self.record_path),
                                   ("_step_losses", self.record_steps))
        )  # fmt: skip

    def _records_kept(self):
        """The step records of this fit (those its parameters ask for)."""
        return [getattr(self, name) for name, recorded in (
            ("_path", self.record_path), ("_step_losses", self.record_steps)
        ) if recorded and hasattr(self, name)]  # fmt: skip

    def _baseline_losses(self, targets, sample_weight):
        """Losses of predicting zero and of the best constant (where training starts).

        The constant model is the intercept-only fit (mean target, class
        frequencies); without an intercept it is the zero model.
        """
        loss = self._loss_for(targets.shape[1])
        if is_dask_array(targets):
            from ._dask import baseline_losses  # noqa: PLC0415 - dask is optional

            return baseline_losses(loss, targets, sample_weight, self.fit_intercept)
        zero = mean_loss(loss, np.zeros(targets.shape), targets, sample_weight)
        if not self.fit_intercept:
            return zero, zero
        constant = best_constant_output(loss, targets, sample_weight)
        raw = np.broadcast_to(constant, targets.shape)
        return zero, mean_loss(loss, raw, targets, sample_weight)

    def _validate(self, validation):
        """Score the held-out rows, keep the best coefficients; return the validation loss.

        The loss (not the score) decides: unlike accuracy it changes with every
        step, so a plateau of the score does not stop a fit that still improves.
        """
        X_val, y_val, weight_val, targets_val = validation
        raw = raw_output(X_val, self._model[:, :-1], self._model[:, -1])
        # score()'s metric on the rows as trained on (score() itself would check
        # their feature names, which the split's arrays no longer carry)
        metric = accuracy_score if is_classifier(self) else r2_score
        score = float(metric(y_val, self._prediction(raw), sample_weight=weight_val))
        self.validation_scores_.append(score)
        # As MLP's: the best score of this fit (warm starts' earlier epochs are NaN).
        self.best_validation_score_ = max(score, self.best_validation_score_ or -np.inf)
        loss = mean_loss(self._loss_for(targets_val.shape[1]), raw, targets_val, weight_val)
        if self._best_state is None or loss < self.best_loss_:
            averaged = self._n_averaged > 0  # the user's average (the stopping rule's is off)
            self._best_state = (self._model.copy(), self._theta.copy(),
                                self._average.copy() if averaged else None,
                                self._n_averaged if averaged else 0)  # fmt: skip
        return loss

    def _print_progress(self):
        if not self.verbose:
            return
        line = (
            f"Epoch {self.n_iter_}, loss: {self.loss_curve_[-1]:.8g}, "
            f"learning_rate: {self.learning_rate_:.4g}"
        )
        if self.validation_scores_ is not None:
            line += f", validation score: {self.validation_scores_[-1]:.6g}"
        print(line)

    def _check_divergence(self, epoch_loss, zero_model_loss, start_objective):
        """Stop before numbers overflow: non-finite, or a millionfold worse than all zeros.

        A warm start from a worse model than all zeros is measured against its
        own objective, ``start_objective()``, computed only then.
        """
        finite = np.isfinite(epoch_loss) and np.all(np.isfinite(self._iterate))
        reference = DIVERGENCE_FACTOR * max(zero_model_loss, np.finfo(float).tiny)
        if finite and (epoch_loss <= reference or epoch_loss <= DIVERGENCE_FACTOR * min(
            start_objective(), np.finfo(float).max / DIVERGENCE_FACTOR
        )):  # fmt: skip
            return
        raise ValueError(
            f"The {self.optimizer!r} optimizer diverged at epoch {self.n_iter_}: the "
            + (
                "objective or the coefficients became non-finite"
                if not finite
                else f"objective reached {epoch_loss:.3g}, {DIVERGENCE_FACTOR:.0e} times that of "
                "predicting zero,"
            )  # fmt: skip
            + f" with learning_rate={self.learning_rate_:.4g}. Use a smaller learning_rate "
            "(or learning_rate='auto'), or scale the features, for example with "
            "sklearn.preprocessing.StandardScaler."
        )

    def _objective_of(self, model, X, targets, sample_weight):
        """The training objective of ``model`` ((n_outputs, n_features + 1), intercepts last)."""
        if is_dask_array(X):
            identity_maps = identity(X.shape[1]).maps
            return objective_and_gradient(X, targets, sample_weight, model, *identity_maps,
                                          self._loss_for(targets.shape[1]), self.alpha,
                                          self.fit_intercept)[0]  # fmt: skip
        coef, intercept = model[:, :-1], model[:, -1]
        return objective(self._loss_for(targets.shape[1]), raw_output(X, coef, intercept),
                         targets, sample_weight, coef, self.alpha)  # fmt: skip

    def _model_attributes(self):
        """``coef_`` and ``intercept_`` of the current model, as a dict of fresh arrays."""
        coef, intercept = self._split_theta(self._model.copy())
        intercept = float(intercept) if np.ndim(intercept) == 0 else intercept
        return {"coef_": coef, "intercept_": intercept}

    def _sync_coef(self):
        for name, value in self._model_attributes().items():
            setattr(self, name, value)
        if self.record_path:
            thetas = self._path.rows.reshape(-1, *self._model.shape)
            self.coef_path_, self.intercept_path_ = self._split_theta(thetas)
        if self.record_steps:
            self.step_loss_curve_ = self._step_losses.rows.copy()
        for record in self._records_kept():
            self.record_stride_ = record.stride

    # -- prediction ------------------------------------------------------------

    def _raw_output(self, X):
        """Raw model output, shape (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        model = self._model_of_attributes()
        return raw_output(X, model[:, :-1], model[:, -1])

    def _model_of_attributes(self):
        """``[coef_, intercept_]`` as one (n_outputs, n_features + 1) array: the model.

        ``coef_`` and ``intercept_`` are the model, as in scikit-learn's linear
        models: predictions use them, and a fit that continues from them
        (``warm_start``, ``partial_fit``) starts where a user may have set them.
        """
        coef = np.atleast_2d(np.asarray(self.coef_))
        intercept = np.reshape(np.asarray(self.intercept_, dtype=coef.dtype), -1)
        n_outputs = self._model.shape[0]
        if coef.shape != (n_outputs, self.n_features_in_) or intercept.size not in (1, n_outputs):
            raise ValueError(
                f"coef_ has shape {np.shape(self.coef_)} and intercept_ {np.shape(self.intercept_)}"
                f", which do not fit the model ({n_outputs} outputs, {self.n_features_in_} "
                "features): set them with the shapes fit gave them."
            )
        return np.column_stack([coef, np.broadcast_to(intercept, (coef.shape[0],))])

    def _adopt_attributes(self, dtype):
        """Continue from ``coef_`` and ``intercept_`` (which a user may have changed), in ``dtype``.

        A warm start of a float32 fit on float64 data trains in float64, as a
        fresh fit would.
        """
        model = self._model_of_attributes().astype(dtype)
        if model.shape != self._model.shape:
            raise ValueError(
                f"coef_ and intercept_ have shapes {np.shape(self.coef_)} and "
                f"{np.shape(self.intercept_)}, which do not match the fitted model; set them "
                "with the shapes fit gave them, or fit without warm_start."
            )
        if model.dtype == self._model.dtype and np.array_equal(model, self._model):
            return
        self._state = self._state.astype(dtype)
        self._model, self._iterate = model, model.copy()
        self._theta = np.empty_like(model)
        if self._fitted_optimizer_config == self._optimizer_config():
            self._restart_from_model()
        else:  # a new optimizer starts from the model (_initialize_optimizer)
            solver_from_model(self._model, *self._preconditioner[:2], self._theta)

    def _restart_from_model(self):
        """Step on from ``self._model``: its solver's coordinates, the rule's moments kept.

        The arrays a rule starts at the parameters (Schedule-Free's ``z`` and
        ``x``, ``Rule.start``) restart there, so a model a user set, or the
        best one of early stopping, is where the next step starts and what the
        fit reports until it steps.
        """
        solver_from_model(self._model, *self._preconditioner[:2], self._theta)
        self._iterate[:] = self._model
        start_state(PRESETS[self.optimizer][0], self._state, self._theta)
        self._n_averaged = 0  # the user's average starts again, from the next step

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

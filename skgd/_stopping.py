"""When a fit stops: once it can certify that it is within ``tol`` of the optimum.

``tol`` is a relative gap: a fit stops when the certificate's estimate of
``J(theta) - J*`` (``_certificate``) is at most ``tol * J(theta)``, so the
objective it returns is within about ``tol`` (relative) of the optimum, and a
smaller ``tol`` gives a closer fit. When the model can fit the data exactly
(``J* = 0``) the reference is ``TOL_FLOOR`` times the best constant model's
objective (the zero model's, if the constant fits exactly) instead.

Checking costs a full pass over the data and forming the Hessian, so it is
done only when a cheap signal says the fit may be done:

* full batches compute the objective's gradient every epoch: its estimate with
  the last Hessian formed screens each epoch. Plain and momentum steps of a
  fixed length retune their automatic step from the current curvature after
  ``patience``, 2, 4, ... times ``patience`` epochs;
* smaller batches see only noisy losses (and RMSprop's and Adam's steps
  oscillate): a plateau (``n_iter_no_change`` epochs without improving the best
  epoch loss by ``tol``, scikit-learn's rule) triggers a check, after which the
  fit averages its iterates and checks the average at growing intervals;
  the comparison of the average with the last iterate tells the noise floor
  of a step (divided by the adaptive schedule) from a slow valley floor
  (where the step grows back). See ``Stopping._averaged``. With the
  estimators' ``average`` the average is the user's, from its first step on:
  it is certified as it is, never restarted nor traded for the iterate.

A full-batch fit of a rule with a ``stability_limit`` (NAdam under the
adaptive schedule; Schedule-Free AdamW under any, its default being constant)
also divides its step when the steps near that limit on the Hessian
(``STABILITY_MARGIN``; the last one formed, and formed anew at the iterate
before a division: the log-losses curve less as the fit nears the optimum, so
an older Hessian overstates the curvature): as the gradient vanishes, its
second moment forgets the larger gradients of the start and the step it
scales the gradient by grows without bound. Past the limit the stiffest
direction, damped to rounding noise before, grows from that noise by a
factor each step: the fit's path then depends on rounding (a weighted fit and
one on repeated rows, equal up to rounding, part, and their adaptive steps
move them apart in directions the data does not see) and the objective rises
a thousandfold before the plateau the schedule waits for. Schedule-Free's
``z`` instead sits at the edge, oscillating, its objective at ``y`` hovering
(1e-4 on an interpolating problem whose optimum is 0) and its mean ``x``
never certified; a division there (``STABILITY_DIVISOR``) restarts the mean
at ``y``.

Fits that cannot be certified stop on the plateau alone: early stopping
(which watches the validation loss), and models too large for the exact
Hessian, whose gap is then estimated once, at the end, by conjugate gradients
(``MatrixFreeCertifier``), and stated in a ConvergenceWarning when above ``tol``.
"""

from ._schedules import Plateau

TOL_FLOOR = 1e-8
# An averaged fit whose gap shrank less than this between two checks (each
# CHECK_SPACING_GROWTH times as far apart as the one before) has stopped
# improving at this step (an average whose gap falls as 1 / t shrinks it by 1/1.5).
SLOW_PROGRESS = 0.8
CHECK_SPACING_GROWTH = 1.5
# An iterate this many times further from the optimum than the average is
# noisy; less than NOISELESS times, hardly.
NOISY = 2.0
NOISELESS = 1.25
# A retuned step whose epoch objective rises this many times is backed off.
RETUNE_RISE = 1.5
# Noisy steps raise their step at most this much at a time: a longer step
# also raises their noise, which the next check measures.
GENTLE = 2.0

# A full-batch step whose largest scaled curvature reaches this fraction of its
# rule's stability limit is divided (power iteration estimates it from below,
# within a few percent).
STABILITY_MARGIN = 0.9
# Schedule-Free's constant step is divided by this when it nears the limit (the
# adaptive schedule divides by its own ADAPTIVE_DIVISOR): as the gradient vanishes
# its second moment lets the step grow back by 1 / sqrt(beta2) per step, so a
# larger division buys more steps before the next, but slows the mean's slowest
# directions as much (check_sample_weight_equivalence's regression, 8 draws of
# its data: all certified with 1.5, 7 with 2, 4 with 5 within 5,000 epochs).
STABILITY_DIVISOR = 1.5

# What the training loop does after an epoch: go on; stop; start averaging the
# iterates from here; continue from the average with a new average (after a
# step reduction); stop with the last iterate (certified, unlike the average);
# start a new average from the last iterate.
CONTINUE, STOP, START_AVERAGING, RESTART_AVERAGING, ADOPT_ITERATE, AVERAGE_FROM_ITERATE = (
    "continue", "stop", "average", "restart", "adopt iterate", "average from iterate"
)  # fmt: skip


class Stopping:
    """The stopping rule of one call to ``fit``, fed epoch by epoch.

    Parameters
    ----------
    tol : float
        Relative gap to certify.
    patience : int
        ``n_iter_no_change``.
    certifier : Certifier or None
        Checks the gap; None when the fit cannot be certified.
    full_batch : bool
        Whether each epoch's last gradient is the full gradient (no noise).
    reduce_step : callable or None
        ``reduce_step(limited)`` divides the step on a plateau and returns
        False when it may not (``limited``: the uncertified schedule's floor);
        None for schedules that keep their step.
    restore_step : callable or None
        Undoes one division, up to the initial step.
    loss_scale : float
        Objective of the best constant model (of the zero model if that is
        0), for ``TOL_FLOOR``.
    deterministic : bool
        For fits without a certifier: full batches, whose loss must stop changing.
    retune_step : callable or None
        ``retune_step(limit)`` re-derives the automatic step of plain and
        momentum steps from the curvature where the fit is, raising it at most
        ``limit`` times (None: the estimator's own limit); True when it raised it.
    back_off_step : callable or None
        Halves a raised step whose objective went up.
    estimator : MatrixFreeCertifier or None
        Without a certifier: estimates the gap where the fit ended (``estimate``).
    step_stability : callable or None
        ``step_stability(certifier)``: the largest curvature the current steps
        scale, as a fraction of the rule's stability limit; None for rules
        without one.
    stabilize_step : callable or None
        Divides a full-batch step that nears that limit; None when the fit does
        not watch it.
    fixed_average : bool
        The model is the average the user asked for (``average``), which the
        rule certifies: it never adopts the last iterate nor restarts the
        average, and compares the iterate with it only to adapt the step.
    """

    def __init__(self, tol, patience, certifier, full_batch, reduce_step, restore_step,
                 loss_scale, deterministic=False, retune_step=None,
                 back_off_step=None, estimator=None, step_stability=None,
                 stabilize_step=None, fixed_average=False):  # fmt: skip
        self.tol = tol
        self.patience = patience
        self.certifier = certifier
        self.full_batch = full_batch
        self.reduce_step = reduce_step
        self.restore_step = restore_step
        self.retune_step = retune_step
        self.back_off_step = back_off_step
        self.estimator = estimator
        self.step_stability = step_stability
        self.stabilize_step = stabilize_step
        self.fixed_average = fixed_average
        self._loss_at_retune = None  # the objective when the step was last raised
        self._epochs = 0
        self._next_retune = patience
        self.floor = TOL_FLOOR * loss_scale
        self.plateau = Plateau(tol, patience, self.floor, deterministic and certifier is None)
        self.certified = False
        self.converged = False  # stopped by the rule, certified or (without certifier) not
        self.objective = None  # J and gap estimate at the last check
        self.gap = None
        self.averaging = False
        self._epochs_to_next_check = 0
        self._epochs_to_next_screen = patience  # the first check forms the Hessian
        self._check_spacing = patience

    def threshold(self, objective):
        return self.tol * max(objective, self.floor)

    def update(self, loss, monitored, gradient, model, iterate):
        """Record an epoch; return what the loop does next (``CONTINUE``, ``STOP``...).

        ``loss`` is the epoch's training objective, ``monitored`` the loss the
        plateau watches (the validation loss with early stopping),
        ``gradient`` the epoch's last gradient, ``model`` the parameters the
        fit would return now (the average, when averaging) and ``iterate`` the
        optimizer's last iterate.
        """
        stalled = self.plateau.update(monitored)
        self._epochs_to_next_check -= 1
        if self.certifier is None:
            return self._uncertified(stalled)
        self._watch_retuned_step(loss)
        self._keep_steps_stable(iterate)
        if self.full_batch and self._screen(loss, gradient) and self.check(model):
            return STOP
        if self.full_batch and self.reduce_step is None:
            # Deterministic steps of a fixed length: a longer one may be safe by
            # now. Retuned after patience, 2, 4, ... times patience epochs: a
            # few times per fit, as each forms the Hessian.
            self._epochs += 1
            if stalled:
                self.plateau.restart()
            if self._epochs >= self._next_retune:
                self._next_retune *= 2
                self._retune(model)
            return CONTINUE
        return self._averaged(stalled, model, iterate)

    def _retune(self, model, limit=None):
        if self.retune_step is not None and self.retune_step(limit):
            self._loss_at_retune = self.plateau.previous_loss
            return True
        return False

    def _watch_retuned_step(self, loss):
        """Back off a raised step when the objective rose above where it was raised.

        A rise of the epoch objective by ``RETUNE_RISE`` times (noisy and
        momentum steps swing) means the curvature grew back.
        """
        if self._loss_at_retune is None or loss <= RETUNE_RISE * self._loss_at_retune:
            return
        self.back_off_step()
        self.retune_step = None  # the curvature is not what it seemed: keep this step
        self._loss_at_retune = None

    def _keep_steps_stable(self, iterate):
        """Divide a full-batch step that nears its rule's stability limit (module docstring).

        Near the limit on the last Hessian formed, the Hessian is formed anew
        at ``iterate``, where the rule takes its gradients, before dividing.
        """
        if not (self.full_batch and self.stabilize_step is not None
                and self.certifier.has_hessian):  # fmt: skip
            return
        if self.step_stability(self.certifier) < STABILITY_MARGIN:
            return
        self.certifier.form_hessian(iterate)
        if self.step_stability(self.certifier) >= STABILITY_MARGIN:
            self.stabilize_step()

    def _uncertified(self, stalled):
        if not stalled:
            return CONTINUE
        if self.reduce_step is not None and self.reduce_step(True):
            self.plateau.restart()
            return CONTINUE
        self.converged = True
        return STOP

    def _screen(self, loss, gradient):
        """Whether a full batch's gradient may certify (estimated with the last Hessian)."""
        if self._epochs_to_next_screen > 0:
            self._epochs_to_next_screen -= 1
            return False
        if self.certifier.has_hessian and self.certifier.estimate(gradient) > self.threshold(loss):
            return False
        self._epochs_to_next_screen = self.patience  # if the check fails, wait a little
        return True

    def _averaged(self, stalled, model, iterate):
        """Noisy steps (or the oscillation of adaptive rules): average the iterates from the
        first plateau on, then check the average.

        The average's checks are spaced ``patience``, then 1.5 and 2.25 times
        as many epochs apart... (``CHECK_SPACING_GROWTH``). Each also checks the
        last iterate: an average worse than it lags behind a fit that still
        moves (slow directions, not noise), and restarts from it with the same
        step. An average whose gap shrank by less than ``SLOW_PROGRESS`` since
        the last check has stalled: if the iterate is ``NOISY`` times further
        from the optimum, at the noise floor of its step, which the adaptive
        schedule then divides; if it is hardly further (``NOISELESS``), on a
        slow valley floor, where it undoes a division (never beyond the initial
        step). Either restarts the average from itself.

        With ``fixed_average`` the average is the user's, from its first step
        on: it is the model from the first plateau's check to the end, neither
        restarted nor traded for the iterate, and a stalled average only adapts
        the step, its checks still spaced further apart.
        """
        if not self.averaging:
            if not stalled:
                return CONTINUE
            if self.check(model):
                return STOP
            self.averaging = True
            self._restart_checks()
            return START_AVERAGING
        if self._epochs_to_next_check > 0:
            return CONTINUE
        previous_gap = self.gap
        if self.check(model):
            return STOP
        average_objective, average_gap = self.objective, self.gap
        if self.fixed_average:  # compared, never adopted
            iterate_gap = self.certifier.check(iterate, self.threshold)[1]
        elif self.check(iterate):
            return ADOPT_ITERATE
        else:
            iterate_gap = self.gap
        self.objective, self.gap = average_objective, average_gap
        if iterate_gap < average_gap and not self.fixed_average:
            self.gap = iterate_gap
            self._restart_checks()
            return AVERAGE_FROM_ITERATE
        stalled = average_gap > SLOW_PROGRESS * previous_gap
        if stalled and self.reduce_step is not None:
            if iterate_gap > NOISY * average_gap:
                self.reduce_step(False)
            elif iterate_gap < NOISELESS * average_gap and not self._retune(model, GENTLE):
                self.restore_step()  # a longer step goes further
            if not self.fixed_average:  # which goes on, its checks spaced further
                self._restart_checks()
                return RESTART_AVERAGING
        self._check_spacing *= CHECK_SPACING_GROWTH
        self._epochs_to_next_check = round(self._check_spacing)
        return CONTINUE

    def _restart_checks(self):
        self._check_spacing = self._epochs_to_next_check = self.patience

    def check(self, model, final=False):
        """Check the gap at ``model``; True when it is certified within ``tol``.

        ``final``: the check of the returned model, whose estimate must use its
        own Hessian.
        """
        self.objective, self.gap = self.certifier.check(model, None if final else self.threshold)
        self.certified = bool(self.gap <= self.threshold(self.objective))
        self.converged = self.converged or self.certified
        return self.certified

    def estimate(self, model):
        """Estimate the gap where an uncertified fit ended (``estimator``)."""
        self.objective, self.gap = self.estimator.check(model)
        self.certified = bool(self.gap <= self.threshold(self.objective))

    def warning(self, max_iter, stopped_at=None):
        """The ConvergenceWarning's message for a fit that ended uncertified, or None.

        ``stopped_at``: the epoch after which a callback stopped the fit, if one did.
        """
        if stopped_at is not None:
            ended, short = f"was stopped by a callback after {stopped_at} epochs", ", short of"
        else:
            ended, short = f"ended after max_iter={max_iter} epochs", " without reaching"
        if self.estimator is not None and not self.certified:
            relative = self.gap / max(self.objective, self.floor)
            if self.converged and stopped_at is None:
                ended = "stopped when its objective stopped improving"
            return (
                f"The fit {ended}, short of tol={self.tol:g}: its objective "
                f"{self.objective:.6g} may be up to {self.gap:.3g} above the optimum "
                f"({relative:.2g} relative, estimated by conjugate gradients on its "
                "Hessian). Increase max_iter or n_iter_no_change, or lower tol."
            )
        if self.converged or self.estimator is not None:
            return None
        if self.certifier is None:
            if stopped_at is not None:
                return f"The fit {ended}, before its stopping criterion was met."
            return (
                f"Maximum number of epochs ({max_iter}) reached and the optimization has "
                "not converged yet; increase max_iter."
            )
        relative = self.gap / max(self.objective, self.floor)
        return (
            f"The fit {ended}{short} tol={self.tol:g}: "
            f"its objective {self.objective:.6g} may be up to {self.gap:.3g} above the "
            f"optimum ({relative:.2g} relative, estimated from its gradient and Hessian). "
            + ("Increase max_iter or tol." if stopped_at is None else "")
        ).rstrip()

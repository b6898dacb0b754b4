"""Step-size schedules: how the step ``eta`` evolves from its initial value ``eta0``.

* ``"constant"``: ``eta_t = eta0``.
* ``"invscaling"``: ``eta_t = eta0 / t ** power_t`` at step ``t`` (1-based).
* ``"adaptive"``: ``eta0`` until ``n_iter_no_change`` epochs in a row fail to
  improve the objective by ``tol`` (relative) and the fit is not yet within
  ``tol`` of the optimum (``_stopping``); then ``eta`` is divided by 5 and the
  count restarts. A fit that cannot certify its gap (early stopping) stops when
  a plateau is reached with ``eta`` already below
  ``eta0 * ADAPTIVE_MIN_FRACTION``.

Per-step schedules run inside the compiled epoch (``step_size``); the adaptive
one acts between epochs (``Plateau`` detects the plateau, ``reduce_on_plateau``
divides the step).
"""

from ._jit import njit

ADAPTIVE_DIVISOR = 5.0
ADAPTIVE_MIN_FRACTION = 1e-3

SCHEDULES = ("constant", "invscaling", "adaptive")


@njit(cache=True)
def step_size(eta, t, power_t):
    """Step size of step ``t``: ``eta / t ** power_t`` (``power_t = 0`` keeps it constant)."""
    if power_t == 0.0:
        return eta
    return eta / t**power_t


class Plateau:
    """Counts epochs in a row in which the monitored loss stalled.

    With ``deterministic=False`` (scikit-learn's rule, for noisy losses) an epoch
    stalls when it does not improve on the best loss so far by ``tol`` times
    that loss (or times ``floor``, if larger). A deterministic loss sequence
    (full batches) has stalled when it stops *changing*: there an epoch stalls
    when it moves less than that from the previous one, so a momentum fit
    whose loss swings back up for a few epochs is not mistaken for a converged one.
    """

    def __init__(self, tol, patience, floor=0.0, deterministic=False):
        self.tol = tol
        self.patience = patience
        self.floor = floor
        self.deterministic = deterministic
        self.best_loss = float("inf")
        self.previous_loss = float("inf")
        self.n_stalled_epochs = 0

    def update(self, loss):
        """Record an epoch's loss; return True when the patience has run out."""
        reference = self.previous_loss if self.deterministic else self.best_loss
        threshold = self.tol * max(abs(reference), self.floor)
        if self.deterministic:
            stalled = abs(loss - self.previous_loss) <= threshold
        else:
            stalled = loss > self.best_loss - threshold
        self.n_stalled_epochs = self.n_stalled_epochs + 1 if stalled else 0
        self.best_loss = min(self.best_loss, loss)
        self.previous_loss = loss
        return self.n_stalled_epochs >= self.patience

    def restart(self):
        self.n_stalled_epochs = 0


def reduce_on_plateau(eta, eta0, limited=True):
    """The adaptive schedule's next step size, or None when it has run out.

    ``limited``: a fit that cannot certify its gap stops once the step is below
    ``eta0 * ADAPTIVE_MIN_FRACTION``; a certified fit divides as long as it runs.
    """
    if limited and eta < eta0 * ADAPTIVE_MIN_FRACTION:
        return None
    return eta / ADAPTIVE_DIVISOR


def restore_after_plateau(eta, eta0):
    """Undo one of the adaptive schedule's divisions, never beyond ``eta0``."""
    return min(eta * ADAPTIVE_DIVISOR, eta0)

"""Step-size schedules: how the step ``alpha`` evolves from its initial value ``alpha0``.

* ``"constant"``: ``alpha_t = alpha0``.
* ``"invscaling"``: ``alpha_t = alpha0 / t ** power_t`` at step ``t`` (1-based).
* ``"adaptive"``: ``alpha0`` until ``n_iter_no_change`` epochs in a row fail to
  improve the objective by ``tol``; then ``alpha`` is divided by 5 and the count
  restarts. Training stops when a plateau is reached with ``alpha`` already below
  ``alpha0 * ADAPTIVE_MIN_FRACTION``.

Per-step schedules run inside the compiled epoch (``step_size``); the adaptive
one acts between epochs (``Adaptive``).
"""

from numba import njit

ADAPTIVE_DIVISOR = 5.0
ADAPTIVE_MIN_FRACTION = 1e-3

SCHEDULES = ("constant", "invscaling", "adaptive")


@njit(cache=True)
def step_size(alpha, t, power_t):
    """Step size of step ``t``: ``alpha / t ** power_t`` (``power_t = 0`` keeps it constant)."""
    if power_t == 0.0:
        return alpha
    return alpha / t**power_t


class Plateau:
    """Counts epochs without an improvement of at least ``threshold`` (scikit-learn's rule)."""

    def __init__(self, threshold, patience):
        self.threshold = threshold
        self.patience = patience
        self.best_loss = float("inf")
        self.n_epochs_without_improvement = 0

    def update(self, loss):
        """Record an epoch's loss; return True when the patience has run out."""
        if loss > self.best_loss - self.threshold:
            self.n_epochs_without_improvement += 1
        else:
            self.n_epochs_without_improvement = 0
        self.best_loss = min(self.best_loss, loss)
        return self.n_epochs_without_improvement >= self.patience

    def restart(self):
        self.n_epochs_without_improvement = 0


def reduce_on_plateau(alpha, alpha0):
    """The adaptive schedule's next step size, or None when it has run out."""
    if alpha < alpha0 * ADAPTIVE_MIN_FRACTION:
        return None
    return alpha / ADAPTIVE_DIVISOR

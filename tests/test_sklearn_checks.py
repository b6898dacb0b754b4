"""scikit-learn's estimator checks, for both estimators and every optimizer."""

import numpy as np
from sklearn.base import is_regressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgd import GDClassifier, GDLinearRegressor
from skgd._optimizers import PRESETS, samples_per_step

ESTIMATORS = [
    Estimator(optimizer=optimizer, random_state=0)
    for Estimator in (GDLinearRegressor, GDClassifier)
    for optimizer in PRESETS
]

# The weight-equivalence checks fit 15 weighted rows against the same rows
# repeated. A preset that steps on a random subset of the rows
# cannot match repetition step for step; tests/test_sample_weight.py shows that
# its weighted fit reaches the weighted closed form instead.
RANDOM_SUBSET_REASON = (
    "steps on random subsets of rows, so a weighted fit cannot equal a fit on "
    "repeated rows step for step"
)


# The regression check's 15 rows and 30 features can be fitted exactly (J* = 0): there
# skgd certifies an objective within 1e-12 of the best constant model's, which Schedule-Free
# AdamW's model, the uniform mean of its constant-length Adam-type iterates, approaches
# only as 1 / t. Both fits end uncertified after max_iter epochs (and warn), with
# objectives near 1e-11 and predictions that differ by about 1e-5, past the check's 1e-7.
UNCERTIFIED_REASON = (
    "both fits end uncertified at max_iter on an exactly solvable problem (and warn), "
    "their predictions 1e-5 apart"
)


def expected_failed_checks(estimator):
    if samples_per_step(estimator.optimizer, estimator.batch_size, np.empty((15, 1))) < 15:
        reason = RANDOM_SUBSET_REASON
    elif estimator.optimizer == "schedule_free_adamw" and is_regressor(estimator):
        reason = UNCERTIFIED_REASON
    else:
        return {}
    return {
        "check_sample_weight_equivalence_on_dense_data": reason,
        "check_sample_weight_equivalence_on_sparse_data": reason,
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)

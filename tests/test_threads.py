"""Full batches are summed on all cores, with results that do not depend on how many."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from skgd import GDClassifier, GDLinearRegressor
from skgd._epoch import BLOCK_ROWS


@pytest.fixture
def one_thread_then_all():
    default = numba.get_num_threads()

    def run(fit):
        numba.set_num_threads(1)
        try:
            single = fit()
        finally:
            numba.set_num_threads(default)
        return single, fit()

    return run


@pytest.mark.parametrize("Estimator, fmt", [(GDLinearRegressor, "csr"), (GDClassifier, "dense")])
def test_full_batch_fits_are_the_same_on_any_number_of_threads(Estimator, fmt,
                                                               one_thread_then_all):  # fmt: skip
    rng = np.random.RandomState(0)
    n_samples = 5 * BLOCK_ROWS + 17  # several blocks, the last one short
    X = rng.normal(size=(n_samples, 12))
    y = X @ rng.normal(size=12) + rng.normal(size=n_samples)
    if Estimator is GDClassifier:
        y = np.digitize(y, [-1.0, 1.0])
    if fmt == "csr":
        X[rng.uniform(size=X.shape) < 0.7] = 0.0
        X = sp.csr_matrix(X)
    single, parallel = one_thread_then_all(
        lambda: Estimator(optimizer="batch", max_iter=30, tol=None).fit(X, y)
    )
    np.testing.assert_array_equal(parallel.coef_, single.coef_)
    np.testing.assert_array_equal(parallel.loss_curve_, single.loss_curve_)

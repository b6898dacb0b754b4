"""The solver's coordinates: standardized features, the objective unchanged.

With ``shift`` ``mu`` and ``scale`` ``sigma`` per feature, the solver sees the
features ``x' = (x - mu) / sigma`` and descends the parameters

    W'_kj = sigma_j * W_kj ,   b'_k = b_k + sum_j mu_j * W_kj ,

an affine change of the model's own ``(W, b)``: ``x' . W'_k + b'_k = x . W_k + b_k``
for every sample, so the objective (the penalty stays ``alpha * ||W||^2`` of the
model's coefficients) is the same function with the same minimizer, and only the
path changes. Plain gradient descent in ``W'`` is gradient descent in ``W``
preconditioned by ``diag(sigma^2)``; on standardized features the two coincide.

Dense features are centred on their weighted mean and divided by their weighted
standard deviation. Without centring (sparse input, never densified, or no
intercept to absorb the shift) they are divided by their weighted root mean
square, which makes the diagonal of the Gram matrix the solver sees 1 as the
standard deviation does for centred features. A feature that is constant
(zero, for the root mean square) keeps scale 1.

The penalty's curvature in the solver's coordinates is ``2 alpha / sigma_j^2``:
a feature of small spread (a rare pixel, a column in other units) would make
it the largest curvature of all, and the automatic step that much shorter
(raw breast_cancer: 115 times). So no scale is below ``sqrt(2 alpha / c)``,
with ``c`` the loss's curvature bound: the diagonal of the solver's Hessian
is then at most about ``2 c`` for every feature, as it is about ``c`` for a
standardized one (a Jacobi preconditioner). Standardized features keep
scale 1 unless ``alpha > c / 2``. ``X`` itself is never copied:
the compiled loop predicts with the model's coefficients and maps each step's
gradient into the solver's coordinates (``model_from_solver``,
``solver_gradient``), O(n_features) work per step.
"""

from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.preprocessing._data import _handle_zeros_in_scale, _is_constant_feature

from ._jit import njit
from ._rows import is_dask_array


class Preconditioner(NamedTuple):
    """Per-feature ``shift`` (mu) and ``scale`` (sigma) of the solver's coordinates."""

    shift: np.ndarray
    scale: np.ndarray
    inverse_scale: np.ndarray

    @classmethod
    def of(cls, shift, scale):
        return cls(shift, scale, 1.0 / scale)

    @property
    def maps(self):
        """``(shift, 1 / scale)``: what the compiled maps between coordinates take."""
        return self.shift, self.inverse_scale


def identity(n_features):
    """The features as given: the textbook rule step for step (``precondition=False``)."""
    return Preconditioner.of(np.zeros(n_features), np.ones(n_features))


def fit_preconditioner(X, sample_weight, centre, smallest_scale=0.0):
    """Weighted mean and standard deviation per feature (root mean square without ``centre``).

    ``smallest_scale`` is the penalty's floor of the scales, ``sqrt(2 alpha / c)``.
    """
    n_samples = X.shape[0]
    if is_dask_array(X):
        from ._dask import weighted_moments  # noqa: PLC0415 - dask is optional

        mean, squares = weighted_moments(X, sample_weight, centre)
    else:
        mean, squares = feature_moments(X, sample_weight, centre)
    constant = _is_constant_feature(squares, mean, n_samples) if centre else squares == 0.0
    scale = _handle_zeros_in_scale(np.sqrt(squares), copy=False, constant_mask=constant)
    np.maximum(scale, smallest_scale, out=scale)
    return Preconditioner.of(mean if centre else np.zeros(X.shape[1]), scale)


def feature_moments(X, sample_weight, centre):
    """Weighted mean (zeros without ``centre``) and mean square about it, per feature."""
    weights = np.asarray(sample_weight, dtype=np.float64)
    weights = weights / weights.sum()
    if sparse.issparse(X):
        return np.zeros(X.shape[1]), np.asarray(X.multiply(X).T @ weights).ravel()
    return _weighted_moments(X, weights, centre)


@njit(cache=True)
def _weighted_moments(X, weights, centre):
    """Weighted mean and (centred when ``centre``) mean square per column: two passes, no copy."""
    n_samples, n_features = X.shape
    mean = np.zeros(n_features)
    if centre:
        for i in range(n_samples):
            for j in range(n_features):
                mean[j] += weights[i] * X[i, j]
    squares = np.zeros(n_features)
    for i in range(n_samples):
        for j in range(n_features):
            deviation = X[i, j] - mean[j]
            squares[j] += weights[i] * deviation * deviation
    return mean, squares


def penalty_floor(l2, curvature):
    """``sqrt(2 alpha / c)``: the smallest scale, at which the penalty's curvature is ``c``."""
    return float(np.sqrt(2.0 * l2 / curvature)) if l2 > 0 and curvature > 0 else 0.0


def solver_design(X_rows, preconditioner, out=None):
    """Rows as the solver sees them: ``[(x - mu) / sigma, 1]`` (dense), ``x / sigma`` (sparse).

    ``out``: a float64 buffer of at least as many rows to write dense rows into.
    """
    shift, scale, _ = preconditioner
    if sparse.issparse(X_rows):
        return sparse.csr_matrix(X_rows.multiply(1.0 / scale))
    if out is None:
        design = np.empty((X_rows.shape[0], X_rows.shape[1] + 1))
    else:
        design = out[: X_rows.shape[0]]
    np.subtract(X_rows, shift, out=design[:, :-1])
    design[:, :-1] /= scale
    design[:, -1] = 1.0
    return design


CHUNK_ROWS = 4096  # rows per block where whole rows are transformed: bounded temporaries


def solver_row_norms(X, preconditioner):
    """``||(x_i - mu) / sigma||^2`` of every row, without copying all of ``X`` at once."""
    if is_dask_array(X):
        from ._dask import map_chunks  # noqa: PLC0415 - dask is optional

        return np.concatenate(map_chunks(solver_row_norms, (X,), preconditioner))
    if sparse.issparse(X):
        return np.asarray(solver_design(X, preconditioner).power(2).sum(axis=1)).ravel()
    # One block buffer for the whole pass: the design's formula stays in
    # solver_design, and no block pays for a fresh allocation.
    norms = np.empty(X.shape[0])
    buffer = np.empty((min(CHUNK_ROWS, X.shape[0]), X.shape[1] + 1))
    for start in range(0, X.shape[0], CHUNK_ROWS):
        design = solver_design(X[start : start + CHUNK_ROWS], preconditioner, buffer)[:, :-1]
        np.einsum("ij,ij->i", design, design, out=norms[start : start + CHUNK_ROWS])
    return norms


def mean_row_norm(mean, squares, preconditioner):
    """The weighted mean of ``solver_row_norms``, from the moments ``feature_moments`` gives.

    ``sum_j (m2_j + (m_j - mu_j)^2) / sigma_j^2`` for features of mean ``m_j``
    and mean square ``m2_j`` about it: no pass over the rows.
    """
    shift, scale, _ = preconditioner
    return float(np.sum((squares + (mean - shift) ** 2) / scale**2))


# The per-step maps multiply by 1 / sigma (``inverse_scale``): a division per
# coordinate and step costs several times more.
@njit(cache=True, fastmath={"reassoc", "contract"}, inline="always")
def model_from_solver(theta, shift, inverse_scale, model):
    """``W = W' / sigma ; b = b' - W . mu``: the model's parameters from the solver's.

    ``theta`` and ``model`` are (n_outputs, n_features + 1), intercepts last.
    """
    n_outputs, n_params = theta.shape
    n_features = n_params - 1
    for k in range(n_outputs):
        offset = 0.0
        for j in range(n_features):
            model[k, j] = model_coefficient(theta[k, j], inverse_scale[j])
            offset += model[k, j] * shift[j]
        model[k, n_features] = theta[k, n_features] - offset


@njit(cache=True, inline="always")
def model_coefficient(theta, inverse_scale):
    """``W_kj = W'_kj / sigma_j``."""
    return theta * inverse_scale


@njit(cache=True)
def solver_from_model(model, shift, scale, theta):
    """``W' = sigma * W ; b' = b + W . mu``: the inverse of ``model_from_solver``."""
    n_outputs, n_params = model.shape
    n_features = n_params - 1
    for k in range(n_outputs):
        offset = 0.0
        for j in range(n_features):
            theta[k, j] = model[k, j] * scale[j]
            offset += model[k, j] * shift[j]
        theta[k, n_features] = model[k, n_features] + offset


@njit(cache=True, fastmath={"reassoc", "contract"}, inline="always")
def solver_gradient(data_gradient, data_scale, model, shift, inverse_scale, l2, fit_intercept,
                    out):  # fmt: skip
    """Gradient of the objective in the solver's coordinates, into ``out``.

    ``data_gradient`` holds ``G_k = sum_i c_ik [x_i, 1]`` over a batch in the
    model's coordinates (``c_ik`` the weighted loss derivative); times
    ``data_scale`` it is the batch's mean loss gradient. By the chain rule
    through ``W = W' / sigma``, ``b = b' - W . mu``::

        g_kj = (G_kj * data_scale - mu_j * g_kb) / sigma_j + 2 * l2 * W_kj / sigma_j
        g_kb = G_kb * data_scale           (0 when the intercept is not fitted)

    the penalty's term being the derivative of ``l2 * ||W||^2``. ``out`` may be
    ``data_gradient`` itself.
    """
    n_outputs, n_params = model.shape
    n_features = n_params - 1
    for k in range(n_outputs):
        intercept_gradient = data_gradient[k, n_features] * data_scale
        for j in range(n_features):
            out[k, j] = solver_coordinate_gradient(data_gradient[k, j] * data_scale, shift[j],
                                                   intercept_gradient, model[k, j], l2,
                                                   inverse_scale[j])  # fmt: skip
        out[k, n_features] = intercept_gradient if fit_intercept else 0.0


@njit(cache=True, fastmath={"reassoc", "contract"}, inline="always")
def solver_coordinate_gradient(data_gradient, shift, intercept_gradient, coefficient, l2,
                               inverse_scale):  # fmt: skip
    """``g_kj`` of ``solver_gradient``, given the mean loss gradient ``G_kj * data_scale``."""
    return (data_gradient - shift * intercept_gradient + 2.0 * l2 * coefficient) * inverse_scale

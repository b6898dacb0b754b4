"""How far a fit may be above the optimum of its objective: the certificate behind ``tol``.

At parameters ``theta`` with full gradient ``g`` and Hessian ``H`` (both in the
solver's coordinates, see ``_precondition``), the Newton decrement squared

    gap(theta) = g^T H^{-1} g

estimates ``J(theta) - J*``. The objective is quadratic for the squared error,
and there ``J - J* = g^T H^{-1} g / 2`` exactly: the estimate is twice the gap.
For the log-losses it is the same quantity at the local quadratic model, which
bounds the gap near the optimum (``J - J* <= gap`` for self-concordant
objectives once ``gap < 0.68^2``, Boyd & Vandenberghe 9.6.3); far from it the
estimate is large and no fit stops on it.

``H`` is formed exactly, ``O(n_samples * n_parameters^2)`` work, so only fits
with at most ``MAX_CERTIFIED_PARAMETERS`` parameters are certified; the
squared error's ``H`` does not depend on ``theta`` and is factored once per fit.
"""

import numpy as np
from scipy import linalg, sparse

from ._epoch import objective_and_gradient
from ._losses import SOFTMAX, SQUARED_ERROR, output_curvature, raw_output
from ._precondition import CHUNK_ROWS, solver_design
from ._rows import compiled_view, is_dask_array
from ._step_size import power_iteration

MAX_CERTIFIED_PARAMETERS = 1000
# A check whose estimate with the last Hessian passes forms it anew to confirm;
# one that fails keeps it. The local curvature behind a retuned step is read
# off a Hessian at most this many checks old.
HESSIAN_MAX_AGE = 20

# Below this fraction of the largest eigenvalue a direction of H is treated as
# flat (rounding); the gradient has no component there.
FLAT_DIRECTION = 1e-13


def can_certify(n_outputs, n_features):
    """Whether a fit of this size gets the exact certificate."""
    return n_outputs * (n_features + 1) <= MAX_CERTIFIED_PARAMETERS


def _weighted_gram(design, weights, scratch=None):
    """``A^T diag(weights) A`` with ``A = [Z, 1]``; ``design`` is that ``A`` or its sparse ``Z``.

    ``scratch``: a dense buffer of at least ``design``'s shape for the weighted rows.
    """
    if not sparse.issparse(design):
        if np.all(weights >= 0):  # B^T B is a symmetric rank-k update: half the products
            rooted = np.multiply(np.sqrt(weights)[:, None], design,
                                 out=None if scratch is None else scratch[: design.shape[0]])
            return rooted.T @ rooted
        return design.T @ (weights[:, None] * design)  # softmax's blocks between classes
    n_features = design.shape[1]
    gram = np.empty((n_features + 1, n_features + 1))
    gram[:-1, :-1] = (design.T @ design.multiply(weights[:, None])).toarray()
    gram[:-1, -1] = gram[-1, :-1] = design.T @ weights
    gram[-1, -1] = weights.sum()
    return gram


def hessian(X, sample_weight, model, preconditioner, loss, l2, fit_intercept):
    """Hessian of the objective at ``model`` in the solver's coordinates.

    Square, of side ``n_outputs * (n_features + 1)``, ordered as
    ``theta.reshape(-1)`` (output-major, intercept last). An intercept that is
    not fitted is a fixed coordinate: its row and column are the identity's.
    """
    if is_dask_array(X):
        from ._dask import hessian_sums_of_chunks  # noqa: PLC0415 - dask is optional

        blocks, largest_row = hessian_sums_of_chunks(X, sample_weight, model, preconditioner,
                                                     loss, fit_intercept)  # fmt: skip
    else:
        weights = np.asarray(sample_weight, dtype=np.float64) / float(np.sum(sample_weight))
        blocks, largest_row = hessian_sums(X, weights, model, preconditioner, loss, fit_intercept)
    n_outputs, n_params = model.shape
    n_features = n_params - 1
    scale = preconditioner.scale
    penalty = 2.0 * l2 / scale**2  # of l2 * sum_j (W'_kj / sigma_j)^2
    for k in range(n_outputs):
        if loss == SQUARED_ERROR:
            blocks[k, k] = blocks[0, 0]
        for m in range(k + 1, n_outputs):
            blocks[m, k] = blocks[k, m].T
        blocks[k, k][np.arange(n_features), np.arange(n_features)] += penalty
        if not fit_intercept:
            blocks[k, :, -1, :] = blocks[k, :, :, -1] = 0.0
            blocks[k, k, -1, -1] = 1.0
    H = blocks.transpose(0, 2, 1, 3).reshape(n_outputs * n_params, n_outputs * n_params)
    return H, largest_row * X.shape[0] + float(np.max(penalty, initial=0.0))


def hessian_sums(X, weights, model, preconditioner, loss, fit_intercept):
    """The rows' part of ``hessian``: ``sum_i w_i a_i a_i^T D_i`` by blocks of outputs.

    ``weights`` are the rows' weights divided by the total weight of all the
    rows (``X`` may be some of them). Returns the (upper) blocks
    ``(n_outputs, n_outputs, n_params, n_params)`` (the squared error's in
    ``[0, 0]`` only) and the largest row curvature divided by ``n``.
    """
    n_outputs, n_params = model.shape
    blocks = np.zeros((n_outputs, n_outputs, n_params, n_params))
    largest_row = 0.0
    coef, intercept = model[:, :-1].astype(np.float64), model[:, -1].astype(np.float64)
    # Two blocks' buffers for the whole pass: allocating them per block costs page
    # faults where freed memory goes back to the system at once (Dask's workers
    # set MALLOC_TRIM_THRESHOLD_, which made each block twice as slow).
    buffers = None if sparse.issparse(X) else np.empty((2, min(CHUNK_ROWS, X.shape[0]), n_params))
    for start in range(0, X.shape[0], CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        design = solver_design(X[rows], preconditioner, None if buffers is None else buffers[0])
        scratch = None if buffers is None else buffers[1]
        raw = raw_output(X[rows], coef, intercept)
        curvature = output_curvature(loss, raw) * weights[rows, None, None]
        largest_row = max(largest_row, _largest_row_curvature(design, curvature, fit_intercept))
        for k in range(n_outputs):
            if loss == SQUARED_ERROR:  # the same diagonal block for every output
                if k == 0:
                    blocks[0, 0] += _weighted_gram(design, curvature[:, 0, 0], scratch)
                continue
            for m in range(k, n_outputs):
                blocks[k, m] += _weighted_gram(design, curvature[:, k, m], scratch)
    return blocks, largest_row


def _largest_row_curvature(design, curvature, fit_intercept):
    """``max_i w_i / mean(w) * ||D_i|| * ||a_i||^2`` over a block of rows, divided by ``n``.

    ``||D_i||`` bounds the largest eigenvalue of the sample's loss curvature
    (Gershgorin: ``2 max_k D_kk`` covers softmax's ``diag(p) - p p^T``).
    """
    if sparse.issparse(design):
        norms = np.asarray(design.multiply(design).sum(axis=1)).ravel() + float(fit_intercept)
    else:
        norms = np.einsum("ij,ij->i", design, design) - float(not fit_intercept)
    diagonal = np.diagonal(curvature, axis1=1, axis2=2)
    bound = diagonal.max(axis=1) * (2.0 if curvature.shape[1] > 1 else 1.0)
    return float(np.max(bound * norms, initial=0.0))


def _flat_softmax_directions(n_outputs, n_params, l2, fit_intercept):
    """Directions along which softmax's objective is constant: adding one number to every class.

    The intercepts always (when fitted); a feature's coefficients too when
    unpenalized. The gradient has no component along them, so adding them to
    ``H`` makes it invertible without changing ``g^T H^+ g``.
    """
    columns = ([n_params - 1] if fit_intercept else []) + (
        list(range(n_params - 1)) if l2 == 0 else []
    )
    directions = np.zeros((n_outputs * n_params, len(columns)))
    for d, j in enumerate(columns):
        directions[np.arange(n_outputs) * n_params + j, d] = 1.0 / np.sqrt(n_outputs)
    return directions


def largest_eigenvalue(H, n_iterations=30):
    """Power-iteration estimate of ``lambda_max(H)`` (from below, within a few percent)."""
    return power_iteration(H.__matmul__, H.shape[0], H.dtype, n_iterations)


class InverseHessian:
    """``g -> g^T H^+ g`` for one Hessian, factored on first use (see the module docstring).

    Softmax's flat directions (``_flat_softmax_directions``) are added to ``H``
    first, with the scale of its diagonal, so that it can be factored; a
    Hessian flat in other directions too (a constant feature without penalty)
    falls back on its eigendecomposition, ignoring directions below
    ``FLAT_DIRECTION`` of its largest eigenvalue.
    """

    def __init__(self, H, flat_directions=None):
        self.H = H
        self.flat_directions = flat_directions
        self.factor = self.eigen = None

    def _factor(self):
        H = self.H.copy()
        size = self.size
        if self.flat_directions is not None and self.flat_directions.size:
            H += size * self.flat_directions @ self.flat_directions.T
        try:
            self.factor = linalg.cho_factor(H + FLAT_DIRECTION * size * np.eye(H.shape[0]))
        except linalg.LinAlgError:
            eigenvalues, vectors = linalg.eigh(H)
            kept = eigenvalues > FLAT_DIRECTION * size
            self.eigen = eigenvalues[kept], vectors[:, kept]

    @property
    def size(self):
        return float(np.max(np.abs(np.diag(self.H)))) if self.H.size else 0.0

    def decrement(self, gradient):
        """``g^T H^+ g``: the certificate's estimate of the gap."""
        g = gradient.reshape(-1).astype(np.float64)
        if self.size == 0.0:
            return 0.0 if not np.any(g) else np.inf
        if self.factor is None and self.eigen is None:
            self._factor()
        if self.factor is not None:
            return float(g @ linalg.cho_solve(self.factor, g, check_finite=False))
        eigenvalues, vectors = self.eigen
        return float(np.sum((vectors.T @ g) ** 2 / eigenvalues))


class _TrainingObjective:
    """A fit's objective on its training data, in the solver's coordinates."""

    def __init__(self, X, targets, sample_weight, loss, preconditioner, l2, fit_intercept):
        self.data = X, targets, sample_weight
        self.loss = loss
        self.preconditioner = preconditioner
        self.l2 = l2
        self.fit_intercept = fit_intercept

    def value_and_gradient(self, model):
        """``(J(model), its gradient)``: one full pass."""
        X, targets, sample_weight = self.data
        shift, inverse_scale = self.preconditioner.maps
        value, gradient = objective_and_gradient(compiled_view(X), targets, sample_weight,
                                                 model, shift, inverse_scale, self.loss,
                                                 self.l2, self.fit_intercept)  # fmt: skip
        return float(value), gradient


class Certifier(_TrainingObjective):
    """Full-gradient checks of a fit's distance to the optimum, on its training data."""

    def __init__(self, X, targets, sample_weight, loss, preconditioner, l2, fit_intercept):
        super().__init__(X, targets, sample_weight, loss, preconditioner, l2, fit_intercept)
        self._hessian = None
        self._age = 0  # checks since the Hessian was formed
        self._flat = None
        n_outputs, n_features = targets.shape[1], X.shape[1]
        if loss == SOFTMAX:
            self._flat = _flat_softmax_directions(n_outputs, n_features + 1, l2, fit_intercept)

    def _update_hessian(self, model):
        self._age = 0
        if self._hessian is not None and self.loss == SQUARED_ERROR:
            return  # quadratic objective: H does not depend on the parameters
        X, _, sample_weight = self.data
        H, self.largest_row_curvature = hessian(X, sample_weight, model, self.preconditioner,
                                                self.loss, self.l2, self.fit_intercept)  # fmt: skip
        self._hessian = InverseHessian(H, self._flat)

    def local_smoothness(self, model, max_age=HESSIAN_MAX_AGE):
        """``(lambda_max(H), largest per-sample curvature)`` of the objective at ``model``.

        The log-losses curve less as a fit approaches the optimum (confident
        predictions): the bounds behind the automatic step, taken where
        training starts, are then far above the curvature that is left. The
        Hessian of a check at most ``max_age`` checks old will do.
        """
        if self._hessian is None or self._age >= max_age:
            self._update_hessian(model)  # once only for the squared error, whose H is constant
        H = self._hessian.H
        free = np.ones(H.shape[0], dtype=bool)
        if not self.fit_intercept:  # the fixed intercepts' rows are the identity's
            n_params = H.shape[0] // self.data[1].shape[1]
            free[n_params - 1 :: n_params] = False
        return largest_eigenvalue(H[np.ix_(free, free)]), self.largest_row_curvature

    def largest_scaled_curvature(self, steps):
        """``lambda_max(D^(1/2) H D^(1/2))`` with ``D = diag(steps)`` and the last Hessian formed.

        ``steps``: the rule's step per parameter, shaped like ``theta``. Fixed
        intercepts (not fitted) are left out.
        """
        H = self._hessian.H
        root = np.sqrt(np.ravel(steps))
        free = np.ones(H.shape[0], dtype=bool)
        if not self.fit_intercept:  # the fixed intercepts' rows are the identity's
            n_params = root.size // self.data[1].shape[1]
            free[n_params - 1 :: n_params] = False
        root = root[free]
        return largest_eigenvalue(root[:, None] * H[np.ix_(free, free)] * root[None, :])

    def form_hessian(self, model):
        """Form the Hessian at ``model`` now (the squared error's once: it is constant)."""
        self._update_hessian(model)

    @property
    def has_hessian(self):
        return self._hessian is not None

    def estimate(self, gradient):
        """The gap estimate from ``gradient`` and the last Hessian formed (a quick screen)."""
        if self._hessian is None:
            return np.inf
        return self._hessian.decrement(gradient)

    def check(self, model, threshold=None):
        """``(J(model), gap estimate)`` from one full pass and the Hessian.

        ``threshold(J)`` is the gap that would certify the fit. The Hessian is
        formed anew at ``model`` when the estimate with the last one is within
        it (a certificate is at stake, and only a current Hessian may give
        one), and kept otherwise: near the optimum it changes slowly, and
        forming it costs ``O(n P^2)``. None forms it anew.
        """
        value, gradient = self.value_and_gradient(model)
        self._age += 1
        if threshold is not None and self._hessian is not None:
            estimate = self.estimate(gradient)
            if estimate > threshold(value):
                return value, estimate
        self._update_hessian(model)
        return value, self.estimate(gradient)


# The samples' curvature is kept across Hessian-vector products up to this
# many values (n_samples x K x K, 8 bytes each); a sparse X is then read whole,
# not sliced into row blocks (each slice a copy).
KEPT_CURVATURE_VALUES = 4_000_000


def hessian_operator(X, sample_weight, model, preconditioner, loss, l2, fit_intercept):
    """``v -> H v`` at ``model`` in the solver's coordinates, without forming ``H``.

    ``v`` has the shape of the parameters, (n_outputs, n_features + 1). With
    ``a_i = [(x_i - mu) / sigma, 1]`` and ``D_i`` the sample's loss curvature,
    ``H v = sum_i w_i a_i D_i (a_i . v) + 2 l2 v / sigma^2`` (the penalty on the
    coefficients only). A fixed intercept's coordinate maps to 0. Each product
    is one pass over ``X``; the ``D_i`` are computed once when small enough.
    """
    shift, _, inverse_scale = preconditioner
    weights = np.asarray(sample_weight, dtype=np.float64) / float(np.sum(sample_weight))
    coef, intercept = model[:, :-1].astype(np.float64), model[:, -1].astype(np.float64)
    n_samples, n_outputs = X.shape[0], model.shape[0]
    keep = n_samples * n_outputs**2 <= KEPT_CURVATURE_VALUES
    rows_per_block = n_samples if keep and sparse.issparse(X) else CHUNK_ROWS
    blocks = [slice(start, start + rows_per_block) for start in range(0, n_samples, rows_per_block)]
    kept = {}

    def curvature_of(rows):
        if rows.start in kept:
            return kept[rows.start]
        curvature = output_curvature(loss, raw_output(X[rows], coef, intercept))
        if keep:
            kept[rows.start] = curvature
        return curvature

    def apply(direction):
        direction_coef = direction[:, :-1] * inverse_scale  # the model's coefficients move so
        direction_intercept = direction[:, -1] if fit_intercept else np.zeros(n_outputs)
        offset = direction_coef @ shift - direction_intercept
        image = np.zeros(direction.shape)
        for rows in blocks:
            X_rows = X[rows]
            change = np.asarray(X_rows @ direction_coef.T) - offset  # a_i . v, per output
            weighted = np.einsum("ikm,im->ik", curvature_of(rows), change) * weights[rows, None]
            image[:, :-1] += np.asarray(X_rows.T @ weighted).T
            image[:, -1] += weighted.sum(axis=0)
        image[:, :-1] = (image[:, :-1] - np.outer(image[:, -1], shift)) * inverse_scale
        image[:, :-1] += 2.0 * l2 * inverse_scale**2 * direction[:, :-1]
        if not fit_intercept:
            image[:, -1] = 0.0
        return image

    return apply


# Conjugate gradients stop once the estimate's upper and lower ends are this
# close after at least CG_MIN_ITERATIONS steps (the Ritz value of a few steps
# can be far above lambda_min: one step of breast_cancer's said 0.4 times the
# gap), or after CG_MAX_ITERATIONS Hessian-vector products (each a pass over X).
CG_AGREEMENT = 0.01
CG_MIN_ITERATIONS = 10
CG_MAX_ITERATIONS = 200


def decrement_by_conjugate_gradients(apply, gradient):
    """``g^T H^-1 g`` by conjugate gradients on ``H x = g``, from ``x = 0``.

    After ``k`` steps ``g . x_k`` is below the decrement and
    ``g . x_k + ||r_k||^2 / theta_min`` above it if ``theta_min``, the smallest
    Ritz value of the Lanczos matrix the iteration builds, were ``lambda_min(H)``
    (it converges to it from above): the estimate returned is that upper end,
    once within ``CG_AGREEMENT`` of the lower one. An estimate, like the
    Newton decrement itself; on the bundled data sets it is within 1 % of the
    exact one.
    """
    g = gradient.astype(np.float64)
    x = np.zeros_like(g)
    residual = g.copy()
    direction = residual.copy()
    squared = float(np.vdot(residual, residual))
    if squared == 0.0:
        return 0.0
    diagonal, off_diagonal = [], []
    previous_step = previous_ratio = None
    estimate = np.inf
    for iteration in range(CG_MAX_ITERATIONS):
        image = apply(direction)
        curvature = float(np.vdot(direction, image))
        if not curvature > 0.0:
            break
        step = squared / curvature
        x += step * direction
        residual -= step * image
        new_squared = float(np.vdot(residual, residual))
        ratio = new_squared / squared
        # The Lanczos tridiagonal matrix of the CG coefficients (Saad, 6.7.3).
        diagonal.append(1.0 / step + (previous_ratio / previous_step if previous_step else 0.0))
        if previous_step is not None:
            off_diagonal.append(np.sqrt(previous_ratio) / previous_step)
        smallest = linalg.eigvalsh_tridiagonal(np.array(diagonal), np.array(off_diagonal),
                                               select="i", select_range=(0, 0))[0]  # fmt: skip
        lower = float(np.vdot(g, x))
        estimate = lower + new_squared / smallest if smallest > 0 else np.inf
        agree = iteration + 1 >= CG_MIN_ITERATIONS and estimate <= (1.0 + CG_AGREEMENT) * lower
        if agree or new_squared == 0.0:
            break
        previous_step, previous_ratio = step, ratio
        direction = residual + ratio * direction
        squared = new_squared
    return estimate


class MatrixFreeCertifier(_TrainingObjective):
    """The gap estimate of fits too large for the exact Hessian (``can_certify``).

    ``g^T H^-1 g`` from conjugate gradients on Hessian-vector products
    (``hessian_operator``), each a pass over ``X``: affordable once, at the end of
    a fit, to say how far it may be from the optimum.
    """

    def check(self, model):
        """``(J(model), gap estimate)``."""
        X, _, sample_weight = self.data
        value, gradient = self.value_and_gradient(model)
        shift, scale, inverse_scale = self.preconditioner
        empty = _empty_columns(X, shift)
        decrement = _penalty_only_decrement(gradient[:, :-1][:, empty], inverse_scale[empty],
                                            self.l2)  # fmt: skip
        if np.any(empty):  # the rest of H does not involve them
            read = np.append(~empty, True)  # and the intercepts
            X, model, gradient = X[:, ~empty], model[:, read], gradient[:, read]
            shift, scale, inverse_scale = shift[~empty], scale[~empty], inverse_scale[~empty]
        apply = hessian_operator(X, sample_weight, model, (shift, scale, inverse_scale),
                                 self.loss, self.l2, self.fit_intercept)  # fmt: skip
        return value, decrement + decrement_by_conjugate_gradients(apply, gradient)


def _empty_columns(X, shift):
    """The features no sample of a sparse ``X`` has a value for (and not centred).

    Their coordinates meet the penalty only: ``H`` is diagonal there, and
    conjugate gradients on the others alone work on shorter vectors (text
    hashed into 2^18 columns: a quarter of them are read).
    """
    if not sparse.issparse(X):
        return np.zeros(X.shape[1], dtype=bool)
    return (X.getnnz(axis=0) == 0) & (shift == 0.0)


def _penalty_only_decrement(gradient, inverse_scale, l2):
    """``g^T H^-1 g`` over coordinates whose Hessian is the penalty's ``2 l2 / sigma^2`` alone.

    Without a penalty their gradient is zero too, and so is their share.
    """
    curvature = 2.0 * l2 * inverse_scale**2
    share = np.divide(gradient**2, curvature, out=np.zeros_like(gradient), where=curvature > 0)
    return float(share.sum())

"""Full-batch training on Dask arrays: each pass over the rows runs where the chunks live.

A fit reads its data in a handful of places: the checks of the input, the
preconditioner's moments, the automatic step's curvature, the losses of the
constant models, each epoch's gradient and objective, and the certificate's
gradient and Hessian. When ``X`` is a ``dask.array.Array`` chunked by rows,
each of these is a map over the chunks, with the same function the in-memory
fit runs on its whole array (``accumulate_blocks``, ``hessian_sums``,
``feature_moments``, ``solver_design``), and a sum of the chunks' results: in a
fixed tree on the workers for the Hessian (``reduce_chunks``), and for each
epoch's gradient unless a distributed cluster holds the chunks, where one task
per worker returns its chunks' sums (``sums_by_worker``); on the client, in the
chunks' order, for the rest. The set-up reads ``X`` twice: the checks' pass
also sums the moments and the targets (``_checked_chunk``, kept by the
arrays' names), and the automatic step finds its rows on the workers
(``eigenvalue_gram``). Only the parameters go out to the chunks and only sums
as small as the gradient (or the Hessian) come back; the step itself is the
in-memory one (``step_on_full_batch``). The fit therefore equals the
in-memory fit of the same data up to the order of the sums.

Only full batches are taken this way; a stochastic preset streams blocks with
``dask_ml.wrappers.Incremental`` and ``partial_fit`` instead.
"""

import threading
from contextlib import contextmanager

import dask
import dask.array as da
import numba
import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import _check_feature_names, _check_n_features

from ._certificate import _weighted_gram, hessian_sums
from ._epoch import accumulate_blocks, objective_of_sums, step_on_full_batch
from ._losses import constant_of_mean_target, mean_loss
from ._optimizers import is_full_batch, samples_per_step
from ._precondition import (
    CHUNK_ROWS,
    feature_moments,
    mean_row_norm,
    solver_design,
    solver_row_norms,
)
from ._rows import read_only
from ._step_size import (
    MAX_ROWS_FOR_EIGENVALUE,
    _eigenvalue_rows,
    heavy_rows,
    spread_factor,
    spread_rows,
)

# -- running a function on every chunk -----------------------------------------


def _row_blocks(array):
    """The row chunks of ``array`` (one block of columns), as delayed NumPy arrays in order."""
    return array.to_delayed().ravel().tolist()


def map_chunks(function, arrays, *args):
    """``[function(*chunks, *args) for each row chunk]``, computed where the chunks live.

    ``arrays`` are Dask arrays with the same row chunks; ``args`` go to every
    call (the parameters: small). Returns the results in the chunks' order.
    """
    blocks = zip(*(_row_blocks(array) for array in arrays), strict=True)
    tasks = [dask.delayed(function, pure=True)(*chunks, *args) for chunks in blocks]
    return dask.compute(*tasks)


# Partial sums combined per node of the reduction tree: wide enough that a
# scheduler round trip per pair (some 30 ms an epoch on 20 chunks) is not paid,
# narrow enough that a node holds few gradients (or Hessians) at once.
FAN_IN = 8


def reduce_chunks(function, arrays, *args, combine):
    """``function`` of every row chunk, combined in a fixed tree where they live.

    ``combine(*parts)`` adds up to ``FAN_IN`` consecutive results; only the
    root's result reaches the client. The tree's shape depends on the number of
    chunks alone, so the sums (and their rounding) do not depend on the
    scheduler or the number of workers.
    """
    blocks = zip(*(_row_blocks(array) for array in arrays), strict=True)
    level = [dask.delayed(function, pure=True)(*chunks, *args) for chunks in blocks]
    combined = dask.delayed(combine, pure=True)
    while len(level) > 1:
        groups = [level[i : i + FAN_IN] for i in range(0, len(level), FAN_IN)]
        level = [combined(*group) if len(group) > 1 else group[0] for group in groups]
    return level[0].compute()


def _add_sums(*parts):
    """Chunks' ``(loss, weight, gradient)`` sums, added in order."""
    return tuple(sum(values[1:], values[0]) for values in zip(*parts, strict=True))


def _contiguous(chunk):
    return read_only(np.ascontiguousarray(chunk))


# -- the objective and its gradient --------------------------------------------


@contextmanager
def _one_numba_thread():
    """Compiled parallel loops on the calling thread alone: Dask runs a task per core already.

    (Two threads per task on two workers of one core each took 0.11 s an epoch
    of 2,000,000 x 100 rows instead of 0.05.)
    """
    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # this thread's setting only
    try:
        yield
    finally:
        numba.set_num_threads(threads)


def chunk_sums(X, targets, sample_weight, model, loss):
    """``(loss, weight, gradient)`` sums of one chunk's rows, by the in-memory fit's kernel.

    ``accumulate_blocks`` on one thread: the parallel kernel's compiled loop runs
    a third faster than the plain one (0.031 against 0.046 s a million rows of
    100 features).
    """
    n_rows = sample_weight.shape[0]
    grad = np.zeros(model.shape)
    with _one_numba_thread():
        total_loss, total_weight = accumulate_blocks(
            _contiguous(X), _contiguous(targets), _contiguous(sample_weight), np.arange(n_rows), 0,
            n_rows, model, loss, grad
        )  # fmt: skip
    return total_loss, total_weight, grad


# Every chunk's gradient reaches the client from one task per worker while they
# total at most this many values (16 MB); past it, the tree sends one.
GATHERED_VALUES = 2**21


def _sums(X, targets, sample_weight, model, loss):
    """``(loss, weight, gradient)`` summed over every chunk.

    On a distributed cluster that holds the chunks, one task per worker, the
    chunks' sums added here in the chunks' order; elsewhere, or for gradients
    too large to gather one per chunk, a fixed tree.
    """
    held = held_chunks((X, targets, sample_weight))
    if held is not None and model.size * X.numblocks[0] <= GATHERED_VALUES:
        return _add_sums(*sums_by_worker(*held, model, loss))
    return reduce_chunks(chunk_sums, (X, targets, sample_weight), model, loss,
                         combine=_add_sums)  # fmt: skip


def held_chunks(arrays):
    """``(client, chunks, placement)`` of persisted ``arrays`` on a distributed cluster, or None.

    ``chunks[i]`` are the futures of the arrays' ``i``-th row chunks and
    ``placement`` maps each worker to the indices of the chunks of
    ``arrays[0]`` it holds. None without a client, or when a chunk is not in
    a worker's memory (arrays persisted by another scheduler).
    """
    try:
        from distributed import futures_of, get_client, wait  # noqa: PLC0415 - optional

        client = get_client()
    except (ImportError, ValueError):
        return None
    columns = []
    for array in arrays:
        futures = sorted(futures_of(array), key=lambda future: future.key[1])
        if len(futures) != array.numblocks[0]:
            return None
        columns.append(futures)
    wait([future for futures in columns for future in futures])  # where they are once held
    holders = client.who_has(columns[0])
    placement = {}
    for index, future in enumerate(columns[0]):
        if not holders.get(future.key):
            return None
        placement.setdefault(holders[future.key][0], []).append(index)
    return client, list(zip(*columns, strict=True)), placement


def _chunks_sums(chunks, model, loss):
    return [chunk_sums(*chunk, model, loss) for chunk in chunks]


def sums_by_worker(client, chunks, placement, model, loss):
    """``chunk_sums`` of every chunk, one task per worker for the chunks it holds, in order.

    A task per chunk (and per pair of sums) costs a scheduler round trip each:
    some 30 ms of a 100 ms epoch on 20 chunks and two workers.
    """
    workers = list(placement)
    tasks = [client.submit(_chunks_sums, [chunks[i] for i in placement[worker]], model, loss,
                           workers=[worker], allow_other_workers=True, pure=False)
             for worker in workers]  # fmt: skip
    parts = [None] * len(chunks)
    for worker, results in zip(workers, client.gather(tasks), strict=True):
        for index, result in zip(placement[worker], results, strict=True):
            parts[index] = result
    return parts


def objective_and_gradient(X, targets, sample_weight, model, shift, inverse_scale, loss, l2,
                           fit_intercept):  # fmt: skip
    """``_epoch.objective_and_gradient`` of a Dask array: one pass over the chunks."""
    total_loss, total_weight, grad = _sums(X, targets, sample_weight, model, loss)
    return objective_of_sums(total_loss, total_weight, grad, model, shift, inverse_scale, l2,
                             fit_intercept)  # fmt: skip


def run_full_batch_epoch(X, targets, sample_weight, order, batch_size, theta, model, shift,
                         inverse_scale, state, t, rule, alpha, power_t,
                         beta, beta2, epsilon, loss, l2, fit_intercept, path, step_losses,
                         last_gradient, average, n_averaged):  # fmt: skip
    """``_epoch.run_full_batch_epoch`` of a Dask array: the chunks' sums, then the step here.

    ``order`` and ``batch_size`` are those of a full batch, which sums every
    row whatever the order.
    """
    total_loss, total_weight, grad = _sums(X, targets, sample_weight, model, loss)
    n_rows = X.shape[0]
    return step_on_full_batch(total_loss, total_weight, grad, n_rows, total_weight / n_rows,
                              theta, model, shift, inverse_scale, state, t,
                              rule, alpha, power_t, beta, beta2, epsilon, l2, fit_intercept,
                              path, step_losses, last_gradient, average,
                              n_averaged)  # fmt: skip


# -- predictions ----------------------------------------------------------------


def map_row_chunks(predict, X):
    """``predict`` of every row chunk of ``X``, as a Dask array with the same row chunks.

    The output's shape and type come from ``predict`` of one row of zeros, so a
    model that is not fitted, or ``X`` of another width, fails here, at once.
    """
    X = X.rechunk({1: -1})  # whole rows
    sample = np.asarray(predict(np.zeros((1, X.shape[1]), dtype=X.dtype)))
    meta = np.empty((0,) * sample.ndim, dtype=sample.dtype)
    if sample.ndim == 1:
        return X.map_blocks(predict, drop_axis=1, dtype=sample.dtype, meta=meta)
    return X.map_blocks(predict, chunks=(X.chunks[0], sample.shape[1:]), dtype=sample.dtype,
                        meta=meta)  # fmt: skip


# -- statistics of the data -----------------------------------------------------

# What a fit's set-up reads of its data, kept by the Dask arrays' names (the
# names of their content's graph): the pass that checks the chunks computes the
# moments and the targets' sums for the set-up after it, and later fits of the
# same arrays (a warm start, another parameter of a grid) find them here.
_KEPT = {}
_KEPT_ENTRIES = 16


_KEPT_LOCK = threading.Lock()  # fits in threads (a grid search) share it


def _remembered(key, compute):
    value = _KEPT.get(key)
    if value is None:
        value = compute()
        with _KEPT_LOCK:
            while len(_KEPT) >= _KEPT_ENTRIES:
                del _KEPT[next(iter(_KEPT))]
            _KEPT[key] = value
    return value


def _chunk_moments(X, sample_weight, centre):
    weight = float(np.sum(sample_weight, dtype=np.float64))
    if weight == 0.0:
        return weight, None, None
    mean, squares = feature_moments(_contiguous(X), sample_weight, centre)
    return weight, mean, squares


def _combined_moments(parts):
    """Chunks' ``(weight, mean, mean square)`` combined as in Chan et al. (1979).

    ``m2 = sum_c W_c (m2_c + (mean_c - mean)^2) / W`` (without centring, the
    means are zeros).
    """
    parts = [part for part in parts if part[0] > 0.0]
    total = sum(weight for weight, _, _ in parts)
    mean = sum(weight / total * chunk_mean for weight, chunk_mean, _ in parts)
    squares = sum(weight / total * (chunk_squares + (chunk_mean - mean) ** 2)
                  for weight, chunk_mean, chunk_squares in parts)  # fmt: skip
    return mean, squares


def weighted_moments(X, sample_weight, centre):
    """``feature_moments`` of a Dask array, from one pass over the chunks (or none, if kept)."""
    return _remembered(
        ("moments", X.name, sample_weight.name, centre),
        lambda: _combined_moments(map_chunks(_chunk_moments, (X, sample_weight), centre)),
    )  # fmt: skip


def _chunk_hessian(X, sample_weight, model, preconditioner, loss, fit_intercept):
    weights = np.asarray(sample_weight, dtype=np.float64)
    blocks, largest_row = hessian_sums(_contiguous(X), weights, model, preconditioner, loss,
                                       fit_intercept)  # fmt: skip
    return blocks, largest_row, float(weights.sum())


def hessian_sums_of_chunks(X, sample_weight, model, preconditioner, loss, fit_intercept):
    """``_certificate.hessian_sums`` of a Dask array (weights divided by their total)."""
    blocks, largest, total = reduce_chunks(_chunk_hessian, (X, sample_weight), model,
                                           preconditioner, loss, fit_intercept,
                                           combine=_add_hessians)  # fmt: skip
    return blocks / total, largest / total


def _add_hessians(*parts):
    """Chunks' ``(Hessian blocks, largest row curvature, weight)``: sums and the max."""
    blocks, largest, weights = zip(*parts, strict=True)
    return sum(blocks[1:], blocks[0]), max(largest), sum(weights)


def _gram(X, weights, preconditioner):
    """``A^T diag(weights) A`` of the solver's rows ``A = [(X - mu) / sigma, 1]``."""
    gram = np.zeros((X.shape[1] + 1, X.shape[1] + 1))
    for start in range(0, X.shape[0], CHUNK_ROWS):
        design = solver_design(X[start : start + CHUNK_ROWS], preconditioner)
        gram += _weighted_gram(design, np.asarray(weights[start : start + CHUNK_ROWS],
                                                  dtype=np.float64))  # fmt: skip
    return gram


def _chunk_gram(X, sample_weight, preconditioner):
    return _gram(X, sample_weight, preconditioner), float(np.sum(sample_weight, dtype=np.float64))


def _chunk_gram_of_rows(X, rows, weights, preconditioner):
    return _gram(X[rows], weights, preconditioner)


def _rows_by_chunk(X, rows):
    """``(block, its rows of the sorted indices rows, their positions in rows)`` of every chunk.

    A chunk may hold none of ``rows``.
    """
    starts = np.cumsum((0,) + X.chunks[0])
    chunk_of_row = np.searchsorted(starts, rows, side="right") - 1
    for chunk, block in enumerate(_row_blocks(X)):
        mine = np.flatnonzero(chunk_of_row == chunk)
        yield block, rows[mine] - starts[chunk], mine


def solver_gram(X, sample_weight, rows, preconditioner):
    """``A^T W A / sum(w)`` of a Dask array; of ``rows`` only (weighted by ``sample_weight``).

    Summed chunk by chunk, with the same rows as in memory.
    """
    if rows is None:
        results = map_chunks(_chunk_gram, (X, sample_weight), preconditioner)
        return sum(gram for gram, _ in results) / sum(weight for _, weight in results)
    tasks = [dask.delayed(_chunk_gram_of_rows, pure=True)(block, mine, sample_weight[where],
                                                          preconditioner)
             for block, mine, where in _rows_by_chunk(X, rows) if mine.size]  # fmt: skip
    return sum(dask.compute(*tasks)) / float(np.sum(sample_weight))


def _chunk_heavy_and_spread(X, sample_weight, spread, preconditioner, fit_intercept, mean):
    """A chunk's heavy rows (``heavy_rows``) and its rows of ``spread`` that are not heavy.

    ``(counts, heavy Gram, spread Gram)``: ``counts`` holds the number of
    heavy rows and the weights of the heavy rows, the spread rows and the chunk.
    """
    weights = np.asarray(sample_weight, dtype=np.float64)
    curvatures = solver_row_norms(X, preconditioner) + float(fit_intercept)
    heavy = heavy_rows(curvatures, sample_weight, mean)
    spread = spread[~heavy[spread]]
    counts = np.array([heavy.sum(), weights[heavy].sum(), weights[spread].sum(), weights.sum()])
    return (counts, _gram(X[heavy], weights[heavy], preconditioner),
            _gram(X[spread], weights[spread], preconditioner))  # fmt: skip


def eigenvalue_gram(X, sample_weight, fit_intercept, preconditioner):
    """The Gram matrix ``_step_size.largest_gram_eigenvalue`` reads, of a Dask array.

    Of every row up to ``MAX_ROWS_FOR_EIGENVALUE`` rows; past them, of the
    heavy rows and the spread rows (``_step_size._eigenvalue_rows``) from one
    pass: each chunk finds its heavy rows against the mean curvature, which
    the moments give (``mean_row_norm``), so the rows' norms never leave the
    workers. When more rows are heavy than the subset may hold, the norms
    come to the client and only the heaviest are kept, as in memory.
    """
    n_samples = X.shape[0]
    if n_samples <= MAX_ROWS_FOR_EIGENVALUE:
        return solver_gram(X, sample_weight, None, preconditioner)
    moments = weighted_moments(X, sample_weight, fit_intercept)
    mean = mean_row_norm(*moments, preconditioner) + float(fit_intercept)
    chunks = zip(_rows_by_chunk(X, spread_rows(n_samples)), _row_blocks(sample_weight),
                 strict=True)  # fmt: skip
    grams = dask.delayed(_chunk_heavy_and_spread, pure=True)
    tasks = [grams(block, weights, rows, preconditioner, fit_intercept, mean)
             for (block, rows, _), weights in chunks]  # fmt: skip
    counts, heavy_gram, spread_gram = _add_sums(*dask.compute(*tasks))
    n_heavy, heavy_total, spread_total, total = counts
    factor = spread_factor(total - heavy_total, spread_total)
    if n_heavy > MAX_ROWS_FOR_EIGENVALUE or factor is None:
        return _eigenvalue_gram_of_gathered_norms(X, sample_weight, fit_intercept, preconditioner)
    return (heavy_gram + factor * spread_gram) / (heavy_total + factor * spread_total)


def _eigenvalue_gram_of_gathered_norms(X, sample_weight, fit_intercept, preconditioner):
    curvatures = solver_row_norms(X, preconditioner) + float(fit_intercept)
    subset = _eigenvalue_rows(curvatures, np.asarray(sample_weight))
    if subset is None:
        return solver_gram(X, sample_weight, None, preconditioner)
    return solver_gram(X, subset[1], subset[0], preconditioner)


def _chunk_target_sums(targets, sample_weight, loss):
    """A chunk's ``(weighted sum of the targets, weight, weighted loss of the zero model)``."""
    weights = np.asarray(sample_weight, dtype=np.float64)
    return (weights @ np.asarray(targets, dtype=np.float64), float(weights.sum()),
            _chunk_loss(targets, sample_weight, loss, np.zeros(targets.shape[1])))  # fmt: skip


def _combined_target_sums(parts):
    """``(mean target, loss of the zero model, weight)`` from ``_chunk_target_sums``."""
    sums, weights, losses = zip(*parts, strict=True)
    total = sum(weights)
    return sum(sums) / total, sum(losses) / total, total


def _chunk_loss(targets, sample_weight, loss, constant):
    weights = np.asarray(sample_weight, dtype=np.float64)
    if not weights.sum() > 0:
        return 0.0
    raw = np.broadcast_to(constant, targets.shape)
    return mean_loss(loss, raw, targets, weights) * float(weights.sum())


def baseline_losses(loss, targets, sample_weight, fit_intercept):
    """``BaseGD._baseline_losses`` of Dask targets: the chunks' weighted sums of the loss.

    A fit asks for them three times (start, stopping rule, report): they are kept.
    """
    mean, zero, total = _remembered(
        ("targets", targets.name, sample_weight.name, loss),
        lambda: _combined_target_sums(map_chunks(_chunk_target_sums, (targets, sample_weight),
                                                 loss)),
    )  # fmt: skip
    if not fit_intercept:
        return zero, zero
    key = ("constant", targets.name, sample_weight.name, loss)
    return zero, _remembered(key, lambda: _constant_loss(loss, targets, sample_weight, mean, total))


def _constant_loss(loss, targets, sample_weight, mean, total):
    constant = constant_of_mean_target(loss, mean)
    return sum(map_chunks(_chunk_loss, (targets, sample_weight), loss, constant)) / total


# -- the training data ----------------------------------------------------------


def _checked_chunk(X, targets, sample_weight, estimator, numeric_targets, centre, loss):
    """Reject non-finite values of a chunk (as ``_base._check_values``); its statistics.

    ``(_chunk_moments, _chunk_target_sums)``: what the fit's set-up reads next,
    from the same reading of the chunk.
    """
    from ._base import _check_values  # noqa: PLC0415 - _base imports this module lazily

    _check_values("X", X, estimator)
    if numeric_targets:
        _check_values("y", targets, estimator)
    weights = np.asarray(sample_weight)
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight holds NaN or infinite values.")
    if np.any(weights < 0):
        raise ValueError("sample_weight holds negative values; weights must be non-negative.")
    return _chunk_moments(X, sample_weight, centre), _chunk_target_sums(targets, weights, loss)


def _rows_like(values, X, name):
    """``values`` (NumPy or Dask, one value or row per sample) chunked as ``X``'s rows."""
    if values.shape[0] != X.shape[0]:
        raise ValueError(
            f"{name} has {values.shape[0]} rows but X has {X.shape[0]}: they must have one row "
            "per sample."
        )
    chunks = (X.chunks[0],) + tuple((size,) for size in values.shape[1:])
    if not isinstance(values, da.Array):
        return da.from_array(np.asarray(values), chunks=chunks)
    if np.any(np.isnan(values.shape)) or values.chunks != chunks:
        return values.rechunk(chunks)
    return values


def _known_chunks(array):
    if any(np.isnan(size) for size in array.shape):
        return array.compute_chunk_sizes()  # e.g. from a Dask DataFrame: one pass to count
    return array


def training_data(estimator, X, y, sample_weight, reset):
    """``(X, y, targets, sample_weight)`` of a fit on a Dask array, checked and persisted.

    ``X`` keeps float32 (anything else becomes float64) and has one chunk of
    columns (a column-chunked array is rechunked: every chunk must hold whole
    rows); ``targets`` are the encoded targets, chunked as ``X``'s rows, as is
    ``sample_weight``. Raises for what only the in-memory fit does: a held-out
    validation set (``early_stopping``) and steps on batches of rows.
    """
    name = type(estimator).__name__
    if estimator.early_stopping:
        raise ValueError(
            f"{name} on a Dask array does not support early_stopping=True (it would hold out "
            "rows): set early_stopping=False, or fit on a NumPy array."
        )
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); the Dask array X is {X.ndim}-D.")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must hold numbers; the Dask array X has dtype {X.dtype}.")
    X = _known_chunks(X)
    if X.numblocks[1] > 1:  # chunks must hold whole rows: one block of columns
        X = X.rechunk({1: -1})
    if X.dtype != np.float32:
        X = X.astype(np.float64)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X has shape {X.shape}: {name} needs at least one sample and feature.")
    batch = samples_per_step(estimator.optimizer, estimator.batch_size, X)
    if not is_full_batch(batch, X.shape[0]):
        raise ValueError(
            f"optimizer={estimator.optimizer!r} takes steps on batches of {batch} rows, and "
            f"{name} fits a Dask array with full batches only (each epoch sums the gradient "
            "over every chunk). Use optimizer='batch' (or another rule with batch_size >= "
            "n_samples), or stream the chunks through partial_fit with "
            "dask_ml.wrappers.Incremental."
        )
    _check_n_features(estimator, X, reset=reset)
    _check_feature_names(estimator, X, reset=reset)
    if not isinstance(y, da.Array):
        y = np.asarray(y)
    y = _known_chunks(y)
    if is_classifier(estimator) and y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    y = _rows_like(y, X, "y")
    if is_classifier(estimator):
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D class labels; it has shape {y.shape}.")
        labels = np.unique(da.unique(y).compute())  # one distributed pass
        estimator._prepare_outputs(labels, reset, None, False)
    else:
        if y.ndim not in (1, 2) or y.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} needs a numeric target y of 1 or 2 dimensions; the Dask array y has "
                f"dtype {y.dtype} and {y.ndim} dimensions. Use GDClassifier for class labels."
            )
        estimator._prepare_outputs(y, reset, None, False)
    n_outputs = (1 if estimator.classes_.shape[0] == 2 else estimator.classes_.shape[0]) if (
        is_classifier(estimator)) else (1 if y.ndim == 1 else y.shape[1])  # fmt: skip
    targets = y.map_blocks(estimator._encode_targets, X.dtype, dtype=X.dtype,
                           chunks=(X.chunks[0], (n_outputs,)),
                           **({"new_axis": 1} if y.ndim == 1 else {}))  # fmt: skip
    if sample_weight is None:
        sample_weight = da.ones(X.shape[0], chunks=X.chunks[0], dtype=X.dtype)
    else:
        sample_weight = _rows_like(_known_chunks(sample_weight), X, "sample_weight")
        if sample_weight.ndim != 1:
            raise ValueError(f"sample_weight must be 1-D; it has shape {sample_weight.shape}.")
        sample_weight = sample_weight.astype(X.dtype)
    if is_classifier(estimator) and estimator.class_weight is not None:
        if estimator.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported on a Dask array: pass a dict of "
                "weights, e.g. from sklearn.utils.class_weight.compute_class_weight."
            )
        per_class = estimator._class_weights(estimator.classes_, False).astype(X.dtype)
        classes = estimator.classes_
        sample_weight = sample_weight * y.map_blocks(
            lambda labels: per_class[np.searchsorted(classes, labels)], dtype=X.dtype
        )
    X, targets, sample_weight = dask.persist(X, targets, sample_weight)
    centre, loss = estimator.fit_intercept, estimator._loss_for(n_outputs)
    statistics = map_chunks(_checked_chunk, (X, targets, sample_weight), estimator,
                            not is_classifier(estimator), centre, loss)  # fmt: skip
    moments, target_sums = zip(*statistics, strict=True)
    if not sum(weight for weight, _, _ in moments) > 0:
        raise ValueError("sample_weight (times class_weight) is zero for every sample.")
    _remembered(("moments", X.name, sample_weight.name, centre), lambda: _combined_moments(moments))
    _remembered(("targets", targets.name, sample_weight.name, loss),
                lambda: _combined_target_sums(target_sums))  # fmt: skip
    return X, y, targets, sample_weight

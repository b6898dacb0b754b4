"""Row access for the epoch loop, for dense arrays and CSR matrices alike.

The loop receives ``X`` either as a C-contiguous 2-D array or as a CSR matrix's
``(data, indices, indptr)`` tuple; numba compiles one version of the loop for
each, and these overloads are the only code that differs. A sparse row costs
time in its non-zeros only, and ``X`` is never densified.

The coefficient and gradient matrices come whole with the output ``k``: a row
view such as ``theta[k]`` per sample costs reference counting, about a tenth of
a shuffled epoch.
"""

import functools

import numpy as np
from numba import types
from numba.extending import overload
from scipy import sparse

from ._prefetch import prefetch_row


def read_only(array):
    """A read-only view of ``array`` (no copy).

    numba compiles each loop once per argument type, and a writable and a
    read-only array are different types: handing the loops read-only views of
    the data whatever the caller passed (a memmap, a NumPy array) keeps one
    compiled version instead of several.
    """
    view = array.view()
    view.flags.writeable = False
    return view


def narrow_indices(X):
    """A CSR ``X`` with 32-bit indices where they can hold it (one version of the loops)."""
    if X.indptr.dtype == np.int32 or max(X.nnz, X.shape[1]) > np.iinfo(np.int32).max:
        return X
    return sparse.csr_matrix((X.data, X.indices.astype(np.int32), X.indptr.astype(np.int32)),
                             shape=X.shape)  # fmt: skip


def training_view(X):
    """``X`` in the one form the compiled loops are built for (see ``read_only``)."""
    return narrow_indices(X) if sparse.issparse(X) else read_only(X)


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array`` (asked without importing dask)."""
    kind = type(X)
    return kind.__name__ == "Array" and kind.__module__.startswith("dask.array")


def by_row_chunks(method):
    """A prediction method that, given a Dask array, maps itself over its row chunks.

    The result is a Dask array computed where the chunks live: ``X`` is never
    gathered. Errors (not fitted, another number of features) come at once.
    """

    @functools.wraps(method)
    def predict(estimator, X):
        if is_dask_array(X):
            from ._dask import map_row_chunks  # noqa: PLC0415 - dask is optional

            return map_row_chunks(functools.partial(method, estimator), X)
        return method(estimator, X)

    return predict


def compiled_view(X):
    """``X`` as the compiled loops read it: the array, or a CSR matrix's three arrays.

    A Dask array stays as it is: its chunks are read where they live (``_dask``).
    """
    if is_dask_array(X):
        return X
    if sparse.issparse(X):
        return tuple(read_only(part) for part in (X.data, X.indices, X.indptr))
    return read_only(X)


def row_dot(X, i, weights, k):
    """``sum_j X[i, j] * weights[k, j]`` (compiled; see the overloads)."""
    raise NotImplementedError  # pragma: no cover - only called from compiled code


def row_axpy(X, i, scale, out, k):
    """``out[k, j] += scale * X[i, j]`` for every stored ``j`` (compiled)."""
    raise NotImplementedError  # pragma: no cover


def prefetch_sample(X, i):
    """Start loading row ``i`` ahead of its use (compiled)."""
    raise NotImplementedError  # pragma: no cover


def _is_dense(X):
    return isinstance(X, types.Array)


@overload(row_dot, inline="always")
def _row_dot(X, i, weights, k):
    if _is_dense(X):

        def dense(X, i, weights, k):
            total = 0.0
            for j in range(X.shape[1]):
                total += X[i, j] * weights[k, j]
            return total

        return dense

    def sparse(X, i, weights, k):
        data, indices, indptr = X
        total = 0.0
        for position in range(indptr[i], indptr[i + 1]):
            total += data[position] * weights[k, indices[position]]
        return total

    return sparse


@overload(row_axpy, inline="always")
def _row_axpy(X, i, scale, out, k):
    if _is_dense(X):

        def dense(X, i, scale, out, k):
            for j in range(X.shape[1]):
                out[k, j] += scale * X[i, j]

        return dense

    def sparse(X, i, scale, out, k):
        data, indices, indptr = X
        for position in range(indptr[i], indptr[i + 1]):
            out[k, indices[position]] += scale * data[position]

    return sparse


@overload(prefetch_sample, inline="always")
def _prefetch_sample(X, i):
    if _is_dense(X):

        def dense(X, i):
            prefetch_row(X, i)

        return dense

    def sparse(X, i):
        pass  # rows of different lengths; the hardware prefetcher follows data

    return sparse

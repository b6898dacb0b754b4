"""Row access for the epoch loop, for dense arrays and CSR matrices alike.

The loop receives ``X`` either as a C-contiguous 2-D array or as a CSR matrix's
``(data, indices, indptr)`` tuple; numba compiles one version of the loop for
each, and these overloads are the only code that differs. A sparse row costs
time in its non-zeros only, and ``X`` is never densified.

The coefficient and gradient matrices come whole with the output ``k``: a row
view such as ``theta[k]`` per sample costs reference counting, about a tenth of
a shuffled epoch.
"""

from numba import types
from numba.extending import overload

from ._prefetch import prefetch_row


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

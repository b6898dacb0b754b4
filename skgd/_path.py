"""Step-by-step records (the coefficient path, the steps' losses) in bounded memory.

A record keeps every ``stride``-th step, the stride the smallest power of two
that spaces the optimizer's steps so far (``t_``) over at most
``MAX_RECORDED_STEPS`` intervals: a long fit keeps an evenly spaced record
(every other row is dropped each time the stride doubles) instead of one that
grows without limit (SGD on breast_cancer over 5,000 epochs takes 2.8 million
steps). The stride depends on the step count alone, so the path and the
losses share it even when a warm start switched one of them on later.
"""

import numpy as np

MAX_RECORDED_STEPS = 10_000


def record_stride(n_steps):
    """The smallest power of two ``s`` with ``n_steps / s <= MAX_RECORDED_STEPS``."""
    stride = 1
    while n_steps > stride * MAX_RECORDED_STEPS:
        stride *= 2
    return stride


class StepRecorder:
    """Rows of a record, one per recorded step, appended in amortized O(1) per row.

    Row ``k`` belongs to step ``start + (k + first) * stride``: the path's
    row 0 (``first`` 0) is the model at step ``start``, before any step of the
    record, while the first loss (``first`` 1) is that of the first step.
    The compiled epoch writes all its steps into ``reserve``'s rows;
    ``commit`` keeps those that fall on the stride.

    Parameters
    ----------
    width : int
        Values per row (0 for a record of scalars).
    dtype : dtype
        The rows' dtype.
    start : int
        The step count where the record starts.
    first_row : array or None
        The path's row at ``start``; None for a record that starts with the
        first step (``first`` 1).
    """

    def __init__(self, width, dtype, start, first_row=None):
        self._shape = () if width == 0 else (width,)
        self._buffer = np.empty((16, *self._shape), dtype=dtype)
        self._scratch = self._buffer[:0]
        self.start = start
        self.stride = 1
        self.size = 0
        self._first = 1 if first_row is None else 0
        if first_row is not None:
            self._buffer[0] = np.ravel(first_row)
            self.size = 1

    @classmethod
    def of_path(cls, model, start):
        """The path of the flattened ``model``, from step ``start``."""
        return cls(model.size, model.dtype, start, first_row=model)

    def reserve(self, n_steps):
        """Room for the next ``n_steps`` steps (C-contiguous), kept by ``commit``."""
        if self._scratch.shape[0] < n_steps:
            self._scratch = np.empty((n_steps, *self._shape), dtype=self._buffer.dtype)
        return self._scratch[:n_steps]

    def commit(self, t_before, n_steps):
        """Keep those of the steps ``t_before + 1 ...`` written (``n_steps``) on the stride."""
        stride = record_stride(t_before + n_steps)
        if stride > self.stride:
            kept = self._buffer[: self.size][self._on_stride(self.steps(), stride)]
            self.size = kept.shape[0]
            self._buffer[: self.size] = kept
            self.stride = stride
        steps = t_before + 1 + np.arange(n_steps)
        self._append(self._scratch[:n_steps][self._on_stride(steps, stride)])

    def _on_stride(self, steps, stride):
        return (steps - self.start) % stride == 0

    def _append(self, rows):
        needed = self.size + rows.shape[0]
        if needed > self._buffer.shape[0]:
            grown = np.empty((max(needed, 2 * self._buffer.shape[0]), *self._shape),
                             dtype=self._buffer.dtype)  # fmt: skip
            grown[: self.size] = self._buffer[: self.size]
            self._buffer = grown
        self._buffer[self.size : needed] = rows
        self.size = needed

    def steps(self):
        """The step of each row."""
        return self.start + (np.arange(self.size) + self._first) * self.stride

    def truncate_to(self, t):
        """Forget the rows of steps after ``t`` (an interrupted epoch's)."""
        self.size = max(min(self.size, (t - self.start) // self.stride + 1 - self._first), 0)

    @property
    def rows(self):
        """The recorded rows, (size, width) or (size,): a view, valid until the next ``commit``."""
        return self._buffer[: self.size]

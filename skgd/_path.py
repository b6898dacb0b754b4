"""The coefficient path: one row of parameters per step, recorded in place."""

import numpy as np


class PathRecorder:
    """Rows of flattened parameters, appended step by step in amortized O(1) per row.

    The rows live in one buffer that doubles when full, so that recording over
    many calls (``partial_fit``) costs time linear in the steps, not quadratic.
    The compiled epoch writes its steps straight into ``reserve``'s rows.
    """

    def __init__(self, first_row):
        first_row = np.ravel(first_row)
        self._buffer = np.empty((16, first_row.size), dtype=first_row.dtype)
        self._buffer[0] = first_row
        self.size = 1

    def reserve(self, n_rows):
        """Room for ``n_rows`` more rows (C-contiguous), to be kept with ``commit``."""
        needed = self.size + n_rows
        if needed > self._buffer.shape[0]:
            grown = np.empty((max(needed, 2 * self._buffer.shape[0]), self._buffer.shape[1]),
                             dtype=self._buffer.dtype)  # fmt: skip
            grown[: self.size] = self._buffer[: self.size]
            self._buffer = grown
        return self._buffer[self.size : needed]

    def commit(self, n_rows):
        """Keep the first ``n_rows`` rows written into the last ``reserve``."""
        self.size += n_rows

    def truncate(self, size):
        self.size = size

    @property
    def rows(self):
        """The recorded rows, (size, n_parameters): a view, valid until the next ``reserve``."""
        return self._buffer[: self.size]

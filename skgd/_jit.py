"""numba's ``njit``, with its on-disk cache wherever one can be written.

numba caches compiled loops beside the package (``__pycache__``), else in the
user's cache folder. On a read-only install without a writable home
(containers, read-only root filesystems) it finds neither, and every
``cache=True`` function fails at import ("no locator available"). skgd then
points numba at a folder in the temporary directory, and if none can be
written there either, compiles its loops in memory in each session, saying so
in one warning.
"""

import os
import tempfile
import warnings

import numba
from numba.core.caching import FunctionCache

FALLBACK_FOLDER = "skgd-numba-cache"


def _probe():  # a function of this package, whose cache numba must be able to place
    pass


def _numba_can_cache():
    try:
        FunctionCache(_probe)
    except RuntimeError:  # no locator available
        return False
    return True


def _find_cache():
    """Whether compiled loops can be cached, after falling back on the temporary directory."""
    if _numba_can_cache():
        return True
    try:
        numba.config.CACHE_DIR = os.path.join(tempfile.gettempdir(), FALLBACK_FOLDER)
    except OSError:  # no usable temporary directory either
        pass
    else:
        if _numba_can_cache():
            return True
    warnings.warn(
        "skgd found no writable folder for numba's cache (the package's, the user's cache "
        "folder, or the temporary directory): its loops are compiled anew in each session. "
        "Set NUMBA_CACHE_DIR to a writable folder to keep them.",
        stacklevel=3,
    )
    return False


CACHE = _find_cache()


def njit(*args, **options):
    """``numba.njit``, caching only where a cache can be written (see the module docstring)."""
    if not CACHE:
        options["cache"] = False
    return numba.njit(*args, **options)

"""numba's ``njit``, with its on-disk cache wherever one can be written.

numba caches compiled loops beside the package (``__pycache__``), else in the
user's cache folder. On a read-only install without a writable home
(containers, read-only root filesystems) it finds neither, and every
``cache=True`` function fails at import ("no locator available"). skgd then
points numba at a folder in the temporary directory, and if none can be
written there either, compiles its loops in memory in each session, saying so
in one warning.

numba keys a cached function on its own file only: a loop that inlines a
function of another module (a loss, an update rule) would keep the old code
after that module changed (an upgrade, an edit), and could crash. So every
cached loop of skgd is stamped with the hash of all of skgd's source files
(``SOURCES``): any change to any of them compiles the loops anew.
"""

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

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


def sources_hash(folder):
    """The hash of the ``.py`` files in ``folder``, names and contents."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


SOURCES = sources_hash(Path(__file__).parent)


def _stamped(dispatcher):
    """Invalidate ``dispatcher``'s cache whenever any source file of skgd changes."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is not None and hasattr(cache_file, "_source_stamp"):
        cache_file._source_stamp = (cache_file._source_stamp, SOURCES)
    return dispatcher


def njit(*args, **options):
    """``numba.njit``, caching only where a cache can be written, stamped with ``SOURCES``.

    Used as ``@njit(...)`` or ``njit(...)(function)`` (see the module docstring).
    """
    if not CACHE:
        options["cache"] = False
    if args and callable(args[0]):
        return _stamped(numba.njit(*args, **options))
    decorator = numba.njit(*args, **options)
    return lambda function: _stamped(decorator(function))

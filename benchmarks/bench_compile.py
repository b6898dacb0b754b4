"""Benchmark: what the first fit after installing costs, by kind of input.

skgd's loops are compiled by numba on first use and cached on disk. Each row
of the table runs one small fit in a new Python process twice: first with an
empty numba cache (``NUMBA_CACHE_DIR`` set to a new folder: a fresh install),
then again with the cache that run left (every later process). Each kind
starts from its own empty cache, so a row is what that fit alone compiles; a
session that fits several kinds pays the shared loops once.

The reference row is scikit-learn's ``SGDClassifier`` (compiled ahead of
time) in the same kind of new process: the cost of starting Python and
importing the libraries.

Nothing here asserts anything; it prints a markdown table.

Run from the repository root::

    python benchmarks/bench_compile.py
"""

import os
import subprocess
import sys
import tempfile
import time

SETUP = """
import warnings
import numpy as np
import scipy.sparse as sp
warnings.simplefilter("ignore")
rng = np.random.RandomState(0)
X = rng.normal(size=(300, 5))
y = X @ rng.normal(size=5)
labels = (y > 0).astype(int)
"""

KINDS = {
    "scikit-learn SGDClassifier (no compilation)": (
        "from sklearn.linear_model import SGDClassifier\nSGDClassifier().fit(X, labels)"
    ),
    "dense regression, batch": (
        "from skgd import GDLinearRegressor\nGDLinearRegressor(optimizer='batch').fit(X, y)"
    ),
    "dense classification, adam (default)": (
        "from skgd import GDClassifier\nGDClassifier().fit(X, labels)"
    ),
    "dense float32, adam": (
        "from skgd import GDClassifier\nGDClassifier().fit(X.astype(np.float32), labels)"
    ),
    "CSR, sgd": (
        "from skgd import GDClassifier\nGDClassifier(optimizer='sgd').fit(sp.csr_matrix(X), labels)"
    ),
    "CSR, momentum": (
        "from skgd import GDClassifier\n"
        "GDClassifier(optimizer='momentum').fit(sp.csr_matrix(X), labels)"
    ),
    "dense, 20,000 rows full batch (parallel blocks)": (
        "from skgd import GDLinearRegressor\n"
        "X = rng.normal(size=(20000, 5)); y = X @ rng.normal(size=5)\n"
        "GDLinearRegressor(optimizer='batch').fit(X, y)"
    ),
}


def seconds(code, cache):
    """Wall seconds of a new process that runs ``SETUP`` and ``code`` with ``cache``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", SETUP + code], env=env, check=True)
    return time.perf_counter() - start


def main():
    print("| first fit in a new process | empty cache (s) | cache filled (s) |")
    print("|---|---:|---:|")
    for name, code in KINDS.items():
        with tempfile.TemporaryDirectory() as cache:
            cold = seconds(code, cache)
            warm = seconds(code, cache)
        print(f"| {name} | {cold:.1f} | {warm:.1f} |", flush=True)


if __name__ == "__main__":
    main()

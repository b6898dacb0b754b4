"""Benchmark: skgd on sparse, wide data (text, logs, hashed features), next to scikit-learn.

Everything runs in one process and one run, so every ratio is against
scikit-learn measured on the same machine at the same time. Three tables:

* **Text-like task, default parameters.** A synthetic bag-of-words corpus
  (``text_like``): Zipf-distributed word ids, Poisson document lengths, a few
  class-specific topical words per document, word ids hashed into 2**18
  columns, TF-IDF weighted (about 200 non-zeros per row, 3 classes). It is
  split with ``train_test_split(random_state=0)`` and fitted with default
  parameters by ``SGDClassifier(loss="log_loss")``, ``LogisticRegression``
  (lbfgs, ``max_iter=1000``) and ``GDClassifier`` with each sparse-capable
  optimizer. Columns: fit seconds, ratio to SGDClassifier's seconds, epochs
  (``n_iter_``), test accuracy, accuracy minus SGDClassifier's in points, and
  whether the fit raised a ``ConvergenceWarning``. These are whole default
  fits, stopping rule included, so they answer "what does a user get out of
  the box": a default skgd fit may take tens of seconds or more.
* **Wide CSR, 5 epochs, tol=None.** 20,000 x 100,000 CSR, 100 non-zeros per
  row (distinct random columns, standard normal values), binary labels
  ``X @ w > 0`` for a standard normal ``w``. Seconds of exactly five epochs of
  ``SGDClassifier(loss="log_loss")`` and of each ``GDClassifier`` optimizer.
* **Seconds per epoch over n_features at fixed non-zeros per row.** 20,000
  rows, 50 non-zeros per row, n_features from 1e3 to 1e6, labels as above.
  One epoch's seconds are ``(t(max_iter=3) - t(max_iter=1)) / 2`` with
  ``tol=None``, which cancels a fit's fixed cost (validation, set-up, the
  step-size estimate). ``LogisticRegression`` has no epochs; its row is fit
  seconds / ``n_iter_`` (seconds per lbfgs iteration). The last column,
  largest / smallest, is 1 for a cost that depends on the non-zeros only and
  grows with n_features for a cost proportional to the number of columns.

skgd compiles its epoch loops with numba. Every skgd optimizer gets a warm-up
fit on the first rows of each table's data before anything is timed, so
one-off compilation (or loading numba's on-disk cache) is not in the tables;
in the wide tables every estimator also runs one untimed epoch on all of X.
Times are the best of ``--repeats`` fits (``--text-repeats`` for the long
default fits of the text task) with ``time.perf_counter``; the one- and
three-epoch fits of the last table alternate. ``--optimizers`` restricts the
skgd optimizers in every table.

Most of a full run is the text task's default skgd fits. With ``--quick``
(2000 documents, 5000 rows, n_features up to 1e5) an epoch lasts a few
milliseconds, so the per-epoch differences of the last table are noisy.

Nothing here asserts anything about timings; it only prints markdown tables.

Run from the repository root::

    python benchmarks/bench_sparse.py                  # full size, about 9 minutes on 2 cores
    python benchmarks/bench_sparse.py --quick          # smaller data, about 3 minutes
    python benchmarks/bench_sparse.py --optimizers sgd adam --table text
    python benchmarks/bench_sparse.py --help
"""

import argparse
import os
import platform
import time
import warnings

import numba
import numpy as np
import scipy
import sklearn
from bench_fit import epochs_run, time_call  # run as a script: its folder is on the path
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split

import skgd
from skgd import GDClassifier

OPTIMIZERS = ["sgd", "minibatch", "momentum", "nesterov", "rmsprop", "adam"]
TABLES = ["text", "wide", "features"]
WARMUP_ROWS = 50
WIDE_EPOCHS = 5
FULL = {
    "n_docs": 6000,
    "wide_rows": 20_000,
    "wide_features": 100_000,
    "wide_per_row": 100,
    "scaling_rows": 20_000,
    "scaling_per_row": 50,
    "scaling_features": [1_000, 10_000, 100_000, 1_000_000],
}
QUICK = {
    "n_docs": 2000,
    "wide_rows": 5000,
    "wide_features": 100_000,
    "wide_per_row": 100,
    "scaling_rows": 5000,
    "scaling_per_row": 50,
    "scaling_features": [1_000, 10_000, 100_000],
}


# -- command line ---------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time skgd on sparse, wide data against scikit-learn; print markdown tables.",
    )
    parser.add_argument(
        "--optimizers",
        nargs="+",
        choices=OPTIMIZERS,
        default=list(OPTIMIZERS),
        help="GDClassifier optimizers to run, in every table (default: all six)",
    )
    parser.add_argument(
        "--table",
        nargs="+",
        choices=TABLES + ["all"],
        default=["all"],
        help="which tables to print (default: all)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed fits per cell of the wide tables; best kept"
    )
    parser.add_argument(
        "--text-repeats",
        type=int,
        default=1,
        help="timed fits per row of the text task (default fits, long); best kept",
    )
    parser.add_argument("--n-docs", type=int, default=None, help="documents of the text task")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"smaller data: {QUICK['n_docs']} documents, {QUICK['wide_rows']} rows in the "
            f"wide tables, n_features up to {QUICK['scaling_features'][-1]:.0e}"
        ),
    )
    args = parser.parse_args(argv)
    args.sizes = dict(QUICK if args.quick else FULL)
    if args.n_docs is not None:
        args.sizes["n_docs"] = args.n_docs
    args.tables = TABLES if "all" in args.table else [t for t in TABLES if t in args.table]
    return args


# -- data -----------------------------------------------------------------------


def text_like(
    n_docs=6000,
    n_classes=3,
    n_columns=2**18,
    vocabulary=100_000,
    words_per_doc=300,
    topical=0.03,
    seed=0,
):
    """A bag-of-words classification task: TF-IDF of hashed, Zipf-distributed words.

    Word ids follow a Zipf law (probability proportional to 1 / rank**1.05 over
    ``vocabulary`` words); each document has Poisson(``words_per_doc``) tokens.
    A fraction ``topical`` of the tokens is replaced by the word of the same
    rank under a class-specific random permutation of the vocabulary, so the
    classes differ in their topical words while sharing the frequent ones.
    Word ids are hashed into ``n_columns`` columns by a fixed random map
    (collisions included, as with ``HashingVectorizer``), the counts summed per
    (document, column) and weighted by ``TfidfTransformer``.

    Returns ``X`` (CSR, float64) and ``y`` (integer labels in ``[0, n_classes)``).
    """
    rng = np.random.RandomState(seed)
    ranks = np.arange(1, vocabulary + 1)
    probabilities = 1.0 / ranks**1.05
    cdf = np.cumsum(probabilities / probabilities.sum())
    topics = np.array([rng.permutation(vocabulary) for _ in range(n_classes)])
    y = rng.randint(n_classes, size=n_docs)
    lengths = rng.poisson(words_per_doc, size=n_docs)
    n_tokens = int(lengths.sum())
    words = np.minimum(np.searchsorted(cdf, rng.random_sample(n_tokens)), vocabulary - 1)
    document = np.repeat(np.arange(n_docs), lengths)
    is_topical = rng.random_sample(n_tokens) < topical
    words[is_topical] = topics[y[document[is_topical]], words[is_topical]]
    column_of_word = np.random.RandomState(seed + 1).randint(n_columns, size=vocabulary)
    counts = sparse.csr_matrix(
        (np.ones(n_tokens), (document, column_of_word[words])), shape=(n_docs, n_columns)
    )
    counts.sum_duplicates()
    return TfidfTransformer().fit_transform(counts).tocsr(), y


def distinct_columns(rng, n_rows, n_columns, per_row):
    """``per_row`` distinct random column indices per row, sorted; shape (n_rows, per_row)."""
    columns = rng.randint(n_columns, size=(n_rows, per_row))
    while True:
        columns.sort(axis=1)
        repeated = columns[:, 1:] == columns[:, :-1]
        if not repeated.any():
            return columns
        # draw the repeated entries again, until every row's columns are distinct
        columns[:, 1:][repeated] = rng.randint(n_columns, size=int(repeated.sum()))


def random_sparse_task(n_rows, n_features, per_row, seed=0):
    """CSR with ``per_row`` standard normal values per row, labels ``X @ w > 0``."""
    rng = np.random.RandomState(seed)
    columns = distinct_columns(rng, n_rows, n_features, per_row)
    values = rng.standard_normal(n_rows * per_row)
    indptr = np.arange(0, n_rows * per_row + 1, per_row)
    X = sparse.csr_matrix((values, columns.ravel(), indptr), shape=(n_rows, n_features))
    w = rng.standard_normal(n_features)
    y = (X @ w > 0).astype(np.int64)
    return X, y


# -- timing ---------------------------------------------------------------------


def timed_fit(make_estimator, X, y, repeats, silence_convergence=False):
    """Fit a fresh estimator ``repeats`` times; a row dict (or the error)."""
    try:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            if silence_convergence:
                warnings.simplefilter("ignore", ConvergenceWarning)
            seconds, model = time_call(lambda: make_estimator().fit(X, y), repeats)
    except Exception as error:  # report the failure as a row, keep benchmarking
        return {"seconds": float("nan"), "model": None, "error": f"{type(error).__name__}: {error}"}
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in records)
    others = sorted({w.category.__name__ for w in records} - {"ConvergenceWarning"})
    return {
        "seconds": seconds,
        "model": model,
        "error": None,
        "convergence_warning": not converged,
        "warnings": others,
    }


def warm_up(estimators, X, y, rows=WARMUP_ROWS):
    """One fit of each estimator on the first ``rows`` rows (all if None); total seconds.

    On a few rows it triggers numba compilation; the wide tables also run one
    epoch on all of X, so that the first timed fit does not pay for the first
    touch of the data and of arrays of its size.
    """
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make_estimator in estimators.values():
            make_estimator().fit(X[:rows], y[:rows])
    return time.perf_counter() - start


# -- formatting -----------------------------------------------------------------


def fmt(value, spec=".3f"):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return format(value, spec)


def ratio(numerator, denominator):
    if numerator is None or denominator is None:
        return None
    if not (np.isfinite(numerator) and np.isfinite(denominator)) or denominator <= 0:
        return None
    return numerator / denominator


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def print_notes(results):
    """Rows that failed or raised warnings other than ConvergenceWarning, below a table."""
    notes = []
    for name, row in results.items():
        if row["error"]:
            notes.append(f"- **{name} failed**: {row['error']}")
        elif row.get("warnings"):
            notes.append(f"- {name} emitted: {', '.join(row['warnings'])}")
    if notes:
        print("\n".join(notes) + "\n")


def describe(X):
    return f"{X.shape[0]} x {X.shape[1]} CSR, {X.nnz / X.shape[0]:.1f} non-zeros per row"


def print_header(args):
    print("# skgd on sparse, wide data\n")
    print(
        f"skgd {skgd.__version__}, optimizers: {', '.join(args.optimizers)}; "
        f"repeats={args.repeats} (best of), text-task repeats={args.text_repeats}; "
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, numba {numba.__version__} "
        f"(NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}); cpus={os.cpu_count()}"
        f"{'; --quick' if args.quick else ''}\n"
    )


def features_label(n_features):
    exponent = int(round(np.log10(n_features)))
    return f"1e{exponent}" if 10**exponent == n_features else str(n_features)


# -- text-like task ---------------------------------------------------------------


def text_estimators(optimizers):
    estimators = {
        "SGDClassifier(log_loss)": lambda: SGDClassifier(loss="log_loss", random_state=0),
        "LogisticRegression (lbfgs)": lambda: LogisticRegression(max_iter=1000),
    }
    for o in optimizers:
        estimators[f"GDClassifier {o}"] = lambda o=o: GDClassifier(optimizer=o, random_state=0)
    return estimators


def run_text(args):
    start = time.perf_counter()
    X, y = text_like(n_docs=args.sizes["n_docs"])
    built = time.perf_counter() - start
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    estimators = text_estimators(args.optimizers)
    skgd_only = {k: v for k, v in estimators.items() if k.startswith("GDClassifier")}
    warm = warm_up(skgd_only, X_train, y_train)

    results = {}
    for name, make in estimators.items():
        results[name] = timed_fit(make, X_train, y_train, args.text_repeats)
        row = results[name]
        row["accuracy"] = None if row["model"] is None else row["model"].score(X_test, y_test)

    base = results["SGDClassifier(log_loss)"]
    rows = []
    for name, row in results.items():
        gain = None
        if row["accuracy"] is not None and base["accuracy"] is not None:
            gain = 100.0 * (row["accuracy"] - base["accuracy"])
        warned = None if row["error"] else ("yes" if row["convergence_warning"] else "no")
        rows.append(
            [
                name,
                fmt(row["seconds"], ".2f"),
                fmt(ratio(row["seconds"], base["seconds"]), ".1f"),
                fmt(None if row["model"] is None else epochs_run(row["model"]), "d"),
                fmt(row["accuracy"], ".4f"),
                fmt(gain, "+.2f"),
                warned or "—",
            ]
        )
    print("## Text-like task, default parameters\n")
    print(
        f"{len(np.unique(y))} classes; train {describe(X_train)}, test {X_test.shape[0]} rows "
        f"(data built in {built:.1f} s; skgd warm-up {warm:.1f} s, not timed)\n"
    )
    header = [
        "estimator",
        "fit seconds",
        "/ SGDClassifier",
        "epochs (n_iter_)",
        "test accuracy",
        "accuracy - SGDClassifier's (points)",
        "ConvergenceWarning",
    ]
    print(markdown_table(header, rows))
    print()
    print_notes(results)


# -- wide CSR, fixed epochs --------------------------------------------------------


def fixed_epoch_estimators(optimizers, epochs):
    estimators = {
        "SGDClassifier(log_loss)": lambda: SGDClassifier(
            loss="log_loss", max_iter=epochs, tol=None, random_state=0
        )
    }
    for o in optimizers:
        estimators[f"GDClassifier {o}"] = lambda o=o: GDClassifier(
            optimizer=o, max_iter=epochs, tol=None, random_state=0
        )
    return estimators


def run_wide(args):
    sizes = args.sizes
    X, y = random_sparse_task(sizes["wide_rows"], sizes["wide_features"], sizes["wide_per_row"])
    estimators = fixed_epoch_estimators(args.optimizers, WIDE_EPOCHS)
    warm_up(estimators, X, y)
    warm_up(fixed_epoch_estimators(args.optimizers, 1), X, y, rows=None)
    results = {
        name: timed_fit(make, X, y, args.repeats, silence_convergence=True)
        for name, make in estimators.items()
    }
    base = results["SGDClassifier(log_loss)"]["seconds"]
    rows = [
        [
            name,
            fmt(row["seconds"], ".3f"),
            fmt(ratio(row["seconds"], base), ".2f"),
            fmt(ratio(row["seconds"], WIDE_EPOCHS), ".4f"),
        ]
        for name, row in results.items()
    ]
    print(f"## Wide CSR, {WIDE_EPOCHS} epochs, tol=None\n")
    print(f"{describe(X)}, binary labels X @ w > 0, w standard normal\n")
    header = ["estimator", "seconds", "/ SGDClassifier", "seconds / epoch (incl. fixed cost)"]
    print(markdown_table(header, rows))
    print()
    print_notes(results)


# -- seconds per epoch over n_features ------------------------------------------------


def per_epoch_seconds(estimators_1, estimators_3, X, y, repeats):
    """{name: (t(max_iter=3) - t(max_iter=1)) / 2}, or None; and {name: error}.

    Each t is the best of ``repeats`` fits; the one- and three-epoch fits
    alternate, so a slow stretch of the machine weighs on both alike.
    """
    seconds, errors = {}, {}
    for name in estimators_1:
        best_1 = best_3 = float("inf")
        for _ in range(repeats):
            one = timed_fit(estimators_1[name], X, y, 1, silence_convergence=True)
            three = timed_fit(estimators_3[name], X, y, 1, silence_convergence=True)
            if one["error"] or three["error"]:
                errors[name] = one["error"] or three["error"]
                break
            best_1 = min(best_1, one["seconds"])
            best_3 = min(best_3, three["seconds"])
        seconds[name] = None if name in errors else (best_3 - best_1) / 2.0
    return seconds, errors


def lbfgs_iteration_seconds(X, y, repeats):
    row = timed_fit(lambda: LogisticRegression(max_iter=1000), X, y, repeats)
    if row["error"]:
        return None, row["error"]
    return row["seconds"] / epochs_run(row["model"]), None


def run_features(args):
    sizes = args.sizes
    n_rows, per_row = sizes["scaling_rows"], sizes["scaling_per_row"]
    columns = sizes["scaling_features"]
    estimators_1 = fixed_epoch_estimators(args.optimizers, 1)
    estimators_3 = fixed_epoch_estimators(args.optimizers, 3)
    lbfgs = "LogisticRegression (lbfgs), per iteration"
    # rows: skgd optimizers first, then the scikit-learn anchors
    names = [n for n in estimators_1 if n.startswith("GDClassifier")]
    names += ["SGDClassifier(log_loss)", lbfgs]
    table = {name: {} for name in names}
    errors = {}
    for n_features in columns:
        X, y = random_sparse_task(n_rows, n_features, per_row)
        warm_up(estimators_3, X, y)
        warm_up(estimators_1, X, y, rows=None)
        seconds, failed = per_epoch_seconds(estimators_1, estimators_3, X, y, args.repeats)
        seconds[lbfgs], failed[lbfgs] = lbfgs_iteration_seconds(X, y, args.repeats)
        for name in names:
            table[name][n_features] = seconds[name]
            if failed.get(name):
                errors.setdefault(name, failed[name])
    rows = []
    for name in names:
        values = [table[name][n] for n in columns]
        finite = [v for v in values if v is not None]
        flat = None
        if len(finite) == len(values) and min(finite) > 0:
            flat = max(finite) / min(finite)
        rows.append([name] + [fmt(v, ".5f") for v in values] + [fmt(flat, ".2f")])
    print("## Seconds per epoch over n_features at fixed non-zeros per row\n")
    print(
        f"{n_rows} rows, {per_row} non-zeros per row, binary labels X @ w > 0; "
        "one epoch = (t(max_iter=3) - t(max_iter=1)) / 2 with tol=None; "
        "LogisticRegression: fit seconds / n_iter_\n"
    )
    header = ["estimator"] + [f"n_features={features_label(n)}" for n in columns]
    print(markdown_table(header + ["largest / smallest"], rows))
    print()
    if errors:
        print("\n".join(f"- **{name} failed**: {error}" for name, error in errors.items()))
        print()


# -- main -----------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    print_header(args)
    runners = {"text": run_text, "wide": run_wide, "features": run_features}
    for table in args.tables:
        runners[table](args)
    print(f"Total benchmark wall time: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()

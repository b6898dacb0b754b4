"""Benchmark: how fast skgd fits, next to scikit-learn, and how good the fit is.

What it measures, on one synthetic data set per task (same data for every row):

* Regression (``make_regression(noise=10)``, X standardized): wall-clock ``fit``
  time (best of ``--repeats``) of ``LinearRegression``, ``SGDRegressor``,
  ``MLPRegressor`` without hidden layers (a linear model; solvers "adam" and
  "sgd") and ``GDLinearRegressor`` with each of the six optimizers, every
  iterative model run for exactly ``--epochs`` epochs; "sgd" once more with
  SGDRegressor's kind of schedule (``schedule="invscaling"``); plus
  ``GDLinearRegressor`` "batch" and "sgd" and ``SGDRegressor`` with their
  default stopping rules (run until converged, not for ``--epochs``).
  Quality is the training MSE relative to the closed form,
  ``(MSE(model) - MSE(LinearRegression)) / MSE(LinearRegression)``.
* The cost of one skgd "batch" epoch against one numpy pass
  ``X.T @ (X @ w - y)`` (the full gradient done with BLAS): whole-fit time per
  epoch, and one epoch alone (the median step of the fit's ``time_curve_``).
* Classification (``make_classification``, 3 classes, X standardized):
  ``LogisticRegression`` (the reference log-loss), ``SGDClassifier(log_loss)``,
  ``MLPClassifier`` without hidden layers (adam) and ``GDClassifier`` with
  "adam", "minibatch" and "sgd". Quality is the training log-loss.
* Peak memory: the growth of the peak RSS (``ru_maxrss``) during one
  ``GDLinearRegressor`` (adam) fit, relative to the size of X, in a child
  process that builds its own data. The child is started with multiprocessing's
  "forkserver" method: a process started by exec (``subprocess`` or "spawn")
  inherits its parent's ``ru_maxrss`` on Linux, which would hide the fit.

skgd compiles its epoch loop with numba. Every skgd estimator/optimizer gets
one warm-up fit on 50 rows before it is timed, so one-off compilation (or
loading numba's on-disk cache) is not in the tables. What a fresh install pays
is printed separately as "first call incl. compilation": the first skgd
estimator of each table fitted on 50 rows in a new Python process whose numba
cache is an empty folder (``NUMBA_CACHE_DIR``), so it compiles every loop the
fit needs, whatever the cache of this process already holds.

``MLPRegressor(batch_size=1)`` (the per-sample analogue of skgd's "sgd") is
left out: its Python overhead per step makes one default-size fit take minutes.

Nothing here asserts anything about timings; it only prints markdown tables.

Run from the repository root::

    python benchmarks/bench_fit.py            # 200000 x 100, about 1-2 minutes on 2 cores
    python benchmarks/bench_fit.py --quick    # 20000 x 50, a smoke run
    python benchmarks/bench_fit.py --help
"""

import argparse
import contextlib
import gc
import multiprocessing
import os
import pickle
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numba
import numpy as np
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import skgd as skgd_package
from skgd import GDClassifier, GDLinearRegressor

OPTIMIZERS = ["batch", "sgd", "minibatch", "momentum", "rmsprop", "adam"]
CLASSIFIER_OPTIMIZERS = ["adam", "minibatch", "sgd"]
MLP_BATCH_SIZE = 256
WARMUP_ROWS = 50
NUMPY_PASS_REPEATS = 20
QUICK_SIZE = (20_000, 50)
MB = 1024.0 * 1024.0


# -- command line ---------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time skgd fits against scikit-learn and print markdown tables.",
    )
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=10, help="epochs of every iterative fit")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits per row; best is kept")
    parser.add_argument("--batch-size", type=int, default=256, help="skgd batch_size")
    parser.add_argument("--task", choices=["regression", "classification", "all"], default="all")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_SIZE[0]} x {QUICK_SIZE[1]} (overrides --n-samples/--n-features)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="limit BLAS threads with threadpoolctl (default: leave the BLAS setting alone)",
    )
    parser.add_argument("--skip-memory", action="store_true", help="skip the peak-RSS child runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.n_features = QUICK_SIZE
    return args


# -- data -----------------------------------------------------------------------


def regression_data(n_samples, n_features, dtype):
    X, y = make_regression(n_samples, n_features, noise=10, random_state=0)
    X = StandardScaler().fit_transform(X).astype(dtype, copy=False)
    return X, y


def classification_data(n_samples, n_features, dtype):
    X, y = make_classification(
        n_samples,
        n_features,
        n_informative=min(20, n_features),
        n_classes=3,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X).astype(dtype, copy=False)
    return X, y


# -- timing ---------------------------------------------------------------------


def time_call(function, repeats):
    """Best wall-clock time of ``repeats`` calls, and the last call's result."""
    best = float("inf")
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def timed_fit(make_estimator, X, y, repeats, silence_convergence=False):
    """Fit a fresh estimator ``repeats`` times; return a row dict (or the error).

    Warnings are recorded and listed under the table; the anchors' expected
    ConvergenceWarnings (they run a fixed number of epochs) are dropped.
    """
    try:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            if silence_convergence:
                warnings.simplefilter("ignore", ConvergenceWarning)
            seconds, model = time_call(lambda: make_estimator().fit(X, y), repeats)
        caught = sorted({w.category.__name__ for w in records})
    except Exception as error:  # report the failure as a row, keep benchmarking
        return {"seconds": float("nan"), "model": None, "error": f"{type(error).__name__}: {error}"}
    return {"seconds": seconds, "model": model, "error": None, "warnings": caught}


def warm_up(make_estimator, X, y):
    """One fit on a few rows (triggers numba compilation); returns its seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        make_estimator().fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS])
        return time.perf_counter() - start


# Reads an unfitted estimator and its data from stdin, fits it once, prints the seconds.
FIRST_FIT_CHILD = """
import pickle, sys, time, warnings
estimator, X, y = pickle.loads(sys.stdin.buffer.read())  # imports skgd and numba
warnings.simplefilter("ignore")
start = time.perf_counter()
estimator.fit(X, y)
print(time.perf_counter() - start)
"""


def first_fit_in_fresh_process(make_estimator, X, y):
    """``(fit seconds, process seconds)`` of one fit in a new process with an empty numba cache.

    The process seconds add starting Python and importing skgd, numba and
    scikit-learn.
    """
    payload = pickle.dumps((make_estimator(), X[:WARMUP_ROWS], y[:WARMUP_ROWS]))
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(skgd_package.__file__)))
    with tempfile.TemporaryDirectory(prefix="skgd-bench-numba-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        start = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", FIRST_FIT_CHILD], input=payload,
                               capture_output=True, env=env, check=False)  # fmt: skip
        process_seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise RuntimeError(child.stderr.decode(errors="replace").strip().splitlines()[-1])
    return float(child.stdout.decode().split()[-1]), process_seconds


def epochs_run(model):
    """``n_iter_`` as one integer (LogisticRegression keeps one per class), or None."""
    n_iter = getattr(model, "n_iter_", None)
    if n_iter is None:
        return None
    return int(np.max(n_iter))


# -- formatting -----------------------------------------------------------------


def fmt(value, spec=".3f"):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return format(value, spec)


def ratio(numerator, denominator):
    if denominator is None or not np.isfinite(denominator) or denominator == 0:
        return None
    return numerator / denominator


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def print_notes(results):
    """Rows that failed or raised warnings, below a table."""
    for name, row in results.items():
        if row["error"]:
            print(f"- **{name} failed**: {row['error']}")
        elif row.get("warnings"):
            print(f"- {name} emitted: {', '.join(row['warnings'])}")


def blas_description():
    parts = []
    for pool in threadpool_info():
        version = pool.get("version") or "?"
        parts.append(f"{pool['internal_api']} {version} ({pool['num_threads']} threads)")
    return "; ".join(parts) or "none found"


def print_header(args):
    env = ", ".join(
        f"{name}={os.environ.get(name, '<unset>')}"
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    )
    print("# skgd fit benchmark\n")
    print(
        f"n_samples={args.n_samples}, n_features={args.n_features}, dtype={args.dtype}, "
        f"epochs={args.epochs}, repeats={args.repeats} (best of), "
        f"skgd batch_size={args.batch_size}, MLP batch_size={MLP_BATCH_SIZE}; "
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, numba {numba.__version__} "
        f"(NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}); "
        f"BLAS/OpenMP: {blas_description()}; cpus={os.cpu_count()}; {env}"
    )
    print()


# -- regression -----------------------------------------------------------------


def linear_mlp(MLP, solver, epochs):
    """An MLP without hidden layers (a linear model) run for exactly ``epochs`` epochs."""
    # tol=0 and n_iter_no_change > epochs: no early stop.
    return MLP(
        hidden_layer_sizes=(),
        solver=solver,
        batch_size=MLP_BATCH_SIZE,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )


def regression_anchors(epochs):
    return {
        "LinearRegression": lambda: LinearRegression(),
        "SGDRegressor": lambda: SGDRegressor(max_iter=epochs, tol=None, random_state=0),
        "MLPRegressor adam": lambda: linear_mlp(MLPRegressor, "adam", epochs),
        "MLPRegressor sgd": lambda: linear_mlp(MLPRegressor, "sgd", epochs),
        "SGDRegressor (default stopping)": lambda: SGDRegressor(random_state=0),
    }


def skgd_regressors(epochs, batch_size):
    def fixed_epochs(optimizer):
        return lambda: GDLinearRegressor(
            optimizer=optimizer,
            max_iter=epochs,
            tol=None,
            batch_size=batch_size,
            random_state=0,
        )

    estimators = {f"skgd {o}": fixed_epochs(o) for o in OPTIMIZERS}
    # SGDRegressor decays its step as eta0 / t**0.25 by default; skgd's default
    # waits for plateaus, which a fixed budget of a few epochs never reaches.
    estimators["skgd sgd (schedule='invscaling', as SGDRegressor)"] = lambda: GDLinearRegressor(
        optimizer="sgd", schedule="invscaling", max_iter=epochs, tol=None, random_state=0
    )
    estimators["skgd batch (default stopping)"] = lambda: GDLinearRegressor(
        optimizer="batch", random_state=0
    )
    estimators["skgd sgd (default stopping)"] = lambda: GDLinearRegressor(
        optimizer="sgd", random_state=0
    )
    return estimators


def warm_up_all(estimators, X, y):
    """Warm up each estimator once, after timing the first one's fit with an empty numba cache.

    Returns ``{name: (fit seconds, process seconds)}`` of that fresh first fit.
    """
    name, make = next(iter(estimators.items()))
    first_call = {name: first_fit_in_fresh_process(make, X, y)}
    for make in estimators.values():
        warm_up(make, X, y)
    return first_call


def training_mse(model, X, y):
    return mean_squared_error(y, np.asarray(model.predict(X), dtype=np.float64))


def time_everything(anchors, skgd, X, y, repeats):
    """Best-of-``repeats`` fits of the anchors, then of skgd (whose warnings are kept)."""
    results = {
        name: timed_fit(make, X, y, repeats, silence_convergence=True)
        for name, make in anchors.items()
    }
    for name, make in skgd.items():
        results[name] = timed_fit(make, X, y, repeats)
    return results


def run_regression(args):
    X, y = regression_data(args.n_samples, args.n_features, args.dtype)
    skgd = skgd_regressors(args.epochs, args.batch_size)
    first_calls = warm_up_all(skgd, X, y)
    results = time_everything(regression_anchors(args.epochs), skgd, X, y, args.repeats)

    print_regression_table(results, X, y)
    print_first_calls(first_calls)
    print_numpy_pass(results["skgd batch"], X, y, args.epochs, args.repeats)


def print_regression_table(results, X, y):
    reference_mse = training_mse(results["LinearRegression"]["model"], X, y)
    base = {
        key: results[key]["seconds"]
        for key in ("LinearRegression", "SGDRegressor", "MLPRegressor adam")
    }
    rows = []
    for name, row in results.items():
        seconds = row["seconds"]
        if row["model"] is None:
            quality, epochs = None, None
        else:
            quality = (training_mse(row["model"], X, y) - reference_mse) / reference_mse
            epochs = epochs_run(row["model"])
        rows.append(
            [
                name,
                fmt(seconds),
                fmt(ratio(seconds, base["LinearRegression"]), ".2f"),
                fmt(ratio(seconds, base["SGDRegressor"]), ".2f"),
                fmt(ratio(seconds, base["MLPRegressor adam"]), ".2f"),
                fmt(epochs, "d"),
                fmt(quality, ".2e"),
            ]
        )
    print(f"## Regression (training MSE of LinearRegression: {reference_mse:.6g})\n")
    header = [
        "model",
        "seconds",
        "/ LinearRegression",
        "/ SGDRegressor",
        "/ MLP adam",
        "epochs (n_iter_)",
        "(MSE - MSE_closed) / MSE_closed",
    ]
    print(markdown_table(header, rows))
    print()
    print_notes(results)
    print()


def print_first_calls(first_calls):
    print(
        f"### skgd first call incl. compilation (fit on {WARMUP_ROWS} rows in a new Python "
        "process, empty numba cache: a fresh install)\n"
    )
    rows = [[name, fmt(fit), fmt(process)] for name, (fit, process) in first_calls.items()]
    header = ["estimator", "fit seconds", "process seconds (with Python start and imports)"]
    print(markdown_table(header, rows))
    print()


def numpy_gradient_pass(X, y):
    """Best time of one full-gradient pass ``X.T @ (X @ w - y)`` with BLAS."""
    w = np.zeros(X.shape[1], dtype=X.dtype)
    target = y.astype(X.dtype)
    seconds, _ = time_call(lambda: X.T @ (X @ w - target), NUMPY_PASS_REPEATS)
    return seconds


def batch_epoch_seconds(X, y, epochs, repeats):
    """Best over ``repeats`` fits of the median epoch in ``time_curve_``: no fixed cost."""
    medians = []
    for _ in range(repeats):
        model = GDLinearRegressor(optimizer="batch", max_iter=epochs, tol=None).fit(X, y)
        medians.append(float(np.median(np.diff(model.time_curve_))))
    return min(medians)


def print_numpy_pass(batch_row, X, y, epochs, repeats):
    numpy_seconds = numpy_gradient_pass(X, y)
    per_epoch = batch_row["seconds"] / epochs
    epoch_only = batch_epoch_seconds(X, y, epochs, repeats)
    print("### One full-gradient pass: numpy vs a skgd 'batch' epoch\n")
    rows = [
        [
            f"numpy X.T @ (X @ w - y) (best of {NUMPY_PASS_REPEATS})",
            fmt(numpy_seconds, ".4f"),
            "1.00",
        ],
        [
            f"skgd batch fit / epochs (max_iter={epochs}, tol=None)",
            fmt(per_epoch, ".4f"),
            fmt(ratio(per_epoch, numpy_seconds), ".2f"),
        ],
        [
            "skgd batch epoch alone (median of time_curve_ steps, best of "
            f"{repeats} fits)",
            fmt(epoch_only, ".4f"),
            fmt(ratio(epoch_only, numpy_seconds), ".2f"),
        ],
    ]
    print(markdown_table(["pass", "seconds", "/ numpy pass"], rows))
    print(
        "\nThe first skgd figure is whole-fit time / epochs, so it also carries the fit's "
        "fixed cost (input validation, the gradient at zero and the power iterations of "
        "learning_rate='auto'); the second is one epoch alone, from the fit's own "
        "time_curve_.\n"
    )


# -- classification -------------------------------------------------------------


def classification_anchors(epochs):
    return {
        "LogisticRegression": lambda: LogisticRegression(),
        "SGDClassifier log_loss": lambda: SGDClassifier(
            loss="log_loss", max_iter=epochs, tol=None, random_state=0
        ),
        "MLPClassifier adam": lambda: linear_mlp(MLPClassifier, "adam", epochs),
    }


def skgd_classifiers(epochs):
    return {
        f"skgd {o}": (
            lambda o=o: GDClassifier(
                optimizer=o, batch_size=MLP_BATCH_SIZE, max_iter=epochs, tol=None, random_state=0
            )
        )
        for o in CLASSIFIER_OPTIMIZERS
    }


def run_classification(args):
    X, y = classification_data(args.n_samples, args.n_features, args.dtype)
    skgd = skgd_classifiers(args.epochs)
    first_calls = warm_up_all({f"GDClassifier {k}": v for k, v in skgd.items()}, X, y)
    results = time_everything(classification_anchors(args.epochs), skgd, X, y, args.repeats)

    print_classification_table(results, X, y)
    print_first_calls(first_calls)


def training_log_loss(model, X, y):
    return log_loss(y, np.asarray(model.predict_proba(X), dtype=np.float64), labels=model.classes_)


def print_classification_table(results, X, y):
    reference = training_log_loss(results["LogisticRegression"]["model"], X, y)
    base_sgd = results["SGDClassifier log_loss"]["seconds"]
    base_mlp = results["MLPClassifier adam"]["seconds"]
    rows = []
    for name, row in results.items():
        seconds = row["seconds"]
        loss = None if row["model"] is None else training_log_loss(row["model"], X, y)
        rows.append(
            [
                name,
                fmt(seconds),
                fmt(ratio(seconds, base_sgd), ".2f"),
                fmt(ratio(seconds, base_mlp), ".2f"),
                fmt(None if row["model"] is None else epochs_run(row["model"]), "d"),
                fmt(loss, ".5f"),
                fmt(None if loss is None else (loss - reference) / reference, ".2e"),
            ]
        )
    print(
        f"## Classification, 3 classes (training log-loss of LogisticRegression: {reference:.6g})\n"
    )
    header = [
        "model",
        "seconds",
        "/ SGDClassifier",
        "/ MLP adam",
        "epochs (n_iter_)",
        "log-loss",
        "(loss - loss_LogReg) / loss_LogReg",
    ]
    print(markdown_table(header, rows))
    print()
    print_notes(results)
    print()


# -- peak memory (child process) -------------------------------------------------


def current_rss_kb():
    """VmRSS of this process in kB (Linux), or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss():
    """Reset the kernel's RSS high-water mark to the current RSS (Linux >= 4.0).

    Without it, the temporaries of data generation would already have pushed
    ``ru_maxrss`` above anything the fit allocates. Returns whether it worked.
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def memory_child(args, dtype, queue):
    """Build the data, warm up, then record ru_maxrss around one adam fit."""
    X, y = regression_data(args.n_samples, args.n_features, dtype)

    def make():
        return GDLinearRegressor(
            optimizer="adam",
            max_iter=args.epochs,
            tol=None,
            batch_size=args.batch_size,
            random_state=0,
        )

    warm_up(make, X, y)
    gc.collect()
    was_reset = reset_peak_rss()
    rss_before = current_rss_kb()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    make().fit(X, y)
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put(
        {
            "x_bytes": X.nbytes,
            "peak_before_kb": peak_before,
            "peak_after_kb": peak_after,
            "rss_before_kb": rss_before,
            "peak_reset": was_reset,
        }
    )


def measure_peak_memory(args, dtype):
    """Run ``memory_child`` in a fresh forkserver child; its result dict or an error."""
    context = multiprocessing.get_context("forkserver")
    queue = context.Queue()
    child = context.Process(target=memory_child, args=(args, dtype, queue))
    child.start()
    try:
        result = queue.get(timeout=600)
    except Exception as error:  # the child died or hung
        result = {"error": f"no result ({type(error).__name__}), exit code {child.exitcode}"}
    child.join()
    return result


def print_peak_memory(args):
    print(
        "## Peak memory of one skgd fit "
        "(GDLinearRegressor adam, regression data, forkserver child process)\n"
    )
    dtypes = [args.dtype] + [d for d in ("float64", "float32") if d != args.dtype]
    for dtype in dtypes:
        result = measure_peak_memory(args, dtype)
        if "error" in result:
            print(f"- {dtype}: child failed: {result['error']}")
            continue
        before_mb = result["peak_before_kb"] / 1024.0
        after_mb = result["peak_after_kb"] / 1024.0
        growth_mb = after_mb - before_mb
        x_mb = result["x_bytes"] / MB
        rss_mb = None if result["rss_before_kb"] is None else result["rss_before_kb"] / 1024.0
        reset = "yes" if result["peak_reset"] else "no (growth may be under-reported)"
        print(
            f"- {dtype}: peak RSS growth during fit: {growth_mb:.1f} MB "
            f"(= {growth_mb / x_mb:.3f} × size of X, X = {x_mb:.1f} MB); "
            f"ru_maxrss {before_mb:.1f} -> {after_mb:.1f} MB, "
            f"RSS just before fit {fmt(rss_mb, '.1f')} MB, "
            f"high-water mark reset before fit: {reset}"
        )
    print()


# -- main -----------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    limit = (
        threadpool_limits(limits=args.blas_threads, user_api="blas")
        if args.blas_threads
        else contextlib.nullcontext()
    )
    with limit:
        print_header(args)
        if args.task in ("regression", "all"):
            run_regression(args)
        if args.task in ("classification", "all"):
            run_classification(args)
    if not args.skip_memory:
        print_peak_memory(args)
    print(f"Total benchmark wall time: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()

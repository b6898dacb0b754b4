"""Seconds to reach the optimum within 1e-4 (relative) on a Dask array, against dask-ml.

On a ``distributed.LocalCluster`` of two workers, a persisted Dask array of
``n_samples x n_features`` standard normal features (2,000,000 x 100 by
default) with a linear target (regression) or labels drawn from a logistic
model (classification). Every model is scored by skgd's objective (mean loss,
``alpha=0``: dask-ml's ``gradient_descent`` has no penalty), against its
minimum ``J*`` (the least-squares solution, or scikit-learn's
``newton-cholesky`` to a tight tolerance, on the in-memory copy).

* skgd's full-batch presets (``batch``, and ``momentum`` / ``nesterov`` with
  ``batch_size >= n_samples``) fit the Dask array (each epoch's gradient summed
  where the chunks live) and the in-memory NumPy array. The time to reach
  ``J <= (1 + 1e-4) J*`` is the fit's wall time less the epochs after the first
  whose objective is within it (``loss_curve_``, ``time_curve_``): set-up,
  certificate checks and one extra epoch included.
* ``dask_ml.linear_model.LinearRegression`` / ``LogisticRegression`` with
  ``solver="lbfgs"`` and ``"gradient_descent"`` are fitted with ``max_iter`` 1,
  2, 4, ... until the fitted model is within 1e-4; the wall time of that fit is
  reported (">" the last time, when the budget ran out first).

Run: ``python benchmarks/bench_dask.py`` (several minutes), ``--quick`` for
200,000 rows.
"""

import argparse
import time
import warnings

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skgd import GDClassifier, GDLinearRegressor

TARGET = 1e-4
PRESETS = ("batch", "momentum", "nesterov")


def make_data(task, n_samples, n_features, chunk_rows):
    """A persisted Dask ``(X, y)`` and its in-memory copy."""
    state = da.random.RandomState(0)
    X = state.normal(size=(n_samples, n_features), chunks=(chunk_rows, n_features))
    coef = np.random.RandomState(1).normal(size=n_features) * 2.0 / np.sqrt(n_features)
    raw = X @ coef
    if task == "regression":
        y = raw + state.normal(size=n_samples, chunks=chunk_rows)
    else:
        y = (state.uniform(size=n_samples, chunks=chunk_rows) < 1.0 / (1.0 + da.exp(-raw)))
        y = y.astype(np.int64)
    X, y = X.persist(), y.persist()
    # Arrays gathered from a cluster may come unaligned, which sends numpy (and the
    # in-memory fit) down its slow copying paths: align the in-memory copy.
    aligned = lambda array: np.require(array.compute(), requirements="CA")  # noqa: E731
    return X, y, aligned(X), aligned(y)


def objective(task, X, y, coef, intercept):
    """skgd's objective with ``alpha=0``: the mean squared error or log-loss."""
    raw = X @ np.ravel(coef) + float(np.ravel(intercept)[0])
    if task == "regression":
        return float(np.mean((raw - y) ** 2))
    return float(np.mean(np.logaddexp(0.0, raw) - y * raw))


def optimum(task, X, y):
    if task == "regression":
        design = np.column_stack([X, np.ones(X.shape[0])])
        solution = np.linalg.lstsq(design, y, rcond=None)[0]
        return objective(task, X, y, solution[:-1], solution[-1:])
    reference = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=100)
    reference.fit(X, y)
    return objective(task, X, y, reference.coef_, reference.intercept_)


def skgd_time(task, optimizer, X, y, best):
    """Seconds of a fit to its first epoch within TARGET of ``best``, and its final gap."""
    Estimator = GDLinearRegressor if task == "regression" else GDClassifier
    model = Estimator(optimizer=optimizer, alpha=0.0, tol=1e-6, max_iter=2_000,
                      batch_size=X.shape[0])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        wall = time.perf_counter() - start
    curve = (np.asarray(model.loss_curve_) - best) / best
    reached = np.flatnonzero(curve <= TARGET)
    gap = curve[-1]
    if reached.size == 0:
        return None, wall, gap, model.n_iter_
    after = model.time_curve_[-1] - model.time_curve_[reached[0]]
    return wall - after, wall, gap, int(reached[0]) + 1


def dask_ml_time(task, solver, X, y, X_memory, y_memory, best, budget):
    """Seconds of the first dask-ml fit (max_iter 1, 2, 4, ...) within TARGET, or None."""
    from dask_ml.linear_model import LinearRegression, LogisticRegression

    Estimator = LinearRegression if task == "regression" else LogisticRegression
    spent, max_iter, last = 0.0, 1, None
    while spent < budget:
        model = Estimator(solver=solver, C=1e12, max_iter=max_iter, tol=1e-14)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        spent += seconds
        gap = (objective(task, X_memory, y_memory, model.coef_, model.intercept_) - best) / best
        last = seconds, gap, max_iter
        if gap <= TARGET:
            return seconds, gap, max_iter
        max_iter *= 2
    return None, last[1], last[2], last[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2_000_000)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="200,000 rows")
    parser.add_argument("--task", choices=["regression", "classification", "all"], default="all")
    parser.add_argument("--budget", type=float, default=300.0,
                        help="seconds of dask-ml fits per solver before giving up")  # fmt: skip
    parser.add_argument("--threads", action="store_true",
                        help="workers as threads of this process (default: processes)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.chunk_rows = 200_000, 25_000
    tasks = ["regression", "classification"] if args.task == "all" else [args.task]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=not args.threads,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        # compile the loops in the workers (and here) before timing anything
        small_X, small_y = da.ones((100, 3), chunks=(50, 3)), da.arange(100) % 2
        GDClassifier(optimizer="batch", max_iter=2).fit(small_X, small_y)
        GDLinearRegressor(optimizer="momentum", batch_size=100, max_iter=2).fit(small_X, small_y)
        print(f"{client}; {args.n_samples:,} x {args.n_features} float64 in chunks of "
              f"{args.chunk_rows:,} rows; seconds to J <= (1 + {TARGET:g}) J*")  # fmt: skip
        for task in tasks:
            X, y, X_memory, y_memory = make_data(task, args.n_samples, args.n_features,
                                                 args.chunk_rows)  # fmt: skip
            best = optimum(task, X_memory, y_memory)
            print(f"\n{task}: J* = {best:.6g}")
            print(f"{'method':<40} {'seconds':>9} {'epochs/iters':>12} {'final gap':>10}")
            rows = {}
            # compile the in-memory loops of large full batches first
            GDLinearRegressor(optimizer="batch", max_iter=2).fit(X_memory[:10_000],
                                                                 y_memory[:10_000])  # fmt: skip
            for optimizer in PRESETS:
                for where, data in (("Dask", (X, y)), ("in memory", (X_memory, y_memory))):
                    seconds, wall, gap, epochs = skgd_time(task, optimizer, *data, best)
                    name = f"skgd {optimizer} ({where})"
                    rows[name] = seconds
                    shown = f"{seconds:9.2f}" if seconds is not None else f">{wall:8.2f}"
                    print(f"{name:<40} {shown} {epochs:>12} {gap:>10.2e}", flush=True)
            for solver in ("lbfgs", "gradient_descent"):
                result = dask_ml_time(task, solver, X, y, X_memory, y_memory, best, args.budget)
                name = f"dask-ml {solver}"
                if result[0] is None:
                    _, gap, max_iter, seconds = result
                    rows[name] = None
                    print(f"{name:<40} >{seconds:8.2f} {max_iter:>12} {gap:>10.2e}", flush=True)
                else:
                    seconds, gap, max_iter = result
                    rows[name] = seconds
                    print(f"{name:<40} {seconds:9.2f} {max_iter:>12} {gap:>10.2e}", flush=True)
            dask_ml_best = min((s for n, s in rows.items() if n.startswith("dask-ml") and s),
                               default=None)  # fmt: skip
            for optimizer in PRESETS:
                on_dask = rows[f"skgd {optimizer} (Dask)"]
                in_memory = rows[f"skgd {optimizer} (in memory)"]
                if on_dask is None:
                    continue
                ratios = [f"{on_dask / in_memory:.2f}x its in-memory fit" if in_memory else ""]
                if dask_ml_best:
                    ratios.append(f"{on_dask / dask_ml_best:.2f}x dask-ml's best")
                print(f"  skgd {optimizer} on Dask: " + ", ".join(r for r in ratios if r))


if __name__ == "__main__":
    main()

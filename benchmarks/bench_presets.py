"""Every optimizer preset on one large problem: epochs and seconds to reach the optimum.

On ``make_classification`` (200,000 x 100, three classes; ``--quick``: 20,000
x 50), raw and standardized, each preset of ``skgd`` is fitted with its
default parameters (``tol=1e-4``, ``learning_rate="auto"``, ``random_state``
fixed), and the presets of ``--grid`` (Adam by default, the reference for rules
that pick their own step) once more with the best ``learning_rate`` of a small
grid (the fit whose objective ends lowest; a diverged fit counts as infinitely
far). Each row gives the relative gap
``(J(fit) - J*) / J*`` to the exact optimum ``J*`` (scikit-learn's
``LogisticRegression`` at ``tol=1e-10``, in standardized coordinates, its
objective evaluated by skgd's public ``objective``), whether the fit warned,
its epochs and its seconds. ``--optimizers`` picks a subset.

Nothing here asserts a timing; it prints markdown tables.

Run from the repository root::

    python benchmarks/bench_presets.py            # several minutes on 2 cores
    python benchmarks/bench_presets.py --quick    # under a minute
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, objective, optimal_objective
from skgd._optimizers import PRESETS

GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 x 50 instead")
    parser.add_argument("--optimizers", nargs="+", default=list(PRESETS))
    parser.add_argument("--max-iter", type=int, default=500)
    parser.add_argument(
        "--grid",
        nargs="*",
        default=["adam"],
        help="presets also fitted with a grid-searched learning_rate",
    )
    return parser.parse_args(argv)


def data(quick):
    n_samples, n_features = (20_000, 50) if quick else (200_000, 100)
    X, y = make_classification(n_samples, n_features, n_informative=n_features // 2,
                               n_classes=3, random_state=0)  # fmt: skip
    # raw: features in different units and away from zero, as real columns are
    scales = np.logspace(-2, 2, n_features)
    return {"raw": X * scales + 10.0, "std": StandardScaler().fit_transform(X)}, y


def fit(X, y, optimum, max_iter, **params):
    model = GDClassifier(random_state=0, max_iter=max_iter, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        try:
            model.fit(X, y)
        except ValueError:  # diverged: the fit says so and names learning_rate
            return np.inf, True, model.n_iter_, time.perf_counter() - start
        seconds = time.perf_counter() - start
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    gap = (objective(model, X, y) - optimum) / optimum
    return gap, warned, model.n_iter_, seconds


def row(cells):
    return "| " + " | ".join(cells) + " |"


def main(argv=None):
    args = parse_args(argv)
    datasets, y = data(args.quick)
    for name in args.optimizers:  # compile outside the timings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            GDClassifier(optimizer=name, max_iter=2).fit(datasets["std"][:200], y[:200])
    print(f"make_classification {datasets['std'].shape[0]} x {datasets['std'].shape[1]}, "
          f"3 classes; max_iter={args.max_iter}\n")  # fmt: skip
    print(row(["data", "optimizer", "learning_rate", "rel. gap", "warned", "epochs", "s"]))
    print(row(["---"] * 7))
    for data_name, X in datasets.items():
        # the objective is defined by alpha and the classes, not by the coefficients
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            defining = GDClassifier(max_iter=1).fit(X[:500], y[:500])
        optimum = optimal_objective(defining, X, y)
        for name in args.optimizers:
            runs = [("auto", fit(X, y, optimum, args.max_iter, optimizer=name))]
            if name in args.grid:
                tuned = [(rate, fit(X, y, optimum, args.max_iter, optimizer=name,
                                    learning_rate=rate)) for rate in GRID]  # fmt: skip
                finite = [run for run in tuned if np.isfinite(run[1][0])]
                if finite:
                    runs.append(min(finite, key=lambda run: run[1][0]))
            for rate, (gap, warned, epochs, seconds) in runs:
                print(row([data_name, name, str(rate), f"{gap:.2e}", "yes" if warned else "no",
                           str(epochs), f"{seconds:.2f}"]))  # fmt: skip


if __name__ == "__main__":
    main()

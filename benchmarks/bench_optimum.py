"""How close default fits end to the exact optimum of their own objective.

For five bundled datasets, raw and standardized, and every optimizer at its
default parameters (``random_state`` fixed), prints the relative gap
``(J(fit) - J*) / J*`` to the exact minimum ``J*`` of the estimator's documented
objective, the fit's own estimate of it (``optimality_gap_ / J*``), whether the
fit raised a ``ConvergenceWarning``, its epochs and its time. ``J*`` comes
from scipy's L-BFGS-B run to a tight gradient tolerance on the same objective
written out here, independently of skgd. Then the
structured cases that used to defeat the default step: an uncentred feature, a
three-level feature with three classes, a 3^4 factorial design.

Run: ``python benchmarks/bench_optimum.py`` (about a minute and a half).
"""

import argparse
import time
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, logsumexp
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor

OPTIMIZERS = ("batch", "sgd", "minibatch", "momentum", "rmsprop", "adam")
DATASETS = {
    "diabetes": (load_diabetes, GDLinearRegressor),
    "breast_cancer": (load_breast_cancer, GDClassifier),
    "iris": (load_iris, GDClassifier),
    "wine": (load_wine, GDClassifier),
    "digits": (load_digits, GDClassifier),
}


def objective_and_gradient(params, X, targets, alpha, kind):
    """J = mean loss + alpha ||W||^2 and its gradient, with params = [W (K x p), b (K)]."""
    n, p = X.shape
    K = targets.shape[1]
    W = params[: K * p].reshape(K, p)
    b = params[K * p :]
    raw = X @ W.T + b
    if kind == "squared":
        residual = raw - targets
        value = np.mean(residual**2)  # mean over rows and targets
        draw = 2.0 * residual / (n * K)
    elif kind == "logistic":
        z = raw[:, 0]
        value = np.mean(np.logaddexp(0.0, z) - targets[:, 0] * z)
        draw = ((1.0 / (1.0 + np.exp(-z))) - targets[:, 0])[:, None] / n
    else:
        value = np.mean(logsumexp(raw, axis=1) - np.sum(targets * raw, axis=1))
        draw = (np.exp(log_softmax(raw, axis=1)) - targets) / n
    value += alpha * np.sum(W**2)
    grad_W = draw.T @ X + 2.0 * alpha * W
    return value, np.concatenate([grad_W.ravel(), draw.sum(axis=0)])


def exact_optimum(X, y, estimator):
    """Minimum of ``estimator``'s objective, by L-BFGS-B in standardized coordinates."""
    if isinstance(estimator, GDClassifier):
        classes = np.unique(y)
        if len(classes) == 2:
            targets, kind = (y == classes[1]).astype(float)[:, None], "logistic"
        else:
            targets, kind = (y[:, None] == classes).astype(float), "softmax"
    else:
        targets, kind = y.reshape(len(y), -1).astype(float), "squared"
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    K, p = targets.shape[1], X.shape[1]

    def to_user(params):  # standardized coordinates -> the user's coefficients
        W = params[: K * p].reshape(K, p) / scale
        return np.concatenate([W.ravel(), params[K * p :] - W @ mean])

    def fun(params):
        value, grad = objective_and_gradient(to_user(params), X, targets, estimator.alpha, kind)
        grad_W = grad[: K * p].reshape(K, p)
        grad_b = grad[K * p :]
        # chain rule through to_user
        grad_std = (grad_W - np.outer(grad_b, mean)) / scale
        return value, np.concatenate([grad_std.ravel(), grad_b])

    options = {"gtol": 1e-13, "ftol": 1e-16, "maxiter": 100_000, "maxcor": 30}
    result = minimize(fun, np.zeros(K * (p + 1)), jac=True, method="L-BFGS-B", options=options)
    return result.fun, objective_and_gradient, targets, kind


def fit_objective(estimator, X, targets, kind):
    coef = np.reshape(estimator.coef_, (targets.shape[1], X.shape[1]))
    params = np.concatenate([coef.ravel(), np.reshape(estimator.intercept_, -1)])
    return objective_and_gradient(params, X, targets, estimator.alpha, kind)[0]


def timed_fit(estimator, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        elapsed = time.perf_counter() - start
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    return elapsed, messages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS))
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--verbose", action="store_true", help="print each warning")
    args = parser.parse_args(argv)

    # Compile once, outside the timings.
    GDClassifier(max_iter=2).fit(np.eye(3), [0, 1, 1])
    for optimizer in args.optimizers:
        GDLinearRegressor(optimizer=optimizer, max_iter=2, tol=None).fit(np.eye(3), [0, 1, 1])
        GDClassifier(optimizer=optimizer, max_iter=2, tol=None).fit(np.eye(4), [0, 1, 2, 2])

    width = max(10, *map(len, args.optimizers))
    print(f"{'dataset':<14} {'data':<5} {'optimizer':<{width}} {'rel. gap':>10} {'estimate':>9} "
          f"{'warned':>6} {'epochs':>6} {'ms':>8}")  # fmt: skip
    total_time = 0.0
    gaps = {}
    estimates = {}
    warned = {}
    for name in args.datasets:
        loader, Estimator = DATASETS[name]
        X_raw, y = loader(return_X_y=True)
        for data, X in (("raw", X_raw), ("std", StandardScaler().fit_transform(X_raw))):
            optimum, _, targets, kind = exact_optimum(X, y, Estimator())
            for optimizer in args.optimizers:
                estimator = Estimator(optimizer=optimizer, random_state=0)
                elapsed, messages = timed_fit(estimator, X, y)
                total_time += elapsed
                gap = (fit_objective(estimator, X, targets, kind) - optimum) / optimum
                gaps[name, data, optimizer] = gap
                warned[name, data, optimizer] = bool(messages)
                # the fit's own estimate of its gap, relative, as the gap
                estimate = (estimator.optimality_gap_ or np.nan) / optimum
                estimates[name, data, optimizer] = estimate
                print(f"{name:<14} {data:<5} {optimizer:<{width}} {gap:>10.2e} {estimate:>9.2e} "
                      f"{'yes' if messages else 'no':>6} {estimator.n_iter_:>6} "
                      f"{1000 * elapsed:>8.1f}")  # fmt: skip
                if args.verbose:
                    for message in messages:
                        print("    ", message)
    print(f"\ntotal fit time: {total_time:.2f} s for {len(gaps)} fits")
    silent_far = [key for key, gap in gaps.items() if gap > 1e-3 and not warned[key]]
    print(f"fits more than 1e-3 above the optimum without a warning: {len(silent_far)}", silent_far)
    within = [key for key, gap in gaps.items() if gap <= 1e-4]
    print(f"fits within 1e-4 of the optimum: {len(within)} of {len(gaps)}")
    under = [key for key, gap in gaps.items() if not estimates[key] >= gap]
    print(f"fits whose estimate is below the true gap: {len(under)} {under}")
    ratios = [
        gaps[name, "raw", opt] / max(gaps[name, "std", opt], 1e-12)
        for name, _, opt in gaps
        if (name, "raw", opt) in gaps and (name, "std", opt) in gaps
    ]
    print(f"largest raw / standardized gap ratio: {max(ratios):.3g}")
    structured_cases()


def structured_cases():
    """Data that used to defeat the automatic step: R^2 or accuracy of every optimizer."""
    rng = np.random.RandomState(0)
    year = rng.uniform(1990, 2020, size=300)[:, None]
    year_y = 3.0 * (year[:, 0] - 2005) + rng.normal(size=300)
    levels = np.repeat([10.0, 20.0, 30.0], 50)[:, None]
    levels = StandardScaler().fit_transform(levels)
    level_classes = np.repeat([0, 1, 2], 50)
    grid = np.array(np.meshgrid(*[[-1.0, 0.0, 1.0]] * 4)).reshape(4, -1).T
    cases = [
        ("uncentred year, R^2", GDLinearRegressor, year, year_y),
        ("3 levels, 3 classes, accuracy", GDClassifier, levels, level_classes),
        ("3^4 factorial, y = 2 x0, R^2", GDLinearRegressor, grid, 2.0 * grid[:, 0]),
    ]
    print(f"\n{'structured case':<32}" + "".join(f"{opt:>10}" for opt in OPTIMIZERS))
    for label, Estimator, X, y in cases:
        scores = []
        for optimizer in OPTIMIZERS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                scores.append(Estimator(optimizer=optimizer, random_state=0).fit(X, y).score(X, y))
        print(f"{label:<32}" + "".join(f"{score:>10.4f}" for score in scores))


if __name__ == "__main__":
    main()

"""Every optimizer and the closed form on one dataset: the comparison behind ``python -m skgd``."""

import array
import csv
import time
import warnings

import numpy as np
from scipy import sparse
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array

from ._classifier import GDClassifier
from ._optimizers import PRESETS
from ._reference import (
    OPTIMUM_GTOL,
    reference_solution,
    scikit_learn_solver,
    training_data,
    training_objective,
)
from ._regressor import GDLinearRegressor

MAX_INTEGER_CLASSES = 20

#: bundled scikit-learn datasets the comparison can load by name
BUNDLED_DATASETS = {
    "diabetes": datasets.load_diabetes,
    "breast_cancer": datasets.load_breast_cancer,
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "digits": datasets.load_digits,
}


def load_dataset(name, target=None):
    """``(X, y)`` of a bundled dataset's name, or of a CSV file's path and ``target`` column.

    A CSV file needs a header row; every column but ``target`` must be numeric.
    """
    if name in BUNDLED_DATASETS:
        return BUNDLED_DATASETS[name](return_X_y=True)
    if not str(name).lower().endswith(".csv"):
        known = ", ".join(BUNDLED_DATASETS)
        raise ValueError(f"unknown dataset {name!r}: use one of {known}, or a .csv file")
    if target is None:
        raise ValueError(f"{name}: a CSV dataset needs --target COLUMN")
    X, y = _read_csv(name, target)
    y = np.array(y)
    for dtype in (int, float):
        try:
            return X, y.astype(dtype)
        except ValueError:
            pass
    return X, y  # string labels


def _read_csv(name, target):
    """``(X, labels)`` of a CSV file with a header row, read row by row.

    The numbers go straight into an array of doubles as each row is read, so the
    memory is that of the data (8 bytes a value and the target's text), not of
    the file's text split into a string per field.
    """
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark
        with open(name, newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file, strict=True)  # an unterminated quote is an error
            rows = (row for row in reader if any(field.strip() for field in row))
            header = [field.strip() for field in next(rows, [])]
            column = _target_column(name, header, target)
            values, labels = array.array("d"), []
            for number, row in enumerate(rows, start=1):
                if len(row) != len(header):
                    fields = f"{len(row)} fields where the header has {len(header)}"
                    raise ValueError(f"{name}: data row {number} has {fields}")
                labels.append(row[column])
                try:
                    values.extend(float(field) for i, field in enumerate(row) if i != column)
                except ValueError as error:
                    raise ValueError(
                        f"{name}: every column but the target must be numeric ({error})"
                    ) from None
    except csv.Error as error:
        raise ValueError(f"{name}: not a readable CSV file ({error})") from None
    except UnicodeDecodeError:
        byte, offset, line = _first_non_utf8(name)
        raise ValueError(
            f"{name}: not UTF-8 text (byte {byte:#04x} at byte offset {offset}, line {line}); "
            "save it as UTF-8, for example as Excel's 'CSV UTF-8'"
        ) from None
    if len(labels) < 2:
        raise ValueError(f"{name}: expected a header row and at least two data rows")
    X = np.frombuffer(values, dtype=np.float64).reshape(len(labels), len(header) - 1)
    return X, labels


def _first_non_utf8(name):
    """``(byte, offset, line)`` of a file's first byte that is not UTF-8.

    The decoder's own error gives an offset within the block it was reading.
    """
    with open(name, "rb") as file:
        data = file.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return data[error.start], error.start, data.count(b"\n", 0, error.start) + 1
    return 0, 0, 0  # unreachable: the file was read as UTF-8 with an error


def _target_column(name, header, target):
    """The index of ``target`` in a CSV file's ``header``, which must name each column once."""
    if not header:
        raise ValueError(f"{name}: expected a header row and at least two data rows")
    duplicated = sorted({field for field in header if header.count(field) > 1})
    if duplicated:
        raise ValueError(f"{name}: duplicated column names: {', '.join(duplicated)}")
    if target not in header:
        raise ValueError(f"{name}: no column {target!r}; columns are {', '.join(header)}")
    return header.index(target)


def compare_optimizers(X, y, *, task="auto", optimizers=tuple(PRESETS), scale=True,
                       random_state=0, progress=None, **params):  # fmt: skip
    """Fit each optimizer with default settings and the closed form; return the table as data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Targets: continuous for regression, labels for classification.
    task : {"auto", "regression", "classification"}, default="auto"
        "auto" reads it off ``y``: floats, and integers with more than 20
        distinct values, mean regression; strings, booleans and other integers
        are class labels.
    optimizers : sequence of str, default=all presets
        Optimizers to fit.
    scale : bool, default=True
        Standardize the features first (every model sees the same data).
    random_state : int, default=0
        Seed of the skgd fits.
    progress : callable, default=None
        Called with a one-line message before and after each fit.
    **params
        Further parameters of every skgd estimator (``max_iter=50``, ...).

    Returns
    -------
    rows : list of dict
        One row per model, scikit-learn's (``"closed form"``: ``LinearRegression``
        or ``Ridge``; ``"LogisticRegression"``) first, with keys ``"model"``,
        ``"objective"`` (training objective, mean loss plus penalty),
        ``"optimum"`` (the objective's minimum, from a tight solve that is not
        timed), ``"gap"`` (relative excess over the optimum), ``"epochs"``
        (None for scikit-learn's), ``"seconds"`` (the time of the fit:
        scikit-learn's default solver with its default tolerance for the first
        row), ``"converged"`` (False when ``max_iter`` ended the fit) and
        ``"estimator"`` (the fitted, timed model).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skgd import compare_optimizers
    >>> rows = compare_optimizers(*load_diabetes(return_X_y=True), optimizers=["momentum"])
    >>> [row["model"] for row in rows]
    ['closed form', 'momentum']
    >>> bool(rows[1]["gap"] < 0.01)
    True
    """
    if isinstance(optimizers, str):
        optimizers = [optimizers]
    if "optimizer" in params:
        raise ValueError("pass optimizers=[...] to choose the optimizers, not optimizer=")
    unknown = sorted(set(optimizers) - set(PRESETS))
    if not optimizers:
        raise ValueError("optimizers must name at least one optimizer")
    if unknown:
        raise ValueError(f"unknown optimizers {unknown}: choose from {', '.join(PRESETS)}")
    X = check_array(X, accept_sparse="csr", dtype=np.float64)
    y = np.asarray(y)
    if task == "auto":
        task = task_of(y)
    if task not in ("regression", "classification"):
        raise ValueError(f"task must be 'auto', 'regression' or 'classification', not {task!r}")
    if task == "regression" and np.asarray(y).dtype.kind not in "biuf":
        example = str(np.asarray(y).ravel()[0])
        raise ValueError(
            f"regression needs a numeric target; it has values such as {example!r}. Use "
            "task='classification' (--task classification) for labels."
        )
    if scale:  # centring would densify a sparse X
        X = StandardScaler(with_mean=not sparse.issparse(X)).fit_transform(X)
    Estimator = GDLinearRegressor if task == "regression" else GDClassifier
    report = progress or (lambda message: None)

    # A process's first fit loads skgd's compiled loops: keep that out of the timings.
    Estimator(max_iter=1, tol=None).fit(X, y)
    fits = {}
    for optimizer in optimizers:
        report(f"fitting {optimizer} ...")
        estimator = Estimator(optimizer=optimizer, random_state=random_state, **params)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            seconds = _timed_fit(estimator, X, y)
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        fits[optimizer] = (estimator, seconds, converged)
        note = "" if converged else ", stopped at max_iter"
        report(f"fitted {optimizer} in {seconds:.3f} s ({estimator.n_iter_} epochs{note})")

    first_fit = next(iter(fits.values()))[0]  # the objective's parameters (alpha, ...)
    reference = reference_solution(first_fit, X, y)  # defines the optimum; not timed
    optimum = training_objective(first_fit, X, y, coef=reference.coef_,
                                 intercept=reference.intercept_)  # fmt: skip
    report("fitting scikit-learn's solver ...")
    X_fit, y_fit, weights, _ = training_data(first_fit, X, y)
    solver = scikit_learn_solver(first_fit, y_fit, weights.sum())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        solver_seconds = _timed_fit(solver, X_fit, y_fit, sample_weight=weights)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    value = training_objective(first_fit, X, y, coef=solver.coef_, intercept=solver.intercept_)
    name = "closed form" if task == "regression" else "LogisticRegression"
    rows = [_row(name, value, optimum, None, solver_seconds, solver, converged)]
    for optimizer, (estimator, seconds, converged) in fits.items():
        value = training_objective(estimator, X, y)
        rows.append(
            _row(optimizer, value, optimum, estimator.n_iter_, seconds, estimator, converged)
        )
    return rows


def task_of(y):
    """ "classification" for labels, "regression" for quantities.

    Strings and booleans are labels; floats are quantities; integers are labels
    when they take at most ``MAX_INTEGER_CLASSES`` values (a count or a price
    with many distinct values is a quantity).
    """
    if y.dtype.kind in "OUSb":
        return "classification"
    if y.dtype.kind in "iu" and len(np.unique(y)) <= MAX_INTEGER_CLASSES:
        return "classification"
    return "regression"


def _timed_fit(estimator, X, y, **fit_params):
    start = time.perf_counter()
    estimator.fit(X, y, **fit_params)
    return time.perf_counter() - start


def _row(model, objective, optimum, epochs, seconds, estimator, converged):
    gap = (objective - optimum) / abs(optimum) if optimum else objective - optimum
    return {"model": model, "objective": objective, "optimum": optimum, "gap": gap,
            "epochs": epochs, "seconds": seconds, "converged": converged,
            "estimator": estimator}  # fmt: skip


def format_comparison(rows):
    """The rows of :func:`compare_optimizers` as a Markdown table, the one ``skgd`` prints.

    Parameters
    ----------
    rows : list of dict
        The rows returned by :func:`compare_optimizers`.

    Returns
    -------
    table : str
        One line per model: its final objective, its relative gap to the
        optimum, its epochs ("(max_iter)" when they ended the fit) and its
        seconds; then a line saying what the first row timed.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skgd import compare_optimizers, format_comparison
    >>> rows = compare_optimizers(*load_diabetes(return_X_y=True), optimizers=["momentum"])
    >>> print(format_comparison(rows).splitlines()[0])
    | model | final objective | gap to optimum | epochs | seconds |
    """
    lines = [
        "| model | final objective | gap to optimum | epochs | seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        epochs = "" if row["epochs"] is None else str(row["epochs"])
        epochs = (epochs + " (max_iter)").strip() if not row["converged"] else epochs
        lines.append(f"| {row['model']} | {row['objective']:.6g} | {row['gap']:.2e} | {epochs} | "
                     f"{row['seconds']:.3f} |")  # fmt: skip
    solver, name = rows[0]["estimator"], rows[0]["model"]
    if isinstance(solver, LogisticRegression):
        legend = (f"{name}: scikit-learn's, with its default solver and tol={solver.tol:g}, timed "
                  "like the skgd fits. The gaps are to the optimum of a separate solve, not "
                  f"timed, finished to a gradient norm of {OPTIMUM_GTOL:g}.")  # fmt: skip
    else:
        legend = (f"{name}: scikit-learn's {type(solver).__name__}, timed like the skgd fits; "
                  "the gaps are to its solution, the optimum.")  # fmt: skip
    lines += ["", legend]
    return "\n".join(lines)

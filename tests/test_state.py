"""The estimator's state never lies: coef_ is the model, and every exit from fit leaves it so."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning

from skgd import GDClassifier, GDLinearRegressor


def assert_consistent(model, X):
    """Finite, its history one entry per epoch, and predicting with coef_ and intercept_."""
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    assert model.n_iter_ == len(model.loss_curve_)
    raw = X @ np.atleast_2d(model.coef_).T + np.reshape(model.intercept_, -1)
    if isinstance(model, GDLinearRegressor):
        np.testing.assert_allclose(model.predict(X), raw[:, 0], rtol=1e-12)
    else:
        np.testing.assert_allclose(model.decision_function(X).reshape(raw.shape), raw, rtol=1e-12)


def test_setting_coef_and_intercept_changes_the_model():
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegressor(random_state=0).fit(X, y)
    model.coef_[:] = 0.0
    model.intercept_ = 5.0
    np.testing.assert_array_equal(model.predict(X[:3]), 5.0)
    X, labels = load_iris(return_X_y=True)
    classifier = GDClassifier(random_state=0, max_iter=20, tol=None).fit(X, labels)
    classifier.coef_[:] = 0.0
    classifier.intercept_[:] = [0.0, 10.0, 0.0]
    np.testing.assert_array_equal(classifier.predict(X), 1)


def test_a_warm_start_continues_from_the_coefficients_as_set():
    X, y = load_diabetes(return_X_y=True)
    params = dict(optimizer="batch", warm_start=True, max_iter=1, tol=None, precondition=False)
    model = GDLinearRegressor(**params).fit(X, y)
    model.coef_[:] = 0.0
    model.intercept_ = 0.0
    model.fit(X, y)
    fresh = GDLinearRegressor(**params).fit(X, y)  # one step from zero, the same step size
    np.testing.assert_allclose(model.coef_, fresh.coef_, rtol=1e-12)


@pytest.mark.parametrize("failure", [KeyboardInterrupt, ValueError, MemoryError])
@pytest.mark.parametrize("stage", ["epoch", "stopping rule", "validation"])
def test_an_interrupted_fit_ends_on_its_last_good_epoch(monkeypatch, failure, stage):
    """A failure injected at the fourth epoch: the model and history of the third."""
    import skgd._base
    import skgd._stopping

    X, y = load_diabetes(return_X_y=True)
    params = dict(random_state=0, max_iter=50, record_path=True, warm_start=True)
    if stage == "validation":
        params["early_stopping"] = True
    reference = GDLinearRegressor(**params, tol=None).set_params(max_iter=3).fit(X, y)
    target = {
        "epoch": (skgd._base.BaseGD, "_epoch_step"),
        "stopping rule": (skgd._stopping.Stopping, "update"),
        "validation": (skgd._base.BaseGD, "_validate"),
    }[stage]
    original = getattr(*target)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise failure("injected")
        return original(*args, **kwargs)

    monkeypatch.setattr(*target, failing)
    model = GDLinearRegressor(**params, tol=None if stage != "stopping rule" else 1e-4)
    with pytest.raises(failure):
        model.fit(X, y)
    assert_consistent(model, X)
    assert model.n_iter_ == 3
    if stage == "epoch":  # the same three epochs as a fit of three (which, with early
        # stopping, would return its best epoch rather than its last)
        np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-12)
        assert len(model.coef_path_) == len(reference.coef_path_)
    monkeypatch.undo()
    model.set_params(max_iter=5).fit(X, y)  # a fresh optimizer from there
    assert_consistent(model, X)
    assert model.n_iter_ == 8


def test_a_divergence_leaves_the_last_finite_model_and_a_fresh_optimizer():
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegressor(optimizer="sgd", learning_rate=10.0, warm_start=True, random_state=0)
    with pytest.raises(ValueError, match="diverged"):
        model.fit(X, y)
    assert_consistent(model, X)
    model.set_params(learning_rate="auto").fit(X, y)
    assert_consistent(model, X)
    assert model.score(X, y) > 0.5


@pytest.mark.parametrize(
    "optimizer, learning_rate",
    [("batch", 1e3), ("minibatch", 1.0), ("momentum", 10.0), ("sgd", 10.0)],
)
def test_a_diverging_warm_fit_gives_the_model_back(optimizer, learning_rate):
    """A divergence is seen epochs after the steps that start it: the fit hands back the
    model it started from (not the blown-up last epoch), and an automatic step goes on."""
    X, y = make_regression(500, 5, noise=1.0, random_state=0)
    model = GDLinearRegressor(optimizer=optimizer, warm_start=True, random_state=0).fit(X, y)
    before = model.coef_.copy(), model.predict(X)
    with pytest.raises(ValueError, match="diverged"):
        model.set_params(learning_rate=learning_rate).fit(X, y)
    assert_consistent(model, X)
    np.testing.assert_array_equal(model.coef_, before[0])
    np.testing.assert_array_equal(model.predict(X), before[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(learning_rate="auto").fit(X, y)
    assert model.score(X, y) > 0.999


@pytest.mark.parametrize("entry", ["fit", "partial_fit"])
def test_a_single_full_batch_step_that_blows_up_is_a_divergence(entry):
    """A full batch's objective is the one before its step: the last step's is checked too."""
    X, y = make_regression(500, 5, noise=1.0, random_state=0)
    model = GDLinearRegressor(optimizer="batch", precondition=False, learning_rate=1e9,
                              max_iter=1, tol=None)  # fmt: skip
    with pytest.raises(ValueError, match="diverged"):
        getattr(model, entry)(X, y)
    assert_consistent(model, X)
    assert np.all(model.coef_ == 0.0) and model.n_iter_ == 0


def test_a_warm_start_from_a_poor_model_is_not_a_divergence():
    """Divergence is judged against the starting model when that is worse than all zeros."""
    X, y = make_regression(300, 4, noise=1.0, random_state=0)
    model = GDLinearRegressor(optimizer="batch", warm_start=True, max_iter=2, tol=None).fit(X, y)
    model.coef_ = np.full(4, 1e5)  # a million-fold worse than predicting zero
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(max_iter=2000, tol=1e-4).fit(X, y)
    assert model.score(X, y) > 0.999


def test_the_path_follows_the_optimizer_it_records():
    """coef_path_ holds t_ + 1 rows, also after a warm start that starts a new optimizer."""
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegressor(optimizer="adam", record_path=True, warm_start=True, max_iter=3,
                              tol=None, random_state=0).fit(X, y)  # fmt: skip
    assert len(model.coef_path_) == model.t_ + 1
    model.set_params(optimizer="sgd", max_iter=1).fit(X, y)
    assert len(model.coef_path_) == model.t_ + 1 == len(y) + 1
    np.testing.assert_allclose(model.coef_path_[-1], model.coef_)


def test_a_path_switched_on_at_a_warm_start_records_from_there():
    """The optimizer goes on (the same steps as without recording); the path starts at the
    model the warm start begins from and holds the steps taken since."""
    X, y = load_diabetes(return_X_y=True)
    params = dict(optimizer="sgd", warm_start=True, max_iter=2, tol=None, random_state=0)
    model = GDLinearRegressor(**params).fit(X, y)
    start = model.coef_.copy()
    unrecorded = clone(model).fit(X, y).fit(X, y)
    model.set_params(record_path=True).fit(X, y)
    assert model.t_ == 4 * len(y) and len(model.coef_path_) == 2 * len(y) + 1
    np.testing.assert_array_equal(model.coef_path_[0], start)
    np.testing.assert_array_equal(model.coef_path_[-1], model.coef_)
    np.testing.assert_array_equal(model.coef_, unrecorded.coef_)


def test_a_failed_refit_leaves_the_previous_model():
    """A re-fit on other data that fails during its set-up changes nothing."""
    X, y = load_iris(return_X_y=True)
    model = GDClassifier(random_state=0, max_iter=20, tol=None).fit(X, y)
    before = {name: np.copy(value) for name, value in vars(model).items()
              if isinstance(value, np.ndarray)}  # fmt: skip
    rng = np.random.RandomState(0)
    other_X, other_y = rng.normal(size=(30, 6)), rng.normal(size=30) > 0
    with pytest.raises(ValueError, match="early_stopping=True holds out"):
        model.set_params(early_stopping=True, validation_fraction=0.01).fit(other_X, other_y)
    assert model.n_features_in_ == 4 and list(model.classes_) == [0, 1, 2]
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(model, name), value)
    assert_consistent(model.set_params(early_stopping=False), X)


def test_a_float32_fit_warm_started_on_float64_data_trains_in_float64():
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegressor(warm_start=True, max_iter=3, tol=None, random_state=0)
    model.fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32
    model.fit(X, y)
    assert model.coef_.dtype == np.float64 and model.predict(X).dtype == np.float64


def test_convergence_warnings_point_at_the_callers_line_also_through_a_pipeline():
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), GDLinearRegressor(max_iter=2))
    search = GridSearchCV(pipeline, {"gdlinearregressor__beta": [0.5]}, cv=2)
    for model in (GDLinearRegressor(max_iter=2), pipeline, search):
        with pytest.warns(ConvergenceWarning) as caught:
            model.fit(X, y)
        assert {record.filename for record in caught} == {__file__}


def test_the_path_of_many_partial_fit_calls_is_one_growing_record():
    """Recorded in one buffer that doubles: linear in the steps over many calls."""
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegressor(optimizer="minibatch", batch_size=100, record_path=True)
    buffers = set()
    for start in range(0, 400, 20):
        model.partial_fit(X[start : start + 20], y[start : start + 20])
        buffers.add(id(model._path._buffer))
    assert len(model.coef_path_) == model.t_ + 1 == 21
    np.testing.assert_array_equal(model.coef_path_[-1], model.coef_)
    assert len(buffers) <= 2  # 16 rows, then 32: two buffers for 21 rows


def test_a_convergence_warning_raised_as_an_error_leaves_coef_trained():
    """Test suites run with -W error::ConvergenceWarning: coef_ is synced before warning."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegressor(optimizer="batch", max_iter=2, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning):
            model.fit(X, y)
    assert np.any(model.coef_ != 0)
    assert_consistent(model, X)


def test_a_divergence_rolls_back_the_step_count_with_the_path():
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegressor(optimizer="batch", learning_rate=3.0, record_path=True,
                              precondition=False)  # fmt: skip
    with pytest.raises(ValueError, match="diverged"):
        model.fit(X, y)
    assert model.t_ == model.n_iter_ and len(model.coef_path_) == model.t_ + 1


def test_coef_of_the_wrong_shape_is_a_clear_error():
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegressor(max_iter=2, tol=None).fit(X, y)
    model.coef_ = np.zeros(3)
    with pytest.raises(ValueError, match="coef_ has shape"):
        model.predict(X)


def test_compiled_loops_are_recompiled_when_any_source_file_changes(tmp_path):
    """numba keys its cache on a function's own file: skgd's loops inline functions of
    other modules, so their cache entries carry the hash of all of skgd's sources (a stale
    entry after an edit or upgrade crashed a fit)."""
    import skgd._epoch
    import skgd._jit

    package = os.path.dirname(skgd._jit.__file__)
    for name in os.listdir(package):
        if name.endswith(".py"):
            (tmp_path / name).write_bytes(open(os.path.join(package, name), "rb").read())
    assert skgd._jit.sources_hash(tmp_path) == skgd._jit.SOURCES
    with open(tmp_path / "_losses.py", "a") as file:
        file.write("# edited\n")
    assert skgd._jit.sources_hash(tmp_path) != skgd._jit.SOURCES
    for loop in (skgd._epoch.run_epoch, skgd._epoch.step_parameters):
        assert skgd._jit.SOURCES in loop._cache._cache_file._source_stamp


FAILING_LOCATOR = '''
from numba.core.caching import _CacheLocator


class NowhereToWrite(_CacheLocator):
    """A read-only install without a writable home: no folder for numba's cache."""

    @classmethod
    def from_function(cls, py_func, py_file):
        return None
'''


@pytest.mark.parametrize("temporary_folder", ["writable", "unwritable", "missing"])
def test_import_and_fit_without_a_writable_cache(tmp_path, temporary_folder):
    """numba finds no cache folder for skgd's loops: skgd falls back on the temporary
    directory, or compiles in memory with one warning (also when there is no usable
    temporary directory at all); either way it imports and fits."""
    (tmp_path / "nowhere.py").write_text(FAILING_LOCATOR)
    locators = ["nowhere.NowhereToWrite"]
    temporary_folder_writable = temporary_folder == "writable"
    if temporary_folder_writable:
        locators.append("numba.core.caching.UserProvidedCacheLocator")
    # compiling a fit's loops takes seconds: the other cases compile one small function
    use = "skgd.GDLinearRegressor(max_iter=3, tol=None).fit([[0.0], [1.0], [2.0]], [0, 1, 2])"
    if temporary_folder != "unwritable":
        use = "skgd._schedules.step_size(1.0, 1, 0.0)"
    no_folder = "def nowhere():\n    raise FileNotFoundError('No usable temporary directory')\n"
    script = (
        "import tempfile, warnings\n"
        + (f"{no_folder}tempfile.gettempdir = nowhere\n" if temporary_folder == "missing" else "")
        + "warnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    import skgd, skgd._jit, skgd._schedules\n"
        f"{use}\n"
        "print(skgd._jit.CACHE, len([w for w in caught if 'numba' in str(w.message)]))\n"
    )
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               NUMBA_CACHE_LOCATOR_CLASSES=",".join(locators), TMPDIR=str(tmp_path))  # fmt: skip
    env.pop("NUMBA_CACHE_DIR", None)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr
    cached, n_warnings = result.stdout.split()
    assert cached == str(temporary_folder_writable)
    assert int(n_warnings) == (0 if temporary_folder_writable else 1)
    if temporary_folder_writable:  # the loops were cached in the temporary directory
        assert any((tmp_path / "skgd-numba-cache").rglob("*.nbi"))

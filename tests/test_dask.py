"""Out-of-core training: Dask (skipped without the dask extra) and np.memmap."""

import tracemalloc

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.exceptions import NotFittedError

from skgd import GDClassifier, GDLinearRegressor


def test_memmap_trains_without_loading_the_array(tmp_path):
    X, y = make_regression(n_samples=20_000, n_features=50, random_state=0)
    path = tmp_path / "X.dat"
    on_disk = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    on_disk[:] = X
    on_disk.flush()
    X_map = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    # compile the loops for read-only arrays first (those of large full
    # batches too): compiling allocates too
    GDLinearRegressor(max_iter=1, tol=None).fit(X_map, y)
    tracemalloc.start()
    model = GDLinearRegressor(optimizer="adam", max_iter=3, tol=None, random_state=0)
    model.fit(X_map, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < X.nbytes / 4  # 8 MB of X was never copied into memory
    in_memory = GDLinearRegressor(optimizer="adam", max_iter=3, tol=None, random_state=0)
    np.testing.assert_array_equal(model.coef_, in_memory.fit(X, y).coef_)


def test_dask_incremental_and_distributed_grid_search(capsys):
    pytest.importorskip("dask_ml")
    pytest.importorskip("distributed")
    import runpy
    from pathlib import Path

    example = runpy.run_path(str(Path(__file__).parents[1] / "examples" / "dask_out_of_core.py"))
    example["main"](processes=False)  # threads: the same code path, faster to start
    out = capsys.readouterr().out
    assert "Incremental GDLinearRegressor: 10 blocks x 5 passes = 50 partial_fit calls" in out
    assert "Incremental GDClassifier: accuracy" in out
    assert "GridSearchCV on <Client" in out
    assert "Full-batch GDClassifier on 5 chunks" in out


def test_incremental_keeps_adam_state_across_blocks():
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_regression(n_samples=2_000, n_features=5, noise=1.0, random_state=0)
    model = wrappers.Incremental(
        GDLinearRegressor(optimizer="adam", shuffle=False),
        scoring="neg_mean_squared_error",
        shuffle_blocks=False,
    )
    model.partial_fit(da.from_array(X, chunks=(500, -1)), da.from_array(y, chunks=500))
    # the same four blocks through partial_fit by hand
    by_hand = GDLinearRegressor(optimizer="adam", shuffle=False)
    for start in range(0, 2_000, 500):
        by_hand.partial_fit(X[start : start + 500], y[start : start + 500])
    np.testing.assert_allclose(model.estimator_.coef_, by_hand.coef_, rtol=1e-12)
    assert model.estimator_.t_ == by_hand.t_


def test_incremental_classifier_with_classes_on_every_call():
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1_000, 4))
    y = np.where(X[:, 0] > 0, "a", "b")
    model = wrappers.Incremental(GDClassifier(random_state=0), scoring="accuracy")
    model.fit(da.from_array(X, chunks=(250, -1)), da.from_array(y, chunks=250), classes=["a", "b"])
    assert model.score(da.from_array(X, chunks=(250, -1)), da.from_array(y, chunks=250)) > 0.9


# -- fit on Dask arrays: full batches summed chunk by chunk ----------------------

FULL_BATCH_CASES = [
    ("batch", {}),
    ("momentum", {"batch_size": 10_000}),
    ("adam", {"batch_size": 10_000}),
]


def _regression(n_targets):
    X, y = make_regression(n_samples=2_500, n_features=6, n_targets=n_targets, noise=3.0,
                           random_state=0)  # fmt: skip
    return X + 3.0, y  # off-centre features: the preconditioner's shift matters


def _classification(n_classes):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=2_500, n_features=6, n_informative=4,
                               n_classes=n_classes, random_state=0)  # fmt: skip
    return X, np.array(["ant", "bee", "cat"])[y]


def _assert_same_fit(dask_fit, in_memory):
    assert dask_fit.n_iter_ == in_memory.n_iter_
    np.testing.assert_allclose(dask_fit.coef_, in_memory.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dask_fit.intercept_, in_memory.intercept_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dask_fit.loss_curve_, in_memory.loss_curve_, rtol=1e-10)
    if in_memory.optimality_gap_ is not None:
        np.testing.assert_allclose(dask_fit.optimality_gap_, in_memory.optimality_gap_,
                                   rtol=1e-6, atol=1e-14)  # fmt: skip


def _dask_rows(*arrays, chunks=600):
    da = pytest.importorskip("dask.array")
    return [None if a is None else da.from_array(a, chunks=(chunks,) + a.shape[1:])
            for a in arrays]  # fmt: skip


@pytest.mark.parametrize("optimizer, params", FULL_BATCH_CASES)
@pytest.mark.parametrize("problem", ["one target", "two targets", "binary", "three classes"])
@pytest.mark.parametrize("weighted", [False, True])
def test_dask_fit_equals_the_in_memory_fit(optimizer, params, problem, weighted):
    pytest.importorskip("dask.array")
    import dask

    X, y = {"one target": lambda: _regression(1), "two targets": lambda: _regression(2),
            "binary": lambda: _classification(2),
            "three classes": lambda: _classification(3)}[problem]()  # fmt: skip
    weight = np.random.RandomState(1).uniform(0.0, 3.0, size=X.shape[0]) if weighted else None
    Estimator = GDClassifier if problem in ("binary", "three classes") else GDLinearRegressor
    make = lambda: Estimator(optimizer=optimizer, random_state=0, **params)  # noqa: E731
    in_memory = make().fit(X, y, sample_weight=weight)
    with dask.config.set(scheduler="threads"):
        dask_fit = make().fit(*_dask_rows(X, y, weight))  # chunks of 600 rows, the last of 100
    _assert_same_fit(dask_fit, in_memory)


@pytest.mark.parametrize("n_chunks", [1, 2, 8, 9, 19, 65])
def test_chunk_sums_reach_the_client_whole_through_any_depth_of_tree(n_chunks):
    """Every chunk is summed once, whether the tree has one level or three."""
    da = pytest.importorskip("dask.array")
    import dask

    from skgd._dask import _add_sums, reduce_chunks

    values = np.random.RandomState(0).normal(size=(n_chunks * 3, 4))
    X = da.from_array(values, chunks=(3, 4))

    def sums(chunk):  # a loss, a weight and a gradient per chunk
        return chunk.sum(), float(chunk.shape[0]), chunk.sum(axis=0)

    with dask.config.set(scheduler="sync"):
        total, weight, gradient = reduce_chunks(sums, (X,), combine=_add_sums)
    assert weight == values.shape[0]
    assert total == pytest.approx(values.sum(), rel=1e-12)
    np.testing.assert_allclose(gradient, values.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("by_worker", [True, False])  # False: gradients too large to gather
def test_sums_on_a_cluster_take_a_task_per_worker_and_equal_the_whole_arrays_sums(
    monkeypatch, by_worker
):
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    import dask

    from skgd import _dask
    from skgd._losses import LOGISTIC

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(700, 3)), (rng.uniform(size=(700, 1)) < 0.5).astype(float)
    weight, model = rng.uniform(0.5, 2.0, size=700), rng.normal(size=(1, 4))
    expected = _dask.chunk_sums(X, y, weight, model, LOGISTIC)
    if not by_worker:
        monkeypatch.setattr(_dask, "GATHERED_VALUES", model.size * 13)  # 14 chunks
        monkeypatch.setattr(_dask, "sums_by_worker", None)  # the tree, or a TypeError
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        arrays = dask.persist(*(da.from_array(a, chunks=(50,) + a.shape[1:]) for a in (X, y, weight)))
        held = _dask.held_chunks(arrays)
        sums = _dask._sums(*arrays, model, LOGISTIC)
    assert held is not None and sorted(i for chunks in held[2].values() for i in chunks) == list(range(14))
    for value, whole in zip(sums, expected, strict=True):
        np.testing.assert_allclose(value, whole, rtol=1e-12)


def test_dask_fit_on_a_local_cluster_with_unknown_and_column_chunks():
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    X, y = _classification(3)
    in_memory = GDClassifier(optimizer="batch", random_state=0).fit(X, y)
    X_dask = da.from_array(X, chunks=(500, 2))  # column chunks: rechunked to whole rows
    X_dask = X_dask[X_dask[:, 0] > -np.inf]  # rows of unknown count per chunk
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        dask_fit = GDClassifier(optimizer="batch", random_state=0).fit(X_dask, y)
    _assert_same_fit(dask_fit, in_memory)
    np.testing.assert_array_equal(dask_fit.classes_, in_memory.classes_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dask_fit_of_large_data_keeps_its_dtype_and_the_eigenvalue_rows(dtype):
    # past 20,000 rows the automatic step reads a subset of rows (_step_size), and
    # past 8,192 the in-memory fit sums in parallel blocks
    pytest.importorskip("dask.array")
    import dask

    rng = np.random.RandomState(0)
    X = (rng.normal(size=(24_000, 5)) * [1, 2, 3, 4, 50]).astype(dtype)
    X[:30] *= 20  # heavy rows
    y = (X @ np.arange(1.0, 6.0) + rng.normal(size=24_000)).astype(dtype)
    params = dict(optimizer="batch", precondition=False, max_iter=30, tol=None)
    in_memory = GDLinearRegressor(**params).fit(X, y)
    with dask.config.set(scheduler="threads"):
        dask_fit = GDLinearRegressor(**params).fit(
            *_dask_rows(X, y, chunks=5_000)
        )
    assert dask_fit.coef_.dtype == dtype
    if dtype == np.float64:
        _assert_same_fit(dask_fit, in_memory)
    else:  # float32 coefficients: equal to their rounding
        assert dask_fit.learning_rate_ == pytest.approx(in_memory.learning_rate_, rel=1e-5)
        assert dask_fit.n_iter_ == in_memory.n_iter_
        np.testing.assert_allclose(dask_fit.coef_, in_memory.coef_, rtol=1e-4)


def _heavy_rows_data(n_samples=24_000):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 5)) * [1, 2, 3, 4, 50] + 3.0
    X[:40] *= 20  # heavy rows
    y = X @ np.arange(1.0, 6.0) + rng.normal(size=n_samples)
    return X, y, rng.uniform(0.0, 3.0, size=n_samples)


@pytest.mark.parametrize("params", [{}, {"precondition": False}, {"fit_intercept": False},
                                    {"alpha": 10.0}])  # fmt: skip
def test_dask_automatic_step_finds_the_heavy_rows_where_they_live(monkeypatch, params):
    # the heavy rows are found against the mean curvature the moments give:
    # the same rows, step and fit as in memory, without gathering the norms
    pytest.importorskip("dask.array")
    import dask

    from skgd import _dask

    monkeypatch.setattr(_dask, "_eigenvalue_gram_of_gathered_norms", None)  # a TypeError
    X, y, weight = _heavy_rows_data()
    params = dict(optimizer="batch", max_iter=20, tol=None, **params)
    in_memory = GDLinearRegressor(**params).fit(X, y, sample_weight=weight)
    with dask.config.set(scheduler="threads"):
        dask_fit = GDLinearRegressor(**params).fit(*_dask_rows(X, y, weight, chunks=5_000))
    assert dask_fit.learning_rate_ == pytest.approx(in_memory.learning_rate_, rel=1e-13)
    _assert_same_fit(dask_fit, in_memory)


def test_dask_automatic_step_reads_heavy_rows_of_a_chunk_without_spread_rows(monkeypatch):
    pytest.importorskip("dask.array")
    import dask
    import dask.array as da

    from skgd import _dask, _step_size

    X, y, weight = _heavy_rows_data()
    for module in (_dask, _step_size):
        monkeypatch.setattr(module, "MAX_ROWS_FOR_EIGENVALUE", 100)  # a spread row per 240
    assert _step_size.spread_rows(X.shape[0])[0] >= 10  # none in the first chunk
    monkeypatch.setattr(_dask, "_eigenvalue_gram_of_gathered_norms", None)  # a TypeError
    params = dict(optimizer="batch", max_iter=20, tol=None)
    in_memory = GDLinearRegressor(**params).fit(X, y, sample_weight=weight)
    rows = ((10, 11_990, 12_000),)  # the first 10 rows, heavy, a chunk of their own
    with dask.config.set(scheduler="threads"):
        dask_fit = GDLinearRegressor(**params).fit(
            da.from_array(X, chunks=rows + ((5,),)), da.from_array(y, chunks=rows),
            sample_weight=da.from_array(weight, chunks=rows),
        )  # fmt: skip
    assert dask_fit.learning_rate_ == pytest.approx(in_memory.learning_rate_, rel=1e-13)
    _assert_same_fit(dask_fit, in_memory)


@pytest.mark.parametrize("case", ["more heavy rows than the subset holds",
                                  "spread rows of no weight"])  # fmt: skip
def test_dask_automatic_step_gathers_the_norms_where_the_subset_cannot_stand(monkeypatch,
                                                                            case):  # fmt: skip
    pytest.importorskip("dask.array")
    import dask

    from skgd import _dask, _step_size

    X, y, weight = _heavy_rows_data()
    for module in (_dask, _step_size):
        monkeypatch.setattr(module, "MAX_ROWS_FOR_EIGENVALUE", 30)  # 40 heavy rows
    if case == "spread rows of no weight":
        monkeypatch.setattr(_step_size, "MAX_ROWS_FOR_EIGENVALUE", 100)
        weight[_step_size.spread_rows(X.shape[0])] = 0.0  # every row is used
    gathered = []
    monkeypatch.setattr(_dask, "_eigenvalue_gram_of_gathered_norms",
                        lambda *args, f=_dask._eigenvalue_gram_of_gathered_norms:
                        gathered.append(1) or f(*args))  # fmt: skip
    params = dict(optimizer="batch", max_iter=20, tol=None)
    in_memory = GDLinearRegressor(**params).fit(X, y, sample_weight=weight)
    with dask.config.set(scheduler="threads"):
        dask_fit = GDLinearRegressor(**params).fit(*_dask_rows(X, y, weight, chunks=5_000))
    assert gathered
    assert dask_fit.learning_rate_ == pytest.approx(in_memory.learning_rate_, rel=1e-13)
    _assert_same_fit(dask_fit, in_memory)


def test_dask_fit_reads_its_statistics_in_the_pass_that_checks_the_chunks(monkeypatch):
    # moments, targets' sums and the zero model's loss: once per chunk, by the
    # check, not again by the set-up that reads them
    pytest.importorskip("dask.array")
    import dask

    from skgd import _dask

    calls = []

    def counted(name, function):
        return lambda *args: calls.append(name) or function(*args)

    for name in ("_chunk_moments", "_chunk_target_sums"):
        monkeypatch.setattr(_dask, name, counted(name, getattr(_dask, name)))
    X, y, weight = _heavy_rows_data()
    with dask.config.set(scheduler="threads"):
        model = GDLinearRegressor(optimizer="batch", max_iter=3, tol=None)
        model.fit(*_dask_rows(X, y, weight, chunks=5_000))
    assert sorted(calls) == ["_chunk_moments"] * 5 + ["_chunk_target_sums"] * 5


def test_dask_warm_start_and_class_weight():
    pytest.importorskip("dask.array")
    import dask

    X, y = _classification(3)
    params = dict(optimizer="batch", class_weight={"ant": 2.0, "cat": 0.5}, max_iter=5, tol=None)
    in_memory = GDClassifier(warm_start=True, **params)
    dask_fit = GDClassifier(warm_start=True, **params)
    with dask.config.set(scheduler="threads"):
        for _ in range(2):
            in_memory.fit(X, y)
            dask_fit.fit(*_dask_rows(X, y))
    assert dask_fit.n_iter_ == 10
    _assert_same_fit(dask_fit, in_memory)


@pytest.mark.parametrize("optimizer", ["sgd", "minibatch", "adam"])
def test_dask_fit_of_a_stochastic_preset_says_what_to_use(optimizer):
    pytest.importorskip("dask.array")
    X, y = _regression(1)
    model = GDLinearRegressor(optimizer=optimizer)
    with pytest.raises(ValueError, match="full batches only.*optimizer='batch'.*Incremental"):
        model.fit(*_dask_rows(X, y))
    assert not hasattr(model, "coef_")


def test_dask_fit_rejects_bad_chunks_like_the_in_memory_fit():
    pytest.importorskip("dask.array")
    X, y = _regression(1)
    X[7, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        GDLinearRegressor(optimizer="batch").fit(*_dask_rows(X, y))
    X[7, 2] = 0.0
    weight = np.ones(X.shape[0])
    weight[1_000] = -1.0
    with pytest.raises(ValueError, match="sample_weight holds negative values"):
        GDLinearRegressor(optimizer="batch").fit(*_dask_rows(X, y, weight))
    with pytest.raises(ValueError, match="y has 2499 rows but X has 2500"):
        GDLinearRegressor(optimizer="batch").fit(*_dask_rows(X, y[:-1]))
    with pytest.raises(ValueError, match="early_stopping"):
        GDLinearRegressor(optimizer="batch", early_stopping=True).fit(*_dask_rows(X, y))


@pytest.mark.parametrize("problem", ["one target", "two targets", "binary", "three classes"])
def test_predictions_on_a_dask_array_stay_where_the_chunks_live(problem):
    """predict & co. of a Dask array are Dask arrays with its row chunks, equal to the
    in-memory predictions; score reads only the predictions."""
    da = pytest.importorskip("dask.array")
    import dask

    X, y = {"one target": lambda: _regression(1), "two targets": lambda: _regression(2),
            "binary": lambda: _classification(2),
            "three classes": lambda: _classification(3)}[problem]()  # fmt: skip
    Estimator = GDClassifier if problem in ("binary", "three classes") else GDLinearRegressor
    model = Estimator(optimizer="batch", max_iter=20, tol=None).fit(X, y)
    X_dask = da.from_array(X, chunks=(600, 3))  # column chunks too: rows are joined
    methods = ["predict"] + (["decision_function", "predict_proba", "predict_log_proba"]
                             if Estimator is GDClassifier else [])  # fmt: skip
    with dask.config.set(scheduler="threads"):
        for name in methods:
            lazy = getattr(model, name)(X_dask)
            expected = getattr(model, name)(X)
            assert isinstance(lazy, da.Array) and lazy.chunks[0] == (600, 600, 600, 600, 100)
            assert lazy.shape == expected.shape and lazy.dtype == expected.dtype
            computed = lazy.compute()
            if expected.dtype.kind in "fc":
                np.testing.assert_allclose(computed, expected, rtol=1e-12, atol=1e-14)
            else:
                np.testing.assert_array_equal(computed, expected)
        assert model.score(X_dask, y) == pytest.approx(model.score(X, y), rel=1e-12)
    with pytest.raises(ValueError, match="features"):
        model.predict(X_dask[:, :4])
    with pytest.raises(NotFittedError):
        clone(model).predict(X_dask)

"""Out-of-core training: Dask (skipped without the dask extra) and np.memmap."""

import tracemalloc

import numpy as np
import pytest
from sklearn.datasets import make_regression

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

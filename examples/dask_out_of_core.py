"""
Out of core with Dask: full batches, Incremental training and a grid search
===========================================================================

Needs the ``dask`` extra (``pip install "skgd[dask]"``). Three routes:

1. ``fit`` on a Dask array with a full-batch optimizer (``"batch"``, or any rule
   with ``batch_size >= n_samples``): each epoch's gradient is summed on the
   workers that hold the chunks, and the fit equals the in-memory one.
2. ``dask_ml.wrappers.Incremental`` streams the blocks of a Dask array through
   ``partial_fit``, one block at a time: only one block is in memory at once, and
   Adam's moments and step count carry over from block to block.
3. ``GridSearchCV`` over ``beta`` x ``learning_rate`` runs its fits on a Dask
   cluster through joblib's Dask backend (here a ``LocalCluster`` on this machine).

Chunk Dask arrays along rows only (``X.rechunk({1: -1})``): ``Incremental`` hands
each row block to ``partial_fit``, and a block holding only some of the columns
would be a different problem (``fit`` rechunks such an array itself).
"""

import dask.array as da
import joblib
import numpy as np
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDLinearRegressor


def incremental_regression():
    X, y = make_regression(n_samples=50_000, n_features=20, noise=5.0, random_state=0)
    X_dask = da.from_array(X, chunks=(5_000, -1))  # 10 row blocks, every column in each
    y_dask = da.from_array(y, chunks=5_000)
    # partial_fit never sees a plateau to shrink the step on: decay it per step
    model = Incremental(
        GDLinearRegressor(optimizer="adam", schedule="invscaling", power_t=0.5, random_state=0),
        scoring="neg_mean_squared_error",  # the default r2 scorer fails on Dask arrays
    )
    for _ in range(5):  # five passes over the blocks
        model.partial_fit(X_dask, y_dask)
    fitted = model.estimator_
    closed_form = LinearRegression().fit(X, y)
    mse = float(np.mean((fitted.predict(X) - y) ** 2))
    optimum = float(np.mean((closed_form.predict(X) - y) ** 2))
    print(f"Incremental GDLinearRegressor: {X_dask.numblocks[0]} blocks x 5 passes = "
          f"{fitted.n_iter_} partial_fit calls, {fitted.t_} Adam steps; "
          f"MSE {mse:.2f} (closed form {optimum:.2f})")  # fmt: skip


def incremental_classification():
    X, y = make_classification(n_samples=50_000, n_features=20, n_informative=8, n_classes=3,
                               random_state=0)  # fmt: skip
    X_dask = da.from_array(X, chunks=(5_000, -1))
    y_dask = da.from_array(y, chunks=5_000)
    model = Incremental(GDClassifier(optimizer="adam", random_state=0), scoring="accuracy")
    model.fit(X_dask, y_dask, classes=[0, 1, 2])
    print(f"Incremental GDClassifier: accuracy {model.score(X_dask, y_dask):.3f} after "
          f"{model.estimator_.n_iter_} blocks")  # fmt: skip


def full_batch_on_the_cluster(client):
    X, y = make_classification(n_samples=50_000, n_features=20, n_informative=8, n_classes=3,
                               random_state=0)  # fmt: skip
    X_dask = da.from_array(X, chunks=(10_000, -1)).persist()  # 5 chunks on the workers
    y_dask = da.from_array(y, chunks=10_000).persist()
    on_dask = GDClassifier(optimizer="batch").fit(X_dask, y_dask)
    in_memory = GDClassifier(optimizer="batch").fit(X, y)
    difference = float(np.max(np.abs(on_dask.coef_ - in_memory.coef_)))
    print(f"Full-batch GDClassifier on {X_dask.numblocks[0]} chunks: {on_dask.n_iter_} epochs, "
          f"objective {on_dask.loss_curve_[-1]:.6f}; in memory {in_memory.n_iter_} epochs, "
          f"largest coefficient difference {difference:.1e}")  # fmt: skip


def distributed_grid_search(client):
    X, y = make_regression(n_samples=5_000, n_features=20, noise=5.0, random_state=0)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), GDLinearRegressor(optimizer="momentum", random_state=0)),
        {
            "gdlinearregressor__beta": [0.5, 0.9, 0.99],
            "gdlinearregressor__learning_rate": [1e-3, 1e-2, "auto"],
        },
        cv=3,
    )
    with joblib.parallel_backend("dask"):
        search.fit(X, y)
    print(f"GridSearchCV on {client}: best {search.best_params_}, R² {search.best_score_:.4f}")


def main(processes=True):
    incremental_regression()
    incremental_classification()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        full_batch_on_the_cluster(client)
        distributed_grid_search(client)


if __name__ == "__main__":
    main()

"""
Every optimizer against the closed form
=======================================

Fits ``GDLinearRegressor`` with each optimizer, default settings, on the
standardized diabetes dataset and prints a table against
``LinearRegression``'s closed-form solution: final training MSE, gap to the
optimum, epochs run and seconds taken.
"""

import time

from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.preprocessing import StandardScaler

from skgd import GDLinearRegressor

OPTIMIZERS = ["batch", "sgd", "minibatch", "momentum", "rmsprop", "adam"]


def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def main():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)

    closed_form = LinearRegression()
    seconds = timed_fit(closed_form, X, y)
    optimum = mean_squared_error(y, closed_form.predict(X))

    # The first fit compiles skgd's inner loops (cached on disk afterwards);
    # keep that one-off cost out of the table.
    GDLinearRegressor(max_iter=1, tol=None).fit(X[:10], y[:10])

    print("Diabetes (442 samples, 10 standardized features)\n")
    print(
        f"| {'optimizer':<17} | {'final MSE':>10} | {'gap to optimum':>14} | "
        f"{'epochs':>6} | {'seconds':>7} |"
    )
    print(f"|{'-' * 19}|{'-' * 11}:|{'-' * 15}:|{'-' * 7}:|{'-' * 8}:|")
    print(f"| {'closed form':<17} | {optimum:>10.3f} | {'':>14} | {'':>6} | {seconds:>7.4f} |")
    for optimizer in OPTIMIZERS:
        model = GDLinearRegressor(optimizer=optimizer, random_state=0)
        seconds = timed_fit(model, X, y)
        mse = mean_squared_error(y, model.predict(X))
        gap = (mse - optimum) / optimum
        print(
            f"| {optimizer:<17} | {mse:>10.3f} | {gap:>14.2e} | {model.n_iter_:>6} | "
            f"{seconds:>7.4f} |"
        )


if __name__ == "__main__":
    main()

"""Per-step records: the steps' losses (``record_steps``) and the path, in bounded memory."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

import skgd._path
from skgd import GDClassifier, GDLinearRegressor


def _batch_objective(X, y, coef, intercept, alpha):
    return np.mean((X @ coef + intercept - y) ** 2) + alpha * coef @ coef


@pytest.mark.parametrize("as_sparse", [False, True])
def test_step_losses_are_each_batch_objective_before_its_step(diabetes, as_sparse):
    X, y = diabetes
    model = GDLinearRegressor(optimizer="momentum", batch_size=50, shuffle=False, max_iter=3,
                              tol=None, alpha=0.1, record_path=True, record_steps=True)  # fmt: skip
    model.fit(sparse.csr_matrix(X) if as_sparse else X, y)
    n_steps = 3 * 9  # 442 rows: 8 batches of 50 and one of 42 per epoch
    assert model.step_loss_curve_.shape == (n_steps,) and model.record_stride_ == 1
    expected = []
    for step in range(n_steps):
        rows = slice(50 * (step % 9), 50 * (step % 9 + 1))  # shuffle=False: contiguous
        before = model.coef_path_[step], model.intercept_path_[step]
        expected.append(_batch_objective(X[rows], y[rows], *before, model.alpha))
    np.testing.assert_allclose(model.step_loss_curve_, expected, rtol=1e-10)


def test_a_full_batch_step_loss_is_the_epoch_objective(diabetes):
    X, y = diabetes
    model = GDLinearRegressor(optimizer="adam", batch_size=len(y), max_iter=20, tol=None,
                              record_steps=True).fit(X, y)  # fmt: skip
    np.testing.assert_allclose(model.step_loss_curve_, model.loss_curve_, rtol=1e-12)


def test_long_records_keep_every_stride_th_step_in_bounded_memory(monkeypatch):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:120]
    y = y[:120]
    params = dict(optimizer="sgd", max_iter=3, tol=None, random_state=0, record_path=True,
                  record_steps=True)  # fmt: skip
    full = GDClassifier(**params).fit(X, y)  # 360 steps, under the bound
    assert full.record_stride_ == 1 and len(full.coef_path_) == 361
    monkeypatch.setattr(skgd._path, "MAX_RECORDED_STEPS", 50)
    thinned = GDClassifier(**params).fit(X, y)
    assert thinned.record_stride_ == 8  # 360 steps / 8 = 45 intervals, / 4 = 90 > 50
    np.testing.assert_array_equal(thinned.coef_path_, full.coef_path_[::8])
    np.testing.assert_array_equal(thinned.intercept_path_, full.intercept_path_[::8])
    np.testing.assert_array_equal(thinned.step_loss_curve_, full.step_loss_curve_[7::8])
    np.testing.assert_array_equal(thinned.coef_, full.coef_)


def test_records_continue_over_partial_fit_with_the_same_stride(diabetes, monkeypatch):
    X, y = diabetes
    monkeypatch.setattr(skgd._path, "MAX_RECORDED_STEPS", 20)
    params = dict(optimizer="minibatch", batch_size=10, shuffle=False, learning_rate=0.01,
                  record_path=True, record_steps=True)  # fmt: skip
    chunked = GDLinearRegressor(**params)
    whole = GDLinearRegressor(max_iter=4, tol=None, **params)
    monkeypatch.setattr(skgd._path, "MAX_RECORDED_STEPS", 10_000)
    whole.fit(X, y)  # 4 epochs of 45 steps, recorded whole
    monkeypatch.setattr(skgd._path, "MAX_RECORDED_STEPS", 20)
    for _ in range(4):
        chunked.partial_fit(X, y)
    stride = chunked.record_stride_
    assert stride == 16  # 180 steps / 16 = 11.25 intervals, / 8 = 22.5 > 20
    np.testing.assert_allclose(chunked.coef_path_, whole.coef_path_[::stride], rtol=1e-12)
    expected = whole.step_loss_curve_[stride - 1 :: stride]
    np.testing.assert_allclose(chunked.step_loss_curve_, expected, rtol=1e-12)


def test_without_record_steps_there_is_no_step_loss_curve(diabetes):
    model = GDLinearRegressor(max_iter=2, tol=None, record_steps=True).fit(*diabetes)
    assert hasattr(model, "step_loss_curve_")
    model.set_params(record_steps=False).fit(*diabetes)
    assert not hasattr(model, "step_loss_curve_") and not hasattr(model, "record_stride_")


def test_time_curve_has_one_increasing_entry_per_epoch_over_warm_starts(diabetes):
    model = GDLinearRegressor(max_iter=5, tol=None, warm_start=True).fit(*diabetes)
    first = list(model.time_curve_)
    model.fit(*diabetes)
    assert len(model.time_curve_) == len(model.loss_curve_) == model.n_iter_ == 10
    assert model.time_curve_[:5] == first
    assert np.all(np.diff([0.0, *model.time_curve_]) > 0)


def test_a_record_switched_off_and_on_again_restarts_without_a_hole(diabetes):
    X, y = diabetes
    params = dict(optimizer="sgd", max_iter=2, tol=None, warm_start=True, random_state=0)
    model = GDLinearRegressor(record_path=True, record_steps=True, **params).fit(X, y)
    model.set_params(record_path=False, record_steps=False).fit(X, y)
    assert not hasattr(model, "coef_path_") and not hasattr(model, "step_loss_curve_")
    t_switched_on = model.t_
    model.set_params(record_path=True, record_steps=True).fit(X, y)
    assert len(model.coef_path_) == model.t_ - t_switched_on + 1  # from where it was switched on
    assert len(model.step_loss_curve_) == model.t_ - t_switched_on
    np.testing.assert_array_equal(model.coef_path_[-1], model.coef_)


def test_records_switched_on_at_different_steps_share_their_stride(diabetes, monkeypatch):
    X, y = diabetes
    monkeypatch.setattr(skgd._path, "MAX_RECORDED_STEPS", 100)
    params = dict(optimizer="sgd", tol=None, warm_start=True, random_state=0, record_path=True)
    model = GDLinearRegressor(max_iter=3, **params).fit(X, y)  # 1326 steps recorded
    model.set_params(record_steps=True, max_iter=1).fit(X, y)  # 442 more, losses from 1326
    stride = model.record_stride_
    assert stride == 32  # 1768 steps / 32 = 55 intervals, / 16 = 110 > 100
    assert len(model.coef_path_) == 1768 // stride + 1
    assert len(model.step_loss_curve_) == 442 // stride
    from skgd import LossCurveDisplay

    steps, _ = LossCurveDisplay.from_estimator(model, X, y, x="steps").lines_["sgd"].get_data()
    np.testing.assert_array_equal(steps, 1326 + stride * np.arange(1, 442 // stride + 1))

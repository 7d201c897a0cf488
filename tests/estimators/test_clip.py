"""Tests of CNNClassifier, CNNRegressor and the tensor-slice batch path."""

import io
import os
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.class_weight import compute_class_weight
from skorch.callbacks import Checkpoint, EarlyStopping, EpochScoring, LRScheduler

from skcnn import CNNClassifier, CNNRegressor
from skcnn.estimators._data import TensorBatchIterator, TensorDataset

TINY = dict(n_filters=(4,), hidden_units=(8,), max_epochs=4, random_state=0)


def make_images(n=60, n_classes=3, shape=(1, 8, 8), seed=0):
    """Noise images whose mean level tells the class."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(size=(n, *shape)).astype(np.float32) + y.reshape(
        (-1,) + (1,) * len(shape)
    )
    return X, y


@pytest.fixture(scope="module")
def fitted_clf():
    X, y = make_images()
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = CNNClassifier(**{**TINY, "max_epochs": 20, "lr": 1e-2})
    return clf.fit(X, labels), X, labels


# ------------------------------------------------------------ classification
def test_string_labels_proba_and_predict(fitted_clf):
    clf, X, labels = fitted_clf
    assert clf.classes_.tolist() == ["cat", "dog", "emu"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    pred = clf.predict(X)
    assert pred.dtype == labels.dtype
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, labels) > 0.8


def test_integer_labels_with_gaps():
    X, y = make_images()
    labels = np.array([-7, 3, 100])[y]
    clf = CNNClassifier(**TINY).fit(X, labels)
    assert clf.classes_.tolist() == [-7, 3, 100]
    assert set(clf.predict(X)) <= {-7, 3, 100}
    assert clf.module_.head[-1].out_features == 3


@pytest.mark.parametrize(
    "shape, conv",
    [((50,), torch.nn.Conv1d), ((2, 50), torch.nn.Conv1d),
     ((1, 8, 8), torch.nn.Conv2d)],
)
def test_rank_picks_convolution(shape, conv):
    X, y = make_images(shape=shape)
    # no input norm: the first layer is then the first convolution
    clf = CNNClassifier(**TINY, input_norm=None).fit(X, y)
    assert type(clf.module_.features[0]) is conv
    expected = (1, *shape) if len(shape) == 1 else shape
    assert clf.input_shape_ == expected
    assert clf.n_features_in_ == X.shape[1]
    assert clf.predict(X).shape == (len(X),)


def test_lenet5_architecture():
    X, y = make_images(shape=(1, 13, 16))
    clf = CNNClassifier(architecture="lenet5", max_epochs=2, random_state=0)
    clf.fit(X, y)
    assert type(clf.module_).__name__ == "LeNet5"
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_class_weight():
    X, y = make_images(n=40, n_classes=2)
    y[:30] = 0
    clf = CNNClassifier(**TINY, class_weight="balanced").fit(X, y)
    expected = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    np.testing.assert_allclose(clf.class_weight_, expected, rtol=1e-6)
    clf = CNNClassifier(**TINY, class_weight={0: 1.0, 1: 5.0}).fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, [1.0, 5.0])
    assert CNNClassifier(**TINY).fit(X, y).class_weight_ is None
    # class weights are sample weights of each sample's class
    by_class = CNNClassifier(**TINY, class_weight={0: 1.0, 1: 5.0}).fit(X, y)
    by_sample = CNNClassifier(**TINY).fit(X, y, sample_weight=np.where(y == 1, 5.0, 1.0))
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))


# ----------------------------------------------------------------- regression
@pytest.mark.parametrize("n_targets", [None, 1, 3])
def test_regressor_target_shapes(n_targets):
    X, _ = make_images(shape=(1, 32))
    base = X.mean(axis=(1, 2))
    y = base if n_targets is None else np.tile(base[:, None], (1, n_targets))
    reg = CNNRegressor(**{**TINY, "max_epochs": 30, "lr": 1e-2}).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == y.shape
    assert pred.dtype == np.float64
    assert reg.n_outputs_ == (1 if n_targets is None else n_targets)
    losses = reg.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert not hasattr(reg, "predict_proba")


# ----------------------------------------------------------- reproducibility
def test_same_seed_same_predictions_other_seed_other_model():
    X, y = make_images()
    params = dict(TINY, dropout=0.3)
    a = CNNClassifier(**params).fit(X, y).predict_proba(X)
    b = CNNClassifier(**params).fit(X, y).predict_proba(X)
    c = CNNClassifier(**{**params, "random_state": 1}).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_global_torch_rng_untouched():
    X, y = make_images()
    before = torch.random.get_rng_state()
    CNNClassifier(**TINY).fit(X, y)
    assert torch.equal(before, torch.random.get_rng_state())


def test_refit_is_reproducible_and_clone_is_unfitted(fitted_clf):
    clf, X, labels = fitted_clf
    twin = clone(clf)
    assert not hasattr(twin, "module_") and not twin.initialized_
    assert twin.get_params()["n_filters"] == clf.n_filters
    np.testing.assert_array_equal(
        twin.fit(X, labels).predict_proba(X), clf.predict_proba(X)
    )


def test_early_stopping_split_is_seeded():
    X, y = make_images()
    params = dict(TINY, early_stopping=True, max_epochs=6)
    a = CNNClassifier(**params).fit(X, y).predict_proba(X)
    b = CNNClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------ early stopping
def test_no_validation_split_by_default():
    X, y = make_images()
    clf = CNNClassifier(**TINY).fit(X, y)
    assert clf.history[-1, "train_batch_count"] == 1  # all 60 rows, batch 64
    assert "valid_loss" not in clf.history[-1]
    assert "early_stopping" not in dict(clf.callbacks_)


def test_early_stopping_stops_and_restores_best():
    X, _ = make_images()
    y = np.random.default_rng(1).permutation(np.arange(len(X)) % 3)  # nothing to learn
    clf = CNNClassifier(**{**TINY, "max_epochs": 200, "lr": 0.05},
                        early_stopping=True, validation_fraction=0.2,
                        n_iter_no_change=3)
    clf.fit(X, y)
    history = clf.history
    assert len(history) < 200
    assert sum(history[-1, "batches"][i]["valid_batch_size"]
               for i in range(len(history[-1, "batches"]))
               if "valid_batch_size" in history[-1, "batches"][i]) == 12
    callback = dict(clf.callbacks_)["early_stopping"]
    assert callback.load_best and callback.patience == 3
    best = int(np.argmin(history[:, "valid_loss"]))
    assert len(history) - 1 - best == 3  # stopped 3 epochs after the best
    # the restored weights give the best epoch's validation loss
    assert history[best, "valid_loss"] == min(history[:, "valid_loss"])
    assert callback.best_epoch_ == best + 1


# ------------------------------------------------------------------- skorch
def test_skorch_prefixes_and_callbacks():
    X, y = make_images()
    clf = CNNClassifier(
        **{**TINY, "hidden_units": (5,)},
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
        callbacks=[("lr", LRScheduler(policy="StepLR", step_size=1, gamma=0.5)),
                   ("train_acc", EpochScoring("accuracy", on_train=True,
                                              name="train_acc"))],
    ).fit(X, y)
    assert isinstance(clf.optimizer_, torch.optim.SGD)
    assert clf.optimizer_.param_groups[0]["momentum"] == 0.9
    assert clf.module_.head[0].out_features == 5
    assert "train_acc" in clf.history[-1]
    # the user's scheduler replaces the default lr_schedule ('flat_cos') alone
    assert clf.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5**4)
    assert "lr_schedule" not in dict(clf.callbacks_)
    assert "callbacks__lr__gamma" in clf.get_params()
    assert "lr_schedule" in dict(CNNClassifier(**TINY).fit(X, y).callbacks_)


def test_user_checkpoint_and_early_stopping_callbacks(tmp_path, capsys):
    X, y = make_images()
    clf = CNNClassifier(**{**TINY, "max_epochs": 50}, callbacks=[
        Checkpoint(monitor="train_loss_best", dirname=str(tmp_path)),
        EarlyStopping(monitor="train_loss", patience=2, threshold=0.5),
    ]).fit(X, y)
    assert len(clf.history) < 50
    assert (tmp_path / "params.pt").exists()
    assert capsys.readouterr().out == ""  # verbose=0 prints nothing


def test_set_params_reinitializes(fitted_clf):
    clf, X, labels = fitted_clf
    clf = clone(clf).fit(X, labels)
    with pytest.raises(ValueError, match="module__hidden_units would override"):
        clf.set_params(module__hidden_units=(3,))
    clf = clone(fitted_clf[0]).set_params(hidden_units=(3,)).fit(X, labels)
    assert clf.module_.head[0].out_features == 3
    clf.set_params(kernel_size=5).fit(X, labels)
    # the first layer is the input norm ('bin' by default); then the convolution
    conv = next(m for m in clf.module_.features if isinstance(m, torch.nn.Conv2d))
    assert conv.kernel_size == (5, 5)
    assert clf.get_params()["kernel_size"] == 5


def test_partial_fit_continues():
    X, y = make_images()
    clf = CNNClassifier(**TINY).partial_fit(X, y)
    weights = clf.module_.head[-1].weight.detach().clone()
    clf.partial_fit(X, y)
    assert len(clf.history) == 2 * TINY["max_epochs"]
    assert not torch.equal(weights, clf.module_.head[-1].weight)
    with pytest.raises(ValueError, match="not in the fitted classes_"):
        clf.partial_fit(X, y + 10)


def test_device_defaults_to_the_cpu(fitted_clf):
    clf, _, _ = fitted_clf
    assert clf.device == "cpu" and clf.get_params()["device"] == "cpu"
    assert next(clf.module_.parameters()).device.type == "cpu"


def test_pickle_and_joblib_round_trips(fitted_clf, tmp_path):
    clf, X, _ = fitted_clf
    expected = clf.predict_proba(X)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), expected)
    joblib.dump(clf, tmp_path / "clf.joblib")
    again = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(again.predict_proba(X), expected)
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))


def test_fit_writes_no_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = make_images()
    CNNClassifier(**TINY, early_stopping=True).fit(X, y)
    CNNRegressor(**TINY).fit(X, y.astype(float))
    assert os.listdir(tmp_path) == []


@pytest.mark.gpu
def test_gpu_model_loads_on_cpu(monkeypatch):
    X, y = make_images()
    clf = CNNClassifier(**TINY, device="cuda").fit(X, y)
    expected = clf.predict_proba(X)
    buffer = io.BytesIO()
    pickle.dump(clf, buffer)
    buffer.seek(0)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="no CUDA devices"):
        again = pickle.load(buffer)
    assert next(again.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(again.predict_proba(X), expected, atol=1e-5)


# ---------------------------------------------------------------- grid search
def test_grid_search_same_scores_with_one_and_two_jobs():
    """n_jobs=1 and n_jobs=2 give identical scores with default parameters.

    oneDNN's convolution gradients round differently with different numbers
    of threads; the default n_threads=1 gives every fit the same count.
    """
    X, y = make_images(n=48, n_classes=2)
    X_cp = X.copy()
    pipe = Pipeline([("scale", FunctionTransformer(np.negative)),
                     ("cnn", CNNClassifier(**TINY))])
    grid = {"cnn__kernel_size": [3, 5], "cnn__pooling": ["max", "avg"],
            "cnn__dropout": [0.0, 0.3], "cnn__lr": [1e-3, 1e-2]}
    sequential = GridSearchCV(pipe, grid, cv=2, n_jobs=1).fit(X, y)
    parallel = GridSearchCV(pipe, grid, cv=2, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(sequential.cv_results_["mean_test_score"],
                                  parallel.cv_results_["mean_test_score"])
    assert len(parallel.cv_results_["mean_test_score"]) == 16
    np.testing.assert_array_equal(X, X_cp)


def test_skorch_scoring_callbacks_see_encoded_labels():
    """EpochScoring('accuracy') on string labels scores encoded predictions."""
    X, y = make_images()
    labels = np.array(["a", "b", "c"])[y]
    # augmentation is tested in test_augment.py; here the point is that the
    # scorer sees encoded labels (on_train it reuses the training batches'
    # predictions, which augment='auto' would mix up)
    clf = CNNClassifier(**{**TINY, "max_epochs": 20, "lr": 1e-2}, augment=None, callbacks=[
        ("train_acc", EpochScoring("accuracy", on_train=True, name="train_acc"))
    ]).fit(X, labels)
    assert clf.history[-1, "train_acc"] > 0.8


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "change, match",
    [(lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X), y),
      "NaN"),
     (lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X), y),
      "infinity"),
     (lambda X, y: (X[:-1], y), "inconsistent numbers of samples"),
     (lambda X, y: (X, np.zeros_like(y)), "y has 1 class"),
     (lambda X, y: (X[..., None], y), "X has 5 dimensions"),
     (lambda X, y: (X[:, 0, 0, 0], y), "Expected 2D array, got 1D array")],
)
def test_bad_input(change, match):
    X, y = change(*make_images())
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**TINY).fit(X, y)


def test_nan_in_regression_target():
    X, _ = make_images()
    y = np.ones(len(X))
    y[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CNNRegressor(**TINY).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [(dict(pooling="min"), "'pooling' parameter of CNNClassifier must be"),
     (dict(activation="swish"), "'activation' parameter of CNNClassifier"),
     (dict(dropout=-0.1), "'dropout' parameter of CNNClassifier must be a float"),
     (dict(lr=0.0), "'lr' parameter of CNNClassifier must be a float in the range"),
     (dict(lr=-1.0), "'lr' parameter"),
     (dict(n_filters=(8, 0)), r"n_filters=\(8, 0\) must be a non-empty tuple of ints >= 1"),
     (dict(validation_fraction=1.0), "'validation_fraction' parameter"),
     (dict(kernel_size=(3, 3, 3)), "kernel_size=.* tuple of 2 ints"),
     (dict(early_stopping=True, train_split=lambda ds, y: (ds, None)),
      "early_stopping=True takes its own validation split")],
)
def test_bad_parameters(params, match):
    X, y = make_images()
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**{**TINY, **params}).fit(X, y)


def test_too_small_input_is_a_clear_error():
    X, y = make_images(shape=(1, 4, 4))
    with pytest.raises(ValueError, match="too small: convolution block 1"):
        CNNClassifier(**{**TINY, "n_filters": (4, 4)}, kernel_size=3,
                      padding="valid", pooling=None).fit(X, y)


def test_predict_checks_shape_and_fitted(fitted_clf):
    clf, X, labels = fitted_clf
    # the flattening head takes the fitted shape only
    flat = clone(clf).set_params(global_pool=None).fit(X, labels)
    with pytest.raises(ValueError, match=r"samples of shape \(1, 8, 9\)"):
        flat.predict(np.zeros((2, 1, 8, 9), dtype=np.float32))
    # the default network pools globally (any number of frames), but its
    # per-bin input norm fixes the number of bins
    assert clf.predict(np.zeros((2, 1, 8, 9), dtype=np.float32)).shape == (2,)
    with pytest.raises(ValueError, match=r"samples of shape \(1, 9, 8\)"):
        clf.predict(np.zeros((2, 1, 9, 8), dtype=np.float32))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CNNClassifier().predict(X)


def test_nan_loss_stops_training():
    X, _ = make_images()
    y = np.full(len(X), 1e30)
    with pytest.raises(ValueError, match="The training loss became (inf|nan)"):
        CNNRegressor(**TINY).fit(X, y)


# ------------------------------------------------------ tensor-slice batches
def test_tensor_batches_are_seeded_shuffled_slices():
    X = torch.arange(10.0).reshape(10, 1)
    y = torch.arange(10)
    data = TensorDataset(X, y)
    it = TensorBatchIterator(data, batch_size=4, shuffle=True, seed=0)
    assert len(it) == 3
    epoch1, epoch2 = list(it), list(it)
    assert [len(xb) for xb, _ in epoch1] == [4, 4, 2]
    rows1 = torch.cat([yb for _, yb in epoch1])
    rows2 = torch.cat([yb for _, yb in epoch2])
    assert sorted(rows1.tolist()) == list(range(10))
    assert not torch.equal(rows1, rows2)  # a new permutation every epoch
    for xb, yb in epoch1:
        assert torch.equal(xb[:, 0].long(), yb)  # X and y stay aligned
    again = TensorBatchIterator(data, batch_size=4, shuffle=True, seed=0)
    assert torch.equal(torch.cat([yb for _, yb in again]), rows1)
    ordered = TensorBatchIterator(data, batch_size=4, drop_last=True)
    assert torch.equal(torch.cat([yb for _, yb in ordered]), torch.arange(8))


def test_tensor_dataset_checks_lengths():
    with pytest.raises(ValueError, match="different lengths: 3 and 2"):
        TensorDataset(torch.zeros(3, 1), torch.zeros(2))


# ------------------------------------------------------------- real recordings
@pytest.mark.slow
def test_fsdd_default_pipeline_accuracy(fsdd_dir):
    """The issue's target: the default pipeline reaches >= 97% on FSDD."""
    from sklearn.metrics import accuracy_score

    from skcnn import MFCCTransformer
    from skcnn.datasets import load_fsdd

    fsdd = load_fsdd(fsdd_dir)
    train, test = fsdd.split == "train", fsdd.split == "test"
    X_train = [clip for clip, keep in zip(fsdd.data, train) if keep]
    X_test = [clip for clip, keep in zip(fsdd.data, test) if keep]
    pipe = Pipeline([("features", MFCCTransformer(sr=8000, duration=1.0)),
                     ("cnn", CNNClassifier(random_state=0))])
    pipe.fit(X_train, fsdd.target[train])
    assert pipe["cnn"].input_shape_ == (1, 13, 16)
    assert accuracy_score(fsdd.target[test], pipe.predict(X_test)) >= 0.97


def _fit_scheduled(lr_schedule, max_epochs):
    """A tiny classifier fitted at lr 0.01 with the schedule (None: the default), and its data."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 1, 8, 8)).astype(np.float32)
    y = np.repeat([0, 1], 20)
    schedule = {} if lr_schedule is None else {"lr_schedule": lr_schedule}
    clf = CNNClassifier(n_filters=(4,), hidden_units=(8,), lr=0.01, max_epochs=max_epochs,
                        random_state=0, **schedule).fit(X, y)
    return clf, X, y


def test_cosine_lr_schedule_restarts_in_every_training_call():
    import math
    import pickle

    clf, X, y = _fit_scheduled("cosine", max_epochs=4)
    expected = [0.01 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]
    np.testing.assert_allclose(clf.history[:, "event_lr"], expected)
    assert clf.optimizer_.param_groups[0]["lr"] < 0.002  # it really lowered the rate
    pickle.loads(pickle.dumps(clf)).partial_fit(X, y)  # the schedule pickles
    clf.partial_fit(X, y)
    np.testing.assert_allclose(clf.history[:, "event_lr"], expected * 2)
    constant = CNNClassifier(n_filters=(4,), max_epochs=2, lr_schedule="constant",
                             random_state=0).fit(X, y)
    assert "event_lr" not in constant.history[-1]
    with pytest.raises(ValueError, match="'lr_schedule' parameter of CNNClassifier must be"):
        CNNClassifier(lr_schedule="step").fit(X, y)


def test_flat_cos_keeps_the_rate_for_70_percent_of_the_epochs_then_anneals():
    import math

    clf, X, y = _fit_scheduled("flat_cos", max_epochs=10)
    annealed = [0.01 * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)]
    np.testing.assert_allclose(clf.history[:, "event_lr"], [0.01] * 7 + annealed)
    clf.partial_fit(X, y)  # each training call runs its own schedule
    np.testing.assert_allclose(clf.history[-10:, "event_lr"], [0.01] * 7 + annealed)
    assert np.mean(clf.history[-10:, "event_lr"]) > 0.8 * 0.01  # 'cosine' averages 0.5


def test_the_classifiers_anneal_by_default_and_the_regressors_keep_the_rate():
    from skcnn import CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor

    clf, X, y = _fit_scheduled(None, max_epochs=10)
    assert clf.lr_schedule == "flat_cos"
    assert clf.history[6, "event_lr"] == 0.01 and clf.history[-1, "event_lr"] < 0.003
    assert "flat_cos" in CNNClassifier.__doc__.split("lr_schedule :")[1].split("\n")[0]
    assert CNNFrameClassifier().lr_schedule == "flat_cos"
    for other in (CNNRegressor, CNNFrameRegressor, CNNMaskRegressor):
        assert other().lr_schedule == "constant", other.__name__
    reg = CNNRegressor(n_filters=(4,), hidden_units=(8,), max_epochs=2,
                       random_state=0).fit(X, y.astype(np.float32))
    assert "event_lr" not in reg.history[-1]
    assert "default='constant'" in CNNRegressor.__doc__.split("lr_schedule :")[1].split("\n")[0]


@pytest.mark.parametrize("callbacks, expected", [
    (None, False), ("disable", False), ([EpochScoring("accuracy")], False),
    ([LRScheduler(policy="StepLR", step_size=1)], True),
    ([("lr", LRScheduler(policy="StepLR", step_size=1))], True),
    ([LRScheduler], True),
    ([("restarts", LRScheduler(policy="WarmRestartLR"))], True),
])
def test_a_scheduler_among_the_users_callbacks_is_recognised(callbacks, expected):
    from skcnn.estimators._callbacks import sets_the_rate

    assert sets_the_rate(callbacks) is expected


class _ShapedModule(torch.nn.Module):
    """A network of one's own that takes the inferred shape and outputs."""

    def __init__(self, input_shape, n_outputs, width=4):
        super().__init__()
        self.input_shape, self.n_outputs = input_shape, n_outputs
        self.net = torch.nn.Sequential(torch.nn.Flatten(),
                                       torch.nn.Linear(int(np.prod(input_shape)), width),
                                       torch.nn.ReLU(), torch.nn.Linear(width, n_outputs))

    def forward(self, X):
        return self.net(X)


def test_module_class_receives_the_inferred_shape_and_outputs():
    X, y = make_images()
    clf = CNNClassifier(module=_ShapedModule, module__width=3, max_epochs=1,
                        random_state=0).fit(X, y)
    assert clf.module_.input_shape == clf.input_shape_
    assert clf.module_.n_outputs == len(clf.classes_)
    assert clf.module_.net[1].out_features == 3
    # a module__ parameter of the same name wins over the inferred one
    net = CNNClassifier(module=_ShapedModule, module__n_outputs=7).build_module((1, 4, 4), 2)
    assert net.n_outputs == 7

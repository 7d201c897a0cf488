"""The estimators off the happy path: clear errors, and nothing changed by a failed call.

Each test reproduces one fault found by trying the estimators as a careful
user would, and asserts the clear error or the right result.
"""

import io
import re
import threading

import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from skorch.callbacks import Callback
from skorch.dataset import Dataset as SkorchDataset

from skcnn.modules._layers import BatchNorm1d, BatchNorm2d
from skcnn import (
    CNNClassifier, CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor, CNNRegressor,
)

TINY = dict(n_filters=(4,), hidden_units=(8,), max_epochs=3, random_state=0)


def make_images(n=60, n_classes=3, shape=(1, 8, 8), seed=0):
    """Noise images whose mean level tells the class."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(size=(n, *shape)).astype(np.float32) + 2 * y.reshape((-1,) + (1,) * len(shape))
    return X, y


class InterruptAt(Callback):
    """Raise KeyboardInterrupt at a batch, as Ctrl-C or user code would."""

    def __init__(self, batch=2):
        self.batch = batch

    def initialize(self):
        self.seen_ = 0
        return self

    def on_batch_end(self, net, **kwargs):
        self.seen_ += 1
        if self.seen_ == self.batch:
            raise KeyboardInterrupt


class InterruptingModule(torch.nn.Module):
    """A network whose forward pass is interrupted on its third call."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(64, 3)
        self.calls = 0

    def forward(self, X):
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt
        return self.linear(X.flatten(1))


class BrokenOptimizer(torch.optim.Adam):
    """An optimizer that refuses to be built (skorch builds it last)."""

    def __init__(self, *args, **kwargs):
        raise TypeError("broken optimizer")


# ---------------------------------------------------------------- interrupts
def test_keyboard_interrupt_propagates_out_of_fit_and_partial_fit():
    X, y = make_images()
    clf = CNNClassifier(**TINY, batch_size=16, callbacks=[("stop", InterruptAt(2))])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    # documented: it holds the network as the interrupt found it, and predicts
    assert len(clf.history) == 1 and clf.predict(X).shape == (60,)
    with pytest.raises(KeyboardInterrupt):
        CNNClassifier(**TINY, batch_size=16, callbacks=[("stop", InterruptAt(2))]).partial_fit(X, y)
    with pytest.raises(KeyboardInterrupt):
        CNNClassifier(**TINY, module=InterruptingModule).fit(X, y)


def test_keyboard_interrupt_stops_a_search():
    X, y = make_images()
    clf = CNNClassifier(**TINY, batch_size=16, callbacks=[("stop", InterruptAt(2))])
    search = GridSearchCV(clf, {"lr": [1e-3, 1e-2]}, cv=2, error_score=np.nan)
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    assert not hasattr(search, "best_estimator_")


def test_early_stopping_still_stops_training():
    X, _ = make_images()
    y = np.random.default_rng(1).permutation(np.arange(len(X)) % 3)  # nothing to learn
    clf = CNNClassifier(**{**TINY, "max_epochs": 100, "lr": 0.05}, early_stopping=True,
                        n_iter_no_change=2).fit(X, y)
    assert len(clf.history) < 100
    from skorch.callbacks import EarlyStopping

    user = CNNClassifier(**{**TINY, "max_epochs": 100}, callbacks=[
        EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)]).fit(X, y)
    assert len(user.history) == 2


# ---------------------------------------------------------------- classes
def test_classes_in_any_order_are_sorted_and_deduplicated():
    X, y = make_images()
    reference = CNNClassifier(**TINY).fit(X, y)
    for classes in ([2, 1, 0], [0, 2, 2, 1]):
        clf = CNNClassifier(**TINY, classes=classes).fit(X, y)
        np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
        np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))
    clf = CNNClassifier(**{**TINY, "max_epochs": 20, "lr": 1e-2}, classes=[2, 1, 0]).fit(X, y)
    assert clf.score(X, y) > 0.9  # trained on the right labels


def test_classes_that_disagree_are_refused():
    X, y = make_images()
    with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes=\[0, 1\]"):
        CNNClassifier(**TINY, classes=[0, 1]).fit(X, y)
    with pytest.raises(ValueError, match="disagrees with the constructor's classes"):
        CNNClassifier(**TINY, classes=[0, 1, 2]).partial_fit(X, y, classes=[0, 1, 2, 3])
    clf = CNNClassifier(**TINY).partial_fit(X, y, classes=[0, 1, 2, 3])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] differ from the fitted"):
        clf.partial_fit(X, y, classes=[0, 1, 2])


# ------------------------------------------------------ warm start, changes
@pytest.fixture
def warm():
    X, y = make_images()
    clf = CNNClassifier(**TINY, warm_start=True).fit(X, y)
    return clf, X, y, clf.predict_proba(X)


def _unchanged(clf, X, proba):
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_warm_start_with_new_classes_is_refused_and_model_untouched(warm, method):
    clf, X, y, proba = warm
    with pytest.raises(ValueError, match=r"labels \[3\] that are not in the fitted classes_"):
        getattr(clf, method)(X, np.where(y == 0, 3, y))
    _unchanged(clf, X, proba)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("network, shape", [
    # the flattening head takes the fitted shape only
    (dict(global_pool=None), (1, 8, 9)),
    # the default one pools globally (any number of frames), but its per-bin
    # input norm fixes the number of bins
    ({}, (1, 9, 8)),
], ids=["flatten", "default"])
def test_warm_start_with_another_input_shape_is_refused(method, network, shape):
    X, y = make_images()
    clf = CNNClassifier(**TINY, **network, warm_start=True).fit(X, y)
    proba = clf.predict_proba(X)
    match = rf"samples of shape {re.escape(str(shape))}.*fitted model is unchanged"
    with pytest.raises(ValueError, match=match):
        getattr(clf, method)(np.zeros((60, *shape), np.float32), y)
    _unchanged(clf, X, proba)


def test_warm_start_with_fewer_classes_keeps_the_columns(warm):
    clf, X, y, _ = warm
    clf.fit(X[y < 2], y[y < 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (60, 3)


def test_warm_start_regressor_with_more_targets_is_refused():
    X, y = make_images()
    reg = CNNRegressor(**TINY, warm_start=True).fit(X, y.astype(float))
    before = reg.predict(X)
    with pytest.raises(ValueError, match="y has 2 targets but the model was fitted on 1"):
        reg.fit(X, np.c_[y, y].astype(float))
    np.testing.assert_array_equal(reg.predict(X), before)


def test_failed_validation_leaves_a_fitted_model_as_it_was():
    X, y = make_images()
    clf = CNNClassifier(**TINY).fit(X, y)
    proba, attrs = clf.predict_proba(X), dict(vars(clf))
    bad = [
        (lambda: clf.set_params(padding="valid").fit(np.zeros((60, 1, 2, 2), np.float32), y),
         "too small"),
        (lambda: clf.set_params(padding="same", kernel_size=(3, 0)).fit(X, y),
         "kernel_size=.*must be"),
        # skorch's set_params refuses optimizer= on a fitted net; set it as an attribute
        (lambda: (clf.set_params(kernel_size=3), setattr(clf, "optimizer", BrokenOptimizer),
                  clf.fit(X, y)), "broken optimizer"),
    ]
    for call, match in bad:
        with pytest.raises((ValueError, TypeError), match=match):
            call()
    assert clf.optimizer is BrokenOptimizer and clf.module_ is attrs["module_"]
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.module_ is attrs["module_"]


# ----------------------------------------------------------------- threads
def test_predict_from_threads_is_correct_and_changes_no_parameter():
    X, y = make_images()
    clf = CNNClassifier(**TINY).fit(X, y)
    expected, params = clf.predict_proba(X), clf.get_params(deep=False)
    threads_before = torch.get_num_threads()
    results, errors = [None] * 4, []

    def work(i):
        try:
            for _ in range(5):
                results[i] = clf.predict_proba(X)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    for result in results:
        np.testing.assert_array_equal(result, expected)
    assert clf.get_params(deep=False) == params
    assert torch.get_num_threads() == threads_before


# ------------------------------------------------------------- persistence
def test_saved_weights_load_into_a_fresh_estimator(tmp_path):
    X, y = make_images()
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = CNNClassifier(**TINY).fit(X, labels)
    path = tmp_path / "clf.pt"
    clf.save_weights(path)
    torch.load(path, weights_only=True)  # loadable without running code
    fresh = CNNClassifier(**TINY).load_weights(path)
    np.testing.assert_array_equal(fresh.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(fresh.predict(X), clf.predict(X))
    assert fresh.classes_.dtype == clf.classes_.dtype
    # into a model fitted on other labels: the file's labels win
    other = CNNClassifier(**TINY).fit(X, y)
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(X), clf.predict(X))
    # and training goes on from the loaded weights
    fresh.partial_fit(X, labels)


def test_saved_weights_refuse_another_network(tmp_path):
    X, y = make_images()
    buffer = io.BytesIO()
    CNNRegressor(**TINY).fit(X, y.astype(float)).save_weights(buffer)
    buffer.seek(0)
    with pytest.raises(ValueError, match=r"hidden_units=\[16\] \(saved: \[8\]\)"):
        CNNRegressor(**{**TINY, "hidden_units": (16,)}).load_weights(buffer)
    buffer.seek(0)
    with pytest.raises(ValueError, match="load them into a CNNRegressor"):
        CNNClassifier(**TINY).load_weights(buffer)
    with pytest.raises(ValueError, match="not a weights file"):
        CNNClassifier(**TINY).load_weights(io.BytesIO(b"not a torch file"))


# ----------------------------------------------------------- sample weights
def test_sample_weight_weights_the_loss():
    X, y = make_images()
    flipped = np.where(np.arange(60) < 30, y, (y + 1) % 3)  # half the labels wrong
    weight = (np.arange(60) < 30).astype(float)  # ... and weighted zero
    clf = CNNClassifier(**{**TINY, "max_epochs": 20, "lr": 1e-2}).fit(X, flipped, sample_weight=weight)
    assert clf.score(X, y) > 0.9
    plain = CNNClassifier(**TINY).fit(X, y)
    ones = CNNClassifier(**TINY).fit(X, y, sample_weight=np.ones(60))
    np.testing.assert_array_equal(plain.predict_proba(X), ones.predict_proba(X))
    reg = CNNRegressor(**TINY).fit(X, y.astype(float), sample_weight=weight)
    assert reg.predict(X).shape == (60,)


@pytest.mark.parametrize("weight, match", [
    (np.ones(5), r"sample_weight has shape \(5,\); expected \(60,\)"),
    (-np.ones(60), "negative"),
    (np.zeros(60), "sums to zero"),
    (np.r_[np.nan, np.ones(59)], "NaN"),
])
def test_bad_sample_weight(weight, match):
    X, y = make_images()
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**TINY).fit(X, y, sample_weight=weight)


def test_sample_weight_through_pipelines_searches_and_routing():
    X, y = make_images()
    weight = np.linspace(0.5, 1.5, 60)
    pipe = Pipeline([("id", FunctionTransformer()), ("cnn", CNNClassifier(**TINY))])
    direct = CNNClassifier(**TINY).fit(X, y, sample_weight=weight)
    pipe.fit(X, y, cnn__sample_weight=weight)
    np.testing.assert_array_equal(pipe.predict_proba(X), direct.predict_proba(X))
    GridSearchCV(pipe, {"cnn__lr": [1e-3, 1e-2]}, cv=2).fit(X, y, cnn__sample_weight=weight)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = Pipeline([("id", FunctionTransformer()),
                           ("cnn", CNNClassifier(**TINY).set_fit_request(sample_weight=True))])
        routed.fit(X, y, sample_weight=weight)
        np.testing.assert_array_equal(routed.predict_proba(X), direct.predict_proba(X))


# ----------------------------------------------------------------- params
def test_numpy_scalars_are_accepted_everywhere():
    X, y = make_images()
    clf = CNNClassifier(n_filters=(np.int64(4),), hidden_units=(np.int32(8),),
                        kernel_size=np.int64(3), pool_size=np.int64(2), lr=np.float32(1e-3),
                        max_epochs=np.int64(2), batch_size=np.int64(16), dropout=np.float64(0.1),
                        random_state=np.int64(0)).fit(X, y)
    # the first layer is the input norm ('bin' by default); then the convolution
    conv = next(m for m in clf.module_.features if isinstance(m, torch.nn.Conv2d))
    assert conv.kernel_size == (3, 3)
    search = GridSearchCV(CNNClassifier(**TINY), {"kernel_size": np.arange(2, 4)}, cv=2)
    assert search.fit(X, y).best_params_["kernel_size"] in (2, 3)


@pytest.mark.parametrize("params, match", [
    (dict(kernel_size=(3, 0)), r"kernel_size=\(3, 0\) must be an int >= 1 or a tuple"),
    (dict(stride=(1, -1)), r"stride=\(1, -1\) must be"),
    (dict(padding=(1, -1)), r"padding=\(1, -1\) must be an int >= 0"),
    (dict(hidden_units=()), r"hidden_units=\(\) must be a non-empty tuple"),
    (dict(device="cuda:7" if torch.cuda.is_available() else "cuda"),
     "device='cuda.*(no CUDA GPU is available|only)"),
    (dict(device="bogus"), "device='bogus' is not a torch device"),
    (dict(module__hidden_units=(3,)), "module__hidden_units would override .* hidden_units"),
    (dict(dataset=list), "dataset=<class 'list'> must be a torch Dataset class"),
    (dict(dataset=SkorchDataset), "needs a general iterator"),
    (dict(global_pool="sum"), "'global_pool' parameter of CNNClassifier"),
])
def test_bad_parameters_are_named(params, match):
    X, y = make_images()
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**{**TINY, **params}).fit(X, y)


def test_dataset_parameter_is_honoured():
    X, y = make_images()
    clf = CNNClassifier(**TINY, dataset=SkorchDataset,
                        iterator_train=torch.utils.data.DataLoader,
                        iterator_valid=torch.utils.data.DataLoader,
                        iterator_train__shuffle=True).fit(X, y)
    assert clf.predict(X).shape == (60,)


def test_network_built_without_fitting_matches_fit():
    X, y = make_images()
    clf = CNNClassifier(**TINY)
    built = clf.build_module((1, 8, 8), 3)
    assert not hasattr(clf, "module_")
    fitted = clf.fit(X, y).module_
    assert [p.shape for p in built.parameters()] == [p.shape for p in fitted.parameters()]


def test_get_params_lists_parameters_only():
    params = CNNClassifier().get_params()
    assert not [k for k in params if k.startswith("_")]
    assert params["n_threads"] == 1 and params["device"] == "cpu"
    assert clone(CNNClassifier(**TINY)).get_params(deep=False)["n_filters"] == (4,)


def _fit_data(cls):
    """Small training data of the kind ``cls`` takes."""
    rng = np.random.default_rng(0)
    if cls in (CNNClassifier, CNNRegressor):
        X, y = make_images(n=24)
        return X, (y if cls is CNNClassifier else y.astype(np.float32))
    X = rng.normal(size=(6, 1, 8, 10)).astype(np.float32)
    if cls is CNNMaskRegressor:
        return X, 1 / (1 + np.exp(-X[:, 0]))
    level = X[:, 0, :4].mean(axis=1)
    return X, (level > 0).astype(int) if cls is CNNFrameClassifier else level


@pytest.mark.parametrize("cls", [
    CNNClassifier, CNNRegressor, CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor])
def test_set_params_of_get_params_changes_no_parameter(cls):
    # skorch listed fresh instances of its own default callbacks, which
    # set_params then stored as new parameters (callbacks__print_log, ...)
    est = cls(n_filters=(4,), max_epochs=2, random_state=0, lr_schedule="flat_cos")
    for fitted in (False, True):
        deep, shallow = est.get_params(), est.get_params(deep=False)
        callbacks = list(getattr(est, "callbacks_", []))
        est.set_params(**deep)
        assert est.get_params().keys() == deep.keys()
        assert est.get_params(deep=False).keys() == shallow.keys()
        assert all(est.get_params()[k] is v for k, v in deep.items())
        assert list(getattr(est, "callbacks_", [])) == callbacks  # not rebuilt
        assert not [k for k in vars(est) if k.startswith("callbacks__")]
        if not fitted:
            est.fit(*_fit_data(cls))
    # the estimator's own callbacks are still built from its parameters
    built = dict(est.callbacks_)
    assert type(built["print_log"]).__name__ == "EpochLog" and "finite_loss" in built
    est.set_params(max_epochs=3).fit(*_fit_data(cls))
    assert dict(est.callbacks_)["lr_schedule"] is not built["lr_schedule"]
    assert len(est.history) == 3
    # a clone of it is an unfitted twin with the same parameters
    assert clone(est).get_params().keys() == cls(n_filters=(4,)).get_params().keys()


@pytest.mark.parametrize("norm, shape", [
    (BatchNorm1d, (3,)), (BatchNorm2d, (1, 1)), (BatchNorm1d, (1,))])
def test_batch_norm_is_torchs_except_on_one_value_per_channel(norm, shape):
    ours, torchs = norm(4), getattr(torch.nn, norm.__name__)(4)
    X = torch.randn(6, 4, *shape) * 3 + 1
    # a batch with several values per channel: torch's batch norm, bit for bit
    torch.testing.assert_close(ours(X), torchs(X), rtol=0, atol=0)
    torch.testing.assert_close(ours.running_var, torchs.running_var, rtol=0, atol=0)
    # one value per channel: normalised as at prediction, statistics unchanged
    one = X[:1, :, :1, :1] if len(shape) == 2 else X[:1, :, :1]
    stats = [ours.running_mean.clone(), ours.running_var.clone(), ours.num_batches_tracked.clone()]
    out = ours(one.requires_grad_())
    torch.testing.assert_close(out, torchs.eval()(one), rtol=0, atol=0)
    for before, after in zip(stats, [ours.running_mean, ours.running_var,
                                     ours.num_batches_tracked]):
        assert torch.equal(before, after)
    out.sum().backward()
    assert ours.weight.grad is not None and one.grad is not None


@pytest.mark.parametrize("params, shape", [
    ({"global_pool": None}, (1, 4, 1)),  # the per-bin input norm: clips of one frame
    ({"global_pool": "avgmax"}, (1, 4, 1)),
    ({"global_pool": None, "input_norm": None}, (1, 1, 1)),  # a block's norm on 1 x 1 maps
])
def test_a_last_clip_batch_of_one_value_per_channel_trains(params, shape):
    # a last batch of one clip whose maps hold one value per channel: torch's
    # batch norm refused it ("Expected more than 1 value per channel")
    X, y = make_images(n=17, shape=shape)
    clf = CNNClassifier(**TINY, **params, batch_size=8).fit(X, y)
    assert clf.predict(X).shape == (17,)
    reg = CNNRegressor(**TINY, **params, batch_size=8, weight_averaging=1.0)
    assert reg.fit(X, y.astype(np.float32)).predict(X).shape == (17,)


# ------------------------------------------------------------------ seeds
class FirstBatch(Callback):
    """Record the labels of every training call's first batch."""

    def initialize(self):
        self.batches_ = []
        return self

    def on_train_begin(self, net, **kwargs):
        self.first_ = True

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and self.first_:
            self.batches_.append(batch[1].tolist())
            self.first_ = False


def _partial_fits(random_state, calls=3):
    X, y = make_images()
    clf = CNNClassifier(**{**TINY, "max_epochs": 1, "random_state": random_state},
                        dropout=0.5, callbacks=[("first", FirstBatch())])
    for _ in range(calls):
        clf.partial_fit(X, y)
    return dict(clf.callbacks_)["first"].batches_, clf.predict_proba(X)


def test_consecutive_partial_fits_see_new_shuffles_and_reproduce():
    batches, proba = _partial_fits(0)
    assert batches[0] != batches[1] != batches[2]
    again, proba_again = _partial_fits(0)
    assert again == batches
    np.testing.assert_array_equal(proba_again, proba)
    other, _ = _partial_fits(1)
    assert other != batches


# ---------------------------------------------------------------- progress
def test_verbose_prints_plain_epoch_lines(capsys):
    X, y = make_images()
    CNNClassifier(**TINY, verbose=1, early_stopping=True).fit(X, y)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].split()[:2] == ["epoch", "train_loss"]
    assert len(lines) == 2 + TINY["max_epochs"]
    assert "\x1b[" not in out  # no colour codes when not on a terminal


# ------------------------------------------------------- failed training calls
class PoisonedMSE(torch.nn.MSELoss):
    """MSE that turns NaN once ``PoisonedMSE.poisoned`` is set (class-wide,
    so that a test can poison a fitted estimator's criterion)."""

    poisoned = False

    def forward(self, y_pred, y_true):
        loss = super().forward(y_pred, y_true)
        return loss * float("nan") if PoisonedMSE.poisoned else loss


@pytest.fixture
def poison():
    PoisonedMSE.poisoned = False
    yield
    PoisonedMSE.poisoned = False


def _training_snapshot(est):
    return dict(
        weights={k: v.clone() for k, v in est.module_.state_dict().items()},
        optimizer=repr(est.optimizer_.state_dict()),
        history=est.history.to_list(),
        calls=est._n_training_calls,
    )


def _assert_same_training_state(est, snapshot):
    for key, value in est.module_.state_dict().items():
        assert torch.equal(value, snapshot["weights"][key]), key
    assert repr(est.optimizer_.state_dict()) == snapshot["optimizer"]
    assert est.history.to_list() == snapshot["history"]
    assert est._n_training_calls == snapshot["calls"]


@pytest.mark.parametrize("method", ["partial_fit", "warm_fit", "refit"])
def test_a_non_finite_loss_leaves_a_fitted_estimator_as_it_was(poison, method):
    X, y = make_images(n=40)
    y = y.astype(np.float32)
    params = dict(**TINY, batch_size=16, criterion=PoisonedMSE, weight_averaging=0.5)
    reg = CNNRegressor(**params).fit(X, y)
    twin = CNNRegressor(**params).fit(X, y)
    snapshot, attrs = _training_snapshot(reg), dict(vars(reg))
    PoisonedMSE.poisoned = True
    with pytest.raises(ValueError, match="The training loss became nan"):
        if method == "partial_fit":
            reg.partial_fit(X, y)
        else:
            reg.set_params(warm_start=method == "warm_fit").fit(X, y)
    PoisonedMSE.poisoned = False
    reg.set_params(warm_start=False)
    _assert_same_training_state(reg, snapshot)
    assert vars(reg).keys() == attrs.keys()
    assert all(vars(reg)[k] is v for k, v in attrs.items())  # same objects, contents restored
    # the next call continues as if the failed one had never run
    np.testing.assert_array_equal(reg.partial_fit(X, y).predict(X),
                                  twin.partial_fit(X, y).predict(X))


def test_a_non_finite_loss_in_a_first_fit_leaves_the_estimator_unfitted(poison):
    X, y = make_images(n=40)
    reg = CNNRegressor(**TINY, criterion=PoisonedMSE)
    attrs = dict(vars(reg))
    PoisonedMSE.poisoned = True
    for call in (reg.fit, reg.partial_fit):
        with pytest.raises(ValueError, match="The training loss became nan"):
            call(X, y.astype(np.float32))
        assert vars(reg) == attrs
        with pytest.raises(sklearn.exceptions.NotFittedError):
            reg.predict(X)

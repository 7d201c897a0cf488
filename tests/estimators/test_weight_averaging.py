"""``weight_averaging``: the mean of the last epochs' weights, batch norms refreshed."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.callbacks import Callback

from skcnn import (
    CNNClassifier, CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor, CNNRegressor,
)
from skcnn.estimators._base import AUTO_WEIGHT_AVERAGING
from skcnn.estimators._callbacks import WeightAveraging
from skcnn.augment import Augmentation, Compose, Mixup, SpecAugment

TINY = dict(n_filters=(4,), hidden_units=(8,), max_epochs=5, batch_size=32, random_state=0)


def make_images(n=96, n_classes=3, shape=(1, 8, 8), seed=0):
    """Noise images whose mean level tells the class; bins on scales of their own."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(size=(n, *shape)).astype(np.float32) + 2 * y.reshape((-1,) + (1,) * len(shape))
    X *= np.arange(1, shape[1] + 1).reshape(1, 1, -1, 1)
    return X.astype(np.float32), y


class EpochWeights(Callback):
    """Record a copy of the network's parameters after every epoch."""

    def initialize(self):
        self.weights_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.weights_.append([p.detach().clone() for p in net.module_.parameters()])


class InterruptAtEpoch(Callback):
    """Raise KeyboardInterrupt at the end of an epoch, as Ctrl-C would."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_the_network_gets_the_mean_of_the_last_epochs_weights():
    X, y = make_images()
    clf = CNNClassifier(**TINY, weight_averaging=0.4, callbacks=[("record", EpochWeights())])
    clf.fit(X, y)
    recorded = dict(clf.callbacks_)["record"].weights_
    assert len(recorded) == 5
    # 0.4 of 5 epochs: the last two
    for param, last, before in zip(clf.module_.parameters(), recorded[-1], recorded[-2]):
        np.testing.assert_allclose(param.detach(), (last + before) / 2, rtol=1e-5, atol=1e-6)
    # and it is not just the last epoch's
    assert any(not torch.equal(p.detach(), last)
               for p, last in zip(clf.module_.parameters(), recorded[-1]))


class AddTen(Augmentation):
    """A deterministic augmentation: every input value plus 10."""

    def __call__(self, X, y=None, sample_weight=None, *, generator=None):
        return X + 10, y, sample_weight


def test_batch_norm_statistics_are_recomputed_on_the_training_inputs():
    X, y = make_images()  # 96 clips in batches of 32: equal batches
    clf = CNNClassifier(**TINY, weight_averaging=0.4, augment=None).fit(X, y)
    norm = clf.module_.features[0]  # the input batch norm, per (channel, bin)
    # update_bn's cumulative mean over equal batches is the mean over all
    # training clips and frames (a momentum of 0.1 would weigh the last batches)
    np.testing.assert_allclose(norm.running_mean, X.mean(axis=(0, 3)).ravel(), rtol=1e-4)
    assert norm.momentum == 0.1  # restored after the pass
    without = CNNClassifier(**TINY, weight_averaging=0, augment=None).fit(X, y)
    assert not np.allclose(without.module_.features[0].running_mean,
                           X.mean(axis=(0, 3)).ravel(), rtol=1e-2)


def test_batch_norm_statistics_are_those_of_the_augmented_training_batches():
    # the weights were trained on augmented batches: so are the statistics
    X, y = make_images()
    clf = CNNClassifier(**TINY, weight_averaging=0.4, augment=AddTen()).fit(X, y)
    np.testing.assert_allclose(clf.module_.features[0].running_mean,
                               X.mean(axis=(0, 3)).ravel() + 10, rtol=1e-4)


def test_predictions_are_the_averaged_networks_forward_pass():
    X, y = make_images()
    clf = CNNClassifier(**TINY, weight_averaging=0.4).fit(X, y)
    module = clf.module_.eval()
    with torch.no_grad():
        expected = module(torch.as_tensor(X)).softmax(dim=1).numpy()
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-5, atol=1e-6)


def test_the_classifier_averages_its_last_30_percent_by_default():
    X, y = make_images()
    clf = CNNClassifier(**TINY).fit(X, y)
    assert clf.weight_averaging == "auto"
    # 'auto' is AUTO_WEIGHT_AVERAGING (0.3) for the classifier: 2 of 5 epochs
    assert dict(clf.callbacks_)["weight_averaging"].n_averaged_ == max(
        1, round(AUTO_WEIGHT_AVERAGING * 5))
    explicit = CNNClassifier(**TINY, weight_averaging=AUTO_WEIGHT_AVERAGING).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), explicit.predict_proba(X))


def test_auto_gives_way_to_early_stopping_without_an_error():
    X, y = make_images()
    clf = CNNClassifier(**TINY, early_stopping=True).fit(X, y)
    assert "weight_averaging" not in dict(clf.callbacks_)
    assert "early_stopping" in dict(clf.callbacks_)


@pytest.mark.parametrize("Estimator", [CNNRegressor, CNNFrameClassifier, CNNFrameRegressor,
                                       CNNMaskRegressor])
def test_auto_averages_nothing_for_the_other_estimators(Estimator):
    # their benchmarks were measured without averaging
    est = Estimator(n_filters=(4,), max_epochs=2)
    assert est.weight_averaging == "auto"
    assert est._weight_averaging_share() == 0.0
    assert "weight_averaging" not in dict(est.get_default_callbacks())


def test_no_averaging_at_0_and_at_least_one_epoch_when_on():
    X, y = make_images()
    assert "weight_averaging" not in dict(
        CNNClassifier(**TINY, weight_averaging=0).fit(X, y).callbacks_)
    clf = CNNClassifier(**TINY, weight_averaging=0.01).fit(X, y)
    assert dict(clf.callbacks_)["weight_averaging"].n_averaged_ == 1
    # averaging one epoch keeps its weights (and refreshes the batch norms)
    plain = CNNClassifier(**TINY, weight_averaging=0).fit(X, y)
    for a, b in zip(clf.module_.parameters(), plain.module_.parameters()):
        torch.testing.assert_close(a, b)
    assert dict(CNNClassifier(**TINY, weight_averaging=1.0).fit(X, y).callbacks_)[
        "weight_averaging"].n_averaged_ == 5


@pytest.mark.parametrize("params, match", [
    (dict(weight_averaging=1.5), "'weight_averaging' parameter of CNNClassifier must be"),
    (dict(weight_averaging=-0.1), "'weight_averaging' parameter of CNNClassifier must be"),
    (dict(weight_averaging="mean"), r"must be a str among \{'auto'\}"),
    (dict(weight_averaging=0.3, early_stopping=True), "choose one"),
])
def test_bad_weight_averaging_is_a_clear_error_that_changes_nothing(params, match):
    X, y = make_images()
    clf = CNNClassifier(**TINY, **params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "module_")


def test_the_averaging_callback_checks_its_share():
    with pytest.raises(ValueError, match=r"share=1.5 must be in \(0, 1\]"):
        WeightAveraging(1.5).initialize()


def test_an_interrupted_call_keeps_its_last_weights_and_no_running_mean():
    X, y = make_images()
    clf = CNNClassifier(**TINY, weight_averaging=0.6,
                        callbacks=[("record", EpochWeights()), ("stop", InterruptAtEpoch(4))])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    last = dict(clf.callbacks_)["record"].weights_[-1]
    for param, weights in zip(clf.module_.parameters(), last):
        assert torch.equal(param.detach(), weights)
    assert dict(clf.callbacks_)["weight_averaging"].average_ is None


def test_every_training_call_averages_its_own_last_epochs_reproducibly():
    X, y = make_images()
    first = CNNClassifier(**TINY, weight_averaging=0.4, callbacks=[("record", EpochWeights())])
    first.fit(X, y).partial_fit(X, y)
    recorded = dict(first.callbacks_)["record"].weights_
    assert len(recorded) == 10  # recorded across calls (initialize runs once)
    for param, last, before in zip(first.module_.parameters(), recorded[-1], recorded[-2]):
        np.testing.assert_allclose(param.detach(), (last + before) / 2, rtol=1e-5, atol=1e-6)
    again = clone(first).fit(X, y).partial_fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))


@pytest.mark.parametrize("Estimator", [CNNRegressor, CNNFrameClassifier, CNNFrameRegressor,
                                       CNNMaskRegressor])
def test_every_estimator_averages(Estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 1, 8, 12)).astype(np.float32)
    y = {
        CNNRegressor: X.mean(axis=(1, 2, 3)),
        CNNFrameClassifier: (X[:, 0, 0] > 0).astype(int),
        CNNFrameRegressor: X[:, 0, 0],
        CNNMaskRegressor: (X[:, 0] > 0).astype(np.float32),
    }[Estimator]
    params = dict(n_filters=(4,), max_epochs=3, batch_size=16, random_state=0,
                  weight_averaging=0.5, callbacks=[("record", EpochWeights())])
    if Estimator is CNNRegressor:
        params["hidden_units"] = (8,)
    est = Estimator(**params).fit(X, y)
    recorded = dict(est.callbacks_)["record"].weights_
    for param, last, before in zip(est.module_.parameters(), recorded[-1], recorded[-2]):
        np.testing.assert_allclose(param.detach(), (last + before) / 2, rtol=1e-5, atol=1e-6)
    assert est.predict(X).shape == np.shape(y)


def test_set_params_between_training_calls_rebuilds_the_callbacks():
    X, y = make_images()
    clf = CNNClassifier(**TINY).fit(X, y)
    callbacks = dict(clf.callbacks_)
    clf.partial_fit(X, y)  # nothing changed: the same callbacks go on
    assert dict(clf.callbacks_)["weight_averaging"] is callbacks["weight_averaging"]
    clf.set_params(weight_averaging=0).partial_fit(X, y)
    assert "weight_averaging" not in dict(clf.callbacks_)
    clf.set_params(warm_start=True, weight_averaging=0.4).fit(X, y)
    assert dict(clf.callbacks_)["weight_averaging"].n_averaged_ == 2


def test_early_stopping_switched_off_between_calls():
    X, y = make_images()
    clf = CNNClassifier(**TINY, early_stopping=True, validation_fraction=0.25).fit(X, y)
    assert "weight_averaging" not in dict(clf.callbacks_)
    # skorch kept the early-stopping callbacks, which then found no valid_loss
    clf.set_params(early_stopping=False).partial_fit(X, y)
    assert "early_stopping" not in dict(clf.callbacks_)
    assert "weight_averaging" in dict(clf.callbacks_)  # 'auto' without early stopping


@pytest.mark.parametrize("multilabel", [False, True])
def test_mixup_weights_and_multilabel_targets_pass_through_the_refresh(multilabel):
    X, y = make_images()
    if multilabel:
        y = np.stack([y == 0, y != 1], axis=1).astype(int)
    weight = np.linspace(0.5, 1.5, len(X))
    clf = CNNClassifier(**TINY, augment=Compose([Mixup(), SpecAugment()]))
    clf.fit(X, y, sample_weight=weight)
    assert dict(clf.callbacks_)["weight_averaging"].n_averaged_ == 2
    assert clf.predict(X).shape == np.shape(y)

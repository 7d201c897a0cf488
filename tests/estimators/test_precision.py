"""``precision``: '32' is today's float32, 'bf16' and '16-mixed' run the network under autocast.

The networks are tiny: a CPU without bfloat16 instructions emulates it, several times
slower than float32 (docs: user guide, "Threads and GPUs").
"""

import io
import pickle

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skcnn import CNNClassifier, CNNFrameClassifier, CNNRegressor
from skcnn.utils import _device

TINY = dict(n_filters=(4,), hidden_units=(8,), augment=None, random_state=0)


def _clips(n=32, seed=0):
    """Separable clips: class 1 is louder in the low bins; a value that is their level."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1, 8, 16)).astype(np.float32)
    y = np.tile([0, 1], n // 2)
    X[y == 1, :, :4] += 3.0
    level = X[:, 0, :4].mean(axis=(1, 2)).astype(np.float64)
    return X, y, level


def _frames(n=16, seed=0):
    """Clips with an 8-frame event whose frames are louder in the low bins."""
    rng = np.random.default_rng(seed)
    onset = rng.integers(0, 12, size=(n, 1))
    frames = np.arange(20)
    y = np.where((frames >= onset) & (frames < onset + 8), "on", "off")
    X = rng.normal(size=(n, 1, 8, 20)).astype(np.float32)
    X[:, :, :4] += 3 * (y == "on")[:, None, None, :]
    return X, y


class _Dtypes(Callback):
    """Records the first convolution's output dtype (with the network's mode) on every
    forward pass, and the dtypes of what the loss saw."""

    def initialize(self):
        self.conv_, self.loss_ = [], []
        return self

    def on_train_begin(self, net, **kwargs):
        conv = next(m for m in net.module_.modules() if isinstance(m, torch.nn.Conv2d))
        conv.register_forward_hook(
            lambda module, inputs, output: self.conv_.append((module.training, output.dtype)))

    def on_batch_end(self, net, batch=None, training=None, loss=None, y_pred=None, **kwargs):
        self.loss_.append((y_pred.dtype, loss.dtype))


def test_32_is_bit_identical_to_the_default():
    X, y, _ = _clips()
    default = CNNClassifier(**TINY, max_epochs=2).fit(X, y)
    explicit = CNNClassifier(**TINY, max_epochs=2, precision="32").fit(X, y)
    assert CNNClassifier().precision == "32"
    assert np.array_equal(default.predict_proba(X), explicit.predict_proba(X))
    assert default.history_[:, "train_loss"] == explicit.history_[:, "train_loss"]


@pytest.mark.parametrize("precision, dtype", [("32", torch.float32), ("bf16", torch.bfloat16)])
def test_the_network_runs_in_the_precision_and_the_loss_in_float32(precision, dtype):
    X, y, _ = _clips()
    clf = CNNClassifier(**TINY, max_epochs=2, early_stopping=True, validation_fraction=0.25,
                        precision=precision, callbacks=[("dtypes", _Dtypes())]).fit(X, y)
    record = dict(clf.callbacks_)["dtypes"]
    # training steps and the early-stopping validation steps
    assert set(record.conv_) == {(True, dtype), (False, dtype)}
    assert set(record.loss_) == {(torch.float32, torch.float32)}
    assert all(p.dtype == torch.float32 for p in clf.module_.parameters())
    record.conv_.clear()
    proba = clf.predict_proba(X)
    assert set(record.conv_) == {(False, dtype)}
    assert proba.dtype == np.float64


def test_bf16_on_a_cpu_learns_as_32_does():
    X, y, level = _clips()
    # the classifier's accuracy, the regressor's R^2
    for cls, target, epochs, least in [(CNNClassifier, y, 10, 0.9),
                                       (CNNRegressor, level, 20, 0.8)]:
        fits = {p: cls(**TINY, max_epochs=epochs, lr=1e-2, precision=p).fit(X, target)
                for p in ("32", "bf16")}
        predictions = {p: est.predict(X) for p, est in fits.items()}
        assert predictions["bf16"].dtype == predictions["32"].dtype
        assert predictions["bf16"].shape == predictions["32"].shape
        scores = {p: est.score(X, target) for p, est in fits.items()}
        assert min(scores.values()) > least, (cls.__name__, scores)
        assert abs(scores["bf16"] - scores["32"]) < 0.05, (cls.__name__, scores)
    proba = CNNClassifier(**TINY, max_epochs=2, precision="bf16").fit(X, y).predict_proba(X)
    assert proba.dtype == np.float64 and np.isfinite(proba).all()
    assert np.allclose(proba.sum(axis=1), 1)


def test_bf16_frame_classifier_on_a_cpu():
    X, y = _frames()
    params = {**TINY, "n_filters": (8,), "lr": 1e-2, "max_epochs": 20}
    fits = {p: CNNFrameClassifier(**params, precision=p).fit(X, y) for p in ("32", "bf16")}
    proba = fits["bf16"].predict_proba(X)
    assert proba.shape == fits["32"].predict_proba(X).shape == (16, 20, 2)
    assert proba.dtype == np.float64 and np.isfinite(proba).all()
    assert fits["bf16"].predict(X).shape == y.shape
    scores = {p: est.score(X, y) for p, est in fits.items()}
    assert min(scores.values()) > 0.9 and abs(scores["bf16"] - scores["32"]) < 0.05, scores


@pytest.mark.parametrize("temporal", ["gru", "lstm"])
def test_bf16_recurrent_frame_heads_on_a_cpu(temporal):
    # torch's CPU LSTM fails under bfloat16 autocast when given float32 inputs; the
    # frame networks hand it the convolutions' bfloat16 maps
    X, y = _frames(n=8)
    clf = CNNFrameClassifier(**TINY, temporal=temporal, time_context=1, max_epochs=1,
                             precision="bf16").fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (8, 20, 2) and np.isfinite(proba).all()


def test_16_mixed_on_a_cpu_is_refused_before_training():
    X, y, _ = _clips(n=8)
    clf = CNNClassifier(**TINY, max_epochs=1, precision="16-mixed")
    with pytest.raises(ValueError, match=r"precision='16-mixed' needs a CUDA device.*'bf16'"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    # and at prediction, for a model trained in another precision
    clf.set_params(precision="32").fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match=r"precision='16-mixed' needs a CUDA device"):
        clf.set_params(precision="16-mixed").predict(X)
    assert np.array_equal(clf.set_params(precision="32").predict_proba(X), before)


def test_bf16_on_a_gpu_without_it_suggests_16_mixed(monkeypatch):
    # the branch for a GPU older than compute capability 8.0, without one
    monkeypatch.setattr(_device, "resolve_device", lambda device: torch.device("cuda"))
    monkeypatch.setattr(_device, "_cuda_bf16_supported", lambda device: False)
    with pytest.raises(ValueError, match=r"precision='bf16' but device='cuda'.*'16-mixed'"):
        _device.check_precision("bf16", "cuda")
    assert _device.check_precision("16-mixed", "cuda") is torch.float16


def test_an_invalid_precision_names_the_parameter():
    X, y, _ = _clips(n=8)
    with pytest.raises(ValueError, match=r"The 'precision' parameter of CNNClassifier must be "
                                         r"a str among .*'bf16'.*Got 'fp16' instead"):
        CNNClassifier(**TINY, precision="fp16").fit(X, y)


def test_precision_is_not_saved_with_the_weights_and_pickles():
    X, y, _ = _clips(n=8)
    clf = CNNClassifier(**TINY, max_epochs=1, precision="bf16").fit(X, y)
    buffer = io.BytesIO()
    clf.save_weights(buffer)
    buffer.seek(0)
    twin = CNNClassifier(**TINY).load_weights(buffer)  # precision='32'
    assert np.array_equal(twin.set_params(precision="bf16").predict_proba(X),
                          clf.predict_proba(X))
    copy = pickle.loads(pickle.dumps(clf))
    assert copy.precision == "bf16"
    assert np.array_equal(copy.predict_proba(X), clf.predict_proba(X))


class _InterruptAt(Callback):
    """A Ctrl-C in the middle of the ``step``-th optimizer step."""

    def __init__(self, step):
        self.step = step

    def initialize(self):
        self.steps_ = 0
        return self

    def on_grad_computed(self, net, **kwargs):
        self.steps_ += 1
        if self.steps_ == self.step:
            raise KeyboardInterrupt


@pytest.mark.gpu
@pytest.mark.parametrize("precision, dtype", [("16-mixed", torch.float16),
                                              ("bf16", torch.bfloat16)])
def test_gpu_precisions_fit_and_predict(precision, dtype):
    X, y, _ = _clips()
    clf = CNNClassifier(**TINY, lr=1e-2, max_epochs=10, device="cuda", precision=precision,
                        callbacks=[("dtypes", _Dtypes())]).fit(X, y)
    record = dict(clf.callbacks_)["dtypes"]
    assert {d for _, d in record.conv_} == {dtype}
    assert set(record.loss_) == {(torch.float32, torch.float32)}
    assert clf.score(X, y) > 0.9
    # a second call copies the loss scaler (to restore it on failure) and keeps it
    clf.partial_fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64 and np.isfinite(proba).all()
    assert np.array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), proba)


@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["16-mixed", "bf16"])
def test_gpu_training_continues_after_an_interrupt_inside_a_step(precision):
    X, y, _ = _clips()
    clf = CNNClassifier(**TINY, max_epochs=3, device="cuda", precision=precision,
                        callbacks=[("interrupt", _InterruptAt(2))])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    clf.partial_fit(X, y)
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    assert np.array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), proba)

"""Tests of CNNFrameClassifier, CNNFrameRegressor and CNNMaskRegressor.

Per-frame (per-pixel) targets on tiny maps (n, 1, 8, 20): shapes, prediction
on any number of frames, the loss with NaN targets and weights, the errors,
sklearn integration, seeding and the receptive field of the frame network.
"""

import io
import pickle
import re

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.class_weight import compute_class_weight

from skcnn import (
    CNNClassifier, CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor,
    SpectrogramTransformer,
)
from skcnn.augment import AddNoise, Compose, FrequencyWarp, Mixup, SpecAugment, TimeShift
from skcnn.inspection import describe
from skcnn.metrics import make_frame_f1_scorer, raw_pitch_accuracy_scorer
from skcnn.modules import FrameCNN, MaskCNN

# one block, two dilated layers: a receptive field of 1 + 2 + 6 = 9 frames
TINY = dict(n_filters=(4,), temporal="conv", time_context=2, max_epochs=3, lr=1e-2,
            random_state=0)
TINY_MASK = dict(n_filters=(4, 4), max_epochs=3, lr=1e-2, random_state=0)
# the frame classifier's probabilities as the network gives them (no running median)
RAW = dict(median_filter=1)
N, BINS, FRAMES = 12, 8, 20


def make_maps(n=N, n_bins=BINS, n_frames=FRAMES, seed=0):
    """Noise maps (n, 1, n_bins, n_frames)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1, n_bins, n_frames)).astype(np.float32)


def frame_labels(X):
    """'on' where a frame's low bins are loud, else 'off': (n, n_frames)."""
    return np.where(X[:, 0, :4].mean(axis=1) > 0, "on", "off")


def frame_indicators(X):
    """Three overlapping 0/1 events per frame: (n, n_frames, 3)."""
    return np.stack([X[:, 0, :4].mean(axis=1) > 0, X[:, 0, 4:].mean(axis=1) > 0,
                     X[:, 0, 2:6].mean(axis=1) > 0], axis=-1).astype(np.int64)


def frame_values(X):
    """A value per frame, NaN on the first three frames: (n, n_frames)."""
    y = X[:, 0, :4].mean(axis=1).astype(np.float64)
    y[:, :3] = np.nan
    return y


def masks(X):
    """A soft mask per pixel in [0, 1]: (n, n_bins, n_frames)."""
    return 1.0 / (1.0 + np.exp(-2.0 * X[:, 0]))


@pytest.fixture(scope="module")
def maps():
    return make_maps()


@pytest.fixture(scope="module")
def fitted_clf(maps):
    return CNNFrameClassifier(**TINY, **RAW).fit(maps, frame_labels(maps))


@pytest.fixture(scope="module")
def fitted_indicator(maps):
    return CNNFrameClassifier(**TINY, **RAW).fit(maps, frame_indicators(maps))


@pytest.fixture(scope="module")
def fitted_reg(maps):
    return CNNFrameRegressor(**TINY).fit(maps, frame_values(maps))


@pytest.fixture(scope="module")
def fitted_mask(maps):
    return CNNMaskRegressor(**TINY_MASK).fit(maps, masks(maps))


@pytest.fixture(params=["clf", "indicator", "reg", "mask"])
def fitted_any(request, fitted_clf, fitted_indicator, fitted_reg, fitted_mask):
    return {"clf": fitted_clf, "indicator": fitted_indicator, "reg": fitted_reg,
            "mask": fitted_mask}[request.param]


def outputs(est, X):
    """What the estimator predicts that is continuous (probabilities or values)."""
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def logits_of(est, X):
    """The network's own forward pass on raw X, in eval mode, float64."""
    est.module_.eval()
    with torch.no_grad():
        return est.module_(torch.as_tensor(X)).numpy().astype(np.float64)


# -------------------------------------------------------------------- shapes
def test_classifier_predicts_a_label_of_the_training_type_per_frame(fitted_clf, maps):
    y = frame_labels(maps)
    assert fitted_clf.classes_.tolist() == ["off", "on"]
    assert isinstance(fitted_clf.module_, FrameCNN)
    proba = fitted_clf.predict_proba(maps)
    assert proba.shape == (N, FRAMES, 2)
    np.testing.assert_allclose(proba.sum(axis=2), 1.0, rtol=1e-12)
    pred = fitted_clf.predict(maps)
    assert pred.shape == (N, FRAMES) and pred.dtype == y.dtype
    np.testing.assert_array_equal(pred, fitted_clf.classes_[proba.argmax(axis=2)])
    assert fitted_clf.score(maps, y) == pytest.approx((pred == y).mean())


def test_integer_frame_labels_with_a_background_class(maps):
    y = np.where(frame_labels(maps) == "on", 7, 0)
    y[:, ::5] = -3  # a third label, gaps between the values
    clf = CNNFrameClassifier(**{**TINY, "max_epochs": 1}).fit(maps, y)
    assert clf.classes_.tolist() == [-3, 0, 7] and clf.n_outputs_ == 3
    pred = clf.predict(maps)
    assert pred.shape == (N, FRAMES) and np.issubdtype(pred.dtype, np.integer)
    assert set(np.unique(pred)) <= {-3, 0, 7}
    assert clf.predict_proba(maps).shape == (N, FRAMES, 3)


def test_indicator_targets_get_one_sigmoid_per_frame_and_class(fitted_indicator, maps):
    clf = fitted_indicator
    assert isinstance(clf.criterion_, torch.nn.BCEWithLogitsLoss)
    assert clf.get_params()["criterion"] is torch.nn.CrossEntropyLoss  # the parameter stays
    assert clf.classes_.tolist() == [0, 1, 2]
    proba = clf.predict_proba(maps)
    assert proba.shape == (N, FRAMES, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert not np.allclose(proba.sum(axis=2), 1.0)  # independent classes, not a softmax
    pred = clf.predict(maps)
    assert pred.shape == (N, FRAMES, 3) and set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (proba >= 0.5).astype(int))
    np.testing.assert_allclose(
        proba, 1 / (1 + np.exp(-logits_of(clf, maps).transpose(0, 2, 1))), rtol=1e-5)


def test_per_class_threshold_on_indicator_frames(fitted_indicator, maps):
    proba = fitted_indicator.predict_proba(maps)
    twin = pickle.loads(pickle.dumps(fitted_indicator)).set_params(threshold=[0.0, 1.0, 0.5])
    pred = twin.predict(maps)
    assert pred[..., 0].all()
    assert not (pred[..., 1] & (proba[..., 1] < 1.0)).any()
    np.testing.assert_array_equal(pred[..., 2], proba[..., 2] >= 0.5)
    with pytest.raises(ValueError, match=r"threshold has shape \(2,\); expected one number "
                                         r"or one per class \(3,\)"):
        twin.set_params(threshold=[0.5, 0.5]).predict(maps)


def test_regressor_predicts_the_shape_of_y(fitted_reg, maps):
    assert fitted_reg.n_outputs_ == 1
    pred = fitted_reg.predict(maps)
    assert pred.shape == (N, FRAMES) and np.isfinite(pred).all()  # NaN frames too
    assert not hasattr(fitted_reg, "predict_proba")
    y = np.stack([np.nan_to_num(frame_values(maps)), maps[:, 0, 4:].mean(axis=1)], axis=-1)
    reg = CNNFrameRegressor(**{**TINY, "max_epochs": 1}).fit(maps, y)
    assert reg.n_outputs_ == 2 and reg.predict(maps).shape == (N, FRAMES, 2)


def test_mask_regressor_predicts_a_mask_in_0_1(fitted_mask, maps):
    assert isinstance(fitted_mask.module_, MaskCNN)
    pred = fitted_mask.predict(maps)
    assert pred.shape == (N, BINS, FRAMES)
    assert pred.min() >= 0.0 and pred.max() <= 1.0
    np.testing.assert_allclose(pred, 1 / (1 + np.exp(-logits_of(fitted_mask, maps)[:, 0])),
                               rtol=1e-5)


def test_clip_input_norm_ignores_each_clip_s_background_level(maps):
    # a louder background per clip and bin (as a louder noise floor in dB
    # moves a dB map): the same masks with input_norm='clip'
    offset = np.random.default_rng(3).uniform(0, 40, size=(N, 1, BINS, 1)).astype(np.float32)
    reg = CNNMaskRegressor(**{**TINY_MASK, "input_norm": "clip"}).fit(maps, masks(maps))
    np.testing.assert_allclose(reg.predict(maps + offset), reg.predict(maps), atol=1e-5)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(1, 8, 20\)"):
        reg.predict(make_maps(n=2, n_bins=6))


@pytest.mark.parametrize("n_frames", [1, 7, 20, 33])
def test_any_number_of_frames_in_predict(fitted_any, n_frames):
    X = make_maps(n=3, n_frames=n_frames, seed=1)
    out = outputs(fitted_any, X)
    pred = fitted_any.predict(X)
    if isinstance(fitted_any, CNNMaskRegressor):
        assert out.shape == pred.shape == (3, BINS, n_frames)
    else:
        assert out.shape[:2] == pred.shape[:2] == (3, n_frames)
    assert np.isfinite(out).all()


def test_frames_away_from_the_edit_do_not_change(fitted_clf, maps):
    """Fully convolutional in time: a longer map's first frames, further than
    half a receptive field from what was appended, are the short map's."""
    half = (describe(fitted_clf).receptive_field["rf_frames"] - 1) // 2
    longer = np.concatenate([maps, make_maps(seed=5)], axis=-1)
    np.testing.assert_allclose(fitted_clf.predict_proba(longer)[:, :FRAMES - half],
                               fitted_clf.predict_proba(maps)[:, :FRAMES - half],
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("shape", [(3, 1, 6, FRAMES), (3, 1, 16, FRAMES), (3, 2, BINS, FRAMES)])
def test_other_bins_or_channels_are_refused(fitted_any, shape):
    X = np.zeros(shape, dtype=np.float32)
    with pytest.raises(ValueError, match=rf"X has samples of shape \({shape[1]}, {shape[2]}, "
                                         rf"{FRAMES}\), but {type(fitted_any).__name__} "
                                         rf"was fitted on samples of shape \(1, {BINS}, "):
        fitted_any.predict(X)


# ------------------------------------------------- prediction vs the network
def test_predict_is_the_network_on_the_raw_input_with_augmentation_set(maps):
    y = frame_labels(maps)
    clf = CNNFrameClassifier(**TINY, **RAW, augment=SpecAugment(max_time=0.3, max_freq=0.3))
    clf.fit(maps, y)
    plain = CNNFrameClassifier(**TINY, **RAW, augment=None).fit(maps, y)
    # the augmentation did change training ...
    assert not np.allclose(clf.predict_proba(maps), plain.predict_proba(maps))
    # ... and prediction is the softmax over classes of the network's own output
    logits = logits_of(clf, maps)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    proba = clf.predict_proba(maps)
    np.testing.assert_allclose(proba, softmax.transpose(0, 2, 1), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(clf.predict_proba(maps), proba)  # no randomness left


def test_regressor_predict_is_the_network_output(maps):
    reg = CNNFrameRegressor(**TINY, augment=AddNoise(snr_db=10, domain="db"))
    reg.fit(maps, frame_values(maps))
    np.testing.assert_allclose(reg.predict(maps), logits_of(reg, maps)[:, 0], rtol=1e-5,
                               atol=1e-6)


def running_median(proba, k):
    """Each clip's and class's median over the k frames around each frame,
    the edges repeated: proba (n, n_frames, n_classes), by hand."""
    half = k // 2
    padded = np.pad(proba, ((0, 0), (half, half), (0, 0)), mode="edge")
    windows = np.stack([padded[:, i:i + proba.shape[1]] for i in range(k)])
    return np.median(windows, axis=0)


@pytest.mark.parametrize("k", [3, 5])
def test_median_filter_is_the_running_median_of_each_class(fitted_clf, maps, k):
    raw = fitted_clf.predict_proba(maps)
    twin = pickle.loads(pickle.dumps(fitted_clf)).set_params(median_filter=k)
    smooth = running_median(raw, k)
    expected = smooth / smooth.sum(axis=-1, keepdims=True)
    proba = twin.predict_proba(maps)
    np.testing.assert_allclose(proba, expected, rtol=1e-6, atol=1e-9)
    assert not np.allclose(proba, raw)
    np.testing.assert_array_equal(twin.predict(maps), twin.classes_[proba.argmax(axis=-1)])
    np.testing.assert_array_equal(fitted_clf.predict_proba(maps), raw)  # the original as it was


def test_defaults_filter_over_9_frames_and_train_with_specaugment_and_warp(maps):
    y = frame_labels(maps)
    clf = CNNFrameClassifier(n_filters=(4,), time_context=2, max_epochs=2, random_state=0)
    clf.fit(maps, y)
    assert clf.median_filter == 9
    assert repr(clf.augment_) == repr(Compose([SpecAugment(), FrequencyWarp()]))
    # the default's probabilities: the running medians of the network's softmax
    logits = logits_of(clf, maps)
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    smooth = running_median((softmax / softmax.sum(axis=1, keepdims=True)).transpose(0, 2, 1), 9)
    np.testing.assert_allclose(clf.predict_proba(maps),
                               smooth / smooth.sum(axis=-1, keepdims=True), rtol=1e-5, atol=1e-7)
    for est in (CNNFrameRegressor(**TINY).fit(maps, frame_values(maps)),
                CNNMaskRegressor(**TINY_MASK).fit(maps, masks(maps))):
        assert est.augment_ is None


def test_median_filter_removes_a_one_frame_flicker():
    est = CNNFrameClassifier(median_filter=3)
    est._multilabel = False
    # (1 clip, 2 classes, 6 frames): class 1 sure everywhere but frame 2; frames
    # 4 and 5 of three different sure labels have medians of 0 and stay as given
    proba = np.array([[[0.1, 0.1, 0.9, 0.1, 0.1, 0.1],
                       [0.9, 0.9, 0.1, 0.9, 0.9, 0.9]]])
    np.testing.assert_allclose(est._running_median(proba, np.array([3, 3]))[0, 1], 0.9)
    sure = np.eye(3)[None]  # frame t sure of class t
    np.testing.assert_array_equal(est._running_median(sure, np.array([3, 3, 3]))[0, :, 1],
                                  sure[0, :, 1])


def test_median_filter_on_indicators_is_not_renormalised(fitted_indicator, maps):
    raw = fitted_indicator.predict_proba(maps)
    twin = pickle.loads(pickle.dumps(fitted_indicator)).set_params(median_filter=5)
    np.testing.assert_allclose(twin.predict_proba(maps), running_median(raw, 5), rtol=1e-6)
    np.testing.assert_array_equal(twin.predict(maps),
                                  (running_median(raw, 5) >= 0.5).astype(int))


@pytest.mark.parametrize("value, match", [
    (4, r"median_filter=4 must be odd: a running median over an even number of frames"),
    (0, r"The 'median_filter' parameter of CNNFrameClassifier must be an int in the "
        r"range \[1, inf\) or an array-like\. Got 0"),
    ([3, 4], r"median_filter=\[3, 4\] must be odd"),
    ([0, 3], r"median_filter=\[0, 3\] must hold positive odd integers"),
    ([3, 3, 3], r"median_filter has shape \(3,\); expected one odd number of frames or one "
                r"per class \(2,\), in the order of classes_"),
])
def test_bad_median_filter_is_refused_at_fit_and_predict(fitted_clf, maps, value, match):
    with pytest.raises(ValueError, match=match):
        CNNFrameClassifier(**TINY, median_filter=value).fit(maps, frame_labels(maps))
    twin = pickle.loads(pickle.dumps(fitted_clf)).set_params(median_filter=value)
    with pytest.raises(ValueError, match=match):
        twin.predict(maps)


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize("make, y_of", [
    (lambda: CNNFrameClassifier(**TINY), lambda X: frame_labels(X)[:, :5]),
    (lambda: CNNFrameClassifier(**TINY), lambda X: frame_indicators(X)[:, :5]),
    (lambda: CNNFrameRegressor(**TINY), lambda X: frame_values(X)[:, 1:]),
    (lambda: CNNFrameRegressor(**TINY), lambda X: frame_values(X)[:, 0]),
])
def test_y_with_other_frames_than_X_is_refused(maps, make, y_of):
    y = y_of(maps)
    with pytest.raises(ValueError, match=rf"y has shape {re_shape(y.shape)} and X "
                                         rf"\(12, 1, 8, 20\): .* needs one target per frame, "
                                         r"y of shape \(n_clips, n_frames=20, \.\.\.\)"):
        make().fit(maps, y)


def re_shape(shape):
    """A shape as a regular expression."""
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("make, y_of", [
    (lambda: CNNFrameClassifier(**TINY), frame_labels),
    (lambda: CNNFrameRegressor(**TINY), frame_values),
    (lambda: CNNMaskRegressor(**TINY_MASK), masks),
])
@pytest.mark.parametrize("X_of", [lambda X: X[:, 0], lambda X: X[:, 0, 0]])
def test_X_that_is_not_4d_is_refused(maps, make, y_of, X_of):
    X = X_of(maps)
    with pytest.raises(ValueError, match=rf"X has shape {re_shape(X.shape)}; .* needs 2-D "
                                         r"feature maps of shape \(n_clips, channels, "
                                         r"n_bins, n_frames\)"):
        make().fit(X, y_of(maps))


@pytest.mark.parametrize("y_of, match", [
    (lambda X: masks(X) * 2, r"y holds values from 0\.\d+ to 1\.\d+; a mask's values must "
                             r"lie in \[0, 1\]"),
    (lambda X: masks(X) - 0.5, r"y holds values from -0\.\d+ to 0\.\d+; a mask's values"),
    (lambda X: masks(X)[:, :4], r"y has shape \(12, 4, 20\) and X \(12, 1, 8, 20\): a mask "
                                r"needs one value per bin and frame of X, y of shape "
                                r"\(n_clips, n_bins=8, n_frames=20\)"),
    (lambda X: masks(X)[:, :, :10], r"y has shape \(12, 8, 10\) and X .*: a mask needs"),
    (lambda X: masks(X)[:, 0], r"y has shape \(12, 20\) and X .*: a mask needs"),
    (lambda X: np.where(masks(X) > 0.9, np.nan, masks(X)), "Input y contains NaN"),
])
def test_bad_masks_are_refused(maps, y_of, match):
    with pytest.raises(ValueError, match=match):
        CNNMaskRegressor(**TINY_MASK).fit(maps, y_of(maps))


@pytest.mark.parametrize("params", [
    {},  # the per-bin input norm: one value per (channel, bin) in a clip of one frame
    {"time_context": 1},  # and the head's batch norm over the frames
    {"input_norm": None, "n_bins": 1},  # a block's norm on maps of one bin
])
def test_a_last_batch_of_one_clip_of_one_frame_trains(params):
    # torch's batch norm refused it ("Expected more than 1 value per channel")
    params = dict(params)
    X = make_maps(n=5, n_bins=params.pop("n_bins", BINS), n_frames=1)
    y = frame_labels(X)
    y[:2] = np.where(y[:2] == "on", "off", "on")
    clf = CNNFrameClassifier(**{**TINY, **params}, batch_size=2).fit(X, y)
    assert clf.predict(X).shape == (5, 1) and len(clf.history) == TINY["max_epochs"]
    reg = CNNFrameRegressor(**{**TINY, **params}, batch_size=2).fit(X, X[:, 0, :4].mean(axis=1))
    assert reg.predict(X).shape == (5, 1)


@pytest.mark.parametrize("y_of", [
    lambda X: np.where(masks(X) > 0.9, np.nan, masks(X)),  # missing pixels
    lambda X: np.where(masks(X) > 0.9, np.inf, masks(X)),
    lambda X: 2 * masks(X),  # outside [0, 1]
    lambda X: masks(X)[:, :4],  # other bins than X
    lambda X: masks(X)[:, 0],  # not 3-D
])
def test_mask_score_refuses_what_fit_refuses_with_its_message(fitted_mask, maps, y_of):
    # a mask has no missing values (CNNFrameRegressor's frame targets may):
    # score used to skip NaN pixels that fit refuses
    y = y_of(maps)
    with pytest.raises(ValueError) as refused:
        CNNMaskRegressor(**TINY_MASK).fit(maps, y)
    with pytest.raises(ValueError, match=re.escape(str(refused.value))):
        fitted_mask.score(maps, y)


@pytest.mark.parametrize("y_of, match", [
    (lambda X: np.where(frame_indicators(X) == 1, 2, frame_indicators(X)),
     r"y has shape \(12, 20, 3\): a 3-D y must hold 0/1 indicators"),
    (lambda X: sparse.csr_matrix(frame_indicators(X)[:, :, 0]),
     r"y is a scipy.sparse matrix of shape \(12, 20\); CNNFrameClassifier needs a dense "
     r"array: a label per frame \(n_clips, n_frames\) or 0/1 indicators"),
])
def test_frame_indicators_that_are_no_indicators_are_refused(maps, y_of, match):
    clf = CNNFrameClassifier(**TINY)
    with pytest.raises(ValueError, match=match):
        clf.fit(maps, y_of(maps))
    assert not hasattr(clf, "module_")


@pytest.mark.parametrize("make", [
    lambda **kw: CNNFrameClassifier(**TINY, **kw),
    lambda **kw: CNNFrameRegressor(**TINY, **kw),
    lambda **kw: CNNMaskRegressor(**TINY_MASK, **kw),
])
def test_timeshift_is_refused(maps, make):
    est = make(augment=TimeShift())
    y = {CNNFrameClassifier: frame_labels, CNNFrameRegressor: frame_values,
         CNNMaskRegressor: masks}[type(est)](maps)
    with pytest.raises(ValueError, match=rf"augment=TimeShift\(\): TimeShift moves the frames "
                                         rf"of X but not those of y, so "
                                         rf"{type(est).__name__}'s per-frame targets"):
        est.fit(maps, y)


def test_timeshift_inside_compose_is_refused(maps):
    clf = CNNFrameClassifier(**TINY, augment=Compose([SpecAugment(), TimeShift()]))
    with pytest.raises(ValueError, match="TimeShift moves the frames of X but not those of y"):
        clf.fit(maps, frame_labels(maps))


@pytest.mark.parametrize("augment", [Mixup(), Compose([SpecAugment(), Mixup()])])
def test_mixup_is_refused_for_masks(maps, augment):
    with pytest.raises(ValueError, match=r"mixes clips and their targets, but the mixture of "
                                         r"two CNNMaskRegressor targets is not the target"):
        CNNMaskRegressor(**TINY_MASK, augment=augment).fit(maps, masks(maps))


@pytest.mark.parametrize("augment", [FrequencyWarp(), Compose([SpecAugment(), FrequencyWarp()])])
def test_frequency_warp_is_refused_for_masks_and_trains_frame_outputs(maps, augment):
    with pytest.raises(ValueError, match=r"FrequencyWarp moves the frequency bins of X but "
                                         r"not those of y, so CNNMaskRegressor's per-pixel"):
        CNNMaskRegressor(**TINY_MASK, augment=augment).fit(maps, masks(maps))
    y = frame_labels(maps)
    warped = CNNFrameClassifier(**TINY, augment=augment).fit(maps, y)
    plain = CNNFrameClassifier(**TINY, augment=None).fit(maps, y)
    assert not np.allclose(warped.predict_proba(maps), plain.predict_proba(maps))
    CNNFrameRegressor(**TINY, augment=augment).fit(maps, frame_values(maps))


@pytest.mark.parametrize("y_of, class_weight", [
    (frame_labels, None), (frame_labels, "balanced"), (frame_indicators, None),
])
def test_mixup_trains_the_frame_classifier(maps, y_of, class_weight):
    y = y_of(maps)
    clf = CNNFrameClassifier(**TINY, augment=Mixup(alpha=0.4), class_weight=class_weight)
    clf.fit(maps, y)
    assert clf.predict(maps).shape == y.shape
    assert np.isfinite([row["train_loss"] for row in clf.history]).all()
    plain = CNNFrameClassifier(**TINY, augment=None, class_weight=class_weight).fit(maps, y)
    assert not np.allclose(clf.predict_proba(maps), plain.predict_proba(maps))


@pytest.mark.parametrize("y, match", [
    (np.full((N, FRAMES), np.nan), "y is NaN everywhere: no frame has a target to learn from"),
    (np.where(np.eye(N, FRAMES) > 0, np.inf, 0.0), "y contains infinity"),
    (np.where(np.eye(N, FRAMES) > 0, -np.inf, np.nan), "y contains infinity"),
])
def test_regressor_targets_must_be_finite_or_nan(maps, y, match):
    with pytest.raises(ValueError, match=match):
        CNNFrameRegressor(**TINY).fit(maps, y)


@pytest.mark.parametrize("cls, name, value, network", [
    (CNNFrameClassifier, "stride", 2, "FrameCNN"),
    (CNNFrameClassifier, "padding", "valid", "FrameCNN"),
    (CNNFrameRegressor, "architecture", "lenet5", "FrameCNN"),
    (CNNMaskRegressor, "stride", 2, "MaskCNN"),
    (CNNMaskRegressor, "global_pool", "avg", "MaskCNN"),
    (CNNMaskRegressor, "hidden_units", (8,), "MaskCNN"),
])
def test_parameters_the_network_fixes_are_refused(cls, name, value, network):
    with pytest.raises(TypeError, match=rf"{cls.__name__} has no parameter {name}: its blocks "
                                        rf"keep the maps' frames .*skcnn\.modules\.{network}"):
        cls(**{name: value})
    assert name not in cls().get_params()
    with pytest.raises(ValueError, match=rf"Invalid parameter '{name}'"):
        cls().set_params(**{name: value})


def _bad_fits(est, X):
    """(X, y, augment, message) that each fail validation for ``est``."""
    name = type(est).__name__
    frames = r"needs one target per frame"
    if isinstance(est, CNNFrameClassifier):
        y = frame_labels(X)
        bad_y = [(y[:, :5], frames),
                 (np.full_like(y, "x"), r"labels \[.x.\] that are not in the fitted classes_"),
                 (np.stack([y, y], axis=-1), "a 3-D y must hold 0/1 indicators")]
    elif isinstance(est, CNNFrameRegressor):
        y = frame_values(X)
        bad_y = [(y[:, :5], frames), (np.full(y.shape, np.nan), "y is NaN everywhere"),
                 (np.where(np.isnan(y), np.inf, y), "y contains infinity")]
    else:
        y = masks(X)
        bad_y = [(y[:, :4], "a mask needs one value per bin and frame"),
                 (y * 3, "a mask's values must lie in"),
                 (y[:, :, :5], "a mask needs one value per bin and frame")]
    other_bins = X[:, :, :6], (y[:, :6] if isinstance(est, CNNMaskRegressor) else y)
    cases = [(X, b, None, match) for b, match in bad_y]
    cases += [(X[:, 0], y, None, "needs 2-D feature maps"),
              (*other_bins, None, rf"but {name} was fitted on samples of shape \(1, 8, 20\)\. "
                                  "The fitted model is unchanged"),
              (X, y, TimeShift(), "TimeShift moves the frames")]
    if isinstance(est, CNNMaskRegressor):
        cases.append((X, y, Mixup(), "Mixup mixes clips and their targets"))
    return cases


@pytest.mark.parametrize("make", [
    lambda: CNNFrameClassifier(**TINY, warm_start=True),
    lambda: CNNFrameRegressor(**TINY, warm_start=True),
    lambda: CNNMaskRegressor(**TINY_MASK, warm_start=True),
])
def test_a_refused_fit_leaves_a_fitted_estimator_unchanged(maps, make):
    est = make()
    y = {CNNFrameClassifier: frame_labels, CNNFrameRegressor: frame_values,
         CNNMaskRegressor: masks}[type(est)](maps)
    est.fit(maps, y)
    before, module, n_epochs = outputs(est, maps), est.module_, len(est.history)
    for X, bad_y, augment, match in _bad_fits(est, maps):
        est.set_params(augment=augment)
        for method in (est.fit, est.partial_fit):
            with pytest.raises(ValueError, match=match):
                method(X, bad_y)
    assert est.module_ is module and len(est.history) == n_epochs
    np.testing.assert_array_equal(outputs(est, maps), before)


# ------------------------------------------------------------ loss semantics
def test_nan_targets_are_left_out_of_the_loss_and_its_gradient(fitted_reg, maps):
    y_true = torch.as_tensor(frame_values(maps)[:4, None, :], dtype=torch.float32)  # (4, 1, T)
    y_true[1, 0, 10:] = float("nan")  # and a clip half missing
    finite = ~torch.isnan(y_true)
    y_pred = torch.randn(4, 1, FRAMES, generator=torch.Generator().manual_seed(0))
    y_pred.requires_grad_(True)
    loss = fitted_reg.get_loss(y_pred, y_true)
    expected = ((y_pred.detach() - y_true)[finite] ** 2).mean()
    torch.testing.assert_close(loss.detach(), expected)
    loss.backward()
    assert (y_pred.grad[~finite] == 0).all() and (y_pred.grad[finite] != 0).all()


def test_nan_targets_with_sample_weights_are_a_weighted_mean(fitted_reg, maps):
    y_true = torch.as_tensor(frame_values(maps)[:3, None, :], dtype=torch.float32)
    finite = (~torch.isnan(y_true)).float()
    y_pred = torch.randn(3, 1, FRAMES, generator=torch.Generator().manual_seed(1))
    w = torch.tensor([1.0, 2.5, 0.0])
    loss = fitted_reg.get_loss(y_pred, (y_true, w))
    squared = (y_pred - torch.nan_to_num(y_true)) ** 2
    weight = w[:, None, None] * finite
    torch.testing.assert_close(loss, (squared * weight).sum() / weight.sum())
    assert not torch.isclose(loss, (squared * finite).sum() / finite.sum())  # w matters


def test_training_on_nan_targets_keeps_everything_finite(fitted_reg, maps):
    assert all(torch.isfinite(p).all() for p in fitted_reg.module_.parameters())
    assert np.isfinite([row["train_loss"] for row in fitted_reg.history]).all()
    y = frame_values(maps)
    keep = ~np.isnan(y)
    assert fitted_reg.score(maps, y) == pytest.approx(
        r2_score(y[keep], fitted_reg.predict(maps)[keep]))
    es = CNNFrameRegressor(**TINY, early_stopping=True, validation_fraction=0.25).fit(maps, y)
    assert np.isfinite([row["valid_loss"] for row in es.history]).all()


def test_class_weights_count_per_frame(maps):
    y = frame_labels(maps)
    clf = CNNFrameClassifier(**{**TINY, "max_epochs": 1}, class_weight={"on": 3.0, "off": 0.5})
    clf.fit(maps, y)
    np.testing.assert_array_equal(clf.class_weight_, [0.5, 3.0])  # classes_ = off, on
    logits = torch.randn(4, 2, FRAMES, generator=torch.Generator().manual_seed(0))
    y_enc = torch.as_tensor(np.searchsorted(clf.classes_, y[:4]))
    per_frame = torch.nn.functional.cross_entropy(logits, y_enc, reduction="none")
    w_c = torch.tensor([0.5, 3.0])[y_enc]
    torch.testing.assert_close(clf.get_loss(logits, y_enc), (w_c * per_frame).sum() / w_c.sum())
    # with sample weights: each frame weighs its clip's weight times its class's
    w = torch.tensor([1.0, 0.0, 2.0, 0.5])
    both = w[:, None] * w_c
    torch.testing.assert_close(clf.get_loss(logits, (y_enc, w)),
                               (both * per_frame).sum() / both.sum())
    # mixed targets (Mixup): a frame's weight is its label distribution's
    soft = torch.rand(4, 2, FRAMES, generator=torch.Generator().manual_seed(2))
    soft /= soft.sum(dim=1, keepdim=True)
    per_frame = torch.nn.functional.cross_entropy(logits, soft, reduction="none")
    w_mix = 0.5 * soft[:, 0] + 3.0 * soft[:, 1]
    torch.testing.assert_close(clf.get_loss(logits, soft), (w_mix * per_frame).sum() / w_mix.sum())


def test_balanced_class_weights_come_from_the_frames(maps):
    y = frame_labels(maps)
    y[:, :14] = "off"  # unbalanced frames
    clf = CNNFrameClassifier(**{**TINY, "max_epochs": 1}, class_weight="balanced").fit(maps, y)
    np.testing.assert_allclose(
        clf.class_weight_, compute_class_weight("balanced", classes=clf.classes_, y=y.ravel()))
    assert clf.class_weight_[1] > 1 > clf.class_weight_[0]


@pytest.mark.parametrize("make, y_of, change", [
    (lambda: CNNFrameClassifier(**TINY), frame_labels,
     lambda y: np.where(y == "on", "off", "on")),
    (lambda: CNNFrameRegressor(**TINY), frame_values, lambda y: y + 5.0),
    (lambda: CNNMaskRegressor(**TINY_MASK), masks, lambda y: 1.0 - y),
])
def test_a_clip_of_weight_zero_has_no_influence(maps, make, y_of, change):
    y = y_of(maps)
    changed = y.copy()
    changed[0] = change(y[0])
    weight = np.ones(N)
    weight[0] = 0.0
    a = outputs(make().fit(maps, y, sample_weight=weight), maps)
    b = outputs(make().fit(maps, changed, sample_weight=weight), maps)
    c = outputs(make().fit(maps, changed), maps)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)  # the change would have mattered with its weight


@pytest.mark.parametrize("make, y_of", [
    (lambda: CNNFrameClassifier(**TINY), frame_labels),
    (lambda: CNNFrameRegressor(**TINY), frame_values),
    (lambda: CNNMaskRegressor(**TINY_MASK), masks),
])
def test_sample_weights_as_a_pandas_series(maps, make, y_of):
    """scikit-learn's check_sample_weights_pandas_series, on maps: a Series of
    weights trains as the same weights in an array."""
    pd = pytest.importorskip("pandas")
    weight = np.linspace(0.5, 2.0, N)
    a = outputs(make().fit(maps, y_of(maps), sample_weight=pd.Series(weight)), maps)
    b = outputs(make().fit(maps, y_of(maps), sample_weight=weight), maps)
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------ sklearn integration
@pytest.mark.parametrize("est", [
    CNNFrameClassifier(**TINY, class_weight="balanced"),
    CNNFrameRegressor(**TINY, augment=SpecAugment()),
    CNNMaskRegressor(**TINY_MASK),
])
def test_clone_and_params_round_trip(est):
    params = est.get_params(deep=False)
    assert ("time_context" in params) == (not isinstance(est, CNNMaskRegressor))
    assert not {"stride", "padding", "architecture"} & set(params)
    twin = clone(est)
    assert type(twin) is type(est) and not hasattr(twin, "module_")
    assert twin.get_params(deep=False).keys() == params.keys()
    for key, value in params.items():
        if key != "augment":  # cloned: an equal, not the same, augmentation
            assert twin.get_params(deep=False)[key] == value, key
    assert repr(twin.augment) == repr(est.augment)
    new = {"n_filters": (8,), "lr": 0.05}
    if not isinstance(est, CNNMaskRegressor):
        new["time_context"] = 1
    twin.set_params(**new)
    assert {k: twin.get_params()[k] for k in new} == new
    rebuilt = type(est)(**twin.get_params(deep=False))
    assert {k: rebuilt.get_params()[k] for k in new} == new


def test_time_context_is_validated_at_fit(maps):
    with pytest.raises(ValueError, match=r"The 'time_context' parameter of CNNFrameClassifier "
                                         r"must be an int in the range \[0, inf\)\. Got -1"):
        CNNFrameClassifier(**{**TINY, "time_context": -1}).fit(maps, frame_labels(maps))


def test_pickle_round_trip_predicts_the_same(fitted_any, maps):
    twin = pickle.loads(pickle.dumps(fitted_any))
    np.testing.assert_array_equal(outputs(twin, maps), outputs(fitted_any, maps))
    np.testing.assert_array_equal(twin.predict(maps), fitted_any.predict(maps))


def _unfitted_twin(est):
    if isinstance(est, CNNMaskRegressor):
        return CNNMaskRegressor(n_filters=TINY_MASK["n_filters"])
    if isinstance(est, CNNFrameClassifier):  # the post-processing is a parameter, not a weight
        return CNNFrameClassifier(n_filters=TINY["n_filters"], temporal=TINY["temporal"],
                                  time_context=TINY["time_context"],
                                  median_filter=est.median_filter)
    return type(est)(n_filters=TINY["n_filters"], time_context=TINY["time_context"])


def test_save_and_load_weights_round_trip(fitted_any, maps):
    buffer = io.BytesIO()
    fitted_any.save_weights(buffer)
    buffer.seek(0)
    twin = _unfitted_twin(fitted_any).load_weights(buffer)
    np.testing.assert_array_equal(outputs(twin, maps), outputs(fitted_any, maps))
    np.testing.assert_array_equal(twin.predict(maps), fitted_any.predict(maps))
    assert twin.predict(make_maps(n=2, n_frames=31)).shape[-1 if isinstance(
        fitted_any, CNNMaskRegressor) else 1] == 31


def test_saved_weights_refuse_another_time_context_or_class(fitted_clf):
    buffer = io.BytesIO()
    fitted_clf.save_weights(buffer)
    buffer.seek(0)
    with pytest.raises(ValueError, match=r"time_context=3 \(saved: 2\)"):
        CNNFrameClassifier(n_filters=(4,), time_context=3).load_weights(buffer)
    buffer.seek(0)
    with pytest.raises(ValueError, match="holds the weights of a CNNFrameClassifier; load them "
                                         "into a CNNFrameClassifier, not a CNNClassifier"):
        CNNClassifier(n_filters=(4,)).load_weights(buffer)


SR, HOP, N_FFT = 8000, 64, 256


@pytest.fixture(scope="module")
def tone_bursts():
    """Clips with one 1 kHz burst each, and a label per STFT frame."""
    rng = np.random.default_rng(0)
    n_samples = 1280
    n_frames = 1 + n_samples // HOP
    t = np.arange(n_samples) / SR
    audio, labels = [], []
    for _ in range(16):
        on = np.zeros(n_samples)
        start = rng.integers(0, n_samples // 2)
        on[start:start + n_samples // 3] = 1.0
        audio.append(0.5 * np.sin(2 * np.pi * 1000 * t) * on + 0.01 * rng.normal(size=n_samples))
        centres = np.minimum(np.arange(n_frames) * HOP, n_samples - 1)
        labels.append(np.where(on[centres] > 0, "tone", "bg"))
    return np.asarray(audio, dtype=np.float32), np.asarray(labels), n_frames


def _frame_pipeline(**cnn):
    return Pipeline([
        ("features", SpectrogramTransformer(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=16,
                                            output="db")),
        ("cnn", CNNFrameClassifier(**{**TINY, "max_epochs": 5, **cnn})),
    ])


def test_pipeline_from_audio_to_frame_labels(tone_bursts):
    audio, labels, n_frames = tone_bursts
    pipe = _frame_pipeline().fit(audio, labels)
    assert pipe[0].transform(audio).shape == (len(audio), 1, 16, n_frames)
    assert pipe.predict(audio).shape == (len(audio), n_frames)
    assert pipe.predict_proba(audio).shape == (len(audio), n_frames, 2)
    rf = describe(pipe).receptive_field
    assert rf["rf_seconds"] == pytest.approx(((rf["rf_frames"] - 1) * HOP + N_FFT) / SR)


def test_grid_search_over_time_context_with_frame_f1(tone_bursts):
    audio, labels, _ = tone_bursts
    search = GridSearchCV(_frame_pipeline(), {"cnn__time_context": [0, 1]}, cv=2,
                          scoring=make_frame_f1_scorer(background="bg"), error_score="raise")
    search.fit(audio, labels)
    assert search.best_params_["cnn__time_context"] in (0, 1)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,) and np.isfinite(scores).all() and (scores >= 0).all()
    assert search.best_estimator_.predict(audio).shape == labels.shape


def test_grid_search_regressor_with_raw_pitch_accuracy(maps):
    f0 = 220.0 * 2.0 ** frame_values(maps)  # Hz around 220, NaN where unvoiced
    search = GridSearchCV(CNNFrameRegressor(**TINY), {"lr": [1e-3, 1e-2]}, cv=2,
                          scoring=raw_pitch_accuracy_scorer, error_score="raise")
    search.fit(maps, f0)
    assert search.best_params_["lr"] in (1e-3, 1e-2)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()


# ------------------------------------------------------------------- seeding
@pytest.mark.parametrize("make, y_of", [
    (lambda seed: CNNFrameClassifier(**{**TINY, "random_state": seed}), frame_labels),
    (lambda seed: CNNFrameRegressor(**{**TINY, "random_state": seed}), frame_values),
    (lambda seed: CNNMaskRegressor(**{**TINY_MASK, "random_state": seed}), masks),
])
def test_an_int_random_state_repeats_training(maps, make, y_of):
    y = y_of(maps)
    a, b, other = (outputs(make(seed).fit(maps, y), maps) for seed in (3, 3, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, other)


def test_partial_fit_and_warm_start_continue_training(maps):
    y = frame_labels(maps)
    epochs = TINY["max_epochs"]
    first = CNNFrameClassifier(**TINY).fit(maps, y)
    fresh = first.predict_proba(maps)
    module = first.module_
    first.partial_fit(maps, y)
    assert len(first.history) == 2 * epochs and first.module_ is module
    assert not np.allclose(first.predict_proba(maps), fresh)
    # partial_fit on maps with fewer frames: the network is fully convolutional
    first.partial_fit(maps[..., :11], y[:, :11])
    assert len(first.history) == 3 * epochs
    # warm_start=True: fit continues as partial_fit does, from the same weights
    warm = CNNFrameClassifier(**TINY, warm_start=True).fit(maps, y)
    warm_module = warm.module_
    warm.fit(maps, y)
    assert len(warm.history) == 2 * epochs and warm.module_ is warm_module
    twin = CNNFrameClassifier(**TINY).fit(maps, y).partial_fit(maps, y)
    np.testing.assert_array_equal(warm.predict_proba(maps), twin.predict_proba(maps))
    # warm_start=False starts over: the first fit, exactly
    cold = warm.set_params(warm_start=False).fit(maps, y)
    assert len(cold.history) == epochs
    np.testing.assert_array_equal(cold.predict_proba(maps), fresh)


# ------------------------------------------------------- receptive field
@pytest.mark.parametrize("n_filters, time_context", [
    ((4,), 0), ((4,), 2), ((4, 4), 1), ((4, 4, 4), 3), ((8,), 4),
])
def test_receptive_field_in_frames(maps, n_filters, time_context):
    est = CNNFrameClassifier(n_filters=n_filters, temporal="conv", time_context=time_context)
    rf = describe(est, X=maps).receptive_field
    assert rf["rf_frames"] == 1 + 2 * len(n_filters) + (2 ** (time_context + 1) - 2)
    spec = SpectrogramTransformer(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=BINS, output="db")
    rf = describe(est, features=spec, X=np.zeros((2, 1280), dtype=np.float32)).receptive_field
    assert rf["rf_seconds"] == pytest.approx(((rf["rf_frames"] - 1) * HOP + N_FFT) / SR)


def test_receptive_field_is_what_a_frame_sees(fitted_clf, maps):
    """Changing one input frame changes exactly the outputs within half the
    receptive field that describe reports."""
    rf = describe(fitted_clf).receptive_field["rf_frames"]
    assert rf == 1 + 2 * 1 + (2 ** (TINY["time_context"] + 1) - 2)
    half = (rf - 1) // 2
    t0 = FRAMES // 2
    edited = maps.copy()
    edited[..., t0] += 10.0
    changed = np.abs(fitted_clf.predict_proba(edited) - fitted_clf.predict_proba(maps)) > 1e-6
    frames = np.flatnonzero(changed.any(axis=(0, 2)))
    assert frames.min() == t0 - half and frames.max() == t0 + half


@pytest.mark.parametrize("pool_size, n_filters, time_context", [
    (2, (4,), 2),
    (2, (4, 4), 1),
    (3, (4, 4, 4), 3),
])
def test_receptive_field_covers_every_input_an_output_depends_on(pool_size, n_filters,
                                                                  time_context):
    """No output frame depends on more input frames than describe reports
    (tanh and no norms: no unit is dead, so a zero gradient means no path)."""
    est = CNNFrameClassifier(n_filters=n_filters, pool_size=pool_size,
                             time_context=time_context, activation="tanh", input_norm=None,
                             batchnorm=False)
    X = make_maps(n=1, n_frames=48)
    rf = describe(est, X=X).receptive_field["rf_frames"]
    module = est.build_module(X.shape[1:], 2).eval()
    widths = []
    for t in range(16, 32):
        x = torch.as_tensor(X).requires_grad_(True)
        module(x)[0, :, t].sum().backward()
        seen = np.flatnonzero(x.grad[0].abs().sum(dim=(0, 1)).numpy() > 0)
        widths.append(seen.max() - seen.min() + 1)
    assert max(widths) <= rf


@pytest.mark.parametrize("pool_size", [(2, 2), (2, 1, 1)])
def test_frames_are_never_pooled(pool_size):
    est = CNNFrameClassifier(n_filters=(4,), pool_size=pool_size)
    with pytest.raises(ValueError, match="pools frequency only"):
        est.build_module((1, 8, 20), 2)

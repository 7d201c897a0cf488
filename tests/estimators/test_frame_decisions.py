"""The frame classifier's decision rules: per-class running medians and two
thresholds (hysteresis) for overlapping events."""

import pickle

import numpy as np
import pytest
from scipy.ndimage import median_filter as running_median

from skcnn import CNNFrameClassifier

N, BINS, FRAMES = 12, 8, 30
TINY = dict(n_filters=(4,), temporal="conv", time_context=1, max_epochs=3, lr=1e-2,
            random_state=0)


@pytest.fixture(scope="module")
def maps():
    return np.random.default_rng(0).normal(size=(N, 1, BINS, FRAMES)).astype(np.float32)


def indicators(X):
    return np.stack([X[:, 0, :4].mean(axis=1) > 0, X[:, 0, 4:].mean(axis=1) > 0],
                    axis=-1).astype(np.int64)


@pytest.fixture(scope="module")
def fitted_indicator(maps):
    return CNNFrameClassifier(**TINY, median_filter=1).fit(maps, indicators(maps))


@pytest.fixture(scope="module")
def fitted_labels(maps):
    y = np.where(indicators(maps)[..., 0] == 1, "on", "off")
    return CNNFrameClassifier(**TINY, median_filter=1).fit(maps, y)


def test_per_class_median_filters_each_class_by_its_own_size(fitted_indicator, maps):
    raw = fitted_indicator.predict_proba(maps)
    twin = pickle.loads(pickle.dumps(fitted_indicator)).set_params(median_filter=[1, 7])
    proba = twin.predict_proba(maps)
    np.testing.assert_array_equal(proba[..., 0], raw[..., 0])
    np.testing.assert_allclose(proba[..., 1], running_median(raw[..., 1], size=(1, 7),
                                                             mode="nearest"), rtol=1e-6)
    # the same size for every class is the scalar
    same = twin.set_params(median_filter=[5, 5]).predict_proba(maps)
    np.testing.assert_array_equal(same, twin.set_params(median_filter=5).predict_proba(maps))


def test_per_class_median_on_labels_is_renormalised(fitted_labels, maps):
    twin = pickle.loads(pickle.dumps(fitted_labels)).set_params(median_filter=[3, 9])
    proba = twin.predict_proba(maps)
    np.testing.assert_allclose(proba.sum(axis=-1), 1.0, rtol=1e-6)
    assert twin.predict(maps).shape == (N, FRAMES)


def test_hysteresis_keeps_runs_above_offset_that_reach_onset():
    from skcnn.estimators._frame import _hysteresis

    p = np.array([0.1, 0.4, 0.6, 0.45, 0.35, 0.42, 0.7, 0.2, 0.45, 0.3])
    proba = np.stack([p, p[::-1]], axis=-1)[None]          # (1 clip, 10 frames, 2 classes)
    out = _hysteresis(proba, np.array(0.5), np.array(0.4))
    # class 0: run 1-3 reaches 0.6 (kept); 5-6 reaches 0.7 (kept); 8 only 0.45 (dropped)
    np.testing.assert_array_equal(out[0, :, 0], [0, 1, 1, 1, 0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(out[0, :, 1], out[0, ::-1, 0])
    # offset == onset is one threshold
    np.testing.assert_array_equal(_hysteresis(proba, np.array(0.5), np.array(0.5)),
                                  (proba >= 0.5).astype(int))
    # per-class thresholds; runs never join across clips or classes
    two = np.concatenate([proba, proba])
    out = _hysteresis(two, np.array([0.5, 0.8]), np.array([0.4, 0.1]))
    np.testing.assert_array_equal(out[1], out[0])
    assert out[0, :, 1].sum() == 0  # class 1 never reaches 0.8


def test_offset_threshold_in_predict(fitted_indicator, maps):
    proba = fitted_indicator.predict_proba(maps)
    one = fitted_indicator.predict(maps)
    twin = pickle.loads(pickle.dumps(fitted_indicator)).set_params(offset_threshold=0.3)
    two = twin.predict(maps)
    assert two.shape == one.shape == (N, FRAMES, 2)
    assert (two >= one).all()                        # a lower offset only extends events
    assert (two[proba < 0.3] == 0).all()
    assert (two[(proba >= 0.3) & (proba < 0.5)] == 1).any()


@pytest.mark.parametrize("params, match", [
    (dict(offset_threshold=0.6), r"offset_threshold=0.6 exceeds threshold=0.5"),
    (dict(offset_threshold=[0.3, 0.2, 0.1]), r"offset_threshold has shape \(3,\); expected one "
                                             r"number or one per class \(2,\)"),
    (dict(offset_threshold=1.5), r"The 'offset_threshold' parameter of CNNFrameClassifier"),
    (dict(median_filter=[3, 5, 7]), r"median_filter has shape \(3,\)"),
])
def test_bad_decision_rules_are_refused_before_training(maps, params, match):
    est = CNNFrameClassifier(**TINY, **params)
    with pytest.raises(ValueError, match=match):
        est.fit(maps, indicators(maps))
    assert not hasattr(est, "module_")


def test_offset_threshold_with_labels_is_refused(maps, fitted_labels):
    y = np.where(indicators(maps)[..., 0] == 1, "on", "off")
    with pytest.raises(ValueError, match="offset_threshold=0.3 applies to indicator targets"):
        CNNFrameClassifier(**TINY, offset_threshold=0.3).fit(maps, y)
    twin = pickle.loads(pickle.dumps(fitted_labels)).set_params(offset_threshold=0.3)
    with pytest.raises(ValueError, match="offset_threshold=0.3 applies to indicator targets"):
        twin.predict(maps)

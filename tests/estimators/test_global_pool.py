"""Time-invariant networks: global pooling heads, clips of other lengths."""

import numpy as np
import pytest
import torch
from sklearn.pipeline import Pipeline

from skcnn import (
    CNNClassifier, CNNFrameClassifier, CNNFrameRegressor, CNNRegressor, SpectrogramTransformer,
)
from skcnn.datasets import make_audio_classification
from skcnn.inspection import describe_module
from skcnn.modules import CNN, GlobalPool


def test_avgmax_pools_frequency_first_then_max_plus_mean_over_time():
    X = torch.randn(3, 4, 5, 7)
    by_time = X.mean(dim=2)
    expected = by_time.amax(dim=2) + by_time.mean(dim=2)
    torch.testing.assert_close(GlobalPool("avgmax")(X), expected)
    torch.testing.assert_close(GlobalPool("avg")(X), X.mean(dim=(2, 3)))
    torch.testing.assert_close(GlobalPool("max")(X), X.amax(dim=(2, 3)))


def test_time_pools_the_frames_only_and_keeps_the_bins():
    X = torch.randn(3, 4, 5, 7)
    expected = (X.amax(dim=3) + X.mean(dim=3)).flatten(1)  # (n, channels * bins)
    torch.testing.assert_close(GlobalPool("time")(X), expected)
    assert GlobalPool("time")(X).shape == (3, 20)
    # 1-D maps: the length is time, as for 'avgmax'
    waves = torch.randn(3, 4, 9)
    torch.testing.assert_close(GlobalPool("time")(waves), GlobalPool("avgmax")(waves))
    # a pattern's place in frequency survives; 'avgmax' averages it away
    low, high = torch.zeros(1, 1, 4, 6), torch.zeros(1, 1, 4, 6)
    low[..., 0, :], high[..., 3, :] = 1, 1
    assert not torch.equal(GlobalPool("time")(low), GlobalPool("time")(high))
    assert torch.equal(GlobalPool("avgmax")(low), GlobalPool("avgmax")(high))


@pytest.mark.parametrize("mode", ["avg", "max", "avgmax", "time"])
def test_parameter_count_does_not_grow_with_the_clip_length(mode):
    def n_params(frames):
        net = CNN((1, 32, frames), 5, input_norm="bin", global_pool=mode)
        return sum(p.numel() for p in net.parameters())

    assert n_params(94) == n_params(157) == n_params(500)
    flat = [sum(p.numel() for p in CNN((1, 32, f), 5, global_pool=None).parameters())
            for f in (94, 157)]
    assert flat[1] > flat[0]  # the flattening head does grow


def test_a_model_trained_on_3_s_clips_predicts_5_s_clips():
    sr = 8000
    X3, y3 = make_audio_classification(n_samples=200, sr=sr, duration=3.0, random_state=0)
    X5, y5 = make_audio_classification(n_samples=60, sr=sr, duration=5.0, random_state=1)
    front = dict(sr=sr, n_fft=256, hop_length=128, n_mels=32)
    pipe = Pipeline([
        ("features", SpectrogramTransformer(**front)),
        # augmentation is tested in test_augment.py; here the point is that
        # what is learned on 3 s clips carries over to 5 s ones
        ("cnn", CNNClassifier(n_filters=(8, 16), hidden_units=(16,), input_norm="bin",
                              global_pool="avgmax", max_epochs=15, lr=3e-3, augment=None,
                              random_state=0)),
    ]).fit(X3, y3)
    assert pipe[-1].input_shape_ == (1, 32, 188)
    proba = pipe.predict_proba(X5)  # 313 frames: longer than any training map
    assert proba.shape == (60, len(np.unique(y3)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # five classes: chance is 0.2; seeds 0-2 give 0.60-0.80 (0.67-0.82 on the
    # 3 s training clips themselves)
    assert (pipe.predict(X5) == y5).mean() >= 0.5
    flat = Pipeline([("features", SpectrogramTransformer(**front)),
                     ("cnn", CNNClassifier(n_filters=(4,), global_pool=None, max_epochs=1,
                                           random_state=0))])
    flat.fit(X3[:20], y3[:20])
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(1, 32, 188\)"):
        flat.predict(X5[:2])


def test_a_time_pooled_regressor_predicts_clips_of_other_lengths_with_the_fitted_bins():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 1, 8, 12)).astype(np.float32)
    y = X[:, 0, :4].mean(axis=(1, 2))
    # input_norm='channel' alone would accept other bins: 'time' fixes them
    reg = CNNRegressor(n_filters=(4, 8), hidden_units=(8,), input_norm="channel",
                       global_pool="time", max_epochs=2, random_state=0).fit(X, y)
    assert reg.module_.head[0].in_features == 8 * 2  # channels x bins after two poolings
    assert reg.predict(rng.normal(size=(3, 1, 8, 30)).astype(np.float32)).shape == (3,)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(1, 8, 12\)"):
        reg.predict(rng.normal(size=(3, 1, 16, 12)).astype(np.float32))


@pytest.mark.parametrize("cls", [CNNFrameClassifier, CNNFrameRegressor])
def test_frame_estimators_refuse_pooling_their_frames(cls):
    X = np.zeros((4, 1, 8, 6), np.float32)
    y = np.tile([0, 1, 0, 1, 0, 1], (4, 1))
    with pytest.raises(ValueError, match=rf"'global_pool' parameter of {cls.__name__} must be"):
        cls(global_pool="time").fit(X, y)


def test_describe_time_pooling_keeps_each_bins_field():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), GlobalPool("time"),
                              torch.nn.Linear(2 * 11, 4))
    rows = describe_module(net, (1, 13, 20)).rows
    assert rows[1]["rf_frames"] == 20 and rows[1]["rf_bins"] == 3  # the frames only
    assert rows[2]["rf_frames"] == 20 and rows[2]["rf_bins"] == 13  # the dense layer: all


def test_the_regressor_keeps_the_frequency_axis_by_default_and_the_classifier_pools():
    # a regressor's target is often a position in frequency (a pitch), which
    # 'avgmax' averages away (benchmarks/bench_regressor_pool.py)
    assert CNNRegressor().global_pool is None
    assert CNNClassifier().global_pool == "avgmax"
    X = np.zeros((4, 1, 16, 8), np.float32)
    reg, clf = CNNRegressor(n_filters=(4,)), CNNClassifier(n_filters=(4,))
    assert reg.build_module(X.shape[1:], 1).head[0].in_features == 4 * 8 * 4  # every bin
    assert clf.build_module(X.shape[1:], 2).head[0].in_features == 4  # one per channel

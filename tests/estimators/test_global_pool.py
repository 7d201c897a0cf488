"""Time-invariant networks: global pooling heads, clips of other lengths."""

import numpy as np
import pytest
import torch
from sklearn.pipeline import Pipeline

from skcnn import CNNClassifier, SpectrogramTransformer
from skcnn.datasets import make_audio_classification
from skcnn.modules import CNN, GlobalPool


def test_avgmax_pools_frequency_first_then_max_plus_mean_over_time():
    X = torch.randn(3, 4, 5, 7)
    by_time = X.mean(dim=2)
    expected = by_time.amax(dim=2) + by_time.mean(dim=2)
    torch.testing.assert_close(GlobalPool("avgmax")(X), expected)
    torch.testing.assert_close(GlobalPool("avg")(X), X.mean(dim=(2, 3)))
    torch.testing.assert_close(GlobalPool("max")(X), X.amax(dim=(2, 3)))


@pytest.mark.parametrize("mode", ["avg", "max", "avgmax"])
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

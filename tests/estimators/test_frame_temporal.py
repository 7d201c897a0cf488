"""The frame estimators' recurrent temporal head (``temporal='gru'`` or 'lstm'): shapes,
what an output frame sees, reproducibility, persistence and describe."""

import io
import pickle

import numpy as np
import pytest
import torch

from skcnn import CNNFrameClassifier, CNNFrameRegressor
from skcnn.inspection import describe
from skcnn.modules import FrameCNN

N, BINS, FRAMES = 12, 8, 24
# the convolutional head unless a test names another (the classifier's default is 'gru')
TINY = dict(n_filters=(4,), temporal="conv", time_context=1, max_epochs=3, lr=1e-2,
            median_filter=1)


@pytest.fixture(scope="module")
def maps():
    return np.random.default_rng(0).normal(size=(N, 1, BINS, FRAMES)).astype(np.float32)


def labels(X):
    return np.where(X[:, 0, :4].mean(axis=1) > 0, "on", "off")


@pytest.mark.parametrize("temporal, rnn", [("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM)])
def test_recurrent_head_is_bidirectional_with_n_filters_units(temporal, rnn):
    net = FrameCNN((1, BINS, FRAMES), 3, n_filters=(4, 6), time_context=2, temporal=temporal)
    layers = [m for m in net.modules() if isinstance(m, torch.nn.RNNBase)]
    assert len(layers) == 1 and isinstance(layers[0], rnn)
    assert layers[0].bidirectional and layers[0].num_layers == 2 and layers[0].hidden_size == 6
    assert not any(isinstance(m, torch.nn.Conv1d) and m.dilation[0] > 1 for m in net.modules())
    for frames in (FRAMES, 7):  # any number of frames, kept one for one
        assert net(torch.zeros(2, 1, BINS, frames)).shape == (2, 3, frames)


def test_time_context_zero_has_no_temporal_layer():
    net = FrameCNN((1, BINS, FRAMES), 3, n_filters=(4,), time_context=0, temporal="gru")
    assert not any(isinstance(m, torch.nn.RNNBase) for m in net.modules())


def test_unknown_temporal_head_is_refused(maps):
    with pytest.raises(ValueError, match=r"temporal='rnn' must be one of \['conv', 'gru', 'lstm'\]"):
        FrameCNN((1, BINS, FRAMES), 3, temporal="rnn")
    with pytest.raises(ValueError, match=r"The 'temporal' parameter of CNNFrameClassifier must be "
                                         r"a str among"):
        CNNFrameClassifier(**{**TINY, "temporal": "rnn"}).fit(maps, labels(maps))


def test_every_output_frame_sees_the_whole_clip(maps):
    """With the convolutional head a frame far away changes nothing; with the
    recurrent head it changes every output frame, as describe says."""
    y = labels(maps)
    conv = CNNFrameClassifier(**TINY, random_state=0).fit(maps, y)
    gru = CNNFrameClassifier(**{**TINY, "temporal": "gru"}, random_state=0).fit(maps, y)
    edited = maps.copy()
    edited[..., -1] += 10.0
    for est, everywhere in ((conv, False), (gru, True)):
        changed = np.abs(est.predict_proba(edited) - est.predict_proba(maps)) > 1e-7
        assert changed.any(axis=(0, 2))[0] == everywhere
        assert changed.any(axis=(0, 2))[-1]
    assert describe(conv).receptive_field["rf_frames"] == 1 + 2 + 2
    rf = describe(gru).receptive_field
    assert rf["rf_frames"] == np.inf and rf["rf_bins"] == BINS
    assert "unbounded in frames" in str(describe(gru))


def test_seconds_of_an_unbounded_field_are_infinite():
    from skcnn import SpectrogramTransformer

    spec = SpectrogramTransformer(sr=8000, n_fft=256, hop_length=128, n_mels=16, output="db")
    est = CNNFrameClassifier(n_filters=(4,), time_context=1, temporal="lstm")
    description = describe(est, features=spec, X=np.zeros((2, 4000), dtype=np.float32))
    assert description.receptive_field["rf_seconds"] == np.inf
    assert description.covers(target_seconds=60.0)


@pytest.mark.parametrize("make", [
    lambda: CNNFrameClassifier(**{**TINY, "temporal": "gru"}, random_state=0),
    lambda: CNNFrameRegressor(**{k: v for k, v in TINY.items() if k != "median_filter"}
                              | {"temporal": "lstm"}, random_state=0),
])
def test_recurrent_fit_is_reproducible_on_the_cpu(maps, make):
    y = labels(maps) if isinstance(make(), CNNFrameClassifier) else maps[:, 0, :4].mean(axis=1)
    first, second = make().fit(maps, y), make().fit(maps, y)
    out = "predict_proba" if hasattr(first, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(first, out)(maps), getattr(second, out)(maps))
    assert getattr(first, out)(maps).shape[:2] == (N, FRAMES)


def test_recurrent_head_learns_what_only_the_clip_s_start_tells(maps):
    """Each clip's label in every frame is set by its first frame alone: a
    recurrent head sees it from every frame, a short convolutional one cannot."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 1, BINS, 40)).astype(np.float32)
    first = X[:, 0, :, 0].mean(axis=1) > 0
    X[:, 0, :, 0] += np.where(first, 3.0, -3.0)[:, None]
    y = np.repeat(np.where(first, "a", "b")[:, None], 40, axis=1)
    common = dict(n_filters=(8,), time_context=1, max_epochs=40, lr=1e-2, median_filter=1,
                  augment=None, random_state=0)
    gru = CNNFrameClassifier(**common, temporal="gru").fit(X, y)
    conv = CNNFrameClassifier(**common, temporal="conv").fit(X, y)
    assert gru.score(X, y) > 0.95
    assert conv.score(X, y) < 0.8


def test_weights_round_trip_and_refuse_another_head(maps):
    est = CNNFrameClassifier(**{**TINY, "temporal": "gru"}, random_state=0).fit(maps, labels(maps))
    buffer = io.BytesIO()
    est.save_weights(buffer)
    buffer.seek(0)
    twin = CNNFrameClassifier(**{**TINY, "temporal": "gru"}).load_weights(buffer)
    np.testing.assert_array_equal(twin.predict_proba(maps), est.predict_proba(maps))
    buffer.seek(0)
    with pytest.raises(ValueError, match=r"temporal='conv' \(saved: 'gru'\)"):
        CNNFrameClassifier(**TINY).load_weights(buffer)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict_proba(maps),
                                  est.predict_proba(maps))

"""PretrainedEmbedding: the network's numbers, per clip, in scikit-learn pipelines (CNN6, random weights).

scikit-learn's own API checks run in ``tests/test_common.py``.
"""

import pickle

import librosa
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from skcnn import PretrainedEmbedding
from skcnn.datasets import make_audio_classification
from skcnn.modules._panns import pool_frames
from skcnn.pretrained import front_end, load_pretrained


@pytest.fixture(scope="module")
def clips():
    """Four 0.5 s clips at 32 kHz: noise and tones."""
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 32000
    tones = [np.sin(2 * np.pi * f * t) for f in (220.0, 1000.0, 5000.0)]
    return (0.1 * rng.standard_normal((4, 16000)) + np.stack([0 * t, *tones])).astype(np.float32)


@pytest.fixture(scope="module")
def fitted(clips):
    return PretrainedEmbedding(model="cnn6", random_state=0).fit(clips)


def test_embeddings_are_the_network_on_its_front_end(fitted, clips):
    got = fitted.transform(clips)
    assert got.shape == (4, 512) and got.dtype == np.float32
    with torch.no_grad():
        expected = fitted.module_(torch.from_numpy(front_end("cnn6").transform(clips))).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert np.all(got >= 0)  # fc1's ReLU
    assert np.ptp(got, axis=0).max() > 0  # the clips differ


def test_trunk_layer_and_poolings(fitted, clips):
    trunk = {p: fitted.set_params(layer="trunk", pooling=p).transform(clips)
             for p in ("avgmax", "avg", "max")}
    fitted.set_params(layer="embedding", pooling="avgmax")
    np.testing.assert_allclose(trunk["avgmax"], trunk["avg"] + trunk["max"], rtol=1e-5, atol=1e-6)
    assert np.all(trunk["max"] >= trunk["avg"] - 1e-6)
    # the embedding is fc1 and its ReLU on the pooled trunk
    with torch.no_grad():
        fc1 = torch.relu(fitted.module_.fc1(torch.from_numpy(trunk["avgmax"]))).numpy()
    np.testing.assert_allclose(fitted.transform(clips), fc1, rtol=1e-4, atol=1e-5)


def test_pool_frames():
    frames = torch.tensor([[[1.0, 2.0, 6.0], [0.0, -1.0, -2.0]]])
    assert pool_frames(frames, "max").tolist() == [[6.0, 0.0]]
    assert pool_frames(frames, "avg").tolist() == [[3.0, -1.0]]
    assert pool_frames(frames, "avgmax").tolist() == [[9.0, -1.0]]
    with pytest.raises(ValueError, match="pooling='sum' must be one of"):
        pool_frames(frames, "sum")


def test_each_clip_depends_on_itself_alone(fitted, clips):
    together = fitted.transform(clips)
    alone = np.concatenate([fitted.transform(clips[i : i + 1]) for i in range(len(clips))])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)
    batched = clone(fitted).set_params(batch_size=3).fit(clips).transform(clips)
    np.testing.assert_allclose(batched, together, rtol=1e-5, atol=1e-6)


def test_input_is_resampled_to_the_network_rate(fitted, clips):
    low = librosa.resample(clips, orig_sr=32000, target_sr=16000, axis=-1)
    expected = fitted.transform(librosa.resample(low, orig_sr=16000, target_sr=32000, axis=-1))
    got = clone(fitted).set_params(sr=16000).fit(low).transform(low)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(got, fitted.transform(clips[:, ::2]), rtol=1e-3)  # not just read at 32k


def test_channels_are_mixed_to_mono(fitted, clips):
    stereo = np.stack([clips, 0.5 * clips[::-1]], axis=1)  # (4, 2, n)
    np.testing.assert_allclose(fitted.transform(stereo), fitted.transform(stereo.mean(axis=1)),
                               rtol=1e-5, atol=1e-6)


def test_integer_pcm_is_scaled(fitted, clips):
    pcm = np.round(np.clip(clips, -1, 1) * 32767).astype(np.int16)
    np.testing.assert_allclose(fitted.transform(pcm), fitted.transform(pcm / 32768.0),
                               rtol=1e-5, atol=1e-6)


def test_short_clips_need_duration(fitted):
    short = np.zeros((2, 4000), np.float32)  # 0.125 s: 13 frames, CNN6 needs 16
    with pytest.raises(ValueError, match=r"model='cnn6' needs clips of at least 0.150 s .*"
                                         r"the clips have 0.125 s. Set `duration`"):
        fitted.transform(short)
    padded = clone(fitted).set_params(duration=0.2).fit(short)
    assert padded.transform(short).shape == (2, 512)
    assert padded.transform([np.zeros(100), np.zeros(9000)]).shape == (2, 512)


def test_weights_from_a_file(tmp_path, clips, checkpoint_writer):
    path = tmp_path / "cnn6.pth"
    checkpoint_writer(path, "cnn6", seed=7)
    embed = PretrainedEmbedding(weights=str(path)).fit(clips)
    with torch.no_grad():
        expected = load_pretrained("cnn6", path)(torch.from_numpy(front_end("cnn6").transform(clips)))
    np.testing.assert_allclose(embed.transform(clips), expected.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(FileNotFoundError, match="nowhere.pth"):
        PretrainedEmbedding(weights=str(tmp_path / "nowhere.pth")).fit(clips)


def test_random_state_seeds_the_random_weights(clips):
    a = PretrainedEmbedding(random_state=1).fit(clips).transform(clips)
    b = PretrainedEmbedding(random_state=1).fit(clips).transform(clips)
    c = PretrainedEmbedding(random_state=2).fit(clips).transform(clips)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    state = torch.random.get_rng_state()
    PretrainedEmbedding(random_state=1).fit(clips)
    assert torch.equal(state, torch.random.get_rng_state())  # torch's global seed untouched


def test_unfitted_and_bad_parameters(clips):
    with pytest.raises(NotFittedError):
        PretrainedEmbedding().transform(clips)
    for params, name in [(dict(model="cnn99"), "model"), (dict(layer="fc2"), "layer"),
                         (dict(pooling="sum"), "pooling"), (dict(sr=0), "sr"),
                         (dict(batch_size=0), "batch_size"), (dict(weights=3), "weights")]:
        with pytest.raises(ValueError, match=f"The '{name}' parameter of PretrainedEmbedding"):
            PretrainedEmbedding(**params).fit(clips)


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the error without a GPU")
def test_cuda_without_gpu_is_a_clear_error(fitted, clips):
    with pytest.raises(ValueError, match="device='cuda'"):
        clone(fitted).set_params(device="cuda").fit(clips).transform(clips)


@pytest.mark.gpu
def test_gpu_matches_cpu(fitted, clips):
    on_gpu = clone(fitted).set_params(device="cuda").fit(clips)
    np.testing.assert_allclose(on_gpu.transform(clips), fitted.transform(clips),
                               rtol=1e-3, atol=1e-4)
    assert next(on_gpu.module_.parameters()).device.type == "cpu"  # given back after transform


def test_a_model_changed_after_fit_needs_a_new_fit(fitted, clips):
    changed = clone(fitted).fit(clips).set_params(model="cnn14")
    with pytest.raises(ValueError, match=r"model='cnn14' was set after fit, which loaded a "
                                         r"PANNsCNN6; fit again"):
        changed.transform(clips)


def test_feature_names_and_pickle(fitted, clips):
    names = fitted.get_feature_names_out()
    assert len(names) == 512 and names[0] == "pretrainedembedding0"
    twin = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(twin.transform(clips), fitted.transform(clips))


def test_pipeline_cross_validates_and_grid_searches(tmp_path):
    X, y = make_audio_classification(16, sr=8000, duration=0.5, n_classes=2, random_state=0)
    pipe = make_pipeline(PretrainedEmbedding(sr=8000, random_state=0, batch_size=16),
                         LogisticRegression(max_iter=1000))
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    pipe.set_params(pretrainedembedding__memory=tmp_path)  # each clip embedded once per layer
    search = GridSearchCV(pipe, {"pretrainedembedding__layer": ["embedding", "trunk"]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["pretrainedembedding__layer"] in ("embedding", "trunk")
    assert search.predict(X[:3]).shape == (3,)


# --------------------------------------------------------------------------- memory
@pytest.fixture
def counted(monkeypatch):
    """Counts the clips the network embeds (cache misses) while the test runs."""
    calls = []
    embed = PretrainedEmbedding._embed

    def counting(self, clips, entry):
        calls.append(len(clips))
        return embed(self, clips, entry)

    monkeypatch.setattr(PretrainedEmbedding, "_embed", counting)
    return calls


def _cached_files(location):
    return sorted((location / "skcnn_embeddings").glob("*/*.npy"))


def test_memory_computes_each_clip_once(fitted, clips, tmp_path, counted):
    expected = fitted.transform(clips)
    counted.clear()
    cached = clone(fitted).set_params(memory=str(tmp_path)).fit(clips)
    np.testing.assert_allclose(cached.transform(clips), expected, rtol=1e-5, atol=1e-6)
    assert sum(counted) == 4 and len(_cached_files(tmp_path)) == 4
    again = clone(cached).fit(clips)  # a new fit, as in another fold: read, not computed
    np.testing.assert_array_equal(again.transform(clips), cached.transform(clips))
    assert sum(counted) == 4
    more = np.concatenate([clips, clips[:1] * 0.5])
    assert again.transform(more).shape == (5, 512)
    assert sum(counted) == 5 and len(_cached_files(tmp_path)) == 5


def test_memory_keys_every_setting_that_changes_the_embedding(fitted, clips, tmp_path, counted):
    clips = clips[:2]
    base = clone(fitted).set_params(memory=tmp_path)
    outputs = {}
    for name, params in [("base", {}), ("trunk", dict(layer="trunk")),
                         ("max", dict(pooling="max")), ("seed", dict(random_state=1)),
                         ("16k", dict(sr=16000)), ("cropped", dict(duration=0.4))]:
        model = clone(base).set_params(**params).fit(clips)
        outputs[name] = model.transform(clips)
        fresh = clone(model).set_params(memory=None).fit(clips).transform(clips)
        np.testing.assert_allclose(outputs[name], fresh, rtol=1e-5, atol=1e-6)
    assert sum(counted) == 6 * 2 * 2  # every setting computed its own, none read another's
    assert len(_cached_files(tmp_path)) == 6 * 2


def test_memory_takes_a_joblib_memory_and_survives_a_damaged_file(fitted, clips, tmp_path,
                                                                  counted):
    joblib = pytest.importorskip("joblib")
    cached = clone(fitted).set_params(memory=joblib.Memory(tmp_path, verbose=0)).fit(clips)
    expected = cached.transform(clips)
    files = _cached_files(tmp_path)
    assert len(files) == 4
    files[0].write_bytes(b"cut")  # unreadable: computed again and rewritten
    counted.clear()
    # the one clip recomputed alone rounds like a batch of one
    np.testing.assert_allclose(cached.transform(clips), expected, rtol=1e-5, atol=1e-6)
    assert sum(counted) == 1
    assert not any(p.name.endswith(".tmp.npy") for p in files[0].parent.iterdir())


def test_cross_validation_with_memory_embeds_each_clip_once(tmp_path, counted):
    X, y = make_audio_classification(24, sr=8000, duration=0.5, n_classes=2, random_state=0)
    pipe = make_pipeline(PretrainedEmbedding(sr=8000, random_state=0, memory=tmp_path),
                         LogisticRegression(max_iter=1000))
    first = cross_val_score(pipe, X, y, cv=3)
    assert sum(counted) == 24  # each clip once over the three folds' fits and scores
    np.testing.assert_array_equal(cross_val_score(pipe, X, y, cv=3), first)
    assert sum(counted) == 24


def test_audio_files_are_read_a_batch_at_a_time(fitted, clips, tmp_path):
    # files at another rate are resampled to sr, as load_audio_folder does
    import soundfile as sf

    from skcnn.datasets import load_audio_folder

    (tmp_path / "clips").mkdir()
    paths = []
    for i, clip in enumerate(clips):
        rate = 16000 if i == 2 else 32000
        data = clip if rate == 32000 else librosa.resample(clip, orig_sr=32000, target_sr=rate)
        paths.append(str(tmp_path / "clips" / f"{i}.wav"))
        sf.write(paths[-1], data, rate, subtype="FLOAT")
    in_memory = np.stack(load_audio_folder(tmp_path, sr=32000).data)
    embed = clone(fitted).set_params(batch_size=3).fit(paths)
    np.testing.assert_allclose(embed.transform(paths), embed.transform(in_memory),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"could not read audio file .*missing.wav"):
        embed.transform(paths + [str(tmp_path / "missing.wav")])


def test_precision(fitted, clips):
    bf16 = clone(fitted).set_params(precision="bf16").fit(clips).transform(clips)
    full = fitted.transform(clips)
    assert bf16.dtype == np.float32
    assert np.abs(bf16 - full).max() <= 0.05 * np.abs(full).max()  # bfloat16: ~3 digits
    with pytest.raises(ValueError, match=r"precision='16-mixed' needs a CUDA device"):
        clone(fitted).set_params(precision="16-mixed").fit(clips).transform(clips)


# ------------------------------------------------------------------ frame level
def test_frame_embeddings_are_the_network_per_frame(fitted, clips):
    frames = clone(fitted).set_params(pooling=None).fit(clips)
    got = frames.transform(clips)
    # 0.5 s: 51 front-end frames, pooled 16 by 16 into 3 embeddings, as channels of one bin
    assert got.shape == (4, 512, 1, 3) and got.dtype == np.float32
    maps = torch.from_numpy(front_end("cnn6").transform(clips))
    with torch.no_grad():
        trunk = fitted.module_.frame_embeddings(maps)
        per_frame = torch.relu(fitted.module_.fc1(trunk.transpose(1, 2))).transpose(1, 2)
    np.testing.assert_allclose(got[:, :, 0], per_frame.numpy(), rtol=1e-4, atol=1e-5)
    trunk_got = frames.set_params(layer="trunk").transform(clips)
    np.testing.assert_allclose(trunk_got[:, :, 0], trunk.numpy(), rtol=1e-5, atol=1e-6)
    # pooled, the trunk's frames give the clip embedding's input
    pooled = fitted.set_params(layer="trunk", pooling="avg").transform(clips)
    fitted.set_params(layer="embedding", pooling="avgmax")
    np.testing.assert_allclose(trunk_got[:, :, 0].mean(axis=-1), pooled, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="pooling=None gives frame embeddings"):
        frames.get_feature_names_out()


def test_frame_times_and_span_match_the_network():
    embed = PretrainedEmbedding(model="cnn6", sr=16000, random_state=0).fit(np.zeros((1, 16000)))
    # CNN6 pools 16 frames of 10 ms: centres at 7.5 frames, then every 0.16 s
    np.testing.assert_allclose(embed.frame_times(3), [0.075, 0.235, 0.395])
    assert embed.feature_span(1, 1) == {"seconds": (75 * 320 + 1024) / 32000, "hertz": None,
                                        "semitones": None, "frequency_axis": "embedding"}
    assert embed.feature_span(1, 3)["seconds"] == pytest.approx((107 * 320 + 1024) / 32000)
    # the receptive field is the network's own: a change to one input frame moves
    # exactly the frame embeddings whose span holds it
    net = embed.module_
    x = torch.randn(1, 1, 64, 400, requires_grad=True)
    net.frame_embeddings(x)[0, :, 12].sum().backward()
    seen = torch.nonzero(x.grad[0, 0].abs().sum(0)).flatten()
    assert int(seen.max() - seen.min()) + 1 == net.receptive_field == 76
    assert (seen.min() + seen.max()) / 2 * 0.01 == pytest.approx(embed.frame_times(13)[-1])
    with pytest.raises(ValueError, match="n_frames"):
        embed.frame_times(0)
    with pytest.raises(NotFittedError):
        PretrainedEmbedding().frame_times(2)


def test_align_labels_by_majority():
    embed = PretrainedEmbedding(model="cnn6", sr=8000, random_state=0).fit(np.zeros((1, 8000)))
    # labels every 160 samples (20 ms) at 8 kHz: 8 label frames per 0.16 s embedding frame
    times = np.arange(63) * 160 / 8000
    y = np.where((times >= 0.30) & (times < 0.70), 7, 0)[None]
    aligned = embed.align_labels(y, hop_length=160, n_frames=6)
    # centres 0.075, 0.235, 0.395, 0.555, 0.715, 0.875 (spans +- 0.08 s)
    np.testing.assert_array_equal(aligned, [[0, 0, 7, 7, 0, 0]])
    # a tie (4 of 8) goes to the label nearest the centre
    y = np.where(times < 0.235, 1, 2)[None]
    assert embed.align_labels(y, hop_length=160, n_frames=6)[0, 1] == 2
    # string labels keep their dtype
    named = embed.align_labels(np.where(y == 1, "dog", "cat"), hop_length=160, n_frames=6)
    assert named.dtype.kind == "U" and named[0, 0] == "dog"
    # indicators: active where at least half of the span's label frames are
    indicator = np.zeros((1, 63, 2), dtype=int)
    indicator[0, (times >= 0.30) & (times < 0.70), 0] = 1
    indicator[0, (times >= 0.50) & (times < 0.56), 1] = 1  # 3 label frames in frame 3's span
    out = embed.align_labels(indicator, hop_length=160, n_frames=6)
    np.testing.assert_array_equal(out[0, :, 0], [0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(out[0, :, 1], [0, 0, 0, 0, 0, 0])
    # labels sparser than the frames: the nearest label frame
    coarse = embed.align_labels(np.array([[0, 5, 5]]), hop_length=4000, n_frames=6)
    np.testing.assert_array_equal(coarse, [[0, 0, 5, 5, 5, 5]])


def test_align_labels_matches_a_count_per_clip():
    # every clip at once gives what counting each clip's span by hand gives, ties included
    embed = PretrainedEmbedding(model="cnn6", sr=8000, random_state=0).fit(np.zeros((1, 8000)))
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=(40, 63))
    aligned = embed.align_labels(y, hop_length=160, n_frames=6)
    times = np.arange(63) * 160 / 8000
    centres = embed.frame_times(6)
    step = centres[1] - centres[0]
    for i in range(len(y)):
        for k, centre in enumerate(centres):
            distance = np.abs(times - centre)
            inside = np.flatnonzero(distance <= step / 2)
            labels = y[i, inside[np.argsort(distance[inside], kind="stable")]]
            counts = {label: np.sum(labels == label) for label in labels}
            best = max(counts.values())
            assert aligned[i, k] == next(label for label in labels if counts[label] == best)


def test_align_labels_refuses_labels_of_shorter_clips():
    embed = PretrainedEmbedding(model="cnn6", sr=8000, random_state=0).fit(np.zeros((1, 8000)))
    with pytest.raises(ValueError, match="shorter clips"):
        embed.align_labels(np.zeros((1, 20), dtype=int), hop_length=160, n_frames=6)
    with pytest.raises(ValueError, match="label per frame"):
        embed.align_labels(np.zeros(20, dtype=int), hop_length=160, n_frames=6)
    with pytest.raises(ValueError, match="hop_length"):
        embed.align_labels(np.zeros((1, 63), dtype=int), hop_length=0, n_frames=6)


def test_frame_embeddings_feed_the_frame_classifier(tmp_path):
    from skcnn import CNNFrameClassifier
    from skcnn.datasets import make_soundscapes
    from skcnn.inspection import describe

    clips, labels = make_audio_classification(12, sr=8000, duration=0.4, n_classes=2,
                                              random_state=0)
    scenes = make_soundscapes(list(clips), labels, sr=8000, duration=1.5, n_soundscapes=6,
                              hop_length=128, random_state=0)
    embed = PretrainedEmbedding(sr=8000, pooling=None, memory=tmp_path, random_state=0)
    E = embed.fit_transform(scenes.data)
    y = embed.align_labels(scenes.target, hop_length=128, n_frames=E.shape[-1])
    assert E.shape == (6, 512, 1, 9) and y.shape == (6, 9)
    np.testing.assert_array_equal(embed.transform(scenes.data), E)  # read back from memory
    net = CNNFrameClassifier(max_epochs=2, n_filters=(8,), temporal="conv", time_context=1,
                             random_state=0)
    net.fit(E, y)
    assert net.predict(E).shape == y.shape
    rf = describe(make_pipeline(embed, net)).receptive_field
    # the classifier's 3 x 3 convolution and its one dilated layer see 5 frame embeddings
    assert rf["rf_frames"] == 5
    assert rf["rf_seconds"] == pytest.approx(embed.feature_span(1, 5)["seconds"])

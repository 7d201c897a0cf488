"""Lazy input: a list of audio files in, features computed a batch at a time out.

Each batch of a LazyFeatures equals the same rows of the array the
transformer computes from the clips read into memory; files that cannot be
read are errors naming them; the scaler's streaming fit equals its fit on
the array.
"""

import os
import pickle

import numpy as np
import pytest
import soundfile as sf

from skcnn import CQTTransformer, MFCCTransformer, SpectrogramScaler, SpectrogramTransformer
from skcnn.datasets import load_audio_folder
from skcnn.features import LazyFeatures
from skcnn.features._files import AudioFiles, is_file_list

SR = 8000


def _write(folder, n=12, seconds=0.5, sr=SR, seed=0, lengths=None):
    rng = np.random.default_rng(seed)
    paths, clips = [], []
    for i in range(n):
        size = lengths[i] if lengths is not None else int(seconds * sr)
        t = np.arange(size) / sr
        x = (0.4 * np.sin(2 * np.pi * (200 + 150 * i) * t)
             + 0.05 * rng.normal(size=size)).astype(np.float32)
        path = folder / f"clip{i:02d}.wav"
        sf.write(path, x, sr, subtype="FLOAT")
        paths.append(str(path))
        clips.append(x)
    return paths, clips


@pytest.fixture
def files(tmp_path):
    return _write(tmp_path)


def test_file_lists_are_recognised():
    assert is_file_list(["a.wav", "b.wav"])
    assert is_file_list(np.array(["a.wav"]))
    assert is_file_list([os.path.join("x", "a.wav"), __import__("pathlib").Path("b.flac")])
    assert not is_file_list([])
    assert not is_file_list([np.zeros(3)])
    assert not is_file_list(np.zeros((2, 3)))
    assert not is_file_list(["a.wav", np.zeros(3)])


@pytest.mark.parametrize("transformer", [
    SpectrogramTransformer(sr=SR, n_fft=256, hop_length=64, n_mels=24),
    MFCCTransformer(sr=SR, n_mfcc=13, n_fft=256, hop_length=64),
    SpectrogramTransformer(sr=SR, n_fft=256, hop_length=64, output="complex"),
    CQTTransformer(sr=SR, hop_length=64, fmin=100.0, n_bins=24),
], ids=["mel", "mfcc", "complex", "cqt"])
def test_batches_equal_the_array_transform(files, transformer):
    paths, clips = files
    expected = transformer.fit_transform(np.stack(clips))
    lazy = transformer.fit_transform(paths)
    assert isinstance(lazy, LazyFeatures)
    assert lazy.shape == expected.shape and lazy.ndim == 4 and len(lazy) == len(paths)
    assert lazy.dtype == np.float32
    np.testing.assert_array_equal(lazy.batch([5, 0, 3]), expected[[5, 0, 3]])
    np.testing.assert_array_equal(np.asarray(lazy), expected)
    np.testing.assert_array_equal(lazy[7], expected[7])


def test_indexing_gives_lazy_parts(files):
    paths, clips = files
    transformer = SpectrogramTransformer(sr=SR, n_fft=256, n_mels=16)
    expected = transformer.transform(np.stack(clips))
    lazy = transformer.transform(paths)
    part = lazy[np.array([9, 2, 4])]
    assert isinstance(part, LazyFeatures) and part.shape == (3,) + expected.shape[1:]
    np.testing.assert_array_equal(np.asarray(part), expected[[9, 2, 4]])
    np.testing.assert_array_equal(np.asarray(lazy[2:5]), expected[2:5])
    with pytest.raises(IndexError, match="indexed along its clips only"):
        lazy[0, 0]
    assert "LazyFeatures of 12 files" in repr(lazy)


def test_lazy_output_keeps_the_parameters_it_was_made_with(files):
    paths, clips = files
    transformer = SpectrogramTransformer(sr=SR, n_fft=256, n_mels=16)
    lazy = transformer.transform(paths)
    transformer.set_params(n_mels=32)
    assert lazy.batch([0]).shape[2] == 16
    again = pickle.loads(pickle.dumps(lazy))  # DataLoader workers may receive it pickled
    np.testing.assert_array_equal(again.batch([1, 2]), lazy.batch([1, 2]))


def test_files_at_another_rate_are_resampled_as_the_folder_loader_does(tmp_path):
    (tmp_path / "a").mkdir()
    paths, _ = _write(tmp_path / "a", n=3, sr=16000)
    clips = load_audio_folder(tmp_path, sr=SR).data
    transformer = SpectrogramTransformer(sr=SR, n_fft=256, n_mels=16)
    np.testing.assert_array_equal(np.asarray(transformer.transform(paths)),
                                  transformer.transform(np.stack(clips)))


def test_stereo_files_are_mixed_to_mono(tmp_path):
    path = tmp_path / "stereo.wav"
    left, right = np.full(800, 0.5, np.float32), np.full(800, -0.1, np.float32)
    sf.write(path, np.stack([left, right], axis=1), SR, subtype="FLOAT")
    np.testing.assert_allclose(AudioFiles([path], sr=SR, length=None).read([0])[0, 0], 0.2)


def test_different_lengths_need_a_duration(tmp_path):
    paths, clips = _write(tmp_path, n=3, lengths=[4000, 3000, 4200])
    transformer = SpectrogramTransformer(sr=SR, n_fft=256, n_mels=16)
    with pytest.raises(ValueError, match=r"different lengths.*clip01.wav.*3000.*clip02.wav.*"
                                         r"4200.*set `duration`"):
        transformer.fit(paths)
    transformer.set_params(duration=0.5)
    lazy = transformer.fit_transform(paths)
    np.testing.assert_array_equal(np.asarray(lazy), transformer.transform(clips))


def test_unreadable_files_are_named_before_any_work(tmp_path):
    paths, _ = _write(tmp_path, n=3)
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio")
    transformer = SpectrogramTransformer(sr=SR, n_fft=256, n_mels=16)
    with pytest.raises(ValueError, match=r"could not read audio file .*junk.wav"):
        transformer.fit(paths + [str(junk)])
    with pytest.raises(ValueError, match=r"could not read audio file .*missing.wav"):
        transformer.transform(paths + [str(tmp_path / "missing.wav")])
    link = tmp_path / "dangling.wav"
    link.symlink_to(tmp_path / "nowhere.wav")
    with pytest.raises(ValueError, match=r"dangling.wav.*symbolic link"):
        transformer.transform([str(link)])
    # a WAV cut short: its header declares more frames than it holds
    data = open(paths[0], "rb").read()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut.wav.*truncated"):
        transformer.transform([str(cut)])


def test_damaged_samples_are_named_when_their_batch_is_read(tmp_path):
    paths, clips = _write(tmp_path, n=3)
    bad = clips[1].copy()
    bad[10] = np.nan
    sf.write(paths[1], bad, SR, subtype="FLOAT")
    lazy = SpectrogramTransformer(sr=SR, n_fft=256, n_mels=16).transform(paths)
    lazy.batch([0, 2])  # the others are fine
    with pytest.raises(ValueError, match=r"clip01.wav.*NaN or infinite"):
        lazy.batch([0, 1])


@pytest.mark.parametrize("per", ["bin", "channel", "global"])
def test_scaler_streams_through_lazy_maps(tmp_path, per, monkeypatch):
    # chunks of 5 clips: the streaming merge runs over several chunks
    monkeypatch.setattr("skcnn.utils._lazy.STREAM_CHUNK", 5)
    paths, clips = _write(tmp_path, n=12)
    front = SpectrogramTransformer(sr=SR, n_fft=256, n_mels=16, output="power")
    maps, lazy = front.transform(np.stack(clips)), front.transform(paths)
    on_array = SpectrogramScaler(per=per).fit(maps)
    streamed = SpectrogramScaler(per=per).fit(lazy)
    np.testing.assert_allclose(streamed.mean_, on_array.mean_, rtol=1e-12)
    np.testing.assert_allclose(streamed.scale_, on_array.scale_, rtol=1e-10)
    assert streamed.n_features_in_ == on_array.n_features_in_ == 1
    scaled = streamed.transform(lazy)
    assert isinstance(scaled, LazyFeatures)
    np.testing.assert_allclose(np.asarray(scaled), on_array.transform(maps), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="fitted on"):
        SpectrogramScaler().fit(maps[:, :, :8]).transform(lazy)

"""Tests for skcnn.datasets: generators, folder and FSDD loaders, fetch_fsdd."""

import hashlib
import io
import os
import re
import tarfile
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import stft

from skcnn.datasets._fsdd import _read_checksums
from skcnn.datasets import (
    AUDIO_CLASS_NAMES,
    fetch_fsdd,
    get_data_home,
    load_audio_folder,
    load_fsdd,
    make_audio_classification,
    make_audio_regression,
)

SR = 8000


# --------------------------------------------------------------------------------------
# make_audio_classification
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_samples, n_classes, sr, duration", [(200, 5, 8000, 0.5), (7, 3, 16000, 0.1), (2, 2, 8000, 1)]
)
def test_classification_shapes_dtypes_balance(n_samples, n_classes, sr, duration):
    X, y = make_audio_classification(
        n_samples, n_classes=n_classes, sr=sr, duration=duration, random_state=0
    )
    assert X.shape == (n_samples, round(sr * duration))
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert np.isfinite(X).all()
    counts = np.bincount(y, minlength=n_classes)
    assert counts.size == n_classes and counts.max() - counts.min() <= 1


def test_classification_seeding():
    X1, y1 = make_audio_classification(20, random_state=3)
    X2, y2 = make_audio_classification(20, random_state=3)
    X3, _ = make_audio_classification(20, random_state=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    X4, _ = make_audio_classification(20, random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(X1, X4)


def test_classification_no_shuffle_cycles_labels():
    _, y = make_audio_classification(12, n_classes=4, shuffle=False, random_state=0)
    np.testing.assert_array_equal(y, np.arange(12) % 4)


def test_classification_noise_level():
    X, _ = make_audio_classification(10, noise=0.0, random_state=0)
    assert np.abs(X).max() <= 1.0
    assert (np.abs(X[:, :5]) == 0).any()  # silence around the events without noise
    X_noisy, _ = make_audio_classification(10, noise=0.1, random_state=0)
    assert (X_noisy - X).std() == pytest.approx(0.1, rel=0.05)


def _active_frames(clip):
    """Peak frequency and power of the frames where the event sounds."""
    freqs, _, Z = stft(clip, fs=SR, nperseg=256, noverlap=192)
    power = np.abs(Z) ** 2
    energy = power.sum(axis=0)
    active = energy > 0.3 * energy.max()
    return freqs, power[:, active]


@pytest.fixture(scope="module")
def clean_clips():
    return make_audio_classification(100, noise=0.0, random_state=1)


def test_classes_differ_in_time_frequency(clean_clips):
    X, y = clean_clips
    for clip, label in zip(X, y):
        kind = AUDIO_CLASS_NAMES[label]
        freqs, power = _active_frames(clip)
        peaks = freqs[power.argmax(axis=0)]
        first, last = np.median(peaks[:3]), np.median(peaks[-3:])
        step = freqs[1]  # peaks may wobble by one bin
        spectrum = power.mean(axis=1)[1:]
        flatness = np.exp(np.mean(np.log(spectrum + 1e-20))) / spectrum.mean()
        onset = np.flatnonzero(clip)[0]
        event = clip[onset : np.flatnonzero(clip)[-1] + 1]
        crest = np.abs(event).max() / np.sqrt(np.mean(event**2))
        if kind == "tone":
            assert peaks.max() / peaks.min() < 1.1, kind  # the peak stays put
            assert flatness < 0.05, kind
        elif kind == "chirp_up":
            assert last > 1.4 * first, kind  # the peak rises (by one octave or more)
            assert (np.diff(peaks) >= -step).all(), kind  # and never falls
            assert first >= 150 and last <= 3100
        elif kind == "chirp_down":
            assert first > 1.4 * last, kind  # the peak falls
            assert (np.diff(peaks) <= step).all(), kind
        elif kind == "noise_burst":
            assert flatness > 0.5, kind  # broadband
            assert crest < 2.0, kind  # and steady
        else:
            assert kind == "click_train"
            assert crest > 5.0, kind  # energy in short spikes
            assert flatness > 0.1, kind  # broadband


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_samples": 0}, r"n_samples=0 must be a positive integer"),
        ({"n_samples": 2.5}, r"n_samples=2.5 must be a positive integer"),
        ({"sr": -8000}, r"sr=-8000 must be a positive integer"),
        ({"duration": 0}, r"duration=0 must be a positive number"),
        ({"duration": 0.001}, r"duration=0.001 at sr=8000 gives 8 samples"),
        ({"noise": -0.1}, r"noise=-0.1 must be a non-negative number"),
        ({"n_classes": 1}, r"n_classes=1 must be an integer from 2 to 5"),
        ({"n_classes": 6}, r"n_classes=6 must be an integer from 2 to 5"),
    ],
)
def test_classification_parameter_errors(params, match):
    with pytest.raises(ValueError, match=match):
        make_audio_classification(**params)


# --------------------------------------------------------------------------------------
# make_audio_regression
# --------------------------------------------------------------------------------------


def test_regression_shapes_seeding_and_range():
    X, y = make_audio_regression(50, random_state=0)
    assert X.shape == (50, 4000) and X.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.float64
    assert ((y >= 100) & (y <= 1200)).all()
    X2, y2 = make_audio_regression(50, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X_log, y_log = make_audio_regression(50, target="log_pitch", random_state=0)
    np.testing.assert_array_equal(X, X_log)
    np.testing.assert_allclose(y_log, np.log2(y))


def test_regression_target_is_the_measured_pitch():
    X, y = make_audio_regression(40, noise=0.0, random_state=2)
    n_fft = 1 << 16
    freqs = np.fft.rfftfreq(n_fft, 1 / SR)
    for clip, pitch in zip(X, y):
        measured = freqs[np.abs(np.fft.rfft(clip, n_fft)).argmax()]
        assert measured == pytest.approx(pitch, rel=0.02)


def test_regression_target_survives_default_noise():
    X, y = make_audio_regression(20, random_state=5)
    freqs = np.fft.rfftfreq(1 << 15, 1 / SR)
    measured = freqs[np.abs(np.fft.rfft(X, 1 << 15, axis=1)).argmax(axis=1)]
    np.testing.assert_allclose(measured, y, rtol=0.02)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"target": "hz"}, r"target='hz' must be 'pitch' or 'log_pitch'"),
        ({"n_samples": -1}, r"n_samples=-1 must be a positive integer"),
        ({"noise": "loud"}, r"noise='loud' must be a non-negative number"),
    ],
)
def test_regression_parameter_errors(params, match):
    with pytest.raises(ValueError, match=match):
        make_audio_regression(**params)


# --------------------------------------------------------------------------------------
# load_audio_folder
# --------------------------------------------------------------------------------------

DOGS = "dog barks"
CATS = "cat (meows) & co., 'ok'!"


def _tone(freq, seconds=0.25, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def audio_tree(tmp_path):
    """A folder of two classes: a WAV, a FLAC, an OGG and a stereo WAV, plus clutter."""
    root = tmp_path / "sounds"
    (root / DOGS).mkdir(parents=True)
    (root / CATS).mkdir()
    (root / ".git").mkdir()  # hidden folders are not classes
    sf.write(root / DOGS / "a.wav", _tone(440), SR, subtype="PCM_16")
    sf.write(root / DOGS / "b.flac", _tone(660), SR, format="FLAC")
    sf.write(root / CATS / "c.ogg", _tone(500, seconds=0.5), SR, format="OGG", subtype="VORBIS")
    stereo = np.stack([_tone(300), 0.5 * _tone(300)], axis=1)
    sf.write(root / CATS / "d stereo.WAV", stereo, SR, subtype="FLOAT")
    (root / CATS / "notes.txt").write_text("not audio")
    (root / "README.txt").write_text("files beside the class folders are ignored")
    return root


def test_load_audio_folder_reads_all_formats(audio_tree):
    bunch = load_audio_folder(audio_tree)
    assert bunch.target_names == sorted([DOGS, CATS])
    names = [Path(f).name for f in bunch.filenames]
    assert names == ["c.ogg", "d stereo.WAV", "a.wav", "b.flac"]
    np.testing.assert_array_equal(bunch.target, [0, 0, 1, 1])
    assert bunch.target.dtype == np.int64
    assert [bunch.target_names[t] for t in bunch.target] == [CATS, CATS, DOGS, DOGS]
    assert bunch.sr == SR
    for clip in bunch.data:
        assert clip.dtype == np.float32 and clip.ndim == 1
    ogg, stereo, wav, flac = bunch.data
    np.testing.assert_allclose(wav, _tone(440), atol=1e-4)  # 16-bit quantization
    np.testing.assert_allclose(flac, _tone(660), atol=1e-4)
    assert ogg.shape == (4000,)
    assert np.corrcoef(ogg, _tone(500, seconds=0.5))[0, 1] > 0.99  # lossy but faithful
    np.testing.assert_allclose(stereo, 0.75 * _tone(300), atol=1e-6)  # channels' mean


def test_load_audio_folder_lazy_reads_headers_only(audio_tree):
    # the paths, in the order and with the targets of the eager load; an
    # unreadable or truncated file is found from its header
    eager = load_audio_folder(audio_tree)
    lazy = load_audio_folder(audio_tree, lazy=True)
    assert lazy.data == list(eager.filenames) and all(isinstance(p, str) for p in lazy.data)
    np.testing.assert_array_equal(lazy.target, eager.target)
    assert lazy.sr == SR and load_audio_folder(audio_tree, lazy=True, sr=16000).sr == 16000
    content = (audio_tree / DOGS / "a.wav").read_bytes()
    (audio_tree / DOGS / "cut.wav").write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match=r"cut\.wav.*truncated"):
        load_audio_folder(audio_tree, lazy=True)
    with pytest.warns(UserWarning, match=r"skipping .*cut\.wav"):
        assert len(load_audio_folder(audio_tree, lazy=True, on_error="warn").data) == 4
    # files at different rates: each is resampled later, to the transformer's sr
    (audio_tree / DOGS / "cut.wav").unlink()
    sf.write(audio_tree / DOGS / "fast.wav", _tone(440, sr=16000), 16000)
    mixed = load_audio_folder(audio_tree, lazy=True)
    assert len(mixed.data) == 5 and mixed.sr is None


def test_load_audio_folder_keeps_channels(audio_tree):
    bunch = load_audio_folder(audio_tree, mono=False)
    shapes = {Path(f).name: clip.shape for f, clip in zip(bunch.filenames, bunch.data)}
    assert shapes == {"c.ogg": (1, 4000), "d stereo.WAV": (2, 2000), "a.wav": (1, 2000),
                      "b.flac": (1, 2000)}
    stereo = bunch.data[1]
    np.testing.assert_allclose(stereo[1], 0.5 * stereo[0], atol=1e-6)


@pytest.mark.parametrize("sr", [16000, 4000, 11025])
def test_load_audio_folder_resamples(audio_tree, sr):
    bunch = load_audio_folder(audio_tree, sr=sr)
    assert bunch.sr == sr
    for clip, original in zip(bunch.data, load_audio_folder(audio_tree).data):
        assert clip.dtype == np.float32
        assert abs(clip.size - original.size * sr / SR) <= 1
    # a 440 Hz tone still peaks at 440 Hz
    wav = bunch.data[2]
    freqs = np.fft.rfftfreq(1 << 15, 1 / sr)
    assert freqs[np.abs(np.fft.rfft(wav, 1 << 15)).argmax()] == pytest.approx(440, rel=0.01)


def test_load_audio_folder_extensions(audio_tree):
    bunch = load_audio_folder(audio_tree, extensions=(".FLAC", ".ogg"))
    assert [Path(f).name for f in bunch.filenames] == ["c.ogg", "b.flac"]
    with pytest.raises(ValueError, match=r"class folder .*cat \(meows\).* has no audio files "
                       r"\(looked for \.flac\)"):
        load_audio_folder(audio_tree, extensions=(".FLAC",))


def test_load_audio_folder_verbose(audio_tree, capsys):
    load_audio_folder(audio_tree, verbose=True)
    assert "4/4" in capsys.readouterr().err


def test_load_audio_folder_mixed_rates_need_sr(audio_tree):
    sf.write(audio_tree / DOGS / "fast.wav", _tone(440, sr=16000), 16000)
    with pytest.raises(ValueError, match=r"different sample rates: .*c\.ogg.* 8000 Hz and "
                       r".*fast\.wav.* 16000 Hz; pass sr="):
        load_audio_folder(audio_tree)
    bunch = load_audio_folder(audio_tree, sr=SR)
    assert bunch.data[3].size == bunch.data[2].size == 2000  # fast.wav, resampled


def test_load_audio_folder_broken_file(audio_tree):
    broken = audio_tree / CATS / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00not really a wave file")
    with pytest.raises(ValueError, match=r"could not read audio file .*broken\.wav"):
        load_audio_folder(audio_tree)
    with pytest.warns(UserWarning, match=r"skipping .*broken\.wav"):
        bunch = load_audio_folder(audio_tree, on_error="warn")
    assert len(bunch.data) == 4 and "broken.wav" not in " ".join(bunch.filenames)
    np.testing.assert_array_equal(bunch.target, [0, 0, 1, 1])


@pytest.mark.parametrize("subtype, channels", [("PCM_16", 1), ("FLOAT", 1), ("PCM_24", 2)])
def test_load_audio_folder_truncated_wav_is_named(audio_tree, subtype, channels):
    """libsndfile reads a cut-off WAV silently; the header's frame count gives it away."""
    cut = audio_tree / DOGS / "cut.wav"
    sf.write(cut, np.stack([_tone(440, seconds=1.0)] * channels, axis=1), SR, subtype=subtype)
    content = cut.read_bytes()
    cut.write_bytes(content[: len(content) // 2])
    assert 0 < sf.info(cut).frames < 4000  # what soundfile alone would hand back
    with pytest.raises(ValueError, match=r"cut\.wav.* is truncated or damaged; its header declares "
                       r"8000 frames but only \d+ could be read.*on_error='warn'"):
        load_audio_folder(audio_tree)
    with pytest.warns(UserWarning, match=r"skipping .*cut\.wav.*declares 8000 frames"):
        bunch = load_audio_folder(audio_tree, on_error="warn")
    assert "cut.wav" not in " ".join(bunch.filenames) and len(bunch.data) == 4


def test_load_audio_folder_truncated_flac_or_header_is_named(audio_tree):
    flac = (audio_tree / DOGS / "b.flac").read_bytes()
    (audio_tree / DOGS / "b.flac").write_bytes(flac[: len(flac) // 2])
    with pytest.raises(ValueError, match=r"could not read audio file .*b\.flac"):
        load_audio_folder(audio_tree)
    (audio_tree / DOGS / "b.flac").write_bytes(flac)
    wav = (audio_tree / DOGS / "a.wav").read_bytes()
    (audio_tree / DOGS / "a.wav").write_bytes(wav[:30])  # cut inside the fmt chunk
    with pytest.raises(ValueError, match=r"could not read audio file .*a\.wav"):
        load_audio_folder(audio_tree)


def _riff(chunks):
    body = b"WAVE" + b"".join(
        cid + len(data).to_bytes(4, "little") + data + b"\x00" * (len(data) % 2)
        for cid, data in chunks
    )
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def test_load_audio_folder_whole_wav_with_extra_chunks_is_not_flagged(tmp_path):
    (tmp_path / "x").mkdir()
    pcm = (_tone(440) * 32767).astype("<i2")
    fmt = (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + SR.to_bytes(4, "little")
    fmt += (2 * SR).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    # an odd-sized chunk before the data (padded to even), as some recorders write
    (tmp_path / "x" / "tagged.wav").write_bytes(
        _riff([(b"fmt ", fmt), (b"LIST", b"INFOabc"), (b"data", pcm.tobytes())])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bunch = load_audio_folder(tmp_path)
    assert bunch.data[0].size == pcm.size
    # the same file cut: the declared count is found past the odd chunk
    (tmp_path / "x" / "tagged.wav").write_bytes(
        _riff([(b"fmt ", fmt), (b"LIST", b"INFOabc"), (b"data", pcm.tobytes())])[:-1000]
    )
    with pytest.raises(ValueError, match=r"declares 2000 frames but only 1500 could be read"):
        load_audio_folder(tmp_path)


def test_load_audio_folder_dangling_symlink_is_named(audio_tree):
    """A .wav that links to nothing used to be dropped without a word (is_file() is False)."""
    link = audio_tree / DOGS / "gone.wav"
    link.symlink_to(audio_tree / "nowhere" / "gone.wav")
    with pytest.raises(ValueError, match=r"could not read audio file .*gone\.wav.*: it is a "
                       r"symbolic link to .*nowhere.*gone\.wav.*, which does not exist"):
        load_audio_folder(audio_tree)
    with pytest.warns(UserWarning, match=r"skipping .*gone\.wav.*symbolic link"):
        bunch = load_audio_folder(audio_tree, on_error="warn")
    assert "gone.wav" not in " ".join(bunch.filenames)
    np.testing.assert_array_equal(bunch.target, [0, 0, 1, 1])
    # a symbolic link to a real recording is read like the file itself
    link.unlink()
    link.symlink_to(audio_tree / DOGS / "a.wav")
    bunch = load_audio_folder(audio_tree)
    np.testing.assert_array_equal(bunch.data[4], bunch.data[2])  # gone.wav after a.wav, b.flac


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_load_audio_folder_non_finite_samples_are_named(audio_tree, bad):
    """A float WAV holding NaN or inf used to load as it was, poisoning every feature."""
    clip = _tone(440)
    clip[[10, 20]] = bad
    sf.write(audio_tree / DOGS / "nan.wav", clip, SR, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"could not read audio file .*nan\.wav.*: 2 of its 2000 "
                       r"samples are NaN or infinite"):
        load_audio_folder(audio_tree)
    with pytest.warns(UserWarning, match=r"skipping .*nan\.wav.*NaN or infinite"):
        bunch = load_audio_folder(audio_tree, on_error="warn", sr=16000)
    assert "nan.wav" not in " ".join(bunch.filenames)
    assert all(np.isfinite(c).all() for c in bunch.data)


def _fsdd_copy(fsdd_sample_dir, tmp_path):
    for f in sorted(fsdd_sample_dir.glob("[0-1]_*.wav")):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    return tmp_path


def test_load_fsdd_dangling_symlink_is_named(fsdd_sample_dir, tmp_path):
    folder = _fsdd_copy(fsdd_sample_dir, tmp_path)
    (folder / "1_theo_2.wav").unlink()
    (folder / "1_theo_2.wav").symlink_to(folder / "missing.wav")
    with pytest.raises(ValueError, match=r"1_theo_2\.wav.*symbolic link to .*missing\.wav"):
        load_fsdd(folder)


def test_load_fsdd_non_finite_recording_is_named(fsdd_sample_dir, tmp_path):
    folder = _fsdd_copy(fsdd_sample_dir, tmp_path)
    clip, _ = sf.read(folder / "1_theo_2.wav", dtype="float32")
    clip[5] = np.nan
    sf.write(folder / "1_theo_2.wav", clip, SR, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"1_theo_2\.wav.*: 1 of its \d+ samples are NaN"):
        load_fsdd(folder)


def test_load_audio_folder_all_broken(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "bad.flac").write_bytes(b"")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"none of the 1 audio files .* could be read"):
            load_audio_folder(tmp_path, on_error="warn")


def test_load_audio_folder_empty_file(tmp_path):
    (tmp_path / "x").mkdir()
    sf.write(tmp_path / "x" / "empty.wav", np.zeros(0), SR)
    with pytest.raises(ValueError, match=r"empty\.wav.*holds no samples"):
        load_audio_folder(tmp_path)


def test_load_audio_folder_empty_folders(tmp_path):
    with pytest.raises(ValueError, match=r"has no class sub-folders"):
        load_audio_folder(tmp_path)
    (tmp_path / "birds").mkdir()
    (tmp_path / "birds" / "list.txt").write_text("no audio here")
    with pytest.raises(ValueError, match=r"class folder .*birds.* has no audio files "
                       r"\(looked for \.wav, \.flac, \.ogg\)"):
        load_audio_folder(tmp_path)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"on_error": "ignore"}, r"on_error='ignore' must be 'raise' or 'warn'"),
        ({"sr": 0}, r"sr=0 must be a positive integer"),
    ],
)
def test_load_audio_folder_parameter_errors(audio_tree, params, match):
    with pytest.raises(ValueError, match=match):
        load_audio_folder(audio_tree, **params)


def test_load_audio_folder_missing_path(tmp_path):
    with pytest.raises(ValueError, match=r"path=.*nowhere.* is not a folder"):
        load_audio_folder(tmp_path / "nowhere")


# --------------------------------------------------------------------------------------
# load_fsdd on the shared copy
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fsdd(fsdd_dir):
    return load_fsdd(fsdd_dir)


def test_load_fsdd_shared_copy(fsdd):
    assert len(fsdd.data) == len(fsdd.target) == len(fsdd.filenames) == 3000
    assert fsdd.sr == 8000
    assert fsdd.target_names == [str(d) for d in range(10)]
    assert fsdd.target.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(fsdd.target), [300] * 10)
    speakers, counts = np.unique(fsdd.speaker, return_counts=True)
    assert set(speakers) == {"george", "jackson", "lucas", "nicolas", "theo", "yweweler"}
    assert (counts == 500).all()
    test = fsdd.split == "test"
    assert test.sum() == 300 and (fsdd.split[~test] == "train").all()
    assert (fsdd.index[test] <= 4).all() and (fsdd.index[~test] >= 5).all()
    for name, digit, speaker, index in zip(fsdd.filenames, fsdd.target, fsdd.speaker, fsdd.index):
        assert Path(name).name == f"{digit}_{speaker}_{index}.wav"
    lengths = np.array([clip.size for clip in fsdd.data])
    assert lengths.min() > 0.1 * 8000 and lengths.max() < 2.5 * 8000
    assert all(clip.dtype == np.float32 and clip.ndim == 1 for clip in fsdd.data)
    assert max(np.abs(clip).max() for clip in fsdd.data) <= 1.0


def test_load_fsdd_embedded_recordings(fsdd_sample_dir):
    """The 20 recordings in tests/data: flat folder, every digit twice, all six speakers."""
    bunch = load_fsdd(fsdd_sample_dir)
    assert len(bunch.data) == 20 and bunch.sr == 8000
    np.testing.assert_array_equal(np.bincount(bunch.target), [2] * 10)
    assert set(bunch.speaker) == {"george", "jackson", "lucas", "nicolas", "theo", "yweweler"}
    assert list(bunch.split).count("train") == 2  # 5_jackson_12, 9_yweweler_49
    for name, digit, speaker, index in zip(bunch.filenames, bunch.target, bunch.speaker, bunch.index):
        assert Path(name).name == f"{digit}_{speaker}_{index}.wav"
    assert all(clip.dtype == np.float32 and clip.ndim == 1 and clip.size > 800 for clip in bunch.data)


def test_embedded_recordings_are_unchanged_copies(fsdd_sample_dir):
    shipped = _read_checksums(None)
    files = sorted(fsdd_sample_dir.glob("*.wav"))
    assert len(files) == 20
    for f in files:
        assert hashlib.sha256(f.read_bytes()).hexdigest() == shipped[f.name], f.name
    readme = (fsdd_sample_dir / "README.md").read_text()
    assert "Zohar Jackson" in readme and "CC BY-SA 4.0" in readme
    assert "Jakobovski/free-spoken-digit-dataset" in readme


def test_load_fsdd_accepts_the_recordings_folder(fsdd_sample_dir, tmp_path):
    # a small copy, to keep the test fast; the layout is what matters
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    for name in ["3_lucas_3.wav", "5_jackson_12.wav", "0_george_0.wav"]:
        (recordings / name).write_bytes((fsdd_sample_dir / name).read_bytes())
    from_dataset, from_recordings = load_fsdd(tmp_path), load_fsdd(recordings)
    np.testing.assert_array_equal(from_dataset.filenames, from_recordings.filenames)
    np.testing.assert_array_equal(from_dataset.target, [0, 3, 5])
    np.testing.assert_array_equal(from_dataset.split, ["test", "test", "train"])


def test_load_fsdd_truncated_recording_is_named(fsdd_sample_dir, tmp_path):
    for f in sorted(fsdd_sample_dir.glob("[0-2]_*.wav")):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    content = (tmp_path / "1_theo_2.wav").read_bytes()
    (tmp_path / "1_theo_2.wav").write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match=r"1_theo_2\.wav.* truncated or damaged; its header "
                       r"declares \d+ frames but only \d+ could be read"):
        load_fsdd(tmp_path)


def test_load_fsdd_errors(tmp_path):
    with pytest.raises(ValueError, match=r"path=.*missing.* is not a folder"):
        load_fsdd(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"no FSDD recordings \(\{digit\}_\{speaker\}"):
        load_fsdd(tmp_path)
    sf.write(tmp_path / "hello.wav", _tone(440), SR)
    with pytest.raises(ValueError, match=r"hello\.wav.* does not follow FSDD's naming"):
        load_fsdd(tmp_path)
    (tmp_path / "hello.wav").unlink()
    sf.write(tmp_path / "1_theo_0.wav", _tone(440, sr=16000), 16000)
    with pytest.raises(ValueError, match=r"are at 16000 Hz, not 8000 Hz"):
        load_fsdd(tmp_path)


def test_shipped_checksums_match_the_shared_copy(fsdd_dir):
    shipped = _read_checksums(None)
    assert shipped == _read_checksums(fsdd_dir / "SHA256SUMS")
    assert len(shipped) == 3000
    files = sorted((fsdd_dir / "recordings").glob("*.wav"))
    assert [f.name for f in files] == sorted(shipped)
    for f in files:
        assert hashlib.sha256(f.read_bytes()).hexdigest() == shipped[f.name]


# --------------------------------------------------------------------------------------
# fetch_fsdd, without the internet
# --------------------------------------------------------------------------------------

FETCH_FILES = ["0_george_0.wav", "5_jackson_12.wav", "9_yweweler_49.wav", "2_lucas_3.wav"]


def _make_archive(path, folder, files=FETCH_FILES, tamper=None):
    """A .tar.gz laid out like GitHub's archive of the FSDD repository.

    ``folder`` holds the recordings: tests/data/fsdd has all of FETCH_FILES.
    """
    top = "free-spoken-digit-dataset-1.0.10"
    with tarfile.open(path, "w:gz") as tar:
        def add(name, content):
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))

        add("README.md", b"# FSDD\n")
        add("acquire_data/spectrogram.wav", b"not a recording")
        for name in files:
            content = (folder / name).read_bytes()
            if name == tamper:
                content = content[:-2] + b"\x00\x01"
            add(f"recordings/{name}", content)
    return path


@pytest.fixture
def fetch_checksums():
    shipped = _read_checksums(None)
    return {name: shipped[name] for name in FETCH_FILES}


def _leftovers(cache):
    return sorted(p.name for p in (cache / "fsdd").iterdir()) if (cache / "fsdd").exists() else []


def test_fetch_fsdd_downloads_verifies_and_caches(fsdd_sample_dir, tmp_path, fetch_checksums):
    fsdd = load_fsdd(fsdd_sample_dir)
    url = _make_archive(tmp_path / "fsdd.tar.gz", fsdd_sample_dir).as_uri()
    cache = tmp_path / "cache"
    bunch = fetch_fsdd(cache, url=url, checksums=fetch_checksums)
    assert sorted(Path(f).name for f in bunch.filenames) == sorted(FETCH_FILES)
    assert bunch.sr == 8000 and set(bunch.split) == {"train", "test"}
    # only the verified recordings are kept: no archive, no temp folder, no README
    assert _leftovers(cache) == ["recordings"]
    assert sorted(p.name for p in (cache / "fsdd" / "recordings").iterdir()) == sorted(FETCH_FILES)
    by_name = dict(zip((Path(f).name for f in fsdd.filenames), fsdd.data))
    for name, clip in zip(bunch.filenames, bunch.data):
        np.testing.assert_array_equal(clip, by_name[Path(name).name])
    # the second call reads the cache and never touches the network
    again = fetch_fsdd(cache, url="http://127.0.0.1:9/", checksums=fetch_checksums)
    np.testing.assert_array_equal(again.filenames, bunch.filenames)


def test_fetch_fsdd_checksum_file_and_env_var(fsdd_sample_dir, tmp_path, fetch_checksums, monkeypatch):
    url = _make_archive(tmp_path / "fsdd.tar.gz", fsdd_sample_dir).as_uri()
    sums = tmp_path / "SHA256SUMS"
    sums.write_text("".join(f"{d}  recordings/{n}\n" for n, d in fetch_checksums.items()))
    monkeypatch.setenv("SKCNN_DATA", str(tmp_path / "env home"))
    assert get_data_home() == tmp_path / "env home"
    bunch = fetch_fsdd(url=url, checksums=sums)
    assert len(bunch.data) == 4
    assert (tmp_path / "env home" / "fsdd" / "recordings").is_dir()


def test_fetch_fsdd_corrupt_archive_is_not_used(fsdd_sample_dir, tmp_path, fetch_checksums):
    archive = _make_archive(tmp_path / "fsdd.tar.gz", fsdd_sample_dir)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])  # truncated
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=r"corrupt or incomplete and was deleted.*load_fsdd"):
        fetch_fsdd(cache, url=archive.as_uri(), checksums=fetch_checksums)
    assert _leftovers(cache) == []
    archive.write_bytes(b"\x1f\x8b garbage, not gzip")
    with pytest.raises(OSError, match=r"corrupt or incomplete"):
        fetch_fsdd(cache, url=archive.as_uri(), checksums=fetch_checksums)
    assert _leftovers(cache) == []


def test_fetch_fsdd_checksum_mismatch(fsdd_sample_dir, tmp_path, fetch_checksums):
    archive = _make_archive(tmp_path / "fsdd.tar.gz", fsdd_sample_dir, tamper="5_jackson_12.wav")
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=r"'5_jackson_12\.wav' in the download does not match its "
                       r"SHA-256"):
        fetch_fsdd(cache, url=archive.as_uri(), checksums=fetch_checksums)
    assert _leftovers(cache) == []


def test_fetch_fsdd_missing_recordings(fsdd_sample_dir, tmp_path, fetch_checksums):
    archive = _make_archive(tmp_path / "fsdd.tar.gz", fsdd_sample_dir, files=FETCH_FILES[:3])
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=r"lacks 1 of the 4 recordings, e\.g\. '2_lucas_3\.wav'"):
        fetch_fsdd(cache, url=archive.as_uri(), checksums=fetch_checksums)
    assert _leftovers(cache) == []


def test_fetch_fsdd_partial_download_is_not_used(fsdd_sample_dir, tmp_path, fetch_checksums):
    """A server that announces the whole archive but hangs up halfway."""
    import http.server
    import threading

    content = _make_archive(tmp_path / "fsdd.tar.gz", fsdd_sample_dir).read_bytes()

    class HalfHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content[: len(content) // 2])
            self.close_connection = True

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), HalfHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/fsdd.tar.gz"
        cache = tmp_path / "cache"
        with pytest.raises(OSError, match=r"could not download FSDD from http://127\.0\.0\.1.*"
                           r"load_fsdd"):
            fetch_fsdd(cache, url=url, checksums=fetch_checksums, timeout=5)
        assert _leftovers(cache) == []
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_fsdd_unreachable_fails_fast(tmp_path):
    cache = tmp_path / "cache"
    start = time.perf_counter()
    with pytest.raises(OSError, match=r"could not download FSDD from http://127\.0\.0\.1:9/.*"
                       r"skcnn\.datasets\.load_fsdd\('/path/to/free-spoken-digit-dataset'\)"):
        fetch_fsdd(cache, url="http://127.0.0.1:9/", timeout=2)
    assert time.perf_counter() - start < 5
    assert _leftovers(cache) == []


def test_fetch_fsdd_checks_a_known_archive_hash(fsdd_sample_dir, tmp_path, fetch_checksums,
                                               monkeypatch):
    """With the archive's hash known, pooch checks it before anything is extracted."""
    import skcnn.datasets._fsdd as fsdd_module

    archive = _make_archive(tmp_path / "fsdd.tar.gz", fsdd_sample_dir)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    monkeypatch.setattr(fsdd_module, "_FSDD_ARCHIVE_HASH", "sha256:" + "0" * 64)
    with pytest.raises(OSError, match=r"download from file://.*fsdd\.tar\.gz is corrupt or "
                       r"incomplete and was deleted.*does not match the known hash.*load_fsdd"):
        fetch_fsdd(cache, url=archive.as_uri(), checksums=fetch_checksums)
    assert _leftovers(cache) == []
    monkeypatch.setattr(fsdd_module, "_FSDD_ARCHIVE_HASH", f"sha256:{digest}")
    assert len(fetch_fsdd(cache, url=archive.as_uri(), checksums=fetch_checksums).data) == 4


def test_fetch_fsdd_missing_local_archive_is_named(tmp_path):
    missing = tmp_path / "nowhere" / "fsdd.tar.gz"
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=r"could not download FSDD from file://.*nowhere/fsdd\.tar"
                       r"\.gz: cannot read the file .*nowhere.*load_fsdd"):
        fetch_fsdd(cache, url=missing.as_uri())
    assert _leftovers(cache) == []


def test_file_downloader_has_poochs_signature(tmp_path):
    """pooch's downloaders refuse file:// URLs; skcnn's takes a path or an open file."""
    from skcnn.datasets._fetch import _file_downloader

    source = tmp_path / "a b.bin"
    source.write_bytes(b"\x00archive bytes")
    _file_downloader(source.as_uri(), str(tmp_path / "copy.bin"), None)
    assert (tmp_path / "copy.bin").read_bytes() == b"\x00archive bytes"
    with open(tmp_path / "copy2.bin", "wb") as out:
        _file_downloader(source.as_uri(), out, None)
    assert (tmp_path / "copy2.bin").read_bytes() == b"\x00archive bytes"


def test_fetch_fsdd_no_download(tmp_path):
    with pytest.raises(OSError, match=r"FSDD is not in the cache .*load_fsdd"):
        fetch_fsdd(tmp_path, download_if_missing=False)


def test_fetch_fsdd_parameter_errors(tmp_path):
    with pytest.raises(ValueError, match=r"timeout=0 must be a positive number of seconds"):
        fetch_fsdd(tmp_path, timeout=0)
    with pytest.raises(ValueError, match=r"url='ftp://x/a\.tar\.gz' must be an http://, https:// "
                       r"or file:// URL"):
        fetch_fsdd(tmp_path, url="ftp://x/a.tar.gz")


def test_datasets_import_no_torch():
    import subprocess
    import sys

    code = "import sys, skcnn.datasets; print('torch' in sys.modules, 'skorch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2], env={**os.environ})
    assert out.stdout.split() == ["False", "False"]


def test_public_names_documented():
    import skcnn.datasets as datasets

    for name in datasets.__all__:
        obj = getattr(datasets, name)
        if callable(obj):
            assert re.search(r"^\s+Examples\n\s+-+\n", obj.__doc__, re.M), name

"""SpectrogramTransformer and MFCCTransformer against librosa, clip by clip."""

import pickle
import re
import warnings

import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skcnn import MFCCTransformer, SpectrogramTransformer
from skcnn.features import _dsp

SR = 8000


@pytest.fixture(scope="module")
def recordings(fsdd_sample_dir):
    """The twenty FSDD clips in tests/data (ragged, int16 on disk, read as float32)."""
    files = sorted(fsdd_sample_dir.glob("*.wav"))
    assert len(files) == 20
    return [sf.read(f, dtype="float32")[0] for f in files]


@pytest.fixture(scope="module")
def fixed(recordings):
    """The recordings padded or cropped to one second, as librosa would see them."""
    return np.stack([librosa.util.fix_length(c, size=SR) for c in recordings])


def _rel_err(actual, expected):
    return np.abs(actual - expected).max() / np.abs(expected).max()


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_fft=512, hop_length=128),
        dict(n_fft=256, hop_length=100, win_length=200, window="hamming"),
        dict(n_fft=512, hop_length=128, center=False),
    ],
)
def test_stft_outputs_match_librosa(fixed, kwargs):
    stft = np.stack([librosa.stft(x, **kwargs) for x in fixed])
    for output, expected in [
        ("magnitude", np.abs(stft)),
        ("power", np.abs(stft) ** 2),
    ]:
        got = SpectrogramTransformer(sr=SR, output=output, **kwargs).transform(fixed)
        assert got.dtype == np.float32
        assert got.shape == (len(fixed), 1) + stft.shape[1:]
        assert _rel_err(got[:, 0], expected) <= 1e-5

    got = SpectrogramTransformer(sr=SR, output="complex", **kwargs).transform(fixed)
    assert got.shape == (len(fixed), 2) + stft.shape[1:]
    assert _rel_err(got[:, 0] + 1j * got[:, 1], stft) <= 1e-5

    db = SpectrogramTransformer(sr=SR, output="db", **kwargs).transform(fixed)
    expected_db = np.stack([librosa.power_to_db(np.abs(s) ** 2) for s in stft])
    np.testing.assert_allclose(db[:, 0], expected_db, atol=0.01, rtol=0)


@pytest.mark.parametrize("output", ["magnitude", "power", "db"])
def test_mel_spectrogram_matches_librosa(fixed, output):
    kwargs = dict(n_fft=512, hop_length=128, n_mels=40, fmin=50.0, fmax=3800.0)
    power = 1.0 if output == "magnitude" else 2.0
    mel = np.stack(
        [librosa.feature.melspectrogram(y=x, sr=SR, power=power, **kwargs) for x in fixed]
    )
    got = SpectrogramTransformer(sr=SR, output=output, **kwargs).transform(fixed)[:, 0]
    if output == "db":
        expected = np.stack([librosa.power_to_db(m) for m in mel])
        np.testing.assert_allclose(got, expected, atol=0.01, rtol=0)
    else:
        assert _rel_err(got, mel) <= 1e-5


def test_reflect_padding_matches_librosa(fixed):
    kwargs = dict(n_fft=512, hop_length=128, pad_mode="reflect")
    stft = np.stack([librosa.stft(x, **kwargs) for x in fixed])
    got = SpectrogramTransformer(sr=SR, output="complex", **kwargs).transform(fixed)
    assert _rel_err(got[:, 0] + 1j * got[:, 1], stft) <= 1e-5
    # the edge frames are where the padding shows: zeros give other numbers there
    zeros = SpectrogramTransformer(sr=SR, output="power", n_fft=512, hop_length=128)
    edge = zeros.transform(fixed)[:, 0, :, 0]
    assert _rel_err(edge, np.abs(stft[:, :, 0]) ** 2) > 1e-2


def test_reflect_padding_needs_clips_longer_than_half_a_window():
    transformer = SpectrogramTransformer(sr=SR, n_fft=512, hop_length=128, pad_mode="reflect")
    with pytest.warns(UserWarning, match="n_fft=512 is too large for clips of length=257"):
        assert transformer.transform(np.ones((1, 257), np.float32)).shape == (1, 1, 257, 3)
    with pytest.raises(ValueError, match=r"pad_mode='reflect' needs clips longer than "
                                         r"n_fft // 2 = 256 samples; the clips have 256"):
        transformer.transform(np.ones((1, 256), np.float32))
    with pytest.raises(ValueError, match="pad_mode"):
        SpectrogramTransformer(pad_mode="edge").fit(np.ones((1, 4096), np.float32))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_mfcc=13),
        dict(n_mfcc=20, n_fft=512, hop_length=128, n_mels=40),
        dict(n_mfcc=13, n_fft=512, hop_length=128, n_mels=40, lifter=22),
    ],
)
def test_mfcc_matches_librosa(fixed, kwargs):
    expected = np.stack([librosa.feature.mfcc(y=x, sr=SR, **kwargs) for x in fixed])
    got = MFCCTransformer(sr=SR, **kwargs).transform(fixed)
    assert got.shape == (len(fixed), 1) + expected.shape[1:]
    assert _rel_err(got[:, 0], expected) <= 1e-5


def test_mfcc_without_db_floor_matches_librosa(fixed):
    mel_kwargs = dict(n_fft=512, hop_length=128, n_mels=40)
    expected = np.stack(
        [
            librosa.feature.mfcc(
                S=librosa.power_to_db(
                    librosa.feature.melspectrogram(y=x, sr=SR, **mel_kwargs), top_db=None
                ),
                n_mfcc=13,
                lifter=22,
            )
            for x in fixed
        ]
    )
    got = MFCCTransformer(sr=SR, top_db=None, lifter=22, **mel_kwargs).transform(fixed)
    assert got.shape == (len(fixed), 1) + expected.shape[1:]
    assert _rel_err(got[:, 0], expected) <= 1e-5


def test_mfcc_deltas_are_librosa_deltas_as_channels(fixed):
    kwargs = dict(n_mfcc=13, n_fft=512, hop_length=128, n_mels=40)
    mfcc = np.stack([librosa.feature.mfcc(y=x, sr=SR, **kwargs) for x in fixed])
    got = MFCCTransformer(sr=SR, deltas=2, **kwargs).transform(fixed)
    assert got.shape == (len(fixed), 3) + mfcc.shape[1:]
    scale = np.abs(mfcc).max()
    for order in (1, 2):
        expected = librosa.feature.delta(mfcc, order=order)
        assert np.abs(got[:, order] - expected).max() / scale <= 1e-5


def test_course_notes_mfcc_shape():
    # 51,200 samples, 13 MFCCs, n_fft=hop_length=512, center=False: 100 frames.
    clip = np.random.default_rng(0).standard_normal((1, 51200)).astype(np.float32)
    mfcc = MFCCTransformer(n_mfcc=13, n_fft=512, hop_length=512, center=False)
    assert mfcc.fit_transform(clip).shape == (1, 1, 13, 100)


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("n_samples,n_fft,hop", [(8000, 512, 128), (5000, 400, 160), (2048, 2048, 512)])
def test_frame_count_formula(center, n_samples, n_fft, hop):
    X = np.zeros((2, n_samples), dtype=np.float32)
    out = SpectrogramTransformer(n_fft=n_fft, hop_length=hop, center=center).transform(X)
    expected = 1 + n_samples // hop if center else 1 + (n_samples - n_fft) // hop
    assert out.shape == (2, 1, 1 + n_fft // 2, expected)


def test_pure_tone_peaks_in_its_bin():
    n_fft, freq = 512, 1000.0
    t = np.arange(SR) / SR
    tone = np.sin(2 * np.pi * freq * t).astype(np.float32)[np.newaxis]
    power = SpectrogramTransformer(sr=SR, n_fft=n_fft, output="power").transform(tone)
    peak_bins = power[0, 0].argmax(axis=0)
    assert np.all(peak_bins[2:-2] == round(freq * n_fft / SR))


# ------------------------------------------------------------ per-clip independence
@pytest.mark.parametrize(
    "transformer",
    [
        SpectrogramTransformer(sr=SR, n_fft=512, hop_length=128, n_mels=40),
        SpectrogramTransformer(sr=SR, n_fft=512, hop_length=128),
        MFCCTransformer(sr=SR, n_fft=512, hop_length=128, n_mels=40, deltas=2),
    ],
    ids=["mel-db", "linear-db", "mfcc-deltas"],
)
def test_each_clip_depends_on_itself_alone(fixed, transformer):
    quiet = fixed[:1] * 1e-4  # 80 dB below the others: librosa's batch call would floor it
    X = np.concatenate([fixed[1:6] * 10, quiet, fixed[6:10]])
    batch = transformer.transform(X)
    for i in range(len(X)):
        np.testing.assert_array_equal(batch[i], transformer.transform(X[i : i + 1])[0])
    # and the quiet clip is not floored at the loud clips' maximum - 80 dB
    if transformer.get_params().get("output") == "db":
        assert batch[5].min() < batch.max() - 80.5


@pytest.mark.parametrize("n_samples", [4, 100, 700])
def test_batch_independence_down_to_one_frame(n_samples):
    X = np.random.default_rng(1).standard_normal((9, n_samples))
    transformer = MFCCTransformer(sr=SR, n_fft=256, hop_length=64, n_mels=20)
    batch = transformer.transform(X)
    for i in range(len(X)):
        np.testing.assert_array_equal(batch[i], transformer.transform(X[i : i + 1])[0])


@pytest.mark.parametrize("n_samples", [3, 10, 700, 8000])
@pytest.mark.parametrize("n_mfcc", [13, 20])
def test_mfcc_does_not_depend_on_the_clip_order(n_samples, n_mfcc):
    """sklearn's check_methods_sample_order_invariance, bit for bit."""
    X = np.random.default_rng(n_samples).uniform(size=(20, n_samples)).astype(np.float32)
    transformer = MFCCTransformer(sr=SR, n_fft=256, hop_length=64, n_mels=20, n_mfcc=n_mfcc)
    order = np.random.default_rng(0).permutation(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # clips shorter than n_fft
        np.testing.assert_array_equal(transformer.transform(X)[order], transformer.transform(X[order]))


def test_librosa_batch_call_leaks_between_clips(fixed):
    """Why per-clip dB is needed: librosa's batch call floors a quiet clip."""
    X = np.stack([fixed[0] * 1e-4, fixed[1]])
    leaked = librosa.power_to_db(np.abs(librosa.stft(X, n_fft=512)) ** 2)
    ours = SpectrogramTransformer(sr=SR, n_fft=512, hop_length=128).transform(X)[:, 0]
    assert np.abs(leaked[0] - ours[0]).max() > 1.0
    np.testing.assert_allclose(ours[0], librosa.power_to_db(np.abs(librosa.stft(X[0], n_fft=512)) ** 2), atol=0.01)


def test_chunked_transform_equals_one_chunk(fixed, monkeypatch):
    transformer = MFCCTransformer(sr=SR, n_fft=512, hop_length=128, n_mels=40, verbose=1)
    whole = transformer.transform(fixed)
    per_clip = 257 * (1 + SR // 128) * 8
    monkeypatch.setattr(_dsp, "CHUNK_BYTES", 3 * per_clip)  # chunks of 3 clips
    assert transformer._front_end().chunk_size(1, SR) == 3
    np.testing.assert_array_equal(transformer.transform(fixed), whole)


def test_chunk_size_bounds_the_stft_memory():
    front_end = SpectrogramTransformer(n_fft=2048, hop_length=512)._front_end()
    n_samples = 5 * 22050
    chunk = front_end.chunk_size(1, n_samples)
    stft_bytes = chunk * (1 + 2048 // 2) * front_end.n_frames(n_samples) * 8
    assert 1 < chunk and stft_bytes <= _dsp.CHUNK_BYTES


def test_transform_does_not_copy_the_whole_input():
    """Numpy allocations during transform stay near output + one chunk."""
    import tracemalloc

    X = np.random.default_rng(0).standard_normal((2000, 8000))  # float64, 128 MB
    transformer = MFCCTransformer(sr=SR, n_fft=512, hop_length=128, n_mels=40)
    transformer.transform(X[:2])  # warm up
    tracemalloc.start()
    out = transformer.transform(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    chunk = transformer._front_end().chunk_size(1, 8000)
    assert peak < out.nbytes + 3 * chunk * 8000 * 4 + 2**20
    assert peak < X.nbytes / 2


# ------------------------------------------------------------------------ inputs
def test_ragged_list_needs_duration(recordings):
    with pytest.raises(ValueError, match="different lengths.*set `duration`"):
        MFCCTransformer(sr=SR).transform(recordings)


def test_duration_pads_and_crops_like_librosa(recordings):
    transformer = SpectrogramTransformer(sr=SR, n_fft=512, hop_length=128, duration=0.5)
    got = transformer.transform(recordings)
    fixed = np.stack([librosa.util.fix_length(c, size=4000) for c in recordings])
    np.testing.assert_array_equal(got, transformer.set_params(duration=None).transform(fixed))
    assert got.shape[-1] == 1 + 4000 // 128


def test_duration_applies_to_arrays_too(fixed):
    got = SpectrogramTransformer(sr=SR, n_fft=512, duration=0.25).transform(fixed)
    expected = SpectrogramTransformer(sr=SR, n_fft=512).transform(fixed[:, :2000])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype,scale", [(np.int16, 2**15), (np.int32, 2**31)])
def test_integer_pcm_is_scaled(fixed, dtype, scale):
    pcm = np.round(fixed[:4] * (scale - 1)).astype(dtype)
    transformer = SpectrogramTransformer(sr=SR, n_fft=512, output="power")
    np.testing.assert_allclose(
        transformer.transform(pcm),
        transformer.transform(pcm.astype(np.float64) / scale),
        rtol=1e-5,
        atol=1e-6,
    )


def test_multichannel_matches_librosa_per_clip(fixed):
    stereo = np.stack([fixed[:5], fixed[5:10]], axis=1)  # (5, 2, n_samples)
    kwargs = dict(n_mfcc=13, n_fft=512, hop_length=128, n_mels=40)
    out = MFCCTransformer(sr=SR, deltas=1, **kwargs).transform(stereo)
    assert out.shape[:2] == (5, 4)  # (ch0, ch1, delta ch0, delta ch1)
    # librosa on one multichannel clip: the dB floor is shared by its channels
    expected = np.stack([librosa.feature.mfcc(y=clip, sr=SR, **kwargs) for clip in stereo])
    assert _rel_err(out[:, :2], expected) <= 1e-5
    assert _rel_err(out[:, 2:], librosa.feature.delta(expected)) <= 1e-5
    complex_out = SpectrogramTransformer(n_fft=256, output="complex").transform(stereo)
    assert complex_out.shape[1] == 4


def test_float64_and_lists_give_float32(fixed):
    transformer = SpectrogramTransformer(sr=SR, n_fft=256)
    out64 = transformer.transform(fixed[:3].astype(np.float64))
    out_list = transformer.transform(list(fixed[:3]))
    assert out64.dtype == out_list.dtype == np.float32
    np.testing.assert_array_equal(out64, out_list)


# ------------------------------------------------------------------------ errors
def test_nan_names_the_clip(fixed):
    X = fixed[:6].copy()
    X[4, 100] = np.nan
    with pytest.raises(ValueError, match="clip 4 of X contains NaN or infinite"):
        MFCCTransformer(sr=SR).transform(X)
    X[4, 100] = np.inf
    with pytest.raises(ValueError, match="clip 4 of X"):
        MFCCTransformer(sr=SR).fit(X)
    ragged = [fixed[0], fixed[1][:100].copy()]
    ragged[1][3] = np.nan
    with pytest.raises(ValueError, match="clip 1 of X contains NaN"):
        MFCCTransformer(sr=SR, duration=1.0).transform(ragged)


@pytest.mark.parametrize(
    "X,match",
    [
        (np.zeros((0, 100)), "0 sample"),
        ([], "X is empty"),
        (np.zeros((3, 0)), "0 feature"),
        (np.zeros(100), "1 dimension.*Reshape your data"),
        (np.zeros((2, 1, 1, 100)), "4 dimensions"),
        (np.array([["a", "b"], ["c", "d"]]), "must hold numbers"),
        (np.zeros((2, 100), dtype=complex), "Complex data not supported"),
        ([np.zeros(100), np.zeros((2, 2, 2))], "clip 1 of X has 3 dimensions"),
        ([np.zeros((1, 100)), np.zeros((2, 100))], "different numbers of channels"),
        (np.zeros((2, 100), dtype=np.uint16), "not a PCM format"),
    ],
)
def test_bad_input_is_a_clear_value_error(X, match):
    with pytest.raises(ValueError, match=match):
        SpectrogramTransformer().transform(X)


def test_object_array_with_non_numbers_is_a_value_error():
    X = np.zeros((2, 10), dtype=object)
    X[0, 0] = {"a": 1}
    with pytest.raises(ValueError, match="must hold numbers"):
        SpectrogramTransformer().fit(X)


def test_sparse_input_is_refused():
    import scipy.sparse

    with pytest.raises(ValueError, match="sparse"):
        SpectrogramTransformer().transform(scipy.sparse.csr_matrix(np.ones((2, 10))))


def test_short_clip_without_center():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error, not the centred case's warning
        with pytest.raises(ValueError, match="fewer than n_fft=512.*center=True"):
            SpectrogramTransformer(n_fft=512, center=False).transform(np.zeros((2, 300)))


@pytest.mark.parametrize("cls", [SpectrogramTransformer, MFCCTransformer])
def test_clip_shorter_than_n_fft_warns_once_like_librosa(cls, monkeypatch):
    X = np.random.default_rng(0).standard_normal((7, 300))
    with pytest.warns(UserWarning, match="n_fft=512 is too large for input signal of length=300"):
        librosa.stft(X[0], n_fft=512)  # librosa's warning, for the same clip
    monkeypatch.setattr(_dsp, "CHUNK_BYTES", 2 * 257 * 3 * 8)  # several chunks, one warning
    transformer = cls(sr=SR, n_fft=512, hop_length=128, n_mels=20)
    assert transformer._front_end().chunk_size(1, 300) < len(X)
    with pytest.warns(UserWarning) as record:
        transformer.transform(X)
    messages = [str(w.message) for w in record if issubclass(w.category, UserWarning)]
    assert len(messages) == 1
    assert re.search(
        r"n_fft=512 is too large for clips of length=300 samples.*n_fft <= 300 or a longer "
        r"`duration`", messages[0]
    )
    # a list padded by `duration` is judged at its padded length
    with pytest.warns(UserWarning, match="length=400 samples"):
        transformer.set_params(duration=0.05).transform([X[0], X[1][:100]])


@pytest.mark.parametrize("n_samples", [512, 513])
def test_clip_as_long_as_n_fft_does_not_warn(n_samples):
    X = np.random.default_rng(0).standard_normal((2, n_samples))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        librosa.stft(X[0], n_fft=512)
        SpectrogramTransformer(sr=SR, n_fft=512).transform(X)
        # `duration` lengthens short clips enough
        MFCCTransformer(sr=SR, n_fft=512, n_mels=20, duration=0.1).transform(X[:, :300])


@pytest.mark.parametrize(
    "params,match",
    [
        (dict(hop_length=0), "'hop_length' parameter .* must be an int in the range \\[1, inf\\)"),
        (dict(n_fft=-4), "'n_fft' parameter"),
        (dict(output="loud"), "'output' parameter"),
        (dict(n_mels=300, n_fft=512, sr=8000), "n_mels=300 is larger than n_fft=512 supports"),
        (dict(fmax=5000, sr=8000, n_mels=20), "fmax=5000 must be at most sr / 2 = 4000"),
        (dict(fmin=3000, fmax=2000, sr=8000, n_mels=20), "fmin=3000 must be below fmax=2000"),
        (dict(win_length=600, n_fft=512), "win_length=600 must be at most n_fft=512"),
        (dict(window="nonsense"), "window='nonsense' is not a window"),
        (dict(n_mels=40, output="complex"), "output='complex' needs a linear frequency axis"),
        (dict(duration=-1.0), "'duration' parameter"),
        (dict(device="tpu"), "device='tpu'"),
    ],
)
def test_bad_parameters_name_themselves(params, match):
    X = np.zeros((2, 4000), dtype=np.float32)
    with pytest.raises(ValueError, match=match):
        SpectrogramTransformer(**params).fit(X)
    with pytest.raises(ValueError, match=match):
        SpectrogramTransformer(**params).transform(X)


@pytest.mark.parametrize(
    "params,match",
    [
        (dict(n_mfcc=50, n_mels=40), "n_mfcc=50 must be at most n_mels=40"),
        (dict(deltas=3), "'deltas' parameter"),
        (dict(lifter=-1), "'lifter' parameter"),
        (dict(n_mels=None), "'n_mels' parameter"),
    ],
)
def test_bad_mfcc_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        MFCCTransformer(**params).transform(np.zeros((2, 4000)))


def test_deltas_need_enough_frames():
    with pytest.raises(ValueError, match="deltas=1 needs at least 9 frames.*give 4"):
        MFCCTransformer(sr=SR, hop_length=512, deltas=1).transform(np.zeros((1, 1600)))


def test_cuda_device_without_gpu_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="device='cuda' but no CUDA GPU is available"):
        MFCCTransformer(device="cuda").transform(np.zeros((1, 4000)))


# ------------------------------------------------------------------- feature_span
def test_feature_span_least_bittern_case():
    """Eight frames by eight linear bins at 44.1 kHz: 0.1045 s by 344.5 Hz."""
    span = SpectrogramTransformer(sr=44100, n_fft=1024, hop_length=512).feature_span(8, 8)
    assert span == {
        "seconds": pytest.approx((7 * 512 + 1024) / 44100),
        "hertz": pytest.approx(8 * 44100 / 1024),
        "semitones": None,
        "frequency_axis": "linear",
    }
    assert round(span["seconds"], 4) == 0.1045 and round(span["hertz"], 1) == 344.5
    assert isinstance(span["seconds"], float) and isinstance(span["hertz"], float)


def test_feature_span_counts_the_window_not_the_fft():
    full = SpectrogramTransformer(sr=44100, n_fft=1024, hop_length=512)
    short = clone(full).set_params(win_length=400)
    assert short.feature_span(3, 8)["seconds"] == pytest.approx((7 * 512 + 400) / 44100)
    assert short.feature_span(3, 8)["seconds"] < full.feature_span(3, 8)["seconds"]
    assert short.feature_span(3, 8)["hertz"] == full.feature_span(3, 8)["hertz"]
    assert full.feature_span(3, 1)["seconds"] == pytest.approx(1024 / 44100)


@pytest.mark.parametrize("fmin,fmax", [(0.0, None), (300.0, 3000.0)])
@pytest.mark.parametrize("n_bins", [1, 3, 40, 41, 100])
def test_feature_span_mel_widest_band_edges(n_bins, fmin, fmax):
    transformer = SpectrogramTransformer(sr=SR, n_fft=512, n_mels=40, fmin=fmin, fmax=fmax)
    edges = librosa.mel_frequencies(n_mels=42, fmin=fmin, fmax=fmax or SR / 2)
    r = min(n_bins, 41)
    span = transformer.feature_span(n_bins, 5)
    assert span["hertz"] == pytest.approx(float(np.max(edges[r:] - edges[:-r])))
    assert span["frequency_axis"] == "mel" and span["semitones"] is None
    # the widest block is the highest: more than the average band
    assert span["hertz"] >= r * ((fmax or SR / 2) - fmin) / 41


def test_feature_span_mfcc_is_cepstral():
    span = MFCCTransformer(sr=SR, n_fft=256, hop_length=64, n_mels=20).feature_span(4, 10)
    assert span == {"seconds": pytest.approx((9 * 64 + 256) / SR), "hertz": None,
                    "semitones": None, "frequency_axis": "cepstral"}


def test_feature_span_accepts_numpy_ints_and_needs_no_fit_nor_device():
    transformer = SpectrogramTransformer(sr=SR, n_fft=256, device="cuda:7")
    assert transformer.feature_span(np.int64(2), np.int32(3)) == transformer.feature_span(2, 3)


@pytest.mark.parametrize(
    "n_bins,n_frames,match",
    [
        (0, 1, r"n_bins=0 must be a positive integer"),
        (2.0, 1, r"n_bins=2\.0 must be a positive integer"),
        (True, 1, r"n_bins=True must be a positive integer"),
        (1, -3, r"n_frames=-3 must be a positive integer"),
        (1, None, r"n_frames=None must be a positive integer"),
    ],
)
def test_feature_span_refuses_bad_sizes(n_bins, n_frames, match):
    with pytest.raises(ValueError, match=match):
        SpectrogramTransformer().feature_span(n_bins, n_frames)


@pytest.mark.parametrize(
    "transformer,match",
    [
        (SpectrogramTransformer(sr=8000, n_mels=20, fmax=5000), "fmax=5000 must be at most sr / 2"),
        (MFCCTransformer(sr=8000, fmin=4000), "fmin=4000 must be below fmax=4000"),
        (SpectrogramTransformer(hop_length=0), "'hop_length' parameter"),
        (SpectrogramTransformer(n_fft=512, win_length=600), "win_length=600 must be at most"),
        (SpectrogramTransformer(n_mels=40, output="complex"), "output='complex' needs a linear"),
        (MFCCTransformer(n_mfcc=50, n_mels=40), "n_mfcc=50 must be at most n_mels=40"),
    ],
)
def test_feature_span_checks_the_parameters(transformer, match):
    with pytest.raises(ValueError, match=match):
        transformer.feature_span(1, 1)


# ----------------------------------------------------------------- sklearn ergonomics
def test_stateless_fit_clone_pickle(fixed):
    transformer = MFCCTransformer(sr=SR, n_mfcc=20, deltas=1)
    assert transformer.__sklearn_tags__().requires_fit is False
    out = transformer.transform(fixed[:3])  # no fit needed
    assert transformer.fit(fixed[:3]) is transformer
    assert not [k for k in vars(transformer) if k.endswith("_") and not k.startswith("_")]
    twin = clone(transformer)
    assert twin.get_params() == transformer.get_params()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(transformer)).transform(fixed[:3]), out)
    assert transformer.set_params(n_mfcc=10).transform(fixed[:3]).shape[2] == 10


def test_grid_search_tunes_the_front_end(fixed):
    y = np.arange(len(fixed)) % 2
    X = fixed + (y[:, None] * np.sin(np.arange(SR) * 0.9)).astype(np.float32)
    pipe = make_pipeline(
        SpectrogramTransformer(sr=SR, n_mels=20),
        FunctionTransformer(lambda m: m.reshape(len(m), -1)),
        LogisticRegression(max_iter=200),
    )
    grid = GridSearchCV(
        pipe,
        {"spectrogramtransformer__n_fft": [256, 512], "spectrogramtransformer__hop_length": [256, 512]},
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert grid.best_params_["spectrogramtransformer__n_fft"] in (256, 512)


def test_import_features_does_not_load_torch():
    import subprocess
    import sys

    code = (
        "import sys, skcnn.features; "
        "skcnn.features.SpectrogramTransformer(n_mels=40).feature_span(3, 3); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------ GPU
@pytest.mark.gpu
@pytest.mark.parametrize("cls,kwargs", [(SpectrogramTransformer, dict(n_mels=40)), (MFCCTransformer, dict(deltas=2))])
def test_gpu_matches_cpu(fixed, cls, kwargs):
    cpu = cls(sr=SR, n_fft=512, hop_length=128, **kwargs).transform(fixed)
    gpu = cls(sr=SR, n_fft=512, hop_length=128, device="cuda", **kwargs).transform(fixed)
    assert gpu.dtype == np.float32
    assert _rel_err(gpu, cpu) <= 1e-5

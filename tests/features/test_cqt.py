"""CQTTransformer against librosa.cqt, clip by clip, and the point of a constant-Q axis."""

import pickle
import warnings
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone

from skcnn import CQTTransformer, SpectrogramTransformer
from skcnn.features import _dsp

SR = 22050
FSDD_SR = 8000
LOCAL_FSDD = Path(__file__).resolve().parents[1] / "data" / "fsdd"


def _rel_err(actual, expected):
    """Frobenius norm of the difference over that of the reference."""
    return np.linalg.norm(actual - expected) / np.linalg.norm(expected)


def _librosa_cqt(y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n_fft too large for short clips
        return np.abs(librosa.cqt(y, **kwargs))


@pytest.fixture(scope="module")
def signals():
    """1.3 s test signals at 22.05 kHz: a chirp, a harmonic tone, noise."""
    n = int(1.3 * SR)
    t = np.arange(n) / SR
    chirp = librosa.chirp(fmin=50, fmax=5000, sr=SR, length=n)
    harmonic = sum(np.sin(2 * np.pi * 220 * h * t) / h for h in range(1, 6))
    noise = 0.1 * np.random.default_rng(0).standard_normal(n)
    return np.stack([chirp, harmonic, noise]).astype(np.float32)


@pytest.fixture(scope="module")
def recordings(request):
    """Twenty real FSDD clips at 8 kHz (ragged), from tests/data/fsdd or the shared copy."""
    files = sorted(LOCAL_FSDD.glob("*.wav"))
    if not files:
        fsdd_dir = request.getfixturevalue("fsdd_dir")
        files = sorted((fsdd_dir / "recordings").glob("*_*_[0-4].wav"))[::15][:20]
    return [sf.read(f, dtype="float32")[0] for f in files]


def _tone(f0, seconds=1.0, sr=SR):
    """Five harmonics of f0 with amplitudes 1 / h."""
    t = np.arange(int(seconds * sr)) / sr
    return sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 6)).astype(np.float32)


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),  # librosa's defaults: 84 bins from C1, hop 512
        dict(hop_length=256, fmin=65.0, n_bins=60),  # early downsampling by 2
        dict(fmin=100.0, n_bins=40, bins_per_octave=24, filter_scale=0.8),  # by 16
        dict(hop_length=384, n_bins=30),  # hop odd after 7 halvings
        dict(hop_length=100, fmin=55.0, n_bins=50, window="hamming"),  # stops halving
        dict(fmin=440.0, n_bins=1),
    ],
    ids=["defaults", "early-2", "bpo24", "hop384", "hop100-hamming", "one-bin"],
)
def test_matches_librosa_on_synthetic_signals(signals, kwargs):
    params = dict(sr=SR, **kwargs)
    got = CQTTransformer(output="magnitude", **params).transform(signals)
    assert got.dtype == np.float32
    for clip, out in zip(signals, got):
        expected = _librosa_cqt(clip, **params)
        assert out.shape == (1,) + expected.shape
        assert _rel_err(out[0], expected) <= 1e-5


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(hop_length=128, n_bins=72),
        dict(hop_length=64, fmin=65.4, n_bins=60),
        dict(hop_length=256, fmin=100.0, n_bins=96, bins_per_octave=24),
    ],
)
def test_matches_librosa_on_fsdd(recordings, kwargs):
    transformer = CQTTransformer(sr=FSDD_SR, output="magnitude", **kwargs)
    for clip in recordings:
        expected = _librosa_cqt(clip, sr=FSDD_SR, **kwargs)
        assert _rel_err(transformer.transform([clip])[0, 0], expected) <= 1e-5


def test_power_and_db_are_librosas_per_clip(recordings):
    kwargs = dict(sr=FSDD_SR, hop_length=128, n_bins=72)
    fixed = [librosa.util.fix_length(c, size=FSDD_SR) for c in recordings]
    magnitude = np.stack([_librosa_cqt(c, **kwargs) for c in fixed])
    power = CQTTransformer(output="power", duration=1.0, **kwargs).transform(recordings)[:, 0]
    assert _rel_err(power, magnitude**2) <= 1e-5
    db = CQTTransformer(duration=1.0, **kwargs).transform(recordings)[:, 0]  # 'db', top_db=80
    expected = np.stack([librosa.amplitude_to_db(m, ref=1.0) for m in magnitude])
    np.testing.assert_allclose(db, expected, atol=0.01, rtol=0)


def test_multichannel_matches_librosa_per_clip(signals):
    stereo = np.stack([signals[:2], signals[1:]], axis=0)  # (2 clips, 2 channels, n)
    kwargs = dict(sr=SR, hop_length=256, fmin=65.0, n_bins=60)
    for got, clip in zip(CQTTransformer(output="magnitude", **kwargs).transform(stereo), stereo):
        assert _rel_err(got, _librosa_cqt(clip, **kwargs)) <= 1e-5
    db = CQTTransformer(**kwargs).transform(stereo)
    assert db.shape[:2] == (2, 2)
    # librosa on one multichannel clip: the dB floor is shared by its channels
    expected = librosa.amplitude_to_db(_librosa_cqt(stereo[0], **kwargs))
    np.testing.assert_allclose(db[0], expected, atol=0.01, rtol=0)


def test_short_clips_are_zero_padded_as_librosa_does():
    """Clips shorter than the longest filter: librosa pads (and warns); so do we (silently)."""
    transformer = CQTTransformer(sr=FSDD_SR, hop_length=128, n_bins=72, output="magnitude")
    assert transformer.feature_span(1, 1)["seconds"] * FSDD_SR > 4000
    rng = np.random.default_rng(0)
    for n in (1, 17, 100, 1000):
        clip = rng.standard_normal(n).astype(np.float32)
        got = transformer.transform(clip[np.newaxis])[0, 0]
        expected = _librosa_cqt(clip, sr=FSDD_SR, hop_length=128, n_bins=72)
        assert got.shape == expected.shape == (72, 1 + n // 128)
        assert _rel_err(got, expected) <= 1e-5


def test_clips_shorter_than_librosas_early_downsampling_are_an_error():
    # hop 384 and 30 bins from C1 at 22.05 kHz: librosa first downsamples by 16
    transformer = CQTTransformer(sr=SR, hop_length=384, n_bins=30)
    with pytest.raises(librosa.ParameterError, match="too short"):
        librosa.cqt(np.zeros(15, np.float32), sr=SR, hop_length=384, n_bins=30)
    with pytest.raises(ValueError, match="15 samples, fewer than the 16 .* downsamples by 16"):
        transformer.transform(np.zeros((2, 15)))
    assert transformer.transform(np.zeros((2, 16))).shape == (2, 1, 30, 1)


@pytest.mark.parametrize(
    "hop_length, n_samples, extra",
    [(512, SR, 0), (128, 8000, 0), (384, 5000, 0), (100, 7777, 0), (512, 1023, 1)],
)
def test_frame_count(hop_length, n_samples, extra):
    """librosa's count; one more when its early downsampling rounds the length up."""
    X = np.zeros((2, n_samples), np.float32)
    out = CQTTransformer(sr=SR, hop_length=hop_length, fmin=65.0, n_bins=48).transform(X)
    expected = _librosa_cqt(X[0], sr=SR, hop_length=hop_length, fmin=65.0, n_bins=48).shape[-1]
    assert out.shape == (2, 1, 48, expected)
    assert expected == 1 + n_samples // hop_length + extra


# --------------------------------------------------------------- the constant-Q point
@pytest.mark.parametrize("bins_per_octave", [12, 36])
@pytest.mark.parametrize("semitones", [1, 5, 12])
def test_pitch_shift_is_a_shift_of_the_map(bins_per_octave, semitones):
    """A harmonic tone k semitones up: the same map k * bins_per_octave / 12 bins up.

    Up to a gain: librosa scales each bin by 1 / sqrt(filter length), so a
    tone's magnitude goes as 1 / sqrt(frequency), 2 ** (-k / 24) for k semitones.
    """
    f0 = 196.0
    X = np.stack([_tone(f0), _tone(f0 * 2 ** (semitones / 12))])
    cqt = CQTTransformer(
        sr=SR, hop_length=512, fmin=55.0, n_bins=6 * bins_per_octave,
        bins_per_octave=bins_per_octave, output="magnitude",
    )
    low, high = cqt.transform(X)[:, 0, :, 4:-4]  # edge frames see the padding
    shift = semitones * bins_per_octave // 12
    gain = 2 ** (semitones / 24)
    assert _rel_err(gain * high[shift:], low[: len(low) - shift]) <= 0.03
    assert _rel_err(gain * high[shift + 1 :], low[: len(low) - shift - 1]) >= 0.5
    peaks = np.sort(np.argsort(low.mean(axis=1))[-5:])
    np.testing.assert_array_equal(np.sort(np.argsort(high.mean(axis=1))[-5:]), peaks + shift)


@pytest.mark.parametrize("semitones", [1, 5, 12])
def test_on_a_mel_axis_the_pattern_changes_shape(semitones):
    f0 = 196.0
    X = np.stack([_tone(f0), _tone(f0 * 2 ** (semitones / 12))])
    mel = SpectrogramTransformer(sr=SR, n_fft=2048, hop_length=512, n_mels=128, output="magnitude")
    low, high = mel.transform(X)[:, 0, :, 4:-4]
    errors = []
    for shift in range(0, 60):  # no shift and no gain make the maps agree
        a, b = low[: len(low) - shift], high[shift:]
        gain = (a * b).sum() / (b * b).sum()
        errors.append(_rel_err(gain * b, a))
    assert min(errors) >= 0.4
    # the harmonics' peaks move by different numbers of bands
    moves = np.sort(np.argsort(high.mean(axis=1))[-5:]) - np.sort(np.argsort(low.mean(axis=1))[-5:])
    assert len(set(moves.tolist())) > 1


# ------------------------------------------------------------ per-clip independence
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(hop_length=128, n_bins=72),
        dict(hop_length=64, fmin=65.4, n_bins=48, output="magnitude"),
        dict(hop_length=100, n_bins=60, bins_per_octave=24, output="power"),
    ],
    ids=["db", "magnitude", "power-hop100"],
)
def test_each_clip_depends_on_itself_alone(recordings, kwargs):
    fixed = np.stack([librosa.util.fix_length(c, size=FSDD_SR) for c in recordings[:10]])
    quiet = fixed[:1] * 1e-4  # 80 dB below the others
    X = np.concatenate([fixed[1:6] * 10, quiet, fixed[6:10]])
    transformer = CQTTransformer(sr=FSDD_SR, **kwargs)
    batch = transformer.transform(X)
    for i in range(len(X)):
        np.testing.assert_array_equal(batch[i], transformer.transform(X[i : i + 1])[0])
    if transformer.output == "db":  # the quiet clip is not floored at the loud clips' max - 80 dB
        assert batch[5].min() < batch.max() - 80.5
        assert batch[5].max() > batch[5].min() + 20


@pytest.mark.parametrize("n_samples", [4, 100, 700])
def test_batch_independence_down_to_one_frame(n_samples):
    X = np.random.default_rng(1).standard_normal((9, n_samples))
    transformer = CQTTransformer(sr=FSDD_SR, hop_length=64, n_bins=60)
    batch = transformer.transform(X)
    for i in range(len(X)):
        np.testing.assert_array_equal(batch[i], transformer.transform(X[i : i + 1])[0])


def test_soxr_resamples_each_clip_on_its_own():
    """The one soxr call per octave for a chunk gives each clip's own samples."""
    from skcnn.features._cqt_dsp import _downsample

    X = np.random.default_rng(0).standard_normal((7, 999)).astype(np.float32)
    X[3] *= 1e-4
    chunk = _downsample(X, 2)
    for i, clip in enumerate(X):
        expected = librosa.resample(clip, orig_sr=2, target_sr=1, res_type="soxr_hq", scale=True)
        np.testing.assert_array_equal(chunk[i], expected)


def test_chunked_transform_equals_one_chunk(recordings, monkeypatch):
    transformer = CQTTransformer(sr=FSDD_SR, hop_length=128, n_bins=72, duration=1.0, verbose=1)
    whole = transformer.transform(recordings)
    front_end = transformer._front_end()
    per_clip = _dsp.CHUNK_BYTES // front_end.chunk_size(1, FSDD_SR)
    monkeypatch.setattr(_dsp, "CHUNK_BYTES", 3 * per_clip)
    assert transformer._front_end().chunk_size(1, FSDD_SR) == 3
    np.testing.assert_array_equal(transformer.transform(recordings), whole)


def test_chunk_size_bounds_the_memory():
    front_end = CQTTransformer(sr=SR)._front_end()
    n_samples = 5 * SR
    chunk = front_end.chunk_size(1, n_samples)
    lengths = [int(np.ceil(n_samples / 2**i)) for i in range(len(front_end.octaves))]
    assert front_end.plan["factor"] == 1 and all(o["halve"] for o in front_end.octaves)
    biggest_stft = max(
        (1 + o["n_fft"] // 2) * (1 + n // o["hop"]) for n, o in zip(lengths, front_end.octaves)
    )
    assert 1 < chunk and chunk * 8 * biggest_stft <= _dsp.CHUNK_BYTES


# ------------------------------------------------------------------------ inputs
def test_ragged_list_needs_duration(recordings):
    with pytest.raises(ValueError, match="different lengths.*set `duration`"):
        CQTTransformer(sr=FSDD_SR, n_bins=72).transform(recordings)


def test_integer_pcm_is_scaled(signals):
    pcm = np.round(signals * 0.5 * (2**15 - 1)).astype(np.int16)
    transformer = CQTTransformer(sr=SR, output="magnitude", fmin=65.0, n_bins=60)
    np.testing.assert_allclose(
        transformer.transform(pcm), transformer.transform(pcm / 2**15), rtol=1e-5, atol=1e-6
    )


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "params,match",
    [
        # 85 bins from C1 reach C8
        (dict(sr=8000, n_bins=85), r"fmin \* 2 \*\* \(\(n_bins - 1\) / bins_per_octave\) = 4186 Hz "
                                   r"exceeds the Nyquist frequency sr / 2 = 4000 Hz"),
        # librosa's defaults (C1, 84 bins) at 8 kHz: the top bin, B7, is 3951 Hz, its filter
        # reaches above 4000 Hz
        (dict(sr=8000), r"= 3951 Hz, has a filter reaching 4122 Hz .* above the Nyquist "
                        r"frequency sr / 2 = 4000 Hz"),
        (dict(n_bins=0), "'n_bins' parameter"),
        (dict(bins_per_octave=0), "'bins_per_octave' parameter"),
        (dict(filter_scale=0), "'filter_scale' parameter"),
        (dict(fmin=0.0), "'fmin' parameter"),
        (dict(hop_length=0), "'hop_length' parameter"),
        (dict(output="complex"), "'output' parameter"),
        (dict(window="nonsense"), "window='nonsense' is not a window"),
        (dict(window=np.ones(4)), "'window' parameter"),
        (dict(top_db=-1.0), "'top_db' parameter"),
        (dict(duration=0.0), "'duration' parameter"),
        (dict(device="tpu"), "device='tpu'"),
    ],
)
def test_bad_parameters_name_themselves(params, match):
    X = np.zeros((2, 4000), dtype=np.float32)
    with pytest.raises(ValueError, match=match):
        CQTTransformer(**params).fit(X)
    with pytest.raises(ValueError, match=match):
        CQTTransformer(**params).transform(X)


def test_librosa_refuses_the_same_band_edge():
    with pytest.raises(librosa.ParameterError, match="Nyquist"):
        librosa.cqt(np.zeros(8000, np.float32), sr=8000)
    CQTTransformer(sr=8000, n_bins=83).fit(np.zeros((1, 8000)))
    _librosa_cqt(np.zeros(8000, np.float32), sr=8000, n_bins=83)


def test_nan_names_the_clip(signals):
    X = signals.copy()
    X[2, 10] = np.nan
    with pytest.raises(ValueError, match="clip 2 of X contains NaN"):
        CQTTransformer(sr=SR).transform(X)


# ------------------------------------------------------------------- feature_span
def test_feature_span():
    transformer = CQTTransformer(sr=FSDD_SR, hop_length=128, n_bins=72, bins_per_octave=12)
    freqs = librosa.cqt_frequencies(72, fmin=librosa.note_to_hz("C1"))
    lengths, _ = librosa.filters.wavelet_lengths(freqs=freqs, sr=FSDD_SR, gamma=0)
    span = transformer.feature_span(n_bins=24, n_frames=5)
    assert span["frequency_axis"] == "constant-q"
    assert span["semitones"] == 24.0
    assert span["seconds"] == pytest.approx((4 * 128 + lengths[0]) / FSDD_SR)
    assert span["hertz"] == pytest.approx(freqs[71] - freqs[47])
    assert transformer.feature_span(1, 1)["hertz"] == pytest.approx(freqs[71] - freqs[70])
    # a block taller than the axis covers the whole axis
    assert transformer.feature_span(500, 1)["hertz"] == pytest.approx(freqs[71] - freqs[0])
    quarter_tones = transformer.set_params(bins_per_octave=24, n_bins=96)
    assert quarter_tones.feature_span(6, 1)["semitones"] == 3.0


@pytest.mark.parametrize(
    "n_bins, n_frames, name",
    [(0, 1, "n_bins"), (1, -2, "n_frames"), (2.5, 1, "n_bins"), (1, True, "n_frames")],
)
def test_feature_span_refuses_bad_sizes(n_bins, n_frames, name):
    with pytest.raises(ValueError, match=f"{name}=.* must be a positive integer"):
        CQTTransformer().feature_span(n_bins, n_frames)


def test_feature_span_checks_the_parameters():
    with pytest.raises(ValueError, match="above the Nyquist frequency"):
        CQTTransformer(sr=8000).feature_span(1, 1)


# ----------------------------------------------------------------- sklearn ergonomics
def test_stateless_fit_clone_pickle(signals):
    transformer = CQTTransformer(sr=SR, fmin=65.0, n_bins=48)
    assert transformer.__sklearn_tags__().requires_fit is False
    out = transformer.transform(signals)
    assert transformer.fit(signals) is transformer
    assert not [k for k in vars(transformer) if k.endswith("_") and not k.startswith("_")]
    assert clone(transformer).get_params() == transformer.get_params()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(transformer)).transform(signals), out)
    assert transformer.set_params(n_bins=24).transform(signals).shape[2] == 24


# ------------------------------------------------------------------------------ GPU
@pytest.mark.gpu
def test_gpu_matches_cpu(recordings):
    """On a GPU the resampling stays on the CPU (soxr); cuFFT and cuBLAS round differently."""
    kwargs = dict(sr=FSDD_SR, hop_length=128, n_bins=72, duration=1.0, output="magnitude")
    cpu = CQTTransformer(**kwargs).transform(recordings)
    gpu = CQTTransformer(device="cuda", **kwargs).transform(recordings)
    assert gpu.dtype == np.float32
    assert _rel_err(gpu, cpu) <= 1e-4

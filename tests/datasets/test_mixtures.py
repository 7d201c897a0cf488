"""Tests for skcnn.datasets.make_mixtures and skcnn.separation.apply_mask."""

import subprocess
import sys

import librosa
import numpy as np
import pytest

from skcnn.datasets import load_fsdd, make_audio_classification, make_mixtures
from skcnn.separation import apply_mask

SR = 8000


def si_sdr(estimate, reference):
    """Scale-invariant SDR in dB of each row (Le Roux et al., 2019), zero-mean signals."""
    estimate = np.asarray(estimate, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    estimate = estimate - estimate.mean(axis=-1, keepdims=True)
    reference = reference - reference.mean(axis=-1, keepdims=True)
    alpha = np.sum(estimate * reference, -1, keepdims=True) / np.sum(reference**2, -1, keepdims=True)
    projection = alpha * reference
    return 10 * np.log10(np.sum(projection**2, -1) / np.sum((estimate - projection) ** 2, -1))


def _rms(x):
    return np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2, axis=-1))


def _snr(bunch):
    return 20 * np.log10(_rms(bunch.target) / _rms(bunch.noise))


@pytest.fixture(scope="module")
def clean():
    """12 synthetic events in silence, 0.5 s each."""
    X, _ = make_audio_classification(12, sr=SR, duration=0.5, noise=0.0, random_state=0)
    return X


@pytest.fixture(scope="module")
def fsdd_sample(fsdd_sample_dir):
    return load_fsdd(fsdd_sample_dir)


@pytest.mark.parametrize("n_fft, hop_length", [(512, 128), (256, 64), (400, 100)])
@pytest.mark.parametrize("n_samples", [4000, 4001, 3999])
def test_shapes_match_the_front_end(clean, n_fft, hop_length, n_samples):
    from skcnn import SpectrogramTransformer

    clips = np.pad(clean[:3], ((0, 0), (0, 1)))[:, :n_samples]
    m = make_mixtures(
        clips, sr=SR, n_fft=n_fft, hop_length=hop_length, random_state=0
    )
    for name in ("mixture", "target", "noise"):
        assert m[name].shape == (3, n_samples) and m[name].dtype == np.float32
    assert m.mask.shape == (3, 1 + n_fft // 2, 1 + n_samples // hop_length)
    assert m.mask.dtype == np.float32 and m.mask.min() >= 0 and m.mask.max() <= 1
    db = SpectrogramTransformer(sr=SR, n_fft=n_fft, hop_length=hop_length, output="db")
    maps = db.fit_transform(m.mixture)
    assert maps.shape == (3, 1) + m.mask.shape[1:]
    assert (m.sr, m.n_fft, m.hop_length, m.mask_type) == (SR, n_fft, hop_length, "magnitude_ratio")


@pytest.mark.parametrize("noise", ["white", "pink", "array", "rows"])
@pytest.mark.parametrize("snr_db", [0.0, -5.0, (-10.0, 10.0)])
def test_snr_and_parts(clean, noise, snr_db):
    rng = np.random.default_rng(1)
    if noise == "array":
        noise = rng.uniform(-0.5, 0.5, size=3 * SR)
    elif noise == "rows":
        noise = rng.uniform(-0.5, 0.5, size=(4, SR))
    m = make_mixtures(clean, noise, sr=SR, snr_db=snr_db, random_state=2)
    np.testing.assert_allclose(_snr(m), m.snr_db, atol=0.1)
    np.testing.assert_allclose(m.mixture, m.target + m.noise, atol=1e-6)
    np.testing.assert_allclose(m.target, clean * m.gain[:, np.newaxis], atol=1e-6)
    low, high = (snr_db, snr_db) if np.isscalar(snr_db) else snr_db
    assert m.snr_db.shape == (12,) and (m.snr_db >= low).all() and (m.snr_db <= high).all()
    if low < high:
        assert m.snr_db.std() > 1.0
    if isinstance(noise, np.ndarray):
        assert set(m.noise_index) <= set(range(len(noise) if noise.ndim == 2 else 1))
    else:
        assert (m.noise_index == -1).all()


def test_pink_noise_has_more_power_in_low_frequencies(clean):
    m = make_mixtures(clean, "pink", sr=SR, random_state=0)
    w = make_mixtures(clean, "white", sr=SR, random_state=0)
    for bunch, ratio in ((m, 10.0), (w, 0.5)):
        power = np.abs(np.fft.rfft(bunch.noise, axis=-1)) ** 2
        freqs = np.fft.rfftfreq(bunch.noise.shape[-1], 1 / SR)
        low, high = power[:, (freqs > 50) & (freqs < 500)].mean(), power[:, freqs > 2000].mean()
        assert (low / high > ratio) if ratio > 1 else (0.5 < low / high < 2)


@pytest.mark.parametrize("mask_type", ["magnitude_ratio", "irm"])
def test_mask_is_the_formula_on_the_parts(clean, mask_type):
    m = make_mixtures(clean, sr=SR, n_fft=256, hop_length=64, mask_type=mask_type, random_state=3)
    stft = lambda x: librosa.stft(  # noqa: E731
        x.astype(np.float64), n_fft=256, hop_length=64, window="hann", center=True,
        pad_mode="constant",
    )
    s, n = np.abs(stft(m.target)), np.abs(stft(m.noise))
    expected = s / (s + n) if mask_type == "magnitude_ratio" else np.sqrt(s**2 / (s**2 + n**2))
    np.testing.assert_allclose(m.mask, expected, atol=1e-3)
    assert m.mask_type == mask_type


def test_mask_is_zero_where_target_and_noise_are_silent(fsdd_sample):
    """A short interferer and a short target leave frames where both are zero."""
    short_target = [fsdd_sample.data[0][:800]]
    m = make_mixtures(
        short_target, [fsdd_sample.data[1][:800]], sr=SR, duration=1.0, n_fft=256,
        hop_length=64, random_state=0,
    )
    s = np.abs(librosa.stft(m.target.astype(np.float64), n_fft=256, hop_length=64,
                            pad_mode="constant"))
    n = np.abs(librosa.stft(m.noise.astype(np.float64), n_fft=256, hop_length=64,
                            pad_mode="constant"))
    both_silent = (s == 0) & (n == 0)
    assert both_silent.any()
    assert (m.mask[both_silent] == 0).all()
    assert (m.mask[(s > 0) & (n == 0)] == 1).all()


def test_another_talker_as_noise(fsdd_sample):
    """Short interferer clips are placed at a random offset inside each mixture."""
    george = np.flatnonzero(fsdd_sample.speaker == "george")
    others = np.flatnonzero(fsdd_sample.speaker != "george")
    talker = [fsdd_sample.data[i] for i in george]
    m = make_mixtures(
        [fsdd_sample.data[i] for i in others], talker, sr=SR, duration=1.0, random_state=0
    )
    assert m.mixture.shape == (others.size, SR)
    assert set(m.noise_index) <= set(range(len(talker)))
    np.testing.assert_allclose(_snr(m), 0.0, atol=0.1)
    for row, i in zip(m.noise, m.noise_index):
        sound = np.flatnonzero(row)
        assert sound[-1] + 1 - sound[0] <= talker[i].size  # the clip, with silence around it
        ratio = row[sound[0] : sound[0] + talker[i].size] / np.where(talker[i] == 0, 1, talker[i])
        assert np.allclose(ratio[talker[i] != 0], ratio[talker[i] != 0][0], rtol=1e-4)


def test_ragged_targets_need_a_duration(fsdd_sample):
    with pytest.raises(ValueError, match=r"targets holds clips of different lengths .* set duration"):
        make_mixtures(fsdd_sample.data, sr=SR)
    m = make_mixtures(fsdd_sample.data, sr=SR, duration=0.5, random_state=0)
    assert m.target.shape == (20, 4000)
    for row, clip, gain in zip(m.target, fsdd_sample.data, m.gain):
        n = min(4000, clip.size)
        np.testing.assert_allclose(row[:n], gain * clip[:n], atol=1e-6)
        assert not row[n:].any()


def test_peak_normalisation_keeps_the_snr(clean):
    loud = clean / np.abs(clean).max(axis=1, keepdims=True)  # peaks at 1
    m = make_mixtures(loud, sr=SR, snr_db=0.0, random_state=4)
    assert (m.gain < 1).all()
    np.testing.assert_allclose(np.abs(m.mixture).max(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(_snr(m), 0.0, atol=0.1)


def test_seeding(clean):
    a = make_mixtures(clean, sr=SR, snr_db=(-5, 5), random_state=5)
    b = make_mixtures(clean, sr=SR, snr_db=(-5, 5), random_state=5)
    c = make_mixtures(clean, sr=SR, snr_db=(-5, 5), random_state=6)
    for name in ("mixture", "noise", "mask", "snr_db"):
        np.testing.assert_array_equal(a[name], b[name])
        assert not np.array_equal(a[name], c[name])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sr": -1}, r"sr=-1 must be a positive integer"),
        ({"snr_db": "0"}, r"snr_db='0' must be a number of dB"),
        ({"snr_db": (5, -5)}, r"snr_db=\(5, -5\) must be"),
        ({"n_fft": 0}, r"n_fft=0 must be a positive integer"),
        ({"hop_length": 1.5}, r"hop_length=1.5 must be a positive integer"),
        ({"mask_type": "ibm"}, r"mask_type='ibm' must be one of 'magnitude_ratio', 'irm'"),
        ({"duration": 0}, r"duration=0 must be a positive number of seconds"),
        ({"noise": "blue"}, r"noise='blue' must be 'white', 'pink', or recordings"),
        ({"noise": np.zeros(SR)}, r"noise: the excerpt for clip 0 is silent"),
        ({"noise": [np.ones(10), np.full(5, np.inf)]}, r"noise: clip 1 of X contains NaN"),
    ],
)
def test_errors(clean, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_mixtures(clean, **{"sr": SR, **kwargs})


def test_silent_target_is_an_error(clean):
    with pytest.raises(ValueError, match=r"target clip 1 is silent \(all zeros within duration\)"):
        make_mixtures([np.ones(100), np.r_[np.zeros(100), np.ones(10)]], sr=SR, duration=0.01)


# --------------------------------------------------------------------------------------
# apply_mask
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask_type", ["magnitude_ratio", "irm"])
@pytest.mark.parametrize("n_fft, hop_length", [(512, 128), (256, 64)])
def test_oracle_mask_improves_si_sdr(clean, mask_type, n_fft, hop_length):
    m = make_mixtures(
        clean, sr=SR, snr_db=0.0, n_fft=n_fft, hop_length=hop_length, mask_type=mask_type,
        random_state=7,
    )
    estimate = apply_mask(m.mixture, m.mask, n_fft=n_fft, hop_length=hop_length)
    assert estimate.shape == m.mixture.shape and estimate.dtype == np.float32
    improvement = si_sdr(estimate, m.target) - si_sdr(m.mixture, m.target)
    assert np.median(improvement) > 10.0 and (improvement > 3.0).all()


def test_apply_mask_channel_axis_and_trivial_masks(clean):
    m = make_mixtures(clean[:4], sr=SR, random_state=8)
    flat = apply_mask(m.mixture, m.mask, n_fft=512, hop_length=128)
    channel = apply_mask(m.mixture[:, np.newaxis], m.mask[:, np.newaxis], n_fft=512, hop_length=128)
    assert channel.shape == (4, 1, 4000)
    np.testing.assert_array_equal(channel[:, 0], flat)
    ones = apply_mask(m.mixture, np.ones_like(m.mask), n_fft=512, hop_length=128)
    np.testing.assert_allclose(ones, m.mixture, atol=1e-5)
    zeros = apply_mask(list(m.mixture), np.zeros_like(m.mask), n_fft=512, hop_length=128)
    assert not zeros.any()
    boolean = apply_mask(m.mixture, m.mask > 0.5, n_fft=512, hop_length=128)
    assert boolean.shape == (4, 4000)


def test_apply_mask_errors(clean):
    m = make_mixtures(clean[:2], sr=SR, random_state=9)
    with pytest.raises(
        ValueError,
        match=r"mask has shape \(2, 257, 32\); the mixture's STFT with n_fft=256 and "
        r"hop_length=64 has shape \(2, 129, 63\)",
    ):
        apply_mask(m.mixture, m.mask, n_fft=256, hop_length=64)
    with pytest.raises(ValueError, match=r"mask has shape \(2, 1, 257, 31\); .* \(2, 257, 32\) "
                                         r".* from mixture of shape \(2, 4000\)"):
        apply_mask(m.mixture, m.mask[:, np.newaxis, :, :31], n_fft=512, hop_length=128)
    with pytest.raises(ValueError, match=r"mask has 1 value outside \[0, 1\] \(e.g. 1.5; range 0.0 to 1.5\)"):
        bad = m.mask.copy()
        bad[0, 0, 0] = 1.5
        apply_mask(m.mixture, bad, n_fft=512, hop_length=128)
    with pytest.raises(ValueError, match=r"mask has 2 values outside \[0, 1\]"):
        bad = m.mask.copy()
        bad[0, 0, :2] = [np.nan, -0.1]
        apply_mask(m.mixture, bad, n_fft=512, hop_length=128)
    with pytest.raises(ValueError, match=r"mixture has shape \(2, 2, 4000\); expected mono"):
        apply_mask(np.stack([m.mixture] * 2, axis=1), m.mask, n_fft=512, hop_length=128)
    with pytest.raises(ValueError, match=r"n_fft=0 must be a positive integer"):
        apply_mask(m.mixture, m.mask, n_fft=0, hop_length=128)
    with pytest.raises(ValueError, match=r"mixture: X has 1 dimension"):
        apply_mask(m.mixture[0], m.mask[0], n_fft=512, hop_length=128)


def test_separation_imports_no_torch():
    code = "import sys, skcnn.separation; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_oracle_mask_on_fsdd_digits(fsdd_dir):
    """The first 200 FSDD digits, one second, white noise at 0 dB: about 13.4 dB median SI-SDRi."""
    fsdd = load_fsdd(fsdd_dir)
    m = make_mixtures(fsdd.data[:200], sr=fsdd.sr, duration=1.0, snr_db=0.0, random_state=0)
    estimate = apply_mask(m.mixture, m.mask, n_fft=m.n_fft, hop_length=m.hop_length)
    improvement = si_sdr(estimate, m.target) - si_sdr(m.mixture, m.target)
    assert 12.5 < np.median(improvement) < 14.5

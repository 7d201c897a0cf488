"""Tests for skcnn.datasets.make_vibrato_tones: frame grid, pitch path, silence, harmonics."""

import librosa
import numpy as np
import pytest

from skcnn.datasets import make_vibrato_tones

SR = 8000


def _cents(f, ref):
    return 1200 * np.log2(f / ref)


@pytest.mark.parametrize("duration, hop_length", [(1.0, 64), (0.77, 100), (0.5, 128)])
def test_shapes_and_frame_grid(duration, hop_length):
    tones = make_vibrato_tones(5, duration=duration, hop_length=hop_length, random_state=0)
    n_times = round(duration * SR)
    assert tones.data.shape == (5, n_times) and tones.data.dtype == np.float32
    assert tones.target.shape == (5, 1 + n_times // hop_length)
    assert tones.target.dtype == np.float64
    assert tones.sr == SR and tones.hop_length == hop_length
    voiced = tones.target[~np.isnan(tones.target)]
    assert voiced.size > 0 and voiced.min() >= 100 and voiced.max() <= 800


def test_steady_tone_target_is_its_f0():
    tones = make_vibrato_tones(4, f0_range=(440.0, 440.0), vibrato_cents=0.0, random_state=1)
    voiced = ~np.isnan(tones.target)
    assert voiced.sum(axis=1).min() > 60
    np.testing.assert_allclose(tones.target[voiced], 440.0, rtol=1e-12)
    spectrum = np.abs(np.fft.rfft(tones.data, axis=1))
    freqs = np.fft.rfftfreq(tones.data.shape[1], 1 / SR)
    np.testing.assert_allclose(freqs[spectrum.argmax(axis=1)], 440.0, atol=1.5)


def test_glide_is_linear_in_log_frequency():
    tones = make_vibrato_tones(6, vibrato_cents=0.0, glide=(-1.0, 1.0), random_state=2)
    changes = []
    for target in tones.target:
        frames = np.flatnonzero(~np.isnan(target))
        log2_f0 = np.log2(target[frames])
        slope, intercept = np.polyfit(frames, log2_f0, 1)
        np.testing.assert_allclose(log2_f0, slope * frames + intercept, atol=1e-9)
        changes.append(slope * (frames[-1] - frames[0]))
    assert np.std(changes) > 0.1  # the glides differ


def test_vibrato_depth_and_rate():
    """No glide: the pitch swings ``cents`` above and below its centre, ``rate`` times a second."""
    tones = make_vibrato_tones(
        3, duration=2.0, glide=0.0, vibrato_cents=80.0, vibrato_rate=5.0, silence=0.0,
        hop_length=16, random_state=3,
    )
    for target in tones.target:
        frames = ~np.isnan(target)
        cents = _cents(target[frames], np.exp(np.mean(np.log(target[frames]))))
        assert cents.max() == pytest.approx(80.0, abs=2.0)
        assert cents.min() == pytest.approx(-80.0, abs=2.0)
        crossings = np.sum(np.diff(np.sign(cents)) != 0)
        assert crossings == pytest.approx(2 * 5.0 * 2.0, abs=1)


def test_silence_is_unvoiced_and_silent():
    """Voiced exactly where the frame centre lies in the tone, fades included."""
    tones = make_vibrato_tones(8, silence=0.3, random_state=4)
    centres = np.arange(tones.target.shape[1]) * tones.hop_length
    n_unvoiced = 0
    for clip, target in zip(tones.data, tones.target):
        sound = np.flatnonzero(clip)
        on, off = sound[0] - 1, sound[-1] + 2  # the raised-cosine fades start and end at 0
        unvoiced = np.isnan(target)
        np.testing.assert_array_equal(~unvoiced, (centres >= on) & (centres < off))
        n_unvoiced += unvoiced.sum()
    assert n_unvoiced > 8 * 2  # leading and trailing silences


def test_no_silence_and_the_frame_past_the_end():
    tones = make_vibrato_tones(2, silence=0.0, hop_length=64, random_state=5)
    # 8000 samples, hop 64: the last frame is centred at sample 8000, past the end
    assert np.isnan(tones.target[:, -1]).all()
    assert not np.isnan(tones.target[:, :-1]).any()


def test_harmonics_stay_below_nyquist():
    tones = make_vibrato_tones(
        4, f0_range=(1500.0, 1500.0), vibrato_cents=0.0, n_harmonics=8, random_state=6
    )
    power = np.abs(np.fft.rfft(tones.data, axis=1)) ** 2
    freqs = np.fft.rfftfreq(tones.data.shape[1], 1 / SR)
    second = power[:, np.abs(freqs - 3000) < 20].sum(axis=1)
    above = power[:, freqs > 3200].sum(axis=1)
    assert (second > 1e3 * above).all()  # harmonics 1 and 2 only: 4500 Hz would alias
    single = make_vibrato_tones(4, n_harmonics=1, vibrato_cents=0.0, glide=0.0,
                                f0_range=(300.0, 300.0), random_state=6)
    power = np.abs(np.fft.rfft(single.data, axis=1)) ** 2
    assert (power[:, np.abs(freqs - 300) < 20].sum(axis=1) > 0.99 * power.sum(axis=1)).all()


def test_yin_agrees_with_the_target():
    """librosa.yin on the clips is within 50 cents of the target on most voiced frames."""
    tones = make_vibrato_tones(6, noise=0.002, random_state=7)
    agree = []
    for clip, target in zip(tones.data, tones.target):
        f0 = librosa.yin(clip.astype(np.float64), fmin=60, fmax=1000, sr=SR, frame_length=512,
                         hop_length=tones.hop_length)
        assert f0.shape == target.shape
        voiced = ~np.isnan(target)
        agree.append(np.mean(np.abs(_cents(f0[voiced], target[voiced])) < 50))
    assert np.median(agree) > 0.9 and min(agree) > 0.7


def test_noise_and_seeding():
    a = make_vibrato_tones(3, random_state=8)
    b = make_vibrato_tones(3, random_state=8)
    c = make_vibrato_tones(3, random_state=9)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.target, b.target)
    assert not np.array_equal(a.data, c.data)
    noisy = make_vibrato_tones(3, noise=0.1, random_state=8)
    np.testing.assert_array_equal(noisy.target, a.target)
    assert np.std(noisy.data - a.data) == pytest.approx(0.1, rel=0.05)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"f0_range": (100.0, 4000.0)}, r"f0_range=\(100.0, 4000.0\) must lie between 0 and the "
                                        r"Nyquist frequency sr / 2 = 4000.0 Hz"),
        ({"f0_range": (0.0, 400.0)}, r"f0_range=\(0.0, 400.0\) must lie between 0"),
        ({"f0_range": (500.0, 400.0)}, r"f0_range=\(500.0, 400.0\) must be a frequency in Hz"),
        ({"f0_range": (440.0, 450.0)}, r"f0_range=\(440.0, 450.0\) spans 39 cents, less than "
                                       r"twice the largest vibrato depth, vibrato_cents=100.0"),
        ({"vibrato_cents": -1.0}, r"vibrato_cents=-1.0 must be a depth in cents of at least 0"),
        ({"vibrato_rate": (7.0, 4.0)}, r"vibrato_rate=\(7.0, 4.0\) must be a rate in Hz"),
        ({"glide": "up"}, r"glide='up' must be a number of octaves"),
        ({"n_harmonics": 0}, r"n_harmonics=0 must be a number of harmonics of at least 1"),
        ({"n_harmonics": (1, 2.5)}, r"n_harmonics=\(1, 2.5\) must be a number of harmonics"),
        ({"hop_length": 0}, r"hop_length=0 must be a positive integer"),
        ({"silence": 0.5}, r"silence=0.5 must be a number in \[0, 0.5\)"),
        ({"sr": 0}, r"sr=0 must be a positive integer"),
        ({"duration": 0.001}, r"duration=0.001 at sr=8000 gives 8 samples per clip"),
        ({"noise": -0.1}, r"noise=-0.1 must be a non-negative number"),
    ],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_vibrato_tones(2, **kwargs)


def test_target_is_the_instantaneous_frequency_at_the_frame_centre():
    """One harmonic: the analytic signal's frequency at sample t * hop_length is target[t]."""
    from scipy.signal import hilbert

    tones = make_vibrato_tones(
        4, n_harmonics=1, vibrato_cents=100.0, vibrato_rate=7.0, random_state=10
    )
    centres = np.arange(tones.target.shape[1]) * tones.hop_length
    for clip, target in zip(tones.data, tones.target):
        phase = np.unwrap(np.angle(hilbert(clip.astype(np.float64))))
        inst = np.diff(phase) * SR / (2 * np.pi)  # frequency between samples n and n + 1
        sound = np.flatnonzero(clip)
        inner = (centres > sound[0] + 400) & (centres < sound[-1] - 400)
        assert inner.sum() > 50
        at_centre = 0.5 * (inst[centres[inner] - 1] + inst[centres[inner]])
        np.testing.assert_allclose(at_centre, target[inner], rtol=2e-3)

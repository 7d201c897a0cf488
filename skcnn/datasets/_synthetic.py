"""Seeded synthetic audio for tests and the quick start.

:func:`make_audio_classification` (five kinds of sound that differ in how the
spectrum changes over time), :func:`make_audio_regression` (harmonic tones
whose target is their pitch) and :func:`make_vibrato_tones` (harmonic tones
whose pitch glides and wobbles, with a pitch target per frame). Public through
:mod:`skcnn.datasets`.
"""

from numbers import Integral, Real

import numpy as np
from scipy.signal.windows import tukey
from sklearn.utils import Bunch, check_random_state

from ._noise import check_range
from ..features._audio import check_positive_int

__all__ = [
    "AUDIO_CLASS_NAMES", "make_audio_classification", "make_audio_regression",
    "make_vibrato_tones",
]

#: Names of the classes of :func:`make_audio_classification`, indexed by label.
AUDIO_CLASS_NAMES = ("tone", "chirp_up", "chirp_down", "noise_burst", "click_train")


def _check_generator_params(n_samples, sr, duration, noise):
    n_samples = check_positive_int(n_samples, "n_samples")
    sr = check_positive_int(sr, "sr")
    if not isinstance(duration, Real) or isinstance(duration, bool) or not duration > 0:
        raise ValueError(f"duration={duration!r} must be a positive number of seconds")
    n_times = int(round(duration * sr))
    if n_times < 64:
        raise ValueError(
            f"duration={duration!r} at sr={sr} gives {n_times} samples per clip; "
            "at least 64 are needed"
        )
    if not isinstance(noise, Real) or isinstance(noise, bool) or not noise >= 0:
        raise ValueError(f"noise={noise!r} must be a non-negative number (the noise's std)")
    return n_samples, sr, n_times, float(noise)


def _event_window(rng, n_times):
    """Draw where the sound event lies: (onset, length, envelope, amplitude)."""
    length = max(16, int(rng.uniform(0.4, 0.9) * n_times))
    onset = int(rng.integers(0, n_times - length + 1))
    envelope = tukey(length, alpha=0.2)
    amplitude = 10.0 ** (rng.uniform(-20.0, -3.0) / 20.0)  # -20 to -3 dB full scale
    return onset, length, envelope, amplitude


def _sweep_phase(f_start, f_end, length, sr):
    """Phase of an exponential sweep from ``f_start`` to ``f_end`` Hz over ``length`` samples."""
    t = np.arange(length) / sr
    span = length / sr
    ratio = f_end / f_start
    return 2 * np.pi * f_start * span / np.log(ratio) * (ratio ** (t / span) - 1.0)


def _make_event(kind, rng, length, sr):
    """One event of unit peak level (before envelope and amplitude)."""
    f_min, f_max = 0.025 * sr, 0.375 * sr  # 200 Hz to 3 kHz at 8 kHz
    phase0 = rng.uniform(0, 2 * np.pi)
    if kind == "tone":
        freq = np.exp(rng.uniform(np.log(f_min), np.log(f_max)))
        return np.sin(2 * np.pi * freq * np.arange(length) / sr + phase0)
    if kind in ("chirp_up", "chirp_down"):
        ratio = np.exp(rng.uniform(np.log(2.0), np.log(4.0)))  # one to two octaves
        low = np.exp(rng.uniform(np.log(f_min), np.log(f_max / ratio)))
        start, end = (low, low * ratio) if kind == "chirp_up" else (low * ratio, low)
        return np.sin(_sweep_phase(start, end, length, sr) + phase0)
    if kind == "noise_burst":
        # uniform white noise: flat spectrum, and like the other events it peaks at 1
        return rng.uniform(-1.0, 1.0, size=length)
    if kind == "click_train":
        rate = rng.uniform(15.0, 40.0)  # clicks per second
        period = sr / rate
        decay = np.exp(-np.arange(max(4, int(0.002 * sr))) / (0.00025 * sr))  # 0.25 ms decay
        event = np.zeros(length)
        for start in np.arange(rng.uniform(0, 0.2) * period, length, period).astype(int):
            stop = min(length, start + decay.size)
            event[start:stop] += decay[: stop - start] * rng.choice([-1.0, 1.0])
        return event
    raise AssertionError(f"unknown event kind {kind!r}")  # pragma: no cover


def make_audio_classification(
    n_samples=200, *, sr=8000, duration=0.5, n_classes=5, noise=0.05, shuffle=True,
    random_state=None,
):
    """Generate short clips of five kinds of sound that differ in time and frequency.

    Each clip holds one sound event at a random onset, length (40 % to 90 % of the
    clip), level (-20 to -3 dB full scale) and, where it has one, pitch, with
    short fades, over white Gaussian background noise. The classes, in label
    order (see ``AUDIO_CLASS_NAMES``):

    0. ``"tone"``: a steady sine between 2.5 % and 37.5 % of ``sr``
       (200 Hz to 3 kHz at 8 kHz);
    1. ``"chirp_up"``: an exponential sweep rising one to two octaves in that range;
    2. ``"chirp_down"``: the same sweep falling;
    3. ``"noise_burst"``: a burst of white noise;
    4. ``"click_train"``: short clicks (decaying in 0.25 ms), 15 to 40 per second.

    Tones and chirps share a frequency range, noise bursts and click trains are
    both broadband, and a chirp up has the same average spectrum as a chirp down:
    the classes show in how the spectrum changes over time, which a CNN reads
    from a spectrogram.

    Parameters
    ----------
    n_samples : int, default=200
        Number of clips. Classes are balanced: their sizes differ by at most one.
    sr : int, default=8000
        Sample rate in Hz.
    duration : float, default=0.5
        Length of every clip in seconds; a clip has ``round(duration * sr)``
        samples (at least 64).
    n_classes : int, default=5
        Number of classes, from 2 to 5: the first ``n_classes`` kinds above.
    noise : float, default=0.05
        Standard deviation of the white Gaussian background noise (full scale is 1).
    shuffle : bool, default=True
        Shuffle the clips. If False, labels cycle ``0, 1, ..., n_classes - 1, 0, ...``.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output: the same seed gives identical arrays.

    Returns
    -------
    X : ndarray of shape (n_samples, n_times), dtype float32
        The clips, ``n_times = round(duration * sr)``.
    y : ndarray of shape (n_samples,), dtype int64
        The class of each clip; ``AUDIO_CLASS_NAMES[y[i]]`` names it.

    See Also
    --------
    make_audio_regression : Clips whose target is the pitch of a tone.
    sklearn.datasets.make_classification : The tabular counterpart.

    Examples
    --------
    >>> from skcnn.datasets import AUDIO_CLASS_NAMES, make_audio_classification
    >>> X, y = make_audio_classification(n_samples=10, random_state=0)
    >>> X.shape, X.dtype, y.shape
    ((10, 4000), dtype('float32'), (10,))
    >>> sorted(set(AUDIO_CLASS_NAMES[label] for label in y))
    ['chirp_down', 'chirp_up', 'click_train', 'noise_burst', 'tone']
    """
    n_samples, sr, n_times, noise = _check_generator_params(n_samples, sr, duration, noise)
    if (
        not isinstance(n_classes, Integral) or isinstance(n_classes, bool)
        or not 2 <= n_classes <= len(AUDIO_CLASS_NAMES)
    ):
        raise ValueError(
            f"n_classes={n_classes!r} must be an integer from 2 to {len(AUDIO_CLASS_NAMES)}"
        )
    rng = np.random.default_rng(check_random_state(random_state).randint(2**32, dtype=np.uint64))

    y = np.arange(n_samples, dtype=np.int64) % n_classes
    if shuffle:
        y = rng.permutation(y)
    X = np.zeros((n_samples, n_times))
    for i, label in enumerate(y):
        onset, length, envelope, amplitude = _event_window(rng, n_times)
        event = _make_event(AUDIO_CLASS_NAMES[label], rng, length, sr)
        X[i, onset : onset + length] = amplitude * envelope * event
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
    return X.astype(np.float32), y


def make_audio_regression(
    n_samples=200, *, sr=8000, duration=0.5, noise=0.05, target="pitch", random_state=None
):
    """Generate short harmonic tones whose target is their pitch.

    Each clip holds one harmonic tone at a random onset, length (40 % to 90 % of
    the clip) and level (-20 to -3 dB full scale), with short fades, over white
    Gaussian background noise. The fundamental frequency is drawn log-uniformly
    between 1.25 % and 15 % of ``sr`` (100 Hz to 1.2 kHz at 8 kHz); the second and
    third harmonics have random amplitudes below half and a quarter of the
    fundamental's, so the timbre varies while the fundamental stays the strongest
    partial and the pitch is well defined.

    Parameters
    ----------
    n_samples : int, default=200
        Number of clips.
    sr : int, default=8000
        Sample rate in Hz.
    duration : float, default=0.5
        Length of every clip in seconds; a clip has ``round(duration * sr)``
        samples (at least 64).
    noise : float, default=0.05
        Standard deviation of the white Gaussian background noise (full scale is 1).
    target : {"pitch", "log_pitch"}, default="pitch"
        ``"pitch"``: the fundamental frequency in Hz. ``"log_pitch"``: its base-2
        logarithm (octaves above 1 Hz), uniformly distributed.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output: the same seed gives identical arrays.

    Returns
    -------
    X : ndarray of shape (n_samples, n_times), dtype float32
        The clips, ``n_times = round(duration * sr)``.
    y : ndarray of shape (n_samples,), dtype float64
        The pitch of each clip, in Hz or in octaves as ``target`` says.

    See Also
    --------
    make_audio_classification : Clips of five classes of sound.
    sklearn.datasets.make_regression : The tabular counterpart.

    Examples
    --------
    >>> from skcnn.datasets import make_audio_regression
    >>> X, y = make_audio_regression(n_samples=4, random_state=0)
    >>> X.shape, X.dtype, y.dtype
    ((4, 4000), dtype('float32'), dtype('float64'))
    >>> bool(((y >= 100) & (y <= 1200)).all())
    True
    """
    n_samples, sr, n_times, noise = _check_generator_params(n_samples, sr, duration, noise)
    if target not in ("pitch", "log_pitch"):
        raise ValueError(f"target={target!r} must be 'pitch' or 'log_pitch'")
    rng = np.random.default_rng(check_random_state(random_state).randint(2**32, dtype=np.uint64))

    f_min, f_max = 0.0125 * sr, 0.15 * sr  # 3 * f_max stays below the Nyquist frequency
    pitch = np.exp(rng.uniform(np.log(f_min), np.log(f_max), size=n_samples))
    X = np.zeros((n_samples, n_times))
    for i, f0 in enumerate(pitch):
        onset, length, envelope, amplitude = _event_window(rng, n_times)
        weights = np.array([1.0, rng.uniform(0, 0.5), rng.uniform(0, 0.25)])
        t = np.arange(length) / sr
        phases = rng.uniform(0, 2 * np.pi, size=3)
        tone = sum(
            w * np.sin(2 * np.pi * (k + 1) * f0 * t + p)
            for k, (w, p) in enumerate(zip(weights, phases))
        )
        X[i, onset : onset + length] = amplitude * envelope * tone / weights.sum()
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
    y = np.log2(pitch) if target == "log_pitch" else pitch
    return X.astype(np.float32), y



def _check_tone_params(sr, f0_range, glide, vibrato_rate, vibrato_cents, n_harmonics, silence):
    f_low, f_high = check_range(f0_range, "f0_range", what="a frequency in Hz")
    if not 0 < f_low or not f_high < sr / 2:
        raise ValueError(
            f"f0_range={f0_range!r} must lie between 0 and the Nyquist frequency "
            f"sr / 2 = {sr / 2} Hz (both excluded)"
        )
    glide = check_range(glide, "glide", what="a number of octaves")
    vibrato_rate = check_range(vibrato_rate, "vibrato_rate", low=0, what="a rate in Hz")
    vibrato_cents = check_range(vibrato_cents, "vibrato_cents", low=0, what="a depth in cents")
    if 1200 * np.log2(f_high / f_low) < 2 * vibrato_cents[1]:
        raise ValueError(
            f"f0_range={f0_range!r} spans {1200 * np.log2(f_high / f_low):.0f} cents, less "
            f"than twice the largest vibrato depth, vibrato_cents={vibrato_cents[1]!r}: "
            "the vibrato could not stay inside f0_range; widen it or reduce the depth"
        )
    n_harmonics = check_range(
        n_harmonics, "n_harmonics", integer=True, low=1, what="a number of harmonics"
    )
    if not isinstance(silence, Real) or isinstance(silence, bool) or not 0 <= silence < 0.5:
        raise ValueError(
            f"silence={silence!r} must be a number in [0, 0.5): the largest fraction of "
            "the clip each of the leading and trailing silences may take"
        )
    return (f_low, f_high), glide, vibrato_rate, vibrato_cents, n_harmonics, float(silence)


def _log2_f0_path(rng, f0_range, glide, vibrato_rate, vibrato_cents, sr, on, off):
    """A function of the sample index: log2 of f0 (a glide plus vibrato) from ``on`` to ``off``."""
    depth = rng.uniform(*vibrato_cents) / 1200.0  # octaves
    rate = rng.uniform(*vibrato_rate)
    phase = rng.uniform(0, 2 * np.pi)
    low, high = np.log2(f0_range[0]) + depth, np.log2(f0_range[1]) - depth
    width = max(high - low, 0.0)
    change = float(np.clip(rng.uniform(*glide), -width, width))
    start = rng.uniform(low + max(0.0, -change), high - max(0.0, change))  # the end fits too
    span = max(off - on, 1)

    def log2_f0(n):
        t = np.asarray(n, dtype=np.float64) - on
        return start + change * t / span + depth * np.sin(2 * np.pi * rate * t / sr + phase)

    return log2_f0


def make_vibrato_tones(
    n_samples=100, *, sr=8000, duration=1.0, f0_range=(100.0, 800.0), glide=(-1.0, 1.0),
    vibrato_rate=(4.0, 7.0), vibrato_cents=(0.0, 100.0), n_harmonics=(1, 8), hop_length=64,
    silence=0.2, noise=0.0, random_state=None,
):
    """Generate harmonic tones with a pitch glide and vibrato, and their pitch per frame.

    Each clip holds one harmonic tone whose fundamental frequency ``f0``
    follows a glide, linear in log frequency, plus a sinusoidal vibrato: at
    sample ``n`` of the tone (which starts at sample ``on`` and stops before
    ``off``), ``log2 f0(n) = log2 f_start + glide * (n - on) / (off - on) +
    (cents / 1200) * sin(2 pi rate (n - on) / sr + phase)``. Every draw is per
    clip: the glide in octaves, the vibrato's depth (its largest deviation, in
    cents, above and below the glide), rate and phase, and ``f_start`` so that
    ``f0`` stays within ``f0_range`` throughout. The tone has a random number of
    harmonics, those below the Nyquist frequency throughout, with random
    amplitudes that decay with the harmonic number (the fundamental is the
    strongest), a level of -20 to -3 dB full scale and 10 ms fades. Before and
    after it the clip is silent (unvoiced) for a random fraction of its length.

    Parameters
    ----------
    n_samples : int, default=100
        Number of clips.
    sr : int, default=8000
        Sample rate in Hz.
    duration : float, default=1.0
        Length of every clip in seconds; a clip has ``round(duration * sr)``
        samples (at least 64).
    f0_range : (float, float), default=(100.0, 800.0)
        The lowest and highest fundamental frequency, in Hz, below ``sr / 2``;
        ``(f, f)`` with no glide or vibrato gives a steady tone at ``f``.
    glide : float or (float, float), default=(-1.0, 1.0)
        The change of pitch over the tone in octaves (negative falls), drawn
        uniformly from the range; clipped to what ``f0_range`` leaves room for.
    vibrato_rate : float or (float, float), default=(4.0, 7.0)
        The vibrato's rate in Hz, drawn uniformly from the range.
    vibrato_cents : float or (float, float), default=(0.0, 100.0)
        The vibrato's depth in cents (hundredths of a semitone) above and
        below the glide, drawn uniformly from the range; 0 means none.
    n_harmonics : int or (int, int), default=(1, 8)
        Number of harmonics including the fundamental, drawn from the
        inclusive range; harmonics that would reach ``sr / 2`` are left out.
    hop_length : int, default=64
        Samples between the centres of the target's frames: use the front
        end's ``hop_length``.
    silence : float, default=0.2
        The largest fraction of the clip, in [0, 0.5), that each of the leading
        and the trailing silence takes; each is drawn uniformly up to it.
    noise : float, default=0.0
        Standard deviation of white Gaussian noise added to the whole clip.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output: the same seed gives identical arrays.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of shape (n_samples, n_times), dtype float32
            The clips, ``n_times = round(duration * sr)``.
        target : ndarray of shape (n_samples, n_frames), dtype float64
            The fundamental frequency in Hz at the centre of each frame, sample
            ``t * hop_length`` (the frame grid of a centred STFT); NaN where
            the tone is silent (unvoiced), including a frame centred past the
            clip's end. ``n_frames = 1 + n_times // hop_length``.
        sr : int
            The sample rate.
        hop_length : int
            The hop between target frames.

    See Also
    --------
    make_audio_regression : Steady tones with one pitch per clip.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.datasets import make_vibrato_tones
    >>> tones = make_vibrato_tones(n_samples=3, random_state=0)
    >>> tones.data.shape, tones.target.shape
    ((3, 8000), (3, 126))
    >>> voiced = tones.target[~np.isnan(tones.target)]
    >>> bool(voiced.min() >= 100 and voiced.max() <= 800)
    True
    """
    n_samples, sr, n_times, noise = _check_generator_params(n_samples, sr, duration, noise)
    hop_length = check_positive_int(hop_length, "hop_length")
    f0_range, glide, vibrato_rate, vibrato_cents, n_harmonics, silence = _check_tone_params(
        sr, f0_range, glide, vibrato_rate, vibrato_cents, n_harmonics, silence
    )
    rng = np.random.default_rng(check_random_state(random_state).randint(2**32, dtype=np.uint64))

    centres = np.arange(1 + n_times // hop_length) * hop_length
    X = np.zeros((n_samples, n_times))
    y = np.full((n_samples, centres.size), np.nan)
    for i in range(n_samples):
        on = int(rng.uniform(0, silence) * n_times)
        off = n_times - int(rng.uniform(0, silence) * n_times)
        log2_f0 = _log2_f0_path(rng, f0_range, glide, vibrato_rate, vibrato_cents, sr, on, off)
        f0 = 2.0 ** log2_f0(np.arange(on, off))
        voiced = (centres >= on) & (centres < off)
        y[i, voiced] = 2.0 ** log2_f0(centres[voiced])

        drawn = int(rng.integers(n_harmonics[0], n_harmonics[1] + 1))
        n_kept = max(1, min(drawn, int(np.ceil(sr / 2 / f0.max())) - 1))
        decay = rng.uniform(0.5, 2.0)
        weights = np.arange(1, n_kept + 1) ** -decay * np.r_[1.0, rng.uniform(0.5, 1.0, n_kept - 1)]
        phases = rng.uniform(0, 2 * np.pi, size=n_kept)
        phase = 2 * np.pi * np.cumsum(f0) / sr
        tone = sum(w * np.sin(k * phase + p) for k, (w, p) in enumerate(zip(weights, phases), 1))
        fade = min(int(0.01 * sr), (off - on) // 4)
        envelope = np.ones(off - on)
        if fade > 0:
            ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
            envelope[:fade], envelope[-fade:] = ramp, ramp[::-1]
        amplitude = 10.0 ** (rng.uniform(-20.0, -3.0) / 20.0)
        X[i, on:off] = amplitude * envelope * tone / weights.sum()
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
    return Bunch(data=X.astype(np.float32), target=y, sr=sr, hop_length=hop_length)

"""Noise and levels for the mixing generators: white, pink, excerpts, RMS and SNRs.

Shared by :mod:`skcnn.datasets._soundscapes` (backgrounds) and :mod:`skcnn.datasets._mixtures`
(interferers): checking a ``noise``-like parameter, drawing noise of a given
length, cutting excerpts of recordings at random offsets, and drawing
signal-to-noise ratios. Everything works in float64; the callers cast.

This module imports only :mod:`skcnn.features._audio` from skcnn.
"""

from numbers import Integral, Real

import numpy as np

from ..features._audio import check_recordings

__all__ = [
    "NOISE_COLOURS", "check_clips", "check_noise", "check_range", "check_seconds", "draw_noise",
    "n_samples_of", "rms",
]

#: Noise that is generated rather than cut from recordings.
NOISE_COLOURS = ("white", "pink")


def rms(x, axis=-1):
    """Root mean square along ``axis``.

    Examples
    --------
    >>> float(rms(np.array([3.0, -3.0, 3.0, -3.0])))
    3.0
    """
    x = np.asarray(x, dtype=np.float64)
    return np.sqrt(np.mean(x * x, axis=axis))


def _is_real(value):
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def check_seconds(value, name):
    """Return ``value`` as a positive finite float, or raise a ValueError naming ``name``.

    Examples
    --------
    >>> check_seconds(3, "duration")
    3.0
    """
    if not _is_real(value) or not np.isfinite(value) or not value > 0:
        raise ValueError(f"{name}={value!r} must be a positive number of seconds")
    return float(value)


def check_range(value, name, *, integer=False, low=None, what="a number"):
    """A number or a ``(low, high)`` pair, as ``(low, high)`` with ``low <= high``.

    Parameters
    ----------
    value : number or pair of numbers
        A single value means ``(value, value)``.
    name : str
        The parameter's name, for the error message.
    integer : bool, default=False
        Require integers (bools are refused either way).
    low : number, default=None
        Smallest value allowed.
    what : str, default="a number"
        What a value is, for the error message.

    Examples
    --------
    >>> check_range(10.0, "snr_db"), check_range((1, 3), "n_events", integer=True, low=0)
    ((10.0, 10.0), (1, 3))
    """
    kind = (Integral,) if integer else (Real,)
    pair = value if isinstance(value, (tuple, list)) else (value, value)
    bound = "" if low is None else f" of at least {low}"
    message = (
        f"{name}={value!r} must be {what}{bound} or a (low, high) pair of them "
        "with low <= high"
    )
    if len(pair) != 2:
        raise ValueError(message)
    for v in pair:
        if not isinstance(v, kind) or isinstance(v, (bool, np.bool_)) or not np.isfinite(v):
            raise ValueError(message)
        if low is not None and v < low:
            raise ValueError(message)
    if pair[0] > pair[1]:
        raise ValueError(message)
    cast = int if integer else float
    return cast(pair[0]), cast(pair[1])


def check_clips(clips, name):
    """Mono clips of any lengths, as a list of float64 1-D arrays.

    ``clips`` is a 2-D array ``(n_clips, n_samples)``, a list of 1-D clips of
    any lengths, or (one recording) a 1-D array. Integer PCM is scaled to
    [-1, 1]; every clip must be finite and hold at least one sample.

    Examples
    --------
    >>> [c.shape for c in check_clips([np.zeros(3), np.ones(5)], "clips")]
    [(3,), (5,)]
    """
    if isinstance(clips, np.ndarray) and clips.ndim == 1:
        clips = [clips]
    try:
        recordings, multichannel = check_recordings(clips)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc
    if multichannel:
        raise ValueError(
            f"{name} has a channel axis; pass mono clips: a 2-D array (n_clips, "
            "n_samples) or a list of 1-D clips"
        )
    return [r[0].astype(np.float64) for r in recordings]


def check_noise(noise, name):
    """``"white"``, ``"pink"``, or recordings to cut excerpts from (float64 1-D arrays).

    Examples
    --------
    >>> check_noise("pink", "noise")
    'pink'
    >>> [r.shape for r in check_noise(np.zeros((2, 50)), "noise")]
    [(50,), (50,)]
    """
    if isinstance(noise, str):
        if noise not in NOISE_COLOURS:
            raise ValueError(
                f"{name}={noise!r} must be 'white', 'pink', or recordings to cut "
                "excerpts from (a 1-D array, a 2-D array or a list of 1-D arrays)"
            )
        return noise
    return check_clips(noise, name)


def _pink(rng, n, length):
    """Gaussian noise with a 1/f power spectrum (no DC), ``n`` rows of ``length``."""
    spectrum = np.fft.rfft(rng.standard_normal((n, length)), axis=-1)
    freqs = np.fft.rfftfreq(length)
    scale = np.zeros_like(freqs)
    scale[1:] = 1.0 / np.sqrt(freqs[1:])
    return np.fft.irfft(spectrum * scale, n=length, axis=-1)


def draw_noise(noise, rng, n, length, *, name, pad_shorter):
    """Draw ``n`` rows of ``length`` samples of noise, and which recording each came from.

    Parameters
    ----------
    noise : {"white", "pink"} or list of ndarray
        As returned by :func:`check_noise`.
    rng : numpy.random.Generator
        The source of randomness.
    n, length : int
        How many rows, and their length in samples.
    name : str
        The parameter's name, for the error message.
    pad_shorter : bool
        What to do with a recording shorter than ``length``. False: it is never
        chosen (an error if none is long enough). True: it is placed at a random
        offset inside the row, zeros around it (e.g. an interfering talker).

    Returns
    -------
    rows : ndarray of shape (n, length), dtype float64
        White or pink Gaussian noise (unit variance, before any scaling by the
        caller), or one excerpt per row of a recording drawn uniformly at random,
        cut at a random offset (uniform over the offsets where it fits).
    index : ndarray of shape (n,), dtype int64
        Which recording each row came from; -1 for generated noise.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rows, index = draw_noise([np.arange(10.0)], rng, 2, 4, name="noise", pad_shorter=False)
    >>> rows.shape, index.tolist()
    ((2, 4), [0, 0])
    """
    if isinstance(noise, str):
        rows = rng.standard_normal((n, length)) if noise == "white" else _pink(rng, n, length)
        return rows, np.full(n, -1, dtype=np.int64)
    lengths = np.array([r.size for r in noise])
    usable = np.arange(len(noise)) if pad_shorter else np.flatnonzero(lengths >= length)
    if usable.size == 0:
        raise ValueError(
            f"{name}: every recording is shorter than the {length} samples needed "
            f"(the longest has {lengths.max()}); pass longer recordings or a shorter duration"
        )
    index = rng.choice(usable, size=n)
    rows = np.zeros((n, length))
    for row, i in zip(rows, index):
        recording = noise[i]
        if recording.size >= length:
            start = int(rng.integers(0, recording.size - length + 1))
            row[:] = recording[start : start + length]
        else:
            start = int(rng.integers(0, length - recording.size + 1))
            row[start : start + recording.size] = recording
    return rows, index.astype(np.int64)


def n_samples_of(duration, sr):
    """``round(duration * sr)``, at least one sample.

    Examples
    --------
    >>> n_samples_of(0.5, 8000)
    4000
    """
    n = int(round(duration * sr))
    if n < 1:
        raise ValueError(f"duration={duration!r} at sr={sr} gives no samples")
    return n


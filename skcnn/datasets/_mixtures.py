"""Clean clips mixed with noise, and the ideal mask that separates them.

:func:`make_mixtures` is the data for mask-based speech enhancement and
separation: a mixture, its two parts, and the oracle time-frequency mask on
the STFT grid that :func:`skcnn.separation.apply_mask` applies. Public through
:mod:`skcnn.datasets`. No torch here.
"""

import librosa
import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._noise import (
    check_clips, check_noise, check_range, check_seconds, draw_noise, n_samples_of, rms,
)
from ..features._audio import check_positive_int

__all__ = ["MASK_TYPES", "ideal_mask", "make_mixtures"]

#: The oracle masks :func:`make_mixtures` can return.
MASK_TYPES = ("magnitude_ratio", "irm")


def _check_mask_type(mask_type):
    if mask_type not in MASK_TYPES:
        raise ValueError(
            f"mask_type={mask_type!r} must be one of {', '.join(map(repr, MASK_TYPES))}"
        )


def ideal_mask(target_stft, noise_stft, mask_type="magnitude_ratio"):
    """The oracle mask of a target in noise, from their STFTs.

    Parameters
    ----------
    target_stft, noise_stft : ndarray of shape (..., n_bins, n_frames)
        The complex (or magnitude) STFTs of the target and the noise.
    mask_type : {"magnitude_ratio", "irm"}, default="magnitude_ratio"
        ``"magnitude_ratio"``: ``|S| / (|S| + |N|)``. ``"irm"``: Wang's ideal
        ratio mask with beta 0.5, ``(|S|^2 / (|S|^2 + |N|^2)) ** 0.5``. Both are
        0 where target and noise are both zero.

    Returns
    -------
    mask : ndarray of shape (..., n_bins, n_frames), dtype float32
        Values in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> ideal_mask(np.array([3.0, 0.0, 1.0]), np.array([4.0, 0.0, 0.0]), "irm")
    array([0.6, 0. , 1. ], dtype=float32)
    >>> ideal_mask(np.array([3.0, 0.0]), np.array([1.0, 0.0]))
    array([0.75, 0.  ], dtype=float32)
    """
    _check_mask_type(mask_type)
    s, n = np.abs(target_stft), np.abs(noise_stft)
    if mask_type == "irm":
        s, n = s * s, n * n
    total = s + n
    mask = np.divide(s, total, out=np.zeros_like(total), where=total > 0)
    if mask_type == "irm":
        mask = np.sqrt(mask)
    return np.clip(mask, 0.0, 1.0).astype(np.float32)


def _stft(x, n_fft, hop_length):
    return librosa.stft(
        x, n_fft=n_fft, hop_length=hop_length, window="hann", center=True, pad_mode="constant"
    )


def _fixed_length(clips, duration, sr):
    """The clips as one (n_clips, n_samples) array, padded or cropped to ``duration``."""
    if duration is None:
        lengths = {c.size for c in clips}
        if len(lengths) > 1:
            raise ValueError(
                f"targets holds clips of different lengths ({min(lengths)} to "
                f"{max(lengths)} samples); set duration (in seconds) to pad or crop "
                "every clip to the same length"
            )
        return np.stack(clips)
    n_samples = n_samples_of(check_seconds(duration, "duration"), sr)
    out = np.zeros((len(clips), n_samples))
    for row, clip in zip(out, clips):
        row[: min(n_samples, clip.size)] = clip[:n_samples]
    return out


def make_mixtures(
    targets, noise="white", *, sr, snr_db=0.0, n_fft=512, hop_length=128,
    mask_type="magnitude_ratio", duration=None, random_state=None,
):
    """Mix clean clips with noise at a given SNR, and compute the ideal mask.

    Each target clip (e.g. a spoken digit) gets its own noise, scaled so that
    the target's RMS over the whole clip is ``snr_db`` above the noise's. The
    oracle mask is computed from the STFT magnitudes of the target and the
    noise as they are in the mixture, on the grid of
    ``librosa.stft(center=True, pad_mode='constant', window='hann')``, the grid
    of :class:`~skcnn.SpectrogramTransformer` with the same ``n_fft`` and
    ``hop_length``: ``1 + n_fft // 2`` bins by ``1 + n_samples // hop_length``
    frames.

    Parameters
    ----------
    targets : array-like of shape (n_clips, n_samples) or list of array-like
        The clean clips, mono, at ``sr``. A list may hold clips of different
        lengths if ``duration`` is set. Integer PCM is scaled to [-1, 1].
    noise : {'white', 'pink'} or array-like, default='white'
        White or pink (1/f) Gaussian noise, or noise recordings at ``sr`` (a
        1-D array, a 2-D array of rows or a list of 1-D arrays of any lengths,
        e.g. another talker's clips): each mixture takes a recording drawn
        uniformly at random, cut at a random offset if it is longer than the
        clip, or placed at a random offset with silence around it if shorter.
    sr : int
        Sample rate in Hz.
    snr_db : float or (float, float), default=0.0
        The target's RMS over the clip in dB above the noise's; a pair means a
        value drawn uniformly from that range for each clip.
    n_fft : int, default=512
        FFT length of the mask's STFT.
    hop_length : int, default=128
        Hop of the mask's STFT.
    mask_type : {'magnitude_ratio', 'irm'}, default='magnitude_ratio'
        ``'magnitude_ratio'``: ``|S| / (|S| + |N|)``; ``'irm'``: Wang's ideal
        ratio mask with beta 0.5, ``(|S|^2 / (|S|^2 + |N|^2)) ** 0.5``. The
        defaults are the oracle masks' best choice on FSDD digits in white
        noise: applied with :func:`~skcnn.separation.apply_mask`, the
        magnitude ratio separated a little better than the IRM, and both
        better with these ``n_fft`` and ``hop_length`` than with
        ``n_fft=256``, ``hop_length=64`` (:ref:`results <results_frames>`).
    duration : float, default=None
        Pad with zeros (at the end) or crop every target to this many seconds;
        required when the targets differ in length.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output: the same seed gives identical mixtures.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        mixture : ndarray of shape (n_clips, n_samples), dtype float32
            ``target + noise``.
        target : ndarray of shape (n_clips, n_samples), dtype float32
            The target as it is in the mixture.
        noise : ndarray of shape (n_clips, n_samples), dtype float32
            The noise as it is in the mixture.
        mask : ndarray of shape (n_clips, 1 + n_fft // 2, n_frames), dtype float32
            The oracle mask, in [0, 1]; ``n_frames = 1 + n_samples // hop_length``.
        snr_db : ndarray of shape (n_clips,), dtype float64
            Each mixture's SNR in dB.
        noise_index : ndarray of shape (n_clips,), dtype int64
            Which noise recording each mixture used; -1 for generated noise.
        gain : ndarray of shape (n_clips,), dtype float64
            1.0, or the factor by which a mixture that would have peaked above 1
            was scaled, with its target and noise, to peak at 1.
        sr, n_fft, hop_length : int
            As given.
        mask_type : str
            As given.

    Raises
    ------
    ValueError
        If a parameter is invalid, the targets differ in length and
        ``duration`` is None, or a target or noise excerpt is silent.

    See Also
    --------
    skcnn.separation.apply_mask : Apply a mask to mixtures and resynthesise.
    make_soundscapes : Labelled clips laid over background noise.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.datasets import make_mixtures
    >>> clean = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)[np.newaxis].repeat(3, 0)
    >>> mix = make_mixtures(clean, sr=8000, snr_db=5.0, random_state=0)
    >>> mix.mixture.shape, mix.mask.shape
    ((3, 8000), (3, 257, 63))
    >>> rms = lambda x: np.sqrt(np.mean(x.astype(np.float64) ** 2, axis=1))
    >>> snr = 20 * np.log10(rms(mix.target) / rms(mix.noise))
    >>> np.round(snr, 1).tolist()
    [5.0, 5.0, 5.0]
    """
    sr = check_positive_int(sr, "sr")
    clips = check_clips(targets, "targets")
    noise = check_noise(noise, "noise")
    snr_low, snr_high = check_range(snr_db, "snr_db", what="a number of dB")
    n_fft = check_positive_int(n_fft, "n_fft")
    hop_length = check_positive_int(hop_length, "hop_length")
    _check_mask_type(mask_type)
    target = _fixed_length(clips, duration, sr)
    rng = np.random.default_rng(check_random_state(random_state).randint(2**32, dtype=np.uint64))

    target_rms = rms(target)
    if np.any(target_rms == 0):
        i = int(np.flatnonzero(target_rms == 0)[0])
        raise ValueError(
            f"target clip {i} is silent (all zeros{' within duration' if duration else ''}); "
            "it cannot be mixed at an SNR"
        )
    n_clips, n_samples = target.shape
    interferer, noise_index = draw_noise(
        noise, rng, n_clips, n_samples, name="noise", pad_shorter=True
    )
    noise_rms = rms(interferer)
    if np.any(noise_rms == 0):
        i = int(np.flatnonzero(noise_rms == 0)[0])
        raise ValueError(
            f"noise: the excerpt for clip {i} is silent (all zeros); pass noise with sound"
        )
    snr = rng.uniform(snr_low, snr_high, size=n_clips)
    interferer *= (target_rms / noise_rms / 10.0 ** (snr / 20.0))[:, np.newaxis]
    mixture = target + interferer
    gain = 1.0 / np.maximum(np.max(np.abs(mixture), axis=1), 1.0)
    mixture, target, interferer = (x * gain[:, np.newaxis] for x in (mixture, target, interferer))
    mask = ideal_mask(
        _stft(target, n_fft, hop_length), _stft(interferer, n_fft, hop_length), mask_type
    )
    return Bunch(
        mixture=mixture.astype(np.float32),
        target=target.astype(np.float32),
        noise=interferer.astype(np.float32),
        mask=mask,
        snr_db=snr,
        noise_index=noise_index,
        gain=gain,
        sr=sr,
        n_fft=n_fft,
        hop_length=hop_length,
        mask_type=mask_type,
    )

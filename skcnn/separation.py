"""Mask-based separation: apply a time-frequency mask to mixtures and resynthesise.

A mask estimator (e.g. a CNN regressor trained on
:func:`skcnn.datasets.make_mixtures`' masks) predicts a mask on the STFT grid;
:func:`apply_mask` multiplies the mixture's STFT by it and inverts, with the
mixture's phase. The STFT is librosa's, centred with zero padding, the grid of
:class:`~skcnn.SpectrogramTransformer`. No torch here.
"""

import librosa
import numpy as np

from .features._audio import check_audio, check_positive_int, to_float32

__all__ = ["apply_mask"]


def apply_mask(mixture, mask, *, n_fft, hop_length, window="hann"):
    """Apply a time-frequency mask to mixtures and return the estimated signals.

    Each mixture's STFT (``librosa.stft`` with ``center=True`` and
    ``pad_mode='constant'``) is multiplied by its mask and inverted with
    ``librosa.istft`` to the mixture's length, keeping the mixture's phase.

    Parameters
    ----------
    mixture : array-like of shape (n_clips, n_samples) or (n_clips, 1, n_samples)
        The mixtures, mono. Integer PCM is scaled to [-1, 1].
    mask : array-like of shape (n_clips, n_bins, n_frames) or (n_clips, 1, n_bins, n_frames)
        Values in [0, 1] on the mixture's STFT grid: ``n_bins = 1 + n_fft // 2``,
        ``n_frames = 1 + n_samples // hop_length``. The channel axis of a mask
        estimator's output (e.g. a CNN regressor's) is accepted.
    n_fft : int
        FFT length the mask was computed with.
    hop_length : int
        Hop the mask was computed with.
    window : str, tuple or array-like, default='hann'
        The STFT's window, as for ``librosa.stft``.

    Returns
    -------
    estimate : ndarray of the mixture's shape, dtype float32
        The masked signals.

    Raises
    ------
    ValueError
        If the mask's shape is not that of the mixtures' STFT, or a mask value
        is outside [0, 1] or not finite.

    See Also
    --------
    skcnn.datasets.make_mixtures : Mixtures with their oracle masks.

    Examples
    --------
    The oracle mask of a tone in white noise takes out most of the noise:

    >>> import numpy as np
    >>> from skcnn.datasets import make_mixtures
    >>> from skcnn.separation import apply_mask
    >>> clean = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)[np.newaxis]
    >>> mix = make_mixtures(clean, sr=8000, snr_db=0.0, random_state=0)
    >>> estimate = apply_mask(mix.mixture, mix.mask, n_fft=mix.n_fft, hop_length=mix.hop_length)
    >>> estimate.shape, estimate.dtype
    ((1, 8000), dtype('float32'))
    >>> error = lambda x: float(np.mean((x - mix.target) ** 2))
    >>> bool(error(estimate) < 0.1 * error(mix.mixture))
    True
    """
    n_fft = check_positive_int(n_fft, "n_fft")
    hop_length = check_positive_int(hop_length, "hop_length")
    shape = np.shape(mixture)
    try:
        clips = check_audio(mixture)
    except ValueError as exc:
        raise ValueError(f"mixture: {exc}") from exc
    if clips.shape[1] != 1:
        raise ValueError(
            f"mixture has shape {shape}; expected mono mixtures (n_clips, n_samples) "
            "or (n_clips, 1, n_samples)"
        )
    signals = to_float32(clips)[:, 0]
    n_clips, n_samples = signals.shape
    expected = (n_clips, 1 + n_fft // 2, 1 + n_samples // hop_length)
    mask = np.asarray(mask)
    mask_shape = mask.shape
    if mask.ndim == 4 and mask.shape[1] == 1:
        mask = mask[:, 0]
    if mask.shape != expected:
        raise ValueError(
            f"mask has shape {mask_shape}; the "
            f"mixture's STFT with n_fft={n_fft} and hop_length={hop_length} has shape "
            f"{expected} (n_clips, 1 + n_fft // 2, 1 + n_samples // hop_length), from "
            f"mixture of shape {shape}; use the n_fft and hop_length the mask was "
            "computed with"
        )
    if mask.dtype.kind not in "fiub":
        raise ValueError(f"mask has dtype {mask.dtype}; it must hold real numbers in [0, 1]")
    bad = ~((mask >= 0) & (mask <= 1))  # NaN fails both
    if bad.any():
        values = mask[bad].astype(np.float64)
        with np.errstate(invalid="ignore"):
            low, high = float(np.nanmin(mask)), float(np.nanmax(mask))
        raise ValueError(
            f"mask has {values.size} value{'s' if values.size != 1 else ''} outside "
            f"[0, 1] (e.g. {values[0]}; range {low} to {high}); a mask must hold finite "
            "values in [0, 1]"
        )
    stft = librosa.stft(
        signals, n_fft=n_fft, hop_length=hop_length, window=window, center=True,
        pad_mode="constant",
    )
    estimate = librosa.istft(
        stft * mask, hop_length=hop_length, n_fft=n_fft, window=window, center=True,
        length=n_samples,
    )
    return estimate.astype(np.float32).reshape(shape)

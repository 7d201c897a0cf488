"""Turn whatever audio the user hands in into one checked array of clips.

The data contract (``../shared/DESIGN.md``): a float array ``(n_clips, n_samples)``
of mono clips, ``(n_clips, n_channels, n_samples)`` for multichannel audio, or a
list of 1-D clips of different lengths (then a fixed ``length`` pads or crops
every clip). Integer PCM is scaled to [-1, 1].

Validation is split in two so that large inputs are never copied whole:
:func:`check_audio` checks the structure and returns a 3-D *view* of an array
input (no conversion), and :func:`to_float32` converts one chunk of clips at a
time (scaling integer PCM, checking finiteness, padding or cropping), naming the
offending clip by its index in the full input.

This module imports nothing from skcnn.
"""

from numbers import Integral

import numpy as np
import scipy.sparse

__all__ = [
    "NonNumericAudioError", "check_audio", "check_positive_int", "check_recordings", "to_float32",
]


class NonNumericAudioError(ValueError, TypeError):
    """Audio holds something that is not a number.

    A ``ValueError`` (bad input) that is also a ``TypeError``, the exception
    numpy and scikit-learn raise for non-numeric array entries, so that code
    catching either sees it.
    """


def check_positive_int(value, name):
    """Return ``value`` as an int, or raise a ValueError naming ``name``.

    Python and numpy integers are accepted; bools, floats and anything below 1
    are not.

    Examples
    --------
    >>> check_positive_int(np.int64(3), "n_bins")
    3
    """
    if not isinstance(value, Integral) or isinstance(value, (bool, np.bool_)) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


def _describe_allowed():
    return (
        "a 2-D array (n_clips, n_samples), a 3-D array (n_clips, n_channels, "
        "n_samples) or a list of 1-D clips"
    )


def _as_numeric_array(x, what):
    """np.asarray that refuses non-numeric, complex and sparse data."""
    if scipy.sparse.issparse(x):
        raise ValueError(
            f"{what} is a sparse matrix; audio must be dense: pass {_describe_allowed()}."
        )
    try:
        arr = np.asarray(x)
    except ValueError as exc:  # e.g. inhomogeneous nested lists
        raise ValueError(f"{what} could not be read as an array ({exc}).") from exc
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise NonNumericAudioError(
                f"{what} must hold numbers (float samples or integer PCM); "
                f"converting it failed: {exc}"
            ) from exc
    if np.iscomplexobj(arr):
        raise ValueError(
            f"Complex data not supported: {what} has dtype {arr.dtype}; audio samples "
            "must be real (float or integer PCM)."
        )
    if arr.dtype.kind not in "fiu":
        raise NonNumericAudioError(
            f"{what} must hold numbers (float samples or integer PCM); got dtype "
            f"{arr.dtype}."
        )
    return arr


def _pcm_scale(dtype):
    """Scale and offset that map integer PCM of ``dtype`` to [-1, 1].

    Matches ``librosa.util.buf_to_float``: signed n-bit samples are divided by
    2 ** (n - 1); unsigned 8-bit WAV samples are offset binary centred on 128.
    """
    if dtype.kind == "i":
        return 1.0 / float(1 << (8 * dtype.itemsize - 1)), 0.0
    if dtype == np.uint8:
        return 1.0 / 128.0, 128.0
    raise NonNumericAudioError(
        f"unsigned integer audio of dtype {dtype} is not a PCM format; pass float "
        "samples in [-1, 1], signed integer PCM (int16, int32) or 8-bit uint8 PCM."
    )


def to_float32(clips, *, start=0, length=None):
    """Convert a chunk of clips to finite float32, scaled and sized.

    Parameters
    ----------
    clips : ndarray of shape (n, n_channels, n_samples)
        Numeric clips, as returned (or sliced) from :func:`check_audio`.
    start : int, default=0
        Index of ``clips[0]`` in the full input, used to name a bad clip.
    length : int, default=None
        Pad with zeros or crop every clip to this many samples.

    Returns
    -------
    out : ndarray of shape (n, n_channels, length or n_samples), dtype float32
        A new array when a conversion was needed; ``clips`` itself when it was
        already float32 of the right length.

    Examples
    --------
    >>> import numpy as np
    >>> to_float32(np.array([[[16384, -32768]]], dtype=np.int16))
    array([[[ 0.5, -1. ]]], dtype=float32)
    """
    if clips.dtype.kind in "iu":
        scale, offset = _pcm_scale(clips.dtype)
        out = clips.astype(np.float32)
        if offset:
            out -= np.float32(offset)
        out *= np.float32(scale)
    else:
        out = clips.astype(np.float32, copy=False)
        finite = np.isfinite(out).all(axis=(1, 2))
        if not finite.all():
            bad = np.flatnonzero(~finite)
            shown = ", ".join(str(start + i) for i in bad[:5])
            more = f" and {bad.size - 5} more" if bad.size > 5 else ""
            raise ValueError(
                f"clip {shown}{more} of X contains NaN or infinite samples; audio "
                "samples must be finite."
            )
    if length is not None and out.shape[-1] != length:
        out = _fix_length(out, length)
    return out


def _fix_length(clips, length):
    """Crop or zero-pad the last axis to ``length`` samples."""
    if clips.shape[-1] >= length:
        return clips[..., :length]
    padded = np.zeros(clips.shape[:-1] + (length,), dtype=clips.dtype)
    padded[..., : clips.shape[-1]] = clips
    return padded


def _clip_to_2d(clip, index):
    """One element of a list input, as (n_channels, n_samples)."""
    arr = _as_numeric_array(clip, f"clip {index} of X")
    if arr.ndim == 1:
        arr = arr[np.newaxis]
    elif arr.ndim != 2:
        raise ValueError(
            f"clip {index} of X has {arr.ndim} dimensions (shape {arr.shape}); each clip "
            "in a list must be 1-D (n_samples,) or 2-D (n_channels, n_samples)."
        )
    if arr.shape[-1] == 0:
        # refused even when `length` would pad it: an empty clip is a broken read,
        # not a silent recording
        raise ValueError(
            f"clip {index} of X has 0 samples (shape {arr.shape}); every clip needs at "
            "least one sample. Drop it, or check how it was read."
        )
    return arr


def _list_clips(X):
    """The clips of a list input, each (n_channels, n_samples), unconverted."""
    if len(X) == 0:
        raise ValueError("X is empty: got 0 clips; pass at least one clip.")
    if all(np.ndim(x) == 0 for x in X):
        raise ValueError(
            f"X is a flat list of {len(X)} numbers, which is one clip; pass "
            f"{_describe_allowed()} (for one clip, wrap it: [clip])."
        )
    clips = [_clip_to_2d(x, i) for i, x in enumerate(X)]
    channels = {c.shape[0] for c in clips}
    if len(channels) > 1:
        raise ValueError(
            f"clips in X have different numbers of channels ({sorted(channels)}); "
            "all clips must have the same number of channels."
        )
    return clips


def _check_list(X, length):
    clips = _list_clips(X)
    channels = {clips[0].shape[0]}
    lengths = [c.shape[-1] for c in clips]
    if length is None:
        if len(set(lengths)) > 1:
            raise ValueError(
                f"X holds clips of different lengths ({min(lengths)} to {max(lengths)} "
                "samples); set `duration` (in seconds) to pad or crop every clip to "
                "the same length."
            )
        length = lengths[0]
    out = np.empty((len(clips), channels.pop(), length), dtype=np.float32)
    for i, clip in enumerate(clips):
        out[i] = to_float32(clip[np.newaxis], start=i, length=length)[0]
    return out


def check_audio(X, *, length=None):
    """Check the structure of an audio batch and return it as 3-D clips.

    Parameters
    ----------
    X : array-like or list of array-like
        ``(n_clips, n_samples)``, ``(n_clips, n_channels, n_samples)``, or a list
        of clips (1-D, or 2-D ``(n_channels, n_samples)``) of any lengths.
    length : int, default=None
        Target number of samples per clip. Required for a list of clips of
        different lengths; applied to arrays by :func:`to_float32`.

    Returns
    -------
    clips : ndarray of shape (n_clips, n_channels, n_samples)
        For array input, a view of ``X`` with its original dtype (nothing is
        converted or copied; call :func:`to_float32` chunk by chunk). For list
        input, a float32 array already scaled, checked and sized.

    Raises
    ------
    ValueError
        For empty input, a wrong number of dimensions, non-numeric, complex
        or sparse data, or ragged clips without ``length``.

    Examples
    --------
    >>> import numpy as np
    >>> check_audio(np.zeros((4, 100))).shape
    (4, 1, 100)
    >>> check_audio([np.zeros(80), np.zeros(120)], length=100).shape
    (2, 1, 100)
    """
    if length is not None:
        check_positive_int(length, "length")
    if isinstance(X, (list, tuple)):
        clips = _check_list(X, length)
    else:
        clips = _as_numeric_array(X, "X")
        if clips.ndim == 2 and 0 in clips.shape:
            # scikit-learn's wording, so that its API checks recognise the error
            what = "sample" if clips.shape[0] == 0 else "feature"
            raise ValueError(
                f"Found array with 0 {what}(s) (shape={clips.shape}) while a minimum "
                f"of 1 is required: X needs at least one clip of at least one sample."
            )
        if clips.ndim == 2:
            clips = clips[:, np.newaxis, :]
        elif clips.ndim != 3:
            hint = (
                ". Reshape your data: for one clip, pass X[np.newaxis]"
                if clips.ndim == 1
                else ""
            )
            raise ValueError(
                f"X has {clips.ndim} dimension{'s' if clips.ndim != 1 else ''} (shape "
                f"{clips.shape}); expected {_describe_allowed()}{hint}."
            )
        if clips.shape[0] == 0:
            raise ValueError("X is empty: got 0 clips; pass at least one clip.")
    if clips.shape[1] == 0:
        raise ValueError(f"X has 0 channels (shape {clips.shape}).")
    if clips.shape[-1] == 0:
        raise ValueError(f"the clips in X have 0 samples (shape {clips.shape}).")
    return clips


def check_recordings(X):
    """Check recordings that may differ in length, and convert each one.

    The same input as :func:`check_audio` and the same checks, except that a
    list may hold clips of different lengths, which are kept as they are.

    Parameters
    ----------
    X : array-like or list of array-like
        ``(n_clips, n_samples)``, ``(n_clips, n_channels, n_samples)``, or a list
        of clips (1-D, or 2-D ``(n_channels, n_samples)``) of any lengths.

    Returns
    -------
    recordings : list of ndarray of shape (n_channels, n_samples_i), dtype float32
        Every clip, scaled (integer PCM) and checked (finite, at least one
        sample), all with the same number of channels.
    multichannel : bool
        Whether ``X`` was given with a channel axis (a 3-D array, or a list
        holding a 2-D clip), so that results can keep the caller's layout.

    Examples
    --------
    >>> import numpy as np
    >>> recordings, multichannel = check_recordings([np.zeros(80), np.zeros(120)])
    >>> [r.shape for r in recordings], multichannel
    ([(1, 80), (1, 120)], False)
    """
    if isinstance(X, (list, tuple)):
        clips = _list_clips(X)
        multichannel = any(np.ndim(x) == 2 for x in X)
    else:
        X = _as_numeric_array(X, "X")
        clips = check_audio(X)
        multichannel = X.ndim == 3
    recordings = [to_float32(clip[np.newaxis], start=i)[0] for i, clip in enumerate(clips)]
    return recordings, multichannel

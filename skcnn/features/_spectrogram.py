"""The STFT transformers: clips in, spectrograms or MFCCs out.

:class:`SpectrogramTransformer` and :class:`MFCCTransformer` learn nothing in
``fit`` (``requires_fit=False``), take every librosa parameter as a plain
constructor argument so that ``GridSearchCV`` can tune the front end, and
compute each clip's features from that clip alone. Their batched maths lives
in :mod:`skcnn.features._dsp`, imported when a transform runs, so that
``import skcnn.features`` does not load torch.
"""

import warnings
from numbers import Integral, Real

import librosa
import numpy as np

from ..utils._private import Interval, StrOptions
from ._base import BaseFeatures
from ._audio import check_positive_int

__all__ = ["SpectrogramTransformer", "MFCCTransformer"]

# librosa.feature.delta's default window (frames).
_DELTA_WIDTH = 9


class _BaseTimeFrequency(BaseFeatures):
    """The STFT transformers' parameters and front end."""

    _parameter_constraints: dict = {
        **BaseFeatures._parameter_constraints,
        "n_fft": [Interval(Integral, 1, None, closed="left")],
        "win_length": [Interval(Integral, 1, None, closed="left"), None],
        "window": [str, tuple, Real, callable, "array-like"],
        "center": ["boolean"],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
    }

    def _check_frames(self, front_end, n_samples, n_frames):
        if n_frames < 1:
            raise ValueError(
                f"the clips have {n_samples} samples, fewer than n_fft={self.n_fft}, "
                "which center=False needs for one frame; use center=True, a smaller "
                "n_fft or a longer `duration`."
            )
        if n_samples < self.n_fft:
            # librosa.stft warns the same (once per call): the frames are mostly padding
            warnings.warn(
                f"n_fft={self.n_fft} is too large for clips of length={n_samples} "
                "samples: center=True pads them, so every frame is partly padding. "
                f"Use n_fft <= {n_samples} or a longer `duration`.",
                UserWarning,
                stacklevel=4,  # the caller of the output-wrapped transform
            )

    def feature_span(self, n_bins, n_frames):
        """What a block of ``n_bins`` bins by ``n_frames`` frames of the output covers.

        The span in the signal of a block of consecutive bins and frames, e.g.
        a CNN's receptive field: the seconds of audio that can affect it, and
        the hertz it spans on a linear or mel frequency axis. Works unfitted
        (the transformer learns nothing); the parameters are checked.

        Parameters
        ----------
        n_bins : int
            Number of consecutive bins (rows of the output), at least 1.
        n_frames : int
            Number of consecutive frames (columns of the output), at least 1.

        Returns
        -------
        span : dict
            ``"seconds"`` (float): the audio that can affect ``n_frames``
            consecutive frames, ``((n_frames - 1) * hop_length + support) / sr``
            where ``support`` is the window's nonzero length (``win_length``,
            or ``n_fft`` when it is None).
            ``"hertz"`` (float or None): the widest span in Hz of ``n_bins``
            consecutive bins: ``n_bins * sr / n_fft`` on a linear axis; on a
            mel axis the largest ``f[i + r] - f[i]`` over the band edges
            ``f = librosa.mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax)``
            with ``r = min(n_bins, n_mels + 1)`` (the low bands are narrow, the
            high ones wide, so the widest is reported); None on a cepstral axis.
            ``"semitones"`` (float or None): the span on a log-frequency axis;
            None for these transformers.
            ``"frequency_axis"`` (str): ``"linear"``, ``"mel"`` or ``"cepstral"``.

        Raises
        ------
        ValueError
            If ``n_bins`` or ``n_frames`` is not a positive integer, or the
            transformer's parameters are invalid.

        Examples
        --------
        Eight frames and eight linear bins at 44.1 kHz with ``n_fft=1024`` and
        ``hop_length=512``:

        >>> from skcnn import SpectrogramTransformer
        >>> span = SpectrogramTransformer(sr=44100, n_fft=1024, hop_length=512).feature_span(8, 8)
        >>> round(span["seconds"], 4), round(span["hertz"], 1), span["frequency_axis"]
        (0.1045, 344.5, 'linear')
        """
        n_bins = check_positive_int(n_bins, "n_bins")
        n_frames = check_positive_int(n_frames, "n_frames")
        self._validate_params()
        self._check_params()
        axis = self._frequency_axis()
        seconds = ((n_frames - 1) * self.hop_length + self._win_length()) / self.sr
        if axis == "linear":
            hertz = n_bins * self.sr / self.n_fft
        elif axis == "mel":
            fmin, fmax = self._frequency_range()
            edges = librosa.mel_frequencies(n_mels=self.n_mels + 2, fmin=fmin, fmax=fmax)
            r = min(n_bins, self.n_mels + 1)
            hertz = float(np.max(edges[r:] - edges[:-r]))
        else:
            hertz = None
        return {
            "seconds": float(seconds),
            "hertz": None if hertz is None else float(hertz),
            "semitones": None,
            "frequency_axis": axis,
        }

    def _check_params(self):
        """Checks between parameters that the constraints cannot express.

        Pure arithmetic (no torch, no device); :meth:`_front_end` runs them
        before building anything, :meth:`feature_span` on their own.
        """
        self._win_length()
        if self._frequency_axis() != "linear":
            self._frequency_range()


    def _frequency_axis(self):
        """Hook: what the output's second-to-last axis is ('linear', 'mel', 'cepstral')."""
        raise NotImplementedError

    def _win_length(self):
        win_length = self.n_fft if self.win_length is None else self.win_length
        if win_length > self.n_fft:
            raise ValueError(
                f"win_length={self.win_length} must be at most n_fft={self.n_fft}."
            )
        return win_length

    def _frequency_range(self):
        nyquist = self.sr / 2
        fmax = nyquist if self.fmax is None else self.fmax
        if fmax > nyquist:
            raise ValueError(
                f"fmax={self.fmax} must be at most sr / 2 = {nyquist} Hz (sr={self.sr})."
            )
        if self.fmin >= fmax:
            raise ValueError(f"fmin={self.fmin} must be below fmax={fmax} Hz.")
        return self.fmin, fmax

    def _mel_basis(self, n_mels):
        from . import _dsp

        fmin, fmax = self._frequency_range()
        return _dsp.mel_filters(
            sr=self.sr, n_fft=self.n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax
        )

    def _make_front_end(self, output, pad_mode="constant", **filters):
        from . import _dsp
        from ..utils._device import resolve_device

        return _dsp.TimeFrequency(
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            window=_dsp.make_window(self.window, self._win_length(), self.n_fft),
            center=self.center,
            pad_mode=pad_mode,
            output=output,
            top_db=self.top_db,
            device=resolve_device(self.device),
            **filters,
        )

class SpectrogramTransformer(_BaseTimeFrequency):
    """Short-time Fourier spectrogram of each clip, on a linear or mel axis.

    The numbers equal librosa's for each clip (``librosa.stft``,
    ``librosa.feature.melspectrogram``, ``librosa.power_to_db``) within float32
    rounding, and each clip's dB scaling depends on that clip alone. The STFT
    runs batched with ``torch.stft`` on ``device``, in chunks of clips so that
    memory stays bounded.

    Parameters
    ----------
    sr : float, default=22050
        Sample rate of the clips, in Hz.
    n_fft : int, default=2048
        FFT length (frame length), in samples.
    hop_length : int, default=512
        Samples between successive frames.
    win_length : int, default=None
        Window length, at most ``n_fft``; None means ``n_fft``.
    window : str, tuple or array-like, default='hann'
        Any window ``librosa.filters.get_window`` accepts.
    center : bool, default=True
        Pad ``n_fft // 2`` samples at both ends so that frame ``t`` is centred
        at sample ``t * hop_length``. With False, clips need at least ``n_fft``
        samples.
    pad_mode : {'constant', 'reflect'}, default='constant'
        How ``center=True`` pads: zeros (librosa's default since 0.10), or the
        clip mirrored at its ends without repeating the edge sample
        (``numpy.pad(mode='reflect')``, librosa's ``pad_mode='reflect'``;
        the front end PANNs were trained with). 'reflect' needs clips longer
        than ``n_fft // 2`` samples.
    n_mels : int, default=None
        Number of mel bands; None keeps the linear frequency axis
        (``1 + n_fft // 2`` bins).
    fmin : float, default=0.0
        Lowest mel-band frequency, in Hz.
    fmax : float, default=None
        Highest mel-band frequency, at most ``sr / 2``; None means ``sr / 2``.
    top_db : float or None, default=80.0
        For ``output='db'``: floor, in dB below each clip's own maximum.
    output : {'magnitude', 'power', 'db', 'complex'}, default='db'
        'magnitude' is ``|S|``, 'power' ``|S| ** 2``, 'db' the power in
        decibels (``librosa.power_to_db`` with ``ref=1.0``), 'complex' two
        channels per input channel, real and imaginary (linear axis only).
    duration : float, default=None
        If given, every clip is zero-padded or cropped to this many seconds
        (``round(duration * sr)`` samples). Required for clips of different
        lengths.
    device : str, default='cpu'
        Torch device for the maths: 'cpu', 'cuda' or 'cuda:N'.
    verbose : int, default=0
        Show a progress bar over chunks for long inputs.

    See Also
    --------
    MFCCTransformer : Mel-frequency cepstral coefficients.

    Notes
    -----
    Input: ``(n_clips, n_samples)`` float or integer PCM arrays,
    ``(n_clips, n_channels, n_samples)``, or a list of 1-D clips. Output:
    float32 ``(n_clips, n_channels_out, n_bins, n_frames)`` with
    ``n_frames = 1 + n_samples // hop_length`` when ``center=True`` and
    ``1 + (n_samples - n_fft) // hop_length`` otherwise. For 'complex',
    the channels are ordered (channel 0 real, channel 0 imaginary, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import SpectrogramTransformer
    >>> clips = np.random.default_rng(0).standard_normal((4, 8000)).astype(np.float32)
    >>> SpectrogramTransformer(sr=8000, n_fft=512, hop_length=128, n_mels=40).fit_transform(clips).shape
    (4, 1, 40, 63)
    """

    _parameter_constraints: dict = {
        **_BaseTimeFrequency._parameter_constraints,
        "n_mels": [Interval(Integral, 1, None, closed="left"), None],
        "output": [StrOptions({"magnitude", "power", "db", "complex"})],
        "pad_mode": [StrOptions({"constant", "reflect"})],
    }

    def __init__(
        self,
        *,
        sr=22050,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="constant",
        n_mels=None,
        fmin=0.0,
        fmax=None,
        top_db=80.0,
        output="db",
        duration=None,
        device="cpu",
        verbose=0,
    ):
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.output = output
        self.duration = duration
        self.device = device
        self.verbose = verbose

    def _frequency_axis(self):
        return "linear" if self.n_mels is None else "mel"

    def _check_params(self):
        if self.n_mels is not None and self.output == "complex":
            raise ValueError(
                f"output='complex' needs a linear frequency axis (n_mels=None); "
                f"got n_mels={self.n_mels}."
            )
        super()._check_params()

    def _front_end(self):
        self._check_params()
        mel_basis = None if self.n_mels is None else self._mel_basis(self.n_mels)
        return self._make_front_end(self.output, pad_mode=self.pad_mode, mel_basis=mel_basis)

    def _check_frames(self, front_end, n_samples, n_frames):
        if self.center and self.pad_mode == "reflect" and n_samples <= self.n_fft // 2:
            # torch.stft's reflection needs a pad shorter than the clip (numpy's would
            # reflect again and again)
            raise ValueError(
                f"pad_mode='reflect' needs clips longer than n_fft // 2 = {self.n_fft // 2} "
                f"samples; the clips have {n_samples}. Use longer clips (`duration`) or "
                "pad_mode='constant'."
            )
        super()._check_frames(front_end, n_samples, n_frames)


class MFCCTransformer(_BaseTimeFrequency):
    """Mel-frequency cepstral coefficients of each clip, with optional deltas.

    Equal to ``librosa.feature.mfcc`` for each clip (dB mel spectrogram with
    ``librosa.power_to_db``'s per-clip ``top_db`` floor, then the orthonormal
    DCT-II) within float32 rounding. Deltas (``librosa.feature.delta``) are
    stacked as extra channels.

    Parameters
    ----------
    sr : float, default=22050
        Sample rate of the clips, in Hz.
    n_mfcc : int, default=13
        Number of coefficients kept, at most ``n_mels``.
    n_fft : int, default=2048
        FFT length (frame length), in samples.
    hop_length : int, default=512
        Samples between successive frames.
    win_length : int, default=None
        Window length, at most ``n_fft``; None means ``n_fft``.
    window : str, tuple or array-like, default='hann'
        Any window ``librosa.filters.get_window`` accepts.
    center : bool, default=True
        Pad ``n_fft // 2`` zeros at both ends, as librosa does.
    n_mels : int, default=128
        Number of mel bands the DCT is taken over.
    fmin : float, default=0.0
        Lowest mel-band frequency, in Hz.
    fmax : float, default=None
        Highest mel-band frequency, at most ``sr / 2``; None means ``sr / 2``.
    top_db : float or None, default=80.0
        Floor of the dB mel spectrogram, below each clip's own maximum.
    lifter : float, default=0
        Cepstral liftering coefficient (0: none), as in librosa.
    deltas : {0, 1, 2}, default=0
        Add the first (1) or first and second (2) time derivatives
        (``librosa.feature.delta``, width 9) as extra channels.
    duration : float, default=None
        If given, every clip is zero-padded or cropped to this many seconds.
        Required for clips of different lengths.
    device : str, default='cpu'
        Torch device for the maths: 'cpu', 'cuda' or 'cuda:N'.
    verbose : int, default=0
        Show a progress bar over chunks for long inputs.

    See Also
    --------
    SpectrogramTransformer : Linear or mel spectrograms.

    Notes
    -----
    Output: float32 ``(n_clips, n_channels * (1 + deltas), n_mfcc, n_frames)``,
    channels ordered (coefficients of every input channel, then their deltas,
    then the second deltas). With deltas, clips need at least 9 frames.

    Examples
    --------
    51,200 samples with ``n_fft=512``, ``hop_length=512`` and ``center=False``
    give 100 frames of 13 coefficients:

    >>> import numpy as np
    >>> from skcnn import MFCCTransformer
    >>> clip = np.random.default_rng(0).standard_normal((1, 51200)).astype(np.float32)
    >>> mfcc = MFCCTransformer(sr=22050, n_fft=512, hop_length=512, n_mels=40, center=False)
    >>> mfcc.fit_transform(clip).shape
    (1, 1, 13, 100)
    """

    _parameter_constraints: dict = {
        **_BaseTimeFrequency._parameter_constraints,
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "lifter": [Interval(Real, 0, None, closed="left")],
        "deltas": [Interval(Integral, 0, 2, closed="both")],
    }

    def __init__(
        self,
        *,
        sr=22050,
        n_mfcc=13,
        n_fft=2048,
        hop_length=512,
        win_length=None,
        window="hann",
        center=True,
        n_mels=128,
        fmin=0.0,
        fmax=None,
        top_db=80.0,
        lifter=0,
        deltas=0,
        duration=None,
        device="cpu",
        verbose=0,
    ):
        self.sr = sr
        self.n_mfcc = n_mfcc
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.lifter = lifter
        self.deltas = deltas
        self.duration = duration
        self.device = device
        self.verbose = verbose

    def _frequency_axis(self):
        return "cepstral"

    def _check_params(self):
        if self.n_mfcc > self.n_mels:
            raise ValueError(
                f"n_mfcc={self.n_mfcc} must be at most n_mels={self.n_mels}."
            )
        super()._check_params()

    def _front_end(self):
        from . import _dsp

        self._check_params()
        return self._make_front_end(
            "db",
            mel_basis=self._mel_basis(self.n_mels),
            dct=_dsp.dct_matrix(self.n_mfcc, self.n_mels),
            lifter=self.lifter,
        )

    def _check_frames(self, front_end, n_samples, n_frames):
        super()._check_frames(front_end, n_samples, n_frames)
        if self.deltas and n_frames < _DELTA_WIDTH:
            raise ValueError(
                f"deltas={self.deltas} needs at least {_DELTA_WIDTH} frames per clip "
                f"(librosa.feature.delta's width); the clips give {n_frames}. Use "
                "longer clips (`duration`), a smaller hop_length, or deltas=0."
            )

    def _channels_out(self, front_end, n_channels):
        return n_channels * (1 + self.deltas)

    def _postprocess(self, maps):
        if not self.deltas:
            return maps
        stacked = [maps]
        for order in range(1, self.deltas + 1):
            stacked.append(
                librosa.feature.delta(maps, width=_DELTA_WIDTH, order=order, axis=-1)
            )
        return np.concatenate(stacked, axis=1)

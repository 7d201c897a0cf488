"""Audio feature transformers: clips in, 2-D time-frequency maps out.

The transformers are stateless (nothing is learned in ``fit``), take every
librosa parameter as a plain constructor argument so that ``GridSearchCV`` can
tune the front end, and compute each clip's features from that clip alone.

The signal maths lives in :mod:`skcnn._dsp` and :mod:`skcnn._cqt` (imported
when a transform runs, so ``import skcnn.features`` does not load torch).
"""

from numbers import Integral, Real

import librosa
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ._validation import check_audio, to_float32

__all__ = ["SpectrogramTransformer", "MFCCTransformer", "CQTTransformer"]

# librosa.feature.delta's default window (frames).
_DELTA_WIDTH = 9


class _BaseFeatures(TransformerMixin, BaseEstimator):
    """Shared machinery of every stateless transformer.

    Parameter checks common to all, ``fit`` as a check, the chunked
    ``transform`` over validated clips (``duration``, ``device``, ``verbose``)
    and the tags. A subclass provides ``_front_end()``: an object with
    ``n_frames(n_samples)``, ``n_bins``, ``channels_out(n_channels)``,
    ``chunk_size(n_channels, n_samples)`` and a call that maps a float32 chunk
    ``(n, n_channels, n_samples)`` to float32 maps, the dB floor taken per clip
    (``_dsp.power_to_db``).
    """

    _parameter_constraints: dict = {
        "sr": [Interval(Real, 0, None, closed="neither")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "top_db": [Interval(Real, 0, None, closed="left"), None],
        "duration": [Interval(Real, 0, None, closed="neither"), None],
        "device": [str],
        "verbose": ["verbose"],
    }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the audio; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples) or (n_clips, n_channels, n_samples), or list of 1-D arrays
            Audio clips.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        self._front_end()
        clips = check_audio(X, length=self._length())
        for start in range(0, clips.shape[0], 1024):
            to_float32(clips[start : start + 1024], start=start)
        return self

    def transform(self, X):
        """Compute the time-frequency maps of every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples) or (n_clips, n_channels, n_samples), or list of 1-D arrays
            Audio clips: float samples, or integer PCM (scaled to [-1, 1]).
            A list of clips of different lengths needs ``duration``.

        Returns
        -------
        maps : ndarray of shape (n_clips, n_channels_out, n_bins, n_frames), dtype float32
            One map per clip and channel.
        """
        self._validate_params()
        front_end = self._front_end()
        length = self._length()
        clips = check_audio(X, length=length)
        n_clips, n_channels, n_samples = clips.shape
        n_samples = length or n_samples
        n_frames = front_end.n_frames(n_samples)
        self._check_frames(front_end, n_samples, n_frames)
        out = np.empty(
            (n_clips, self._channels_out(front_end, n_channels), front_end.n_bins, n_frames),
            dtype=np.float32,
        )
        chunk = front_end.chunk_size(n_channels, n_samples)
        starts = range(0, n_clips, chunk)
        if self.verbose and len(starts) > 1:
            from tqdm.auto import tqdm  # tqdm comes with skorch

            starts = tqdm(starts, desc=type(self).__name__, unit="chunk")
        for start in starts:
            stop = min(start + chunk, n_clips)
            x = to_float32(clips[start:stop], start=start, length=length)
            out[start:stop] = self._postprocess(front_end(x))
        return out

    def _length(self):
        """Samples per clip set by ``duration``, or None."""
        if self.duration is None:
            return None
        return max(1, int(round(self.duration * self.sr)))

    def _check_frames(self, front_end, n_samples, n_frames):
        """Hook: refuse clip lengths the subclass cannot handle."""

    def _channels_out(self, front_end, n_channels):
        return front_end.channels_out(n_channels)

    def _postprocess(self, maps):
        return maps

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class _BaseTimeFrequency(_BaseFeatures):
    """The STFT transformers' parameters and front end."""

    _parameter_constraints: dict = {
        **_BaseFeatures._parameter_constraints,
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

    def _make_front_end(self, output, **filters):
        from . import _dsp

        return _dsp.TimeFrequency(
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            window=_dsp.make_window(self.window, self._win_length(), self.n_fft),
            center=self.center,
            output=output,
            top_db=self.top_db,
            device=_dsp.resolve_device(self.device),
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
        Pad ``n_fft // 2`` zeros at both ends so that frame ``t`` is centred at
        sample ``t * hop_length``. With False, clips need at least ``n_fft``
        samples.
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
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.output = output
        self.duration = duration
        self.device = device
        self.verbose = verbose

    def _front_end(self):
        mel_basis = None
        if self.n_mels is not None:
            if self.output == "complex":
                raise ValueError(
                    f"output='complex' needs a linear frequency axis (n_mels=None); "
                    f"got n_mels={self.n_mels}."
                )
            mel_basis = self._mel_basis(self.n_mels)
        return self._make_front_end(self.output, mel_basis=mel_basis)


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

    def _front_end(self):
        from . import _dsp

        if self.n_mfcc > self.n_mels:
            raise ValueError(
                f"n_mfcc={self.n_mfcc} must be at most n_mels={self.n_mels}."
            )
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


class CQTTransformer(_BaseFeatures):
    """Constant-Q transform of each clip: a log-frequency axis, in bins per octave.

    On a constant-Q axis a pitch change is a shift: a harmonic tone moved up
    ``k`` semitones gives the same pattern ``k * bins_per_octave / 12`` bins
    higher, which a convolution can share weights across (on a linear or mel
    axis the harmonics' spacing changes with the pitch).

    The numbers are ``np.abs(librosa.cqt(y, ...))`` for each clip within
    float32 rounding (relative error about 1e-7): the same octave-by-octave
    decomposition, filters and soxr resampling, run on a chunk of clips at once
    (see :mod:`skcnn._cqt`). Each clip's output depends on that clip alone,
    bit for bit on the CPU, dB floor included.

    Parameters
    ----------
    sr : float, default=22050
        Sample rate of the clips, in Hz.
    hop_length : int, default=512
        Samples between successive frames.
    fmin : float, default=None
        Centre frequency of the lowest bin, in Hz; None is C1 (about 32.70 Hz),
        as in librosa.
    n_bins : int, default=84
        Number of frequency bins. The top bin, ``fmin * 2 ** ((n_bins - 1) /
        bins_per_octave)``, and its filter's upper band edge must stay below
        ``sr / 2`` (librosa's 84 bins from C1 need ``sr`` above about 8.25 kHz).
    bins_per_octave : int, default=12
        Bins per octave (12: one per semitone).
    filter_scale : float, default=1
        Filter length scale: below 1, shorter filters (finer time, coarser
        frequency resolution).
    window : str, tuple, float or callable, default='hann'
        Window of the filters, any that ``librosa.filters.get_window`` knows.
    output : {'magnitude', 'power', 'db'}, default='db'
        'magnitude' is ``|C|``, 'power' ``|C| ** 2``, 'db' the power in
        decibels (``librosa.power_to_db`` with ``ref=1.0``, equal to
        ``librosa.amplitude_to_db(|C|)``) with a per-clip floor.
    top_db : float or None, default=80.0
        For ``output='db'``: floor, in dB below each clip's own maximum.
    duration : float, default=None
        If given, every clip is zero-padded or cropped to this many seconds
        (``round(duration * sr)`` samples). Required for clips of different
        lengths.
    device : str, default='cpu'
        Torch device for the STFTs and filter products: 'cpu', 'cuda' or
        'cuda:N'. The resampling between octaves (soxr) runs on the CPU.
    verbose : int, default=0
        Show a progress bar over chunks for long inputs.

    See Also
    --------
    SpectrogramTransformer : Linear or mel spectrograms.
    MFCCTransformer : Mel-frequency cepstral coefficients.

    Notes
    -----
    Output: float32 ``(n_clips, n_channels, n_bins, n_frames)``, bins from
    ``fmin`` upwards, frame ``t`` centred at sample ``t * hop_length``, and
    librosa's frame count: ``1 + n_samples // hop_length``, or one more at some
    lengths when librosa first downsamples the clip (a ``hop_length`` with more
    factors of 2 than the octaves need, and a top bin far below ``sr / 2``),
    as it rounds the downsampled length up.

    Fixed at librosa's defaults: ``tuning=0``, ``norm=1``, ``sparsity=0.01``,
    ``scale=True``, ``pad_mode='constant'``, ``res_type='soxr_hq'``.

    Clips shorter than the longest filter (``feature_span(1, 1)["seconds"]``)
    are zero-padded, as librosa does (librosa warns; here it is silent), so
    their low bins mostly see the padding. Clips shorter than librosa's early
    downsampling factor (a few samples, at most ``hop_length``) are an error,
    as in librosa.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import CQTTransformer
    >>> clips = np.random.default_rng(0).standard_normal((4, 8000)).astype(np.float32)
    >>> cqt = CQTTransformer(sr=8000, hop_length=128, n_bins=72)
    >>> cqt.fit_transform(clips).shape
    (4, 1, 72, 63)
    >>> cqt.feature_span(n_bins=12, n_frames=1)["semitones"]
    12.0
    """

    _parameter_constraints: dict = {
        **_BaseFeatures._parameter_constraints,
        "fmin": [Interval(Real, 0, None, closed="neither"), None],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "bins_per_octave": [Interval(Integral, 1, None, closed="left")],
        "filter_scale": [Interval(Real, 0, None, closed="neither")],
        "window": [str, tuple, Real, callable],
        "output": [StrOptions({"magnitude", "power", "db"})],
    }

    def __init__(
        self,
        *,
        sr=22050,
        hop_length=512,
        fmin=None,
        n_bins=84,
        bins_per_octave=12,
        filter_scale=1,
        window="hann",
        output="db",
        top_db=80.0,
        duration=None,
        device="cpu",
        verbose=0,
    ):
        self.sr = sr
        self.hop_length = hop_length
        self.fmin = fmin
        self.n_bins = n_bins
        self.bins_per_octave = bins_per_octave
        self.filter_scale = filter_scale
        self.window = window
        self.output = output
        self.top_db = top_db
        self.duration = duration
        self.device = device
        self.verbose = verbose

    def _axis_params(self):
        return dict(
            sr=self.sr,
            fmin=self.fmin,
            n_bins=self.n_bins,
            bins_per_octave=self.bins_per_octave,
            filter_scale=self.filter_scale,
            window=self.window,
        )

    def _front_end(self):
        from . import _cqt, _dsp

        return _cqt.ConstantQ(
            hop_length=self.hop_length,
            output=self.output,
            top_db=self.top_db,
            device=_dsp.resolve_device(self.device),
            **self._axis_params(),
        )

    def _check_frames(self, front_end, n_samples, n_frames):
        if n_samples < front_end.min_samples:
            raise ValueError(
                f"the clips have {n_samples} samples, fewer than the "
                f"{front_end.min_samples} that librosa's constant-Q transform needs "
                f"with hop_length={self.hop_length} and {self.n_bins} bins (it first "
                f"downsamples by {front_end.min_samples}); use longer clips "
                "(`duration`)."
            )

    def feature_span(self, n_bins, n_frames):
        """What a block of ``n_bins`` bins by ``n_frames`` frames of the output covers.

        Parameters
        ----------
        n_bins : int
            Consecutive frequency bins, at least 1.
        n_frames : int
            Consecutive frames, at least 1.

        Returns
        -------
        span : dict
            ``"seconds"``: ``((n_frames - 1) * hop_length + L) / sr``, with
            ``L`` the longest filter's length in samples (the lowest bin's,
            as librosa computes it); ``"hertz"``: the span of ``n_bins``
            bins at the top of the axis, ``f[-1] - f[-1 - n_bins]`` with
            ``f`` the centre frequencies, capped at the whole axis,
            ``f[-1] - f[0]``; ``"semitones"``: ``n_bins * 12 /
            bins_per_octave``; ``"frequency_axis"``: ``"constant-q"``.

        Examples
        --------
        >>> span = CQTTransformer(sr=8000, hop_length=128, n_bins=72).feature_span(24, 3)
        >>> round(span["seconds"], 3), round(span["hertz"], 1), span["semitones"]
        (0.562, 1481.6, 24.0)
        """
        for name, value in (("n_bins", n_bins), ("n_frames", n_frames)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer.")
        self._validate_params()
        from . import _cqt

        freqs, _, lengths, _ = _cqt.cqt_axis(**self._axis_params())
        top = len(freqs) - 1
        return {
            "seconds": float(((n_frames - 1) * self.hop_length + lengths[0]) / self.sr),
            "hertz": float(freqs[top] - freqs[max(top - n_bins, 0)]),
            "semitones": float(n_bins * 12 / self.bins_per_octave),
            "frequency_axis": "constant-q",
        }

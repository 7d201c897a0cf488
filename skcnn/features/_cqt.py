"""CQTTransformer: the constant-Q transform of each clip, batched.

Public as :class:`skcnn.features.CQTTransformer` (and ``skcnn.CQTTransformer``);
the maths is in :mod:`skcnn.features._cqt_dsp`, imported when a transform runs.
"""

from numbers import Integral, Real

from ..utils._private import Interval, StrOptions
from ._base import BaseFeatures
from ._audio import check_positive_int

__all__ = ["CQTTransformer"]


class CQTTransformer(BaseFeatures):
    """Constant-Q transform of each clip: a log-frequency axis, in bins per octave.

    On a constant-Q axis a pitch change is a shift: a harmonic tone moved up
    ``k`` semitones gives the same pattern ``k * bins_per_octave / 12`` bins
    higher, which a convolution can share weights across (on a linear or mel
    axis the harmonics' spacing changes with the pitch).

    The numbers are ``np.abs(librosa.cqt(y, ...))`` for each clip within
    float32 rounding (relative error about 1e-7): the same octave-by-octave
    decomposition, filters and soxr resampling, run on a chunk of clips at once
    (see :mod:`skcnn.features._cqt_dsp`). Each clip's output depends on that clip alone,
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
        **BaseFeatures._parameter_constraints,
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
        from . import _cqt_dsp
        from ..utils._device import resolve_device

        return _cqt_dsp.ConstantQ(
            hop_length=self.hop_length,
            output=self.output,
            top_db=self.top_db,
            device=resolve_device(self.device),
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
        n_bins = check_positive_int(n_bins, "n_bins")
        n_frames = check_positive_int(n_frames, "n_frames")
        self._validate_params()
        from . import _cqt_dsp

        freqs, _, lengths, _ = _cqt_dsp.cqt_axis(**self._axis_params())
        top = len(freqs) - 1
        return {
            "seconds": float(((n_frames - 1) * self.hop_length + lengths[0]) / self.sr),
            "hertz": float(freqs[top] - freqs[max(top - n_bins, 0)]),
            "semitones": float(n_bins * 12 / self.bins_per_octave),
            "frequency_axis": "constant-q",
        }

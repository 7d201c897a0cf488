"""Batched constant-Q transform: librosa's octave-by-octave CQT on a chunk of clips.

``librosa.cqt`` (``librosa.core.constantq.vqt`` with ``gamma=0``, librosa 0.11)
works one clip at a time: for each octave, from the top down, it takes an STFT
with a rectangular window whose length fits that octave's longest filter,
multiplies it by the octave's filters in the frequency domain, then halves the
sample rate with soxr ('soxr_hq') and the hop with it, so that every octave
uses filters of the same length in samples. Each call also rebuilds the
filters, which is most of its time on short clips.

Here the same decomposition runs on a chunk of clips at once:

* the axis and the filters come from librosa's public functions
  (``interval_frequencies``, ``filters.wavelet_lengths``, ``filters.wavelet``,
  ``util.sparsify_rows``), built once per parameter set;
* written by hand, line for line from ``librosa/core/constantq.py``, because
  they are private there: the relative bandwidth (``_relative_bandwidth``,
  ``__et_relative_bw``), the early-downsampling count and the per-octave FFT
  basis (``__vqt_filter_fft``);
* the resampling is soxr's 'soxr_hq', called exactly as ``librosa.resample``
  calls it, but once per octave for the whole chunk (soxr filters every
  channel on its own: ``tests/features/test_cqt.py`` checks a clip's samples do not
  depend on its neighbours). It runs on the CPU even when ``device`` is a GPU:
  the signal pyramid is built first, then each level goes to the device;
* the STFT is one ``torch.stft`` per octave over the chunk, and the complex
  filter product is one real GEMM per clip and octave
  (:func:`skcnn.features._dsp._frames_matmul`, over only the FFT bins the octave's
  filters touch), with re^2 + im^2 taken after it.

So the numbers are librosa's up to float32 rounding of the FFT and the product
(``np.abs(librosa.cqt(...))`` with ``tuning=0``, ``norm=1``,
``sparsity=0.01``, ``scale=True``, ``pad_mode='constant'``,
``res_type='soxr_hq'``, librosa's defaults), and a clip's numbers depend on that
clip alone, bit for bit on the CPU.

No scikit-learn here; :class:`skcnn.features.CQTTransformer` wraps it.
"""

import functools

import librosa
import numpy as np
import soxr
import torch

from . import _dsp

__all__ = ["ConstantQ", "cqt_axis", "plan_octaves"]

# librosa.cqt's fixed choices (its defaults), written once.
_NORM = 1
_SPARSITY = 0.01
_RES_TYPE = "soxr_hq"


def _relative_bandwidth(freqs, bins_per_octave):
    """librosa's relative bandwidth ``alpha`` of each filter.

    ``librosa.filters._relative_bandwidth`` (and ``__et_relative_bw`` for a
    single bin), copied because both are private.
    """
    if len(freqs) == 1:
        r = 2 ** (1 / bins_per_octave)
        return np.atleast_1d((r**2 - 1) / (r**2 + 1))
    bpo = np.empty_like(freqs)
    logf = np.log2(freqs)
    bpo[0] = 1 / (logf[1] - logf[0])
    bpo[-1] = 1 / (logf[-1] - logf[-2])
    bpo[1:-1] = 2 / (logf[2:] - logf[:-2])
    return (2.0 ** (2 / bpo) - 1) / (2.0 ** (2 / bpo) + 1)


def _early_downsample_count(nyquist, filter_cutoff, hop_length, n_octaves):
    """How many times librosa halves the signal before the top octave.

    ``__early_downsample_count`` of ``librosa/core/constantq.py`` (private).
    """
    count1 = max(0, int(np.ceil(np.log2(nyquist / filter_cutoff)) - 1) - 1)
    twos = (hop_length & -hop_length).bit_length() - 1  # factors of 2 in hop_length
    count2 = max(0, twos - n_octaves + 1)
    return min(count1, count2)


def cqt_axis(*, sr, fmin, n_bins, bins_per_octave, filter_scale, window):
    """Centre frequencies, bandwidths and filter lengths, checked against Nyquist.

    Parameters
    ----------
    sr : float
    fmin : float or None
        Lowest centre frequency; None is C1 (about 32.70 Hz), as in librosa.
    n_bins, bins_per_octave : int
    filter_scale : float
    window : str, tuple, float or callable

    Returns
    -------
    freqs : ndarray of shape (n_bins,)
        Centre frequencies, ascending.
    alpha : ndarray of shape (n_bins,)
        Relative bandwidths.
    lengths : ndarray of shape (n_bins,)
        Filter lengths in samples at ``sr`` (float, as librosa computes them).
    cutoff : float
        Highest frequency any filter reaches.

    Examples
    --------
    >>> freqs, _, lengths, _ = cqt_axis(sr=8000, fmin=None, n_bins=72,
    ...     bins_per_octave=12, filter_scale=1, window="hann")
    >>> print(f"{freqs[0]:.2f} {freqs[-1]:.1f} {lengths[0]:.0f}")
    32.70 1975.5 4240
    """
    given = f"fmin={fmin:g}" if fmin is not None else "fmin=None (C1)"
    if fmin is None:
        fmin = librosa.note_to_hz("C1")
    nyquist = sr / 2
    top = fmin * 2 ** ((n_bins - 1) / bins_per_octave)
    if top > nyquist:
        raise ValueError(
            f"fmin * 2 ** ((n_bins - 1) / bins_per_octave) = {top:.0f} Hz exceeds the "
            f"Nyquist frequency sr / 2 = {nyquist:g} Hz ({given}, n_bins={n_bins}, "
            f"bins_per_octave={bins_per_octave}, sr={sr:g}); use fewer n_bins or a "
            "lower fmin."
        )
    freqs = librosa.interval_frequencies(
        n_bins=n_bins, fmin=fmin, intervals="equal", bins_per_octave=bins_per_octave, sort=True
    )
    alpha = _relative_bandwidth(freqs, bins_per_octave)
    try:
        lengths, cutoff = librosa.filters.wavelet_lengths(
            freqs=freqs, sr=sr, window=window, filter_scale=filter_scale, gamma=0, alpha=alpha
        )
    except (ValueError, TypeError, librosa.ParameterError) as exc:
        raise ValueError(
            f"window={window!r} is not a window librosa can build constant-Q filters "
            f"with: {exc}"
        ) from exc
    if cutoff > nyquist:
        raise ValueError(
            f"the top bin, fmin * 2 ** ((n_bins - 1) / bins_per_octave) = {top:.0f} Hz, has "
            f"a filter reaching {cutoff:.0f} Hz (half its bandwidth higher), above the "
            f"Nyquist frequency sr / 2 = {nyquist:g} Hz ({given}, n_bins={n_bins}, "
            f"bins_per_octave={bins_per_octave}, filter_scale={filter_scale:g}, sr={sr:g}); "
            "use fewer n_bins, a lower fmin or a larger filter_scale (narrower filters)."
        )
    return freqs, alpha, lengths, float(cutoff)


def _fft_basis(freqs, alpha, sr, filter_scale, window):
    """One octave's filters in the frequency domain, as librosa builds them.

    ``__vqt_filter_fft`` of ``librosa/core/constantq.py`` (private): wavelets
    padded to a power of two, renormalised by their length, FFT, positive
    frequencies, the smallest coefficients holding 1% of each row's magnitude
    dropped.
    """
    basis, lengths = librosa.filters.wavelet(
        freqs=freqs, sr=sr, filter_scale=filter_scale, norm=_NORM, pad_fft=True,
        window=window, gamma=0, alpha=alpha,
    )
    n_fft = basis.shape[1]
    basis *= lengths[:, np.newaxis] / float(n_fft)
    fft_basis = np.fft.fft(basis, n=n_fft, axis=1)[:, : n_fft // 2 + 1]
    fft_basis = librosa.util.sparsify_rows(fft_basis, quantile=_SPARSITY, dtype=np.complex64)
    return fft_basis.toarray(), n_fft


def _real_weights(fft_basis):
    """The complex product ``D @ B.T`` as one real matrix.

    For an STFT frame ``D`` seen as interleaved (re, im) pairs (``x``, as
    ``torch.view_as_real`` lays it out), ``x @ W`` gives the real parts of the
    filter responses, then their imaginary parts.
    """
    n_filters, n_freq = fft_basis.shape
    re, im = fft_basis.real.T, fft_basis.imag.T  # (n_freq, n_filters)
    weights = np.empty((n_freq, 2, 2, n_filters), dtype=np.float32)
    weights[:, 0, 0] = re  # re(D) re(B)
    weights[:, 1, 0] = -im  # - im(D) im(B)
    weights[:, 0, 1] = im  # re(D) im(B)
    weights[:, 1, 1] = re  # im(D) re(B)
    return weights.reshape(2 * n_freq, 2 * n_filters)


@functools.lru_cache(maxsize=32)
def _plan_cached(sr, hop_length, fmin, n_bins, bins_per_octave, filter_scale, window):
    return _plan(sr, hop_length, fmin, n_bins, bins_per_octave, filter_scale, window)


def plan_octaves(*, sr, hop_length, fmin, n_bins, bins_per_octave, filter_scale, window):
    """The octave decomposition of ``librosa.cqt`` for one parameter set.

    Returns
    -------
    plan : dict
        ``factor`` (early downsampling factor, 1 for none), ``freqs``,
        ``lengths`` (at ``sr``), and ``octaves``: a list, top octave first, of
        dicts with ``rows`` (slice of output bins), ``n_fft``, ``hop``,
        ``weights`` (float32, see :func:`_real_weights`, scaled as librosa
        scales the response) and ``halve`` (resample by 2 before the next).
        Built once per parameter set and cached; treat as read-only.
    """
    args = (sr, hop_length, fmin, n_bins, bins_per_octave, filter_scale, window)
    try:
        return _plan_cached(*args)
    except TypeError:  # an unhashable window spec
        return _plan(*args)


def _plan(sr, hop_length, fmin, n_bins, bins_per_octave, filter_scale, window):
    freqs, alpha, lengths, cutoff = cqt_axis(
        sr=sr, fmin=fmin, n_bins=n_bins, bins_per_octave=bins_per_octave,
        filter_scale=filter_scale, window=window,
    )
    n_octaves = int(np.ceil(float(n_bins) / bins_per_octave))
    n_filters = min(bins_per_octave, n_bins)
    count = _early_downsample_count(sr / 2.0, cutoff, hop_length, n_octaves)
    factor = 2**count
    hop = hop_length // factor
    sr_early = sr / float(factor)
    # librosa divides the response by sqrt(filter length) at the early rate
    scale_lengths, _ = librosa.filters.wavelet_lengths(
        freqs=freqs, sr=sr_early, window=window, filter_scale=filter_scale, gamma=0, alpha=alpha
    )
    octaves = []
    my_sr, my_hop = sr_early, hop
    for i in range(n_octaves):
        sl = slice(-n_filters, None) if i == 0 else slice(-n_filters * (i + 1), -n_filters * i)
        rows = np.arange(n_bins)[sl]
        fft_basis, n_fft = _fft_basis(freqs[sl], alpha[sl], my_sr, filter_scale, window)
        fft_basis *= np.sqrt(sr_early / my_sr)
        fft_basis /= np.sqrt(scale_lengths[rows])[:, np.newaxis]
        halve = my_hop % 2 == 0
        octaves.append(
            dict(rows=slice(int(rows[0]), int(rows[-1]) + 1), n_fft=n_fft, hop=my_hop,
                 weights=_real_weights(fft_basis), halve=halve)
        )
        if halve:
            my_hop //= 2
            my_sr /= 2.0
    return dict(factor=factor, freqs=freqs, lengths=lengths, octaves=octaves)


def _downsample(y, factor):
    """``librosa.resample(y, orig_sr=factor, target_sr=1, res_type='soxr_hq', scale=True)`` per row.

    One soxr call for all rows: soxr takes (n_samples, n_channels) and filters
    each channel separately.
    """
    ratio = 1.0 / factor
    n_out = int(np.ceil(y.shape[-1] * ratio))
    y_hat = soxr.resample(np.ascontiguousarray(y.T), factor, 1, quality=_RES_TYPE)
    y_hat = librosa.util.fix_length(y_hat, size=n_out, axis=0)
    y_hat /= np.sqrt(ratio)
    return np.ascontiguousarray(y_hat.T, dtype=np.float32)


class ConstantQ:
    """A batched constant-Q front end: clips in, constant-Q maps out.

    Parameters
    ----------
    sr : float
    hop_length : int
    fmin : float or None
    n_bins, bins_per_octave : int
    filter_scale : float
    window : str, tuple, float or callable
    output : {'magnitude', 'power', 'db'}
    top_db : float or None
        Floor of the dB output below each clip's own maximum.
    device : torch.device, default='cpu'

    Examples
    --------
    >>> cq = ConstantQ(sr=8000, hop_length=128, fmin=None, n_bins=72, bins_per_octave=12,
    ...                filter_scale=1, window="hann", output="magnitude", top_db=None)
    >>> cq(np.zeros((3, 1, 8000), np.float32)).shape, cq.n_frames(8000)
    ((3, 1, 72, 63), 63)
    """

    def __init__(
        self, *, sr, hop_length, fmin, n_bins, bins_per_octave, filter_scale, window,
        output, top_db, device="cpu",
    ):
        self.plan = plan_octaves(
            sr=sr, hop_length=hop_length, fmin=fmin, n_bins=n_bins,
            bins_per_octave=bins_per_octave, filter_scale=filter_scale, window=window,
        )
        self.n_bins = n_bins
        self.output = output
        self.top_db = top_db
        self.device = torch.device(device)
        self.octaves = [
            dict(
                octave,
                # one block: the FFT bins any of the octave's filters touch
                product=_dsp.BandedProduct(
                    octave["weights"], group=octave["weights"].shape[1], device=self.device
                ),
                window=torch.ones(octave["n_fft"], device=self.device),
            )
            for octave in self.plan["octaves"]
        ]

    def _lengths(self, n_samples):
        """Samples of each octave's signal for clips of ``n_samples``."""
        n = n_samples
        if self.plan["factor"] > 1:
            n = int(np.ceil(n * (1.0 / self.plan["factor"])))
        lengths = []
        for octave in self.plan["octaves"]:
            lengths.append(n)
            if octave["halve"]:
                n = int(np.ceil(n * 0.5))
        return lengths

    @property
    def min_samples(self):
        """Shortest clip librosa accepts: its early downsampling needs ``factor`` samples."""
        return self.plan["factor"]

    def n_frames(self, n_samples):
        """Frames for clips of ``n_samples`` (librosa trims to the shortest octave)."""
        return min(
            1 + n // octave["hop"] for n, octave in zip(self._lengths(n_samples), self.octaves)
        )

    def channels_out(self, n_channels):
        return n_channels

    def chunk_size(self, n_channels, n_samples):
        """Clips per chunk so that one octave's STFT and the pyramid stay under CHUNK_BYTES."""
        stft = max(
            (1 + octave["n_fft"] // 2) * (1 + n // octave["hop"])
            for n, octave in zip(self._lengths(n_samples), self.octaves)
        )
        per_clip = n_channels * (8 * stft + 4 * sum(self._lengths(n_samples)))
        return max(1, _dsp.CHUNK_BYTES // max(per_clip, 1))

    @torch.no_grad()
    def __call__(self, clips):
        """Constant-Q maps of a chunk of clips.

        Parameters
        ----------
        clips : ndarray of shape (n, n_channels, n_samples), dtype float32

        Returns
        -------
        maps : ndarray of shape (n, n_channels, n_bins, n_frames), dtype float32
        """
        if self.device.type != "cpu":
            return self._transform(clips)
        # One intra-op thread: the many small ops per octave gain nothing from a
        # second thread on an idle machine and stall when the other core is
        # busy (see the results page, 'Choices inside the code').
        with _dsp._one_thread():
            return self._transform(clips)

    def _transform(self, clips):
        n, n_channels, n_samples = clips.shape
        y = np.ascontiguousarray(clips.reshape(n * n_channels, n_samples), dtype=np.float32)
        if self.plan["factor"] > 1:
            y = _downsample(y, self.plan["factor"])
        # the signal pyramid first, on the CPU (soxr), then each level on the device
        levels = []
        for octave in self.octaves:
            levels.append(y)
            if octave["halve"] and octave is not self.octaves[-1]:
                y = _downsample(y, 2)
        n_frames = self.n_frames(n_samples)
        power = torch.empty((n * n_channels, n_frames, self.n_bins), device=self.device)
        for level, octave in zip(levels, self.octaves):
            x = torch.from_numpy(level).to(self.device)
            spec = torch.stft(
                x, n_fft=octave["n_fft"], hop_length=octave["hop"], window=octave["window"],
                center=True, pad_mode="constant", return_complex=True,
            )
            parts = torch.view_as_real(spec.transpose(1, 2)[:, :n_frames])  # (n*c, T, F, 2)
            resp = octave["product"](parts.flatten(-2))  # (n*c, T, re... im...)
            re, im = resp.chunk(2, dim=-1)
            power[:, :, octave["rows"]] = torch.addcmul(re * re, im, im)
        if self.output == "magnitude":
            maps = power.sqrt_()
        elif self.output == "db":
            maps = _dsp.power_to_db(power.reshape(n, -1), self.top_db).reshape(power.shape)
        else:
            maps = power
        maps = maps.reshape(n, n_channels, n_frames, self.n_bins).transpose(-1, -2)
        return maps.to("cpu", torch.float32).numpy()

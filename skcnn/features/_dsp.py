"""Batched time-frequency maths: STFT, mel, dB and DCT on a batch of clips.

The filters come from the libraries that own them (librosa's windows and mel
filter bank, scipy's orthonormal DCT-II); only the batched application is
written here. Why by hand: librosa's per-clip loop is slow, and its batch call
computes ``top_db`` over the whole batch, so a quiet clip next to a loud one
changes. Here the STFT runs as one ``torch.stft`` over a chunk of clips (on the
CPU or a GPU), the filters are matrix products, and the dB floor is taken per
clip, which reproduces librosa's per-clip numbers (see ``tests/features/test_spectrogram.py``).

No scikit-learn here; :mod:`skcnn.features` wraps this in estimators.
"""

import warnings

import librosa
import numpy as np
import scipy.fft
import torch

from ..utils._device import torch_threads

__all__ = [
    "TimeFrequency",
    "BandedProduct",
    "make_window",
    "mel_filters",
    "dct_matrix",
    "power_to_db",
]

# Bytes of complex STFT held at once; bounds the temporaries of one chunk.
CHUNK_BYTES = 8 * 2**20

# Float32 columns per 64 bytes: products pad their outputs to this (_frames_matmul).
_ALIGN = 16

# librosa.power_to_db's defaults (ref=1.0, amin=1e-10).
_AMIN = 1e-10


def make_window(window, win_length, n_fft):
    """librosa's analysis window, centred and zero-padded to ``n_fft``.

    Examples
    --------
    >>> make_window("hann", 400, 512).shape
    (512,)
    """
    try:
        win = librosa.filters.get_window(window, win_length, fftbins=True)
    except (ValueError, TypeError, librosa.ParameterError) as exc:
        raise ValueError(
            f"window={window!r} is not a window librosa knows for win_length="
            f"{win_length}: {exc}"
        ) from exc
    return librosa.util.pad_center(np.asarray(win, dtype=np.float64), size=n_fft)


def mel_filters(*, sr, n_fft, n_mels, fmin, fmax):
    """librosa's Slaney mel filter bank, refusing filters that would be empty.

    librosa only warns when ``n_mels`` asks for more filters than the FFT's
    frequency resolution can fill; an empty filter is an all-zero feature row,
    so here it is an error.

    Examples
    --------
    >>> mel_filters(sr=8000, n_fft=512, n_mels=40, fmin=0.0, fmax=4000.0).shape
    (40, 257)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        basis = librosa.filters.mel(
            sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float32
        )
    n_empty = int(np.sum(basis.max(axis=1) == 0))
    if n_empty:
        raise ValueError(
            f"n_mels={n_mels} is larger than n_fft={n_fft} supports at sr={sr} between "
            f"fmin={fmin} and fmax={fmax} Hz: {n_empty} mel filters would be empty. "
            "Use fewer mels, a larger n_fft or a wider frequency range."
        )
    return basis


def dct_matrix(n_mfcc, n_mels):
    """Rows of scipy's orthonormal DCT-II, as ``librosa.feature.mfcc`` applies it.

    Examples
    --------
    >>> d = dct_matrix(13, 40)
    >>> d.shape, bool(abs((d @ d.T) - np.eye(13)).max() < 1e-6)
    ((13, 40), True)
    """
    eye = np.eye(n_mels, dtype=np.float64)
    return scipy.fft.dct(eye, type=2, norm="ortho", axis=0)[:n_mfcc].astype(np.float32)


def power_to_db(power, top_db):
    """``librosa.power_to_db(S, ref=1.0)`` with the ``top_db`` floor per row.

    Parameters
    ----------
    power : Tensor of shape (n_clips, n_values)
        Each clip's power values (every channel, bin and frame) in one row.
    top_db : float or None
        Floor, in dB below the row's own maximum; None for no floor.

    Examples
    --------
    >>> power_to_db(torch.tensor([[1.0, 1e-3, 1e-12], [1e-4, 1e-6, 0.0]]), 50.0)
    tensor([[  0., -30., -50.],
            [-40., -60., -90.]])
    """
    db = 10.0 * torch.log10(torch.clamp(power, min=_AMIN))
    if top_db is not None:
        floor = db.amax(dim=1, keepdim=True) - top_db
        db = torch.maximum(db, floor)
    return db


class TimeFrequency:
    """A batched STFT front end: clips in, time-frequency maps out.

    Parameters
    ----------
    n_fft, hop_length : int
        Frame length and hop, in samples.
    window : ndarray of shape (n_fft,)
        Analysis window (see :func:`make_window`).
    center : bool
        Pad ``n_fft // 2`` samples at both ends, as librosa's default.
    output : {'complex', 'magnitude', 'power', 'db'}
        What to return; 'complex' is two channels (real, imaginary) per input
        channel; 'db' is ``librosa.power_to_db`` of the power, per clip.
    mel_basis : ndarray of shape (n_mels, 1 + n_fft // 2), default=None
        Mel filter bank applied to the magnitude or power.
    top_db : float or None, default=80.0
        Floor of the dB output below each clip's own maximum.
    dct : ndarray of shape (n_mfcc, n_mels), default=None
        DCT applied to the dB mel spectrogram (MFCCs).
    lifter : float, default=0
        Cepstral liftering, as in ``librosa.feature.mfcc``.
    device : torch.device, default='cpu'
    pad_mode : {'constant', 'reflect'}, default='constant'
        How ``center`` pads: zeros (librosa's default) or the clip reflected
        at its ends.
    """

    def __init__(
        self,
        *,
        n_fft,
        hop_length,
        window,
        center,
        output,
        pad_mode="constant",
        mel_basis=None,
        top_db=80.0,
        dct=None,
        lifter=0,
        device="cpu",
    ):
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.center = center
        self.pad_mode = pad_mode
        self.output = output
        self.top_db = top_db
        self.device = torch.device(device)
        self.window = torch.as_tensor(window, dtype=torch.float32, device=self.device)
        # filters stored transposed: the STFT's memory layout is (clip, frame, bin)
        self.mel = None
        if mel_basis is not None:
            mel_t = np.asarray(mel_basis, dtype=np.float32).T
            if output in ("power", "db"):
                # one row per real and imaginary part: the mel product of the
                # squared parts sums re^2 + im^2 inside the GEMM
                mel_t = np.repeat(mel_t, 2, axis=0)
            self.mel = BandedProduct(mel_t, device=self.device)
        self.dct_t = self._tensor(None if dct is None else np.asarray(dct).T)
        self.lift = None
        if dct is not None and lifter > 0:
            k = np.arange(1, 1 + dct.shape[0], dtype=np.float64)
            self.lift = self._tensor(1 + (lifter / 2) * np.sin(np.pi * k / lifter))

    def _tensor(self, array):
        if array is None:
            return None
        return torch.as_tensor(np.asarray(array, dtype=np.float32), device=self.device)

    def n_frames(self, n_samples):
        """Number of frames for clips of ``n_samples`` samples."""
        if self.center:
            return 1 + n_samples // self.hop_length
        return 1 + (n_samples - self.n_fft) // self.hop_length

    @property
    def n_bins(self):
        """Number of rows of the output maps."""
        if self.dct_t is not None:
            return self.dct_t.shape[1]
        if self.mel is not None:
            return self.mel.shape[1]
        return 1 + self.n_fft // 2

    def channels_out(self, n_channels):
        """Output channels for ``n_channels`` input channels."""
        return 2 * n_channels if self.output == "complex" else n_channels

    def chunk_size(self, n_channels, n_samples):
        """Clips per chunk so that one chunk's complex STFT stays under CHUNK_BYTES."""
        per_clip = n_channels * (1 + self.n_fft // 2) * self.n_frames(n_samples) * 8
        return max(1, CHUNK_BYTES // max(per_clip, 1))

    @torch.no_grad()
    def __call__(self, clips):
        """Time-frequency maps of a chunk of clips.

        Parameters
        ----------
        clips : ndarray of shape (n, n_channels, n_samples), dtype float32

        Returns
        -------
        maps : ndarray of shape (n, n_channels_out, n_bins, n_frames), dtype float32
        """
        n, n_channels, n_samples = clips.shape
        x = torch.from_numpy(np.ascontiguousarray(clips)).to(self.device)
        spec = torch.stft(
            x.reshape(n * n_channels, n_samples),
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.n_fft,
            window=self.window,
            center=self.center,
            pad_mode=self.pad_mode,
            return_complex=True,
        )
        spec = spec.transpose(1, 2)  # (n*c, frames, bins), contiguous
        if self.output == "complex":
            maps = torch.view_as_real(spec).permute(0, 3, 1, 2)  # (n*c, 2, T, F)
        else:
            # |S|^2 from the parts squared in place: a quarter of the time of
            # complex abs (a hypot), squared
            parts = torch.view_as_real(spec).square_()
            if self.mel is not None and self.output != "magnitude":
                # (n*c, T, 2F): the mel product adds re^2 and im^2 itself
                maps = self.mel(parts.flatten(-2))
            else:
                maps = parts[..., 0] + parts[..., 1]
                if self.output == "magnitude":
                    maps = maps.sqrt_()
                if self.mel is not None:
                    maps = self.mel(maps)
            if self.output == "db":
                maps = power_to_db(maps.reshape(n, -1), self.top_db).reshape(maps.shape)
            if self.dct_t is not None:
                maps = _frames_matmul(maps, self.dct_t)
                if self.lift is not None:
                    maps = maps * self.lift
        maps = maps.reshape(n, -1, maps.shape[-2], maps.shape[-1]).transpose(-1, -2)
        return maps.to("cpu", torch.float32).numpy()


class BandedProduct:
    """``maps[i] @ matrix_t`` for a matrix whose columns are nonzero in bands.

    A mel filter is a triangle over a few FFT bins, so a dense mel product
    spends 95-98% of its multiply-adds on zeros (40 mels over 257 bins: 493 of
    10,280 entries are nonzero). BLAS has no banded GEMM and torch's sparse
    products are slower than the dense one at these sizes, hence this: the
    columns (filters) are taken in groups of ``group``, and each group is one
    dense product over only the rows where the group is nonzero. Groups of 16
    sit between torch's per-call overhead, which smaller groups pay more
    often, and the zeros that larger ones multiply (see the results page,
    'Choices inside the code').
    Dropping exact zeros changes the sums only by float32 rounding (BLAS
    blocks the shorter sums differently), and each group is a
    :func:`_frames_matmul`, so a clip's result does not depend on its batch.

    Parameters
    ----------
    matrix_t : ndarray of shape (n_in, n_out)
    group : int, default=16
        Columns per group.
    device : torch.device, default='cpu'

    Examples
    --------
    >>> m = np.kron(np.eye(4, dtype=np.float32), np.ones((3, 1), np.float32))  # (12, 4)
    >>> product = BandedProduct(m, group=2)
    >>> product.shape, [(lo, hi) for lo, hi, _ in product.blocks]
    ((12, 4), [(0, 6), (6, 12)])
    >>> x = torch.rand(5, 7, 12)
    >>> bool(torch.allclose(product(x), x @ torch.from_numpy(m)))
    True
    """

    def __init__(self, matrix_t, *, group=16, device="cpu"):
        matrix_t = np.asarray(matrix_t, dtype=np.float32)
        self.shape = matrix_t.shape
        n_out = self.shape[1]
        self.blocks = []
        for columns in np.array_split(np.arange(n_out), -(-n_out // group)):
            rows = np.flatnonzero(matrix_t[:, columns].any(axis=1))
            lo, hi = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, 1)
            block = matrix_t[lo:hi, columns[0] : columns[-1] + 1]
            # a copy: contiguous and torch-aligned, the same for every call
            self.blocks.append((lo, hi, torch.tensor(block, device=device)))

    def __call__(self, maps):
        """Product of ``maps`` of shape (n, n_frames, n_in) with the matrix."""
        parts = [_frames_matmul(maps[..., lo:hi], block) for lo, hi, block in self.blocks]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)


def _frames_matmul(maps, matrix_t):
    """``maps[i] @ matrix_t`` for every map, the same for a clip in any batch.

    A plain ``matmul`` folds the batch into one GEMM whose blocking BLAS picks
    from the number of rows, so the last bits of a clip's mel energies would
    depend on how many clips share its chunk (and the DCT's cancellation makes
    those bits visible in MFCCs near zero). ``bmm`` runs one GEMM of the same
    shape per map instead, which rounds a clip the same way whatever its
    neighbours; a lone map is doubled, because a batch of one takes a
    different (matrix-vector) path. ``tests/features/test_spectrogram.py`` checks
    ``transform(X)[i] == transform(X[i:i+1])`` bit for bit, down to one-frame
    clips.

    The matrix gets zero columns up to a multiple of 16 (dropped from the
    result), so that every map's output starts 64-byte aligned: MKL's batched
    GEMM rounds a map whose output is misaligned differently, so with, e.g., 13
    MFCCs a clip's last bits depended on its index in the batch.

    Parameters
    ----------
    maps : Tensor of shape (n, n_frames, n_in)
    matrix_t : Tensor of shape (n_in, n_out)

    Returns
    -------
    Tensor of shape (n, n_frames, n_out)
    """
    n, n_out = maps.shape[0], matrix_t.shape[1]
    pad = -n_out % _ALIGN
    if pad:
        matrix_t = torch.nn.functional.pad(matrix_t, (0, pad))
    if n == 1:
        out = torch.bmm(maps.expand(2, -1, -1), matrix_t.expand(2, -1, -1))[:1]
    else:
        out = torch.bmm(maps, matrix_t.expand(n, -1, -1))
    return out[..., :n_out] if pad else out


def _one_thread():
    """torch on one intra-op thread inside the block (process-wide, restored).

    For small per-clip products the threads only add synchronisation, and
    when another process holds a core each product waits for the
    descheduled thread, several times the product's own cost (see the
    results page, 'Choices inside the code').
    """
    return torch_threads(1)

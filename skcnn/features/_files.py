"""Reading audio files: one file's header, its samples, resampled; a list of files read on demand.

Shared by the folder loaders (:mod:`skcnn.datasets`) and the transformers'
lazy input (:class:`AudioFiles`, read a batch at a time inside a
:class:`~skcnn.utils._lazy.LazyFeatures`). Files are read with soundfile;
a file that cannot be read, is truncated or holds NaN is a ValueError
naming it.
"""

import copy
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from ._audio import to_float32

__all__ = ["AudioFiles", "as_audio_files", "file_header", "is_audio_files", "is_file_list",
           "read_audio_file", "resample"]


def _wav_declared_frames(filename):
    """Frames the RIFF/WAVE header of ``filename`` declares, or None.

    libsndfile reads a truncated WAV without complaint (it trims its frame
    count to the bytes present), so the data chunk's declared size is compared
    with what was read. None for other formats, and for a data size left
    unknown (0 or 0xFFFFFFFF, as streaming writers leave it).
    """
    try:
        with open(filename, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            block_align = None
            while len(chunk := f.read(8)) == 8:
                size = int.from_bytes(chunk[4:], "little")
                if chunk[:4] == b"fmt ":
                    fmt = f.read(min(size, 16))
                    if len(fmt) >= 14:
                        block_align = int.from_bytes(fmt[12:14], "little")
                    f.seek(size - len(fmt) + size % 2, 1)  # chunks are padded to even sizes
                elif chunk[:4] == b"data":
                    if not block_align or size in (0, 0xFFFFFFFF):
                        return None
                    return size // block_align
                else:
                    f.seek(size + size % 2, 1)
    except OSError:
        return None
    return None


def _refuse_dangling_link(filename):
    """A ValueError naming a symbolic link to nothing (soundfile's own error
    would only say that the file cannot be opened)."""
    path = Path(filename)
    if path.is_symlink() and not path.exists():
        raise ValueError(
            f"could not read audio file {str(filename)!r}: it is a symbolic link to "
            f"{str(path.readlink())!r}, which does not exist"
        )


def read_audio_file(filename, mono, *, start=0, frames=-1, check_header=True):
    """Read one file as float32: 1-D if ``mono``, else (n_channels, n_samples).

    ``start`` and ``frames`` read a part (soundfile's ``start`` and
    ``frames``; a part may end early at the file's end). ``check_header=False``
    skips comparing a whole WAV with its header's frame count (for files
    whose headers :func:`file_header` has checked).
    """
    _refuse_dangling_link(filename)
    try:
        data, rate = sf.read(filename, dtype="float32", always_2d=True, start=start,
                             frames=frames)
    except (sf.SoundFileError, RuntimeError, OSError, TypeError, ValueError) as exc:
        raise ValueError(f"could not read audio file {str(filename)!r}: {exc}") from exc
    whole = check_header and (start, frames) == (0, -1)
    declared = _wav_declared_frames(filename) if whole else None
    if declared is not None and data.shape[0] < declared:
        # An error, not a warning that keeps the clip: a cut-off recording no
        # longer holds what its label says (the end of a word, the call that
        # names the class), and one truncated clip among thousands, only warned
        # about, trains and scores silently. A damaged file is an unreadable
        # file: on_error='warn' skips it, like the others, with a warning
        # naming it.
        raise ValueError(
            f"could not read audio file {str(filename)!r}: it is truncated or damaged; "
            f"its header declares {declared} frames but only {data.shape[0]} could be "
            "read. Copy or export it again, or pass on_error='warn' to skip it"
        )
    if data.shape[0] == 0:
        raise ValueError(f"could not read audio file {str(filename)!r}: it holds no samples")
    broken = ~np.isfinite(data).all(axis=1)  # a float WAV can hold NaN or inf; PCM cannot
    if broken.any():
        raise ValueError(
            f"could not read audio file {str(filename)!r}: {int(broken.sum())} of its "
            f"{data.shape[0]} samples are NaN or infinite; every feature computed from it would be too"
        )
    data = data.T  # (n_channels, n_samples)
    if mono:
        data = data.mean(axis=0)
    return np.ascontiguousarray(data, dtype=np.float32), int(rate)


def resample(data, orig_sr, target_sr, res_type):
    if orig_sr == target_sr:
        return data
    import librosa  # imported here: only needed when resampling

    out = librosa.resample(data, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type, axis=-1)
    return np.ascontiguousarray(out, dtype=np.float32)


def file_header(filename):
    """What a file's header says: ``(n_frames, samplerate, n_channels)``.

    Reads the header only (no samples), so that a long list of files can be
    checked before any work: a file that cannot be opened, is empty or is
    truncated (a WAV whose header declares more frames than the file holds)
    is a ValueError naming it here, as :func:`read_audio_file` would later.
    """
    _refuse_dangling_link(filename)
    try:
        info = sf.info(filename)
    except (sf.SoundFileError, RuntimeError, OSError, TypeError, ValueError) as exc:
        raise ValueError(f"could not read audio file {str(filename)!r}: {exc}") from exc
    declared = _wav_declared_frames(filename)
    if declared is not None and info.frames < declared:
        raise ValueError(
            f"could not read audio file {str(filename)!r}: it is truncated or damaged; "
            f"its header declares {declared} frames but only {info.frames} are there"
        )
    if info.frames == 0:
        raise ValueError(f"could not read audio file {str(filename)!r}: it holds no samples")
    return int(info.frames), int(info.samplerate), int(info.channels)


def is_file_list(X):
    """Whether ``X`` is a non-empty list, tuple or 1-D array of file paths."""
    if isinstance(X, np.ndarray):
        if X.ndim != 1 or X.dtype.kind not in "OU" or X.size == 0:
            return False
    elif not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    return all(isinstance(x, (str, os.PathLike)) for x in X)


def is_audio_files(X):
    """Whether ``X`` is audio to read from files: a list of paths, or
    :class:`AudioFiles` (segments of files)."""
    return isinstance(X, AudioFiles) or is_file_list(X)


def as_audio_files(X, *, sr, length, owner):
    """``X`` (see :func:`is_audio_files`) as :class:`AudioFiles` read at
    ``sr`` and padded or cropped to ``length`` (None: as they are), the
    headers of a list of paths checked. Segments cut at another rate than
    ``sr`` are a ValueError naming ``owner``, the transformer reading them."""
    if not isinstance(X, AudioFiles):
        return AudioFiles(X, sr=sr, length=length)
    if X.sr != sr:
        raise ValueError(
            f"the audio files were cut into segments at sr={X.sr}, but "
            f"{owner} has sr={sr}: give both the same rate"
        )
    return X if length is None else X.with_length(length)


class AudioFiles:
    """Audio files (or segments of them) read on demand: mono, at one rate, of one length.

    Every file's header is read when this is made (cheap), so that a file
    that cannot be opened, is empty or truncated is a ValueError naming it
    before any work; a file whose samples are damaged (NaN) is found when
    its batch is read, also naming it.

    Parameters
    ----------
    paths : sequence of str or path-like
        The files (any format soundfile reads).
    sr : int or float
        The rate to read at: files at another rate are resampled (soxr, as
        :func:`skcnn.datasets.load_audio_folder` does).
    length : int or None
        Samples per clip after resampling: each clip is zero-padded or
        cropped to it. If None, every file must have the same number of
        samples after resampling.
    res_type : str, default='soxr_hq'
        Resampling method passed to :func:`librosa.resample`.

    Attributes
    ----------
    starts : ndarray of int or None
        For segments (:meth:`segments`), the first sample of each, at ``sr``.
    span : int or None
        For segments, the samples read from each start (the segment's
        length; ``length`` then pads or crops what was read, as the
        transformers pad or crop segments held in memory).
    """

    starts = None
    span = None

    def __init__(self, paths, *, sr, length, res_type="soxr_hq", _headers=None):
        self.paths = np.asarray([os.fspath(p) for p in paths], dtype=object)
        self.sr = sr
        self.res_type = res_type
        headers = _headers if _headers is not None else np.array(
            [file_header(p)[:2] for p in self.paths], dtype=np.int64).reshape(-1, 2)
        self._headers = headers
        if length is None:
            sizes = _resampled_sizes(headers, sr)
            if np.unique(sizes).size > 1:
                short, long = int(np.argmin(sizes)), int(np.argmax(sizes))
                raise ValueError(
                    f"the files have different lengths at sr={sr}: {self.paths[short]!r} "
                    f"has {sizes[short]} samples and {self.paths[long]!r} {sizes[long]}; "
                    "set `duration` (in seconds) to pad or crop every clip to the same length"
                )
            length = int(sizes[0])
        self.length = int(length)

    @classmethod
    def segments(cls, paths, *, sr, length, hop, res_type="soxr_hq"):
        """Every segment of ``length`` samples, ``hop`` apart, of every file.

        The segments :class:`skcnn.segments.SegmentClassifier` cuts from
        recordings in memory: a file of ``n`` samples at ``sr`` gives
        ``1 + (n - length) // hop`` of them, or one zero-padded when
        ``n <= length``. Returns the segments and the number of each file's.
        A file at ``sr`` is read a segment at a time; a file at another
        rate is read whole and resampled for each of its segments (resample
        long recordings once beforehand).
        """
        files = cls(paths, sr=sr, length=length, res_type=res_type)
        sizes = _resampled_sizes(files._headers, sr)
        counts = np.where(sizes <= length, 1, 1 + (sizes - length) // hop)
        item = np.repeat(np.arange(len(files)), counts)
        out = files.subset(item)
        out.starts = (np.arange(item.size) - np.repeat(np.cumsum(counts) - counts, counts)) * hop
        out.span = int(length)
        return out, counts

    def with_length(self, length):
        """The same clips, each zero-padded or cropped to ``length`` samples."""
        out = copy.copy(self)
        out.length = int(length)
        return out

    def __len__(self):
        return len(self.paths)

    @property
    def shape(self):
        return (len(self), 1, self.length)

    def __array__(self, dtype=None, copy=None):
        out = self.read(slice(None))
        return out if dtype is None else out.astype(dtype, copy=False)

    def subset(self, index):
        """The files at ``index`` (an index array or slice), headers kept."""
        out = copy.copy(self)
        out.paths = self.paths[index]
        out._headers = self._headers[index]
        if self.starts is not None:
            out.starts = self.starts[index]
        return out

    def read(self, index):
        """The clips at ``index`` as float32 ``(n, 1, length)``."""
        index = np.atleast_1d(np.arange(len(self))[index])
        out = np.empty((index.size, 1, self.length), dtype=np.float32)
        for row, i in enumerate(index):
            out[row] = to_float32(self._read_one(i)[None, None], start=int(i),
                                  length=self.length)[0]
        return out

    def _read_one(self, i):
        path, rate = self.paths[i], int(self._headers[i, 1])
        if self.starts is None:
            clip, rate = read_audio_file(path, mono=True, check_header=False)
            return resample(clip, rate, self.sr, self.res_type)
        start = int(self.starts[i])
        if rate == self.sr:
            return read_audio_file(path, mono=True, start=start, frames=self.span)[0]
        clip, rate = read_audio_file(path, mono=True, check_header=False)
        return resample(clip, rate, self.sr, self.res_type)[start:start + self.span]


def _resampled_sizes(headers, sr):
    """Samples each file has after resampling to ``sr`` (librosa's rule)."""
    frames, rates = headers[:, 0], headers[:, 1]
    same = rates == sr
    sizes = np.ceil(frames * (sr / np.maximum(rates, 1))).astype(np.int64)
    return np.where(same, frames, sizes)

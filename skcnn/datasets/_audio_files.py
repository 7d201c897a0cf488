"""Reading audio files: a folder of recordings with one sub-folder per class.

:func:`load_audio_folder` is public through :mod:`skcnn.datasets`;
:func:`_read_files` is shared with the FSDD and CatMeows loaders
(:mod:`skcnn.datasets._fsdd`, :mod:`skcnn.datasets._catmeows`).
"""

import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..features._audio import check_positive_int
from ..features._files import file_header, read_audio_file, resample

__all__ = ["load_audio_folder"]

_AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")


def _is_listed(path, endings):
    """Whether a folder entry is a recording to read: by its name, and anything but a folder.

    Not ``path.is_file()``: that is False for a symbolic link to nothing, and
    the recording would vanish from the dataset without a word. Such an entry
    is listed, and reading it fails naming it (``on_error`` decides).
    """
    name = path.name
    return not name.startswith(".") and name.lower().endswith(endings) and not path.is_dir()


def _progress(iterable, verbose, desc):
    if not verbose:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with skorch
        return iterable
    return tqdm(iterable, desc=desc, unit="file")


def _read_files(filenames, *, sr, mono, res_type, on_error, verbose, desc, lazy=False):
    """Read files, resampling to ``sr`` or checking they share one rate.

    Returns the list of arrays (of paths if ``lazy``: only the headers are
    read), the indices of the files read, and the rate.
    """
    data, kept, rates = [], [], {}
    for i, filename in enumerate(_progress(filenames, verbose, desc)):
        try:
            if lazy:
                clip, rate = str(filename), file_header(filename)[1]
            else:
                clip, rate = read_audio_file(filename, mono)
        except ValueError as exc:
            if on_error == "raise":
                raise
            warnings.warn(f"skipping {filename}: {exc}", UserWarning, stacklevel=3)
            continue
        if sr is not None and not lazy:
            clip = resample(clip, rate, sr, res_type)
        else:
            rates.setdefault(rate, filename)
            # lazily, each file is resampled to the transformer's own sr later
            if len(rates) > 1 and not lazy:
                (rate_a, file_a), (rate_b, file_b) = list(rates.items())[:2]
                raise ValueError(
                    f"the files have different sample rates: {str(file_a)!r} is at {rate_a} Hz "
                    f"and {str(file_b)!r} at {rate_b} Hz; pass sr=... to resample them all "
                    "to one rate"
                )
        data.append(clip)
        kept.append(i)
    rate = sr if sr is not None else (next(iter(rates)) if len(rates) == 1 else None)
    return data, np.asarray(kept, dtype=np.intp), rate


def _check_loader_params(sr, on_error):
    if sr is not None:
        check_positive_int(sr, "sr")
    if on_error not in ("raise", "warn"):
        raise ValueError(f"on_error={on_error!r} must be 'raise' or 'warn'")


def load_audio_folder(
    path, *, sr=None, mono=True, extensions=_AUDIO_EXTENSIONS, res_type="soxr_hq",
    on_error="raise", lazy=False, verbose=False,
):
    """Load a folder of recordings with one sub-folder per class.

    The layout is ``path/<class name>/<file>``, like
    :func:`sklearn.datasets.load_files`: each sub-folder's name is a class label
    (any name the file system allows, spaces and punctuation included) and its
    audio files, found by extension (not in nested folders), are that class's
    clips. Hidden folders and files (names starting with ``"."``) and files with
    other extensions are ignored. Files are read with soundfile (WAV, FLAC and
    OGG by default) and scaled to float32 in [-1, 1].

    Parameters
    ----------
    path : str or path-like
        The folder holding one sub-folder per class.
    sr : int or None, default=None
        Sample rate in Hz to resample every file to (with
        :func:`librosa.resample`). If None, the files' own rate is kept, and files
        at different rates are an error.
    mono : bool, default=True
        If True, multichannel files are mixed down to mono (the channels'
        mean) and each clip is 1-D. If False, each clip is 2-D, of shape
        (n_channels, n_samples), mono files included.
    extensions : tuple of str, default=(".wav", ".flac", ".ogg")
        File name endings (case-insensitive) of the files to read. Any format
        soundfile reads may be listed.
    res_type : str, default="soxr_hq"
        Resampling method passed to :func:`librosa.resample` when ``sr`` is given.
    on_error : {"raise", "warn"}, default="raise"
        What to do with a file that cannot be read (a symbolic link to nothing
        included), is truncated or damaged (a WAV whose header declares more
        frames than it holds), or holds NaN or infinite samples: raise a
        ValueError naming it, or skip it with a warning naming it. A truncated
        file is never kept cut short.
    lazy : bool, default=False
        If True, read only the files' headers and return their paths in
        ``data`` instead of their samples: a list that the transformers
        read a batch at a time, resampled to their own ``sr`` (the user
        guide's "Data larger than memory"); files at different rates are
        then no error, and ``sr`` in the result is None unless given or
        shared by every file. Files that cannot be opened or are truncated
        are found here (``on_error`` decides); NaN samples when their batch
        is read.
    verbose : bool, default=False
        Show a progress bar while reading.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : list of ndarray, dtype float32, or list of str
            The clips, of shape (n_samples,) each, or (n_channels, n_samples) if
            ``mono=False``; their lengths may differ. With ``lazy=True``,
            the files' paths.
        target : ndarray of shape (n_clips,), dtype int64
            Class of each clip, as an index into ``target_names``.
        target_names : list of str
            The class (sub-folder) names, sorted.
        filenames : ndarray of shape (n_clips,), dtype object
            Path of each clip's file.
        sr : int
            Sample rate of the clips in Hz.

    Raises
    ------
    ValueError
        If ``path`` is not a folder, has no class sub-folders, a class
        sub-folder has no audio files, a file cannot be read, is truncated or
        holds NaN or infinite samples (with ``on_error="raise"``), or the files' rates differ and ``sr`` is
        None.

    See Also
    --------
    load_fsdd : Load the Free Spoken Digit Dataset.
    sklearn.datasets.load_files : The same layout for text files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, soundfile as sf
    >>> from skcnn.datasets import load_audio_folder
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["dog barks", "cat (meows)"]:
    ...     (root / name).mkdir()
    ...     sf.write(root / name / "a.wav", np.zeros(800), 8000)
    >>> bunch = load_audio_folder(root, sr=16000)
    >>> bunch.target_names, bunch.target.tolist(), bunch.data[0].shape, bunch.sr
    (['cat (meows)', 'dog barks'], [0, 1], (1600,), 16000)
    """
    _check_loader_params(sr, on_error)
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"path={str(path)!r} is not a folder")
    endings = tuple(ext.lower() for ext in extensions)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(
            f"folder {str(root)!r} has no class sub-folders; expected one sub-folder of "
            "audio files per class"
        )
    filenames, target = [], []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir() if _is_listed(p, endings))
        if not files:
            raise ValueError(
                f"class folder {str(root / name)!r} has no audio files "
                f"(looked for {', '.join(endings)})"
            )
        filenames += files
        target += [label] * len(files)

    data, kept, rate = _read_files(
        filenames, sr=sr, mono=mono, res_type=res_type, on_error=on_error,
        verbose=verbose, desc=f"Reading {root.name}", lazy=lazy,
    )
    if not data:
        raise ValueError(f"none of the {len(filenames)} audio files in {str(root)!r} could be read")
    return Bunch(
        data=data,
        target=np.asarray(target, dtype=np.int64)[kept],
        target_names=classes,
        filenames=np.asarray([str(f) for f in filenames], dtype=object)[kept],
        sr=rate,
    )


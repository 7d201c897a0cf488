"""Audio datasets: synthetic generators and loaders of real recordings.

The generators (:func:`make_audio_classification`, :func:`make_audio_regression`)
make small, seeded sets of short clips for tests and the quick start. The loaders
read a folder of recordings with one sub-folder per class
(:func:`load_audio_folder`) and the Free Spoken Digit Dataset
(:func:`load_fsdd`, :func:`fetch_fsdd`).

Every clip comes back as float32 samples in [-1, 1]; the sample rate is returned
alongside, never guessed by the caller.
"""

import hashlib
import http.client
import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
import warnings
import zlib
from collections.abc import Mapping
from importlib import resources
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal.windows import tukey
from sklearn.utils import Bunch, check_random_state

__all__ = [
    "AUDIO_CLASS_NAMES",
    "FSDD_URL",
    "fetch_fsdd",
    "get_data_home",
    "load_audio_folder",
    "load_fsdd",
    "make_audio_classification",
    "make_audio_regression",
]

#: Names of the classes of :func:`make_audio_classification`, indexed by label.
AUDIO_CLASS_NAMES = ("tone", "chirp_up", "chirp_down", "noise_burst", "click_train")

#: Archive of the Free Spoken Digit Dataset's public repository at tag v1.0.10.
FSDD_URL = (
    "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz"
)

_AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")
_FSDD_NAME = re.compile(r"^(?P<digit>[0-9])_(?P<speaker>[A-Za-z]+)_(?P<index>[0-9]+)\.wav$")
_FSDD_SR = 8000
_FSDD_N_TEST_INDICES = 5  # official split: recordings with index 0-4 are the test set


# --------------------------------------------------------------------------------------
# Parameter checks shared by the generators
# --------------------------------------------------------------------------------------


def _check_positive_int(value, name):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


def _check_generator_params(n_samples, sr, duration, noise):
    n_samples = _check_positive_int(n_samples, "n_samples")
    sr = _check_positive_int(sr, "sr")
    if not isinstance(duration, Real) or isinstance(duration, bool) or not duration > 0:
        raise ValueError(f"duration={duration!r} must be a positive number of seconds")
    n_times = int(round(duration * sr))
    if n_times < 64:
        raise ValueError(
            f"duration={duration!r} at sr={sr} gives {n_times} samples per clip; "
            "at least 64 are needed"
        )
    if not isinstance(noise, Real) or isinstance(noise, bool) or not noise >= 0:
        raise ValueError(f"noise={noise!r} must be a non-negative number (the noise's std)")
    return n_samples, sr, n_times, float(noise)


def _event_window(rng, n_times):
    """Draw where the sound event lies: (onset, length, envelope, amplitude)."""
    length = max(16, int(rng.uniform(0.4, 0.9) * n_times))
    onset = int(rng.integers(0, n_times - length + 1))
    envelope = tukey(length, alpha=0.2)
    amplitude = 10.0 ** (rng.uniform(-20.0, -3.0) / 20.0)  # -20 to -3 dB full scale
    return onset, length, envelope, amplitude


def _sweep_phase(f_start, f_end, length, sr):
    """Phase of an exponential sweep from ``f_start`` to ``f_end`` Hz over ``length`` samples."""
    t = np.arange(length) / sr
    span = length / sr
    ratio = f_end / f_start
    return 2 * np.pi * f_start * span / np.log(ratio) * (ratio ** (t / span) - 1.0)


def _make_event(kind, rng, length, sr):
    """One event of unit peak level (before envelope and amplitude)."""
    f_min, f_max = 0.025 * sr, 0.375 * sr  # 200 Hz to 3 kHz at 8 kHz
    phase0 = rng.uniform(0, 2 * np.pi)
    if kind == "tone":
        freq = np.exp(rng.uniform(np.log(f_min), np.log(f_max)))
        return np.sin(2 * np.pi * freq * np.arange(length) / sr + phase0)
    if kind in ("chirp_up", "chirp_down"):
        ratio = np.exp(rng.uniform(np.log(2.0), np.log(4.0)))  # one to two octaves
        low = np.exp(rng.uniform(np.log(f_min), np.log(f_max / ratio)))
        start, end = (low, low * ratio) if kind == "chirp_up" else (low * ratio, low)
        return np.sin(_sweep_phase(start, end, length, sr) + phase0)
    if kind == "noise_burst":
        # uniform white noise: flat spectrum, and like the other events it peaks at 1
        return rng.uniform(-1.0, 1.0, size=length)
    if kind == "click_train":
        rate = rng.uniform(15.0, 40.0)  # clicks per second
        period = sr / rate
        decay = np.exp(-np.arange(max(4, int(0.002 * sr))) / (0.00025 * sr))  # 0.25 ms decay
        event = np.zeros(length)
        for start in np.arange(rng.uniform(0, 0.2) * period, length, period).astype(int):
            stop = min(length, start + decay.size)
            event[start:stop] += decay[: stop - start] * rng.choice([-1.0, 1.0])
        return event
    raise AssertionError(f"unknown event kind {kind!r}")  # pragma: no cover


def make_audio_classification(
    n_samples=200, *, sr=8000, duration=0.5, n_classes=5, noise=0.05, shuffle=True,
    random_state=None,
):
    """Generate short clips of five kinds of sound that differ in time and frequency.

    Each clip holds one sound event at a random onset, length (40 % to 90 % of the
    clip), level (-20 to -3 dB full scale) and, where it has one, pitch, with
    short fades, over white Gaussian background noise. The classes, in label
    order (see ``AUDIO_CLASS_NAMES``):

    0. ``"tone"``: a steady sine between 2.5 % and 37.5 % of ``sr``
       (200 Hz to 3 kHz at 8 kHz);
    1. ``"chirp_up"``: an exponential sweep rising one to two octaves in that range;
    2. ``"chirp_down"``: the same sweep falling;
    3. ``"noise_burst"``: a burst of white noise;
    4. ``"click_train"``: short clicks (decaying in 0.25 ms), 15 to 40 per second.

    Tones and chirps share a frequency range, noise bursts and click trains are
    both broadband, and a chirp up has the same average spectrum as a chirp down:
    the classes show in how the spectrum changes over time, which a CNN reads
    from a spectrogram.

    Parameters
    ----------
    n_samples : int, default=200
        Number of clips. Classes are balanced: their sizes differ by at most one.
    sr : int, default=8000
        Sample rate in Hz.
    duration : float, default=0.5
        Length of every clip in seconds; a clip has ``round(duration * sr)``
        samples (at least 64).
    n_classes : int, default=5
        Number of classes, from 2 to 5: the first ``n_classes`` kinds above.
    noise : float, default=0.05
        Standard deviation of the white Gaussian background noise (full scale is 1).
    shuffle : bool, default=True
        Shuffle the clips. If False, labels cycle ``0, 1, ..., n_classes - 1, 0, ...``.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output: the same seed gives identical arrays.

    Returns
    -------
    X : ndarray of shape (n_samples, n_times), dtype float32
        The clips, ``n_times = round(duration * sr)``.
    y : ndarray of shape (n_samples,), dtype int64
        The class of each clip; ``AUDIO_CLASS_NAMES[y[i]]`` names it.

    See Also
    --------
    make_audio_regression : Clips whose target is the pitch of a tone.
    sklearn.datasets.make_classification : The tabular counterpart.

    Examples
    --------
    >>> from skcnn.datasets import AUDIO_CLASS_NAMES, make_audio_classification
    >>> X, y = make_audio_classification(n_samples=10, random_state=0)
    >>> X.shape, X.dtype, y.shape
    ((10, 4000), dtype('float32'), (10,))
    >>> sorted(set(AUDIO_CLASS_NAMES[label] for label in y))
    ['chirp_down', 'chirp_up', 'click_train', 'noise_burst', 'tone']
    """
    n_samples, sr, n_times, noise = _check_generator_params(n_samples, sr, duration, noise)
    if (
        not isinstance(n_classes, Integral) or isinstance(n_classes, bool)
        or not 2 <= n_classes <= len(AUDIO_CLASS_NAMES)
    ):
        raise ValueError(
            f"n_classes={n_classes!r} must be an integer from 2 to {len(AUDIO_CLASS_NAMES)}"
        )
    rng = np.random.default_rng(check_random_state(random_state).randint(2**32, dtype=np.uint64))

    y = np.arange(n_samples, dtype=np.int64) % n_classes
    if shuffle:
        y = rng.permutation(y)
    X = np.zeros((n_samples, n_times))
    for i, label in enumerate(y):
        onset, length, envelope, amplitude = _event_window(rng, n_times)
        event = _make_event(AUDIO_CLASS_NAMES[label], rng, length, sr)
        X[i, onset : onset + length] = amplitude * envelope * event
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
    return X.astype(np.float32), y


def make_audio_regression(
    n_samples=200, *, sr=8000, duration=0.5, noise=0.05, target="pitch", random_state=None
):
    """Generate short harmonic tones whose target is their pitch.

    Each clip holds one harmonic tone at a random onset, length (40 % to 90 % of
    the clip) and level (-20 to -3 dB full scale), with short fades, over white
    Gaussian background noise. The fundamental frequency is drawn log-uniformly
    between 1.25 % and 15 % of ``sr`` (100 Hz to 1.2 kHz at 8 kHz); the second and
    third harmonics have random amplitudes below half and a quarter of the
    fundamental's, so the timbre varies while the fundamental stays the strongest
    partial and the pitch is well defined.

    Parameters
    ----------
    n_samples : int, default=200
        Number of clips.
    sr : int, default=8000
        Sample rate in Hz.
    duration : float, default=0.5
        Length of every clip in seconds; a clip has ``round(duration * sr)``
        samples (at least 64).
    noise : float, default=0.05
        Standard deviation of the white Gaussian background noise (full scale is 1).
    target : {"pitch", "log_pitch"}, default="pitch"
        ``"pitch"``: the fundamental frequency in Hz. ``"log_pitch"``: its base-2
        logarithm (octaves above 1 Hz), uniformly distributed.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output: the same seed gives identical arrays.

    Returns
    -------
    X : ndarray of shape (n_samples, n_times), dtype float32
        The clips, ``n_times = round(duration * sr)``.
    y : ndarray of shape (n_samples,), dtype float64
        The pitch of each clip, in Hz or in octaves as ``target`` says.

    See Also
    --------
    make_audio_classification : Clips of five classes of sound.
    sklearn.datasets.make_regression : The tabular counterpart.

    Examples
    --------
    >>> from skcnn.datasets import make_audio_regression
    >>> X, y = make_audio_regression(n_samples=4, random_state=0)
    >>> X.shape, X.dtype, y.dtype
    ((4, 4000), dtype('float32'), dtype('float64'))
    >>> bool(((y >= 100) & (y <= 1200)).all())
    True
    """
    n_samples, sr, n_times, noise = _check_generator_params(n_samples, sr, duration, noise)
    if target not in ("pitch", "log_pitch"):
        raise ValueError(f"target={target!r} must be 'pitch' or 'log_pitch'")
    rng = np.random.default_rng(check_random_state(random_state).randint(2**32, dtype=np.uint64))

    f_min, f_max = 0.0125 * sr, 0.15 * sr  # 3 * f_max stays below the Nyquist frequency
    pitch = np.exp(rng.uniform(np.log(f_min), np.log(f_max), size=n_samples))
    X = np.zeros((n_samples, n_times))
    for i, f0 in enumerate(pitch):
        onset, length, envelope, amplitude = _event_window(rng, n_times)
        weights = np.array([1.0, rng.uniform(0, 0.5), rng.uniform(0, 0.25)])
        t = np.arange(length) / sr
        phases = rng.uniform(0, 2 * np.pi, size=3)
        tone = sum(
            w * np.sin(2 * np.pi * (k + 1) * f0 * t + p)
            for k, (w, p) in enumerate(zip(weights, phases))
        )
        X[i, onset : onset + length] = amplitude * envelope * tone / weights.sum()
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
    y = np.log2(pitch) if target == "log_pitch" else pitch
    return X.astype(np.float32), y


# --------------------------------------------------------------------------------------
# Reading audio files
# --------------------------------------------------------------------------------------


def _read_audio(filename, mono):
    """Read one file as float32: 1-D if ``mono``, else (n_channels, n_samples)."""
    try:
        data, rate = sf.read(filename, dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError, OSError, TypeError, ValueError) as exc:
        raise ValueError(f"could not read audio file {str(filename)!r}: {exc}") from exc
    if data.shape[0] == 0:
        raise ValueError(f"could not read audio file {str(filename)!r}: it holds no samples")
    data = data.T  # (n_channels, n_samples)
    if mono:
        data = data.mean(axis=0)
    return np.ascontiguousarray(data, dtype=np.float32), int(rate)


def _resample(data, orig_sr, target_sr, res_type):
    if orig_sr == target_sr:
        return data
    import librosa  # imported here: only needed when resampling

    out = librosa.resample(data, orig_sr=orig_sr, target_sr=target_sr, res_type=res_type, axis=-1)
    return np.ascontiguousarray(out, dtype=np.float32)


def _progress(iterable, verbose, desc):
    if not verbose:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with skorch
        return iterable
    return tqdm(iterable, desc=desc, unit="file")


def _read_files(filenames, *, sr, mono, res_type, on_error, verbose, desc):
    """Read files, resampling to ``sr`` or checking they share one rate.

    Returns the list of arrays, the indices of the files read, and the rate.
    """
    data, kept, rates = [], [], {}
    for i, filename in enumerate(_progress(filenames, verbose, desc)):
        try:
            clip, rate = _read_audio(filename, mono)
        except ValueError as exc:
            if on_error == "raise":
                raise
            warnings.warn(f"skipping {filename}: {exc}", UserWarning, stacklevel=3)
            continue
        if sr is not None:
            clip = _resample(clip, rate, sr, res_type)
        else:
            rates.setdefault(rate, filename)
            if len(rates) > 1:
                (rate_a, file_a), (rate_b, file_b) = list(rates.items())[:2]
                raise ValueError(
                    f"the files have different sample rates: {str(file_a)!r} is at {rate_a} Hz "
                    f"and {str(file_b)!r} at {rate_b} Hz; pass sr=... to resample them all "
                    "to one rate"
                )
        data.append(clip)
        kept.append(i)
    rate = sr if sr is not None else next(iter(rates), None)
    return data, np.asarray(kept, dtype=np.intp), rate


def _check_loader_params(sr, on_error):
    if sr is not None:
        _check_positive_int(sr, "sr")
    if on_error not in ("raise", "warn"):
        raise ValueError(f"on_error={on_error!r} must be 'raise' or 'warn'")


def load_audio_folder(
    path, *, sr=None, mono=True, extensions=_AUDIO_EXTENSIONS, res_type="soxr_hq",
    on_error="raise", verbose=False,
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
        What to do with a file that cannot be read: raise a ValueError naming
        it, or skip it with a warning naming it.
    verbose : bool, default=False
        Show a progress bar while reading.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : list of ndarray, dtype float32
            The clips, of shape (n_samples,) each, or (n_channels, n_samples) if
            ``mono=False``; their lengths may differ.
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
        sub-folder has no audio files, a file cannot be read (with
        ``on_error="raise"``), or the files' rates differ and ``sr`` is None.

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
        files = sorted(
            p for p in (root / name).iterdir()
            if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(endings)
        )
        if not files:
            raise ValueError(
                f"class folder {str(root / name)!r} has no audio files "
                f"(looked for {', '.join(endings)})"
            )
        filenames += files
        target += [label] * len(files)

    data, kept, rate = _read_files(
        filenames, sr=sr, mono=mono, res_type=res_type, on_error=on_error,
        verbose=verbose, desc=f"Reading {root.name}",
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


# --------------------------------------------------------------------------------------
# Free Spoken Digit Dataset
# --------------------------------------------------------------------------------------


def _fsdd_recordings_dir(path):
    root = Path(path)
    if (root / "recordings").is_dir():
        return root / "recordings"
    if root.is_dir():
        return root
    raise ValueError(
        f"path={str(path)!r} is not a folder; pass the FSDD folder (the one holding "
        "recordings/) or the recordings folder itself"
    )


def load_fsdd(path, *, verbose=False):
    """Load the Free Spoken Digit Dataset (FSDD) from a local copy.

    FSDD holds 3,000 recordings of the spoken digits 0 to 9 by 6 speakers, 50
    of each digit per speaker, as mono 8 kHz WAV files named
    ``{digit}_{speaker}_{index}.wav`` (e.g. ``7_jackson_32.wav``). Its official
    split puts the recordings with index 0 to 4 in the test set (300 files) and
    those with index 5 to 49 in the training set (2,700 files). The data are
    licensed CC BY-SA 4.0 by Zohar Jackson et al.

    Parameters
    ----------
    path : str or path-like
        The dataset's folder (a clone of the repository, holding
        ``recordings/``) or the ``recordings`` folder itself.
    verbose : bool, default=False
        Show a progress bar while reading.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : list of ndarray of shape (n_samples,), dtype float32
            The recordings; their lengths differ.
        target : ndarray of shape (n_clips,), dtype int64
            The spoken digit.
        target_names : list of str
            ``["0", "1", ..., "9"]``.
        speaker : ndarray of shape (n_clips,), dtype object
            The speaker's name, e.g. ``"jackson"``.
        index : ndarray of shape (n_clips,), dtype int64
            The recording's index within its digit and speaker.
        split : ndarray of shape (n_clips,), dtype object
            The official split: ``"test"`` for index 0 to 4, else ``"train"``.
            Select with a mask, e.g. ``bunch.split == "test"``.
        filenames : ndarray of shape (n_clips,), dtype object
            Path of each recording's file.
        sr : int
            8000.

        Recordings are sorted by digit, speaker and index.

    Raises
    ------
    ValueError
        If the folder has no FSDD recordings, a ``.wav`` file's name does not
        follow the pattern, a file cannot be read or is not at 8 kHz.

    See Also
    --------
    fetch_fsdd : Download the dataset once, verify it, and load it.
    load_audio_folder : Load any folder with one sub-folder per class.

    Examples
    --------
    >>> from skcnn.datasets import load_fsdd
    >>> fsdd = load_fsdd("free-spoken-digit-dataset")  # doctest: +SKIP
    >>> test = fsdd.split == "test"  # doctest: +SKIP
    >>> int(test.sum()), sorted(set(fsdd.speaker))[:2]  # doctest: +SKIP
    (300, ['george', 'jackson'])
    """
    recordings = _fsdd_recordings_dir(path)
    entries = []
    for file in recordings.iterdir():
        if not file.name.lower().endswith(".wav") or file.name.startswith("."):
            continue
        match = _FSDD_NAME.match(file.name)
        if match is None:
            raise ValueError(
                f"file {str(file)!r} does not follow FSDD's naming "
                "{digit}_{speaker}_{index}.wav, e.g. 7_jackson_32.wav"
            )
        entries.append((int(match["digit"]), match["speaker"], int(match["index"]), file))
    if not entries:
        raise ValueError(
            f"no FSDD recordings ({{digit}}_{{speaker}}_{{index}}.wav) found in "
            f"{str(recordings)!r}"
        )
    entries.sort(key=lambda entry: entry[:3])
    digit, speaker, index, files = (list(column) for column in zip(*entries))

    data, _, rate = _read_files(
        files, sr=None, mono=True, res_type=None, on_error="raise",
        verbose=verbose, desc="Reading FSDD",
    )
    if rate != _FSDD_SR:
        raise ValueError(f"FSDD recordings in {str(recordings)!r} are at {rate} Hz, not 8000 Hz")
    index = np.asarray(index, dtype=np.int64)
    return Bunch(
        data=data,
        target=np.asarray(digit, dtype=np.int64),
        target_names=[str(d) for d in range(10)],
        speaker=np.asarray(speaker, dtype=object),
        index=index,
        split=np.where(index < _FSDD_N_TEST_INDICES, "test", "train").astype(object),
        filenames=np.asarray([str(f) for f in files], dtype=object),
        sr=_FSDD_SR,
    )


def get_data_home(data_home=None):
    """Return the folder where skcnn caches downloaded datasets, creating it.

    Parameters
    ----------
    data_home : str, path-like or None, default=None
        The folder. If None: the ``SKCNN_DATA`` environment variable if set,
        else ``~/skcnn_data``. A leading ``~`` is expanded.

    Returns
    -------
    data_home : pathlib.Path
        The folder, which exists.

    Examples
    --------
    >>> import tempfile
    >>> from skcnn.datasets import get_data_home
    >>> get_data_home(tempfile.mkdtemp()).is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get("SKCNN_DATA", Path("~") / "skcnn_data")
    data_home = Path(data_home).expanduser()
    data_home.mkdir(parents=True, exist_ok=True)
    return data_home


def _read_checksums(checksums):
    """``{file name: sha256 hex}`` from a mapping, a sha256sum-format file, or None."""
    if isinstance(checksums, Mapping):
        return {Path(name).name: digest.lower() for name, digest in checksums.items()}
    if checksums is None:
        text = resources.files("skcnn").joinpath("data").joinpath("fsdd_SHA256SUMS").read_text()
    else:
        text = Path(checksums).read_text()
    sums = {}
    for line in text.splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[Path(name.strip().lstrip("*")).name] = digest.lower()
    return sums


def _download(url, destination, timeout, verbose):
    """Stream ``url`` into the file ``destination``; raise OSError if incomplete."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(destination, "wb") as out:
        expected = response.headers.get("Content-Length") if response.headers else None
        expected = int(expected) if expected and expected.isdigit() else None
        bar = None
        if verbose:
            try:
                from tqdm.auto import tqdm

                bar = tqdm(total=expected, unit="B", unit_scale=True, desc="Downloading FSDD")
            except ImportError:  # pragma: no cover
                pass
        received = 0
        while chunk := response.read(1 << 16):
            out.write(chunk)
            received += len(chunk)
            if bar is not None:
                bar.update(len(chunk))
        if bar is not None:
            bar.close()
    if expected is not None and received != expected:
        raise OSError(f"download from {url} stopped after {received} of {expected} bytes")


def _extract_recordings(archive, destination, checksums):
    """Extract the archive's ``recordings/*.wav`` into ``destination``, verifying each.

    Members are read as bytes and written under their base name, so no path in
    the archive can write outside ``destination``.
    """
    found = set()
    with tarfile.open(archive, mode="r:*") as tar:
        for member in tar:
            parts = Path(member.name).parts
            if not (member.isfile() and len(parts) >= 2 and parts[-2] == "recordings"):
                continue
            name = parts[-1]
            if name not in checksums:
                continue
            content = tar.extractfile(member).read()
            if hashlib.sha256(content).hexdigest() != checksums[name]:
                raise OSError(f"recording {name!r} in the download does not match its SHA-256")
            (destination / name).write_bytes(content)
            found.add(name)
    missing = sorted(set(checksums) - found)
    if missing:
        raise OSError(
            f"the download lacks {len(missing)} of the {len(checksums)} recordings, "
            f"e.g. {missing[0]!r}"
        )


def fetch_fsdd(
    data_home=None, *, download_if_missing=True, url=FSDD_URL, checksums=None, timeout=10.0,
    verbose=False,
):
    """Load the Free Spoken Digit Dataset, downloading it once if needed.

    On first use, downloads the archive of the dataset's public repository at tag
    v1.0.10 (about 20 MB) to a temporary file, extracts its ``recordings/``,
    verifies every recording against the SHA-256 list shipped with skcnn, and
    only then moves the folder into place, as
    ``<data_home>/fsdd/recordings``; the archive is then deleted. A partial,
    corrupt or tampered download is deleted and never used. Later calls read the
    cache without network access. The result is that of :func:`load_fsdd`.

    Parameters
    ----------
    data_home : str, path-like or None, default=None
        The cache folder; see :func:`get_data_home` (default ``~/skcnn_data``,
        or the ``SKCNN_DATA`` environment variable).
    download_if_missing : bool, default=True
        If False, raise an OSError instead of downloading when the data are not
        in the cache.
    url : str, default=FSDD_URL
        Where to download the archive (a ``.tar.gz`` holding a
        ``recordings/`` folder) from; ``file://`` URLs work too.
    checksums : dict, str, path-like or None, default=None
        The recordings to expect: a mapping from file name to SHA-256 hex digest,
        or a file in ``sha256sum`` format. None uses the list of the 3,000
        recordings of v1.0.10 shipped with skcnn.
    timeout : float, default=10.0
        Seconds to wait for the server at each step before giving up.
    verbose : bool, default=False
        Show progress bars while downloading and reading.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_fsdd`.

    Raises
    ------
    OSError
        If the download fails (e.g. no network), is incomplete or corrupt, or a
        recording does not match its checksum; or if the data are not cached
        and ``download_if_missing=False``. The message says how to load a local
        copy with :func:`load_fsdd` instead.

    See Also
    --------
    load_fsdd : Load a local copy of the dataset.

    Examples
    --------
    >>> from skcnn.datasets import fetch_fsdd
    >>> fsdd = fetch_fsdd()  # doctest: +SKIP
    >>> len(fsdd.data), fsdd.sr  # doctest: +SKIP
    (3000, 8000)
    """
    if not isinstance(timeout, Real) or isinstance(timeout, bool) or not timeout > 0:
        raise ValueError(f"timeout={timeout!r} must be a positive number of seconds")
    schemes = ("http", "https", "file")
    if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in schemes:
        raise ValueError(f"url={url!r} must be an http://, https:// or file:// URL")
    home = get_data_home(data_home)
    dataset_dir = home / "fsdd"
    recordings = dataset_dir / "recordings"
    if recordings.is_dir():
        return load_fsdd(dataset_dir, verbose=verbose)

    local_hint = (
        "If you have a copy of the dataset (e.g. a clone of "
        "https://github.com/Jakobovski/free-spoken-digit-dataset), load it with "
        "skcnn.datasets.load_fsdd('/path/to/free-spoken-digit-dataset'), "
        f"or put its recordings/ folder at {str(recordings)!r}."
    )
    if not download_if_missing:
        raise OSError(f"FSDD is not in the cache {str(dataset_dir)!r}. {local_hint}")

    sums = _read_checksums(checksums)
    dataset_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".fsdd-download-", dir=dataset_dir))
    try:
        archive = workdir / "fsdd.tar.gz"
        try:
            _download(url, archive, timeout, verbose)
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts: OSErrors
            reason = getattr(exc, "reason", exc)
            raise OSError(f"could not download FSDD from {url}: {reason}. {local_hint}") from exc
        extracted = workdir / "recordings"
        extracted.mkdir()
        try:
            _extract_recordings(archive, extracted, sums)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise OSError(
                f"the download from {url} is corrupt or incomplete and was deleted: {exc}. "
                f"{local_hint}"
            ) from exc
        try:
            os.rename(extracted, recordings)  # atomic: the folder appears complete or not at all
        except OSError:
            if not recordings.is_dir():  # another process may have finished first
                raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return load_fsdd(dataset_dir, verbose=verbose)

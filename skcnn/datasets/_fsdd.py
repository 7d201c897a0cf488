"""The Free Spoken Digit Dataset: load a local copy, or download it once.

:func:`load_fsdd` and :func:`fetch_fsdd` are public through
:mod:`skcnn.datasets`. The SHA-256 list of the 3,000 recordings ships with
skcnn (``skcnn/datasets/data/fsdd_SHA256SUMS``); downloading, verifying and the atomic
install are :mod:`skcnn.datasets._fetch`'s.
"""

import re
import tarfile
import zlib
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._audio_files import _read_files
from ._fetch import (
    _check_fetch_params, _fetch_into, _read_sha256sums, _VerifiedWriter, get_data_home,
)

__all__ = ["FSDD_URL", "fetch_fsdd", "load_fsdd"]

#: Archive of the Free Spoken Digit Dataset's public repository at tag v1.0.10.
FSDD_URL = (
    "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz"
)

#: The archive's hash for pooch (``"sha256:<hex>"``), None where not known; here
#: GitHub makes tag archives on request and does not promise the same bytes twice.
#: Every extracted recording is checked against the shipped SHA-256 list either way.
_FSDD_ARCHIVE_HASH = None

_FSDD_NAME = re.compile(r"^(?P<digit>[0-9])_(?P<speaker>[A-Za-z]+)_(?P<index>[0-9]+)\.wav$")
_FSDD_SR = 8000
_FSDD_N_TEST_INDICES = 5  # official split: recordings with index 0-4 are the test set


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
        follow the pattern, a file cannot be read, is truncated, holds NaN or
        infinite samples or is not at 8 kHz.

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


def _read_checksums(checksums):
    """``{file name: sha256 hex}`` from a mapping, a sha256sum-format file, or None (FSDD's)."""
    return _read_sha256sums(checksums, "fsdd_SHA256SUMS")


def _extract_recordings(archive, destination, checksums):
    """Extract the archive's ``recordings/*.wav`` into ``destination``, verifying each."""
    writer = _VerifiedWriter(destination, checksums)
    with tarfile.open(archive, mode="r:*") as tar:
        for member in tar:
            parts = Path(member.name).parts
            if member.isfile() and len(parts) >= 2 and parts[-2] == "recordings":
                writer.add(member.name, tar.extractfile(member).read)
    writer.finish()


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
    _check_fetch_params(url, timeout)
    dataset_dir = get_data_home(data_home) / "fsdd"
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
    _fetch_into(
        recordings, url=url, archive_name="fsdd.tar.gz",
        extract=lambda archive, folder: _extract_recordings(archive, folder, sums),
        corrupt_errors=(tarfile.TarError, EOFError, zlib.error), dataset="FSDD",
        local_hint=local_hint, timeout=timeout, verbose=verbose,
        known_hash=_FSDD_ARCHIVE_HASH,
    )
    return load_fsdd(dataset_dir, verbose=verbose)

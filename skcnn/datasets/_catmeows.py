"""CatMeows, cat vocalisations in three contexts: load a local copy, or download it once.

:func:`load_catmeows` and :func:`fetch_catmeows` are public through
:mod:`skcnn.datasets`. The SHA-256 list of the 440 recordings ships with
skcnn (``skcnn/datasets/data/catmeows_SHA256SUMS``); downloading, verifying and the
atomic install are :mod:`skcnn.datasets._fetch`'s, reading files
:mod:`skcnn.datasets._audio_files`'s.
"""

import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
from sklearn.utils import Bunch

from ._audio_files import _check_loader_params, _is_listed, _read_files
from ._fetch import (
    _check_fetch_params, _fetch_into, _read_sha256sums, _VerifiedWriter, get_data_home,
)

__all__ = ["CATMEOWS_URL", "fetch_catmeows", "load_catmeows"]

#: The recordings' archive in Zenodo record 4008297 (CatMeows v1.0.2): ``dataset.zip``,
#: the 440 WAV files in one folder, ``dataset/``.
CATMEOWS_URL = "https://zenodo.org/records/4008297/files/dataset.zip?download=1"

#: The archive's hash for pooch (``"sha256:<hex>"``), None where not known; here
#: no copy of Zenodo's dataset.zip was at hand to hash.
#: Every extracted recording is checked against the shipped SHA-256 list either way.
_CATMEOWS_ARCHIVE_HASH = None

#: Context letter of a file name -> class name.
_CONTEXTS = {"B": "brushing", "F": "waiting_for_food", "I": "isolation"}
_TARGET_NAMES = sorted(_CONTEXTS.values())

_CATMEOWS_NAME = re.compile(
    r"^(?P<context>[A-Z])_(?P<cat>[A-Z0-9]+)_(?P<breed>[A-Z]{2})_(?P<sex>[A-Z]{2})"
    r"_(?P<owner>[A-Z0-9]+)_(?P<session>[0-9])(?P<counter>[0-9]{2})\.(?:wav|WAV)$"
)
_NAMING = (
    "C_CATID_BREED_SEX_OWNER_RXX.wav with the context C one of B (brushing), "
    "I (isolation), F (waiting_for_food), e.g. B_ANI01_MC_FN_SIM01_101.wav"
)

DESCR = """\
CatMeows: a dataset of cat vocalizations
----------------------------------------

440 meows of 21 cats (Maine Coon and European Shorthair) in three contexts:
brushing (127), isolation in an unfamiliar environment (221) and waiting for
food (92). Mono WAV, 8 kHz, 16-bit, 1.1 to 4.0 s each. File names
C_CATID_BREED_SEX_OWNER_RXX.wav give the context C (the label), the cat, its
breed and sex, the owner, the recording session R and a counter XX.

Clips of one cat are alike: evaluate with folds grouped by cat (``groups``,
e.g. sklearn's StratifiedGroupKFold), never a plain shuffled split.

Licence: Creative Commons Attribution 4.0 International (CC BY 4.0).
Credit: L. A. Ludovico, S. Ntalampiras, G. Presti, S. Cannas, M. Battini and
S. Mattiello, "CatMeows: A Publicly-Available Dataset of Cat Vocalizations",
MultiMedia Modeling (MMM 2021), LNCS 12573, pp. 230-243;
https://doi.org/10.5281/zenodo.4008297
"""


def _catmeows_files(path):
    """The recordings under ``path`` (in it or in its sub-folders), checked and sorted.

    Returns a list of ``(label, name, cat, file)``.
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(
            f"path={str(path)!r} is not a folder; pass the folder holding the CatMeows "
            "WAV files, directly or in sub-folders (one per context, or the archive's "
            "dataset/)"
        )
    folders = [root] + sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    entries, seen = [], {}
    for folder in folders:
        for file in sorted(folder.iterdir()):
            name = file.name
            if not _is_listed(file, (".wav",)):
                continue
            match = _CATMEOWS_NAME.match(name)
            if match is None or match["context"] not in _CONTEXTS:
                raise ValueError(f"file {str(file)!r} does not follow CatMeows' naming {_NAMING}")
            context = _CONTEXTS[match["context"]]
            if folder != root and folder.name in _CONTEXTS.values() and folder.name != context:
                raise ValueError(
                    f"file {str(file)!r} is in the folder {folder.name!r}, but its context "
                    f"letter {match['context']!r} says {context!r}; move it to {context}/ "
                    "or correct its name"
                )
            if name in seen:
                raise ValueError(
                    f"recording {name!r} is there twice, as {str(seen[name])!r} and "
                    f"{str(file)!r}; keep one copy, or every clip of it counts twice"
                )
            seen[name] = file
            entries.append((_TARGET_NAMES.index(context), name, match["cat"], file))
    if not entries:
        raise ValueError(
            f"no CatMeows recordings (C_CATID_BREED_SEX_OWNER_RXX.wav) found in "
            f"{str(root)!r} or its sub-folders"
        )
    entries.sort(key=lambda entry: entry[:2])
    return entries


def load_catmeows(path, *, sr=None, verbose=False, on_error="raise"):
    """Load CatMeows, cat vocalisations in three contexts, from a local copy.

    CatMeows (Ludovico et al., 2021) holds 440 meows of 21 cats recorded while
    brushed by their owner, isolated in an unfamiliar room, or waiting for
    food: short (1.1 to 4.0 s), noisy 8 kHz mono WAV files named
    ``C_CATID_BREED_SEX_OWNER_RXX.wav``, e.g. ``B_ANI01_MC_FN_SIM01_101.wav``.
    The label is the context letter C (B brushing, I isolation, F waiting for
    food), so any layout works: the archive's one folder of 440 files, or one
    folder per context. Clips of one cat are alike: split by ``groups`` (the
    cat), e.g. with :class:`~sklearn.model_selection.StratifiedGroupKFold`.
    The data are licensed CC BY 4.0; see ``DESCR`` for the credit.

    Parameters
    ----------
    path : str or path-like
        A folder holding the WAV files, directly or in its sub-folders (one
        level down, e.g. ``dataset/`` or ``brushing/``, ``isolation/``,
        ``waiting_for_food/``). Hidden files and folders are ignored.
    sr : int or None, default=None
        Sample rate in Hz to resample every clip to (with
        :func:`librosa.resample`); None keeps the files' own (8000 Hz).
    verbose : bool, default=False
        Show a progress bar while reading.
    on_error : {"raise", "warn"}, default="raise"
        What to do with a file that cannot be read, is truncated or holds NaN
        or infinite samples: raise a
        ValueError naming it, or skip it with a warning naming it.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : list of ndarray of shape (n_samples,), dtype float32
            The recordings; their lengths differ.
        target : ndarray of shape (n_clips,), dtype int64
            The context, as an index into ``target_names``.
        target_names : list of str
            ``["brushing", "isolation", "waiting_for_food"]`` (sorted).
        groups : ndarray of shape (n_clips,), dtype object
            The cat of each clip, e.g. ``"ANI01"``: the groups for
            group-aware cross-validation.
        filenames : ndarray of shape (n_clips,), dtype object
            Path of each recording's file.
        sr : int
            Sample rate of the clips in Hz.
        DESCR : str
            A description of the dataset, its licence and credit.

        Recordings are sorted by context, then file name.

    Raises
    ------
    ValueError
        If ``path`` is not a folder or holds no CatMeows recordings, a
        ``.wav`` file's name does not follow the pattern, a file sits in a
        context folder its letter disagrees with (``B_...`` in
        ``isolation/``), a recording is there twice, or a file cannot be read
        or is truncated (with ``on_error="raise"``).

    See Also
    --------
    fetch_catmeows : Download the dataset once, verify it, and load it.
    load_audio_folder : Load any folder with one sub-folder per class.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, soundfile as sf
    >>> from skcnn.datasets import load_catmeows
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["I_ANI01_MC_FN_SIM01_101.wav", "B_CAN01_EU_FN_GIA01_302.wav"]:
    ...     sf.write(root / name, np.zeros(8000), 8000)
    >>> meows = load_catmeows(root)
    >>> meows.target.tolist(), meows.groups.tolist(), meows.sr
    ([0, 1], ['CAN01', 'ANI01'], 8000)
    """
    _check_loader_params(sr, on_error)
    entries = _catmeows_files(path)
    target, _, groups, files = (list(column) for column in zip(*entries))
    data, kept, rate = _read_files(
        files, sr=sr, mono=True, res_type="soxr_hq", on_error=on_error,
        verbose=verbose, desc="Reading CatMeows",
    )
    if not data:
        raise ValueError(
            f"none of the {len(files)} CatMeows recordings in {str(path)!r} could be read"
        )
    return Bunch(
        data=data,
        target=np.asarray(target, dtype=np.int64)[kept],
        target_names=list(_TARGET_NAMES),
        groups=np.asarray(groups, dtype=object)[kept],
        filenames=np.asarray([str(f) for f in files], dtype=object)[kept],
        sr=rate,
        DESCR=DESCR,
    )


def _read_checksums(checksums):
    """``{file name: sha256 hex}``; None reads the list of the 440 recordings shipped with skcnn."""
    return _read_sha256sums(checksums, "catmeows_SHA256SUMS")


def _extract_recordings(archive, destination, checksums):
    """Extract the zip's expected WAV files (in any folder) into ``destination``, verifying each.

    macOS resource forks (``__MACOSX/``) are skipped; names not in
    ``checksums`` are ignored.
    """
    writer = _VerifiedWriter(destination, checksums)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir() or PurePosixPath(info.filename).parts[:1] == ("__MACOSX",):
                continue
            writer.add(info.filename, lambda info=info: zf.read(info))
    writer.finish()


def fetch_catmeows(
    data_home=None, *, download_if_missing=True, url=CATMEOWS_URL, checksums=None,
    timeout=30.0, verbose=False,
):
    """Load CatMeows, downloading it once if needed.

    On first use, downloads ``dataset.zip`` (about 14 MB) from Zenodo record
    4008297 to a temporary file, extracts its WAV files, verifies every one
    against the SHA-256 list shipped with skcnn, and only then moves the
    folder into place, as ``<data_home>/catmeows/dataset``; the archive is
    then deleted. A partial, corrupt or tampered download is deleted and
    never used. Later calls read the cache without network access. The result
    is that of :func:`load_catmeows`.

    Parameters
    ----------
    data_home : str, path-like or None, default=None
        The cache folder; see :func:`get_data_home` (default ``~/skcnn_data``,
        or the ``SKCNN_DATA`` environment variable).
    download_if_missing : bool, default=True
        If False, raise an OSError instead of downloading when the data are not
        in the cache.
    url : str, default=CATMEOWS_URL
        Where to download the archive (a ``.zip`` holding the WAV files, in any
        folder) from; ``file://`` URLs work too.
    checksums : dict, str, path-like or None, default=None
        The recordings to expect: a mapping from file name to SHA-256 hex digest,
        or a file in ``sha256sum`` format. None uses the list of the 440
        recordings of v1.0.2 shipped with skcnn.
    timeout : float, default=30.0
        Seconds to wait for the server at each step before giving up.
    verbose : bool, default=False
        Show progress bars while downloading and reading.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As returned by :func:`load_catmeows`.

    Raises
    ------
    OSError
        If the download fails (e.g. no network), is incomplete or corrupt, or a
        recording does not match its checksum; or if the data are not cached
        and ``download_if_missing=False``. The message says how to load a local
        copy with :func:`load_catmeows` instead.

    See Also
    --------
    load_catmeows : Load a local copy of the dataset.

    Examples
    --------
    >>> from skcnn.datasets import fetch_catmeows
    >>> meows = fetch_catmeows()  # doctest: +SKIP
    >>> len(meows.data), meows.sr, len(set(meows.groups))  # doctest: +SKIP
    (440, 8000, 21)
    """
    _check_fetch_params(url, timeout)
    dataset_dir = get_data_home(data_home) / "catmeows"
    recordings = dataset_dir / "dataset"
    if recordings.is_dir():
        return load_catmeows(recordings, verbose=verbose)

    local_hint = (
        "If you have a copy of the dataset (e.g. dataset.zip from "
        "https://zenodo.org/records/4008297, unzipped), load it with "
        "skcnn.datasets.load_catmeows('/path/to/catmeows'), "
        f"or put its WAV files in {str(recordings)!r}."
    )
    if not download_if_missing:
        raise OSError(f"CatMeows is not in the cache {str(dataset_dir)!r}. {local_hint}")

    sums = _read_checksums(checksums)
    _fetch_into(
        recordings, url=url, archive_name="dataset.zip",
        extract=lambda archive, folder: _extract_recordings(archive, folder, sums),
        corrupt_errors=(zipfile.BadZipFile, EOFError, zlib.error), dataset="CatMeows",
        local_hint=local_hint, timeout=timeout, verbose=verbose,
        known_hash=_CATMEOWS_ARCHIVE_HASH,
    )
    return load_catmeows(recordings, verbose=verbose)

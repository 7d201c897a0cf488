"""Downloading a dataset once: the cache folder, checksum lists, an atomic install.

Shared by the fetchers (:mod:`skcnn.datasets._fsdd`, :mod:`skcnn.datasets._catmeows`); imports
nothing of skcnn. :func:`get_data_home` is public through
:mod:`skcnn.datasets`.

A fetcher downloads an archive into a temporary folder beside the cache,
extracts and verifies the recordings it expects there, and only then renames
the folder into place, so the cache holds a complete, verified copy or
nothing: :func:`_fetch_into` does that for any archive and extractor. The
download itself is pooch's (retries, progress bar, the archive's hash when
one is known); ``file://`` URLs, which pooch's downloaders refuse, are copied
by :func:`_file_downloader`.
"""

import hashlib
import http.client
import logging
import os
import shutil
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Mapping
from contextlib import contextmanager
from importlib import resources
from numbers import Real
from pathlib import Path, PurePosixPath

import pooch

__all__ = ["get_data_home"]


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


def _read_sha256sums(checksums, shipped):
    """``{file name: sha256 hex}`` from a mapping, a sha256sum-format file, or None.

    None reads ``skcnn/datasets/data/<shipped>``. Names are reduced to their base name:
    the lists give paths (``recordings/0_george_0.wav``,
    ``brushing/B_ANI01_MC_FN_SIM01_101.wav``), archives differ in folders.
    """
    if isinstance(checksums, Mapping):
        return {Path(name).name: digest.lower() for name, digest in checksums.items()}
    if checksums is None:
        text = resources.files("skcnn.datasets").joinpath("data").joinpath(shipped).read_text()
    else:
        text = Path(checksums).read_text()
    sums = {}
    for line in text.splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[Path(name.strip().lstrip("*")).name] = digest.lower()
    return sums


def _check_fetch_params(url, timeout):
    if not isinstance(timeout, Real) or isinstance(timeout, bool) or not timeout > 0:
        raise ValueError(f"timeout={timeout!r} must be a positive number of seconds")
    schemes = ("http", "https", "file")
    if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in schemes:
        raise ValueError(f"url={url!r} must be an http://, https:// or file:// URL")


#: Further tries of a download that failed on the network (pooch waits 1 s, 2 s, ... between).
_RETRIES = 1


def _file_downloader(url, output_file, pooch=None):
    """Copy a ``file://`` URL's file to ``output_file``: a downloader for pooch.

    pooch's own downloaders take HTTP(S), FTP, SFTP and DOI URLs only; this one
    has their signature ``(url, output_file, pooch)``, so that a local archive
    (a mirror, or the tests' archives) goes through the same fetch.
    ``output_file`` is a path or an open binary file.
    """
    path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    try:
        source = open(path, "rb")
    except OSError as exc:
        raise OSError(f"cannot read the file {str(path)!r} of {url}: {exc.strerror}") from exc
    with source:
        if hasattr(output_file, "write"):
            shutil.copyfileobj(source, output_file)
        else:
            with open(output_file, "wb") as out:
                shutil.copyfileobj(source, out)


@contextmanager
def _pooch_log(verbose):
    """pooch's logger at INFO (what it downloads where) if ``verbose``, else WARNING."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _download(url, destination, timeout, verbose, known_hash=None):
    """Download ``url`` to the file ``destination`` with pooch; raise if incomplete.

    pooch retries a failed download :data:`_RETRIES` times, checks the archive
    against ``known_hash`` (``"sha256:<hex>"`` or another of pooch's forms;
    None checks nothing) and shows a progress bar if ``verbose``. ``file://``
    URLs go through :func:`_file_downloader`.
    """
    destination = Path(destination)
    if urllib.parse.urlsplit(url).scheme == "file":
        downloader = _file_downloader
    else:  # requests; an announced length not received raises (urllib3 enforces it)
        downloader = pooch.HTTPDownloader(progressbar=bool(verbose), timeout=timeout)
    fetcher = pooch.create(
        path=destination.parent, base_url="", registry={destination.name: known_hash},
        urls={destination.name: url}, retry_if_failed=_RETRIES,
    )
    with _pooch_log(verbose):
        fetcher.fetch(destination.name, downloader=downloader)


class _VerifiedWriter:
    """Writes archive members that are expected recordings, each checked first.

    ``add(member_path, read)`` keeps a member whose base name is in
    ``checksums`` (``read()`` gives its bytes) under that base name in
    ``destination``, so no path in the archive can write outside it; others
    are ignored. ``finish()`` raises if any expected recording never came.
    """

    def __init__(self, destination, checksums):
        self.destination = Path(destination)
        self.checksums = checksums
        self.found = set()

    def add(self, member_path, read):
        name = PurePosixPath(member_path).name
        if name not in self.checksums:
            return
        content = read()
        if hashlib.sha256(content).hexdigest() != self.checksums[name]:
            raise OSError(f"recording {name!r} in the download does not match its SHA-256")
        (self.destination / name).write_bytes(content)
        self.found.add(name)

    def finish(self):
        missing = sorted(set(self.checksums) - self.found)
        if missing:
            raise OSError(
                f"the download lacks {len(missing)} of the {len(self.checksums)} recordings, "
                f"e.g. {missing[0]!r}"
            )


def _fetch_into(
    target, *, url, archive_name, extract, corrupt_errors, dataset, local_hint, timeout,
    verbose, known_hash=None,
):
    """Download ``url``, ``extract(archive, folder)`` it, then rename the folder to ``target``.

    The download is pooch's (:func:`_download`), checked against
    ``known_hash`` when one is known. ``extract`` fills the (new, empty)
    folder with verified recordings or raises; an exception of
    ``corrupt_errors`` (or OSError) there means a bad download. Everything is
    built in a temporary folder beside ``target``, deleted whatever happens;
    ``target`` appears complete or not at all. Messages name ``dataset`` and
    the URL, and end with ``local_hint``.
    """
    parent = Path(target).parent
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{Path(target).name}-download-", dir=parent))
    try:
        archive = workdir / archive_name
        try:
            _download(url, archive, timeout, verbose, known_hash=known_hash)
        except ValueError as exc:  # pooch: the archive does not match known_hash
            raise OSError(
                f"the download from {url} is corrupt or incomplete and was deleted: {exc} "
                f"{local_hint}"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            # requests' errors (connection, timeout, HTTP status, cut short) are OSErrors
            reason = getattr(exc, "reason", exc)
            raise OSError(
                f"could not download {dataset} from {url}: {reason}. {local_hint}"
            ) from exc
        extracted = workdir / "extracted"
        extracted.mkdir()
        try:
            extract(archive, extracted)
        except (*corrupt_errors, OSError) as exc:
            raise OSError(
                f"the download from {url} is corrupt or incomplete and was deleted: {exc}. "
                f"{local_hint}"
            ) from exc
        try:
            os.rename(extracted, target)  # atomic: the folder appears complete or not at all
        except OSError:
            if not Path(target).is_dir():  # another process may have finished first
                raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

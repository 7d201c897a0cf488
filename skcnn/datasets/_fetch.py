"""Downloading a dataset once: the cache folder, checksum lists, an atomic install.

Shared by the fetchers (:mod:`skcnn.datasets._fsdd`, :mod:`skcnn.datasets._catmeows`); imports
nothing of skcnn. :func:`get_data_home` is public through
:mod:`skcnn.datasets`.

A fetcher downloads an archive into a temporary folder beside the cache,
extracts and verifies the recordings it expects there, and only then renames
the folder into place, so the cache holds a complete, verified copy or
nothing: :func:`_fetch_into` does that for any archive and extractor.
"""

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Mapping
from importlib import resources
from numbers import Real
from pathlib import Path, PurePosixPath

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


def _download(url, destination, timeout, verbose, desc="Downloading"):
    """Stream ``url`` into the file ``destination``; raise OSError if incomplete."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(destination, "wb") as out:
        expected = response.headers.get("Content-Length") if response.headers else None
        expected = int(expected) if expected and expected.isdigit() else None
        bar = None
        if verbose:
            try:
                from tqdm.auto import tqdm

                bar = tqdm(total=expected, unit="B", unit_scale=True, desc=desc)
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
    verbose,
):
    """Download ``url``, ``extract(archive, folder)`` it, then rename the folder to ``target``.

    ``extract`` fills the (new, empty) folder with verified recordings or
    raises; an exception of ``corrupt_errors`` (or OSError) there means a bad
    download. Everything is built in a temporary folder beside ``target``,
    deleted whatever happens; ``target`` appears complete or not at all.
    Messages name ``dataset`` and end with ``local_hint``.
    """
    parent = Path(target).parent
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{Path(target).name}-download-", dir=parent))
    try:
        archive = workdir / archive_name
        try:
            _download(url, archive, timeout, verbose, desc=f"Downloading {dataset}")
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts: OSErrors
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

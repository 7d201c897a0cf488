"""Tests for load_catmeows and fetch_catmeows (offline: archives are built here).

No CatMeows recording is kept in the repository: the loader's tests write
synthetic WAV files under CatMeows names, and the shared copy beside the
project (``../shared/data/catmeows``) is read where it exists.
"""

import hashlib
import http.server
import re
import threading
import time
import zipfile
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from skcnn.datasets._catmeows import _read_checksums
from skcnn.datasets import CATMEOWS_URL, fetch_catmeows, get_data_home, load_catmeows

SR = 8000
TARGET_NAMES = ["brushing", "isolation", "waiting_for_food"]
FOLDER = {"B": "brushing", "I": "isolation", "F": "waiting_for_food"}

# (name, seconds): every context, a cat in two contexts, session 4 as in the real set
SYNTHETIC = [
    ("B_ANI01_MC_FN_SIM01_101.wav", 1.2),
    ("B_CAN01_EU_FN_GIA01_302.wav", 0.9),
    ("I_ANI01_MC_FN_SIM01_102.wav", 1.5),
    ("I_BLE01_EU_FN_DEL01_401.wav", 0.6),
    ("F_BAC01_MC_MN_SIM01_101.wav", 1.0),
]


def _meow(seconds, seed):
    """A rising, fading tone with a little noise: a stand-in for a meow."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    freq = 500 + 300 * t / seconds
    clip = 0.5 * np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.hanning(t.size)
    return (clip + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def _write(folder, layout):
    """SYNTHETIC written as the archive does (``"flat"``) or one folder per context."""
    for i, (name, seconds) in enumerate(SYNTHETIC):
        sub = folder if layout == "flat" else folder / FOLDER[name[0]]
        sub.mkdir(parents=True, exist_ok=True)
        sf.write(sub / name, _meow(seconds, i), SR, subtype="PCM_16")
    return folder


@pytest.fixture
def flat(tmp_path):
    return _write(tmp_path / "flat", "flat")


@pytest.fixture
def by_context(tmp_path):
    return _write(tmp_path / "by_context", "by_context")


# --------------------------------------------------------------------------------------
# the shared copy
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def meows(catmeows_dir):
    return load_catmeows(catmeows_dir)


def test_load_catmeows_shared_copy(meows, catmeows_dir):
    assert len(meows.data) == len(meows.target) == len(meows.filenames) == 440
    assert meows.sr == 8000
    assert meows.target_names == TARGET_NAMES
    assert meows.target.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(meows.target), [127, 221, 92])
    assert len(set(meows.groups)) == 21
    for name, label, cat in zip(meows.filenames, meows.target, meows.groups):
        path = Path(name)
        letter, cat_in_name = path.name.split("_")[:2]
        assert cat == cat_in_name
        assert meows.target_names[label] == FOLDER[letter] == path.parent.name
    # the README's structure: 10 cats in all three contexts, 8 in two, 3 in one
    contexts = Counter(len(set(meows.target[meows.groups == cat])) for cat in set(meows.groups))
    assert contexts == {3: 10, 2: 8, 1: 3}
    seconds = np.array([clip.size for clip in meows.data]) / meows.sr
    assert 1.0 < seconds.min() < 1.2 and 3.9 < seconds.max() < 4.1
    assert all(clip.dtype == np.float32 and clip.ndim == 1 for clip in meows.data)
    assert max(np.abs(clip).max() for clip in meows.data) <= 1.0
    assert "CC BY 4.0" in meows.DESCR and "Ludovico" in meows.DESCR


def test_shipped_checksums_match_the_shared_copy(catmeows_dir):
    shipped = _read_checksums(None)
    assert shipped == _read_checksums(catmeows_dir / "SHA256SUMS")
    assert len(shipped) == 440
    files = sorted(catmeows_dir.glob("*/*.wav"))
    assert sorted(f.name for f in files) == sorted(shipped)
    for f in files:
        assert hashlib.sha256(f.read_bytes()).hexdigest() == shipped[f.name], f.name


def test_checksum_list_ships_with_the_package():
    # setup.cfg's package_data (skcnn.datasets = data/*) takes every file in skcnn/datasets/data
    shipped = resources.files("skcnn.datasets").joinpath("data").joinpath("catmeows_SHA256SUMS")
    assert shipped.is_file()
    assert len(_read_checksums(None)) == 440
    assert "skcnn.datasets = data/*" in (Path(__file__).resolve().parents[2] / "setup.cfg").read_text()


# --------------------------------------------------------------------------------------
# load_catmeows on synthetic files
# --------------------------------------------------------------------------------------


def test_load_catmeows_labels_groups_and_order(flat):
    bunch = load_catmeows(flat)
    names = [Path(f).name for f in bunch.filenames]
    # sorted by context, then name; labels from the letter, groups from the cat id
    assert names == [
        "B_ANI01_MC_FN_SIM01_101.wav", "B_CAN01_EU_FN_GIA01_302.wav",
        "I_ANI01_MC_FN_SIM01_102.wav", "I_BLE01_EU_FN_DEL01_401.wav",
        "F_BAC01_MC_MN_SIM01_101.wav",
    ]
    np.testing.assert_array_equal(bunch.target, [0, 0, 1, 1, 2])
    assert bunch.groups.tolist() == ["ANI01", "CAN01", "ANI01", "BLE01", "BAC01"]
    assert bunch.target_names == TARGET_NAMES and bunch.sr == SR
    seconds = dict(SYNTHETIC)
    for name, clip in zip(names, bunch.data):
        assert clip.dtype == np.float32 and clip.size == int(seconds[name] * SR)


def test_layouts_give_the_same_dataset(flat, by_context, tmp_path):
    """The archive's one folder, that folder's parent, and one folder per context."""
    archive_root = tmp_path / "unzipped"
    (archive_root / "dataset").mkdir(parents=True)
    for f in flat.iterdir():
        (archive_root / "dataset" / f.name).write_bytes(f.read_bytes())
    bunches = [load_catmeows(p) for p in (flat, archive_root, by_context)]
    for other in bunches[1:]:
        np.testing.assert_array_equal(other.target, bunches[0].target)
        np.testing.assert_array_equal(other.groups, bunches[0].groups)
        assert [Path(f).name for f in other.filenames] == [
            Path(f).name for f in bunches[0].filenames
        ]
        for a, b in zip(other.data, bunches[0].data):
            np.testing.assert_array_equal(a, b)


def test_load_catmeows_ignores_clutter(by_context):
    (by_context / "README.md").write_text("not a recording")
    (by_context / "brushing" / "notes.txt").write_text("not a recording")
    (by_context / "brushing" / "._B_ANI01_MC_FN_SIM01_101.wav").write_bytes(b"\x00\x05\x16\x07")
    (by_context / ".hidden").mkdir()
    (by_context / ".hidden" / "hello.wav").write_bytes(b"not read")
    assert len(load_catmeows(by_context).data) == len(SYNTHETIC)


def test_load_catmeows_resamples(flat):
    bunch = load_catmeows(flat, sr=16000)
    assert bunch.sr == 16000
    seconds = dict(SYNTHETIC)
    for name, clip in zip(bunch.filenames, bunch.data):
        assert clip.size == int(seconds[Path(name).name] * 16000)


def test_load_catmeows_verbose(flat, capsys):
    load_catmeows(flat, verbose=True)
    assert "Reading CatMeows" in capsys.readouterr().err


@pytest.mark.parametrize("name", [
    "hello.wav",
    "X_ANI01_MC_FN_SIM01_101.wav",  # no such context
    "B_ANI01_MC_FN_SIM01.wav",  # no RXX
    "B-ANI01-MC-FN-SIM01-101.wav",
])
def test_load_catmeows_name_that_does_not_parse(flat, name):
    sf.write(flat / name, _meow(0.5, 0), SR)
    with pytest.raises(ValueError, match=rf"file '.*{re.escape(name)}' does not follow "
                       r"CatMeows' naming C_CATID_BREED_SEX_OWNER_RXX\.wav .*B \(brushing\), "
                       r"I \(isolation\), F \(waiting_for_food\)"):
        load_catmeows(flat)


def test_load_catmeows_folder_disagreeing_with_the_letter(by_context):
    src = by_context / "brushing" / "B_CAN01_EU_FN_GIA01_302.wav"
    src.rename(by_context / "isolation" / src.name)
    with pytest.raises(ValueError, match=r"isolation/B_CAN01_EU_FN_GIA01_302\.wav' is in the "
                       r"folder 'isolation', but its context letter 'B' says 'brushing'"):
        load_catmeows(by_context)


def test_load_catmeows_recording_twice(by_context):
    """A copy in the archive's folder and in a context folder would count twice."""
    (by_context / "dataset").mkdir()
    name = "F_BAC01_MC_MN_SIM01_101.wav"
    original = by_context / "waiting_for_food" / name
    (by_context / "dataset" / name).write_bytes(original.read_bytes())
    with pytest.raises(ValueError, match=rf"recording '{name}' is there twice, as .* and .*; keep "
                       r"one copy"):
        load_catmeows(by_context)


def test_load_catmeows_truncated_recording(flat):
    cut = flat / "I_BLE01_EU_FN_DEL01_401.wav"
    content = cut.read_bytes()
    cut.write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match=r"I_BLE01_EU_FN_DEL01_401\.wav.* is truncated or damaged; "
                       r"its header declares 4800 frames but only \d+ could be read"):
        load_catmeows(flat)
    with pytest.warns(UserWarning, match=r"skipping .*I_BLE01_EU_FN_DEL01_401\.wav"):
        bunch = load_catmeows(flat, on_error="warn")
    assert len(bunch.data) == len(bunch.target) == len(bunch.groups) == len(bunch.filenames) == 4
    assert "BLE01" not in bunch.groups
    np.testing.assert_array_equal(bunch.target, [0, 0, 1, 2])


def test_load_catmeows_dangling_symlink_is_named(flat):
    gone = flat / "F_BAC01_MC_MN_SIM01_101.wav"
    gone.unlink()
    gone.symlink_to(flat / "elsewhere" / gone.name)  # used to vanish from the dataset silently
    with pytest.raises(ValueError, match=r"F_BAC01_MC_MN_SIM01_101\.wav.*symbolic link to "
                       r".*elsewhere.*which does not exist"):
        load_catmeows(flat)
    with pytest.warns(UserWarning, match=r"skipping .*F_BAC01_MC_MN_SIM01_101\.wav"):
        bunch = load_catmeows(flat, on_error="warn")
    assert "BAC01" not in bunch.groups and len(bunch.data) == 4


def test_load_catmeows_non_finite_samples_are_named(flat):
    clip = _meow(0.6, 3)
    clip[0] = np.inf
    sf.write(flat / "I_BLE01_EU_FN_DEL01_401.wav", clip, SR, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"I_BLE01_EU_FN_DEL01_401\.wav.*: 1 of its 4800 samples "
                       r"are NaN or infinite"):
        load_catmeows(flat)
    with pytest.warns(UserWarning, match=r"skipping .*I_BLE01_EU_FN_DEL01_401\.wav"):
        bunch = load_catmeows(flat, on_error="warn")
    assert "BLE01" not in bunch.groups and len(bunch.data) == 4


def test_load_catmeows_nothing_readable(tmp_path):
    for name, _ in SYNTHETIC[:2]:
        (tmp_path / name).write_bytes(b"RIFF\x00\x00not really a wave file")
    with pytest.raises(ValueError, match=r"none of the 2 CatMeows recordings in .* could be read"):
        with pytest.warns(UserWarning, match="skipping"):
            load_catmeows(tmp_path, on_error="warn")


def test_load_catmeows_errors(tmp_path):
    with pytest.raises(ValueError, match=r"path=.*missing.* is not a folder; pass the folder "
                       r"holding the CatMeows WAV files"):
        load_catmeows(tmp_path / "missing")
    (tmp_path / "brushing").mkdir()
    with pytest.raises(ValueError, match=r"no CatMeows recordings \(C_CATID_BREED_SEX_OWNER_RXX"
                       r"\.wav\) found in .* or its sub-folders"):
        load_catmeows(tmp_path)


@pytest.mark.parametrize("params, match", [
    ({"on_error": "ignore"}, r"on_error='ignore' must be 'raise' or 'warn'"),
    ({"sr": 0}, r"sr=0 must be a positive integer"),
])
def test_load_catmeows_parameter_errors(flat, params, match):
    with pytest.raises(ValueError, match=match):
        load_catmeows(flat, **params)


# --------------------------------------------------------------------------------------
# fetch_catmeows, without the internet
# --------------------------------------------------------------------------------------


def _make_archive(path, folder, names=None, tamper=None):
    """A .zip laid out like Zenodo's dataset.zip: the WAV files in one folder, dataset/.

    ``folder`` holds the recordings flat. A README and a macOS resource fork
    (``__MACOSX/dataset/._<name>``) come along, as zips made on a Mac carry.
    """
    names = [f.name for f in sorted(folder.glob("*.wav"))] if names is None else names
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("dataset/", b"")
        zf.writestr("README.txt", b"CatMeows\n")
        for name in names:
            content = (folder / name).read_bytes()
            if name == tamper:
                content = content[:-2] + b"\x00\x01"
            zf.writestr(f"dataset/{name}", content)
            zf.writestr(f"__MACOSX/dataset/._{name}", b"\x00\x05\x16\x07 resource fork")
    return path


def _checksums(folder):
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in folder.glob("*.wav")}


def _leftovers(cache):
    folder = cache / "catmeows"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fetch_catmeows_downloads_verifies_and_caches(flat, tmp_path):
    url = _make_archive(tmp_path / "dataset.zip", flat).as_uri()
    cache = tmp_path / "cache"
    bunch = fetch_catmeows(cache, url=url, checksums=_checksums(flat))
    local = load_catmeows(flat)
    assert [Path(f).name for f in bunch.filenames] == [Path(f).name for f in local.filenames]
    np.testing.assert_array_equal(bunch.target, local.target)
    np.testing.assert_array_equal(bunch.groups, local.groups)
    for a, b in zip(bunch.data, local.data):
        np.testing.assert_array_equal(a, b)
    # only the verified recordings are kept: no archive, temp folder, README or resource fork
    assert _leftovers(cache) == ["dataset"]
    kept = sorted(p.name for p in (cache / "catmeows" / "dataset").iterdir())
    assert kept == sorted(_checksums(flat))
    # the second call reads the cache and never touches the network
    again = fetch_catmeows(cache, url="http://127.0.0.1:9/", checksums=_checksums(flat))
    np.testing.assert_array_equal(again.filenames, bunch.filenames)


def test_fetch_catmeows_checksum_file_and_env_var(flat, tmp_path, monkeypatch):
    url = _make_archive(tmp_path / "dataset.zip", flat).as_uri()
    sums = tmp_path / "SHA256SUMS"  # the shared copy's format: paths under context folders
    sums.write_text("".join(f"{d}  {FOLDER[n[0]]}/{n}\n" for n, d in _checksums(flat).items()))
    monkeypatch.setenv("SKCNN_DATA", str(tmp_path / "env home"))
    assert get_data_home() == tmp_path / "env home"
    bunch = fetch_catmeows(url=url, checksums=sums)
    assert len(bunch.data) == len(SYNTHETIC)
    assert (tmp_path / "env home" / "catmeows" / "dataset").is_dir()


def test_fetch_catmeows_the_real_archive_against_the_shipped_list(catmeows_dir, tmp_path):
    """All 440 shared recordings zipped as Zenodo does, verified by the list in skcnn/datasets/data."""
    flat_copy = tmp_path / "dataset"
    flat_copy.mkdir()
    for f in catmeows_dir.glob("*/*.wav"):
        (flat_copy / f.name).write_bytes(f.read_bytes())
    url = _make_archive(tmp_path / "dataset.zip", flat_copy).as_uri()
    bunch = fetch_catmeows(tmp_path / "cache", url=url)  # checksums=None: the shipped list
    assert len(bunch.data) == 440 and len(set(bunch.groups)) == 21
    np.testing.assert_array_equal(np.bincount(bunch.target), [127, 221, 92])


def test_fetch_catmeows_corrupt_archive_is_not_used(flat, tmp_path):
    archive = _make_archive(tmp_path / "dataset.zip", flat)
    sums = _checksums(flat)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])  # truncated
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=r"corrupt or incomplete and was deleted.*load_catmeows"):
        fetch_catmeows(cache, url=archive.as_uri(), checksums=sums)
    assert _leftovers(cache) == []
    archive.write_bytes(b"PK\x03\x04 garbage, not a zip")
    with pytest.raises(OSError, match=r"corrupt or incomplete"):
        fetch_catmeows(cache, url=archive.as_uri(), checksums=sums)
    assert _leftovers(cache) == []


def test_fetch_catmeows_checksum_mismatch(flat, tmp_path):
    name = "I_ANI01_MC_FN_SIM01_102.wav"
    archive = _make_archive(tmp_path / "dataset.zip", flat, tamper=name)
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=rf"'{name}' in the download does not match its SHA-256"):
        fetch_catmeows(cache, url=archive.as_uri(), checksums=_checksums(flat))
    assert _leftovers(cache) == []


def test_fetch_catmeows_missing_recordings(flat, tmp_path):
    names = [name for name, _ in SYNTHETIC]
    archive = _make_archive(tmp_path / "dataset.zip", flat, names=names[1:])
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=rf"lacks 1 of the 5 recordings, e\.g\. '{names[0]}'"):
        fetch_catmeows(cache, url=archive.as_uri(), checksums=_checksums(flat))
    assert _leftovers(cache) == []


def test_fetch_catmeows_partial_download_is_not_used(flat, tmp_path):
    """A server that announces the whole archive but hangs up halfway."""
    content = _make_archive(tmp_path / "dataset.zip", flat).read_bytes()

    class HalfHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content[: len(content) // 2])
            self.close_connection = True

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), HalfHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/dataset.zip"
        cache = tmp_path / "cache"
        with pytest.raises(OSError, match=r"could not download CatMeows from http://127\.0\.0\.1.*"
                           r"load_catmeows"):
            fetch_catmeows(cache, url=url, checksums=_checksums(flat), timeout=5)
        assert _leftovers(cache) == []
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_catmeows_unreachable_fails_fast(tmp_path):
    cache = tmp_path / "cache"
    start = time.perf_counter()
    with pytest.raises(OSError, match=r"could not download CatMeows from http://127\.0\.0\.1:9/.*"
                       r"zenodo\.org/records/4008297.*"
                       r"skcnn\.datasets\.load_catmeows\('/path/to/catmeows'\)"):
        fetch_catmeows(cache, url="http://127.0.0.1:9/", timeout=2)
    assert time.perf_counter() - start < 5
    assert _leftovers(cache) == []


def test_fetch_catmeows_no_download(tmp_path):
    with pytest.raises(OSError, match=r"CatMeows is not in the cache .*load_catmeows"):
        fetch_catmeows(tmp_path, download_if_missing=False)


def test_fetch_catmeows_parameter_errors(tmp_path):
    with pytest.raises(ValueError, match=r"timeout=0 must be a positive number of seconds"):
        fetch_catmeows(tmp_path, timeout=0)
    with pytest.raises(ValueError, match=r"url='ftp://x/a\.zip' must be an http://, https:// "
                       r"or file:// URL"):
        fetch_catmeows(tmp_path, url="ftp://x/a.zip")


def test_default_url_is_the_zenodo_record():
    assert CATMEOWS_URL.startswith("https://zenodo.org/records/4008297/files/dataset.zip")

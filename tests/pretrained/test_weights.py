"""Fetching and loading checkpoints: good, truncated, tampered and wrong files; nothing downloaded.

Every checkpoint here is written locally with random weights in the layout
the PANNs authors publish (a dict whose 'model' entry is the state dict, the
front end's filters included); fetching reads it through a ``file://`` URL.
"""

import dataclasses
import hashlib
import pickle
import re

import pytest
import torch

from skcnn.modules import PANNsCNN6
from skcnn.pretrained import MODELS, fetch_pretrained, load_pretrained
from skcnn.pretrained import _models


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, checkpoint_writer):
    """A CNN6 checkpoint in the published layout, random weights; (path, network state)."""
    path = tmp_path_factory.mktemp("weights") / "cnn6.pth"
    state = checkpoint_writer(path, "cnn6", seed=0)
    return path, state


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def _assert_equal_state(module, state):
    loaded = module.state_dict()
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key


# --------------------------------------------------------------------------- loading
def test_published_layout_loads_strictly(checkpoint):
    path, state = checkpoint
    module = load_pretrained("cnn6", path)
    assert isinstance(module, PANNsCNN6) and not module.training
    _assert_equal_state(module, state)


def test_plain_state_dict_loads(tmp_path, checkpoint_writer):
    path = tmp_path / "plain.pt"
    state = checkpoint_writer(path, "cnn6", seed=3, layout="plain")
    _assert_equal_state(load_pretrained("cnn6", str(path)), state)


def test_random_weights_follow_torch_seed():
    torch.manual_seed(5)
    a = load_pretrained("cnn6").state_dict()
    torch.manual_seed(5)
    b = load_pretrained("cnn6").state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["fc1.weight"], load_pretrained("cnn6").state_dict()["fc1.weight"])


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.pth"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_pretrained("cnn6", missing)


def test_truncated_file_is_a_clear_error_naming_it(checkpoint, tmp_path):
    path, _ = checkpoint
    cut = tmp_path / "cut.pth"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match=rf"cannot read the checkpoint {re.escape(str(cut))}: "
                                         "it is truncated or corrupt"):
        load_pretrained("cnn6", cut)


def test_file_that_is_no_checkpoint(tmp_path):
    path = tmp_path / "noise.pth"
    path.write_bytes(b"not a checkpoint" * 100)
    with pytest.raises(ValueError, match="cannot read the checkpoint"):
        load_pretrained("cnn6", path)


class _Payload:
    """Unpickling this would run code (``__reduce__``): weights_only refuses it."""

    def __reduce__(self):
        return (print, ("code ran",))


def test_code_in_the_file_is_never_run(tmp_path, capsys):
    path = tmp_path / "evil.pth"
    torch.save({"model": {}, "extra": _Payload()}, path)
    with pytest.raises(ValueError, match="holds objects other than tensors"):
        load_pretrained("cnn6", path)
    assert "code ran" not in capsys.readouterr().out
    path.write_bytes(pickle.dumps(_Payload(), protocol=2))  # a bare pickle: refused the same way
    with pytest.raises(ValueError, match="cannot read the checkpoint"):
        load_pretrained("cnn6", path)
    assert "code ran" not in capsys.readouterr().out


@pytest.mark.parametrize("payload, match", [
    ({"model": {}}, "holds no state dict"),
    ([1, 2, 3], "holds no state dict"),
    ({"model": {"fc1.weight": 3}}, "holds no state dict"),
])
def test_payload_without_a_state_dict(tmp_path, payload, match):
    path = tmp_path / "odd.pth"
    torch.save(payload, path)
    with pytest.raises(ValueError, match=match):
        load_pretrained("cnn6", path)


@pytest.mark.parametrize("edit, match", [
    (lambda s: s.pop("fc1.bias"), r"Missing key\(s\) in state_dict: \"fc1.bias\""),
    (lambda s: s.update(extra=torch.zeros(1)), r"Unexpected key\(s\) in state_dict: \"extra\""),
    (lambda s: s.update({"fc1.weight": torch.zeros(512, 256)}),
     r"size mismatch for fc1.weight"),
])
def test_a_checkpoint_that_does_not_fit_names_file_and_keys(checkpoint, tmp_path, edit, match):
    path, _ = checkpoint
    payload = torch.load(path, weights_only=True)
    edit(payload["model"])
    bad = tmp_path / "bad.pth"
    torch.save(payload, bad)
    with pytest.raises(ValueError, match=rf"(?s)the checkpoint {re.escape(str(bad))} does not "
                                         rf"fit cnn6: .*{match}"):
        load_pretrained("cnn6", bad)


def test_cnn14_checkpoint_does_not_fit_cnn6(checkpoint):
    path, _ = checkpoint
    with pytest.raises(ValueError, match="does not fit cnn14"):
        load_pretrained("cnn14", path)


def test_non_finite_weights_are_refused(checkpoint, tmp_path):
    path, _ = checkpoint
    payload = torch.load(path, weights_only=True)
    payload["model"]["conv_block2.conv1.weight"][0, 0, 0, 0] = float("nan")
    bad = tmp_path / "nan.pth"
    torch.save(payload, bad)
    with pytest.raises(ValueError, match="NaN or infinite values in 'conv_block2.conv1.weight'"):
        load_pretrained("cnn6", bad)


def test_another_front_end_is_refused(checkpoint, tmp_path):
    path, state = checkpoint
    payload = torch.load(path, weights_only=True)
    mel = payload["model"]["logmel_extractor.melW"]
    payload["model"]["logmel_extractor.melW"] = torch.roll(mel, 1, dims=1)  # bands shifted
    other = tmp_path / "other_front_end.pth"
    torch.save(payload, other)
    with pytest.raises(ValueError, match=r"front-end filters logmel_extractor.melW that differ"):
        load_pretrained("cnn6", other)
    _assert_equal_state(load_pretrained("cnn6", other, check_front_end=False), state)


def test_another_stft_is_refused(checkpoint, tmp_path):
    path, _ = checkpoint
    payload = torch.load(path, weights_only=True)
    key = "spectrogram_extractor.stft.conv_imag.weight"
    payload["model"][key] = 2 * payload["model"][key]
    other = tmp_path / "other_stft.pth"
    torch.save(payload, other)
    with pytest.raises(ValueError, match=r"conv_real.weight and .*conv_imag.weight that differ"):
        load_pretrained("cnn6", other)


def test_the_sines_sign_convention_does_not_matter(checkpoint, tmp_path):
    path, state = checkpoint
    payload = torch.load(path, weights_only=True)
    key = "spectrogram_extractor.stft.conv_imag.weight"
    payload["model"][key] = -payload["model"][key]
    flipped = tmp_path / "flipped.pth"
    torch.save(payload, flipped)
    _assert_equal_state(load_pretrained("cnn6", flipped), state)


def test_part_of_a_front_end_is_refused(checkpoint, tmp_path):
    path, _ = checkpoint
    payload = torch.load(path, weights_only=True)
    del payload["model"]["logmel_extractor.melW"]
    partial = tmp_path / "partial.pth"
    torch.save(payload, partial)
    with pytest.raises(ValueError, match=r"but not \['logmel_extractor.melW'\]"):
        load_pretrained("cnn6", partial)


def test_reference_front_end_filters_pass_the_check(tmp_path, checkpoint_writer,
                                                    published_front_end):
    # the filters torchlibrosa (installed) builds as PANNs' models do are the ones skcnn
    # expects: a CNN6 checkpoint holding them loads
    stft = pytest.importorskip("torchlibrosa.stft")
    p = _models.PANNS_FRONT_END
    spectrogram = stft.Spectrogram(n_fft=p["n_fft"], hop_length=p["hop_length"],
                                   win_length=p["n_fft"], window=p["window"], center=True,
                                   pad_mode=p["pad_mode"], freeze_parameters=True)
    logmel = stft.LogmelFilterBank(sr=p["sr"], n_fft=p["n_fft"], n_mels=p["n_mels"],
                                   fmin=p["fmin"], fmax=p["fmax"], ref=1.0, amin=1e-10,
                                   top_db=None, freeze_parameters=True)
    filters = {f"spectrogram_extractor.{k}": v for k, v in spectrogram.state_dict().items()}
    filters |= {f"logmel_extractor.{k}": v for k, v in logmel.state_dict().items()}
    assert set(filters) == set(MODELS["cnn6"].front_end_keys)
    for key, value in published_front_end("cnn6").items():
        assert torch.allclose(filters[key], value, atol=1e-6), key
    path = tmp_path / "reference_filters.pth"
    state = checkpoint_writer(path, "cnn6", seed=4, layout="plain")
    torch.save({"model": {**state, **filters}}, path)
    _assert_equal_state(load_pretrained("cnn6", path), state)


@pytest.mark.parametrize("weights, match", [
    (3, "weights=3 must be None"),
    (["a.pth"], "must be None"),
])
def test_bad_weights_argument(weights, match):
    with pytest.raises(ValueError, match=match):
        load_pretrained("cnn6", weights)


def test_unknown_model_is_named():
    with pytest.raises(ValueError, match=r"model='cnn99' must be one of \['cnn14', 'cnn6'\]"):
        load_pretrained("cnn99")


# --------------------------------------------------------------------------- fetching
def test_every_published_checkpoint_has_an_md5_and_its_record():
    for name, entry in MODELS.items():
        assert re.fullmatch(r"[0-9a-f]{32}", entry.md5), name
        assert entry.url.startswith("https://zenodo.org/record/3987831/files/"), name
        assert entry.url.split("/")[-1].split("?")[0].replace("%3D", "=") == entry.checkpoint


def test_fetch_downloads_once_checked(checkpoint, tmp_path):
    path, state = checkpoint
    source = tmp_path / "mirror" / "cnn6.pth"
    source.parent.mkdir()
    source.write_bytes(path.read_bytes())
    home = tmp_path / "home"
    fetched = fetch_pretrained("cnn6", data_home=home, url=source.as_uri(), md5=_md5(path))
    assert fetched == home / "pretrained" / "Cnn6_mAP=0.343.pth"
    assert fetched.read_bytes() == path.read_bytes()
    _assert_equal_state(load_pretrained("cnn6", fetched), state)
    source.unlink()  # a second call does not download: the cached file is checked and kept
    assert fetch_pretrained("cnn6", data_home=home, url=source.as_uri(), md5=_md5(path)) == fetched


def _cache_is_empty(home):
    folder = home / "pretrained"
    return not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize("damage", ["truncated", "tampered"])
def test_a_bad_download_is_refused_and_not_kept(checkpoint, tmp_path, damage):
    path, _ = checkpoint
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) - 1000]
    else:
        data[len(data) // 2] ^= 0xFF
    source = tmp_path / "bad.pth"
    source.write_bytes(bytes(data))
    home = tmp_path / "home"
    md5 = _md5(path)
    with pytest.raises(OSError, match=rf"downloaded from {re.escape(source.as_uri())} for "
                                      rf".*Cnn6_mAP=0.343.pth does not have the MD5 {md5}"):
        fetch_pretrained("cnn6", data_home=home, url=source.as_uri(), md5=md5)
    assert _cache_is_empty(home)


def test_a_damaged_cached_file_is_downloaded_again(checkpoint, tmp_path):
    path, _ = checkpoint
    home = tmp_path / "home"
    md5 = _md5(path)
    fetched = fetch_pretrained("cnn6", data_home=home, url=path.as_uri(), md5=md5)
    fetched.write_bytes(fetched.read_bytes()[:100])  # e.g. a copy cut short
    again = fetch_pretrained("cnn6", data_home=home, url=path.as_uri(), md5=md5)
    assert again == fetched and _md5(again) == md5


def test_a_missing_source_is_named(tmp_path):
    missing = tmp_path / "gone.pth"
    with pytest.raises(OSError, match=rf"could not download cnn6's checkpoint from "
                                      rf"{re.escape(missing.as_uri())}.*{re.escape(str(missing))}"):
        fetch_pretrained("cnn6", data_home=tmp_path / "home", url=missing.as_uri(), md5="0" * 32)
    assert _cache_is_empty(tmp_path / "home")


@pytest.mark.parametrize("kwargs, match", [
    (dict(md5="abc"), r"md5='abc' must be 32 hexadecimal digits"),
    (dict(md5=""), "must be 32 hexadecimal digits"),
    (dict(url="ftp://example.org/x.pth", md5="0" * 32), "must be an http://, https:// or file://"),
    (dict(timeout=0, md5="0" * 32), "timeout=0 must be a positive number"),
])
def test_bad_fetch_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fetch_pretrained("cnn6", data_home=tmp_path, **kwargs)


def test_published_weights_go_through_fetch(checkpoint, tmp_path, monkeypatch):
    # 'published' fetches the registry's URL with the registry's MD5: pointed at a local
    # copy here; with the wrong MD5 nothing loads
    path, state = checkpoint
    entry = dataclasses.replace(MODELS["cnn6"], url=path.as_uri(), md5=_md5(path))
    monkeypatch.setitem(_models.MODELS, "cnn6", entry)
    _assert_equal_state(load_pretrained("cnn6", "published", data_home=tmp_path), state)
    monkeypatch.setitem(_models.MODELS, "cnn6", dataclasses.replace(entry, md5="f" * 32))
    with pytest.raises(OSError, match="does not have the MD5 f{32}"):
        load_pretrained("cnn6", "published", data_home=tmp_path / "other")

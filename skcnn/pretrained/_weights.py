"""Published weights: downloaded once and checked, read without running code, loaded strictly.

:func:`fetch_pretrained` downloads a checkpoint with pooch into skcnn's data
home and checks it against the hash its publisher gives (MD5 for PANNs'
Zenodo record); pooch writes the download to a temporary file and moves it
into the cache only when the hash matches, so the cache holds the verified
file or nothing. :func:`load_pretrained` builds the network and reads a
checkpoint with ``torch.load(weights_only=True)``, which unpickles tensors,
numbers, strings and containers only: no code in the file runs. The weights
go into a new module with ``strict=True``; any failure raises before the
module is returned, so nothing half-loaded is ever handed out.

The PANNs checkpoints also hold their front end's filters (the STFT's
windowed Fourier kernels and the mel filter bank, as torchlibrosa stores
them). skcnn computes the front end itself; those tensors are not loaded
but compared with the filters skcnn uses, so a checkpoint trained on
another front end is refused rather than fed maps it never saw.
"""

import http.client
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from ..datasets._fetch import _check_fetch_params, _download, get_data_home
from ._models import check_model_name

__all__ = ["fetch_pretrained", "load_pretrained"]

# the filters a checkpoint's front end may differ from skcnn's by: float32 rounding
# of float64 values (torchlibrosa casts librosa's filters), relative to the largest
_FRONT_END_RTOL = 1e-5


def fetch_pretrained(model, *, data_home=None, url=None, md5=None, timeout=60.0, verbose=False):
    """Download a published checkpoint once, checked against its published MD5.

    The file is cached in ``<data_home>/pretrained/``; later calls check the
    cached file's MD5 and return it without downloading. A download that
    does not match (cut short, altered, or another file) is deleted and
    raises: the cache holds the verified file or nothing.

    Parameters
    ----------
    model : {'cnn14', 'cnn6'}
        The network: PANNs' CNN14 (``Cnn14_mAP=0.431.pth``, 327 MB) or CNN6
        (``Cnn6_mAP=0.343.pth``), from Zenodo record 3987831.
    data_home : str, path-like or None, default=None
        skcnn's cache folder (see :func:`skcnn.datasets.get_data_home`).
    url : str, default=None
        Where to download from instead of the published address: an
        ``http://``, ``https://`` or ``file://`` URL (a mirror, a copy on a
        shared disk). The file must still match ``md5``.
    md5 : str, default=None
        The hexadecimal MD5 the file must have; None means the published one.
        There is no way to skip the check.
    timeout : float, default=60.0
        Seconds to wait for the server.
    verbose : bool, default=False
        Show a progress bar and say what is downloaded where.

    Returns
    -------
    path : pathlib.Path
        The verified checkpoint, for :func:`load_pretrained`.

    Raises
    ------
    ValueError
        If ``model``, ``url``, ``md5`` or ``timeout`` is invalid.
    OSError
        If the download fails or does not match ``md5`` (the message names
        the URL and the file; nothing is kept).

    Examples
    --------
    A local copy stands in for Zenodo here (any file, with its own MD5):

    >>> import hashlib, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "copy.pth").write_bytes(b"weights")
    7
    >>> md5 = hashlib.md5(b"weights").hexdigest()
    >>> path = fetch_pretrained("cnn6", data_home=folder / "cache",
    ...                         url=(folder / "copy.pth").as_uri(), md5=md5)
    >>> path.name, path.read_bytes()
    ('Cnn6_mAP=0.343.pth', b'weights')
    """
    entry = check_model_name(model)
    url = entry.url if url is None else url
    md5 = entry.md5 if md5 is None else md5
    if not isinstance(md5, str) or not re.fullmatch(r"[0-9a-fA-F]{32}", md5):
        raise ValueError(f"md5={md5!r} must be 32 hexadecimal digits (an MD5 digest).")
    _check_fetch_params(url, timeout)
    target = get_data_home(data_home) / "pretrained" / entry.checkpoint
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _download(url, target, timeout, verbose, known_hash=f"md5:{md5.lower()}")
    except ValueError as exc:  # pooch: the download does not match the hash
        raise OSError(
            f"the checkpoint downloaded from {url} for {target} does not have the MD5 "
            f"{md5.lower()} (a download cut short, an altered file or another file); it was "
            f"deleted. {exc}"
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise OSError(f"could not download {model}'s checkpoint from {url}: {reason}") from exc
    return target


def load_pretrained(model, weights=None, *, data_home=None, check_front_end=True):
    """Build a published network, with random, published or local weights.

    Parameters
    ----------
    model : {'cnn14', 'cnn6'}
        The network (:class:`~skcnn.modules.PANNsCNN14` or
        :class:`~skcnn.modules.PANNsCNN6`).
    weights : None, 'published' or path-like, default=None
        None: the architecture with the reference's random initialisation
        (seed torch for reproducible weights). 'published': the checkpoint
        from :func:`fetch_pretrained` (downloaded once, MD5 checked). A path:
        a checkpoint file, as published (a dict whose ``'model'`` entry is
        the state dict) or a plain state dict of the module; it is read with
        ``torch.load(weights_only=True)``.
    data_home : str, path-like or None, default=None
        skcnn's cache folder, for ``weights='published'``.
    check_front_end : bool, default=True
        Compare the front-end filters a PANNs checkpoint holds (the STFT
        kernels and the mel filter bank) with the ones skcnn computes, and
        refuse the checkpoint if they differ beyond float32 rounding.

    Returns
    -------
    module : torch.nn.Module
        The network on the CPU, in evaluation mode.

    Raises
    ------
    FileNotFoundError
        If the weights file does not exist.
    ValueError
        If the file cannot be read as a weights-only PyTorch checkpoint
        (truncated, corrupt, or holding objects other than tensors), holds
        no state dict, does not fit the network (missing, unexpected or
        misshapen tensors, named), holds NaN or infinite weights, or was
        trained on another front end. Every message names the file.

    Examples
    --------
    >>> import torch
    >>> from skcnn.pretrained import load_pretrained
    >>> _ = torch.manual_seed(0)
    >>> net = load_pretrained("cnn6")
    >>> net.training, net.embedding_size
    (False, 512)

    A checkpoint written in the published layout (random weights here):

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cnn6.pth"
    >>> torch.save({"model": net.state_dict()}, path)
    >>> twin = load_pretrained("cnn6", path)
    >>> all(torch.equal(a, b) for a, b in zip(net.state_dict().values(),
    ...                                         twin.state_dict().values()))
    True
    """
    entry = check_model_name(model)
    if weights is None:
        return entry.module().eval()
    if isinstance(weights, str) and weights == "published":
        path = fetch_pretrained(model, data_home=data_home)
    elif isinstance(weights, (str, Path)) or hasattr(weights, "__fspath__"):
        path = Path(weights).expanduser()
    else:
        raise ValueError(
            f"weights={weights!r} must be None (random), 'published' or the path of a "
            "checkpoint file."
        )
    state = _read_state_dict(path)
    front = {key: state.pop(key) for key in entry.front_end_keys if key in state}
    if front and check_front_end:
        _check_front_end(front, entry, path)
    for key, value in state.items():
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise ValueError(f"the checkpoint {path} holds NaN or infinite values in {key!r}.")
    module = entry.module()
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:  # missing, unexpected or misshapen: torch names them
        raise ValueError(f"the checkpoint {path} does not fit {model}: {exc}") from None
    return module.eval()


def _read_state_dict(path):
    """The state dict in ``path`` (published layout or plain), read weights-only."""
    if not path.is_file():
        raise FileNotFoundError(f"the weights file {str(path)!r} does not exist.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any reading failure (truncated zip, pickle refused) is this
        raise ValueError(
            f"cannot read the checkpoint {path}: it is truncated or corrupt, not a PyTorch "
            f"file, or holds objects other than tensors ({type(exc).__name__}: {exc})"
        ) from exc
    state = payload.get("model", payload) if isinstance(payload, Mapping) else None
    if not isinstance(state, Mapping) or not state or not all(
        isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in state.items()
    ):
        raise ValueError(
            f"the checkpoint {path} holds no state dict: expected a dict of tensors, or a "
            "dict whose 'model' entry is one (the published layout)."
        )
    return dict(state)


def expected_front_end_filters(entry):
    """The front-end tensors a checkpoint of ``entry`` should hold, as float64 arrays.

    ``conv_real``: the window times the cosines of the real DFT,
    ``(1 + n_fft // 2, 1, n_fft)``; ``melW``: librosa's mel filter bank
    transposed, ``(1 + n_fft // 2, n_mels)``.
    """
    from ..features._dsp import make_window, mel_filters

    params = entry.front_end
    n_fft = params["n_fft"]
    win_length = params["win_length"] or n_fft
    window = make_window(params["window"], win_length, n_fft)
    k = np.arange(1 + n_fft // 2)[:, None]
    n = np.arange(n_fft)[None, :]
    cosines = np.cos(2 * np.pi * ((k * n) % n_fft) / n_fft) * window
    mel = mel_filters(sr=params["sr"], n_fft=n_fft, n_mels=params["n_mels"],
                      fmin=params["fmin"], fmax=params["fmax"])
    return {"conv_real": cosines[:, None, :], "window_squared": window ** 2,
            "melW": mel.T.astype(np.float64)}


def _check_front_end(front, entry, path):
    keys = entry.front_end_keys
    if set(front) != set(keys):
        raise ValueError(
            f"the checkpoint {path} holds {sorted(front)} of its front end's filters but not "
            f"{sorted(set(keys) - set(front))}."
        )
    expected = expected_front_end_filters(entry)
    real = front[keys[0]].double().numpy()
    imag = front[keys[1]].double().numpy()
    mel = front[keys[2]].double().numpy()
    checks = [
        (keys[0], real, expected["conv_real"]),
        # the sines' sign differs between DFT conventions; each kernel's power does
        # not: cos^2 + sin^2 = 1, times the window squared
        (f"{keys[0]} and {keys[1]}", real ** 2 + imag ** 2,
         np.broadcast_to(expected["window_squared"], expected["conv_real"].shape)),
        (keys[2], mel, expected["melW"]),
    ]
    for name, got, want in checks:
        if got.shape != want.shape or not (
            np.abs(got - want).max() <= _FRONT_END_RTOL * np.abs(want).max()
        ):
            raise ValueError(
                f"the checkpoint {path} holds front-end filters {name} that differ from the "
                f"front end skcnn computes for it ({entry.front_end}); its weights were "
                "trained on other input. Pass check_front_end=False to load them anyway."
            )


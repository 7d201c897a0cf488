"""Fixtures of the pretrained networks' tests: the reference code, checkpoints with random weights.

The reference is the ``panns_inference`` package's ``models.py`` (the PANNs
authors' CNN14), loaded without the package's ``__init__``, which would
download the AudioSet label list: a stand-in package module is registered
under another name and only ``models.py`` (and the ``pytorch_utils.py`` it
imports) are executed from the installed files.
"""

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from skcnn.pretrained._models import MODELS
from skcnn.pretrained._weights import expected_front_end_filters

_REFERENCE = "_panns_reference"


def load_reference_models():
    """The installed panns_inference's ``models`` module, its package ``__init__`` not run."""
    pytest.importorskip("torchlibrosa")
    spec = importlib.util.find_spec("panns_inference")  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("panns_inference is not installed (pip install skcnn[test])")
    folder = Path(list(spec.submodule_search_locations)[0])
    if f"{_REFERENCE}.models" in sys.modules:
        return sys.modules[f"{_REFERENCE}.models"]
    package = types.ModuleType(_REFERENCE)
    package.__path__ = [str(folder)]  # relative imports resolve in the installed folder
    sys.modules[_REFERENCE] = package
    models_spec = importlib.util.spec_from_file_location(
        f"{_REFERENCE}.models", folder / "models.py")
    models = importlib.util.module_from_spec(models_spec)
    sys.modules[models_spec.name] = models
    models_spec.loader.exec_module(models)
    return models


@pytest.fixture(scope="session")
def reference():
    return load_reference_models()


def randomize_state(state, seed):
    """A copy of ``state`` with every float tensor drawn at random (seeded).

    The batch norms' statistics and affine parameters too, so that a norm
    applied over the wrong axis, or a transposed kernel, shows in the output:
    the reference's initialisation leaves every batch norm at identity.
    ``bn0``'s statistics are on the scale of log-mel dB values.
    """
    generator = torch.Generator().manual_seed(seed)
    out = {}
    for key, value in state.items():
        if not value.is_floating_point():
            out[key] = value.clone()
            continue
        shape = value.shape
        if key.endswith("running_var"):
            new = 0.5 + 1.5 * torch.rand(shape, generator=generator)
        elif key.endswith("running_mean"):
            new = 0.1 * torch.randn(shape, generator=generator)
        elif key.startswith("bn") and key.endswith("weight") or ".bn" in key and key.endswith("weight"):
            new = 0.5 + torch.rand(shape, generator=generator)
        elif key.endswith("bias"):
            new = 0.1 * torch.randn(shape, generator=generator)
        else:  # convolution and linear weights: Glorot-like scale
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            new = torch.randn(shape, generator=generator) / np.sqrt(fan_in)
        out[key] = new.to(value.dtype)
    if "bn0.running_mean" in out:
        out["bn0.running_mean"] = -40 + 10 * torch.randn(out["bn0.running_mean"].shape,
                                                         generator=generator)
        out["bn0.running_var"] = 50 + 100 * torch.rand(out["bn0.running_var"].shape,
                                                       generator=generator)
    return out


def front_end_tensors(model):
    """The front-end filters a published checkpoint holds, as torchlibrosa stores them."""
    entry = MODELS[model]
    filters = expected_front_end_filters(entry)
    n_fft = entry.front_end["n_fft"]
    k = np.arange(1 + n_fft // 2)[:, None]
    n = np.arange(n_fft)[None, :]
    window = np.sqrt(filters["window_squared"])
    sines = -np.sin(2 * np.pi * ((k * n) % n_fft) / n_fft) * window
    real, imag, mel = entry.front_end_keys
    return {
        real: torch.tensor(filters["conv_real"], dtype=torch.float32),
        imag: torch.tensor(sines[:, None, :], dtype=torch.float32),
        mel: torch.tensor(filters["melW"], dtype=torch.float32),
    }


def write_checkpoint(path, model, seed=0, layout="published"):
    """Write a checkpoint of ``model`` with random weights; return its network state dict."""
    module = MODELS[model].module()
    state = randomize_state(module.state_dict(), seed)
    if layout == "published":  # as the PANNs authors save: front end included, under 'model'
        torch.save({"model": {**state, **front_end_tensors(model)}, "iteration": 0}, path)
    else:
        torch.save(state, path)
    return state


# the helpers as fixtures: test modules here are not a package, so they cannot import them
@pytest.fixture(scope="session")
def randomized():
    return randomize_state


@pytest.fixture(scope="session")
def checkpoint_writer():
    return write_checkpoint


@pytest.fixture(scope="session")
def published_front_end():
    return front_end_tensors

"""Shared fixtures: seeds, the embedded and shared FSDD recordings, shared CatMeows, markers."""

import random
from pathlib import Path

import numpy as np
import pytest

# tests/data holds fixtures, not tests: --doctest-modules would import (run) its scripts,
# e.g. weights/make_fixtures.py, which rewrites the weights files it is meant to have written once.
collect_ignore_glob = ["data/*"]

FSDD_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
# CatMeows, one folder per context (CC BY 4.0); never copied into the repository
CATMEOWS_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "catmeows"
# 20 FSDD recordings kept in the repository (CC BY-SA 4.0; see its README.md)
FSDD_SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "fsdd"


@pytest.fixture(autouse=True)
def _seed_everything():
    """Seed every random generator so each test is reproducible on its own."""
    random.seed(0)
    np.random.seed(0)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a hard requirement
        return
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def fsdd_sample_dir():
    """Twenty FSDD recordings kept in tests/data: every digit, all six speakers."""
    return FSDD_SAMPLE_DIR


@pytest.fixture(scope="session")
def fsdd_dir():
    """The whole shared Free Spoken Digit Dataset copy beside the project, or a skip."""
    if not (FSDD_DIR / "recordings").is_dir():
        pytest.skip(f"shared FSDD copy not found at {FSDD_DIR}")
    return FSDD_DIR


@pytest.fixture(scope="session")
def catmeows_dir():
    """The shared CatMeows copy beside the project (440 WAV files), or a skip."""
    if not (CATMEOWS_DIR / "SHA256SUMS").is_file() or not (CATMEOWS_DIR / "brushing").is_dir():
        pytest.skip(f"shared CatMeows copy not found at {CATMEOWS_DIR}")
    return CATMEOWS_DIR


def pytest_collection_modifyitems(config, items):
    """Skip `gpu` tests when no CUDA device is present."""
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)

"""Torch devices named by the user, and torch's thread count, for every part of skcnn."""

import threading
from contextlib import contextmanager

import torch

__all__ = ["PRECISIONS", "check_precision", "resolve_device", "torch_threads"]

#: ``precision`` -> the dtype torch's autocast runs a network in (None: no autocast)
PRECISIONS = {"32": None, "bf16": torch.bfloat16, "16-mixed": torch.float16}


def resolve_device(device):
    """``torch.device`` for a user's ``device`` string, checked to be usable.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("bogus")
    Traceback (most recent call last):
    ...
    ValueError: device='bogus' is not a torch device; use 'cpu', 'cuda' or 'cuda:N'.
    """
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'cpu', 'cuda' or 'cuda:N'."
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} but no CUDA GPU is available; use device='cpu'."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} but only {torch.cuda.device_count()} CUDA "
                "device(s) are available."
            )
    elif dev.type != "cpu":
        raise ValueError(f"device={device!r} is not supported; use 'cpu' or 'cuda[:N]'.")
    return dev


# torch's intra-op thread count is one setting per process. Concurrent calls
# (predict from several threads) share it: the first call in saves the count,
# each call sets its own, the last call out restores the saved count.
_THREADS_LOCK = threading.Lock()
_THREADS_STATE = {"active": 0, "saved": None}


@contextmanager
def torch_threads(n_threads):
    """Run torch with ``n_threads`` intra-op threads (None: leave it as it is)."""
    if n_threads is None:
        yield torch.get_num_threads()
        return
    with _THREADS_LOCK:
        if _THREADS_STATE["active"] == 0:
            _THREADS_STATE["saved"] = torch.get_num_threads()
        _THREADS_STATE["active"] += 1
        if torch.get_num_threads() != n_threads:
            torch.set_num_threads(int(n_threads))
    try:
        yield int(n_threads)
    finally:
        with _THREADS_LOCK:
            _THREADS_STATE["active"] -= 1
            saved = _THREADS_STATE["saved"]
            if _THREADS_STATE["active"] == 0 and torch.get_num_threads() != saved:
                torch.set_num_threads(saved)


def _cuda_bf16_supported(device):
    """Whether the CUDA ``device`` computes in bfloat16 natively (compute
    capability 8.0 or later, or ROCm); emulated bfloat16 does not count."""
    with torch.cuda.device(device):
        return torch.cuda.is_bf16_supported(including_emulation=False)


def check_precision(precision, device):
    """The autocast dtype of ``precision`` on ``device`` (None for '32'), or
    a ValueError that names what the device allows; changes nothing."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not one of {sorted(PRECISIONS)}")
    dev = resolve_device(device)
    if precision == "16-mixed" and dev.type != "cuda":
        raise ValueError(
            "precision='16-mixed' needs a CUDA device (float16 with gradient "
            f"scaling); got device={device!r}. Use precision='bf16' on a CPU, "
            "or '32'."
        )
    if precision == "bf16" and dev.type == "cuda" and not _cuda_bf16_supported(dev):
        raise ValueError(
            f"precision='bf16' but device={device!r} has no native bfloat16 "
            "(it needs compute capability 8.0 or later); use "
            "precision='16-mixed' on this GPU, or '32'."
        )
    return PRECISIONS[precision]

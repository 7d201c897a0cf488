"""Torch devices named by the user, checked once for every part of skcnn."""

import torch

__all__ = ["resolve_device"]


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

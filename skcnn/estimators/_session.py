"""What happens around every training call of skcnn's estimators, in one place.

:func:`training_session` forks and seeds torch's random state (the caller's
global state is left untouched), runs torch with the estimator's
``n_threads`` threads, and afterwards releases what training left on the
device: gradients, optimizer state (parked on the CPU until the next call),
early stopping's copy of the best weights, an interrupted weight
averaging's running mean and scoring callbacks' caches.
:func:`skcnn.utils._device.torch_threads` is also used around prediction.
"""

from contextlib import contextmanager

import torch
from skorch.callbacks import EarlyStopping, EpochScoring

from ._callbacks import WeightAveraging
from ..utils._device import torch_threads
from ..utils._private import clear_scoring_cache, forget_best_weights

__all__ = ["training_session"]

@contextmanager
def training_session(net, seed):
    """Seeds, threads and the device around one training call of ``net``.

    Optimizer state parked on the CPU by the previous call goes back to the
    parameters' device first; afterwards nothing that prediction does not
    need stays on the device (see :func:`release_training_state`).
    """
    device = torch.device(net.device)
    devices = []
    if device.type == "cuda":
        devices = [torch.cuda.current_device() if device.index is None else device.index]
    with torch.random.fork_rng(devices=devices), torch_threads(net.n_threads) as n:
        torch.manual_seed(seed)
        net.n_threads_ = n
        if net.initialized_:
            move_optimizer_state(net, to_params=True)
        try:
            yield
        finally:
            release_training_state(net)


def move_optimizer_state(net, to_params):
    """Move ``net``'s optimizer state to its parameters' device or to the CPU."""
    optimizer = getattr(net, "optimizer_", None)
    if optimizer is None:
        return
    for param, state in optimizer.state.items():
        device = param.device if to_params else torch.device("cpu")
        for key, value in state.items():
            # Adam's scalar `step` lives on the CPU unless the optimizer is
            # capturable/fused; leave it where it is
            if torch.is_tensor(value) and value.dim() > 0 and value.device != device:
                state[key] = value.to(device)


def release_training_state(net):
    """Drop or offload what training left on the device.

    Gradients are dropped, optimizer state (Adam's moments: twice the
    weights) moves to the CPU when training ran elsewhere (the next call
    moves it back), early stopping's copy of the best weights is dropped once
    restored, so is the running mean of an interrupted weight averaging, and
    scoring callbacks' cached predictions are cleared. On a GPU,
    cached blocks go back to the driver so that the next fit starts from the
    same memory level.
    """
    module = getattr(net, "module_", None)
    if isinstance(module, torch.nn.Module):
        module.zero_grad(set_to_none=True)
    device = torch.device(net.device)
    if device.type != "cpu":
        move_optimizer_state(net, to_params=False)
    for _, callback in getattr(net, "callbacks_", []):
        if isinstance(callback, EarlyStopping):
            forget_best_weights(callback)
        if isinstance(callback, WeightAveraging):
            callback.average_ = None  # left by an interrupted call
        if isinstance(callback, EpochScoring):
            clear_scoring_cache(callback)
    if device.type == "cuda":
        torch.cuda.empty_cache()

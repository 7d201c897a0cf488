"""The estimators' parameter constraints and checks, and sample weights.

The constraints are scikit-learn's (``Interval``, ``StrOptions``), in three
groups each estimator combines on its class (``_parameter_constraints``):
the network's (:data:`NETWORK_CONSTRAINTS`, of which the frame and pixel
estimators take the ones their networks have), the training's
(:data:`TRAINING_CONSTRAINTS`) and the estimator's own. Every check here
raises a ValueError that names the parameter, its value and what is
allowed, and changes nothing.
"""

from numbers import Integral, Real

import numpy as np
import torch

from ..utils._private import Interval, StrOptions, validate_parameter_constraints
from ..augment import Augmentation
from ..modules import ACTIVATIONS, GLOBAL_POOLINGS, INPUT_NORMS
from ..modules._frame import TEMPORAL_HEADS
from ..modules._layers import FREQUENCY_POOLINGS
from ..utils._device import PRECISIONS, check_precision
from ._augmenting import check_augment_params

__all__ = ["NETWORK_CONSTRAINTS", "PRECISIONS", "TRAINING_CONSTRAINTS",
           "check_hyperparameters", "check_precision", "check_sample_weight"]

_INT_TUPLES = {  # name -> smallest value allowed in the tuple
    "n_filters": 1, "hidden_units": 1, "kernel_size": 1, "stride": 1,
    "pool_size": 1, "padding": 0,
}
_INT_OR_TUPLE = ("kernel_size", "stride", "pool_size", "padding")

NETWORK_CONSTRAINTS = {
    "input_norm": [StrOptions(set(INPUT_NORMS)), None],
    "n_filters": [tuple, list],
    "kernel_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
    "stride": [Interval(Integral, 1, None, closed="left"), tuple, list],
    "padding": [
        StrOptions({"same", "valid"}),
        Interval(Integral, 0, None, closed="left"),
        tuple,
        list,
    ],
    "pooling": [StrOptions({"max", "avg"}), None],
    "pool_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "batchnorm": ["boolean"],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "global_pool": [StrOptions(set(GLOBAL_POOLINGS)), None],
    "hidden_units": [tuple, list],
    "architecture": [StrOptions({"cnn", "lenet5"})],
}

#: The per-frame network's: the clip network's but those that would move
#: frames (a frame network pools a frame's bins; 'time' would pool its frames
#: away), with its temporal head's.
_FRAME_NETWORK_BASE = {
    **{k: v for k, v in NETWORK_CONSTRAINTS.items()
       if k not in ("stride", "padding", "architecture")},
    "global_pool": [StrOptions(set(FREQUENCY_POOLINGS)), None],
}
FRAME_NETWORK_CONSTRAINTS = {
    **_FRAME_NETWORK_BASE,
    "time_context": [Interval(Integral, 0, None, closed="left")],
    "temporal": [StrOptions(set(TEMPORAL_HEADS))],
}
#: The mask network's (a U-Net: no pooling of the bins, no dense layers).
MASK_NETWORK_CONSTRAINTS = {k: v for k, v in _FRAME_NETWORK_BASE.items()
                            if k not in ("global_pool", "hidden_units")}

TRAINING_CONSTRAINTS = {
    "lr": [Interval(Real, 0, None, closed="neither")],
    "lr_schedule": [StrOptions({"constant", "cosine", "flat_cos"})],
    "weight_averaging": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="both")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "device": [str, torch.device],
    "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "augment": [StrOptions({"auto"}), Augmentation, None],
    "precision": [StrOptions(set(PRECISIONS))],
}


def _check_int_tuple(name, value, minimum, scalar_ok):
    """A ValueError naming ``name`` unless ``value`` is int(s) >= minimum."""
    def ok(v):
        return isinstance(v, Integral) and not isinstance(v, bool) and v >= minimum

    if scalar_ok and ok(value):
        return
    if isinstance(value, (tuple, list)) and len(value) > 0 and all(ok(v) for v in value):
        return
    what = f"an int >= {minimum} or a tuple of them" if scalar_ok else (
        f"a non-empty tuple of ints >= {minimum}")
    raise ValueError(f"{name}={value!r} must be {what}")


def check_sample_weight(sample_weight, n_samples):
    """Sample weights as float32 of shape (n_samples,), or None.

    None stays None, and so do weights that are all equal: the weighted
    mean loss is then the plain mean loss, computed the same way.
    """
    if sample_weight is None:
        return None
    try:
        weight = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sample_weight must hold numbers: {exc}") from exc
    if weight.ndim == 0:
        weight = np.full(n_samples, float(weight))
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has shape {weight.shape}; expected ({n_samples},), "
            "one weight per sample"
        )
    if not np.isfinite(weight).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (weight < 0).any():
        raise ValueError("sample_weight contains negative weights")
    if weight.sum() <= 0:
        raise ValueError("sample_weight sums to zero; at least one sample must count")
    if np.all(weight == weight[0]):
        return None
    return weight.astype(np.float32)


def check_hyperparameters(net):
    """Validate every parameter; change nothing."""
    check_augment_params(net.augment)
    params = {name: getattr(net, name) for name in net._parameter_constraints}
    validate_parameter_constraints(
        net._parameter_constraints, params, caller_name=type(net).__name__
    )
    for name, minimum in _INT_TUPLES.items():
        if name not in params:
            continue
        value = params[name]
        if name == "padding" and isinstance(value, str):
            continue
        _check_int_tuple(name, value, minimum, scalar_ok=name in _INT_OR_TUPLE)
    check_precision(net.precision, net.device)  # resolves the device too
    if net.early_stopping and net.train_split is not None:
        raise ValueError(
            "early_stopping=True takes its own validation split; leave "
            f"train_split=None (got train_split={net.train_split!r})"
        )
    explicit = not isinstance(net.weight_averaging, str)  # 'auto' gives way to early stopping
    if net.early_stopping and explicit and net.weight_averaging > 0:
        raise ValueError(
            "early_stopping=True restores its best epoch's weights, "
            f"weight_averaging={net.weight_averaging!r} the average of the "
            "last epochs': choose one (set weight_averaging='auto', which "
            "averages nothing with early stopping, or early_stopping=False)"
        )
    if not (isinstance(net.dataset, type)
            and issubclass(net.dataset, torch.utils.data.Dataset)):
        raise ValueError(
            f"dataset={net.dataset!r} must be a torch Dataset class: "
            "skcnn's TensorDataset (the default) or e.g. skorch.dataset.Dataset"
        )
    if net.module is None:
        own = net._grid.network(net)[1]
        twins = sorted(
            key for key in net.get_params_for("module")
            if own and (key in own or key in ("input_shape", "n_outputs"))
        )
        if twins:
            raise ValueError(
                "module__" + ", module__".join(twins) + " would override "
                f"{type(net).__name__}'s own parameter(s) {', '.join(twins)}: "
                "set those directly (input_shape and n_outputs are inferred "
                "from the data)"
            )


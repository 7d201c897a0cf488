"""Trained weights saved with what prediction needs, loaded without fitting.

A file written by ``save_weights`` holds only tensors, strings, numbers,
lists and dicts, so ``torch.load(..., weights_only=True)`` reads it: loading
runs no code from the file (a pickle would). It holds

- the network's state dict (on the CPU);
- the fitted attributes prediction needs: the sample shape the network
  takes, its number of outputs, the classes and their dtype (classifier) or
  the target's dimensions (regressor);
- the network's parameters it was built with, so that loading into an
  estimator built differently is refused with the differences named;
- the estimator's class name and a format version.
"""

from numbers import Integral, Real

import numpy as np
import torch

__all__ = ["save_weights", "load_weights"]

FORMAT = "skcnn-weights"
VERSION = 1


def _plain(value):
    """``value`` in types ``torch.load(weights_only=True)`` accepts."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (tuple, list, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    raise ValueError(f"{value!r} of type {type(value).__name__} cannot be saved")


def save_weights(estimator, f):
    """Write ``estimator``'s weights and fitted attributes to ``f``."""
    fitted = {"input_shape_": list(estimator.input_shape_),
              "n_features_in_": int(estimator.n_features_in_),
              "n_outputs_": int(estimator.n_outputs_)}
    try:
        fitted.update(estimator._target_state())
    except ValueError as exc:
        raise ValueError(f"save_weights cannot save the targets: {exc}") from exc
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "estimator": type(estimator).__name__,
        "network": _plain_network(estimator),
        "fitted": fitted,
        "state_dict": {k: v.detach().cpu() for k, v in estimator.module_.state_dict().items()},
    }
    torch.save(payload, f)


#: Network parameters added after weights files of this format version were
#: first written, with the value every earlier network had.
_ADDED_SINCE_VERSION = {"temporal": "conv"}


def _plain_network(estimator):
    return {name: _plain(value) for name, value in estimator._network_params().items()}


def read_weights(f, estimator):
    """The checked payload of ``f`` for ``estimator``; nothing is changed."""
    try:
        payload = torch.load(f, map_location="cpu", weights_only=True)
    except Exception as exc:  # a torch file or not: say which file failed
        raise ValueError(f"{f!r} is not a weights file written by save_weights: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{f!r} is not a weights file written by save_weights")
    if payload.get("version") != VERSION:
        raise ValueError(
            f"{f!r} has weights format version {payload.get('version')}; this skcnn "
            f"reads version {VERSION}"
        )
    name = type(estimator).__name__
    if payload["estimator"] != name:
        raise ValueError(
            f"{f!r} holds the weights of a {payload['estimator']}; load them into a "
            f"{payload['estimator']}, not a {name}"
        )
    # network parameters added after files of this version were written:
    # a file without one was written by a network built with its value here
    here = _plain_network(estimator)
    saved = {**{k: v for k, v in _ADDED_SINCE_VERSION.items() if k in here}, **payload["network"]}
    differ = sorted(k for k in set(saved) | set(here) if saved.get(k) != here.get(k))
    if differ:
        changes = ", ".join(f"{k}={here.get(k)!r} (saved: {saved.get(k)!r})" for k in differ)
        raise ValueError(
            f"the weights in {f!r} belong to a network built with other parameters: "
            f"{changes}. Build the estimator with the saved parameters."
        )
    return payload


def load_weights(estimator, f):
    """Check ``f`` and return (fitted attributes, state dict); change nothing."""
    payload = read_weights(f, estimator)
    fitted = dict(payload["fitted"])
    state = {
        "input_shape_": tuple(int(s) for s in fitted.pop("input_shape_")),
        "n_features_in_": int(fitted.pop("n_features_in_")),
        "n_outputs_": int(fitted.pop("n_outputs_")),
    }
    state.update(estimator._restore_target_state(fitted))
    module = estimator.build_module(state["input_shape_"], state["n_outputs_"])
    try:
        module.load_state_dict(payload["state_dict"])
    except RuntimeError as exc:
        raise ValueError(
            f"the weights in {f!r} do not fit the network this estimator builds: {exc}"
        ) from exc
    return state, payload["state_dict"]

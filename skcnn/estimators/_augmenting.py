"""The estimators' side of ``augment=``: the generator, one training batch,
nested parameters.

:func:`augmentation_generator` holds, for one training call, the seeded
``torch.Generator`` on the training device that every augmentation draws
from; its seed is one of the call's seeds (:meth:`BaseCNN._next_seeds`), so
successive ``partial_fit`` calls draw new augmentations and the same calls
with the same int ``random_state`` repeat them. :func:`augment_batch` is what
``train_step_single`` runs on a training batch, and only there: validation,
prediction and scoring never see it. The checks at fit time are in
:mod:`skcnn.estimators._params`.
"""

from contextlib import contextmanager

import torch

__all__ = ["augment_batch", "augmentation_generator", "set_augment_params"]

_GENERATOR = "_augment_generator"


@contextmanager
def augmentation_generator(net, seed):
    """``net``'s augmentations draw from a generator seeded with ``seed``."""
    if getattr(net, "augment_", None) is None:
        yield
        return
    generator = torch.Generator(device=torch.device(net.device))
    generator.manual_seed(int(seed))
    setattr(net, _GENERATOR, generator)
    try:
        yield
    finally:
        vars(net).pop(_GENERATOR, None)


def augment_batch(net, X, target):
    """The training batch ``(X, target)`` augmented by ``net.augment_``
    (``augment`` as resolved for this training call).

    ``target`` is the labels or values, or the pair (targets, sample
    weights) that ``get_loss`` unpacks; the same structure comes back. For an
    augmentation that mixes targets, the targets first become floats through
    ``net._mixable_target`` (one-hot probabilities for the classifier).
    """
    augment = net.augment_
    pair = isinstance(target, (tuple, list))
    y, weight = target if pair else (target, None)
    if augment.mixes_targets:
        y = net._mixable_target(y, X.dtype)
    X, y, weight = augment(X, y, weight, generator=getattr(net, _GENERATOR, None))
    return X, ((y, weight) if pair else y)


def set_augment_params(net, params):
    """Set ``augment__<name>`` parameters (given without the prefix)."""
    augment = net.augment
    if not hasattr(augment, "set_params"):
        names = ", ".join(f"augment__{name}" for name in params)
        raise ValueError(
            f"{names} cannot be set: augment={augment!r} has no parameters; "
            "set augment= to an augmentation first"
        )
    augment.set_params(**params)

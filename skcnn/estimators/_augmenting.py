"""The estimators' side of ``augment=``, in one object.

:class:`TrainingBatches` is one training call's view of its batches: it owns
the augmentation resolved for the call (``augment_``), the seeded
``torch.Generator`` every augmentation draws from, and the batch step that
unpacks a batch and augments it. The estimator makes one per training call
(:meth:`BaseCNN._train`), its training step runs it, and weight averaging's
batch-norm refresh receives it explicitly (``on_train_end``'s
``training_batches``), so that the statistics are those of the batches
training saw. Validation, prediction and scoring never see it.

:func:`check_augment` is every check of ``augment`` at fit time: its
parameters, the batch shape, and what the output grid allows (augmentations
that move frames or bins, or mix targets, would misalign per-frame or
per-pixel targets).
"""

import torch
from skorch.dataset import unpack_data

from ..augment import Augmentation, Compose

__all__ = ["TrainingBatches", "check_augment", "check_augment_params", "set_augment_params"]


def _steps(augment):
    """The augmentations of ``augment``, a Compose's steps included."""
    if not isinstance(augment, Compose):
        return [augment]
    return [a for _, step in augment._named_steps() for a in _steps(step)]


def check_augment_params(augment):
    """A ValueError naming ``augment`` unless it is 'auto', None or a valid augmentation."""
    if isinstance(augment, (list, tuple)):
        raise ValueError(
            f"augment={augment!r} is a {type(augment).__name__}; chain "
            "augmentations with skcnn.augment.Compose([...]), whose steps' "
            "parameters a search can reach (augment__<step>__<parameter>)"
        )
    if isinstance(augment, Augmentation):
        try:
            augment.check()
        except ValueError as exc:
            raise ValueError(f"augment={augment!r}: {exc}") from exc


def check_augment(augment, shape, raw_shape, *, owner, grid, mixing):
    """A ValueError unless ``augment`` can augment training batches of
    ``shape`` (``X`` of ``raw_shape`` with its channel axis) without
    misaligning the targets of ``grid``; ``mixing``: whether mixing clips
    and their targets gives the target of the mixture."""
    if augment is None:
        return
    try:
        augment.check(shape)
    except ValueError as exc:
        raise ValueError(
            f"augment={augment!r} cannot augment X of shape {tuple(raw_shape)}: {exc}"
        ) from exc
    for step in _steps(augment):
        if getattr(step, "moves_frames", False) and grid.per_frame:
            raise ValueError(
                f"augment={augment!r}: {type(step).__name__} moves the frames of X "
                f"but not those of y, so {owner}'s per-frame targets would no longer "
                "line up; use SpecAugment, RandomGain or AddNoise"
            )
        if getattr(step, "moves_bins", False) and grid.per_bin:
            raise ValueError(
                f"augment={augment!r}: {type(step).__name__} moves the frequency bins "
                f"of X but not those of y, so {owner}'s per-pixel targets would no "
                "longer line up; use SpecAugment, RandomGain or AddNoise"
            )
        if step.mixes_targets and not mixing:
            raise ValueError(
                f"augment={augment!r}: {type(step).__name__} mixes clips and their "
                f"targets, but the mixture of two {owner} targets is not the target "
                "of the mixed input; leave it out"
            )


class TrainingBatches:
    """One training call's batches as the network learns from them.

    Parameters
    ----------
    augment : augmentation or None
        ``augment`` resolved for the call; None trains on the batches as
        they are.
    seed : int
        Seed of the generator the augmentations draw from (one of the call's
        seeds, so successive ``partial_fit`` calls draw new augmentations
        and the same calls with the same int ``random_state`` repeat them).
    device : str or torch.device
        Where the generator lives (the training device).
    mixable_target : callable
        ``(y, dtype) -> float targets`` an augmentation that mixes targets
        can mix (one-hot probabilities for labels).
    """

    def __init__(self, augment, *, seed, device, mixable_target):
        self.augment = augment
        self.mixable_target = mixable_target
        self.generator = None
        if augment is not None:
            self.generator = torch.Generator(device=torch.device(device))
            self.generator.manual_seed(int(seed))

    def __call__(self, batch):
        """``batch`` unpacked into ``(X, target)`` and augmented.

        ``target`` is the targets, or the pair (targets, sample weights) that
        ``get_loss`` unpacks; the same structure comes back.
        """
        X, target = unpack_data(batch)
        if self.augment is None:
            return X, target
        pair = isinstance(target, (tuple, list))
        y, weight = target if pair else (target, None)
        if self.augment.mixes_targets:
            y = self.mixable_target(y, X.dtype)
        X, y, weight = self.augment(X, y, weight, generator=self.generator)
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

"""What the per-frame and per-pixel estimators share.

:class:`FrameOutputMixin` goes in front of ``CNNClassifier`` or
``CNNRegressor`` (:mod:`skcnn.estimators._frame_classifier`,
:mod:`skcnn.estimators._frame_regressor`, :mod:`skcnn.estimators._mask_regressor`) and changes
only what an output per frame changes, through the same hooks of
:class:`skcnn.estimators._base.BaseCNN` the whole-clip estimators use:

- ``X`` must be 2-D maps ``(n_clips, channels, n_bins, n_frames)``, and the
  frames of ``y`` must be the maps' (checked before anything else);
- the network is fully convolutional in time, so a fitted model takes maps
  of any number of frames (the channels and bins stay fixed);
- the loss is the mean over every frame (or pixel) of every clip, with
  sample weights per clip, class weights per frame and missing (NaN)
  targets left out: ``sum(w * l) / sum(w)`` over the elements;
- augmentations that move frames (:class:`~skcnn.augment.TimeShift`) are
  refused, since the targets would not move with them; ``augment='auto'``
  is no augmentation;
- the early-stopping split is not stratified and scores only the loss.
"""

import numpy as np
import torch
from sklearn.metrics import r2_score
from skorch.utils import to_tensor

from ._base import BaseCNN, unreduced_losses
from ..augment import Compose

__all__ = ["FrameOutputMixin", "check_frame_augment", "element_r2"]


def _steps(augment):
    """The augmentations of ``augment``, a Compose's steps included."""
    if not isinstance(augment, Compose):
        return [augment]
    return [a for _, step in augment._named_steps() for a in _steps(step)]


def check_frame_augment(augment, owner, *, mixing=True, pixels=False):
    """A ValueError if ``augment`` would misalign per-frame targets (or, with
    ``pixels``, per-pixel targets)."""
    if augment is None:
        return
    for step in _steps(augment):
        if getattr(step, "moves_frames", False):
            raise ValueError(
                f"augment={augment!r}: {type(step).__name__} moves the frames of X "
                f"but not those of y, so {owner}'s per-frame targets would no longer "
                "line up; use SpecAugment, RandomGain or AddNoise"
            )
        if pixels and getattr(step, "moves_bins", False):
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


def element_r2(y, pred, sample_weight):
    """R² over every element of ``y`` that is not NaN, each weighted by its
    clip's ``sample_weight``; a ValueError if the shapes differ."""
    y = np.asarray(y, dtype=np.float64)
    if pred.shape != y.shape:
        raise ValueError(f"y has shape {y.shape}; the predictions have {pred.shape}")
    weight = np.ones(y.shape) if sample_weight is None else np.broadcast_to(
        np.asarray(sample_weight, dtype=np.float64).reshape((-1,) + (1,) * (y.ndim - 1)),
        y.shape)
    keep = ~np.isnan(y)
    return r2_score(y[keep], pred[keep], sample_weight=weight[keep])


class FrameOutputMixin:
    """Per-frame (or per-pixel) targets on top of a whole-clip estimator."""

    #: shared parameters that do not apply: every block keeps the frames
    _fixed_params = frozenset({"stride", "padding", "architecture"})
    #: whether augmentations that mix clips (Mixup) make sense
    _mixing = True
    #: whether a target is per pixel, so that moving bins (FrequencyWarp) is refused
    _pixel_targets = False

    def _fixed_values(self, kwargs):
        """The fixed shared parameters, refusing them in ``kwargs``."""
        given = sorted(set(kwargs) & self._fixed_params)
        if given:
            raise TypeError(
                f"{type(self).__name__} has no parameter {', '.join(given)}: its blocks "
                "keep the maps' frames (stride 1, 'same' padding, the network of "
                f"skcnn.modules.{self._default_network()[0].__name__})"
            )
        return {"stride": 1, "padding": "same", "architecture": "cnn"}

    # -------------------------------------------------------------- data
    def _check_X(self, X):
        shape = getattr(X, "shape", None)
        if shape is None or len(shape) <= 4:  # sparse, complex, empty: sklearn's messages
            X, shape = BaseCNN._check_X(self, X)
        if len(shape) != 4:
            raise ValueError(
                f"X has shape {tuple(shape)}; {type(self).__name__} needs 2-D feature maps "
                "of shape (n_clips, channels, n_bins, n_frames), as SpectrogramTransformer "
                "returns"
            )
        return X, shape

    def _accepts_shape(self, shape, fitted):
        # fully convolutional in time: any number of frames
        return self.module is None and len(shape) == 3 and shape[:2] == fitted[:2]

    def _validate_training_data(self, X, y, sample_weight, *, fresh, classes):
        # before the targets are encoded, so that a y of the wrong shape is
        # told against X's frames rather than by the encoder
        if y is not None:
            self._check_targets_against(X, y)
        X, y_enc, weight, state = super()._validate_training_data(
            X, y, sample_weight, fresh=fresh, classes=classes)
        check_frame_augment(state["augment_"], type(self).__name__, mixing=self._mixing,
                            pixels=self._pixel_targets)
        return X, y_enc, weight, state

    def _check_targets_against(self, X, y):
        """ValueError unless y's shape fits X's (when both have clips to compare)."""
        x_shape = np.shape(X) if hasattr(X, "shape") else np.asarray(X).shape
        y_shape = np.shape(y) if hasattr(y, "shape") else np.asarray(y, dtype=object).shape
        if len(x_shape) == 4 and len(y_shape) >= 1 and x_shape[0] == y_shape[0]:
            self._check_target_shape(tuple(x_shape), tuple(y_shape))

    def _check_target_shape(self, x_shape, y_shape):
        """ValueError unless y's frames are the maps' frames."""
        n_frames = x_shape[3]
        if len(y_shape) < 2 or y_shape[1] != n_frames:
            raise ValueError(
                f"y has shape {y_shape} and X {x_shape}: {type(self).__name__} needs "
                f"one target per frame, y of shape (n_clips, n_frames={n_frames}, ...). "
                "Frame targets belong to one hop_length: make them with the front "
                "end's hop_length (n_frames = 1 + n_samples // hop_length)"
            )

    def _auto_augment(self, sample_ndim):
        return None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = False
        return tags

    def _stratify(self, dataset):
        return None

    def _validation_scores(self):
        return []

    def _combine_weights(self, weight, y_enc, state):
        return weight  # class weights count per frame, in get_loss

    # -------------------------------------------------------------- loss
    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The mean loss over every frame (pixel) of every clip.

        With sample weights ``w`` (per clip), class weights (per frame) or
        missing targets, ``sum(w * l) / sum(w)`` over the elements' losses
        ``l``, each element weighted by its clip's and its class's weight
        (0 for a missing target).
        """
        weight = None
        if isinstance(y_true, (tuple, list)):
            y_true, weight = y_true
        y_true = to_tensor(y_true, device=self.device)
        y_true, element_weight = self._element_weights(y_true)
        if weight is None and element_weight is None:
            return self.criterion_(y_pred, y_true)
        losses = unreduced_losses(
            self.criterion_, y_pred, y_true,
            needs="sample weights, class weights and missing targets need")
        w = torch.ones((), device=losses.device, dtype=losses.dtype)
        if weight is not None:
            weight = to_tensor(weight, device=self.device).to(losses.dtype)
            w = weight.reshape((-1,) + (1,) * (losses.ndim - 1))
        if element_weight is not None:
            w = w * element_weight.to(losses.dtype)
        w = w.expand_as(losses)
        return (losses * w).sum() / w.sum().clamp_min(1e-12)

    def _element_weights(self, y_true):
        """Hook: (the target as the criterion takes it, per-element weights or None)."""
        return y_true, None

    def _logits(self, X):
        return BaseCNN._forward_output(self, X, nonlinearity=False).astype(np.float64)

"""What an estimator's output grid is: one output per clip, per frame, or per
time-frequency pixel.

Each estimator combines one grid with one target kind
(:mod:`skcnn.estimators._targets`). A grid holds everything that depends
only on where the outputs are:

- the network it builds (:class:`~skcnn.modules.CNN` or LeNet-5 per clip,
  :class:`~skcnn.modules.FrameCNN` per frame, :class:`~skcnn.modules.MaskCNN`
  per pixel) and the shared parameters that network fixes,
- the shape ``X`` must have, and the shape of ``y`` against ``X``'s frames
  and bins,
- which other sample shapes a fitted network takes (clips of any length
  when pooled globally; any number of frames per frame or pixel),
- the layout of the targets in the network's output (a class or target axis
  at position 1 for frames and pixels, as torch's losses want it),
- which augmentations misalign the targets (moving frames, moving bins).

Grids hold no state; each method takes the estimator.
"""

import numpy as np
from scipy import sparse
from sklearn.utils.validation import column_or_1d

from ..modules import (
    CNN, FRAME_NETWORK_DEFAULTS, MASK_NETWORK_DEFAULTS, NETWORK_DEFAULTS, FrameCNN, LeNet5,
    MaskCNN,
)
from ..modules._layers import PER_BIN_NORMS

__all__ = ["CLIP", "FRAME", "PIXEL", "check_y_shape_early"]


class ClipGrid:
    """One output per clip (or per sample of any 2-D, 3-D or 4-D ``X``)."""

    n_lead = 1  # leading axes of y that index its elements: (n_samples,)
    per_clip, per_frame, per_bin = True, False, False
    per_element = ""
    label_name = "1-D labels"
    indicator_name = "a 2-D indicator y (multi-label)"
    #: shared parameters this grid fixes: none
    fixed = {}

    def network(self, est):
        """The class built for ``module=None``, and the names of its parameters."""
        if est.architecture == "lenet5":
            return LeNet5, ()
        return CNN, tuple(NETWORK_DEFAULTS)

    def network_params(self, est):
        """The parameters that shape the network, as ``save_weights`` records them."""
        if est.module is not None:
            return {"module": est.module}
        return {"architecture": est.architecture,
                **{name: getattr(est, name) for name in self.network(est)[1]}}

    def check_X(self, est, X, checked):
        """``X`` as the network sees it, from sklearn's ``checked`` array."""
        if checked.ndim > 4:
            raise ValueError(
                f"X has {checked.ndim} dimensions; expected 2-D (n_samples, length) "
                "or 3-D (n_samples, channels, length) for 1-D convolutions, or "
                "4-D (n_samples, channels, height, width) for 2-D ones"
            )
        return checked

    def check_target_shape(self, est, x_shape, y_shape):
        """Nothing: the number of samples is checked for every grid."""

    def accepts_shape(self, est, shape, fitted):
        """Whether a network fitted on samples of ``fitted`` takes ``shape`` too:
        pooled over its spatial axes, any length, but a per-bin input norm or
        pooling over time only ('time') fixes the number of bins."""
        if est.module is not None:
            return _module_accepts(est, shape)
        if est.global_pool is None:
            return False
        fixed = 2 if len(fitted) == 3 and (
            est.input_norm in PER_BIN_NORMS or est.global_pool == "time") else 1
        return len(shape) == len(fitted) and shape[:fixed] == fitted[:fixed]

    def dense_targets(self, est, y):
        """``y`` with a scipy.sparse indicator matrix made dense, as
        scikit-learn's ``MLPClassifier`` takes one."""
        return y.toarray() if sparse.issparse(y) else y

    def is_indicator(self, y):
        """Whether ``y`` is a 2-D 0/1 indicator matrix (multi-label targets).

        Any other 2-D ``y`` of several columns (values other than 0 and 1,
        e.g. several labels per sample) is refused: it is no label vector
        either, and sigmoid outputs would train on it as if it were.
        """
        if not hasattr(y, "shape") and not isinstance(y, (list, tuple)):
            return False
        y = np.asarray(y)
        if y.ndim != 2 or y.shape[1] < 2:
            return False
        if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
            values = np.unique(y.astype(str) if y.dtype.kind == "O" else y)
            shown = values[:10].tolist() + (["..."] if len(values) > 10 else [])
            raise ValueError(
                f"y has shape {y.shape} and holds {shown}; a 2-D y must be a "
                "multi-label indicator matrix of 0s and 1s of shape (n_samples, "
                "n_classes), dense or scipy.sparse. For one label per sample, give "
                "a 1-D y of shape (n_samples,)"
            )
        return True

    def labels(self, est, y):
        return column_or_1d(y, warn=True)

    def check_values_shape(self, est, y):
        if y.ndim > 2:
            raise ValueError(
                f"y has {y.ndim} dimensions; expected (n_samples,) or (n_samples, n_targets)"
            )

    def to_network(self, y, *, target_axis):
        return y

    def from_network(self, out):
        return out


class FrameGrid:
    """One output per frame of 2-D maps ``(n_clips, channels, n_bins, n_frames)``."""

    n_lead = 2  # (n_clips, n_frames)
    per_clip, per_frame, per_bin = False, True, False
    per_element = " per frame"
    label_name = "labels (n_clips, n_frames)"
    indicator_name = "indicators (n_clips, n_frames, n_classes)"
    #: every block keeps the maps' frames, in the frame network's one architecture
    fixed = {"stride": 1, "padding": "same", "architecture": "cnn"}
    network_class = FrameCNN
    network_defaults = FRAME_NETWORK_DEFAULTS

    def network(self, est):
        return self.network_class, tuple(self.network_defaults)

    def network_params(self, est):
        if est.module is not None:
            return {"module": est.module}
        return {"architecture": self.fixed["architecture"],
                **{name: getattr(est, name) for name in self.network(est)[1]}}

    def refuse_fixed(self, est, kwargs):
        """A TypeError for a fixed shared parameter given to ``est``'s constructor."""
        given = sorted(set(kwargs) & set(self.fixed))
        if given:
            raise TypeError(
                f"{type(est).__name__} has no parameter {', '.join(given)}: its blocks "
                "keep the maps' frames (stride 1, 'same' padding, the network of "
                f"skcnn.modules.{self.network_class.__name__})"
            )

    def check_X(self, est, X, checked):
        if checked.ndim != 4:
            raise ValueError(
                f"X has shape {tuple(np.shape(X))}; {type(est).__name__} needs 2-D "
                "feature maps of shape (n_clips, channels, n_bins, n_frames), as "
                "SpectrogramTransformer returns"
            )
        return checked

    def check_target_shape(self, est, x_shape, y_shape):
        """ValueError unless y's frames are the maps' frames."""
        n_frames = x_shape[3]
        if len(y_shape) < 2 or y_shape[1] != n_frames:
            raise ValueError(
                f"y has shape {y_shape} and X {x_shape}: {type(est).__name__} needs "
                f"one target per frame, y of shape (n_clips, n_frames={n_frames}, ...). "
                "Frame targets belong to one hop_length: make them with the front "
                "end's hop_length (n_frames = 1 + n_samples // hop_length)"
            )

    def accepts_shape(self, est, shape, fitted):
        if est.module is not None:
            return _module_accepts(est, shape)
        # fully convolutional in time: any number of frames
        return len(shape) == 3 and shape[:2] == fitted[:2]

    def dense_targets(self, est, y):
        """``y``, refused when sparse: scipy.sparse is 2-D only, and cannot
        hold (n_clips, n_frames, n_classes)."""
        if sparse.issparse(y):
            raise ValueError(
                f"y is a scipy.sparse matrix of shape {y.shape}; {type(est).__name__} "
                "needs a dense array: a label per frame (n_clips, n_frames) or 0/1 "
                "indicators (n_clips, n_frames, n_classes)"
            )
        return y

    def is_indicator(self, y):
        """Whether ``y`` is 0/1 indicators per frame and class (3-D)."""
        y = np.asarray(y)
        if y.ndim != 3:
            return False
        if y.shape[2] < 2:
            raise ValueError(
                f"y has shape {y.shape}: an indicator y needs at least 2 classes "
                "(for one class, give labels per frame, e.g. 'event'/'background')"
            )
        if not np.isin(y, (0, 1)).all():
            raise ValueError(
                f"y has shape {y.shape}: a 3-D y must hold 0/1 indicators (n_clips, "
                "n_frames, n_classes); give labels as (n_clips, n_frames)"
            )
        return True

    def labels(self, est, y):
        y = np.asarray(y)
        if y.ndim != 2:
            raise ValueError(
                f"y has shape {y.shape}; {type(est).__name__} needs a label per frame "
                "(n_clips, n_frames) or 0/1 indicators (n_clips, n_frames, n_classes)"
            )
        return y

    def check_values_shape(self, est, y):
        if y.ndim not in (2, 3):
            raise ValueError(
                f"y has shape {y.shape}; {type(est).__name__} needs (n_clips, n_frames) "
                "or (n_clips, n_frames, n_targets)"
            )

    def to_network(self, y, *, target_axis):
        """Targets in the network's layout: a class or target axis at position 1."""
        return np.ascontiguousarray(np.moveaxis(y, -1, 1)) if target_axis else y

    def from_network(self, out):
        """The network's output ``(n_clips, n_outputs, ...)`` with the outputs last."""
        return np.ascontiguousarray(np.moveaxis(out, 1, -1))


class PixelGrid(FrameGrid):
    """One output per time-frequency pixel of 2-D maps (a mask)."""

    n_lead = 3  # (n_clips, n_bins, n_frames)
    per_bin = True
    per_element = " per pixel"
    fixed = {**FrameGrid.fixed, "global_pool": None, "hidden_units": None}
    network_class = MaskCNN
    network_defaults = MASK_NETWORK_DEFAULTS

    def check_target_shape(self, est, x_shape, y_shape):
        if y_shape[1:] != x_shape[2:]:
            raise ValueError(
                f"y has shape {y_shape} and X {x_shape}: a mask needs one value per "
                f"bin and frame of X, y of shape (n_clips, n_bins={x_shape[2]}, "
                f"n_frames={x_shape[3]}); make X and the mask from the same n_fft and "
                "hop_length"
            )

    def check_values_shape(self, est, y):
        if y.ndim != 3:
            raise ValueError(
                f"y has shape {y.shape}; a mask y has shape (n_clips, n_bins, n_frames)"
            )


CLIP, FRAME, PIXEL = ClipGrid(), FrameGrid(), PixelGrid()


def _module_accepts(est, shape):
    """Whether a fitted network of one's own takes samples of ``shape``: it
    says so through an ``accepts_input_shape(shape)`` method (the transfer
    networks of :mod:`skcnn.pretrained` have one); without one, only the
    fitted shape."""
    accepts = getattr(getattr(est, "module_", None), "accepts_input_shape", None)
    return bool(accepts(tuple(shape))) if callable(accepts) else False


def check_y_shape_early(est, X, y):
    """Before the targets are encoded, tell a y of the wrong shape against
    X's frames (or bins) rather than by the encoder."""
    if y is None or est._grid.per_clip:
        return
    x_shape = np.shape(X) if hasattr(X, "shape") else np.asarray(X).shape
    y_shape = np.shape(y) if hasattr(y, "shape") else np.asarray(y, dtype=object).shape
    if len(x_shape) == 4 and len(y_shape) >= 1 and x_shape[0] == y_shape[0]:
        est._grid.check_target_shape(est, tuple(x_shape), tuple(y_shape))


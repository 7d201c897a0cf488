"""Plain torch modules: the networks the estimators train, and their layers.

Nothing here knows about scikit-learn or skorch. Every network takes the shape
of one sample (``input_shape``, without the batch axis) and its number of
outputs, and builds its layers from them. Inside: the whole-clip networks
(``_cnn``: :class:`CNN`, :class:`LeNet5`), the per-frame and per-pixel
networks (``_frame``: :class:`FrameCNN`, :class:`MaskCNN`), the published
PANNs networks whose AudioSet checkpoints load strictly (``_panns``:
:class:`PANNsCNN14`, :class:`PANNsCNN6`; their front ends and weights are
:mod:`skcnn.pretrained`'s) and the layers and checks they share (``_layers``).
"""

from ._cnn import CNN, LeNet5
from ._frame import FRAME_NETWORK_DEFAULTS, MASK_NETWORK_DEFAULTS, FrameCNN, MaskCNN
from ._panns import AUDIOSET_N_CLASSES, PANNsCNN6, PANNsCNN14
from ._layers import (
    ACTIVATIONS, GLOBAL_POOLINGS, INPUT_NORMS, NETWORK_DEFAULTS, POOLINGS, GlobalPool, InputNorm,
)

__all__ = ["CNN", "FrameCNN", "MaskCNN", "GlobalPool", "InputNorm", "LeNet5", "PANNsCNN14",
           "PANNsCNN6", "AUDIOSET_N_CLASSES", "ACTIVATIONS",
           "POOLINGS", "GLOBAL_POOLINGS", "INPUT_NORMS", "NETWORK_DEFAULTS",
           "FRAME_NETWORK_DEFAULTS", "MASK_NETWORK_DEFAULTS"]

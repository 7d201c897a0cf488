"""The CNN estimators: skorch networks with scikit-learn ergonomics.

``CNNClassifier`` and ``CNNRegressor`` predict per clip;
``CNNFrameClassifier`` and ``CNNFrameRegressor`` per frame,
``CNNMaskRegressor`` per time-frequency pixel.

Each is the skorch ``NeuralNet`` of :mod:`skcnn.estimators._base` combined
with a target kind (:mod:`~skcnn.estimators._targets`: labels or values)
and an output grid (:mod:`~skcnn.estimators._grids`: per clip, frame or
pixel), and keeps skorch's machinery: callbacks, history, the ``module__``,
``optimizer__``, ``criterion__``, ``callbacks__`` and ``iterator_train__``
prefixes. Inside: the base (``_base``), the clip estimators (``_clip``),
the frame and pixel estimators (``_frame``), target kinds and grids, the
parameter constraints (``_params``), the training batches and their
augmentation (``_augmenting``), callbacks (``_callbacks``), what happens
around a training call (``_session``), the in-memory data path (``_data``),
data-parallel training under torchrun (``_distributed``), persistence
(``_persistence``) and the shared docstrings (``_docs``).
"""

from ._clip import CNNClassifier, CNNRegressor
from ._frame import CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor

__all__ = ["CNNClassifier", "CNNRegressor", "CNNFrameClassifier", "CNNFrameRegressor",
           "CNNMaskRegressor"]

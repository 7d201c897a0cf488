"""The CNN estimators: skorch networks with scikit-learn ergonomics.

``CNNClassifier`` and ``CNNRegressor`` predict per clip; ``CNNFrameClassifier``
and ``CNNFrameRegressor`` per frame, ``CNNMaskRegressor`` per time-frequency
pixel (:mod:`skcnn.estimators._frames` says what the last three share).

Both are skorch ``NeuralNet``s (through :class:`skcnn.estimators._base.BaseCNN`, which
stores the parameters and does the training) and keep skorch's machinery:
callbacks, history, the ``module__``, ``optimizer__``, ``criterion__``,
``callbacks__`` and ``iterator_train__`` prefixes. As skorch's
``classifier.py`` and ``regressor.py`` do, each class lives in a module of its
own (:mod:`skcnn.estimators._classifier`, :mod:`skcnn.estimators._regressor`); this module is where
both are imported from.
"""

from ._classifier import CNNClassifier
from ._frame_classifier import CNNFrameClassifier
from ._frame_regressor import CNNFrameRegressor
from ._mask_regressor import CNNMaskRegressor
from ._regressor import CNNRegressor

__all__ = ["CNNClassifier", "CNNRegressor", "CNNFrameClassifier", "CNNFrameRegressor",
           "CNNMaskRegressor"]

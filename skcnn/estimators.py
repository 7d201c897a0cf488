"""CNNClassifier and CNNRegressor: skorch networks with scikit-learn ergonomics.

Both are skorch ``NeuralNet``s (through :class:`skcnn._base.BaseCNN`, which
stores the parameters and does the training) and keep skorch's machinery:
callbacks, history, the ``module__``, ``optimizer__``, ``criterion__``,
``callbacks__`` and ``iterator_train__`` prefixes. As skorch's
``classifier.py`` and ``regressor.py`` do, each class lives in a module of its
own (:mod:`skcnn._classifier`, :mod:`skcnn._regressor`); this module is where
both are imported from.
"""

from ._classifier import CNNClassifier
from ._regressor import CNNRegressor

__all__ = ["CNNClassifier", "CNNRegressor"]

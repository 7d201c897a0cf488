"""skcnn: convolutional networks for audio with scikit-learn's ergonomics.

Audio feature transformers and skorch-wrapped CNN estimators that combine in
scikit-learn pipelines, so that the signal front end and the network can be
cross-validated and grid-searched together.

Public names are importable from ``skcnn`` directly. They are loaded lazily
(PEP 562), so ``import skcnn.features`` does not pull in torch or skorch.
"""

import importlib

__version__ = "0.2.0.dev0"

# public name -> submodule that defines it
_LAZY = {
    "SpectrogramTransformer": "features",
    "MFCCTransformer": "features",
    "CQTTransformer": "features",
    "SpectrogramScaler": "features",
    "CNNClassifier": "estimators",
    "CNNRegressor": "estimators",
    "CNNFrameClassifier": "estimators",
    "CNNFrameRegressor": "estimators",
    "CNNMaskRegressor": "estimators",
    "SegmentClassifier": "segments",
    "SegmentRegressor": "segments",
    "PretrainedEmbedding": "pretrained",
}
_SUBMODULES = ["augment", "datasets", "estimators", "features", "inspection", "metrics",
               "modules", "pretrained", "segments", "separation"]

__all__ = sorted(_LAZY) + _SUBMODULES


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f"skcnn.{_LAZY[name]}")
        return getattr(module, name)
    if name in _SUBMODULES:
        return importlib.import_module(f"skcnn.{name}")
    raise AttributeError(f"module 'skcnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

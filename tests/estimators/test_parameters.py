"""The estimators' signatures, docstrings and parameter constraints agree.

Each estimator writes its defaults in its signature, as scikit-learn does;
this module keeps the copies in step: the constraints name exactly the
signature's parameters, every default a docstring states is the signature's,
the network parameters' defaults are those of the torch module they build,
and the training parameters' defaults are shared by every estimator except
where one is documented to differ.
"""

import inspect
import re

import pytest
import torch

from skcnn import (
    CNNClassifier, CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor, CNNRegressor,
)
from skcnn.modules import CNN, FrameCNN, MaskCNN

ESTIMATORS = [CNNClassifier, CNNRegressor, CNNFrameClassifier, CNNFrameRegressor,
              CNNMaskRegressor]
NETWORKS = {CNNClassifier: CNN, CNNRegressor: CNN, CNNFrameClassifier: FrameCNN,
            CNNFrameRegressor: FrameCNN, CNNMaskRegressor: MaskCNN}
# skorch's objects, which skorch checks itself
SKORCH_OBJECTS = {"module", "criterion", "optimizer", "iterator_train", "iterator_valid",
                  "dataset", "train_split"}
# defaults that differ between estimators on purpose, each documented
DIFFERENT = {
    "lr_schedule": {CNNClassifier: "flat_cos", CNNFrameClassifier: "flat_cos"},
    "criterion": {CNNClassifier: torch.nn.CrossEntropyLoss,
                  CNNFrameClassifier: torch.nn.CrossEntropyLoss,
                  CNNMaskRegressor: torch.nn.BCEWithLogitsLoss},
}


def _defaults(cls):
    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
            if p.default is not inspect.Parameter.empty}


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_constraints_name_exactly_the_signature_s_parameters(cls):
    assert set(cls._parameter_constraints) == set(_defaults(cls)) - SKORCH_OBJECTS


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_every_default_the_docstring_states_is_the_signature_s(cls):
    defaults = _defaults(cls)
    stated = re.findall(r"^    (\w+) : .*default=(.+)$", cls.__doc__, flags=re.M)
    assert stated, "no defaults found in the docstring"
    for name, text in stated:
        assert name in defaults, f"{cls.__name__}'s docstring documents {name!r}"
        value = defaults[name]
        written = f"torch.optim.{value.__name__}" if isinstance(value, type) else repr(value)
        assert text.strip() in {written, str(value)}, (name, text, value)


# network defaults an estimator sets apart from its module's, each documented
NETWORK_DIFFERENT = {CNNRegressor: {"global_pool": None},
                     CNNFrameClassifier: {"temporal": "gru", "time_context": 2}}


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_network_defaults_are_the_module_s(cls):
    network = {**_defaults(NETWORKS[cls]), **NETWORK_DIFFERENT.get(cls, {})}
    for name, value in _defaults(cls).items():
        if name in network:
            assert value == network[name], (cls.__name__, name)


@pytest.mark.parametrize("name", sorted(set(_defaults(CNNRegressor)) - set(_defaults(CNN))
                                           - {"architecture"}))
def test_training_defaults_are_shared_unless_documented(name):
    base = _defaults(CNNRegressor)[name]
    for cls in ESTIMATORS:
        expected = DIFFERENT.get(name, {}).get(cls, base)
        assert _defaults(cls)[name] == expected, (cls.__name__, name)

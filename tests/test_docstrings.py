"""Every ``default=`` a public class's docstring states is its signature's.

Several docstrings write a default out by hand (the mask and frame
networks', the transformers'); this keeps them from drifting away from the
code when a default is changed by measurement.
"""

import ast
import inspect
import pydoc
import re

import pytest

import skcnn
import skcnn.augment
import skcnn.estimators
import skcnn.features
import skcnn.modules
import skcnn.pretrained
import skcnn.segments

MODULES = [skcnn, skcnn.augment, skcnn.estimators, skcnn.features, skcnn.modules,
           skcnn.pretrained, skcnn.segments]
CLASSES = sorted({getattr(m, name) for m in MODULES for name in m.__all__
                  if inspect.isclass(getattr(m, name))}, key=lambda c: c.__name__)
# "    name : type, default=value" in a numpydoc Parameters section
DEFAULT_LINE = re.compile(r"^(\w+) : .*default=(.+?)\s*$")


def stated_defaults(cls):
    for line in (inspect.getdoc(cls) or "").splitlines():
        match = DEFAULT_LINE.match(line)
        if match:
            yield match.groups()


def as_value(text):
    """A stated default as a value: a literal, or a dotted name such as torch.optim.Adam."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        located = pydoc.locate(text)
        return text if located is None else located


def test_classes_are_found():
    names = {c.__name__ for c in CLASSES}
    assert {"CNNClassifier", "CNNMaskRegressor", "MaskCNN", "SpecAugment",
            "SpectrogramTransformer", "SegmentClassifier"} <= names
    assert sum(1 for c in CLASSES for _ in stated_defaults(c)) > 100


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_stated_defaults_are_the_signatures(cls):
    parameters = inspect.signature(cls.__init__).parameters
    for name, text in stated_defaults(cls):
        assert name in parameters, f"{cls.__name__}'s docstring names {name!r}, not a parameter"
        assert as_value(text) == parameters[name].default, (
            f"{cls.__name__}({name}=...): the docstring says default={text}, "
            f"the signature {parameters[name].default!r}"
        )


def test_a_drifted_default_is_caught():
    class Drifted:
        """Parameters
        ----------
        n_filters : tuple of int, default=(16, 32)
        """

        def __init__(self, n_filters=(16, 32, 64)):
            self.n_filters = n_filters

    (name, text), = stated_defaults(Drifted)
    assert as_value(text) != inspect.signature(Drifted.__init__).parameters[name].default

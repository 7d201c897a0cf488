"""Weights files written before the package was reorganised still load.

``tests/data/weights/*.pt`` were written by skcnn 0.1.0.dev0 at commit 6d961fa
(``tests/data/weights/make_fixtures.py``), with the predictions they gave then.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from skcnn import CNNClassifier, CNNFrameClassifier, CNNRegressor

DATA = Path(__file__).resolve().parents[1] / "data" / "weights"

CASES = {
    "classifier": (CNNClassifier, "predict_proba", {}),
    # written when the regressor's default global_pool was 'avgmax'
    "regressor": (CNNRegressor, "predict", {"global_pool": "avgmax"}),
    # written when the frame classifier's default head was the convolutional one
    "frame_classifier": (CNNFrameClassifier, "predict_proba",
                         {"temporal": "conv", "time_context": 4}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_old_weights_file_loads_and_predicts_as_it_did(name):
    cls, method, params = CASES[name]
    X = np.load(DATA / "inputs.npy")
    expected = np.asarray(json.loads((DATA / "expected.json").read_text())[name])
    est = cls(n_filters=(4,), **params).load_weights(DATA / f"{name}.pt")
    np.testing.assert_allclose(getattr(est, method)(X), expected, rtol=1e-5, atol=1e-6)

"""scikit-learn's own API checks, once per public estimator class.

Each class runs on a small instance, plus the variants that change behaviour
(a complex spectrogram's two channels, a global scaler, segment voting and
overlapping segments). A check that cannot apply to a class is not collected:
:data:`NOT_APPLICABLE` says why, and the per-frame and per-pixel estimators
run only the checks listed in :data:`FRAME_CHECKS`: the other checks train on
2-D X with one target per sample, which those estimators refuse by design.
Their sklearn-like properties are asserted on 4-D maps in
``tests/estimators/test_frame_properties.py``. :data:`EXPECTED_FAILURES`
holds the checks that apply but fail, each with its reason.
"""

import functools

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import estimator_checks_generator

from skcnn import (
    CNNClassifier,
    CNNFrameClassifier,
    CNNFrameRegressor,
    CNNMaskRegressor,
    CNNRegressor,
    CQTTransformer,
    MFCCTransformer,
    PretrainedEmbedding,
    SegmentClassifier,
    SegmentRegressor,
    SpectrogramScaler,
    SpectrogramTransformer,
)
from skcnn.pretrained import NetworkEmbedding

TRANSFORMERS = [
    SpectrogramTransformer(sr=8000, n_fft=128, hop_length=32, n_mels=16),
    SpectrogramTransformer(sr=8000, n_fft=64, hop_length=16, output="complex"),
    MFCCTransformer(sr=8000, n_fft=256, hop_length=64, n_mels=20, deltas=0),
    CQTTransformer(sr=8000, hop_length=16, fmin=200.0, n_bins=36, output="magnitude"),
]
SCALERS = [SpectrogramScaler(), SpectrogramScaler(per="global", with_mean=False)]
# the small network, random weights (seeded); the checks' rows of a few samples are padded
# to the 0.15 s CNN6 needs
EMBEDDINGS = [PretrainedEmbedding(model="cnn6", duration=0.2, random_state=0)]

# small networks, enough epochs to pass the checks' accuracy thresholds; the
# flattening head, which takes rows of the fitted length only, as the checks
# want (a globally pooled one, the default, accepts rows of any length)
SMALL = dict(n_filters=(8,), hidden_units=(16,), global_pool=None, max_epochs=30, lr=1e-2,
             random_state=0)
ESTIMATORS = [CNNClassifier(**SMALL), CNNRegressor(**SMALL)]
FRAME_ESTIMATORS = [
    CNNFrameClassifier(n_filters=(4,), time_context=1, max_epochs=2, random_state=0),
    CNNFrameRegressor(n_filters=(4,), time_context=1, max_epochs=2, random_state=0),
    CNNMaskRegressor(n_filters=(4, 4), max_epochs=2, random_state=0),
]


def _flat(segments):
    """Every sample of a segment as a float64 feature (exact sample-weight arithmetic)."""
    return segments.reshape(len(segments), -1).astype(np.float64)


def _pipe(final):
    return make_pipeline(FunctionTransformer(_flat), final)


# sr=100 with 1 s segments: every row of the checks' tabular data is one zero-padded
# segment; sr=2 with 0.5 s hops: rows are cut into overlapping 2-sample segments
SEGMENTERS = [
    SegmentClassifier(_pipe(LogisticRegression()), segment_seconds=1.0, sr=100),
    SegmentClassifier(_pipe(LogisticRegression()), segment_seconds=1.0, hop_seconds=0.5, sr=2,
                      aggregate="vote"),
    SegmentRegressor(_pipe(Ridge()), segment_seconds=1.0, sr=100),
    SegmentRegressor(_pipe(Ridge()), segment_seconds=1.0, hop_seconds=0.5, sr=2,
                     aggregate="median"),
]

# The checks the per-frame and per-pixel estimators run: construction,
# parameters, tags, repr, unfitted use and the errors for data they cannot
# take. Every other check fits 2-D X with one target per sample (as
# check_sample_weights_pandas_series does once pandas is installed: tests/estimators/
# test_frame.py checks a pandas Series of sample weights on maps instead).
FRAME_CHECKS = {
    "check_array_api_input", "check_complex_data", "check_decision_proba_consistency",
    "check_do_not_raise_errors_in_init_or_set_params", "check_estimator_cloneable",
    "check_estimator_repr", "check_estimator_sparse_array", "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag", "check_estimator_tags_renamed",
    "check_estimators_empty_data_messages", "check_estimators_unfitted", "check_fit1d",
    "check_get_params_invariance", "check_mixin_order",
    "check_no_attributes_set_in_init", "check_non_transformer_estimators_n_iter",
    "check_parameters_default_constructible", "check_set_params", "check_supervised_y_no_nan", "check_valid_tag_types",
}

_STATELESS = (
    "The transformers are stateless and accept clips of any length in transform, "
    "so there is no fitted number of samples per clip (n_features_in_) to enforce."
)
_ANY_LENGTH = (
    "Recordings may have any number of samples, in predict as in fit, so there is no "
    "fitted number of features (n_features_in_) to set or enforce."
)
_CLIPS_OF_ANY_LENGTH = (
    "The network takes clips of any length in transform (its frames are pooled over "
    "time), so there is no fitted number of samples per clip (n_features_in_) to enforce."
)
_NETWORK_DECIDES = (
    "It learns nothing: the fitted network behind it decides which samples it takes "
    "(a globally pooled one, as here, rows of any length), and refuses the others."
)
NOT_APPLICABLE = {
    "transformer": {"check_n_features_in": _STATELESS,
                    "check_n_features_in_after_fitting": _STATELESS},
    "embedding": {"check_n_features_in": _CLIPS_OF_ANY_LENGTH,
                  "check_n_features_in_after_fitting": _CLIPS_OF_ANY_LENGTH},
    "network embedding": {"check_n_features_in": _NETWORK_DECIDES,
                          "check_n_features_in_after_fitting": _NETWORK_DECIDES},
    "segmenter": {
        "check_n_features_in": _ANY_LENGTH,
        "check_n_features_in_after_fitting": _ANY_LENGTH,
        "check_classifiers_train": (
            "Recordings may have any number of samples, so predict accepts X.T, whose "
            "rows have another length than fit's, where this check wants an error."
        ),
    },
}

_MINIBATCH = (
    "Minibatch training sees different batches when samples are repeated or "
    "removed, so weights equal to repetitions give close, not equal, models."
)
_SKORCH_INIT = (
    "skorch's NeuralNet.__init__ sets history_, initialized_ and virtual_params_, which "
    "the rest of skorch reads (skorch issue 1118)."
)
EXPECTED_FAILURES = {
    "estimator": {
        "check_methods_subset_invariance": (
            "float32 convolutions round differently for batches of different "
            "sizes (about 1e-7 relative), above this check's tolerance of 1e-7."
        ),
        "check_no_attributes_set_in_init": _SKORCH_INIT,
        "check_sample_weight_equivalence_on_dense_data": _MINIBATCH,
        # the name of the check above before scikit-learn 1.6.1
        "check_sample_weights_invariance": _MINIBATCH,
    },
    "frame": {"check_no_attributes_set_in_init": _SKORCH_INIT},
    "embedding": {
        "check_methods_subset_invariance": (
            "float32 convolutions round differently for batches of different sizes "
            "(about 1e-6 absolute on embeddings near 1e-3), above this check's tolerance."
        ),
        "check_transformer_general": (
            "The network pools its frames over time, so clips of any length are embedded "
            "(with `duration`, padded or cropped first): transform on rows of another "
            "length than fit's is no error, where this check wants one."
        ),
    },
    "network embedding": {
        "check_estimators_overwrite_params": (
            "The check hashes every parameter with joblib.hash, and joblib.hash of the "
            "`estimator` parameter, a fitted skcnn network, raises RuntimeError (joblib "
            "compares tensors while it sorts the items of one of the network's dicts)."
        ),
    },
    "sparse segment regressor": {
        "check_regressors_train": (
            "make_regression's single informative feature falls in at most 2 of a row's 9 "
            "two-sample segments, so the pooled R^2 stays far below the check's 0.5."
        ),
    },
}


def _kind(estimator):
    if isinstance(estimator, (CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor)):
        return "frame"
    if isinstance(estimator, (CNNClassifier, CNNRegressor)):
        return "estimator"
    if isinstance(estimator, SegmentRegressor) and estimator.sr == 2:
        return "sparse segment regressor"
    if isinstance(estimator, (SegmentClassifier, SegmentRegressor)):
        return "segmenter"
    if isinstance(estimator, SpectrogramScaler):
        return "scaler"
    if isinstance(estimator, PretrainedEmbedding):
        return "embedding"
    if isinstance(estimator, NetworkEmbedding):
        return "network embedding"
    return "transformer"


def _check_name(check):
    while isinstance(check, functools.partial):
        check = check.func
    return check.__name__


def _variant(check):
    """The keyword arguments a legacy check variant runs with, e.g. readonly_memmap=True."""
    keywords = getattr(check, "keywords", {}) or {}
    return ",".join(f"{k}={v}" for k, v in sorted(keywords.items()))


def _collected(estimators):
    variants = {}
    for estimator in estimators:
        label = type(estimator).__name__
        variants[label] = variants.get(label, 0) + 1
        label += f"{variants[label]}" if variants[label] > 1 else ""
        kind = _kind(estimator)
        skipped = NOT_APPLICABLE.get(kind.replace("sparse segment regressor", "segmenter"), {})
        failing = EXPECTED_FAILURES.get(kind, {})
        seen = {}
        for est, check in estimator_checks_generator(estimator, legacy=True):
            name = _check_name(check)
            if name in skipped or (kind == "frame" and name not in FRAME_CHECKS):
                continue
            variant = _variant(check)
            seen[name, variant] = seen.get((name, variant), 0) + 1
            suffix = f"({variant})" if variant else ""
            suffix += f"#{seen[name, variant]}" if seen[name, variant] > 1 else ""
            marks = [pytest.mark.xfail(reason=failing[name], strict=False)] if name in failing else []
            yield pytest.param(est, check, marks=marks,
                               id=f"{label}-{name}{suffix}")


ALL = TRANSFORMERS + SCALERS + EMBEDDINGS + ESTIMATORS + FRAME_ESTIMATORS + SEGMENTERS


@pytest.mark.parametrize("estimator, check", list(_collected(ALL)))
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _network_embeddings():
    # skcnn.pretrained's transformer of a fitted network: a small classifier on rows
    # (1-D convolutions, pooled globally), which takes the checks' rows of any length
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 12)).astype(np.float32)
    fitted = CNNClassifier(n_filters=(4,), hidden_units=(4,), max_epochs=1,
                           random_state=0).fit(X, np.repeat([0, 1], 10))
    return [NetworkEmbedding(fitted)]


@pytest.mark.parametrize("estimator, check", list(_collected(_network_embeddings())))
def test_sklearn_compatible_network_embedding(estimator, check):
    check(estimator)


def test_every_public_estimator_class_is_checked():
    import skcnn
    from sklearn.base import BaseEstimator

    public = {name for name in skcnn.__all__
              if isinstance(getattr(skcnn, name), type)
              and issubclass(getattr(skcnn, name), BaseEstimator)}
    assert public == {type(est).__name__ for est in ALL}


def test_listed_checks_are_real_check_names():
    # a misspelt name would silently run nothing (FRAME_CHECKS) or list nothing
    from sklearn.utils import estimator_checks

    older_names = {"check_sample_weights_invariance"}  # scikit-learn < 1.6.1
    listed = set(FRAME_CHECKS)
    for reasons in [*NOT_APPLICABLE.values(), *EXPECTED_FAILURES.values()]:
        listed |= set(reasons)
    assert {name for name in listed if not hasattr(estimator_checks, name)} <= older_names

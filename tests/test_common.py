"""scikit-learn's own API checks on every public transformer."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skcnn import CQTTransformer, MFCCTransformer, SpectrogramTransformer

TRANSFORMERS = [
    SpectrogramTransformer(sr=8000, n_fft=64, hop_length=16),
    SpectrogramTransformer(sr=8000, n_fft=128, hop_length=32, n_mels=16, output="power"),
    SpectrogramTransformer(sr=8000, n_fft=64, hop_length=16, output="complex"),
    MFCCTransformer(sr=8000, n_fft=256, hop_length=64, n_mels=20, deltas=0),
    CQTTransformer(sr=8000, hop_length=16, fmin=200.0, n_bins=36, output="magnitude"),
    CQTTransformer(
        sr=8000, hop_length=25, fmin=500.0, n_bins=24, bins_per_octave=24, filter_scale=0.5
    ),
]

_STATELESS = (
    "The transformers are stateless and accept clips of any length in transform, "
    "so there is no fitted number of samples per clip (n_features_in_) to enforce."
)
TRANSFORMER_EXPECTED_FAILURES = {
    "check_n_features_in": _STATELESS,
    "check_n_features_in_after_fitting": _STATELESS,
}


def _expected_failures(estimator):
    if isinstance(estimator, (SpectrogramTransformer, MFCCTransformer, CQTTransformer)):
        return TRANSFORMER_EXPECTED_FAILURES
    return {}


@parametrize_with_checks(TRANSFORMERS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_transformer(estimator, check):
    check(estimator)

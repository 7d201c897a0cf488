"""scikit-learn's estimator checks on CNNClassifier and CNNRegressor."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skcnn import CNNClassifier, CNNRegressor

# small networks, enough epochs to pass the checks' accuracy thresholds
SMALL = dict(n_filters=(8,), hidden_units=(16,), max_epochs=30, lr=1e-2,
             random_state=0)

EXPECTED_FAILED_CHECKS = {
    "check_methods_subset_invariance": (
        "float32 convolutions round differently for batches of different "
        "sizes (about 1e-7 relative), above this check's tolerance of 1e-7."
    ),
}


@parametrize_with_checks(
    [CNNClassifier(**SMALL), CNNRegressor(**SMALL)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

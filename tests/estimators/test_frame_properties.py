"""scikit-learn's estimator properties, asserted on 4-D maps for the per-frame
and per-pixel estimators.

scikit-learn's common checks train on 2-D X with one target per sample, which
these estimators refuse by design (``tests/test_common.py`` runs only the
checks that apply to them). The properties those checks assert are asserted
here on maps ``(n_clips, channels, n_bins, n_frames)`` with a target per frame
or per pixel: what fit returns and changes, idempotence, input dtypes and
layouts, refused input, order and subset invariance, sample weights, pickling
and pipelines.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._testing import create_memmap_backed_data

from skcnn import CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor

N, BINS, FRAMES = 10, 6, 12


def _maps(seed=0, n=N):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1, BINS, FRAMES)).astype(np.float32)


def _labels(X):
    return np.where(X[:, 0, :3].mean(axis=1) > 0, "on", "off")


def _values(X):
    return X[:, 0, :3].mean(axis=1).astype(np.float64)


def _masks(X):
    return 1.0 / (1.0 + np.exp(-X[:, 0].astype(np.float64)))


CASES = {
    "frame_classifier": (lambda: CNNFrameClassifier(n_filters=(4,), time_context=1,
                                                    max_epochs=2, random_state=0), _labels),
    "frame_regressor": (lambda: CNNFrameRegressor(n_filters=(4,), time_context=1,
                                                  max_epochs=2, random_state=0), _values),
    "mask_regressor": (lambda: CNNMaskRegressor(n_filters=(4, 4), max_epochs=2,
                                                random_state=0), _masks),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    make, target = CASES[request.param]
    X = _maps()
    return make, X, target(X)


@pytest.fixture(scope="module")
def fitted():
    out = {}
    for name, (make, target) in CASES.items():
        X = _maps()
        out[name] = make().fit(X, target(X))
    return out


@pytest.fixture(params=sorted(CASES))
def fitted_case(request, fitted):
    make, target = CASES[request.param]
    X = _maps(seed=1)
    return fitted[request.param], X, target(X), target


def _output(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


# -------------------------------------------------------------------- fit
def test_fit_returns_self_and_sets_only_fitted_attributes(case):
    make, X, y = case
    est = make()
    params = est.get_params(deep=False)
    public_before = {k for k in vars(est) if not k.startswith("_") and not k.endswith("_")}
    assert est.fit(X, y) is est
    public_after = {k for k in vars(est) if not k.startswith("_") and not k.endswith("_")}
    assert public_after == public_before  # check_dont_overwrite_parameters
    after = est.get_params(deep=False)
    assert after.keys() == params.keys()  # check_estimators_overwrite_params
    for name, value in params.items():
        assert repr(after[name]) == repr(value), name
    assert est.n_features_in_ == X.shape[1]  # check_n_features_in_after_fitting: channels


def test_fit_is_idempotent(case):
    make, X, y = case
    est = make()
    first = _output(est.fit(X, y), X)
    second = _output(est.fit(X, y), X)
    np.testing.assert_allclose(first, second, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("convert", [
    lambda X: X.astype(np.float64), lambda X: np.round(X * 4).astype(np.int64),
    np.asfortranarray, lambda X: create_memmap_backed_data(X),
], ids=["float64", "int64", "fortran", "readonly-memmap"])
def test_dtypes_and_layouts_train_and_predict(case, convert):
    make, X, y = case
    Xc = convert(X)
    est = make().fit(Xc, y)
    assert _output(est, Xc).shape[:2] == (N, FRAMES) or _output(est, Xc).shape[0] == N
    np.testing.assert_array_equal(_output(est, Xc), _output(est, np.asarray(Xc, np.float32)))


@pytest.mark.parametrize("bad, match", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_maps_are_refused(case, bad, match):
    make, X, y = case
    X = X.copy()
    X[2, 0, 1, 3] = bad
    with pytest.raises(ValueError, match=match):
        make().fit(X, y)


def test_one_clip_is_refused(case):
    make, X, y = case
    with pytest.raises(ValueError, match="at least 2 samples"):
        make().fit(X[:1], y[:1])


def test_y_none_is_refused(case):
    make, X, _ = case
    with pytest.raises(ValueError, match="requires y to be passed"):
        make().fit(X, None)


# ------------------------------------------------------------- prediction
def test_prediction_changes_nothing_on_the_estimator(fitted_case):
    est, X, y, _ = fitted_case
    before = {k: repr(v) for k, v in vars(est).items() if k != "history_"}
    est.predict(X)
    _output(est, X)
    est.score(X, y)
    after = {k: repr(v) for k, v in vars(est).items() if k != "history_"}
    assert after == before  # check_dict_unchanged


def test_prediction_follows_the_order_and_subsets_of_the_clips(fitted_case):
    est, X, _, _ = fitted_case
    whole = _output(est, X)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(_output(est, X[order]), whole[order], rtol=1e-5, atol=1e-6)
    parts = np.concatenate([_output(est, X[i:i + 3]) for i in range(0, len(X), 3)])
    np.testing.assert_allclose(parts, whole, rtol=1e-5, atol=1e-6)


def test_other_bins_are_refused_in_predict(fitted_case):
    est, X, _, _ = fitted_case
    with pytest.raises(ValueError, match="fitted on samples of shape"):
        est.predict(np.concatenate([X, X], axis=2))


def test_pickle_and_pipeline_give_the_same_predictions(fitted_case):
    est, X, _, target = fitted_case
    twin = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(_output(twin, X), _output(est, X))
    pipe = make_pipeline(FunctionTransformer(), clone(est))
    X0 = _maps()  # what the shared fitted estimator was trained on
    pipe.fit(X0, target(X0))
    np.testing.assert_allclose(_output(pipe, X), _output(est, X), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------- sample weights
def test_sample_weights_as_list_are_weights_and_are_not_overwritten(case):
    make, X, y = case
    weight = np.linspace(0.5, 2.0, len(X))
    copy = weight.copy()
    from_array = _output(make().fit(X, y, sample_weight=weight), X)
    from_list = _output(make().fit(X, y, sample_weight=weight.tolist()), X)
    np.testing.assert_array_equal(weight, copy)
    np.testing.assert_allclose(from_list, from_array, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("weight, match", [
    (np.ones(N - 1), r"expected \(10,\)"), (np.zeros(N), "sums to zero"),
    (np.ones((N, 2)), r"expected \(10,\)"),
])
def test_bad_sample_weights_are_refused(case, weight, match):
    make, X, y = case
    with pytest.raises(ValueError, match=match):
        make().fit(X, y, sample_weight=weight)


# ------------------------------------------------------------ classifier
def test_frame_classifier_needs_two_labels_and_refuses_values():
    X = _maps()
    with pytest.raises(ValueError, match="1 class"):
        CASES["frame_classifier"][0]().fit(X, np.full((N, FRAMES), "on"))
    with pytest.raises(ValueError, match="Unknown label type"):
        CASES["frame_classifier"][0]().fit(X, _values(X))

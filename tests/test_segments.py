"""SegmentClassifier, SegmentRegressor: recordings cut into segments, predictions pooled.

scikit-learn's API checks on both are in tests/test_common.py."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from skcnn import CNNClassifier, SegmentClassifier, SegmentRegressor, SpectrogramTransformer
from skcnn.datasets import make_audio_classification


def _stats(segments):
    """Mean and standard deviation of each segment."""
    segments = segments.reshape(len(segments), -1).astype(np.float64)
    return np.column_stack([segments.mean(axis=1), segments.std(axis=1)])


def _pipe(final, features=_stats):
    return make_pipeline(FunctionTransformer(features), final)


# ---------------------------------------------------------------- spies

class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Each segment holds one value; its probability of class 1 is that value's
    fractional part. Logs what it sees (class-level, since searches clone)."""

    log = []

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        SpyClassifier.log.append({"fit": X.copy(), "y": y.copy(), "sample_weight": sample_weight})
        return self

    def predict_proba(self, X):
        SpyClassifier.log.append({"predict": X.copy()})
        p1 = np.asarray(X).reshape(len(X), -1).max(axis=1) % 1
        return np.column_stack([1 - p1, p1])

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class VoterClassifier(ClassifierMixin, BaseEstimator):
    """predict only: class 1 where a segment's value is above 0.5."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[(np.asarray(X).reshape(len(X), -1).max(axis=1) > 0.5).astype(int)]


def _constant(values, n):
    """A recording of n samples at each value in turn (one value per n samples)."""
    return np.repeat(np.asarray(values, dtype=np.float32), n)


# ---------------------------------------------------------------- segmentation

def test_segments_counts_tails_and_padding():
    clf = SegmentClassifier(SpyClassifier(), segment_seconds=0.01, hop_seconds=0.005, sr=1000)
    # 10-sample segments every 5 samples
    X = [np.arange(1, 28, dtype=np.float32), np.arange(1, 11, dtype=np.float32),
         np.arange(1, 5, dtype=np.float32)]
    segments, recording = clf.segment(X)
    assert segments.shape == (4 + 1 + 1, 10) and segments.dtype == np.float32
    assert recording.tolist() == [0, 0, 0, 0, 1, 2]
    # starts 0, 5, 10, 15; the last 2 samples (26, 27) do not fill a segment: dropped
    np.testing.assert_array_equal(segments[:4], [np.arange(s + 1, s + 11) for s in (0, 5, 10, 15)])
    np.testing.assert_array_equal(segments[4], np.arange(1, 11))
    # shorter than one segment: one segment, zero-padded at the end
    np.testing.assert_array_equal(segments[5], [1, 2, 3, 4, 0, 0, 0, 0, 0, 0])
    clf.fit(X, [0, 1, 0])
    assert clf.n_segments_.tolist() == [4, 1, 1]
    assert (clf.segment_length_, clf.hop_length_) == (10, 5)


def test_default_hop_is_the_segment_and_channels_are_kept():
    clf = SegmentRegressor(Ridge(), segment_seconds=0.5, sr=8)  # 4 samples, no overlap
    stereo = np.arange(2 * 2 * 9, dtype=np.float32).reshape(2, 2, 9)
    segments, recording = clf.segment(stereo)
    assert segments.shape == (4, 2, 4) and recording.tolist() == [0, 0, 1, 1]
    np.testing.assert_array_equal(segments[1], stereo[0][:, 4:8])
    listed, _ = clf.segment([stereo[0], stereo[1][:, :6]])  # a list of 2-D clips keeps its axis
    assert listed.shape == (3, 2, 4)
    mono, _ = clf.segment(stereo[:, 0])
    assert mono.shape == (4, 4)


def test_a_hop_longer_than_the_segment_skips_audio():
    clf = SegmentRegressor(Ridge(), segment_seconds=1.0, hop_seconds=1.5, sr=10)
    segments, _ = clf.segment([np.arange(40, dtype=np.float32)])
    np.testing.assert_array_equal(segments[:, 0], [0, 15, 30])  # 1 + (40 - 10) // 15 segments


def test_integer_pcm_is_scaled():
    clf = SegmentRegressor(Ridge(), segment_seconds=0.5, sr=4)
    segments, _ = clf.segment(np.array([[16384, -32768, 0, 0]], dtype=np.int16))
    np.testing.assert_array_equal(segments, [[0.5, -1.0], [0.0, 0.0]])


# ---------------------------------------------------------------- fitting

def test_every_segment_gets_its_recordings_target_and_weight():
    X = [_constant([0.1], 30), _constant([0.2], 10), _constant([0.3], 25)]
    SpyClassifier.log = []
    clf = SegmentClassifier(SpyClassifier(), segment_seconds=1.0, sr=10)
    clf.fit(X, ["a", "b", "a"], sample_weight=[1.0, 2.0, 3.0])
    seen = SpyClassifier.log[0]
    assert clf.n_segments_.tolist() == [3, 1, 2]
    assert seen["y"].tolist() == ["a", "a", "a", "b", "a", "a"]
    assert seen["sample_weight"].tolist() == [1.0, 1.0, 1.0, 2.0, 3.0, 3.0]
    assert clf.classes_.tolist() == ["a", "b"]
    # the documented recipe for one vote per recording: each recording's weights sum to 1
    n_segments = np.bincount(clf.segment(X)[1])
    clf.fit(X, ["a", "b", "a"], sample_weight=1 / n_segments)
    weights = SpyClassifier.log[-1]["sample_weight"]
    np.testing.assert_allclose(np.bincount(clf.segment(X)[1], weights=weights), 1.0)


def test_weights_reach_a_pipelines_last_step_and_fit_params_are_repeated():
    X = [_constant([0.1], 30), _constant([0.2], 10)]
    SpyClassifier.log = []
    pipe = Pipeline([("scale", FunctionTransformer()), ("spy", SpyClassifier())])
    SegmentClassifier(pipe, segment_seconds=1.0, sr=10).fit(X, [0, 1], sample_weight=[1, 5])
    assert SpyClassifier.log[0]["sample_weight"].tolist() == [1, 1, 1, 5]
    SpyClassifier.log = []
    SegmentClassifier(pipe, segment_seconds=1.0, sr=10).fit(X, [0, 1], spy__sample_weight=[1, 5])
    assert list(SpyClassifier.log[0]["sample_weight"]) == [1, 1, 1, 5]


def test_weights_follow_metadata_routing_when_it_is_enabled():
    X = [_constant([0.1], 30), _constant([0.2], 10)]
    with sklearn.config_context(enable_metadata_routing=True):
        SpyClassifier.log = []
        spy = SpyClassifier().set_fit_request(sample_weight=True)
        pipe = Pipeline([("scale", FunctionTransformer()), ("spy", spy)])
        SegmentClassifier(pipe, segment_seconds=1.0, sr=10).fit(X, [0, 1], sample_weight=[1, 5])
    assert SpyClassifier.log[0]["sample_weight"].tolist() == [1, 1, 1, 5]


def test_folds_over_recordings_never_split_a_recording():
    # recording i holds the value i + 1.25 (so its segments are recognisable; padding is 0)
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 60, size=12)
    X = [_constant([i + 1.25], n) for i, n in enumerate(lengths)]
    assert lengths.min() < 10  # some recordings are zero-padded
    y = np.arange(12) % 2
    SpyClassifier.log = []
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    cross_validate(SegmentClassifier(SpyClassifier(), segment_seconds=1.0, sr=10), X, y, cv=folds)
    def ids(segments):
        return set((np.unique(segments[segments != 0]) // 1 - 1).astype(int).tolist())

    fits = [ids(e["fit"]) for e in SpyClassifier.log if "fit" in e]
    predicts = [ids(e["predict"]) for e in SpyClassifier.log if "predict" in e]
    assert len(fits) == len(predicts) == 4
    for (train, test), fitted, predicted in zip(folds, fits, predicts):
        assert fitted == set(train.tolist()) and predicted == set(test.tolist())
        assert not fitted & predicted


# ---------------------------------------------------------------- pooling

@pytest.fixture
def two_segment_recordings():
    # 2 segments each; the value's fractional part is the segment's probability of class 1
    return [_constant([0.2, 0.4], 10),   # votes 0, 0: class 0
            _constant([0.4, 0.9], 10),   # votes 0, 1: a tie; mean p1 = 0.65, class 1
            _constant([0.1, 0.55], 10),  # votes 0, 1: a tie; mean p1 = 0.325, class 0
            _constant([0.7], 25)]        # 2 segments (tail dropped), votes 1, 1


def test_mean_pools_the_segments_probabilities(two_segment_recordings):
    clf = SegmentClassifier(SpyClassifier(), segment_seconds=1.0, sr=10)
    clf.fit(two_segment_recordings, [0, 1, 0, 1])
    proba = clf.predict_proba(two_segment_recordings)
    np.testing.assert_allclose(proba[:, 1], [0.3, 0.65, 0.325, 0.7], rtol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.predict(two_segment_recordings).tolist() == [0, 1, 0, 1]
    np.testing.assert_allclose(clf.predict_log_proba(two_segment_recordings), np.log(proba))


def test_vote_counts_segments_and_breaks_ties_by_mean_probability(two_segment_recordings):
    clf = SegmentClassifier(SpyClassifier(), segment_seconds=1.0, sr=10, aggregate="vote")
    clf.fit(two_segment_recordings, [0, 1, 0, 1])
    np.testing.assert_allclose(clf.predict_proba(two_segment_recordings)[:, 1], [0, 0.5, 0.5, 1])
    assert clf.predict(two_segment_recordings).tolist() == [0, 1, 0, 1]


def test_vote_without_predict_proba_breaks_ties_by_the_first_class(two_segment_recordings):
    clf = SegmentClassifier(VoterClassifier(), segment_seconds=1.0, sr=10, aggregate="vote")
    clf.fit(two_segment_recordings, ["no", "yes", "no", "yes"])
    assert clf.predict(two_segment_recordings).tolist() == ["no", "no", "no", "yes"]
    np.testing.assert_allclose(clf.predict_proba(two_segment_recordings)[:, 1], [0, 0.5, 0.5, 1])
    assert clf.score(two_segment_recordings, ["no", "yes", "no", "yes"]) == 0.75


def test_aggregate_is_read_when_predicting(two_segment_recordings):
    y = [0, 1, 0, 1]
    voter = SegmentClassifier(SpyClassifier(), segment_seconds=1.0, sr=10, aggregate="vote")
    switched = SegmentClassifier(SpyClassifier(), segment_seconds=1.0, sr=10).fit(
        two_segment_recordings, y).set_params(aggregate="vote")
    np.testing.assert_array_equal(switched.predict_proba(two_segment_recordings),
                                  voter.fit(two_segment_recordings, y).predict_proba(
                                      two_segment_recordings))


@pytest.mark.parametrize("aggregate, expected", [("mean", [2.0, 5.0]), ("median", [1.0, 5.0])])
def test_regressor_pools_the_segments_predictions(aggregate, expected):
    # Ridge(alpha=0) on the mean feature predicts each segment's mean exactly
    reg = SegmentRegressor(_pipe(Ridge(alpha=0.0), _stats), segment_seconds=1.0, sr=10,
                           aggregate=aggregate)
    X = [_constant([1.0, 1.0, 4.0], 10), _constant([5.0], 10)]
    train = [_constant([v], 10) for v in (0.0, 2.0, 7.0)]
    reg.fit(train, [0.0, 2.0, 7.0])
    np.testing.assert_allclose(reg.predict(X), expected, atol=1e-9)
    reg.fit(train, np.column_stack([[0.0, 2.0, 7.0], [0.0, -2.0, -7.0]]))  # two outputs
    np.testing.assert_allclose(reg.predict(X), np.column_stack([expected, -np.array(expected)]),
                               atol=1e-9)


# ---------------------------------------------------------------- parameters and errors

def test_params_reach_the_wrapped_pipeline_and_clone_is_unfitted():
    pipe = Pipeline([("features", FunctionTransformer(_stats)), ("cnn", LogisticRegression())])
    clf = SegmentClassifier(pipe, segment_seconds=1.0, sr=10)
    assert clf.get_params()["estimator__cnn__C"] == 1.0
    clf.set_params(estimator__cnn__C=3.0, hop_seconds=0.5)
    assert pipe["cnn"].C == 3.0 and clf.hop_seconds == 0.5
    clf.fit([_constant([0.0], 20), _constant([1.0], 30)], [0, 1])
    twin = clone(clf)
    assert twin.get_params()["estimator__cnn__C"] == 3.0
    assert not hasattr(twin, "estimator_") and not hasattr(twin, "n_segments_")
    with pytest.raises(NotFittedError):
        twin.predict([_constant([0.0], 20)])


@pytest.mark.parametrize("params, message", [
    (dict(segment_seconds=0), r"'segment_seconds' parameter of SegmentClassifier must be a "
                              r"float in the range \(0.0, inf\)\. Got 0"),
    (dict(hop_seconds=-1.0), r"'hop_seconds' parameter .* range \(0.0, inf\) or None\. Got -1.0"),
    (dict(sr=0), r"'sr' parameter .* range \(0.0, inf\)\. Got 0"),
    (dict(segment_seconds=0.01), r"segment_seconds=0.01 at sr=10 is 0.1 samples, which rounds "
                                 r"to 0; .* segment_seconds >= 0.1 s"),
    (dict(hop_seconds=0.04), r"hop_seconds=0.04 at sr=10 is 0.4 samples"),
    (dict(aggregate="median"), r"'aggregate' parameter .* among \{'(mean|vote)', '(vote|mean)'\}"),
])
def test_bad_parameters_are_named(params, message):
    clf = SegmentClassifier(SpyClassifier(), **{"segment_seconds": 1.0, "sr": 10, **params})
    with pytest.raises((InvalidParameterError, ValueError), match=message):
        clf.fit([_constant([0.1], 20), _constant([0.6], 20)], [0, 1])


def test_vote_is_for_classifiers():
    reg = SegmentRegressor(Ridge(), segment_seconds=1.0, sr=10, aggregate="vote")
    with pytest.raises(InvalidParameterError,
                       match=r"'aggregate' parameter of SegmentRegressor must be a str among "
                             r"\{'(mean|median)', '(median|mean)'\}\. Got 'vote'"):
        reg.fit([_constant([0.1], 20)], [0.5])


def test_mean_needs_predict_proba():
    clf = SegmentClassifier(_pipe(LinearSVC()), segment_seconds=1.0, sr=10)
    X, y = [_constant([0.1], 20), _constant([0.6], 20)], [0, 1]
    with pytest.raises(ValueError, match=r"aggregate='mean' averages the segments' predict_proba, "
                                         r"but the estimator Pipeline has no predict_proba; use "
                                         r"aggregate='vote'"):
        clf.fit(X, y)
    assert not hasattr(clf, "predict_proba")
    voter = clf.set_params(aggregate="vote").fit(X, y)
    assert voter.predict(X).tolist() == [0, 1] and hasattr(voter, "predict_proba")


def test_data_errors_name_what_is_wrong():
    clf = SegmentClassifier(SpyClassifier(), segment_seconds=1.0, sr=10)
    X = [_constant([0.1], 20), _constant([0.6], 20)]
    with pytest.raises(ValueError, match=r"clip 1 of X has 0 samples \(shape \(1, 0\)\)"):
        clf.fit([X[0], np.zeros(0)], [0, 1])
    with pytest.raises(ValueError, match=r"y has 3 targets but X holds 2 recordings"):
        clf.fit(X, [0, 1, 0])
    with pytest.raises(ValueError, match=r"SegmentClassifier requires y to be passed, but the "
                                         r"target y is None"):
        clf.fit(X, None)
    with pytest.raises(ValueError, match=r"clips in X have different numbers of channels"):
        clf.fit([np.zeros((2, 20)), np.zeros((1, 20))], [0, 1])
    clf.fit(X, [0, 1])
    with pytest.raises(ValueError, match=r"clip 0 of X contains NaN"):
        clf.predict([np.full(20, np.nan)])
    with pytest.raises(ValueError, match=r"sample_weight was passed, but VoterClassifier.fit "
                                         r"does not take sample_weight"):
        SegmentClassifier(VoterClassifier(), segment_seconds=1.0, sr=10,
                          aggregate="vote").fit(X, [0, 1], sample_weight=[1, 2])


def test_importing_segments_needs_no_torch():
    code = "import sys, skcnn; skcnn.SegmentRegressor; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- with a real skcnn pipeline

SR = 8000


def _ragged_recordings(n_recordings=10, seed=0):
    """Recordings of 2 to 4 half-second clips of one class, some cut short: ragged."""
    rng = np.random.default_rng(seed)
    clips, labels = make_audio_classification(n_samples=40, sr=SR, duration=0.5, n_classes=2,
                                              random_state=seed)
    X, y = [], []
    for i in range(n_recordings):
        label = i % 2
        pick = rng.choice(np.flatnonzero(labels == label), size=rng.integers(2, 5), replace=False)
        X.append(np.concatenate(clips[pick])[: -int(rng.integers(1, 1500))])
        y.append(label)
    return X, np.array(y)


def _cnn_pipeline():
    return Pipeline([
        ("features", SpectrogramTransformer(sr=SR, n_fft=128, hop_length=64, n_mels=16)),
        ("cnn", CNNClassifier(n_filters=(4,), hidden_units=(8,), max_epochs=2, global_pool="avg",
                              random_state=0)),
    ])


@pytest.fixture(scope="module")
def fitted_cnn():
    X, y = _ragged_recordings()
    return SegmentClassifier(_cnn_pipeline(), segment_seconds=0.25, sr=SR).fit(X, y), X, y


def test_real_pipeline_shapes_probabilities_and_labels(fitted_cnn):
    clf, X, y = fitted_cnn
    assert len({len(x) for x in X}) == len(X)  # every recording has its own length
    assert clf.n_segments_.tolist() == [len(x) // 2000 for x in X]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(proba, axis=1)])
    assert clf.classes_.tolist() == [0, 1]
    # the pooled probabilities are the means of the fitted pipeline's segment probabilities
    segments, recording = clf.segment(X)
    per_segment = clf.estimator_.predict_proba(segments)
    np.testing.assert_allclose(proba[3], per_segment[recording == 3].mean(axis=0), rtol=1e-5)
    assert 0.0 <= clf.score(X, y) <= 1.0


def test_real_pipeline_pickles_to_identical_predictions(fitted_cnn):
    clf, X, _ = fitted_cnn
    twin = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(twin.predict(X), clf.predict(X))


def test_grid_search_reaches_the_cnn():
    X, y = _ragged_recordings(n_recordings=6, seed=1)
    search = GridSearchCV(SegmentClassifier(_cnn_pipeline(), segment_seconds=0.25, sr=SR),
                          {"estimator__cnn__lr": [1e-3, 1e-2]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["estimator__cnn__lr"] in (1e-3, 1e-2)
    assert len(search.cv_results_["params"]) == 2
    best = search.best_estimator_
    assert best.estimator_["cnn"].lr == search.best_params_["estimator__cnn__lr"]
    assert best.predict(X).shape == (6,)


def test_real_pipeline_takes_weights():  # routed to cnn__sample_weight
    X, y = _ragged_recordings(n_recordings=4, seed=2)
    clf = SegmentClassifier(_cnn_pipeline(), segment_seconds=0.25, sr=SR)
    clf.fit(X, y, sample_weight=[1.0, 2.0, 1.0, 0.5])
    assert clf.predict(X).shape == (4,)


def test_audio_files_are_cut_and_pooled_as_recordings_in_memory(tmp_path):
    # recordings of different lengths as files (one at another rate, read
    # whole and resampled): the segments are read a batch at a time, and the
    # fitted classifier predicts what it predicts from the recordings in memory
    import soundfile as sf

    from skcnn.datasets import load_audio_folder

    rng = np.random.default_rng(0)
    (tmp_path / "all").mkdir()
    paths, y = [], []
    for i, seconds in enumerate([1.0, 0.3, 2.1, 1.7, 0.9, 1.25]):
        rate = 16000 if i == 3 else 8000
        t = np.arange(int(seconds * rate)) / rate
        f = 300 if i % 2 else 1100
        clip = 0.5 * np.sin(2 * np.pi * f * t) + 0.05 * rng.normal(size=t.size)
        path = tmp_path / "all" / f"{i}.wav"
        sf.write(path, clip.astype(np.float32), rate, subtype="FLOAT")
        paths.append(str(path))
        y.append("low" if i % 2 else "high")
    recordings = load_audio_folder(tmp_path, sr=8000).data
    y = np.array(y)

    def model():
        return SegmentClassifier(
            make_pipeline(SpectrogramTransformer(sr=8000, n_fft=256, hop_length=128, n_mels=16),
                          CNNClassifier(n_filters=(4,), max_epochs=2, batch_size=4,
                                        random_state=0)),
            segment_seconds=0.5, hop_seconds=0.25, sr=8000)

    segments, recording = model().segment(paths)
    in_memory, recording_in_memory = model().segment(recordings)
    np.testing.assert_array_equal(recording, recording_in_memory)
    np.testing.assert_array_equal(np.asarray(segments)[:, 0], in_memory)
    lazy = model().fit(paths, y)
    reference = model().fit(recordings, y)
    np.testing.assert_array_equal(lazy.n_segments_, reference.n_segments_)
    np.testing.assert_array_equal(lazy.predict_proba(paths), reference.predict_proba(recordings))
    wrong_rate = model().set_params(estimator__spectrogramtransformer__sr=16000)
    with pytest.raises(ValueError, match=r"cut into segments at sr=8000, but "
                                         r"SpectrogramTransformer has sr=16000"):
        wrong_rate.fit(paths, y)

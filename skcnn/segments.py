"""Recordings longer than a network's window: cut into segments, pooled per recording.

:class:`SegmentClassifier` and :class:`SegmentRegressor` wrap any estimator
(typically a ``Pipeline`` of a feature transformer and a CNN). ``fit`` cuts
every recording into fixed-length segments and fits a clone of the estimator
on all of them, each with its recording's target; ``predict`` pools the
segments' outputs back into one prediction per recording. Since ``X`` and
``y`` hold one row per recording, the folds of a cross-validation or a grid
search over the wrapper never split a recording between training and test.

This module needs only numpy and scikit-learn; the wrapped estimator brings
whatever else it needs.
"""

from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.pipeline import Pipeline
from sklearn import get_config
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
)

from .features._audio import check_recordings
from .features._files import AudioFiles, is_file_list
from .utils._private import (
    HasMethods,
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    _is_arraylike,
    _num_samples,
    _safe_indexing,
)

__all__ = ["SegmentClassifier", "SegmentRegressor"]


def _n_samples(seconds, sr, name):
    """``round(seconds * sr)``, refused when it rounds below one sample."""
    n = int(round(seconds * sr))
    if n < 1:
        raise ValueError(
            f"{name}={seconds!r} at sr={sr!r} is {seconds * sr:g} samples, which rounds "
            f"to 0; it must be at least one sample: {name} >= {1 / sr:g} s."
        )
    return n


def _cut(recordings, length, hop):
    """All segments of all recordings, and how many each recording gave.

    A recording of ``n`` samples gives ``1 + (n - length) // hop`` segments
    starting at ``0, hop, 2 * hop, ...`` (the last ``(n - length) % hop``
    samples are dropped), or one zero-padded segment when ``n < length``.
    """
    counts = np.array(
        [1 if r.shape[-1] <= length else 1 + (r.shape[-1] - length) // hop for r in recordings]
    )
    segments = np.zeros((counts.sum(), recordings[0].shape[0], length), dtype=np.float32)
    start = 0
    for recording, count in zip(recordings, counts):
        if recording.shape[-1] < length:
            segments[start, :, : recording.shape[-1]] = recording
        else:
            windows = np.lib.stride_tricks.sliding_window_view(recording, length, axis=-1)
            segments[start : start + count] = windows[:, ::hop].transpose(1, 0, 2)
        start += count
    return segments, counts


def _pool_sum(values, counts):
    """Sum of each recording's consecutive block of rows."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.add.reduceat(np.asarray(values, dtype=np.float64), starts, axis=0)


def _pool_mean(values, counts):
    """Mean of each recording's consecutive block of rows."""
    sums = _pool_sum(values, counts)
    return sums / counts.reshape((-1,) + (1,) * (sums.ndim - 1))


def _estimator_has(attr):
    """For ``available_if``: the fitted estimator, else the unfitted one, has ``attr``."""

    def check(self):
        return hasattr(getattr(self, "estimator_", self.estimator), attr)

    return check


class _BaseSegments(MetaEstimatorMixin, BaseEstimator):
    """Cutting, fitting and pooling shared by the classifier and the regressor."""

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "segment_seconds": [Interval(Real, 0, None, closed="neither")],
        "hop_seconds": [Interval(Real, 0, None, closed="neither"), None],
        "sr": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, estimator, *, segment_seconds, hop_seconds=None, sr, aggregate="mean"):
        self.estimator = estimator
        self.segment_seconds = segment_seconds
        self.hop_seconds = hop_seconds
        self.sr = sr
        self.aggregate = aggregate

    def _lengths(self):
        length = _n_samples(self.segment_seconds, self.sr, "segment_seconds")
        if self.hop_seconds is None:
            return length, length
        return length, _n_samples(self.hop_seconds, self.sr, "hop_seconds")

    def _segments(self, X, length, hop):
        if is_file_list(X):
            # audio files: segments read from the files a batch at a time
            return AudioFiles.segments(X, sr=self.sr, length=length, hop=hop)
        recordings, multichannel = check_recordings(X)
        segments, counts = _cut(recordings, length, hop)
        return (segments if multichannel else segments[:, 0]), counts

    def segment(self, X):
        """Cut recordings into the segments that the wrapped estimator sees.

        Uses the current ``segment_seconds``, ``hop_seconds`` and ``sr``; works
        before ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples) or (n_recordings, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Recordings, of any lengths in a list; or audio files, read
            mono at ``sr``.

        Returns
        -------
        segments : ndarray of shape (n_segments, segment_length) or (n_segments, n_channels, segment_length), dtype float32
            Every recording's segments, recording by recording, in time
            order; 3-D when ``X`` has a channel axis. For files, the
            segments unread, as the wrapped pipeline's transformer takes
            them (``np.asarray`` reads them all: ``(n_segments, 1,
            segment_length)``).
        recording : ndarray of shape (n_segments,)
            The index in ``X`` of each segment's recording (the ``groups``
            for a ``GroupKFold`` over segments).
        """
        self._validate_params()
        segments, counts = self._segments(X, *self._lengths())
        return segments, np.repeat(np.arange(len(counts)), counts)

    def _fit(self, X, y, sample_weight, fit_params):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        length, hop = self._lengths()
        self._check_estimator()
        segments, counts = self._segments(X, length, hop)
        n_recordings = len(counts)
        y = self._check_y(y)
        if _num_samples(y) != n_recordings:
            raise ValueError(
                f"y has {_num_samples(y)} targets but X holds {n_recordings} recordings; "
                "pass one target per recording."
            )
        recording = np.repeat(np.arange(n_recordings), counts)
        params = {
            key: _safe_indexing(value, recording)
            if _is_arraylike(value) and _num_samples(value) == n_recordings
            else value
            for key, value in fit_params.items()
        }
        if sample_weight is not None:
            weight = _check_sample_weight(sample_weight, np.arange(n_recordings),
                                          ensure_non_negative=True)
            params[self._weight_key()] = weight[recording]
        self.estimator_ = clone(self.estimator).fit(segments, y[recording], **params)
        self.segment_length_, self.hop_length_, self.n_segments_ = length, hop, counts
        return y

    def _weight_key(self):
        """The fit parameter of the estimator that takes the segments' weights."""
        if get_config()["enable_metadata_routing"]:  # the estimator's requests route it
            return "sample_weight"
        if isinstance(self.estimator, Pipeline):
            name, final = self.estimator.steps[-1]
            key = f"{name}__sample_weight"
        else:
            final, key = self.estimator, "sample_weight"
        if not has_fit_parameter(final, "sample_weight"):
            raise ValueError(
                f"sample_weight was passed, but {type(final).__name__}.fit does not take "
                "sample_weight; pass none, or wrap an estimator that accepts it."
            )
        return key

    def _check_estimator(self):
        """Hook: refuse an estimator that ``aggregate`` cannot pool."""

    def _segment_outputs(self, X, method):
        check_is_fitted(self)
        segments, counts = self._segments(X, self.segment_length_, self.hop_length_)
        return getattr(self.estimator_, method)(segments), counts

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = False
        tags.non_deterministic = get_tags(self.estimator).non_deterministic
        return tags


_PARAMETERS = """
    Parameters
    ----------
    estimator : estimator object
        The estimator fitted on the segments (cloned in ``fit``), e.g. a
        ``Pipeline`` of a skcnn feature transformer and a CNN. Its
        parameters are reached as ``estimator__<name>``
        (``estimator__cnn__lr``).
    segment_seconds : float
        Length of a segment, in seconds: ``round(segment_seconds * sr)``
        samples, at least one.
    hop_seconds : float, default=None
        Time between the starts of consecutive segments, in seconds; None is
        ``segment_seconds`` (no overlap). Shorter overlaps the segments;
        longer skips the audio between them.
    sr : float
        Sample rate of the recordings, in Hz.
"""

_ATTRIBUTES = """
    estimator_ : estimator object
        The clone of ``estimator`` fitted on the training segments.
    n_segments_ : ndarray of shape (n_recordings,)
        Number of segments of each training recording.
    segment_length_ : int
        Samples per segment.
    hop_length_ : int
        Samples between the starts of consecutive segments.
"""

_NOTES = """
    Segments start at samples ``0, hop, 2 * hop, ...`` and must fit in the
    recording: a recording of ``n >= segment_length_`` samples gives
    ``1 + (n - segment_length_) // hop_length_`` segments and its last
    ``(n - segment_length_) % hop_length_`` samples, which do not fill a
    segment, are dropped (a padded tail segment would be mostly silence, yet
    count as much as a full one). A recording shorter than one segment gives
    one segment, zero-padded at the end. An empty recording is an error.

    The wrapped estimator sees 2-D segments ``(n_segments, segment_length)``
    when ``X`` is 2-D or a list of 1-D clips, and 3-D ``(n_segments,
    n_channels, segment_length)`` when ``X`` has a channel axis; float32,
    integer PCM scaled to [-1, 1]. All segments are held in memory at once.

    Every segment is fitted with its recording's target and ``sample_weight``,
    so a recording with more segments counts more in the fit. To make every
    recording count the same, pass ``sample_weight=1 / n_segments`` with
    ``n_segments = np.bincount(model.segment(X)[1])``. Other fit parameters with
    one entry per recording are repeated per segment as well; the rest are
    passed on unchanged. For a ``Pipeline``, ``sample_weight`` goes to its
    last step (``<name>__sample_weight``); with scikit-learn's metadata
    routing enabled, it goes as ``sample_weight`` wherever the wrapped
    estimator's requests (``set_fit_request``) send it.
"""


class SegmentClassifier(ClassifierMixin, _BaseSegments):
    __doc__ = (
        """Classify recordings of any length from fixed-length segments.

    Each recording is cut into segments of ``segment_seconds``; a clone of
    ``estimator`` is fitted on all segments, each labelled with its
    recording's class, and a recording is predicted from its segments.
"""
        + _PARAMETERS
        + """    aggregate : {'mean', 'vote'}, default='mean'
        How the segments' outputs make the recording's prediction.
        'mean': ``predict_proba`` is the mean of the segments'
        ``predict_proba`` (the estimator must have one) and ``predict`` its
        argmax. 'vote': each segment votes for its most probable class (its
        ``predict`` when the estimator has no ``predict_proba``),
        ``predict_proba`` is the fraction of votes per class and ``predict``
        the class with most votes; a tie goes to the tied class of highest
        mean probability, or to the first of ``classes_`` without
        ``predict_proba``. Read when predicting: ``set_params(aggregate=...)``
        on a fitted model changes the pooling without refitting.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the order of the ``predict_proba`` columns."""
        + _ATTRIBUTES
        + """
    See Also
    --------
    SegmentRegressor : The same for a continuous target.
    sklearn.model_selection.GroupKFold : Folds over segments grouped by recording.

    Notes
    -----"""
        + _NOTES
        + """
    Examples
    --------
    Recordings of two whistles, 0.6 to 3.1 s long, told apart by the
    zero-crossing rate of half-second segments:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skcnn import SegmentClassifier
    >>> sr, rng = 1000, np.random.default_rng(0)
    >>> def whistle(hz, seconds):
    ...     t = np.arange(int(seconds * sr)) / sr
    ...     return np.sin(2 * np.pi * hz * t) + 0.1 * rng.normal(size=t.size)
    >>> def crossings(segments):  # zero crossings per sample, one column
    ...     return (np.diff(np.sign(segments)) != 0).mean(axis=-1, keepdims=True)
    >>> X = [whistle(50, 2.3), whistle(200, 3.1), whistle(50, 1.7), whistle(200, 0.6)]
    >>> y = ["low", "high", "low", "high"]
    >>> pipe = make_pipeline(FunctionTransformer(crossings), LogisticRegression(C=100))
    >>> clf = SegmentClassifier(pipe, segment_seconds=0.5, sr=sr).fit(X, y)
    >>> clf.n_segments_.tolist()
    [4, 6, 3, 1]
    >>> clf.predict([whistle(50, 1.2), whistle(200, 4.0)]).tolist()
    ['low', 'high']
    """
    )

    _parameter_constraints: dict = {
        **_BaseSegments._parameter_constraints,
        "aggregate": [StrOptions({"mean", "vote"})],
    }

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator is validated in its fit
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit a clone of the estimator on the segments of every recording.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples) or (n_recordings, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Recordings, of any lengths in a list.
        y : array-like of shape (n_recordings,)
            The class of each recording.
        sample_weight : array-like of shape (n_recordings,), default=None
            Weight of each recording, given to each of its segments.
        **fit_params : dict
            Passed to the estimator's ``fit``; those with one entry per
            recording are repeated per segment.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        y = self._fit(X, y, sample_weight, fit_params)
        classes = getattr(self.estimator_, "classes_", None)
        self.classes_ = np.unique(y) if classes is None else np.asarray(classes)
        return self

    def _check_y(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _check_estimator(self):
        if self.aggregate == "mean" and not hasattr(self.estimator, "predict_proba"):
            raise ValueError(
                f"aggregate='mean' averages the segments' predict_proba, but the estimator "
                f"{type(self.estimator).__name__} has no predict_proba; use aggregate='vote' "
                "or an estimator with predict_proba."
            )

    def _votes_and_mean(self, X):
        """Votes per class of each recording's segments, and their mean probabilities."""
        if hasattr(self.estimator_, "predict_proba"):
            proba, counts = self._segment_outputs(X, "predict_proba")
            choice = np.argmax(proba, axis=1)
            mean = _pool_mean(proba, counts)
        else:
            labels, counts = self._segment_outputs(X, "predict")
            where = {label: i for i, label in enumerate(self.classes_.tolist())}
            choice = np.array([where[label] for label in np.asarray(labels).tolist()])
            mean = None
        return _pool_sum(np.eye(len(self.classes_))[choice], counts), mean

    @available_if(lambda self: self.aggregate == "vote" or _estimator_has("predict_proba")(self))
    def predict_proba(self, X):
        """Class probabilities of each recording, pooled from its segments.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples) or (n_recordings, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Recordings, of any lengths in a list.

        Returns
        -------
        proba : ndarray of shape (n_recordings, n_classes)
            The segments' mean probability ('mean') or fraction of votes
            ('vote') per class; rows sum to 1, columns follow ``classes_``.
        """
        check_is_fitted(self)
        if self.aggregate == "mean":
            proba, counts = self._segment_outputs(X, "predict_proba")
            return _pool_mean(proba, counts)
        votes, _ = self._votes_and_mean(X)
        return votes / votes.sum(axis=1, keepdims=True)

    @available_if(lambda self: self.aggregate == "vote" or _estimator_has("predict_proba")(self))
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples) or (n_recordings, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Recordings, of any lengths in a list.

        Returns
        -------
        log_proba : ndarray of shape (n_recordings, n_classes)
            ``log(predict_proba(X))``; ``-inf`` for a class with no votes.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Class of each recording, from its segments (see ``aggregate``).

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples) or (n_recordings, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Recordings, of any lengths in a list.

        Returns
        -------
        y_pred : ndarray of shape (n_recordings,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        if self.aggregate == "mean":
            index = np.argmax(self.predict_proba(X), axis=1)
            return self.classes_[index]
        votes, mean = self._votes_and_mean(X)
        if mean is not None:  # among the classes with most votes, the most probable
            votes = np.where(votes == votes.max(axis=1, keepdims=True), mean, -np.inf)
        return self.classes_[np.argmax(votes, axis=1)]


class SegmentRegressor(RegressorMixin, _BaseSegments):
    __doc__ = (
        """Regress on recordings of any length from fixed-length segments.

    Each recording is cut into segments of ``segment_seconds``; a clone of
    ``estimator`` is fitted on all segments, each with its recording's
    target, and a recording's prediction pools its segments' predictions.
"""
        + _PARAMETERS
        + """    aggregate : {'mean', 'median'}, default='mean'
        The mean or the median of the segments' predictions ('median' is
        robust to a few segments far off, e.g. silent ones). Read when
        predicting, like the classifier's.

    Attributes
    ----------"""
        + _ATTRIBUTES
        + """
    See Also
    --------
    SegmentClassifier : The same for classes.

    Notes
    -----"""
        + _NOTES
        + """
    Examples
    --------
    The loudness of recordings 0.6 to 3.1 s long, from the RMS of
    half-second segments:

    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skcnn import SegmentRegressor
    >>> sr, rng = 1000, np.random.default_rng(0)
    >>> X = [level * rng.normal(size=int(s * sr)) for level, s in
    ...      [(0.1, 2.3), (0.5, 3.1), (0.3, 1.7), (0.8, 0.6)]]
    >>> y = [0.1, 0.5, 0.3, 0.8]
    >>> def rms(segments):
    ...     return np.sqrt((segments ** 2).mean(axis=-1, keepdims=True))
    >>> pipe = make_pipeline(FunctionTransformer(rms), LinearRegression())
    >>> reg = SegmentRegressor(pipe, segment_seconds=0.5, sr=sr, aggregate="median")
    >>> reg.fit(X, y).predict([0.4 * rng.normal(size=2000)]).round(1).tolist()
    [0.4]
    """
    )

    _parameter_constraints: dict = {
        **_BaseSegments._parameter_constraints,
        "aggregate": [StrOptions({"mean", "median"})],
    }

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator is validated in its fit
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit a clone of the estimator on the segments of every recording.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples) or (n_recordings, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Recordings, of any lengths in a list.
        y : array-like of shape (n_recordings,) or (n_recordings, n_outputs)
            The target of each recording.
        sample_weight : array-like of shape (n_recordings,), default=None
            Weight of each recording, given to each of its segments.
        **fit_params : dict
            Passed to the estimator's ``fit``; those with one entry per
            recording are repeated per segment.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        self._fit(X, y, sample_weight, fit_params)
        return self

    def _check_y(self, y):
        return check_array(y, ensure_2d=False, dtype="numeric", input_name="y")

    def predict(self, X):
        """Target of each recording: the mean or median of its segments' predictions.

        Parameters
        ----------
        X : array-like of shape (n_recordings, n_samples) or (n_recordings, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Recordings, of any lengths in a list.

        Returns
        -------
        y_pred : ndarray of shape (n_recordings,) or (n_recordings, n_outputs)
            One prediction per recording.
        """
        pred, counts = self._segment_outputs(X, "predict")
        if self.aggregate == "mean":
            return _pool_mean(pred, counts)
        blocks = np.split(np.asarray(pred, dtype=np.float64), np.cumsum(counts)[:-1])
        return np.stack([np.median(block, axis=0) for block in blocks])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = get_tags(self.estimator).target_tags.multi_output
        return tags

"""The metrics as scorers, ``scorer(estimator, X, y)``, for ``GridSearchCV(scoring=...)``.

The frame metrics' scorers are scikit-learn's ``make_scorer`` of them; the segment
metrics' turn the rolls into events first; the PSDS scorer calls ``predict_proba``
itself.
"""

import numpy as np
from sklearn.metrics import make_scorer

from ._checks import _check_positive, _check_same_shape, _python
from ._events import segment_error_rate, segment_f1_score
from ._frames import frame_error_rate, frame_f1_score, rolls_to_events
from ._pitch import raw_pitch_accuracy
from ._psds import _check_psds_parameters, psds_score


def make_frame_f1_scorer(background=None, average="macro"):
    """A scorer of :func:`frame_f1_score`, for ``GridSearchCV(scoring=...)``.

    Parameters
    ----------
    background, average
        Passed to :func:`frame_f1_score`.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y)``; ``y`` is a roll, one row per clip

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skcnn.metrics import make_frame_f1_scorer
    >>> X, y = np.zeros((3, 1)), np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 0, 0]])
    >>> model = DummyClassifier(strategy="most_frequent").fit(X, y)  # predicts [0, 1, 1, 0]
    >>> round(make_frame_f1_scorer(background=0)(model, X, y), 4)  # TP 5, FP 1: 10 / 11
    0.9091
    """
    return make_scorer(frame_f1_score, background=background, average=average)


def make_frame_error_rate_scorer(background=None):
    """A scorer of :func:`frame_error_rate`; its scores are negated, as lower is better.

    Parameters
    ----------
    background
        Passed to :func:`frame_error_rate`.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y)``, returning ``-frame_error_rate``

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skcnn.metrics import make_frame_error_rate_scorer
    >>> X, y = np.zeros((3, 1)), np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 0, 0]])
    >>> model = DummyClassifier(strategy="most_frequent").fit(X, y)  # predicts [0, 1, 1, 0]
    >>> round(make_frame_error_rate_scorer(background=0)(model, X, y), 4)  # 1 insertion / 5
    -0.2
    """
    return make_scorer(frame_error_rate, greater_is_better=False, background=background)


raw_pitch_accuracy_scorer = make_scorer(raw_pitch_accuracy)
"""A scorer of :func:`raw_pitch_accuracy` (default tolerance), greater is better."""


def _rolls_as_events(y_true, y_pred, *, sr, hop_length, background, classes):
    """Both rolls' events (:func:`rolls_to_events`) and their clips' duration, n_frames hops."""
    y_true, y_pred = _check_same_shape(y_true, y_pred)
    if y_true.ndim not in (2, 3):
        raise ValueError(f"y_true has shape {y_true.shape}; the scorer needs rolls with one row per "
                         "clip: (n_clips, n_frames) or (n_clips, n_frames, n_classes)")
    kwargs = dict(sr=sr, hop_length=hop_length, background=background, classes=classes)
    return (rolls_to_events(y_true, **kwargs), rolls_to_events(y_pred, **kwargs),
            y_true.shape[1] * hop_length / sr)


def _segment_f1_of_rolls(y_true, y_pred, *, sr, hop_length, background, classes, segment_length, average):
    """:func:`segment_f1_score` of two rolls."""
    true, pred, duration = _rolls_as_events(y_true, y_pred, sr=sr, hop_length=hop_length,
                                            background=background, classes=classes)
    return segment_f1_score(true, pred, segment_length=segment_length, duration=duration, average=average)


def _segment_error_rate_of_rolls(y_true, y_pred, *, sr, hop_length, background, classes, segment_length):
    """:func:`segment_error_rate` of two rolls."""
    true, pred, duration = _rolls_as_events(y_true, y_pred, sr=sr, hop_length=hop_length,
                                            background=background, classes=classes)
    return segment_error_rate(true, pred, segment_length=segment_length, duration=duration)


def make_segment_f1_scorer(*, sr, hop_length, background=None, classes=None, segment_length=1.0,
                           average="micro"):
    """A scorer of :func:`segment_f1_score` of frame rolls, for ``GridSearchCV(scoring=...)``.

    The true rolls ``y`` and the estimator's ``predict`` are label rolls
    (n_clips, n_frames) or indicator rolls (n_clips, n_frames, n_classes);
    :func:`rolls_to_events` turns both into events, and each clip's duration
    is ``n_frames * hop_length / sr``.

    Parameters
    ----------
    sr : float
        Sample rate of the audio the frames came from, in Hz.
    hop_length : int
        Samples between successive frames.
    background : label, default=None
        The label of frames with no event (label rolls only).
    classes : sequence, default=None
        Labels of an indicator roll's columns (None: the column indices; they
        change no score).
    segment_length, average
        Passed to :func:`segment_f1_score`.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y)``

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skcnn.metrics import make_segment_f1_scorer
    >>> X, y = np.zeros((3, 1)), np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    >>> model = DummyClassifier(strategy="most_frequent").fit(X, y)  # predicts [0, 1, 1, 0]
    >>> scorer = make_segment_f1_scorer(sr=4, hop_length=1, background=0, segment_length=0.5)
    >>> # events (0.25, 0.75) touch segments 0 and 1 (of 0.5 s); clip 2's (0.75, 1.0), segment 1
    >>> round(scorer(model, X, y), 4)  # TP 5, FP 1 (clip 2, segment 0): 10 / 11
    0.9091
    """
    _check_positive("sr", sr)
    _check_positive("hop_length", hop_length)
    _check_positive("segment_length", segment_length)
    if average not in ("micro", "macro"):
        raise ValueError(f"average={average!r} must be 'micro' or 'macro'")
    return make_scorer(_segment_f1_of_rolls, sr=sr, hop_length=hop_length, background=background,
                       classes=classes, segment_length=segment_length, average=average)


def make_segment_error_rate_scorer(*, sr, hop_length, background=None, classes=None, segment_length=1.0):
    """A scorer of :func:`segment_error_rate` of frame rolls; its scores are negated, as lower is better.

    The rolls become events as in :func:`make_segment_f1_scorer`.

    Parameters
    ----------
    sr, hop_length, background, classes
        As in :func:`make_segment_f1_scorer`.
    segment_length
        Passed to :func:`segment_error_rate`.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y)``, returning ``-segment_error_rate``

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skcnn.metrics import make_segment_error_rate_scorer
    >>> X, y = np.zeros((3, 1)), np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    >>> model = DummyClassifier(strategy="most_frequent").fit(X, y)  # predicts [0, 1, 1, 0]
    >>> scorer = make_segment_error_rate_scorer(sr=4, hop_length=1, background=0, segment_length=0.5)
    >>> round(scorer(model, X, y), 4)  # as for make_segment_f1_scorer: 1 insertion / 5
    -0.2
    """
    _check_positive("sr", sr)
    _check_positive("hop_length", hop_length)
    _check_positive("segment_length", segment_length)
    return make_scorer(_segment_error_rate_of_rolls, greater_is_better=False, sr=sr, hop_length=hop_length,
                       background=background, classes=classes, segment_length=segment_length)


class _PSDSScorer:
    """``scorer(estimator, X, y)``: :func:`psds_score` of ``y``'s events and ``predict_proba(X)``.

    Calls ``predict_proba`` itself: scikit-learn's scorers cut a binary
    classifier's probabilities to one column of a 2-D array, which (n_clips,
    n_frames, n_classes) is not.
    """

    def __init__(self, *, sr, hop_length, background, classes, **psds_kwargs):
        self.sr, self.hop_length, self.background, self.classes = sr, hop_length, background, classes
        self.psds_kwargs = psds_kwargs

    def __repr__(self):
        kwargs = dict(sr=self.sr, hop_length=self.hop_length, background=self.background,
                      classes=self.classes, **self.psds_kwargs)
        return f"make_psds_scorer({', '.join(f'{key}={value!r}' for key, value in kwargs.items())})"

    def __call__(self, estimator, X, y):
        y = np.asarray(y)
        if y.ndim not in (2, 3):
            raise ValueError(f"y has shape {y.shape}; the PSDS scorer needs rolls with one row per clip: "
                             "(n_clips, n_frames) or (n_clips, n_frames, n_classes)")
        classes = [_python(label) for label in (estimator.classes_ if self.classes is None else self.classes)]
        if y.ndim == 3:
            events = rolls_to_events(y, sr=self.sr, hop_length=self.hop_length, classes=classes)
        else:
            events = rolls_to_events(y, sr=self.sr, hop_length=self.hop_length, background=self.background)
        scores = np.asarray(estimator.predict_proba(X))
        if scores.shape[:2] != y.shape[:2]:
            raise ValueError(f"predict_proba returned shape {scores.shape} for y of shape {y.shape}; "
                             "it must be (n_clips, n_frames, n_classes) with y's clips and frames")
        if scores.ndim == 3 and len(classes) == scores.shape[2]:  # else psds_score says what is wrong
            # a class with no reference event in these clips (a cross-validation fold) has no PSD ROC
            found = {label for clip in events for _, _, label in clip}
            kept = [k for k, label in enumerate(classes) if label in found]
            scores, classes = scores[:, :, kept], [classes[k] for k in kept]
        return psds_score(events, scores, sr=self.sr, hop_length=self.hop_length, classes=classes,
                          duration=y.shape[1] * self.hop_length / self.sr, **self.psds_kwargs)


def make_psds_scorer(*, sr, hop_length, background=None, classes=None, dtc_threshold=0.7,
                     gtc_threshold=0.7, cttc_threshold=None, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0):
    """A scorer of :func:`psds_score` of a frame classifier, for ``GridSearchCV(scoring=...)``.

    The true rolls ``y``, label rolls (n_clips, n_frames) or indicator rolls
    (n_clips, n_frames, n_classes), become events by :func:`rolls_to_events`;
    the scores are the estimator's ``predict_proba(X)``, whose columns are
    named by its ``classes_`` (a Pipeline's are its last step's), each clip
    ``n_frames * hop_length / sr`` seconds long. The classes with no
    reference event in ``y`` (a cross-validation fold may lack a rare class)
    are left out, with their columns, since PSDS is undefined for them; the
    background column of a label-roll classifier is not an event class
    either.

    Parameters
    ----------
    sr : float
        Sample rate of the audio the frames came from, in Hz.
    hop_length : int
        Samples between successive frames.
    background : label, default=None
        The label of frames with no event in label rolls.
    classes : sequence, default=None
        The labels of ``predict_proba``'s columns; None: the estimator's
        ``classes_``.
    dtc_threshold, gtc_threshold, cttc_threshold, alpha_ct, alpha_st, max_efpr
        Passed to :func:`psds_score`; the defaults are DCASE's scenario 1.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y)``

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator, ClassifierMixin
    >>> from skcnn.metrics import make_psds_scorer
    >>> class Oracle(ClassifierMixin, BaseEstimator):  # scores each frame's true label 0.9
    ...     def fit(self, X, y):
    ...         self.classes_ = np.unique(y)
    ...         return self
    ...     def predict_proba(self, X):
    ...         return np.where(X[..., None] == self.classes_, 0.9, 0.05)
    >>> y = np.array([[0, 1, 1, 0, 2, 2], [2, 2, 0, 0, 1, 0]])  # 0: no event
    >>> model = Oracle().fit(y, y)
    >>> make_psds_scorer(sr=10, hop_length=1, background=0)(model, y, y)
    1.0
    """
    _check_positive("sr", sr)
    _check_positive("hop_length", hop_length)
    _check_psds_parameters(dtc_threshold, gtc_threshold, cttc_threshold, alpha_ct, alpha_st, max_efpr)
    return _PSDSScorer(sr=sr, hop_length=hop_length, background=background, classes=classes,
                       dtc_threshold=dtc_threshold, gtc_threshold=gtc_threshold,
                       cttc_threshold=cttc_threshold, alpha_ct=alpha_ct, alpha_st=alpha_st, max_efpr=max_efpr)

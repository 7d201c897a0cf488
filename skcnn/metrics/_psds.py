"""PSDS (Bilen et al., 2020; Ebbers et al., 2022), computed by ``sed_scores_eval``.

``sed_scores_eval`` (and pandas, which it needs) is imported when :func:`psds_score` is
first called, not when :mod:`skcnn.metrics` is: it is the optional ``sed`` extra.
"""

import functools
import warnings

import numpy as np

from ._checks import _check_n_clips, _check_positive, _clip_durations, _python, _timed_events


@functools.cache
def _import_sed_scores_eval():
    """``sed_scores_eval``'s psds and a maker of its score DataFrames, or an ImportError saying
    what to install."""
    try:
        with warnings.catch_warnings():
            # dcase_util (under sed_eval, under sed_scores_eval) warns that pkg_resources is deprecated
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
            import pandas as pd
            from sed_scores_eval.base_modules.scores import create_score_dataframe
            from sed_scores_eval.intersection_based import psds
    except ImportError as error:
        missing = getattr(error, "name", None)
        if missing == "pkg_resources":
            raise ImportError("psds_score needs sed_scores_eval, which imports sed_eval, whose dcase_util "
                              "imports pkg_resources, removed in setuptools 81: "
                              "pip install 'setuptools<81'") from error
        raise ImportError("psds_score needs sed_scores_eval: pip install sed_scores_eval (or pip install "
                          f"skcnn[sed]){f'; missing module: {missing}' if missing else ''}") from error

    class WritableScoreFrame(pd.DataFrame):
        """A score DataFrame whose ``to_numpy`` copies. Under pandas 3 (copy-on-write) the scores
        of one block come back as a read-only view, which sed_scores_eval 0.0.4's Cython
        ``onset_offset_curves`` refuses ("buffer source array is read-only"); fixed after 0.0.4
        (fgnt/sed_scores_eval#17), not released. The copy changes no value."""

        @property
        def _constructor(self):
            return WritableScoreFrame

        def to_numpy(self, dtype=None, copy=False, **kwargs):
            return super().to_numpy(dtype=dtype, copy=True, **kwargs)

    def score_frame(scores, timestamps, names):
        return WritableScoreFrame(create_score_dataframe(scores, timestamps, names))

    return psds, score_frame


def _check_fraction(name, value, allow_none=False):
    """Refuse anything but a number in (0, 1] (or None where allowed)."""
    if value is None and allow_none:
        return
    _check_positive(name, value)
    if value > 1:
        raise ValueError(f"{name}={value!r} must be in (0, 1]")


def _check_psds_parameters(dtc_threshold, gtc_threshold, cttc_threshold, alpha_ct, alpha_st, max_efpr):
    """Refuse PSDS parameters out of range, or a cross-trigger weight without its threshold."""
    _check_fraction("dtc_threshold", dtc_threshold)
    _check_fraction("gtc_threshold", gtc_threshold)
    _check_fraction("cttc_threshold", cttc_threshold, allow_none=True)
    _check_positive("alpha_ct", alpha_ct, strict=False)
    _check_positive("alpha_st", alpha_st, strict=False)
    _check_positive("max_efpr", max_efpr)
    if (alpha_ct == 0) != (cttc_threshold is None):
        raise ValueError(f"alpha_ct={alpha_ct!r} and cttc_threshold={cttc_threshold!r}: cross-triggers "
                         "are counted (alpha_ct > 0) with a cttc_threshold, and not (alpha_ct=0) without")


def psds_score(y_true, scores, *, sr, hop_length, classes, background=None, duration=None,
               dtc_threshold=0.7, gtc_threshold=0.7, cttc_threshold=None, alpha_ct=0.0, alpha_st=1.0,
               max_efpr=100.0):
    """Polyphonic sound detection score (PSDS) of frame scores, over all thresholds.

    The threshold-free metric of DCASE's sound event detection task since 2021
    (Bilen et al., 2020), computed exactly by ``sed_scores_eval`` (Ebbers et
    al., 2022; ``sed_scores_eval.intersection_based.psds``): for every
    decision threshold, each run of frames whose score exceeds it is a
    detection; a detection is true when at least ``dtc_threshold`` of it lies
    in reference events of its class, a reference event is found when
    detections cover at least ``gtc_threshold`` of it. Each class's true
    positive rate against its false positives per hour makes a ROC; PSDS is
    the area under (mean of those ROCs - ``alpha_st`` * their standard
    deviation) up to ``max_efpr``, divided by ``max_efpr``: 1 is perfect.

    The defaults are DCASE's scenario 1 (onsets and offsets matter):
    ``dtc_threshold=0.7, gtc_threshold=0.7, alpha_ct=0, alpha_st=1,
    max_efpr=100``. Scenario 2 (classes matter, not time): ``dtc_threshold=0.1,
    gtc_threshold=0.1, cttc_threshold=0.3, alpha_ct=0.5, alpha_st=1,
    max_efpr=100``. Needs ``sed_scores_eval`` (``pip install skcnn[sed]``).

    Parameters
    ----------
    y_true : list of lists of (onset, offset, label) tuples
        The reference events, one list per clip (as :func:`rolls_to_events`
        returns), with ``0 <= onset < offset`` seconds; events of one class
        in a clip must not overlap or touch (merge them). Every class scored
        needs at least one reference event (its true positive rate is 0/0
        otherwise).
    scores : array-like of shape (n_clips, n_frames, n_classes)
        Per-frame class scores, as a frame classifier's ``predict_proba``
        returns. Frame ``t`` covers ``[t, t + 1) * hop_length / sr`` seconds
        (from its centre on), so frames ``[a, b)`` above the threshold are the
        detection ``(a * hop_length / sr, b * hop_length / sr)``, the event
        :func:`rolls_to_events` makes of them.
    sr : float
        Sample rate of the audio the frames came from, in Hz.
    hop_length : int
        Samples between successive frames.
    classes : sequence of length n_classes
        The label of each column of ``scores`` (a classifier's ``classes_``);
        ``sed_scores_eval`` names them by ``str(label)``.
    background : label, default=None
        A column of ``classes`` to leave out (a label-roll classifier's
        background); None: all columns are event classes.
    duration : float or sequence of float, default=None
        The audio's duration in seconds, one number for all clips or one per
        clip (the false positive rate is per hour of audio); None:
        ``n_frames * hop_length / sr``.
    dtc_threshold, gtc_threshold : float in (0, 1], default=0.7
        Detection and ground-truth intersection criteria.
    cttc_threshold : float in (0, 1], default=None
        Cross-trigger tolerance criterion; needed exactly when ``alpha_ct > 0``.
    alpha_ct : float, default=0.0
        Weight of cross-triggers (detections of one class on another class's
        reference events) in the effective false positive rate.
    alpha_st : float, default=1.0
        Weight of the standard deviation of the per-class ROCs, subtracted
        from their mean.
    max_efpr : float, default=100.0
        Largest effective false positive rate (per hour) of the area.

    Returns
    -------
    psds : float in [0, 1]

    See Also
    --------
    make_psds_scorer : this score of a frame classifier, for ``GridSearchCV``.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.metrics import psds_score
    >>> y_true = [[(0.0, 0.3, "dog"), (0.5, 0.8, "cat")], [(0.2, 0.6, "cat")]]
    >>> scores = np.zeros((2, 10, 2))   # 10 frames of 0.1 s per clip
    >>> scores[0, 0:3, 0] = 0.9         # dog, exactly where it is
    >>> scores[0, 5:8, 1] = 0.8         # cat
    >>> scores[1, 2:6, 1] = 0.7
    >>> psds_score(y_true, scores, sr=10, hop_length=1, classes=["dog", "cat"])
    1.0
    """
    _check_positive("sr", sr)
    _check_positive("hop_length", hop_length)
    _check_psds_parameters(dtc_threshold, gtc_threshold, cttc_threshold, alpha_ct, alpha_st, max_efpr)
    scores = np.asarray(scores)
    if scores.ndim != 3 or scores.shape[1] == 0:
        raise ValueError(f"scores has shape {scores.shape}; it must be (n_clips, n_frames, n_classes) "
                         "with at least one frame, as a frame classifier's predict_proba returns")
    if scores.dtype.kind not in "biuf" or not np.isfinite(scores).all():
        raise ValueError("scores must hold finite numbers")
    n_clips, n_frames, n_classes = scores.shape
    _check_n_clips(y_true, scores, ("y_true", "scores"))
    classes = [_python(label) for label in classes]
    if len(classes) != n_classes:
        raise ValueError(f"classes has {len(classes)} labels but scores has {n_classes} columns; "
                         "it must name each column once")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes={classes!r} names a column twice")
    if background is not None and _python(background) not in classes:
        raise ValueError(f"background={background!r} is not one of classes={classes!r}")
    kept = [k for k, label in enumerate(classes) if background is None or label != _python(background)]
    names = {classes[k]: str(classes[k]) for k in kept}  # sed_scores_eval's column names
    if len(set(names.values())) != len(names) or {"onset", "offset"} & set(names.values()) or any(
            "\\" in name for name in names.values()):
        raise ValueError(f"classes={classes!r}: sed_scores_eval names the columns by str(label), so these "
                         "must be distinct, not 'onset' or 'offset', and free of backslashes")
    ground_truth, found = {}, set()
    for index, clip in enumerate(y_true):
        events = _timed_events(clip, "y_true", index, strict=True)
        for onset, offset, label in events:
            if label not in names:
                what = "the background" if background is not None and label == _python(background) else (
                    f"not one of classes={[classes[k] for k in kept]!r}")
                raise ValueError(f"y_true[{index}] holds {(onset, offset, label)!r}, whose label is {what}")
        for label in {label for _, _, label in events}:
            spans = sorted((onset, offset) for onset, offset, other in events if other == label)
            for (_, end), (start, _) in zip(spans, spans[1:]):
                if start <= end:  # sed_scores_eval asserts this
                    raise ValueError(f"y_true[{index}] holds {label!r} events that overlap or touch (one "
                                     f"ends at {end}, the next starts at {start}); merge them: PSDS "
                                     "counts reference events")
        found.update(label for _, _, label in events)
        ground_truth[str(index)] = [(onset, offset, names[label]) for onset, offset, label in events]
    if not found:
        raise ValueError("y_true has no reference event, so PSDS (made of true positive rates) is undefined")
    missing = [classes[k] for k in kept if classes[k] not in found]
    if missing:
        raise ValueError(f"classes {missing!r} have no reference event in y_true, so their true positive "
                         "rate is 0/0 and PSDS is undefined; leave their columns out of scores and classes")
    durations = [n_frames * hop_length / sr if value is None else value
                 for value in _clip_durations(duration, n_clips)]
    psds, score_frame = _import_sed_scores_eval()
    timestamps = np.arange(n_frames + 1) * hop_length / sr  # frame t covers [t, t + 1) hops
    frames = {str(index): score_frame(clip[:, kept].astype(np.float64), timestamps,
                                      [names[classes[k]] for k in kept])
              for index, clip in enumerate(scores)}
    durations = {str(index): float(value) for index, value in enumerate(durations)}
    value, *_ = psds(frames, ground_truth, durations, dtc_threshold=dtc_threshold,
                     gtc_threshold=gtc_threshold, cttc_threshold=cttc_threshold, alpha_ct=alpha_ct,
                     alpha_st=alpha_st, unit_of_time="hour", max_efpr=max_efpr)
    return float(value)

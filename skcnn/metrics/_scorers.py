"""Metrics for frame-level outputs: event detection, pitch tracking, source separation.

A *label roll* is an array of shape (n_clips, n_frames) holding one label per
frame (ints or strings); one label may be the background (``background=``,
no active class). An *indicator roll* is a 0/1 array of shape
(n_clips, n_frames, n_classes), for events that overlap. Frame ``t`` is centred
at ``t * hop_length / sr`` seconds (librosa's ``center=True``), so a run of
frames ``[a, b)`` is the event ``(a * hop_length / sr, b * hop_length / sr,
label)``; an event list holds one list of such tuples per clip.

Maintained libraries do the work where one has it: scikit-learn's
``f1_score`` for frame F1, ``mir_eval.util.match_events`` for the one-to-one
matching of onsets that event F1 needs, ``mir_eval.melody`` for raw pitch
accuracy, ``sed_scores_eval`` for PSDS (imported when :func:`psds_score` is
called: the ``sed`` extra). SI-SDR is written here: no maintained library
ships it without torch (torchaudio, torchmetrics); so are the segment-based
metrics, which reproduce ``sed_eval`` (see :func:`segment_f1_score`). At
import, this module imports numpy, scikit-learn and mir_eval only.
"""

import functools
import math
import warnings
from numbers import Number, Real

import mir_eval
import numpy as np
from sklearn.metrics import f1_score, make_scorer

__all__ = [
    "frame_f1_score", "frame_error_rate", "rolls_to_events", "event_f1_score", "raw_pitch_accuracy",
    "si_sdr", "si_sdr_improvement", "make_frame_f1_scorer", "make_frame_error_rate_scorer",
    "raw_pitch_accuracy_scorer", "segment_f1_score", "segment_error_rate", "psds_score",
    "make_segment_f1_scorer", "make_segment_error_rate_scorer", "make_psds_scorer",
]

# Onsets derived from frames (``a * hop_length / sr``) carry rounding: 0.8 - 0.6 > 0.2 in floats.
# This much slack (1 ns) lets a difference of exactly ``t_collar`` match, as documented.
_COLLAR_SLACK = 1e-9


def _check_same_shape(y_true, y_pred, names=("y_true", "y_pred")):
    """Both as arrays, refused unless their shapes are equal."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{names[0]} has shape {y_true.shape} and {names[1]} has shape "
                         f"{y_pred.shape}; they must have the same shape")
    return y_true, y_pred


def _check_positive(name, value, strict=True):
    """Refuse anything but a finite positive (or, not strict, non-negative) real number."""
    sign = "positive" if strict else "non-negative"
    if not isinstance(value, Real) or isinstance(value, bool):
        raise ValueError(f"{name}={value!r} must be a {sign} number")
    if not np.isfinite(value):
        raise ValueError(f"{name}={value!r} must be a finite {sign} number")
    if not (value > 0 or not strict and value == 0):
        raise ValueError(f"{name}={value!r} must be a {sign} number")


def _check_indicator(roll, name, background):
    """A 3-D roll as a bool array, refused unless it holds only 0 and 1 and has no background."""
    if background is not None:
        raise ValueError(f"background={background!r} applies to label rolls only; indicator rolls "
                         "(n_clips, n_frames, n_classes) have no background column: use background=None")
    if not np.isin(roll, (0, 1)).all():
        raise ValueError(f"{name} is 3-D, so it is read as an indicator roll (n_clips, n_frames, "
                         "n_classes), but it holds values other than 0 and 1")
    return roll.astype(bool)


def _active(y_true, y_pred, background):
    """Reference and estimate as bool arrays of shape (n_frames_total, n_classes)."""
    if y_true.ndim == 3:
        n_classes = y_true.shape[-1]
        return (_check_indicator(y_true, "y_true", background).reshape(-1, n_classes),
                _check_indicator(y_pred, "y_pred", background).reshape(-1, n_classes))
    y_true, y_pred = y_true.ravel(), y_pred.ravel()
    classes = _event_classes(y_true, y_pred, background)
    return y_true[:, None] == classes, y_pred[:, None] == classes


def _event_classes(y_true, y_pred, background):
    """The labels found in either roll, less the background (checked against their type)."""
    _check_finite_labels(y_true, "y_true")
    _check_finite_labels(y_pred, "y_pred")
    classes = np.union1d(np.unique(y_true), np.unique(y_pred))
    if background is None:
        return classes
    _check_background(background, classes)
    return classes[classes != background]


def _check_finite_labels(roll, name):
    """Refuse NaN or infinite labels: NaN equals no label, not even itself."""
    if roll.dtype.kind in "fc" and not np.isfinite(roll).all():
        raise ValueError(f"{name} holds NaN or infinite labels; a label roll holds one label per frame "
                         "(mark frames with no event with background=..., e.g. 0)")


def _label_kind(value):
    """'string', 'number' or the type's name: which labels can equal ``value``."""
    if isinstance(value, (str, bytes)):
        return "string"
    return "number" if isinstance(value, Number) else type(value).__name__


def _check_background(background, labels):
    """Refuse a background that no label of the rolls' type can equal.

    A background merely absent from the rolls is fine (every frame of these
    clips is an event); one of another type than the labels ('bg' among
    integers, 0 among strings, 0.5 among integers) is a mistake that would
    silently score the real background as an event class. This is the check
    scikit-learn makes of ``pos_label`` in ``f1_score``, by type rather than
    by presence.
    """
    _check_label_type(background, labels, f"background={background!r}",
                      "pass a background of the labels' type, or None")


def _check_label_type(value, labels, what, advice):
    """Refuse ``value`` (described by ``what``) when no label of ``labels``' type can equal it."""
    if labels.size == 0:
        return
    kind = labels.dtype.kind
    if kind in "iu":
        words = "integer"
        ok = isinstance(value, Real) and np.isfinite(value) and float(value).is_integer()
    elif kind == "b":
        words = "boolean"
        ok = isinstance(value, (Real, np.bool_)) and value in (0, 1)
    elif kind in "fc":
        words = "numeric"
        ok = isinstance(value, Number) and np.isfinite(value)
    elif kind in "US":
        words = "string"
        ok = isinstance(value, str if kind == "U" else bytes)
    else:  # object: any label of the same kind could equal it
        kinds = {_label_kind(label) for label in labels}
        words = "/".join(sorted(kinds))
        ok = _label_kind(value) in kinds
    if not ok:
        shown = labels[:5].tolist() + (["..."] if labels.size > 5 else [])
        raise ValueError(f"{what} cannot occur in these label rolls: they hold {words} labels "
                         f"({labels.dtype}), e.g. {shown}; {advice}")


def frame_f1_score(y_true, y_pred, *, background=None, labels=None, average="macro"):
    """Frame-level F1 score over the event classes.

    Every frame of every clip is one sample of scikit-learn's
    :func:`~sklearn.metrics.f1_score`; background frames count only as the
    false positives or false negatives of the classes around them.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_clips, n_frames), (n_frames,) or \
            (n_clips, n_frames, n_classes)
        Label rolls, or 0/1 indicator rolls (3-D) for overlapping events.
    background : label, default=None
        The label of frames with no event (label rolls only), of the labels'
        type: one no label can equal ('bg' among integer labels) is a
        ValueError. None: every label is an event class.
    labels : array-like, default=None
        The classes to score (labels, or column indices of indicator rolls).
        None: those present in ``y_true`` or ``y_pred``, less the background.
        A class absent from both therefore does not pull a macro average down.
        Given labels must be of the rolls' type ('x' among integer labels is
        a ValueError); one absent from the rolls scores 0.
    average : {'macro', 'micro', 'weighted'} or None, default='macro'
        As in :func:`~sklearn.metrics.f1_score`; None gives one F1 per class.

    Returns
    -------
    f1 : float or ndarray of shape (n_labels,)
        A class with no true and no predicted frame scores 0.0 (0/0), and so
        does a pair of rolls with no event class at all.

    Examples
    --------
    >>> from skcnn.metrics import frame_f1_score
    >>> y_true, y_pred = [[0, 1, 1, 0, 2, 2]], [[0, 1, 0, 0, 2, 2]]
    >>> round(frame_f1_score(y_true, y_pred, background=0), 4)  # (2/3 + 1) / 2
    0.8333
    """
    y_true, y_pred = _check_same_shape(y_true, y_pred)
    if y_true.ndim == 3:
        ref, est = _active(y_true, y_pred, background)
        if labels is None:
            labels = np.flatnonzero(ref.any(axis=0) | est.any(axis=0))
    else:
        ref, est = y_true.ravel(), y_pred.ravel()
        classes = _event_classes(ref, est, background)  # checks the background, labels given or not
        if labels is None:
            labels = classes
        else:  # a label absent from these rolls is fine (it scores 0), one of another type is not
            for label in labels:
                _check_label_type(label, np.union1d(np.unique(ref), np.unique(est)),
                                  f"labels={labels!r} holds {label!r}, which",
                                  "pass labels of the rolls' type")
    if len(labels) == 0:
        return 0.0
    return f1_score(ref, est, labels=labels, average=average, zero_division=0)


def frame_error_rate(y_true, y_pred, *, background=None):
    """DCASE segment-based error rate, with one frame as the segment.

    In each frame, with FN the reference classes missing from the estimate and
    FP the estimated classes missing from the reference, substitutions are
    ``S = min(FN, FP)``, deletions ``D = max(0, FN - FP)`` and insertions
    ``I = max(0, FP - FN)``; ``ER = sum(S + D + I) / sum(N_ref)``, with
    ``N_ref`` the number of active reference classes (Mesaros et al., 2016).
    Lower is better; it can exceed 1.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_clips, n_frames), (n_frames,) or \
            (n_clips, n_frames, n_classes)
        Label rolls, or 0/1 indicator rolls (3-D) for overlapping events.
    background : label, default=None
        The label of frames with no active class (label rolls only), of the
        labels' type, as in :func:`frame_f1_score`.

    Returns
    -------
    error_rate : float

    Examples
    --------
    >>> from skcnn.metrics import frame_error_rate
    >>> # one substitution (frame 1), one deletion (frame 2), one insertion (frame 3)
    >>> frame_error_rate([["a", "a", "b", "-"]], [["a", "b", "-", "a"]], background="-")
    1.0
    """
    y_true, y_pred = _check_same_shape(y_true, y_pred)
    ref, est = _active(y_true, y_pred, background)
    n_ref = ref.sum()
    if n_ref == 0:
        raise ValueError("y_true has no active reference class in any frame, so the error rate "
                         "(errors / active reference classes) is undefined")
    fn = (ref & ~est).sum(axis=1)
    fp = (est & ~ref).sum(axis=1)
    # S + D + I = min(FN, FP) + max(0, FN - FP) + max(0, FP - FN) = max(FN, FP)
    return float(np.maximum(fn, fp).sum() / n_ref)


def _python(value):
    """A numpy scalar as the Python scalar it holds (plain ints and strings in events)."""
    return value.item() if isinstance(value, np.generic) else value


def _runs(mask):
    """Starts and ends ``[a, b)`` of the runs of True in a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return edges[::2], edges[1::2]


def rolls_to_events(roll, *, sr, hop_length, background=None, classes=None):
    """Events, per clip, of a label roll or an indicator roll.

    Each run of consecutive frames ``[a, b)`` of one class becomes the event
    ``(a * hop_length / sr, b * hop_length / sr, label)``: frame ``t`` is
    centred at ``t * hop_length / sr`` and belongs to an event when its centre
    lies in ``[onset, offset)``.

    Parameters
    ----------
    roll : array-like of shape (n_clips, n_frames), (n_frames,) or \
            (n_clips, n_frames, n_classes)
        A label roll, a single clip's label roll, or a 0/1 indicator roll.
    sr : float
        Sample rate of the audio the frames came from, in Hz.
    hop_length : int
        Samples between successive frames.
    background : label, default=None
        The label that makes no event (label rolls only).
    classes : sequence of length n_classes, default=None
        Labels of an indicator roll's columns; None: the column indices.

    Returns
    -------
    events : list of lists of (onset, offset, label) tuples
        One list per clip, sorted by onset; a single list for a 1-D roll.

    See Also
    --------
    event_f1_score : scores the events this returns.

    Examples
    --------
    >>> from skcnn.metrics import rolls_to_events
    >>> rolls_to_events([0, 1, 1, 0, 2], sr=100, hop_length=10, background=0)
    [(0.1, 0.3, 1), (0.4, 0.5, 2)]
    """
    _check_positive("sr", sr)
    _check_positive("hop_length", hop_length)
    roll = np.asarray(roll)
    if roll.ndim not in (1, 2, 3):
        raise ValueError(f"roll has shape {roll.shape}; it must be a label roll (n_clips, n_frames) "
                         "or (n_frames,), or an indicator roll (n_clips, n_frames, n_classes)")

    def seconds(frame):
        return float(frame * hop_length / sr)

    if roll.ndim == 3:
        roll = _check_indicator(roll, "roll", background)
        if classes is None:
            classes = range(roll.shape[-1])
        elif len(classes) != roll.shape[-1]:
            raise ValueError(f"classes has {len(classes)} labels but the indicator roll has "
                             f"{roll.shape[-1]} columns; it must name each column once")
        events = []
        for clip in roll:
            found = [(seconds(a), seconds(b), _python(label))
                     for k, label in enumerate(classes) for a, b in zip(*_runs(clip[:, k]))]
            events.append(sorted(found, key=lambda event: event[0]))  # stable: ties in column order
        return events
    if classes is not None:
        raise ValueError(f"classes={classes!r} names the columns of an indicator roll; "
                         "a label roll holds its labels: use classes=None")
    _check_finite_labels(roll, "roll")
    if background is not None:
        _check_background(background, np.unique(roll))
    events = []
    for clip in np.atleast_2d(roll):
        starts = np.flatnonzero(np.concatenate(([True], clip[1:] != clip[:-1])))[: len(clip)]
        ends = np.append(starts[1:], len(clip))
        events.append([(seconds(a), seconds(b), _python(clip[a])) for a, b in zip(starts, ends)
                       if background is None or clip[a] != background])
    return events[0] if roll.ndim == 1 else events


def _clip_events(clip, name, index):
    """One clip's events, checked, as (onset, offset, label) tuples with float times."""
    if not isinstance(clip, (list, tuple)):
        raise ValueError(f"{name}[{index}]={clip!r} must be a list of (onset, offset, label) events")
    if len(clip) == 3 and isinstance(clip[0], Real):
        raise ValueError(f"{name}[{index}]={clip!r} is an event, not a clip's list of events; {name} "
                         "must be a list with one event list per clip: wrap a single clip as [events]")
    events = []
    for event in clip:
        if not isinstance(event, (list, tuple)) or len(event) != 3:
            raise ValueError(f"{name}[{index}] holds {event!r}; events are (onset, offset, label) tuples")
        # refused, not scored: a NaN onset on both sides used to count as a match (F1 = 1.0)
        if not all(isinstance(t, Real) and np.isfinite(t) for t in event[:2]):
            raise ValueError(f"{name}[{index}] holds {event!r}; an event's onset and offset must be "
                             "finite numbers of seconds")
        events.append((float(event[0]), float(event[1]), _python(event[2])))
    return events


def _timed_events(clip, name, index, *, strict=False):
    """One clip's checked events, refused unless ``0 <= onset <= offset`` (``<`` if strict)."""
    events = _clip_events(clip, name, index)
    for onset, offset, label in events:
        if onset < 0 or offset < onset or strict and offset == onset:
            raise ValueError(f"{name}[{index}] holds {(onset, offset, label)!r}; events need "
                             f"0 <= onset {'<' if strict else '<='} offset (in seconds)")
    return events


def _onsets_by_class(clip, name, index):
    """``{label: array of onsets}`` of one clip's events, checked."""
    onsets = {}
    for onset, _, label in _clip_events(clip, name, index):
        onsets.setdefault(label, []).append(onset)
    return {label: np.array(times) for label, times in onsets.items()}


def _check_n_clips(y_true, y_pred, names=("y_true", "y_pred")):
    """Refuse event lists (or scores) of different numbers of clips."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{names[0]} has {len(y_true)} clips and {names[1]} has {len(y_pred)}; "
                         "they must have as many")


def event_f1_score(y_true, y_pred, *, t_collar=0.2, average="micro"):
    """DCASE event-based F1 score on onsets.

    In each clip and class, an estimated event matches a reference event when
    their onsets are at most ``t_collar`` seconds apart, each event matching
    at most once, by a maximum bipartite matching
    (:func:`mir_eval.util.match_events`). Matches are true positives,
    unmatched estimates false positives, unmatched references false negatives;
    offsets are not scored.

    Parameters
    ----------
    y_true, y_pred : list of lists of (onset, offset, label) tuples
        One event list per clip, as :func:`rolls_to_events` returns for rolls.
    t_collar : float, default=0.2
        Largest onset difference, in seconds, of a match (1 ns of slack
        absorbs floating-point rounding).
    average : {'micro', 'macro'}, default='micro'
        'micro' pools the counts of all classes and clips; 'macro' is the mean
        of the per-class F1 over the classes of the reference or the estimate.

    Returns
    -------
    f1 : float
        0.0 when there are no events at all (0/0, as with scikit-learn's
        ``zero_division=0``).

    Examples
    --------
    >>> from skcnn.metrics import event_f1_score
    >>> y_true = [[(0.0, 1.0, "dog"), (2.0, 3.0, "cat")], [(0.5, 1.0, "dog")]]
    >>> y_pred = [[(0.1, 0.9, "dog"), (2.5, 3.0, "cat")], []]
    >>> event_f1_score(y_true, y_pred)  # TP = 1, FP = 1, FN = 2: 2 / (2 + 1 + 2)
    0.4
    """
    _check_positive("t_collar", t_collar, strict=False)
    if average not in ("micro", "macro"):
        raise ValueError(f"average={average!r} must be 'micro' or 'macro'")
    _check_n_clips(y_true, y_pred)
    counts = {}  # label -> [TP, FP, FN]
    for index, (ref_clip, est_clip) in enumerate(zip(y_true, y_pred)):
        ref, est = _onsets_by_class(ref_clip, "y_true", index), _onsets_by_class(est_clip, "y_pred", index)
        for label in ref.keys() | est.keys():
            r, e = ref.get(label, np.empty(0)), est.get(label, np.empty(0))
            tp = len(mir_eval.util.match_events(r, e, t_collar + _COLLAR_SLACK)) if len(r) and len(e) else 0
            counts[label] = counts.get(label, np.zeros(3, int)) + (tp, len(e) - tp, len(r) - tp)
    if not counts:
        return 0.0
    f1 = [2 * tp / (2 * tp + fp + fn) for tp, fp, fn in counts.values()]  # each class has events
    tp, fp, fn = np.sum(list(counts.values()), axis=0)
    return float(2 * tp / (2 * tp + fp + fn) if average == "micro" else np.mean(f1))


# --- segment-based metrics (DCASE; Mesaros et al., 2016) -----------------------------------------
# Written here rather than imported from sed_eval: sed_eval needs dcase_util, a large package
# (and it imports pkg_resources, gone from setuptools 81), for what is a few lines of numpy. The
# tests check these against sed_eval.sound_event.SegmentBasedMetrics on random event lists.

def _clip_durations(duration, n_clips):
    """``duration`` (None, a number or one per clip) as a list of n_clips values or Nones."""
    if duration is None or isinstance(duration, Real) and not isinstance(duration, bool):
        if duration is not None:
            _check_positive("duration", duration)
        return [duration] * n_clips
    if isinstance(duration, (str, bytes)) or not hasattr(duration, "__len__"):
        raise ValueError(f"duration={duration!r} must be None, a number of seconds or one per clip")
    if len(duration) != n_clips:
        raise ValueError(f"duration has {len(duration)} values and there are {n_clips} clips; "
                         "give one duration per clip, or one number for all")
    for index, value in enumerate(duration):
        _check_positive(f"duration[{index}]", _python(value))
    return [float(value) for value in duration]


def _segment_roll(events, columns, n_segments, segment_length):
    """The (n_segments, n_classes) bool activity of one clip's events, as sed_eval computes it.

    An event is active in segments ``floor(onset / segment_length)`` to
    ``ceil(offset / segment_length)`` (excluded), cut at ``n_segments``;
    the divisions are sed_eval's, so the boundaries round alike.
    """
    roll = np.zeros((n_segments, len(columns)), bool)
    for onset, offset, label in events:
        roll[int(math.floor(onset / segment_length)):int(math.ceil(offset / segment_length)),
             columns[label]] = True
    return roll


def _segment_counts(y_true, y_pred, segment_length, duration):
    """Counts pooled over clips: overall ``(TP, N_ref, N_sys, S + D + I)`` and, per class of
    the union of both lists' labels, ``(TP, N_ref, N_sys)`` in an (n_classes, 3) array."""
    _check_positive("segment_length", segment_length)
    _check_n_clips(y_true, y_pred)
    durations = _clip_durations(duration, len(y_true))
    clips = [(_timed_events(ref, "y_true", index), _timed_events(est, "y_pred", index))
             for index, (ref, est) in enumerate(zip(y_true, y_pred))]
    columns = {}  # label -> column: the union of the labels (sed_eval's event_label_list)
    for ref, est in clips:
        for _, _, label in ref + est:
            columns.setdefault(label, len(columns))
    segment_length = float(segment_length)
    overall, per_class = np.zeros(4, np.int64), np.zeros((len(columns), 3), np.int64)
    for (ref, est), length in zip(clips, durations):
        if length is None:  # sed_eval: the last offset of either list
            length = max([offset for _, offset, _ in ref + est], default=0.0)
        n_segments = int(math.ceil(length / segment_length))
        ref_roll = _segment_roll(ref, columns, n_segments, segment_length)
        est_roll = _segment_roll(est, columns, n_segments, segment_length)
        tp = ref_roll & est_roll
        n_tp, n_ref, n_sys = tp.sum(axis=1), ref_roll.sum(axis=1), est_roll.sum(axis=1)
        # per segment S = min(N_ref, N_sys) - N_tp, D = max(0, N_ref - N_sys), I = max(0, N_sys - N_ref):
        # S + D + I = max(N_ref, N_sys) - N_tp
        overall += (n_tp.sum(), n_ref.sum(), n_sys.sum(), (np.maximum(n_ref, n_sys) - n_tp).sum())
        per_class += np.stack([tp.sum(axis=0), ref_roll.sum(axis=0), est_roll.sum(axis=0)], axis=1)
    return overall, per_class


def _sed_eval_f_measure(n_tp, n_ref, n_sys):
    """sed_eval's F-measure of counts (same operations, same rounding): NaN where there is no
    reference or no estimated segment (its precision or recall is 0/0)."""
    if n_ref == 0 or n_sys == 0:
        return np.nan
    precision, recall = float(n_tp / float(n_sys)), float(n_tp / float(n_ref))
    if precision == 0 and recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def segment_f1_score(y_true, y_pred, *, segment_length=1.0, duration=None, average="micro"):
    """DCASE segment-based F1 score of event lists (Mesaros et al., 2016).

    Each clip is cut into segments of ``segment_length`` seconds; an event is
    active in segments ``floor(onset / segment_length)`` to
    ``ceil(offset / segment_length)`` (excluded), so an event that touches a
    segment makes its class active there. In each segment a class active in
    both the reference and the estimate is a true positive, one active in the
    estimate only a false positive, one in the reference only a false
    negative; the counts of all segments and clips are pooled. This
    reproduces ``sed_eval.sound_event.SegmentBasedMetrics`` (its overall and
    class-wise average F-measure, with the union of the labels as
    ``event_label_list``), except where sed_eval answers NaN (see Returns).

    Parameters
    ----------
    y_true, y_pred : list of lists of (onset, offset, label) tuples
        One event list per clip, as :func:`rolls_to_events` returns for rolls,
        with ``0 <= onset <= offset`` seconds. Events of one class may overlap.
    segment_length : float, default=1.0
        Segment length in seconds (sed_eval's ``time_resolution``); DCASE
        reports 1.0.
    duration : float or sequence of float, default=None
        The evaluated length of each clip in seconds (one number for all, or
        one per clip): ``ceil(duration / segment_length)`` segments, events
        past the end cut off. None: each clip's last offset in either list
        (sed_eval's default). Only a duration shorter than the events changes
        the score, since segments with no active class count nothing.
    average : {'micro', 'macro'}, default='micro'
        'micro' (sed_eval's "overall"): ``2 TP / (2 TP + FP + FN)`` of the
        pooled counts. 'macro' (sed_eval's "class-wise average"): the mean of
        the per-class F1 over the classes that have both reference and
        estimated segments. sed_eval's F1 of a class with no estimated segment
        (precision 0/0) or no reference segment (recall 0/0) is NaN, and its
        average skips NaN, so a class the estimate never outputs does not pull
        'macro' down; 'micro' (or :func:`segment_error_rate`) counts it, and
        suits model selection better.

    Returns
    -------
    f1 : float
        0.0 where sed_eval gives NaN: no estimated segment or no reference
        segment at all ('micro'), no class with both ('macro').

    See Also
    --------
    segment_error_rate : the error rate of the same segments.
    make_segment_f1_scorer : this score of rolls, for ``GridSearchCV``.

    Examples
    --------
    >>> from skcnn.metrics import segment_f1_score
    >>> y_true = [[(0.0, 1.5, "dog"), (0.2, 2.0, "cat")]]  # dog: segments 0, 1; cat: 0, 1
    >>> y_pred = [[(0.1, 0.9, "dog")]]                     # dog: segment 0
    >>> segment_f1_score(y_true, y_pred)  # TP 1, FP 0, FN 3: 2 / (2 + 3)
    0.4
    >>> round(segment_f1_score(y_true, y_pred, average="macro"), 4)  # dog 2/3; cat never estimated
    0.6667
    """
    if average not in ("micro", "macro"):
        raise ValueError(f"average={average!r} must be 'micro' or 'macro'")
    overall, per_class = _segment_counts(y_true, y_pred, segment_length, duration)
    if average == "micro":
        f1 = _sed_eval_f_measure(*overall[:3])
    else:
        f1 = [_sed_eval_f_measure(*counts) for counts in per_class]
        f1 = np.mean([value for value in f1 if not np.isnan(value)] or [np.nan])
    return 0.0 if np.isnan(f1) else float(f1)


def segment_error_rate(y_true, y_pred, *, segment_length=1.0, duration=None):
    """DCASE segment-based error rate of event lists (Mesaros et al., 2016).

    The segments are those of :func:`segment_f1_score`. In each segment, with
    ``N_ref`` and ``N_sys`` the classes active in the reference and in the
    estimate and ``N_tp`` those in both, substitutions are
    ``S = min(N_ref, N_sys) - N_tp``, deletions ``D = max(0, N_ref - N_sys)``
    and insertions ``I = max(0, N_sys - N_ref)``;
    ``ER = sum(S + D + I) / sum(N_ref)`` over all segments and clips. This
    reproduces the overall error rate of
    ``sed_eval.sound_event.SegmentBasedMetrics`` (which adds machine epsilon
    to the denominator). Lower is better; it can exceed 1.
    :func:`frame_error_rate` is this with one frame as the segment.

    Parameters
    ----------
    y_true, y_pred : list of lists of (onset, offset, label) tuples
        One event list per clip, as in :func:`segment_f1_score`.
    segment_length : float, default=1.0
        Segment length in seconds.
    duration : float or sequence of float, default=None
        Evaluated length of each clip, as in :func:`segment_f1_score`.

    Returns
    -------
    error_rate : float

    Examples
    --------
    >>> from skcnn.metrics import segment_error_rate
    >>> y_true = [[(0.0, 2.0, "dog"), (1.0, 2.0, "cat")]]  # segment 0: dog; 1: dog, cat
    >>> y_pred = [[(0.0, 1.0, "cat"), (1.0, 2.0, "dog")]]  # segment 0: cat; 1: dog
    >>> segment_error_rate(y_true, y_pred)  # 1 substitution (0) + 1 deletion (1), over 3
    0.6666666666666666
    """
    overall, _ = _segment_counts(y_true, y_pred, segment_length, duration)
    if overall[1] == 0:
        raise ValueError("y_true has no active class in any segment, so the error rate "
                         "(errors / active reference classes) is undefined")
    return float(overall[3] / overall[1])


# --- PSDS (Bilen et al., 2020; Ebbers et al., 2022), computed by sed_scores_eval -----------------

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


def raw_pitch_accuracy(y_true, y_pred, *, cent_tolerance=50):
    """Raw pitch accuracy: the share of voiced frames whose pitch is within a tolerance.

    The frames of all clips are pooled (not a mean of per-clip values). A
    reference frame that is NaN or <= 0 Hz is unvoiced and not counted; an
    estimate that is NaN or <= 0 Hz on a voiced frame counts as wrong; an
    infinite pitch is a ValueError. Octave
    errors count as wrong (this is not raw chroma accuracy). Computed by
    :func:`mir_eval.melody.raw_pitch_accuracy` on cents relative to 10 Hz
    (:func:`mir_eval.melody.hz2cents`), as ``mir_eval.melody`` does.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_clips, n_frames) or (n_frames,)
        Fundamental frequency per frame, in Hz.
    cent_tolerance : float, default=50
        A frame is correct when its pitch is strictly less than this many
        cents from the reference.

    Returns
    -------
    accuracy : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.metrics import raw_pitch_accuracy
    >>> y_true = [220.0, 220.0, 0.0, 440.0]
    >>> y_pred = [221.0, 440.0, 300.0, np.nan]  # right, octave error, unvoiced ref, missed
    >>> round(raw_pitch_accuracy(y_true, y_pred), 4)
    0.3333
    """
    y_true, y_pred = _check_same_shape(y_true, y_pred)
    _check_positive("cent_tolerance", cent_tolerance)
    ref, est = y_true.astype(np.float64).ravel(), y_pred.astype(np.float64).ravel()
    for name, f0 in (("y_true", ref), ("y_pred", est)):
        if np.isposinf(f0).any():  # NaN and -inf are <= 0 Hz or unvoiced, as documented; +inf is no pitch
            raise ValueError(f"{name} holds an infinite pitch; frequencies must be finite Hz "
                             "(NaN or <= 0 for an unvoiced frame)")
    with np.errstate(invalid="ignore"):
        ref_voicing, est_voicing = ref > 0, est > 0  # NaN > 0 is False
    if not ref_voicing.any():
        raise ValueError("y_true has no voiced frame (all NaN or <= 0 Hz); raw pitch accuracy is undefined")
    ref_cent, est_cent = np.zeros_like(ref), np.zeros_like(est)
    # hz2cents maps exactly 10 Hz to 0 cents, which mir_eval reads as unvoiced: far below any f0
    ref_cent[ref_voicing] = mir_eval.melody.hz2cents(ref[ref_voicing])
    est_cent[est_voicing] = mir_eval.melody.hz2cents(est[est_voicing])
    with warnings.catch_warnings():
        # an estimate with no voiced frame is a legitimate (all wrong) answer, not a warning
        warnings.filterwarnings("ignore", message="Estimated melody has no voiced frames")
        return float(mir_eval.melody.raw_pitch_accuracy(
            ref_voicing.astype(np.float64), ref_cent, est_voicing.astype(np.float64), est_cent,
            cent_tolerance=cent_tolerance))


def si_sdr(reference, estimate):
    """Scale-invariant signal-to-distortion ratio, in dB (Le Roux et al., 2019).

    Both signals have their mean removed first, as in the paper. With ``s``
    the reference and ``s_hat`` the estimate, ``alpha = <s_hat, s> / <s, s>``,
    ``target = alpha * s``, ``noise = s_hat - target`` and
    ``SI-SDR = 10 log10(|target|^2 / |noise|^2)``, computed in float64. Written
    here since no maintained library ships it without torch.

    Parameters
    ----------
    reference, estimate : array-like of shape (n_samples,) or (n_clips, n_samples)
        The clean sources and their estimates; finite (NaN or infinite values are
        a ValueError naming the argument).

    Returns
    -------
    si_sdr : float or ndarray of shape (n_clips,)
        ``np.inf`` where the noise is exactly zero (an estimate that is a
        scaled copy may instead give a finite value above 200 dB, through
        rounding); ``-np.inf`` where the estimate has no component along the
        reference (including a silent or constant estimate).

    Examples
    --------
    >>> from skcnn.metrics import si_sdr
    >>> s, noise = [1.0, -1.0, 1.0, -1.0], [0.5, 0.5, -0.5, -0.5]  # orthogonal, 1/4 the power
    >>> round(si_sdr(s, [a + b for a, b in zip(s, noise)]), 4)  # 10 log10(4)
    6.0206
    """
    s, s_hat = _check_signals(reference, estimate, "estimate")
    values = _si_sdr(s, s_hat)
    return float(values[0]) if np.ndim(reference) == 1 else values


def _check_signals(reference, other, name):
    """Reference and estimate (or mixture, named ``name``) as finite 2-D float64 arrays."""
    s, s_hat = _check_same_shape(reference, other, ("reference", name))
    if s.ndim not in (1, 2) or s.shape[-1] == 0:
        raise ValueError(f"reference has shape {s.shape}; it must be (n_samples,) or (n_clips, n_samples)")
    s, s_hat = (np.atleast_2d(x.astype(np.float64)) for x in (s, s_hat))
    for label, x in (("reference", s), (name, s_hat)):
        broken = ~np.isfinite(x).all(axis=1)
        if broken.any():
            where = f" (clip {int(np.flatnonzero(broken)[0])})" if s.shape[0] > 1 else ""
            raise ValueError(f"{label} holds NaN or infinite values{where}; SI-SDR needs finite signals")
    return s, s_hat


def _si_sdr(s, s_hat):
    """SI-SDR in dB of each row of checked 2-D float64 arrays."""
    s, s_hat = s - s.mean(axis=1, keepdims=True), s_hat - s_hat.mean(axis=1, keepdims=True)
    energy = np.einsum("ij,ij->i", s, s)
    if (energy == 0).any():
        raise ValueError(f"reference clip {int(np.flatnonzero(energy == 0)[0])} is silent (zero once "
                         "its mean is removed); SI-SDR needs a reference with energy")
    target = (np.einsum("ij,ij->i", s_hat, s) / energy)[:, None] * s
    noise = s_hat - target
    target_energy, noise_energy = np.einsum("ij,ij->i", target, target), np.einsum("ij,ij->i", noise, noise)
    with np.errstate(divide="ignore", invalid="ignore"):  # inf: no noise; -inf: no target
        return 10 * np.log10(np.where(target_energy == 0, 0.0, target_energy / noise_energy))


def si_sdr_improvement(reference, estimate, mixture):
    """SI-SDR of the estimate less SI-SDR of the mixture, in dB, per clip.

    Parameters
    ----------
    reference, estimate, mixture : array-like of shape (n_samples,) or (n_clips, n_samples)
        The clean sources, their estimates, and the mixtures they came from;
        finite, as for :func:`si_sdr`.

    Returns
    -------
    improvement : float or ndarray of shape (n_clips,)

    Examples
    --------
    >>> from skcnn.metrics import si_sdr_improvement
    >>> s, n = [1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]
    >>> mixture = [a + b for a, b in zip(s, n)]          # 0 dB
    >>> estimate = [a + 0.5 * b for a, b in zip(s, n)]   # 6.02 dB
    >>> round(si_sdr_improvement(s, estimate, mixture), 4)
    6.0206
    """
    s, s_hat = _check_signals(reference, estimate, "estimate")
    _, s_mix = _check_signals(reference, mixture, "mixture")
    values = _si_sdr(s, s_hat) - _si_sdr(s, s_mix)
    return float(values[0]) if np.ndim(reference) == 1 else values


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

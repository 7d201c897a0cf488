"""Metrics of event lists: DCASE's event-based F1 on onsets and segment-based F1 and
error rate."""

import math

import mir_eval
import numpy as np

from ._checks import _check_n_clips, _check_positive, _clip_durations, _clip_events, _timed_events

# Onsets derived from frames (``a * hop_length / sr``) carry rounding: 0.8 - 0.6 > 0.2 in floats.
# This much slack (1 ns) lets a difference of exactly ``t_collar`` match, as documented.
_COLLAR_SLACK = 1e-9


def _onsets_by_class(clip, name, index):
    """``{label: array of onsets}`` of one clip's events, checked."""
    onsets = {}
    for onset, _, label in _clip_events(clip, name, index):
        onsets.setdefault(label, []).append(onset)
    return {label: np.array(times) for label, times in onsets.items()}


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

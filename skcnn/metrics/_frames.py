"""Frame metrics of label and indicator rolls (frame F1, frame error rate), and the rolls'
events (:func:`rolls_to_events`)."""

import numpy as np
from sklearn.metrics import f1_score

from ._checks import (
    _check_background,
    _check_finite_labels,
    _check_indicator,
    _check_label_type,
    _check_positive,
    _check_same_shape,
    _python,
)


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

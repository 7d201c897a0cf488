"""The input checks the metrics share: arrays of one shape, positive numbers, the labels
and background of label rolls, event lists and clip durations."""

from numbers import Number, Real

import numpy as np


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


def _python(value):
    """A numpy scalar as the Python scalar it holds (plain ints and strings in events)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_indicator(roll, name, background):
    """A 3-D roll as a bool array, refused unless it holds only 0 and 1 and has no background."""
    if background is not None:
        raise ValueError(f"background={background!r} applies to label rolls only; indicator rolls "
                         "(n_clips, n_frames, n_classes) have no background column: use background=None")
    if not np.isin(roll, (0, 1)).all():
        raise ValueError(f"{name} is 3-D, so it is read as an indicator roll (n_clips, n_frames, "
                         "n_classes), but it holds values other than 0 and 1")
    return roll.astype(bool)


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


def _check_n_clips(y_true, y_pred, names=("y_true", "y_pred")):
    """Refuse event lists (or scores) of different numbers of clips."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{names[0]} has {len(y_true)} clips and {names[1]} has {len(y_pred)}; "
                         "they must have as many")


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

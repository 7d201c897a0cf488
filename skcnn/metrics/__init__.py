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
import, this package imports numpy, scikit-learn and mir_eval only.

Inside: the frame metrics of rolls and :func:`rolls_to_events` (``_frames``),
the event-based and segment-based metrics of event lists (``_events``), PSDS
(``_psds``), raw pitch accuracy (``_pitch``), SI-SDR (``_separation``), the
scorers of all of them for ``GridSearchCV`` (``_scorers``) and the input checks
they share (``_checks``). The scorers import the metrics, the metrics import
the checks, never the other way round.
"""

from ._events import event_f1_score, segment_error_rate, segment_f1_score
from ._frames import frame_error_rate, frame_f1_score, rolls_to_events
from ._pitch import raw_pitch_accuracy
from ._psds import psds_score
from ._scorers import (
    make_frame_error_rate_scorer,
    make_frame_f1_scorer,
    make_psds_scorer,
    make_segment_error_rate_scorer,
    make_segment_f1_scorer,
    raw_pitch_accuracy_scorer,
)
from ._separation import si_sdr, si_sdr_improvement

__all__ = [
    "frame_f1_score", "frame_error_rate", "rolls_to_events", "event_f1_score", "raw_pitch_accuracy",
    "si_sdr", "si_sdr_improvement", "make_frame_f1_scorer", "make_frame_error_rate_scorer",
    "raw_pitch_accuracy_scorer", "segment_f1_score", "segment_error_rate", "psds_score",
    "make_segment_f1_scorer", "make_segment_error_rate_scorer", "make_psds_scorer",
]

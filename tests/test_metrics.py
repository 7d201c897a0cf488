"""Frame and event metrics, pitch accuracy, SI-SDR and their scorers, on hand-computed cases."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skcnn.metrics import (
    event_f1_score,
    frame_error_rate,
    frame_f1_score,
    make_frame_error_rate_scorer,
    make_frame_f1_scorer,
    make_psds_scorer,
    make_segment_error_rate_scorer,
    make_segment_f1_scorer,
    psds_score,
    raw_pitch_accuracy,
    raw_pitch_accuracy_scorer,
    rolls_to_events,
    segment_error_rate,
    segment_f1_score,
    si_sdr,
    si_sdr_improvement,
)
from skcnn.metrics._psds import _import_sed_scores_eval


def test_import_is_light():
    code = ("import sys, skcnn, skcnn.metrics; skcnn.metrics; "
            "print([name for name in ('torch', 'sed_eval', 'sed_scores_eval') if name in sys.modules])")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"


# --- frame F1 ---------------------------------------------------------------------------------

def test_frame_f1_hand_computed_with_background():
    y_true = [[0, 1, 1, 1, 0], [2, 2, 0, 0, 0]]
    y_pred = [[0, 1, 1, 0, 2], [2, 0, 0, 0, 0]]
    # class 1: TP 2, FP 0, FN 1 -> 4/5; class 2: TP 1, FP 1, FN 1 -> 2/4; background not scored
    assert frame_f1_score(y_true, y_pred, background=0) == pytest.approx((0.8 + 0.5) / 2)
    assert frame_f1_score(y_true, y_pred, background=0, average="micro") == pytest.approx(6 / 9)
    np.testing.assert_allclose(frame_f1_score(y_true, y_pred, background=0, average=None), [0.8, 0.5])
    # without a background, 0 is a class too: TP 4, FP 2, FN 1 -> 8/11
    assert frame_f1_score(y_true, y_pred) == pytest.approx((8 / 11 + 0.8 + 0.5) / 3)


def test_frame_f1_string_labels_and_single_clip():
    y_true = np.array(["-", "dog", "dog", "cat"])
    y_pred = np.array(["-", "dog", "cat", "cat"])
    expected = f1_score(y_true, y_pred, labels=["cat", "dog"], average="macro")
    assert frame_f1_score(y_true, y_pred, background="-") == pytest.approx(expected)
    assert frame_f1_score(y_true, y_pred, background="-", labels=["dog"]) == pytest.approx(2 / 3)


def test_frame_f1_indicator_roll_skips_absent_classes():
    y_true = np.zeros((2, 3, 3), int)
    y_pred = np.zeros((2, 3, 3), int)
    y_true[0, :2, 0] = 1      # class 0: 2 frames, both found
    y_pred[0, :2, 0] = 1
    y_true[1, 1, 1] = 1       # class 1: missed, one false alarm elsewhere
    y_pred[1, 2, 1] = 1
    # class 2 is absent from both: it does not pull the macro mean down
    assert frame_f1_score(y_true, y_pred) == pytest.approx(0.5)
    assert frame_f1_score(y_true, y_pred, labels=[0, 1, 2]) == pytest.approx(1 / 3)


def test_frame_f1_nothing_to_score_is_zero():
    assert frame_f1_score([[0, 0]], [[0, 0]], background=0) == 0.0


def test_frame_f1_errors():
    with pytest.raises(ValueError, match=r"y_true has shape \(1, 3\) and y_pred has shape \(1, 2\)"):
        frame_f1_score([[0, 1, 1]], [[0, 1]])
    with pytest.raises(ValueError, match="background=0 applies to label rolls only"):
        frame_f1_score(np.zeros((1, 2, 2)), np.zeros((1, 2, 2)), background=0)
    with pytest.raises(ValueError, match="values other than 0 and 1"):
        frame_f1_score(np.full((1, 2, 2), 2), np.zeros((1, 2, 2)))


@pytest.mark.parametrize("metric", [frame_f1_score, frame_error_rate])
def test_background_of_another_type_than_the_labels_is_an_error(metric):
    ints = [[0, 1, 1, 2]], [[0, 1, 2, 2]]
    # "bg" can never be an integer label: it used to be ignored, scoring 0 as an event class
    with pytest.raises(ValueError, match=r"background='bg' cannot occur in these label rolls: "
                                         r"they hold integer labels \(int64\), e.g. \[0, 1, 2\]"):
        metric(*ints, background="bg")
    with pytest.raises(ValueError, match=r"background=0.5 cannot occur .* integer labels"):
        metric(*ints, background=0.5)
    strings = np.array([["-", "a", "b", "b"]]), np.array([["-", "a", "a", "b"]])
    with pytest.raises(ValueError, match=r"background=0 cannot occur .* string labels \(<U1\), "
                                         r"e.g. \['-', 'a', 'b'\]"):
        metric(*strings, background=0)
    # of the labels' type but absent (every frame is an event): legitimate, as is 0.0 for ints
    assert metric(*ints, background=9) == metric(*ints, background=None)
    assert metric(*ints, background=0.0) == metric(*ints, background=0)
    assert metric(*strings, background="none") == metric(*strings, background=None)


def test_background_type_checked_with_explicit_labels_and_in_scorers():
    with pytest.raises(ValueError, match="background='bg' cannot occur"):
        frame_f1_score([[0, 1, 1]], [[0, 1, 0]], background="bg", labels=[1])
    y = _label_rolls()
    for scorer in (make_frame_f1_scorer(background="bg"), make_frame_error_rate_scorer(background="bg")):
        with pytest.raises(ValueError, match="background='bg' cannot occur"):
            scorer(ShiftedRoll().fit(y, y), y, y)
    with pytest.raises(ValueError, match="background='bg' cannot occur"):
        rolls_to_events([0, 1, 1], sr=10, hop_length=1, background="bg")


def test_labels_of_another_type_than_the_rolls_are_an_error():
    # a class absent from the rolls scores 0, as in scikit-learn; 'x' among integers used to as well
    assert frame_f1_score([[0, 1, 1, 2]], [[0, 1, 2, 2]], labels=[1, 5], average=None)[1] == 0.0
    with pytest.raises(ValueError, match=r"labels=\[1, 'x'\] holds 'x', which cannot occur in these "
                                         r"label rolls: they hold integer labels"):
        frame_f1_score([[0, 1, 1, 2]], [[0, 1, 2, 2]], labels=[1, "x"], background=0)
    with pytest.raises(ValueError, match=r"labels=\[0\] holds 0, which cannot occur .* string labels"):
        frame_f1_score([["-", "a"]], [["-", "a"]], labels=[0])


def test_non_finite_labels_and_parameters_are_errors():
    # NaN never equals itself: frame_error_rate used to count a NaN frame as no class at all,
    # and rolls_to_events made one NaN event per frame
    with pytest.raises(ValueError, match="y_pred holds NaN or infinite labels"):
        frame_error_rate([[1.0, 2.0, 0.0]], [[1.0, np.nan, 0.0]], background=0)
    with pytest.raises(ValueError, match="y_true holds NaN or infinite labels"):
        frame_f1_score([[1.0, np.nan]], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="roll holds NaN or infinite labels"):
        rolls_to_events([0.0, np.nan, np.nan], sr=10, hop_length=1, background=0)
    # an infinite rate or hop used to put every event at 0 s (or at inf s)
    with pytest.raises(ValueError, match="sr=inf must be a finite positive number"):
        rolls_to_events([0, 1], sr=np.inf, hop_length=1)
    with pytest.raises(ValueError, match="hop_length=nan must be a finite positive number"):
        rolls_to_events([0, 1], sr=10, hop_length=np.nan)
    with pytest.raises(ValueError, match="t_collar=inf must be a finite non-negative number"):
        event_f1_score([[]], [[]], t_collar=np.inf)
    # an infinite pitch is no frequency (NaN and <= 0 stay the documented 'unvoiced')
    with pytest.raises(ValueError, match="y_pred holds an infinite pitch"):
        raw_pitch_accuracy([220.0, 220.0], [220.0, np.inf])
    with pytest.raises(ValueError, match="y_true holds an infinite pitch"):
        raw_pitch_accuracy([np.inf, 220.0], [220.0, 220.0])


# --- frame error rate -------------------------------------------------------------------------

def test_frame_error_rate_indicator_hand_computed():
    # classes A, B, C; four frames
    ref = np.array([[[1, 1, 0], [1, 0, 0], [0, 0, 0], [0, 1, 0]]])
    est = np.array([[[0, 0, 1], [1, 1, 0], [0, 0, 0], [0, 1, 0]]])
    # frame 0: FN 2, FP 1 -> S 1 + D 1; frame 1: I 1; frames 2, 3: none. N_ref = 2 + 1 + 0 + 1
    assert frame_error_rate(ref, est) == pytest.approx(3 / 4)


def test_frame_error_rate_label_roll_hand_computed():
    y_true = [[0, 1, 1, 2, 0], [2, 2, 0, 0, 1]]
    y_pred = [[0, 1, 2, 0, 1], [2, 0, 0, 0, 1]]
    # S at (0, 2); D at (0, 3), (1, 1); I at (0, 4): 4 errors over 6 active reference frames
    assert frame_error_rate(y_true, y_pred, background=0) == pytest.approx(4 / 6)
    assert frame_error_rate(y_true, y_true, background=0) == 0.0
    assert frame_error_rate(y_true, np.zeros((2, 5), int), background=0) == 1.0
    # same rolls as indicators
    eye = np.eye(3, dtype=int)[:, 1:]
    assert frame_error_rate(eye[y_true], eye[y_pred]) == pytest.approx(4 / 6)
    # insertions alone can push it past 1
    assert frame_error_rate([[1, 0, 0]], [[1, 1, 1]], background=0) == 2.0


def test_frame_error_rate_errors():
    with pytest.raises(ValueError, match="no active reference class"):
        frame_error_rate([[0, 0]], [[1, 0]], background=0)
    with pytest.raises(ValueError, match=r"y_true has shape \(2,\) and y_pred has shape \(3,\)"):
        frame_error_rate([1, 0], [1, 0, 0])


# --- rolls to events --------------------------------------------------------------------------

def _events_to_roll(events, n_frames, sr, hop_length, background):
    """By hand: frame t takes the label of the event whose [onset, offset) holds its centre."""
    roll = [background] * n_frames
    for onset, offset, label in events:
        for t in range(n_frames):
            if onset <= t * hop_length / sr < offset:
                roll[t] = label
    return roll


def test_rolls_to_events_round_trip():
    sr, hop_length = 22050, 512
    roll = np.array([[0, 3, 3, 1, 1, 1, 0, 0, 2], [1, 1, 1, 1, 1, 1, 1, 1, 1]])
    events = rolls_to_events(roll, sr=sr, hop_length=hop_length, background=0)
    assert events[0] == [(1 * 512 / 22050, 3 * 512 / 22050, 3), (3 * 512 / 22050, 6 * 512 / 22050, 1),
                         (8 * 512 / 22050, 9 * 512 / 22050, 2)]
    assert events[1] == [(0.0, 9 * 512 / 22050, 1)]
    for clip, clip_events in zip(roll, events):
        assert _events_to_roll(clip_events, 9, sr, hop_length, 0) == clip.tolist()
        assert all(type(label) is int for _, _, label in clip_events)


def test_rolls_to_events_single_clip_strings_and_no_background():
    assert rolls_to_events(np.array(["a", "a", "b"]), sr=10, hop_length=1) == [
        (0.0, 0.2, "a"), (0.2, 0.3, "b")]
    assert rolls_to_events([[0, 0]], sr=10, hop_length=1, background=0) == [[]]
    assert rolls_to_events(np.zeros((2, 0), int), sr=10, hop_length=1) == [[], []]


def test_rolls_to_events_indicator_overlaps_sorted_by_onset():
    roll = np.zeros((1, 6, 2), int)
    roll[0, 2:5, 0] = 1
    roll[0, 0:3, 1] = 1
    roll[0, 5, 1] = 1
    events = rolls_to_events(roll, sr=10, hop_length=1, classes=["dog", "cat"])
    assert events == [[(0.0, 0.3, "cat"), (0.2, 0.5, "dog"), (0.5, 0.6, "cat")]]
    assert [label for _, _, label in rolls_to_events(roll, sr=10, hop_length=1)[0]] == [1, 0, 1]


def test_rolls_to_events_errors():
    with pytest.raises(ValueError, match="sr=0 must be a positive number"):
        rolls_to_events([0, 1], sr=0, hop_length=1)
    with pytest.raises(ValueError, match="hop_length=-1 must be a positive number"):
        rolls_to_events([0, 1], sr=10, hop_length=-1)
    with pytest.raises(ValueError, match="classes has 1 labels but the indicator roll has 2 columns"):
        rolls_to_events(np.zeros((1, 3, 2)), sr=10, hop_length=1, classes=["a"])
    with pytest.raises(ValueError, match=r"classes=\['a'\] names the columns of an indicator roll"):
        rolls_to_events([0, 1], sr=10, hop_length=1, classes=["a"])
    with pytest.raises(ValueError, match=r"roll has shape \(1, 1, 1, 1\)"):
        rolls_to_events(np.zeros((1, 1, 1, 1)), sr=10, hop_length=1)


# --- event F1 ---------------------------------------------------------------------------------

def test_event_f1_two_clips_hand_count():
    y_true = [
        [(0.0, 1.0, "dog"), (1.0, 2.0, "dog"), (3.0, 4.0, "cat")],
        [(0.5, 0.7, "bird"), (2.0, 2.5, "dog")],
    ]
    y_pred = [
        [(0.1, 0.8, "dog"), (0.15, 0.5, "dog"), (3.3, 4.0, "cat"), (5.0, 6.0, "cat")],
        [(0.5, 0.7, "dog"), (2.19, 2.5, "dog")],
    ]
    # clip 0, dog: refs 0.0, 1.0; ests 0.1, 0.15 -> one match (one-to-one), FP 1, FN 1
    #         cat: 3.0 vs 3.3 is beyond 0.2, and 5.0 -> TP 0, FP 2, FN 1
    # clip 1, bird: FN 1; dog: ref 2.0 matches est 2.19, est 0.5 is an FP (label differs from bird)
    # dog: TP 2, FP 2, FN 1; cat: TP 0, FP 2, FN 1; bird: TP 0, FP 0, FN 1
    tp, fp, fn = 2, 4, 3
    assert event_f1_score(y_true, y_pred) == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert event_f1_score(y_true, y_pred, average="macro") == pytest.approx((4 / 7 + 0 + 0) / 3)
    # a wider collar lets the cat at 3.3 match
    assert event_f1_score(y_true, y_pred, t_collar=0.3) == pytest.approx(6 / (6 + 3 + 2))


def test_event_f1_uses_maximum_matching():
    # nearest-first greedy pairs 0.2 with 0.3 and leaves 0.5 alone; the maximum matching finds both
    y_true = [[(0.0, 0.1, "a"), (0.3, 0.4, "a")]]
    y_pred = [[(0.2, 0.3, "a"), (0.5, 0.6, "a")]]
    assert event_f1_score(y_true, y_pred) == 1.0


def test_event_f1_collar_edge_is_inclusive_despite_rounding():
    assert 0.8 - 0.6 > 0.2  # the rounding that the slack absorbs
    assert event_f1_score([[(0.6, 1.0, "a")]], [[(0.8, 1.0, "a")]]) == 1.0
    assert event_f1_score([[(0.6, 1.0, "a")]], [[(0.81, 1.0, "a")]]) == 0.0
    assert event_f1_score([[(0.6, 1.0, "a")]], [[(0.6, 1.0, "a")]], t_collar=0) == 1.0


def test_event_f1_empty_is_zero():
    assert event_f1_score([[], []], [[], []]) == 0.0
    assert event_f1_score([[], []], [[], []], average="macro") == 0.0
    assert event_f1_score([[(0.0, 1.0, 1)]], [[]]) == 0.0


def test_event_f1_from_rolls():
    roll_true = np.array([[0, 1, 1, 0, 2, 2, 0, 0]])
    roll_pred = np.array([[0, 0, 1, 1, 0, 0, 0, 2]])
    kwargs = dict(sr=10, hop_length=1, background=0)
    true, pred = rolls_to_events(roll_true, **kwargs), rolls_to_events(roll_pred, **kwargs)
    # onsets: class 1 at 0.1 vs 0.2 (match), class 2 at 0.4 vs 0.7 (no match)
    assert event_f1_score(true, pred) == pytest.approx(2 / (2 + 1 + 1))


def test_event_f1_errors():
    with pytest.raises(ValueError, match="y_true has 2 clips and y_pred has 1"):
        event_f1_score([[], []], [[]])
    with pytest.raises(ValueError, match=r"y_true\[0\]=\(0.0, 1.0, 'a'\) is an event"):
        event_f1_score([(0.0, 1.0, "a")], [[]])
    with pytest.raises(ValueError, match=r"y_pred\[0\] holds \(0.0, 1.0\)"):
        event_f1_score([[]], [[(0.0, 1.0)]])
    with pytest.raises(ValueError, match="t_collar=-0.1 must be a non-negative number"):
        event_f1_score([[]], [[]], t_collar=-0.1)
    with pytest.raises(ValueError, match="average='weighted' must be 'micro' or 'macro'"):
        event_f1_score([[]], [[]], average="weighted")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 1])
def test_event_f1_non_finite_times_are_errors(bad, where):
    event = [0.5, 1.0, "a"]
    event[where] = bad
    event = tuple(event)
    # NaN onsets in both lists used to score as a perfect match, and offsets were never checked
    with pytest.raises(ValueError, match=r"y_pred\[0\] holds .*onset and offset must be finite"):
        event_f1_score([[(0.5, 1.0, "a")]], [[event]])
    with pytest.raises(ValueError, match=r"y_true\[1\] holds .*onset and offset must be finite"):
        event_f1_score([[], [event]], [[], [(0.5, 1.0, "a")]])
    with pytest.raises(ValueError, match=r"y_true\[0\] holds .*onset and offset must be finite"):
        event_f1_score([[(0.0, "end", "a")]], [[]])


# --- segment-based F1 and error rate ----------------------------------------------------------

# clip 0, 1 s segments: dog in 0, 1, 2 (0.0-2.5), cat in 1 (1.2-1.8); estimated dog in 0 and 2, bird in 1.
# clip 1: cat in 0, nothing estimated.
SEGMENT_TRUE = [[(0.0, 2.5, "dog"), (1.2, 1.8, "cat")], [(0.0, 1.0, "cat")]]
SEGMENT_PRED = [[(0.5, 1.0, "dog"), (2.0, 3.0, "dog"), (1.0, 1.1, "bird")], []]


def test_segment_metrics_hand_computed():
    # segment 1 of clip 0: N_ref 2 (dog, cat), N_sys 1 (bird): S 1, D 1; clip 1: D 1
    # TP 2, N_ref 5, N_sys 3
    assert segment_f1_score(SEGMENT_TRUE, SEGMENT_PRED) == 2 * 2 / (5 + 3)
    assert segment_error_rate(SEGMENT_TRUE, SEGMENT_PRED) == pytest.approx(3 / 5)
    # dog: TP 2, N_ref 3, N_sys 2 -> 0.8; cat (never estimated) and bird (never in the reference)
    # score NaN in sed_eval, and its class-wise average skips them
    assert segment_f1_score(SEGMENT_TRUE, SEGMENT_PRED, average="macro") == pytest.approx(0.8)


def test_segment_metrics_half_second_segments():
    # clip 0, 6 segments of 0.5 s: dog 0-4, cat 2-3 (1.2 -> floor 2, 1.8 -> ceil 4); estimated dog 1
    # (0.5-1.0), dog 4-5 (2.0-3.0), bird 2 (1.0-1.1 -> floor 2, ceil 3)
    # per segment (ref / est): dog / - D; dog / dog TP; dog cat / bird S D; dog cat / - D D;
    # dog / dog TP; - / dog I. Clip 1: cat 0-1, D D.
    assert segment_f1_score(SEGMENT_TRUE, SEGMENT_PRED, segment_length=0.5) == pytest.approx(4 / 13)
    assert segment_error_rate(SEGMENT_TRUE, SEGMENT_PRED, segment_length=0.5) == pytest.approx(8 / 9)


def test_segment_metrics_duration_cuts_events_off():
    # 2 s clips: clip 0 loses its third segment (dog in both): TP 1, N_ref 4, N_sys 2, S 1 D 2
    for duration in (2.0, [2.0, 2.0], [2.0, 10.0], np.array([2, 10])):
        assert segment_f1_score(SEGMENT_TRUE, SEGMENT_PRED, duration=duration) == pytest.approx(2 / 6)
        assert segment_error_rate(SEGMENT_TRUE, SEGMENT_PRED, duration=duration) == pytest.approx(3 / 4)
    # a duration past the last offset adds segments with nothing active: no change
    assert segment_f1_score(SEGMENT_TRUE, SEGMENT_PRED, duration=60) == segment_f1_score(SEGMENT_TRUE,
                                                                                          SEGMENT_PRED)


def test_segment_metrics_overlapping_events_of_one_class_are_one_activity():
    y_true = [[(0.0, 1.5, "a"), (1.0, 2.0, "a")]]
    assert segment_f1_score(y_true, [[(0.0, 2.0, "a")]]) == 1.0
    assert segment_error_rate(y_true, [[(0.0, 2.0, "a")]]) == 0.0


def test_segment_metrics_empty():
    # nothing estimated: sed_eval's F1 is NaN (precision 0/0), here 0.0; every reference segment a deletion
    assert segment_f1_score([[(0.0, 1.0, "a")]], [[]]) == 0.0
    assert segment_f1_score([[(0.0, 1.0, "a")]], [[]], average="macro") == 0.0
    assert segment_error_rate([[(0.0, 1.0, "a")], []], [[], []]) == 1.0
    assert segment_f1_score([[]], [[(0.0, 1.0, "a")]]) == 0.0
    assert segment_f1_score([[], []], [[], []]) == 0.0
    assert segment_f1_score([], []) == 0.0
    with pytest.raises(ValueError, match="y_true has no active class in any segment"):
        segment_error_rate([[]], [[(0.0, 1.0, "a")]])
    with pytest.raises(ValueError, match="y_true has no active class in any segment"):
        segment_error_rate([[(5.0, 6.0, "a")]], [[]], duration=5.0)  # cut off


@pytest.mark.parametrize("metric", [segment_f1_score, segment_error_rate])
def test_segment_metrics_errors(metric):
    events = [[(0.0, 1.0, "a")]]
    with pytest.raises(ValueError, match="y_true has 2 clips and y_pred has 1"):
        metric([[], []], [[]])
    with pytest.raises(ValueError, match=r"y_true\[0\]=\(0.0, 1.0, 'a'\) is an event"):
        metric([(0.0, 1.0, "a")], [[]])
    with pytest.raises(ValueError, match=r"y_true\[0\] holds \(-0.5, 1.0, 'a'\); events need 0 <= onset <="):
        metric([[(-0.5, 1.0, "a")]], events)  # sed_eval indexes its roll from the end
    with pytest.raises(ValueError, match=r"y_pred\[1\] holds \(2.0, 1.0, 'a'\); events need 0 <= onset"):
        metric([[], []], [[], [(2.0, 1.0, "a")]])
    with pytest.raises(ValueError, match=r"y_pred\[0\] holds .*onset and offset must be finite"):
        metric(events, [[(0.0, np.inf, "a")]])
    with pytest.raises(ValueError, match="segment_length=0 must be a positive number"):
        metric(events, events, segment_length=0)
    with pytest.raises(ValueError, match="duration=-1 must be a positive number"):
        metric(events, events, duration=-1)
    with pytest.raises(ValueError, match=r"duration\[1\]=nan must be a finite positive number"):
        metric([[], []], [[], []], duration=[1.0, np.nan])
    with pytest.raises(ValueError, match="duration has 1 values and there are 2 clips"):
        metric([[], []], [[], []], duration=[1.0])
    with pytest.raises(ValueError, match="duration='10' must be None, a number of seconds or one per clip"):
        metric(events, events, duration="10")


def test_segment_f1_average_error():
    with pytest.raises(ValueError, match="average='weighted' must be 'micro' or 'macro'"):
        segment_f1_score([[]], [[]], average="weighted")


def _sed_eval_segment_metrics(y_true, y_pred, *, segment_length, duration):
    """sed_eval's (overall F1, class-wise average F1, overall ER), the union of labels as its label list."""
    with warnings.catch_warnings():  # dcase_util: pkg_resources is deprecated
        warnings.simplefilter("ignore")
        sed_eval = pytest.importorskip("sed_eval")
    labels = list(dict.fromkeys(label for clip in y_true + y_pred for _, _, label in clip))
    metrics = sed_eval.sound_event.SegmentBasedMetrics(event_label_list=labels,
                                                       time_resolution=float(segment_length))
    for index, (ref, est) in enumerate(zip(y_true, y_pred)):
        length = duration if duration is None or np.isscalar(duration) else duration[index]
        metrics.evaluate([dict(event_onset=a, event_offset=b, event_label=label) for a, b, label in ref],
                         [dict(event_onset=a, event_offset=b, event_label=label) for a, b, label in est],
                         evaluated_length_seconds=length)
    with warnings.catch_warnings():  # the mean of no class's F1 (all NaN)
        warnings.simplefilter("ignore", RuntimeWarning)
        macro = metrics.results_class_wise_average_metrics()["f_measure"].get("f_measure", np.nan)
    return metrics.overall_f_measure()["f_measure"], macro, metrics.overall_error_rate()["error_rate"]


def _random_events(rng, n_clips, labels, length=8.0, grid=0.5):
    """Event lists over ``length`` s; half the events on a ``grid``, so on segment boundaries."""
    clips = []
    for _ in range(n_clips):
        events = []
        for _ in range(rng.integers(0, 7)):
            onset = rng.uniform(0, length)
            offset = onset + rng.uniform(0, 3)
            if rng.random() < 0.5:
                onset, offset = np.round(onset / grid) * grid, np.round(offset / grid) * grid
            events.append((float(onset), float(offset), labels[rng.integers(len(labels))]))
        clips.append(events)
    return clips


def _estimate(rng, y_true, labels):
    """``y_true`` with events dropped, relabelled, moved, added, and some clips left empty."""
    y_pred = []
    for clip in y_true:
        events = []
        for onset, offset, label in [] if rng.random() < 0.15 else clip:
            if rng.random() < 0.2:
                continue
            label = labels[rng.integers(len(labels))] if rng.random() < 0.2 else label
            onset = max(0.0, onset + rng.normal(0, 0.4))
            events.append((onset, max(onset, offset + rng.normal(0, 0.4)), label))
        y_pred.append(events + _random_events(rng, 1, labels)[0][:rng.integers(0, 2)])
    return y_pred


def _assert_matches_sed_eval(y_true, y_pred, segment_length, duration):
    expected = _sed_eval_segment_metrics(y_true, y_pred, segment_length=segment_length, duration=duration)
    kwargs = dict(segment_length=segment_length, duration=duration)
    ours = [segment_f1_score(y_true, y_pred, **kwargs),
            segment_f1_score(y_true, y_pred, **kwargs, average="macro")]
    for value, sed_eval_value in zip(ours, expected[:2]):
        # sed_eval answers NaN where there is no estimated (or reference) segment at all: 0.0 here
        assert value == (0.0 if np.isnan(sed_eval_value) else pytest.approx(sed_eval_value, abs=1e-12))
    if expected[2] == 0 or expected[2] > 1e10:  # no reference segment: sed_eval divides by machine epsilon
        with pytest.raises(ValueError, match="no active class"):
            segment_error_rate(y_true, y_pred, segment_length=segment_length, duration=duration)
    else:
        assert segment_error_rate(y_true, y_pred, segment_length=segment_length,
                                  duration=duration) == pytest.approx(expected[2], abs=1e-12)
    return expected


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("segment_length", [1.0, 0.5])
@pytest.mark.parametrize("duration", ["none", "scalar", "per_clip"])
def test_segment_metrics_match_sed_eval(seed, segment_length, duration):
    rng = np.random.default_rng(seed)
    labels = ["dog", "cat", "bird", "car"]
    y_true = _random_events(rng, 6, labels)
    y_pred = _estimate(rng, y_true, labels)
    # durations shorter than the events too, which cut them off
    duration = {"none": None, "scalar": 6.0, "per_clip": list(rng.uniform(2, 11, 6))}[duration]
    expected = _assert_matches_sed_eval(y_true, y_pred, segment_length, duration)
    assert not np.isnan(expected).any()


def test_segment_metrics_match_sed_eval_many_small_cases():
    # few events per case: classes never estimated or never in the reference, empty clips, NaN in sed_eval
    labels, seen_nan = ["a", "b", "c"], 0
    for seed in range(60):
        rng = np.random.default_rng(100 + seed)
        y_true = _random_events(rng, 2, labels, length=3.0)
        y_pred = _estimate(rng, y_true, labels)
        seen_nan += np.isnan(_assert_matches_sed_eval(y_true, y_pred, [1.0, 0.5, 0.25][seed % 3], None)).any()
    assert seen_nan > 0  # the edge cases came up


def test_segment_metrics_match_sed_eval_with_integer_labels_and_empty_estimates():
    rng = np.random.default_rng(7)
    y_true = _random_events(rng, 5, [1, 2, 3])
    _assert_matches_sed_eval(y_true, _estimate(rng, y_true, [1, 2, 3]), 1.0, None)
    empty = [[] for _ in y_true]
    f1, macro, error_rate = _assert_matches_sed_eval(y_true, empty, 0.5, 10.0)
    assert np.isnan(f1) and np.isnan(macro) and error_rate == pytest.approx(1.0)


def test_segment_macro_skips_what_sed_eval_scores_nan():
    expected = _sed_eval_segment_metrics(SEGMENT_TRUE, SEGMENT_PRED, segment_length=1.0, duration=None)
    assert expected[1] == pytest.approx(0.8)  # cat (missed) and bird (false alarm only) left out
    assert segment_f1_score(SEGMENT_TRUE, SEGMENT_PRED, average="macro") == pytest.approx(expected[1])


# --- PSDS -------------------------------------------------------------------------------------

def _indicator_rolls(seed=0, n_clips=6, n_frames=60, n_classes=3):
    """Random 0/1 rolls with events of 3 to 14 frames; every class has some."""
    rng = np.random.default_rng(seed)
    roll = np.zeros((n_clips, n_frames, n_classes), int)
    for clip in roll:
        for k in range(n_classes):
            for _ in range(rng.integers(0, 3)):
                start = rng.integers(0, n_frames - 3)
                clip[start:start + rng.integers(3, 15), k] = 1
    roll[0, 5:10, :] = 1
    return roll


PSDS_KWARGS = dict(sr=16000, hop_length=320, classes=["dog", "cat", "bird"])  # 20 ms frames


@pytest.fixture(scope="module")
def sed_scores_eval():
    with warnings.catch_warnings():  # sed_scores_eval imports sed_eval: pkg_resources is deprecated
        warnings.simplefilter("ignore")
        return pytest.importorskip("sed_scores_eval")


def test_psds_perfect_and_random_maps(sed_scores_eval):
    roll = _indicator_rolls()
    y_true = rolls_to_events(roll, sr=16000, hop_length=320, classes=PSDS_KWARGS["classes"])
    # scores that rank every event frame above every other frame are perfect, whatever their values
    assert psds_score(y_true, roll.astype(float), **PSDS_KWARGS) == 1.0
    assert psds_score(y_true, 0.3 + 0.5 * roll + 0.1 * np.random.default_rng(1).random(roll.shape),
                      **PSDS_KWARGS) == 1.0
    # a random map: at 100 false positives per hour at most, 7.2 s of audio allow none
    assert psds_score(y_true, np.random.default_rng(2).random(roll.shape), **PSDS_KWARGS) == 0.0
    assert psds_score(y_true, np.ones(roll.shape), **PSDS_KWARGS) == 0.0


def test_psds_frames_are_the_events_of_rolls_to_events(sed_scores_eval):
    # the detection of frames [a, b) is (a, b) hops: it matches the events of the same frames
    # exactly, so even with criteria of 1 (full intersection both ways) the score is perfect
    roll = _indicator_rolls(seed=3)
    y_true = rolls_to_events(roll, sr=16000, hop_length=320, classes=PSDS_KWARGS["classes"])
    exact = dict(PSDS_KWARGS, dtc_threshold=1.0, gtc_threshold=1.0)
    assert psds_score(y_true, roll.astype(float), **exact) == 1.0
    late = np.roll(roll, 1, axis=1).astype(float)
    assert psds_score(y_true, late, **exact, duration=3600.0) == 0.0
    # one frame late is still a detection of the longer events under scenario 1's 0.7
    assert 0 < psds_score(y_true, late, **PSDS_KWARGS, duration=3600.0) < 1


def test_psds_background_column_is_left_out(sed_scores_eval):
    roll = _indicator_rolls(seed=4)
    y_true = rolls_to_events(roll, sr=16000, hop_length=320, classes=PSDS_KWARGS["classes"])
    scores = np.clip(roll + np.random.default_rng(4).normal(0, 0.4, roll.shape), 0, None)
    with_background = np.concatenate([np.random.default_rng(5).random(roll.shape[:2] + (1,)), scores], axis=2)
    expected = psds_score(y_true, scores, **PSDS_KWARGS, duration=3600.0)
    assert 0 < expected < 1
    assert psds_score(y_true, with_background, sr=16000, hop_length=320, classes=["-", "dog", "cat", "bird"],
                      background="-", duration=3600.0) == expected


@pytest.mark.parametrize("scenario", [1, 2])
def test_psds_matches_sed_scores_eval_on_hand_built_frames(sed_scores_eval, scenario):
    import pandas as pd

    rng = np.random.default_rng(6)
    sr, hop_length, n_frames = 100, 10, 50  # frames of 0.1 s, clips of 5 s
    y_true = [[(0.0, 0.8, "dog"), (1.5, 2.1, "cat"), (1.8, 3.0, "dog")],
              [(2.0, 2.4, "cat")],
              [(0.3, 4.9, "dog"), (4.0, 5.0, "cat")],
              []]
    scores = rng.random((4, n_frames, 2))
    for clip, events in zip(scores, y_true):
        for onset, offset, label in events:
            clip[round(onset * 10):round(offset * 10), ["dog", "cat"].index(label)] += rng.uniform(0.3, 0.6)
    scores[3, 10:15, 0] = 1.5  # the top score: a false alarm
    kwargs = {1: dict(dtc_threshold=0.7, gtc_threshold=0.7, alpha_ct=0.0),
              2: dict(dtc_threshold=0.1, gtc_threshold=0.1, cttc_threshold=0.3, alpha_ct=0.5)}[scenario]
    kwargs.update(alpha_st=1.0, max_efpr=100.0)
    # durations of 60 s (audio longer than the frames scored): 4 minutes, a false positive is 15 per hour
    ours = psds_score(y_true, scores, sr=sr, hop_length=hop_length, classes=["dog", "cat"], duration=60,
                      **kwargs)
    # the frames by hand: frame t from t / 10 to (t + 1) / 10 s. Columns in separate blocks, so that
    # pandas 3 hands sed_scores_eval 0.0.4 a writable copy (see skcnn.metrics._psds._import_sed_scores_eval)
    times = np.arange(n_frames + 1) / 10
    frames = {f"clip{i}": pd.DataFrame({"onset": times[:-1].copy(), "offset": times[1:].copy(),
                                        "dog": clip[:, 0].copy(), "cat": clip[:, 1].copy()}, copy=False)
              for i, clip in enumerate(scores)}
    expected = sed_scores_eval.intersection_based.psds(
        scores=frames, ground_truth={f"clip{i}": events for i, events in enumerate(y_true)},
        audio_durations={f"clip{i}": 60.0 for i in range(4)}, unit_of_time="hour", **kwargs)[0]
    assert 0.1 < expected < 0.95
    assert ours == pytest.approx(expected, abs=1e-12)


def test_psds_errors(sed_scores_eval):
    events = [[(0.0, 0.2, "a")], [(0.1, 0.3, "b")]]
    scores = np.zeros((2, 4, 2))
    kwargs = dict(sr=10, hop_length=1, classes=["a", "b"])
    with pytest.raises(ValueError, match=r"scores has shape \(2, 4\); it must be \(n_clips, n_frames, n_cl"):
        psds_score(events, scores[..., 0], **kwargs)
    with pytest.raises(ValueError, match=r"scores has shape \(2, 0, 2\)"):
        psds_score(events, scores[:, :0], **kwargs)
    with pytest.raises(ValueError, match="scores must hold finite numbers"):
        psds_score(events, np.full((2, 4, 2), np.nan), **kwargs)
    with pytest.raises(ValueError, match="y_true has 1 clips and scores has 2"):
        psds_score(events[:1], scores, **kwargs)
    with pytest.raises(ValueError, match="classes has 3 labels but scores has 2 columns"):
        psds_score(events, scores, sr=10, hop_length=1, classes=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"classes=\['a', 'a'\] names a column twice"):
        psds_score(events, scores, sr=10, hop_length=1, classes=["a", "a"])
    with pytest.raises(ValueError, match=r"classes=\[1, '1'\]: sed_scores_eval names the columns by str"):
        psds_score(events, scores, sr=10, hop_length=1, classes=[1, "1"])
    with pytest.raises(ValueError, match=r"background='-' is not one of classes=\['a', 'b'\]"):
        psds_score(events, scores, **kwargs, background="-")
    with pytest.raises(ValueError, match=r"y_true\[1\] holds \(0.1, 0.3, 'c'\), whose label is not one of "
                                         r"classes=\['a', 'b'\]"):
        psds_score([[(0.0, 0.2, "a")], [(0.1, 0.3, "c")]], scores, **kwargs)
    with pytest.raises(ValueError, match=r"y_true\[0\] holds \(0.0, 0.2, 'a'\), whose label is the backgr"):
        psds_score(events, scores, **kwargs, background="a")
    with pytest.raises(ValueError, match="y_true has no reference event, so PSDS"):
        psds_score([[], []], scores, **kwargs)
    with pytest.raises(ValueError, match=r"classes \['b'\] have no reference event in y_true"):
        psds_score([[(0.0, 0.2, "a")], []], scores, **kwargs)
    with pytest.raises(ValueError, match=r"y_true\[0\] holds 'a' events that overlap or touch"):
        psds_score([[(0.0, 0.2, "a"), (0.2, 0.3, "a")], [(0.1, 0.3, "b")]], scores, **kwargs)
    with pytest.raises(ValueError, match=r"y_true\[0\] holds \(0.2, 0.2, 'a'\); events need 0 <= onset < "):
        psds_score([[(0.2, 0.2, "a")], [(0.1, 0.3, "b")]], scores, **kwargs)
    with pytest.raises(ValueError, match="duration has 3 values and there are 2 clips"):
        psds_score(events, scores, **kwargs, duration=[1, 2, 3])
    with pytest.raises(ValueError, match=r"alpha_ct=0.5 and cttc_threshold=None: cross-triggers"):
        psds_score(events, scores, **kwargs, alpha_ct=0.5)
    with pytest.raises(ValueError, match=r"alpha_ct=0.0 and cttc_threshold=0.3"):
        psds_score(events, scores, **kwargs, cttc_threshold=0.3)
    with pytest.raises(ValueError, match=r"dtc_threshold=1.5 must be in \(0, 1\]"):
        psds_score(events, scores, **kwargs, dtc_threshold=1.5)
    with pytest.raises(ValueError, match="gtc_threshold=0 must be a positive number"):
        psds_score(events, scores, **kwargs, gtc_threshold=0)
    with pytest.raises(ValueError, match="max_efpr=-1 must be a positive number"):
        psds_score(events, scores, **kwargs, max_efpr=-1)
    with pytest.raises(ValueError, match="hop_length=0 must be a positive number"):
        psds_score(events, scores, sr=10, hop_length=0, classes=["a", "b"])


def test_psds_without_sed_scores_eval_says_what_to_install(monkeypatch):
    names = [name for name in sys.modules if name.split(".")[0] == "sed_scores_eval"] + ["sed_scores_eval"]
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules: that import fails
    _import_sed_scores_eval.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"pip install sed_scores_eval \(or pip install skcnn\[sed\]\)"):
            psds_score([[(0.0, 0.1, "a")]], np.ones((1, 2, 1)), sr=10, hop_length=1, classes=["a"])
    finally:
        _import_sed_scores_eval.cache_clear()


def test_psds_without_pkg_resources_says_which_setuptools(sed_scores_eval):
    # sed_scores_eval imports sed_eval, whose dcase_util imports pkg_resources (gone in setuptools 81)
    code = ("import sys; sys.modules['pkg_resources'] = None\n"
            "from skcnn.metrics import psds_score\n"
            "try:\n"
            "    psds_score([[(0.0, 0.1, 'a')]], [[[1.0], [0.0]]], sr=10, hop_length=1, classes=['a'])\n"
            "except ImportError as error:\n"
            "    print(error)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'setuptools<81'" in out


# --- raw pitch accuracy -----------------------------------------------------------------------

def cents_off(f0, cents):
    return f0 * 2 ** (cents / 1200)


def test_raw_pitch_accuracy_tolerance_edges():
    ref = np.full(4, 220.0)
    est = cents_off(ref, np.array([49.0, -49.0, 51.0, -51.0]))
    assert raw_pitch_accuracy(ref, est) == pytest.approx(0.5)
    assert raw_pitch_accuracy(ref, est, cent_tolerance=52) == 1.0
    assert raw_pitch_accuracy(ref, est, cent_tolerance=40) == 0.0


def test_raw_pitch_accuracy_octave_errors_are_wrong():
    ref = np.array([110.0, 220.0, 440.0])
    assert raw_pitch_accuracy(ref, np.array([220.0, 440.0, 220.0])) == 0.0


def test_raw_pitch_accuracy_voicing():
    ref = np.array([[220.0, np.nan, 0.0, -5.0, 330.0, 330.0, 330.0, 330.0]])
    est = np.array([[220.0, 100.0, 100.0, 100.0, np.nan, 0.0, -330.0, 331.0]])
    # 5 voiced reference frames; est unvoiced on 3 of them; right on 2
    assert raw_pitch_accuracy(ref, est) == pytest.approx(2 / 5)


def test_raw_pitch_accuracy_pools_frames_of_all_clips():
    ref = np.array([[220.0, 0.0, 0.0, 0.0], [220.0, 220.0, 220.0, 220.0]])
    est = np.array([[220.0, 0.0, 0.0, 0.0], [220.0, 500.0, 500.0, 500.0]])
    assert raw_pitch_accuracy(ref, est) == pytest.approx(2 / 5)  # a mean of clips gives 0.625


def test_raw_pitch_accuracy_silent_estimate_is_zero_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert raw_pitch_accuracy([220.0, 220.0], [0.0, np.nan]) == 0.0


def test_raw_pitch_accuracy_errors():
    with pytest.raises(ValueError, match="y_true has no voiced frame"):
        raw_pitch_accuracy([0.0, np.nan], [220.0, 220.0])
    with pytest.raises(ValueError, match=r"y_true has shape \(1, 2\) and y_pred has shape \(2,\)"):
        raw_pitch_accuracy([[220.0, 220.0]], [220.0, 220.0])
    with pytest.raises(ValueError, match="cent_tolerance=0 must be a positive number"):
        raw_pitch_accuracy([220.0], [220.0], cent_tolerance=0)


# --- SI-SDR -----------------------------------------------------------------------------------

S = np.array([1.0, -1.0, 1.0, -1.0])        # zero mean, power 4
N = np.array([1.0, 1.0, -1.0, -1.0])        # zero mean, orthogonal to S, power 4


def test_si_sdr_orthogonal_noise_of_known_power():
    assert si_sdr(S, S + 0.5 * N) == pytest.approx(10 * np.log10(4))
    assert si_sdr(S, S + 0.1 * N) == pytest.approx(20.0)
    assert si_sdr(S, S + N) == pytest.approx(0.0, abs=1e-12)


def test_si_sdr_scale_and_offset_invariance():
    rng = np.random.default_rng(0)
    s, noise = rng.standard_normal(1000), rng.standard_normal(1000)
    value = si_sdr(s, s + 0.3 * noise)
    assert si_sdr(s, 7.0 * (s + 0.3 * noise)) == pytest.approx(value)
    assert si_sdr(s + 3.0, s + 0.3 * noise - 2.0) == pytest.approx(value)  # means removed
    assert si_sdr(s, -(s + 0.3 * noise)) == pytest.approx(value)  # alpha may be negative


def test_si_sdr_edge_cases():
    assert si_sdr(S, 2 * S) == np.inf
    s = np.random.default_rng(0).standard_normal(1000)
    assert si_sdr(s, 3 * s) > 200  # inf, or rounding's finite value
    assert si_sdr(S, N) == -np.inf
    assert si_sdr(S, np.zeros(4)) == -np.inf


def test_si_sdr_computes_in_float64():
    rng = np.random.default_rng(2)
    s, e = rng.standard_normal(500).astype(np.float32), rng.standard_normal(500).astype(np.float32)
    assert si_sdr(s, s + e) == si_sdr(s.astype(np.float64), (s + e).astype(np.float64))


def test_si_sdr_batch_equals_loop():
    rng = np.random.default_rng(1)
    reference, estimate = rng.standard_normal((3, 200)), rng.standard_normal((3, 200))
    estimate += reference
    batch = si_sdr(reference, estimate)
    assert batch.shape == (3,)
    np.testing.assert_allclose(batch, [si_sdr(r, e) for r, e in zip(reference, estimate)])


def test_si_sdr_errors():
    with pytest.raises(ValueError, match=r"reference has shape \(4,\) and estimate has shape \(3,\)"):
        si_sdr(S, S[:3])
    with pytest.raises(ValueError, match="reference clip 1 is silent"):
        si_sdr(np.stack([S, np.full(4, 0.5)]), np.stack([S, S]))
    with pytest.raises(ValueError, match=r"reference has shape \(1, 1, 4\)"):
        si_sdr(S[None, None], S[None, None])


def test_si_sdr_improvement():
    mixture = S + N                               # 0 dB
    estimate = S + 0.1 * N                        # 20 dB
    assert si_sdr_improvement(S, estimate, mixture) == pytest.approx(20.0)
    batch = si_sdr_improvement(np.stack([S, S]), np.stack([estimate, mixture]), np.stack([mixture, mixture]))
    np.testing.assert_allclose(batch, [20.0, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match=r"reference has shape \(4,\) and mixture has shape \(2,\)"):
        si_sdr_improvement(S, estimate, mixture[:2])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_si_sdr_non_finite_signals_are_errors(bad):
    broken = S.copy()
    broken[2] = bad
    # a NaN estimate used to give a NaN score, which sorts unpredictably in a search
    with pytest.raises(ValueError, match=r"estimate holds NaN or infinite values \(clip 1"):
        si_sdr(np.stack([S, S]), np.stack([S, broken]))
    with pytest.raises(ValueError, match="reference holds NaN or infinite values"):
        si_sdr(broken, S)
    with pytest.raises(ValueError, match="mixture holds NaN or infinite values"):
        si_sdr_improvement(S, S + 0.1 * N, broken)
    with pytest.raises(ValueError, match="estimate holds NaN or infinite values"):
        si_sdr_improvement(S, broken, S + N)


# --- scorers in sklearn's model selection -----------------------------------------------------

class ShiftedRoll(ClassifierMixin, BaseEstimator):
    """Predicts its input roll X shifted by ``shift`` frames: shift=0 is perfect."""

    def __init__(self, shift=0):
        self.shift = shift

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.roll(X, self.shift, axis=1)


class ScaledPitch(RegressorMixin, BaseEstimator):
    """Predicts its input f0 X times ``factor``: factor=1 is perfect."""

    def __init__(self, factor=1.0):
        self.factor = factor

    def fit(self, X, y):
        return self

    def predict(self, X):
        return X * self.factor


def _label_rolls(n_clips=8, n_frames=12):
    rng = np.random.default_rng(0)
    return np.repeat(rng.integers(0, 3, (n_clips, n_frames // 3)), 3, axis=1)


def test_frame_f1_scorer_in_grid_search():
    y = _label_rolls()
    search = GridSearchCV(ShiftedRoll(), {"shift": [2, 0, 1]}, scoring=make_frame_f1_scorer(background=0),
                          cv=KFold(4)).fit(y, y)
    assert search.best_params_ == {"shift": 0}
    assert search.best_score_ == 1.0
    shifted = ShiftedRoll(shift=1).fit(y, y)
    with_bg = make_frame_f1_scorer(background=0)(shifted, y, y)
    assert with_bg == pytest.approx(frame_f1_score(y, np.roll(y, 1, axis=1), background=0))
    assert with_bg != pytest.approx(make_frame_f1_scorer()(shifted, y, y))


def test_frame_scorers_accept_indicator_rolls_in_cross_val_score():
    y = np.eye(3, dtype=int)[_label_rolls()]           # (n_clips, n_frames, n_classes)
    scores = cross_val_score(ShiftedRoll(shift=1), y, y, cv=KFold(4), scoring=make_frame_f1_scorer())
    expected = [frame_f1_score(y[test], np.roll(y[test], 1, axis=1)) for _, test in KFold(4).split(y)]
    np.testing.assert_allclose(scores, expected)
    assert (scores < 1).all()


def test_frame_error_rate_scorer_is_negated():
    y = _label_rolls()
    scores = cross_val_score(ShiftedRoll(shift=1), y, y, cv=KFold(2),
                             scoring=make_frame_error_rate_scorer(background=0))
    expected = [frame_error_rate(y[test], np.roll(y[test], 1, axis=1), background=0)
                for _, test in KFold(2).split(y)]
    np.testing.assert_allclose(scores, -np.array(expected))
    assert (scores < 0).all()


def test_raw_pitch_accuracy_scorer_in_grid_search():
    rng = np.random.default_rng(0)
    f0 = rng.uniform(100, 400, (6, 10)) * (rng.random((6, 10)) > 0.3)
    search = GridSearchCV(ScaledPitch(), {"factor": [0.5, 2 ** (30 / 1200), 2.0]},
                          scoring=raw_pitch_accuracy_scorer, cv=KFold(3)).fit(f0, f0)
    assert search.best_params_ == {"factor": 2 ** (30 / 1200)}
    assert search.best_score_ == 1.0
    assert raw_pitch_accuracy_scorer(ScaledPitch(2.0), f0, f0) == 0.0


class ShiftedScores(ShiftedRoll):
    """ShiftedRoll with ``predict_proba``: 0.8 on its shifted input's label (or indicator), else 0.1."""

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_ = np.unique(y) if y.ndim == 2 else np.arange(y.shape[-1])
        return self

    def predict_proba(self, X):
        X = np.roll(X, self.shift, axis=1)
        return np.where((X[..., None] == self.classes_) if X.ndim == 2 else X == 1, 0.8, 0.1)


SEGMENT_KWARGS = dict(sr=10, hop_length=1, segment_length=0.5)  # frames of 0.1 s, clips of 1.2 s


def test_segment_f1_scorer_in_grid_search():
    y = _label_rolls()
    search = GridSearchCV(ShiftedRoll(), {"shift": [2, 0, 1]}, cv=KFold(4),
                          scoring=make_segment_f1_scorer(**SEGMENT_KWARGS, background=0)).fit(y, y)
    assert search.best_params_ == {"shift": 0}
    assert search.best_score_ == 1.0
    shifted = ShiftedRoll(shift=1).fit(y, y)
    to_events = dict(sr=10, hop_length=1, background=0)
    true, late = rolls_to_events(y, **to_events), rolls_to_events(np.roll(y, 1, axis=1), **to_events)
    expected = segment_f1_score(true, late, segment_length=0.5, duration=1.2)
    assert make_segment_f1_scorer(**SEGMENT_KWARGS, background=0)(shifted, y, y) == pytest.approx(expected)
    macro = make_segment_f1_scorer(**SEGMENT_KWARGS, background=0, average="macro")(shifted, y, y)
    assert macro == pytest.approx(segment_f1_score(true, late, segment_length=0.5, duration=1.2,
                                                   average="macro"))


def test_segment_scorers_accept_indicator_rolls_and_are_negated_for_the_error_rate():
    y = np.eye(3, dtype=int)[_label_rolls()]           # (n_clips, n_frames, n_classes)
    scorer = make_segment_error_rate_scorer(**SEGMENT_KWARGS, classes=["a", "b", "c"])
    scores = cross_val_score(ShiftedRoll(shift=1), y, y, cv=KFold(4), scoring=scorer)
    expected = [segment_error_rate(rolls_to_events(y[test], sr=10, hop_length=1),
                                   rolls_to_events(np.roll(y[test], 1, axis=1), sr=10, hop_length=1),
                                   segment_length=0.5) for _, test in KFold(4).split(y)]
    np.testing.assert_allclose(scores, -np.array(expected))
    assert (scores < 0).all()
    f1 = cross_val_score(ShiftedRoll(), y, y, cv=KFold(4), scoring=make_segment_f1_scorer(**SEGMENT_KWARGS))
    np.testing.assert_array_equal(f1, 1.0)


def test_segment_scorers_check_their_arguments():
    with pytest.raises(ValueError, match="sr=0 must be a positive number"):
        make_segment_f1_scorer(sr=0, hop_length=1)
    with pytest.raises(ValueError, match="segment_length=-1 must be a positive number"):
        make_segment_error_rate_scorer(sr=10, hop_length=1, segment_length=-1)
    with pytest.raises(ValueError, match="average='weighted' must be 'micro' or 'macro'"):
        make_segment_f1_scorer(sr=10, hop_length=1, average="weighted")
    y = _label_rolls()
    with pytest.raises(ValueError, match="background='bg' cannot occur in these label rolls"):
        make_segment_f1_scorer(sr=10, hop_length=1, background="bg")(ShiftedRoll().fit(y, y), y, y)
    y = y[:, :, None, None]
    with pytest.raises(ValueError, match=r"y_true has shape \(8, 12, 1, 1\); the scorer needs rolls with"):
        make_segment_f1_scorer(sr=10, hop_length=1)(ShiftedRoll().fit(y, y), y, y)


def test_psds_scorer_in_grid_search_with_label_rolls(sed_scores_eval):
    y = _label_rolls()
    y[:2][y[:2] == 2] = 1  # KFold(4)'s first fold has no event of class 2: left out of its PSDS
    scorer = make_psds_scorer(sr=10, hop_length=1, background=0)
    search = GridSearchCV(ShiftedScores(), {"shift": [2, 0, 1]}, scoring=scorer, cv=KFold(4)).fit(y, y)
    assert search.best_params_ == {"shift": 0}
    assert search.best_score_ == 1.0
    # the same number as psds_score of the events and the probabilities, background column dropped
    model = ShiftedScores(shift=1).fit(y, y)
    events = rolls_to_events(y, sr=10, hop_length=1, background=0)
    expected = psds_score(events, model.predict_proba(y), sr=10, hop_length=1, classes=[0, 1, 2],
                          background=0, duration=3600.0)
    assert 0 < expected < 1
    long_clips = make_psds_scorer(sr=10 / 3000, hop_length=1, background=0)  # 300 s frames: 1 h clips
    assert long_clips(model, y, y) == pytest.approx(psds_score(
        rolls_to_events(y, sr=10 / 3000, hop_length=1, background=0), model.predict_proba(y), sr=10 / 3000,
        hop_length=1, classes=[0, 1, 2], background=0))
    assert "make_psds_scorer(sr=10, hop_length=1, background=0" in repr(scorer)


def test_psds_scorer_with_indicator_rolls_and_a_pipeline(sed_scores_eval):
    y = np.eye(3, dtype=int)[_label_rolls()]           # (n_clips, n_frames, n_classes)
    pipeline = make_pipeline(FunctionTransformer(), ShiftedScores())  # classes_ of the last step
    scores = cross_val_score(pipeline, y, y, cv=KFold(2), scoring=make_psds_scorer(sr=10, hop_length=1))
    np.testing.assert_array_equal(scores, 1.0)
    scorer = make_psds_scorer(sr=10, hop_length=1, classes=["a", "b", "c"], dtc_threshold=0.1,
                              gtc_threshold=0.1, cttc_threshold=0.3, alpha_ct=0.5)
    late = pipeline.set_params(shiftedscores__shift=1).fit(y, y)
    events = rolls_to_events(y, sr=10, hop_length=1, classes=["a", "b", "c"])
    assert scorer(late, y, y) == psds_score(events, late.predict_proba(y), sr=10, hop_length=1,
                                            classes=["a", "b", "c"], dtc_threshold=0.1, gtc_threshold=0.1,
                                            cttc_threshold=0.3, alpha_ct=0.5)


def test_psds_scorer_errors(sed_scores_eval):
    y = _label_rolls()
    model = ShiftedScores().fit(y, y)
    with pytest.raises(ValueError, match="alpha_ct=0.5 and cttc_threshold=None"):
        make_psds_scorer(sr=10, hop_length=1, alpha_ct=0.5)
    with pytest.raises(ValueError, match="hop_length=0 must be a positive number"):
        make_psds_scorer(sr=10, hop_length=0)
    with pytest.raises(ValueError, match=r"predict_proba returned shape \(4, 12, 3\) for y of shape \(8,"):
        make_psds_scorer(sr=10, hop_length=1, background=0)(model, y[:4], y)
    with pytest.raises(ValueError, match=r"y has shape \(12,\); the PSDS scorer needs rolls"):
        make_psds_scorer(sr=10, hop_length=1, background=0)(model, y[0], y[0])
    with pytest.raises(ValueError, match="classes has 2 labels but scores has 3 columns"):
        make_psds_scorer(sr=10, hop_length=1, background=0, classes=[0, 1])(model, y, y)
    with pytest.raises(ValueError, match="y_true has no reference event, so PSDS"):
        make_psds_scorer(sr=10, hop_length=1, background=0)(model, np.zeros_like(y), np.zeros_like(y))

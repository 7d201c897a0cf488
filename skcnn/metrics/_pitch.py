"""Raw pitch accuracy of frame-wise fundamental frequencies, computed by ``mir_eval.melody``."""

import warnings

import mir_eval
import numpy as np

from ._checks import _check_positive, _check_same_shape


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

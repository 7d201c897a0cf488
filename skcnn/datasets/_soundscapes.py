"""Strongly-labelled soundscapes built from labelled clips (DCASE-style).

:func:`make_soundscapes` lays trimmed clips (e.g. spoken digits) at random
onsets over background noise at a chosen signal-to-noise ratio, and returns
the audio with frame-level labels on the front end's frame grid. Public
through :mod:`skcnn.datasets`. No torch here.
"""

from numbers import Integral, Real

import librosa
import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._noise import (
    check_clips, check_noise, check_range, check_seconds, draw_noise, n_samples_of, rms,
)
from ..features._audio import check_positive_int

__all__ = ["make_soundscapes"]

# RMS of every soundscape's background (-40 dB full scale); events are set relative to it
_BACKGROUND_RMS = 0.01
# draws of a soundscape's clips before giving up on fitting them one after another
_MAX_DRAWS = 1000


def _check_labels(labels, n_clips):
    """Labels as a 1-D array of ints or strs, and which of the two they are."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size != n_clips:
        raise ValueError(
            f"labels has shape {labels.shape}; it needs one label per clip: "
            f"({n_clips},) for the {n_clips} clips"
        )
    if labels.dtype.kind in "iu":
        return labels.astype(np.int64), "int"
    if labels.dtype.kind == "U" or (
        labels.dtype == object and all(isinstance(v, str) for v in labels)
    ):
        return labels.astype(str), "str"
    raise ValueError(
        f"labels has dtype {labels.dtype}; labels must be integers or strings"
    )


def _check_background_label(background_label, kind, target_names):
    if background_label is None:
        return "background" if kind == "str" else -1
    ok = (
        isinstance(background_label, str) if kind == "str"
        else isinstance(background_label, Integral) and not isinstance(background_label, bool)
    )
    if not ok:
        what = "a string" if kind == "str" else "an integer"
        raise ValueError(
            f"background_label={background_label!r} must be {what}, like the labels"
        )
    if background_label in target_names:
        raise ValueError(
            f"background_label={background_label!r} is one of the clips' labels; "
            "choose a label that no clip has"
        )
    return background_label if kind == "str" else int(background_label)


def _trim(clips, top_db, hop_length):
    """Each clip trimmed of its leading and trailing silence; an error for a silent clip."""
    trimmed = []
    for i, clip in enumerate(clips):
        if not np.any(clip):
            raise ValueError(
                f"clip {i} of clips is silent (all zeros); it cannot be set to an SNR"
            )
        if top_db is not None:
            clip, _ = librosa.effects.trim(
                clip, top_db=top_db, frame_length=2 * hop_length,
                hop_length=max(1, hop_length // 2),
            )
        trimmed.append(clip)
    return trimmed


def _draw_sources(rng, k, lengths, usable, n_times, overlap):
    """Indices of ``k`` clips among ``usable``; without overlap, ones that fit end to end."""
    for _ in range(_MAX_DRAWS):
        chosen = rng.choice(usable, size=k)
        if overlap or lengths[chosen].sum() <= n_times:
            return chosen
    return None


def _onsets(rng, lengths, n_times, overlap):
    """Onsets (samples) of events of ``lengths``: anywhere, or one after another with gaps."""
    if overlap:
        return np.array([int(rng.integers(0, n_times - n + 1)) for n in lengths], dtype=np.int64)
    free = n_times - int(lengths.sum())
    cuts = np.sort(rng.integers(0, free + 1, size=lengths.size))
    gaps = np.diff(cuts, prepend=0)  # gap before each event
    return np.cumsum(gaps + np.concatenate([[0], lengths[:-1]])).astype(np.int64)


def make_soundscapes(
    clips, labels, *, sr, n_soundscapes=100, duration=3.0, n_events=(1, 3), snr_db=10.0,
    hop_length=128, background="white", background_label=None, overlap=False, top_db=30.0,
    random_state=None,
):
    """Generate strongly-labelled soundscapes from labelled clips.

    Each soundscape is ``duration`` seconds of background noise with a random
    number of sound events laid over it at random onsets, as in the DCASE
    sound event detection tasks. An event is a clip drawn uniformly at random
    from ``clips``, trimmed of its leading and trailing silence so that its
    label spans the sound actually present, and scaled so that its RMS over
    its extent is ``snr_db`` above the background's RMS. The labels come on the
    frame grid of a centred STFT front end (e.g.
    :class:`~skcnn.SpectrogramTransformer` with ``center=True``): frame ``t``
    is centred at sample ``t * hop_length`` and belongs to an event
    ``[onset, offset)`` when its centre time ``t * hop_length / sr`` lies in it.

    Parameters
    ----------
    clips : array-like of shape (n_clips, n_samples) or list of array-like
        The event clips, mono, at ``sr``; a list may hold clips of different
        lengths (as FSDD's are). Integer PCM is scaled to [-1, 1].
    labels : array-like of shape (n_clips,)
        The class of each clip: integers or strings.
    sr : int
        Sample rate of the clips and the soundscapes, in Hz.
    n_soundscapes : int, default=100
        Number of soundscapes.
    duration : float, default=3.0
        Length of each soundscape in seconds (``round(duration * sr)`` samples).
        Clips longer than that after trimming are never drawn.
    n_events : int or (int, int), default=(1, 3)
        Number of events per soundscape, drawn uniformly from the inclusive
        range; an int means exactly that many.
    snr_db : float or (float, float), default=10.0
        Each event's RMS over its extent, in dB above the background's RMS; a
        pair means a value drawn uniformly from that range for each event.
    hop_length : int, default=128
        Samples between the centres of successive label frames: use the front
        end's ``hop_length``.
    background : {'white', 'pink'} or array-like, default='white'
        White or pink (1/f) Gaussian noise, or background recordings at ``sr``
        (a 1-D array, a 2-D array of rows or a list of 1-D arrays), from which
        each soundscape takes an excerpt of a randomly chosen recording at a
        random offset; recordings shorter than ``duration`` are never chosen.
        Every background is scaled to the same RMS, 0.01 (-40 dB full scale),
        as Scaper sets backgrounds to a reference level.
    background_label : int, str or None, default=None
        The label of frames without an event when ``overlap=False``; None means
        ``"background"`` for string labels and ``-1`` for integer labels. It may
        not be the label of a clip.
    overlap : bool, default=False
        If False, events follow one another without overlapping (they may touch)
        and ``target`` is a label per frame. If True, each event's onset is
        uniform over the soundscape, events may overlap, and ``target`` is a
        multi-label indicator per frame.
    top_db : float or None, default=30.0
        Trim each clip where its level stays more than ``top_db`` below its
        peak (``librosa.effects.trim`` with ``frame_length=2 * hop_length`` and
        ``hop_length=hop_length // 2``, so that at most about one label frame
        of silence is left at each end). None keeps the clips whole.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output: the same seed gives identical soundscapes.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of shape (n_soundscapes, n_times), dtype float32
            The soundscapes, ``n_times = round(duration * sr)``.
        background : ndarray of shape (n_soundscapes, n_times), dtype float32
            The background noise as it is in each soundscape, so that
            ``data - background`` is the events alone.
        target : ndarray
            With ``overlap=False``, of shape (n_soundscapes, n_frames): the
            label of each frame, ``background_label`` where no event is (int64
            for integer labels, str otherwise). With ``overlap=True``, of shape
            (n_soundscapes, n_frames, n_classes), dtype int64: 1 where an event
            of class ``target_names[k]`` is active. ``n_frames = 1 + n_times //
            hop_length``.
        events : list of list of tuple
            For each soundscape, its events as ``(onset, offset, label)``
            (seconds, seconds, label), sorted by onset; the event spans
            ``[onset, offset)``.
        source_index : list of list of int
            For each soundscape, the index in ``clips`` of each event's clip, in
            the order of ``events`` (e.g. to check that no held-out speaker's
            clip was used).
        snr_db : list of list of float
            For each soundscape, each event's SNR in dB, in the order of ``events``.
        gain : ndarray of shape (n_soundscapes,), dtype float64
            1.0, or the factor by which a soundscape that would have peaked above
            1 was scaled as a whole (background and events alike, so the SNRs
            hold) to peak at 1.
        target_names : list
            The classes of the clips, sorted: the columns of an indicator
            ``target``.
        background_label : int or str
            The label of frames without an event.
        sr : int
            The sample rate.
        hop_length : int
            The hop between label frames.

    Raises
    ------
    ValueError
        If a parameter is invalid, ``labels`` does not have one label per
        clip, a clip is silent, no clip fits in ``duration``, or (with
        ``overlap=False``) ``n_events`` of the shortest clips cannot fit one
        after another in ``duration``.

    See Also
    --------
    make_mixtures : Clean clips mixed with noise, with the ideal ratio mask.
    load_fsdd : Spoken digits, labelled clips to build soundscapes from.

    Examples
    --------
    >>> from skcnn.datasets import make_audio_classification, make_soundscapes
    >>> clips, labels = make_audio_classification(20, duration=0.5, noise=0.0, random_state=0)
    >>> scapes = make_soundscapes(clips, labels, sr=8000, n_soundscapes=4, duration=2.0,
    ...                           n_events=2, random_state=0)
    >>> scapes.data.shape, scapes.target.shape, scapes.target_names
    ((4, 16000), (4, 126), [0, 1, 2, 3, 4])
    >>> [len(events) for events in scapes.events]
    [2, 2, 2, 2]
    """
    recordings = check_clips(clips, "clips")
    labels, kind = _check_labels(labels, len(recordings))
    sr = check_positive_int(sr, "sr")
    n_soundscapes = check_positive_int(n_soundscapes, "n_soundscapes")
    duration = check_seconds(duration, "duration")
    n_times = n_samples_of(duration, sr)
    k_min, k_max = check_range(
        n_events, "n_events", integer=True, low=0, what="a number of events"
    )
    snr_low, snr_high = check_range(snr_db, "snr_db", what="a number of dB")
    hop_length = check_positive_int(hop_length, "hop_length")
    background = check_noise(background, "background")
    target_names = sorted(np.unique(labels).tolist())
    background_label = _check_background_label(background_label, kind, target_names)
    if top_db is not None and (
        not isinstance(top_db, Real) or isinstance(top_db, bool) or not top_db > 0
    ):
        raise ValueError(f"top_db={top_db!r} must be a positive number of dB or None")
    rng = np.random.default_rng(check_random_state(random_state).randint(2**32, dtype=np.uint64))

    events_audio = _trim(recordings, top_db, hop_length)
    lengths = np.array([e.size for e in events_audio], dtype=np.int64)
    usable = np.flatnonzero(lengths <= n_times)
    if usable.size == 0:
        raise ValueError(
            f"no clip fits in duration={duration!r} s: the shortest lasts "
            f"{lengths.min() / sr:.3f} s after trimming; use a longer duration"
        )
    if not overlap and k_max * lengths[usable].min() > n_times:
        raise ValueError(
            f"n_events={n_events!r} does not fit in duration={duration!r} s: {k_max} "
            f"events of the shortest clip last {k_max * lengths[usable].min() / sr:.3f} s "
            "one after another (overlap=False); use fewer events, a longer duration "
            "or overlap=True"
        )
    rms_values = np.array([rms(e) for e in events_audio])

    bg, _ = draw_noise(
        background, rng, n_soundscapes, n_times, name="background", pad_shorter=False
    )
    bg_rms = rms(bg)
    if np.any(bg_rms == 0):
        raise ValueError("background: an excerpt is silent (all zeros); pass recordings with sound")
    bg *= (_BACKGROUND_RMS / bg_rms)[:, np.newaxis]

    n_frames = 1 + n_times // hop_length
    data = bg.copy()
    if overlap:
        target = np.zeros((n_soundscapes, n_frames, len(target_names)), dtype=np.int64)
    else:
        dtype = np.asarray(target_names + [background_label]).dtype
        target = np.full((n_soundscapes, n_frames), background_label, dtype=dtype)
    class_index = {name: k for k, name in enumerate(target_names)}
    events, source_index, snrs = [], [], []
    for s in range(n_soundscapes):
        k = int(rng.integers(k_min, k_max + 1))
        chosen = _draw_sources(rng, k, lengths, usable, n_times, overlap)
        if chosen is None:
            raise ValueError(
                f"n_events={n_events!r}: could not draw {k} clips that fit one after "
                f"another in duration={duration!r} s in {_MAX_DRAWS} tries; use fewer "
                "events, a longer duration or overlap=True"
            )
        onsets = _onsets(rng, lengths[chosen], n_times, overlap)
        snr = rng.uniform(snr_low, snr_high, size=k)
        order = np.argsort(onsets, kind="stable")
        chosen, onsets, snr = chosen[order], onsets[order], snr[order]
        scape_events = []
        for i, onset, event_snr in zip(chosen, onsets, snr):
            offset = onset + lengths[i]
            scale = _BACKGROUND_RMS * 10.0 ** (event_snr / 20.0) / rms_values[i]
            data[s, onset:offset] += scale * events_audio[i]
            label = labels[i].item()
            scape_events.append((float(onset / sr), float(offset / sr), label))
            # frames t with onset <= t * hop_length < offset
            first, stop = -(-onset // hop_length), -(-offset // hop_length)
            if overlap:
                target[s, first:stop, class_index[label]] = 1
            else:
                target[s, first:stop] = label
        events.append(scape_events)
        source_index.append([int(i) for i in chosen])
        snrs.append([float(v) for v in snr])

    peak = np.max(np.abs(data), axis=1)
    gain = 1.0 / np.maximum(peak, 1.0)
    data *= gain[:, np.newaxis]
    bg *= gain[:, np.newaxis]
    return Bunch(
        data=data.astype(np.float32),
        background=bg.astype(np.float32),
        target=target,
        events=events,
        source_index=source_index,
        snr_db=snrs,
        gain=gain,
        target_names=target_names,
        background_label=background_label,
        sr=sr,
        hop_length=hop_length,
    )

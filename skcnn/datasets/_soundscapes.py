"""Strongly-labelled soundscapes built from labelled clips (DCASE-style).

:func:`make_soundscapes` lays trimmed clips (e.g. spoken digits) at random
onsets over background noise at a chosen signal-to-noise ratio (sparse, dense
or in several overlapping tracks), and returns the audio with frame-level
labels on the front end's frame grid. Public through :mod:`skcnn.datasets`.
No torch here.
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


def _fill(rng, lengths, usable, n_times, gap_low, gap_high):
    """Sources and onsets of events one after another from the start, with gaps in samples.

    Each step draws a gap then a clip; the track ends at the first clip that would run
    past ``n_times``.
    """
    chosen, onsets, position = [], [], 0
    while True:
        onset = position + int(rng.integers(gap_low, gap_high + 1))
        i = int(rng.choice(usable))
        if onset + lengths[i] > n_times:
            break
        chosen.append(i)
        onsets.append(onset)
        position = onset + int(lengths[i])
    return np.array(chosen, dtype=np.int64), np.array(onsets, dtype=np.int64)


def _check_n_events(n_events, gap, overlap, sr):
    """``(k_min, k_max)`` or ``None`` for ``'fill'``, and the gap range in samples."""
    if isinstance(n_events, str):
        if n_events != "fill":
            raise ValueError(
                f"n_events={n_events!r} must be 'fill', a number of events of at least 0 "
                "or a (low, high) pair of them with low <= high"
            )
        if overlap:
            raise ValueError(
                "n_events='fill' lays the events of a track one after another and cannot "
                "be combined with overlap=True; use polyphony=2 or more for dense scenes "
                "whose events overlap"
            )
        if gap is None:
            return None, (0, 0)
        low, high = check_range(gap, "gap", low=0, what="a number of seconds")
        return None, (round(low * sr), round(high * sr))
    if gap is not None:
        raise ValueError(
            f"gap={gap!r} is only used with n_events='fill', not with n_events={n_events!r}; "
            "leave gap=None or pass n_events='fill'"
        )
    k_range = check_range(n_events, "n_events", integer=True, low=0, what="a number of events")
    return k_range, None


def _check_polyphony(polyphony, overlap):
    if (
        not isinstance(polyphony, Integral) or isinstance(polyphony, (bool, np.bool_))
        or polyphony < 1
    ):
        raise ValueError(
            f"polyphony={polyphony!r} must be a positive integer: the number of tracks "
            "(at most that many events at once)"
        )
    if overlap and polyphony > 1:
        raise ValueError(
            f"polyphony={polyphony!r} cannot be combined with overlap=True, which already "
            "lets any number of events overlap; use overlap=False with polyphony, or "
            "overlap=True with polyphony=1"
        )
    return int(polyphony)


def make_soundscapes(
    clips, labels, *, sr, n_soundscapes=100, duration=3.0, n_events=(1, 3), gap=None,
    snr_db=10.0, hop_length=128, background="white", background_label=None, overlap=False,
    polyphony=1, top_db=30.0, random_state=None,
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

    Scenes may be sparse (a few events at random onsets, the default), dense
    (``n_events='fill'``: events one after another with short gaps, as in
    real recordings of speech or birdsong) and polyphonic (``polyphony=2`` or
    more: that many independent tracks of events summed, so that at most
    ``polyphony`` events sound at once; ``overlap=True`` lets any number
    overlap).

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
    n_events : int, (int, int) or 'fill', default=(1, 3)
        Number of events per soundscape (per track with ``polyphony`` > 1),
        drawn uniformly from the inclusive range; an int means exactly that
        many. ``'fill'`` fills each track from its start: the first onset is a
        gap after 0, each next onset is the previous event's offset plus a
        gap, each gap drawn from ``gap`` and each clip uniformly from
        ``clips``, and the track ends at the first drawn clip that would run
        past ``duration`` (that clip is dropped, so the end of a track is
        background for less than the longest clip plus the longest gap).
        ``'fill'`` requires ``overlap=False``.
    gap : float, (float, float) or None, default=None
        Only with ``n_events='fill'`` (a ValueError otherwise): the time
        between an event's offset and the next event's onset in a track, in
        seconds, drawn uniformly (to the sample) from the inclusive range for
        each gap; a float means that gap every time. None means 0: back to
        back, the first event at 0.
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
        The label of frames without an event when ``target`` is a label per
        frame (``overlap=False`` and ``polyphony=1``); None means
        ``"background"`` for string labels and ``-1`` for integer labels. It may
        not be the label of a clip.
    overlap : bool, default=False
        If False, the events of a track follow one another without overlapping
        (they may touch) and, with ``polyphony=1``, ``target`` is a label per
        frame. If True, each event's onset is uniform over the soundscape,
        events may overlap, and ``target`` is a multi-label indicator per
        frame; it requires ``polyphony=1`` and a number of events, not
        ``'fill'``.
    polyphony : int, default=1
        Number of tracks: each track gets its own events (``n_events`` per
        track, or ``'fill'``), laid out one after another as with
        ``overlap=False``, and the tracks are summed. Events of one track never
        overlap, events of different tracks may, so at most ``polyphony``
        events sound at once. With ``polyphony`` > 1, ``target`` is a
        multi-label indicator per frame (two overlapping events of one class
        give 1), as with ``overlap=True``, which must stay False.
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
            With ``overlap=False`` and ``polyphony=1``, of shape
            (n_soundscapes, n_frames): the label of each frame,
            ``background_label`` where no event is (int64 for integer labels,
            str otherwise). With ``overlap=True`` or ``polyphony`` > 1, of shape
            (n_soundscapes, n_frames, n_classes), dtype int64: 1 where an event
            of class ``target_names[k]`` is active. ``n_frames = 1 + n_times //
            hop_length``.
        events : list of list of tuple
            For each soundscape, its events as ``(onset, offset, label)``
            (seconds, seconds, label), sorted by onset over all tracks; the
            event spans ``[onset, offset)``.
        source_index : list of list of int
            For each soundscape, the index in ``clips`` of each event's clip, in
            the order of ``events`` (e.g. to check that no held-out speaker's
            clip was used).
        snr_db : list of list of float
            For each soundscape, each event's SNR in dB, in the order of ``events``.
        track : list of list of int
            For each soundscape, the track (0 to ``polyphony - 1``) of each
            event, in the order of ``events``; all 0 with ``polyphony=1``.
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
        clip, a clip is silent, no clip fits in ``duration``, (with
        ``overlap=False``) ``n_events`` of the shortest clips cannot fit one
        after another in ``duration``, ``gap`` is given without
        ``n_events='fill'``, the shortest ``gap`` and clip do not fit in
        ``duration``, or ``overlap=True`` is combined with
        ``n_events='fill'`` or ``polyphony`` > 1.

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

    A dense scene: events one after another with 0.1 to 0.3 s between them,
    until the next would not fit:

    >>> dense = make_soundscapes(clips, labels, sr=8000, n_soundscapes=4, duration=2.0,
    ...                          n_events="fill", gap=(0.1, 0.3), random_state=0)
    >>> [len(events) for events in dense.events]
    [3, 3, 3, 4]
    >>> [round(b[0] - a[1], 3) for a, b in zip(dense.events[0][:-1], dense.events[0][1:])]
    [0.142, 0.156]

    Two overlapping dense tracks: the target is a multi-label indicator, with
    at most two events at once:

    >>> poly = make_soundscapes(clips, labels, sr=8000, n_soundscapes=4, duration=2.0,
    ...                         n_events="fill", gap=(0.1, 0.5), polyphony=2, random_state=0)
    >>> poly.target.shape, int(poly.target.sum(axis=-1).max())
    ((4, 126, 5), 2)
    >>> poly.track[0]  # the track of each event, in the order of poly.events[0]
    [1, 0, 1, 0, 0]
    """
    recordings = check_clips(clips, "clips")
    labels, kind = _check_labels(labels, len(recordings))
    sr = check_positive_int(sr, "sr")
    n_soundscapes = check_positive_int(n_soundscapes, "n_soundscapes")
    duration = check_seconds(duration, "duration")
    n_times = n_samples_of(duration, sr)
    k_range, gap_samples = _check_n_events(n_events, gap, overlap, sr)
    polyphony = _check_polyphony(polyphony, overlap)
    indicator = overlap or polyphony > 1
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
    if k_range is not None and not overlap and k_range[1] * lengths[usable].min() > n_times:
        k_max = k_range[1]
        raise ValueError(
            f"n_events={n_events!r} does not fit in duration={duration!r} s: {k_max} "
            f"events of the shortest clip last {k_max * lengths[usable].min() / sr:.3f} s "
            "one after another (overlap=False); use fewer events, a longer duration "
            "or overlap=True"
        )
    if k_range is None and gap_samples[0] + lengths[usable].min() > n_times:
        raise ValueError(
            f"gap={gap!r} leaves no room in duration={duration!r} s: the shortest gap and "
            f"the shortest clip last {(gap_samples[0] + lengths[usable].min()) / sr:.3f} s; "
            "use shorter gaps or a longer duration"
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
    if indicator:
        target = np.zeros((n_soundscapes, n_frames, len(target_names)), dtype=np.int64)
    else:
        dtype = np.asarray(target_names + [background_label]).dtype
        target = np.full((n_soundscapes, n_frames), background_label, dtype=dtype)
    class_index = {name: k for k, name in enumerate(target_names)}
    events, source_index, snrs, tracks = [], [], [], []
    for s in range(n_soundscapes):
        chosen, onsets = [], []
        for _ in range(polyphony):
            if k_range is None:
                track_chosen, track_onsets = _fill(rng, lengths, usable, n_times, *gap_samples)
            else:
                k = int(rng.integers(k_range[0], k_range[1] + 1))
                track_chosen = _draw_sources(rng, k, lengths, usable, n_times, overlap)
                if track_chosen is None:
                    raise ValueError(
                        f"n_events={n_events!r}: could not draw {k} clips that fit one "
                        f"after another in duration={duration!r} s in {_MAX_DRAWS} tries; "
                        "use fewer events, a longer duration or overlap=True"
                    )
                track_onsets = _onsets(rng, lengths[track_chosen], n_times, overlap)
            chosen.append(track_chosen)
            onsets.append(track_onsets)
        track = np.repeat(np.arange(polyphony), [c.size for c in chosen])
        chosen, onsets = np.concatenate(chosen), np.concatenate(onsets)
        snr = rng.uniform(snr_low, snr_high, size=chosen.size)
        order = np.argsort(onsets, kind="stable")
        chosen, onsets, snr, track = chosen[order], onsets[order], snr[order], track[order]
        scape_events = []
        for i, onset, event_snr in zip(chosen, onsets, snr):
            offset = onset + lengths[i]
            scale = _BACKGROUND_RMS * 10.0 ** (event_snr / 20.0) / rms_values[i]
            data[s, onset:offset] += scale * events_audio[i]
            label = labels[i].item()
            scape_events.append((float(onset / sr), float(offset / sr), label))
            # frames t with onset <= t * hop_length < offset
            first, stop = -(-onset // hop_length), -(-offset // hop_length)
            if indicator:
                target[s, first:stop, class_index[label]] = 1
            else:
                target[s, first:stop] = label
        events.append(scape_events)
        source_index.append([int(i) for i in chosen])
        snrs.append([float(v) for v in snr])
        tracks.append([int(v) for v in track])

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
        track=tracks,
        gain=gain,
        target_names=target_names,
        background_label=background_label,
        sr=sr,
        hop_length=hop_length,
    )

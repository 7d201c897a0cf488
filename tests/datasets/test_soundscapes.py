"""Tests for skcnn.datasets.make_soundscapes: shapes, labels on the frame grid, SNRs, errors."""

import numpy as np
import pytest

from skcnn.datasets import AUDIO_CLASS_NAMES, load_fsdd, make_audio_classification, make_soundscapes

SR = 8000


@pytest.fixture(scope="module")
def clips():
    """30 synthetic events (labels 0 to 4) in silence, 0.5 s each."""
    return make_audio_classification(30, sr=SR, duration=0.5, noise=0.0, random_state=0)


def _rms(x):
    return np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2))


def _roll_from_events(events, n_frames, hop_length, sr, names=None, fill=-1):
    """The labels of the frames whose centre time t * hop_length / sr lies in an event."""
    centres = np.arange(n_frames) * hop_length / sr
    if names is None:
        roll = np.full(n_frames, fill, dtype=object)
        for onset, offset, label in events:
            roll[(centres >= onset) & (centres < offset)] = label
        return roll
    roll = np.zeros((n_frames, len(names)), dtype=np.int64)
    for onset, offset, label in events:
        roll[(centres >= onset) & (centres < offset), names.index(label)] = 1
    return roll


@pytest.mark.parametrize("duration, hop_length", [(2.0, 128), (1.53, 100), (3.0, 64)])
def test_shapes_and_frame_count(clips, duration, hop_length):
    X, y = clips
    s = make_soundscapes(
        X, y, sr=SR, n_soundscapes=5, duration=duration, hop_length=hop_length, random_state=0
    )
    n_times = round(duration * SR)
    assert s.data.shape == s.background.shape == (5, n_times)
    assert s.data.dtype == s.background.dtype == np.float32
    assert s.target.shape == (5, 1 + n_times // hop_length) and s.target.dtype == np.int64
    assert s.target_names == [0, 1, 2, 3, 4] and s.background_label == -1
    assert s.sr == SR and s.hop_length == hop_length and s.gain.shape == (5,)
    assert len(s.events) == len(s.source_index) == len(s.snr_db) == 5
    for events, sources, snrs in zip(s.events, s.source_index, s.snr_db):
        assert 1 <= len(events) <= 3 and len(sources) == len(snrs) == len(events)
        for onset, offset, label in events:
            assert type(onset) is float and type(offset) is float and type(label) is int


def test_frame_count_matches_the_front_end(clips):
    from skcnn import SpectrogramTransformer

    s = make_soundscapes(*clips, sr=SR, n_soundscapes=2, duration=1.3, hop_length=96, random_state=0)
    maps = SpectrogramTransformer(sr=SR, n_fft=256, hop_length=96).fit_transform(s.data)
    assert maps.shape[-1] == s.target.shape[1]


@pytest.mark.parametrize("hop_length", [128, 100, 37])
def test_label_roll_is_the_frames_whose_centre_is_in_an_event(clips, hop_length):
    s = make_soundscapes(
        *clips, sr=SR, n_soundscapes=8, duration=2.0, n_events=(2, 4), hop_length=hop_length,
        random_state=1,
    )
    for roll, events in zip(s.target, s.events):
        expected = _roll_from_events(events, roll.size, hop_length, SR)
        np.testing.assert_array_equal(roll.astype(object), expected)
        assert (roll != -1).any()


def test_events_are_sorted_and_do_not_overlap(clips):
    s = make_soundscapes(
        *clips, sr=SR, n_soundscapes=20, duration=1.6, n_events=4, random_state=2
    )
    for events in s.events:
        assert len(events) == 4
        onsets = [e[0] for e in events]
        assert onsets == sorted(onsets)
        for (_, offset, _), (onset, _, _) in zip(events[:-1], events[1:]):
            assert offset <= onset
        assert 0 <= events[0][0] and events[-1][1] <= 1.6


def test_overlap_gives_an_indicator_roll_that_matches_the_events(clips):
    s = make_soundscapes(
        *clips, sr=SR, n_soundscapes=10, duration=1.0, n_events=(3, 5), overlap=True,
        random_state=3,
    )
    assert s.target.shape == (10, 1 + SR // 128, 5) and s.target.dtype == np.int64
    assert set(np.unique(s.target)) == {0, 1}
    n_overlapping = 0
    for roll, events in zip(s.target, s.events):
        np.testing.assert_array_equal(
            roll, _roll_from_events(events, roll.shape[0], 128, SR, names=s.target_names)
        )
        assert [e[0] for e in events] == sorted(e[0] for e in events)
        n_overlapping += sum(b[0] < a[1] for a, b in zip(events[:-1], events[1:]))
    assert n_overlapping > 0


@pytest.mark.parametrize("background", ["white", "pink", "array"])
@pytest.mark.parametrize("snr_db", [10.0, (-5.0, 20.0)])
def test_event_snr_over_its_extent(clips, background, snr_db):
    if background == "array":
        background = np.random.default_rng(0).uniform(-0.3, 0.3, size=5 * SR)
    s = make_soundscapes(
        *clips, sr=SR, n_soundscapes=6, duration=2.0, n_events=(1, 3), snr_db=snr_db,
        background=background, random_state=4,
    )
    low, high = (snr_db, snr_db) if np.isscalar(snr_db) else snr_db
    drawn = []
    for scape, bg, events, snrs in zip(s.data, s.background, s.events, s.snr_db):
        events_only = scape.astype(np.float64) - bg
        for (onset, offset, _), snr in zip(events, snrs):
            part = events_only[round(onset * SR) : round(offset * SR)]
            measured = 20 * np.log10(_rms(part) / _rms(bg))
            assert measured == pytest.approx(snr, abs=0.1)
            assert low <= snr <= high
            drawn.append(snr)
    if low < high:
        assert np.std(drawn) > 1.0


def test_outside_events_is_background_alone(clips):
    s = make_soundscapes(*clips, sr=SR, n_soundscapes=4, duration=2.0, random_state=5)
    for scape, bg, events in zip(s.data, s.background, s.events):
        inside = np.zeros(scape.size, dtype=bool)
        for onset, offset, _ in events:
            inside[round(onset * SR) : round(offset * SR)] = True
        np.testing.assert_array_equal(scape[~inside], bg[~inside])
        assert not np.array_equal(scape[inside], bg[inside])


def test_events_span_the_trimmed_sound(clips):
    """top_db=None keeps the whole clip; trimming keeps the sound, within a frame."""
    X, y = clips
    ragged = [np.concatenate([x, np.zeros(50 * i)]) for i, x in enumerate(X)]
    whole = make_soundscapes(
        ragged, y, sr=SR, n_soundscapes=6, duration=3.0, top_db=None, random_state=6
    )
    trimmed = make_soundscapes(ragged, y, sr=SR, n_soundscapes=6, duration=3.0, random_state=6)
    for s in (whole, trimmed):
        for events, sources in zip(s.events, s.source_index):
            for (onset, offset, label), i in zip(events, sources):
                assert label == y[i]
                sound = np.flatnonzero(ragged[i])
                extent = (sound[-1] + 1 - sound[0]) / SR
                if s is whole:
                    assert offset - onset == pytest.approx(ragged[i].size / SR)
                else:
                    assert abs((offset - onset) - extent) < 2 * 128 / SR


def test_peak_normalisation_keeps_the_snr(clips):
    s = make_soundscapes(*clips, sr=SR, n_soundscapes=4, duration=2.0, snr_db=45.0, random_state=7)
    assert (s.gain < 1).all()
    assert np.abs(s.data).max(axis=1) == pytest.approx(1.0, abs=1e-6)
    scape, bg = s.data[0].astype(np.float64), s.background[0]
    onset, offset, _ = s.events[0][0]
    part = (scape - bg)[round(onset * SR) : round(offset * SR)]
    assert 20 * np.log10(_rms(part) / _rms(bg)) == pytest.approx(45.0, abs=0.1)
    quiet = make_soundscapes(*clips, sr=SR, n_soundscapes=4, duration=2.0, random_state=7)
    np.testing.assert_array_equal(quiet.gain, 1.0)


def test_seeding(clips):
    a = make_soundscapes(*clips, sr=SR, n_soundscapes=4, duration=2.0, random_state=8)
    b = make_soundscapes(*clips, sr=SR, n_soundscapes=4, duration=2.0, random_state=8)
    c = make_soundscapes(*clips, sr=SR, n_soundscapes=4, duration=2.0, random_state=9)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.target, b.target)
    assert a.events == b.events and a.source_index == b.source_index
    assert not np.array_equal(a.data, c.data) and a.events != c.events


def test_string_labels_and_background_label(clips):
    X, y = clips
    names = np.array(AUDIO_CLASS_NAMES)[y]
    s = make_soundscapes(X, names, sr=SR, n_soundscapes=3, duration=2.0, random_state=0)
    assert s.background_label == "background"
    assert s.target_names == sorted(AUDIO_CLASS_NAMES)
    assert set(np.unique(s.target)) <= set(AUDIO_CLASS_NAMES) | {"background"}
    assert all(isinstance(label, str) for events in s.events for _, _, label in events)
    s = make_soundscapes(
        X, list(names), sr=SR, n_soundscapes=3, duration=2.0, background_label="", random_state=0
    )
    assert "" in set(s.target.ravel()) and s.background_label == ""
    s = make_soundscapes(X, y, sr=SR, n_soundscapes=3, duration=2.0, background_label=99,
                         random_state=0)
    assert 99 in s.target


def test_n_events_exact_and_zero(clips):
    s = make_soundscapes(*clips, sr=SR, n_soundscapes=3, duration=2.0, n_events=0, random_state=0)
    assert s.events == [[], [], []] and (s.target == -1).all()
    np.testing.assert_array_equal(s.data, s.background)


def test_clips_too_long_are_never_drawn(clips):
    X, y = clips
    long_clip = np.random.default_rng(0).uniform(-0.5, 0.5, size=3 * SR)
    s = make_soundscapes(
        list(X) + [long_clip], list(y) + [7], sr=SR, n_soundscapes=20, duration=1.0,
        random_state=0,
    )
    assert all(i != len(X) for sources in s.source_index for i in sources)
    assert 7 in s.target_names  # a class of the clips, even if never drawn


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sr": 0}, r"sr=0 must be a positive integer"),
        ({"sr": 8000.0}, r"sr=8000.0 must be a positive integer"),
        ({"n_soundscapes": 0}, r"n_soundscapes=0 must be a positive integer"),
        ({"duration": -1.0}, r"duration=-1.0 must be a positive number of seconds"),
        ({"n_events": (3, 1)}, r"n_events=\(3, 1\) must be a number of events"),
        ({"n_events": -1}, r"n_events=-1 must be a number of events of at least 0"),
        ({"n_events": 1.5}, r"n_events=1.5 must be"),
        ({"snr_db": "loud"}, r"snr_db='loud' must be a number of dB"),
        ({"snr_db": (10, 0)}, r"snr_db=\(10, 0\) must be"),
        ({"hop_length": 0}, r"hop_length=0 must be a positive integer"),
        ({"background": "brown"}, r"background='brown' must be 'white', 'pink', or recordings"),
        ({"background": np.zeros(100)}, r"background: every recording is shorter than the 16000"),
        ({"background": np.zeros(3 * SR)}, r"background: an excerpt is silent"),
        ({"background_label": 2}, r"background_label=2 is one of the clips' labels"),
        ({"background_label": "none"}, r"background_label='none' must be an integer"),
        ({"top_db": 0}, r"top_db=0 must be a positive number of dB or None"),
        ({"n_events": 20}, r"n_events=20 does not fit in duration=2.0 s: 20 events"),
        ({"duration": 0.05}, r"no clip fits in duration=0.05 s"),
    ],
)
def test_errors(clips, kwargs, match):
    params = {"sr": SR, "n_soundscapes": 2, "duration": 2.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_soundscapes(*clips, **params)


def test_errors_in_clips_and_labels(clips):
    X, y = clips
    with pytest.raises(ValueError, match=r"labels has shape \(29,\); it needs one label per clip: \(30,\)"):
        make_soundscapes(X, y[:-1], sr=SR)
    with pytest.raises(ValueError, match=r"labels has dtype float64; labels must be integers or strings"):
        make_soundscapes(X, y.astype(float), sr=SR)
    with pytest.raises(ValueError, match=r"clip 1 of clips is silent"):
        make_soundscapes([X[0], np.zeros(100)], [0, 1], sr=SR)
    with pytest.raises(ValueError, match=r"clips: clip 0 of X contains NaN"):
        make_soundscapes([np.full(10, np.nan)], [0], sr=SR)
    with pytest.raises(ValueError, match=r"clips has a channel axis"):
        make_soundscapes(X[:, np.newaxis], y, sr=SR)


def test_real_clips_fsdd_sample(fsdd_sample_dir):
    """The 20 FSDD recordings kept in tests/data: ragged, int labels, default background -1."""
    fsdd = load_fsdd(fsdd_sample_dir)
    s = make_soundscapes(
        fsdd.data, fsdd.target, sr=fsdd.sr, n_soundscapes=5, duration=3.0, random_state=0
    )
    assert s.data.shape == (5, 3 * fsdd.sr)
    lengths = []
    for roll, events, sources in zip(s.target, s.events, s.source_index):
        np.testing.assert_array_equal(
            roll.astype(object), _roll_from_events(events, roll.size, 128, fsdd.sr)
        )
        assert [label for _, _, label in events] == fsdd.target[sources].tolist()
        for (onset, offset, _), i in zip(events, sources):
            n_event = round(offset * fsdd.sr) - round(onset * fsdd.sr)
            assert n_event <= fsdd.data[i].size  # trimmed, never longer
            lengths.append(n_event / fsdd.data[i].size)
    assert min(lengths) < 0.9  # FSDD keeps some silence; trimming removes it


def test_leave_one_speaker_out_on_fsdd(fsdd_dir):
    """Soundscapes of the other speakers' clips never use the held-out speaker's."""
    fsdd = load_fsdd(fsdd_dir)
    keep = np.flatnonzero((fsdd.speaker != "george") & (fsdd.index < 10))
    s = make_soundscapes(
        [fsdd.data[i] for i in keep], fsdd.target[keep], sr=fsdd.sr, n_soundscapes=10,
        duration=4.0, n_events=(2, 4), snr_db=(0.0, 10.0), random_state=0,
    )
    used = keep[np.concatenate(s.source_index)]
    assert used.size >= 20 and "george" not in set(fsdd.speaker[used])
    assert sorted(s.target_names) == list(range(10))


# Values of the output computed with the code of 0.2.0 before dense and polyphonic
# scenes were added: the random stream of the existing modes must not change.
_PINNED = {
    "sequential": (
        {"snr_db": (0.0, 20.0), "random_state": 0},
        [
            [(0.213625, 0.477625, 2), (1.125625, 1.373625, 4), (1.441625, 1.697625, 0)],
            [(0.059875, 0.371875, 2), (0.39875, 0.73475, 3), (1.038125, 1.398125, 4)],
            [(0.2255, 0.4815, 0), (0.8175, 1.0575, 4), (1.286875, 1.518875, 2)],
        ],
        [[19, 7, 5], [6, 22, 23], [5, 20, 18]],
        [
            [15.992535356649542, 6.745358355923514, 7.444426828480664],
            [19.79180904503214, 11.837817661813986, 16.285205362032126],
            [2.686733174061484, 6.787269337255539, 11.984544009664669],
        ],
        (0, [-0.021411890164017677, -0.00875597633421421, 0.015333378687500954]),
    ),
    "overlap": (
        {"snr_db": (0.0, 20.0), "overlap": True, "n_events": (3, 5), "random_state": 1},
        [
            [(0.1855, 0.4975, 1), (0.352125, 0.584125, 2), (0.42125, 0.65325, 2),
             (0.8985, 1.1945, 0)],
            [(0.147625, 0.507625, 0), (0.409875, 0.809875, 1), (1.469625, 1.717625, 4)],
            [(0.386, 0.642, 0), (0.728, 1.08, 3), (1.36875, 1.70475, 4),
             (1.424875, 1.824875, 1), (1.542375, 1.790375, 2)],
        ],
        [[21, 18, 18, 25], [3, 9, 7], [5, 12, 28, 9, 24]],
        [
            [18.808472515661464, 14.605268691039864, 15.92423898112273, 18.230412374718973],
            [7.504999900440934, 10.805960453852975, 1.735595310118001],
            [4.975396077276601, 14.053269223820664, 18.47730859986992, 14.800254358970637,
             10.53938176456154],
        ],
        (1, [-0.011104105040431023, 0.02780643291771412, 0.00346390251070261]),
    ),
}


@pytest.mark.parametrize("mode", sorted(_PINNED))
def test_output_of_the_existing_modes_is_pinned(clips, mode):
    kwargs, events, sources, snrs, (row, samples) = _PINNED[mode]
    s = make_soundscapes(*clips, sr=SR, n_soundscapes=3, duration=2.0, **kwargs)
    assert s.events == events and s.source_index == sources
    assert len(s.snr_db) == len(snrs)
    for drawn, pinned in zip(s.snr_db, snrs):
        np.testing.assert_allclose(drawn, pinned, rtol=1e-12)
    np.testing.assert_allclose(s.data[row, [100, 5000, 12345]], samples, rtol=1e-5, atol=1e-7)


def _n_sounding(events, n_frames, hop_length, sr):
    """How many events are active at each frame centre (a class counted once per event)."""
    centres = np.arange(n_frames) * hop_length / sr
    return sum(((centres >= on) & (centres < off)).astype(int) for on, off, _ in events)


def test_fill_lays_events_one_after_another_with_gaps_in_range(clips):
    X, y = clips
    low, high = 0.1, 0.3
    s = make_soundscapes(
        X, y, sr=SR, n_soundscapes=20, duration=3.0, n_events="fill", gap=(low, high),
        random_state=10,
    )
    longest = max(offset - onset for events in s.events for onset, offset, _ in events)
    assert s.target.shape == (20, 1 + 3 * SR // 128) and s.target.dtype == np.int64
    gaps = []
    for roll, events, tracks in zip(s.target, s.events, s.track):
        np.testing.assert_array_equal(roll.astype(object), _roll_from_events(events, roll.size, 128, SR))
        assert len(events) >= 3 and tracks == [0] * len(events)
        assert low <= events[0][0] <= high  # the first onset is a gap after 0
        gaps += [b[0] - a[1] for a, b in zip(events[:-1], events[1:])]
        assert events[-1][1] <= 3.0
        assert 3.0 - events[-1][1] < high + longest  # filled until the next would not fit
    assert low - 1e-9 <= min(gaps) and max(gaps) <= high + 1e-9
    assert np.std(gaps) > 0.03  # drawn, not fixed
    background_share = np.mean(s.target == -1)
    assert 0.25 < background_share < 0.65


def test_fill_back_to_back_and_fixed_gap(clips):
    common = dict(sr=SR, n_soundscapes=5, duration=2.0, n_events="fill", random_state=11)
    s = make_soundscapes(*clips, **common)
    for events in s.events:
        assert events[0][0] == 0.0
        assert all(b[0] == a[1] for a, b in zip(events[:-1], events[1:]))
    zero = make_soundscapes(*clips, gap=0.0, **common)  # gap=None means gap 0
    assert zero.events == s.events
    np.testing.assert_array_equal(zero.data, s.data)
    fixed = make_soundscapes(*clips, gap=0.25, **common)
    for events in fixed.events:
        assert events[0][0] == 0.25
        assert all(b[0] - a[1] == pytest.approx(0.25) for a, b in zip(events[:-1], events[1:]))


@pytest.mark.parametrize("n_events", ["fill", (1, 3)])
def test_polyphony_two_overlaps_at_most_two(clips, n_events):
    gap = (0.05, 0.3) if n_events == "fill" else None
    s = make_soundscapes(
        *clips, sr=SR, n_soundscapes=12, duration=2.0, n_events=n_events, gap=gap,
        polyphony=2, random_state=12,
    )
    n_frames = 1 + 2 * SR // 128
    assert s.target.shape == (12, n_frames, 5) and s.target.dtype == np.int64
    most = []
    for roll, events, tracks, sources, snrs in zip(
        s.target, s.events, s.track, s.source_index, s.snr_db
    ):
        assert len(tracks) == len(sources) == len(snrs) == len(events)
        np.testing.assert_array_equal(
            roll, _roll_from_events(events, n_frames, 128, SR, names=s.target_names)
        )
        assert [e[0] for e in events] == sorted(e[0] for e in events)
        assert set(tracks) <= {0, 1}
        for t in (0, 1):
            mine = [e for e, track in zip(events, tracks) if track == t]
            if n_events != "fill":
                assert 1 <= len(mine) <= 3
            assert all(a[1] <= b[0] for a, b in zip(mine[:-1], mine[1:]))
        most.append(_n_sounding(events, n_frames, 128, SR).max())
    assert max(most) == 2


def test_polyphony_three_and_seeding(clips):
    common = dict(sr=SR, n_soundscapes=6, duration=2.0, n_events="fill", gap=(0.0, 0.2),
                  polyphony=3)
    a = make_soundscapes(*clips, random_state=13, **common)
    b = make_soundscapes(*clips, random_state=13, **common)
    c = make_soundscapes(*clips, random_state=14, **common)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.target, b.target)
    assert a.events == b.events and a.track == b.track and a.snr_db == b.snr_db
    assert a.events != c.events
    n_sounding = [_n_sounding(e, a.target.shape[1], 128, SR).max() for e in a.events]
    assert max(n_sounding) == 3
    assert {0, 1, 2} <= set(np.concatenate(a.track).tolist())


def test_track_is_zero_in_the_existing_modes(clips):
    for overlap in (False, True):
        s = make_soundscapes(*clips, sr=SR, n_soundscapes=3, duration=2.0, overlap=overlap,
                             random_state=0)
        assert s.track == [[0] * len(events) for events in s.events]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gap": 0.2}, r"gap=0.2 is only used with n_events='fill', not with n_events=\(1, 3\)"),
        ({"gap": (0.1, 0.2), "n_events": 2}, r"gap=\(0.1, 0.2\) is only used with n_events='fill'"),
        ({"n_events": "fill", "gap": (0.5, 0.1)},
         r"gap=\(0.5, 0.1\) must be a number of seconds of at least 0 or a \(low, high\) pair"),
        ({"n_events": "fill", "gap": -0.1}, r"gap=-0.1 must be a number of seconds of at least 0"),
        ({"n_events": "fill", "gap": "short"}, r"gap='short' must be a number of seconds"),
        ({"n_events": "dense"}, r"n_events='dense' must be 'fill', a number of events"),
        ({"n_events": "fill", "gap": (1.9, 2.5)},
         r"gap=\(1.9, 2.5\) leaves no room in duration=2.0 s: the shortest gap and the shortest"),
        ({"n_events": "fill", "overlap": True},
         r"n_events='fill' lays the events of a track one after another and cannot be "
         r"combined with overlap=True"),
        ({"polyphony": 0}, r"polyphony=0 must be a positive integer"),
        ({"polyphony": True}, r"polyphony=True must be a positive integer"),
        ({"polyphony": 1.5}, r"polyphony=1.5 must be a positive integer"),
        ({"polyphony": 2, "overlap": True},
         r"polyphony=2 cannot be combined with overlap=True"),
    ],
)
def test_errors_of_dense_and_polyphonic_scenes(clips, kwargs, match):
    params = {"sr": SR, "n_soundscapes": 2, "duration": 2.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_soundscapes(*clips, **params)

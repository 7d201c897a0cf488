"""skcnn.features._audio: edge cases of the audio the user hands in."""

import numpy as np
import pytest

from skcnn import MFCCTransformer, SpectrogramTransformer
from skcnn.features._audio import check_audio, check_positive_int, check_recordings


@pytest.mark.parametrize("length", [None, 100])
def test_empty_clip_in_a_list_is_named(length):
    X = [np.ones(100), np.ones(100), np.ones(100), np.zeros(0), np.ones(100)]
    with pytest.raises(ValueError, match=r"clip 3 of X has 0 samples \(shape \(1, 0\)\)"):
        check_audio(X, length=length)


def test_empty_multichannel_clip_in_a_list_is_named():
    X = [np.ones((2, 50)), np.ones((2, 0))]
    with pytest.raises(ValueError, match=r"clip 1 of X has 0 samples \(shape \(2, 0\)\)"):
        check_audio(X, length=50)


@pytest.mark.parametrize("duration", [None, 0.5])
@pytest.mark.parametrize("transformer", [SpectrogramTransformer, MFCCTransformer])
def test_transformers_refuse_an_empty_clip_with_or_without_duration(transformer, duration):
    """With `duration` the empty clip used to become a silent clip."""
    X = [np.ones(4000)] * 3 + [np.array([])] + [np.ones(4000)]
    model = transformer(sr=8000, n_fft=256, n_mels=20, duration=duration)
    with pytest.raises(ValueError, match="clip 3 of X has 0 samples"):
        model.transform(X)
    with pytest.raises(ValueError, match="clip 3 of X has 0 samples"):
        model.fit(X)


def test_clips_of_one_sample_are_still_accepted():
    assert check_audio([np.ones(1), np.ones(3)], length=2).shape == (2, 1, 2)


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.uint8(2)])
def test_check_positive_int_accepts(value):
    assert check_positive_int(value, "n") == int(value)
    assert type(check_positive_int(value, "n")) is int


@pytest.mark.parametrize("value", [0, -2, 1.0, 2.5, True, np.bool_(True), "3", None])
def test_check_positive_int_refuses(value):
    with pytest.raises(ValueError, match=r"^n_bins=.* must be a positive integer$"):
        check_positive_int(value, "n_bins")


def test_length_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="length=0 must be a positive integer"):
        check_audio(np.zeros((1, 10)), length=0)


def test_check_recordings_keeps_lengths_and_layout():
    recordings, multichannel = check_recordings([np.ones(5, dtype=np.int16) * 16384, np.ones(9)])
    assert [r.shape for r in recordings] == [(1, 5), (1, 9)] and not multichannel
    assert all(r.dtype == np.float32 for r in recordings)
    np.testing.assert_array_equal(recordings[0], 0.5)
    _, multichannel = check_recordings(np.zeros((3, 2, 7)))
    assert multichannel
    _, multichannel = check_recordings([np.zeros((2, 4)), np.zeros((2, 6))])
    assert multichannel
    with pytest.raises(ValueError, match=r"clip 1 of X has 0 samples"):
        check_recordings([np.ones(5), np.ones(0)])
    with pytest.raises(ValueError, match=r"clip 2 of X contains NaN"):
        check_recordings(np.array([[0.0, 1.0], [1.0, 2.0], [np.nan, 0.0]]))

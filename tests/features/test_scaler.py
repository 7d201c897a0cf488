"""SpectrogramScaler: statistics per bin, channel or globally, learned on training folds only."""

import numpy as np
import pytest
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import CNNClassifier, SpectrogramScaler


@pytest.fixture
def maps():
    rng = np.random.default_rng(0)
    level = np.array([0.0, 10.0, -20.0])[None, None, :, None]  # bins at other levels
    return (rng.normal(size=(12, 2, 3, 7)) * np.array([1.0, 4.0])[None, :, None, None]
            + level).astype(np.float32)


@pytest.mark.parametrize("per, axes", [("bin", (0, 3)), ("channel", (0, 2, 3)),
                                       ("global", (0, 1, 2, 3))])
def test_statistics_and_standardised_output(maps, per, axes):
    scaler = SpectrogramScaler(per=per).fit(maps)
    np.testing.assert_allclose(scaler.mean_, maps.mean(axis=axes, keepdims=True)[0], rtol=1e-5)
    out = scaler.transform(maps)
    assert out.dtype == np.float32 and out.shape == maps.shape
    np.testing.assert_allclose(out.mean(axis=axes), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=axes), 1, atol=1e-4)
    np.testing.assert_allclose(scaler.inverse_transform(out), maps, atol=1e-4)


def test_any_number_of_frames_but_the_fitted_bins(maps):
    scaler = SpectrogramScaler().fit(maps)
    assert scaler.transform(maps[:, :, :, :3]).shape == (12, 2, 3, 3)
    with pytest.raises(ValueError, match=r"fitted on \(2, 3\) channels and bins"):
        scaler.transform(maps[:, :, :2])


def test_constant_bins_stay_finite(maps):
    maps[:, :, 0] = 5.0
    out = SpectrogramScaler().fit_transform(maps)
    assert np.isfinite(out).all() and np.all(out[:, :, 0] == 0)


def _pooled(maps, per):
    """The values behind each statistic as the columns of a 2-D array, for StandardScaler."""
    n_channels, n_bins = maps.shape[1:3]
    if per == "bin":
        return maps.transpose(0, 3, 1, 2).reshape(-1, n_channels * n_bins)
    if per == "channel":
        return maps.transpose(0, 2, 3, 1).reshape(-1, n_channels)
    return maps.reshape(-1, 1)


@pytest.mark.parametrize("per", ["bin", "channel", "global"])
def test_constant_statistics_get_a_scale_of_one_as_standard_scaler(maps, per):
    """A bin constant in fit used to be divided by 1e-8 (std + eps): ~1e8 once it varied."""
    maps[:, :, 0] = 5.0
    if per != "bin":
        maps[:] = 5.0
    scaler = SpectrogramScaler(per=per).fit(maps)
    new = maps.copy()
    new[:, :, 0] += 1.0
    out = scaler.transform(new)
    np.testing.assert_array_equal(out[:, :, 0], 1.0)  # shifted by the mean, not scaled
    np.testing.assert_allclose(scaler.inverse_transform(out), new, atol=1e-5)
    np.testing.assert_allclose(scaler.scale_.ravel(), StandardScaler().fit(_pooled(maps, per)).scale_,
                               rtol=1e-6)


def test_nearly_constant_bins_follow_standard_scalers_tolerance():
    rng = np.random.default_rng(0)
    tiny = 1000.0 + rng.normal(scale=1e-12, size=(50, 1, 2, 8))  # rounding noise around a level
    tiny[:, :, 1] = rng.normal(size=(50, 1, 8))                   # a real bin beside it
    scaler = SpectrogramScaler().fit(tiny)
    np.testing.assert_allclose(scaler.scale_.ravel(), StandardScaler().fit(_pooled(tiny, "bin")).scale_)
    assert scaler.scale_.ravel()[0] == 1.0 and scaler.scale_.ravel()[1] != 1.0


class RecordingScaler(SpectrogramScaler):
    """Remembers the clips of every fit (by their first value)."""

    seen = []

    def fit(self, X, y=None):
        RecordingScaler.seen.append(set(np.asarray(X)[:, 0, 0, 0].tolist()))
        return super().fit(X, y)


def test_statistics_come_from_the_training_folds_only(maps):
    y = np.arange(12) % 2
    pipe = Pipeline([("scale", RecordingScaler()),
                     ("cnn", CNNClassifier(n_filters=(2,), hidden_units=(4,), max_epochs=1,
                                           random_state=0))])
    RecordingScaler.seen = []
    folds = list(KFold(3).split(maps))
    cross_validate(pipe, maps, y, cv=folds)
    for (train, test), seen in zip(folds, RecordingScaler.seen):
        assert seen == set(maps[train, 0, 0, 0].tolist())
        assert not seen & set(maps[test, 0, 0, 0].tolist())

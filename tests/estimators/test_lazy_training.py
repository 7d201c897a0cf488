"""Estimators on lazy features: a pipeline fitted on a list of files equals the
same pipeline fitted on the clips read into memory.

The batches are the in-memory path's (same seeded permutation, same
slices), computed in DataLoader workers; augmentation, weight averaging,
early stopping, sample weights, the frame estimators, cross-validation and
grid search behave as with arrays; a file that fails while training leaves
the estimator as it was.
"""

import multiprocessing

import numpy as np
import pytest
import soundfile as sf
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline

from skcnn import (
    CNNClassifier, CNNFrameClassifier, CNNRegressor, SpectrogramScaler, SpectrogramTransformer,
)
from skcnn.estimators._data import LazyBatchIterator, LazyDataset, _workers

SR = 8000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """24 half-second tones, low or high, with noise, as float WAV files."""
    folder = tmp_path_factory.mktemp("lazy")
    rng = np.random.default_rng(0)
    y = np.repeat(["high", "low"], 12)
    t = np.arange(SR // 2) / SR
    paths, clips = [], []
    for i, label in enumerate(y):
        f = 1200 if label == "high" else 300
        x = (0.5 * np.sin(2 * np.pi * f * t) + 0.1 * rng.normal(size=t.size)).astype(np.float32)
        path = folder / f"{i:02d}.wav"
        sf.write(path, x, SR, subtype="FLOAT")
        paths.append(str(path))
        clips.append(x)
    return paths, np.stack(clips), y


def _front():
    return SpectrogramTransformer(sr=SR, n_fft=256, hop_length=128, n_mels=16)


def _pipe(estimator=None, **params):
    estimator = estimator or CNNClassifier
    params = {"n_filters": (4, 8), "max_epochs": 3, "batch_size": 8, "random_state": 0, **params}
    return make_pipeline(_front(), estimator(**params))


@pytest.mark.parametrize("params", [
    {},  # the classifier's defaults: SpecAugment-style augmentation, weight averaging
    {"early_stopping": True, "validation_fraction": 0.25},
    {"iterator_train__num_workers": 0, "iterator_valid__num_workers": 2},
], ids=["defaults", "early-stopping", "workers"])
def test_lazy_fit_equals_the_array_fit(files, params):
    paths, clips, y = files
    on_array = _pipe(**params).fit(clips, y)
    lazy = _pipe(**params).fit(paths, y)
    np.testing.assert_array_equal(lazy.predict_proba(paths), on_array.predict_proba(clips))
    assert lazy[-1].history[-1]["train_loss"] == on_array[-1].history[-1]["train_loss"]


def test_sample_weights_regressor_and_scaler(files):
    paths, clips, y = files
    target = (y == "high").astype(np.float32) * 2.0 - 1.0
    weight = np.linspace(0.5, 2.0, len(y))

    def pipe():
        return make_pipeline(_front(), SpectrogramScaler(), CNNRegressor(
            n_filters=(4,), hidden_units=(8,), max_epochs=3, batch_size=8, random_state=0))

    on_array = pipe().fit(clips, target, cnnregressor__sample_weight=weight)
    lazy = pipe().fit(paths, target, cnnregressor__sample_weight=weight)
    np.testing.assert_allclose(lazy.predict(paths), on_array.predict(clips), rtol=1e-5, atol=1e-6)


def test_frame_classifier(files):
    paths, clips, _ = files
    n_frames = _front().transform(clips[:1]).shape[-1]
    Y = np.where(np.random.default_rng(1).random((len(paths), n_frames)) > 0.5, "on", "off")
    on_array = _pipe(CNNFrameClassifier, n_filters=(4,)).fit(clips, Y)
    lazy = _pipe(CNNFrameClassifier, n_filters=(4,)).fit(paths, Y)
    assert lazy.predict(paths).shape == Y.shape
    np.testing.assert_array_equal(lazy.predict_proba(paths), on_array.predict_proba(clips))


def test_cross_validation_and_grid_search_split_the_file_list(files):
    paths, clips, y = files
    on_array = cross_validate(_pipe(max_epochs=2), clips, y, cv=3)["test_score"]
    lazy = cross_validate(_pipe(max_epochs=2), paths, y, cv=3)["test_score"]
    np.testing.assert_array_equal(lazy, on_array)
    grid = {"spectrogramtransformer__n_mels": [12, 16]}
    search = GridSearchCV(_pipe(max_epochs=2), grid, cv=2).fit(paths, y)
    reference = GridSearchCV(_pipe(max_epochs=2), grid, cv=2).fit(clips, y)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  reference.cv_results_["mean_test_score"])


def test_a_file_that_fails_while_training_leaves_the_model_as_it_was(files, tmp_path):
    paths, clips, y = files
    pipe = _pipe(iterator_train__num_workers=1).fit(paths, y)
    before = pipe.predict_proba(paths)
    n_epochs = len(pipe[-1].history)
    bad = clips[3].copy()
    bad[100] = np.nan
    sf.write(tmp_path / "damaged.wav", bad, SR, subtype="FLOAT")
    broken = paths[:3] + [str(tmp_path / "damaged.wav")] + paths[4:]
    features = pipe[0].transform(broken)  # headers are fine: the samples fail later
    with pytest.raises(ValueError, match=r"damaged.wav.*NaN or infinite"):
        pipe[-1].partial_fit(features, y)
    np.testing.assert_array_equal(pipe.predict_proba(paths), before)
    assert len(pipe[-1].history) == n_epochs


def test_batches_follow_the_in_memory_order(files):
    paths, _, y = files
    lazy = _front().transform(paths)
    dataset = LazyDataset(lazy, y=None)
    first = LazyBatchIterator(dataset, batch_size=5, shuffle=True, seed=3, num_workers=0)
    indices = [index.tolist() for index in first.index_batches()]
    assert sorted(sum(indices, [])) == list(range(len(paths)))
    assert [len(i) for i in indices] == [5, 5, 5, 5, 4]
    again = LazyBatchIterator(dataset, batch_size=5, shuffle=True, seed=3, num_workers=0)
    assert [i.tolist() for i in again.index_batches()] == indices
    for (X, target), index in zip(LazyBatchIterator(dataset, batch_size=5, num_workers=1),
                                  np.array_split(np.arange(24), [5, 10, 15, 20])):
        np.testing.assert_array_equal(X.numpy(), lazy.batch(index))
        assert target is None


def _report_workers(queue):
    queue.put(_workers("auto"))


def test_workers_auto_and_checked():
    assert _workers("auto") == 1
    assert _workers(3) == 3
    with pytest.raises(ValueError, match=r"num_workers=-1 must be 'auto' or an int >= 0"):
        _workers(-1)
    # a daemonic process (a Dask worker's, a multiprocessing pool's) cannot
    # start DataLoader workers: 'auto' computes batches in that process
    queue = multiprocessing.get_context("fork").Queue()
    daemon = multiprocessing.get_context("fork").Process(
        target=_report_workers, args=(queue,), daemon=True)
    daemon.start()
    assert queue.get(timeout=30) == 0
    daemon.join()


def test_an_estimator_alone_refuses_file_paths(files):
    paths, _, y = files
    with pytest.raises(ValueError, match="could not convert string to float|must hold numbers"):
        CNNClassifier().fit(paths, y)


def test_features_computed_where_the_clips_are_read_or_on_the_device(files):
    # on a CUDA device the workers only read the clips, and the front end
    # runs on the GPU; the same split on the CPU gives the batch's features
    paths, clips, _ = files
    lazy = _front().transform(paths)
    np.testing.assert_array_equal(lazy.compute(lazy.files.read([2, 3]), device="cpu"),
                                  lazy.batch([2, 3]))
    assert lazy._on_device["cpu"][0].device == "cpu" and lazy.steps[0] is not \
        lazy._on_device["cpu"][0]


@pytest.mark.gpu
def test_lazy_fit_on_a_gpu_computes_the_features_there(files):
    paths, clips, y = files
    on_gpu = _pipe(device="cuda").fit(paths, y)
    lazy = on_gpu[0].transform(paths)
    dataset = LazyDataset(lazy)
    X, _ = next(iter(LazyBatchIterator(dataset, batch_size=4, device="cuda", num_workers=1)))
    assert X.device.type == "cuda"
    assert lazy._on_device["cuda"][0].device == "cuda"
    np.testing.assert_allclose(X.cpu().numpy(), lazy.batch(np.arange(4)), rtol=1e-4, atol=1e-4)
    on_cpu = _pipe().fit(clips, y)
    assert on_gpu.score(paths, y) >= on_cpu.score(clips, y) - 0.2

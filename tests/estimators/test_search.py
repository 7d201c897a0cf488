"""Tests of grid search at scale: identical results across n_jobs and Dask,
thread caps inside workers, the cached front end, device hygiene after fit and
early stopping inside cross-validation (see the user guide's scaling page)."""

import gc
import os
import types

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback, EarlyStopping

from skcnn import CNNClassifier, CNNRegressor, MFCCTransformer, SpectrogramTransformer
from skcnn.estimators._data import TensorDataset
from skcnn.datasets import make_audio_classification

SR = 8000
TINY = dict(n_filters=(4,), hidden_units=(8,), max_epochs=2, random_state=0)
GRID = {"cnn__kernel_size": [3, 5], "cnn__lr": [1e-3, 1e-2]}


@pytest.fixture(scope="module")
def audio():
    X, y = make_audio_classification(n_samples=60, n_classes=3, random_state=0)
    return X, y


def make_pipe(memory=None, front_end=None, **cnn):
    front_end = front_end or MFCCTransformer(sr=SR, n_mfcc=13, n_fft=256, hop_length=128)
    return Pipeline(
        [("features", front_end), ("cnn", CNNClassifier(**{**TINY, **cnn}))],
        memory=memory,
    )


def threads_scorer(estimator, X, y):
    """The number of torch threads the scored model was trained with."""
    return estimator[-1].n_threads_


SCORING = {"nll": "neg_log_loss", "threads": threads_scorer}


def search(X, y, n_jobs=None, **cnn):
    return GridSearchCV(
        make_pipe(**cnn), GRID, cv=3, scoring=SCORING, refit=False, n_jobs=n_jobs
    ).fit(X, y)


def assert_same_scores(a, b):
    for key in ("mean_test_nll", *(f"split{i}_test_nll" for i in range(3))):
        np.testing.assert_array_equal(a.cv_results_[key], b.cv_results_[key])


# ------------------------------------------------- same results, thread caps
@pytest.fixture(scope="module")
def sequential(audio):
    """The reference: n_jobs=1 with default parameters (one torch thread per fit)."""
    return search(*audio, n_jobs=1)


def test_one_and_two_jobs_give_identical_scores(audio, sequential):
    # log loss, not accuracy: a continuous score shows any rounding difference
    parallel = search(*audio, n_jobs=2)
    assert_same_scores(sequential, parallel)
    assert len(parallel.cv_results_["mean_test_nll"]) == 4
    assert set(parallel.cv_results_["mean_test_threads"]) == {1}


def test_dask_cluster_gives_identical_scores(audio, sequential):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as client:
        with joblib.parallel_backend("dask"):
            on_dask = search(*audio)  # default parameters
            # n_threads=None: Dask's nanny starts workers with OMP_NUM_THREADS=1
            capped = search(*audio, n_threads=None)
        assert len(client.scheduler_info()["workers"]) == 2
    assert_same_scores(sequential, on_dask)
    assert set(capped.cv_results_["mean_test_threads"]) == {1}


def test_workers_cap_torch_threads_to_share_the_cores(audio):
    """n_threads=None: each of k loky workers runs torch with cpu_count // k."""
    result = search(*audio, n_jobs=2, n_threads=None)
    # joblib leaves a cap the user set in the environment alone
    expected = int(os.environ.get("OMP_NUM_THREADS", max(1, joblib.cpu_count() // 2)))
    assert set(result.cv_results_["mean_test_threads"]) == {expected}


def test_n_threads_is_set_for_fit_and_restored(audio):
    X, y = audio
    before = torch.get_num_threads()
    wanted = 2 if before == 1 else 1
    pipe = make_pipe(n_threads=wanted).fit(X, y)
    assert pipe[-1].n_threads_ == wanted
    assert torch.get_num_threads() == before
    pipe.predict(X)
    assert torch.get_num_threads() == before
    assert make_pipe().fit(X, y)[-1].n_threads_ == 1  # the default
    assert make_pipe(n_threads=None).fit(X, y)[-1].n_threads_ == before
    assert clone(pipe[-1]).get_params()["n_threads"] == wanted


@pytest.mark.parametrize("Estimator", [CNNClassifier, CNNRegressor])
@pytest.mark.parametrize("value", [0, -1, 1.5, "2"])
def test_n_threads_is_validated(Estimator, value):
    X = np.zeros((8, 1, 4, 4), dtype=np.float32)
    y = np.arange(8) % 2
    with pytest.raises(ValueError, match="'n_threads' parameter .* must be .*None"):
        Estimator(**TINY, n_threads=value).fit(X, y)


# ------------------------------------------------------- cached front end
class CountingMFCC(MFCCTransformer):
    """MFCCTransformer that counts its fits (one per computed front end)."""

    fits = []

    def fit(self, X, y=None):
        CountingMFCC.fits.append(len(X))
        return super().fit(X, y)


@pytest.fixture
def counting():
    CountingMFCC.fits.clear()
    yield CountingMFCC(sr=SR, n_mfcc=13, n_fft=256, hop_length=128)
    CountingMFCC.fits.clear()


def _other_value(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if value is None:
        return 1
    if isinstance(value, str):
        return value + "x"
    raise AssertionError(f"no other value for {value!r}")


@pytest.mark.parametrize("Transformer", [SpectrogramTransformer, MFCCTransformer])
def test_transformer_hash_follows_every_parameter(Transformer, audio):
    transformer = Transformer(sr=SR, n_fft=256, hop_length=128)
    reference = joblib.hash(transformer)
    assert joblib.hash(clone(transformer)) == reference
    # fitting and transforming store nothing that would change the hash
    transformer.fit_transform(audio[0][:4])
    assert joblib.hash(transformer) == reference
    for name, value in transformer.get_params().items():
        changed = clone(transformer).set_params(**{name: _other_value(value)})
        assert joblib.hash(changed) != reference, name


def test_search_computes_the_front_end_once_per_fold(audio, counting, tmp_path):
    X, y = audio
    memory = joblib.Memory(tmp_path, verbose=0)
    GridSearchCV(
        make_pipe(memory=memory, front_end=counting), GRID, cv=3, refit=False, n_jobs=1
    ).fit(X, y)
    # 4 network configurations x 3 folds, but only 3 front ends (one per fold)
    assert CountingMFCC.fits == [40, 40, 40]
    # without a cache: one per configuration and fold
    CountingMFCC.fits.clear()
    GridSearchCV(make_pipe(front_end=counting), GRID, cv=3, refit=False, n_jobs=1).fit(X, y)
    assert len(CountingMFCC.fits) == 12


def test_cache_hits_and_misses(audio, counting, tmp_path):
    X, y = audio
    memory = joblib.Memory(tmp_path, verbose=0)
    make_pipe(memory=memory, front_end=counting).fit(X, y)
    assert len(CountingMFCC.fits) == 1
    # same front-end parameters, same data, another network: a hit
    make_pipe(memory=memory, front_end=clone(counting), kernel_size=5).fit(X, y)
    assert len(CountingMFCC.fits) == 1
    # another front-end parameter: a miss
    make_pipe(memory=memory, front_end=clone(counting).set_params(n_mfcc=12)).fit(X, y)
    assert len(CountingMFCC.fits) == 2
    # other data: a miss
    make_pipe(memory=memory, front_end=clone(counting)).fit(X[:-3], y[:-3])
    assert len(CountingMFCC.fits) == 3
    X_other = X.copy()
    X_other[0, 0] += 0.5
    make_pipe(memory=memory, front_end=clone(counting)).fit(X_other, y)
    assert len(CountingMFCC.fits) == 4


def test_cached_and_uncached_searches_agree(audio, sequential, tmp_path):
    memory = joblib.Memory(tmp_path, verbose=0)
    cached = GridSearchCV(
        make_pipe(memory=memory, n_threads=1), GRID, cv=3, scoring=SCORING, refit=False
    ).fit(*audio)
    assert_same_scores(sequential, cached)


# ------------------------------------------------------- hygiene after fit
def _reachable_tensors(root):
    """Every tensor reachable from ``root`` through object references."""
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
            types.MethodType)
    seen, stack, tensors = set(), [root], []
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        if isinstance(obj, TensorDataset):
            raise AssertionError("the fitted estimator holds a TensorDataset")
        if torch.is_tensor(obj):
            tensors.append(obj)
        stack.extend(gc.get_referents(obj))
    return tensors


@pytest.mark.parametrize("early_stopping", [False, True])
def test_fitted_estimator_holds_no_training_data(early_stopping):
    n = 40
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 1, 8, 8)).astype(np.float32)
    y = np.arange(n) % 2
    clf = CNNClassifier(**{**TINY, "max_epochs": 3}, early_stopping=early_stopping,
                        n_iter_no_change=1).fit(X, y)
    gc.collect()
    assert not [o for o in gc.get_objects() if type(o) is TensorDataset]
    tensors = _reachable_tensors(clf)
    assert tensors  # the weights are there
    assert not [t for t in tensors if t.dim() and t.shape[0] in (n, int(n * 0.9))]
    assert all(p.grad is None for p in clf.module_.parameters())
    for _, callback in clf.callbacks_:
        assert getattr(callback, "best_model_weights_", None) is None
        assert not getattr(callback, "y_preds_", [])
    # training can go on: the optimizer state is still there
    assert clf.optimizer_.state
    epochs = len(clf.history_)
    clf.partial_fit(X, y)
    assert len(clf.history_) > epochs
    assert clf.predict(X).shape == (n,)


@pytest.mark.gpu
def test_gpu_memory_returns_to_its_level_across_a_search(audio):
    X, y = audio
    torch.cuda.synchronize()
    gc.collect()
    before = torch.cuda.memory_allocated()
    grid = {"cnn__kernel_size": [3, 5], "cnn__lr": [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]}
    result = GridSearchCV(make_pipe(device="cuda"), grid, cv=2, refit=False).fit(X, y)
    assert len(result.cv_results_["mean_test_score"]) * 2 == 20
    gc.collect()
    assert torch.cuda.memory_allocated() == before


@pytest.mark.gpu
def test_gpu_keeps_only_what_prediction_needs(audio):
    X, y = audio
    gc.collect()
    before = torch.cuda.memory_allocated()
    pipe = make_pipe(device="cuda", early_stopping=True, n_iter_no_change=1).fit(X, y)
    net = pipe[-1]
    on_device = sum(
        t.numel() * t.element_size()
        for t in [*net.module_.parameters(), *net.module_.buffers()]
    )
    assert torch.cuda.memory_allocated() - before <= on_device + 512 * 4  # allocator rounding
    for state in net.optimizer_.state.values():
        assert all(v.device.type == "cpu" for v in state.values() if torch.is_tensor(v))
    # partial_fit moves the optimizer state back and trains on
    pipe[-1].partial_fit(pipe[0].transform(X), y)
    assert pipe.predict(X).shape == (len(X),)


# ------------------------------------------------- early stopping in a search
class RecordSplit(Callback):
    """Record the marker rows of the training and validation sets."""

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        if not hasattr(self, "train_ids_"):
            self.train_ids_ = dataset_train.X[:, 0, 0, 0].long().tolist()
            self.valid_ids_ = dataset_valid.X[:, 0, 0, 0].long().tolist()


def test_early_stopping_validates_on_the_training_fold_only():
    n = 60
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 1, 8, 8)).astype(np.float32)
    X[:, 0, 0, 0] = np.arange(n)  # every row carries its own index
    y = np.arange(n) % 3
    clf = CNNClassifier(**TINY, early_stopping=True, validation_fraction=0.2,
                        callbacks=[("record", RecordSplit())])
    result = cross_validate(clf, X, y, cv=3, return_estimator=True, return_indices=True)
    for est, train, test in zip(result["estimator"], result["indices"]["train"],
                                result["indices"]["test"]):
        record = dict(est.callbacks_)["record"]
        valid = set(record.valid_ids_)
        assert len(valid) == 8  # 20 % of the fold's 40 training rows
        assert valid <= set(train.tolist())
        assert not valid & set(test.tolist())
        assert valid | set(record.train_ids_) == set(train.tolist())
        assert any(isinstance(cb, EarlyStopping) for _, cb in est.callbacks_)

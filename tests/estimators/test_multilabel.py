"""CNNClassifier on a 2-D 0/1 indicator y: one sigmoid per class."""

import io
import pickle

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import cross_val_score

from skcnn import CNNClassifier

# Each label is set by where in the map the mean is high: global pooling
# (the default global_pool='avgmax') throws those positions away, so the head
# flattens. Augmentation is tested in test_augment.py; here the point is the
# sigmoid head, so the maps train as they are.
SMALL = dict(n_filters=(8,), hidden_units=(16,), global_pool=None, max_epochs=30, lr=1e-2,
             augment=None, random_state=0)


def _data(n=120, seed=0):
    """Three overlapping labels, each set by the mean of one region of the map."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1, 8, 8)).astype(np.float32)
    Y = np.stack([
        X[:, 0, :4].mean(axis=(1, 2)) > 0,
        X[:, 0, 4:].mean(axis=(1, 2)) > 0,
        X[:, 0, :, :4].mean(axis=(1, 2)) > 0,
    ], axis=1).astype(np.int64)
    return X, Y


@pytest.fixture(scope="module")
def fitted():
    X, Y = _data()
    return CNNClassifier(**SMALL).fit(X, Y), X, Y


def test_sigmoid_head_shapes_and_criterion(fitted):
    clf, X, Y = fitted
    assert isinstance(clf.criterion_, torch.nn.BCEWithLogitsLoss)
    assert clf.get_params()["criterion"] is torch.nn.CrossEntropyLoss  # the parameter stays
    assert clf.classes_.tolist() == [0, 1, 2]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent classes, not a softmax
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    np.testing.assert_array_equal(pred, (proba >= 0.5).astype(int))
    assert (pred == Y).mean() > 0.9  # it learned the three labels
    # the probabilities are the sigmoid of the network's own output
    clf.module_.eval()
    with torch.no_grad():
        logits = clf.module_(torch.as_tensor(X)).numpy().astype(np.float64)
    np.testing.assert_allclose(proba, 1 / (1 + np.exp(-logits)), rtol=1e-6)


def test_per_class_threshold(fitted):
    clf, X, _ = fitted
    proba = clf.predict_proba(X)
    twin = pickle.loads(pickle.dumps(clf)).set_params(threshold=[0.0, 1.0, 0.5])
    pred = twin.predict(X)
    assert pred[:, 0].all() and not (pred[:, 1] & (proba[:, 1] < 1.0)).any()
    np.testing.assert_array_equal(pred[:, 2], proba[:, 2] >= 0.5)
    with pytest.raises(ValueError, match=r"threshold has shape \(2,\); expected one number or one per class \(3,\)"):
        twin.set_params(threshold=[0.5, 0.5]).predict(X)


def test_multilabel_scorers_and_cv(fitted):
    clf, X, Y = fitted
    assert get_scorer("average_precision")(clf, X, Y) > 0.9
    assert clf.score(X, Y) > 0.7  # subset accuracy, as sklearn's ClassifierMixin
    scores = cross_val_score(clone(clf), X, Y, cv=3, scoring="average_precision")
    assert scores.shape == (3,) and scores.min() > 0.6


def test_save_weights_pickle_round_trip(fitted):
    clf, X, _ = fitted
    buffer = io.BytesIO()
    clf.save_weights(buffer)
    buffer.seek(0)
    twin = CNNClassifier(n_filters=(8,), hidden_units=(16,), global_pool=None).load_weights(buffer)
    np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(twin.predict(X), clf.predict(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X),
                                  clf.predict_proba(X))


def test_sample_weight_and_early_stopping():
    X, Y = _data()
    w = np.linspace(0.1, 1.0, len(X))
    a = CNNClassifier(**SMALL).fit(X, Y, sample_weight=w)
    b = CNNClassifier(**SMALL).fit(X, Y)
    assert not np.array_equal(a.predict_proba(X), b.predict_proba(X))
    es = CNNClassifier(**{**SMALL, "max_epochs": 3}, early_stopping=True).fit(X, Y)
    assert "valid_acc" in es.history[-1]


def test_own_criterion_is_kept():
    X, Y = _data(60)
    clf = CNNClassifier(**{**SMALL, "max_epochs": 1}, criterion=torch.nn.MultiLabelSoftMarginLoss)
    clf.fit(X, Y.astype(np.float32))
    assert isinstance(clf.criterion_, torch.nn.MultiLabelSoftMarginLoss)


def test_errors_name_what_is_wrong():
    X, Y = _data(60)
    with pytest.raises(ValueError, match="class_weight='balanced' is for 1-D labels"):
        CNNClassifier(**SMALL, class_weight="balanced").fit(X, Y)
    with pytest.raises(ValueError, match=r"classes=\['a', 'b', 'c'\] does not fit a multi-label"):
        CNNClassifier(**SMALL, classes=["a", "b", "c"]).fit(X, Y)


def _with_a_2(Y):
    Y = Y.copy()
    Y[1, 1] = 2
    return Y


@pytest.mark.parametrize("bad, holds", [
    (_with_a_2, r"\[0, 1, 2\]"),  # a 2 among the 0/1 indicators
    (lambda Y: 2 * Y, r"\[0, 2\]"),  # two values, but not 0 and 1
    (lambda Y: np.where(Y == 1, "x", "y"), r"\['x', 'y'\]"),  # several labels per sample
])
def test_a_2d_y_that_is_no_indicator_is_refused_clearly(bad, holds):
    X, Y = _data(60)
    Y = bad(Y)
    match = (rf"y has shape \(60, 3\) and holds {holds}; a 2-D y must be a multi-label "
             r"indicator matrix of 0s and 1s .* give a 1-D y")
    clf = CNNClassifier(**{**SMALL, "max_epochs": 1})
    with pytest.raises(ValueError, match=match):
        clf.fit(X, Y)
    assert not hasattr(clf, "module_")
    if Y.dtype.kind != "U":
        with pytest.raises(ValueError, match=match):
            clf.fit(X, sparse.csr_matrix(Y))


def test_a_sparse_indicator_trains_as_the_dense_one():
    # sklearn's MLPClassifier takes a scipy.sparse indicator y; so does CNNClassifier
    X, Y = _data(60)
    params = {**SMALL, "max_epochs": 2}
    dense = CNNClassifier(**params).fit(X, Y)
    for to_sparse in (sparse.csr_matrix, sparse.csc_matrix, sparse.coo_array):
        clf = CNNClassifier(**params).fit(X, to_sparse(Y))
        assert clf.classes_.tolist() == [0, 1, 2]
        np.testing.assert_array_equal(clf.predict_proba(X), dense.predict_proba(X))
        assert clf.score(X, to_sparse(Y)) == dense.score(X, Y)
    clf.partial_fit(X, sparse.csr_matrix(Y))


def test_changing_task_or_columns_leaves_the_model_unchanged():
    X, Y = _data(60)
    clf = CNNClassifier(**{**SMALL, "max_epochs": 2}, warm_start=True).fit(X, Y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="fitted on a 2-D indicator y .multi-label.*unchanged"):
        clf.fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="y has 2 label columns but the model was fitted on 3"):
        clf.partial_fit(X, Y[:, :2])
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    single = CNNClassifier(**{**SMALL, "max_epochs": 1}).fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="fitted on 1-D labels"):
        single.partial_fit(X, Y)


def test_mixup_mixes_indicator_targets_as_they_are():
    from skcnn.augment import Mixup

    X, Y = _data(60)
    clf = CNNClassifier(**{**SMALL, "max_epochs": 2, "augment": Mixup(alpha=0.4)})
    clf.fit(X, Y)  # soft indicators go to BCEWithLogitsLoss as they are
    assert isinstance(clf.criterion_, torch.nn.BCEWithLogitsLoss)
    mixed = clf._target.mixable(clf, torch.as_tensor(Y[:4], dtype=torch.float32), torch.float32)
    assert mixed.shape == (4, 3)  # not one-hot encoded a second time
    plain = CNNClassifier(**{**SMALL, "max_epochs": 2}).fit(X, Y)
    assert not np.array_equal(clf.predict_proba(X), plain.predict_proba(X))

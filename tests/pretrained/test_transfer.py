"""Fine-tuning a pretrained trunk, and a fitted network's trunk as a starting point.

Random weights only: PANNs' CNN6 on maps of 16 to 40 frames, and skcnn's own
small CNNs as trunks. Each test fits for an epoch or two.
"""

import io
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from skcnn import CNNClassifier, CNNFrameClassifier, CNNRegressor, SpectrogramTransformer
from skcnn.pretrained import (
    FrameTransferNetwork, NetworkEmbedding, NetworkTrunk, TransferNetwork, load_pretrained,
    network_trunk,
)

FAST = dict(max_epochs=1, batch_size=4, augment=None, random_state=0)
SMALL_CNN = dict(n_filters=(4, 8), hidden_units=(8,), **FAST)


def _maps(n=8, n_frames=16, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1, 64, n_frames)).astype(np.float32)
    y = np.repeat(["a", "b"], n // 2)
    X[y == "b"] += 1.0
    return X, y


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A CNN6 checkpoint in the published layout, random weights, and batch-norm
    statistics other than a fresh network's 0 and 1 (which a reset would restore)."""
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("weights") / "cnn6.pth"
    state = load_pretrained("cnn6").state_dict()
    for key, value in state.items():
        if key.endswith("running_mean"):
            value.copy_(0.1 * torch.randn_like(value))
        elif key.endswith("running_var"):
            value.copy_(0.8 + 0.4 * torch.rand_like(value))
    torch.save({"model": state}, path)
    return path


def _loaded_trunk_state(path):
    state = load_pretrained("cnn6", path).state_dict()
    return {k: v for k, v in state.items() if not k.startswith("fc_audioset")}


def _fine_tuned(checkpoint, freeze, **params):
    X, y = _maps()
    clf = CNNClassifier(module=TransferNetwork, module__weights=checkpoint,
                        module__freeze=freeze, **{**FAST, "max_epochs": 2, **params})
    return clf.fit(X, y), X, y


def _changed(before, after):
    return {k for k in before if not torch.equal(before[k], after[k])}


@pytest.mark.parametrize("weight_averaging", [0.0, 0.5])
def test_frozen_trunk_stays_exactly_as_loaded_and_the_head_trains(checkpoint, weight_averaging):
    # weight averaging recomputes batch-norm statistics: not the frozen ones
    clf, X, y = _fine_tuned(checkpoint, "all", weight_averaging=weight_averaging, max_epochs=1)
    head = {k: v.clone() for k, v in clf.module_.head.state_dict().items()}
    clf.partial_fit(X, y)
    trunk = clf.module_.trunk.net.state_dict()
    assert not _changed(_loaded_trunk_state(checkpoint), trunk)  # running stats included
    assert _changed(head, clf.module_.head.state_dict()) == {"weight", "bias"}
    assert "fc_audioset.weight" not in clf.module_.state_dict()
    assert all(not p.requires_grad for p in clf.module_.trunk.parameters())


def test_unfrozen_trunk_trains_with_the_head(checkpoint):
    clf, _, _ = _fine_tuned(checkpoint, 0)
    changed = _changed(_loaded_trunk_state(checkpoint), clf.module_.trunk.net.state_dict())
    assert {"bn0.running_mean", "conv_block1.conv1.weight", "conv_block4.bn1.weight",
            "fc1.weight"} <= changed


def test_first_k_blocks_frozen(checkpoint):
    clf, _, _ = _fine_tuned(checkpoint, 2)
    changed = _changed(_loaded_trunk_state(checkpoint), clf.module_.trunk.net.state_dict())
    assert not {k for k in changed if k.startswith(("bn0.", "conv_block1.", "conv_block2."))}
    assert {"conv_block3.conv1.weight", "conv_block3.bn1.running_var",
            "conv_block4.conv1.weight", "fc1.weight"} <= changed
    assert clf.module_.n_blocks == 4


def test_trunk_learning_rate_goes_to_the_trunk_parameters():
    X, y = _maps()
    clf = CNNClassifier(module=TransferNetwork, module__freeze=0, lr=1e-2,
                        lr_schedule="constant", optimizer__param_groups=[("trunk.*", {"lr": 1e-5})],
                        **FAST).fit(X, y)
    trunk_group, rest = clf.optimizer_.param_groups
    assert trunk_group["lr"] == 1e-5 and rest["lr"] == 1e-2
    assert {id(p) for p in trunk_group["params"]} == {id(p) for p in clf.module_.trunk.parameters()}
    assert {id(p) for p in rest["params"]} == {id(p) for p in clf.module_.head.parameters()}


def test_module_class_gets_the_inferred_shape_and_outputs_module_params_win():
    X, y = _maps(n_frames=20)
    net = CNNClassifier(module=TransferNetwork).build_module((1, 64, 20), 5)
    assert net.input_shape == (1, 64, 20) and net.head.out_features == 5
    clf = CNNRegressor(module=TransferNetwork, **FAST).fit(X, np.arange(8.0))
    assert clf.predict(X).shape == (8,) and clf.module_.head.out_features == 1
    with pytest.raises(ValueError, match="do not fit model='cnn6'"):
        CNNClassifier(module=TransferNetwork, module__input_shape=(1, 32, 20)).build_module(
            (1, 64, 20), 2)


@pytest.fixture(scope="module")
def pretrained_small():
    """A small CNN fitted on one synthetic set: the trunk to start from."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(24, 1, 16, 12)).astype(np.float32)
    y = np.repeat([0, 1, 2], 8)
    X[y == 1, :, :8] += 1.5
    X[y == 2, :, 8:] += 1.5
    return CNNClassifier(**{**SMALL_CNN, "max_epochs": 3}).fit(X, y)


def _small_set(n=12, seed=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1, 16, 12)).astype(np.float32)
    y = np.repeat(["x", "y"], n // 2)
    X[y == "y"] += 1.0
    return X, y


def test_own_trunk_is_copied_and_gets_a_new_head(pretrained_small):
    trunk = network_trunk(pretrained_small)
    assert isinstance(trunk, NetworkTrunk) and trunk.input_shape == (1, 16, 12)
    original = {k: v.clone() for k, v in pretrained_small.module_.features.state_dict().items()}
    X, y = _small_set()
    for freeze in ("all", 0):
        clf = CNNClassifier(module=TransferNetwork, module__model=trunk,
                            module__freeze=freeze, **FAST).fit(X, y)
        copied = clf.module_.trunk.layers.state_dict()
        assert (not _changed(original, copied)) == (freeze == "all")
        assert clf.module_.head.out_features == 2  # new head, 2 classes (the trunk saw 3)
    # neither the fitted estimator nor the trunk handed over changed
    assert not _changed(original, pretrained_small.module_.features.state_dict())
    assert not _changed(original, trunk.layers.state_dict())


def test_own_trunk_freeze_blocks_and_grid_search(pretrained_small):
    X, y = _small_set(16)
    net = CNNClassifier(module=TransferNetwork, module__model=network_trunk(pretrained_small),
                        **FAST).build_module((1, 16, 12), 2)
    assert net.n_blocks == 2
    frozen = [p.requires_grad for p in net.trunk.layers.parameters()]
    assert not any(frozen)
    search = GridSearchCV(
        CNNClassifier(module=TransferNetwork, module__model=network_trunk(pretrained_small),
                      lr_schedule="constant", **FAST),
        {"module__freeze": ["all", 0],
         "optimizer__param_groups": [[("trunk.*", {"lr": 1e-4})], [("trunk.*", {"lr": 1e-3})]]},
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_
    assert best.module__freeze == search.best_params_["module__freeze"]
    assert best.optimizer_.param_groups[0]["lr"] == (
        search.best_params_["optimizer__param_groups"][0][1]["lr"])
    # freeze=1: the first block (input norm, conv, batch norm) only
    one = clone(best).set_params(module__freeze=1).fit(X, y).module_
    first, second = one.trunk.blocks()[0]
    assert all(not p.requires_grad for m in first for p in m.parameters())
    assert all(p.requires_grad for m in second for p in m.parameters())


def test_fine_tuned_estimator_saves_loads_and_pickles(checkpoint, tmp_path):
    clf, X, _ = _fine_tuned(checkpoint, 2)
    buffer = io.BytesIO()
    clf.save_weights(buffer)
    buffer.seek(0)
    twin = CNNClassifier(module=TransferNetwork, module__weights=checkpoint).load_weights(buffer)
    np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    buffer.seek(0)
    with pytest.raises(ValueError, match=r"other parameters: .*module=None \(saved: "
                                         r"'skcnn.pretrained._transfer.TransferNetwork'\)"):
        CNNClassifier().load_weights(buffer)


def test_frame_outputs_repeat_over_the_frames_each_embedding_spans():
    net = FrameTransferNetwork((1, 64, 40), 3).eval()
    out = net(torch.randn(2, 1, 64, 40)).detach()
    assert out.shape == (2, 3, 40)
    r = net.trunk.time_reduction
    assert r == 16
    # frames 0-15 from the first embedding, 16-31 from the second, 32-39 (dropped by
    # the poolings) repeat the last
    for group in (slice(0, 16), slice(16, 40)):
        block = out[:, :, group]
        assert torch.equal(block, block[:, :, :1].expand_as(block))
    assert not torch.equal(out[:, :, 0], out[:, :, 16])


def test_frame_classifier_fine_tunes_per_frame(pretrained_small):
    X, _ = _maps(n=4, n_frames=32)
    y = np.where(np.arange(32) < 16, "quiet", "event")[None].repeat(4, axis=0)
    clf = CNNFrameClassifier(module=FrameTransferNetwork, module__freeze=3, **FAST).fit(X, y)
    assert clf.predict(X).shape == (4, 32)
    # a frame network's own trunk keeps every frame
    frames = CNNFrameClassifier(n_filters=(4,), hidden_units=(4,), time_context=0,
                                **FAST).fit(X[:, :, :16], y)
    trunk = network_trunk(frames)
    assert trunk.time_reduction == 1
    again = CNNFrameClassifier(module=FrameTransferNetwork, module__model=trunk,
                               **FAST).fit(X[:, :, :16], y)
    assert again.predict(X[:, :, :16]).shape == (4, 32)
    # a clip network pooled its frames away
    with pytest.raises(ValueError, match="trunk of a clip network"):
        CNNFrameClassifier(module=FrameTransferNetwork, module__model=network_trunk(
            pretrained_small), **FAST).fit(np.zeros((4, 1, 16, 12), np.float32),
                                            y[:, 10:22])


def test_network_embedding_feeds_a_logistic_regression(pretrained_small):
    X, y = _small_set(16)
    embedding = NetworkEmbedding(pretrained_small)
    assert clone(embedding).estimator is pretrained_small  # the fitted network is kept
    features = embedding.fit(X).transform(X)
    with torch.no_grad():
        expected = pretrained_small.module_.eval().features(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)
    assert features.shape == (16, 8)  # 'avgmax' pools 8 maps into 8 values
    assert embedding.get_feature_names_out()[0] == "networkembedding0"
    scores = cross_val_score(make_pipeline(NetworkEmbedding(pretrained_small),
                                           LogisticRegression()), X, y, cv=2)
    assert scores.shape == (2,)


def test_network_embedding_of_a_fitted_pipeline_takes_raw_clips():
    rng = np.random.default_rng(5)
    clips = rng.normal(size=(12, 2000)).astype(np.float32) * 0.1
    y = np.repeat([0, 1], 6)
    front = SpectrogramTransformer(sr=8000, n_fft=256, hop_length=128, n_mels=16)
    fitted = make_pipeline(front, CNNClassifier(**SMALL_CNN)).fit(clips, y)
    features = NetworkEmbedding(fitted, batch_size=5).fit(clips).transform(clips)
    assert features.shape == (12, 8) and features.dtype == np.float32
    pipe = make_pipeline(NetworkEmbedding(fitted), LogisticRegression()).fit(clips, y)
    assert pipe.predict(clips).shape == (12,)


def test_network_embedding_of_a_fine_tuned_network_is_its_trunks():
    # PANNs' clip embedding (fc1 after its ReLU), as fine-tuned
    X, labels = _maps()
    tuned = CNNClassifier(module=TransferNetwork, **FAST).fit(X, labels)
    assert NetworkEmbedding(tuned).fit(X).transform(X).shape == (8, 512)


@pytest.mark.parametrize("params, message", [
    (dict(module__model="vggish"), r"model='vggish' must be one of \['cnn14', 'cnn6'\]"),
    (dict(module__freeze=5), r"freeze=5 must be 'all' or an int in \[0, 4\]"),
    (dict(module__freeze=-1), r"freeze=-1 must be 'all' or an int in \[0, 4\]"),
    (dict(module__freeze=True), r"freeze=True must be 'all' or an int"),
    (dict(module__freeze="none"), r"freeze='none' must be 'all' or an int"),
    (dict(module__weights=3), r"weights=3 must be None \(random\), 'published'"),
])
def test_bad_parameters_are_named_and_change_nothing(params, message):
    X, y = _maps()
    clf = CNNClassifier(module=TransferNetwork, **FAST, **params)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "module_") or not clf.initialized_


def test_incompatible_input_and_unfitted_trunks_are_clear_errors(pretrained_small):
    X, y = _maps()
    with pytest.raises(ValueError, match=r"samples of shape \(1, 32, 16\) do not fit "
                                         r"model='cnn6'.*front_end\('cnn6'\)"):
        CNNClassifier(module=TransferNetwork, **FAST).fit(X[:, :, :32], y)
    with pytest.raises(ValueError, match=r"n_frames >= 16"):
        CNNClassifier(module=TransferNetwork, **FAST).fit(X[:, :, :, :8], y)
    trunk = network_trunk(pretrained_small)
    with pytest.raises(ValueError, match=r"samples of shape \(1, 20, 12\) do not fit the trunk, "
                                         r"fitted on samples of shape \(1, 16, 12\)"):
        CNNClassifier(module=TransferNetwork, module__model=trunk, **FAST).fit(
            np.zeros((4, 1, 20, 12), np.float32), [0, 0, 1, 1])
    with pytest.raises(ValueError, match="weights='published' must be None for a trunk"):
        CNNClassifier(module=TransferNetwork, module__model=trunk, module__weights="published",
                      **FAST).fit(np.zeros((4, 1, 16, 12), np.float32), [0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"model=CNNClassifier\(...\) must be one of"):
        CNNClassifier(module=TransferNetwork, module__model=pretrained_small, **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"estimator=CNNClassifier\(...\) is not a fitted"):
        network_trunk(CNNClassifier())
    with pytest.raises(ValueError, match=r"estimator=Pipeline\(...\) is not a fitted"):
        NetworkEmbedding(make_pipeline(CNNClassifier())).fit(X)
    lenet = CNNClassifier(architecture="lenet5", **FAST).fit(
        np.zeros((4, 1, 32, 32), np.float32), [0, 0, 1, 1])
    with pytest.raises(ValueError, match="network is a LeNet5, whose trunk"):
        network_trunk(lenet)


def test_panns_transfer_networks_predict_clips_of_other_lengths():
    X, y = _maps(n_frames=20)
    clf = CNNClassifier(module=TransferNetwork, **FAST).fit(X, y)
    assert clf.predict_proba(_maps(n_frames=33)[0]).shape == (8, 2)
    with pytest.raises(ValueError, match=r"samples of shape \(1, 64, 8\), but CNNClassifier"):
        clf.predict(X[:, :, :, :8])  # fewer frames than CNN6's 16
    frames = CNNFrameClassifier(module=FrameTransferNetwork, **FAST).fit(
        X, np.where(np.arange(20) < 10, "a", "b")[None].repeat(8, axis=0))
    assert frames.predict(_maps(n_frames=37)[0]).shape == (8, 37)


@pytest.mark.parametrize("module", [TransferNetwork, FrameTransferNetwork])
def test_describe_follows_panns_poolings_and_axes(module):
    from skcnn.inspection import describe, describe_module
    from skcnn.modules import PANNsCNN14
    from skcnn.pretrained import front_end

    X, y = _maps(n=4, n_frames=32)
    estimator = CNNClassifier if module is TransferNetwork else CNNFrameClassifier
    target = y if module is TransferNetwork else np.repeat(y[:, None], 32, axis=1)
    fitted = estimator(module=module, **FAST).fit(X, target)
    table = describe(fitted, features=front_end("cnn6"))
    # CNN6's receptive field, counted through its four poolings and the swap of
    # its axes (time first inside): the same as the network's own count
    assert sum(row["layer"].startswith("avgpool2d") for row in table.rows) == 4
    rf = table.receptive_field
    assert rf["rf_frames"] == rf["rf_bins"] == 76 == fitted.module_.trunk.net.receptive_field
    assert rf["rf_seconds"] == pytest.approx((75 * 320 + 1024) / 32000)
    big = describe_module(PANNsCNN14(), (1, 64, 320)).receptive_field
    assert big["rf_frames"] == big["rf_bins"] == 284 == PANNsCNN14().receptive_field

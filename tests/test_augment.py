"""Tests of skcnn.augment and of the estimators' ``augment=`` parameter."""

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skcnn import CNNClassifier, CNNRegressor
from skcnn.augment import (
    AddNoise,
    Augmentation,
    Compose,
    FrequencyWarp,
    Mixup,
    RandomGain,
    SpecAugment,
    TimeShift,
)

TINY = dict(n_filters=(4,), hidden_units=(8,), max_epochs=2, random_state=0)
ALL = [SpecAugment(), FrequencyWarp(), TimeShift(), TimeShift(circular=False), RandomGain(),
       RandomGain(domain="amplitude"), AddNoise(), AddNoise(domain="db"), Mixup(),
       Compose([SpecAugment(), TimeShift(), Mixup()])]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def make_maps(n=40, shape=(1, 12, 16), n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(size=(n, *shape)).astype(np.float32)
    X += y.reshape((-1,) + (1,) * len(shape))
    return X, y


def run(augmentation, X, y=None, w=None, seed=0):
    if y is None and augmentation.mixes_targets:
        y = torch.nn.functional.one_hot(torch.arange(len(X)) % 3, 3).to(X.dtype)
    return augmentation(X, y, w, generator=gen(seed))


class Spy(Augmentation):
    """Count calls, record batch sizes, targets and one draw per call."""

    def __init__(self, *, mixes=False):
        self.mixes = mixes

    @property
    def mixes_targets(self):
        return self.mixes

    def _augment(self, X, y, sample_weight, generator):
        calls = vars(self).setdefault("calls_", [])
        calls.append({"n": len(X), "y": y, "w": sample_weight,
                      "draw": torch.rand(1, generator=generator).item()})
        return X, y, sample_weight


# --------------------------------------------------------------- SpecAugment
def bands_of(changed):
    """Start and width of the one changed band of each row, or None."""
    out = []
    for row in changed:
        idx = np.flatnonzero(row)
        out.append(None if len(idx) == 0 else (idx[0], len(idx), idx[-1] - idx[0] + 1))
    return out


def test_specaugment_frequency_masks_width_position_and_value():
    X = torch.randn(200, 2, 32, 40) - 60.0      # a dB-like map far below 0 dB
    Xa, _, _ = SpecAugment(freq_masks=1, time_masks=0, max_freq=0.25)(X, generator=gen())
    changed = (Xa != X).numpy()
    # whole bins: a changed bin is changed at every frame, in both channels
    rows = changed.any(axis=3)
    assert (changed.all(axis=3) == rows).all()
    assert (rows[:, 0] == rows[:, 1]).all()
    widths = []
    for start_width in bands_of(rows[:, 0]):
        if start_width is not None:
            start, width, span = start_width
            assert width == span                  # contiguous
            widths.append(width)
    assert max(widths) == 8 and min(widths) >= 1  # up to floor(0.25 * 32) bins
    assert len(widths) < 200                      # width 0 is drawn too
    mean = X.mean(dim=(2, 3), keepdim=True).expand_as(X)
    torch.testing.assert_close(Xa[Xa != X], mean[Xa != X])
    assert (Xa[Xa != X] < -50).all()              # the clip's level, not 0 dB


def test_specaugment_time_masks_per_clip_and_on_waveforms():
    X = torch.randn(100, 1, 16, 80)
    Xa, _, _ = SpecAugment(freq_masks=0, time_masks=1, max_time=0.1)(X, generator=gen())
    cols = (Xa != X).numpy()[:, 0].any(axis=1)
    bands = [b for b in bands_of(cols) if b is not None]
    assert all(width == span <= 8 for _, width, span in bands)
    assert len({start for start, _, _ in bands}) > 10      # each clip its own
    # 1-D input: time masks only, along the last axis
    wave = torch.randn(50, 1, 400)
    Wa, _, _ = SpecAugment(freq_masks=0, time_masks=1, max_time=0.05)(wave, generator=gen())
    bands = [b for b in bands_of((Wa != wave).numpy()[:, 0]) if b is not None]
    assert max(width for _, width, _ in bands) == 20
    assert all(width == span for _, width, span in bands)


def test_specaugment_several_masks_stay_within_their_total_width():
    X = torch.randn(100, 1, 64, 100)
    Xa, _, _ = SpecAugment(freq_masks=2, time_masks=3)(X, generator=gen())
    changed = (Xa != X).numpy()[:, 0]
    full_cols = changed.all(axis=1).sum(axis=1)      # frames masked entirely
    full_rows = changed.all(axis=2).sum(axis=1)      # bins masked entirely
    assert full_cols.max() <= 3 * 12 and full_rows.max() <= 2 * 8
    assert (changed == (changed.all(axis=1, keepdims=True)
                        | changed.all(axis=2, keepdims=True))).all()


def test_specaugment_refuses_frequency_masks_on_1d_input():
    with pytest.raises(ValueError, match=r"SpecAugment\(freq_masks=2\).*\(8, 1, 100\).*freq_masks=0"):
        SpecAugment()(torch.randn(8, 1, 100), generator=gen())


# ------------------------------------------------------------- FrequencyWarp
def test_frequency_warp_scales_each_clip_s_bin_axis():
    """A ramp over the bins (value = bin index) comes back as bin / factor,
    one factor per clip within the bounds, the same on every channel and
    frame; what would come from above the top bin repeats the top bin."""
    n_bins = 40
    ramp = torch.arange(n_bins, dtype=torch.float64).reshape(1, 1, n_bins, 1)
    X = ramp.expand(200, 2, n_bins, 7).clone()
    Xw, _, _ = FrequencyWarp(max_warp=0.2)(X, generator=gen())
    factors = []
    for x in Xw:
        assert torch.equal(x, x[:1, :, :1].expand_as(x))  # per clip only
        values = x[0, :, 0]
        factor = 1 / values[1].item()       # bin 1 holds 1 / factor
        expected = (torch.arange(n_bins, dtype=torch.float64) / factor).clamp(max=n_bins - 1)
        torch.testing.assert_close(values, expected)
        factors.append(factor)
    assert 0.8 <= min(factors) < 0.82 and 1.18 < max(factors) <= 1.2


def test_frequency_warp_moves_a_peak_up_or_down():
    X = torch.zeros(64, 1, 40, 3)
    X[:, :, 20] = 1.0
    Xw, _, _ = FrequencyWarp(max_warp=0.25)(X, generator=gen())
    peaks = Xw[:, 0, :, 0].argmax(dim=1)
    assert peaks.min() < 18 and peaks.max() > 22 and (peaks - 20).abs().max() <= 5


def test_frequency_warp_without_warp_and_its_refusals():
    X = torch.randn(4, 1, 12, 8)
    assert torch.equal(FrequencyWarp(max_warp=0.0)(X, generator=gen())[0], X)
    with pytest.raises(ValueError, match=r"FrequencyWarp warps the frequency bins of 2-D "
                                         r"maps.*\(4, 1, 8\) is 1-D"):
        FrequencyWarp()(torch.randn(4, 1, 8), generator=gen())
    with pytest.raises(ValueError, match=r"'max_warp' parameter of FrequencyWarp must be a "
                                         r"float in the range \[0\.0, 1\.0\)\. Got 1"):
        FrequencyWarp(max_warp=1)(X)


# ----------------------------------------------------------------- TimeShift
def test_timeshift_circular_rolls_each_clip_within_bounds():
    X = torch.randn(64, 2, 5, 40)
    Xs, _, _ = TimeShift(max_shift=0.25)(X, generator=gen())
    shifts = []
    for x, xs in zip(X, Xs):
        matches = [s for s in range(-10, 11) if torch.equal(torch.roll(x, s, dims=-1), xs)]
        assert len(matches) == 1          # the same roll on every channel and bin
        shifts.append(matches[0])
    assert min(shifts) == -10 and max(shifts) == 10 and len(set(shifts)) > 10


def test_timeshift_linear_fills_vacated_frames_with_the_mean():
    X = torch.randn(64, 1, 50)
    Xs, _, _ = TimeShift(max_shift=0.2, circular=False)(X, generator=gen())
    mean = X.mean(dim=2)
    for x, xs, m in zip(X[:, 0], Xs[:, 0], mean[:, 0]):
        s = next(s for s in range(-10, 11)
                 if torch.equal(xs[max(s, 0):50 + min(s, 0)], x[max(-s, 0):50 - max(s, 0)]))
        filled = xs[:s] if s > 0 else xs[50 + s:]
        assert torch.all(filled == m)


# -------------------------------------------------------------- RandomGain
@pytest.mark.parametrize("domain, to_db", [
    ("db", lambda a, b: b - a),
    ("amplitude", lambda a, b: 20 * torch.log10(b / a)),
    ("power", lambda a, b: 10 * torch.log10(b / a)),
])
def test_random_gain_is_one_gain_per_clip_in_db(domain, to_db):
    X = torch.rand(100, 1, 6, 7, dtype=torch.float64) + 0.5
    Xg, _, _ = RandomGain(max_db=6.0, domain=domain)(X, generator=gen())
    gain = to_db(X, Xg).reshape(100, -1)
    torch.testing.assert_close(gain, gain[:, :1].expand_as(gain))
    assert gain.abs().max() <= 6.0 and gain[:, 0].std() > 2.0


# ---------------------------------------------------------------- AddNoise
def snr_db(signal_power, noise_power):
    return 10 * torch.log10(signal_power / noise_power)


def test_add_noise_amplitude_snr_range_and_fixed_value():
    X = torch.randn(64, 1, 8000) * torch.linspace(0.1, 3, 64)[:, None, None]
    Xn, _, _ = AddNoise(snr_db=(10, 30))(X, generator=gen())
    snr = snr_db((X ** 2).mean(dim=(1, 2)), ((Xn - X) ** 2).mean(dim=(1, 2)))
    assert snr.min() > 9.7 and snr.max() < 30.3 and snr.max() - snr.min() > 10
    Xn, _, _ = AddNoise(snr_db=20)(X, generator=gen())
    snr = snr_db((X ** 2).mean(dim=(1, 2)), ((Xn - X) ** 2).mean(dim=(1, 2)))
    torch.testing.assert_close(snr, torch.full_like(snr, 20.0), atol=0.3, rtol=0)


@pytest.mark.parametrize("domain", ["power", "db"])
def test_add_noise_on_power_and_db_maps_adds_power(domain):
    power = torch.rand(32, 1, 64, 64, dtype=torch.float64) ** 4 * 100
    X = power if domain == "power" else 10 * torch.log10(power)
    Xn, _, _ = AddNoise(snr_db=15, domain=domain)(X, generator=gen())
    noise = Xn - power if domain == "power" else 10 ** (Xn / 10) - power
    assert (noise >= -1e-9).all()                         # power only grows
    snr = snr_db(power.mean(dim=(1, 2, 3)), noise.mean(dim=(1, 2, 3)))
    torch.testing.assert_close(snr, torch.full_like(snr, 15.0), atol=0.3, rtol=0)


# ------------------------------------------------------------------- Mixup
def test_mixup_is_a_convex_combination_of_inputs_targets_and_weights():
    n = 50
    X = torch.randn(n, 1, 4, 6)
    y = torch.eye(n)                                       # clip i is class i
    w = torch.rand(n) + 0.5
    Xm, ym, wm = Mixup(alpha=0.4)(X, y, w, generator=gen())
    torch.testing.assert_close(ym.sum(dim=1), torch.ones(n))
    for i in range(n):
        lam = ym[i, i]
        others = torch.nonzero(ym[i] * (torch.arange(n) != i)).flatten()
        j = others.item() if len(others) else i
        torch.testing.assert_close(Xm[i], lam * X[i] + (1 - lam) * X[j])
        torch.testing.assert_close(wm[i], lam * w[i] + (1 - lam) * w[j])


@pytest.mark.parametrize("alpha", [0.2, 1.0])
def test_mixup_lambda_follows_beta(alpha):
    n = 600
    _, ym, _ = Mixup(alpha=alpha)(torch.randn(n, 1, 2), torch.eye(n), generator=gen())
    lam = torch.diagonal(ym).double().numpy()
    moved = (ym.numpy() > 0).sum(axis=1) == 2              # clips given a partner
    assert stats.kstest(lam[moved], "beta", args=(alpha, alpha)).pvalue > 1e-3


def test_mixup_needs_float_targets():
    with pytest.raises(ValueError, match="Mixup mixes the targets too.*int64"):
        Mixup()(torch.randn(4, 1, 8), torch.arange(4), generator=gen())


# ------------------------------------------------------------ all of them
@pytest.mark.parametrize("augmentation", ALL, ids=repr)
def test_seeded_generator_repeats_and_another_seed_differs(augmentation):
    X = torch.randn(16, 1, 24, 32)
    first = run(augmentation, X, seed=1)
    again = run(augmentation, X, seed=1)
    other = run(augmentation, X, seed=2)
    assert torch.equal(first[0], again[0])
    assert not torch.equal(first[0], other[0])


@pytest.mark.parametrize("augmentation", ALL, ids=repr)
def test_shape_dtype_device_kept_and_input_unchanged(augmentation):
    X = torch.rand(8, 2, 10, 20, dtype=torch.float64) + 0.1
    before = X.clone()
    Xa, _, _ = run(augmentation, X)
    assert Xa.shape == X.shape and Xa.dtype == X.dtype and Xa.device == X.device
    assert torch.equal(X, before)


@pytest.mark.gpu
@pytest.mark.parametrize("augmentation", ALL, ids=repr)
def test_cuda_batches_stay_on_cuda(augmentation):
    X = torch.randn(8, 1, 10, 20, device="cuda")
    y = torch.nn.functional.one_hot(torch.arange(8, device="cuda") % 2, 2).float()
    g = torch.Generator(device="cuda").manual_seed(0)
    Xa, ya, _ = augmentation(X, y, generator=g)
    assert Xa.device == X.device and ya.device == X.device


def test_parameters_are_checked_with_their_names():
    X = torch.randn(4, 1, 8, 8)
    with pytest.raises(ValueError, match="'max_time' parameter of SpecAugment.*Got 1.5"):
        SpecAugment(max_time=1.5)(X)
    with pytest.raises(ValueError, match="'domain' parameter of RandomGain.*Got 'dbfs'"):
        RandomGain(domain="dbfs")(X)
    with pytest.raises(ValueError, match=r"snr_db=\(30, 10\) must be.*low <= high"):
        AddNoise(snr_db=(30, 10))(X)
    with pytest.raises(ValueError, match="'alpha' parameter of Mixup.*Got 0"):
        Mixup(alpha=0)(X, torch.eye(4))
    with pytest.raises(ValueError, match=r"TimeShift augments batches of shape.*got shape \(4, 8\)"):
        TimeShift()(torch.randn(4, 8))
    with pytest.raises(ValueError, match="augments floating-point torch tensors"):
        TimeShift()(np.zeros((4, 1, 8)))


# ----------------------------------------------------------------- Compose
def test_compose_names_params_and_set_params():
    augment = Compose([SpecAugment(), TimeShift(), ("shift", TimeShift()), TimeShift()])
    params = augment.get_params()
    assert {"specaugment__max_time", "timeshift-1__max_shift", "shift__circular",
            "timeshift-2__max_shift"} <= set(params)
    augment.set_params(specaugment__max_time=0.3, shift=TimeShift(max_shift=0.1))
    assert augment.augmentations[0].max_time == 0.3
    assert augment.augmentations[2] == ("shift", augment.get_params()["shift"])
    assert augment.get_params()["shift__max_shift"] == 0.1
    assert not augment.mixes_targets
    assert Compose([TimeShift(), Mixup()]).mixes_targets
    with pytest.raises(ValueError, match="Invalid parameter 'spec__max_time'.*specaugment"):
        augment.set_params(spec__max_time=0.1)


def test_compose_refuses_other_items_and_repeated_names():
    with pytest.raises(ValueError, match=r"augmentations=.*got 'mixup'"):
        Compose([SpecAugment(), "mixup"])(torch.randn(2, 1, 8, 8))
    with pytest.raises(ValueError, match="repeated names"):
        Compose([("a", TimeShift()), ("a", Mixup())]).check()
    with pytest.raises(ValueError, match=r"SpecAugment\(freq_masks=2\).*\(2, 1, 8\)"):
        Compose([TimeShift(), SpecAugment()]).check((2, 1, 8))


def test_compose_applies_in_order():
    X = torch.rand(8, 1, 4, 10) + 1.0
    gain_then_shift = Compose([RandomGain(domain="amplitude"), TimeShift()])
    Xa, _, _ = gain_then_shift(X, generator=gen())
    g = gen()
    Xb, _, _ = RandomGain(domain="amplitude")(X, generator=g)
    Xb, _, _ = TimeShift()(Xb, generator=g)
    assert torch.equal(Xa, Xb)


# -------------------------------------------------------------- estimators
@pytest.fixture(scope="module")
def augmented_clf():
    X, y = make_maps()
    augment = Compose([SpecAugment(), TimeShift(), Mixup()])
    return CNNClassifier(**TINY, augment=augment).fit(X, y), X, y


def test_prediction_is_the_network_on_raw_input(augmented_clf):
    clf, X, _ = augmented_clf
    module = clf.module_.eval()
    with torch.no_grad():
        expected = torch.softmax(module(torch.as_tensor(X)), dim=1).numpy()
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[expected.argmax(axis=1)])


def test_augmentation_runs_once_per_training_batch_only():
    X, y = make_maps(n=50)
    spy = Spy()
    clf = CNNClassifier(**{**TINY, "max_epochs": 3}, batch_size=16, augment=spy,
                        early_stopping=True, validation_fraction=0.2).fit(X, y)
    epochs = len(clf.history_)
    sizes = [call["n"] for call in spy.calls_]
    assert len(sizes) == 3 * epochs                 # 40 training clips: 16+16+8
    assert sizes == [16, 16, 8] * epochs            # the 10 held out never
    assert "valid_loss" in clf.history_[-1]
    n_calls = len(spy.calls_)
    clf.predict(X), clf.predict_proba(X), clf.score(X, y)
    assert len(spy.calls_) == n_calls


def test_classifier_hands_one_hot_targets_and_weights_to_mixing_augmentations():
    X, y = make_maps(n=30, n_classes=3)
    spy = Spy(mixes=True)
    CNNClassifier(**{**TINY, "max_epochs": 1}, augment=spy, batch_size=10,
                  class_weight="balanced").fit(X, y, sample_weight=np.arange(30) + 1.0)
    call = spy.calls_[0]
    assert call["y"].dtype == torch.float32 and call["y"].shape == (10, 3)
    torch.testing.assert_close(call["y"].sum(dim=1), torch.ones(10))
    assert call["w"].shape == (10,)
    spy_plain = Spy()
    CNNClassifier(**{**TINY, "max_epochs": 1}, augment=spy_plain).fit(X, y)
    assert spy_plain.calls_[0]["y"].dtype == torch.int64   # labels as they were


def test_weighted_loss_with_probability_targets_is_the_weighted_mean():
    X, y = make_maps(n=20, n_classes=3)
    clf = CNNClassifier(**{**TINY, "max_epochs": 1}, augment=Mixup()).fit(X, y)
    y_pred = torch.randn(5, 3)
    soft = torch.softmax(torch.randn(5, 3), dim=1)
    w = torch.tensor([0.0, 1.0, 2.0, 0.5, 1.5])
    per_sample = -(soft * torch.log_softmax(y_pred, dim=1)).sum(dim=1)
    expected = (w * per_sample).sum() / w.sum()
    torch.testing.assert_close(clf.get_loss(y_pred, (soft, w)), expected)
    torch.testing.assert_close(clf.get_loss(y_pred, soft), per_sample.mean())


def test_mixup_with_weights_trains_classifier_and_regressor():
    X, y = make_maps(n=40)
    w = np.linspace(0.5, 2.0, 40)
    clf = CNNClassifier(**TINY, augment=Mixup(alpha=0.4), class_weight="balanced")
    assert clf.fit(X, y, sample_weight=w).predict(X).shape == (40,)
    target = X.mean(axis=(1, 2, 3))
    reg = CNNRegressor(**TINY, augment=Compose([TimeShift(), Mixup()]))
    assert reg.fit(X, target, sample_weight=w).predict(X).shape == (40,)
    assert np.isfinite(reg.history_[:, "train_loss"]).all()


def test_user_array_is_not_changed_by_augmentation():
    X, y = make_maps()
    before = X.copy()
    CNNClassifier(**TINY, augment=Compose([RandomGain(), AddNoise(), SpecAugment()]),
                  iterator_train__shuffle=False).fit(X, y)   # batches are views of X
    np.testing.assert_array_equal(X, before)


def test_same_random_state_same_bits_and_augment_changes_training():
    X, y = make_maps()
    augment = Compose([SpecAugment(), TimeShift(), Mixup()])
    a = CNNClassifier(**TINY, augment=augment).fit(X, y).predict_proba(X)
    b = CNNClassifier(**TINY, augment=clone(augment)).fit(X, y).predict_proba(X)
    plain = CNNClassifier(**TINY, augment=None).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, plain)
    # the default, augment='auto', is SpecAugment and TimeShift on 2-D maps
    auto_chain = Compose([SpecAugment(), TimeShift()])
    auto = CNNClassifier(**TINY)
    expected = CNNClassifier(**TINY, augment=auto_chain).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(auto.fit(X, y).predict_proba(X), expected)
    assert repr(auto.augment_) == repr(auto_chain)
    assert CNNRegressor(**TINY).fit(X, y.astype(np.float32)).augment_ is None


def test_partial_fit_calls_draw_new_augmentations_and_repeat_with_the_seed():
    X, y = make_maps()

    def draws():
        spy = Spy()
        clf = CNNClassifier(**{**TINY, "max_epochs": 1}, augment=spy)
        clf.partial_fit(X, y).partial_fit(X, y)
        return [call["draw"] for call in spy.calls_]

    first = draws()
    assert first[0] != first[1]                 # one batch per call: new draws
    assert first == draws()


def test_nested_params_listed_and_searchable_in_a_pipeline():
    clf = CNNClassifier(augment=SpecAugment())
    params = clf.get_params(deep=True)
    assert params["augment__freq_masks"] == 2 and params["augment__max_time"] == 0.125
    X, y = make_maps(n=24)
    pipe = Pipeline([("identity", FunctionTransformer()),
                     ("cnn", CNNClassifier(**{**TINY, "max_epochs": 1},
                                           augment=Compose([SpecAugment(), Mixup()])))])
    grid = {"cnn__augment__specaugment__max_time": [0.1, 0.3],
            "cnn__augment__mixup__alpha": [0.2]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    assert [p["cnn__augment__specaugment__max_time"]
            for p in search.cv_results_["params"]] == [0.1, 0.3]
    best = search.best_estimator_.named_steps["cnn"].augment.augmentations[0]
    assert best.max_time == search.best_params_["cnn__augment__specaugment__max_time"]
    # the search's template is left as it was
    assert pipe.named_steps["cnn"].augment.augmentations[0].max_time == 0.125


def test_set_params_and_clone_keep_the_augmentation_params():
    clf = CNNClassifier(augment=Compose([SpecAugment(max_time=0.3), Mixup(alpha=0.5)]))
    clf.set_params(augment__mixup__alpha=0.7, augment__specaugment__freq_masks=1)
    assert not [k for k in vars(clf) if k.startswith("augment__")]
    twin = clone(clf)
    assert twin.augment is not clf.augment
    wanted = {k: v for k, v in clf.get_params().items()
              if k.startswith("augment__") and not isinstance(v, (Augmentation, list))}
    assert wanted == {k: twin.get_params()[k] for k in wanted}
    assert wanted["augment__mixup__alpha"] == 0.7
    assert wanted["augment__specaugment__freq_masks"] == 1


def test_estimator_errors_name_augment_and_change_nothing():
    X, y = make_maps()
    cases = [
        ([SpecAugment()], r"augment=\[SpecAugment\(\)\] is a list.*Compose"),
        ("specaugment", "'augment' parameter of CNNClassifier must be a str among "
                        r"\{'auto'\}, an instance of 'skcnn.augment.Augmentation' or None"),
        (SpecAugment(max_time=2.0), r"augment=SpecAugment\(max_time=2.0\): The 'max_time'"),
    ]
    for augment, match in cases:
        clf = CNNClassifier(**TINY, augment=augment)
        with pytest.raises(ValueError, match=match):
            clf.fit(X, y)
        assert not hasattr(clf, "module_")
    clf = CNNClassifier(**TINY, augment=SpecAugment())
    with pytest.raises(ValueError, match=r"augment=SpecAugment\(\) cannot augment X of "
                                         r"shape \(40, 192\).*\(40, 1, 192\).*freq_masks=0"):
        clf.fit(X.reshape(40, -1), y)
    assert not hasattr(clf, "module_")
    CNNClassifier(**TINY, augment=SpecAugment(freq_masks=0)).fit(X.reshape(40, -1), y)
    with pytest.raises(ValueError, match="augment__max_time cannot be set: augment=None"):
        CNNClassifier(augment=None).set_params(augment__max_time=0.2)
    with pytest.raises(ValueError, match="augment__max_time cannot be set: augment='auto'"):
        CNNClassifier().set_params(augment__max_time=0.2)

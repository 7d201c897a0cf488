"""describe(): shapes, parameter counts and receptive fields, on the course notes' exercises."""

import numpy as np
import pytest
from torch import nn

from skcnn import MFCCTransformer, SpectrogramTransformer
from skcnn.inspection import describe_module, receptive_field_seconds

BITTERN = SpectrogramTransformer(sr=44100, n_fft=1024, hop_length=512)


def _bittern_net():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3))


def test_least_bittern_exercise():
    """3x3 conv -> 2x2 max-pool -> 3x3 conv: 8 frames x 8 bins, 0.1045 s, 344.5 Hz."""
    table = describe_module(_bittern_net(), (1, 513, 87), features=BITTERN)
    conv2 = [row for row in table.rows if "conv" in row["layer"]][-1]
    assert (conv2["rf_frames"], conv2["rf_bins"]) == (8, 8)
    assert conv2["rf_seconds"] == pytest.approx(0.1045, abs=5e-5)
    assert conv2["rf_hertz"] == pytest.approx(344.5, abs=0.05)
    # far from the call's 0.5 s at 500-600 Hz
    assert not table.covers(target_seconds=0.5)
    assert table.covers(target_hertz=100)


def test_parameter_count_exercise():
    """100 kernels of 5x5x3 with biases on 128x128x3: 7,600 parameters."""
    table = describe_module(nn.Sequential(nn.Conv2d(3, 100, 5)), (3, 128, 128))
    assert table.rows[0]["n_params"] == 7600
    assert table.rows[0]["output_shape"] == (100, 124, 124)
    assert table.n_params == 7600


def test_receptive_field_counts_stride_and_dilation():
    net = nn.Sequential(nn.Conv1d(1, 2, 5, stride=2), nn.Conv1d(2, 2, 3, dilation=2),
                        nn.AvgPool1d(3))
    rfs = [row["rf_frames"] for row in describe_module(net, (1, 200)).rows]
    # 5; 5 + 2*(3-1)*2 = 13; 13 + (3-1)*2 = 17
    assert rfs == [5, 13, 17]


def test_dense_layers_see_the_whole_input():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 11 * 18, 4))
    table = describe_module(net, (1, 13, 20), features=MFCCTransformer(sr=8000))
    assert table.rows[-1]["rf_frames"] == 20 and table.rows[-1]["rf_bins"] == 13
    assert table.receptive_field["rf_frames"] == 3


def test_seconds_formula():
    assert receptive_field_seconds(1, sr=8000, n_fft=512, hop_length=128) == 512 / 8000
    assert receptive_field_seconds(3, sr=8000, n_fft=512, hop_length=128) == (2 * 128 + 512) / 8000


def test_mel_axis_gives_the_widest_span():
    mel = SpectrogramTransformer(sr=8000, n_fft=512, hop_length=128, n_mels=40)
    table = describe_module(nn.Sequential(nn.Conv2d(1, 1, 3)), (1, 40, 63), features=mel)
    import librosa

    grid = librosa.mel_frequencies(n_mels=42, fmax=4000)
    assert table.rows[0]["rf_hertz"] == pytest.approx(grid[-1] - grid[-4])
    # wider than the same 3 bins anywhere lower in the band
    assert table.rows[0]["rf_hertz"] > grid[4] - grid[1]


def test_mfcc_axis_is_cepstral():
    table = describe_module(nn.Sequential(nn.Conv2d(1, 1, 3)), (1, 13, 16),
                            features=MFCCTransformer(sr=8000))
    assert table.rows[0]["rf_hertz"] is None
    assert table.rows[0]["rf_seconds"] == pytest.approx((2 * 512 + 2048) / 8000)
    assert "cepstral" in str(table)


def test_printed_table_is_aligned_with_totals():
    text = str(describe_module(_bittern_net(), (1, 513, 87), features=BITTERN))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["layer", "output_shape", "n_params"]
    assert "Total parameters: 188" in text  # (4*9 + 4) + (4*4*9 + 4)
    assert len({len(line) for line in lines[:5]}) == 1  # header, rule, 3 layers
    assert [line.split()[0] for line in lines[2:5]] == ["conv2d_1", "maxpool2d_1", "conv2d_2"]
    assert "0.1045 s" in text and "344.5 Hz" in text


# ------------------------------------------------------------- estimators, pipelines
@pytest.fixture(scope="module")
def clips():
    rng = np.random.default_rng(0)
    return rng.standard_normal((12, 8000)).astype(np.float32) * 0.1


def test_describe_unfitted_pipeline_with_clips(clips):
    from sklearn.pipeline import Pipeline

    from skcnn import CNNClassifier
    from skcnn.inspection import describe

    pipe = Pipeline([("features", MFCCTransformer(sr=8000)),
                     ("cnn", CNNClassifier(n_filters=(4, 8), hidden_units=(16,)))])
    table = describe(pipe, X=clips, n_outputs=10)
    convs = [row for row in table.rows if "conv" in row["layer"]]
    assert [row["output_shape"] for row in convs] == [(4, 13, 16), (8, 7, 8)]
    assert convs[0]["n_params"] == 4 * 9 + 4
    assert table.rows[-1]["output_shape"] == (10,)
    # rf after conv, pool, conv: 8 frames -> (8 - 1) * 512 + 2048 samples at 8 kHz
    assert convs[1]["rf_frames"] == 8
    assert convs[1]["rf_seconds"] == pytest.approx((7 * 512 + 2048) / 8000)
    assert "rf_hertz" in convs[1] and convs[1]["rf_hertz"] is None
    assert not hasattr(pipe["cnn"], "module_")  # describe leaves the estimator alone


def test_describe_fitted_estimator_matches_its_parameters(clips):
    from skcnn import CNNClassifier
    from skcnn.inspection import describe

    features = SpectrogramTransformer(sr=8000, n_fft=256, hop_length=128, n_mels=20)
    X = features.transform(clips)
    y = np.arange(len(X)) % 3
    net = CNNClassifier(n_filters=(4,), hidden_units=(8,), max_epochs=1, random_state=0).fit(X, y)
    table = describe(net, features)
    n_params = sum(p.numel() for p in net.module_.parameters())
    assert table.n_params == n_params
    assert table.rows[-1]["output_shape"] == (3,)
    assert table.receptive_field["rf_hertz"] > 0


def test_describe_warns_when_the_field_is_too_small(clips):
    from skcnn import CNNClassifier
    from skcnn.inspection import describe

    spec = SpectrogramTransformer(sr=8000, n_fft=256, hop_length=64, n_mels=40)
    # two blocks see 0.104 s; the default four blocks see 0.392 s, not far
    # smaller than 0.5 s
    two_blocks = CNNClassifier(input_norm=None, n_filters=(32, 64), global_pool=None)
    with pytest.warns(UserWarning, match="far smaller than the pattern.*0.5 s"):
        table = describe(two_blocks, spec, X=clips, target_seconds=0.5)
    assert not table.covers(target_seconds=0.5)
    assert table.covers(target_seconds=0.05)


def test_describe_unfitted_without_input_is_a_clear_error():
    from skcnn import CNNClassifier
    from skcnn.inspection import describe

    with pytest.raises(ValueError, match="not fitted: pass example input X"):
        describe(CNNClassifier())


def test_describe_raw_waveform_network():
    from skcnn import CNNClassifier
    from skcnn.inspection import describe

    X = np.zeros((4, 400), dtype=np.float32)
    table = describe(CNNClassifier(n_filters=(4,), kernel_size=9), X=X)
    # the first row is the input norm ('bin' by default), one sample wide
    assert table.rows[0]["layer"].startswith("inputnorm") and table.rows[0]["rf_frames"] == 1
    conv = table.rows[1]
    assert conv["layer"].startswith("conv1d") and conv["rf_frames"] == 9
    assert conv["rf_bins"] is None


def test_any_transformer_that_describes_its_axes_works():
    """describe asks the transformer (feature_span); no isinstance checks."""
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.pipeline import Pipeline

    from skcnn import CNNClassifier
    from skcnn.inspection import describe

    class Halves(TransformerMixin, BaseEstimator):
        """A made-up front end: every bin spans 100 Hz, every frame 0.5 s."""

        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return np.zeros((len(X), 1, 16, 16), dtype=np.float32)

        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.requires_fit = False  # stateless, as skcnn's transformers
            return tags

        def feature_span(self, n_bins, n_frames):
            return {"seconds": 0.5 * n_frames, "hertz": 100.0 * n_bins, "semitones": None,
                    "frequency_axis": "linear"}

    pipe = Pipeline([("front", Halves()), ("cnn", CNNClassifier(n_filters=(4,), kernel_size=3,
                                                                 pooling=None))])
    table = describe(pipe, X=np.zeros((2, 100)))
    assert table.receptive_field == {"rf_frames": 3, "rf_bins": 3, "rf_seconds": 1.5,
                                     "rf_hertz": 300.0, "rf_semitones": None}


def test_win_length_shortens_the_span_in_seconds():
    net = nn.Sequential(nn.Conv2d(1, 1, 3))
    full = describe_module(net, (1, 64, 40), features=SpectrogramTransformer(
        sr=8000, n_fft=512, hop_length=128))
    short = describe_module(net, (1, 64, 40), features=SpectrogramTransformer(
        sr=8000, n_fft=512, hop_length=128, win_length=256))
    assert full.receptive_field["rf_seconds"] == pytest.approx((2 * 128 + 512) / 8000)
    assert short.receptive_field["rf_seconds"] == pytest.approx((2 * 128 + 256) / 8000)


def test_constant_q_axis_gives_semitones():
    from skcnn import CQTTransformer

    cqt = CQTTransformer(sr=8000, hop_length=128, fmin=65.4, n_bins=72, bins_per_octave=24)
    net = nn.Sequential(nn.Conv2d(1, 4, 5), nn.MaxPool2d(2), nn.Conv2d(4, 4, 5))
    table = describe_module(net, (1, 72, 32), features=cqt)
    rf = table.receptive_field
    assert rf["rf_bins"] == 14 and rf["rf_semitones"] == 14 * 12 / 24
    assert rf["rf_hertz"] == cqt.feature_span(14, rf["rf_frames"])["hertz"]
    assert "semitones" in str(table)


# ------------------------------------------------------------- segment wrappers
def test_describe_segment_wrappers_describe_the_wrapped_pipeline(clips):
    """describe(SegmentClassifier(...)) used to raise AttributeError (no build_module)."""
    from sklearn.pipeline import Pipeline

    from skcnn import CNNClassifier, CNNRegressor, SegmentClassifier, SegmentRegressor
    from skcnn.inspection import describe

    def pipe(net):
        return Pipeline([("features", MFCCTransformer(sr=8000)), ("cnn", net)])

    net = dict(n_filters=(4, 8), hidden_units=(16,))
    seg = SegmentClassifier(pipe(CNNClassifier(**net)), segment_seconds=0.5, hop_seconds=0.25,
                            sr=8000)
    table = describe(seg, X=clips, n_outputs=10)
    # the network sees half-second segments (4000 samples: 8 MFCC frames), not whole clips
    segments = seg.segment(clips)[0]
    expected = describe(pipe(CNNClassifier(**net)), X=segments, n_outputs=10)
    assert [r["output_shape"] for r in table.rows] == [r["output_shape"] for r in expected.rows]
    assert table.rows[-1]["output_shape"] == (10,)
    assert table.receptive_field == expected.receptive_field
    assert table.segments == [{"wrapper": "SegmentClassifier", "segment_length": 4000,
                               "hop_length": 2000, "sr": 8000, "segment_seconds": 0.5,
                               "hop_seconds": 0.25, "aggregate": "mean"}]
    text = str(table)
    assert ("SegmentClassifier cuts recordings into segments of 4000 samples (0.5 s at 8000 Hz), "
            "every 2000 samples (0.25 s)") in text
    assert not hasattr(seg, "estimator_")  # describe leaves the wrapper alone

    # fitted: the fitted network, and the lengths it was fitted with
    y = np.arange(len(clips)) % 2
    reg = SegmentRegressor(pipe(CNNRegressor(**net, max_epochs=1, random_state=0)),
                           segment_seconds=0.5, sr=8000).fit(clips, y.astype(np.float32))
    table = describe(reg)
    assert table.n_params == sum(p.numel() for p in reg.estimator_[-1].module_.parameters())
    assert table.segments[0]["segment_length"] == table.segments[0]["hop_length"] == 4000
    assert table.receptive_field["rf_seconds"] is not None

    with pytest.raises(ValueError, match="not fitted: pass example input X"):
        describe(SegmentClassifier(pipe(CNNClassifier()), segment_seconds=0.5, sr=8000))


@pytest.mark.parametrize("bad", [np.nan, np.inf, 0.0, -1.0, "0.5"])
def test_targets_must_be_positive_finite_numbers(bad):
    """target_seconds=nan used to compare False, so any network 'covered' it, without a word."""
    table = describe_module(_bittern_net(), (1, 513, 87), features=BITTERN)
    with pytest.raises(ValueError, match=rf"target_seconds={bad!r} must be a finite positive number"):
        table.covers(target_seconds=bad)
    with pytest.raises(ValueError, match=rf"target_hertz={bad!r} must be a finite positive number"):
        table.covers(target_hertz=bad)

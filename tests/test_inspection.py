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

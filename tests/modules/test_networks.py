"""Tests of the plain torch modules."""

import pytest
import torch
from torch import nn

from skcnn.modules import CNN, GlobalPool, InputNorm, LeNet5
from skcnn.modules._layers import BatchNorm2d


@pytest.mark.parametrize(
    "input_shape, conv",
    [((1, 13, 16), nn.Conv2d), ((2, 40, 9), nn.Conv2d), ((1, 100), nn.Conv1d),
     ((3, 7), nn.Conv1d)],
)
def test_rank_picks_convolution_and_output_shape(input_shape, conv):
    net = CNN(input_shape, n_outputs=5)
    convs = [m for m in net.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))]
    assert convs and all(type(m) is conv for m in convs)
    assert net(torch.randn(4, *input_shape)).shape == (4, 5)


@pytest.mark.parametrize(
    "kwargs",
    [dict(stride=2), dict(stride=(2, 1), kernel_size=(5, 3)), dict(padding=1),
     dict(padding="valid", kernel_size=2), dict(pooling="avg", pool_size=3),
     dict(pooling=None), dict(n_filters=(4, 4, 4, 4)), dict(n_filters=()),
     dict(hidden_units=()), dict(hidden_units=(8, 8), dropout=0.5),
     dict(kernel_size=4), dict(batchnorm=False, activation="tanh")],
)
def test_inferred_shapes_match_forward(kwargs):
    """The flattened size is computed, never hard-coded: forward must run."""
    # the flattening head of two blocks that these cases vary, not the
    # globally pooled default network (whose head does not depend on shapes)
    params = dict(input_norm=None, n_filters=(32, 64), global_pool=None)
    net = CNN((1, 13, 16), n_outputs=3, **{**params, **kwargs}).eval()
    assert net(torch.randn(2, 1, 13, 16)).shape == (2, 3)


def test_block_order():
    net = CNN((1, 8, 8), 2, input_norm=None, n_filters=(4,), batchnorm=True,
              dropout=0.1, global_pool=None)
    kinds = [type(m) for m in net.features]
    # skcnn's BatchNorm2d: torch's, that also trains on one value per channel
    assert kinds == [nn.Conv2d, BatchNorm2d, nn.ReLU, nn.MaxPool2d,
                     nn.Dropout, nn.Flatten]
    # the default network: the input's batch norm first, global pooling last
    net = CNN((1, 8, 8), 2, n_filters=(4,), dropout=0.1)
    kinds = [type(m) for m in net.features]
    assert kinds == [InputNorm, nn.Conv2d, BatchNorm2d, nn.ReLU,
                     nn.MaxPool2d, nn.Dropout, GlobalPool]
    assert net.features[0].per == "bin" and net.features[-1].mode == "avgmax"


def test_pooling_adapts_to_tiny_maps():
    """Ceil-mode pooling takes a 1 x 1 map to 1 x 1 instead of failing."""
    net = CNN((1, 1, 1), 2, n_filters=(4, 4, 4)).eval()
    assert net(torch.randn(2, 1, 1, 1)).shape == (2, 2)


def test_too_small_for_valid_convolution():
    with pytest.raises(ValueError, match=r"too small: convolution block 1"):
        CNN((1, 8, 8), 2, kernel_size=5, padding="valid", pooling=None)


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(activation="swish"), "activation='swish' is not supported"),
     (dict(pooling="min"), "pooling='min' is not supported"),
     (dict(dropout=-0.1), r"dropout=-0.1 must be in \[0, 1\)"),
     (dict(kernel_size=(3, 3, 3)), "kernel_size=.* tuple of 2 ints")],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CNN((1, 8, 8), 2, **kwargs)


@pytest.mark.parametrize("input_shape", [(1, 2, 3, 4), (1,), (0, 10)])
def test_bad_input_shape(input_shape):
    with pytest.raises(ValueError, match="input_shape"):
        CNN(input_shape, 2)


def test_kaiming_init_for_relu():
    """He init: weight variance 2 / fan_in for ReLU layers; zero biases."""
    torch.manual_seed(0)
    net = CNN((64, 32, 32), 2, n_filters=(256,), kernel_size=3,
              hidden_units=(8,))
    # the first layer is the input's batch norm (weights 1) by default
    conv = next(m for m in net.features if isinstance(m, nn.Conv2d))
    fan_in = 64 * 3 * 3
    assert conv.weight.var().item() == pytest.approx(2 / fan_in, rel=0.05)
    assert torch.all(conv.bias == 0)


def test_glorot_init_for_tanh():
    torch.manual_seed(0)
    net = CNN((64, 32, 32), 2, n_filters=(256,), activation="tanh",
              hidden_units=(8,))
    conv = next(m for m in net.features if isinstance(m, nn.Conv2d))
    fan_in, fan_out = 64 * 9, 256 * 9
    gain = 5 / 3
    expected = gain**2 * 2 / (fan_in + fan_out)
    assert conv.weight.var().item() == pytest.approx(expected, rel=0.05)


def test_keras_network_of_the_course_notes():
    net = CNN((1, 28, 28), 10, input_norm=None, n_filters=(32, 64),
              kernel_size=5, padding="valid", pooling="max", pool_size=2,
              batchnorm=False, global_pool=None, hidden_units=(1000,))
    # 28 -conv5-> 24 -pool-> 12 -conv5-> 8 -pool-> 4: 64 * 4 * 4 = 1024 inputs
    assert net.head[0].in_features == 64 * 4 * 4
    assert net.head[0].out_features == 1000
    assert net(torch.randn(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("input_shape", [(1, 28, 28), (1, 13, 16), (2, 64)])
def test_lenet5(input_shape):
    net = LeNet5(input_shape, 10)
    assert net(torch.randn(3, *input_shape)).shape == (3, 10)
    if input_shape == (1, 28, 28):
        assert sum(p.numel() for p in net.parameters()) == 61706


def test_lenet5_too_small():
    with pytest.raises(ValueError, match="too small for LeNet-5"):
        LeNet5((1, 8, 8), 10)


def test_input_norm_standardises_each_bin_or_channel():
    import torch

    from skcnn.modules import InputNorm

    torch.manual_seed(0)
    # bins on very different scales, as dB maps and MFCCs have
    scale = torch.linspace(1, 100, 12).view(1, 1, 12, 1)
    X = torch.randn(64, 2, 12, 30) * scale - scale
    by_bin = InputNorm((2, 12, 30), "bin").train()(X)
    mean, std = by_bin.mean(dim=(0, 3)), by_bin.std(dim=(0, 3))
    assert torch.allclose(mean, torch.zeros_like(mean), atol=1e-4)
    assert torch.allclose(std, torch.ones_like(std), atol=1e-2)
    per_channel = InputNorm((2, 12, 30), "channel").train()(X)
    assert torch.allclose(per_channel.mean(dim=(0, 2, 3)), torch.zeros(2), atol=1e-4)
    assert not torch.allclose(per_channel.std(dim=(0, 3)), torch.ones(2, 12), atol=0.1)
    wave = InputNorm((3, 50), "bin").train()(torch.randn(16, 3, 50) * 5 + 2)
    assert torch.allclose(wave.mean(dim=(0, 2)), torch.zeros(3), atol=1e-4)


def test_input_norm_in_the_network_and_its_errors():
    import pytest
    import torch

    from skcnn.modules import CNN, InputNorm

    net = CNN((1, 40, 63), 3, input_norm="bin", global_pool="avg")
    assert isinstance(net.features[0], InputNorm)
    assert net.features[0].num_features == 40
    assert net(torch.zeros(2, 1, 40, 100)).shape == (2, 3)  # other lengths
    with pytest.raises(ValueError, match="input_norm='bin' was built for 40"):
        net(torch.zeros(2, 1, 30, 63))
    with pytest.raises(ValueError, match="input_norm='frame' is not supported"):
        CNN((1, 40, 63), 3, input_norm="frame")


def test_input_norm_clip_measures_each_clip_against_its_own_level():
    import torch

    from skcnn.modules import InputNorm

    torch.manual_seed(0)
    X = torch.randn(16, 2, 12, 31) * 3
    # each clip's background 0-60 dB louder in each bin: the same clips after
    # 'clip', not after 'bin'
    offset = torch.rand(16, 2, 12, 1) * 60
    clip, by_bin = InputNorm((2, 12, 31), "clip"), InputNorm((2, 12, 31), "bin")
    clip.train()(X)  # running statistics from the quiet clips
    by_bin.train()(X)
    clip.eval(), by_bin.eval()
    assert torch.allclose(clip(X + offset), clip(X), atol=1e-4)
    assert not torch.allclose(by_bin(X + offset), by_bin(X), atol=1.0)
    # every clip's median in a bin lands on the same value: the per-bin
    # batch norm is one affine map per bin, applied after the median is gone
    medians = InputNorm((2, 12, 31), "clip").train()(X + offset).median(dim=-1).values
    assert torch.allclose(medians, medians[:1].expand_as(medians), atol=1e-5)
    assert not torch.allclose(medians[0], medians[0, :1, :1].expand(2, 12), atol=1e-2)
    # 1-D inputs: the median over the length, per channel
    wave = InputNorm((3, 50), "clip").eval()
    W = torch.randn(4, 3, 50)
    assert torch.allclose(wave(W + torch.rand(4, 3, 1) * 9), wave(W), atol=1e-4)
    assert InputNorm((2, 12, 31), "clip").num_features == 24


def test_input_norm_clip_keeps_the_fitted_bins():
    import pytest
    import torch

    from skcnn.modules import CNN

    net = CNN((1, 40, 63), 3, input_norm="clip", global_pool="avg").eval()
    assert net(torch.zeros(2, 1, 40, 100)).shape == (2, 3)
    with pytest.raises(ValueError, match="input_norm='clip' was built for 40"):
        net(torch.zeros(2, 1, 30, 63))

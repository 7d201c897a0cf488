"""Building blocks shared by skcnn's networks: constants, initialisation,
the input norm and global pooling.

Plain torch, no scikit-learn or skorch. :mod:`skcnn.modules` (the whole-clip
:class:`~skcnn.modules.CNN` and LeNet-5) and :mod:`skcnn.modules._frame` (the
per-frame and per-pixel networks) build from these; both are public through
:mod:`skcnn.modules`.
"""

from numbers import Integral

import torch
from torch import nn
from torch.nn import functional

__all__ = ["BatchNorm1d", "BatchNorm2d", "GlobalPool", "InputNorm", "SwapAxes", "ACTIVATIONS",
           "POOLINGS",
           "GLOBAL_POOLINGS", "FREQUENCY_POOLINGS", "INPUT_NORMS", "NETWORK_DEFAULTS",
           "PER_BIN_NORMS"]

#: The configurable network's knobs and their defaults, written once: the
#: :class:`~skcnn.modules.CNN` signature, the estimators' signatures and their docstrings
#: all read this mapping.
NETWORK_DEFAULTS = {
    "input_norm": "bin",
    "n_filters": (16, 32, 64, 128),
    "kernel_size": 3,
    "stride": 1,
    "padding": "same",
    "pooling": "max",
    "pool_size": 2,
    "dropout": 0.0,
    "batchnorm": True,
    "activation": "relu",
    "global_pool": "avgmax",
    "hidden_units": (128,),
}

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
POOLINGS = ("max", "avg")
GLOBAL_POOLINGS = ("avg", "max", "avgmax", "time")
#: what a per-frame network's ``global_pool`` pools over the bins (it keeps the frames)
FREQUENCY_POOLINGS = ("avg", "max", "avgmax")
INPUT_NORMS = ("bin", "channel", "clip")
#: the input norms with statistics per (channel, bin): they fix the number of bins
PER_BIN_NORMS = ("bin", "clip")
_RELU_FAMILY = ("relu", "leaky_relu", "elu", "gelu")


def _as_tuple(value, ndim, name):
    """Broadcast an int to ``ndim`` ints; check a tuple's length."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return (int(value),) * ndim
    value = tuple(int(v) for v in value)
    if len(value) != ndim:
        raise ValueError(
            f"{name}={value!r} must be an int or a tuple of {ndim} ints for "
            f"{ndim}-D convolutions"
        )
    return value


def _conv_padding(padding, kernel, stride):
    """Per-axis padding ints and the torch argument for a convolution."""
    if padding == "same":
        if all(s == 1 for s in stride):
            return "same", None
        # torch refuses 'same' with strides; pad symmetrically instead
        return tuple(k // 2 for k in kernel), tuple(k // 2 for k in kernel)
    if padding == "valid":
        return 0, (0,) * len(kernel)
    pad = _as_tuple(padding, len(kernel), "padding")
    return pad, pad


def _activation(name):
    """The activation layer; in place where torch offers it (every one here
    follows a convolution, batch norm or dense layer, whose backward does not
    need its output), which saves a copy of the largest maps."""
    if name in ("relu", "leaky_relu", "elu"):
        return ACTIVATIONS[name](inplace=True)
    return ACTIVATIONS[name]()


def _init_weights(layer, activation):
    """He normal for ReLU-family activations, Glorot otherwise; zero biases."""
    if activation in _RELU_FAMILY:
        nonlinearity = "leaky_relu" if activation == "leaky_relu" else "relu"
        nn.init.kaiming_normal_(layer.weight, nonlinearity=nonlinearity)
    else:
        gain = nn.init.calculate_gain(activation) if activation else 1.0
        nn.init.xavier_uniform_(layer.weight, gain=gain)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def _check_block_params(activation, pooling, dropout):
    """A ValueError naming the first of the blocks' knobs that is not allowed."""
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation={activation!r} is not supported; use one of {sorted(ACTIVATIONS)}"
        )
    if pooling is not None and pooling not in POOLINGS:
        raise ValueError(f"pooling={pooling!r} is not supported; use 'max', 'avg' or None")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout={dropout!r} must be in [0, 1)")


def _check_input_shape(input_shape):
    input_shape = tuple(int(s) for s in input_shape)
    if len(input_shape) not in (2, 3) or min(input_shape) < 1:
        raise ValueError(
            f"input_shape={input_shape!r} must be (channels, length) for 1-D "
            "or (channels, height, width) for 2-D convolutions, all positive"
        )
    return input_shape


class SwapAxes(nn.Module):
    """The last two axes of the maps swapped: ``(n, channels, a, b)`` to ``(n, channels, b, a)``.

    skcnn's maps put frequency before time; a network whose kernels were
    trained on maps with time first (PANNs) swaps them with this layer, a
    module rather than a bare ``transpose`` so that
    :func:`skcnn.inspection.describe` follows which axis is time through it.

    Examples
    --------
    >>> import torch
    >>> SwapAxes()(torch.zeros(2, 1, 64, 101)).shape
    torch.Size([2, 1, 101, 64])
    """

    def forward(self, X):
        return X.transpose(-1, -2)


class GlobalPool(nn.Module):
    """Pool every map of a block over time (and frequency), whatever its length.

    For 2-D maps ``(n, channels, n_bins, n_frames)``: 'avg' averages and
    'max' takes the maximum over bins and frames together; 'avgmax' first
    averages over the bins (frequency), then adds the maximum and the mean
    over the frames (time), as in PANNs (Kong et al., 2020), so that a loud
    short event and a long quiet one both register. 'time' adds the maximum
    and the mean over the frames only and keeps the bins: ``channels *
    n_bins`` features, so a pattern's place in frequency (a pitch) stays
    readable while clips of any length still give the same features. For 1-D
    maps ``(n, channels, length)`` the length is time ('avgmax' and 'time'
    agree).

    Parameters
    ----------
    mode : {'avg', 'max', 'avgmax', 'time'}
        How to pool.

    Examples
    --------
    >>> import torch
    >>> GlobalPool("avgmax")(torch.ones(2, 8, 5, 7)).shape
    torch.Size([2, 8])
    >>> GlobalPool("time")(torch.ones(2, 8, 5, 7)).shape
    torch.Size([2, 40])
    """

    def __init__(self, mode):
        super().__init__()
        if mode not in GLOBAL_POOLINGS:
            raise ValueError(
                f"global_pool={mode!r} is not supported; use one of "
                f"{list(GLOBAL_POOLINGS)} or None"
            )
        self.mode = mode

    def forward(self, X):
        if self.mode == "avg":
            return X.flatten(2).mean(dim=2)
        if self.mode == "max":
            return X.flatten(2).amax(dim=2)
        if self.mode == "time":
            return (X.amax(dim=-1) + X.mean(dim=-1)).flatten(1)
        if X.dim() == 4:
            X = X.mean(dim=2)  # frequency first
        return X.amax(dim=2) + X.mean(dim=2)

    def extra_repr(self):
        return f"mode={self.mode!r}"


class _OneValueBatches:
    """A torch batch norm that also trains on a batch of one value per channel.

    torch refuses such a batch in training ("Expected more than 1 value per
    channel"): one value has no variance. It happens when an epoch's last
    batch holds one clip whose maps are one value per channel (a frame
    network's clip of one frame, a map pooled down to 1 x 1). That batch is
    normalised with the running statistics, as at prediction, and leaves
    them as they are, so the clip still trains the network; dropping it
    instead would leave the odd clip out of that epoch. Every batch with
    more than one value per channel goes through torch's batch norm
    unchanged.
    """

    def forward(self, X):
        if self.training and X.numel() == X.shape[1] and self.running_mean is not None:
            return functional.batch_norm(
                X, self.running_mean, self.running_var, self.weight, self.bias,
                training=False, momentum=0.0, eps=self.eps)
        return super().forward(X)


class BatchNorm1d(_OneValueBatches, nn.BatchNorm1d):
    """torch's ``BatchNorm1d`` that trains on a batch of one value per channel
    with the running statistics (see :class:`BatchNorm2d`).

    Examples
    --------
    >>> import torch
    >>> BatchNorm1d(4).train()(torch.randn(1, 4, 1)).shape
    torch.Size([1, 4, 1])
    """


class BatchNorm2d(_OneValueBatches, nn.BatchNorm2d):
    """torch's ``BatchNorm2d`` that also trains on a batch of one value per channel.

    torch refuses such a batch in training: one value has no variance. It is
    normalised with the running statistics instead, as at prediction, and
    leaves them as they are; any other batch goes through torch's batch
    norm unchanged.

    Parameters
    ----------
    num_features : int
        Number of channels.

    Examples
    --------
    >>> import torch
    >>> BatchNorm2d(4).train()(torch.randn(1, 4, 1, 1)).shape
    torch.Size([1, 4, 1, 1])
    """


class InputNorm(BatchNorm1d):
    """Batch normalisation of the network's input, per bin or per channel.

    Audio features come on scales of their own (dB maps from -80 to 0,
    MFCC 0 in the hundreds, raw waveforms near 0); a batch norm in front of
    the first convolution learns to standardise them, so no scaler is
    needed before the network. 'bin' keeps a mean and a variance for each
    (channel, frequency bin) pair of a 2-D input ``(n, channels, n_bins,
    n_frames)``, pooled over clips and frames, as the input batch norm of
    PANNs (Kong et al., 2020) does over mel bands: low and high bands are
    scaled apart. 'channel' keeps one pair per channel. 'clip' first
    subtracts from each clip its own median over frames, per (channel, bin),
    then normalises per bin as 'bin' does: a dB map then measures each
    pixel against its clip's typical level in that bin (its noise floor,
    when the sound of interest fills fewer than half the frames), so a
    network whose receptive field is short next to the clip still sees
    how loud the background is. It is cepstral mean normalisation made
    robust to the foreground, and it pays off where that level varies from
    clip to clip (separation: :ref:`results <results_frames>`). For 1-D
    inputs ``(n, channels, length)`` every option is per channel ('clip'
    subtracts the median over the length).

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, length)`` or ``(channels, n_bins, n_frames)``.
    per : {'bin', 'channel', 'clip'}
        What gets its own statistics.

    Examples
    --------
    >>> import torch
    >>> norm = InputNorm((1, 40, 63), "bin")
    >>> norm(torch.randn(8, 1, 40, 63) * 20 - 50).shape
    torch.Size([8, 1, 40, 63])
    """

    def __init__(self, input_shape, per):
        if per not in INPUT_NORMS:
            raise ValueError(
                f"input_norm={per!r} is not supported; use one of {list(INPUT_NORMS)} or None"
            )
        input_shape = tuple(int(s) for s in input_shape)
        self.per = per
        self.by_bin = per in PER_BIN_NORMS and len(input_shape) == 3
        super().__init__(input_shape[0] * input_shape[1] if self.by_bin else input_shape[0])

    def forward(self, X):
        if self.per == "clip":
            # torch.median takes the lower of the two middle values of an
            # even count; either one is a robust level
            X = X - X.median(dim=-1, keepdim=True).values
        if X.dim() == 4:
            if self.by_bin and X.shape[1] * X.shape[2] != self.num_features:
                raise ValueError(
                    f"input_norm={self.per!r} was built for {self.num_features} "
                    f"(channel, bin) pairs; got maps with {X.shape[1]} channels "
                    f"of {X.shape[2]} bins"
                )
            flat = X.flatten(1, 2) if self.by_bin else X.flatten(2)
            out = super().forward(flat).view(X.shape)
            if X.is_contiguous(memory_format=torch.channels_last):
                out = out.contiguous(memory_format=torch.channels_last)
            return out
        return super().forward(X)

    def extra_repr(self):
        return f"per={self.per!r}, " + super().extra_repr()

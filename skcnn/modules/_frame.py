"""Networks with an output per frame (FrameCNN) and per pixel (MaskCNN).

Plain torch, public through :mod:`skcnn.modules`. Both take 2-D maps
``(channels, n_bins, n_frames)`` and keep the frame axis of their output
aligned with the input's, frame for frame, so that targets made for one
``hop_length`` line up with the outputs.

Why the shapes are built as they are
------------------------------------
FrameCNN pools along frequency only: every block keeps all frames, so no
upsampling has to guess where an event starts or ends, and what one output
frame sees is exact (:func:`skcnn.inspection.describe`). What it sees in
time comes from a stack of dilated 1-D convolutions over the frames
(``time_context`` layers of kernel 3, dilations 1, 2, 4, ...: 2 ** (k + 1) -
2 more frames for k layers), as in temporal convolutional networks (Bai et
al., 2018), at the cost of the 2-D maps'. Or, with ``temporal='gru'`` or
``'lstm'``, bidirectional recurrent layers over the frames, as in the
convolutional recurrent networks (CRNN) of sound event detection (Cakir et
al., 2017; the DCASE baselines): every output then sees the whole clip.
Pooling frames too and
interpolating them back, tried first, made a training step faster (less
to compute on the pooled maps; see the results page, 'Pooled frames') but
blurred event boundaries by the pooled step, and its receptive field then depends on
a frame's position within a pooled cell; it was dropped.

MaskCNN is a small U-Net (Ronneberger et al., 2015; for spectrogram masks
Jansson et al., 2017): blocks that halve both axes, then blocks that
upsample back and concatenate the encoder's maps of the same size, then a
1 x 1 convolution to one logit per pixel. Most of the computing happens on
the pooled maps, and the skip connections give back the full resolution.
"""

import torch
from torch import nn
from torch.nn import functional

from ._layers import (
    FREQUENCY_POOLINGS, NETWORK_DEFAULTS, BatchNorm1d, BatchNorm2d, InputNorm, _activation,
    _as_tuple, _check_block_params, _init_weights,
)

__all__ = ["FrameCNN", "MaskCNN", "BidirectionalRecurrent", "FRAME_NETWORK_DEFAULTS",
           "MASK_NETWORK_DEFAULTS", "TEMPORAL_HEADS"]

#: The per-frame network's knobs and defaults: the whole-clip network's
#: (:data:`skcnn.modules.NETWORK_DEFAULTS`) but for the pooling over
#: frequency (None: a frame's channels and bins are flattened, which keeps
#: where in frequency a pattern is, as pitch needs) and the time context.
FRAME_NETWORK_DEFAULTS = {
    **{k: v for k, v in NETWORK_DEFAULTS.items() if k not in ("stride", "padding")},
    "global_pool": None,
    "time_context": 4,
    "temporal": "conv",
}

#: The kinds of temporal head: dilated convolutions, or bidirectional GRU or
#: LSTM layers.
TEMPORAL_HEADS = ("conv", "gru", "lstm")

#: The mask network's knobs and defaults: encoder widths of the U-Net
#: (the decoder mirrors them), pooled by 2 on both axes between levels.
MASK_NETWORK_DEFAULTS = {
    # each clip against its own background, which lies beyond the U-Net's
    # receptive field: better masks than 'bin' leaving each FSDD speaker out
    # (see the results page, 'Frames and pixels')
    "input_norm": "clip",
    "n_filters": (16, 32, 64),
    "kernel_size": NETWORK_DEFAULTS["kernel_size"],
    "pooling": NETWORK_DEFAULTS["pooling"],
    "pool_size": NETWORK_DEFAULTS["pool_size"],
    "dropout": NETWORK_DEFAULTS["dropout"],
    "batchnorm": NETWORK_DEFAULTS["batchnorm"],
    "activation": NETWORK_DEFAULTS["activation"],
}


def _check_common(input_shape, activation, pooling, dropout, kernel_size):
    input_shape = tuple(int(s) for s in input_shape)
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise ValueError(
            f"input_shape={input_shape!r} must be (channels, n_bins, n_frames), all "
            "positive: per-frame and per-pixel networks take 2-D maps"
        )
    _check_block_params(activation, pooling, dropout)
    kernel = _as_tuple(kernel_size, 2, "kernel_size")
    if any(k % 2 == 0 for k in kernel):
        raise ValueError(
            f"kernel_size={kernel_size!r} must be odd: 'same' padding of an even "
            "kernel shifts the maps by half a frame"
        )
    return input_shape, kernel


def _conv_block(n_in, n_out, kernel, batchnorm, activation, dropout):
    conv = nn.Conv2d(n_in, n_out, kernel, padding="same")
    _init_weights(conv, activation)
    layers = [conv]
    if batchnorm:
        layers.append(BatchNorm2d(n_out))
    layers.append(_activation(activation))
    if dropout:
        layers.append(nn.Dropout(dropout))
    return layers


class FrequencyPool(nn.Module):
    """Pool ``(n, channels, n_bins, n_frames)`` maps over their bins.

    'avg', 'max', 'avgmax' (the sum of both), or None to flatten channels and
    bins into ``channels * n_bins`` features per frame. Returns ``(n,
    features, n_frames)``.
    """

    def __init__(self, mode):
        super().__init__()
        if mode is not None and mode not in FREQUENCY_POOLINGS:
            raise ValueError(
                f"global_pool={mode!r} is not supported; use one of "
                f"{list(FREQUENCY_POOLINGS)} or None"
            )
        self.mode = mode

    def forward(self, X):
        if self.mode is None:
            return X.flatten(1, 2)
        if self.mode == "avg":
            return X.mean(dim=2)
        if self.mode == "max":
            return X.amax(dim=2)
        return X.mean(dim=2) + X.amax(dim=2)

    def extra_repr(self):
        return f"mode={self.mode!r}"


class BidirectionalRecurrent(nn.Module):
    """Bidirectional GRU or LSTM layers over the frames of ``(n, features, n_frames)``.

    torch's recurrent layers take ``(n, n_frames, features)`` and return a
    tuple; this one keeps the frame networks' layout, so that it stands where
    the dilated convolutions stand. Its output has ``2 * hidden_size``
    features per frame (both directions); every output frame depends on
    every input frame. ``dropout`` applies between the layers (torch's own).
    """

    def __init__(self, kind, input_size, hidden_size, num_layers, dropout=0.0):
        super().__init__()
        if kind not in ("gru", "lstm"):
            raise ValueError(f"kind={kind!r} must be 'gru' or 'lstm'")
        rnn = nn.GRU if kind == "gru" else nn.LSTM
        self.rnn = rnn(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                       bidirectional=True, dropout=dropout if num_layers > 1 else 0.0)

    def forward(self, X):
        out, _ = self.rnn(X.transpose(1, 2).contiguous())
        return out.transpose(1, 2)


class FrameCNN(nn.Module):
    """Convolutional network with one output vector per input frame.

    2-D blocks (convolution with 'same' padding -> optional batch norm ->
    activation -> pooling over frequency -> dropout), then the bins pooled
    (``global_pool``) or flattened, then a temporal head of ``time_context``
    layers (dilated 1-D convolutions over the frames, each with a batch norm
    if ``batchnorm``; or bidirectional recurrent layers), ``hidden_units``
    per-frame dense layers
    (1 x 1 convolutions) and a per-frame linear output. The output has shape
    ``(n, n_outputs, n_frames)``: logits or values for every frame of the
    input, whatever its number of frames.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, n_bins, n_frames)``.
    n_outputs : int
        Output units per frame.
    input_norm, n_filters, kernel_size, pooling, dropout, batchnorm, \
activation, hidden_units
        As in :class:`skcnn.modules.CNN`; ``kernel_size`` must be odd.
    pool_size : int, default=2
        Bins pooled per block (frames are never pooled).
    global_pool : {'avg', 'max', 'avgmax'} or None, default=None
        How a frame's bins are pooled after the blocks; None flattens them
        with the channels (the number of bins is then fixed).
    time_context : int, default=4
        Dilated 1-D convolutions (kernel 3, dilation ``2 ** i``) over the
        frames; each adds ``2 ** (i + 1)`` frames to what an output sees.
        With a recurrent ``temporal`` head, the number of bidirectional
        recurrent layers.
    temporal : {'conv', 'gru', 'lstm'}, default='conv'
        The temporal head: dilated convolutions (what an output sees is
        bounded), or bidirectional GRU or LSTM layers of ``n_filters[-1]``
        units per direction (each output sees the whole clip: a CRNN).
        Recurrent layers keep torch's default initialisation.

    Examples
    --------
    >>> import torch
    >>> net = FrameCNN((1, 40, 63), 5)
    >>> net(torch.zeros(2, 1, 40, 63)).shape
    torch.Size([2, 5, 63])
    >>> net(torch.zeros(2, 1, 40, 100)).shape  # any number of frames
    torch.Size([2, 5, 100])
    >>> crnn = FrameCNN((1, 40, 63), 5, time_context=1, temporal="gru")
    >>> crnn(torch.zeros(2, 1, 40, 63)).shape
    torch.Size([2, 5, 63])
    """

    def __init__(
        self,
        input_shape,
        n_outputs,
        input_norm=FRAME_NETWORK_DEFAULTS["input_norm"],
        n_filters=FRAME_NETWORK_DEFAULTS["n_filters"],
        kernel_size=FRAME_NETWORK_DEFAULTS["kernel_size"],
        pooling=FRAME_NETWORK_DEFAULTS["pooling"],
        pool_size=FRAME_NETWORK_DEFAULTS["pool_size"],
        dropout=FRAME_NETWORK_DEFAULTS["dropout"],
        batchnorm=FRAME_NETWORK_DEFAULTS["batchnorm"],
        activation=FRAME_NETWORK_DEFAULTS["activation"],
        global_pool=FRAME_NETWORK_DEFAULTS["global_pool"],
        hidden_units=FRAME_NETWORK_DEFAULTS["hidden_units"],
        time_context=FRAME_NETWORK_DEFAULTS["time_context"],
        temporal=FRAME_NETWORK_DEFAULTS["temporal"],
    ):
        super().__init__()
        self.input_shape = input_shape
        self.n_outputs = n_outputs
        self.input_norm = input_norm
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.pooling = pooling
        self.pool_size = pool_size
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.activation = activation
        self.global_pool = global_pool
        self.hidden_units = hidden_units
        self.time_context = time_context
        self.temporal = temporal
        self.features, self.head = self._build()
        self.to(memory_format=torch.channels_last)

    def _build(self):
        input_shape, kernel = _check_common(
            self.input_shape, self.activation, self.pooling, self.dropout, self.kernel_size)
        if isinstance(self.pool_size, (tuple, list)) and len(self.pool_size) != 1:
            raise ValueError(
                f"pool_size={self.pool_size!r}: a per-frame network pools frequency "
                "only, so pool_size is one int (the bins pooled per block)"
            )
        window = (_as_tuple(self.pool_size, 1, "pool_size")[0], 1)
        if int(self.time_context) < 0:
            raise ValueError(f"time_context={self.time_context!r} must be an int >= 0")
        if self.temporal not in TEMPORAL_HEADS:
            raise ValueError(f"temporal={self.temporal!r} must be one of {list(TEMPORAL_HEADS)}")
        channels, n_bins = input_shape[0], input_shape[1]
        layers = []
        if self.input_norm is not None:
            layers.append(InputNorm(input_shape, self.input_norm))
        for n_out in self.n_filters:
            layers += _conv_block(channels, int(n_out), kernel, self.batchnorm,
                                  self.activation, self.dropout)
            if self.pooling is not None:
                pool = nn.MaxPool2d if self.pooling == "max" else nn.AvgPool2d
                layers.append(pool(window, ceil_mode=True))
                n_bins = -(-n_bins // window[0])
            channels = int(n_out)
        layers.append(FrequencyPool(self.global_pool))
        n_in = channels * n_bins if self.global_pool is None else channels

        head = []
        width = int(self.n_filters[-1])
        if self.temporal != "conv" and int(self.time_context) > 0:
            head.append(BidirectionalRecurrent(self.temporal, n_in, width,
                                               int(self.time_context), self.dropout))
            if self.dropout:
                head.append(nn.Dropout(self.dropout))
            n_in = 2 * width
        for i in range(int(self.time_context) if self.temporal == "conv" else 0):
            conv = nn.Conv1d(n_in, width, 3, padding="same", dilation=2 ** i)
            _init_weights(conv, self.activation)
            head.append(conv)
            if self.batchnorm:
                head.append(BatchNorm1d(width))
            head.append(_activation(self.activation))
            if self.dropout:
                head.append(nn.Dropout(self.dropout))
            n_in = width
        for units in self.hidden_units:
            dense = nn.Conv1d(n_in, int(units), 1)
            _init_weights(dense, self.activation)
            head += [dense, _activation(self.activation)]
            if self.dropout:
                head.append(nn.Dropout(self.dropout))
            n_in = int(units)
        out = nn.Conv1d(n_in, int(self.n_outputs), 1)
        _init_weights(out, None)
        head.append(out)
        return nn.Sequential(*layers), nn.Sequential(*head)

    def forward(self, X):
        X = X.contiguous(memory_format=torch.channels_last)
        return self.head(self.features(X))


class MaskCNN(nn.Module):
    """U-Net with one output per input pixel, e.g. a time-frequency mask.

    Encoder: per level a block (convolution with 'same' padding -> optional
    batch norm -> activation -> dropout) and a pooling by ``pool_size`` on
    both axes; the last level is not pooled. Decoder: per level the maps are
    interpolated (nearest) to the size of the encoder's maps of that level,
    concatenated with them and go through a block. A 1 x 1 convolution then
    gives ``n_outputs`` logits per pixel: output ``(n, n_outputs, n_bins,
    n_frames)``, the input's bins and frames.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, n_bins, n_frames)``.
    n_outputs : int
        Output channels (masks) per pixel.
    kernel_size, dropout, batchnorm, activation
        As in :class:`skcnn.modules.CNN`; ``kernel_size`` must be odd.
    input_norm : {'bin', 'channel', 'clip'} or None, default='clip'
        As in :class:`skcnn.modules.CNN`; 'clip' reads each clip against its
        own median level per bin, which the U-Net's receptive field is too
        short to see.
    n_filters : tuple of int, default=(16, 32, 64)
        Channels of each encoder level (the decoder mirrors them).
    pooling : {'max', 'avg'}, default='max'
        Pooling between encoder levels.
    pool_size : int or tuple of int, default=2
        Pooling window (and stride) between levels.

    Examples
    --------
    >>> import torch
    >>> MaskCNN((1, 129, 126), 1)(torch.zeros(2, 1, 129, 126)).shape
    torch.Size([2, 1, 129, 126])
    """

    def __init__(
        self,
        input_shape,
        n_outputs,
        input_norm=MASK_NETWORK_DEFAULTS["input_norm"],
        n_filters=MASK_NETWORK_DEFAULTS["n_filters"],
        kernel_size=MASK_NETWORK_DEFAULTS["kernel_size"],
        pooling=MASK_NETWORK_DEFAULTS["pooling"],
        pool_size=MASK_NETWORK_DEFAULTS["pool_size"],
        dropout=MASK_NETWORK_DEFAULTS["dropout"],
        batchnorm=MASK_NETWORK_DEFAULTS["batchnorm"],
        activation=MASK_NETWORK_DEFAULTS["activation"],
    ):
        super().__init__()
        self.input_shape = input_shape
        self.n_outputs = n_outputs
        self.input_norm = input_norm
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.pooling = pooling
        self.pool_size = pool_size
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.activation = activation
        self._build()
        self.to(memory_format=torch.channels_last)

    def _build(self):
        input_shape, kernel = _check_common(
            self.input_shape, self.activation, self.pooling, self.dropout, self.kernel_size)
        if self.pooling is None:
            raise ValueError("pooling=None is not supported by the mask network; use 'max' or 'avg'")
        window = _as_tuple(self.pool_size, 2, "pool_size")
        widths = [int(n) for n in self.n_filters]
        block = dict(kernel=kernel, batchnorm=self.batchnorm, activation=self.activation,
                     dropout=self.dropout)
        self.norm = (InputNorm(input_shape, self.input_norm)
                     if self.input_norm is not None else nn.Identity())
        self.down = nn.ModuleList()
        channels = input_shape[0]
        for width in widths:
            self.down.append(nn.Sequential(*_conv_block(channels, width, **block)))
            channels = width
        pool = nn.MaxPool2d if self.pooling == "max" else nn.AvgPool2d
        self.pool = pool(window, ceil_mode=True)
        self.up = nn.ModuleList()
        for width in reversed(widths[:-1]):
            self.up.append(nn.Sequential(*_conv_block(channels + width, width, **block)))
            channels = width
        self.out = nn.Conv2d(channels, int(self.n_outputs), 1)
        _init_weights(self.out, None)

    def forward(self, X):
        X = self.norm(X.contiguous(memory_format=torch.channels_last))
        skips = []
        for i, block in enumerate(self.down):
            X = block(X)
            if i < len(self.down) - 1:
                skips.append(X)
                X = self.pool(X)
        for block, skip in zip(self.up, reversed(skips)):
            X = functional.interpolate(X, size=skip.shape[-2:], mode="nearest")
            X = block(torch.cat([X, skip], dim=1))
        return self.out(X)

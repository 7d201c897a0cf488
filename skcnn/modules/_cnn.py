"""Plain torch modules: the configurable CNN and LeNet-5.

Nothing here knows about scikit-learn or skorch. Every module takes the shape
of one sample (``input_shape``, without the batch axis) and the number of
outputs, and builds its layers from them, so nothing is hard-coded:

- ``input_shape`` of length 2, ``(channels, length)``, gives 1-D convolutions;
- ``input_shape`` of length 3, ``(channels, height, width)``, gives 2-D
  convolutions.

Initialisation
--------------
Convolution and hidden dense layers followed by a ReLU-family activation
('relu', 'leaky_relu', 'elu', 'gelu') get He (Kaiming) normal weights, which
keep the variance of the activations constant through ReLU layers (He et al.,
2015). Layers followed by 'tanh' or 'sigmoid', and the output layer, get
Glorot (Xavier) uniform weights. All biases start at zero.

Small inputs
------------
Pooling runs in ceil mode: a window hanging over the edge of a map still
yields an output, so a map smaller than ``pool_size`` is pooled to size 1 and
no input is ever too small for pooling (a 13 x 16 MFCC map goes 7 x 8, then
4 x 4, through two 2 x 2 poolings). Only unpadded convolutions
(``padding='valid'`` or a small int) can run out of input; that raises a
``ValueError`` naming the block and the shape, before torch sees the data.
"""


import math

import torch
from torch import nn

from ._layers import (
    NETWORK_DEFAULTS, BatchNorm1d, BatchNorm2d, GlobalPool, InputNorm, _activation, _as_tuple,
    _check_block_params, _check_input_shape, _conv_padding, _init_weights,
)

__all__ = ["CNN", "LeNet5"]


class CNN(nn.Module):
    """Configurable convolutional network for 1-D or 2-D inputs.

    Each block is convolution -> optional batch norm -> activation -> pooling
    -> dropout. After the blocks the feature maps are flattened (or, with
    ``global_pool``, pooled to one value per channel) and go through dense
    layers (``hidden_units``, each followed by the activation and dropout),
    then a linear output layer of ``n_outputs`` units that returns logits
    (classification) or values (regression).

    The defaults of every knob are :data:`NETWORK_DEFAULTS`.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample without the batch axis: ``(channels, length)``
        gives 1-D convolutions, ``(channels, height, width)`` 2-D ones.
    n_outputs : int
        Number of output units.
    input_norm : {'bin', 'channel', 'clip'} or None, default='bin'
        A batch norm of the input before the first block
        (:class:`InputNorm`): per frequency bin, per channel, or per bin
        after subtracting each clip's median over frames.
    n_filters : tuple of int, default=(16, 32, 64, 128)
        Output channels of each convolution block; its length is the number
        of blocks.
    kernel_size : int or tuple of int, default=3
        Convolution kernel size, the same in every block.
    stride : int or tuple of int, default=1
        Convolution stride.
    padding : {'same', 'valid'} or int or tuple of int, default='same'
        Convolution padding. With a stride above 1, 'same' pads
        ``kernel_size // 2`` on each side.
    pooling : {'max', 'avg'} or None, default='max'
        Pooling after each convolution; None for none.
    pool_size : int or tuple of int, default=2
        Pooling window, also its stride. Pooling uses ceil mode, so maps
        smaller than the window are pooled to size 1 instead of failing.
    dropout : float, default=0.0
        Dropout probability after each block and each hidden dense layer.
    batchnorm : bool, default=True
        Whether to add batch normalisation after each convolution.
    activation : str, default='relu'
        One of 'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'.
    global_pool : {'avg', 'max', 'avgmax', 'time'} or None, default='avgmax'
        None flattens the last maps, so the dense head grows with the input
        size and the network takes inputs of one size only. 'avg', 'max' or
        'avgmax' pool each channel to one value (see :class:`GlobalPool`):
        the parameter count no longer depends on the input size and the
        network accepts inputs of any size at least as large as its blocks
        need (a model trained on 3 s clips predicts 5 s clips). 'time'
        pools 2-D maps over their frames only, one value per channel and
        bin: inputs of any length, with the fitted number of bins.
    hidden_units : tuple of int, default=(128,)
        Width of each dense layer between the flattened maps and the output.

    Raises
    ------
    ValueError
        When the input is too small for an unpadded convolution, naming the
        block and the map size it gets.

    Examples
    --------
    >>> import torch
    >>> net = CNN(input_shape=(1, 13, 16), n_outputs=10)
    >>> net(torch.zeros(4, 1, 13, 16)).shape
    torch.Size([4, 10])

    With global pooling, inputs of other lengths go through the same network:

    >>> pooled = CNN((1, 40, 63), 3, global_pool="avg")
    >>> pooled(torch.zeros(2, 1, 40, 101)).shape
    torch.Size([2, 3])

    The Keras network of the course notes (Conv 32@5x5 ReLU -> MaxPool 2x2 ->
    Conv 64@5x5 -> MaxPool -> Flatten -> Dense 1000 -> softmax):

    >>> keras_like = CNN((1, 28, 28), 10, input_norm=None, n_filters=(32, 64),
    ...                  kernel_size=5, padding="valid", pooling="max",
    ...                  pool_size=2, batchnorm=False, global_pool=None,
    ...                  hidden_units=(1000,))
    >>> keras_like(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        input_shape,
        n_outputs,
        input_norm=NETWORK_DEFAULTS["input_norm"],
        n_filters=NETWORK_DEFAULTS["n_filters"],
        kernel_size=NETWORK_DEFAULTS["kernel_size"],
        stride=NETWORK_DEFAULTS["stride"],
        padding=NETWORK_DEFAULTS["padding"],
        pooling=NETWORK_DEFAULTS["pooling"],
        pool_size=NETWORK_DEFAULTS["pool_size"],
        dropout=NETWORK_DEFAULTS["dropout"],
        batchnorm=NETWORK_DEFAULTS["batchnorm"],
        activation=NETWORK_DEFAULTS["activation"],
        global_pool=NETWORK_DEFAULTS["global_pool"],
        hidden_units=NETWORK_DEFAULTS["hidden_units"],
    ):
        super().__init__()
        self.input_shape = input_shape
        self.n_outputs = n_outputs
        self.input_norm = input_norm
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.pooling = pooling
        self.pool_size = pool_size
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.activation = activation
        self.global_pool = global_pool
        self.hidden_units = hidden_units
        self.features, self.head = self._build()
        if len(self.input_shape) == 3:
            # see forward: the weights too, so that oneDNN keeps NHWC throughout
            self.to(memory_format=torch.channels_last)

    def _build(self):
        input_shape = _check_input_shape(self.input_shape)
        _check_block_params(self.activation, self.pooling, self.dropout)
        ndim = len(input_shape) - 1
        conv = (nn.Conv1d, nn.Conv2d)[ndim - 1]
        norm = (BatchNorm1d, BatchNorm2d)[ndim - 1]
        pool = {
            "max": (nn.MaxPool1d, nn.MaxPool2d)[ndim - 1],
            "avg": (nn.AvgPool1d, nn.AvgPool2d)[ndim - 1],
        }
        kernel = _as_tuple(self.kernel_size, ndim, "kernel_size")
        stride = _as_tuple(self.stride, ndim, "stride")
        window = _as_tuple(self.pool_size, ndim, "pool_size")
        pad_arg, pad = _conv_padding(self.padding, kernel, stride)

        channels, spatial = input_shape[0], input_shape[1:]
        layers = []
        if self.input_norm is not None:
            layers.append(InputNorm(input_shape, self.input_norm))
        for i, n_out in enumerate(self.n_filters):
            if pad is None:  # 'same' with stride 1 keeps the size
                new = spatial
            else:
                new = tuple(
                    (s + 2 * p - k) // st + 1
                    for s, p, k, st in zip(spatial, pad, kernel, stride)
                )
            if min(new) < 1:
                raise ValueError(
                    f"input of shape {input_shape} is too small: convolution "
                    f"block {i} gets maps of size {spatial}, smaller than "
                    f"kernel_size={self.kernel_size} with padding="
                    f"{self.padding!r}; use padding='same', a smaller kernel "
                    "or fewer blocks"
                )
            spatial = new
            layer = conv(channels, int(n_out), kernel, stride=stride,
                         padding=pad_arg)
            _init_weights(layer, self.activation)
            layers.append(layer)
            if self.batchnorm:
                layers.append(norm(int(n_out)))
            layers.append(_activation(self.activation))
            if self.pooling is not None:
                layers.append(pool[self.pooling](window, ceil_mode=True))
                spatial = tuple(-(-s // w) for s, w in zip(spatial, window))
            if self.dropout:
                layers.append(nn.Dropout(self.dropout))
            channels = int(n_out)
        if self.global_pool is None:
            layers.append(nn.Flatten())
            n_in = channels * math.prod(spatial)
        else:
            layers.append(GlobalPool(self.global_pool))
            # 'time' keeps the bins of 2-D maps
            n_in = channels * (spatial[0] if self.global_pool == "time" and ndim == 2 else 1)

        head = []
        for units in self.hidden_units:
            dense = nn.Linear(n_in, int(units))
            _init_weights(dense, self.activation)
            head += [dense, _activation(self.activation)]
            if self.dropout:
                head.append(nn.Dropout(self.dropout))
            n_in = int(units)
        out = nn.Linear(n_in, self.n_outputs)
        _init_weights(out, None)
        head.append(out)
        return nn.Sequential(*layers), nn.Sequential(*head)

    def forward(self, X):
        if X.dim() == 4:
            # oneDNN's channels-last (NHWC) convolutions, batch norms and
            # poolings run faster on the CPU than NCHW ones for the large
            # early maps of spectrograms (see the results page, 'Choices
            # inside the code')
            X = X.contiguous(memory_format=torch.channels_last)
        return self.head(self.features(X))


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998) for 1-D or 2-D inputs.

    Conv 6@5 (padding 2) -> tanh -> avg pool 2 -> conv 16@5 -> tanh -> avg
    pool 2 -> dense 120 -> tanh -> dense 84 -> tanh -> output. The padding of
    the first convolution lets 28x28 digits in, as in the usual MNIST
    version; small inputs such as 13x16 MFCCs fit too.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, length)`` or ``(channels, height, width)``.
    n_outputs : int
        Number of output units.

    Examples
    --------
    >>> import torch
    >>> LeNet5((1, 28, 28), 10)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, input_shape, n_outputs):
        super().__init__()
        self.input_shape = input_shape
        self.n_outputs = n_outputs
        self.net = self._build()

    def _build(self):
        input_shape = _check_input_shape(self.input_shape)
        ndim = len(input_shape) - 1
        conv = (nn.Conv1d, nn.Conv2d)[ndim - 1]
        pool = (nn.AvgPool1d, nn.AvgPool2d)[ndim - 1]
        spatial = input_shape[1:]
        # conv1 keeps the size (padding 2), pool halves, conv2 takes 4, pool halves
        after = tuple((s // 2 - 4) // 2 for s in spatial)
        if min(after) < 1:
            raise ValueError(
                f"input of shape {input_shape} is too small for LeNet-5: every "
                "spatial axis must be at least 12"
            )
        layers = [
            conv(input_shape[0], 6, 5, padding=2), nn.Tanh(), pool(2),
            conv(6, 16, 5), nn.Tanh(), pool(2), nn.Flatten(),
            nn.Linear(16 * math.prod(after), 120), nn.Tanh(),
            nn.Linear(120, 84), nn.Tanh(),
            nn.Linear(84, self.n_outputs),
        ]
        for layer in layers:
            if isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.Linear)):
                _init_weights(layer, "tanh" if layer is not layers[-1] else None)
        return nn.Sequential(*layers)

    def forward(self, X):
        return self.net(X)

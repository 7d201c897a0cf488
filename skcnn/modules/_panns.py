"""PANNs' CNN14 and CNN6 (Kong et al., 2020) as plain torch modules.

Written from reading the authors' reference code (``pytorch/models.py`` of
github.com/qiuqiangkong/audioset_tagging_cnn, MIT licence, and the same
classes in the ``panns_inference`` package); nothing of it is copied. What
is kept exactly, so that the published AudioSet checkpoints load strictly
(``load_state_dict(strict=True)``) and compute the same numbers:

- the parameter names and shapes: ``bn0`` (a batch norm over the mel bands),
  ``conv_block{i}.conv1`` / ``bn1`` (and ``conv2`` / ``bn2`` for CNN14's
  double 3 x 3 blocks), ``fc1`` and ``fc_audioset`` (527 AudioSet classes);
- the order of the operations: the input batch norm per mel band; each block
  convolution (no bias) -> batch norm -> ReLU (twice in CNN14), then a 2 x 2
  average pooling that drops an odd last row or column (torch's floor mode),
  except CNN14's last block, which does not pool; the maps averaged over
  frequency; the maximum plus the mean over time; ``fc1`` with a ReLU (the
  clip embedding); ``fc_audioset`` with a sigmoid (the AudioSet tags);
- dropout where the reference has it (0.2 after each block, 0.5 before and
  after ``fc1``), active in training mode only.

What differs: the input. The reference modules take waveforms and compute
their log-mel front end inside (``torchlibrosa``); these take the log-mel maps
as skcnn's transformers produce them, ``(n, 1, n_mels, n_frames)``: mel bands
on the third axis, frames on the last. The reference's maps are ``(n, 1,
n_frames, n_mels)``; :meth:`PANNsCNN14.maps` transposes to that layout before
the first convolution, so the published convolution kernels apply as they
were trained (their first axis is time). The front end itself, and the
checkpoint's copies of its filters, are :mod:`skcnn.pretrained`'s. The
reference's SpecAugment and mixup in training are left to
:mod:`skcnn.augment`.
"""

import torch
from torch import nn
from torch.nn import functional

from ._frame import FrequencyPool
from ._layers import BatchNorm2d, SwapAxes

__all__ = ["PANNsCNN14", "PANNsCNN6", "AUDIOSET_N_CLASSES"]

#: The number of AudioSet classes of the published checkpoints' ``fc_audioset``.
AUDIOSET_N_CLASSES = 527


class _DoubleConvBlock(nn.Module):
    """Two 3 x 3 convolutions (no bias), each with a batch norm and a ReLU."""

    kernel_size, n_convs = 3, 2

    def __init__(self, in_channels, out_channels):
        super().__init__()
        k = self.kernel_size
        self.conv1 = nn.Conv2d(in_channels, out_channels, k, padding=k // 2, bias=False)
        self.bn1 = BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, k, padding=k // 2, bias=False)
        self.bn2 = BatchNorm2d(out_channels)

    def forward(self, x):
        x = functional.relu(self.bn1(self.conv1(x)))
        return functional.relu(self.bn2(self.conv2(x)))


class _SingleConvBlock(nn.Module):
    """One 5 x 5 convolution (no bias) with a batch norm and a ReLU."""

    kernel_size, n_convs = 5, 1

    def __init__(self, in_channels, out_channels):
        super().__init__()
        k = self.kernel_size
        self.conv1 = nn.Conv2d(in_channels, out_channels, k, padding=k // 2, bias=False)
        self.bn1 = BatchNorm2d(out_channels)

    def forward(self, x):
        return functional.relu(self.bn1(self.conv1(x)))


class _PANNsCNN(nn.Module):
    """The shared structure; subclasses set the blocks and which of them pool."""

    _block = None
    _widths = ()
    _pooled = ()  # one bool per block: whether a 2 x 2 average pooling follows it

    def __init__(self, n_mels=64, n_classes=AUDIOSET_N_CLASSES, dropout=0.2, head_dropout=0.5):
        super().__init__()
        self.n_mels = n_mels
        self.n_classes = n_classes
        self.dropout = dropout
        self.head_dropout = head_dropout
        self._build()

    def _build(self):
        self.bn0 = BatchNorm2d(self.n_mels)
        # layers without weights (the state dict is the reference's), as modules so
        # that skcnn.inspection.describe sees where the axes swap and time is pooled
        self.swap_axes = SwapAxes()
        self.pool = nn.AvgPool2d(2)  # torch's floor mode drops an odd last row or column
        self.frequency_pool = FrequencyPool("avg")
        channels = 1
        for i, width in enumerate(self._widths, start=1):
            setattr(self, f"conv_block{i}", self._block(channels, width))
            channels = width
        self.fc1 = nn.Linear(channels, channels)
        self.fc_audioset = nn.Linear(channels, self.n_classes)
        self._init_weights()

    def _init_weights(self):
        # the reference's initialisation: Glorot-uniform weights, zero biases,
        # batch norms at identity
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    @property
    def embedding_size(self):
        """Length of the clip embedding (and channels of the frame embeddings)."""
        return self._widths[-1]

    @property
    def time_reduction(self):
        """Input frames per frame of :meth:`frame_embeddings` (2 per pooling)."""
        return 2 ** sum(self._pooled)

    @property
    def receptive_field(self):
        """Input frames that can affect one frame of :meth:`frame_embeddings`.

        Counted through the blocks' convolutions and poolings (each
        convolution of kernel k adds ``k - 1`` times the frames one step
        spans, each pooling one step); CNN14: 284 frames, CNN6: 76.
        """
        field, step = 1, 1
        for pooled in self._pooled:
            field += (self._block.kernel_size - 1) * self._block.n_convs * step
            if pooled:
                field += step
                step *= 2
        return field

    def _check_input(self, x):
        if x.dim() != 4 or x.shape[1] != 1 or x.shape[2] != self.n_mels:
            raise ValueError(
                f"{type(self).__name__} takes log-mel maps of shape (n, 1, n_mels={self.n_mels}, "
                f"n_frames); got shape {tuple(x.shape)}."
            )
        if x.shape[3] < self.time_reduction or self.n_mels < self.time_reduction:
            raise ValueError(
                f"{type(self).__name__} needs at least {self.time_reduction} frames and "
                f"{self.time_reduction} mel bands (its {sum(self._pooled)} poolings halve both); "
                f"got shape {tuple(x.shape)}. Use longer clips."
            )

    def maps(self, x):
        """The last block's feature maps.

        Parameters
        ----------
        x : Tensor of shape (n, 1, n_mels, n_frames)
            Log-mel maps, mel bands on the third axis (skcnn's layout).

        Returns
        -------
        Tensor of shape (n, embedding_size, n_frames // time_reduction, n_mels // time_reduction)
            In the reference's layout: time on the third axis, frequency on the last.
        """
        self._check_input(x)
        # bn0 normalises each mel band: the bands as channels, (n, n_mels, 1, n_frames)
        x = self.bn0(x.transpose(1, 2)).transpose(1, 2)
        x = self.swap_axes(x)  # (n, 1, n_frames, n_mels): the reference's layout
        for i, pooled in enumerate(self._pooled, start=1):
            x = getattr(self, f"conv_block{i}")(x)
            if pooled:
                x = self.pool(x)
            x = functional.dropout(x, p=self.dropout, training=self.training)
        return x

    def frame_embeddings(self, x):
        """Frame-level embeddings: the last block's maps averaged over frequency.

        One frame per ``time_reduction`` input frames (the last incomplete
        group of frames is dropped by the poolings).

        Parameters
        ----------
        x : Tensor of shape (n, 1, n_mels, n_frames)

        Returns
        -------
        Tensor of shape (n, embedding_size, n_frames // time_reduction)
        """
        # back to skcnn's layout, then the mean over the mel axis
        return self.frequency_pool(self.swap_axes(self.maps(x)))

    def embed(self, frames, pooling="avgmax"):
        """The clip embedding from frame embeddings: pooled over time, then ``fc1`` and a ReLU.

        Parameters
        ----------
        frames : Tensor of shape (n, embedding_size, n_out_frames)
            From :meth:`frame_embeddings`.
        pooling : {'avgmax', 'avg', 'max'} or None, default='avgmax'
            How the frames are pooled: the maximum plus the mean (the
            reference's, which the published weights were trained with), the
            mean, or the maximum. None pools nothing: ``fc1`` and its ReLU
            apply to each frame, as in PANNs' frame-level (decision-level) models.

        Returns
        -------
        Tensor of shape (n, embedding_size), or (n, embedding_size, n_out_frames) for ``pooling=None``
        """
        if pooling is None:
            x = functional.dropout(frames.transpose(1, 2), p=self.head_dropout,
                                   training=self.training)
            x = functional.relu(self.fc1(x))
            x = functional.dropout(x, p=self.head_dropout, training=self.training)
            return x.transpose(1, 2)
        x = pool_frames(frames, pooling)
        x = functional.dropout(x, p=self.head_dropout, training=self.training)
        x = functional.relu(self.fc1(x))
        return functional.dropout(x, p=self.head_dropout, training=self.training)

    def forward(self, x):
        """The clip embedding (the reference's ``embedding`` output)."""
        return self.embed(self.frame_embeddings(x))

    def audioset_proba(self, x):
        """AudioSet tag probabilities (the reference's ``clipwise_output``).

        Parameters
        ----------
        x : Tensor of shape (n, 1, n_mels, n_frames)

        Returns
        -------
        Tensor of shape (n, n_classes)
            One independent probability per class (sigmoid outputs).
        """
        # the reference feeds fc_audioset the fc1 output before its last dropout
        x = pool_frames(self.frame_embeddings(x), "avgmax")
        x = functional.dropout(x, p=self.head_dropout, training=self.training)
        return torch.sigmoid(self.fc_audioset(functional.relu(self.fc1(x))))

    def extra_repr(self):
        return f"n_mels={self.n_mels}, n_classes={self.n_classes}"


def pool_frames(frames, pooling):
    """Pool ``(n, channels, n_frames)`` over the frames: 'avgmax', 'avg' or 'max'.

    Examples
    --------
    >>> pool_frames(torch.tensor([[[1.0, 3.0]]]), "avgmax")
    tensor([[5.]])
    """
    if pooling == "avgmax":
        return frames.amax(dim=2) + frames.mean(dim=2)
    if pooling == "avg":
        return frames.mean(dim=2)
    if pooling == "max":
        return frames.amax(dim=2)
    raise ValueError(f"pooling={pooling!r} must be one of 'avgmax', 'avg', 'max'.")


class PANNsCNN14(_PANNsCNN):
    """PANNs' CNN14: six double 3 x 3 convolution blocks, a 2048-d embedding.

    The architecture of Kong et al. (2020), "PANNs: Large-Scale Pretrained
    Audio Neural Networks for Audio Pattern Recognition", with the state-dict
    names and shapes of the published AudioSet checkpoint
    (``Cnn14_mAP=0.431.pth``), so that its weights load strictly (about 81
    million parameters, of which ``fc_audioset`` holds 1.1 million). The input
    is the log-mel front end it was trained with
    (:func:`skcnn.pretrained.front_end`); weights come from
    :func:`skcnn.pretrained.load_pretrained`. The blocks widen 64, 128, 256,
    512, 1024, 2048; the first five are each followed by a 2 x 2 average
    pooling, so one frame embedding spans 32 input frames (0.32 s at the
    front end's 10 ms hop).

    Parameters
    ----------
    n_mels : int, default=64
        Mel bands of the input (the published weights: 64).
    n_classes : int, default=527
        Outputs of the AudioSet head ``fc_audioset`` (the published weights: 527).
    dropout : float, default=0.2
        Dropout after each block, in training mode.
    head_dropout : float, default=0.5
        Dropout before and after ``fc1``, in training mode.

    Attributes
    ----------
    embedding_size : int
        2048.
    time_reduction : int
        32: input frames per frame embedding.

    See Also
    --------
    PANNsCNN6 : The small PANNs network (512-d embedding).

    Notes
    -----
    Input ``(n, 1, n_mels, n_frames)``, mel bands on the third axis as skcnn's
    transformers give them; the module transposes to the reference's
    ``(n, 1, n_frames, n_mels)`` inside. ``forward`` returns the clip
    embedding ``(n, 2048)`` (``fc1`` after its ReLU);
    :meth:`frame_embeddings` the frame-level ones ``(n, 2048, n_frames // 32)``;
    :meth:`audioset_proba` the 527 AudioSet tag probabilities. At least 32
    frames are needed.

    Examples
    --------
    >>> import torch
    >>> net = PANNsCNN14().eval()
    >>> maps = torch.randn(2, 1, 64, 101)  # 1 s at the front end's 10 ms hop
    >>> net(maps).shape, net.frame_embeddings(maps).shape
    (torch.Size([2, 2048]), torch.Size([2, 2048, 3]))
    """

    _block = _DoubleConvBlock
    _widths = (64, 128, 256, 512, 1024, 2048)
    _pooled = (True, True, True, True, True, False)


class PANNsCNN6(_PANNsCNN):
    """PANNs' CNN6: four 5 x 5 convolution blocks, a 512-d embedding.

    The small network of Kong et al. (2020), with the state-dict names and
    shapes of the published AudioSet checkpoint (``Cnn6_mAP=0.343.pth``),
    about 4.8 million parameters. The blocks widen 64, 128, 256, 512, each
    followed by a 2 x 2 average pooling, so one frame embedding spans 16
    input frames (0.16 s at the front end's 10 ms hop).

    Parameters
    ----------
    n_mels : int, default=64
        Mel bands of the input (the published weights: 64).
    n_classes : int, default=527
        Outputs of the AudioSet head ``fc_audioset`` (the published weights: 527).
    dropout : float, default=0.2
        Dropout after each block, in training mode.
    head_dropout : float, default=0.5
        Dropout before and after ``fc1``, in training mode.

    Attributes
    ----------
    embedding_size : int
        512.
    time_reduction : int
        16: input frames per frame embedding.

    See Also
    --------
    PANNsCNN14 : The large PANNs network (2048-d embedding).

    Notes
    -----
    The same input, outputs and methods as :class:`PANNsCNN14`; at least 16
    frames are needed.

    Examples
    --------
    >>> import torch
    >>> net = PANNsCNN6().eval()
    >>> maps = torch.randn(2, 1, 64, 101)
    >>> net(maps).shape, net.frame_embeddings(maps).shape, net.audioset_proba(maps).shape
    (torch.Size([2, 512]), torch.Size([2, 512, 6]), torch.Size([2, 527]))
    """

    _block = _SingleConvBlock
    _widths = (64, 128, 256, 512)
    _pooled = (True, True, True, True)

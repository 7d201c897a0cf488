"""CNNMaskRegressor: one value in [0, 1] per time-frequency pixel (a mask).

:class:`skcnn.CNNRegressor` with an output per pixel
(:class:`skcnn.modules.MaskCNN`, a small U-Net) and mask targets
(:class:`skcnn.estimators._frames.FrameOutputMixin`).
"""

import numpy as np
import torch
from sklearn.utils.validation import check_array

from ._base import DEFAULTS
from ..modules._frame import MASK_NETWORK_DEFAULTS, MaskCNN
from ._frames import FrameOutputMixin, element_r2
from ._regressor import CNNRegressor

M = MASK_NETWORK_DEFAULTS
D = DEFAULTS

__all__ = ["CNNMaskRegressor"]


class CNNMaskRegressor(FrameOutputMixin, CNNRegressor):
    """Convolutional network that predicts a time-frequency mask.

    For source separation: ``y`` is a mask ``(n_clips, n_bins, n_frames)``
    with values in [0, 1] on the linear STFT grid (``n_bins = 1 + n_fft //
    2``), e.g. the ideal ratio mask of a target in a mixture
    (:func:`skcnn.datasets.make_mixtures`); ``X`` are maps of the same bins
    and frames, e.g. ``SpectrogramTransformer(n_fft=..., hop_length=...,
    output='db')`` of the mixture. ``predict`` returns masks of ``y``'s
    shape, through a sigmoid; :func:`skcnn.separation.apply_mask` applies
    one to the mixture's STFT and returns audio.

    The network is :class:`skcnn.modules.MaskCNN`, a U-Net; the loss is the
    binary cross-entropy of the sigmoid output against the (soft) mask,
    averaged over every pixel (``torch.nn.BCEWithLogitsLoss``; pass
    ``criterion=`` for another).

    Parameters
    ----------
    n_filters : tuple of int, default=(16, 32, 64)
        Channels of each level of the U-Net's encoder (mirrored by the
        decoder); between levels both axes are pooled by ``pool_size``.
    input_norm : {'bin', 'channel', 'clip'} or None, default='clip'
        As in :class:`CNNRegressor`. 'clip' subtracts each clip's median
        over frames per bin before the per-bin batch norm: the mask of a
        pixel depends on how far it stands above its clip's noise floor,
        which varies from clip to clip and lies beyond the U-Net's
        receptive field (leaving each FSDD speaker out, median SI-SDR
        improvement 11.0 dB against 9.9 dB with 'bin'; see
        ``benchmarks/bench_frames.py``).
    kernel_size, pooling, pool_size, dropout, batchnorm, activation
        As in :class:`CNNRegressor` (``kernel_size`` odd; every convolution
        keeps its maps' size).
    augment : augmentation of :mod:`skcnn.augment`, 'auto' or None, default='auto'
        Applied to training batches only; 'auto' is none. Augmentations
        that move frames (TimeShift) or bins (FrequencyWarp) or mix clips
        (Mixup) are refused: the mask would no longer be the input's.
    **others
        Every other parameter as in :class:`CNNRegressor`.

    Attributes
    ----------
    input_shape_, module_, history_, augment_
        As in :class:`CNNRegressor`.

    See Also
    --------
    skcnn.separation.apply_mask : Mask a mixture's STFT and return audio.
    skcnn.metrics.si_sdr_improvement : How much a separation gains.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import CNNMaskRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(8, 1, 16, 12)).astype("float32")
    >>> mask = (X[:, 0] > 0).astype("float32")             # (8, 16, 12)
    >>> reg = CNNMaskRegressor(n_filters=(8, 8), max_epochs=5, random_state=0).fit(X, mask)
    >>> pred = reg.predict(X)
    >>> pred.shape, bool(pred.min() >= 0 and pred.max() <= 1)
    ((8, 16, 12), True)
    """

    _fixed_params = FrameOutputMixin._fixed_params | {"global_pool", "hidden_units"}
    _mixing = False
    _pixel_targets = True

    def __init__(
        self,
        *,
        input_norm=M["input_norm"],
        n_filters=M["n_filters"],
        kernel_size=M["kernel_size"],
        pooling=M["pooling"],
        pool_size=M["pool_size"],
        dropout=M["dropout"],
        batchnorm=M["batchnorm"],
        activation=M["activation"],
        lr=D["lr"],
        lr_schedule=D["lr_schedule"],
        weight_averaging=D["weight_averaging"],
        batch_size=D["batch_size"],
        max_epochs=D["max_epochs"],
        early_stopping=D["early_stopping"],
        validation_fraction=D["validation_fraction"],
        n_iter_no_change=D["n_iter_no_change"],
        augment=D["augment"],
        random_state=D["random_state"],
        device=D["device"],
        n_threads=D["n_threads"],
        verbose=D["verbose"],
        module=D["module"],
        criterion=torch.nn.BCEWithLogitsLoss,
        optimizer=D["optimizer"],
        iterator_train=D["iterator_train"],
        iterator_valid=D["iterator_valid"],
        dataset=D["dataset"],
        train_split=D["train_split"],
        warm_start=D["warm_start"],
        **kwargs,
    ):
        super().__init__(
            input_norm=input_norm, n_filters=n_filters, kernel_size=kernel_size,
            pooling=pooling, pool_size=pool_size, dropout=dropout, batchnorm=batchnorm,
            activation=activation, global_pool=None, hidden_units=(1,),
            lr=lr, lr_schedule=lr_schedule,
            weight_averaging=weight_averaging, batch_size=batch_size, max_epochs=max_epochs,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, augment=augment, random_state=random_state,
            device=device, n_threads=n_threads, verbose=verbose, module=module,
            criterion=criterion, optimizer=optimizer, iterator_train=iterator_train,
            iterator_valid=iterator_valid, dataset=dataset, train_split=train_split,
            warm_start=warm_start, **self._fixed_values(kwargs), **kwargs,
        )

    def _default_network(self):
        return MaskCNN, tuple(MASK_NETWORK_DEFAULTS)

    def _check_target_shape(self, x_shape, y_shape):
        if y_shape[1:] != x_shape[2:]:
            raise ValueError(
                f"y has shape {y_shape} and X {x_shape}: a mask needs one value per "
                f"bin and frame of X, y of shape (n_clips, n_bins={x_shape[2]}, "
                f"n_frames={x_shape[3]}); make X and the mask from the same n_fft and "
                "hop_length"
            )

    def _encode_targets(self, y, *, fresh, classes=None):
        y = self._check_masks(y)
        state = {"n_outputs_": 1, "_y_ndim": 3} if fresh else {}
        return y[:, None], state

    def _check_masks(self, y):
        """Mask targets as float32, or the ValueError that both ``fit`` and
        ``score`` give: a mask has no missing (NaN) values, unlike
        :class:`CNNFrameRegressor`'s targets, and lies in [0, 1]."""
        y = check_array(y, ensure_2d=False, allow_nd=True, dtype=np.float32,
                        ensure_all_finite=True, input_name="y")
        if y.ndim != 3:
            raise ValueError(
                f"y has shape {y.shape}; a mask y has shape (n_clips, n_bins, n_frames)"
            )
        low, high = float(y.min()), float(y.max())
        if low < 0 or high > 1:
            raise ValueError(
                f"y holds values from {low:g} to {high:g}; a mask's values must lie in "
                "[0, 1] (e.g. an ideal ratio mask)"
            )
        return y

    def predict(self, X):
        """The mask of each clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, channels, n_bins, n_frames)
            Maps with the fitted channels and bins (any frames).

        Returns
        -------
        mask : ndarray of shape (n_clips, n_bins, n_frames)
            Values in [0, 1].
        """
        return 1.0 / (1.0 + np.exp(-self._logits(X)[:, 0]))

    def score(self, X, y, sample_weight=None):
        """R² of the predicted masks over every pixel.

        ``y`` is checked as ``fit`` checks it: a mask with NaN values or
        values outside [0, 1] is refused, with ``fit``'s message.

        Parameters
        ----------
        X : array-like of shape (n_clips, channels, n_bins, n_frames)
        y : array-like of shape (n_clips, n_bins, n_frames)
        sample_weight : array-like of shape (n_clips,), default=None

        Returns
        -------
        score : float
        """
        # what fit refuses, score refuses: skipping NaN pixels here would
        # grade masks fit would not have trained on
        self._check_targets_against(X, y)
        return element_r2(self._check_masks(y), self.predict(X), sample_weight)

"""CNNFrameRegressor: one value (or several) per spectrogram column (frame).

:class:`skcnn.CNNRegressor` with an output per frame
(:class:`skcnn.modules.FrameCNN`) and per-frame targets
(:class:`skcnn.estimators._frames.FrameOutputMixin`); frames whose target is NaN (an
unvoiced frame of a pitch track) are left out of the loss.
"""

from numbers import Integral

import numpy as np
import torch
from sklearn.utils.validation import check_array

from ..utils._private import Interval
from ._base import DEFAULTS
from ..modules._frame import FRAME_NETWORK_DEFAULTS, FrameCNN
from ._frames import FrameOutputMixin, element_r2
from ._regressor import CNNRegressor

F = FRAME_NETWORK_DEFAULTS
D = DEFAULTS

__all__ = ["CNNFrameRegressor"]


class CNNFrameRegressor(FrameOutputMixin, CNNRegressor):
    """Convolutional network that predicts a value for every frame.

    E.g. a pitch in Hz per frame, a loudness, a source's direction. ``X``
    are feature maps ``(n_clips, channels, n_bins, n_frames)``; ``y`` has
    shape ``(n_clips, n_frames)`` or ``(n_clips, n_frames, n_targets)``.
    NaN targets (an unvoiced frame, a frame not annotated) are left out of
    the loss; every other value must be finite. The loss is the mean
    squared error over the frames that have targets. The network is
    :class:`skcnn.modules.FrameCNN`, as for :class:`CNNFrameClassifier`.

    The loss is on ``y`` as given: for a pitch, whose errors count in
    cents, regress ``np.log2(f0)`` (NaN stays NaN) and take ``2 ** y`` of
    the predictions; see ``examples/pitch_tracking.py``.

    Frame targets belong to one ``hop_length``: ``y`` must have as many
    frames as the maps (a ValueError otherwise), so a search over the front
    end's hop is out of scope.

    Parameters
    ----------
    n_filters, input_norm, kernel_size, pooling, pool_size, dropout, \
batchnorm, activation, global_pool, hidden_units, time_context
        As in :class:`CNNFrameClassifier`. ``global_pool=None`` (the
        default) keeps where in frequency a pattern is, which a pitch needs.
    augment : augmentation of :mod:`skcnn.augment`, 'auto' or None, default='auto'
        Applied to training batches only; 'auto' is none.
        :class:`~skcnn.augment.TimeShift` is refused (it would move the
        frames away from their targets).
    **others
        Every other parameter as in :class:`CNNRegressor`.

    Attributes
    ----------
    n_outputs_ : int
        Targets per frame.
    input_shape_, module_, history_, augment_
        As in :class:`CNNRegressor`.

    See Also
    --------
    CNNFrameClassifier : A label per frame.
    skcnn.metrics.raw_pitch_accuracy : Share of voiced frames within 50 cents.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import CNNFrameRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(16, 1, 8, 20)).astype("float32")
    >>> y = X[:, 0, :4].mean(axis=1)            # (16, 20)
    >>> y[:, :3] = np.nan                       # unannotated frames
    >>> reg = CNNFrameRegressor(n_filters=(8,), max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X).shape
    (16, 20)
    """

    _parameter_constraints = {
        **CNNRegressor._parameter_constraints,
        "time_context": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        input_norm=F["input_norm"],
        n_filters=F["n_filters"],
        kernel_size=F["kernel_size"],
        pooling=F["pooling"],
        pool_size=F["pool_size"],
        dropout=F["dropout"],
        batchnorm=F["batchnorm"],
        activation=F["activation"],
        global_pool=F["global_pool"],
        hidden_units=F["hidden_units"],
        time_context=F["time_context"],
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
        criterion=torch.nn.MSELoss,
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
            activation=activation, global_pool=global_pool, hidden_units=hidden_units,
            lr=lr, lr_schedule=lr_schedule,
            weight_averaging=weight_averaging, batch_size=batch_size, max_epochs=max_epochs,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, augment=augment, random_state=random_state,
            device=device, n_threads=n_threads, verbose=verbose, module=module,
            criterion=criterion, optimizer=optimizer, iterator_train=iterator_train,
            iterator_valid=iterator_valid, dataset=dataset, train_split=train_split,
            warm_start=warm_start, **self._fixed_values(kwargs), **kwargs,
        )
        self.time_context = time_context

    def _default_network(self):
        return FrameCNN, tuple(FRAME_NETWORK_DEFAULTS)

    def _encode_targets(self, y, *, fresh, classes=None):
        y = check_array(y, ensure_2d=False, allow_nd=True, dtype=np.float32,
                        ensure_all_finite="allow-nan", input_name="y")
        if y.ndim not in (2, 3):
            raise ValueError(
                f"y has shape {y.shape}; {type(self).__name__} needs (n_clips, n_frames) "
                "or (n_clips, n_frames, n_targets)"
            )
        if np.isnan(y).all():
            raise ValueError("y is NaN everywhere: no frame has a target to learn from")
        n_outputs = 1 if y.ndim == 2 else y.shape[2]
        if not fresh and n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} targets per frame but the model was fitted on "
                f"{self.n_outputs_}; the fitted model is unchanged. Use fit "
                "(warm_start=False) to train on other targets."
            )
        state = {"n_outputs_": n_outputs, "_y_ndim": y.ndim}
        y = y[:, :, None] if y.ndim == 2 else y
        y = np.ascontiguousarray(y.transpose(0, 2, 1))  # (n, K, T): the network's layout
        return y, (state if fresh else {})

    def _element_weights(self, y_true):
        missing = torch.isnan(y_true)
        if not missing.any():
            return y_true, None
        return torch.where(missing, torch.zeros_like(y_true), y_true), (~missing)

    def predict(self, X):
        """A value per frame (and target).

        Parameters
        ----------
        X : array-like of shape (n_clips, channels, n_bins, n_frames)
            Feature maps with the fitted channels and bins (any frames).

        Returns
        -------
        y : ndarray of shape (n_clips, n_frames) or (n_clips, n_frames, n_targets)
        """
        out = self._logits(X).transpose(0, 2, 1)
        return np.ascontiguousarray(out[:, :, 0] if self._y_ndim == 2 else out)

    def score(self, X, y, sample_weight=None):
        """R² over every frame that has a target (NaN frames left out).

        Parameters
        ----------
        X : array-like of shape (n_clips, channels, n_bins, n_frames)
        y : array-like of shape (n_clips, n_frames) or (n_clips, n_frames, n_targets)
        sample_weight : array-like of shape (n_clips,), default=None

        Returns
        -------
        score : float
        """
        return element_r2(y, self.predict(X), sample_weight)

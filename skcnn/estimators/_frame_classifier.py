"""CNNFrameClassifier: one label per spectrogram column (frame).

:class:`skcnn.CNNClassifier` with an output per frame
(:class:`skcnn.modules.FrameCNN`) and per-frame targets
(:class:`skcnn.estimators._frames.FrameOutputMixin`); the encoding of labels, class
weights, multi-label and persistence are the classifier's, applied to every
frame.
"""

from numbers import Integral

import numpy as np
import torch
from scipy.ndimage import median_filter as running_median
from sklearn.metrics import accuracy_score

from ..utils._private import Interval
from ._classifier import CNNClassifier
from ..modules._frame import FRAME_NETWORK_DEFAULTS, FrameCNN
from ._frames import FrameOutputMixin
from ._base import CLASSIFIER_DEFAULTS
from ..augment import Compose, FrequencyWarp, SpecAugment

F = FRAME_NETWORK_DEFAULTS
D = CLASSIFIER_DEFAULTS

__all__ = ["CNNFrameClassifier"]


class CNNFrameClassifier(FrameOutputMixin, CNNClassifier):
    """Convolutional network that labels every frame of a spectrogram.

    For sound event detection (which digit, bird or machine sounds in each
    frame, background included), or tracking which note an instrument
    plays. ``X`` are feature maps ``(n_clips, channels, n_bins, n_frames)``
    (e.g. from :class:`skcnn.SpectrogramTransformer`); ``y`` is one label
    per frame, ``(n_clips, n_frames)``, of any type (a background label is a
    label like the others), or a 0/1 indicator ``(n_clips, n_frames,
    n_classes)`` for overlapping events (one sigmoid per class and frame,
    ``BCEWithLogitsLoss``, as for a multi-label :class:`CNNClassifier`).

    The network is :class:`skcnn.modules.FrameCNN`: blocks that pool along
    frequency only, so the output keeps the input's frames one for one,
    then dilated 1-D convolutions over the frames (``time_context``) and a
    per-frame output. The loss is the cross-entropy averaged over every
    frame of every clip.

    Frame labels belong to one ``hop_length``: ``y`` must have as many
    frames as the maps (a ValueError otherwise), so a search over the front
    end's hop (or ``duration``) is out of scope; search everything else
    (``n_fft``, ``n_mels``, the network, the learning rate) freely.

    Parameters
    ----------
    n_filters, input_norm, kernel_size, pooling, dropout, batchnorm, \
activation, hidden_units
        As in :class:`CNNClassifier` (``kernel_size`` must be odd; the
        convolutions pad to keep the maps' size: there is no ``stride``,
        ``padding`` or ``architecture``).
    pool_size : int, default=2
        Frequency bins pooled per block; frames are never pooled, so the
        output keeps the input's time resolution (see
        :class:`skcnn.modules.FrameCNN` for the measured choice).
    global_pool : {'avg', 'max', 'avgmax'} or None, default=None
        How each frame's remaining bins are pooled after the blocks; None
        flattens them with the channels, keeping where in frequency a
        pattern was (inputs must then keep the fitted number of bins).
    time_context : int, default=4
        Dilated 1-D convolutions over the frames (kernel 3, dilation 1, 2,
        4, ...): what one frame's output sees grows by ``2 ** (k + 1) - 2``
        frames with k of them; :func:`skcnn.inspection.describe` shows it in
        seconds.
    median_filter : int, default=9
        Frames over which :meth:`predict_proba` takes the running median of
        each class's probability (odd; 1 leaves them as the network gives
        them), so that :meth:`predict` does not flicker between labels for
        a frame or two inside an event, as detection systems post-process
        their posteriors (DCASE baselines). Each frame's probabilities are
        then divided by their sum, and :meth:`predict` takes the argmax (or
        the ``threshold`` for indicators) of the filtered probabilities.
        Training never sees it, so it can be tuned without refitting
        (``set_params``). The default, 9 frames, is 144 ms at hop 128 and
        8 kHz (209 ms at hop 512 and 22.05 kHz): a run of a label shorter
        than 5 frames inside another is voted away. Leaving each FSDD
        speaker out it raised event F1 from 0.58 to 0.76 and frame macro-F1
        from 0.739 to 0.749 in a screening run (``benchmarks/bench_frames.py sed``); for events
        of a few frames (clicks) set it lower. A frame's label then
        depends on ``median_filter // 2`` more frames on each side than
        :func:`skcnn.inspection.describe` shows.
    class_weight, classes, threshold
        As in :class:`CNNClassifier`; class weights count per frame.
    augment : augmentation of :mod:`skcnn.augment`, 'auto' or None, default='auto'
        Applied to training batches only. 'auto' is ``Compose([SpecAugment(),
        FrequencyWarp()])``, measured leaving each FSDD speaker out (see
        ``benchmarks/bench_frames.py``): :class:`CNNClassifier`'s default
        without its time shift, which would move the maps' frames away from
        their labels (:class:`~skcnn.augment.TimeShift` is refused for that
        reason). RandomGain, AddNoise and Mixup (frame label distributions
        mixed) work too.
    **others
        Every other parameter (``lr``, ``max_epochs``, ``batch_size``,
        ``early_stopping``, ``random_state``, ``device``, ``n_threads``, ...)
        as in :class:`CNNClassifier`, whose ``lr_schedule`` default
        ('flat_cos') it shares: leaving each FSDD speaker out it raised the
        mean frame macro-F1 from 0.740 to 0.771, on 5 of the 6 speakers
        (``benchmarks/bench_frames.py``). Its ``weight_averaging='auto'``
        averages nothing (unlike CNNClassifier's).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The frame labels, sorted (background included).
    input_shape_, n_outputs_, module_, history_, augment_
        As in :class:`CNNClassifier`.

    See Also
    --------
    CNNFrameRegressor : A value (e.g. a pitch) per frame.
    skcnn.metrics.frame_f1_score : Frame-level F1 over the event classes.
    skcnn.datasets.make_soundscapes : Strongly labelled soundscapes.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import CNNFrameClassifier
    >>> rng = np.random.default_rng(0)
    >>> onset = rng.integers(0, 12, size=(16, 1))              # an 8-frame event per clip
    >>> frames = np.arange(20)
    >>> y = np.where((frames >= onset) & (frames < onset + 8), "on", "off")
    >>> X = rng.normal(size=(16, 1, 8, 20)).astype("float32")
    >>> X[:, :, :4] += 2 * (y == "on")[:, None, None, :]      # "on": low bins louder
    >>> clf = CNNFrameClassifier(n_filters=(8,), lr=1e-2, max_epochs=20,
    ...                          random_state=0).fit(X, y)
    >>> clf.predict(X).shape, clf.predict_proba(X).shape
    ((16, 20), (16, 20, 2))
    >>> bool(clf.score(X, y) > 0.8)
    True
    """

    _parameter_constraints = {
        **CNNClassifier._parameter_constraints,
        "time_context": [Interval(Integral, 0, None, closed="left")],
        "median_filter": [Interval(Integral, 1, None, closed="left")],
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
        median_filter=9,
        lr=D["lr"],
        lr_schedule=D["lr_schedule"],
        weight_averaging=D["weight_averaging"],
        batch_size=D["batch_size"],
        max_epochs=D["max_epochs"],
        early_stopping=D["early_stopping"],
        validation_fraction=D["validation_fraction"],
        n_iter_no_change=D["n_iter_no_change"],
        augment=D["augment"],
        class_weight=None,
        classes=None,
        threshold=0.5,
        random_state=D["random_state"],
        device=D["device"],
        n_threads=D["n_threads"],
        verbose=D["verbose"],
        module=D["module"],
        criterion=torch.nn.CrossEntropyLoss,
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
            n_iter_no_change=n_iter_no_change, augment=augment, class_weight=class_weight,
            classes=classes, threshold=threshold, random_state=random_state, device=device,
            n_threads=n_threads, verbose=verbose, module=module, criterion=criterion,
            optimizer=optimizer, iterator_train=iterator_train,
            iterator_valid=iterator_valid, dataset=dataset, train_split=train_split,
            warm_start=warm_start, **self._fixed_values(kwargs), **kwargs,
        )
        self.time_context = time_context
        self.median_filter = median_filter

    def _default_network(self):
        return FrameCNN, tuple(FRAME_NETWORK_DEFAULTS)

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Build the network for ``X`` and ``y`` and train it.

        Parameters
        ----------
        X : array-like of shape (n_clips, channels, n_bins, n_frames)
            Feature maps.
        y : array-like of shape (n_clips, n_frames) or (n_clips, n_frames, n_classes)
            A label per frame, or 0/1 indicators per frame and class.
        sample_weight : array-like of shape (n_clips,), default=None
            Weight of each clip's frames in the loss.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y, sample_weight=sample_weight, **fit_params)

    def _auto_augment(self, sample_ndim):
        # leaving each FSDD speaker out, frame macro-F1 0.740 (with median_filter=9)
        # against 0.709 with neither, the worst speaker 0.626 against 0.590
        # (benchmarks/bench_frames.py sed); Mixup on top cost 0.07-0.15 on the two
        # hardest speakers
        return Compose([SpecAugment(), FrequencyWarp()])

    def _auto_weight_averaging(self):
        # not measured on the frame benchmarks yet: CNNClassifier's 'auto' is not
        # inherited (see the weight_averaging entry of the docstring)
        return 0.0

    def _check_hyperparameters(self):
        super()._check_hyperparameters()
        if self.median_filter % 2 == 0:
            raise ValueError(
                f"median_filter={self.median_filter!r} must be odd: a running median "
                "over an even number of frames is centred half a frame off"
            )

    def _encode_targets(self, y, *, fresh, classes=None):
        y = np.asarray(y)
        if y.ndim == 3:  # indicators (n, T, C) -> (n, C, T), the network's layout
            n, t, c = y.shape
            if c < 2:
                raise ValueError(
                    f"y has shape {y.shape}: an indicator y needs at least 2 classes "
                    "(for one class, give labels per frame, e.g. 'event'/'background')"
                )
            if not np.isin(y, (0, 1)).all():
                raise ValueError(
                    f"y has shape {y.shape}: a 3-D y must hold 0/1 indicators (n_clips, "
                    "n_frames, n_classes); give labels as (n_clips, n_frames)"
                )
            flat, state = super()._encode_targets(y.reshape(n * t, c), fresh=fresh,
                                                  classes=classes)
            return np.ascontiguousarray(flat.reshape(n, t, c).transpose(0, 2, 1)), state
        if y.ndim != 2:
            raise ValueError(
                f"y has shape {y.shape}; {type(self).__name__} needs a label per frame "
                "(n_clips, n_frames) or 0/1 indicators (n_clips, n_frames, n_classes)"
            )
        if not fresh and self._multilabel:
            raise ValueError(
                "the model was fitted on indicators (n_clips, n_frames, n_classes) and "
                "this y holds labels; the fitted model is unchanged. Use fit "
                "(warm_start=False) to change the task."
            )
        n, t = y.shape
        flat, state = super()._encode_targets(y.reshape(n * t), fresh=fresh, classes=classes)
        return flat.reshape(n, t), state

    def _element_weights(self, y_true):
        weights = self.class_weight_
        if weights is None or self._multilabel:
            return y_true, None
        weights = torch.as_tensor(weights, dtype=torch.float32, device=y_true.device)
        if y_true.is_floating_point():  # mixed: (n, C, T) label distributions
            return y_true, (y_true * weights[:, None]).sum(dim=1)
        return y_true, weights[y_true]

    def _mixable_target(self, y, dtype):
        if self._multilabel:
            return y.to(dtype)
        onehot = torch.nn.functional.one_hot(y.long(), self.n_outputs_).to(dtype)
        return onehot.permute(0, 2, 1)  # (n, C, T): the criterion's layout

    def predict_proba(self, X):
        """Probability of each class in each frame.

        Parameters
        ----------
        X : array-like of shape (n_clips, channels, n_bins, n_frames)
            Feature maps with the fitted channels and bins (any frames).

        Returns
        -------
        proba : ndarray of shape (n_clips, n_frames, n_classes)
            Columns follow ``classes_``; each frame's sum to 1, except for
            indicators, where each class has its own probability. With
            ``median_filter > 1``, the running medians (see the parameter).
        """
        self._check_hyperparameters()
        logits = self._logits(X)
        if self._multilabel:
            proba = 1.0 / (1.0 + np.exp(-logits))
        else:
            logits -= logits.max(axis=1, keepdims=True)
            proba = np.exp(logits)
            proba /= proba.sum(axis=1, keepdims=True)
        if self.median_filter > 1:
            proba = self._running_median(proba)
        return np.ascontiguousarray(proba.transpose(0, 2, 1))

    def _running_median(self, proba):
        """Each clip's and class's running median over ``median_filter`` frames
        of ``proba`` (n_clips, n_classes, n_frames); the edges repeat the
        first and last frame. scipy's filter, not a torch one: it runs once
        per predict, on the CPU arrays predict returns anyway."""
        smooth = running_median(proba, size=(1, 1, self.median_filter), mode="nearest")
        if self._multilabel:
            return smooth
        total = smooth.sum(axis=1, keepdims=True)
        # the medians of a frame's classes can all be 0 (e.g. three frames of
        # three different sure labels): keep that frame's own probabilities
        return np.where(total > 0, smooth / np.where(total > 0, total, 1), proba)

    def predict(self, X):
        """A label per frame (or indicators per frame and class).

        Parameters
        ----------
        X : array-like of shape (n_clips, channels, n_bins, n_frames)
            Feature maps.

        Returns
        -------
        y : ndarray of shape (n_clips, n_frames) or (n_clips, n_frames, n_classes)
        """
        proba = self.predict_proba(X)
        if self._multilabel:
            return (proba >= self._check_threshold(self.n_outputs_)).astype(np.int64)
        return self.classes_[proba.argmax(axis=2)]

    def score(self, X, y, sample_weight=None):
        """Accuracy over every frame of every clip.

        For indicators, the share of frames whose every class is right. For
        event detection prefer :func:`skcnn.metrics.frame_f1_score` (through
        :func:`skcnn.metrics.make_frame_f1_scorer`), which leaves the
        background out.

        Parameters
        ----------
        X : array-like of shape (n_clips, channels, n_bins, n_frames)
        y : array-like of shape (n_clips, n_frames) or (n_clips, n_frames, n_classes)
        sample_weight : array-like of shape (n_clips,), default=None
            Weight of each clip's frames.

        Returns
        -------
        score : float
        """
        y = np.asarray(y)
        pred = self.predict(X)
        if pred.shape != y.shape:
            raise ValueError(f"y has shape {y.shape}; the predictions have {pred.shape}")
        n, t = y.shape[:2]
        weight = None if sample_weight is None else np.repeat(np.asarray(sample_weight), t)
        flat = (n * t,) + y.shape[2:]
        return accuracy_score(y.reshape(flat), pred.reshape(flat), sample_weight=weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

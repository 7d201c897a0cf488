"""CNNFrameClassifier, CNNFrameRegressor and CNNMaskRegressor: an output per
frame or per time-frequency pixel.

Each is :class:`skcnn.estimators._base.BaseCNN` on the frame or pixel grid
(:mod:`skcnn.estimators._grids`) with labels or values as targets
(:mod:`skcnn.estimators._targets`); the grid says what an output per frame
changes:

- ``X`` must be 2-D maps ``(n_clips, channels, n_bins, n_frames)``, and the
  frames (and, per pixel, the bins) of ``y`` must be the maps' (checked
  before anything else);
- the network is fully convolutional in time, so a fitted model takes maps
  of any number of frames (the channels and bins stay fixed);
- the loss is the mean over every frame (or pixel) of every clip, with
  sample weights per clip, class weights per frame and missing (NaN)
  targets left out: ``sum(w * l) / sum(w)`` over the elements;
- augmentations that move frames (:class:`~skcnn.augment.TimeShift`) are
  refused, since the targets would not move with them, and per pixel those
  that move bins or mix clips;
- the early-stopping split is not stratified and scores only the loss.
"""

from numbers import Integral, Real

import numpy as np
import torch
from scipy.ndimage import label as label_runs
from scipy.ndimage import median_filter as running_median
from sklearn.base import RegressorMixin
from sklearn.metrics import accuracy_score
from ..utils._private import Interval, StrOptions

from ..augment import Compose, FrequencyWarp, SpecAugment
from ._base import BaseClassifier, BaseCNN
from ._data import TensorBatchIterator, TensorDataset
from ._grids import FRAME, PIXEL
from ._params import FRAME_NETWORK_CONSTRAINTS, MASK_NETWORK_CONSTRAINTS, TRAINING_CONSTRAINTS
from ._targets import Values, values_score

__all__ = ["CNNFrameClassifier", "CNNFrameRegressor", "CNNMaskRegressor"]

def _hysteresis(proba, onset, offset):
    """Indicators of ``proba`` (n_clips, n_frames, n_classes) by two
    thresholds per class: the runs of frames at or above ``offset`` that
    reach ``onset`` somewhere. An event so starts at ``onset`` and lasts
    until its probability falls below ``offset``, without the flicker one
    threshold gives when a probability hovers around it."""
    n_clips, n_frames, n_classes = proba.shape
    rows = proba.transpose(0, 2, 1).reshape(-1, n_frames)
    per_row = (n_clips, n_classes)
    onset = np.broadcast_to(onset, per_row).reshape(-1, 1)
    offset = np.broadcast_to(offset, per_row).reshape(-1, 1)
    # runs along the frames only: a run never joins two clips or classes
    runs, n_runs = label_runs(rows >= offset, structure=[[0, 0, 0], [1, 1, 1], [0, 0, 0]])
    keep = np.zeros(n_runs + 1, dtype=bool)
    keep[np.unique(runs[rows >= onset])] = True
    keep[0] = False  # the frames below offset
    active = keep[runs].reshape(n_clips, n_classes, n_frames)
    return np.ascontiguousarray(active.transpose(0, 2, 1)).astype(np.int64)


class CNNFrameClassifier(BaseClassifier):
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
    then two bidirectional GRU layers over the frames (a CRNN; or dilated
    1-D convolutions, ``temporal='conv'``) and a per-frame output. The loss
    is the cross-entropy averaged over every frame of every clip.

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
    time_context : int, default=2
        Layers of the temporal head. With a recurrent head, the number of
        bidirectional recurrent layers (two, the DCASE baselines' depth).
        With ``temporal='conv'``, dilated 1-D convolutions over the frames
        (kernel 3, dilation 1, 2, 4, ...): what one frame's output sees
        grows by ``2 ** (k + 1) - 2`` frames with k of them
        (:func:`skcnn.inspection.describe` shows it in seconds); 4 is the
        convolutional head's measured choice.
    temporal : {'gru', 'conv', 'lstm'}, default='gru'
        The temporal head over the frames: bidirectional GRU or LSTM layers
        of ``n_filters[-1]`` units per direction (a CRNN, the DCASE
        baselines' network), through which each frame's output depends on
        the whole clip (:func:`skcnn.inspection.describe` reports an
        unbounded receptive field in time), or dilated convolutions.
        Reproducible with ``random_state`` on the CPU. The recurrent head is
        the default because, leaving each FSDD speaker out, it labelled
        frames and events better than the convolutional one
        (``time_context=4``) on sparse, dense and overlapping scenes
        (:ref:`results <results_sed_every_speaker>`), for about 1.4x the fit
        time.
    median_filter : int or array-like of shape (n_classes,), default=9
        Frames over which :meth:`predict_proba` takes the running median of
        each class's probability (odd; 1 leaves them as the network gives
        them); one number per class, in the order of ``classes_``, fits
        classes of different lengths (a short click, a long engine), so that :meth:`predict` does not flicker between labels for
        a frame or two inside an event, as detection systems post-process
        their posteriors (DCASE baselines). Each frame's probabilities are
        then divided by their sum, and :meth:`predict` takes the argmax (or
        the ``threshold`` for indicators) of the filtered probabilities.
        Training never sees it, so it can be tuned without refitting
        (``set_params``). The default, 9 frames, is 144 ms at hop 128 and
        8 kHz (209 ms at hop 512 and 22.05 kHz): a run of a label shorter
        than 5 frames inside another is voted away. Unfiltered predictions
        come in fragments, each of which counts as an event: leaving each
        FSDD speaker out, the running median brought most of the default's
        gain in event F1 and a little in frame macro-F1 (:ref:`results
        <results_frames>`). For events of a few frames (clicks) set it
        lower. A frame's label then depends on ``median_filter // 2`` more frames on each side than
        :func:`skcnn.inspection.describe` shows.
    class_weight, classes, threshold
        As in :class:`CNNClassifier`; class weights count per frame.
    offset_threshold : float, array-like of shape (n_classes,) or None, default=None
        For indicator targets (overlapping events), a second, lower
        threshold (hysteresis): an event starts where a class's probability
        reaches ``threshold`` and lasts while it stays at or above
        ``offset_threshold``, so a probability hovering around one
        threshold does not cut an event into pieces. None: one threshold.
        A ValueError with label targets, and where it exceeds
        ``threshold``. Like ``median_filter``, it can be tuned without
        refitting.
    augment : augmentation of :mod:`skcnn.augment`, 'auto' or None, default='auto'
        Applied to training batches only. 'auto' is ``Compose([SpecAugment(),
        FrequencyWarp()])``, chosen leaving each FSDD speaker out (the warp
        stands in for unseen speakers' voices; :ref:`results
        <results_frames>`): :class:`CNNClassifier`'s default
        without its time shift, which would move the maps' frames away from
        their labels (:class:`~skcnn.augment.TimeShift` is refused for that
        reason). RandomGain, AddNoise and Mixup (frame label distributions
        mixed) work too.
    **others
        Every other parameter (``lr``, ``max_epochs``, ``batch_size``,
        ``early_stopping``, ``random_state``, ``device``, ``n_threads``, ...)
        as in :class:`CNNClassifier`, whose ``lr_schedule`` default
        ('flat_cos') it shares: leaving each FSDD speaker out, the annealed
        last epochs gained frame macro-F1 on five of the six held-out
        speakers (:ref:`results <results_frames>`). Its
        ``weight_averaging='auto'`` averages nothing (unlike CNNClassifier's).

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

    _grid = FRAME
    _parameter_constraints = {
        **FRAME_NETWORK_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        "median_filter": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "classes": ["array-like", None],
        "threshold": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "offset_threshold": [Interval(Real, 0, 1, closed="both"), "array-like", None],
    }

    def __init__(
        self,
        *,
        input_norm="bin",
        n_filters=(16, 32, 64, 128),
        kernel_size=3,
        pooling="max",
        pool_size=2,
        dropout=0.0,
        batchnorm=True,
        activation="relu",
        global_pool=None,
        hidden_units=(128,),
        time_context=2,
        temporal="gru",
        median_filter=9,
        lr=1e-3,
        lr_schedule="flat_cos",
        weight_averaging="auto",
        batch_size=64,
        max_epochs=30,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        augment="auto",
        class_weight=None,
        classes=None,
        threshold=0.5,
        offset_threshold=None,
        random_state=None,
        device="cpu",
        n_threads=1,
        precision="32",
        verbose=0,
        module=None,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        iterator_train=TensorBatchIterator,
        iterator_valid=TensorBatchIterator,
        dataset=TensorDataset,
        train_split=None,
        warm_start=False,
        **kwargs,
    ):
        self._grid.refuse_fixed(self, kwargs)
        super().__init__(
            module=module, criterion=criterion, optimizer=optimizer, lr=lr,
            max_epochs=max_epochs, batch_size=batch_size, iterator_train=iterator_train,
            iterator_valid=iterator_valid, dataset=dataset, train_split=train_split,
            warm_start=warm_start, verbose=verbose, device=device, **kwargs,
        )
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
        self.median_filter = median_filter
        self.lr_schedule = lr_schedule
        self.weight_averaging = weight_averaging
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.augment = augment
        self.class_weight = class_weight
        self.classes = classes
        self.threshold = threshold
        self.offset_threshold = offset_threshold
        self.random_state = random_state
        self.n_threads = n_threads
        self.precision = precision

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
        # leaving each FSDD speaker out: FrequencyWarp stands in for unseen
        # speakers' voices and brought most of the gain over no augmentation,
        # the worst speaker's too; Mixup on top lost on the two hardest
        # speakers (see the results page, 'Frames and pixels')
        return Compose([SpecAugment(), FrequencyWarp()])

    def _check_hyperparameters(self):
        super()._check_hyperparameters()
        self._median_sizes(None)
        if self.offset_threshold is not None:
            self._offset_threshold(None)

    def _check_decision_rules(self, n_classes, *, multilabel):
        super()._check_decision_rules(n_classes, multilabel=multilabel)
        self._median_sizes(n_classes)
        if self.offset_threshold is not None:
            if not multilabel:
                raise ValueError(
                    f"offset_threshold={self.offset_threshold!r} applies to indicator targets "
                    "(n_clips, n_frames, n_classes) only: with a label per frame, predict "
                    "takes each frame's most probable label; leave offset_threshold=None"
                )
            self._offset_threshold(n_classes)

    def _median_sizes(self, n_classes):
        """``median_filter`` as one size per class (as given when ``n_classes``
        is None), checked: positive odd integers, one or one per class."""
        sizes = np.asarray(self.median_filter)
        if sizes.ndim > 1 or sizes.size == 0 or (
                sizes.ndim == 1 and n_classes is not None and len(sizes) != n_classes):
            expected = "one per class" + (f" ({n_classes},)" if n_classes else "")
            raise ValueError(
                f"median_filter has shape {sizes.shape}; expected one odd number of frames "
                f"or {expected}, in the order of classes_"
            )
        if sizes.dtype.kind not in "iu" or (sizes < 1).any():
            raise ValueError(
                f"median_filter={self.median_filter!r} must hold positive odd integers "
                "(numbers of frames)"
            )
        if (sizes % 2 == 0).any():
            raise ValueError(
                f"median_filter={self.median_filter!r} must be odd: a running median "
                "over an even number of frames is centred half a frame off"
            )
        return sizes if n_classes is None else np.broadcast_to(sizes, (n_classes,))

    def _offset_threshold(self, n_classes):
        """``offset_threshold`` checked against ``threshold``: one number or one
        per class in [0, 1], nowhere above the onset threshold."""
        offset = np.asarray(self.offset_threshold, dtype=np.float64)
        if offset.ndim > 1 or (offset.ndim == 1 and n_classes is not None
                               and len(offset) != n_classes):
            raise ValueError(
                f"offset_threshold has shape {offset.shape}; expected one number or one "
                f"per class" + (f" ({n_classes},)" if n_classes else "")
            )
        if not ((offset >= 0) & (offset <= 1)).all():
            raise ValueError(f"offset_threshold={self.offset_threshold!r} must lie in [0, 1]")
        onset = np.asarray(self.threshold, dtype=np.float64)
        if onset.ndim <= 1 and offset.ndim <= 1 and (
                onset.ndim == 0 or offset.ndim == 0 or onset.shape == offset.shape):
            if (offset > onset).any():
                raise ValueError(
                    f"offset_threshold={self.offset_threshold!r} exceeds threshold="
                    f"{self.threshold!r}: an event starts where a class's probability "
                    "reaches threshold and lasts while it stays at or above "
                    "offset_threshold, so offset_threshold <= threshold"
                )
        return offset

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
        sizes = self._median_sizes(self.n_outputs_)
        if (sizes > 1).any():
            proba = self._running_median(proba, sizes)
        return np.ascontiguousarray(proba.transpose(0, 2, 1))

    def _running_median(self, proba, sizes):
        """Each clip's and class's running median over its class's number of
        frames (``sizes``) of ``proba`` (n_clips, n_classes, n_frames); the
        edges repeat the first and last frame. scipy's filter, not a torch
        one: it runs once per predict, on the CPU arrays predict returns
        anyway."""
        if (sizes == sizes[0]).all():
            smooth = running_median(proba, size=(1, 1, int(sizes[0])), mode="nearest")
        else:
            smooth = proba.copy()
            for k, size in enumerate(sizes):
                smooth[:, k] = running_median(proba[:, k], size=(1, int(size)), mode="nearest")
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
            onset = self._check_threshold(self.n_outputs_)
            if self.offset_threshold is None:
                return (proba >= onset).astype(np.int64)
            return _hysteresis(proba, onset, self._offset_threshold(self.n_outputs_))
        self._check_decision_rules(self.n_outputs_, multilabel=False)
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



class CNNFrameRegressor(RegressorMixin, BaseCNN):
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
batchnorm, activation, global_pool, hidden_units, time_context, temporal
        As in :class:`CNNFrameClassifier`. ``global_pool=None`` (the
        default) keeps where in frequency a pattern is, which a pitch needs.
        The temporal head's defaults are the network's, ``temporal='conv'``
        with ``time_context=4`` (the classifier's recurrent head was chosen on
        event detection; pitch was measured with these).
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

    _target = Values(missing=True)
    _grid = FRAME
    _parameter_constraints = {
        **FRAME_NETWORK_CONSTRAINTS, **TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        input_norm="bin",
        n_filters=(16, 32, 64, 128),
        kernel_size=3,
        pooling="max",
        pool_size=2,
        dropout=0.0,
        batchnorm=True,
        activation="relu",
        global_pool=None,
        hidden_units=(128,),
        time_context=4,
        temporal="conv",
        lr=1e-3,
        lr_schedule="constant",
        weight_averaging="auto",
        batch_size=64,
        max_epochs=30,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        augment="auto",
        random_state=None,
        device="cpu",
        n_threads=1,
        precision="32",
        verbose=0,
        module=None,
        criterion=torch.nn.MSELoss,
        optimizer=torch.optim.Adam,
        iterator_train=TensorBatchIterator,
        iterator_valid=TensorBatchIterator,
        dataset=TensorDataset,
        train_split=None,
        warm_start=False,
        **kwargs,
    ):
        self._grid.refuse_fixed(self, kwargs)
        super().__init__(
            module=module, criterion=criterion, optimizer=optimizer, lr=lr,
            max_epochs=max_epochs, batch_size=batch_size, iterator_train=iterator_train,
            iterator_valid=iterator_valid, dataset=dataset, train_split=train_split,
            warm_start=warm_start, verbose=verbose, device=device, **kwargs,
        )
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
        self.lr_schedule = lr_schedule
        self.weight_averaging = weight_averaging
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.augment = augment
        self.random_state = random_state
        self.n_threads = n_threads
        self.precision = precision

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
        return values_score(self, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class CNNMaskRegressor(RegressorMixin, BaseCNN):
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
        receptive field; with 'bin' the masks did not close where there is
        only noise, and leaving each FSDD speaker out 'clip' separated
        better (:ref:`results <results_frames>`).
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

    _target = Values(unit_interval=True)
    _grid = PIXEL
    _mixing = False
    _parameter_constraints = {**MASK_NETWORK_CONSTRAINTS, **TRAINING_CONSTRAINTS}

    def __init__(
        self,
        *,
        input_norm="clip",
        n_filters=(16, 32, 64),
        kernel_size=3,
        pooling="max",
        pool_size=2,
        dropout=0.0,
        batchnorm=True,
        activation="relu",
        lr=1e-3,
        lr_schedule="constant",
        weight_averaging="auto",
        batch_size=64,
        max_epochs=30,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        augment="auto",
        random_state=None,
        device="cpu",
        n_threads=1,
        precision="32",
        verbose=0,
        module=None,
        criterion=torch.nn.BCEWithLogitsLoss,
        optimizer=torch.optim.Adam,
        iterator_train=TensorBatchIterator,
        iterator_valid=TensorBatchIterator,
        dataset=TensorDataset,
        train_split=None,
        warm_start=False,
        **kwargs,
    ):
        self._grid.refuse_fixed(self, kwargs)
        super().__init__(
            module=module, criterion=criterion, optimizer=optimizer, lr=lr,
            max_epochs=max_epochs, batch_size=batch_size, iterator_train=iterator_train,
            iterator_valid=iterator_valid, dataset=dataset, train_split=train_split,
            warm_start=warm_start, verbose=verbose, device=device, **kwargs,
        )
        self.input_norm = input_norm
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.pooling = pooling
        self.pool_size = pool_size
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.activation = activation
        self.lr_schedule = lr_schedule
        self.weight_averaging = weight_averaging
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.augment = augment
        self.random_state = random_state
        self.n_threads = n_threads
        self.precision = precision

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
        return values_score(self, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

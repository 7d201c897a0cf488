"""The shared parts of the clip estimators' docstrings.

:func:`documented` fills a class docstring's ``<shared parameters>`` and
``<attributes>`` markers; the defaults it writes are read from the class's
own signature, where they are written, so the docs cannot drift from them
(``tests/estimators/test_parameters.py`` checks every estimator).
"""

import inspect

from ._base import AUTO_WEIGHT_AVERAGING
from ._callbacks import FLAT_SHARE

__all__ = ["ATTRIBUTES_DOC", "documented"]


def _parameters_doc(D):
    """The shared Parameters section, with the defaults of ``D``."""
    return f"""
    Parameters
    ----------
    input_norm : {{'bin', 'channel', 'clip'}} or None, default={D['input_norm']!r}
        A batch norm of the input in front of the first block
        (:class:`skcnn.modules.InputNorm`): 'bin' standardises each
        frequency bin (of each channel) with statistics learned in training,
        'channel' each channel; so dB maps, MFCCs and waveforms need no
        scaler in front. 'clip' first subtracts each clip's median over
        frames per bin (its background level), then acts as 'bin'. With
        'bin' or 'clip', inputs must keep the fitted number of bins.
    n_filters : tuple of int, default={D['n_filters']}
        Output channels of each convolution block; its length is the number
        of blocks. A block is convolution -> optional batch norm ->
        activation -> pooling -> dropout.
    kernel_size : int or tuple of int, default={D['kernel_size']}
        Convolution kernel size.
    stride : int or tuple of int, default={D['stride']}
        Convolution stride.
    padding : {{'same', 'valid'}} or int or tuple of int, default={D['padding']!r}
        Convolution padding.
    pooling : {{'max', 'avg'}} or None, default={D['pooling']!r}
        Pooling after each convolution (ceil mode: maps smaller than the
        window are pooled to size 1 rather than failing).
    pool_size : int or tuple of int, default={D['pool_size']}
        Pooling window and stride.
    dropout : float, default={D['dropout']}
        Dropout probability after each block and each hidden dense layer.
    batchnorm : bool, default={D['batchnorm']}
        Batch normalisation after each convolution. On by default because
        audio features come unscaled (MFCC 0 is in the hundreds): it keeps
        every block's outputs on one scale, so the default network trains
        well on raw FSDD MFCCs with no standardizer in front, and clearly
        better than without it (:ref:`results <results_defaults>`).
    activation : {{'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}}, \
default={D['activation']!r}
        Activation after each convolution and hidden dense layer. Layers
        followed by ReLU-family activations get He (Kaiming) normal weights,
        the others Glorot uniform (see :mod:`skcnn.modules`).
    global_pool : {{'avg', 'max', 'avgmax', 'time'}} or None, default={D['global_pool']!r}
        None flattens the last maps into the dense layers, so the network
        takes inputs of the fitted shape only. 'avg', 'max' or 'avgmax'
        pool each channel to one number, so the parameter count does not
        grow with the input and inputs longer or shorter than the training
        ones can be predicted: 'avg' is the mean and 'max' the maximum over
        frequency and time together; 'avgmax' first averages over the
        frequency bins, then adds the maximum and the mean over the frames
        (:class:`skcnn.modules.GlobalPool`). Pooling over frequency drops
        where on the frequency axis a pattern was. 'time' adds the maximum
        and the mean over the frames only, one number per channel and bin:
        it keeps that position (a pitch) and still takes inputs of any
        length, with the fitted number of bins.
    hidden_units : tuple of int, default={D['hidden_units']}
        Width of each dense layer after flattening.
    architecture : {{'cnn', 'lenet5'}}, default={D['architecture']!r}
        'cnn' builds :class:`skcnn.modules.CNN` from the parameters above;
        'lenet5' builds :class:`skcnn.modules.LeNet5`, which ignores them.
        Passing ``module=`` (a ``torch.nn.Module`` class) overrides both
        and the network parameters above: it receives its ``module__``
        parameters, and ``input_shape`` and ``n_outputs`` (inferred at fit
        time) where its constructor takes them.
    lr : float, default={D['lr']}
        Learning rate of the optimizer.
    lr_schedule : {{'constant', 'cosine', 'flat_cos'}}, default={D['lr_schedule']!r}
        'constant' keeps ``lr``; 'cosine' lowers it from ``lr`` towards 0
        over the ``max_epochs`` epochs of each ``fit`` or ``partial_fit``
        call, along half a cosine, ``lr * (1 + cos(pi * epoch / max_epochs))
        / 2`` (the closed form of torch's ``CosineAnnealingLR``, run by
        skorch's ``LRScheduler``; ``history_`` records each epoch's rate as
        ``event_lr``). 'flat_cos' keeps ``lr`` for the first
        {FLAT_SHARE:.0%} of the epochs and runs the half cosine over the
        rest (fastai's ``fit_flat_cos``): its mean rate is
        {(1 + FLAT_SHARE) / 2:.0%} of ``lr``,
        against 50% for 'cosine', which makes short fits underfit.
        CNNClassifier (and CNNFrameClassifier) default to 'flat_cos', which
        steadied the last epoch's weights and won or tied on every dev set
        measured (:ref:`results <results_defaults>`); the regressors keep
        'constant'. A skorch ``LRScheduler``
        of your own in ``callbacks`` replaces the schedule: the rate is then
        that callback's alone.
    weight_averaging : 'auto' or float in [0, 1], default={D['weight_averaging']!r}
        Share of each training call's last epochs whose end-of-epoch
        weights are averaged (stochastic weight averaging, Izmailov et al.,
        2018); 0 keeps the last epoch's weights. With 0.3 and 30 epochs the
        network gets the mean of the weights after epochs 22 to 30, and its
        batch norms' running statistics are then recomputed over the
        training inputs, augmented as in training, in one pass without
        gradients (torch's ``swa_utils``;
        :class:`skcnn.estimators._callbacks.WeightAveraging`), one forward pass more.
        At least one epoch is averaged.
        'auto' is the measured default: {AUTO_WEIGHT_AVERAGING} for
        CNNClassifier, which won or tied on every dev set and steadied the
        seeds (:ref:`results <results_defaults>`); 0 (none) for the
        frame, mask and regressor estimators, whose benchmarks were measured
        without it; and 0 whenever ``early_stopping=True``, which restores
        its best epoch's weights instead (a number above 0 together with
        ``early_stopping`` is an error). The averaging callback, when there
        is one, is ``callbacks_``'s 'weight_averaging'. Every ``fit`` and
        ``partial_fit`` call averages its own last epochs and recomputes the
        batch norms over its own data (a stream of ``partial_fit`` chunks
        keeps no statistics from earlier chunks). A call interrupted before
        its end keeps its last batch's weights.
    batch_size : int, default={D['batch_size']}
        Mini-batch size for training and prediction.
    max_epochs : int, default={D['max_epochs']}
        Number of passes over the training data per ``fit`` or
        ``partial_fit`` call (an upper bound with early stopping).
    early_stopping : bool, default={D['early_stopping']}
        Whether to hold out ``validation_fraction`` of the training data
        (stratified for classification) and stop when the validation loss
        has not improved for ``n_iter_no_change`` epochs; the weights of
        the best epoch are restored. When False, no data is held out.
    validation_fraction : float, default={D['validation_fraction']}
        Share of the training data held out when ``early_stopping=True``.
    n_iter_no_change : int, default={D['n_iter_no_change']}
        Patience of early stopping, in epochs.
    augment : 'auto', augmentation of :mod:`skcnn.augment` or None, default={D['augment']!r}
        Applied to every training batch, and only there: prediction,
        ``score``, the early-stopping validation split and scorers that
        predict see the data as it is. 'auto' is the measured default: for
        the classifier on 2-D maps (4-D ``X``), ``Compose([SpecAugment(),
        TimeShift()])`` (two frequency and two time masks of up to 1/8 of
        the axis, a circular shift of up to 1/4 of the frames), built anew
        for every training call; nothing on 1-D
        inputs (waveform or feature vector: skcnn cannot tell) and nothing
        for the regressor (mixing targets is wrong for e.g. a pitch). None
        trains on the data as it is. Chain several with
        :class:`skcnn.augment.Compose`; their parameters are searchable as
        ``augment__<parameter>``; ``augment_`` is what the last training
        call used. Draws come from a generator of their own,
        seeded from ``random_state`` per training call. With an augmentation
        that mixes targets (:class:`skcnn.augment.Mixup`) the classifier's
        labels become one-hot probabilities, which the criterion must accept
        (torch's ``CrossEntropyLoss`` does). Scorers on the training set that
        reuse the batches' predictions (skorch's ``EpochScoring(on_train=True)``
        with caching) see augmented batches.
    random_state : int, RandomState instance or None, default={D['random_state']}
        Seeds the weights, the shuffling of training batches, dropout,
        ``augment`` and the validation split. With an int (and a fixed
        ``n_threads``), the same calls on the same data give bit-identical
        predictions on a CPU; successive ``partial_fit`` calls draw new
        shuffles, dropout masks and augmentations.
        The global torch random state is left untouched.
    device : str or torch.device, default={D['device']!r}
        Where to train and predict: 'cpu', 'cuda' or 'cuda:N', as for the
        feature transformers. A model trained on a GPU unpickles on a
        CPU-only machine (skorch moves it, with a warning).
    n_threads : int or None, default={D['n_threads']}
        Number of torch (intra-op) threads while fitting and predicting;
        torch's previous setting is restored afterwards. The default, 1,
        gives the same bits whatever the machine's load, ``n_jobs`` or
        cluster, and stays fast when another process holds a core: more
        threads than idle cores make torch's threads wait on each other at
        every operation, which slows a fit down several times over.
        Parallelism across fits comes from ``n_jobs`` of a search. None
        keeps the thread count of the process (all cores in a plain
        process): faster for one fit on an idle machine, but the bits then
        depend on the count (:ref:`results <results_threads>`). torch's
        thread count is one per process: concurrent calls share it (see
        :ref:`threads_gpus`).
    precision : {{'32', 'bf16', '16-mixed'}}, default={D['precision']!r}
        Floating-point precision of the network's computations, in training
        and in prediction (``predict``, ``score`` and the early-stopping
        validation alike). '32': float32 throughout. 'bf16': the network
        runs under torch's autocast in bfloat16 (convolutions and matrix
        products; the weights, the optimizer, the loss and the network's
        output stay float32), on a CPU or on a GPU with native bfloat16
        (NVIDIA compute capability 8.0 or later; on another GPU a ValueError
        suggests '16-mixed'). A CPU without bfloat16 instructions
        (AVX512-BF16 or AMX) still runs 'bf16', emulated and several times slower than '32'
        (:ref:`threads_gpus_precision`). '16-mixed': float16 under autocast
        with the loss scaled (torch's ``GradScaler``), CUDA devices only (on
        a CPU a ValueError suggests 'bf16'). The outputs keep their dtype and
        differ from '32''s by the lower precision's rounding (bfloat16 keeps
        about 3 significant digits). It is a setting of training
        and prediction, not of the network: ``save_weights`` writes float32
        weights, which load and predict under any precision.
    verbose : int, default={D['verbose']}
        0 prints nothing; 1 prints a line per epoch (losses, duration).
    module : torch.nn.Module class or None, default=None
        A network of your own instead of ``architecture``, built with its
        ``module__`` parameters, and with the sample shape
        (``input_shape``) and the number of outputs (``n_outputs``)
        inferred at fit time where its constructor takes them (a
        ``module__`` parameter of the same name wins). For fine-tuning a
        pretrained network: :class:`skcnn.pretrained.TransferNetwork`
        (per clip) or :class:`skcnn.pretrained.FrameTransferNetwork` (per
        frame), see :ref:`pretrained_fine_tuning`.
    criterion : torch loss class
        The loss (see the class's own default).
    optimizer : torch optimizer class, default=torch.optim.{D['optimizer'].__name__}
        The optimizer; its parameters as ``optimizer__name``.
    warm_start : bool, default={D['warm_start']}
        Whether ``fit`` continues from the fitted network instead of
        starting anew.
    **kwargs
        skorch's other parameters (``callbacks``, ``train_split``,
        ``iterator_train``, ``dataset``, ...) and its prefixed ones
        (``module__``, ``optimizer__``, ``criterion__``, ``callbacks__``,
        ``iterator_train__``, ``iterator_valid__``).
"""



ATTRIBUTES_DOC = """
    input_shape_ : tuple of int
        Shape of one sample as the network sees it (a 2-D ``X`` gains a
        channel axis of 1).
    n_outputs_ : int
        Number of output units.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.
    module_ : torch.nn.Module
        The trained network.
    history_ : skorch.History
        Per-epoch losses and timings.
    n_threads_ : int
        Number of torch threads the last training call ran with.
    augment_ : augmentation or None
        The augmentation the last training call applied (``augment`` with
        'auto' resolved).

    Notes
    -----
    Errors: a call that fails validation (parameters, data, targets, a
    network too large for the input) changes nothing, and so does a call
    that fails while training (a non-finite loss, an error raised by the
    network or a callback): it raises, and the estimator is as it was
    before the call (weights, optimizer state, ``history_``, unfitted if it
    was). An interrupt (Ctrl-C,
    or a KeyboardInterrupt from your code) propagates out of ``fit``,
    ``partial_fit`` and searches; the estimator then holds the network as
    the interrupt found it: the weights after the last completed batch,
    ``history_`` up to that point and the fitted attributes of the
    interrupted call; it predicts, and ``partial_fit`` continues from there.
    skorch's ``EarlyStopping`` callback, which stops training by raising
    KeyboardInterrupt, still ends training normally.
"""




def documented(cls):
    """``cls`` with its docstring's shared sections filled in from its signature."""
    defaults = {name: param.default
                for name, param in inspect.signature(cls.__init__).parameters.items()
                if param.default is not inspect.Parameter.empty}
    cls.__doc__ = (cls.__doc__.replace("<shared parameters>", _parameters_doc(defaults))
                   .replace("<attributes>", ATTRIBUTES_DOC))
    return cls

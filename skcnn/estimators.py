"""CNNClassifier and CNNRegressor: skorch networks with scikit-learn ergonomics.

Both subclass skorch's ``NeuralNetClassifier`` / ``NeuralNetRegressor`` and
keep skorch's machinery (callbacks, history, the ``module__``,
``optimizer__``, ``callbacks__``, ``iterator_train__`` prefixes). What they
add:

- the network's knobs (``n_filters``, ``kernel_size``, ``pooling``,
  ``dropout``, ...) as plain constructor parameters that a grid can name;
- input shape, number of classes and output size inferred in ``fit``;
- parameter validation the scikit-learn way (``_parameter_constraints``);
- seeded, reproducible fits (``random_state``);
- early stopping named as in ``MLPClassifier`` and no validation split
  unless it is asked for;
- the fast batch path of :mod:`skcnn._data` (slices of one tensor on the
  device instead of per-sample collation);
- ``device='auto'``;
- an explicit torch thread count (``n_threads``) for reproducible,
  non-oversubscribed searches, and no gradients, optimizer state or cached
  predictions left on the device after ``fit`` (see ``docs/scaling.md``).
"""

from contextlib import contextmanager
from types import MappingProxyType
from numbers import Integral, Real

import numpy as np
import torch
from skorch import NeuralNet, NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import EarlyStopping, EpochScoring
from skorch.utils import to_numpy, to_tensor
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._data import TensorBatchIterator, TensorDataset
from .modules import ACTIVATIONS, CNN, LeNet5

__all__ = ["CNNClassifier", "CNNRegressor"]

_SEED_MAX = np.iinfo(np.int32).max
_NETWORK_PARAMS = (
    "n_filters", "kernel_size", "stride", "padding", "pooling", "pool_size",
    "dropout", "batchnorm", "activation", "hidden_units",
)
_SKORCH_PARAMS = (
    "module", "criterion", "optimizer", "iterator_train", "iterator_valid",
    "dataset", "train_split", "callbacks", "predict_nonlinearity",
    "warm_start", "compile", "use_caching", "torch_load_kwargs",
)


def _auto_device():
    return "cuda" if torch.cuda.is_available() else "cpu"


def _valid_accuracy(net, X, y):
    """Accuracy on the validation set, in encoded labels (skorch scoring)."""
    proba = NeuralNet.predict_proba(net, X)
    return float(np.mean(proba.argmax(axis=1) == to_numpy(y)))


_SHARED_DOC = """
    Parameters
    ----------
    n_filters : tuple of int, default=(32, 64)
        Output channels of each convolution block; its length is the number
        of blocks. A block is convolution -> optional batch norm ->
        activation -> pooling -> dropout.
    kernel_size : int or tuple of int, default=3
        Convolution kernel size.
    stride : int or tuple of int, default=1
        Convolution stride.
    padding : {'same', 'valid'} or int or tuple of int, default='same'
        Convolution padding.
    pooling : {'max', 'avg'} or None, default='max'
        Pooling after each convolution (ceil mode: maps smaller than the
        window are pooled to size 1 rather than failing).
    pool_size : int or tuple of int, default=2
        Pooling window and stride.
    dropout : float, default=0.0
        Dropout probability after each block and each hidden dense layer.
    batchnorm : bool, default=True
        Batch normalisation after each convolution. On by default because
        audio features come unscaled (MFCC 0 is in the hundreds): on FSDD
        MFCCs it takes the default network from 94-96% to 98-99% test
        accuracy, with no standardizer in front.
    activation : {'relu', 'leaky_relu', 'elu', 'gelu', 'tanh', 'sigmoid'}, \
default='relu'
        Activation after each convolution and hidden dense layer. Layers
        followed by ReLU-family activations get He (Kaiming) normal weights,
        the others Glorot uniform (see :mod:`skcnn.modules`).
    hidden_units : tuple of int, default=(128,)
        Width of each dense layer after flattening.
    architecture : {'cnn', 'lenet5'}, default='cnn'
        'cnn' builds :class:`skcnn.modules.CNN` from the parameters above;
        'lenet5' builds :class:`skcnn.modules.LeNet5`, which ignores them.
        Passing ``module=`` (a ``torch.nn.Module`` class) overrides both;
        it then receives only its ``module__`` parameters.
    lr : float, default=1e-3
        Learning rate of the optimizer (Adam by default).
    batch_size : int, default=64
        Mini-batch size for training and prediction.
    max_epochs : int, default=20
        Number of passes over the training data (an upper bound with early
        stopping).
    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data
        (stratified for classification) and stop when the validation loss
        has not improved for ``n_iter_no_change`` epochs; the weights of
        the best epoch are restored. When False, no data is held out.
    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffling of training batches, dropout and
        the validation split. An int gives identical predictions on a CPU
        from fit to fit. The global torch random state is left untouched.
    device : 'auto', str or torch.device, default='auto'
        Where to train and predict; 'auto' picks 'cuda' when a GPU is
        available and 'cpu' otherwise (resolved again when a pickled model
        is loaded, so a model trained on a GPU loads on a CPU machine).
    n_threads : int or None, default=None
        Number of torch (intra-op and MKL) threads during ``fit``,
        ``partial_fit`` and prediction; torch's previous setting is restored
        afterwards. None keeps the thread count of the process it runs in:
        inside joblib's process workers (``GridSearchCV(n_jobs=k)``) that is
        ``cpu_count // k``, inside a Dask worker process 1, in a plain
        process all physical cores. Convolution gradients on a CPU round
        differently with different thread counts, so bit-identical results
        across ``n_jobs`` values and clusters need the same count
        everywhere: give an int (1 is the safe choice for searches).
        See ``docs/scaling.md``.
    verbose : int, default=0
        0 prints nothing; 1 prints skorch's table of epochs.
    **kwargs
        skorch's own parameters (``module``, ``criterion``, ``optimizer``,
        ``callbacks``, ``train_split``, ``warm_start``, ...) and its prefixed
        parameters (``module__``, ``optimizer__``, ``criterion__``,
        ``callbacks__``, ``iterator_train__``, ``iterator_valid__``).
"""

_ATTRIBUTES_DOC = """
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
        Number of torch threads the last ``fit`` or ``partial_fit`` ran
        with.
"""


class _CNNMixin:
    """Behaviour shared by CNNClassifier and CNNRegressor."""

    # skorch's __init__ sets these three on the instance; scikit-learn wants
    # an __init__ that stores parameters only (check_no_attributes_set_in_init,
    # skorch issue 1118). They move to the class as read-only defaults, and
    # skorch's initialize() sets them on the instance when fit runs.
    history_ = None
    initialized_ = False
    virtual_params_ = MappingProxyType({})

    def _drop_skorch_init_state(self):
        for name in ("history_", "initialized_", "virtual_params_"):
            vars(self).pop(name, None)

    _parameter_constraints = {
        "n_filters": [tuple, list],
        "kernel_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "stride": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "padding": [
            StrOptions({"same", "valid"}),
            Interval(Integral, 0, None, closed="left"),
            tuple,
            list,
        ],
        "pooling": [StrOptions({"max", "avg"}), None],
        "pool_size": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batchnorm": ["boolean"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "hidden_units": [tuple, list],
        "architecture": [StrOptions({"cnn", "lenet5"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [str, torch.device, None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
        **{name: "no_validation" for name in _SKORCH_PARAMS},
    }

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        for name in ("n_filters", "hidden_units"):
            value = getattr(self, name)
            if not all(
                isinstance(v, Integral) and not isinstance(v, bool) and v > 0
                for v in value
            ):
                raise ValueError(
                    f"{name}={value!r} must be a tuple of positive ints"
                )
        if self.early_stopping and self.train_split is not None:
            raise ValueError(
                "early_stopping=True takes its own validation split; leave "
                f"train_split=None (got train_split={self.train_split!r})"
            )

    def _validate_X(self, X, y="no_validation", reset=True):
        """Check X (and y); return float32 X and the validated y."""
        kwargs = dict(
            dtype=np.float32, allow_nd=True, ensure_all_finite=True,
            reset=reset, ensure_min_samples=2 if reset else 1,
        )
        if isinstance(y, str) and y == "no_validation":
            X = validate_data(self, X, **kwargs)
        else:
            X, y = validate_data(
                self, X, y, multi_output=self._multi_output,
                y_numeric=self._y_numeric, **kwargs
            )
        if X.ndim > 4:
            raise ValueError(
                f"X has {X.ndim} dimensions; expected 2-D (n_samples, length) "
                "or 3-D (n_samples, channels, length) for 1-D convolutions, or "
                "4-D (n_samples, channels, height, width) for 2-D ones"
            )
        if X.ndim == 2:
            X = X[:, None, :]
        if reset:
            self.input_shape_ = tuple(X.shape[1:])
        elif tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])} but "
                f"{type(self).__name__} was fitted on samples of shape "
                f"{self.input_shape_}"
            )
        return X, y

    # ----------------------------------------------------------------- device
    def _torch_device(self):
        return _auto_device() if str(self.device) == "auto" else self.device

    @contextmanager
    def _device_resolved(self):
        """Let skorch code that reads ``self.device`` see a real device."""
        device = self.device
        vars(self)["device"] = self._torch_device()
        try:
            yield
        finally:
            vars(self)["device"] = device

    def _initialize_module(self, reason=None):
        with self._device_resolved():
            return super()._initialize_module(reason=reason)

    def _initialize_criterion(self, reason=None):
        with self._device_resolved():
            return super()._initialize_criterion(reason=reason)

    def load_params(self, *args, **kwargs):
        with self._device_resolved():
            return super().load_params(*args, **kwargs)

    def __setstate__(self, state):
        if state.get("device") == "auto":
            state = dict(state, device=_auto_device())
            super().__setstate__(state)
            vars(self)["device"] = "auto"
        else:
            super().__setstate__(state)

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self._torch_device())
        return self.module_(x, **fit_params)

    # ------------------------------------------------------ skorch components
    def initialize_module(self):
        if not hasattr(self, "input_shape_"):
            raise ValueError(
                f"{type(self).__name__} infers the network's input shape from "
                "X; call fit instead of initialize"
            )
        kwargs = self.get_params_for("module")
        module = self.module
        if module is None:
            module = LeNet5 if self.architecture == "lenet5" else CNN
            if module is CNN:
                kwargs = {
                    **{name: getattr(self, name) for name in _NETWORK_PARAMS},
                    **kwargs,
                }
            kwargs = {
                "input_shape": self.input_shape_,
                "n_outputs": self.n_outputs_,
                **kwargs,
            }
        module = self.initialized_instance(module, kwargs)
        if getattr(self, "init_context_", None) is None:
            # called directly (e.g. by skcnn.inspection on an unfitted clone)
            with self._current_init_context("module"):
                self.module_ = module
        else:
            self.module_ = module
        return self

    def get_dataset(self, X, y=None):
        if isinstance(X, TensorDataset):
            return X
        device = self._torch_device()
        X = torch.as_tensor(X, dtype=torch.float32).to(device)
        if y is not None:
            y = torch.as_tensor(y).to(device)
        return TensorDataset(X, y)

    def get_split_datasets(self, X, y=None, **fit_params):
        dataset = self.get_dataset(X, y)
        if self.early_stopping:
            n = len(dataset)
            stratify = self._stratify(y)
            try:
                idx_train, idx_valid = train_test_split(
                    np.arange(n), test_size=self.validation_fraction,
                    random_state=self._seeds[2], stratify=stratify,
                )
            except ValueError as exc:
                raise ValueError(
                    f"early_stopping=True cannot split {n} samples with "
                    f"validation_fraction={self.validation_fraction}: {exc}"
                ) from exc
            return dataset.subset(idx_train), dataset.subset(idx_valid)
        if not self.train_split:
            return dataset, None
        return self.train_split(dataset, y, **fit_params)

    def get_iterator(self, dataset, training=False):
        if isinstance(dataset, torch.utils.data.Subset) and isinstance(
            dataset.dataset, TensorDataset
        ):
            dataset = dataset.dataset.subset(dataset.indices)
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = getattr(self, prefix)
        kwargs = self.get_params_for(prefix)
        kwargs.setdefault("batch_size", self.batch_size)
        if training and iterator is TensorBatchIterator:
            kwargs.setdefault("shuffle", True)
            kwargs.setdefault("seed", self._seeds[1])
        return iterator(dataset, **kwargs)

    def get_default_callbacks(self):
        callbacks = list(super().get_default_callbacks())
        if self.early_stopping:
            callbacks.append((
                "early_stopping",
                EarlyStopping(
                    monitor="valid_loss", patience=self.n_iter_no_change,
                    load_best=True,
                ),
            ))
        return callbacks

    def _set_training(self, training=True):
        # skorch sets the mode of every module on every batch; walking the
        # module tree costs ~5% of a small network's epoch, so skip it when
        # the modules are already in that mode
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and module.training != training:
                module.train(training)

    def train_step(self, batch, **fit_params):
        step = super().train_step(batch, **fit_params)
        loss = step["loss"].item()
        if not np.isfinite(loss):
            raise ValueError(
                f"The training loss became {loss} in epoch "
                f"{len(self.history)}; training stopped. Try a smaller lr "
                f"(lr={self.lr}), standardized inputs or batchnorm=True."
            )
        return step

    # -------------------------------------------------------------- training
    def _prepare_fit(self, X, y, classes=None):
        self._check_params()
        X, y = self._validate_X(X, y, reset=True)
        y = self._encode_targets(y, classes=classes)
        rng = check_random_state(self.random_state)
        self._seeds = [int(s) for s in rng.randint(_SEED_MAX, size=3)]
        return X, y

    @contextmanager
    def _seeded(self):
        device = torch.device(self._torch_device())
        cuda = []
        if device.type == "cuda":
            index = device.index
            cuda = [torch.cuda.current_device() if index is None else index]
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(self._seeds[0])
            yield

    @contextmanager
    def _threads(self):
        """Run torch with ``n_threads`` threads, restoring the old count."""
        previous = torch.get_num_threads()
        if self.n_threads is None or self.n_threads == previous:
            yield previous
            return
        torch.set_num_threads(self.n_threads)
        try:
            yield self.n_threads
        finally:
            torch.set_num_threads(previous)

    @contextmanager
    def _training(self):
        """Device, seeds and threads for training; tidy up afterwards.

        Before training, optimizer state parked on the CPU by the previous
        fit goes back to the parameters' device. Afterwards nothing that
        prediction does not need stays on the device (see
        :meth:`_release_training_state`).
        """
        with self._device_resolved(), self._seeded(), self._threads() as n:
            self.n_threads_ = n
            if self.initialized_:
                self._move_optimizer_state(to_params=True)
            try:
                yield
            finally:
                self._release_training_state()

    def _move_optimizer_state(self, to_params):
        """Move optimizer state to its parameters' device or to the CPU."""
        for name in self._optimizers:
            optimizer = getattr(self, name + "_", None)
            if optimizer is None:
                continue
            for param, state in optimizer.state.items():
                device = param.device if to_params else torch.device("cpu")
                for key, value in state.items():
                    # Adam's scalar `step` lives on the CPU unless the
                    # optimizer is capturable/fused; leave it where it is
                    if (torch.is_tensor(value) and value.dim() > 0
                            and value.device != device):
                        state[key] = value.to(device)

    def _release_training_state(self):
        """Drop or offload what training left on the device.

        Gradients are dropped, optimizer state (Adam's moments: twice the
        weights) moves to the CPU (``partial_fit`` moves it back), early
        stopping's copy of the best weights is dropped once restored, and
        scoring callbacks' cached predictions are cleared. The training
        tensors themselves live only in the fit loop's dataset and
        iterators, which are gone by now. On a GPU, cached blocks go back to
        the driver so that the next fit, in this process or another one
        sharing the GPU, starts from the same memory level.
        """
        if not self.initialized_:
            return
        for name in self._modules:
            module = getattr(self, name + "_", None)
            if isinstance(module, torch.nn.Module):
                module.zero_grad(set_to_none=True)
        device = torch.device(self._torch_device())
        if device.type != "cpu":
            self._move_optimizer_state(to_params=False)
        for _, callback in getattr(self, "callbacks_", []):
            if isinstance(callback, EarlyStopping):
                callback.best_model_weights_ = None
            if isinstance(callback, EpochScoring):
                callback.y_trues_, callback.y_preds_ = [], []
        if device.type == "cuda":
            torch.cuda.empty_cache()

    def fit(self, X, y, **fit_params):
        """Build the network for ``X`` and ``y`` and train it.

        Parameters
        ----------
        X : array-like of shape (n_samples, length), \
(n_samples, channels, length) or (n_samples, channels, height, width)
            Training inputs; 2-D and 3-D inputs get 1-D convolutions, 4-D
            inputs 2-D convolutions.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        **fit_params : dict
            Passed to the module's ``forward``, as in skorch.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = self._prepare_fit(X, y)
        with self._training():
            if not self.warm_start or not self.initialized_:
                self.initialize()
            NeuralNet.partial_fit(self, X, y, _routing_method="fit", **fit_params)
        return self

    def partial_fit(self, X, y, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        The first call builds the network, as ``fit`` does.

        Parameters
        ----------
        X : array-like
            Training inputs, as in ``fit``.
        y : array-like
            Targets, as in ``fit``.
        classes : array-like of shape (n_classes,), default=None
            Every class, for the classifier's first call.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if not self.initialized_ or not hasattr(self, "input_shape_"):
            X, y = self._prepare_fit(X, y, classes=classes)
            with self._device_resolved(), self._seeded():
                self.initialize()
        else:
            self._check_params()
            X, y = self._validate_X(X, y, reset=False)
            y = self._encode_targets(y, classes=None, reset=False)
        with self._training():
            NeuralNet.partial_fit(self, X, y, **fit_params)
        return self

    def _predict_raw(self, X):
        check_is_fitted(self)
        if not isinstance(X, torch.utils.data.Dataset):
            X = self._validate_X(X, reset=False)[0]
        # else: skorch's scoring callbacks pass the internal dataset back
        with self._device_resolved(), self._threads():
            return NeuralNet.predict_proba(self, X)

    def forward(self, X, training=False, device="cpu"):
        with self._device_resolved():
            return super().forward(X, training=training, device=device)

    def _get_param_names(self):
        # skorch lists every instance attribute not ending in "_", which
        # would include private ones such as _params_to_validate
        return [k for k in super()._get_param_names() if not k.startswith("_")]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags


class CNNClassifier(_CNNMixin, NeuralNetClassifier):
    __doc__ = (
        """Convolutional network classifier (skorch's NeuralNetClassifier).

    The network is :class:`skcnn.modules.CNN` (or LeNet-5) built at fit time
    for the shape of ``X`` and the number of classes, trained with Adam on
    the cross-entropy loss. Labels can be of any type; ``predict`` returns
    them.
"""
        + _SHARED_DOC
        + """    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, as in scikit-learn: a dict
        ``{label: weight}``, 'balanced' for weights inversely proportional to
        the class frequencies, or None for equal weights.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    class_weight_ : ndarray of shape (n_classes,) or None
        Weight of each class in the loss."""
        + _ATTRIBUTES_DOC
        + """
    See Also
    --------
    CNNRegressor : The same network with a linear, mean-squared-error head.
    skcnn.modules.CNN : The torch module that is trained.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import CNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 1, 8, 8)).astype("float32")
    >>> y = np.repeat(["no", "yes"], 20)
    >>> X[y == "yes"] += 1.0
    >>> clf = CNNClassifier(n_filters=(4,), hidden_units=(8,), max_epochs=5,
    ...                     random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).tolist()
    ['no', 'no', 'no']

    LeNet-5, and the Keras network of the course notes:

    >>> lenet = CNNClassifier(architecture="lenet5")
    >>> keras_like = CNNClassifier(n_filters=(32, 64), kernel_size=5,
    ...                            padding="valid", pooling="max",
    ...                            pool_size=2, batchnorm=False,
    ...                            hidden_units=(1000,))
    """
    )

    _multi_output = False
    _y_numeric = False
    _parameter_constraints = {
        **_CNNMixin._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "classes": "no_validation",
    }

    def __init__(
        self,
        *,
        n_filters=(32, 64),
        kernel_size=3,
        stride=1,
        padding="same",
        pooling="max",
        pool_size=2,
        dropout=0.0,
        batchnorm=True,
        activation="relu",
        hidden_units=(128,),
        architecture="cnn",
        lr=1e-3,
        batch_size=64,
        max_epochs=20,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        class_weight=None,
        random_state=None,
        device="auto",
        n_threads=None,
        verbose=0,
        module=None,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        iterator_train=TensorBatchIterator,
        iterator_valid=TensorBatchIterator,
        dataset=TensorDataset,
        train_split=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            dataset=dataset,
            train_split=train_split,
            verbose=verbose,
            device=device,
            **kwargs,
        )
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.pooling = pooling
        self.pool_size = pool_size
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.activation = activation
        self.hidden_units = hidden_units
        self.architecture = architecture
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.random_state = random_state
        self.n_threads = n_threads
        self._drop_skorch_init_state()

    @property
    def _default_callbacks(self):
        callbacks = dict(super()._default_callbacks)
        callbacks["valid_acc"] = EpochScoring(
            _valid_accuracy, name="valid_acc", lower_is_better=False
        )
        return list(callbacks.items())

    def check_data(self, X, y):
        # classes_ is set by _encode_targets; skorch would see encoded labels
        pass

    def _stratify(self, y):
        counts = np.bincount(y)
        return y if counts[counts > 0].min() >= 2 else None

    def _encode_targets(self, y, classes=None, reset=True):
        if not reset:
            known = np.isin(y, self.classes_)
            if not known.all():
                raise ValueError(
                    f"y contains labels not seen in the first fit: "
                    f"{np.unique(y[~known]).tolist()}"
                )
            return np.searchsorted(self.classes_, y).astype(np.int64)
        check_classification_targets(y)
        if classes is None and self.classes is not None:
            classes = self.classes
        if classes is not None:
            classes = np.unique(np.asarray(classes))
            unknown = ~np.isin(y, classes)
            if unknown.any():
                raise ValueError(
                    f"y contains labels {np.unique(y[unknown]).tolist()} that "
                    f"are not in classes={classes.tolist()}"
                )
        else:
            classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"y has a single class ({classes[0]!r}); a classifier needs "
                "at least 2 classes"
            )
        self.classes_inferred_ = classes
        self.n_outputs_ = len(classes)
        y_enc = np.searchsorted(classes, y).astype(np.int64)
        if self.class_weight is None:
            self.class_weight_ = None
        else:
            present = np.unique(y_enc)
            weights = np.ones(len(classes))
            weights[present] = compute_class_weight(
                self.class_weight, classes=classes[present], y=y
            )
            self.class_weight_ = weights
        return y_enc

    def initialize_criterion(self):
        kwargs = self.get_params_for("criterion")
        weight = getattr(self, "class_weight_", None)
        if weight is not None and "weight" not in kwargs:
            kwargs["weight"] = torch.as_tensor(weight, dtype=torch.float32)
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : array-like
            Inputs of the shape seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1; columns follow ``classes_``.
        """
        proba = self._predict_raw(X).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predicted labels, of the type seen in ``fit``.

        Parameters
        ----------
        X : array-like
            Inputs of the shape seen in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The labels.
        """
        index = self._predict_raw(X).argmax(axis=1)
        if isinstance(X, torch.utils.data.Dataset):
            # skorch's scoring callbacks (EpochScoring('accuracy'), ...) pass
            # the internal dataset, whose targets are the encoded labels
            return index
        return self.classes_[index]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class CNNRegressor(_CNNMixin, NeuralNetRegressor):
    __doc__ = (
        """Convolutional network regressor (skorch's NeuralNetRegressor).

    The network is :class:`skcnn.modules.CNN` (or LeNet-5) with a linear
    output layer of one unit per target, trained with Adam on the mean
    squared error. Targets are float32 internally; a 1-D ``y`` predicts
    1-D, a 2-D ``y`` predicts 2-D.
"""
        + _SHARED_DOC
        + """
    Attributes
    ----------"""
        + _ATTRIBUTES_DOC
        + """
    See Also
    --------
    CNNClassifier : The same network with a softmax, cross-entropy head.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import CNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 1, 32)).astype("float32")
    >>> y = X.mean(axis=(1, 2))
    >>> reg = CNNRegressor(n_filters=(4,), hidden_units=(8,), max_epochs=5,
    ...                    random_state=0).fit(X, y)
    >>> reg.predict(X).shape
    (40,)
    """
    )

    _multi_output = True
    _y_numeric = True

    def __init__(
        self,
        *,
        n_filters=(32, 64),
        kernel_size=3,
        stride=1,
        padding="same",
        pooling="max",
        pool_size=2,
        dropout=0.0,
        batchnorm=True,
        activation="relu",
        hidden_units=(128,),
        architecture="cnn",
        lr=1e-3,
        batch_size=64,
        max_epochs=20,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=None,
        device="auto",
        n_threads=None,
        verbose=0,
        module=None,
        criterion=torch.nn.MSELoss,
        optimizer=torch.optim.Adam,
        iterator_train=TensorBatchIterator,
        iterator_valid=TensorBatchIterator,
        dataset=TensorDataset,
        train_split=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            dataset=dataset,
            train_split=train_split,
            verbose=verbose,
            device=device,
            **kwargs,
        )
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.pooling = pooling
        self.pool_size = pool_size
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.activation = activation
        self.hidden_units = hidden_units
        self.architecture = architecture
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.n_threads = n_threads
        self._drop_skorch_init_state()

    def check_data(self, X, y):
        pass

    def _stratify(self, y):
        return None

    def _encode_targets(self, y, classes=None, reset=True):
        y = np.asarray(y, dtype=np.float32)
        if reset:
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            self._y_ndim = y.ndim
        elif (1 if y.ndim == 1 else y.shape[1]) != self.n_outputs_:
            raise ValueError(
                f"y has {1 if y.ndim == 1 else y.shape[1]} targets but the "
                f"model was fitted on {self.n_outputs_}"
            )
        return y.reshape(len(y), -1)

    @property
    def predict_proba(self):
        """Not available: a regressor predicts values, not probabilities."""
        raise AttributeError(
            "CNNRegressor has no predict_proba; use predict"
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like
            Inputs of the shape seen in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            1-D when ``fit`` saw a 1-D ``y``.
        """
        y = self._predict_raw(X).astype(np.float64)
        return y.ravel() if self._y_ndim == 1 else y

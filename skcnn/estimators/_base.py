"""The base of skcnn's estimators: the skorch network, its data, training and persistence.

``BaseCNN`` is a skorch ``NeuralNet`` that each estimator combines with a
target kind (:mod:`skcnn.estimators._targets`: labels or values) and an
output grid (:mod:`skcnn.estimators._grids`: one output per clip, per frame
or per pixel), given as the class attributes ``_target`` and ``_grid``. It
extends skorch through its public hooks only: ``initialize_module``
(through the public :meth:`BaseCNN.build_module`), ``initialize_criterion``,
``get_dataset``, ``get_iterator``, ``get_split_datasets``, ``infer``,
``train_step``, ``train_step_single``, ``validation_step``, ``get_loss``, ``notify``,
``get_default_callbacks``, ``initialize_callbacks``, ``set_params`` and
callbacks. The estimators (:mod:`skcnn.estimators._clip`,
:mod:`skcnn.estimators._frame`) add their signatures, their defaults and
their prediction methods, as skorch's ``NeuralNetClassifier`` does for
``NeuralNet``.

Devices are what skorch understands ('cpu', 'cuda', 'cuda:N'). An 'auto'
device cannot be resolved cleanly: skorch reads ``self.device`` inside its
private ``_initialize_module``/``_initialize_criterion``, ``infer``,
``get_loss``, ``load_params`` and ``__setstate__``; 'cpu' by default, as in
skorch and the transformers.

What happens around a training call is in one place,
:func:`skcnn.estimators._session.training_session`: torch's random state is
forked and seeded (the global state is left untouched), torch runs with
``n_threads`` threads, and afterwards gradients, optimizer state and
callback caches leave the device. Everything a call checks (parameters,
data, targets, that the network can be built for the data) is checked
before anything is changed, so a call that fails validation leaves the
estimator as it was; a call that fails while training (a non-finite
loss, an error in the network or a callback) is undone.

In a process of a ``torch.distributed`` group of several processes
(torchrun), a training call trains data-parallel: each process on its part
of every batch, through torch's ``DistributedDataParallel``
(:mod:`skcnn.estimators._distributed`; the hooks ``infer``,
``get_iterator``, ``get_loss`` and ``notify`` hand over to it).

``precision=`` runs the network under torch's autocast in ``infer``, the
one place every training step, validation step and prediction goes
through; its output comes back in float32, so the loss, the scores and the
predictions are computed in float32 from float32 weights. '16-mixed' also
scales the loss in ``train_step_single`` and steps the optimizer through
torch's ``GradScaler`` in ``train_step``.

``augment=`` (:mod:`skcnn.augment`) runs on training batches only, through
the call's :class:`~skcnn.estimators._augmenting.TrainingBatches`;
``set_params`` routes ``augment__<name>`` to it.
"""

import copy
import inspect
import warnings

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator, to_numpy, to_tensor
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_consistent_length, check_is_fitted

from . import _persistence
from ._augmenting import TrainingBatches, check_augment, set_augment_params
from ._callbacks import (
    FLAT_SHARES, EpochLog, FiniteLoss, WeightAveraging, cosine_schedule, sets_the_rate,
)
from ._grids import check_y_shape_early
from ._params import PRECISIONS, check_hyperparameters, check_precision, check_sample_weight
from ._data import LazyBatchIterator, LazyDataset, TensorBatchIterator, TensorDataset
from ._distributed import DataParallel, data_parallel
from ..utils._device import torch_threads
from ..utils._lazy import LazyFeatures
from ._session import training_session
from ._targets import Labels

__all__ = ["AUTO_WEIGHT_AVERAGING", "BaseCNN", "BaseClassifier", "unreduced_losses"]

#: What ``weight_averaging='auto'`` averages for :class:`skcnn.CNNClassifier`
#: (the share of each training call's last epochs) when early stopping is
#: off: it won or tied on every dev set (docs: results, "Weight averaging").
#: The other estimators' 'auto' averages nothing.
AUTO_WEIGHT_AVERAGING = 0.3

_SEED_MAX = np.iinfo(np.int32).max

#: The parameters :meth:`BaseCNN.get_default_callbacks` builds its callbacks
#: from: a training call that follows a ``set_params`` of one rebuilds them.
_CALLBACK_PARAMS = (
    "lr_schedule", "weight_averaging", "early_stopping", "n_iter_no_change", "max_epochs",
)


def unreduced_losses(criterion, y_pred, y_true, *, needs):
    """The criterion's loss of every element (``reduction='none'`` for the call)."""
    if not hasattr(criterion, "reduction"):
        raise ValueError(
            f"{needs} a criterion with a 'reduction' argument, as torch's losses "
            f"have; got {criterion!r}"
        )
    reduction, criterion.reduction = criterion.reduction, "none"
    try:
        return criterion(y_pred, y_true)
    finally:
        criterion.reduction = reduction


def _constructor_params(cls):
    """The names ``cls(...)`` takes as keywords (none when it cannot tell)."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _as_float32(output):
    """The network's floating-point output (or tuple of outputs) in float32:
    under autocast it comes out in bfloat16 or float16."""
    if isinstance(output, tuple):
        return tuple(_as_float32(part) for part in output)
    if torch.is_tensor(output) and output.is_floating_point():
        return output.float()
    return output


class _StopTraining(Exception):
    """skorch's ``EarlyStopping`` asked to stop (it raises KeyboardInterrupt)."""


class BaseCNN(NeuralNet):
    """The skorch network of the estimators (not used directly:
    :class:`skcnn.CNNClassifier` documents the parameters).

    A subclass sets ``_target`` (a target kind), ``_grid`` (an output grid),
    ``_parameter_constraints`` and ``_auto_weight_averaging``, defines
    ``_auto_augment`` and stores its own parameters in ``__init__``; skorch's
    parameters go to skorch's ``__init__`` through this one.
    """

    _target = None
    _grid = None
    #: What ``weight_averaging='auto'`` averages without early stopping (0: nothing).
    _auto_weight_averaging = 0.0
    #: Whether mixing two samples' targets gives the mixed input's target
    #: (augmentations such as Mixup are refused otherwise).
    _mixing = True

    def __init__(self, *, module, criterion, optimizer, lr, max_epochs, batch_size,
                 iterator_train, iterator_valid, dataset, train_split, warm_start, verbose,
                 device, **kwargs):
        super().__init__(
            module, criterion=criterion, optimizer=optimizer, lr=lr,
            max_epochs=max_epochs, batch_size=batch_size,
            iterator_train=iterator_train, iterator_valid=iterator_valid,
            dataset=dataset, train_split=train_split, warm_start=warm_start,
            verbose=verbose, device=device, **kwargs,
        )

    # ---------------------------------------------------------------- params
    def get_params(self, deep=True, **kwargs):
        # skorch lists every instance attribute that does not end in "_",
        # private ones included (its own _params_to_validate among them);
        # those are state, not parameters
        params = super().get_params(deep=deep, **kwargs)
        params = {k: v for k, v in params.items() if not k.startswith("_")}
        # skorch's deep listing of the callbacks names fresh instances of its
        # own four defaults (not get_default_callbacks': no EpochLog, no
        # FiniteLoss, no schedule) on top of callbacks_, so set_params of
        # the listing stored those as attributes, which replaced the
        # estimator's callbacks in every later fit and added keys to
        # get_params. Listed here: the callbacks that exist (callbacks_,
        # built at fit from the parameters), and what was set explicitly.
        params = {k: v for k, v in params.items()
                  if not k.startswith("callbacks__") or k in vars(self)}
        if deep:
            for name, callback in getattr(self, "callbacks_", None) or []:
                params["callbacks__" + name] = callback
                for key, value in callback.get_params().items():
                    params[f"callbacks__{name}__{key}"] = value
        return params

    def set_params(self, **params):
        # a prefixed parameter (or the callbacks) given the very object it
        # holds changes nothing: skorch would store it as an attribute (a
        # new parameter, pinned for every later fit) and re-initialise the
        # callbacks or the network. So set_params(**get_params()) is a no-op.
        current = self.get_params()
        params = {key: value for key, value in params.items()
                  if not (("__" in key or key == "callbacks") and key in current
                          and current[key] is value)}
        # skorch stores any "a__b" key as an attribute of that name; the
        # augmentation's parameters go to the augmentation, as in sklearn
        prefix = "augment__"
        nested = {key[len(prefix):]: params.pop(key)
                  for key in list(params) if key.startswith(prefix)}
        super().set_params(**params)
        if nested:
            set_augment_params(self, nested)
        return self

    def _check_hyperparameters(self):
        """Validate every parameter; change nothing."""
        check_hyperparameters(self)

    # --------------------------------------------------------------- network
    def build_module(self, input_shape, n_outputs):
        """Build the untrained network for samples of ``input_shape``.

        ``fit`` builds its network with this method, and
        :func:`skcnn.inspection.describe` uses it to show a network before
        training. Nothing on the estimator changes.

        Parameters
        ----------
        input_shape : tuple of int
            One sample's shape as the network sees it: ``(channels, length)``
            for 1-D or ``(channels, height, width)`` for 2-D convolutions.
        n_outputs : int
            Number of output units (classes, or targets).

        Returns
        -------
        module : torch.nn.Module
            The network, on the CPU, with freshly initialised weights.

        Examples
        --------
        >>> from skcnn import CNNClassifier
        >>> net = CNNClassifier(n_filters=(8,)).build_module((1, 13, 16), 3)
        >>> sum(p.numel() for p in net.parameters()) > 0
        True
        """
        self._check_hyperparameters()
        input_shape = tuple(int(s) for s in input_shape)
        kwargs = self.get_params_for("module")
        module = self.module
        if module is None:
            module, names = self._grid.network(self)
            network = {name: getattr(self, name) for name in names}
            kwargs = {"input_shape": input_shape, "n_outputs": int(n_outputs),
                      **network, **kwargs}
        elif isinstance(module, type):
            # a module class of your own gets the inferred shape and number of
            # outputs too, where its constructor takes them (the transfer
            # networks of skcnn.pretrained do); module__ parameters win
            inferred = {"input_shape": input_shape, "n_outputs": int(n_outputs)}
            accepted = _constructor_params(module)
            kwargs = {**{k: v for k, v in inferred.items() if k in accepted}, **kwargs}
        return self.initialized_instance(module, kwargs)

    def initialize_module(self):
        self.module_ = self.build_module(self.input_shape_, self.n_outputs_)
        return self

    def initialize_criterion(self):
        # the target kind may replace the default criterion (multi-label:
        # one sigmoid per class in place of the softmax)
        replacement = self._target.criterion(self)
        if replacement is None:
            return super().initialize_criterion()
        kwargs = self.get_params_for("criterion")
        self.criterion_ = self.initialized_instance(replacement, kwargs)
        return self

    # ------------------------------------------------------------------ data
    def _check_X(self, X):
        """X as float32 with a channel axis, and its shape as given."""
        if isinstance(X, LazyFeatures):
            # computed a batch at a time; its maps are 4-D float32 by construction
            return self._grid.check_X(self, X, X), X.shape
        checked = check_array(
            X, dtype=np.float32, allow_nd=True, ensure_all_finite=True,
            ensure_min_samples=1, input_name="X",
        )
        X = self._grid.check_X(self, X, checked)
        return (X[:, None, :] if X.ndim == 2 else X), X.shape

    def _check_fitted_shape(self, X, raw_shape, *, when):
        """Refuse samples of another shape than the fitted one.

        A network that pools globally accepts other lengths along its
        spatial axes; every other network only the fitted shape.
        """
        shape = tuple(X.shape[1:])
        fitted = self.input_shape_
        if shape == fitted or self._grid.accepts_shape(self, shape, fitted):
            return
        name = type(self).__name__
        if len(raw_shape) == 2 and len(fitted) == 2 and fitted[0] == 1:
            head = (f"X has {raw_shape[1]} features, but {name} is expecting "
                    f"{fitted[1]} features as input")
        else:
            head = (f"X has samples of shape {shape}, but {name} was fitted on "
                    f"samples of shape {fitted}")
        tail = (". The fitted model is unchanged; set warm_start=False (fit) "
                "or start a new estimator to train on data of another shape."
                if when == "training" else ".")
        raise ValueError(head + tail)

    def _validate_training_data(self, X, y, sample_weight, *, fresh, classes):
        """Check X, y and the weights; return what training needs and the
        fitted attributes to set. Nothing on the estimator changes."""
        check_y_shape_early(self, X, y)
        X, raw_shape = self._check_X(X)
        augment = self._auto_augment(X.ndim - 1) if self.augment == "auto" else self.augment
        check_augment(augment, X.shape, raw_shape, owner=type(self).__name__, grid=self._grid,
                      mixing=self._mixing)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        check_consistent_length(X, y)
        y_enc, state = self._target.encode(self, y, fresh=fresh, classes=classes)
        state["augment_"] = augment
        weight = check_sample_weight(sample_weight, len(X))
        if fresh:
            state.update(input_shape_=tuple(X.shape[1:]), n_features_in_=raw_shape[1])
            if len(X) < 2:
                raise ValueError(
                    f"n_samples={len(X)}: training needs at least 2 samples"
                )
            # building the network once checks that it fits the data (kernel
            # sizes against the map sizes, ...) before anything changes
            with torch.random.fork_rng(devices=[]):
                self.build_module(state["input_shape_"], state["n_outputs_"])
        else:
            self._check_fitted_shape(X, raw_shape, when="training")
        return X, y_enc, weight, state

    def get_dataset(self, X, y=None):
        if isinstance(X, torch.utils.data.Dataset):
            return X
        kwargs = self.get_params_for("dataset")
        if isinstance(X, LazyFeatures):
            if y is not None:
                y = torch.as_tensor(y).to(self.device)
            return LazyDataset(X, y)
        if not issubclass(self.dataset, TensorDataset):
            return self.dataset(X, y, **kwargs)
        with warnings.catch_warnings():
            # a read-only X (a memory map) is shared, not copied: nothing
            # writes to it, since batches are gathered copies and
            # augmentations return new tensors
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            X = torch.as_tensor(X, dtype=torch.float32).to(self.device)
            if y is not None:
                y = torch.as_tensor(y).to(self.device)
        return self.dataset(X, y, **kwargs)

    def _training_dataset(self, X, y, weight):
        if not issubclass(self.dataset, TensorDataset):
            if weight is not None:
                raise ValueError(
                    f"sample_weight needs skcnn's TensorDataset; "
                    f"dataset={self.dataset!r} carries no weights"
                )
            return self.get_dataset(X, y)
        dataset = self.get_dataset(X, y)
        if weight is not None:
            dataset.sample_weight = torch.as_tensor(weight).to(self.device)
        return dataset

    def get_split_datasets(self, X, y=None, **fit_params):
        dataset = self.get_dataset(X, y)
        if self.early_stopping:
            n = len(dataset)
            try:
                idx_train, idx_valid = train_test_split(
                    np.arange(n), test_size=self.validation_fraction,
                    random_state=self._call_seeds[2],
                    stratify=self._target.stratify(self, dataset.y.cpu().numpy()),
                )
            except ValueError as exc:
                raise ValueError(
                    f"early_stopping=True cannot split {n} samples with "
                    f"validation_fraction={self.validation_fraction}: {exc}"
                ) from exc
            return dataset.subset(idx_train), dataset.subset(idx_valid)
        if self.train_split is None:
            return dataset, None
        if y is None and isinstance(dataset, TensorDataset) and dataset.y is not None:
            y = dataset.y.cpu().numpy()
        return self.train_split(dataset, y, **fit_params)

    def get_iterator(self, dataset, training=False):
        if isinstance(dataset, torch.utils.data.Subset) and isinstance(
            dataset.dataset, TensorDataset
        ):
            dataset = dataset.dataset.subset(dataset.indices)
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = getattr(self, prefix)
        kwargs = self.get_params_for(prefix)
        if isinstance(dataset, LazyDataset) and iterator is TensorBatchIterator:
            # lazy inputs: the same batches, computed in DataLoader workers
            # (iterator_train__num_workers=... sets how many)
            iterator = LazyBatchIterator
            kwargs.setdefault("device", self.device)
        if iterator is TensorBatchIterator and not isinstance(dataset, TensorDataset):
            raise ValueError(
                f"dataset={self.dataset!r} needs a general iterator: pass "
                "iterator_train=torch.utils.data.DataLoader and "
                "iterator_valid=torch.utils.data.DataLoader"
            )
        kwargs.setdefault("batch_size", self.batch_size)
        if training and iterator in (TensorBatchIterator, LazyBatchIterator):
            kwargs.setdefault("shuffle", True)
            kwargs.setdefault("seed", self._call_seeds[1])
        parallel = getattr(self, "_data_parallel", None)
        if training and parallel is not None:
            return parallel.batches(iterator(dataset, **kwargs))
        return iterator(dataset, **kwargs)

    # -------------------------------------------------------------- training
    def get_default_callbacks(self):
        callbacks = [
            (name, EpochLog() if name == "print_log" else callback)
            for name, callback in super().get_default_callbacks()
        ]
        callbacks.append(("finite_loss", FiniteLoss()))
        if self.lr_schedule in FLAT_SHARES and not sets_the_rate(self.callbacks):
            flat = FLAT_SHARES[self.lr_schedule]
            callbacks.append(("lr_schedule", cosine_schedule(self.max_epochs, flat=flat)))
        share = self._weight_averaging_share()
        if share:  # truthiness: set_params may pass any value here
            callbacks.append(("weight_averaging", WeightAveraging(share)))
        if self.early_stopping:
            callbacks += self._target.validation_scores(self)
            callbacks.append((
                "early_stopping",
                EarlyStopping(monitor="valid_loss", patience=self.n_iter_no_change,
                              load_best=True),
            ))
        return callbacks

    def initialize_callbacks(self):
        # remember what the default callbacks were built from: skorch rebuilds
        # callbacks_ only in a fresh fit (or for callbacks__ parameters), so
        # partial_fit and a warm-started fit would keep e.g. an averaging
        # callback after set_params(weight_averaging=0)
        self._callbacks_built_from = {name: getattr(self, name) for name in _CALLBACK_PARAMS}
        return super().initialize_callbacks()

    def _callbacks_outdated(self):
        """Whether a parameter of the default callbacks changed since they were built."""
        built_from = getattr(self, "_callbacks_built_from", None)
        return built_from is not None and any(
            built_from[name] != getattr(self, name) for name in _CALLBACK_PARAMS
        )

    def _weight_averaging_share(self):
        """The share of epochs to average: ``weight_averaging``, or what
        'auto' means for this estimator (nothing with early stopping, which
        restores its best epoch's weights instead)."""
        if isinstance(self.weight_averaging, str) and self.weight_averaging == "auto":
            return 0.0 if self.early_stopping else self._auto_weight_averaging
        return self.weight_averaging

    def notify(self, method_name, **cb_kwargs):
        # skorch's EarlyStopping stops training by raising KeyboardInterrupt
        # from on_epoch_end, and skorch's partial_fit swallows every
        # KeyboardInterrupt, a real Ctrl-C included. Here only that one is a
        # stop request; any other KeyboardInterrupt propagates.
        getattr(self, method_name)(self, **cb_kwargs)
        parallel = getattr(self, "_data_parallel", None)
        if parallel is not None and method_name == "on_batch_end" and cb_kwargs.get("training"):
            parallel.record_batch_size(self.history)
        for _, callback in self.callbacks_:
            try:
                getattr(callback, method_name)(self, **cb_kwargs)
            except KeyboardInterrupt:
                if method_name == "on_epoch_end" and isinstance(callback, EarlyStopping):
                    raise _StopTraining from None
                raise

    def _set_mode(self, training):
        # skorch walks the module tree to set the mode on every batch, which
        # shows in a small network's epoch (see the results page, 'Choices
        # inside the code'); only switch when the mode changes
        for component in (self.module_, self.criterion_):
            if isinstance(component, torch.nn.Module) and component.training != training:
                component.train(training)

    def train_step_single(self, batch, **fit_params):
        self._set_mode(True)
        # the call's batches (augmented); outside skcnn's training calls, as they are
        Xi, yi = getattr(self, "_training_batches", unpack_data)(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        if self.precision == "16-mixed":
            # small float16 gradients would flush to zero: backpropagate the
            # loss scaled up (train_step unscales the gradients)
            self._grad_scaler().scale(loss).backward()
        else:
            loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def infer(self, x, **fit_params):
        # a data-parallel call's training forwards go through torch's
        # DistributedDataParallel (which averages the gradients); every other
        # forward (validation, prediction) through the plain network
        parallel = getattr(self, "_data_parallel", None)
        if parallel is None or not self.module_.training:
            forward, inputs = super().infer, x
        else:
            forward, inputs = parallel.forward, to_tensor(x, device=self.device)
        if self.precision == "32":
            return forward(inputs, **fit_params)
        # autocast runs the convolutions and matrix products in the lower
        # precision and keeps the weights in float32; the output comes back
        # in float32 for the loss (and whatever reads it) to be float32
        with torch.autocast(torch.device(self.device).type, dtype=PRECISIONS[self.precision]):
            output = forward(inputs, **fit_params)
        return _as_float32(output)

    def train_step(self, batch, **fit_params):
        if self.precision != "16-mixed":
            return super().train_step(batch, **fit_params)
        # skorch's step, through the scaler: torch's GradScaler takes no
        # optimizer closure, the gradients are unscaled before
        # on_grad_computed (so gradient clipping sees the true ones), and a
        # step whose gradients overflowed is skipped while the scale drops
        scaler = self._grad_scaler()
        self.optimizer_.zero_grad()
        step = self.train_step_single(batch, **fit_params)
        scaler.unscale_(self.optimizer_)
        try:
            self.notify("on_grad_computed",
                        named_parameters=TeeGenerator(self.get_all_learnable_params()),
                        batch=batch, training=True)
            scaler.step(self.optimizer_)
        finally:
            # also after an interrupt: a scaler copies and pickles only
            # between steps, and partial_fit continues from an interrupt
            scaler.update()
        return step

    def _grad_scaler(self):
        """The loss scaler of '16-mixed' training, made by its first step and
        kept by the later training calls (its scale follows the gradients'
        size); a fresh fit or ``load_weights`` starts a new one."""
        scaler = getattr(self, "_loss_scaler", None)
        if scaler is None:
            scaler = self._loss_scaler = torch.amp.GradScaler("cuda")
        return scaler

    def validation_step(self, batch, **fit_params):
        self._set_mode(False)
        Xi, yi = unpack_data(batch)
        with torch.no_grad():
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The mean loss over every element (clip, frame or pixel) of every sample.

        With sample weights ``w`` (per sample), class weights (per element)
        or missing targets, ``sum(w * l) / sum(w)`` over the elements' losses
        ``l``, each element weighted by its sample's and its class's weight
        (0 for a missing target), as ``CrossEntropyLoss(weight=...)`` weighs.
        """
        weight = None
        if isinstance(y_true, (tuple, list)):
            y_true, weight = y_true
        y_true = to_tensor(y_true, device=self.device)
        y_true, element_weight = self._target.element_weights(self, y_true)
        # a data-parallel call's training batches always carry weights
        parallel = getattr(self, "_data_parallel", None) if training else None
        if weight is None and element_weight is None:
            return self.criterion_(y_pred, y_true)
        losses = unreduced_losses(
            self.criterion_, y_pred, y_true,
            needs=("data-parallel training needs" if parallel is not None else
                   "sample weights, class weights and missing targets need"))
        w = torch.ones((), device=losses.device, dtype=losses.dtype)
        if weight is not None:
            weight = to_tensor(weight, device=self.device).to(losses.dtype)
            w = weight.reshape((-1,) + (1,) * (losses.ndim - 1))
        if element_weight is not None:
            w = w * element_weight.to(losses.dtype).reshape(
                element_weight.shape + (1,) * (losses.ndim - element_weight.ndim))
        w = w.expand_as(losses)
        if parallel is not None:
            return parallel.loss((losses * w).sum(), w.sum())
        return (losses * w).sum() / w.sum().clamp_min(1e-12)

    def _auto_augment(self, sample_ndim):
        """What ``augment='auto'`` means for samples of ``sample_ndim`` axes
        (channels included); None for no augmentation."""
        return None

    def _next_seeds(self):
        """Seeds of this training call: weights and dropout, shuffling, split,
        augmentation. They follow from ``random_state`` (drawn once per fresh fit) and the
        number of training calls since, so successive ``partial_fit`` calls
        see new shuffles, dropout masks and augmentations, and the same
        sequence of calls with the same int ``random_state`` repeats them
        exactly. (Drawing the fourth left the first three as they were.)
        """
        rng = np.random.default_rng([self._seed_base, self._n_training_calls])
        self._n_training_calls += 1
        return [int(s) for s in rng.integers(0, _SEED_MAX, size=4)]

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Build the network for ``X`` and ``y`` and train it.

        With ``warm_start=True`` and a fitted network, training continues
        from it instead (the targets' kind and number and the sample shape
        must not change).

        Parameters
        ----------
        X : array-like
            Training inputs, of the shapes the class docstring gives.
        y : array-like
            Targets, of the shapes the class docstring gives.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss; the loss of a batch is the
            weighted mean over its samples' elements.
        **fit_params : dict
            Passed to the module's ``forward``, as in skorch.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        fresh = not (self.warm_start and self._is_fitted())
        return self._train(X, y, sample_weight, fresh=fresh, **fit_params)

    def partial_fit(self, X, y, sample_weight=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        The first call builds the network, as ``fit`` does.

        Parameters
        ----------
        X : array-like
            Training inputs, as in ``fit``.
        y : array-like
            Targets, as in ``fit``; as many per sample as in the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._train(X, y, sample_weight, fresh=not self._is_fitted(), **fit_params)

    def _train(self, X, y, sample_weight=None, *, fresh, classes=None, **fit_params):
        """fit and partial_fit: check everything, then set, then train."""
        self._check_hyperparameters()
        # under torchrun, this process's share of a data-parallel call (None alone)
        parallel = DataParallel.of(self)
        X, y_enc, weight, state = self._validate_training_data(
            X, y, sample_weight, fresh=fresh, classes=classes
        )
        if parallel is not None:
            parallel.check_same_data(len(X))
        before = dict(vars(self))
        trained = self._training_state()
        for name, value in state.items():
            setattr(self, name, value)
        if fresh:
            rng = check_random_state(self.random_state)
            self._seed_base = int(rng.randint(_SEED_MAX))
            self._n_training_calls = 0
            vars(self).pop("_loss_scaler", None)
        self._call_seeds = seeds = self._next_seeds()
        own = seeds  # the seeds of this process's own draws: dropout, augmentations
        if parallel is not None:
            self._call_seeds = seeds = parallel.agree(seeds)
            own = parallel.own_seeds(seeds)
        dataset = self._training_dataset(X, y_enc, weight)
        batches = TrainingBatches(
            self.augment_, seed=own[3], device=self.device,
            mixable_target=lambda y, dtype: self._target.mixable(self, y, dtype))
        try:
            with training_session(self, own[0]):
                if fresh:
                    self._initialize_or_restore(before)
                elif self._callbacks_outdated():
                    self._initialize_or_restore(before, self.initialize_callbacks)
                self._training_batches = batches
                with data_parallel(self, parallel):
                    self.notify("on_train_begin", X=dataset, y=None)
                    try:
                        self.fit_loop(dataset, None, **fit_params)
                    except _StopTraining:
                        pass
                    self.notify("on_train_end", X=dataset, y=None,
                                training_batches=batches)
        except Exception:
            # a failed call (a non-finite loss, an error in the network or a
            # callback) leaves the estimator as it was: half-trained weights
            # would predict garbage. An interrupt is no failure: it keeps the
            # weights after the last completed batch (documented).
            self._restore(before, trained)
            raise
        finally:
            vars(self).pop("_training_batches", None)
        return self

    def _training_state(self):
        """What a training call changes in place (network, optimizer,
        criterion, history, '16-mixed' loss scaler, callbacks), with a deep
        copy of each; None before the first training call. On a GPU the copy
        of the weights stays there for the call's duration."""
        if not getattr(self, "initialized_", False):
            return None
        objects = [getattr(self, name) for name in
                   ("module_", "optimizer_", "criterion_", "history_", "_loss_scaler")
                   if getattr(self, name, None) is not None]
        objects += [callback for _, callback in getattr(self, "callbacks_", [])]
        # one deepcopy call: the optimizer's copy refers to the network's copy
        return objects, copy.deepcopy(objects)

    def _restore(self, before, trained):
        """The estimator's attributes as ``before``; objects changed in place
        (see :meth:`_training_state`) get their saved contents back, keeping
        their identity (a callback instance passed in ``callbacks`` stays
        the one its owner holds)."""
        vars(self).clear()
        vars(self).update(before)
        if trained is None:
            return
        for obj, saved in zip(*trained):
            if isinstance(obj, list):  # skorch's History is a list
                obj[:] = saved
            vars(obj).clear()
            vars(obj).update(vars(saved))

    def _initialize_or_restore(self, before, initialize=None):
        """skorch's initialize (or another ``initialize`` step); on failure,
        the estimator as it was ``before`` (skorch checks ``module__``-style
        parameters and builds the optimizer after it has replaced the
        network)."""
        try:
            (initialize or self.initialize)()
        except Exception:
            vars(self).clear()
            vars(self).update(before)
            raise

    def _is_fitted(self):
        return self.initialized_ and hasattr(self, "input_shape_")

    # ----------------------------------------------------------- persistence
    def save_weights(self, f):
        """Save the trained network and what prediction needs to ``f``.

        The file holds the weights, the fitted attributes prediction needs
        (sample shape, number of outputs, classes or target dimensions) and
        the network's parameters; :meth:`load_weights` restores them into a
        fresh estimator without fitting. It is read with
        ``torch.load(weights_only=True)``: loading runs no code from the
        file. Pickle and joblib keep working too, for the whole estimator.

        Parameters
        ----------
        f : str, path or file-like
            Where to write.

        Examples
        --------
        >>> import io, numpy as np
        >>> from skcnn import CNNClassifier
        >>> X = np.random.default_rng(0).normal(size=(20, 1, 8, 8)).astype("float32")
        >>> y = np.repeat(["a", "b"], 10)
        >>> clf = CNNClassifier(n_filters=(4,), max_epochs=2, random_state=0).fit(X, y)
        >>> buffer = io.BytesIO()
        >>> clf.save_weights(buffer)
        >>> _ = buffer.seek(0)
        >>> twin = CNNClassifier(n_filters=(4,)).load_weights(buffer)
        >>> bool((twin.predict_proba(X) == clf.predict_proba(X)).all())
        True
        """
        check_is_fitted(self)
        _persistence.save_weights(self, f)

    def load_weights(self, f):
        """Load weights written by :meth:`save_weights`; no fit needed.

        The estimator must be built with the network parameters the weights
        were saved with (a ValueError names those that differ). Its fitted
        attributes (``classes_``, ``input_shape_``, ...) come from the file,
        so predictions keep the labels they were trained with. If anything
        does not fit, nothing changes.

        Parameters
        ----------
        f : str, path or file-like
            A file written by :meth:`save_weights`.

        Returns
        -------
        self : object
            The estimator, ready to predict (and to train further with
            ``partial_fit``).
        """
        self._check_hyperparameters()
        state, state_dict = _persistence.load_weights(self, f)
        before = dict(vars(self))
        for name, value in state.items():
            setattr(self, name, value)
        self._seed_base = int(check_random_state(self.random_state).randint(_SEED_MAX))
        self._n_training_calls = 0
        vars(self).pop("_loss_scaler", None)
        with torch.random.fork_rng(devices=[]):
            self._initialize_or_restore(before)
        self.module_.load_state_dict(state_dict)
        return self

    def _network_params(self):
        """The parameters that shape the network (saved with the weights)."""
        return self._grid.network_params(self)

    def _target_state(self):
        return self._target.state(self)

    def _restore_target_state(self, fitted):
        return self._target.restore(fitted)

    # ------------------------------------------------------------ prediction
    @property
    def predict_proba(self):
        """Not available for values: a regressor predicts values, not
        probabilities (the classifiers define their own ``predict_proba``)."""
        raise AttributeError(f"{type(self).__name__} has no predict_proba; use predict")

    def _logits(self, X):
        """The network's raw output for X, float64."""
        return self._forward_output(X, nonlinearity=False).astype(np.float64)

    def _forward_output(self, X, nonlinearity=True):
        """The network's output for X, after the predict nonlinearity
        (skorch's ``predict_nonlinearity``) unless ``nonlinearity=False``."""
        check_is_fitted(self)
        check_precision(self.precision, self.device)
        if not isinstance(X, torch.utils.data.Dataset):
            X, raw_shape = self._check_X(X)
            self._check_fitted_shape(X, raw_shape, when="predict")
        with torch_threads(self.n_threads):
            if nonlinearity:
                return NeuralNet.predict_proba(self, X)
            return to_numpy(self.forward(X, training=False, device="cpu"))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = self._grid.per_clip
        tags.non_deterministic = self.random_state is None
        return tags


class BaseClassifier(ClassifierMixin, BaseCNN):
    """What the classifiers share, per clip or per frame: labels as targets
    (:class:`~skcnn.estimators._targets.Labels`), ``partial_fit`` with
    ``classes`` and the multi-label ``threshold``."""

    _target = Labels()

    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        The first call builds the network, as ``fit`` does.

        Parameters
        ----------
        X : array-like
            Training inputs, as in ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels; each must be one of the classes (or an indicator matrix
            with as many columns as in the first call).
        classes : array-like of shape (n_classes,), default=None
            Every class, for a first call whose ``y`` may not show them all
            (later calls may repeat them). Must agree with the constructor's
            ``classes`` when both are given.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._train(X, y, sample_weight, fresh=not self._is_fitted(),
                           classes=classes, **fit_params)

    def _check_decision_rules(self, n_classes, *, multilabel):
        """Check, before training, the parameters that turn probabilities
        into predictions against the number of classes ``y`` has."""
        if multilabel:
            self._check_threshold(n_classes)

    def _check_threshold(self, n_classes):
        threshold = np.asarray(self.threshold, dtype=np.float64)
        if threshold.ndim > 1 or (threshold.ndim == 1 and len(threshold) != n_classes):
            raise ValueError(
                f"threshold has shape {threshold.shape}; expected one number or "
                f"one per class ({n_classes},)"
            )
        if not ((threshold >= 0) & (threshold <= 1)).all():
            raise ValueError(f"threshold={self.threshold!r} must lie in [0, 1]")
        return threshold

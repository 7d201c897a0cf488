"""CNNClassifier: the skorch network for labels, one per clip or many (multi-label).

As skorch's ``NeuralNetClassifier`` does for ``NeuralNet``, the class adds to
:class:`skcnn.estimators._base.BaseCNN` only the encoding of its targets and its
prediction methods; it repeats the shared signature, whose defaults are
written once in :data:`skcnn.estimators._base.CLASSIFIER_DEFAULTS`.
"""

from numbers import Real

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d
from skorch.callbacks import EpochScoring
from skorch.utils import to_numpy

from ..utils._private import Interval, StrOptions
from ._base import AUTO_WEIGHT_AVERAGING, CLASSIFIER_DEFAULTS, BaseCNN
from ..augment import Compose, SpecAugment, TimeShift
from ._docs import ATTRIBUTES_DOC, CLASSIFIER_PARAMETERS_DOC

D = CLASSIFIER_DEFAULTS

__all__ = ["CNNClassifier"]


def _labels_of(y):
    """Encoded labels of a batch's target (the labels, without weights)."""
    return to_numpy(y[0] if isinstance(y, (tuple, list)) else y)


def _is_indicator(y):
    """Whether ``y`` is a 2-D 0/1 indicator matrix (multi-label targets)."""
    if not hasattr(y, "shape") and not isinstance(y, (list, tuple)):
        return False
    y = np.asarray(y) if not hasattr(y, "shape") else y
    if y.ndim != 2 or y.shape[1] < 2:
        return False
    return type_of_target(y) == "multilabel-indicator"


class CNNClassifier(ClassifierMixin, BaseCNN):
    __doc__ = (
        """Convolutional network classifier on skorch.

    The network is :class:`skcnn.modules.CNN` (or LeNet-5) built at fit time
    for the shape of ``X`` and the number of classes, trained with Adam on
    the cross-entropy loss. Labels can be of any type; ``predict`` returns
    them.

    Multi-label: given a 2-D 0/1 indicator ``y`` of shape (n_samples,
    n_classes), the network has one sigmoid output per class and is
    trained on the binary cross-entropy: the default criterion
    (``torch.nn.CrossEntropyLoss``) is then replaced by
    ``torch.nn.BCEWithLogitsLoss``, as ``criterion_`` shows (a criterion of
    your own is kept). ``predict_proba`` returns one probability per class
    (rows need not sum to 1), ``predict`` the indicators
    ``predict_proba(X) >= threshold`` and ``classes_`` is
    ``arange(n_classes)``, as in scikit-learn's ``MLPClassifier``.
"""
        + CLASSIFIER_PARAMETERS_DOC
        + """    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, as in scikit-learn: a dict
        ``{label: weight}``, 'balanced' for weights inversely proportional to
        the class frequencies (of the ``y`` of each training call), or None.
        Multiplied with ``sample_weight``.
    classes : array-like or None, default=None
        Every class, when ``y`` of a first ``partial_fit`` call may not show
        them all. Sorted and de-duplicated, as ``classes_``.
    threshold : float or array-like of shape (n_classes,), default=0.5
        Multi-label only: the probability from which ``predict`` sets a
        class (one for all classes, or one per class). Ignored for a 1-D
        ``y``, whose ``predict`` is the most probable class.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    class_weight_ : ndarray of shape (n_classes,) or None
        Weight of each class in the loss."""
        + ATTRIBUTES_DOC
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
    >>> X[y == "yes"] += 2.0
    >>> # the class is the maps' level: the flattening head learns it in 10 epochs
    >>> clf = CNNClassifier(n_filters=(4,), hidden_units=(8,), global_pool=None,
    ...                     max_epochs=10, random_state=0).fit(X, y)
    >>> clf.predict(X[[0, 1, 38, 39]]).tolist()
    ['no', 'no', 'yes', 'yes']

    LeNet-5, and the Keras network of the course notes:

    >>> lenet = CNNClassifier(architecture="lenet5")
    >>> keras_like = CNNClassifier(input_norm=None, n_filters=(32, 64),
    ...                            kernel_size=5, padding="valid",
    ...                            pooling="max", pool_size=2,
    ...                            batchnorm=False, global_pool=None,
    ...                            hidden_units=(1000,))
    """
    )

    _parameter_constraints = {
        **BaseCNN._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "classes": ["array-like", None],
        "threshold": [Interval(Real, 0, 1, closed="both"), "array-like"],
    }

    def __init__(
        self,
        *,
        input_norm=D["input_norm"],
        n_filters=D["n_filters"],
        kernel_size=D["kernel_size"],
        stride=D["stride"],
        padding=D["padding"],
        pooling=D["pooling"],
        pool_size=D["pool_size"],
        dropout=D["dropout"],
        batchnorm=D["batchnorm"],
        activation=D["activation"],
        global_pool=D["global_pool"],
        hidden_units=D["hidden_units"],
        architecture=D["architecture"],
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
            input_norm=input_norm, n_filters=n_filters, kernel_size=kernel_size, stride=stride,
            padding=padding, pooling=pooling, pool_size=pool_size,
            dropout=dropout, batchnorm=batchnorm, activation=activation,
            global_pool=global_pool, hidden_units=hidden_units,
            architecture=architecture, lr=lr, lr_schedule=lr_schedule,
            weight_averaging=weight_averaging,
            batch_size=batch_size,
            max_epochs=max_epochs, early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, augment=augment,
            random_state=random_state,
            device=device, n_threads=n_threads, verbose=verbose, module=module,
            criterion=criterion, optimizer=optimizer,
            iterator_train=iterator_train, iterator_valid=iterator_valid,
            dataset=dataset, train_split=train_split, warm_start=warm_start,
            **kwargs,
        )
        self.class_weight = class_weight
        self.classes = classes
        self.threshold = threshold

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Build the network for ``X`` and ``y`` and train it.

        With ``warm_start=True`` and a fitted network, training continues
        from it instead (the classes and sample shape must not change).

        Parameters
        ----------
        X : array-like of shape (n_samples, length), \
(n_samples, channels, length) or (n_samples, channels, height, width)
            Training inputs; 2-D and 3-D inputs get 1-D convolutions, 4-D
            inputs 2-D convolutions.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels of any type, or a 0/1 indicator matrix for multi-label
            classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss (multiplied with
            ``class_weight``); the loss of a batch is the weighted mean.
        **fit_params : dict
            Passed to the module's ``forward``, as in skorch.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        fresh = not (self.warm_start and self._is_fitted())
        return self._train(X, y, sample_weight, fresh=fresh, **fit_params)

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

    def _encode_targets(self, y, *, fresh, classes=None):
        multilabel = _is_indicator(y)
        if not fresh and multilabel != self._multilabel:
            fitted = "a 2-D indicator y (multi-label)" if self._multilabel else "1-D labels"
            raise ValueError(
                f"the model was fitted on {fitted}, and this y is "
                f"{'a 2-D indicator' if multilabel else 'not'}; the fitted model "
                "is unchanged. Use fit (warm_start=False) to change the task."
            )
        if multilabel:
            return self._encode_indicators(y, fresh=fresh, classes=classes)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        wanted = self._wanted_classes(classes)
        if fresh:
            known = np.unique(y) if wanted is None else wanted
            if len(known) < 2:
                raise ValueError(
                    f"y has 1 class ({known[0]!r}); a classifier needs "
                    "at least 2 classes"
                )
        else:
            known = self.classes_
            if wanted is not None and not np.array_equal(wanted, known):
                raise ValueError(
                    f"classes={wanted.tolist()} differ from the fitted classes_="
                    f"{known.tolist()}; the fitted model is unchanged. Use fit "
                    "(warm_start=False) to train on other classes."
                )
        unknown = ~np.isin(y, known)
        if unknown.any():
            where = "the fitted classes_" if not fresh else (
                "classes" if wanted is not None else "y")
            raise ValueError(
                f"y contains labels {np.unique(y[unknown]).tolist()} that are not "
                f"in {where}={known.tolist()}"
                + ("; the fitted model is unchanged" if not fresh else "")
            )
        y_enc = np.searchsorted(known, y).astype(np.int64)
        state = {"class_weight_": self._class_weights(known, y_enc, y)}
        if fresh:
            state.update(classes_=known, n_outputs_=len(known), _multilabel=False)
        return y_enc, state

    def _encode_indicators(self, y, *, fresh, classes):
        """A 2-D 0/1 indicator y as float32 targets of one sigmoid per class."""
        y = np.asarray(y)
        n_classes = y.shape[1]
        if self.class_weight is not None:
            raise ValueError(
                f"class_weight={self.class_weight!r} is for 1-D labels; with a "
                "multi-label indicator y weigh the positives of each class "
                "with criterion__pos_weight (torch's BCEWithLogitsLoss)"
            )
        for name, value in (("classes", self.classes), ("classes", classes)):
            if value is not None and not np.array_equal(
                    np.unique(np.asarray(value)), np.arange(n_classes)):
                raise ValueError(
                    f"{name}={np.asarray(value).tolist()} does not fit a multi-label "
                    f"indicator y with {n_classes} columns, whose classes are "
                    f"0..{n_classes - 1}; leave {name}=None"
                )
        if not fresh and n_classes != self.n_outputs_:
            raise ValueError(
                f"y has {n_classes} label columns but the model was fitted on "
                f"{self.n_outputs_}; the fitted model is unchanged. Use fit "
                "(warm_start=False) to train on other labels."
            )
        self._check_threshold(n_classes)
        state = {"class_weight_": None}
        if fresh:
            state.update(classes_=np.arange(n_classes), n_outputs_=n_classes,
                         _multilabel=True)
        return y.astype(np.float32), state

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

    def initialize_criterion(self):
        # multi-label: one sigmoid per class, in place of the default softmax
        if getattr(self, "_multilabel", False) and self.criterion is torch.nn.CrossEntropyLoss:
            kwargs = self.get_params_for("criterion")
            self.criterion_ = self.initialized_instance(torch.nn.BCEWithLogitsLoss, kwargs)
            return self
        return super().initialize_criterion()

    def _wanted_classes(self, classes):
        """The classes asked for (sorted, unique), or None."""
        if classes is not None and self.classes is not None:
            if not np.array_equal(np.unique(classes), np.unique(self.classes)):
                raise ValueError(
                    f"partial_fit(classes={np.unique(classes).tolist()}) disagrees "
                    f"with the constructor's classes={np.unique(self.classes).tolist()}"
                )
        wanted = classes if classes is not None else self.classes
        return None if wanted is None else np.unique(np.asarray(wanted))

    def _class_weights(self, classes, y_enc, y):
        if self.class_weight is None:
            return None
        present = np.unique(y_enc)
        weights = np.ones(len(classes))
        weights[present] = compute_class_weight(
            self.class_weight, classes=classes[present], y=y
        )
        return weights

    def _combine_weights(self, weight, y_enc, state):
        class_weight = state["class_weight_"]
        if class_weight is None:
            return weight
        per_sample = class_weight[y_enc].astype(np.float32)
        combined = per_sample if weight is None else weight * per_sample
        return None if np.all(combined == combined[0]) else combined

    def _auto_augment(self, sample_ndim):
        # measured on FSDD, CatMeows and synthetic sets (README, "Defaults,
        # measured"); Mixup cost 3-4 points on FSDD's official split
        if sample_ndim != 3:
            return None
        return Compose([SpecAugment(), TimeShift()])

    def _auto_weight_averaging(self):
        # won or tied on every dev set (README, "Defaults, measured")
        return AUTO_WEIGHT_AVERAGING

    def _mixable_target(self, y, dtype):
        if self._multilabel:  # indicators already: BCE takes soft ones
            return y.to(dtype)
        # torch's CrossEntropyLoss takes class probabilities as targets
        return torch.nn.functional.one_hot(y.long(), self.n_outputs_).to(dtype)

    def _stratify(self, dataset):
        if self._multilabel:
            return None
        y = dataset.y.cpu().numpy()
        counts = np.bincount(y)
        return y if counts[counts > 0].min() >= 2 else None

    def _validation_scores(self):
        return [("valid_acc", EpochScoring(
            "accuracy", name="valid_acc", lower_is_better=False,
            target_extractor=_labels_of,
        ))]

    def _target_state(self):
        classes = self.classes_
        if classes.dtype == object and not all(
            isinstance(c, (str, int, float, bool)) for c in classes.tolist()
        ):
            raise ValueError("classes_ holds objects that are not str, int, float or bool")
        weight = self.class_weight_
        return {"classes": classes.tolist(), "classes_dtype": classes.dtype.str,
                "class_weight": None if weight is None else weight.tolist(),
                "multilabel": bool(self._multilabel)}

    def _restore_target_state(self, fitted):
        classes = np.asarray(fitted["classes"], dtype=np.dtype(fitted["classes_dtype"]))
        weight = fitted["class_weight"]
        return {"classes_": classes,
                "class_weight_": None if weight is None else np.asarray(weight),
                "_multilabel": bool(fitted.get("multilabel", False))}

    def predict_proba(self, X):
        """Probability of each class.

        Parameters
        ----------
        X : array-like
            Inputs of the shape seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``. Rows sum to 1, except for a
            multi-label model, whose columns are each class's own
            probability.
        """
        proba = self._forward_output(X).astype(np.float64)
        if self._multilabel:
            return proba
        return proba / proba.sum(axis=1, keepdims=True)

    def _forward_output(self, X):
        if not getattr(self, "_multilabel", False) or self.predict_nonlinearity != "auto":
            return super()._forward_output(X)
        # skorch's 'auto' nonlinearity turns BCEWithLogitsLoss outputs into
        # (n, 2) binary probabilities; a multi-label head needs one sigmoid
        # per column
        logits = super()._forward_output(X, nonlinearity=False)
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))

    def predict(self, X):
        """Predicted labels, of the type seen in ``fit``.

        Parameters
        ----------
        X : array-like
            Inputs of the shape seen in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The labels, or for a multi-label model the 0/1 indicators
            ``predict_proba(X) >= threshold``.
        """
        output = self._forward_output(X)
        if self._multilabel:
            threshold = self._check_threshold(self.n_outputs_)
            return (output >= threshold).astype(np.int64)
        index = output.argmax(axis=1)
        if isinstance(X, torch.utils.data.Dataset):
            # skorch's scoring callbacks (EpochScoring('accuracy'), ...) pass
            # the internal dataset, whose targets are the encoded labels
            return index
        return self.classes_[index]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

"""CNNRegressor: the skorch network for values, one or several per clip.

It adds to :class:`skcnn.estimators._base.BaseCNN` only the encoding of its targets and
its prediction method, as skorch's ``NeuralNetRegressor`` does for
``NeuralNet``; its signature repeats the shared one, whose defaults are
written once in :data:`skcnn.estimators._base.REGRESSOR_DEFAULTS`.
"""

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_array

from ._base import REGRESSOR_DEFAULTS, BaseCNN
from ._docs import ATTRIBUTES_DOC, REGRESSOR_PARAMETERS_DOC

D = REGRESSOR_DEFAULTS

__all__ = ["CNNRegressor"]


class CNNRegressor(RegressorMixin, BaseCNN):
    __doc__ = (
        """Convolutional network regressor on skorch.

    The network is :class:`skcnn.modules.CNN` (or LeNet-5) with a linear
    output layer of one unit per target, trained with Adam on the mean
    squared error. Targets are float32 internally; a 1-D ``y`` predicts
    1-D, a 2-D ``y`` predicts 2-D.

    By default (``global_pool=None``) the last maps are flattened into the
    dense layers: a value such as a pitch is a position on the frequency
    axis, which pooling over frequency averages away. The network then
    takes inputs of the fitted shape only; ``global_pool='time'`` keeps the
    frequency axis and takes clips of any length, ``'avgmax'`` (the
    classifier's default) pools both axes.
"""
        + REGRESSOR_PARAMETERS_DOC
        + """
    Attributes
    ----------"""
        + ATTRIBUTES_DOC
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

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Build the network for ``X`` and ``y`` and train it.

        With ``warm_start=True`` and a fitted network, training continues
        from it instead (the number of targets and the sample shape must not
        change).

        Parameters
        ----------
        X : array-like of shape (n_samples, length), \
(n_samples, channels, length) or (n_samples, channels, height, width)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss; the loss of a batch is the
            weighted mean of its samples' squared errors.
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

        Parameters
        ----------
        X : array-like
            Training inputs, as in ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets, as many per sample as in the first call.
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
                           **fit_params)

    def _encode_targets(self, y, *, fresh, classes=None):
        y = check_array(y, ensure_2d=False, dtype=np.float32,
                        ensure_all_finite=True, input_name="y")
        if y.ndim > 2:
            raise ValueError(
                f"y has {y.ndim} dimensions; expected (n_samples,) or "
                "(n_samples, n_targets)"
            )
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if fresh:
            return y.reshape(len(y), -1), {"n_outputs_": n_outputs, "_y_ndim": y.ndim}
        if n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} targets but the model was fitted on "
                f"{self.n_outputs_}; the fitted model is unchanged. Use fit "
                "(warm_start=False) to train on other targets."
            )
        return y.reshape(len(y), -1), {}

    def _target_state(self):
        return {"y_ndim": int(self._y_ndim)}

    def _restore_target_state(self, fitted):
        return {"_y_ndim": int(fitted["y_ndim"])}

    @property
    def predict_proba(self):
        """Not available: a regressor predicts values, not probabilities."""
        raise AttributeError(f"{type(self).__name__} has no predict_proba; use predict")

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
        y = self._forward_output(X).astype(np.float64)
        return y.ravel() if self._y_ndim == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

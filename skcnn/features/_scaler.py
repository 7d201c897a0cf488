"""SpectrogramScaler: standardise time-frequency maps with statistics learned in ``fit``.

The one stateful transformer of :mod:`skcnn.features` (which exports it).
Inside a ``Pipeline`` under cross-validation it is refitted on every training
fold, so no statistic of a test fold leaks into training.
"""

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._private import StrOptions, _fit_context
from ..utils._lazy import LazyFeatures

__all__ = ["SpectrogramScaler"]


def _scale(var, mean, n_samples):
    """Standard deviations, with 1 where the variance is indistinguishable from zero.

    Follows :class:`sklearn.preprocessing.StandardScaler` (its helpers
    ``_is_constant_feature`` and ``_handle_zeros_in_scale``, written here
    anew rather than imported): with float64 accumulators, a variance within
    the error bound of the two-pass algorithm (Chan, Golub and LeVeque),
    ``n * eps * var + (n * mean * eps) ** 2``, is a constant feature, and a
    scale of 1 leaves it centred instead of dividing later data by ~0.
    """
    eps = np.finfo(np.float64).eps
    constant = var <= n_samples * eps * var + (n_samples * mean * eps) ** 2
    return np.where(constant, 1.0, np.sqrt(var))


class SpectrogramScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardise maps per frequency bin, per channel or globally.

    ``fit`` learns the mean and standard deviation of the maps over the
    training clips and frames; ``transform`` subtracts the mean and divides
    by the standard deviation. Time is always pooled, so clips of any number
    of frames can be transformed.

    Parameters
    ----------
    per : {'bin', 'channel', 'global'}, default='bin'
        Which statistics: one mean and standard deviation per channel and
        frequency bin (pooled over clips and frames), one per channel
        (pooled over clips, bins and frames), or one for everything.
    with_mean : bool, default=True
        Whether to subtract the mean.
    with_std : bool, default=True
        Whether to divide by the standard deviation. A statistic that is
        constant in ``fit`` (its variance within rounding error of zero, by
        :class:`~sklearn.preprocessing.StandardScaler`'s rule) gets a scale
        of 1: those values are only centred.

    Attributes
    ----------
    mean_ : ndarray
        The means, of shape ``(n_channels, n_bins, 1)`` for ``per='bin'``,
        ``(n_channels, 1, 1)`` for 'channel' and ``(1, 1, 1)`` for 'global'
        (4-D input; one axis fewer for 3-D and two fewer for 2-D input).
    scale_ : ndarray
        The standard deviations, 1 where the training maps were constant
        (as ``StandardScaler.scale_``), shaped as ``mean_``.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    Notes
    -----
    Input: 4-D maps ``(n_clips, n_channels, n_bins, n_frames)`` as the
    transformers make them, 3-D ``(n_clips, n_channels, n_frames)``, or 2-D
    ``(n_samples, n_features)`` (then 'bin' and 'channel' are per
    feature, as ``StandardScaler``). The last axis is time. Output: float32, same shape.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import SpectrogramScaler
    >>> maps = np.random.default_rng(0).normal(5.0, 2.0, size=(8, 1, 4, 10))
    >>> scaled = SpectrogramScaler().fit_transform(maps)
    >>> scaled.shape, round(float(scaled.mean()), 6), round(float(scaled.std()), 3)
    ((8, 1, 4, 10), 0.0, 1.0)
    """

    _parameter_constraints: dict = {
        "per": [StrOptions({"bin", "channel", "global"})],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, per="bin", with_mean=True, with_std=True):
        self.per = per
        self.with_mean = with_mean
        self.with_std = with_std

    def _check(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=(np.float32, np.float64),
                          allow_nd=True, ensure_all_finite=True)
        if X.ndim > 4:
            raise ValueError(
                f"X has {X.ndim} dimensions; expected maps of shape (n_clips, n_channels, "
                "n_bins, n_frames), (n_clips, n_channels, n_frames) or (n_samples, n_features)"
            )
        return X

    def _axes(self, ndim):
        if ndim == 2:  # (n_samples, n_features): 'bin' is per feature
            return {"bin": (0,), "channel": (0,), "global": (0, 1)}[self.per]
        return {"bin": (0, ndim - 1), "channel": tuple(i for i in range(ndim) if i != 1),
                "global": tuple(range(ndim))}[self.per]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the means and standard deviations of the training maps.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_channels, n_bins, n_frames), or LazyFeatures
            Training maps (or 3-D / 2-D, see Notes). Lazy maps (from a
            list of files) are read in one streaming pass.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted scaler.
        """
        if isinstance(X, LazyFeatures):
            n, mean, var, shape = self._streamed_moments(X)
        else:
            X = self._check(X, reset=True)
            axes = self._axes(X.ndim)
            stats = X.astype(np.float64, copy=False)
            mean = stats.mean(axis=axes, keepdims=True)[0]
            var = stats.var(axis=axes, keepdims=True)[0]
            n, shape = int(np.prod([X.shape[a] for a in axes])), X.shape
        self.mean_ = mean if self.with_mean else np.zeros_like(mean)
        self.scale_ = _scale(var, mean, n) if self.with_std else np.ones_like(var)
        self._fitted_shape = shape[1:-1] if len(shape) > 2 else shape[1:]
        return self

    def _streamed_moments(self, X):
        """Count, mean and variance over lazy maps, in one pass of chunks.

        Each chunk's float64 moments are merged into the running ones by
        Chan, Golub and LeVeque's pairwise update, the streaming form of the
        two-pass mean and variance ``fit`` computes on an array (equal to
        it within float64 rounding).
        """
        if X.ndim != 4:
            raise ValueError(f"X has shape {X.shape}; lazy features are 4-D maps")
        self.n_features_in_ = X.shape[1]
        axes = self._axes(4)
        n, mean, m2 = 0, 0.0, 0.0
        for chunk in X.chunks():
            chunk = chunk.astype(np.float64)
            k = int(np.prod([chunk.shape[a] for a in axes]))
            chunk_mean = chunk.mean(axis=axes, keepdims=True)[0]
            chunk_m2 = ((chunk - chunk_mean) ** 2).sum(axis=axes, keepdims=True)[0]
            delta = chunk_mean - mean
            total = n + k
            mean = mean + delta * (k / total)
            m2 = m2 + chunk_m2 + delta ** 2 * (n * k / total)
            n = total
        return n, mean, m2 / n, X.shape

    def transform(self, X):
        """Standardise maps with the statistics learned in ``fit``.

        Parameters
        ----------
        X : array-like
            Maps with the channels and bins seen in ``fit``; any number of
            frames.

        Returns
        -------
        X_scaled : ndarray of X's shape, dtype float32, or LazyFeatures
            Lazy maps (from a list of files) stay lazy: they are scaled a
            batch at a time.
        """
        check_is_fitted(self)
        if isinstance(X, LazyFeatures):
            self._check_shape(X.shape)
            return X.then(self)
        X = self._check(X, reset=False)
        self._check_shape(X.shape)
        return ((X - self.mean_) / self.scale_).astype(np.float32)

    def _check_shape(self, full_shape):
        shape = full_shape[1:-1] if len(full_shape) > 2 else full_shape[1:]
        if shape != self._fitted_shape:
            raise ValueError(
                f"X has maps of {full_shape[1:]} (channels, bins, frames), but "
                f"SpectrogramScaler was fitted on {self._fitted_shape} channels and bins"
            )

    def inverse_transform(self, X):
        """Undo :meth:`transform`.

        Parameters
        ----------
        X : array-like
            Standardised maps.

        Returns
        -------
        X_original : ndarray of X's shape, dtype float32
        """
        check_is_fitted(self)
        X = self._check(X, reset=False)
        return (X * self.scale_ + self.mean_).astype(np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

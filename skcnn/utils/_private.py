"""Every private name of scikit-learn and skorch that skcnn uses, in one place.

No other module of skcnn imports a private name of either library (an
underscore-named module, function or class); they import it from here.
tests/test_private_names.py checks that, and that each name below still
exists and behaves as skcnn relies on, so that a new release that changes
one fails there first. setup.cfg caps both libraries below their first
untested release for the same reason.

Besides the imports, skcnn relies on:

* ``BaseEstimator._validate_params()``, which checks the
  ``_parameter_constraints`` class attribute (the features, segments);
* skorch's callbacks' state, written by :func:`forget_best_weights` and
  :func:`clear_scoring_cache` below (the estimators' training session).

This module imports only scikit-learn: :mod:`skcnn.segments` and
:mod:`skcnn.augment` need no torch.
"""

# The parameter declarations and checks of scikit-learn's own estimators; no public home.
from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

# fit's decorator: validates the parameters once, skips nested validation; no public home.
from sklearn.base import _fit_context  # noqa: F401

# Row selection of arrays, lists and DataFrames alike; listed in scikit-learn's API
# reference but underscore-named, no public alias.
from sklearn.utils import _safe_indexing  # noqa: F401

# The validation of sample_weight that scikit-learn's estimators share; no public home.
from sklearn.utils.validation import _check_sample_weight  # noqa: F401

# scikit-learn's own tests of "array-like" and "number of samples", so that fit parameters
# are split per recording exactly when scikit-learn would; no public home.
from sklearn.utils.validation import _is_arraylike, _num_samples  # noqa: F401

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "_is_arraylike",
    "_num_samples",
    "_safe_indexing",
    "clear_scoring_cache",
    "forget_best_weights",
    "validate_parameter_constraints",
]


def forget_best_weights(early_stopping):
    """Drop skorch ``EarlyStopping``'s copy of the best weights.

    skorch keeps it in ``best_model_weights_`` from one epoch to the next and
    only drops it at the next ``on_train_begin`` (and when pickling); there is
    no public way to release it after training, so skcnn writes None there.
    """
    early_stopping.best_model_weights_ = None


def clear_scoring_cache(epoch_scoring):
    """Empty skorch ``EpochScoring``'s cached targets and predictions of an epoch.

    skorch empties ``y_trues_`` and ``y_preds_`` in ``on_train_end``, which an
    interrupted training never reaches; skcnn empties them as skorch does.
    """
    epoch_scoring.y_trues_, epoch_scoring.y_preds_ = [], []

"""What an estimator's targets are: labels (one class, or 0/1 indicators of
several) or values.

Each estimator combines one target kind with one output grid
(:mod:`skcnn.estimators._grids`), as scikit-learn's losses are objects that
many estimators combine. A target kind turns ``y`` into what the network
learns from, element by element (an element is a clip, a frame or a
time-frequency pixel: the grid says which), and holds everything that
depends only on what the targets are:

- encoding ``y`` (and checking it against a fitted model's targets),
- the criterion that replaces the default one (multi-label: one sigmoid per
  class),
- the per-element weights of the loss (class weights; missing values),
- float targets an augmentation can mix,
- the early-stopping split's stratification and extra validation scores,
- what ``save_weights`` writes about the targets.

Target kinds hold no state: the fitted state is the estimator's
(``classes_``, ``n_outputs_``, ...), and each method takes the estimator.
"""

import numpy as np
import torch
from scipy import sparse
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_array
from skorch.callbacks import EpochScoring
from skorch.utils import to_numpy

from ._grids import check_y_shape_early

__all__ = ["Labels", "Values"]


def _labels_of(y):
    """Encoded labels of a batch's target (the labels, without weights)."""
    return to_numpy(y[0] if isinstance(y, (tuple, list)) else y)


def _refit_hint(what):
    return (f"; the fitted model is unchanged. Use fit (warm_start=False) to train on {what}.")


class Labels:
    """Class labels of any type per element, or 0/1 indicators per element
    and class (multi-label: one sigmoid per class).

    Which of the two a ``y`` is, the grid says (:meth:`Grid.is_indicator`):
    per clip, a 2-D 0/1 matrix with at least two columns; per frame, a 3-D
    ``y``.
    """

    kind = "labels"

    # ------------------------------------------------------------ encoding
    def encode(self, est, y, *, fresh, classes=None):
        """``y`` encoded in the network's layout, and the fitted attributes it sets."""
        grid = est._grid
        y = grid.dense_targets(est, y)
        multilabel = grid.is_indicator(y)
        if not fresh and multilabel != est._multilabel:
            fitted = grid.indicator_name if est._multilabel else grid.label_name
            given = "indicators" if multilabel else "labels"
            raise ValueError(
                f"the model was fitted on {fitted} and this y holds {given}; the fitted "
                "model is unchanged. Use fit (warm_start=False) to change the task."
            )
        if multilabel:
            return self._encode_indicators(est, y, fresh=fresh, classes=classes)
        y = grid.labels(est, y)
        lead = y.shape
        flat = y.reshape(-1)
        check_classification_targets(flat)
        wanted = self._wanted_classes(est, classes)
        if fresh:
            known = np.unique(flat) if wanted is None else wanted
            if len(known) < 2:
                raise ValueError(
                    f"y has 1 class ({known[0]!r}); a classifier needs at least 2 classes"
                )
        else:
            known = est.classes_
            if wanted is not None and not np.array_equal(wanted, known):
                raise ValueError(
                    f"classes={wanted.tolist()} differ from the fitted classes_="
                    f"{known.tolist()}" + _refit_hint("other classes")
                )
        unknown = ~np.isin(flat, known)
        if unknown.any():
            where = "the fitted classes_" if not fresh else (
                "classes" if wanted is not None else "y")
            raise ValueError(
                f"y contains labels {np.unique(flat[unknown]).tolist()} that are not "
                f"in {where}={known.tolist()}"
                + ("; the fitted model is unchanged" if not fresh else "")
            )
        est._check_decision_rules(len(known), multilabel=False)
        y_enc = np.searchsorted(known, flat).astype(np.int64)
        state = {"class_weight_": self._class_weights(est, known, y_enc, flat)}
        if fresh:
            state.update(classes_=known, n_outputs_=len(known), _multilabel=False)
        return y_enc.reshape(lead), state

    def _encode_indicators(self, est, y, *, fresh, classes):
        y = np.asarray(y)
        n_classes = y.shape[-1]
        if est.class_weight is not None:
            raise ValueError(
                f"class_weight={est.class_weight!r} is for {est._grid.label_name}; with a "
                "multi-label indicator y weigh the positives of each class "
                "with criterion__pos_weight (torch's BCEWithLogitsLoss)"
            )
        for name, value in (("classes", est.classes), ("classes", classes)):
            if value is not None and not np.array_equal(
                    np.unique(np.asarray(value)), np.arange(n_classes)):
                raise ValueError(
                    f"{name}={np.asarray(value).tolist()} does not fit a multi-label "
                    f"indicator y with {n_classes} columns, whose classes are "
                    f"0..{n_classes - 1}; leave {name}=None"
                )
        if not fresh and n_classes != est.n_outputs_:
            raise ValueError(
                f"y has {n_classes} label columns but the model was fitted on "
                f"{est.n_outputs_}" + _refit_hint("other labels")
            )
        est._check_decision_rules(n_classes, multilabel=True)
        state = {"class_weight_": None}
        if fresh:
            state.update(classes_=np.arange(n_classes), n_outputs_=n_classes,
                         _multilabel=True)
        return est._grid.to_network(y.astype(np.float32), target_axis=True), state

    @staticmethod
    def _wanted_classes(est, classes):
        """The classes asked for (sorted, unique), or None."""
        if classes is not None and est.classes is not None:
            if not np.array_equal(np.unique(classes), np.unique(est.classes)):
                raise ValueError(
                    f"partial_fit(classes={np.unique(classes).tolist()}) disagrees "
                    f"with the constructor's classes={np.unique(est.classes).tolist()}"
                )
        wanted = classes if classes is not None else est.classes
        return None if wanted is None else np.unique(np.asarray(wanted))

    @staticmethod
    def _class_weights(est, classes, y_enc, y):
        if est.class_weight is None:
            return None
        present = np.unique(y_enc)
        weights = np.ones(len(classes))
        weights[present] = compute_class_weight(est.class_weight, classes=classes[present], y=y)
        return weights

    # ---------------------------------------------------------------- loss
    def criterion(self, est):
        """The criterion class replacing ``est.criterion``, or None to keep it:
        multi-label trains one sigmoid per class, in place of the default softmax."""
        if est._multilabel and est.criterion is torch.nn.CrossEntropyLoss:
            return torch.nn.BCEWithLogitsLoss
        return None

    def element_weights(self, est, y_true):
        """``(target for the criterion, per-element weights or None)``: each
        element weighted by its class's weight; mixed label distributions
        by their mixture of the weights."""
        weights = est.class_weight_
        if weights is None or est._multilabel:
            return y_true, None
        weights = torch.as_tensor(weights, dtype=torch.float32, device=y_true.device)
        if y_true.is_floating_point():  # mixed: (n, C, ...) label distributions
            shape = (-1,) + (1,) * (y_true.ndim - 2)
            return y_true, (y_true * weights.reshape(shape)).sum(dim=1)
        return y_true, weights[y_true]

    def mixable(self, est, y, dtype):
        """A batch's targets as floats an augmentation can mix: one-hot
        probabilities along the class axis (the criterion's axis 1), which
        torch's CrossEntropyLoss accepts; indicators as they are."""
        if est._multilabel:
            return y.to(dtype)
        onehot = torch.nn.functional.one_hot(y.long(), est.n_outputs_).to(dtype)
        return onehot.movedim(-1, 1)

    # --------------------------------------------------------- validation
    def stratify(self, est, y_enc):
        """Labels to stratify the early-stopping split by, or None."""
        if est._multilabel or y_enc.ndim != 1:
            return None
        counts = np.bincount(y_enc)
        return y_enc if counts[counts > 0].min() >= 2 else None

    def validation_scores(self, est):
        """Extra per-epoch scores on the early-stopping split (per clip only)."""
        if not est._grid.per_clip:
            return []
        return [("valid_acc", EpochScoring(
            "accuracy", name="valid_acc", lower_is_better=False,
            target_extractor=_labels_of,
        ))]

    # ---------------------------------------------------------- persistence
    def state(self, est):
        classes = est.classes_
        if classes.dtype == object and not all(
            isinstance(c, (str, int, float, bool)) for c in classes.tolist()
        ):
            raise ValueError("classes_ holds objects that are not str, int, float or bool")
        weight = est.class_weight_
        return {"classes": classes.tolist(), "classes_dtype": classes.dtype.str,
                "class_weight": None if weight is None else weight.tolist(),
                "multilabel": bool(est._multilabel)}

    def restore(self, fitted):
        classes = np.asarray(fitted["classes"], dtype=np.dtype(fitted["classes_dtype"]))
        weight = fitted["class_weight"]
        return {"classes_": classes,
                "class_weight_": None if weight is None else np.asarray(weight),
                "_multilabel": bool(fitted.get("multilabel", False))}


class Values:
    """Real values per element, one or several (``n_targets``).

    Parameters
    ----------
    missing : bool
        Whether NaN marks a missing target, left out of the loss (per frame);
        otherwise NaN is refused.
    unit_interval : bool
        Whether the values must lie in [0, 1] (a mask).
    """

    kind = "values"

    def __init__(self, *, missing=False, unit_interval=False):
        self.missing = missing
        self.unit_interval = unit_interval

    def check(self, est, y):
        """``y`` as float32, or the ValueError ``fit`` and ``score`` both give."""
        if sparse.issparse(y):
            raise ValueError(
                f"y is a sparse {type(y).__name__}; {type(est).__name__} needs dense "
                "target values"
            )
        y = check_array(y, ensure_2d=False, allow_nd=True, dtype=np.float32,
                        ensure_all_finite="allow-nan" if self.missing else True,
                        input_name="y")
        est._grid.check_values_shape(est, y)
        if self.missing and np.isnan(y).all():
            raise ValueError("y is NaN everywhere: no frame has a target to learn from")
        if self.unit_interval:
            low, high = float(y.min()), float(y.max())
            if low < 0 or high > 1:
                raise ValueError(
                    f"y holds values from {low:g} to {high:g}; a mask's values must lie "
                    "in [0, 1] (e.g. an ideal ratio mask)"
                )
        return y

    def encode(self, est, y, *, fresh, classes=None):
        grid = est._grid
        y = self.check(est, y)
        y_ndim = y.ndim
        if y.ndim == grid.n_lead:  # one value per element: a target axis of 1
            y = y[..., None]
        n_outputs = y.shape[-1]
        if not fresh and n_outputs != est.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} targets{grid.per_element} but the model was fitted "
                f"on {est.n_outputs_}" + _refit_hint("other targets")
            )
        state = {"n_outputs_": n_outputs, "_y_ndim": y_ndim} if fresh else {}
        return grid.to_network(y, target_axis=True), state

    def criterion(self, est):
        return None

    def element_weights(self, est, y_true):
        if not self.missing:
            return y_true, None
        missing = torch.isnan(y_true)
        if not missing.any():
            return y_true, None
        return torch.where(missing, torch.zeros_like(y_true), y_true), (~missing)

    def mixable(self, est, y, dtype):
        return y.to(dtype)

    def stratify(self, est, y_enc):
        return None

    def validation_scores(self, est):
        return []

    def state(self, est):
        return {"y_ndim": int(est._y_ndim)}

    def restore(self, fitted):
        return {"_y_ndim": int(fitted["y_ndim"])}


def element_r2(y, pred, sample_weight):
    """R² over every element of ``y`` that is not NaN, each weighted by its
    clip's ``sample_weight``; a ValueError if the shapes differ."""
    y = np.asarray(y, dtype=np.float64)
    if pred.shape != y.shape:
        raise ValueError(f"y has shape {y.shape}; the predictions have {pred.shape}")
    weight = np.ones(y.shape) if sample_weight is None else np.broadcast_to(
        np.asarray(sample_weight, dtype=np.float64).reshape((-1,) + (1,) * (y.ndim - 1)),
        y.shape)
    keep = ~np.isnan(y)
    return r2_score(y[keep], pred[keep], sample_weight=weight[keep])


def values_score(est, X, y, sample_weight):
    """R² of ``est``'s predictions, after ``y`` is checked as ``fit`` checks
    it: what fit refuses, score refuses (skipping NaN pixels of a mask would
    grade masks fit would not have trained on)."""
    check_y_shape_early(est, X, y)
    est._target.check(est, y)
    return element_r2(y, est.predict(X), sample_weight)

"""The private names of scikit-learn and skorch that skcnn relies on, and where they are used.

skcnn imports them in one place, :mod:`skcnn.utils._private`. Each test here
fails when a release of either library changes what skcnn relies on, so that
an upgrade breaks here first, with the name in the test's title; setup.cfg
caps both libraries below their first untested release.
"""

import ast
import inspect
import pickle
import re
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pytest
from sklearn import get_config
from sklearn.base import BaseEstimator

from skcnn.utils import _private
from skcnn.utils._private import (
    HasMethods,
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    _is_arraylike,
    _num_samples,
    _safe_indexing,
    clear_scoring_cache,
    forget_best_weights,
    validate_parameter_constraints,
)

PACKAGE = Path(__file__).resolve().parents[1] / "skcnn"
THE_ONE_PLACE = PACKAGE / "utils" / "_private.py"


class _Toy(BaseEstimator):
    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n": [Interval(Integral, 1, None, closed="left"), None],
        "mode": [StrOptions({"a", "b"})],
        "estimator": [HasMethods(["fit"]), None],
    }

    def __init__(self, alpha=1.0, n=None, mode="a", estimator=None):
        self.alpha, self.n, self.mode, self.estimator = alpha, n, mode, estimator

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        self.fitted_ = True
        return self


# ------------------------------------------------------------------ scikit-learn


def test_param_validation_constraints_accept_and_reject():
    assert Interval(Real, 0, None, closed="left").is_satisfied_by(0.0)
    assert not Interval(Real, 0, None, closed="left").is_satisfied_by(-1e-9)
    assert Interval(Integral, 1, None, closed="left").is_satisfied_by(3)
    assert not Interval(Integral, 1, None, closed="left").is_satisfied_by(2.5)
    assert StrOptions({"a", "b"}).is_satisfied_by("b")
    assert not StrOptions({"a", "b"}).is_satisfied_by("c")
    assert HasMethods(["fit"]).is_satisfied_by(_Toy())
    assert not HasMethods(["fit"]).is_satisfied_by(object())


def test_validate_parameter_constraints_names_the_parameter():
    assert "caller_name" in inspect.signature(validate_parameter_constraints).parameters
    validate_parameter_constraints(_Toy._parameter_constraints, _Toy().get_params(),
                                   caller_name="Toy")
    with pytest.raises(ValueError, match=r"'alpha' parameter of Toy must be .*Got -1"):
        validate_parameter_constraints(_Toy._parameter_constraints,
                                       _Toy(alpha=-1).get_params(), caller_name="Toy")


def test_base_estimator_validate_params_reads_parameter_constraints():
    _Toy(mode="b")._validate_params()
    with pytest.raises(ValueError, match=r"'mode' parameter of _Toy must be"):
        _Toy(mode="c")._validate_params()


def test_fit_context_validates_before_fit():
    assert _Toy().fit(None).fitted_
    with pytest.raises(ValueError, match=r"'n' parameter of _Toy must be"):
        _Toy(n=0).fit(None)
    assert not hasattr(_Toy(), "fitted_")


def test_safe_indexing_takes_rows_of_arrays_and_lists():
    rows = np.array([2, 0, 2])
    np.testing.assert_array_equal(_safe_indexing(np.arange(6).reshape(3, 2), rows),
                                  [[4, 5], [0, 1], [4, 5]])
    assert _safe_indexing(["a", "b", "c"], rows) == ["c", "a", "c"]


def test_check_sample_weight_fills_checks_and_rejects_negative():
    assert "ensure_non_negative" in inspect.signature(_check_sample_weight).parameters
    np.testing.assert_array_equal(_check_sample_weight(None, np.arange(3)), np.ones(3))
    weight = _check_sample_weight([1, 2, 0], np.arange(3), ensure_non_negative=True)
    assert weight.dtype.kind == "f" and weight.tolist() == [1.0, 2.0, 0.0]
    with pytest.raises(ValueError, match="(?i)negative"):
        _check_sample_weight([1, -2, 0], np.arange(3), ensure_non_negative=True)
    with pytest.raises(ValueError, match="shape"):
        _check_sample_weight([1, 2], np.arange(3))


def test_is_arraylike_and_num_samples():
    assert _is_arraylike([1, 2]) and _is_arraylike(np.zeros(2))
    assert not _is_arraylike(3) and not _is_arraylike(None)
    assert _num_samples([[1, 2], [3, 4], [5, 6]]) == 3 and _num_samples(np.zeros((4, 2))) == 4
    with pytest.raises(TypeError):
        _num_samples(3)


def test_metadata_routing_flag_is_public():
    """segments reads the public flag (it used the private _routing_enabled before)."""
    assert get_config()["enable_metadata_routing"] is False


# ------------------------------------------------------------------ skorch


@pytest.fixture
def trained_net():
    torch = pytest.importorskip("torch")
    from skorch import NeuralNetRegressor
    from skorch.callbacks import EarlyStopping, EpochScoring

    class Scoring(EpochScoring):  # records what skorch cached over the epoch
        def on_epoch_end(self, net, **kwargs):
            self.cached_per_epoch.append((len(self.y_trues_), len(self.y_preds_)))
            super().on_epoch_end(net, **kwargs)

    early = EarlyStopping(patience=5, load_best=True)
    scoring = Scoring("r2", lower_is_better=False, use_caching=True)
    scoring.cached_per_epoch = []
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    y = X.sum(axis=1, keepdims=True)
    net = NeuralNetRegressor(torch.nn.Linear(3, 1), max_epochs=3, lr=0.05, batch_size=8,
                             callbacks=[early, scoring], verbose=0)
    net.fit(X, y)
    return net, early, scoring, X, y


def test_early_stopping_keeps_its_best_weights_in_best_model_weights_(trained_net):
    net, early, _, X, y = trained_net
    assert isinstance(early.best_model_weights_, dict)  # kept after training: what skcnn frees
    assert set(early.best_model_weights_) == set(net.module_.state_dict())
    forget_best_weights(early)
    assert early.best_model_weights_ is None
    assert pickle.loads(pickle.dumps(early)).best_model_weights_ is None
    net.partial_fit(X, y)  # the next call starts from on_train_begin, as skorch does
    assert isinstance(early.best_model_weights_, dict)


def test_epoch_scoring_caches_in_y_trues_and_y_preds_(trained_net):
    net, _, scoring, X, y = trained_net
    n_valid_batches = 1  # 40 clips, 20% held out, batches of 8
    assert scoring.cached_per_epoch == [(n_valid_batches, n_valid_batches)] * 3
    assert scoring.y_trues_ == [] and scoring.y_preds_ == []  # emptied at on_train_end
    scoring.y_trues_.append("left by an interrupted call")
    clear_scoring_cache(scoring)
    assert scoring.y_trues_ == [] and scoring.y_preds_ == []
    net.partial_fit(X, y)
    assert len(scoring.cached_per_epoch) == 6


# ------------------------------------------------------------------ the one place


def _private_imports(path):
    """``module:name`` of every private sklearn/skorch name that ``path`` imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            module = node.module
            if module.split(".")[0] not in ("sklearn", "skorch"):
                continue
            private_module = any(part.startswith("_") for part in module.split("."))
            for alias in node.names:
                if private_module or alias.name.startswith("_"):
                    found.append(f"{module}:{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in ("sklearn", "skorch") and any(p.startswith("_") for p in parts):
                    found.append(alias.name)
    return found


def test_only_one_module_imports_private_names():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == THE_ONE_PLACE:
            continue
        text = path.read_text()
        names = _private_imports(path)
        # dotted uses without an import statement, e.g. sklearn.utils._param_validation.Interval
        names += re.findall(r"\b(?:sklearn|skorch)(?:\.\w+)*\._\w+", text)
        # writes into skorch callbacks' state
        names += re.findall(r"\b(?:best_model_weights_|y_trues_|y_preds_)\b", text)
        if names:
            offenders[str(path.relative_to(PACKAGE.parent))] = names
    assert offenders == {}, (
        "import private scikit-learn/skorch names from skcnn.utils._private (add them there "
        f"with their reason and a test here): {offenders}"
    )


def test_the_one_place_imports_what_it_exports():
    assert _private_imports(THE_ONE_PLACE)
    for name in _private.__all__:
        assert hasattr(_private, name), name

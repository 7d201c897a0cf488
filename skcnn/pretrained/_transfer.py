"""Transfer learning: a pretrained trunk with a new head, and a fitted network's trunk.

A *trunk* is a network without its output layers: the part that turns an input
into features. :class:`TransferNetwork` (one output per clip) and
:class:`FrameTransferNetwork` (one per frame) put a new linear head on a trunk
(PANNs' CNN6 or CNN14 with random, published or local weights, or the trunk of a
network skcnn has fitted), freeze all, none or its first blocks, and are given
to an estimator as ``module=``: the estimator passes them the sample shape and
the number of outputs it infers at fit time, like its own networks.
:func:`network_trunk` takes the trunk out of a fitted estimator (or a pipeline
ending in one), and :class:`NetworkEmbedding` is that trunk's output as a
scikit-learn transformer.

Imports point one way: the estimators are recognised by what they hold
(``module_``, ``input_shape_``), never imported.
"""

import copy
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_array
from torch import nn

from ..modules import CNN, FrameCNN
from ..modules._panns import pool_frames
from ..utils._private import Interval, StrOptions, _fit_context, _safe_indexing
from ._models import MODELS, check_model_name
from ._weights import load_pretrained

__all__ = ["FrameTransferNetwork", "NetworkEmbedding", "NetworkTrunk", "TransferNetwork",
           "network_trunk"]


# ---------------------------------------------------------------------- trunks
class _Trunk(nn.Module):
    """What a trunk offers the transfer networks.

    ``clip(x)`` gives one feature vector per sample ``(n, d)``; ``frames(x)``
    one per frame ``(n, d, n_frames // time_reduction)`` where the network
    keeps time; ``blocks()`` the trunk's parameters in order, block by block,
    for freezing the first ones.
    """

    #: input frames per output frame of ``frames``; None: the trunk has no frames
    time_reduction = None

    def blocks(self):
        raise NotImplementedError

    def check_input_shape(self, input_shape):
        """A ValueError unless samples of ``input_shape`` go through."""
        raise NotImplementedError


class _PANNsTrunk(_Trunk):
    """PANNs' CNN6 or CNN14 up to its clip embedding (``fc1`` and its ReLU)."""

    def __init__(self, name, weights):
        super().__init__()
        self.name = name
        self.net = load_pretrained(name, weights).train()
        # the AudioSet head is replaced by the transfer network's own head: out
        # of the state dict, the optimizer and the saved weights
        self.net.fc_audioset = None
        self.size = self.net.embedding_size
        self.time_reduction = self.net.time_reduction

    def blocks(self):
        net = self.net
        convs = [module for name, module in net.named_children() if name.startswith("conv_block")]
        blocks = [[net.bn0, convs[0]]] + [[block] for block in convs[1:]]
        return blocks, [net.fc1]

    def check_input_shape(self, input_shape):
        r = self.time_reduction
        if (len(input_shape) != 3 or input_shape[0] != 1 or input_shape[1] != self.net.n_mels
                or input_shape[2] < r):
            raise ValueError(
                f"samples of shape {tuple(input_shape)} do not fit model={self.name!r}: it "
                f"takes log-mel maps of shape (1, {self.net.n_mels}, n_frames >= {r}), as "
                f"skcnn.pretrained.front_end({self.name!r}) computes them"
            )

    def clip(self, x):
        return self.net(x)

    def frames(self, x):
        # fc1 and its ReLU on every frame, as on the pooled clip
        return self.net.embed(self.net.frame_embeddings(x), pooling=None)


class NetworkTrunk(_Trunk):
    """The trunk of a network skcnn fitted: its layers up to its head.

    Made by :func:`network_trunk`; give it to :class:`TransferNetwork` (or
    :class:`FrameTransferNetwork`) as ``model``.

    Parameters
    ----------
    layers : torch.nn.Sequential
        The fitted network's ``features``: convolution blocks, then the
        pooling (or flattening) of a clip network, or of a frame network the
        pooling of each frame's bins.
    input_shape : tuple of int
        The sample shape the network was fitted on.
    per_frame : bool
        Whether the layers keep the input's frames (a frame network's).

    Attributes
    ----------
    time_reduction : int or None
        1 for a frame network (one feature vector per input frame); None for
        a clip network, which has no frames.

    See Also
    --------
    network_trunk : Takes the trunk out of a fitted estimator.

    Examples
    --------
    >>> import torch
    >>> from skcnn.modules import FrameCNN
    >>> from skcnn.pretrained import NetworkTrunk
    >>> net = FrameCNN((1, 16, 20), 3, n_filters=(4, 8))
    >>> trunk = NetworkTrunk(net.features, (1, 16, 20), per_frame=True)
    >>> # 8 maps of 4 bins (16 halved twice) per frame, 2 blocks
    >>> trunk.frames(torch.zeros(2, 1, 16, 20)).shape, len(trunk.blocks()[0])
    (torch.Size([2, 32, 20]), 2)
    """

    def __init__(self, layers, input_shape, per_frame):
        super().__init__()
        self.layers = layers
        self.input_shape = tuple(int(s) for s in input_shape)
        self.per_frame = bool(per_frame)
        self.time_reduction = 1 if self.per_frame else None

    def blocks(self):
        # a block starts at each convolution; what comes before the first (the
        # input norm) joins it, what comes after the last (pooling) the last
        convolutions = (nn.Conv1d, nn.Conv2d)
        blocks, current = [], []
        for layer in self.layers:
            if isinstance(layer, convolutions) and any(
                    isinstance(seen, convolutions) for seen in current):
                blocks.append(current)
                current = []
            current.append(layer)
        return blocks + [current], []

    def check_input_shape(self, input_shape):
        x = torch.zeros((1,) + tuple(input_shape))
        training = self.training
        try:
            with torch.no_grad():
                self.eval()
                self._forward(x)
        except (RuntimeError, ValueError) as exc:
            raise ValueError(
                f"samples of shape {tuple(input_shape)} do not fit the trunk, fitted on samples "
                f"of shape {self.input_shape}: {exc}"
            ) from None
        finally:
            self.train(training)

    def _forward(self, x):
        if x.dim() == 4:
            # as the fitted network ran: oneDNN's channels-last layout
            x = x.contiguous(memory_format=torch.channels_last)
        return self.layers(x)

    def clip(self, x):
        out = self._forward(x)
        return pool_frames(out, "avgmax") if self.per_frame else out.flatten(1)

    def frames(self, x):
        return self._forward(x)


def _fitted_network(estimator, name="estimator"):
    """The fitted skcnn estimator at the end of ``estimator`` (a pipeline's last
    step, a FrozenEstimator's estimator), and the steps before it."""
    given, before = type(estimator).__name__, []
    if hasattr(estimator, "steps"):  # a Pipeline
        before = [step for _, step in estimator.steps[:-1]]
        estimator = estimator.steps[-1][1]
    inner = getattr(estimator, "estimator", None)
    if inner is not None and type(estimator).__name__ == "FrozenEstimator":
        estimator = inner
    module = getattr(estimator, "module_", None)
    if module is None or not hasattr(estimator, "input_shape_"):
        raise ValueError(
            f"{name}={given}(...) is not a fitted skcnn estimator (nor a "
            "fitted pipeline ending in one): fit it first, its trained network is the trunk"
        )
    return estimator, module, before


def network_trunk(estimator):
    """The trunk of a fitted skcnn network, to start another from.

    A copy of the fitted network without its head: every layer before the
    dense (or per-frame) layers, whose output is the pooled features the head
    was trained on. Give it to :class:`TransferNetwork` or
    :class:`FrameTransferNetwork` as ``model`` (``module__model=``) to train a
    new head on it: pretrain on a large set, fine-tune on a small one. The
    copy shares nothing with ``estimator``.

    A function rather than the estimator itself as ``module__model``:
    scikit-learn's ``clone`` (in every cross-validation and grid search)
    clones an estimator-valued parameter into an unfitted one, while the
    trunk, a torch module, is copied with its weights.

    Parameters
    ----------
    estimator : fitted estimator or Pipeline
        A fitted :class:`~skcnn.CNNClassifier`, :class:`~skcnn.CNNRegressor`
        or frame estimator with skcnn's network, or fine-tuned with a
        transfer network (its trunk, as fine-tuned), or a fitted pipeline
        ending in one (the steps before are not part of the trunk: transform
        the new data with them).

    Returns
    -------
    trunk : NetworkTrunk or torch.nn.Module
        The trunk, in training mode, on the CPU.

    Raises
    ------
    ValueError
        If ``estimator`` is not fitted, or its network has no trunk skcnn
        knows how to take out (LeNet-5, a module of your own).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skcnn import CNNClassifier
    >>> from skcnn.pretrained import network_trunk
    >>> X = np.random.default_rng(0).normal(size=(20, 1, 16, 16)).astype("float32")
    >>> y = np.repeat([0, 1], 10)
    >>> clf = CNNClassifier(n_filters=(4, 8), max_epochs=1, random_state=0).fit(X, y)
    >>> trunk = network_trunk(clf)
    >>> trunk.clip(torch.as_tensor(X[:3])).shape  # the 8 maps of the last block, pooled
    torch.Size([3, 8])
    """
    estimator, module, _ = _fitted_network(estimator)
    if isinstance(module, TransferNetwork):
        trunk = copy.deepcopy(module.trunk)
    elif isinstance(module, (CNN, FrameCNN)):
        trunk = NetworkTrunk(copy.deepcopy(module.features), estimator.input_shape_,
                             per_frame=isinstance(module, FrameCNN))
    else:
        raise ValueError(
            f"estimator's network is a {type(module).__name__}, whose trunk skcnn cannot take "
            "out: it knows skcnn.modules.CNN and FrameCNN (a 'features' part and a 'head') "
            "and the transfer networks"
        )
    return trunk.cpu().train()


# ----------------------------------------------------------- transfer networks
class TransferNetwork(nn.Module):
    """A pretrained trunk with a new linear head: one output per clip.

    Give the class to :class:`~skcnn.CNNClassifier` or
    :class:`~skcnn.CNNRegressor` as ``module=``: the estimator passes the
    sample shape and the number of outputs (classes or targets) it infers at
    fit time, and each fit starts from the pretrained weights again. Its own
    parameters are the estimator's ``module__model``, ``module__weights`` and
    ``module__freeze``, which ``set_params`` and a grid search set like any
    other. The trunk's parameters are named ``trunk.*`` and the head's
    ``head.*``, so skorch's ``optimizer__param_groups=[("trunk.*", {"lr":
    1e-4})]`` gives the pretrained part its own learning rate.

    Parameters
    ----------
    input_shape : tuple of int
        One sample's shape; for PANNs, ``(1, 64, n_frames)`` log-mel maps from
        :func:`skcnn.pretrained.front_end`. Passed by the estimator.
    n_outputs : int
        Outputs of the new head. Passed by the estimator.
    model : {'cnn6', 'cnn14'} or NetworkTrunk, default='cnn6'
        PANNs' CNN6 or CNN14 (the trunk up to its clip embedding ``fc1``; the
        AudioSet head is dropped), or the trunk of a network skcnn fitted
        (:func:`network_trunk`), which is copied.
    weights : None, 'published' or path-like, default=None
        The PANNs weights, as :func:`skcnn.pretrained.load_pretrained` takes
        them: None for random weights (tests), 'published' for the AudioSet
        checkpoint, or a checkpoint file. Must be None for a trunk of your
        own, which carries its weights.
    freeze : 'all' or int, default='all'
        What of the trunk does not train: 'all' of it (only the head learns:
        fast, and the safe start on a small set), the first ``freeze``
        convolution blocks (with the input batch norm of PANNs), or nothing
        (0). Frozen parameters get no gradient, and frozen layers stay in
        evaluation mode while the rest trains, so their batch-norm statistics
        do not move either: a frozen part stays exactly as loaded.

    Attributes
    ----------
    trunk : torch.nn.Module
        The pretrained part.
    head : torch.nn.Linear
        The new output layer.
    n_blocks : int
        Convolution blocks of the trunk (CNN6: 4, CNN14: 6), the largest int
        ``freeze`` takes.

    See Also
    --------
    FrameTransferNetwork : The same with one output per frame.
    network_trunk : The trunk of a fitted skcnn network.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import CNNClassifier
    >>> from skcnn.pretrained import TransferNetwork
    >>> X = np.random.default_rng(0).normal(size=(8, 1, 64, 32)).astype("float32")
    >>> y = np.repeat(["cat", "dog"], 4)
    >>> clf = CNNClassifier(module=TransferNetwork, module__model="cnn6",
    ...                     module__freeze=2, optimizer__param_groups=[("trunk.*", {"lr": 1e-4})],
    ...                     max_epochs=1, augment=None, random_state=0).fit(X, y)
    >>> clf.module_.head
    Linear(in_features=512, out_features=2, bias=True)
    """

    per_frame = False

    def __init__(self, input_shape, n_outputs, model="cnn6", weights=None, freeze="all"):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.n_outputs = int(n_outputs)
        self.freeze = freeze
        self.trunk = self._build_trunk(model, weights)
        self.trunk.check_input_shape(self.input_shape)
        if self.per_frame and self.trunk.time_reduction is None:
            raise ValueError(
                f"model={type(model).__name__}(...) is the trunk of a clip network, which "
                "pools the frames away: a per-frame head needs the trunk of a frame network "
                "(or 'cnn6', 'cnn14')"
            )
        self.head = nn.Linear(self._n_features(), self.n_outputs)
        self._frozen = self._freeze(freeze)
        self.train()

    def _build_trunk(self, model, weights):
        if isinstance(model, _Trunk):
            if weights is not None:
                raise ValueError(
                    f"weights={weights!r} must be None for a trunk of your own (model="
                    f"{type(model).__name__}), which carries its weights"
                )
            return copy.deepcopy(model).cpu()
        if isinstance(model, nn.Module) or hasattr(model, "module_") or hasattr(model, "steps"):
            raise ValueError(
                f"model={type(model).__name__}(...) must be one of {sorted(MODELS)} or a trunk "
                "from skcnn.pretrained.network_trunk(fitted_estimator)"
            )
        if not isinstance(model, str) or model not in MODELS:
            raise ValueError(
                f"model={model!r} must be one of {sorted(MODELS)} or a trunk from "
                "skcnn.pretrained.network_trunk(fitted_estimator)"
            )
        check_model_name(model)
        return _PANNsTrunk(model, weights)

    def _n_features(self):
        if isinstance(self.trunk, _PANNsTrunk):
            return self.trunk.size
        x = torch.zeros((1,) + self.input_shape)
        training = self.trunk.training
        with torch.no_grad():
            self.trunk.eval()
            out = self.trunk.frames(x) if self.per_frame else self.trunk.clip(x)
        self.trunk.train(training)
        return int(out.shape[1])

    def accepts_input_shape(self, shape):
        """Whether samples of ``shape`` go through (the estimators ask before
        predicting on samples of another shape than the fitted one): for PANNs,
        log-mel maps of any number of frames from ``time_reduction`` on; for
        a trunk of your own, the fitted shape only."""
        if not isinstance(self.trunk, _PANNsTrunk):
            return tuple(shape) == self.input_shape
        try:
            self.trunk.check_input_shape(shape)
        except ValueError:
            return False
        return True

    @property
    def n_blocks(self):
        return len(self.trunk.blocks()[0])

    def _freeze(self, freeze):
        blocks, rest = self.trunk.blocks()
        n = len(blocks)
        if isinstance(freeze, str) and freeze == "all":
            frozen = [m for block in blocks for m in block] + rest
        elif isinstance(freeze, Integral) and not isinstance(freeze, bool) and 0 <= freeze <= n:
            frozen = [m for block in blocks[:freeze] for m in block]
        else:
            raise ValueError(
                f"freeze={freeze!r} must be 'all' or an int in [0, {n}] (the trunk's "
                f"{n} convolution blocks)"
            )
        for layer in frozen:
            for param in layer.parameters():
                param.requires_grad_(False)
        # a plain list, not a ModuleList: the layers are registered in the trunk already
        return frozen

    def train(self, mode=True):
        super().train(mode)
        # frozen layers stay in evaluation mode: their batch norms keep the
        # statistics they were loaded with
        for layer in getattr(self, "_frozen", ()):
            layer.eval()
        if (isinstance(self.trunk, _PANNsTrunk) and isinstance(self.freeze, str)
                and self.freeze == "all"):
            self.trunk.eval()  # and no dropout inside a trunk that does not train
        return self

    def forward(self, X):
        return self.head(self.trunk.clip(X))


class FrameTransferNetwork(TransferNetwork):
    """A pretrained trunk with a new linear head: one output per input frame.

    For :class:`~skcnn.CNNFrameClassifier`, as ``module=``; the parameters are
    :class:`TransferNetwork`'s. The head classifies each of the trunk's frame
    embeddings; the output has the input's frames, so frame labels are given
    at the front end's hop as for any frame estimator.

    PANNs' trunks pool time: one frame embedding per ``time_reduction`` input
    frames (CNN6: 16, 0.16 s at the 10 ms hop; CNN14: 32, 0.32 s). Their
    outputs are repeated over the frames they span, as PANNs' own
    frame-wise outputs are (``interpolate`` and ``pad_framewise_output`` of
    the authors' code): input frame ``t`` gets the output of embedding
    ``t // time_reduction``, and the last frames the poolings drop (fewer
    than ``time_reduction``) the last embedding's. The predictions are thus
    steps of 0.16 s (0.32 s): a boundary is located to within one step. The
    trunk of a skcnn frame network keeps every frame.

    Parameters
    ----------
    input_shape : tuple of int
        ``(1, 64, n_frames)`` for PANNs. Passed by the estimator.
    n_outputs : int
        Passed by the estimator.
    model : {'cnn6', 'cnn14'} or NetworkTrunk, default='cnn6'
        As in :class:`TransferNetwork`; a trunk of your own must come from a
        frame estimator (a clip network has pooled its frames away).
    weights : None, 'published' or path-like, default=None
        As in :class:`TransferNetwork`.
    freeze : 'all' or int, default='all'
        As in :class:`TransferNetwork`.

    Examples
    --------
    >>> import torch
    >>> from skcnn.pretrained import FrameTransferNetwork
    >>> net = FrameTransferNetwork((1, 64, 40), 3, model="cnn6")
    >>> net(torch.zeros(2, 1, 64, 40)).shape  # (n, n_outputs, n_frames)
    torch.Size([2, 3, 40])
    """

    per_frame = True

    def forward(self, X):
        frames = self.trunk.frames(X)  # (n, d, n_frames // r)
        out = self.head(frames.transpose(1, 2)).transpose(1, 2)
        r = self.trunk.time_reduction
        if r > 1:
            out = out.repeat_interleave(r, dim=2)
        missing = X.shape[-1] - out.shape[2]
        if missing > 0:
            out = torch.cat([out, out[:, :, -1:].expand(-1, -1, missing)], dim=2)
        return out


# ------------------------------------------------------------------ embeddings
class NetworkEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """A fitted skcnn network's trunk as features for any scikit-learn estimator.

    ``transform`` runs the network of ``estimator`` up to its head (in
    evaluation mode) and returns what the head saw: the pooled features of
    each sample, ``(n_samples, n_features)``. Given a fitted pipeline ending
    in a skcnn estimator, the pipeline's steps before it transform the input
    first, so raw clips go in as they went into the pipeline. The network is
    not trained again: ``fit`` only checks it, and a clone (in every
    cross-validation and grid search) keeps the same fitted estimator, as
    scikit-learn's ``FrozenEstimator`` does.

    Parameters
    ----------
    estimator : fitted estimator or Pipeline
        A fitted skcnn estimator with skcnn's network or a transfer network
        (see :func:`network_trunk`), or a fitted pipeline ending in one.
    pooling : {'avgmax', 'avg', 'max'}, default='avgmax'
        How the frames of a frame network's features are pooled into one
        vector per clip (a clip network has pooled them already).
    batch_size : int, default=64
        Samples per forward pass.

    Attributes
    ----------
    n_features_out_ : int
        Length of the embedding.

    See Also
    --------
    PretrainedEmbedding : The same for PANNs' published networks.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skcnn import CNNClassifier
    >>> from skcnn.pretrained import NetworkEmbedding
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 1, 16, 16)).astype("float32")
    >>> y = np.repeat([0, 1], 10)
    >>> cnn = CNNClassifier(n_filters=(4, 8), max_epochs=1, random_state=0).fit(X, y)
    >>> pipe = make_pipeline(NetworkEmbedding(cnn), LogisticRegression()).fit(X, y)
    >>> pipe[0].transform(X).shape
    (20, 8)
    """

    _parameter_constraints: dict = {
        "estimator": "no_validation",
        "pooling": [StrOptions({"avgmax", "avg", "max"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, estimator, *, pooling="avgmax", batch_size=64):
        self.estimator = estimator
        self.pooling = pooling
        self.batch_size = batch_size

    def __sklearn_clone__(self):
        # the fitted network is the point: a clone shares it (sklearn's clone
        # of an estimator-valued parameter would be an unfitted copy)
        return type(self)(self.estimator, pooling=self.pooling, batch_size=self.batch_size)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Check the fitted network; learn nothing.

        Parameters
        ----------
        X, y : ignored

        Returns
        -------
        self : object
        """
        _, _, before = _fitted_network(self.estimator)
        if X is not None:
            if not before:  # the network's own input: an array (a pipeline may read files)
                X = check_array(X, dtype=np.float32, allow_nd=True, input_name="X")
            self.n_features_out_ = int(self.transform(_safe_indexing(X, slice(0, 1))).shape[1])
        return self

    @property
    def _n_features_out(self):
        return self.n_features_out_

    def transform(self, X):
        """The trunk's pooled features of each sample.

        Parameters
        ----------
        X : array-like
            Inputs as ``estimator`` takes them (raw clips for a pipeline that
            starts with a front end).

        Returns
        -------
        embeddings : ndarray of shape (n_samples, n_features), float32
        """
        estimator, module, before = _fitted_network(self.estimator)
        for step in before:
            X = step.transform(X)
        if isinstance(module, TransferNetwork):
            trunk = module.trunk
        elif isinstance(module, (CNN, FrameCNN)):
            trunk = NetworkTrunk(module.features, estimator.input_shape_,
                                 per_frame=isinstance(module, FrameCNN))
        else:
            network_trunk(estimator)  # raises, naming the module
        X = check_array(X, dtype=np.float32, allow_nd=True, input_name="X")
        if X.ndim == 2:
            X = X[:, None, :]
        if tuple(X.shape[1:]) != tuple(estimator.input_shape_):
            trunk.check_input_shape(X.shape[1:])
        device = next(module.parameters()).device
        training = module.training
        module.eval()
        out = []
        try:
            with torch.no_grad():
                for start in range(0, len(X), self.batch_size):
                    x = torch.as_tensor(X[start:start + self.batch_size], device=device)
                    if isinstance(trunk, NetworkTrunk) and trunk.per_frame:
                        features = pool_frames(trunk.frames(x), self.pooling)
                    else:
                        features = trunk.clip(x)
                    out.append(features.float().cpu().numpy())
        finally:
            module.train(training)
        return np.concatenate(out).astype(np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

"""Clip embeddings of a published network, as a scikit-learn transformer."""

import os
from numbers import Integral, Real

import librosa
import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..features._audio import check_audio, to_float32
from ..modules._panns import pool_frames
from ..utils._private import Interval, StrOptions, _fit_context
from ._models import MODELS, check_model_name, front_end
from ._weights import load_pretrained

__all__ = ["PretrainedEmbedding"]


class PretrainedEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Clip embeddings from a pretrained audio network, for any scikit-learn estimator.

    Each clip is mixed to mono, resampled to the network's sample rate,
    turned into the log-mel maps the network was trained on (its exact front
    end, :func:`skcnn.pretrained.front_end`) and passed through the network
    in evaluation mode; the frame embeddings of its last block are pooled over
    time into one vector per clip. ``fit`` loads the network and learns
    nothing from the data, so in a pipeline the classifier behind it is what
    cross-validation fits.

    Parameters
    ----------
    model : {'cnn6', 'cnn14'}, default='cnn6'
        PANNs' CNN6 (512-d embeddings, 4.8 M parameters) or CNN14 (2048-d, 81 M).
    weights : None, 'published' or path-like, default=None
        None: random weights (the architecture only, for tests; seeded by
        ``random_state``). 'published': the AudioSet checkpoint, downloaded
        once into ``data_home`` and checked against its published MD5
        (:func:`skcnn.pretrained.fetch_pretrained`). A path: a checkpoint
        file (see :func:`skcnn.pretrained.load_pretrained`).
    sr : float, default=32000
        Sample rate of the input clips, in Hz; they are resampled to the
        network's 32 kHz (``soxr``, librosa's default quality) when it differs.
    layer : {'embedding', 'trunk'}, default='embedding'
        'embedding': the network's clip embedding, the pooled frames through
        ``fc1`` and its ReLU (PANNs' ``embedding`` output). 'trunk': the pooled
        frames themselves, the last convolution block's output before ``fc1``.
        Both have the network's embedding size.
    pooling : {'avgmax', 'avg', 'max'}, default='avgmax'
        How the frame embeddings are pooled over time: their maximum plus
        their mean (the pooling the published weights were trained with),
        the mean, or the maximum.
    duration : float, default=None
        If given, every clip is zero-padded or cropped to this many seconds
        (at ``sr``) first. Required for clips of different lengths, and for
        clips shorter than the network needs (CNN6: 0.15 s, CNN14: 0.31 s).
    batch_size : int, default=32
        Clips per forward pass.
    device : str, default='cpu'
        Torch device of the network and the front end ('cpu', 'cuda',
        'cuda:N'). The network goes back to the CPU after each ``transform``.
    data_home : str, path-like or None, default=None
        skcnn's cache folder, for ``weights='published'``.
    random_state : int, RandomState instance or None, default=None
        Seeds the random weights of ``weights=None``; unused otherwise.

    Attributes
    ----------
    module_ : torch.nn.Module
        The network, on the CPU, in evaluation mode.
    n_features_out_ : int
        The embedding size (512 for CNN6, 2048 for CNN14).

    See Also
    --------
    skcnn.pretrained.load_pretrained : The network alone.
    skcnn.pretrained.front_end : The network's input from clips.

    Notes
    -----
    Input: ``(n_clips, n_samples)`` or ``(n_clips, n_channels, n_samples)``
    float or integer PCM, or a list of 1-D clips (with ``duration``). Output:
    float32 ``(n_clips, n_features_out_)``; each clip's embedding depends on
    that clip alone (the network runs in evaluation mode).

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.pretrained import PretrainedEmbedding
    >>> clips = np.random.default_rng(0).standard_normal((3, 8000)).astype(np.float32)
    >>> embed = PretrainedEmbedding(model="cnn6", sr=16000, random_state=0)
    >>> embed.fit_transform(clips).shape
    (3, 512)
    """

    _parameter_constraints: dict = {
        "model": [StrOptions(set(MODELS))],
        "weights": [None, str, os.PathLike],
        "sr": [Interval(Real, 0, None, closed="neither")],
        "layer": [StrOptions({"embedding", "trunk"})],
        "pooling": [StrOptions({"avgmax", "avg", "max"})],
        "duration": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "data_home": [None, str, os.PathLike],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        model="cnn6",
        weights=None,
        sr=32000,
        layer="embedding",
        pooling="avgmax",
        duration=None,
        batch_size=32,
        device="cpu",
        data_home=None,
        random_state=None,
    ):
        self.model = model
        self.weights = weights
        self.sr = sr
        self.layer = layer
        self.pooling = pooling
        self.duration = duration
        self.batch_size = batch_size
        self.device = device
        self.data_home = data_home
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the clips and load the network; nothing is learned from them.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples) or (n_clips, n_channels, n_samples), or list of 1-D arrays
            Audio clips at ``sr``.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer, with ``module_`` loaded.
        """
        for _ in self._batches(X, 1024):  # the checks only: nothing is kept
            pass
        self.module_ = self._load()
        self.n_features_out_ = self.module_.embedding_size
        return self

    def _load(self):
        import torch

        if self.weights is not None:
            return load_pretrained(self.model, self.weights, data_home=self.data_home)
        seed = check_random_state(self.random_state).randint(2**31)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return load_pretrained(self.model)

    @property
    def _n_features_out(self):
        return self.n_features_out_

    def _length(self):
        if self.duration is None:
            return None
        return max(1, int(round(self.duration * self.sr)))

    def _batches(self, X, batch_size):
        """The clips, checked, as float32 mono ``(n, n_samples)`` batches at ``sr``."""
        length = self._length()
        clips = check_audio(X, length=length)
        for start in range(0, clips.shape[0], batch_size):
            chunk = to_float32(clips[start : start + batch_size], start=start, length=length)
            yield chunk.mean(axis=1)

    def transform(self, X):
        """Embed every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples) or (n_clips, n_channels, n_samples), or list of 1-D arrays
            Audio clips at ``sr``: float samples, or integer PCM (scaled to
            [-1, 1]). A list of clips of different lengths needs ``duration``.

        Returns
        -------
        embeddings : ndarray of shape (n_clips, n_features_out), dtype float32
            One embedding per clip; ``n_features_out`` is the network's embedding
            size (``n_features_out_``).
        """
        import torch

        check_is_fitted(self, "module_")
        self._validate_params()
        entry = check_model_name(self.model)
        module = self.module_
        if not isinstance(module, entry.module):
            raise ValueError(
                f"model={self.model!r} was set after fit, which loaded a "
                f"{type(module).__name__}; fit again."
            )
        rate = entry.front_end["sr"]
        features = front_end(self.model, device=self.device)
        embeddings = []
        try:
            module.to(self.device)
            with torch.no_grad():
                for clips in self._batches(X, self.batch_size):
                    if self.sr != rate:
                        clips = librosa.resample(clips, orig_sr=self.sr, target_sr=rate, axis=-1)
                        clips = np.ascontiguousarray(clips, dtype=np.float32)
                    self._check_length(clips.shape[-1], entry)
                    x = torch.from_numpy(features.transform(clips)).to(self.device)
                    frames = module.frame_embeddings(x)
                    if self.layer == "embedding":
                        emb = module.embed(frames, self.pooling)
                    else:
                        emb = pool_frames(frames, self.pooling)
                    embeddings.append(emb.cpu().numpy())
        finally:
            module.to("cpu")
            if str(self.device).startswith("cuda"):
                torch.cuda.empty_cache()
        return np.concatenate(embeddings).astype(np.float32, copy=False)

    def _check_length(self, n_samples, entry):
        hop = entry.front_end["hop_length"]
        half = entry.front_end["n_fft"] // 2
        needed_frames = self.module_.time_reduction  # one frame after every pooling
        needed = max((needed_frames - 1) * hop, half + 1)
        if n_samples < needed:
            rate = entry.front_end["sr"]
            raise ValueError(
                f"model={self.model!r} needs clips of at least {needed / rate:.3f} s "
                f"({needed} samples at {rate} Hz, {needed_frames} frames); the clips have "
                f"{n_samples / rate:.3f} s. Set `duration` to pad them."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

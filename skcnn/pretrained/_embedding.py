"""Clip embeddings of a published network, as a scikit-learn transformer.

With ``memory``, each clip's embedding is kept in a folder under a key made of
the clip's samples and everything else that decides the embedding (the
network's weights, the layer, the pooling, the sample rate), so that the
folds of a cross-validation, or a grid search over the estimator behind,
compute each clip once.
"""

import hashlib
import json
import os
from numbers import Integral, Real
from pathlib import Path

import librosa
import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..features._audio import check_audio, to_float32
from ..features._files import as_audio_files, is_audio_files
from ..modules._panns import pool_frames
from ..utils._device import PRECISIONS, check_precision, resolve_device
from ..utils._private import HasMethods, Interval, StrOptions, _fit_context
from ._models import MODELS, check_model_name, front_end
from ._weights import load_pretrained

__all__ = ["PretrainedEmbedding"]

# Part of every cache key: raised when a change to skcnn changes the embeddings it computes,
# so that a cache written before is not read.
_CACHE_FORMAT = 1


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
    precision : {'32', 'bf16', '16-mixed'}, default='32'
        The network's arithmetic, as the estimators' ``precision``: float32,
        or torch's autocast in bfloat16 (CPUs and GPUs that have it) or
        float16 (CUDA). The embeddings come back in float32.
    data_home : str, path-like or None, default=None
        skcnn's cache folder, for ``weights='published'``.
    memory : str, path-like, joblib.Memory or None, default=None
        A folder (or a ``joblib.Memory``'s location) where each clip's
        embedding is kept, so that it is computed once: across the folds of
        a cross-validation, the candidates of a grid search over the
        estimator behind, and repeated calls. The key is the clip's samples
        (after ``duration``) with the network's weights (a hash of its state
        dict), ``layer``, ``pooling``, ``sr`` and ``precision``; a clip computed in another
        batch or on another device may differ from a fresh computation by
        float rounding. None keeps nothing.
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
        "precision": [StrOptions(set(PRECISIONS))],
        "data_home": [None, str, os.PathLike],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
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
        precision="32",
        data_home=None,
        memory=None,
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
        self.precision = precision
        self.data_home = data_home
        self.memory = memory
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the clips and load the network; nothing is learned from them.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples) or (n_clips, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Audio clips at ``sr``, or audio files (their headers are checked).
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer, with ``module_`` loaded.
        """
        if is_audio_files(X):
            # the headers only, as the feature transformers check files; the
            # samples are read (and checked) when transform embeds them
            as_audio_files(X, sr=self.sr, length=self._length(), owner=type(self).__name__)
        else:
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
        """The clips, checked, as float32 mono ``(n, n_samples)`` batches at ``sr``.

        Audio files are read a batch at a time (mono, resampled to ``sr``),
        so memory holds one batch of clips whatever their number.
        """
        length = self._length()
        if is_audio_files(X):
            files = as_audio_files(X, sr=self.sr, length=length, owner=type(self).__name__)
            for start in range(0, len(files), batch_size):
                yield files.read(slice(start, start + batch_size))[:, 0]
            return
        clips = check_audio(X, length=length)
        for start in range(0, clips.shape[0], batch_size):
            chunk = to_float32(clips[start : start + batch_size], start=start, length=length)
            yield chunk.mean(axis=1)

    def transform(self, X):
        """Embed every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples) or (n_clips, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Audio clips at ``sr``: float samples, or integer PCM (scaled to
            [-1, 1]). A list of clips of different lengths needs ``duration``.
            Or audio files, read a batch at a time (mono, resampled to
            ``sr``; of different lengths, they need ``duration``): the
            embeddings, small, come back as an array.

        Returns
        -------
        embeddings : ndarray of shape (n_clips, n_features_out), dtype float32
            One embedding per clip; ``n_features_out`` is the network's embedding
            size (``n_features_out_``).
        """
        check_is_fitted(self, "module_")
        self._validate_params()
        entry = check_model_name(self.model)
        module = self.module_
        if not isinstance(module, entry.module):
            raise ValueError(
                f"model={self.model!r} was set after fit, which loaded a "
                f"{type(module).__name__}; fit again."
            )
        device = resolve_device(self.device)  # a clear error for a device that is not there
        check_precision(self.precision, self.device)
        folder = self._cache_folder()
        embeddings = []
        try:
            module.to(device)
            for clips in self._batches(X, self.batch_size):
                if folder is None:
                    embeddings.append(self._embed(clips, entry))
                    continue
                keys = [hashlib.blake2b(clip.tobytes(), digest_size=20).hexdigest()
                        for clip in clips]
                batch = [_read_cached(folder / f"{key}.npy", module.embedding_size)
                         for key in keys]
                missing = [i for i, emb in enumerate(batch) if emb is None]
                if missing:
                    for i, emb in zip(missing, self._embed(clips[missing], entry)):
                        _write_cached(folder / f"{keys[i]}.npy", emb)
                        batch[i] = emb
                embeddings.append(np.stack(batch))
        finally:
            module.to("cpu")
            if str(self.device).startswith("cuda"):
                import torch

                torch.cuda.empty_cache()
        return np.concatenate(embeddings).astype(np.float32, copy=False)

    def _embed(self, clips, entry):
        """Embeddings of a batch of float32 mono clips at ``sr``, on ``device``."""
        import torch

        rate = entry.front_end["sr"]
        if self.sr != rate:
            clips = librosa.resample(clips, orig_sr=self.sr, target_sr=rate, axis=-1)
            clips = np.ascontiguousarray(clips, dtype=np.float32)
        self._check_length(clips.shape[-1], entry)
        maps = front_end(self.model, device=self.device).transform(clips)
        dtype = PRECISIONS[self.precision]
        with torch.no_grad(), torch.autocast(torch.device(self.device).type, dtype=dtype,
                                             enabled=dtype is not None):
            frames = self.module_.frame_embeddings(torch.from_numpy(maps).to(self.device))
            if self.layer == "embedding":
                emb = self.module_.embed(frames, self.pooling)
            else:
                emb = pool_frames(frames, self.pooling)
        return emb.float().cpu().numpy()

    def _cache_folder(self):
        """The folder of this configuration's cached embeddings, or None without ``memory``."""
        location = getattr(self.memory, "location", self.memory)
        if location is None:
            return None
        digest = hashlib.blake2b(digest_size=20)
        for key, value in self.module_.state_dict().items():
            value = np.ascontiguousarray(value.detach().cpu().numpy())
            digest.update(f"{key}:{value.dtype}:{value.shape}".encode())
            digest.update(value.reshape(-1).view(np.uint8))
        config = {"format": _CACHE_FORMAT, "model": self.model, "weights": digest.hexdigest(),
                  "layer": self.layer, "pooling": self.pooling, "sr": float(self.sr),
                  "precision": self.precision}
        name = hashlib.blake2b(json.dumps(config, sort_keys=True).encode(),
                               digest_size=16).hexdigest()
        folder = Path(location).expanduser() / "skcnn_embeddings" / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

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


def _read_cached(path, size):
    """A cached embedding of ``size`` float32 values, or None if absent or unreadable."""
    try:
        emb = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if emb.shape != (size,) or emb.dtype != np.float32 or not np.isfinite(emb).all():
        return None
    return emb


def _write_cached(path, emb):
    """Write ``emb`` to ``path`` atomically: readers see the whole file or none."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npy")
    np.save(tmp, emb)
    os.replace(tmp, path)

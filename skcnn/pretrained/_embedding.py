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

from ..features._audio import check_audio, check_positive_int, to_float32
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
    pooling : {'avgmax', 'avg', 'max'} or None, default='avgmax'
        How the frame embeddings are pooled over time: their maximum plus
        their mean (the pooling the published weights were trained with),
        the mean, or the maximum. None keeps the frames: the output is then
        ``(n_clips, n_features_out_, 1, n_frames)``, one embedding per frame
        of the network (every 0.32 s for CNN14, 0.16 s for CNN6: see
        :meth:`frame_times`), as channels of a one-bin map, the layout the
        frame estimators take (:class:`~skcnn.CNNFrameClassifier`, whose
        blocks then convolve over frames only); :meth:`align_labels` puts
        frame labels made for another hop on these frames. With
        ``layer='embedding'``, ``fc1`` and its ReLU apply to each frame.
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
    float32 ``(n_clips, n_features_out_)``, or ``(n_clips, n_features_out_,
    1, n_frames)`` with ``pooling=None``; each clip's embedding depends on
    that clip alone (the network runs in evaluation mode).

    Frame embedding ``k`` (``pooling=None``) is the network's output for
    input frames ``k * r`` to ``(k + 1) * r - 1`` of its front end (``r`` is
    the network's ``time_reduction``: 32 for CNN14, 16 for CNN6; the last
    incomplete group is dropped); it is centred ``(k * r + (r - 1) / 2) *
    0.01`` s into the clip, and its convolutions see the audio around that
    centre that :meth:`feature_span` gives (2.86 s for CNN14, 0.78 s for
    CNN6), zero-padded beyond the clip's ends.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.pretrained import PretrainedEmbedding
    >>> clips = np.random.default_rng(0).standard_normal((3, 8000)).astype(np.float32)
    >>> embed = PretrainedEmbedding(model="cnn6", sr=16000, random_state=0)
    >>> embed.fit_transform(clips).shape
    (3, 512)

    Frame embeddings for a frame estimator, and labels made every 128 samples
    (at 16 kHz) put on their frames:

    >>> frames = PretrainedEmbedding(model="cnn6", sr=16000, pooling=None, random_state=0)
    >>> E = frames.fit_transform(np.zeros((3, 16000), np.float32))
    >>> E.shape
    (3, 512, 1, 6)
    >>> frames.frame_times(2)
    array([0.075, 0.235])
    >>> y = np.zeros((3, 1 + 16000 // 128), dtype=int)
    >>> frames.align_labels(y, hop_length=128, n_frames=E.shape[-1]).shape
    (3, 6)
    """

    _parameter_constraints: dict = {
        "model": [StrOptions(set(MODELS))],
        "weights": [None, str, os.PathLike],
        "sr": [Interval(Real, 0, None, closed="neither")],
        "layer": [StrOptions({"embedding", "trunk"})],
        "pooling": [StrOptions({"avgmax", "avg", "max"}), None],
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

    def get_feature_names_out(self, input_features=None):
        """Names of the embedding's values: ``pretrainedembedding0``, ``pretrainedembedding1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored (the names do not depend on the input's).

        Returns
        -------
        feature_names_out : ndarray of str objects

        Raises
        ------
        ValueError
            With ``pooling=None``: frame embeddings are maps ``(n_clips, d,
            1, n_frames)``, not a table of named features.
        """
        if self.pooling is None:
            raise ValueError(
                "pooling=None gives frame embeddings, maps of shape (n_clips, d, 1, n_frames), "
                "not named features; set pooling to 'avgmax', 'avg' or 'max' for a table."
            )
        return super().get_feature_names_out(input_features)

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
        embeddings : ndarray of shape (n_clips, n_features_out) or (n_clips, n_features_out, 1, n_frames), dtype float32
            One embedding per clip, or with ``pooling=None`` one per frame of
            the network; ``n_features_out`` is the network's embedding size
            (``n_features_out_``).
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
                batch = [_read_cached(folder / f"{key}.npy", module.embedding_size,
                                      frames=self.pooling is None) for key in keys]
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
        out = np.concatenate(embeddings).astype(np.float32, copy=False)
        return out if self.pooling is not None else out[:, :, None, :]

    def _frame_grid(self):
        """(seconds between frame embeddings, seconds of the first one's centre)
        of the fitted network."""
        check_is_fitted(self, "module_")
        front = check_model_name(self.model).front_end
        step = front["hop_length"] / front["sr"]  # between the front end's frames
        r = self.module_.time_reduction
        return r * step, (r - 1) / 2 * step

    def frame_times(self, n_frames):
        """The centres, in seconds from the clip's start, of the first ``n_frames`` frame embeddings.

        Frame embedding ``k`` (``pooling=None``) pools the network's input
        frames ``k * r`` to ``(k + 1) * r - 1``, centred at multiples of the
        front end's hop (``r``: the network's ``time_reduction``); its
        centre is their mean.

        Parameters
        ----------
        n_frames : int
            How many frames (the last axis of :meth:`transform`'s output).

        Returns
        -------
        times : ndarray of shape (n_frames,)
            ``(k * r + (r - 1) / 2) * hop_length / 32000`` for ``k = 0, 1, ...``.

        Examples
        --------
        >>> from skcnn.pretrained import PretrainedEmbedding
        >>> import numpy as np
        >>> embed = PretrainedEmbedding(model="cnn6", random_state=0).fit(np.zeros((1, 32000)))
        >>> embed.frame_times(3)
        array([0.075, 0.235, 0.395])
        """
        n_frames = check_positive_int(n_frames, "n_frames")
        step, first = self._frame_grid()
        return first + step * np.arange(n_frames)

    def feature_span(self, n_bins, n_frames):
        """The audio that can affect ``n_frames`` consecutive frame embeddings.

        As the feature transformers' ``feature_span``, so that
        :func:`skcnn.inspection.describe` reports in seconds what a frame
        estimator behind ``pooling=None`` sees: the network's own receptive
        field (284 front-end frames for CNN14, 76 for CNN6) widened by the
        frames between the first and the last embedding.

        Parameters
        ----------
        n_bins : int
            Bins of the output (it has one); checked, not used.
        n_frames : int
            Consecutive frame embeddings.

        Returns
        -------
        span : dict
            ``"seconds"``: ``((n_frames - 1) * r + field - 1) * hop_length + n_fft``
            samples at the network's rate, in seconds; ``"hertz"`` and
            ``"semitones"``: None (the embedding has no frequency axis);
            ``"frequency_axis"``: ``"embedding"``.

        Examples
        --------
        >>> from skcnn.pretrained import PretrainedEmbedding
        >>> import numpy as np
        >>> embed = PretrainedEmbedding(model="cnn6", random_state=0).fit(np.zeros((1, 32000)))
        >>> embed.feature_span(1, 1)["seconds"]
        0.782
        """
        check_positive_int(n_bins, "n_bins")
        n_frames = check_positive_int(n_frames, "n_frames")
        check_is_fitted(self, "module_")
        front = check_model_name(self.model).front_end
        r, field = self.module_.time_reduction, self.module_.receptive_field
        samples = ((n_frames - 1) * r + field - 1) * front["hop_length"] + front["n_fft"]
        return {"seconds": samples / front["sr"], "hertz": None, "semitones": None,
                "frequency_axis": "embedding"}

    def align_labels(self, y, *, hop_length, n_frames):
        """Frame labels made every ``hop_length`` samples, put on the frame embeddings.

        The labels' frame ``t`` is centred at sample ``t * hop_length`` of a
        clip at ``sr`` (the convention of a centred STFT front end and of
        :func:`skcnn.datasets.make_soundscapes`). Each frame embedding (see
        :meth:`frame_times`) takes the label most of the label frames
        centred within its own span (half a frame step on each side of its
        centre) carry; a tie goes to the label of the frame nearest its
        centre. For indicator targets, a class is active in a frame
        embedding when it is active in at least half of those label frames.
        A frame embedding whose span holds no label frame (labels sparser
        than the embeddings) takes the nearest one's.

        Parameters
        ----------
        y : array-like of shape (n_clips, n_label_frames) or (n_clips, n_label_frames, n_classes)
            A label per frame, or a 0/1 indicator per frame and class.
        hop_length : int
            Samples at ``sr`` between the labels' frames.
        n_frames : int
            Frame embeddings per clip: the last axis of :meth:`transform`'s output.

        Returns
        -------
        y_frames : ndarray of shape (n_clips, n_frames) or (n_clips, n_frames, n_classes)
            ``y``'s dtype.

        Raises
        ------
        ValueError
            If ``y`` is not 2-D or 3-D, or its frames end before the last
            frame embedding's span starts (labels made for shorter clips).

        Examples
        --------
        >>> import numpy as np
        >>> from skcnn.pretrained import PretrainedEmbedding
        >>> embed = PretrainedEmbedding(model="cnn6", sr=8000, random_state=0)
        >>> embed = embed.fit(np.zeros((1, 8000)))
        >>> y = np.zeros((1, 63), dtype=int)
        >>> y[0, 20:40] = 3  # frames centred 0.32 s to 0.62 s
        >>> embed.align_labels(y, hop_length=128, n_frames=6)
        array([[0, 0, 3, 3, 0, 0]])
        """
        hop_length = check_positive_int(hop_length, "hop_length")
        n_frames = check_positive_int(n_frames, "n_frames")
        y = np.asarray(y)
        if y.ndim not in (2, 3):
            raise ValueError(
                "y must be a label per frame (n_clips, n_label_frames) or an indicator "
                f"(n_clips, n_label_frames, n_classes); got shape {y.shape}."
            )
        step, first = self._frame_grid()
        label_times = np.arange(y.shape[1]) * hop_length / self.sr
        centres = first + step * np.arange(n_frames)
        if label_times[-1] < centres[-1] - step / 2:
            raise ValueError(
                f"y's {y.shape[1]} label frames (every {hop_length} samples at sr={self.sr}) "
                f"end at {label_times[-1]:.3f} s, before the span of frame embedding "
                f"{n_frames - 1} (centred at {centres[-1]:.3f} s) starts: were they made for "
                "shorter clips, or another hop_length or sr?"
            )
        out = np.empty((y.shape[0], n_frames) + y.shape[2:], dtype=y.dtype)
        for k, centre in enumerate(centres):
            inside = np.flatnonzero(np.abs(label_times - centre) <= step / 2)
            if inside.size == 0:
                inside = np.array([np.argmin(np.abs(label_times - centre))])
            if y.ndim == 3:
                out[:, k] = 2 * y[:, inside].sum(axis=1) >= inside.size
                continue
            # the most frequent label; ties to the one nearest the centre: with the
            # span's label frames in order of distance, each one's count among them,
            # and the first that reaches the most (every clip at once)
            by_distance = inside[np.argsort(np.abs(label_times[inside] - centre), kind="stable")]
            rows = y[:, by_distance]
            counts = (rows[:, :, None] == rows[:, None, :]).sum(axis=2)
            out[:, k] = rows[np.arange(len(rows)), counts.argmax(axis=1)]
        return out

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
            elif self.pooling is None:
                emb = frames
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


def _read_cached(path, size, *, frames=False):
    """A cached embedding of ``size`` float32 values (``(size, n_frames)`` with
    ``frames``), or None if absent or unreadable."""
    try:
        emb = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if (emb.ndim != 1 + frames or emb.shape[0] != size or emb.dtype != np.float32
            or not np.isfinite(emb).all()):
        return None
    return emb


def _write_cached(path, emb):
    """Write ``emb`` to ``path`` atomically: readers see the whole file or none."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npy")
    np.save(tmp, emb)
    os.replace(tmp, path)

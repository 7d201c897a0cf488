"""Lazy features: computed a batch at a time from a source of clips read on demand.

A transformer given a list of file paths instead of clips returns a
:class:`LazyFeatures` (made in :mod:`skcnn.features`): the source of clips
(:class:`skcnn.features._files.AudioFiles`: paths, rate, length) and the
fitted transformers to run on what is read. Nothing is read or computed
until a batch is asked for (:meth:`LazyFeatures.batch`), so memory does not
grow with the number of files. The estimators train and predict on it
through torch ``DataLoader`` workers (:mod:`skcnn.estimators._data`); the
scaler fits on it in one streaming pass. Each clip's features depend on that
clip alone (the data contract), so a batch computed alone equals the same
rows of the whole array.

Here in ``utils`` because both the features (which make it) and the
estimators (which read it) use it; it imports nothing of skcnn.
"""

import copy
from numbers import Integral

import numpy as np

__all__ = ["LazyFeatures"]

#: Clips computed at once when lazy features are streamed through in chunks
#: (a scaler's fit, ``np.asarray``): a few MB of maps at a time.
STREAM_CHUNK = 256


class LazyFeatures:
    """Features of audio files, computed a batch at a time.

    What a transformer returns for a list of file paths: it holds the paths
    and the fitted transformers (copies, so changing the originals later
    does not change it), and behaves as the array ``transform`` would have
    returned, without holding it: ``len``, ``shape``, ``ndim`` and ``dtype``
    are the array's, indexing with a slice or an index array gives another
    ``LazyFeatures`` (so scikit-learn can split it), an integer index and
    :meth:`batch` compute maps, and ``np.asarray`` computes them all. The
    estimators and :class:`~skcnn.SpectrogramScaler` stream through it.

    It is made by the transformers; it is not built by hand.

    Attributes
    ----------
    files : object
        The clips' source: the files and how they are read (``read(index)``
        gives clips ``(n, 1, length)``, ``subset(index)`` a part of it).
    steps : tuple of transformers
        The fitted transformers each batch goes through, first to last.
    shape : tuple of int
        ``(n_clips, n_channels, n_bins, n_frames)``, as the array would be.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, soundfile as sf
    >>> from skcnn import SpectrogramTransformer
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> paths = [folder / f"{i}.wav" for i in range(3)]
    >>> for i, path in enumerate(paths):
    ...     sf.write(path, np.sin(np.arange(8000) * 0.05 * (i + 1)), 8000)
    >>> maps = SpectrogramTransformer(sr=8000, n_fft=256, n_mels=20).fit_transform(paths)
    >>> maps.shape, maps.batch([0, 2]).shape
    ((3, 1, 20, 16), (2, 1, 20, 16))
    """

    dtype = np.dtype(np.float32)

    def __init__(self, files, steps):
        self.files = files
        self.steps = tuple(copy.deepcopy(step) for step in steps)
        self._on_device = {}  # copies of the steps computing on a device
        # the maps' shape from silence of the clips' length: no file is read
        sample = self._apply(np.zeros((1, 1, files.length), dtype=np.float32))
        self.shape = (len(files),) + tuple(sample.shape[1:])

    def then(self, transformer):
        """These features passed through ``transformer`` (fitted; copied) too."""
        out = copy.copy(self)
        out.steps = self.steps + (copy.deepcopy(transformer),)
        out._on_device = {}
        out.shape = self.shape[:1] + tuple(
            out._apply_steps(np.zeros((1,) + self.shape[1:], dtype=np.float32),
                             out.steps[-1:]).shape[1:])
        return out

    @property
    def ndim(self):
        return len(self.shape)

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        names = " -> ".join(type(step).__name__ for step in self.steps)
        return f"<LazyFeatures of {len(self)} files, {self.shape[1:]} each: {names}>"

    def __getitem__(self, key):
        if isinstance(key, (Integral, np.integer)):
            return self.batch([int(key)])[0]
        if isinstance(key, tuple):
            raise IndexError(
                "LazyFeatures is indexed along its clips only (an int, a slice or an "
                "index array); compute a batch first with .batch(indices) or np.asarray"
            )
        index = np.arange(len(self))[key]
        out = copy.copy(self)
        out.files = self.files.subset(index)
        out.shape = (len(index),) + self.shape[1:]
        return out

    def batch(self, index):
        """The features of the clips at ``index`` (an index array, list or slice).

        Returns
        -------
        maps : ndarray of shape (len(index), n_channels, n_bins, n_frames), dtype float32
        """
        return self._apply(self.files.read(index))

    def compute(self, clips, device=None):
        """The features of ``clips`` read from :attr:`files` (``files.read``),
        with the maths on ``device`` when given (the steps that have a
        ``device`` parameter run there; the result comes back as an array)."""
        if device is None:
            return self._apply(clips)
        steps = self._on_device.get(str(device))
        if steps is None:
            steps = tuple(step.set_params(device=str(device))
                          if "device" in step.get_params() else step
                          for step in copy.deepcopy(self.steps))
            self._on_device[str(device)] = steps
        return self._apply_steps(clips, steps)

    def chunks(self, size=None):
        """Yield the features in order, ``size`` clips at a time
        (``STREAM_CHUNK`` when None)."""
        size = size or STREAM_CHUNK
        for start in range(0, len(self), size):
            yield self.batch(slice(start, start + size))

    def __array__(self, dtype=None, copy=None):
        out = np.empty(self.shape, dtype=np.float32)
        start = 0
        for maps in self.chunks():
            out[start:start + len(maps)] = maps
            start += len(maps)
        return out if dtype is None else out.astype(dtype, copy=False)

    def _apply(self, clips):
        return self._apply_steps(clips, self.steps)

    @staticmethod
    def _apply_steps(x, steps):
        for step in steps:
            x = step.transform(x)
        return np.asarray(x, dtype=np.float32)

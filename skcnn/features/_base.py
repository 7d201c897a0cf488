"""The shared machinery of skcnn's stateless feature transformers.

Parameter checks common to all, ``fit`` as a check, the chunked ``transform``
over validated clips and the tags; :mod:`skcnn.features` and the constant-Q
transformer build on it.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..utils._private import Interval, _fit_context
from ._audio import check_audio, to_float32
from ..utils._lazy import LazyFeatures
from ._files import as_audio_files, is_audio_files

__all__ = ["BaseFeatures"]


class BaseFeatures(TransformerMixin, BaseEstimator):
    """Shared machinery of every stateless transformer.

    Parameter checks common to all, ``fit`` as a check, the chunked
    ``transform`` over validated clips (``duration``, ``device``, ``verbose``)
    and the tags. A subclass provides ``_front_end()``: an object with
    ``n_frames(n_samples)``, ``n_bins``, ``channels_out(n_channels)``,
    ``chunk_size(n_channels, n_samples)`` and a call that maps a float32 chunk
    ``(n, n_channels, n_samples)`` to float32 maps, the dB floor taken per clip
    (``_dsp.power_to_db``).
    """

    _parameter_constraints: dict = {
        "sr": [Interval(Real, 0, None, closed="neither")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "top_db": [Interval(Real, 0, None, closed="left"), None],
        "duration": [Interval(Real, 0, None, closed="neither"), None],
        "device": [str],
        "verbose": ["verbose"],
    }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the audio; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples) or (n_clips, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Audio clips, or audio files (their headers are checked).
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        self._front_end()
        if is_audio_files(X):
            self._files(X)
            return self
        clips = check_audio(X, length=self._length())
        for start in range(0, clips.shape[0], 1024):
            to_float32(clips[start : start + 1024], start=start)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X).transform(X)``; for files, their headers are read once.

        Parameters
        ----------
        X : array-like, list of 1-D arrays, or list of file paths
            As in :meth:`transform`.
        y : None
            Ignored.
        **fit_params : dict
            Ignored, as scikit-learn's ``TransformerMixin`` does.

        Returns
        -------
        maps : ndarray of shape (n_clips, n_channels_out, n_bins, n_frames), dtype float32, or LazyFeatures
            As :meth:`transform` returns.
        """
        if is_audio_files(X):
            self._validate_params()
            self._front_end()
            return LazyFeatures(self._files(X), (self,))
        return super().fit_transform(X, y, **fit_params)

    def transform(self, X):
        """Compute the time-frequency maps of every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples) or (n_clips, n_channels, n_samples), list of 1-D arrays, or list of file paths
            Audio clips: float samples, or integer PCM (scaled to [-1, 1]).
            A list of clips of different lengths needs ``duration``. Or
            audio files (any format soundfile reads), read mono and
            resampled to ``sr``: files of different lengths need
            ``duration``.

        Returns
        -------
        maps : ndarray of shape (n_clips, n_channels_out, n_bins, n_frames), dtype float32, or LazyFeatures
            One map per clip and channel. For files, a
            :class:`~skcnn.features.LazyFeatures` that computes them a
            batch at a time (the user guide's "Data larger than memory").
        """
        self._validate_params()
        front_end = self._front_end()
        if is_audio_files(X):
            return LazyFeatures(self._files(X), (self,))
        length = self._length()
        clips = check_audio(X, length=length)
        n_clips, n_channels, n_samples = clips.shape
        n_samples = length or n_samples
        n_frames = front_end.n_frames(n_samples)
        self._check_frames(front_end, n_samples, n_frames)
        out = np.empty(
            (n_clips, self._channels_out(front_end, n_channels), front_end.n_bins, n_frames),
            dtype=np.float32,
        )
        chunk = front_end.chunk_size(n_channels, n_samples)
        starts = range(0, n_clips, chunk)
        if self.verbose and len(starts) > 1:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc=type(self).__name__, unit="chunk")
        for start in starts:
            stop = min(start + chunk, n_clips)
            x = to_float32(clips[start:stop], start=start, length=length)
            out[start:stop] = self._postprocess(front_end(x))
        return out

    def _files(self, X):
        """Files (a list of paths, or segments of files) read at ``sr`` and
        padded or cropped to ``duration``; their headers checked."""
        return as_audio_files(X, sr=self.sr, length=self._length(), owner=type(self).__name__)

    def _length(self):
        """Samples per clip set by ``duration``, or None."""
        if self.duration is None:
            return None
        return max(1, int(round(self.duration * self.sr)))

    def _check_frames(self, front_end, n_samples, n_frames):
        """Hook: refuse clip lengths the subclass cannot handle."""

    def _channels_out(self, front_end, n_channels):
        return front_end.channels_out(n_channels)

    def _postprocess(self, maps):
        return maps

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

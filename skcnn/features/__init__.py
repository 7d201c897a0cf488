"""Audio feature transformers: clips in, 2-D time-frequency maps out.

The spectrogram, MFCC and constant-Q transformers learn nothing in ``fit``
(``requires_fit=False``), take every signal parameter as a plain constructor
argument so that ``GridSearchCV`` can tune the front end, and compute each
clip's features from that clip alone. :class:`SpectrogramScaler` is the one
that learns (per-bin statistics of the training maps).

Inside: the STFT and MFCC transformers (``_spectrogram``), the constant-Q
transformer (``_cqt``) and its batched transform (``_cqt_dsp``), the scaler
(``_scaler``), the batched STFT/mel/DCT maths (``_dsp``), the transformers'
shared base (``_base``) and the checks of the audio data contract
(``_audio``, also used by the datasets, segments and separation), the
file reader and the transformers' lazy input (``_files``; their lazy output,
:class:`LazyFeatures`, is in ``skcnn.utils._lazy`` for the estimators to read). Nothing
here imports the estimators, and torch is loaded only when a transform runs.
"""

from ._cqt import CQTTransformer
from ._scaler import SpectrogramScaler
from ._spectrogram import MFCCTransformer, SpectrogramTransformer
from ..utils._lazy import LazyFeatures

__all__ = ["SpectrogramTransformer", "MFCCTransformer", "CQTTransformer", "SpectrogramScaler",
           "LazyFeatures"]

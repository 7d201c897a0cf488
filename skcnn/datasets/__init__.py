"""Audio datasets: synthetic generators and loaders of real recordings.

The generators (:func:`make_audio_classification`, :func:`make_audio_regression`,
:func:`make_vibrato_tones` with a pitch target per frame) make small, seeded
sets of short clips for tests and the quick start. Two more
build tasks from clips (e.g. FSDD's): :func:`make_soundscapes` lays labelled
clips over background noise with frame-level labels (sound event detection),
and :func:`make_mixtures` mixes clean clips with noise and returns the ideal
mask (speech enhancement, with :func:`skcnn.separation.apply_mask`). The loaders
read a folder of recordings with one sub-folder per class
(:func:`load_audio_folder`), the Free Spoken Digit Dataset
(:func:`load_fsdd`, :func:`fetch_fsdd`) and CatMeows, cat vocalisations in
three contexts (:func:`load_catmeows`, :func:`fetch_catmeows`).

Every clip comes back as float32 samples in [-1, 1]; the sample rate is returned
alongside, never guessed by the caller.

The code lives in private modules by job, all re-exported here: the generators
in :mod:`skcnn.datasets._synthetic`, soundscapes in :mod:`skcnn.datasets._soundscapes`, mixtures
in :mod:`skcnn.datasets._mixtures` (the noise of both in :mod:`skcnn.datasets._noise`), the folder
loader in :mod:`skcnn.datasets._audio_files`, FSDD in :mod:`skcnn.datasets._fsdd`, CatMeows in
:mod:`skcnn.datasets._catmeows`, and the download cache and its checks (shared by the
fetchers) in :mod:`skcnn.datasets._fetch`. None of them imports torch.
"""

from ._audio_files import load_audio_folder
from ._catmeows import CATMEOWS_URL, fetch_catmeows, load_catmeows
from ._fetch import get_data_home
from ._fsdd import FSDD_URL, fetch_fsdd, load_fsdd
from ._mixtures import make_mixtures
from ._soundscapes import make_soundscapes
from ._synthetic import (
    AUDIO_CLASS_NAMES, make_audio_classification, make_audio_regression, make_vibrato_tones,
)

__all__ = [
    "AUDIO_CLASS_NAMES",
    "CATMEOWS_URL",
    "FSDD_URL",
    "fetch_catmeows",
    "fetch_fsdd",
    "get_data_home",
    "load_audio_folder",
    "load_catmeows",
    "load_fsdd",
    "make_audio_classification",
    "make_audio_regression",
    "make_mixtures",
    "make_soundscapes",
    "make_vibrato_tones",
]

"""Published pretrained audio networks: exact front ends, checked weights, embeddings.

PANNs' CNN14 and CNN6 (Kong et al., 2020), trained on AudioSet: the networks
are plain torch modules in :mod:`skcnn.modules` (:class:`~skcnn.modules.PANNsCNN14`,
:class:`~skcnn.modules.PANNsCNN6`); here is what turns them into something to
use. :func:`front_end` gives the exact log-mel front end each was trained
with, as a :class:`~skcnn.features.SpectrogramTransformer`;
:func:`fetch_pretrained` downloads a published checkpoint once and checks
its published MD5; :func:`load_pretrained` builds a network with random,
published or local weights, read without running code from the file and
loaded strictly; :class:`PretrainedEmbedding` is the scikit-learn transformer
from raw clips to clip embeddings. For fine-tuning, :class:`TransferNetwork`
and :class:`FrameTransferNetwork` put a new head on a pretrained trunk (PANNs',
or one taken out of a network skcnn fitted with :func:`network_trunk`) and go
to an estimator as ``module=``; :class:`NetworkEmbedding` turns a fitted
skcnn network into a transformer for any scikit-learn estimator.

Inside: the registry of models, their front ends and checkpoints
(``_models``), fetching and loading (``_weights``) and the transformer
(``_embedding``), transfer learning (``_transfer``). Imports point one way: this package uses
:mod:`skcnn.modules`, :mod:`skcnn.features` and the download cache of
:mod:`skcnn.datasets`, never the estimators.
"""

from ._embedding import PretrainedEmbedding
from ._models import MODELS, front_end
from ._transfer import (
    FrameTransferNetwork, NetworkEmbedding, NetworkTrunk, TransferNetwork, network_trunk,
)
from ._weights import fetch_pretrained, load_pretrained

__all__ = ["PretrainedEmbedding", "MODELS", "front_end", "fetch_pretrained", "load_pretrained",
           "TransferNetwork", "FrameTransferNetwork", "NetworkTrunk", "NetworkEmbedding",
           "network_trunk"]

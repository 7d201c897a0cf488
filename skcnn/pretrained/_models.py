"""The published networks skcnn offers: their modules, front ends and checkpoints.

One entry per model name. The front end is the one each network was trained
with, written as :class:`~skcnn.features.SpectrogramTransformer` parameters;
the checkpoint is where the authors publish the weights and the hash their
record gives for the file.
"""

from dataclasses import dataclass, field

from ..modules._panns import PANNsCNN6, PANNsCNN14

__all__ = ["MODELS", "PANNS_FRONT_END", "check_model_name", "front_end"]

#: PANNs' log-mel front end (``pytorch/models.py`` of qiuqiangkong/audioset_tagging_cnn
#: builds torchlibrosa's ``Spectrogram`` and ``LogmelFilterBank`` with these; the
#: training script's defaults give 32 kHz, a 1024-sample window, a 320-sample hop and
#: 64 mel bands from 50 Hz to 14 kHz): a Hann-windowed STFT centred with reflected
#: edges, the power through librosa's Slaney mel filters, ``10 * log10(max(p, 1e-10))``
#: with no ``top_db`` floor.
PANNS_FRONT_END = dict(
    sr=32000, n_fft=1024, hop_length=320, win_length=None, window="hann", center=True,
    pad_mode="reflect", n_mels=64, fmin=50.0, fmax=14000.0, top_db=None, output="db",
)

# Zenodo record 3987831 ("PANNs: Large-Scale Pretrained Audio Neural Networks for Audio
# Pattern Recognition", pretrained models; licence CC BY 4.0). The MD5s are the record's
# as quoted by projects that download from it (the record's page itself could not be
# read here); see the pretrained page of the user guide.
_ZENODO = "https://zenodo.org/record/3987831/files/"


@dataclass(frozen=True)
class PretrainedModel:
    """A published network: its module, front end and checkpoint."""

    module: type
    front_end: dict
    checkpoint: str
    url: str
    md5: str
    size: int = None
    #: state-dict keys of the checkpoint that hold the front end's filters, not the network's
    front_end_keys: tuple = field(default=(
        "spectrogram_extractor.stft.conv_real.weight",
        "spectrogram_extractor.stft.conv_imag.weight",
        "logmel_extractor.melW",
    ))


MODELS = {
    "cnn14": PretrainedModel(
        module=PANNsCNN14, front_end=PANNS_FRONT_END, checkpoint="Cnn14_mAP=0.431.pth",
        url=_ZENODO + "Cnn14_mAP%3D0.431.pth?download=1",
        md5="541141fa2ee191a88f24a3219fff024e", size=327428481,
    ),
    "cnn6": PretrainedModel(
        module=PANNsCNN6, front_end=PANNS_FRONT_END, checkpoint="Cnn6_mAP=0.343.pth",
        url=_ZENODO + "Cnn6_mAP%3D0.343.pth?download=1",
        md5="e25e26b84585b14c7754c91e48efc9be",
    ),
}


def check_model_name(model, name="model"):
    """The registry entry of ``model``, or a ValueError naming the allowed names."""
    if not isinstance(model, str) or model not in MODELS:
        raise ValueError(f"{name}={model!r} must be one of {sorted(MODELS)}.")
    return MODELS[model]


def front_end(model, *, duration=None, device="cpu"):
    """The transformer that computes ``model``'s input from clips at its sample rate.

    The exact front end the published network was trained with, as a
    :class:`~skcnn.features.SpectrogramTransformer`: clips at the model's
    sample rate in, log-mel maps ``(n_clips, 1, n_mels, n_frames)`` out, the
    layout the network takes.

    Parameters
    ----------
    model : {'cnn14', 'cnn6'}
        The network.
    duration : float, default=None
        Pad or crop every clip to this many seconds (see the transformer).
    device : str, default='cpu'
        Torch device for the STFT.

    Returns
    -------
    transformer : SpectrogramTransformer
        PANNs': ``sr=32000``, ``n_fft=1024`` (Hann), ``hop_length=320``,
        ``center=True`` with ``pad_mode='reflect'``, 64 mel bands from 50 Hz to
        14 kHz, ``output='db'`` with ``top_db=None``.

    Raises
    ------
    ValueError
        If ``model`` is not one of the names above.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.pretrained import front_end
    >>> transformer = front_end("cnn6")
    >>> transformer.sr, transformer.n_mels, transformer.hop_length
    (32000, 64, 320)
    >>> transformer.transform(np.zeros((2, 32000), np.float32)).shape
    (2, 1, 64, 101)
    """
    from ..features import SpectrogramTransformer

    entry = check_model_name(model)
    return SpectrogramTransformer(**entry.front_end, duration=duration, device=device)

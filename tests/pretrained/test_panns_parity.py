"""skcnn's PANNs networks and front end against the authors' code, with the same random weights.

The reference is ``panns_inference``'s ``models.py`` (CNN14, with torchlibrosa's
front end); see ``conftest.py`` for how it is loaded without downloading
anything. CNN6 has no installable reference: its state-dict names and shapes
are checked against the ones recorded below from the authors' code.
"""

import numpy as np
import pytest
import torch

from skcnn.modules import PANNsCNN6, PANNsCNN14
from skcnn.pretrained import front_end
from skcnn.pretrained._models import MODELS, PANNS_FRONT_END

FRONT_END_KEYS = set(MODELS["cnn14"].front_end_keys)


def _reference_cnn14(reference):
    p = PANNS_FRONT_END
    return reference.Cnn14(sample_rate=p["sr"], window_size=p["n_fft"], hop_size=p["hop_length"],
                           mel_bins=p["n_mels"], fmin=p["fmin"], fmax=p["fmax"], classes_num=527)


@pytest.fixture(scope="module")
def cnn14_pair(reference, randomized):
    """The reference CNN14 and skcnn's, both with the same random weights, in eval mode."""
    torch.manual_seed(0)
    theirs = _reference_cnn14(reference)
    state = theirs.state_dict()
    network = {k: v for k, v in state.items() if k not in FRONT_END_KEYS}
    random = randomized(network, seed=1)
    theirs.load_state_dict({**state, **random}, strict=True)
    ours = PANNsCNN14()
    ours.load_state_dict(random, strict=True)
    return theirs.eval(), ours.eval()


@pytest.fixture(scope="module")
def waves():
    """Two clips at 32 kHz: 1.3 s of tones in noise (131 frames: not a multiple of 32)."""
    rng = np.random.default_rng(0)
    t = np.arange(41600) / 32000
    tones = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 3000 * t ** 2)])
    return (tones + 0.05 * rng.standard_normal(tones.shape)).astype(np.float32)


def test_state_dict_keys_and_shapes_equal_the_reference_cnn14(reference):
    torch.manual_seed(0)
    theirs = {k: tuple(v.shape) for k, v in _reference_cnn14(reference).state_dict().items()}
    ours = {k: tuple(v.shape) for k, v in PANNsCNN14().state_dict().items()}
    assert FRONT_END_KEYS <= set(theirs)
    assert ours == {k: v for k, v in theirs.items() if k not in FRONT_END_KEYS}
    assert ours["fc1.weight"] == (2048, 2048) and ours["fc_audioset.weight"] == (527, 2048)


# CNN6's state dict as the authors' code builds it (pytorch/models.py of
# qiuqiangkong/audioset_tagging_cnn, class Cnn6 with ConvBlock5x5: one 5 x 5 convolution
# without bias and one batch norm per block), front-end filters left out. Checked once by
# hand against that code at commit d2f4b8c18eab (not installable, so not run here): the
# same keys and shapes, and with the same random weights the same outputs.
def _bn(name, n):
    return {f"{name}.{p}": (n,) for p in ("weight", "bias", "running_mean", "running_var")} | {
        f"{name}.num_batches_tracked": ()}


CNN6_RECORDED = {
    **_bn("bn0", 64),
    "conv_block1.conv1.weight": (64, 1, 5, 5), **_bn("conv_block1.bn1", 64),
    "conv_block2.conv1.weight": (128, 64, 5, 5), **_bn("conv_block2.bn1", 128),
    "conv_block3.conv1.weight": (256, 128, 5, 5), **_bn("conv_block3.bn1", 256),
    "conv_block4.conv1.weight": (512, 256, 5, 5), **_bn("conv_block4.bn1", 512),
    "fc1.weight": (512, 512), "fc1.bias": (512,),
    "fc_audioset.weight": (527, 512), "fc_audioset.bias": (527,),
}


def test_state_dict_keys_and_shapes_equal_the_recorded_cnn6():
    ours = {k: tuple(v.shape) for k, v in PANNsCNN6().state_dict().items()}
    assert ours == CNN6_RECORDED


def test_first_block_is_built_like_the_reference(reference):
    block = reference.ConvBlock(in_channels=1, out_channels=64)
    ours = PANNsCNN14().conv_block1
    assert ({k: tuple(v.shape) for k, v in block.state_dict().items()}
            == {k: tuple(v.shape) for k, v in ours.state_dict().items()})
    assert ours.conv1.bias is None and ours.conv1.padding == block.conv1.padding == (1, 1)


def test_front_end_equals_torchlibrosa(reference, waves):
    torch.manual_seed(0)
    theirs = _reference_cnn14(reference)
    with torch.no_grad():
        x = torch.from_numpy(waves)
        expected = theirs.logmel_extractor(theirs.spectrogram_extractor(x)).numpy()
    got = front_end("cnn14").transform(waves)  # (n, 1, n_mels, n_frames)
    expected = expected.transpose(0, 1, 3, 2)  # theirs: (n, 1, n_frames, n_mels)
    assert got.shape == expected.shape == (2, 1, 64, 131)
    # the reference's STFT is a float32 matrix product, skcnn's an FFT: the dB values
    # (from about -33 to +21 here) agree to float32 rounding of the powers
    assert np.abs(got - expected).max() < 1e-3
    assert np.abs(got - expected).mean() < 1e-5
    # edge frames depend on the reflection: a zero-padded front end differs there
    zeros = front_end("cnn14").set_params(pad_mode="constant").transform(waves)
    assert np.abs(zeros[..., 0] - expected[..., 0]).max() > 0.1


def _relative(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


def test_network_equals_the_reference_on_its_own_log_mels(reference, cnn14_pair, waves):
    theirs, ours = cnn14_pair
    with torch.no_grad():
        x = torch.from_numpy(waves)
        logmel = theirs.logmel_extractor(theirs.spectrogram_extractor(x))
        expected = theirs(x)
        maps = logmel.transpose(2, 3)  # to skcnn's (n, 1, n_mels, n_frames)
        embedding = ours(maps).numpy()
        proba = ours.audioset_proba(maps).numpy()
    assert embedding.shape == (2, 2048)
    assert _relative(embedding, expected["embedding"].numpy()) < 1e-5
    assert _relative(proba, expected["clipwise_output"].numpy()) < 1e-5
    assert embedding.std() > 0.01 and 0.01 < proba.mean() < 0.99  # nothing saturated


def test_waveform_to_embedding_equals_the_reference(cnn14_pair, waves):
    theirs, ours = cnn14_pair
    with torch.no_grad():
        expected = theirs(torch.from_numpy(waves))["embedding"].numpy()
        got = ours(torch.from_numpy(front_end("cnn14").transform(waves))).numpy()
    assert _relative(got, expected) < 1e-4


def test_transposing_the_input_is_not_optional(cnn14_pair, waves):
    # the same maps in the reference's layout (frames third) are refused, and a square
    # map fed transposed gives other embeddings, by far more than the parity tolerance
    # (random weights respond weakly to their input: two different clips' embeddings
    # differ by about 1 % here)
    _, ours = cnn14_pair
    maps = torch.from_numpy(front_end("cnn14").transform(waves))
    with pytest.raises(ValueError, match=r"\(n, 1, n_mels=64, n_frames\); got shape \(2, 1, 131, 64\)"):
        ours(maps.transpose(2, 3))
    square = maps[..., :64]
    with torch.no_grad():
        assert _relative(ours(square.transpose(2, 3)).numpy(), ours(square).numpy()) > 1e-3

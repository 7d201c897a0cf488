"""The batched maths under the transformers: the banded mel product."""

import numpy as np
import pytest
import torch

from skcnn.features._dsp import BandedProduct, _frames_matmul, mel_filters


@pytest.mark.parametrize(
    "sr, n_fft, n_mels", [(8000, 512, 40), (22050, 2048, 128), (16000, 400, 64), (8000, 256, 7)]
)
def test_banded_product_matches_the_dense_product(sr, n_fft, n_mels):
    mel_t = mel_filters(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=0.0, fmax=sr / 2).T.copy()
    maps = torch.rand(6, 11, mel_t.shape[0], generator=torch.Generator().manual_seed(0)) ** 4
    banded = BandedProduct(mel_t)(maps)
    dense = _frames_matmul(maps, torch.from_numpy(mel_t))
    assert banded.shape == dense.shape == (6, 11, n_mels)
    torch.testing.assert_close(banded, dense, rtol=1e-6, atol=0)


def test_banded_product_skips_the_zeros():
    mel_t = mel_filters(sr=8000, n_fft=512, n_mels=40, fmin=0.0, fmax=4000.0).T
    product = BandedProduct(mel_t)
    assert len(product.blocks) == 3  # 40 filters in groups of at most 16
    rows = sum(hi - lo for lo, hi, _ in product.blocks)
    assert rows < mel_t.shape[0] * 1.2  # about each bin once, not 3 x 257 rows
    for lo, hi, block in product.blocks:
        assert block.abs().sum(dim=1)[0] > 0 and block.abs().sum(dim=1)[-1] > 0


def test_banded_product_of_a_clip_does_not_depend_on_its_batch():
    mel_t = np.repeat(mel_filters(sr=8000, n_fft=512, n_mels=40, fmin=0.0, fmax=4000.0).T, 2, 0)
    maps = torch.rand(9, 63, mel_t.shape[0], generator=torch.Generator().manual_seed(1))
    product = BandedProduct(mel_t)
    together = product(maps)
    for i in range(len(maps)):
        torch.testing.assert_close(product(maps[i : i + 1]), together[i : i + 1], rtol=0, atol=0)


def test_banded_product_handles_an_all_zero_group():
    matrix_t = np.zeros((5, 3), dtype=np.float32)
    matrix_t[1:3, 0] = 1.0
    product = BandedProduct(matrix_t, group=1)
    maps = torch.rand(2, 4, 5)
    torch.testing.assert_close(product(maps), maps @ torch.from_numpy(matrix_t))


@pytest.mark.parametrize("n_out", [5, 13, 16, 20])
@pytest.mark.parametrize("n_frames", [1, 3, 11])
def test_frames_matmul_does_not_depend_on_the_batch_index(n_out, n_frames):
    """MKL rounded a map with a misaligned output (e.g. 13 MFCCs) by its index."""
    generator = torch.Generator().manual_seed(n_out * n_frames)
    matrix_t = torch.rand(83, n_out, generator=generator)
    maps = torch.rand(20, n_frames, 83, generator=generator)
    together = _frames_matmul(maps, matrix_t)
    assert together.shape == (20, n_frames, n_out)
    torch.testing.assert_close(together, maps @ matrix_t)
    for i in range(len(maps)):
        torch.testing.assert_close(_frames_matmul(maps[i : i + 1].clone(), matrix_t),
                                   together[i : i + 1], rtol=0, atol=0)


def test_frames_matmul_is_batch_independent_for_random_shapes():
    """Each map's product is the same bits alone and at any place in a batch."""
    rng = np.random.default_rng(0)
    gen = torch.Generator().manual_seed(0)
    for _ in range(60):
        n_frames, n_in, n_out = (int(v) for v in rng.integers([1, 5, 1], [70, 200, 40]))
        maps = torch.randn(17, n_frames, n_in, generator=gen)
        matrix = torch.randn(n_in, n_out, generator=gen)
        together = _frames_matmul(maps, matrix)
        for k in range(17):
            assert torch.equal(together[k], _frames_matmul(maps[k : k + 1], matrix)[0]), (
                n_frames, n_in, n_out, k)

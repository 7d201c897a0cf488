"""Median SI-SDR improvement of the oracle masks of ``make_mixtures`` on FSDD digits.

The first ``--n-clips`` recordings of ``load_fsdd`` (sorted by digit, speaker
and index: the first 200 are all zeros, by four speakers), padded or cropped to
one second at 8 kHz, each mixed with white Gaussian noise at 0 dB over the
whole clip. For each STFT setting and mask type the oracle mask is applied
with :func:`skcnn.separation.apply_mask`, and the script prints the median over
clips of SI-SDR(estimate) - SI-SDR(mixture), against the target as it is in
the mixture, for three noise seeds. These numbers chose ``make_mixtures``'
defaults (``n_fft=512``, ``hop_length=128``, ``mask_type='magnitude_ratio'``).

Run::

    python benchmarks/bench_oracle_masks.py            # about 10 seconds on 2 cores
"""

import argparse
from pathlib import Path

import numpy as np

from skcnn.datasets import load_fsdd, make_mixtures
from skcnn.separation import apply_mask

FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
SETTINGS = [(256, 64), (512, 128), (1024, 256)]
MASK_TYPES = ["irm", "magnitude_ratio"]


def si_sdr(estimate, reference):
    """Scale-invariant SDR in dB of each row (Le Roux et al., 2019)."""
    estimate = estimate.astype(np.float64) - estimate.mean(axis=-1, keepdims=True)
    reference = reference.astype(np.float64) - reference.mean(axis=-1, keepdims=True)
    alpha = np.sum(estimate * reference, -1, keepdims=True) / np.sum(reference**2, -1, keepdims=True)
    projection = alpha * reference
    return 10 * np.log10(np.sum(projection**2, -1) / np.sum((estimate - projection) ** 2, -1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsdd", type=Path, default=FSDD)
    parser.add_argument("--n-clips", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()

    fsdd = load_fsdd(args.fsdd)
    clips = fsdd.data[: args.n_clips]
    print(f"{len(clips)} FSDD clips, 1 s at {fsdd.sr} Hz, white noise at 0 dB; "
          "median SI-SDR improvement (dB) per noise seed")
    print(f"{'n_fft':>6} {'hop':>5} {'mask_type':>16}  " + "  ".join(f"seed {s}" for s in args.seeds))
    for n_fft, hop_length in SETTINGS:
        for mask_type in MASK_TYPES:
            medians = []
            for seed in args.seeds:
                m = make_mixtures(
                    clips, sr=fsdd.sr, duration=1.0, snr_db=0.0, n_fft=n_fft,
                    hop_length=hop_length, mask_type=mask_type, random_state=seed,
                )
                estimate = apply_mask(m.mixture, m.mask, n_fft=n_fft, hop_length=hop_length)
                gain = si_sdr(estimate, m.target) - si_sdr(m.mixture, m.target)
                medians.append(np.median(gain))
            print(f"{n_fft:>6} {hop_length:>5} {mask_type:>16}  "
                  + "  ".join(f"{v:6.2f}" for v in medians))


if __name__ == "__main__":
    main()

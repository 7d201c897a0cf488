"""CNNRegressor's default ``global_pool``: held-out R^2 of the candidates.

The candidates are the former default 'avgmax' (frequency averaged, then max +
mean over time: one number per channel), None (the last maps flattened: the
network takes clips of the fitted length only) and 'time' (max + mean over
time only, one number per channel and bin: frequency positions kept, clips of
any length). Every other parameter is CNNRegressor's default; ``n_threads=1``.

Data sets (each split 75/25 into training and held-out clips):

- ``tones-mel``: 400 pure tones, 200 Hz to 2 kHz drawn log-uniformly, random
  level and phase, 0.25 s at 8 kHz (a steady tone needs no more frames; it
  halves the cost), target the pitch in Hz; dB mel maps (64 mels,
  n_fft=512, hop_length=128).
- ``tones-cqt``: the same tones as constant-Q maps (48 bins from 150 Hz, 12
  per octave).
- ``make_audio_regression``: :func:`skcnn.datasets.make_audio_regression`
  in its default setting (200 harmonic tones in noise, target the pitch in
  Hz), dB mel maps as above.
- ``fsdd-shift`` (when ``../shared/data/fsdd`` exists; ``--no-fsdd`` leaves it
  out): 300 FSDD recordings (8 kHz) pitch-shifted by a random -4..+4
  semitones (``librosa.effects.pitch_shift``), target the shift; dB mel maps
  of the first 0.5 s.

Seeds 0-2 draw the data, the split and the network; the table gives the
median R^2 over seeds and each candidate's ratio to 'avgmax', then which
candidates win or tie (within 0.01 of the best median) on every set.
About 6 minutes of CPU time on one core.

Usage: python benchmarks/bench_regressor_pool.py [--epochs 40] [--seeds 0 1 2]
       [--sets tones-mel tones-cqt make_audio_regression] [--no-fsdd]
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[1]
FSDD = ROOT.parent / "shared" / "data" / "fsdd"
SR = 8000
CANDIDATES = ("avgmax", None, "time")
#: medians this close to the best count as a tie (seeds move a median by more)
TIE = 0.01


def tones(seed, n=400, duration=0.25):
    rng = np.random.default_rng(seed)
    f0 = np.exp(rng.uniform(np.log(200), np.log(2000), n))
    t = np.arange(int(duration * SR)) / SR
    level = 10 ** (rng.uniform(-20, -3, n) / 20)
    phase = rng.uniform(0, 2 * np.pi, n)
    X = level[:, None] * np.sin(2 * np.pi * f0[:, None] * t + phase[:, None])
    return X.astype(np.float32), f0


def mel(X):
    from skcnn import SpectrogramTransformer

    return SpectrogramTransformer(sr=SR, n_fft=512, hop_length=128, n_mels=64).fit_transform(X)


def cqt(X):
    from skcnn import CQTTransformer

    return CQTTransformer(sr=SR, hop_length=128, fmin=150.0, n_bins=48,
                          bins_per_octave=12).fit_transform(X)


def fsdd_shift(seed, n=300, duration=0.5):
    import librosa

    from skcnn.datasets import load_fsdd

    fsdd = load_fsdd(FSDD)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(fsdd.data), size=n, replace=False)
    shift = rng.uniform(-4, 4, n)
    length = int(duration * SR)
    X = np.zeros((n, length), np.float32)
    for row, (i, steps) in enumerate(zip(pick, shift)):
        clip = np.asarray(fsdd.data[i], np.float32)  # FSDD is recorded at 8 kHz
        clip = librosa.effects.pitch_shift(clip, sr=SR, n_steps=steps, n_fft=512,
                                           hop_length=128)[:length]
        X[row, :len(clip)] = clip
    return X, shift


def data_set(name, seed):
    from skcnn.datasets import make_audio_regression

    if name == "tones-mel":
        X, y = tones(seed)
        return mel(X), y
    if name == "tones-cqt":
        X, y = tones(seed)
        return cqt(X), y
    if name == "make_audio_regression":
        X, y = make_audio_regression(random_state=seed)
        return mel(X), y
    if name == "fsdd-shift":
        X, y = fsdd_shift(seed)
        return mel(X), y
    raise ValueError(name)


def score(maps, y, pool, seed, epochs):
    from skcnn import CNNRegressor

    X_tr, X_te, y_tr, y_te = train_test_split(maps, y, test_size=0.25, random_state=seed)
    reg = CNNRegressor(global_pool=pool, max_epochs=epochs, random_state=seed, n_threads=1)
    return r2_score(y_te, reg.fit(X_tr, y_tr).predict(X_te))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sets", nargs="+",
                        default=["tones-mel", "tones-cqt", "make_audio_regression"])
    parser.add_argument("--no-fsdd", action="store_true", help="leave the FSDD set out")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    sets = list(args.sets) + (
        ["fsdd-shift"] if not args.no_fsdd and (FSDD / "recordings").is_dir() else [])
    start = time.perf_counter()
    results = {}
    for name in sets:
        for seed in args.seeds:
            maps, y = data_set(name, seed)
            for pool in CANDIDATES:
                tic = time.perf_counter()
                r2 = score(maps, y, pool, seed, args.epochs)
                results.setdefault((name, pool), []).append(r2)
                print(f"{name:22s} seed {seed} global_pool={pool!s:7s} R^2 {r2:7.4f} "
                      f"({time.perf_counter() - tic:.0f} s)", flush=True)
    print(f"\nmedian held-out R^2 over seeds {args.seeds}, {args.epochs} epochs, "
          "CNNRegressor defaults otherwise, n_threads=1\n")
    head = f"{'data set':22s}" + "".join(f"{str(p):>10s}" for p in CANDIDATES)
    head += "".join(f"{str(p) + '/avgmax':>14s}" for p in CANDIDATES[1:])
    print(head)
    for name in sets:
        med = {p: statistics.median(results[name, p]) for p in CANDIDATES}
        row = f"{name:22s}" + "".join(f"{med[p]:10.3f}" for p in CANDIDATES)
        row += "".join(f"{med[p] / med['avgmax']:14.3f}" for p in CANDIDATES[1:])
        print(row)
    # a candidate wins or ties a set when its median is within TIE of the best one
    for pool in CANDIDATES:
        lost = [name for name in sets
                if max(statistics.median(results[name, p]) for p in CANDIDATES)
                - statistics.median(results[name, pool]) > TIE]
        verdict = "wins or ties on every set" if not lost else "behind on " + ", ".join(lost)
        print(f"global_pool={pool!s:7s} {verdict} (tie: within {TIE} of the best median)")
    print(f"\nwall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

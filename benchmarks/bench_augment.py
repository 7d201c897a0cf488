"""Cost of train-only augmentation: epochs of CNNClassifier with and without.

The default CNNClassifier (``n_filters=(32, 64)``, batch norm, 64 clips a
batch, one torch thread) trains on synthetic maps of a realistic size: 256
clips of 1 x 64 mel bins x 216 frames (5 s at a hop of 512 at 22.05 kHz).
One estimator trains one epoch per ``partial_fit`` call, alternately without
augmentation and with ``Compose([SpecAugment(), TimeShift(), Mixup()])``
(order ABBA, so that a drift in the machine's load hits both alike), after
one warm-up epoch. The network, its size and the data are the same for both,
so the difference is what augmentation costs. An epoch's time is skorch's
``history_[:, "dur"]``. Prints the median epoch of each and the ratio;
target: at most 1.10 (augmentation costs at most 10% of an epoch). Also
prints what the augmentation alone costs on one training batch.

Usage: python benchmarks/bench_augment.py [--repeats 3] [--device cpu]
"""

import argparse
import statistics
import time

import numpy as np
import torch

from skcnn import CNNClassifier
from skcnn.augment import Compose, Mixup, SpecAugment, TimeShift


def make_data(n=256, n_mels=64, n_frames=216, n_classes=4, seed=0):
    """dB-like maps whose class is a band of extra level."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(-40.0, 10.0, size=(n, 1, n_mels, n_frames)).astype(np.float32)
    band = n_mels // n_classes
    for c in range(n_classes):
        X[y == c, :, c * band:(c + 1) * band] += 10.0
    return X, y


def one_epoch(clf, X, y, augment):
    clf.set_params(augment=augment).partial_fit(X, y)
    return clf.history_[-1, "dur"]


def augment_alone(augment, X, batch_size, device, repeats=20):
    batch = torch.as_tensor(X[:batch_size], device=device)
    target = torch.nn.functional.one_hot(torch.arange(batch_size, device=device) % 4, 4).float()
    generator = torch.Generator(device=device).manual_seed(0)
    augment(batch, target, generator=generator)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        augment(batch, target, generator=generator)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3,
                        help="pairs of epochs of each (ABBA: 2 per repeat)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)   # the estimator's default n_threads, for augment_alone too
    X, y = make_data()
    augment = Compose([SpecAugment(), TimeShift(), Mixup()])
    print(f"X {X.shape}, default CNNClassifier, {2 * args.repeats} epochs of "
          f"each, device {args.device}")
    clf = CNNClassifier(max_epochs=1, device=args.device, random_state=0)
    one_epoch(clf, X, y, None)   # warm-up, and builds the network
    times = {"plain": [], "augmented": []}
    for _ in range(args.repeats):
        for name in ("plain", "augmented", "augmented", "plain"):
            times[name].append(one_epoch(clf, X, y, augment if name == "augmented" else None))
    medians = {k: statistics.median(v) for k, v in times.items()}
    ratio = medians["augmented"] / medians["plain"]
    batch = CNNClassifier().batch_size
    with torch.no_grad():
        alone = augment_alone(augment, X, batch, args.device)
    n_batches = -(-len(X) // batch)
    print(f"median epoch: plain {medians['plain']:.3f} s, augmented "
          f"{medians['augmented']:.3f} s (epochs: {len(times['plain'])} each)")
    print(f"augmentation alone: {1e3 * alone:.2f} ms per batch of {batch}, "
          f"{100 * alone * n_batches / medians['plain']:.1f}% of a plain epoch")
    print(f"ratio augmented / plain: {ratio:.3f} (target <= 1.10)")
    return ratio


if __name__ == "__main__":
    main()

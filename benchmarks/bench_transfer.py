"""Your own trunk as a starting point: pretrained on FSDD (or a synthetic set), on CatMeows.

A :class:`~skcnn.CNNClassifier` is pretrained on a large set (the Free Spoken
Digit Dataset, ``--pretrain fsdd``, or ``make_audio_classification``,
``--pretrain synthetic``), then four ways of classifying CatMeows' three
contexts are compared on the same folds (``StratifiedGroupKFold``, grouped by
cat, so no cat is in both a training and a test fold):

- **scratch**: ``CNNClassifier`` with its defaults, trained on the fold alone;
- **embedding**: ``NetworkEmbedding(pretrained)``, ``StandardScaler``,
  ``LogisticRegression(max_iter=2000)``;
- **frozen**: ``TransferNetwork`` on the pretrained trunk, ``freeze='all'``
  (the new head alone trains);
- **fine-tuned**: the same with ``freeze=0`` and the trunk's learning rate a
  tenth of the head's (``optimizer__param_groups``).

Every clip is at 8 kHz, padded or cropped to ``--duration`` seconds, through
one front end (``SpectrogramTransformer(sr=8000, n_fft=256, hop_length=64,
n_mels=40)``), so that the trunk takes both sets. Each seed pretrains its own
trunk and shuffles its own folds. Prints each fold's accuracy, then the mean
and standard deviation over folds and seeds of each method with its mean fit
seconds, with the date, commit and command, so that the table can be quoted
as measured.

Usage: python benchmarks/bench_transfer.py [--pretrain fsdd] [--seeds 0 1 2] [--folds 5]
       [--epochs 30] [--pretrain-epochs 30] [--duration 1.5] [--max-clips N]
       [--fsdd PATH] [--catmeows PATH]

``--max-clips`` keeps that many clips of each set (stratified by class), for a smoke
test: ``--max-clips 60 --epochs 1 --pretrain-epochs 1 --folds 2 --seeds 0``.
"""

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import CNNClassifier, SpectrogramTransformer
from skcnn.datasets import load_catmeows, load_fsdd, make_audio_classification
from skcnn.pretrained import NetworkEmbedding, TransferNetwork, network_trunk

SR = 8000
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=Path(__file__).parent, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _subset(n, y, max_clips, seed):
    """Indices of at most ``max_clips`` clips, stratified by ``y``."""
    index = np.arange(n)
    if max_clips is None or max_clips >= n:
        return index
    kept, _ = train_test_split(index, train_size=max_clips, stratify=y, random_state=seed)
    return np.sort(kept)


def _pretraining_set(args, seed):
    if args.pretrain == "synthetic":
        n = args.max_clips or 2000
        return make_audio_classification(n, sr=SR, duration=args.duration, n_classes=5,
                                         random_state=seed)
    fsdd = load_fsdd(args.fsdd)
    keep = _subset(len(fsdd.target), fsdd.target, args.max_clips, seed)
    return [fsdd.data[i] for i in keep], fsdd.target[keep]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrain", choices=["fsdd", "synthetic"], default="fsdd")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--pretrain-epochs", type=int, default=30)
    parser.add_argument("--duration", type=float, default=1.5)
    parser.add_argument("--max-clips", type=int, default=None)
    parser.add_argument("--fsdd", default=str(SHARED / "fsdd"))
    parser.add_argument("--catmeows", default=str(SHARED / "catmeows"))
    args = parser.parse_args(argv)
    commit = _commit()  # the code this run imported, not what is checked out when it ends

    front = SpectrogramTransformer(sr=SR, n_fft=256, hop_length=64, n_mels=40,
                                   duration=args.duration)
    cats = load_catmeows(args.catmeows, sr=SR)
    results = {name: [] for name in ("scratch", "embedding", "frozen", "fine-tuned")}
    seconds = {name: [] for name in results}
    for seed in args.seeds:
        keep = _subset(len(cats.target), cats.target, args.max_clips, seed)
        X = front.transform([cats.data[i] for i in keep])
        y, groups = cats.target[keep], cats.groups[keep]

        clips, labels = _pretraining_set(args, seed)
        start = time.perf_counter()
        pretrained = CNNClassifier(max_epochs=args.pretrain_epochs, random_state=seed)
        pretrained.fit(front.transform(clips), labels)
        print(f"seed {seed}: pretrained on {len(labels)} {args.pretrain} clips in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        trunk = network_trunk(pretrained)

        methods = {
            "scratch": CNNClassifier(max_epochs=args.epochs, random_state=seed),
            "embedding": make_pipeline(NetworkEmbedding(pretrained), StandardScaler(),
                                       LogisticRegression(max_iter=2000)),
            "frozen": CNNClassifier(module=TransferNetwork, module__model=trunk,
                                    module__freeze="all", max_epochs=args.epochs,
                                    random_state=seed),
            "fine-tuned": CNNClassifier(module=TransferNetwork, module__model=trunk,
                                        module__freeze=0, lr=1e-3,
                                        optimizer__param_groups=[("trunk.*", {"lr": 1e-4})],
                                        max_epochs=args.epochs, random_state=seed),
        }
        folds = StratifiedGroupKFold(args.folds, shuffle=True, random_state=seed)
        for fold, (train, test) in enumerate(folds.split(X, y, groups)):
            row = []
            for name, method in methods.items():
                model = clone(method)
                start = time.perf_counter()
                model.fit(X[train], y[train])
                seconds[name].append(time.perf_counter() - start)
                accuracy = float(np.mean(model.predict(X[test]) == y[test]))
                results[name].append(accuracy)
                row.append(f"{name} {accuracy:.3f}")
            print(f"seed {seed} fold {fold}: " + ", ".join(row), flush=True)

    print()
    print(f"measured {datetime.date.today().isoformat()}, commit {commit}, "
          f"command: python {' '.join(sys.argv)}")
    print(f"CatMeows, {args.folds} folds grouped by cat, seeds {args.seeds}; trunk "
          f"pretrained on {args.pretrain}")
    print(f"{'method':<12} {'accuracy':>16} {'fit s':>8}")
    for name, scores in results.items():
        print(f"{name:<12} {np.mean(scores):>8.3f} ± {np.std(scores):.3f} "
              f"{np.mean(seconds[name]):>8.1f}")


if __name__ == "__main__":
    main()

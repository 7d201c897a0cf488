"""Pretrained embeddings against training from scratch, on any folder of labelled clips.

For a folder with one sub-folder per class (``load_audio_folder``'s layout),
every fold of a stratified K-fold (shuffled, ``--seed``) fits and scores

- **embeddings**: ``PretrainedEmbedding(model, weights, sr, duration, memory)``,
  then ``StandardScaler`` and ``LogisticRegression(max_iter=2000)``; the
  embedding of each clip is computed once for all folds (``--memory``, a
  temporary folder by default);
- **fine-tuned**: the network's own front end
  (:func:`skcnn.pretrained.front_end`) then ``CNNClassifier(module=TransferNetwork,
  module__model=model, module__weights=weights, module__freeze=0)``: a new
  head, every layer trained, the pretrained ones at a tenth of the head's
  learning rate (``lr=1e-3``, ``optimizer__param_groups=[("trunk.*", {"lr":
  1e-4})]``), ``--finetune-epochs`` epochs (10) of ``--finetune-batch-size``
  clips (32), the estimator's other defaults (augmentation, weight averaging);
- **from scratch**: skcnn's default pipeline, ``SpectrogramTransformer(sr,
  n_fft=1024, hop_length=320, n_mels=64, duration)`` then
  ``CNNClassifier(random_state=seed)`` with its current defaults.

Every clip is read at 32 kHz (the PANNs networks' rate) and padded with zeros
or cropped to ``--duration`` seconds. Prints each fold's accuracy and fit
seconds (the embeddings' include embedding the clips not yet cached, so the
first fold pays most), then the means, with the date, the commit and the command, so that the
table can be quoted as measured.

The published weights are downloaded once (``--weights published``, MD5
checked; 327 MB for CNN14) or read from a file (``--weights PATH``);
``--weights none`` runs the same with random weights, a smoke test whose
accuracies mean nothing.

Fine-tuning CNN14 on a CPU is slow (81 million parameters, 10 epochs): ``--skip-finetune``
leaves it out, ``--device cuda`` runs every pipeline on a GPU.

Usage: python benchmarks/bench_pretrained.py FOLDER [--model cnn14] [--weights published]
       [--duration 5] [--folds 5] [--seed 0] [--memory DIR] [--skip-scratch]
       [--skip-finetune] [--finetune-epochs 10] [--finetune-batch-size 32] [--device cpu]
"""

import argparse
import datetime
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import CNNClassifier, PretrainedEmbedding, SpectrogramTransformer
from skcnn.datasets import load_audio_folder
from skcnn.pretrained import TransferNetwork, front_end

SR = 32000


def _commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=Path(__file__).parent, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None):
    with tempfile.TemporaryDirectory(prefix="skcnn-embeddings-") as scratch_memory:
        run(argv, scratch_memory)


def run(argv, scratch_memory):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--model", default="cnn14", choices=["cnn14", "cnn6"])
    parser.add_argument("--weights", default="published",
                        help="'published', 'none' (random weights: a smoke test) or a path")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory", default=None, help="folder of cached embeddings")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--skip-scratch", action="store_true")
    parser.add_argument("--skip-finetune", action="store_true")
    parser.add_argument("--finetune-epochs", type=int, default=10)
    parser.add_argument("--finetune-batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    data = load_audio_folder(args.folder, sr=SR)
    X, y = data.data, data.target
    weights = None if args.weights == "none" else args.weights
    memory = args.memory or scratch_memory
    embed = make_pipeline(
        PretrainedEmbedding(model=args.model, weights=weights, sr=SR, duration=args.duration,
                            device=args.device, memory=memory, random_state=args.seed),
        StandardScaler(), LogisticRegression(max_iter=2000))
    scratch = make_pipeline(
        SpectrogramTransformer(sr=SR, n_fft=1024, hop_length=320, n_mels=64,
                               duration=args.duration, device=args.device),
        CNNClassifier(random_state=args.seed, device=args.device))
    fine_tuned = make_pipeline(
        front_end(args.model, duration=args.duration, device=args.device),
        CNNClassifier(module=TransferNetwork, module__model=args.model, module__weights=weights,
                      module__freeze=0, lr=1e-3,
                      optimizer__param_groups=[("trunk.*", {"lr": 1e-4})],
                      max_epochs=args.finetune_epochs, batch_size=args.finetune_batch_size,
                      random_state=args.seed, device=args.device))
    pipelines = {"embeddings": embed}
    if not args.skip_finetune:
        pipelines["fine-tuned"] = fine_tuned
    if not args.skip_scratch:
        pipelines["from scratch"] = scratch

    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"commit {_commit()}: python {' '.join(sys.argv)}")
    print(f"# {len(X)} clips, {len(data.target_names)} classes, {args.folds} folds, "
          f"model={args.model}, weights={args.weights}")
    if weights is None:
        print("# random weights: a smoke test, the accuracies mean nothing")
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    scores = {name: [] for name in pipelines}
    for k, (train, test) in enumerate(folds.split(np.zeros(len(y)), y)):
        line = [f"fold {k}"]
        for name, pipe in pipelines.items():
            model = clone(pipe)
            start = time.perf_counter()
            model.fit([X[i] for i in train], y[train])
            seconds = time.perf_counter() - start
            accuracy = model.score([X[i] for i in test], y[test])
            scores[name].append(accuracy)
            line.append(f"{name} {accuracy:.3f} ({seconds:.0f} s)")
        print(", ".join(line), flush=True)
    for name, values in scores.items():
        print(f"mean {name}: {np.mean(values):.3f} (folds {min(values):.3f} to {max(values):.3f})")


if __name__ == "__main__":
    main()

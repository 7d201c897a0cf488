"""Data-parallel training on the CPU: two torchrun processes against one.

The same ``CNNClassifier`` fit (same data, ``batch_size`` as the global batch,
``random_state``) runs three ways, each in fresh processes:

- one process on one torch thread (the estimators' default ``n_threads=1``);
- one process on two threads (``n_threads=2``: the same two cores, shared
  inside each operation instead);
- two processes of one thread each, started with
  ``torchrun --nproc_per_node=2`` (gloo), each training on its half of every
  batch, DDP averaging the gradients.

Prints the median time per epoch (skorch's ``dur`` column, first epoch left
out) of each and the ratios to the first: above 1, faster than one process.
The data are noise maps whose level tells the class (no download). Time
depends on what else the machine runs: on a machine whose cores are busy,
the processes wait on each other at every step.

Usage: python benchmarks/bench_distributed.py [--n-samples 2048] [--epochs 4]
       [--batch-size 64] [--n-filters 16 32 64 128] [--shape 1 40 64]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def make_maps(n, shape, n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(size=(n, *shape)) + 0.5 * y.reshape((-1,) + (1,) * len(shape))
    return X.astype(np.float32), y


def worker(args):
    """Fit once; rank 0 (or the only process) prints its epochs' durations."""
    import torch

    from skcnn import CNNClassifier

    rank = 0
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        torch.distributed.init_process_group("gloo")
        rank = torch.distributed.get_rank()
    X, y = make_maps(args.n_samples, tuple(args.shape))
    clf = CNNClassifier(n_filters=tuple(args.n_filters), batch_size=args.batch_size,
                        max_epochs=args.epochs, n_threads=args.n_threads, random_state=0)
    clf.fit(X, y)
    if rank == 0:
        print("RESULT " + json.dumps({"dur": clf.history_[:, "dur"],
                                      "train_loss": clf.history_[-1, "train_loss"]}))
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(launcher, args, n_threads):
    """Median seconds per epoch (first epoch left out) and the last training loss."""
    settings = ["--n-samples", str(args.n_samples), "--epochs", str(args.epochs),
                "--batch-size", str(args.batch_size), "--n-threads", str(n_threads),
                "--n-filters", *map(str, args.n_filters), "--shape", *map(str, args.shape)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    env.pop("WORLD_SIZE", None)
    out = subprocess.run([sys.executable, *launcher, __file__, "--worker", *settings],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{launcher} failed:\n{out.stdout}\n{out.stderr}")
    result = json.loads(lines[0][len("RESULT "):])
    return statistics.median(result["dur"][1:] or result["dur"]), result["train_loss"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n-threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--n-samples", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-filters", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--shape", type=int, nargs="+", default=[1, 40, 64])
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    torchrun = ["-m", "torch.distributed.run", "--nproc_per_node=2",
                "--master_addr=127.0.0.1", f"--master_port={free_port()}"]
    runs = [("1 process x 1 thread", [], 1), ("1 process x 2 threads", [], 2),
            ("2 processes x 1 thread (torchrun, gloo)", torchrun, 1)]
    print(f"{args.n_samples} maps of {tuple(args.shape)}, n_filters={tuple(args.n_filters)}, "
          f"batch_size={args.batch_size} (global), {args.epochs} epochs, CPU")
    base = None
    for name, launcher, n_threads in runs:
        seconds, loss = run(launcher, args, n_threads)
        base = base or seconds
        print(f"  {name:40s} {seconds:7.3f} s/epoch  x{base / seconds:4.2f}"
              f"  (last train_loss {loss:.4f})", flush=True)


if __name__ == "__main__":
    main()

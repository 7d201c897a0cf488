"""Training and prediction time of CNNClassifier under each ``precision``.

The default CNNClassifier trains one epoch (``max_epochs=1``) on 256 random maps
of 1 x 40 x 63 (40 mel bins, one second at a 16 ms hop) with 10 classes, and then
predicts them, once per precision per repeat, the precisions interleaved. Prints
each run, then the medians and their ratio to '32': the epoch's time (skorch's
``history_[-1, 'dur']``, the training loop alone), the whole ``fit`` call and
``predict_proba``.

On a CPU the choices are '32' and 'bf16'; on a CUDA GPU '16-mixed' too. A CPU
without bfloat16 instructions (AVX512-BF16, AMX) emulates 'bf16'.

Usage: python benchmarks/bench_precision.py [--repeats 3] [--device cpu] [--n-threads 1]
"""

import argparse
import statistics
import time

import numpy as np
import torch

from skcnn import CNNClassifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-threads", type=int, default=1)
    args = parser.parse_args()
    precisions = ["32", "bf16"] + (["16-mixed"] if args.device.startswith("cuda") else [])

    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 1, 40, 63)).astype(np.float32)
    y = rng.integers(0, 10, size=256)
    params = dict(max_epochs=1, random_state=0, device=args.device, n_threads=args.n_threads)
    for precision in precisions:  # warm-up: first calls into each kernel
        CNNClassifier(**params, precision=precision).fit(X[:64], y[:64]).predict(X[:64])

    runs = {p: [] for p in precisions}
    for repeat in range(args.repeats):
        for precision in precisions:
            start = time.perf_counter()
            clf = CNNClassifier(**params, precision=precision).fit(X, y)
            fit = time.perf_counter() - start
            start = time.perf_counter()
            clf.predict_proba(X)
            predict = time.perf_counter() - start
            epoch = clf.history_[-1, "dur"]
            runs[precision].append((epoch, fit, predict))
            print(f"repeat {repeat} {precision:>8}: epoch {epoch:.3f} s, fit {fit:.3f} s, "
                  f"predict {predict:.3f} s", flush=True)

    medians = {p: [statistics.median(r[i] for r in runs[p]) for i in range(3)]
               for p in precisions}
    print(f"\ntorch {torch.__version__}, device {args.device}, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"{args.n_threads} thread(s), medians of {args.repeats}")
    for precision, (epoch, fit, predict) in medians.items():
        base = medians["32"]
        print(f"{precision:>8}: epoch {epoch:.3f} s (x{epoch / base[0]:.2f}), "
              f"fit {fit:.3f} s (x{fit / base[1]:.2f}), "
              f"predict {predict:.3f} s (x{predict / base[2]:.2f})")


if __name__ == "__main__":
    main()

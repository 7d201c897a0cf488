"""The estimators' thread default on an idle and a busy machine, and search identity.

Three measurements, each against a reference taken in the same run:

1. One fit (``bench_training.py``'s: the default network on 2,700 FSDD
   training MFCCs of 1 x 13 x 16, 3 epochs; synthetic maps of that shape when
   ``../shared`` is absent) with ``n_threads=1`` (the default), ``2`` and
   ``None`` (torch's own count: all cores, the default before issue 10), on
   an idle machine and with another process spinning on one core ("busy"),
   runs interleaved, medians of ``--repeats``. Printed: busy default / busy
   best, and idle default / idle old default.
2. The README's main job, the quick start's search (240 clips, 16
   configurations x 3 folds), as the example now runs it (``n_jobs=2``,
   default ``n_threads=1``) and as it ran before (``n_jobs=1``, torch's 2
   threads), idle and busy; each run in a fresh process, stopped after
   ``--timeout`` seconds (reported as ">").
3. Search identity with default parameters: the same search with
   ``n_jobs=1``, ``n_jobs=2`` and a Dask ``LocalCluster`` of 2 workers,
   scored by log loss; prints whether ``cv_results_`` are identical.

Usage: python benchmarks/bench_defaults.py [--repeats 3] [--timeout 300] [--parts fit,main,search]
"""

import argparse
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FSDD = ROOT.parent / "shared" / "data" / "fsdd"
HOG = "while True: pass"


@contextmanager
def busy(on):
    """Another process holding one core while the block runs."""
    if not on:
        yield
        return
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    time.sleep(0.5)
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def fit_data():
    if (FSDD / "recordings").is_dir():
        from skcnn import MFCCTransformer
        from skcnn.datasets import load_fsdd

        fsdd = load_fsdd(FSDD)
        train = fsdd.split == "train"
        clips = [c for c, keep in zip(fsdd.data, train) if keep]
        X = MFCCTransformer(sr=8000, duration=1.0).fit_transform(clips)
        return X, fsdd.target[train], "FSDD training MFCCs"
    rng = np.random.default_rng(0)
    y = np.arange(2700) % 10
    X = rng.normal(size=(2700, 1, 13, 16)).astype(np.float32) + y[:, None, None, None]
    return X, y, "synthetic maps"


def time_fit(X, y, n_threads):
    from skcnn import CNNClassifier

    start = time.perf_counter()
    CNNClassifier(max_epochs=3, random_state=0, n_threads=n_threads).fit(X, y)
    return time.perf_counter() - start


def part_fit(repeats):
    X, y, what = fit_data()
    print(f"\n1. One fit: default network, {what} {X.shape}, 3 epochs, "
          f"medians of {repeats}")
    settings = {"1 (default)": 1, "2": 2, "None (old default)": None}
    time_fit(X[::10], y[::10], 1)  # warm up
    results = {}
    for load in ("idle", "busy"):
        times = {name: [] for name in settings}
        with busy(load == "busy"):
            for _ in range(repeats):
                for name, n in settings.items():
                    times[name].append(time_fit(X, y, n))
        results[load] = {k: statistics.median(v) for k, v in times.items()}
        print(f"  {load}: " + ", ".join(
            f"n_threads={k}: {v:.2f} s" for k, v in results[load].items()))
    busy_best = min(results["busy"].values())
    print(f"  busy: default / best setting = {results['busy']['1 (default)'] / busy_best:.2f}"
          " (target <= 1.3)")
    print(f"  idle: default / old default = "
          f"{results['idle']['1 (default)'] / results['idle']['None (old default)']:.2f}"
          " (target <= 1.1)")


MAIN_JOB = """
import sys, time
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from skcnn import CNNClassifier, SpectrogramTransformer
from skcnn.datasets import make_audio_classification
n_jobs, n_threads = int(sys.argv[1]), None if sys.argv[2] == "None" else int(sys.argv[2])
start = time.perf_counter()
X, y = make_audio_classification(n_samples=240, sr=8000, duration=0.5, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                    random_state=0)
pipe = Pipeline([("features", SpectrogramTransformer(sr=8000, n_fft=256, hop_length=125,
                                                     n_mels=32)),
                 ("cnn", CNNClassifier(n_filters=(8, 16), hidden_units=(32,), max_epochs=10,
                                       batch_size=32, random_state=0, n_threads=n_threads))])
grid = {"cnn__kernel_size": [3, 5], "cnn__pooling": ["max", "avg"],
        "cnn__dropout": [0.0, 0.3], "cnn__lr": [1e-3, 3e-3]}
GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs).fit(X_train, y_train)
print(time.perf_counter() - start)
"""


def run_main_job(n_jobs, n_threads, timeout):
    try:
        out = subprocess.run(
            [sys.executable, "-c", MAIN_JOB, str(n_jobs), str(n_threads)],
            capture_output=True, text=True, timeout=timeout, check=True,
        )
        return float(out.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return float("inf")


def part_main(repeats, timeout):
    print(f"\n2. The README's main job (quick start search, 48 fits), medians of {repeats}")
    settings = {"now (n_jobs=2, n_threads=1)": (2, 1),
                "before (n_jobs=1, n_threads=None)": (1, None),
                "n_jobs=1, n_threads=1": (1, 1)}
    for load in ("idle", "busy"):
        times = {name: [] for name in settings}
        with busy(load == "busy"):
            for _ in range(repeats):
                for name, (n_jobs, n_threads) in settings.items():
                    times[name].append(run_main_job(n_jobs, n_threads, timeout))
        med = {k: statistics.median(v) for k, v in times.items()}
        shown = ", ".join(f"{k}: {'>' + str(timeout) if v == float('inf') else f'{v:.1f}'} s"
                          for k, v in med.items())
        now, before = med["now (n_jobs=2, n_threads=1)"], med["before (n_jobs=1, n_threads=None)"]
        print(f"  {load}: {shown}; now / before = {now / before:.2f}; "
              f"now / best = {now / min(med.values()):.2f}")


def part_search():
    import joblib
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from skcnn import CNNClassifier, MFCCTransformer
    from skcnn.datasets import make_audio_classification

    X, y = make_audio_classification(n_samples=120, n_classes=3, random_state=0)
    pipe = Pipeline([("features", MFCCTransformer(sr=8000, n_fft=256, hop_length=128)),
                     ("cnn", CNNClassifier(n_filters=(8,), hidden_units=(16,), max_epochs=5,
                                           random_state=0))])
    grid = {"cnn__kernel_size": [3, 5], "cnn__lr": [1e-3, 1e-2]}

    def search(**kwargs):
        start = time.perf_counter()
        result = GridSearchCV(pipe, grid, cv=3, scoring="neg_log_loss", refit=False,
                              **kwargs).fit(X, y)
        keys = ["mean_test_score"] + [f"split{i}_test_score" for i in range(3)]
        return np.array([result.cv_results_[k] for k in keys]), time.perf_counter() - start

    print("\n3. Search identity, default parameters (log loss of 4 configurations x 3 folds)")
    results = {"n_jobs=1": search(n_jobs=1), "n_jobs=2": search(n_jobs=2)}
    try:
        import distributed

        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster), joblib.parallel_backend("dask"):
            results["Dask LocalCluster"] = search()
    except ImportError:
        print("  (distributed not installed: no Dask run)")
    reference = results["n_jobs=1"][0]
    for name, (scores, seconds) in results.items():
        same = np.array_equal(scores, reference)
        print(f"  {name}: {seconds:.1f} s, cv_results_ identical to n_jobs=1: {same} "
              f"(max |diff| {np.max(np.abs(scores - reference)):.3g})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--parts", default="fit,main,search")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    import torch

    print(f"{torch.get_num_threads()} torch threads by default in this process")
    if "fit" in parts:
        part_fit(args.repeats)
    if "main" in parts:
        part_main(args.repeats, args.timeout)
    if "search" in parts:
        part_search()


if __name__ == "__main__":
    main()

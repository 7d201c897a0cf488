"""Wall time of a grid search: n_jobs=1 against n_jobs=2, cached front end against none.

The search is the one a user runs first: ``Pipeline([MFCCTransformer,
CNNClassifier])`` over 16 network configurations (``kernel_size`` x
``pooling`` x ``dropout`` x ``lr``), 3-fold, ``refit=False`` (48 fits), on a
seeded subset of the FSDD training split (900 clips by default, so 600
training and 300 test clips per fold), MFCCs as in ``bench_training.py``
(``MFCCTransformer(sr=8000, duration=1.0)``: 1 x 13 x 16 per clip), a small
network (``n_filters=(8, 16)``, ``hidden_units=(32,)``) trained for 5 epochs.

Timed, each ``--repeats`` times (median reported; runs interleaved):

- ``n_jobs=1``, no cache: every fit recomputes the front end;
- ``n_jobs=2``, no cache: two loky workers, each with ``cpu_count // 2``
  torch threads (the estimators' default ``n_threads=None``; see
  the user guide's scaling page, ``docs/user_guide/scaling.rst``), against 2 torch threads for ``n_jobs=1``; the
  worker pool is started just before timing;
- ``n_jobs=2`` with ``Pipeline(memory=joblib.Memory(...))`` and a cold cache
  (a fresh directory per run): the front end of each fold's training part is
  computed once and reused by the other 15 configurations. The test parts are
  still transformed per configuration (``Pipeline`` caches ``fit_transform``
  only). The cache is compared at ``n_jobs=2`` because single-threaded
  workers are far less sensitive to other load on a shared machine than the
  2-thread ``n_jobs=1`` run (a first version compared at ``n_jobs=1`` and saw
  the noise, not the cache).

It also times the front end alone on one fold's training part, the work the
cache saves 45 times.

Prints the times and the ratios n_jobs=1 / n_jobs=2 (target >= 1.3 on two
cores) and uncached / cached. About 5 minutes per repeat on 2 shared cores.

With ``--n-threads 1`` every fit runs on one torch thread, ``n_jobs=1``
included: the speed-up then shows the parallel search alone, without the
cost or gain of 2-thread fits.

Usage: python benchmarks/bench_search.py [--repeats 1] [--n-clips 900] [--n-threads 1]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skcnn import CNNClassifier, MFCCTransformer
from skcnn.datasets import load_fsdd

FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
GRID = {
    "cnn__kernel_size": [3, 5],
    "cnn__pooling": ["max", "avg"],
    "cnn__dropout": [0.0, 0.3],
    "cnn__lr": [1e-3, 3e-3],
}


def load_clips(n_clips, seed=0):
    fsdd = load_fsdd(FSDD)
    train = np.flatnonzero(fsdd.split == "train")
    keep = np.sort(np.random.default_rng(seed).choice(train, n_clips, replace=False))
    return [fsdd.data[i] for i in keep], fsdd.target[keep]


def make_search(n_jobs, memory, n_threads=None):
    pipe = Pipeline(
        [
            ("features", MFCCTransformer(sr=8000, duration=1.0)),
            ("cnn", CNNClassifier(n_filters=(8, 16), hidden_units=(32,),
                                  max_epochs=5, random_state=0,
                                  n_threads=n_threads)),
        ],
        memory=memory,
    )
    return GridSearchCV(pipe, GRID, cv=3, refit=False, n_jobs=n_jobs)


def _warm_up():
    import skcnn  # noqa: F401  (imports torch, skorch, librosa in the worker)

    return True


def timed(clips, y, n_jobs, cached, n_threads=None):
    with tempfile.TemporaryDirectory() as cache:
        memory = joblib.Memory(cache, verbose=0) if cached else None
        start = time.perf_counter()
        search = make_search(n_jobs, memory, n_threads).fit(clips, y)
        seconds = time.perf_counter() - start
    assert len(search.cv_results_["mean_test_score"]) == 16
    return seconds, search.cv_results_["mean_test_score"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--n-clips", type=int, default=900)
    parser.add_argument("--n-threads", type=int, default=None,
                        help="the estimators' n_threads (default None: see the docstring)")
    args = parser.parse_args()

    clips, y = load_clips(args.n_clips)
    print(f"{len(clips)} FSDD clips, 16 configurations x 3 folds = 48 fits per search, "
          f"{joblib.cpu_count()} cores, {args.repeats} repeat(s)")

    front_end = MFCCTransformer(sr=8000, duration=1.0)
    front_end.fit_transform(clips[:8])  # first-call set-up (filters, imports) not timed
    start = time.perf_counter()
    front_end.fit_transform(clips[: len(clips) * 2 // 3])
    print(f"front end alone, one fold's training part: {time.perf_counter() - start:.2f} s "
          f"({torch.get_num_threads()} torch threads)")

    runs = {"n_jobs=2, no cache": (2, False), "n_jobs=2, cached front end": (2, True),
            "n_jobs=1, no cache": (1, False)}
    times = {name: [] for name in runs}
    scores = {}
    for _ in range(args.repeats):
        for name, (n_jobs, cached) in runs.items():
            if n_jobs > 1:
                # start the loky workers (and their imports) outside the timing;
                # right before it, as idle workers stop after 300 s
                joblib.Parallel(n_jobs=n_jobs)(
                    joblib.delayed(_warm_up)() for _ in range(n_jobs))
            seconds, scores[name] = timed(clips, y, n_jobs, cached, args.n_threads)
            times[name].append(seconds)
            print(f"  {name:28s} {seconds:7.1f} s", flush=True)

    median = {name: statistics.median(t) for name, t in times.items()}
    print("\nmedian wall time")
    for name, seconds in median.items():
        print(f"  {name:28s} {seconds:7.1f} s")
    print("ratios")
    print(f"  n_jobs=1 / n_jobs=2 (no cache)     {median['n_jobs=1, no cache'] / median['n_jobs=2, no cache']:.2f}x")
    print(f"  no cache / cached (n_jobs=2)       {median['n_jobs=2, no cache'] / median['n_jobs=2, cached front end']:.2f}x")
    same = np.array_equal(scores["n_jobs=2, no cache"], scores["n_jobs=2, cached front end"])
    print(f"cached and uncached scores identical: {same}")


if __name__ == "__main__":
    main()

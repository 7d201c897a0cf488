"""The default pipeline against a random-forest floor, on real and synthetic sound.

For each development set, every fold: the accuracy and fit time of

- the **default pipeline**, ``Pipeline([("features", SpectrogramTransformer(sr, n_fft,
  hop_length, n_mels, output="db", duration)), ("cnn", CNNClassifier(random_state=0))])``:
  the CNN with *its current defaults* (plus any ``--cnn`` overrides), so the
  benchmark follows the defaults as they change; and
- the **random-forest floor**, ``RandomForestClassifier(n_estimators=500,
  random_state=0)`` on each clip's mean and standard deviation over time of 20
  MFCCs (``MFCCTransformer(n_mfcc=20)`` with the set's sr, n_fft, hop, n_mels
  and duration): 40 numbers per clip.

Development sets and their front ends (``FRONT_ENDS`` below; every clip is
padded with zeros or cropped to the duration):

=============  =======  ========  =====  ===  ======  ===========================================
set            sr (Hz)  duration  n_fft  hop  n_mels  folds
=============  =======  ========  =====  ===  ======  ===========================================
fsdd-split     8000     1.0 s     512    128  64      FSDD's official split: 2,700 train, 300 test
fsdd-speaker   8000     1.0 s     512    128  64      6: leave one FSDD speaker out
catmeows       8000     4.0 s     512    128  64      5: StratifiedGroupKFold by cat (shuffle, seed 0)
synth-easy     8000     1.0 s     512    128  64      5: StratifiedKFold; 500 clips, noise 0.5
synth-hard     22050    5.0 s     2048   512  128     5: StratifiedKFold; 400 clips, noise 1.0
=============  =======  ========  =====  ===  ======  ===========================================

FSDD and CatMeows are read from ``../shared/data`` (relative to the project
root; ``--data`` to change); a set whose data are missing is skipped with a
note. The synthetic sets come from ``make_audio_classification`` (5 classes,
seed 0).

Then the **timing line**: one fit of the default pipeline's CNN on 320
synthetic clips of 5 s at 22,050 Hz, 128 mels (n_fft 2048, hop 512), the
issue's target being <= 2 minutes on 2 cores. The spectrograms are computed
before the clock starts (their time is printed apart); only ``fit`` is timed.
It runs alone, after the folds.

How the time is measured, and how the two cores are used:

- The front ends learn nothing (``requires_fit=False``; each clip's numbers
  depend on that clip alone), so each set's spectrograms and MFCCs are
  computed once, in the main process, and each fold fits a clone of the
  pipeline's CNN on its rows: the same numbers as fitting the pipeline per
  fold, without recomputing the front end. "fit s" is the model's ``fit``
  alone; the front end's time is printed once per set.
- The folds of all sets run side by side in ``--n-jobs`` loky worker
  processes (default 2, one per core), each CNN on its default single torch
  thread (``n_threads=1``), so a fold's accuracy is the same whatever
  ``--n-jobs`` is, and the forest with ``n_jobs = cores // --n-jobs`` (1 by
  default; a forest's result does not depend on its ``n_jobs``). Fit times
  are thus those of one core while the other core runs another fold. Keep
  ``--n-jobs`` x ``n_threads`` <= cores if ``--cnn`` sets ``n_threads``.
- The timing line's fit uses the CNN's default thread count too (1); run it
  with ``--sets timing --cnn '{"n_threads": 2}'`` to see it on both cores.

Printed: per set and fold, the CNN's and the forest's accuracy and fit
seconds; then per set: mean CNN, mean RF, their difference in points, and the
worst fold (the lowest CNN accuracy).

``--seeds 0,1,2`` fits the CNN of every fold once per seed (its
``random_state``; the forest keeps seed 0): on CatMeows the five-fold mean of
one seed moves by about 5 points from seed to seed, more than most variants
differ, so compare variants over several seeds. The summary then gives each
seed's mean, their mean and spread, and the worst fold by its mean over seeds.
``--out results.csv`` also writes one row per fold and seed (and the timing
line).

Measured on the development machine's 2 cores, shared with other jobs, with the
defaults of skcnn's second version (input norm per bin, four blocks, 'avgmax'
pooling, SpecAugment + TimeShift, 30 epochs): the whole run took 23 minutes; a CNN
fit per fold 174 s on FSDD's official split, 112-145 s leaving one speaker out,
77-105 s on CatMeows, 18 s on synth-easy, 147-149 s on synth-hard; the timing
line's fit 129.6 s on one thread (74.8 s with ``--cnn '{"n_threads": 2}'``). With
weight averaging (the third version's default), on a slower day: 142.1 s on one
thread, 85.6 s on two, 146.0 s on one without averaging. The table of accuracies
is on the docs' results page (``docs/results.rst``, "Defaults, measured").

Usage::

    python benchmarks/bench_real_sound.py [--sets fsdd-split,catmeows,...,timing]
        [--quick | --max-folds N] [--cnn '{"global_pool": "avg", "max_epochs": 30}']
        [--cnn '{"augment": [["SpecAugment", {}], ["TimeShift", {}], ["Mixup", {}]]}']
        [--n-jobs 2] [--out results.csv] [--data ../shared/data]
"""

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline

import skcnn.augment
from skcnn import CNNClassifier, MFCCTransformer, SpectrogramTransformer
from skcnn.datasets import load_catmeows, load_fsdd, make_audio_classification

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

#: The front end of each set: sample rate, clip length (pad/crop), STFT and mel axis.
FRONT_ENDS = {
    "fsdd-split": dict(sr=8000, duration=1.0, n_fft=512, hop_length=128, n_mels=64),
    "fsdd-speaker": dict(sr=8000, duration=1.0, n_fft=512, hop_length=128, n_mels=64),
    "catmeows": dict(sr=8000, duration=4.0, n_fft=512, hop_length=128, n_mels=64),
    "synth-easy": dict(sr=8000, duration=1.0, n_fft=512, hop_length=128, n_mels=64),
    "synth-hard": dict(sr=22050, duration=5.0, n_fft=2048, hop_length=512, n_mels=128),
}
#: The synthetic sets: make_audio_classification's arguments (5 classes).
SYNTHETIC = {
    "synth-easy": dict(n_samples=500, sr=8000, duration=1.0, noise=0.5),
    "synth-hard": dict(n_samples=400, sr=22050, duration=5.0, noise=1.0),
}
#: The timing line: 320 clips of 5 s at 22,050 Hz, 128 mels, n_fft 2048, hop 512.
TIMING = dict(n_samples=320, front_end=FRONT_ENDS["synth-hard"])
SETS = [*FRONT_ENDS, "timing"]
QUICK_FOLDS = 2
N_MFCC = 20


def cnn_parameters(cnn_params):
    """``--cnn``'s parameters as CNNClassifier takes them.

    An ``augment`` given as a list of ``[class name, {parameters}]`` pairs (JSON
    holds no objects) becomes a ``Compose`` of those :mod:`skcnn.augment`
    classes, e.g. ``'{"augment": [["SpecAugment", {}], ["Mixup", {"alpha": 0.4}]]}'``.
    """
    augment = cnn_params.get("augment")
    if not isinstance(augment, list):
        return cnn_params
    steps = []
    for name, params in augment:
        if not isinstance(getattr(skcnn.augment, name, None), type):
            raise ValueError(f"augment: skcnn.augment has no class {name!r}")
        steps.append(getattr(skcnn.augment, name)(**params))
    return {**cnn_params, "augment": skcnn.augment.Compose(steps)}


def default_pipeline(front_end, **cnn_params):
    """The default pipeline for one front end: a dB mel spectrogram, then the CNN.

    ``cnn_params`` override CNNClassifier's defaults (``random_state`` is 0
    unless given); with none, the CNN is exactly ``CNNClassifier(random_state=0)``.
    """
    cnn_params = cnn_parameters(cnn_params)
    features = SpectrogramTransformer(
        sr=front_end["sr"], n_fft=front_end["n_fft"], hop_length=front_end["hop_length"],
        n_mels=front_end["n_mels"], output="db", duration=front_end["duration"],
    )
    return Pipeline([("features", features),
                     ("cnn", CNNClassifier(**{"random_state": 0, **cnn_params}))])


def mfcc_statistics(clips, front_end):
    """Each clip's mean and standard deviation over time of 20 MFCCs: (n_clips, 40)."""
    mfcc = MFCCTransformer(
        sr=front_end["sr"], n_mfcc=N_MFCC, n_fft=front_end["n_fft"],
        hop_length=front_end["hop_length"], n_mels=front_end["n_mels"],
        duration=front_end["duration"],
    ).fit_transform(clips)
    mfcc = mfcc.reshape(len(mfcc), N_MFCC, -1)  # (n_clips, 20, n_frames)
    return np.concatenate([mfcc.mean(axis=-1), mfcc.std(axis=-1)], axis=1)


def load_set(name, data):
    """``(clips, y, folds)`` of one set, ``folds`` a list of (label, train, test); or a note."""
    if name in ("fsdd-split", "fsdd-speaker"):
        if not (data / "fsdd" / "recordings").is_dir():
            return f"FSDD not found at {data / 'fsdd'}"
        fsdd = load_fsdd(data / "fsdd")
        if name == "fsdd-split":
            folds = [("official", np.flatnonzero(fsdd.split == "train"),
                      np.flatnonzero(fsdd.split == "test"))]
        else:
            folds = [(f"test={fsdd.speaker[test][0]}", train, test)
                     for train, test in LeaveOneGroupOut().split(fsdd.data, fsdd.target,
                                                                  fsdd.speaker)]
        return fsdd.data, fsdd.target, folds
    if name == "catmeows":
        if not (data / "catmeows").is_dir():
            return f"CatMeows not found at {data / 'catmeows'}"
        meows = load_catmeows(data / "catmeows")
        cv = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
        folds = [(f"fold {i} ({len(set(meows.groups[test]))} cats)", train, test)
                 for i, (train, test) in enumerate(cv.split(meows.data, meows.target,
                                                            meows.groups))]
        return meows.data, meows.target, folds
    clips, y = make_audio_classification(**SYNTHETIC[name], random_state=0)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    return clips, y, [(f"fold {i}", tr, te) for i, (tr, te) in enumerate(cv.split(clips, y))]


def run_fold(set_name, label, cnn, seed, spectrograms, statistics, y, train, test, rf_jobs):
    """Fit and score the CNN (seeded ``seed``) and the forest on one fold (in a worker process)."""
    cnn = clone(cnn).set_params(random_state=seed)
    start = time.perf_counter()
    cnn.fit(spectrograms[train], y[train])
    cnn_fit = time.perf_counter() - start
    cnn_accuracy = accuracy_score(y[test], cnn.predict(spectrograms[test]))

    forest = RandomForestClassifier(n_estimators=500, random_state=0, n_jobs=rf_jobs)
    start = time.perf_counter()
    forest.fit(statistics[train], y[train])
    rf_fit = time.perf_counter() - start
    rf_accuracy = accuracy_score(y[test], forest.predict(statistics[test]))
    return dict(set=set_name, fold=label, seed=seed, n_train=len(train), n_test=len(test),
                cnn_accuracy=cnn_accuracy, rf_accuracy=rf_accuracy,
                cnn_fit_s=cnn_fit, rf_fit_s=rf_fit)


def time_one_fit(cnn_params):
    front_end = TIMING["front_end"]
    clips, y = make_audio_classification(n_samples=TIMING["n_samples"], sr=front_end["sr"],
                                         duration=front_end["duration"], random_state=0)
    pipe = default_pipeline(front_end, **cnn_params)
    start = time.perf_counter()
    spectrograms = pipe["features"].fit_transform(clips)  # outside the timed part
    features_s = time.perf_counter() - start
    start = time.perf_counter()
    pipe["cnn"].fit(spectrograms, y)
    fit_s = time.perf_counter() - start
    return spectrograms.shape, features_s, fit_s, pipe["cnn"].n_threads_


def print_table(rows, sets):
    head = (f"{'set':<13} {'fold':<22} {'seed':>4} {'n_train':>7} {'n_test':>6} "
            f"{'CNN acc':>8} {'RF acc':>7} {'CNN fit s':>10} {'RF fit s':>9}")
    print("\n" + head + "\n" + "-" * len(head))
    for name in sets:
        for r in (r for r in rows if r["set"] == name):
            print(f"{r['set']:<13} {r['fold']:<22} {r['seed']:>4} {r['n_train']:>7} "
                  f"{r['n_test']:>6} "
                  f"{r['cnn_accuracy']:>8.3f} {r['rf_accuracy']:>7.3f} "
                  f"{r['cnn_fit_s']:>10.1f} {r['rf_fit_s']:>9.1f}")
    head = (f"{'set':<13} {'folds':>5} {'mean CNN':>9} {'mean RF':>8} {'CNN-RF (points)':>16}  "
            "worst fold (CNN)")
    print("\n" + head + "\n" + "-" * (len(head) + 24))
    for name in sets:
        mine = [r for r in rows if r["set"] == name]
        if not mine:
            continue
        summary = summarise(mine)
        worst = summary["worst"]
        print(f"{name:<13} {summary['n_folds']:>5} {summary['cnn']:>9.3f} {summary['rf']:>8.3f} "
              f"{100 * (summary['cnn'] - summary['rf']):>+16.1f}  "
              f"{worst[0]}: {worst[1]:.3f} (RF {worst[2]:.3f})")
        if len(summary["per_seed"]) > 1:
            means = summary["per_seed"]
            print(f"{'':<13} seeds {', '.join(f'{k}: {v:.3f}' for k, v in means.items())}; "
                  f"spread {max(means.values()) - min(means.values()):.3f}")


def summarise(rows):
    """One set's rows (folds x seeds): means over folds and seeds, per seed, the worst fold.

    Every seed's mean is over the same folds; the worst fold is the one whose
    CNN accuracy, averaged over the seeds, is lowest.
    """
    folds = list(dict.fromkeys(r["fold"] for r in rows))
    seeds = sorted({r["seed"] for r in rows})
    per_seed = {s: float(np.mean([r["cnn_accuracy"] for r in rows if r["seed"] == s]))
                for s in seeds}
    by_fold = {f: (float(np.mean([r["cnn_accuracy"] for r in rows if r["fold"] == f])),
                   float(np.mean([r["rf_accuracy"] for r in rows if r["fold"] == f])))
               for f in folds}
    worst = min(by_fold, key=lambda f: by_fold[f][0])
    return dict(n_folds=len(folds), cnn=float(np.mean(list(per_seed.values()))),
                rf=float(np.mean([v[1] for v in by_fold.values()])), per_seed=per_seed,
                worst=(worst, *by_fold[worst]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS),
                        help=f"comma-separated, of {', '.join(SETS)} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help=f"at most {QUICK_FOLDS} folds per set (the full split's first ones)")
    parser.add_argument("--max-folds", type=int, default=None,
                        help="at most this many folds per set (the first ones)")
    parser.add_argument("--cnn", default="{}",
                        help="JSON object of CNNClassifier parameters overriding its defaults, "
                             "e.g. '{\"global_pool\": \"avg\", \"max_epochs\": 30}'")
    parser.add_argument("--seeds", default=None,
                        help="comma-separated CNN random_state values, each fold fitted once per "
                             "seed (default: 0, or --cnn's random_state)")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="folds run side by side in worker processes (default 2)")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as CSV here")
    parser.add_argument("--data", type=Path, default=DATA,
                        help="folder holding fsdd/ and catmeows/ (default ../shared/data)")
    args = parser.parse_args(argv)
    args.sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in args.sets if s not in SETS]
    if unknown:
        parser.error(f"--sets: unknown {', '.join(unknown)}; choose from {', '.join(SETS)}")
    try:
        args.cnn = json.loads(args.cnn)
    except json.JSONDecodeError as exc:
        parser.error(f"--cnn={args.cnn!r} is not JSON ({exc})")
    if not isinstance(args.cnn, dict):
        parser.error(f"--cnn must be a JSON object of CNNClassifier parameters, got {args.cnn!r}")
    # fail here, not in a worker after the front ends: unknown names, invalid values
    known = CNNClassifier().get_params()
    unknown = [k for k in args.cnn if k not in known and "__" not in k]  # skorch's prefixes pass
    if unknown:
        parser.error(f"--cnn: CNNClassifier has no parameter {', '.join(map(repr, unknown))}")
    try:
        CNNClassifier(**cnn_parameters(args.cnn))._check_hyperparameters()
    except (TypeError, ValueError) as exc:  # sklearn's InvalidParameterError is a ValueError
        parser.error(f"--cnn: {exc}")
    if args.seeds is None:
        args.seeds = [args.cnn.get("random_state", 0)]
    elif "random_state" in args.cnn:
        parser.error("give the CNN's seeds either as --seeds or as --cnn's random_state, not both")
    else:
        try:
            args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        except ValueError:
            parser.error(f"--seeds={args.seeds!r} must be comma-separated integers, e.g. 0,1,2")
        if not args.seeds or len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
            parser.error(f"--seeds={','.join(map(str, args.seeds))}: give distinct "
                         "non-negative integers, e.g. 0,1,2")
    args.cnn.pop("random_state", None)  # given per fold, from args.seeds
    if args.quick:
        args.max_folds = QUICK_FOLDS if args.max_folds is None else min(args.max_folds, QUICK_FOLDS)
    if args.max_folds is not None and args.max_folds < 1:
        parser.error(f"--max-folds={args.max_folds} must be a positive integer")
    if args.n_jobs < 1:
        parser.error(f"--n-jobs={args.n_jobs} must be a positive integer")
    return args


def main(argv=None):
    args = parse_args(argv)
    import torch

    cores = os.cpu_count() or 1
    rf_jobs = max(1, cores // args.n_jobs)
    cnn = CNNClassifier(**{"random_state": args.seeds[0], **cnn_parameters(args.cnn)})
    print(f"torch {torch.__version__}, {cores} cores; {args.n_jobs} fold(s) side by side, "
          f"CNN n_threads={cnn.n_threads}, forest n_jobs={rf_jobs}")
    print(f"CNN: CNNClassifier defaults, overrides {args.cnn or 'none'} "
          f"(random_state {', '.join(map(str, args.seeds))}, max_epochs={cnn.max_epochs}, "
          f"batch_size={cnn.batch_size}, "
          f"n_filters={cnn.n_filters}, global_pool={cnn.global_pool})")
    print("\nfront ends:")
    for name in args.sets:
        if name in FRONT_ENDS:
            fe = FRONT_ENDS[name]
            print(f"  {name:<13} sr={fe['sr']} duration={fe['duration']} s n_fft={fe['n_fft']} "
                  f"hop={fe['hop_length']} n_mels={fe['n_mels']}")

    tasks, sets_run = [], []
    for name in (s for s in args.sets if s in FRONT_ENDS):
        loaded = load_set(name, args.data)
        if isinstance(loaded, str):
            print(f"  {name}: skipped, {loaded}")
            continue
        clips, y, folds = loaded
        folds = folds[: args.max_folds]
        start = time.perf_counter()
        front_end = default_pipeline(FRONT_ENDS[name], **args.cnn)["features"]
        spectrograms = front_end.fit_transform(clips)
        statistics = mfcc_statistics(clips, FRONT_ENDS[name])
        print(f"  {name}: {len(y)} clips, {len(folds)} fold(s), spectrograms "
              f"{spectrograms.shape[1:]} and {statistics.shape[1]} MFCC statistics per clip "
              f"in {time.perf_counter() - start:.1f} s")
        del clips
        sets_run.append(name)
        tasks += [(name, label, seed, spectrograms, statistics, y, train, test)
                  for label, train, test in folds for seed in args.seeds]

    rows = []
    if tasks:
        print(f"\n{len(tasks)} fold(s) to fit ...", flush=True)
        start = time.perf_counter()
        results = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")(
            delayed(run_fold)(name, label, cnn, seed, S, M, y, train, test, rf_jobs)
            for name, label, seed, S, M, y, train, test in tasks
        )
        for r in results:
            rows.append(r)
            print(f"  done {r['set']} {r['fold']} seed {r['seed']}: "
                  f"CNN {r['cnn_accuracy']:.3f} in "
                  f"{r['cnn_fit_s']:.0f} s, RF {r['rf_accuracy']:.3f} in {r['rf_fit_s']:.1f} s "
                  f"({time.perf_counter() - start:.0f} s elapsed)", flush=True)
        order = {t[:3]: i for i, t in enumerate(tasks)}  # back to fold order
        rows.sort(key=lambda r: order[r["set"], r["fold"], r["seed"]])
        print_table(rows, sets_run)

    if "timing" in args.sets:
        shape, features_s, fit_s, n_threads = time_one_fit(
            {**args.cnn, "random_state": args.seeds[0]})
        print(f"\ntiming: one fit of the default CNN on {shape[0]} synthetic clips of 5 s at "
              f"22,050 Hz, spectrograms {shape[1:]} (128 mels, n_fft 2048, hop 512; computed "
              f"beforehand in {features_s:.1f} s, not timed), {n_threads} torch thread(s): "
              f"{fit_s:.1f} s (target <= 120 s on 2 cores)")
        rows.append(dict(set="timing", fold=f"{shape[0]} clips {shape[1:]}", seed=args.seeds[0],
                         n_train=shape[0],
                         n_test=0, cnn_accuracy="", rf_accuracy="", cnn_fit_s=fit_s,
                         rf_fit_s=""))

    if args.out is not None and rows:
        with open(args.out, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())

"""Lazy data: peak memory against the number of files, and time against the in-memory fit.

Two parts, each against a reference measured in the same run:

1. ``memory``: peak resident memory of a fit on ``--sizes`` (default 2,000
   and 20,000) generated 1 s WAV files (8 kHz, 16-bit) written to
   ``--workdir``, each fit in a fresh process: the lazy fit (the list of
   paths into ``Pipeline([SpectrogramTransformer, CNNClassifier])``, one
   DataLoader worker) and, as a control that grows with the files, the
   in-memory fit of the same clips (read into one array first). The
   process's own peak and its DataLoader workers' (the largest child's) are
   printed apart, with the fit's time, medians of ``--repeats``. One epoch
   of a small network: the point is the memory, not the model. The peak of
   the main process moves by tens of MB from run to run and grows with the
   number of training steps (glibc's heap fragments under torch's
   allocations of a few MB, in memory as lazily); ``--control`` also fits
   the small set lazily for as many epochs as make the large set's steps.
2. ``fsdd``: the default pipeline of the results page (64 mels, n_fft 512,
   hop 128, 1 s, ``CNNClassifier(random_state=0)``) fitted on FSDD's 3,000
   recordings, from files: lazily (the list of paths) against reading them
   into memory and fitting the array (reading included), interleaved,
   medians of ``--repeats``, same ``n_threads``. Prints lazy / in-memory and
   whether the two fits predict the same.

Usage: python benchmarks/bench_lazy.py [--parts memory,fsdd] [--sizes 2000,20000]
       [--control] [--repeats 3] [--workdir /tmp/skcnn-lazy] [--max-epochs 30]
"""

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FSDD = ROOT.parent / "shared" / "data" / "fsdd"
SR = 8000


def write_files(folder, n):
    """``n`` 1 s clips (a tone in noise, 4 classes by pitch) as 16-bit WAV files."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    t = np.arange(SR) / SR
    labels = rng.integers(0, 4, size=n)
    paths = []
    for i, label in enumerate(labels):
        path = folder / f"{i:06d}.wav"
        paths.append(str(path))
        if not path.exists():
            x = 0.5 * np.sin(2 * np.pi * (300 + 200 * label) * t) + 0.1 * rng.normal(size=SR)
            sf.write(path, x.astype(np.float32), SR, subtype="PCM_16")
    np.save(folder / "labels.npy", labels)
    return paths, labels


def child_memory(mode, folder, n, epochs=1):
    """One fit in this (fresh) process; prints a JSON line."""
    import soundfile as sf
    from sklearn.pipeline import make_pipeline

    from skcnn import CNNClassifier, SpectrogramTransformer

    paths = [str(folder / f"{i:06d}.wav") for i in range(n)]
    y = np.load(folder / "labels.npy")[:n]
    pipe = make_pipeline(
        SpectrogramTransformer(sr=SR, n_fft=512, hop_length=128, n_mels=64, output="db"),
        CNNClassifier(n_filters=(8, 16), max_epochs=epochs, random_state=0))
    start = time.perf_counter()
    if mode == "lazy":
        pipe.fit(paths, y)
    else:
        X = np.stack([sf.read(p, dtype="float32")[0] for p in paths])
        pipe.fit(X, y)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"own_mb": own, "workers_mb": workers, "seconds": seconds}))


def run_child(*args):
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_memory(args):
    print("1. Peak resident memory (MB), one epoch of a small network, each fit in a fresh process")
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(args.workdir) / "files"
    start = time.perf_counter()
    write_files(folder, max(sizes))
    print(f"   {max(sizes)} files in {folder} ({time.perf_counter() - start:.0f} s to write)")
    small, large = min(sizes), max(sizes)
    # the control: the small set for as many epochs as make the large set's
    # number of training steps (glibc's heap grows with the steps taken)
    control = (small, "lazy, " + f"{large // small} epochs")
    runs = {}
    for repeat in range(args.repeats):
        for n in sizes:
            for mode in ("lazy", "in-memory"):
                r = run_child("memory", mode, folder, n, 1)
                runs.setdefault((n, mode), []).append(r)
                print(f"   {n:6d} files, {mode:9s}: main process {r['own_mb']:7.0f}, "
                      f"largest worker {r['workers_mb']:6.0f}, fit {r['seconds']:6.1f} s",
                      flush=True)
        if args.control:
            r = run_child("memory", "lazy", folder, small, large // small)
            runs.setdefault(control, []).append(r)
            print(f"   {small:6d} files, {control[1]}: main process {r['own_mb']:7.0f}, "
                  f"largest worker {r['workers_mb']:6.0f}, fit {r['seconds']:6.1f} s",
                  flush=True)
    rows = {key: {name: statistics.median(r[name] for r in values) for name in values[0]}
            for key, values in runs.items()}
    print(f"   medians of {args.repeats}:")
    for (n, mode), r in rows.items():
        print(f"   {n:6d} files, {mode:9s}: main process {r['own_mb']:7.0f}, "
              f"largest worker {r['workers_mb']:6.0f}, fit {r['seconds']:6.1f} s")
    for mode in ("lazy", "in-memory"):
        a, b = rows[small, mode], rows[large, mode]
        print(f"   {mode}: peak at {large} / peak at {small} files: main "
              f"{b['own_mb'] / a['own_mb']:.3f}, workers "
              f"{b['workers_mb'] / max(a['workers_mb'], 1):.3f}")
    if control in rows:
        a, b = rows[control], rows[large, "lazy"]
        print(f"   lazy: peak at {large} files / peak at {small} files for as many steps: "
              f"main {b['own_mb'] / a['own_mb']:.3f}, workers {b['workers_mb'] / a['workers_mb']:.3f}")
    if not args.keep:
        shutil.rmtree(folder)


def part_fsdd(args):
    import soundfile as sf
    from sklearn.pipeline import make_pipeline

    from skcnn import CNNClassifier, SpectrogramTransformer
    from skcnn.datasets import load_fsdd

    if not (FSDD / "recordings").is_dir():
        print(f"2. skipped: no FSDD at {FSDD}")
        return
    paths = list(load_fsdd(FSDD).filenames)  # only the file list: both fits read the files
    y = np.array([int(Path(p).name.split("_")[0]) for p in paths])

    def pipe():
        return make_pipeline(
            SpectrogramTransformer(sr=SR, n_fft=512, hop_length=128, n_mels=64, output="db",
                                   duration=1.0),
            CNNClassifier(random_state=0, max_epochs=args.max_epochs))

    def in_memory():
        clips = [sf.read(p, dtype="float32")[0] for p in paths]
        return pipe().fit(clips, y)

    def lazy():
        return pipe().fit(paths, y)

    print(f"2. FSDD, {len(paths)} files, default pipeline ({args.max_epochs} epochs), "
          f"medians of {args.repeats}, interleaved")
    times = {"in-memory": [], "lazy": []}
    fitted = {}
    for repeat in range(args.repeats):
        for name, fit in (("in-memory", in_memory), ("lazy", lazy)) if repeat % 2 == 0 else \
                (("lazy", lazy), ("in-memory", in_memory)):
            start = time.perf_counter()
            fitted[name] = fit()
            times[name].append(time.perf_counter() - start)
            print(f"   {name:9s}: {times[name][-1]:6.1f} s", flush=True)
    a, b = statistics.median(times["in-memory"]), statistics.median(times["lazy"])
    clips = [sf.read(p, dtype="float32")[0] for p in paths[:300]]
    same = np.array_equal(fitted["lazy"].predict_proba(paths[:300]),
                          fitted["in-memory"].predict_proba(clips))
    print(f"   medians: in-memory {a:.1f} s, lazy {b:.1f} s; lazy / in-memory = {b / a:.2f} "
          f"(target <= 1.3); same predictions: {same}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, part, mode, folder, n, epochs = sys.argv
        return child_memory(mode, Path(folder), int(n), int(epochs))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="memory,fsdd")
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--workdir", default="/tmp/skcnn-lazy")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--control", action="store_true",
                        help="also the small set for the large set's number of training steps")
    args = parser.parse_args()
    parts = args.parts.split(",")
    if "memory" in parts:
        part_memory(args)
    if "fsdd" in parts:
        part_fsdd(args)


if __name__ == "__main__":
    main()

"""Clips per second of skcnn's feature transformers against librosa.

Two data sets built from the shared FSDD recordings:

* ``1s``: 3,000 one-second clips at 8 kHz (n_fft=512, hop_length=128, 40 mels);
* ``5s``: 2,000 five-second clips at 22,050 Hz (n_fft=2048, hop_length=512,
  128 mels), recordings resampled and concatenated.

For each set, MFCCs and a dB mel spectrogram are computed by (a) librosa called
clip by clip, (b) librosa called once on the batch and (c) skcnn; the script
prints the median clips per second of each, skcnn's speed-up over (a) and (b),
and the peak memory of each method, measured in a fresh process, as a multiple
of its input plus output. On the ``1s`` set also the constant-Q magnitude
(``np.abs(librosa.cqt)``, 72 bins from C1, hop 128; ``CQTTransformer`` with
``output='magnitude'``).

Run::

    python benchmarks/bench_features.py                     # full run, about 13 minutes on 2 cores
    python benchmarks/bench_features.py --quick             # a tenth of the clips
    python benchmarks/bench_features.py --sets 1s --features cqt   # the CQT alone
"""

import argparse
import multiprocessing as mp
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd" / "recordings"

SETS = {
    "1s": dict(n_clips=3000, sr=8000, seconds=1.0, n_fft=512, hop_length=128, n_mels=40,
               cqt=dict(hop_length=128, n_bins=72)),
    "5s": dict(n_clips=2000, sr=22050, seconds=5.0, n_fft=2048, hop_length=512, n_mels=128),
}
FEATURES = ("mfcc", "mel dB", "cqt")


def build_set(n_clips, sr, seconds, **_):
    """Float32 (n_clips, seconds * sr) clips from FSDD recordings."""
    import librosa
    import soundfile as sf

    files = sorted(FSDD.glob("*.wav"))
    recordings = [sf.read(f, dtype="float32")[0] for f in files]
    if sr != 8000:
        recordings = [librosa.resample(r, orig_sr=8000, target_sr=sr) for r in recordings]
    length = int(seconds * sr)
    rng = np.random.default_rng(0)
    out = np.zeros((n_clips, length), dtype=np.float32)
    for i in range(n_clips):
        pos = 0
        while pos < length:
            r = recordings[rng.integers(len(recordings))]
            take = min(len(r), length - pos)
            out[i, pos : pos + take] = r[:take]
            pos += take
            if seconds <= 1.0:
                break  # one recording per clip, zero-padded, as FSDD users do
    return out


def _methods(params):
    import librosa

    from skcnn import CQTTransformer, MFCCTransformer, SpectrogramTransformer

    sr = params["sr"]
    stft = dict(n_fft=params["n_fft"], hop_length=params["hop_length"], n_mels=params["n_mels"])

    def librosa_mfcc(x):
        return librosa.feature.mfcc(y=x, sr=sr, n_mfcc=13, **stft)

    def librosa_mel_db(x):
        return librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=sr, **stft))

    mfcc = MFCCTransformer(sr=sr, n_mfcc=13, **stft)
    mel_db = SpectrogramTransformer(sr=sr, output="db", **stft)
    methods = {}
    if params.get("cqt"):
        cqt_params = params["cqt"]

        def librosa_cqt(x):
            return np.abs(librosa.cqt(x, sr=sr, **cqt_params))

        cqt = CQTTransformer(sr=sr, output="magnitude", **cqt_params)
        methods = {
            ("cqt", "librosa per clip"): lambda X: np.stack([librosa_cqt(x) for x in X]),
            ("cqt", "librosa batch"): librosa_cqt,
            ("cqt", "skcnn"): cqt.transform,
        }
    return methods | {
        ("mfcc", "librosa per clip"): lambda X: np.stack([librosa_mfcc(x) for x in X]),
        ("mfcc", "librosa batch"): librosa_mfcc,
        ("mfcc", "skcnn"): mfcc.transform,
        ("mel dB", "librosa per clip"): lambda X: np.stack([librosa_mel_db(x) for x in X]),
        ("mel dB", "librosa batch"): librosa_mel_db,
        ("mel dB", "skcnn"): mel_db.transform,
    }


def _rss_mb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def _child(path, params, key, repeats, queue):
    """Time one method in a fresh process and report its peak memory."""
    import warnings

    warnings.simplefilter("ignore", UserWarning)  # librosa: n_fft too large for the low octaves
    X = np.load(path)
    method = _methods(params)[key]
    method(X[:4])  # warm up (imports, numba compilation, filter caches)
    baseline = _rss_mb("VmRSS")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = method(X)
        times.append(time.perf_counter() - start)
        del out
    out = method(X[:1])
    out_bytes = np.asarray(out, dtype=np.float32).nbytes * len(X)  # the whole set's output
    peak = _rss_mb("VmHWM") - baseline  # memory the method needed beyond its input
    queue.put((times, peak, X.nbytes / 2**20, out_bytes / 2**20))


def run_set(name, params, repeats, quick, features=FEATURES):
    params = dict(params)
    if quick:
        params["n_clips"] //= 10
    X = build_set(**params)
    print(f"\n== {name}: {len(X)} clips of {params['seconds']} s at {params['sr']} Hz, "
          f"n_fft={params['n_fft']}, hop_length={params['hop_length']}, {params['n_mels']} mels"
          + (f"; cqt {params['cqt']}" if params.get("cqt") and "cqt" in features else ""))
    ctx = mp.get_context("spawn")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "X.npy"
        np.save(path, X)
        for key in _methods(params):
            if key[0] not in features:
                continue
            queue = ctx.Queue()
            proc = ctx.Process(target=_child, args=(path, params, key, repeats, queue))
            proc.start()
            times, peak, in_mb, out_mb = queue.get()
            proc.join()
            results[key] = (len(X) / statistics.median(times), peak, in_mb, out_mb)
    for feature in FEATURES:
        if (feature, "skcnn") not in results:
            continue
        ours = results[(feature, "skcnn")][0]
        print(f"  {feature}:")
        for how in ("librosa per clip", "librosa batch", "skcnn"):
            rate, peak, in_mb, out_mb = results[(feature, how)]
            print(f"    {how:17s} {rate:9.0f} clips/s   x{ours / rate:5.2f} (skcnn / this)   "
                  f"peak memory / (input + output) = {(in_mb + max(peak, 0)) / (in_mb + out_mb):.2f}")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the clips")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (median)")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--features", nargs="+", default=list(FEATURES), choices=FEATURES)
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; medians of "
          f"{args.repeats} runs")
    for name in args.sets:
        run_set(name, SETS[name], args.repeats, args.quick, args.features)


if __name__ == "__main__":
    main()

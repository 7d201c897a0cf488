"""Per-frame and per-pixel outputs, speaker-independent: the issue's three targets.

- ``sed``: sound event detection on 3 s soundscapes of FSDD digits at 10 dB
  SNR over white noise (:func:`skcnn.datasets.make_soundscapes`), leave one
  speaker out, every speaker in turn: the soundscapes of a fold's training
  and test sets are built from different speakers' clips. Three kinds of
  scene (``--scenes``, see ``SCENES``): sparse (1-3 digits), dense (digits
  one after another, 1/8-1/2 s apart) and overlapping (two dense tracks,
  indicator targets). Frame-level macro-F1 over the ten digits
  (:func:`skcnn.metrics.frame_f1_score`, the background left out), event F1
  (200 ms onset collar) and PSDS (DCASE scenario 1, when ``sed_scores_eval``
  is installed) of ``SpectrogramTransformer`` + ``CNNFrameClassifier``
  (defaults, with each temporal head of ``--heads``: ``HEADS``), against a
  random forest on each frame's mel dB vector with its neighbours (the
  floor, measured in the same run), for each seed of ``--seeds``. Targets:
  mean frame macro-F1 >= 0.85 on sparse scenes, >= 0.75 on dense ones.
- ``separation``: one-second digits mixed with white noise at 0 dB
  (:func:`skcnn.datasets.make_mixtures`), leave one speaker out:
  ``CNNMaskRegressor`` (defaults) on the mixture's dB spectrogram, its mask
  applied with :func:`skcnn.separation.apply_mask`; median SI-SDR
  improvement against the oracle mask's, in the same run. Target: >= 10 dB.
- ``pitch``: synthetic harmonic tones with vibrato
  (:func:`skcnn.datasets.make_vibrato_tones`), ``CQTTransformer`` +
  ``CNNFrameRegressor`` on log2 f0; raw pitch accuracy (50 cents) on held-out
  tones, against ``librosa.pyin`` on the same tones. Target: >= 0.9.

Run ``python benchmarks/bench_frames.py sed separation pitch`` (all three,
sparse scenes and the default recurrent head only: about an hour on 2 cores);
``--speakers jackson,nicolas`` runs those folds only; ``--scenes
sparse,dense,overlap --heads conv,gru`` every scene kind and head (six times
the SED part's time). Printed: one line per fold, then the mean, the worst fold and
the ratio to the reference.
"""

import argparse
import time
from pathlib import Path

import librosa
import numpy as np
from sklearn.ensemble import RandomForestClassifier

import skcnn.augment
from skcnn import (
    CNNFrameClassifier, CNNFrameRegressor, CNNMaskRegressor, CQTTransformer,
    SpectrogramTransformer,
)
from skcnn.datasets import load_fsdd, make_mixtures, make_soundscapes, make_vibrato_tones
from skcnn.metrics import (
    event_f1_score, frame_f1_score, raw_pitch_accuracy, rolls_to_events, si_sdr_improvement,
)
from skcnn.separation import apply_mask

try:  # PSDS needs sed_scores_eval (pip install sed_scores_eval)
    from skcnn.metrics import psds_score
except ImportError:
    psds_score = None

FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
SR = 8000


# ------------------------------------------------------------------- SED
SED_COMMON = dict(duration=3.0, snr_db=10.0, hop_length=128)
#: The scene kinds: a few digits at random onsets (the frame work's first
#: scenes, about 73% background frames); digits one after another with 1/8 to
#: 1/2 s gaps (about half the frames background); two such tracks with longer
#: gaps summed (up to two digits at once, indicator targets).
SCENES = {
    "sparse": dict(n_events=(1, 3)),
    "dense": dict(n_events="fill", gap=(0.125, 0.5)),
    "overlap": dict(n_events="fill", gap=(0.25, 1.0), polyphony=2),
}
#: The temporal heads compared: dilated convolutions (the default until these
#: runs chose the other), and a CRNN with two bidirectional GRU layers (the
#: DCASE baselines' depth, the frame classifier's default).
HEADS = {"conv": dict(temporal="conv", time_context=4), "gru": dict(temporal="gru", time_context=2)}
SED_FRONT = dict(sr=SR, n_fft=512, hop_length=SED_COMMON["hop_length"], n_mels=40, output="db")


def _soundscapes(fsdd, speakers, n, seed, scene):
    keep = np.isin(fsdd.speaker, speakers)
    clips = [c for c, k in zip(fsdd.data, keep) if k]
    return make_soundscapes(clips, fsdd.target[keep], sr=SR, n_soundscapes=n,
                            random_state=seed, **SED_COMMON, **SCENES[scene])


def _context_frames(S, k=3):
    """Each frame's mel vector with its k neighbours on each side (edge padded)."""
    n, _, n_bins, n_frames = S.shape
    padded = np.pad(S[:, 0], ((0, 0), (0, 0), (k, k)), mode="edge")
    stacked = [padded[:, :, i:i + n_frames] for i in range(2 * k + 1)]
    return np.concatenate(stacked, axis=1).transpose(0, 2, 1).reshape(n * n_frames, -1)


def _merged(events):
    """Each clip's events with the overlapping or touching events of one class
    merged into one (two tracks can sound the same digit at once), as PSDS
    wants its reference."""
    merged = []
    for clip in events:
        out = []
        for onset, offset, label in sorted(clip, key=lambda e: (str(e[2]), e[0])):
            if out and out[-1][2] == label and onset <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], offset), label)
            else:
                out.append((onset, offset, label))
        merged.append(sorted(out, key=lambda e: e[0]))
    return merged


def _sed_scores(test, pred, proba, classes):
    """Frame macro-F1, event F1 (200 ms onset collar) and PSDS (scenario 1)."""
    indicator = test.target.ndim == 3
    bg = None if indicator else test.background_label
    f1 = frame_f1_score(test.target, pred, background=bg)
    events = rolls_to_events(pred, sr=SR, hop_length=SED_COMMON["hop_length"], background=bg,
                             classes=list(test.target_names) if indicator else None)
    ev = event_f1_score(test.events, events, t_collar=0.2)
    psds = np.nan
    if proba is not None and psds_score is not None:
        psds = psds_score(_merged(test.events), proba, sr=SR, hop_length=SED_COMMON["hop_length"],
                          classes=list(classes), background=bg)
    return f1, ev, psds


def bench_sed(fsdd, speakers, args):
    front = SpectrogramTransformer(**SED_FRONT)
    results = {}
    for scene in args.scenes:
        for i, held in speakers:
            for seed in args.seeds:
                # seed 0 gives the folds of the first runs (scenes seeded i and 100 + i)
                train = _soundscapes(fsdd, [s for s in np.unique(fsdd.speaker) if s != held],
                                     args.n_train, seed=i + 1000 * seed, scene=scene)
                test = _soundscapes(fsdd, [held], args.n_test, seed=100 + i + 1000 * seed,
                                    scene=scene)
                S_train, S_test = front.transform(train.data), front.transform(test.data)
                step = 4  # every fourth training frame: the forest's time stays about a minute
                start = time.perf_counter()
                forest = RandomForestClassifier(n_estimators=50, min_samples_leaf=2,
                                                random_state=seed)
                flat = (-1,) + train.target.shape[2:]
                forest.fit(_context_frames(S_train)[::step], train.target.reshape(flat)[::step])
                rf_s = time.perf_counter() - start
                rf_pred = forest.predict(_context_frames(S_test)).reshape(test.target.shape)
                rf = _sed_scores(test, rf_pred, None, None)
                results.setdefault((scene, "forest"), []).append((held, seed) + rf + (rf_s,))
                for head in args.heads:
                    start = time.perf_counter()
                    cnn = CNNFrameClassifier(random_state=seed, max_epochs=args.epochs,
                                             **{**HEADS[head], **args.cnn})
                    cnn.fit(S_train, train.target)
                    fit_s = time.perf_counter() - start
                    scores = _sed_scores(test, cnn.predict(S_test), cnn.predict_proba(S_test),
                                         cnn.classes_ if train.target.ndim == 2
                                         else train.target_names)
                    results.setdefault((scene, head), []).append((held, seed) + scores + (fit_s,))
                    print(f"sed {scene:7s} {head:4s} {held:10s} seed {seed}: frame macro-F1 "
                          f"{scores[0]:.3f} (forest {rf[0]:.3f})  event F1 {scores[1]:.3f} "
                          f"(forest {rf[1]:.3f})  PSDS {scores[2]:.3f}  fit {fit_s:.0f} s "
                          f"(forest {rf_s:.0f} s)", flush=True)
    print("\nsed summary (means over folds and seeds; worst fold's frame macro-F1):")
    targets = {"sparse": 0.85, "dense": 0.75}
    for (scene, head), rows in results.items():
        f1, ev, psds = (np.array([r[k] for r in rows]) for k in (2, 3, 4))
        worst = rows[int(f1.argmin())]
        target = f"; target >= {targets[scene]}" if scene in targets and head != "forest" else ""
        psds_text = f"{np.nanmean(psds):.3f}" if np.isfinite(psds).any() else "-"
        print(f"sed {scene:7s} {head:6s} frame macro-F1 {f1.mean():.3f} (worst {worst[0]} "
              f"{f1.min():.3f})  event F1 {ev.mean():.3f}  PSDS {psds_text}  over "
              f"{len(rows)} fold(s){target}", flush=True)


# ------------------------------------------------------------ separation
SEP = dict(n_fft=512, hop_length=128)


def bench_separation(fsdd, speakers, args):
    rows = []
    for i, held in speakers:
        def mixtures(mask, seed):
            clips = [c for c, k in zip(fsdd.data, mask) if k]
            return make_mixtures(clips, "white", sr=SR, snr_db=0.0, duration=1.0,
                                 random_state=seed, **SEP)
        is_held = fsdd.speaker == held
        train = mixtures(~is_held & (fsdd.index % 50 < args.per_speaker), seed=i)
        test = mixtures(is_held, seed=100 + i)
        front = SpectrogramTransformer(sr=SR, output="db", **SEP)
        start = time.perf_counter()
        reg = CNNMaskRegressor(random_state=0, max_epochs=args.epochs, **args.mask)
        reg.fit(front.transform(train.mixture), train.mask)
        fit_s = time.perf_counter() - start
        est = apply_mask(test.mixture, reg.predict(front.transform(test.mixture)), **SEP)
        oracle = apply_mask(test.mixture, test.mask, **SEP)
        gain = np.median(si_sdr_improvement(test.target, est, test.mixture))
        best = np.median(si_sdr_improvement(test.target, oracle, test.mixture))
        rows.append((held, gain, best, fit_s))
        print(f"separation {held:10s} median SI-SDRi {gain:.2f} dB (oracle mask {best:.2f} dB)"
              f"  fit {fit_s:.0f} s on {len(train.mixture)} mixtures", flush=True)
    gains = np.array([r[1] for r in rows])
    best = np.array([r[2] for r in rows])
    worst = rows[int(gains.argmin())][0]
    print(f"separation mean of median SI-SDRi {gains.mean():.2f} dB (worst {worst} "
          f"{gains.min():.2f}); oracle {best.mean():.2f} dB; ratio "
          f"{gains.mean() / best.mean():.2f}; target >= 10 dB", flush=True)


# ----------------------------------------------------------------- pitch
PITCH = dict(sr=SR, duration=1.0, hop_length=64)
# as in examples/pitch_tracking.py: 500 tones are few steps at the default batch of 64
PITCH_FIT = dict(batch_size=16, lr=3e-3, lr_schedule="cosine", max_epochs=60)


def bench_pitch(args):
    train = make_vibrato_tones(args.n_tones, random_state=0, **PITCH)
    test = make_vibrato_tones(100, random_state=1, **PITCH)
    # 5 octaves from 65 Hz (to 2.1 kHz, under the 4 kHz Nyquist), a bin a semitone
    front = CQTTransformer(sr=SR, hop_length=PITCH["hop_length"], fmin=65.0, n_bins=60,
                           bins_per_octave=12)
    start = time.perf_counter()
    reg = CNNFrameRegressor(**{**PITCH_FIT, "random_state": 0, **args.pitch})
    # log2 f0, standardised: errors in cents weigh the same at every pitch, and
    # the output layer starts near its targets
    log_f0 = np.log2(train.target)
    mean, std = np.nanmean(log_f0), np.nanstd(log_f0)
    reg.fit(front.transform(train.data), (log_f0 - mean) / std)
    fit_s = time.perf_counter() - start
    est = 2.0 ** (reg.predict(front.transform(test.data)) * std + mean)
    rpa = raw_pitch_accuracy(test.target, est)
    start = time.perf_counter()
    f0 = np.stack([librosa.pyin(x, fmin=60, fmax=1000, sr=SR, frame_length=512,
                                hop_length=PITCH["hop_length"], center=True)[0]
                   for x in test.data])[:, :test.target.shape[1]]
    pyin_s = time.perf_counter() - start
    ref = raw_pitch_accuracy(test.target, f0)
    print(f"pitch raw pitch accuracy {rpa:.3f} (pyin {ref:.3f}; ratio {rpa / ref:.2f}); fit "
          f"{fit_s:.0f} s on {args.n_tones} tones, pyin {pyin_s:.0f} s; target >= 0.9",
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tasks", nargs="+", choices=["sed", "separation", "pitch"])
    parser.add_argument("--speakers", default=None, help="comma-separated held-out speakers")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--n-train", type=int, default=600, help="training soundscapes per fold")
    parser.add_argument("--n-test", type=int, default=100, help="test soundscapes per fold")
    parser.add_argument("--per-speaker", type=int, default=20,
                        help="separation: training recordings per digit and speaker")
    parser.add_argument("--n-tones", type=int, default=500)
    parser.add_argument("--scenes", default="sparse",
                        help=f"sed: comma-separated scene kinds among {list(SCENES)}")
    parser.add_argument("--heads", default="gru",
                        help=f"sed: comma-separated temporal heads among {list(HEADS)}")
    parser.add_argument("--seeds", default="0", help="sed: comma-separated seeds")
    parser.add_argument("--cnn", default="{}", help="CNNFrameClassifier parameters (Python dict; "
                        "skcnn.augment's classes by name)")
    parser.add_argument("--mask", default="{}", help="CNNMaskRegressor parameters")
    parser.add_argument("--pitch", default="{}", help="CNNFrameRegressor parameters")
    args = parser.parse_args()
    # the dicts may name skcnn.augment's classes, e.g. "{'augment': FrequencyWarp()}"
    names = {"__builtins__": {}, **{n: getattr(skcnn.augment, n) for n in skcnn.augment.__all__}}
    for name in ("cnn", "mask", "pitch"):
        setattr(args, name, eval(getattr(args, name), names))
    args.scenes, args.heads = args.scenes.split(","), args.heads.split(",")
    args.seeds = [int(seed) for seed in args.seeds.split(",")]
    for option, given, known in (("--scenes", args.scenes, SCENES), ("--heads", args.heads, HEADS)):
        if set(given) - set(known):
            parser.error(f"{option}: unknown {sorted(set(given) - set(known))}; use {list(known)}")
    fsdd = load_fsdd(FSDD) if {"sed", "separation"} & set(args.tasks) else None
    all_speakers = list(np.unique(fsdd.speaker)) if fsdd is not None else []
    speakers = args.speakers.split(",") if args.speakers else all_speakers
    unknown = sorted(set(speakers) - set(all_speakers))
    if unknown:
        parser.error(f"--speakers: unknown {unknown}; FSDD has {all_speakers}")
    # a fold's seed is its speaker's place among all speakers, so a run of a
    # few folds (--speakers) repeats those folds of the full run
    speakers = [(all_speakers.index(held), held) for held in speakers]
    for task in args.tasks:
        start = time.perf_counter()
        if task == "sed":
            bench_sed(fsdd, speakers, args)
        elif task == "separation":
            bench_separation(fsdd, speakers, args)
        else:
            bench_pitch(args)
        print(f"{task}: {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()

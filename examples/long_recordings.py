"""
Long recordings: classify from one-second segments
==================================================

A CNN reads a fixed window of audio, but recordings come in any length.
``SegmentClassifier`` cuts every recording into one-second segments, trains
the pipeline (a mel spectrogram and a small CNN) on all segments, each
labelled with its recording's class, and predicts a recording by pooling its
segments: the mean of their probabilities, or a majority vote.

The recordings are synthetic: 8 to 12 s at 8 kHz, each a run of clips of one
class from ``make_audio_classification`` (events of random length, level and
pitch in background noise), so they differ in length and are passed as a
list. Cross-validation is over recordings, so no recording has segments on
both sides of a fold. The script prints the per-recording accuracy of both
poolings and the accuracy of single segments, and saves ``long_recordings.png``
(one recording's spectrogram above its segments' probabilities) beside this
script, or in the folder named by ``SKCNN_EXAMPLES_OUT``.

Under half a minute on 2 CPU cores (14 to 30 s measured while other work ran).

With ``SKCNN_EXAMPLES_SMOKE=1`` in the environment (as the tests run it) the script
runs the same steps on 10 recordings, 2 folds and 2 epochs, in seconds; its numbers
then mean nothing.
"""

# %%
# Data: 40 recordings, 8 of each of the five classes, of 8 to 12 s.
import os
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from skcnn import CNNClassifier, SegmentClassifier, SpectrogramTransformer
from skcnn.datasets import AUDIO_CLASS_NAMES, make_audio_classification

SMOKE = os.environ.get("SKCNN_EXAMPLES_SMOKE") == "1"  # a few clips and epochs (the tests)
# this script's folder (sphinx-gallery runs the script from there, without __file__)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
start = time.perf_counter()
SR = 8000
rng = np.random.default_rng(0)
# clips of three lengths, so the events of a recording come at irregular intervals
pools = [make_audio_classification(n_samples=300, sr=SR, duration=d, noise=0.1, random_state=i)
         for i, d in enumerate([0.4, 0.7, 1.0])]
X, y = [], []
for label in np.repeat(np.arange(len(AUDIO_CLASS_NAMES)), 2 if SMOKE else 8):
    seconds, parts = rng.uniform(8, 12), []
    while sum(len(p) for p in parts) < seconds * SR:
        clips, labels = pools[rng.integers(len(pools))]
        parts.append(clips[rng.choice(np.flatnonzero(labels == label))])
    X.append(np.concatenate(parts)[: int(seconds * SR)])
    y.append(label)
y = np.array(y)
lengths = np.array([len(x) for x in X]) / SR
print(f"{len(X)} recordings of {lengths.min():.1f} to {lengths.max():.1f} s at {SR} Hz")

# %%
# The pipeline sees one-second segments: 32 mel bands by 63 frames each. Global
# average pooling makes the CNN's output independent of where in the segment an
# event falls.
model = SegmentClassifier(
    Pipeline([
        ("features", SpectrogramTransformer(sr=SR, n_fft=256, hop_length=128, n_mels=32)),
        ("cnn", CNNClassifier(n_filters=(8, 16), hidden_units=(32,), global_pool="avg",
                              max_epochs=2 if SMOKE else 25, lr=3e-3, batch_size=32,
                              random_state=0)),
    ]),
    segment_seconds=1.0,
    sr=SR,
)

# %%
# Four folds over recordings. ``aggregate`` is read when predicting, so each
# fitted fold is asked for both poolings; the per-segment accuracy scores every
# segment on its own, against its recording's class.
mean_hits, vote_hits, segment_hits = [], [], []
for train, test in StratifiedKFold(2 if SMOKE else 4, shuffle=True, random_state=0).split(X, y):
    X_test = [X[i] for i in test]
    model.set_params(aggregate="mean").fit([X[i] for i in train], y[train])
    mean_hits.append(model.predict(X_test) == y[test])
    vote_hits.append(model.set_params(aggregate="vote").predict(X_test) == y[test])
    segments, recording = model.segment(X_test)
    segment_hits.append(model.estimator_.predict(segments) == y[test][recording])
print(f"segments per recording: {model.n_segments_.min()} to {model.n_segments_.max()}")
print(f"per-segment accuracy: {np.concatenate(segment_hits).mean():.3f}")
print(f"per-recording accuracy, mean probability: {np.concatenate(mean_hits).mean():.3f}")
print(f"per-recording accuracy, majority vote: {np.concatenate(vote_hits).mean():.3f}")
print(f"chance: {1 / len(AUDIO_CLASS_NAMES):.3f}")

# %%
# The last fold's model on one of its test recordings: of those it gets right,
# the one whose segments are wrong most often.
segment_proba = model.estimator_.predict_proba(segments)
right = [np.mean(segment_hits[-1][recording == r]) for r in range(len(test))]
r = int(np.argmin(np.where(mean_hits[-1], right, np.inf) if mean_hits[-1].any() else right))
proba = segment_proba[recording == r]
pooled = model.set_params(aggregate="mean").predict_proba([X_test[r]])[0]
print(f"recording {test[r]} ({AUDIO_CLASS_NAMES[y[test[r]]]}): {right[r]:.0%} of its "
      f"segments right; the mean probability says {AUDIO_CLASS_NAMES[int(np.argmax(pooled))]}")
print(f"total time: {time.perf_counter() - start:.1f} s")

# %%
# A figure: the recording's spectrogram, cut into segments, above each
# segment's class probabilities.

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # matplotlib is the optional `examples` extra
    print("matplotlib is not installed: pip install 'skcnn[examples]' for the figure")
else:
    features = model.estimator_["features"]
    spectrogram = features.transform([X_test[r]])[0, 0]
    seconds = len(X_test[r]) / SR
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    top.imshow(spectrogram, origin="lower", aspect="auto", cmap="magma",
               extent=[0, spectrogram.shape[1] * features.hop_length / SR, 0, 32])
    top.set_title(f"a {seconds:.1f} s recording of class '{AUDIO_CLASS_NAMES[y[test[r]]]}', "
                  f"cut into {len(proba)} one-second segments\n(grey: the last "
                  f"{seconds - len(proba):.1f} s, too short for a segment, are dropped)",
                  fontsize=10)
    top.set_ylabel("mel band")
    bottom.set_title("each segment's class probabilities (legend: their mean, the pooled "
                     "prediction)", fontsize=10)
    for edge in range(1, len(proba) + 1):
        top.axvline(edge, color="white", lw=0.8, ls="--")
    for ax in (top, bottom):  # the tail that does not fill a segment is not seen
        ax.axvspan(len(proba), seconds, color="lightgrey", alpha=0.6, lw=0)
    left = np.arange(len(proba))
    bottom_of_bar = np.zeros(len(proba))
    colours = plt.get_cmap("tab10").colors
    for k, name in enumerate(AUDIO_CLASS_NAMES):
        bottom.bar(left + 0.5, proba[:, k], width=0.9, bottom=bottom_of_bar, color=colours[k],
                   label=f"{name} (pooled {pooled[k]:.2f})")
        bottom_of_bar += proba[:, k]
    bottom.set(xlim=(0, seconds), ylim=(0, 1), xlabel="time (s)",
               ylabel="segment's probability")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title="class",
                  title_fontsize=8)
    fig.tight_layout()
    # next to this script (examples/*.png is git-ignored), or in $SKCNN_EXAMPLES_OUT;
    # never in the working directory
    out_dir = Path(os.environ.get("SKCNN_EXAMPLES_OUT", HERE))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "long_recordings.png"
    fig.savefig(out, dpi=80)
    print(f"figure saved to {out}")

"""
Constant-Q against mel: timbres learned in one octave, recognised an octave up
===============================================================================

Harmonic tones of four timbres (how strong each harmonic is) are classified by
a CNN. The network is trained on tones whose pitch lies in one octave
(110-220 Hz) and tested on the same timbres an octave higher (220-440 Hz).

On a constant-Q axis a pitch change is a shift, so the harmonics' pattern
moves up the axis unchanged and a network that pools over the whole map
(``global_pool``) recognises it wherever it is. On a mel axis the spacing of
the harmonics changes with the pitch (the course notes' warning: harmonics
only move together on a constant-Q axis), and the pattern learned in the low
octave does not fit the high one. Both pipelines get the same network and the
same training; the script prints both accuracies and saves a figure of one
tone per front end and the accuracies to ``constant_q.png`` beside itself (or
in the folder named by ``SKCNN_EXAMPLES_OUT``).

About a minute on 2 CPU cores (67 s measured).

With ``SKCNN_EXAMPLES_SMOKE=1`` in the environment (as the tests run it) the script
runs the same steps on 8 training tones per timbre for 2 epochs, in seconds; its
numbers then mean nothing.
"""

# %%
# Tones: four timbres, random pitch, loudness and phases, a little noise.
import os
import time
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from skcnn import CNNClassifier, CQTTransformer, SpectrogramTransformer

SMOKE = os.environ.get("SKCNN_EXAMPLES_SMOKE") == "1"  # a few clips and epochs (the tests)
# this script's folder (sphinx-gallery runs the script from there, without __file__)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
start = time.perf_counter()
SR, DURATION = 8000, 0.5
TIMBRES = {  # amplitude of harmonics 1..6: all below the axes' top (3.2 kHz) at 440 Hz
    "pure-ish": [1.0, 0.1],
    "odd (clarinet-like)": [1.0, 0, 0.5, 0, 0.3],
    "bright (saw-like)": [1 / k for k in range(1, 7)],
    "hollow (2nd and 3rd)": [0.3, 1.0, 1.0, 0.1],
}


def make_tones(n_per_class, low, high, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(SR * DURATION)) / SR
    clips, labels = [], []
    for label, amplitudes in enumerate(TIMBRES.values()):
        for _ in range(n_per_class):
            f0 = low * (high / low) ** rng.random()
            clip = sum(a * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
                       for k, a in enumerate(amplitudes, start=1) if a and k * f0 < SR / 2)
            clip = clip / np.abs(clip).max() * rng.uniform(0.3, 0.9)
            clips.append(clip + 0.01 * rng.standard_normal(len(t)))
            labels.append(label)
    return np.asarray(clips, dtype=np.float32), np.asarray(labels)


N_TRAIN, N_TEST = (8, 4) if SMOKE else (60, 30)  # tones per timbre
X_train, y_train = make_tones(N_TRAIN, 110, 220, seed=0)   # one octave
X_test, y_test = make_tones(N_TEST, 220, 440, seed=1)      # the octave above
print(f"{len(X_train)} training tones at 110-220 Hz, {len(X_test)} test tones at 220-440 Hz")

# %%
# Two front ends with the same frequency range (65 Hz to about 3.2 kHz) and
# resolution in the low octave, and one network that pools over the whole map.
front_ends = {
    "constant-Q": CQTTransformer(sr=SR, hop_length=128, fmin=65.4, n_bins=136,
                                 bins_per_octave=24),
    "mel": SpectrogramTransformer(sr=SR, n_fft=1024, hop_length=128, n_mels=136,
                                  fmin=65.4, fmax=3224.0),
}


def network():
    # input_norm=None: the default per-bin input norm would scale each bin on its own,
    # so a pattern moved up an octave would no longer be the same pattern shifted,
    # which is the point here; augment=None: the comparison of the two axes alone
    return CNNClassifier(input_norm=None, n_filters=(16, 32), kernel_size=5,
                         pool_size=(2, 1), global_pool="max", hidden_units=(32,),
                         max_epochs=2 if SMOKE else 30, lr=3e-3, augment=None, random_state=0)


accuracy, maps = {}, {}
for name, front_end in front_ends.items():
    pipe = Pipeline([("features", front_end), ("cnn", network())]).fit(X_train, y_train)
    accuracy[name] = {"same octave": pipe.score(X_train, y_train),
                      "octave up": pipe.score(X_test, y_test)}
    maps[name] = front_end.transform(np.stack([X_train[N_TRAIN], X_test[N_TEST]]))  # timbre 1
    print(f"{name:>10}: training accuracy {accuracy[name]['same octave']:.3f}, "
          f"an octave up: {accuracy[name]['octave up']:.3f}")
print(f"constant-Q accuracy an octave up: {accuracy['constant-Q']['octave up']:.3f}")
print(f"mel accuracy an octave up: {accuracy['mel']['octave up']:.3f}")

# %%
# The same timbre low and an octave up on each axis, and the accuracies.
if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 5, figsize=(15, 3.6),
                             gridspec_kw={"width_ratios": [1, 1, 1, 1, 1.3]})
    for i, name in enumerate(front_ends):
        for j, when in enumerate(["110-220 Hz", "an octave up"]):
            ax = axes[2 * i + j]
            ax.imshow(maps[name][j, 0], origin="lower", aspect="auto", cmap="magma")
            ax.set_title(f"{name}, {when}", fontsize=9)
            ax.set_xlabel("frame")
            ax.set_ylabel(f"{name} bin")
    names = list(front_ends)
    x = np.arange(len(names))
    for k, (when, width) in enumerate([("same octave", -0.2), ("octave up", 0.2)]):
        axes[4].bar(x + width, [accuracy[n][when] for n in names], width=0.4, label=when)
    axes[4].axhline(1 / len(TIMBRES), color="grey", linestyle=":", label="chance")
    axes[4].set_xticks(x, names)
    axes[4].set_ylim(0, 1.05)
    axes[4].set_title(f"accuracy ({len(TIMBRES)} timbres)", fontsize=9)
    axes[4].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    fig.suptitle("A timbre learned in one octave, tested an octave up")
    fig.tight_layout()
    # next to this script (examples/*.png is git-ignored), or in $SKCNN_EXAMPLES_OUT
    out_dir = Path(os.environ.get("SKCNN_EXAMPLES_OUT", HERE))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "constant_q.png"
    fig.savefig(out, dpi=80)
    print(f"figure saved to {out}")
print(f"done in {time.perf_counter() - start:.0f} s")

"""
Pitch tracking: a frequency for every frame
===========================================

Tracking the note an instrument plays is the course notes' second example of
a CNN that classifies (here: regresses) each column of a spectrogram.
Synthetic harmonic tones (:func:`skcnn.datasets.make_vibrato_tones`: 100 to
800 Hz, gliding, with vibrato of up to a semitone, silence around them) go
through a constant-Q transform, on whose axis a tone's harmonics move
together when its pitch moves, into :class:`skcnn.CNNFrameRegressor`. The
target is log2 of the pitch, standardised, so that an error of so many cents
costs the same at every pitch; silent frames are NaN and left out of the
loss.

Prints the raw pitch accuracy (voiced frames within 50 cents, mir_eval's
definition) on held-out tones, against ``librosa.pyin`` on the same tones,
and saves ``pitch_tracking.png`` (a test tone's constant-Q spectrogram with
the true and predicted pitch) beside this script, or in the folder named by
``SKCNN_EXAMPLES_OUT``. A few minutes on 2 CPU cores (285 s measured).

With ``SKCNN_EXAMPLES_SMOKE=1`` in the environment (as the tests run it) the script
runs the same steps on 40 training and 10 test tones for 2 epochs, in seconds; its
numbers then mean nothing.
"""

# %%
# Data: 400 training and 100 test tones of one second at 8 kHz.
import os
import time
from pathlib import Path

import librosa
import numpy as np

from skcnn import CNNFrameRegressor, CQTTransformer
from skcnn.datasets import make_vibrato_tones
from skcnn.metrics import raw_pitch_accuracy

SMOKE = os.environ.get("SKCNN_EXAMPLES_SMOKE") == "1"  # a few clips and epochs (the tests)
# this script's folder (sphinx-gallery runs the script from there, without __file__)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
start = time.perf_counter()
SR, HOP = 8000, 64
train = make_vibrato_tones(40 if SMOKE else 400, sr=SR, hop_length=HOP, random_state=0)
test = make_vibrato_tones(10 if SMOKE else 100, sr=SR, hop_length=HOP, random_state=1)
print(f"{len(train.data)} training and {len(test.data)} test tones; "
      f"{np.isfinite(test.target).mean():.0%} of the test frames voiced")

# %%
# Five octaves from 65 Hz, a bin a semitone; the network keeps where on that
# axis the energy is (global_pool=None flattens each frame's bins).
front = CQTTransformer(sr=SR, hop_length=HOP, fmin=65.0, n_bins=60, bins_per_octave=12)
X_train, X_test = front.transform(train.data), front.transform(test.data)
log_f0 = np.log2(train.target)
mean, std = np.nanmean(log_f0), np.nanstd(log_f0)
# Small batches, a higher learning rate and more epochs than the defaults: 400
# tones are few optimizer steps at batch 64 (RPA 0.79 after 30 epochs at batch 16
# and lr 3e-3 on 300 tones, 0.93 after 60 with the cosine schedule).
model = CNNFrameRegressor(batch_size=16, lr=3e-3, lr_schedule="cosine",
                          max_epochs=2 if SMOKE else 60,
                          random_state=0)
model.fit(X_train, (log_f0 - mean) / std)
estimate = 2.0 ** (model.predict(X_test) * std + mean)

# %%
# Raw pitch accuracy, and pYIN on the same tones for reference.
rpa = raw_pitch_accuracy(test.target, estimate)
pyin = np.stack([librosa.pyin(x, fmin=60, fmax=1000, sr=SR, frame_length=512,
                              hop_length=HOP)[0] for x in test.data])
print(f"raw pitch accuracy: {rpa:.3f} (pyin {raw_pitch_accuracy(test.target, pyin):.3f})")
print(f"total time: {time.perf_counter() - start:.1f} s")

# %%
# A figure: one test tone with vibrato.
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # matplotlib is the optional `examples` extra
    print("matplotlib is not installed: pip install 'skcnn[examples]' for the figure")
else:
    spread = np.nanmax(test.target, axis=1) / np.nanmin(test.target, axis=1)
    k = int(np.argmax(spread))  # the tone whose pitch moves most
    times = np.arange(test.target.shape[1]) * HOP / SR
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.imshow(X_test[k, 0], origin="lower", aspect="auto", cmap="magma",
              extent=[0, times[-1] + HOP / SR, 0, 60])
    semitones = 12 * np.log2(np.array([test.target[k], estimate[k]]) / 65.0)
    ax.plot(times, semitones[0], color="cyan", lw=3, label="true pitch")
    ax.plot(times, np.where(np.isfinite(test.target[k]), semitones[1], np.nan), color="white",
            lw=1, ls="--", label="predicted")
    ax.set(xlabel="time (s)", ylabel="semitones above 65 Hz",
           title="a test tone's constant-Q spectrogram, true and predicted pitch")
    ax.legend(loc="upper right")
    fig.tight_layout()
    # next to this script (examples/*.png is git-ignored), or in $SKCNN_EXAMPLES_OUT
    out = Path(os.environ.get("SKCNN_EXAMPLES_OUT", HERE))
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "pitch_tracking.png", dpi=120)
    print(f"figure: {out / 'pitch_tracking.png'}")

"""
Speech from noise: a time-frequency mask per pixel
==================================================

The third shape of CNN for audio in the course notes classifies every pixel of
a spectrogram: here, how much of each time-frequency pixel of a noisy
recording belongs to the speech. Spoken digits of the Free Spoken Digit
Dataset (one second at 8 kHz) are mixed with white noise at 0 dB
(:func:`skcnn.datasets.make_mixtures`, which also returns the ideal ratio
mask of the speech); :class:`skcnn.CNNMaskRegressor` (a small U-Net) learns
the mask from the mixture's dB spectrogram, with the speakers of the test
mixtures held out of training. :func:`skcnn.separation.apply_mask` applies a
predicted mask to the mixture's STFT and returns audio.

Prints the median SI-SDR improvement of the estimate and of the oracle mask,
and saves ``separation.png`` (mixture, predicted mask, estimate, clean
speech) and three WAV files (mixture, estimate, clean) beside this script, or
in the folder named by ``SKCNN_EXAMPLES_OUT``. A few minutes on 2 CPU cores (374 s
measured).

With ``SKCNN_EXAMPLES_SMOKE=1`` in the environment (as the tests run it) the script
runs the same steps on 50 training and 10 test mixtures for 2 epochs, in seconds;
its numbers then mean nothing.
"""

# %%
# Data: 400 training mixtures from five speakers, 100 test mixtures from the sixth.
import os
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from skcnn import CNNMaskRegressor, SpectrogramTransformer
from skcnn.datasets import fetch_fsdd, load_fsdd, make_mixtures
from skcnn.inspection import describe
from skcnn.metrics import si_sdr_improvement
from skcnn.separation import apply_mask

SMOKE = os.environ.get("SKCNN_EXAMPLES_SMOKE") == "1"  # a few clips and epochs (the tests)
# this script's folder (sphinx-gallery runs the script from there, without __file__)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
start = time.perf_counter()
SR, STFT = 8000, dict(n_fft=512, hop_length=128)
shared = HERE.parents[1] / "shared" / "data" / "fsdd"
fsdd = load_fsdd(shared) if shared.is_dir() else fetch_fsdd()
held_out = "theo"
test_rows = np.flatnonzero((fsdd.speaker == held_out) & (fsdd.index < (1 if SMOKE else 10)))
train_rows = np.flatnonzero((fsdd.speaker != held_out) & (fsdd.index < (1 if SMOKE else 8)))
train = make_mixtures([fsdd.data[i] for i in train_rows], "white", sr=SR, snr_db=0.0,
                      duration=1.0, random_state=0, **STFT)
test = make_mixtures([fsdd.data[i] for i in test_rows], "white", sr=SR, snr_db=0.0,
                     duration=1.0, random_state=1, **STFT)
print(f"{len(train_rows)} training mixtures (5 speakers), {len(test_rows)} test "
      f"mixtures ({held_out}), white noise at 0 dB")

# %%
# The network sees the mixture's dB spectrogram on the mask's grid (257 bins by
# 63 frames) and predicts one value in [0, 1] per pixel.
front = SpectrogramTransformer(sr=SR, output="db", **STFT)
X_train, X_test = front.transform(train.mixture), front.transform(test.mixture)
model = CNNMaskRegressor(max_epochs=2 if SMOKE else 30, random_state=0).fit(X_train, train.mask)
table = describe(model, front)
print(f"U-Net of {table.n_params:,} parameters; output per clip: {table.rows[-1]['output_shape']}")

# %%
# Apply the predicted masks and score them against the oracle's.
mask = model.predict(X_test)
estimate = apply_mask(test.mixture, mask, **STFT)
oracle = apply_mask(test.mixture, test.mask, **STFT)
gain = si_sdr_improvement(test.target, estimate, test.mixture)
best = si_sdr_improvement(test.target, oracle, test.mixture)
print(f"median SI-SDR improvement: {np.median(gain):.2f} dB "
      f"(oracle mask {np.median(best):.2f} dB)")
print(f"total time: {time.perf_counter() - start:.1f} s")

# %%
# Audio and a figure of one test mixture: next to this script (the repository
# ignores ``examples/*.png`` and ``examples/*.wav``), or in the folder named by
# ``SKCNN_EXAMPLES_OUT``.
out = Path(os.environ.get("SKCNN_EXAMPLES_OUT", HERE))
out.mkdir(parents=True, exist_ok=True)
k = int(np.argsort(gain)[len(gain) // 2])  # the median clip
for name, audio in (("mixture", test.mixture[k]), ("estimate", estimate[k]),
                    ("clean", test.target[k])):
    sf.write(out / f"separation_{name}.wav", audio / max(1.0, np.abs(audio).max()), SR)
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # matplotlib is the optional `examples` extra
    print("matplotlib is not installed: pip install 'skcnn[examples]' for the figure")
else:
    panels = [("mixture (dB)", X_test[k, 0], "magma"),
              ("predicted mask", mask[k], "gray"),
              ("estimate (dB)", front.transform(estimate[k:k + 1])[0, 0], "magma"),
              ("clean speech (dB)", front.transform(test.target[k:k + 1])[0, 0], "magma")]
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharey=True)
    extent = [0, 1.0, 0, SR / 2000]
    for ax, (title, image, cmap) in zip(axes, panels):
        ax.imshow(image, origin="lower", aspect="auto", cmap=cmap, extent=extent)
        ax.set(title=title, xlabel="time (s)")
    axes[0].set_ylabel("frequency (kHz)")
    fig.suptitle(f"digit {fsdd.target[test_rows[k]]} by {held_out} in white noise at 0 dB: "
                 f"SI-SDR +{gain[k]:.1f} dB (oracle +{best[k]:.1f} dB)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "separation.png", dpi=120)
    print(f"figure: {out / 'separation.png'}")

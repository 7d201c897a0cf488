"""
What the network sees: shapes, parameters and receptive fields
==============================================================

:func:`skcnn.inspection.describe` prints, layer by layer, the output shape, the
number of parameters and the receptive field of a CNN, in frames and bins and,
given the feature transformer in front, in seconds and hertz. This script
prints the table for the FSDD pipeline (MFCCs into the default CNN), checks it
against the pattern we look for (a spoken digit: about 0.5 s, formants some
hundreds of hertz wide), and draws the receptive field of a mel-spectrogram
network on one recording, saved to ``receptive_field.png`` beside this script
(or in the folder named by ``SKCNN_EXAMPLES_OUT``). It trains nothing and runs in
seconds, so ``SKCNN_EXAMPLES_SMOKE=1`` changes nothing here.
"""

# %%
# One recording of FSDD (or a synthetic chirp when the shared copy is absent).
import os
import warnings
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from skcnn import CNNClassifier, MFCCTransformer, SpectrogramTransformer
from skcnn.datasets import load_fsdd, make_audio_classification
from skcnn.inspection import describe

# this script's folder (sphinx-gallery runs the script from there, without __file__)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
shared = HERE.parents[1] / "shared" / "data" / "fsdd"
if shared.is_dir():
    fsdd = load_fsdd(shared)
    clips = [fsdd.data[i] for i in range(4)]
else:
    clips = list(make_audio_classification(n_samples=4, sr=8000, random_state=0)[0])

# %%
# The FSDD pipeline of the other examples. The MFCC axis is cepstral, so only
# its span in time is given.
fsdd_pipe = Pipeline([("features", MFCCTransformer(sr=8000, duration=1.0)),
                      ("cnn", CNNClassifier())])
print(describe(fsdd_pipe, X=clips, n_outputs=10))

# %%
# A mel spectrogram front end, where bins are hertz. Is the field wide enough
# for a 0.5 s word? describe warns when it is more than twice too small.
mel_pipe = Pipeline([
    ("features", SpectrogramTransformer(sr=8000, n_fft=256, hop_length=64, n_mels=40,
                                        duration=1.0)),
    ("cnn", CNNClassifier(n_filters=(16, 32), kernel_size=3)),
])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    table = describe(mel_pipe, X=clips, n_outputs=10, target_seconds=0.5, target_hertz=300)
print()
print(table)
for warning in caught:
    print("warning:", warning.message)
rf = table.receptive_field

# %%
# Draw the receptive field on the first recording's mel spectrogram.
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
except ImportError:
    print("matplotlib is not installed: pip install 'skcnn[examples]' for the figure")
else:
    features = mel_pipe["features"]
    spec = features.transform(clips[:1])[0, 0]
    import librosa

    freqs = librosa.mel_frequencies(n_mels=features.n_mels + 2, fmax=features.sr / 2)[1:-1]
    times = np.arange(spec.shape[1]) * features.hop_length / features.sr
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.pcolormesh(times, freqs, spec, cmap="magma", shading="auto")
    t0, f0 = 0.05, freqs[-1] - rf["rf_hertz"]  # over the word, at the top of the band
    ax.add_patch(Rectangle((t0, f0), rf["rf_seconds"], rf["rf_hertz"], fill=False,
                           edgecolor="cyan", lw=2,
                           label=f"receptive field: {rf['rf_seconds']:.3f} s x "
                                 f"{rf['rf_hertz']:.0f} Hz (widest, at the top)"))
    ax.set(xlabel="time (s)", ylabel="frequency (Hz, mel axis)",
           title="What one unit of the last convolution block sees")
    ax.legend(loc="upper right")
    fig.tight_layout()
    # next to this script (examples/*.png is git-ignored), or in $SKCNN_EXAMPLES_OUT;
    # never in the working directory
    out_dir = Path(os.environ.get("SKCNN_EXAMPLES_OUT", HERE))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "receptive_field.png"
    fig.savefig(out, dpi=80)
    print(f"figure saved to {out}")

"""
Quick start: tune a spectrogram front end and a CNN together
=============================================================

A synthetic set of short clips (tones, rising and falling chirps, noise bursts,
click trains at random pitches, times and levels) is classified by a pipeline
of a mel spectrogram and a small CNN. A grid search tunes the network's kernel
size, pooling, dropout and learning rate in one go; the best pipeline is then
scored on held-out clips, and a figure of one spectrogram per class and the
confusion matrix is saved to ``quickstart.png`` beside this script (or in the
folder named by the ``SKCNN_EXAMPLES_OUT`` environment variable).

Under a minute on 2 CPU cores (28 s measured; see the results page).

With ``SKCNN_EXAMPLES_SMOKE=1`` in the environment (as the tests run it) the script
runs the same steps on 60 clips, 2 configurations and 2 epochs, in seconds; its
numbers then mean nothing.
"""

# %%
# Data: 240 half-second clips at 8 kHz, five classes.
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from skcnn import CNNClassifier, SpectrogramTransformer
from skcnn.datasets import AUDIO_CLASS_NAMES, make_audio_classification

SMOKE = os.environ.get("SKCNN_EXAMPLES_SMOKE") == "1"  # a few clips and epochs (the tests)
# this script's folder (sphinx-gallery runs the script from there, without __file__)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
start = time.perf_counter()
X, y = make_audio_classification(n_samples=60 if SMOKE else 240, sr=8000, duration=0.5,
                                  random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
print(f"{len(X_train)} training and {len(X_test)} test clips of {X.shape[1]} samples")

# %%
# The pipeline: a dB mel spectrogram (1 x 32 mels x 32 frames per clip) into a CNN.
pipe = Pipeline(
    [
        ("features", SpectrogramTransformer(sr=8000, n_fft=256, hop_length=125, n_mels=32)),
        ("cnn", CNNClassifier(n_filters=(8, 16), hidden_units=(32,), max_epochs=2 if SMOKE else 10,
                              batch_size=32, random_state=0)),
    ]
)

# %%
# A small grid over the network: 2 x 2 x 2 x 2 = 16 configurations, 3-fold CV.
# Each fit trains on one torch thread (the estimators' default n_threads=1, the
# same bits whatever the machine's load); the search runs two fits at a time.
grid = {
    "cnn__kernel_size": [3, 5],
    "cnn__pooling": ["max", "avg"],
    "cnn__dropout": [0.0, 0.3],
    "cnn__lr": [1e-3, 3e-3],
}
if SMOKE:  # two configurations: the search still has a choice to make
    grid = {**{name: values[:1] for name, values in grid.items()}, "cnn__lr": [1e-3, 3e-3]}
search = GridSearchCV(pipe, grid, cv=3, n_jobs=2)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")

# %%
# Held-out score of the refitted best pipeline.
y_pred = search.predict(X_test)
print(f"held-out accuracy: {accuracy_score(y_test, y_pred):.3f}")
print(f"total time: {time.perf_counter() - start:.1f} s")

# %%
# A figure: one spectrogram per class, and the confusion matrix.
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay
except ImportError:  # matplotlib is the optional `examples` extra
    print("matplotlib is not installed: pip install 'skcnn[examples]' for the figure")
else:
    maps = search.best_estimator_["features"].transform(X_test)
    fig, axes = plt.subplots(1, len(AUDIO_CLASS_NAMES) + 1, figsize=(17, 3.2))
    for label, ax in enumerate(axes[:-1]):
        i = int(np.flatnonzero(y_test == label)[0])
        ax.imshow(maps[i, 0], origin="lower", aspect="auto", cmap="magma")
        ax.set_title(AUDIO_CLASS_NAMES[label])
        ax.set_xlabel("frame")
    axes[0].set_ylabel("mel band")
    ConfusionMatrixDisplay.from_predictions(
        y_test, y_pred, display_labels=AUDIO_CLASS_NAMES, ax=axes[-1], colorbar=False,
        xticks_rotation=45,
    )
    axes[-1].set_title("held-out predictions")
    fig.tight_layout()
    # next to this script (examples/*.png is git-ignored), or in $SKCNN_EXAMPLES_OUT;
    # never in the working directory
    out_dir = Path(os.environ.get("SKCNN_EXAMPLES_OUT", HERE))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "quickstart.png"
    fig.savefig(out, dpi=80)
    print(f"figure saved to {out}")

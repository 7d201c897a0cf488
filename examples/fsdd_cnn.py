"""
Spoken digits with the default CNN
==================================

The Free Spoken Digit Dataset (3,000 recordings of the digits 0-9 by six
speakers, 8 kHz, 0.14 to 2.3 s long) goes straight from its files into a
two-step pipeline: one second of MFCCs per clip (13 x 16, padded or cropped),
then :class:`skcnn.CNNClassifier` with its defaults. Trained on the official
training split (recordings 5-49), it is scored on the official test split
(recordings 0-4). Under a minute on 2 CPU cores (23 s measured).

With ``SKCNN_EXAMPLES_SMOKE=1`` in the environment (as the tests run it) the script
runs the same steps on one training recording in 24 for 2 epochs, in seconds; its
numbers then mean nothing.
"""

# %%
# Data: ragged float32 clips at 8 kHz and the official split.
import os
import time
from pathlib import Path

from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline

from skcnn import CNNClassifier, MFCCTransformer
from skcnn.datasets import fetch_fsdd, load_fsdd

SMOKE = os.environ.get("SKCNN_EXAMPLES_SMOKE") == "1"  # a few clips and epochs (the tests)
# this script's folder (sphinx-gallery runs the script from there, without __file__)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
shared = HERE.parents[1] / "shared" / "data" / "fsdd"
fsdd = load_fsdd(shared) if shared.is_dir() else fetch_fsdd()
train, test = fsdd.split == "train", fsdd.split == "test"
X_train = [clip for clip, keep in zip(fsdd.data, train) if keep]
X_test = [clip for clip, keep in zip(fsdd.data, test) if keep]
y_train, y_test = fsdd.target[train], fsdd.target[test]
if SMOKE:
    X_train, y_train = X_train[::24], y_train[::24]
print(f"{len(X_train)} training and {len(X_test)} test recordings")

# %%
# MFCCs into the default CNN: a batch norm of each input coefficient, four conv
# blocks (16, 32, 64 and 128 filters, 3 x 3, batch norm, ReLU, 2 x 2 max pooling),
# global pooling ('avgmax'), a dense layer of 128, Adam at lr=1e-3, 30 epochs of
# batches of 64, SpecAugment masks and time shifts on the training batches.
pipe = Pipeline([("features", MFCCTransformer(sr=8000, duration=1.0)),
                 ("cnn", CNNClassifier(random_state=0))])
if SMOKE:
    pipe.set_params(cnn__max_epochs=2)
start = time.perf_counter()
pipe.fit(X_train, y_train)
fit_seconds = time.perf_counter() - start

# %%
# Score on the official test split.
accuracy = accuracy_score(y_test, pipe.predict(X_test))
print(f"official test split accuracy: {accuracy:.3f}")
print(f"fit time: {fit_seconds:.1f} s (features and training)")
history = pipe["cnn"].history
print(f"training loss: {history[0, 'train_loss']:.3f} after epoch 1, "
      f"{history[-1, 'train_loss']:.4f} after epoch {len(history)}")

"""
Spoken digits: a grid search on real recordings
===============================================

The Free Spoken Digit Dataset (3,000 recordings of the digits 0-9 by six
speakers, 8 kHz) is read with :func:`skcnn.datasets.load_fsdd` (from the copy
in ``../shared/data/fsdd`` when it is there, else downloaded once by
:func:`skcnn.datasets.fetch_fsdd`). A pipeline of MFCCs and a CNN, with the
package's defaults, is grid-searched over pooling and dropout on the official
training split and scored on the official test split. The confusion matrix and
the training curves of the best network are saved to ``fsdd_digits.png``
beside this script (or in the folder named by ``SKCNN_EXAMPLES_OUT``).

A few minutes on 2 CPU cores (189 s measured).

With ``SKCNN_EXAMPLES_SMOKE=1`` in the environment (as the tests run it) the script
runs the same steps on one training recording in 24 for 2 epochs, in seconds; its
numbers then mean nothing.
"""

# %%
# Data: ragged clips straight from the files; the official split.
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
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
# MFCCs of one second (13 x 16 per clip) into the default CNN; a small grid.
start = time.perf_counter()
pipe = Pipeline([("features", MFCCTransformer(sr=8000, duration=1.0)),
                 ("cnn", CNNClassifier(random_state=0))])
if SMOKE:
    pipe.set_params(cnn__max_epochs=2)
# The recordings are sorted by digit and speaker, so unshuffled folds would hold out
# whole speakers (about 0.7 accuracy: a much harder task than the official split,
# whose test recordings come from the training speakers). Shuffled folds match it.
folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
search = GridSearchCV(pipe, {"cnn__pooling": ["max", "avg"], "cnn__dropout": [0.0, 0.2]},
                      cv=folds, n_jobs=1)
search.fit(X_train, y_train)
print("cross-validated accuracy per configuration:")
for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    print(f"  {params}: {score:.3f}")
y_pred = search.predict(X_test)
print(f"best {search.best_params_}; official test split accuracy: "
      f"{accuracy_score(y_test, y_pred):.3f} ({time.perf_counter() - start:.0f} s)")

# %%
# Confusion matrix and training curves of the refitted best network.
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay
except ImportError:
    print("matplotlib is not installed: pip install 'skcnn[examples]' for the figure")
else:
    history = search.best_estimator_["cnn"].history
    fig, (ax_cm, ax_loss) = plt.subplots(1, 2, figsize=(10, 4.2))
    ConfusionMatrixDisplay.from_predictions(y_test, y_pred, ax=ax_cm, colorbar=False)
    ax_cm.set_title("official test split")
    epochs = np.arange(1, len(history) + 1)
    ax_loss.plot(epochs, history[:, "train_loss"], label="training loss")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="training curve")
    ax_loss.legend()
    fig.tight_layout()
    # next to this script (examples/*.png is git-ignored), or in $SKCNN_EXAMPLES_OUT;
    # never in the working directory
    out_dir = Path(os.environ.get("SKCNN_EXAMPLES_OUT", HERE))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "fsdd_digits.png"
    fig.savefig(out, dpi=80)
    print(f"figure saved to {out}")

"""
Cat meows: augmentation and learning rate, searched with folds grouped by cat
==============================================================================

CatMeows (Ludovico et al., 2021; CC BY 4.0) holds 440 meows of 21 cats in three
contexts: being brushed, alone in an unfamiliar place, waiting for food. Clips of
one cat are alike, so every split here keeps each cat on one side: a model is
scored on cats it has never heard.

The default pipeline (a dB mel spectrogram into ``CNNClassifier``'s defaults) is
grid-searched over the strength of the training-batch augmentation and Adam's
learning rate, with ``StratifiedGroupKFold`` over the cats of a training set;
the best pipeline is then scored on held-out cats against a random forest on
MFCC statistics. The confusion matrix, the training curve of the best network
and the cross-validated accuracy of every configuration are saved to
``catmeows.png`` beside this script (or in the folder named by
``SKCNN_EXAMPLES_OUT``).

The recordings are read from ``../shared/data/catmeows`` when they are there,
else downloaded once by :func:`skcnn.datasets.fetch_catmeows`. About 7 to 9 minutes
on 2 CPU cores shared with other work (394 s and 559 s measured).

With ``SKCNN_EXAMPLES_SMOKE=1`` in the environment (as the tests run it) the script
runs the same steps on one clip in eight, two configurations and 2 epochs, in
seconds; its numbers then mean nothing.
"""

# %%
# Data: 440 clips of 1-4 s at 8 kHz; one split of the cats into training and test.
import os
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from skcnn import CNNClassifier, MFCCTransformer, SpectrogramTransformer
from skcnn.augment import Compose, Mixup, SpecAugment, TimeShift
from skcnn.datasets import fetch_catmeows, load_catmeows

SMOKE = os.environ.get("SKCNN_EXAMPLES_SMOKE") == "1"  # a few clips and epochs (the tests)
# this script's folder (sphinx-gallery runs the script from there, without __file__)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
start = time.perf_counter()
shared = HERE.parents[1] / "shared" / "data" / "catmeows"
meows = load_catmeows(shared) if shared.is_dir() else fetch_catmeows()
if SMOKE:  # one clip in eight, most cats still in
    meows.data, meows.target, meows.groups = (meows.data[::8], meows.target[::8],
                                              meows.groups[::8])
cats = np.asarray(meows.groups)
train, test = next(StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
                   .split(meows.data, meows.target, cats))
X_train, X_test = [meows.data[i] for i in train], [meows.data[i] for i in test]
y_train, y_test = meows.target[train], meows.target[test]
print(f"{len(train)} training clips of {len(set(cats[train]))} cats, "
      f"{len(test)} test clips of {len(set(cats[test]))} other cats; "
      f"contexts {list(meows.target_names)}")

# %%
# The pipeline: 64 mels of 4 s (1 x 64 x 251 per clip) into the default CNN, whose
# input batch norm, global pooling and augmentation need no tuning to start with.
# The grid: a weak and a strong augmentation, two learning rates; 3 folds by cat.
front = dict(sr=meows.sr, n_fft=512, hop_length=128, duration=4.0)
pipe = Pipeline([("features", SpectrogramTransformer(**front, n_mels=64)),
                 ("cnn", CNNClassifier(max_epochs=2 if SMOKE else 20, random_state=0))])
weak = Compose([SpecAugment(max_freq=0.0625, max_time=0.0625), TimeShift(max_shift=0.1),
                Mixup(alpha=0.1)])
strong = Compose([SpecAugment(max_freq=0.2, max_time=0.2), TimeShift(max_shift=0.5),
                  Mixup(alpha=0.4)])
grid = {"cnn__augment": [weak, strong], "cnn__lr": [3e-3] if SMOKE else [1e-3, 3e-3]}
search = GridSearchCV(pipe, grid, cv=StratifiedGroupKFold(n_splits=3), n_jobs=2)
search.fit(X_train, y_train, groups=cats[train])
names = {id(weak): "weak", id(strong): "strong"}
labels = []
print("accuracy over 3 folds of unseen cats, per configuration:")
for params, mean, std in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"],
                             search.cv_results_["std_test_score"]):
    label = f"{names[id(params['cnn__augment'])]} augment, lr {params['cnn__lr']:g}"
    labels.append(label)
    print(f"  {label}: {mean:.3f} +/- {std:.3f}")
best = labels[search.best_index_]
y_pred = search.predict(X_test)
accuracy = accuracy_score(y_test, y_pred)

# %%
# The floor: a random forest on the mean and standard deviation of 20 MFCCs.
mfcc = MFCCTransformer(**front, n_mfcc=20)
stats = [np.concatenate([m.mean(axis=-1), m.std(axis=-1)], axis=None)
         for m in mfcc.fit_transform(meows.data)[:, 0]]
stats = np.asarray(stats)
forest = RandomForestClassifier(n_estimators=50 if SMOKE else 500, random_state=0)
forest.fit(stats[train], y_train)
forest_accuracy = accuracy_score(y_test, forest.predict(stats[test]))
print(f"best: {best}; held-out cats accuracy: {accuracy:.3f} "
      f"(random forest on MFCC statistics: {forest_accuracy:.3f}; "
      f"{time.perf_counter() - start:.0f} s)")

# %%
# Confusion matrix on the held-out cats, training curve, every configuration.
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay
except ImportError:
    print("matplotlib is not installed: pip install 'skcnn[examples]' for the figure")
else:
    history = search.best_estimator_["cnn"].history
    fig, (ax_cm, ax_loss, ax_grid) = plt.subplots(1, 3, figsize=(15, 4.4))
    ConfusionMatrixDisplay.from_predictions(
        y_test, y_pred, display_labels=[n.replace("_", " ") for n in meows.target_names],
        ax=ax_cm, colorbar=False)
    ax_cm.set_title(f"held-out cats: {accuracy:.2f} (forest {forest_accuracy:.2f})")
    ax_cm.tick_params(axis="x", labelrotation=20)
    epochs = np.arange(1, len(history) + 1)
    ax_loss.plot(epochs, history[:, "train_loss"])
    ax_loss.set(xlabel="epoch", ylabel="training loss (cross-entropy, mixed targets)",
                title=f"best network: {best}")
    means = search.cv_results_["mean_test_score"]
    ax_grid.barh(labels, means, xerr=search.cv_results_["std_test_score"], color="tab:blue")
    ax_grid.axvline(1 / 3, color="grey", linestyle=":", label="chance")
    ax_grid.set(xlabel="accuracy, 3 folds by cat", xlim=(0, 1), title="grid")
    ax_grid.legend(loc="lower right")
    fig.tight_layout()
    # next to this script (examples/*.png is git-ignored), or in $SKCNN_EXAMPLES_OUT;
    # never in the working directory
    out_dir = Path(os.environ.get("SKCNN_EXAMPLES_OUT", HERE))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "catmeows.png"
    fig.savefig(out, dpi=80)
    print(f"figure saved to {out}")

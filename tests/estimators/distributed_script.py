"""The training script of ``test_distributed.py``: run in each process of a group.

Started with torchrun's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``,
``MASTER_PORT``), as ``python distributed_script.py OUT_DIR CASE``; each rank
writes what it fitted to ``OUT_DIR/<case>-rank<r>.pt`` for the test to compare.
Importing it runs nothing.
"""

import io
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import torch

from skcnn import CNNClassifier

TINY = dict(n_filters=(4, 8), hidden_units=(8,), n_threads=1)
#: The exact case: nothing that depends on a process's part of the batch
#: (batch norms) or on its own draws (dropout, augmentations).
EXACT = dict(TINY, batchnorm=False, input_norm=None, augment=None, dropout=0.0,
             weight_averaging=0.0, lr_schedule="cosine", max_epochs=3, random_state=0)
#: 46 samples in global batches of 15: parts of 8 and 7, then a last batch
#: of one sample (the second process trains on a zero-weight copy).
EXACT_BATCH = 15
#: With sample weights, class weights too.
CLASS_WEIGHT = {0: 1.0, 1: 2.0, 2: 0.5}
#: Fine-tuning a trunk: frozen, and unfrozen at a tenth of the head's rate.
TRANSFER = {
    "frozen": dict(module__freeze="all"),
    "unfrozen": dict(module__freeze=0, optimizer__param_groups=[("trunk.*", {"lr": 1e-4})]),
}
#: The defaults (batch norms, input norm, augmentations, weight averaging).
DEFAULTS = dict(TINY, max_epochs=4, batch_size=16)


def make_maps(n=46, n_classes=3, shape=(1, 8, 12), seed=0):
    """Noise maps whose level tells the class (the same in every process)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(size=(n, *shape)) + 1.5 * y.reshape((-1,) + (1,) * len(shape))
    weight = rng.uniform(0.2, 2.0, size=n)
    return X.astype(np.float32), y, weight


def state(clf):
    """Every tensor of the fitted network (weights and buffers), on the CPU."""
    return {k: v.detach().cpu().clone() for k, v in clf.module_.state_dict().items()}


def exact_fits(X, y, weight):
    out = {}
    for name, sample_weight in (("plain", None), ("weighted", weight)):
        clf = CNNClassifier(**EXACT, batch_size=EXACT_BATCH,
                            class_weight=CLASS_WEIGHT if name == "weighted" else None)
        clf.fit(X, y, sample_weight=sample_weight)
        out[name] = {"state": state(clf), "proba": clf.predict_proba(X),
                     "train_loss": clf.history_[:, "train_loss"]}
    return out


def default_fits(X, y):
    # random_state=None: each process draws its own seeds; rank 0's are used
    clf = CNNClassifier(**DEFAULTS)
    start = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - start
    fitted = {"state": state(clf), "proba": clf.predict_proba(X), "seconds": seconds,
              "module_type": type(clf.module_).__name__,
              "train_loss": clf.history_[-1, "train_loss"]}
    twin = pickle.loads(pickle.dumps(clf))
    buffer = io.BytesIO()
    clf.save_weights(buffer)
    buffer.seek(0)
    loaded = CNNClassifier(**DEFAULTS).load_weights(buffer)
    fitted["pickled_equal"] = np.array_equal(twin.predict_proba(X), fitted["proba"])
    fitted["loaded_equal"] = np.array_equal(loaded.predict_proba(X), fitted["proba"])
    clf.partial_fit(X, y)  # a second data-parallel call on the same network
    fitted["partial"] = state(clf)
    return fitted


def refusals(X, y, rank):
    messages = {}
    for name, params, data in (
        ("early_stopping", dict(TINY, early_stopping=True, max_epochs=1), (X, y)),
        ("iterator", dict(TINY, max_epochs=1, iterator_train=torch.utils.data.DataLoader),
         (X, y)),
        ("different_data", dict(TINY, max_epochs=1),
         (X[:-1], y[:-1]) if rank == 1 else (X, y)),
    ):
        try:
            CNNClassifier(**params).fit(*data)
        except ValueError as exc:
            messages[name] = str(exc)
    return messages


def transfer_fits(X, y):
    """A new head on a trunk (fitted here, data-parallel too), frozen and
    unfrozen with its own learning rate: the exact case's settings, so that
    one process can repeat it on the trunk written here."""
    from skcnn.pretrained import TransferNetwork, network_trunk

    trunk = network_trunk(CNNClassifier(**EXACT, batch_size=EXACT_BATCH).fit(X, y))
    fitted = {"trunk": trunk}
    for name, params in TRANSFER.items():
        clf = CNNClassifier(**EXACT, batch_size=EXACT_BATCH, module=TransferNetwork,
                            module__model=trunk, **params).fit(X, y)
        fitted[name] = {"state": state(clf), "proba": clf.predict_proba(X)}
    return fitted


def lazy_fits(folder):
    """The defaults (random_state=0) on features of the WAV files in
    ``folder``: lazily (each process reads and computes only its part of
    each batch) and from the array of the same maps."""
    from skcnn import SpectrogramTransformer

    paths = sorted(str(p) for p in Path(folder).glob("*.wav"))
    y = np.arange(len(paths)) % 2
    front = SpectrogramTransformer(sr=8000, n_fft=256, hop_length=128, n_mels=16)
    import soundfile as sf

    clips = np.stack([sf.read(path, dtype="float32")[0] for path in paths])
    lazy, maps = front.transform(paths), front.transform(clips)
    fitted = {}
    for name, X in (("lazy", lazy), ("array", maps)):
        clf = CNNClassifier(**DEFAULTS, random_state=0).fit(X, y)
        fitted[name] = {"state": state(clf), "proba": clf.predict_proba(maps)}
    return fitted


def main(out_dir, case):
    torch.distributed.init_process_group("gloo")
    rank = torch.distributed.get_rank()
    X, y, weight = make_maps()
    if case == "fits":
        result = {"exact": exact_fits(X, y, weight), "defaults": default_fits(X, y),
                  "refusals": refusals(X, y, rank), "lazy": lazy_fits(Path(out_dir) / "files"),
                  "transfer": transfer_fits(X, y)}
    else:  # the recipe of the docs, on two "machines"
        clf = CNNClassifier(**DEFAULTS, random_state=0).fit(X, y)
        if rank == 0:
            clf.save_weights(Path(out_dir) / "weights.pt")
        result = {"proba": clf.predict_proba(X)}
    result["world_size"] = torch.distributed.get_world_size()
    torch.save(result, Path(out_dir) / f"{case}-rank{rank}.pt")
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""Training speed of CNNClassifier against a hand-written PyTorch loop.

Both train the same module (``skcnn.modules.CNN``) on the same FSDD MFCCs
(training split, ``MFCCTransformer(sr=8000, duration=1.0)``: 2,700 clips of
1 x 13 x 16), with the same batch size, epochs, optimizer (Adam), learning-rate
schedule (the classifier's default ``lr_schedule``: the raw loop steps a
``LambdaLR`` of the same closed form after each epoch), weight averaging (the
classifier's default ``weight_averaging``: the raw loop keeps torch's
``AveragedModel`` over the same last epochs and runs ``update_bn`` once at the
end, as skcnn's callback does), loss and seed. The raw
loop holds the training tensor in memory, draws one permutation per epoch and
slices batches from the shuffled tensor; ``CNNClassifier.fit``
runs skorch's loop (callbacks, history) over skcnn's tensor-slice batches, and
its time includes input validation and building the network. Neither augments
(``augment=None``: the raw loop has no augmentation to match;
``benchmarks/bench_augment.py`` measures what augmentation costs).

Prints samples per second (median of several repeats, raw and skcnn runs
interleaved) and the ratio skcnn / raw, for the default network and a tiny
one (``n_filters=(4,)``, ``hidden_units=(16,)``), where per-batch overhead
shows most. Targets on a CPU: >= 0.95 for the default network, >= 0.8 for the
tiny one.

Both run on ``--n-threads`` torch threads (default 1, the estimators' default);
``benchmarks/bench_defaults.py`` compares thread counts.

Usage: python benchmarks/bench_training.py [--repeats 5] [--device cpu] [--n-threads 1]
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from skcnn import CNNClassifier, MFCCTransformer
from skcnn.estimators._base import AUTO_WEIGHT_AVERAGING
from skcnn.estimators._callbacks import FLAT_SHARES, _cosine_factor
from skcnn.datasets import load_fsdd
from skcnn.modules import CNN

FSDD = Path(__file__).resolve().parents[2] / "shared" / "data" / "fsdd"
NETWORKS = {
    "default": dict(),
    "tiny": dict(n_filters=(4,), hidden_units=(16,)),
}


def load_features():
    fsdd = load_fsdd(FSDD)
    train = fsdd.split == "train"
    clips = [clip for clip, keep in zip(fsdd.data, train) if keep]
    X = MFCCTransformer(sr=8000, duration=1.0).fit_transform(clips)
    return np.ascontiguousarray(X, dtype=np.float32), fsdd.target[train]


def raw_loop(X, y, params, *, epochs, batch_size, lr, lr_schedule, averaging, device,
             seed=0):
    """The hand-written loop: same module, batch size, epochs, schedule,
    weight averaging (the share of the last epochs; 0 for none) and seed."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    Xt = torch.as_tensor(X, device=device)
    yt = torch.as_tensor(y, device=device)
    module = CNN(tuple(X.shape[1:]), int(y.max()) + 1, **params).to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    flat = FLAT_SHARES.get(lr_schedule)  # None: 'constant'
    schedule = None if flat is None else torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda epoch: _cosine_factor(epoch, epochs, flat))
    criterion = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    n_averaged = max(1, round(averaging * epochs)) if averaging else 0
    average = None
    module.train()
    for epoch in range(epochs):
        perm = torch.randperm(len(Xt), generator=generator).to(device)
        Xs, ys = Xt[perm], yt[perm]
        for i in range(0, len(Xs), batch_size):
            optimizer.zero_grad()
            loss = criterion(module(Xs[i:i + batch_size]), ys[i:i + batch_size])
            loss.backward()
            optimizer.step()
            loss.item()  # skorch records every batch's loss, so sync here too
        if schedule is not None:
            schedule.step()
        if epoch >= epochs - n_averaged:
            if average is None:
                average = torch.optim.swa_utils.AveragedModel(module)
            average.update_parameters(module)
    if average is not None:
        with torch.no_grad():
            for param, mean in zip(module.parameters(), average.module.parameters()):
                param.copy_(mean)
        batches = (Xt[i:i + batch_size] for i in range(0, len(Xt), batch_size))
        torch.optim.swa_utils.update_bn(batches, module)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def skcnn_fit(X, y, params, *, epochs, batch_size, lr, lr_schedule, averaging, device,
              seed=0):
    start = time.perf_counter()
    CNNClassifier(**params, max_epochs=epochs, batch_size=batch_size, lr=lr,
                  lr_schedule=lr_schedule, weight_averaging=averaging, device=device,
                  random_state=seed,
                  augment=None, n_threads=None).fit(X, y)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-threads", type=int, default=1,
                        help="torch threads for both loops (the estimators' default: 1)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per run (default: 3 default net, 10 tiny)")
    args = parser.parse_args(argv)

    # both loops on the same thread count: CNNClassifier gets n_threads=None
    # (the process's count), set here for both
    torch.set_num_threads(args.n_threads)
    X, y = load_features()
    print(f"FSDD training MFCCs: {X.shape}, device {args.device}, "
          f"{torch.get_num_threads()} torch threads")
    defaults = CNNClassifier()
    results = {}
    for name, params in NETWORKS.items():
        epochs = args.epochs or (3 if name == "default" else 10)
        kw = dict(epochs=epochs, batch_size=defaults.batch_size, lr=defaults.lr,
                  lr_schedule=defaults.lr_schedule,
                  # what the classifier's default 'auto' averages (a number for the raw loop)
                  averaging=AUTO_WEIGHT_AVERAGING, device=args.device)
        raw_loop(X, y, params, **{**kw, "epochs": 1})  # warm up
        skcnn_fit(X, y, params, **{**kw, "epochs": 1})
        times = {"raw": [], "skcnn": []}
        for _ in range(args.repeats):
            times["raw"].append(raw_loop(X, y, params, **kw))
            times["skcnn"].append(skcnn_fit(X, y, params, **kw))
        n = len(X) * epochs
        speed = {k: n / statistics.median(v) for k, v in times.items()}
        ratio = speed["skcnn"] / speed["raw"]
        results[name] = ratio
        print(f"{name:>8} network, {epochs} epochs x {args.repeats} repeats: "
              f"raw loop {speed['raw']:,.0f} samples/s, CNNClassifier.fit "
              f"{speed['skcnn']:,.0f} samples/s, ratio {ratio:.2f}")
    print("ratios (CNNClassifier / raw loop): "
          + ", ".join(f"{k} {v:.2f}" for k, v in results.items()))
    return results


if __name__ == "__main__":
    main()

"""Data-parallel training under torchrun: two processes on the CPU (gloo).

The processes run ``distributed_script.py`` (beside this file) with
torchrun's environment; each writes what it fitted, and the tests compare
the processes with each other and with a fit in this process. Starting the
processes takes seconds (each imports torch and skcnn): the tests that do
are marked ``slow``, and one start serves every test of the first three.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from skcnn import CNNClassifier, SpectrogramTransformer
from skcnn.estimators._data import (
    LazyBatchIterator, LazyDataset, TensorBatchIterator, TensorDataset,
)
from skcnn.estimators._distributed import _RankBatches

sys.path.insert(0, str(Path(__file__).parent))
from distributed_script import (
    CLASS_WEIGHT, DEFAULTS, EXACT, EXACT_BATCH, TRANSFER, make_maps,
)

SCRIPT = Path(__file__).parent / "distributed_script.py"
ROOT = Path(__file__).resolve().parents[2]
#: A hang (a process waiting for one that died) fails the test instead of blocking CI.
TIMEOUT = 180


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_processes(commands, envs):
    """Run the commands side by side; fail with their output if one fails or hangs."""
    procs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
             for command, env in zip(commands, envs)]
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=TIMEOUT)[0])
    except subprocess.TimeoutExpired:
        for proc in procs:
            proc.kill()
        pytest.fail(f"the processes did not finish within {TIMEOUT} s")
    codes = [proc.returncode for proc in procs]
    assert codes == [0] * len(procs), "\n".join(
        f"--- process {i}, exit code {code}:\n{output}"
        for i, (code, output) in enumerate(zip(codes, outputs)))


def environment(**variables):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    env.pop("WORLD_SIZE", None)
    env.update({name: str(value) for name, value in variables.items()})
    return env


def load(path):
    return torch.load(path, weights_only=False)


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """What each of two processes fitted, as torchrun would start them on one machine."""
    out = tmp_path_factory.mktemp("ddp")
    write_files(out / "files")
    port = free_port()
    run_processes(
        [[sys.executable, str(SCRIPT), str(out), "fits"]] * 2,
        [environment(RANK=rank, LOCAL_RANK=rank, WORLD_SIZE=2, MASTER_ADDR="127.0.0.1",
                     MASTER_PORT=port) for rank in range(2)])
    return [load(out / f"fits-rank{rank}.pt") for rank in range(2)]


def write_files(folder, n=20):
    """Half-second float WAV files of noise, louder in every other one."""
    import soundfile as sf

    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        clip = (0.05 + 0.3 * (i % 2)) * rng.normal(size=4000)
        sf.write(folder / f"{i:02d}.wav", clip.astype(np.float32), 8000, subtype="FLOAT")


def assert_same_state(a, b, **tolerance):
    assert a.keys() == b.keys()
    for key in a:
        if tolerance:
            np.testing.assert_allclose(a[key], b[key], err_msg=key, **tolerance)
        else:
            assert torch.equal(a[key], b[key]), key


@pytest.mark.slow  # two processes start (imports: seconds each)
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "sample_and_class_weights"])
def test_two_processes_train_as_one_on_the_global_batch(two_processes, weighted):
    # no batch norm, dropout or augmentation: the two parts of every global
    # batch give the global batch's gradient, so one process with the same
    # batch_size and random_state trains the same network, up to rounding
    # (parts of 8 and 7 samples, and a last batch of 1: a zero-weight copy)
    X, y, weight = make_maps()
    alone = CNNClassifier(**EXACT, batch_size=EXACT_BATCH,
                          class_weight=CLASS_WEIGHT if weighted else None)
    alone.fit(X, y, sample_weight=weight if weighted else None)
    assert alone.history_[-1, "train_loss"] < alone.history_[0, "train_loss"]
    name = "weighted" if weighted else "plain"
    for rank in range(2):
        fitted = two_processes[rank]["exact"][name]
        assert_same_state(alone.module_.state_dict(), fitted["state"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(alone.predict_proba(X), fitted["proba"],
                                   rtol=1e-5, atol=1e-6)
        # the history records the global batches' losses and sizes
        np.testing.assert_allclose(alone.history_[:, "train_loss"], fitted["train_loss"],
                                   rtol=1e-5)
    first, second = (result["exact"][name]["train_loss"] for result in two_processes)
    assert first == second


@pytest.mark.slow  # two processes start (imports: seconds each)
def test_with_the_defaults_every_process_ends_with_rank_0s_weights_and_buffers(two_processes):
    first, second = (result["defaults"] for result in two_processes)
    # batch norms update their running statistics from each process's own
    # part and weight averaging recomputes them in each: rank 0's are kept
    assert any("running_mean" in key for key in first["state"])
    assert_same_state(first["state"], second["state"])
    np.testing.assert_array_equal(first["proba"], second["proba"])
    # the global batch's loss, the same in every process
    assert first["train_loss"] == second["train_loss"]
    # the fitted network is the plain one: pickling and save_weights round-trip
    assert first["module_type"] == "CNN"
    assert first["pickled_equal"] and first["loaded_equal"]
    # a second call (partial_fit) wraps the same network again
    assert_same_state(first["partial"], second["partial"])
    assert any(not torch.equal(first["partial"][k], first["state"][k]) for k in first["state"])


@pytest.mark.slow  # two processes start (imports: seconds each)
def test_lazy_features_train_as_their_array_does(two_processes):
    # each process reads and computes only its part of each batch of files;
    # the result is the array fit's, in every process
    for result in two_processes:
        lazy, array = result["lazy"]["lazy"], result["lazy"]["array"]
        assert_same_state(lazy["state"], array["state"])
        np.testing.assert_array_equal(lazy["proba"], array["proba"])
    assert_same_state(two_processes[0]["lazy"]["lazy"]["state"],
                      two_processes[1]["lazy"]["lazy"]["state"])


@pytest.mark.slow  # two processes start (imports: seconds each)
@pytest.mark.parametrize("name", list(TRANSFER))
def test_a_frozen_or_unfrozen_trunk_trains_as_in_one_process(two_processes, name):
    # DDP averages the gradients of the parameters that train; frozen ones
    # have none and must stay as they were, in every process
    from skcnn.pretrained import TransferNetwork

    X, y, _ = make_maps()
    trunk = two_processes[0]["transfer"]["trunk"]
    trunk_state = {k: v.clone() for k, v in trunk.state_dict().items()}
    alone = CNNClassifier(**EXACT, batch_size=EXACT_BATCH, module=TransferNetwork,
                          module__model=trunk, **TRANSFER[name]).fit(X, y)
    first, second = (result["transfer"][name] for result in two_processes)
    assert_same_state(first["state"], second["state"])
    assert_same_state(alone.module_.state_dict(), first["state"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alone.predict_proba(X), first["proba"], rtol=1e-5, atol=1e-6)
    trained = {k[len("trunk."):]: v for k, v in first["state"].items() if k.startswith("trunk.")}
    assert trained.keys() == trunk_state.keys()
    moved = [not torch.equal(trained[k], trunk_state[k]) for k in trunk_state]
    assert not any(moved) if name == "frozen" else all(moved)


@pytest.mark.slow  # two processes start (imports: seconds each)
def test_what_cannot_run_data_parallel_is_refused_in_every_process(two_processes):
    for result in two_processes:
        messages = result["refusals"]
        assert messages["early_stopping"].startswith(
            "early_stopping=True: CNNClassifier cannot stop early in data-parallel training")
        assert "were given [46, 45] training samples" in messages["different_data"]
        assert "leave iterator_train and dataset at their defaults" in messages["iterator"]


@pytest.mark.slow
def test_the_recipe_on_two_machines(tmp_path):
    # two torchrun node ranks of one process each, on one machine: the
    # multi-machine recipe of the docs (rank 0 saves the weights)
    port = free_port()
    commands = [
        [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", f"--node_rank={node}",
         "--nproc_per_node=1", "--master_addr=127.0.0.1", f"--master_port={port}",
         str(SCRIPT), str(tmp_path), "recipe"]
        for node in range(2)
    ]
    run_processes(commands, [environment()] * 2)
    first, second = (load(tmp_path / f"recipe-rank{rank}.pt") for rank in range(2))
    assert first["world_size"] == second["world_size"] == 2
    np.testing.assert_array_equal(first["proba"], second["proba"])
    X, _, _ = make_maps()
    loaded = CNNClassifier(**DEFAULTS).load_weights(tmp_path / "weights.pt")
    np.testing.assert_array_equal(loaded.predict_proba(X), first["proba"])


@pytest.mark.parametrize("n, parts", [
    (15, [8, 7]), (16, [8, 8]), (2, [1, 1]), (1, [1, 1]),
])
def test_each_process_takes_its_contiguous_part_of_the_global_batch(n, parts):
    X = torch.arange(n, dtype=torch.float32)[:, None]
    y = torch.arange(n)
    got = [next(iter(_RankBatches([(X, y)], rank, 2))) for rank in range(2)]
    assert [len(Xr) for Xr, _ in got] == parts
    if n >= 2:
        # the parts, in order, are the batch, each sample once, weight 1
        assert torch.equal(torch.cat([Xr for Xr, _ in got]), X)
        assert all(torch.equal(w, torch.ones(len(w))) for _, (_, w) in got)
    else:
        # fewer samples than processes: the second trains on a copy of the
        # first sample that weighs nothing
        (_, (_, w0)), (X1, (y1, w1)) = got
        assert w0.tolist() == [1.0] and w1.tolist() == [0.0]
        assert torch.equal(X1, X[:1]) and torch.equal(y1, y[:1])


def test_lazy_batches_are_cut_before_they_are_read(tmp_path):
    # each process reads only its rows of a global batch of files: the
    # same parts as cutting the array's batch
    write_files(tmp_path / "files", n=11)
    paths = sorted(str(p) for p in (tmp_path / "files").glob("*.wav"))
    lazy = SpectrogramTransformer(sr=8000, n_fft=256, n_mels=8).transform(paths)
    maps = torch.from_numpy(np.asarray(lazy))
    y = torch.arange(11)
    for rank in range(2):
        parts = _RankBatches(LazyBatchIterator(LazyDataset(lazy, y), batch_size=5,
                                               num_workers=0), rank, 2)
        reference = _RankBatches(TensorBatchIterator(TensorDataset(maps, y), batch_size=5),
                                 rank, 2)
        for (X, (yr, w)), (X_ref, (y_ref, w_ref)) in zip(parts, reference, strict=True):
            assert torch.equal(X, X_ref) and torch.equal(yr, y_ref) and torch.equal(w, w_ref)
        assert parts.global_size == reference.global_size == 1


def test_sample_weights_go_with_their_samples():
    X = torch.arange(5, dtype=torch.float32)[:, None]
    y, w = torch.arange(5), torch.tensor([0.5, 1.0, 2.0, 3.0, 4.0])
    (_, (y0, w0)), (_, (y1, w1)) = (next(iter(_RankBatches([(X, (y, w))], r, 2)))
                                    for r in range(2))
    assert y0.tolist() == [0, 1, 2] and w0.tolist() == [0.5, 1.0, 2.0]
    assert y1.tolist() == [3, 4] and w1.tolist() == [3.0, 4.0]


def test_torchrun_without_a_process_group_warns(monkeypatch):
    # torchrun started several processes, but the script did not call
    # init_process_group: each process would train alone
    monkeypatch.setenv("WORLD_SIZE", "2")
    X, y, _ = make_maps(n=12)
    with pytest.warns(UserWarning, match="WORLD_SIZE=2 .* no torch.distributed process group"):
        CNNClassifier(**EXACT, batch_size=6).set_params(max_epochs=1).fit(X, y)

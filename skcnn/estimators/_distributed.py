"""Data-parallel training of one estimator over several processes (torchrun).

When ``fit`` or ``partial_fit`` runs in a process of an initialised
``torch.distributed`` process group of several processes (a script started
with ``torchrun`` that called ``torch.distributed.init_process_group()``),
every process trains the same network on its part of each batch and torch's
``DistributedDataParallel`` averages the gradients. skcnn does not start the
group itself: the script chooses the backend, the timeout and when the group
ends, as torch's recipes do, and an estimator never changes process-wide
state behind its caller's back.

How a call divides the work (:class:`DataParallel`):

- every process is given the whole training set; all of them draw rank 0's
  seeds, so the same shuffled order, and ``batch_size`` is the global batch,
  cut into one contiguous part per process (:meth:`DataParallel.batches`):
  the batches, and so the result, do not depend on the number of processes;
- the loss of a part is scaled so that the gradient DDP averages is exactly
  the global batch's (:meth:`DataParallel.loss`);
- dropout and augmentations draw from a generator of each process's own, so
  that the parts are not masked alike;
- at the end of the call, rank 0's weights and buffers (batch norms' running
  statistics, which each process updates from its own part) are copied to
  every process, and ``module_`` is the plain network again: prediction,
  pickling and ``save_weights`` are unchanged.

Early stopping is refused: every process would have to take the same
decision from its own validation loss.
"""

import os
import warnings
from contextlib import contextmanager

import numpy as np
import torch
from skorch.callbacks import EarlyStopping

from ._callbacks import holds_callback
from ._data import LazyBatchIterator, TensorBatchIterator, TensorDataset

__all__ = ["DataParallel", "data_parallel"]

_SEED_MAX = np.iinfo(np.int32).max


def _distributed_world():
    """``(rank, world_size)`` of the initialised process group, or None."""
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()):
        return None
    return dist.get_rank(), dist.get_world_size()


class DataParallel:
    """One process's share of a data-parallel training call.

    Parameters
    ----------
    rank : int
        This process's rank in the group.
    world_size : int
        Number of processes (at least 2).
    device : torch.device
        The training device.
    gather_device : torch.device
        Where the all-gathers of seeds and sizes run: the CPU with gloo
        (whose all-gather of CUDA tensors is not a given), else ``device``.
    """

    def __init__(self, rank, world_size, device, gather_device):
        self.rank = rank
        self.world_size = world_size
        self.device = device
        self.gather_device = gather_device
        self.wrapper = None
        self._batches = None

    @classmethod
    def of(cls, net):
        """The share of ``net``'s training call, or None in a single process.

        Raises a ValueError for what data-parallel training cannot run.
        """
        world = _distributed_world()
        if world is None or world[1] < 2:
            size = os.environ.get("WORLD_SIZE", "1")
            if world is None and size.isdigit() and int(size) > 1:
                warnings.warn(
                    f"WORLD_SIZE={size} (torchrun) but no torch.distributed process group "
                    "is initialised: this process trains alone, on all the data. Call "
                    "torch.distributed.init_process_group() before fit to train one "
                    "model on all the processes.", UserWarning, stacklevel=4)
            return None
        rank, world_size = world
        name = type(net).__name__
        where = f"in data-parallel training ({world_size} processes)"
        if net.early_stopping or holds_callback(net.callbacks, EarlyStopping):
            what = ("early_stopping=True" if net.early_stopping
                    else "callbacks holds an EarlyStopping")
            raise ValueError(
                f"{what}: {name} cannot stop early {where}: "
                "every process would have to take the same decision from its own "
                "validation loss. Train for a fixed max_epochs (chosen with early stopping "
                "in one process, for instance)"
            )
        if net.iterator_train is not TensorBatchIterator or not (
                isinstance(net.dataset, type) and issubclass(net.dataset, TensorDataset)):
            raise ValueError(
                f"iterator_train={net.iterator_train!r}, dataset={net.dataset!r}: {name} "
                f"cuts skcnn's TensorBatchIterator batches {where}; leave iterator_train "
                "and dataset at their defaults"
            )
        device = torch.device(net.device)
        backend = str(torch.distributed.get_backend())
        if device.type == "cpu" and backend == "nccl":
            raise ValueError(
                f"device={net.device!r} but the process group's backend is {backend!r}, "
                "which runs on GPUs only: pass device='cuda' (one GPU per process), or "
                "torch.distributed.init_process_group('gloo') to train on CPUs"
            )
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        gather_device = torch.device("cpu") if "gloo" in backend else device
        return cls(rank, world_size, device, gather_device)

    # ------------------------------------------------------- collectives
    def check_same_data(self, n_samples):
        """A ValueError (on every process) unless every process has ``n_samples``."""
        sizes = self._gather(torch.tensor([n_samples], dtype=torch.int64))[:, 0].tolist()
        if len(set(sizes)) > 1:
            raise ValueError(
                f"the {self.world_size} processes were given {sizes} training samples: "
                "each must fit on the whole training set (each trains on its part of "
                "every batch)"
            )

    def agree(self, seeds):
        """Rank 0's seeds, on every process (``random_state=None`` draws
        different ones in each)."""
        return [int(s) for s in self._gather(torch.tensor(seeds, dtype=torch.int64))[0]]

    def own_seeds(self, seeds):
        """Seeds of this process's own draws (dropout, augmentations): rank
        0's are ``seeds``, the others' follow from them and the rank."""
        if self.rank == 0:
            return list(seeds)
        rng = np.random.default_rng([*seeds, self.rank])
        return [int(s) for s in rng.integers(0, _SEED_MAX, size=len(seeds))]

    def _gather(self, tensor):
        tensor = tensor.to(self.gather_device)
        parts = [torch.empty_like(tensor) for _ in range(self.world_size)]
        torch.distributed.all_gather(parts, tensor)
        return torch.stack(parts).cpu()

    # ----------------------------------------------------------- training
    def batches(self, iterator):
        """This process's part of each of ``iterator``'s global batches."""
        self._batches = _RankBatches(iterator, self.rank, self.world_size)
        return self._batches

    def record_batch_size(self, history):
        """Record the global batch's size in ``history`` in place of the
        part's (skorch records the part's): the epoch's ``train_loss``, the
        mean of the batches' losses weighted by their sizes, is then the
        same in every process and the one a single process records."""
        history.record_batch("train_batch_size", self._batches.global_size)

    def forward(self, x, **fit_params):
        """The network's training forward, through DDP."""
        return self.wrapper(x, **fit_params)

    def loss(self, weighted_sum, weight_sum):
        """The loss of this part, for DDP to average into the global batch's.

        The global batch's loss is ``sum(w * l) / sum(w)`` over all its
        elements; this part holds ``T_r = sum(w * l)`` and ``S_r = sum(w)``
        over its own. With ``S`` the sum of every part's ``S_r`` (one
        all-reduce), the part's loss ``world_size * T_r / S`` has the
        gradient ``world_size * grad(T_r) / S``, and DDP's mean over the
        processes, ``sum_r grad(T_r) / S``, is the global batch's gradient,
        whatever the sizes and weights of the parts (a part of only a
        zero-weight sample adds nothing). The value returned is the global
        batch's loss (the same on every process, for the history and the
        finite-loss check); its gradient is the part's.
        """
        sums = torch.stack([weight_sum.detach(), weighted_sum.detach()]).float()
        torch.distributed.all_reduce(sums)
        total = sums[0].clamp_min(1e-12)
        local = weighted_sum * (self.world_size / total)
        return local + (sums[1] / total - local).detach()

    def start(self, net):
        """Wrap ``net.module_`` for the call (broadcasts rank 0's weights and buffers)."""
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        # DDP's default copies rank 0's buffers to every process before each
        # training forward (``broadcast_buffers``, ``forward_sync_buffers``
        # from torch 2.13): each step's update of the running statistics
        # starts from rank 0's, and rank 0's are the ones kept
        self.wrapper = torch.nn.parallel.DistributedDataParallel(
            net.module_, device_ids=device_ids)

    def finish(self, net):
        """Rank 0's weights and buffers on every process; drop the wrapper.

        The weights agree already (same averaged gradients, same steps);
        the buffers do not: each process's batch norms updated their running
        statistics from its own parts (DDP copies rank 0's at each forward,
        then the forward updates them), and weight averaging recomputes them
        on each process.
        """
        self.wrapper = None
        tensors = list(net.module_.state_dict().values())
        with torch.no_grad():
            # in the state dict's order, the same in every process (a set of
            # dtypes iterates in an order of each process's own)
            for dtype in dict.fromkeys(t.dtype for t in tensors):
                group = [t for t in tensors if t.dtype == dtype]
                flat = torch.cat([t.reshape(-1) for t in group])
                torch.distributed.broadcast(flat, src=0)
                offset = 0
                for t in group:
                    t.copy_(flat[offset:offset + t.numel()].view_as(t))
                    offset += t.numel()


@contextmanager
def data_parallel(net, parallel):
    """Train ``net`` data-parallel inside the block (nothing if ``parallel`` is None)."""
    if parallel is None:
        yield
        return
    parallel.start(net)
    net._data_parallel = parallel
    try:
        yield
        parallel.finish(net)
    finally:
        parallel.wrapper = None
        vars(net).pop("_data_parallel", None)


class _RankBatches:
    """Each global batch of ``batches`` (``(X, y)`` or ``(X, (y, w))``), cut
    into ``world_size`` contiguous parts whose sizes differ by at most one;
    yields part ``rank``, with its sample weights (ones if there are none).

    DDP needs every process to run each step; a process whose part is
    empty (a last batch of fewer samples than processes) trains on a copy of
    the batch's first sample with weight 0, which adds nothing to the
    gradient (:meth:`DataParallel.loss`). Rank 0's part is never empty, and
    its batch norms' statistics are the ones kept.
    """

    def __init__(self, batches, rank, world_size):
        self.batches = batches
        self.rank = rank
        self.world_size = world_size
        self.global_size = None

    def __len__(self):
        return len(self.batches)

    def _bounds(self, n):
        """This rank's rows ``[start, stop)`` of a global batch of ``n``."""
        base, extra = divmod(n, self.world_size)
        start = self.rank * base + min(self.rank, extra)
        return start, start + base + (self.rank < extra)

    def __iter__(self):
        if isinstance(self.batches, LazyBatchIterator):
            # lazy inputs: only this rank's rows of each batch are read and computed
            for n, X, target in self.batches.parts(self._bounds):
                self.global_size = n
                yield self._weighted(X, target, empty=self._bounds(n)[0] == self._bounds(n)[1])
            return
        for X, target in self.batches:
            n = self.global_size = len(X)
            start, stop = self._bounds(n)
            if start == stop:
                yield self._weighted(X[:1], _rows(target, slice(0, 1)), empty=True)
            else:
                yield self._weighted(X[start:stop], _rows(target, slice(start, stop)), empty=False)

    @staticmethod
    def _weighted(X, target, *, empty):
        """``(X, (y, w))``: the weights ones where none are given, zeros for
        the stand-in of an empty part."""
        y, w = target if isinstance(target, (tuple, list)) else (target, None)
        if w is None:
            w = torch.ones(len(X), device=X.device)
        return X, (y, torch.zeros_like(w) if empty else w)


def _rows(target, rows):
    if isinstance(target, (tuple, list)):
        return tuple(t[rows] for t in target)
    return target[rows]

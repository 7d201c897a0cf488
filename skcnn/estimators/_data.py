"""The fast batch path: batches are slices of one tensor held on the device.

skorch's default path builds every batch by indexing a ``Dataset`` sample by
sample and collating the samples with a ``DataLoader``; for a small network
that Python work costs more than the arithmetic. Here the whole training set
is one tensor (already on the training device), each epoch draws one seeded
permutation, gathers the shuffled tensor in one call and yields contiguous
slices. skorch still runs its own loop over these batches, so callbacks,
history and the ``iterator_train__``/``iterator_valid__`` prefixes keep
working.
"""

import torch

__all__ = ["LazyBatchIterator", "LazyDataset", "TensorBatchIterator", "TensorDataset"]


class TensorDataset(torch.utils.data.Dataset):
    """Input, target and sample-weight tensors of the same length, on one device.

    Indexing with an int, a slice or an index tensor returns ``(X[i],
    target)``, where the target is ``y[i]`` (None when there is no ``y``),
    or the pair ``(y[i], sample_weight[i])`` when sample weights are given;
    the estimators' ``get_loss`` unpacks that pair. The ``X`` and ``y``
    attributes let skorch's scoring callbacks read the data back.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, ...)
        The inputs.
    y : torch.Tensor of shape (n_samples, ...) or None, default=None
        The targets.
    sample_weight : torch.Tensor of shape (n_samples,) or None, default=None
        Weight of each sample in the loss.
    """

    def __init__(self, X, y=None, sample_weight=None):
        for name, other in (("y", y), ("sample_weight", sample_weight)):
            if other is not None and len(other) != len(X):
                raise ValueError(
                    f"X and {name} have different lengths: {len(X)} and {len(other)}"
                )
        self.X = X
        self.y = y
        self.sample_weight = sample_weight

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.X[index], targets_at(self, index)

    def subset(self, index):
        """A new dataset holding the rows ``index`` (an index tensor)."""
        index = torch.as_tensor(index, device=self.X.device)
        return TensorDataset(*(
            None if t is None else t[index]
            for t in (self.X, self.y, self.sample_weight)
        ))


def targets_at(dataset, index):
    """The target of the rows ``index``: ``y[index]`` (None without ``y``),
    or the pair ``(y[index], sample_weight[index])`` with sample weights."""
    if dataset.y is None:
        return None
    if dataset.sample_weight is None:
        return dataset.y[index]
    return dataset.y[index], dataset.sample_weight[index]


class TensorBatchIterator:
    """Iterate over a :class:`TensorDataset` in slices of ``batch_size``.

    A drop-in replacement for ``torch.utils.data.DataLoader`` that skorch
    calls as ``iterator(dataset, batch_size=..., **iterator_params)``.

    Parameters
    ----------
    dataset : TensorDataset
        The data; its tensors stay where they are.
    batch_size : int, default=128
        Rows per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Whether to draw a new permutation of the rows every epoch.
    seed : int or None, default=None
        Seed of the permutations; the iterator keeps its generator, so
        successive epochs differ and a new iterator with the same seed
        repeats them.
    drop_last : bool, default=False
        Whether to drop a last batch smaller than ``batch_size``.
    num_workers : int or 'auto', default='auto'
        Checked and otherwise unused: slices of a tensor need no workers.
        Accepted so that ``iterator_train__num_workers``, which sets
        :class:`LazyBatchIterator`'s workers for lazy data, can stay set
        when the same estimator is fitted on arrays.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, seed=None,
                 drop_last=False, num_workers="auto"):
        self.num_workers = _workers(num_workers)
        if not isinstance(dataset, TensorDataset):
            raise TypeError(
                "TensorBatchIterator needs a skcnn TensorDataset, got "
                f"{type(dataset).__name__}"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size} must be >= 1")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(int(seed))

    def __len__(self):
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _order(self):
        """This epoch's row order (a new permutation when shuffling, None
        for the rows as they are) and where its last batch ends."""
        n = len(self.dataset)
        perm = torch.randperm(n, generator=self.generator) if self.shuffle else None
        return perm, (n - n % self.batch_size if self.drop_last else n)

    def __iter__(self):
        data = self.dataset
        perm, stop = self._order()
        if perm is not None:
            data = data.subset(perm)  # one gather, then contiguous slices
        for start in range(0, stop, self.batch_size):
            yield data[start:start + self.batch_size]


class LazyDataset(TensorDataset):
    """Lazy inputs (:class:`~skcnn.utils._lazy.LazyFeatures`) beside target
    and sample-weight tensors on the device.

    A :class:`TensorDataset` for data larger than memory: the same ``X``,
    ``y``, ``sample_weight`` attributes, ``len`` and :meth:`subset`;
    indexing computes the inputs' batch (on the CPU).
    :class:`LazyBatchIterator` reads it in ``DataLoader`` workers.
    """

    def __getitem__(self, index):
        one = isinstance(index, int)
        X = torch.from_numpy(self.X.batch([index] if one else _as_index(index)))
        return (X[0] if one else X), targets_at(self, index)

    def subset(self, index):
        """A new dataset holding the rows ``index`` (an index tensor)."""
        index = _as_index(index)
        y, w = (None if t is None else t[torch.as_tensor(index, device=t.device)]
                for t in (self.y, self.sample_weight))
        return LazyDataset(self.X[index], y, w)


def _as_index(index):
    if isinstance(index, torch.Tensor):
        return index.cpu().numpy()
    return index


class _Inputs(torch.utils.data.Dataset):
    """What a ``DataLoader`` worker computes: the inputs of one batch of
    indices (a whole batch at once: the front end is batched), or only the
    clips read (``clips_only``, when the features are computed on a GPU)."""

    def __init__(self, X, clips_only=False):
        self.X = X
        self.clips_only = clips_only

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        if self.clips_only:
            return torch.from_numpy(self.X.files.read(index))
        return torch.from_numpy(self.X.batch(index))


class LazyBatchIterator(TensorBatchIterator):
    """Iterate over a :class:`LazyDataset` in batches computed in ``DataLoader`` workers.

    The batches are :class:`TensorBatchIterator`'s: the same seeded
    permutation each epoch, the same contiguous slices of it, so a lazy fit
    trains on the batches an in-memory fit of the same clips trains on.
    The inputs of each batch are read and computed by torch's
    ``DataLoader`` (in ``num_workers`` processes, while the network trains
    on the previous batch); the targets and weights are sliced on the
    device in this process. On a CUDA device the workers only read the
    clips, and the features are computed on the GPU.

    Parameters
    ----------
    dataset : LazyDataset
        The data.
    batch_size, shuffle, seed, drop_last
        As :class:`TensorBatchIterator`'s.
    num_workers : int or 'auto', default='auto'
        ``DataLoader`` worker processes; 0 computes the batches in this
        process. 'auto' is 1, or 0 inside a daemonic process (a Dask
        worker's or a multiprocessing pool's), which cannot start child
        processes.
    device : str, default='cpu'
        Where the inputs go.
    **loader_params
        Other ``DataLoader`` parameters (``prefetch_factor``,
        ``multiprocessing_context``, ...).
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, seed=None, drop_last=False,
                 num_workers="auto", device="cpu", **loader_params):
        if not isinstance(dataset, LazyDataset):
            raise TypeError(
                f"LazyBatchIterator needs a skcnn LazyDataset, got {type(dataset).__name__}"
            )
        super().__init__(dataset, batch_size=batch_size, shuffle=shuffle, seed=seed,
                         drop_last=drop_last, num_workers=num_workers)
        self.device = device
        self.loader_params = loader_params
        self._epoch = _EpochBatches()
        self._loader = None
        self._on_gpu = torch.device(device).type == "cuda"

    def index_batches(self):
        """The indices of this epoch's batches (a new permutation when shuffling)."""
        perm, stop = self._order()
        if perm is None:
            perm = torch.arange(len(self.dataset))
        return [perm[start:start + self.batch_size].numpy()
                for start in range(0, stop, self.batch_size)]

    def __iter__(self):
        for _, X, target in self.parts(lambda n: (0, n)):
            yield X, target

    def parts(self, bounds):
        """Yield ``(n, X, target)`` for this epoch's batches, only rows
        ``bounds(n) = (start, stop)`` of each batch of ``n`` read and computed
        (a data-parallel process's part); an empty part is the batch's first
        row (the caller gives it weight 0)."""
        batches = self.index_batches()
        sizes = [len(index) for index in batches]
        parts = []
        for index in batches:
            start, stop = bounds(len(index))
            parts.append(index[start:stop] if stop > start else index[:1])
        if self._loader is None:
            # one loader for every epoch: its workers start once (persistent),
            # and each epoch hands them that epoch's batches of indices
            params = dict(self.loader_params)
            params["worker_init_fn"] = _WorkerInit(params.get("worker_init_fn"))
            self._loader = torch.utils.data.DataLoader(
                _Inputs(self.dataset.X, clips_only=self._on_gpu), batch_size=None,
                sampler=self._epoch,
                num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
                pin_memory=torch.device(self.device).type == "cuda", **params)
        self._epoch.batches = parts
        device = _target_device(self.dataset)
        for n, index, X in zip(sizes, parts, self._loader):
            if self._on_gpu:
                X = torch.from_numpy(self.dataset.X.compute(X.numpy(), device=self.device))
            yield n, X.to(self.device), targets_at(
                self.dataset, torch.as_tensor(index, device=device))


class _WorkerInit:
    """A ``DataLoader`` worker's start: glibc's mmap threshold pinned, then
    the user's ``worker_init_fn``, if any.

    Each batch a worker computes allocates and frees arrays of a few MB.
    glibc raises its mmap threshold each time such a block is freed, so
    later ones come from the heap, which fragments: a worker's resident
    memory grew by about 90 MB over 280 batches, and with it the fit's peak
    with the number of files. Pinning the threshold at glibc's default
    (128 KiB; setting it turns the dynamic rule off) keeps large blocks in
    mmap, returned to the system when freed, and the worker flat (docs:
    results, "Data larger than memory"). Only in the workers, processes of
    skcnn's own; elsewhere (not glibc) nothing changes.
    """

    def __init__(self, user_fn=None):
        self.user_fn = user_fn

    def __call__(self, worker_id):
        _pin_mmap_threshold()
        if self.user_fn is not None:
            self.user_fn(worker_id)


def _pin_mmap_threshold(size=128 * 1024):
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(ctypes.c_int(-3), ctypes.c_int(size))  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


class _EpochBatches:
    """The sampler of a :class:`LazyBatchIterator`'s loader: this epoch's
    batches of indices, replaced before each epoch."""

    batches = ()

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def _target_device(dataset):
    for t in (dataset.y, dataset.sample_weight):
        if t is not None:
            return t.device
    return "cpu"


def _workers(num_workers):
    if isinstance(num_workers, str) and num_workers == "auto":
        import multiprocessing

        return 0 if multiprocessing.current_process().daemon else 1
    if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
        raise ValueError(
            f"iterator num_workers={num_workers!r} must be 'auto' or an int >= 0"
        )
    return num_workers

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

__all__ = ["TensorDataset", "TensorBatchIterator"]


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
                    f"X and {name} have different lengths: {len(X)} and "
                    f"{len(other)}"
                )
        self.X = X
        self.y = y
        self.sample_weight = sample_weight

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.X[index], self._target(index)

    def _target(self, index):
        if self.y is None:
            return None
        if self.sample_weight is None:
            return self.y[index]
        return self.y[index], self.sample_weight[index]

    def subset(self, index):
        """A new dataset holding the rows ``index`` (an index tensor)."""
        index = torch.as_tensor(index, device=self.X.device)
        return TensorDataset(*(
            None if t is None else t[index]
            for t in (self.X, self.y, self.sample_weight)
        ))


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
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, seed=None,
                 drop_last=False):
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

    def __iter__(self):
        data = self.dataset
        n = len(data)
        if self.shuffle:
            perm = torch.randperm(n, generator=self.generator)
            data = data.subset(perm)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            yield data[start:start + self.batch_size]

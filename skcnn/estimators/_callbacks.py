"""skorch callbacks that skcnn's estimators add to every fit.

Plain skorch callbacks, on skorch's public ``Callback`` interface:

- :class:`FiniteLoss` stops training with a clear error when the loss
  becomes NaN or infinite, instead of training on garbage;
- :func:`cosine_schedule` is skorch's ``LRScheduler`` lowering the rate along
  half a cosine over each training call, from its first epoch or, flat
  first, over its last 30% (fastai's ``fit_flat_cos``);
- :class:`WeightAveraging` averages the weights of each training call's
  last epochs (stochastic weight averaging, on torch's ``swa_utils``);
- :class:`EpochLog` is skorch's ``PrintLog`` (the per-epoch table of
  ``verbose=1``) without colour codes when the output is not a terminal, so
  that a log file stays readable.
"""

import copy
import math
import sys
from functools import partial

import torch
from skorch.callbacks import Callback, LRScheduler, PrintLog
from skorch.dataset import unpack_data
from torch.optim.swa_utils import AveragedModel, update_bn

_BATCH_NORMS = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)

__all__ = [
    "EpochLog", "FLAT_SHARE", "FLAT_SHARES", "FiniteLoss", "WeightAveraging",
    "cosine_schedule", "sets_the_rate",
]


#: The share of the epochs that ``'flat_cos'`` keeps at the full rate.
FLAT_SHARE = 0.7

#: Each annealing ``lr_schedule`` and the share of its epochs kept flat
#: ("constant" has none: it adds no scheduler).
FLAT_SHARES = {"cosine": 0.0, "flat_cos": FLAT_SHARE}


def _cosine_factor(epoch, n_epochs, flat=0.0):
    """1 for the first ``flat`` share of the epochs, then half a cosine
    towards 0 (after the last epoch)."""
    start = flat * n_epochs
    if epoch < start:
        return 1.0
    return 0.5 * (1.0 + math.cos(math.pi * (epoch - start) / (n_epochs - start)))


def cosine_schedule(n_epochs, flat=0.0):
    """skorch's LRScheduler: ``lr * (1 + cos(pi * t / T)) / 2``.

    ``t`` counts the epochs after the first ``flat * n_epochs``, which keep
    ``lr``, and ``T`` is the number of the others. The closed form (torch's
    ``LambdaLR`` of the initial rate), so that every training call runs its
    own schedule from ``lr``; ``last_epoch=-1``, as skorch would otherwise
    continue from the history's length.
    """
    return LRScheduler(
        policy=torch.optim.lr_scheduler.LambdaLR,
        lr_lambda=partial(_cosine_factor, n_epochs=n_epochs, flat=flat),
        last_epoch=-1,
    )


def holds_callback(callbacks, kind):
    """Whether skorch ``callbacks`` (a list of callbacks, callback classes or
    ``(name, callback)`` pairs; or None/'disable') hold one of class ``kind``."""
    if not isinstance(callbacks, (list, tuple)):
        return False
    for callback in callbacks:
        if isinstance(callback, tuple):
            callback = callback[1]
        if issubclass(callback if isinstance(callback, type) else type(callback), kind):
            return True
    return False


def sets_the_rate(callbacks):
    """Whether ``callbacks`` hold a learning-rate scheduler of their own, which
    then replaces the estimator's ``lr_schedule``: two schedulers would
    overwrite each other's rate."""
    return holds_callback(callbacks, LRScheduler)
    for callback in callbacks:
        if isinstance(callback, tuple):
            callback = callback[1]
        kind = callback if isinstance(callback, type) else type(callback)
        if issubclass(kind, LRScheduler):
            return True
    return False


class FiniteLoss(Callback):
    """Raise a ValueError when a training batch's loss is not finite.

    Parameters
    ----------
    hint : str, default=''
        What to try, appended to the message.
    """

    def __init__(self, hint=""):
        self.hint = hint

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if not training or loss is None:
            return
        value = float(loss.detach())
        if not math.isfinite(value):
            raise ValueError(
                f"The training loss became {value} in epoch {len(net.history)}; "
                f"training stopped. {self.hint}".rstrip()
            )


class WeightAveraging(Callback):
    """Average the weights of the last epochs of every training call.

    Stochastic weight averaging (Izmailov et al., 2018): the weights at the
    end of each of the last epochs of a training call (``share`` of them) are
    averaged (torch's ``AveragedModel``, an equal-weight running mean), the
    network gets the average when the call ends, and its batch norms'
    running statistics, which an average of weights does not carry, are
    recomputed over the training data in one pass without gradients
    (torch's ``update_bn``; dropout is active then, as in training), as
    training sees it: through the ``training_batches`` the estimator passes
    to ``on_train_end`` (augmented by its ``augment_``, with draws from the
    call's generator).
    Izmailov et al. find the average in a wider optimum than the last
    epoch's weights, which tend to sit at its edge.

    A call interrupted before its end (Ctrl-C) keeps the weights after its
    last completed batch, unaveraged. Each ``fit`` or ``partial_fit`` call
    averages its own last epochs.

    Parameters
    ----------
    share : float in (0, 1]
        Share of a training call's ``max_epochs`` epochs averaged, the last
        ones: ``max(1, round(share * max_epochs))`` of them (read when the
        call begins, so ``set_params(max_epochs=...)`` is followed).
    """

    def __init__(self, share):
        self.share = share

    def initialize(self):
        if not 0 < self.share <= 1:
            raise ValueError(f"share={self.share!r} must be in (0, 1]")
        self.average_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        self.average_, self.epochs_run_ = None, 0
        self.n_averaged_ = max(1, round(self.share * net.max_epochs))

    def on_epoch_end(self, net, **kwargs):
        self.epochs_run_ += 1
        if self.epochs_run_ <= net.max_epochs - self.n_averaged_:
            return
        if self.average_ is None:
            self.average_ = AveragedModel(net.module_)
        # the first update copies the weights (the average's count starts at 0)
        self.average_.update_parameters(net.module_)

    def on_train_end(self, net, X=None, training_batches=unpack_data, **kwargs):
        average, self.average_ = self.average_, None
        if average is None:
            return
        with torch.no_grad():
            for param, mean in zip(net.module_.parameters(), average.module.parameters()):
                param.copy_(mean)
        # frozen batch norms (all their parameters without gradient, as in a
        # frozen pretrained trunk) keep the statistics they were loaded with:
        # update_bn would reset and recompute every batch norm's
        frozen = [(module, copy.deepcopy(module.state_dict()))
                  for module in net.module_.modules()
                  if isinstance(module, _BATCH_NORMS)
                  and any(True for _ in module.parameters())
                  and not any(p.requires_grad for p in module.parameters())]
        # without gradients: the batch norms update their statistics in the
        # forward pass alone, and torch's update_bn would otherwise build an
        # autograd graph for every batch of the pass
        with torch.no_grad():
            update_bn(_training_inputs(net, X, training_batches), net.module_,
                      device=net.device)
        for module, state in frozen:
            module.load_state_dict(state)


def _training_inputs(net, dataset, training_batches):
    """The batches of training inputs as training saw them: through the
    call's ``training_batches`` (skcnn's estimators pass theirs, which
    augments as the training step did), else as they are.

    The weights were trained against the statistics of augmented batches
    (the batch norms' running statistics too are those of augmented
    batches without averaging); the statistics of the clean inputs instead
    cost the MFCC pipeline on FSDD (docs: results, "Weight averaging").
    """
    for batch in net.get_iterator(dataset, training=False):
        yield training_batches(batch)[0]


class EpochLog(PrintLog):
    """skorch's epoch table, coloured only on a terminal.

    skorch's ``PrintLog`` marks the best value of each column with ANSI
    colour codes whatever the output is; in a file or a CI log they show as
    ``\\x1b[32m`` noise. Here the codes are written only when the sink is
    ``print`` and standard output is a terminal.
    """

    def _colour(self):
        stream = sys.stdout
        return self.sink is print and hasattr(stream, "isatty") and stream.isatty()

    def format_row(self, row, key, color):
        if not self._colour():
            # without its "<key>_best" flag a value is written uncoloured
            row = {k: v for k, v in row.items() if k != key + "_best"}
        return super().format_row(row, key, color)

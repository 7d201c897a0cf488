"""skorch callbacks that skcnn's estimators add to every fit.

Plain skorch callbacks, on skorch's public ``Callback`` interface:

- :class:`FiniteLoss` stops training with a clear error when the loss
  becomes NaN or infinite, instead of training on garbage;
- :class:`EpochLog` is skorch's ``PrintLog`` (the per-epoch table of
  ``verbose=1``) without colour codes when the output is not a terminal, so
  that a log file stays readable.
"""

import math
import sys

from skorch.callbacks import Callback, PrintLog

__all__ = ["EpochLog", "FiniteLoss"]


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

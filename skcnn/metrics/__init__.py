"""Metrics for frame-level outputs: event detection, pitch tracking, source separation.

The code is in ``_scorers`` for now; the next commit splits it by job.
"""

from ._scorers import *  # noqa: F401,F403
from ._scorers import __all__, _import_sed_scores_eval  # noqa: F401

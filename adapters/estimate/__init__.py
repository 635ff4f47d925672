"""Estimating a background as the LSST pipelines do: per-bin clipped means, then a model.

:func:`bin_statistics` is afw's per-bin statistic (``MEANCLIP``, ``MEAN``, ``MEDIAN``) with
its error; :func:`estimate_background` builds a :class:`~skybkg_adapters.BackgroundModel`
from it with ``SubtractBackgroundTask``'s bin geometry and rendering settings. The sample
data set makes its stored backgrounds with the same code. Numba kernels, compiled on first use.
"""

from . import background, statistics
from .background import *
from .statistics import *

__all__ = [*background.__all__, *statistics.__all__]

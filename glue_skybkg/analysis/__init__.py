"""The notebook's numbers for a background or an image: statistics, histogram, arithmetic, zscale.

Pure functions over numpy arrays (numpy + numba only: no glue, no Qt), so notebooks, dask
workers and the glue plugin share one implementation.  The numba kernels load on first use.
"""

from . import arithmetic, bingrid, hist, profiles, residual, stats, strip_stats, zscale
from .arithmetic import *
from .bingrid import *
from .hist import *
from .profiles import *
from .residual import *
from .stats import *
from .strip_stats import *
from .zscale import *

__all__ = [
    *arithmetic.__all__,
    *bingrid.__all__,
    *hist.__all__,
    *profiles.__all__,
    *residual.__all__,
    *stats.__all__,
    *strip_stats.__all__,
    *zscale.__all__,
]

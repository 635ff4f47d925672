"""The visit background survey: many detectors of many visits, on dask, as a table and mosaics.

GUI-free (no glue, no Qt): the ``skybkg survey`` command and the glue plugin's *Visit
background survey…* both run it.  :mod:`.tasks` is what a dask worker runs, :mod:`.run` the
client side (streaming results into mosaics), :mod:`.table` the survey table,
:mod:`.focal_fit` the visit's focal-plane plane, :mod:`.mosaic_file` and :mod:`.figure` the
mosaic's FITS file and PNG.
"""

from . import figure, focal_fit, mosaic_file, run, table, tasks
from .figure import *
from .focal_fit import *
from .mosaic_file import *
from .run import *
from .table import *
from .tasks import *

__all__ = [
    *figure.__all__,
    *focal_fit.__all__,
    *mosaic_file.__all__,
    *run.__all__,
    *table.__all__,
    *tasks.__all__,
]

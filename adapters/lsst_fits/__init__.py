"""afw FITS formats: Exposure and BackgroundList files, read and written as afw does.

See docs/lsst-formats.md sections 1 (BackgroundList), 1.6 (header conventions) and
7 (Exposure). Modules: ``exposure`` and ``background`` (the readers and writers),
``kind`` (which of the two a file is, and the FITS suffixes), ``planes`` (opening
files, reading 2-D planes, turning damage into :class:`~skybkg_adapters.FormatError`),
``tiles`` (fast GZIP row-tile decompression), ``headers`` (xy0, ``MP_`` mask planes,
WCS, units, metadata), ``archive`` (PhotoCalib, BoundedFields, Detector) and
``visit_summary`` (a detector's calibration in the DP1 per-visit catalog).

Conventions: ``SkyImage.wcs`` maps 0-based *array* indices to the sky (astropy's
convention; afw already writes the FITS WCS relative to the array origin), and
``SkyImage.xy0`` gives the parent-pixel coordinates of array index ``(0, 0)``.
"""

from . import background, exposure, kind, visit_summary
from .background import *
from .exposure import *
from .kind import *
from .visit_summary import *

__all__ = [*background.__all__, *exposure.__all__, *kind.__all__, *visit_summary.__all__]

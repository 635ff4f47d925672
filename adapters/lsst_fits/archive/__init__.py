"""The archive of an afw Exposure FITS file, read with astropy and numpy alone.

docs/lsst-formats.md section 11: the ``ARCHIVE_INDEX``/``ARCHIVE_DATA`` tables (``reader``),
Chebyshev and product BoundedFields (``boundedfields``), the PhotoCalib, counts -> nJy
(``photocalib``), the aperture corrections (``apcorr``) and the Detector row (``detector``).
"""

from . import apcorr, boundedfields, detector, photocalib, reader
from .apcorr import *
from .boundedfields import *
from .detector import *
from .photocalib import *
from .reader import *

__all__ = [
    *apcorr.__all__,
    *boundedfields.__all__,
    *detector.__all__,
    *photocalib.__all__,
    *reader.__all__,
]

"""afw FITS formats: Exposure and BackgroundList files, read and written as afw does.

See docs/lsst-formats.md sections 1 (BackgroundList), 1.6 (header conventions) and
7 (Exposure).
"""

from .background import read_background, write_background
from .exposure import read_exposure, write_exposure
from .kind import detect_kind, open_product

__all__ = [
    "read_exposure",
    "write_exposure",
    "read_background",
    "write_background",
    "detect_kind",
    "open_product",
]

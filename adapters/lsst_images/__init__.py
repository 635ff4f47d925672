"""Rubin's new image format (DP2, written by the lsst-images library), read with astropy alone.

``reader`` reads visit images, cell coadds and standalone background maps into the uniform
container; ``fields`` holds the background field tree (spline, Chebyshev, sum, product) and
renders it; ``writer`` writes what the reader reads; ``detector`` maps the detector entry to
a focal-plane geometry. ``_archive`` (the FITS container: JSON and INDEX HDUs, array
references) and ``_tree`` (JSON nodes with their paths, schema versions) are the internals.
"""

from . import detector, fields, reader, writer
from .detector import *
from .fields import *
from .reader import *
from .writer import *

__all__ = [*detector.__all__, *fields.__all__, *reader.__all__, *writer.__all__]

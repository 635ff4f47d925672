"""Rubin's new image format (DP2, written by the lsst-images library), read with astropy alone."""

from . import detector
from .detector import *

__all__ = [*detector.__all__]

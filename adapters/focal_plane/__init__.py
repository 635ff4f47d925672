"""The focal plane: where each detector's pixels lie, in millimetres (docs/lsst-formats.md 11.5).

:class:`DetectorGeometry` is the affine pixels -> focal plane of one detector; the built-in
nominal LSSTCam layout (:mod:`.lsstcam`) gives it for all 189 science detectors when a file
does not carry its own (the afw archive's Detector, the lsst-images ``detector`` entry).
:mod:`.mosaic` puts detector images on one focal-plane grid (a visit's mosaic).
"""

from . import geometry, lsstcam, mosaic
from .geometry import *
from .lsstcam import *
from .mosaic import *

__all__ = [*geometry.__all__, *lsstcam.__all__, *mosaic.__all__]

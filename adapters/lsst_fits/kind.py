"""Which product a file holds: an afw BackgroundList or Exposure, a DP2 file, or neither.

Told by content (headers only), never by the file name: Rubin's new format (lsst-images:
DP2 visit images, coadds and background maps) by its primary ``FMTVER``/``DATAMODL``,
afw BackgroundLists by their ``BKGD_*`` keys, afw exposures by their image planes.
"""

from __future__ import annotations

import os
from typing import Literal

from ..container import BackgroundMap, BackgroundModel, SkyImage
from ..errors import FormatError, SkybkgError
from ..lsst_images.reader import is_lsst_images, read_lsst_images
from .background import read_background
from .exposure import locate_planes, read_exposure
from .headers import looks_like_background
from .planes import checked_header, open_fits

__all__ = [
    "FITS_SUFFIXES",
    "detect_kind",
    "has_fits_suffix",
    "is_afw_background",
    "is_afw_exposure",
    "is_lsst_images_file",
    "open_product",
]

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.fz", ".fz", ".fits.gz")
"""File-name endings of FITS files, plain, tile-compressed (fpack) or gzipped."""

# afw writes these in every exposure it saves; a plain FITS image has none of them
_AFW_KEYS = ("EXPINFO_V", "AR_HDU", "CRVAL1A", "LTV1")


def has_fits_suffix(path: object) -> bool:
    """Whether ``path`` is a str or path whose name ends in one of :data:`FITS_SUFFIXES`."""
    return isinstance(path, str | os.PathLike) and os.fspath(path).lower().endswith(FITS_SUFFIXES)


def detect_kind(
    path: str | os.PathLike,
) -> Literal["exposure", "background", "background_map"]:
    """What ``path`` holds: ``"exposure"``, ``"background"`` or ``"background_map"``.

    ``"background"`` is an afw BackgroundList (its ``BKGD_*``/``INTERPSTYLE`` keys in the first
    HDU, which holds data); ``"background_map"`` a standalone DP2 background map (its
    ``DATAMODL`` schema); ``"exposure"`` an afw Exposure/MaskedImage (an IMAGE plane) or a DP2
    visit image or coadd. Only headers are read.

    Raises
    ------
    FormatError
        Neither (e.g. a catalogue, or not FITS at all).
    """
    if is_lsst_images(path):
        with open_fits(path) as hdul:
            model = str(hdul[0].header.get("DATAMODL", ""))
        return "background_map" if "/background_map-" in model else "exposure"
    with open_fits(path) as hdul:
        if looks_like_background(checked_header(path, hdul[0].header, 0)):
            return "background"
        if "IMAGE" in locate_planes(path, hdul):
            return "exposure"
    raise FormatError(
        path,
        "is neither an afw exposure (no 2-D image HDU) nor a BackgroundList "
        "(no BKGD_WIDTH/INTERPSTYLE keys in the first HDU)",
    )


def open_product(path: str | os.PathLike) -> SkyImage | BackgroundModel | BackgroundMap:
    """Read ``path`` as what it holds (:func:`detect_kind`).

    An afw BackgroundList gives a BackgroundModel, an exposure (afw or DP2) a SkyImage, a
    standalone DP2 background map a BackgroundMap.
    """
    if is_lsst_images(path):
        return read_lsst_images(path)
    if detect_kind(path) == "background":
        return read_background(path)
    return read_exposure(path)


def is_lsst_images_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a DP2 (lsst-images) FITS file (primary header only, never raises)."""
    if not has_fits_suffix(path):
        return False
    try:
        return is_lsst_images(path)
    except OSError:
        return False


def is_afw_background(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an afw BackgroundList FITS file (reads headers only, never raises)."""
    if not has_fits_suffix(path):
        return False
    try:
        return detect_kind(path) == "background"
    except (OSError, SkybkgError):
        return False


def is_afw_exposure(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an afw Exposure/MaskedImage: image and mask planes plus afw's keys.

    A plain FITS image (no mask plane, none of afw's ``EXPINFO_V``/``AR_HDU``/``CRVAL1A``/
    ``LTV1`` keys, no ``MP_`` mask-plane keys) is not one. Reads headers only, never raises.
    """
    if not has_fits_suffix(path):
        return False
    try:
        if is_lsst_images(path):
            return False
        with open_fits(path) as hdul:
            if looks_like_background(hdul[0].header):
                return False
            planes = locate_planes(path, hdul)
            if "IMAGE" not in planes or "MASK" not in planes:
                return False
            headers = [hdul[0].header, planes["IMAGE"].header, planes["MASK"].header]
            return any(key in h for h in headers for key in _AFW_KEYS) or any(
                k.startswith("MP_") for k in planes["MASK"].header
            )
    except (OSError, SkybkgError):
        return False

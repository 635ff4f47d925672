"""Which afw product a file holds: a BackgroundList, an Exposure, or neither (headers only)."""

from __future__ import annotations

import os
from typing import Literal

from ..container import BackgroundModel, SkyImage
from ..errors import FormatError, SkybkgError
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
    "open_product",
]

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.fz", ".fz", ".fits.gz")
"""File-name endings of FITS files, plain, tile-compressed (fpack) or gzipped."""

# afw writes these in every exposure it saves; a plain FITS image has none of them
_AFW_KEYS = ("EXPINFO_V", "AR_HDU", "CRVAL1A", "LTV1")


def has_fits_suffix(path: object) -> bool:
    """Whether ``path`` is a str or path whose name ends in one of :data:`FITS_SUFFIXES`."""
    return isinstance(path, str | os.PathLike) and os.fspath(path).lower().endswith(FITS_SUFFIXES)


def detect_kind(path: str | os.PathLike) -> Literal["exposure", "background"]:
    """``"background"`` for a BackgroundList file, ``"exposure"`` for an Exposure/MaskedImage.

    A BackgroundList carries its ``BKGD_*``/``INTERPSTYLE`` keys in the first HDU, which
    holds data; an exposure has an IMAGE plane. Only headers are read.

    Raises
    ------
    FormatError
        Neither (e.g. a catalogue, or not FITS at all).
    """
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


def open_product(path: str | os.PathLike) -> SkyImage | BackgroundModel:
    """Read ``path`` with :func:`read_background` or :func:`read_exposure`, whichever fits."""
    if detect_kind(path) == "background":
        return read_background(path)
    return read_exposure(path)


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

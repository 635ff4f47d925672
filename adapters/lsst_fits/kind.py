"""Telling an afw BackgroundList file from an exposure by its header structure."""

from __future__ import annotations

import os
from typing import Literal

from ..container import BackgroundModel, SkyImage
from ..errors import FormatError
from .background import read_background
from .exposure import locate_planes, read_exposure
from .headers import looks_like_background
from .planes import checked_header, open_fits

__all__ = ["detect_kind", "open_product"]


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
    raise FormatError(path, "is neither an afw exposure (no 2-D image HDU) nor a BackgroundList "
                      "(no BKGD_WIDTH/INTERPSTYLE keys in the first HDU)")


def open_product(path: str | os.PathLike) -> SkyImage | BackgroundModel:
    """Read ``path`` with :func:`read_background` or :func:`read_exposure`, whichever fits."""
    if detect_kind(path) == "background":
        return read_background(path)
    return read_exposure(path)

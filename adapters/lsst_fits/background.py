"""afw BackgroundList FITS files (calexpBackground, *_background): read and write.

Layout (lsst-formats.md section 1): 3 plain image HDUs per entry (stats image in the
primary for entry 0, mask, "variance"), the entry's styles and bbox in HIERARCH keys
repeated in all three headers, mask planes as ``MP_`` keys on the mask HDU, no EXTNAME.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import IntEnum
from typing import Any

import numpy as np
from astropy.io import fits

from ..atomic import atomic_output
from ..container import BackgroundLayer, BackgroundModel, Provenance
from ..errors import FormatError
from ..geometry import BBox
from ..lsst_images.reader import is_lsst_images
from ..styles import ApproxStyle, InterpStyle, UndersampleStyle
from .headers import mask_plane_cards, read_mask_planes, set_card, xy0_cards
from .plain_scan import scan_plain_images
from .planes import (
    Plane,
    check_pixel_type,
    check_whole_blocks,
    count_hdus,
    open_fits,
    plane_at,
    read_plane,
)

__all__ = ["read_background", "write_background"]

_ROLES = ("image", "mask", "variance")
# Old files lack the APPROX* keys; afw readFits then uses these (lsst-formats.md 1.2).
_APPROX_DEFAULTS = {
    "APPROXSTYLE": int(ApproxStyle.UNKNOWN),
    "APPROXORDERX": 1,
    "APPROXORDERY": -1,
    "APPROXWEIGHTING": True,
}


def _key(path, header: fits.Header, index: int, key: str, kind: type, default: Any = None):
    """A header value of the right type, the documented default, or FormatError."""
    if key not in header:
        if default is not None:
            return default
        raise FormatError(path, f"required BackgroundList key {key} is missing", hdu=index, key=key)
    value = header[key]
    if kind is bool:
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok:
        expected = "a logical (T/F)" if kind is bool else "an integer"
        raise FormatError(path, f"{key} = {value!r} is not {expected}", hdu=index, key=key)
    return value


def _enum(path, header, index: int, key: str, enum: type[IntEnum], default: Any = None):
    value = _key(path, header, index, key, int, default)
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(f"{m.value} ({m.name})" for m in enum)
        raise FormatError(
            path, f"{key} = {value} is not a known value; afw defines {allowed}", hdu=index, key=key
        ) from None


def _entry(path, hdul: fits.HDUList, first: int) -> BackgroundLayer:
    planes: list[Plane] = []
    for offset, role in enumerate(_ROLES):
        index = first + offset
        plane = plane_at(path, hdul, index)
        if plane is None:
            raise FormatError(path, f"entry {first // 3} {role} HDU is not a 2-D image", hdu=index)
        if plane.compressed:
            raise FormatError(
                path,
                "BackgroundList planes are never tile-compressed (afw refuses "
                "to read them); decompress the file first",
                hdu=index,
            )
        check_pixel_type(path, plane, f"entry {first // 3} {role}", floats=True)
        if not planes and 0 in plane.shape:
            raise FormatError(
                path,
                f"entry {first // 3} stats image is {plane.shape[1]}x"
                f"{plane.shape[0]} bins; afw writes at least one bin",
                hdu=index,
                key="NAXIS2" if plane.shape[0] == 0 else "NAXIS1",
            )
        if planes and plane.shape != planes[0].shape:
            raise FormatError(
                path,
                f"entry {first // 3} {role} plane is {plane.shape[1]}x"
                f"{plane.shape[0]} but its stats image is {planes[0].shape[1]}x"
                f"{planes[0].shape[0]}",
                hdu=index,
                key="NAXIS1",
            )
        planes.append(plane)
    header = planes[0].header
    bbox = _bbox(path, header, first)
    values, mask, variance = (
        read_plane(path, plane, role) for plane, role in zip(planes, _ROLES, strict=True)
    )
    return BackgroundLayer(
        values=values,
        bbox=bbox,
        interp_style=_enum(path, header, first, "INTERPSTYLE", InterpStyle),
        undersample_style=_enum(path, header, first, "UNDERSAMPLESTYLE", UndersampleStyle),
        **_approx(path, header, first),
        variance=variance,
        mask=mask,
        mask_planes=read_mask_planes(planes[1].header),
    )


def read_background(path: str | os.PathLike) -> BackgroundModel:
    """Read an afw BackgroundList FITS file into a :class:`BackgroundModel`.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    FormatError
        Not FITS, truncated, HDU count not a multiple of 3, a required key missing
        (``BKGD_*``, ``INTERPSTYLE``, ``UNDERSAMPLESTYLE``), an unknown style value, a
        key of the wrong type, planes of different shapes or types.
    """
    path = os.fspath(path)
    if is_lsst_images(path):
        raise FormatError(
            path,
            "is a Rubin lsst-images (DP2) file: its backgrounds are a map of named models; "
            "read them with open_product (a background map file) or "
            "read_lsst_images_backgrounds (any DP2 file)",
        )
    plain = _read_plain(path)
    if plain is not None:
        return plain
    with open_fits(path) as hdul:
        count = count_hdus(path, hdul)
        if count == 0 or count % 3:
            raise FormatError(
                path,
                f"has {count} HDUs; a BackgroundList has 3 per entry "
                "(image, mask, variance). Is this an exposure? Use read_exposure",
            )
        layers = [_entry(path, hdul, first) for first in range(0, count, 3)]
        check_whole_blocks(path)
    try:
        return BackgroundModel(tuple(layers), provenance=Provenance(source=path, uri=path))
    except ValueError as exc:
        raise FormatError(path, f"entries do not form one background ({exc})") from None


def _read_plain(path: str) -> BackgroundModel | None:
    """The background of a plain BackgroundList scanned without astropy, or None to read it again.

    Only the layout afw writes is taken here (3 unscaled 2-D planes an entry, float image
    and variance, int32 mask, every key valid); any departure returns None, and
    :func:`read_background` then reads the file with astropy, whose checks name the fault.
    """
    scanned = scan_plain_images(path)
    if scanned is None:
        return None
    data, hdus = scanned
    if not hdus or len(hdus) % 3:
        return None
    layers = []
    for first in range(0, len(hdus), 3):
        image, mask, variance = hdus[first : first + 3]
        if {len(h.shape) for h in (image, mask, variance)} != {2} or 0 in image.shape:
            return None
        if not image.shape == mask.shape == variance.shape:
            return None
        if image.dtype.kind != "f" or variance.dtype.kind != "f" or mask.dtype != ">i4":
            return None
        if any("BSCALE" in h.header or "BZERO" in h.header for h in (image, mask, variance)):
            return None
        header = image.header
        try:
            layers.append(
                BackgroundLayer(
                    values=image.pixels(data).astype(np.float32),
                    bbox=_bbox(path, header, first),
                    interp_style=_enum(path, header, first, "INTERPSTYLE", InterpStyle),
                    undersample_style=_enum(
                        path, header, first, "UNDERSAMPLESTYLE", UndersampleStyle
                    ),
                    **_approx(path, header, first),
                    variance=variance.pixels(data).astype(np.float32),
                    mask=mask.pixels(data).astype(np.int32),
                    mask_planes=read_mask_planes(mask.header),
                )
            )
        except (FormatError, ValueError, OverflowError):
            return None
    try:
        return BackgroundModel(tuple(layers), provenance=Provenance(source=path, uri=path))
    except ValueError:  # entries that do not form one background: astropy's reading says so
        return None


def _bbox(path, header, first: int) -> BBox:
    """The image the entry's bins tile, from its BKGD_* keys (sizes must be positive)."""
    x0, y0, width, height = (
        _key(path, header, first, key, int)
        for key in ("BKGD_X0", "BKGD_Y0", "BKGD_WIDTH", "BKGD_HEIGHT")
    )
    for key, size in (("BKGD_WIDTH", width), ("BKGD_HEIGHT", height)):
        if size < 1:
            raise FormatError(path, f"{key} = {size} must be positive", hdu=first, key=key)
    return BBox(x0, y0, width, height)


def _approx(path, header, first: int) -> dict[str, Any]:
    """The entry's Chebyshev settings, old files' defaults where the keys are missing."""
    return {
        "approx_style": _enum(
            path, header, first, "APPROXSTYLE", ApproxStyle, _APPROX_DEFAULTS["APPROXSTYLE"]
        ),
        "approx_order_x": _key(
            path, header, first, "APPROXORDERX", int, _APPROX_DEFAULTS["APPROXORDERX"]
        ),
        "approx_order_y": _key(
            path, header, first, "APPROXORDERY", int, _APPROX_DEFAULTS["APPROXORDERY"]
        ),
        "approx_weighting": _key(
            path, header, first, "APPROXWEIGHTING", bool, _APPROX_DEFAULTS["APPROXWEIGHTING"]
        ),
    }


def _entry_header(layer: BackgroundLayer, mask_planes: Mapping[str, int] | None) -> fits.Header:
    order_y = layer.approx_order_y if layer.approx_order_y != -1 else layer.approx_order_x
    header = fits.Header()
    x0, y0, width, height = layer.bbox
    for key, value in (
        ("INTERPSTYLE", int(layer.interp_style)),
        ("UNDERSAMPLESTYLE", int(layer.undersample_style)),
        ("APPROXSTYLE", int(layer.approx_style)),
        ("APPROXORDERX", int(layer.approx_order_x)),
        # afw's ApproximateControl maps orderY = -1 to orderX before writing.
        ("APPROXORDERY", int(order_y)),
        ("APPROXWEIGHTING", bool(layer.approx_weighting)),
        ("BKGD_X0", x0),
        ("BKGD_Y0", y0),
        ("BKGD_WIDTH", width),
        ("BKGD_HEIGHT", height),
    ):
        set_card(header, key, value)
    for key, value, comment in mask_plane_cards(mask_planes or {}):
        set_card(header, key, value, comment)
    for key, value, comment in xy0_cards((0, 0)):
        header[key] = (value, comment)
    return header


def write_background(path: str | os.PathLike, bkg: BackgroundModel) -> None:
    """Write ``bkg`` as an afw BackgroundList FITS file (atomically: a complete file or none).

    Each layer becomes three plain HDUs (entry 0's stats image is the primary HDU), with
    the keys afw ``BackgroundList.writeFits`` writes, so afw and :func:`read_background`
    read it back exactly.
    """
    hdus: list[fits.PrimaryHDU | fits.ImageHDU] = []
    for layer in bkg.layers:
        if not isinstance(layer, BackgroundLayer):
            raise TypeError(
                "this is a DP2 (lsst-images) field background, not an afw BackgroundList; "
                "write it with write_lsst_images"
            )
        for role, data in (
            ("image", layer.values),
            ("mask", layer.mask),
            ("variance", layer.variance),
        ):
            header = _entry_header(layer, layer.mask_planes if role == "mask" else None)
            dtype = np.int32 if role == "mask" else np.float32
            data = np.asarray(data, dtype=dtype)
            cls = fits.PrimaryHDU if not hdus else fits.ImageHDU
            hdus.append(cls(data, header=header))
    with atomic_output(path) as tmp:
        fits.HDUList(hdus).writeto(tmp, overwrite=True, output_verify="exception")

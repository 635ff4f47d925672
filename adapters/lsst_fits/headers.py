"""afw header conventions: xy0 as the ``A`` linear WCS, ``MP_`` mask planes, sky WCS, units.

lsst-formats.md sections 1.6 and 7 describe what afw writes; these helpers read and
write exactly that, and sort cards into "exposure metadata" and "per-plane structure".
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

__all__ = [
    "BACKGROUND_KEYS",
    "MASK_PLANE_PREFIX",
    "looks_like_background",
    "mask_plane_cards",
    "merge_metadata",
    "metadata_cards",
    "read_mask_planes",
    "read_unit",
    "read_wcs",
    "read_xy0",
    "set_card",
    "unit_card",
    "wcs_cards",
    "xy0_cards",
]

MASK_PLANE_PREFIX = "MP_"
"""Mask HDU keys ``MP_<NAME> = bit`` name the mask planes."""

BACKGROUND_KEYS = ("BKGD_WIDTH", "BKGD_HEIGHT", "INTERPSTYLE")
"""Keys only a BackgroundList entry carries; their presence tells the file kind."""

# Cards that describe how one HDU stores its array, not the exposure: never metadata.
_STRUCTURAL = re.compile(
    r"^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|BZERO|BSCALE|BLANK|"
    r"CHECKSUM|DATASUM|INHERIT|EXTNAME|EXTTYPE|EXTVER|EXTLEVEL|THEAP|Z[A-Z]+\d*|"
    r"TFIELDS|TTYPE\d+|TFORM\d+)$"
)
# Cards the exposure writer regenerates per plane from wcs/xy0/mask_planes/unit; copying
# stale ones into the primary would contradict the fresh ones on the next read.
_PER_PLANE = re.compile(
    r"^((WCSAXES|CTYPE\d|CRPIX\d|CRVAL\d|CDELT\d|CUNIT\d|CD\d_\d|PC\d_\d|PV\d_\d+|PS\d_\d+|"
    r"CROTA\d|LONPOLE|LATPOLE|RADESYS|RADECSYS|EQUINOX|WCSNAME|CNAME\d|CRDER\d|CSYER\d|"
    r"MJDREF[IF]?|DATEREF)"
    r"[A-Z]?|(A|B|AP|BP)_(ORDER|DMAX|\d+_\d+)|LTV\d|LTM\d_\d|MP_.+|BUNIT)$"
)
_COMMENTARY = ("COMMENT", "HISTORY", "")
# astropy and cfitsio stamp every primary header with this citation; it is not metadata.
_FITS_CITATION = ("FITS (Flexible Image Transport System) format", "and Astrophysics', volume 376")


def looks_like_background(header: fits.Header) -> bool:
    """True if ``header`` is the first HDU of an afw BackgroundList entry."""
    return any(key in header for key in BACKGROUND_KEYS)


def set_card(header: fits.Header, key: str, value: Any, comment: str | None = None) -> None:
    """Set ``key``, using the HIERARCH convention for names longer than 8 characters.

    afw writes long names (``UNDERSAMPLESTYLE``, ``MP_DETECTED_NEGATIVE``) as HIERARCH
    cards; spelling the prefix out avoids astropy's warning for doing it implicitly.
    """
    name = f"HIERARCH {key}" if len(key) > 8 else key
    if key in header:
        header[key] = (value, comment) if comment else value
    else:
        header.append(fits.Card(name, value, comment), end=True)


def read_xy0(header: fits.Header) -> tuple[int, int]:
    """The parent-pixel origin afw stores as ``CRVAL1A/2A`` (only when ``CRPIX1A/2A`` are 1)."""
    try:
        if float(header["CRPIX1A"]) == 1 and float(header["CRPIX2A"]) == 1:
            return round(float(header["CRVAL1A"])), round(float(header["CRVAL2A"]))
    except (KeyError, TypeError, ValueError):
        pass  # afw: no usable trivial A-WCS means the origin is (0, 0)
    return 0, 0


def xy0_cards(xy0: tuple[int, int]) -> list[tuple[str, Any, str]]:
    """The ``A`` linear WCS cards afw writes to record ``xy0`` (lsst-formats.md section 1.6)."""
    x0, y0 = (float(v) for v in xy0)
    return [
        ("CRVAL1A", x0, "Column pixel of Reference Pixel"),
        ("CRVAL2A", y0, "Row pixel of Reference Pixel"),
        ("CRPIX1A", 1.0, "Column Pixel Coordinate of Reference"),
        ("CRPIX2A", 1.0, "Row Pixel Coordinate of Reference"),
        ("CTYPE1A", "LINEAR", "Type of projection"),
        ("CTYPE2A", "LINEAR", "Type of projection"),
        ("CUNIT1A", "PIXEL", "Column unit"),
        ("CUNIT2A", "PIXEL", "Row unit"),
    ]


def read_mask_planes(header: fits.Header) -> dict[str, int]:
    """``{name: bit}`` from the ``MP_<NAME>`` keys of a mask HDU header."""
    planes = {}
    for key in header.keys():  # keywords alone: a card's value is parsed only when asked for
        if key.startswith(MASK_PLANE_PREFIX):
            value = header[key]
            if isinstance(value, int | float):
                planes[key[len(MASK_PLANE_PREFIX) :]] = int(value)
    return planes


def mask_plane_cards(mask_planes: Mapping[str, int]) -> list[tuple[str, int, None]]:
    """``MP_<NAME>`` cards in alphabetical order, as afw writes them."""
    return [
        (f"{MASK_PLANE_PREFIX}{name}", int(bit), None) for name, bit in sorted(mask_planes.items())
    ]


def read_wcs(header: fits.Header, source: str = "image header") -> WCS | None:
    """The celestial FITS WCS (with SIP if present) of an image HDU, or None.

    Only the primary WCS description is considered: afw's ``A`` description is the
    linear xy0 mapping, never a sky WCS. The WCS maps 0-based array indices to the sky.
    A WCS that wcslib rejects is reported with a warning naming ``source`` and
    ignored: the pixels are still worth reading.
    """
    if "CTYPE1" not in header or "CTYPE2" not in header:
        return None
    with warnings.catch_warnings():
        # afw headers use RADECSYS and SIP-less CTYPEs with SIP keys; astropy fixes and warns.
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            wcs = WCS(header, key=" ", relax=True)
        except (ValueError, KeyError, MemoryError) as exc:
            bad = exc
        else:
            return wcs if wcs.has_celestial else None
    # wcslib prefixes its reason with the C source location: keep only the reason.
    reason = str(bad).strip().splitlines()[-1]
    warnings.warn(
        f"{source}: the FITS WCS cannot be used ({reason}); reading the image without a sky WCS",
        UserWarning,
        stacklevel=3,
    )
    return None


def _exact_card(card: fits.Card) -> fits.Card:
    """``card`` with a float value spelled to full double precision.

    astropy squeezes float values into 20 characters, which drops the last digit of
    SIP coefficients such as ``-3.35387405207007E-10``; afw (cfitsio) writes all 17
    significant digits, so a read-write round trip would otherwise change the WCS.
    """
    value = card.value
    if not isinstance(value, float) or not np.isfinite(value) or len(card.keyword) > 8:
        return card
    image = f"{card.keyword:<8}= {repr(float(value)).upper():>20}"
    if card.comment:
        image += f" / {card.comment}"
    return fits.Card.fromstring(image[:80])


def wcs_cards(wcs: WCS) -> list[fits.Card]:
    """The cards of ``wcs`` (SIP included) to write into an image HDU, floats exact."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        header = wcs.to_header(relax=True)
    return [_exact_card(card) for card in header.cards]


def read_unit(*headers: fits.Header) -> u.UnitBase | None:
    """The unit from the first of ``headers`` with a ``BUNIT`` card, or None.

    A unit astropy cannot parse comes back as :class:`astropy.units.UnrecognizedUnit`
    rather than failing the whole read.
    """
    for header in headers:
        text = header.get("BUNIT")
        if isinstance(text, str) and text.strip():
            for fmt in ("fits", "generic"):
                try:
                    return u.Unit(text.strip(), format=fmt)
                except ValueError:
                    continue
            return u.Unit(text.strip(), parse_strict="silent")
    return None


def unit_card(unit: Any) -> tuple[str, str, str]:
    """The ``BUNIT`` card for ``unit`` (FITS spelling where it has one)."""
    unit = u.Unit(unit)
    try:
        text = unit.to_string("fits")
    except ValueError:
        text = unit.to_string()
    return ("BUNIT", text, "physical units of the array values")


def metadata_cards(header: fits.Header, *, for_writing: bool = False) -> Iterable[fits.Card]:
    """The cards of ``header`` that are exposure metadata, not HDU structure.

    With ``for_writing`` the per-plane cards (WCS, xy0, LTV, MP_, BUNIT) are left out
    too: the exposure writer regenerates them from the image's own attributes.
    """
    for card in header.cards:
        key = card.keyword
        if _STRUCTURAL.match(key):
            continue
        if for_writing and _PER_PLANE.match(key):
            continue
        if key in _COMMENTARY and (
            not str(card.value).strip() or str(card.value).strip().startswith(_FITS_CITATION)
        ):
            continue
        yield card


def merge_metadata(*headers: fits.Header) -> fits.Header:
    """One header of the metadata cards of ``headers``; later headers win (afw ``INHERIT``)."""
    merged = fits.Header()
    for header in headers:
        for card in metadata_cards(header):
            if card.keyword in _COMMENTARY or card.keyword not in merged:
                merged.append(card, end=True)
            else:
                merged[card.keyword] = (card.value, card.comment)
    return merged

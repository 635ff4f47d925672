"""The unit of every component of a glue Data, and the one conversion all actions use.

Each Data this plugin makes records its components' units in ``meta["units"]`` (label ->
unit string; JSON, so sessions keep it) and which components are backgrounds in
``meta["background_components"]``. Restore, apply, difference and compare call
:func:`conversion` to bring an operand into the other's unit before combining: a background
through :func:`skybkg_adapters.background_conversion` (its image's photometric scaling,
pixel by pixel where it varies; the DP1 refusal), two images through a plain unit
conversion. Statistics state the unit :func:`component_unit` gives.
"""

from __future__ import annotations

from astropy import units as u
from glue.core import Data

from skybkg_adapters import (
    PhotometricScaling,
    UnitConversion,
    UnitMismatch,
    background_conversion,
    unit_conversion,
    unsaid_unit_is_instrumental,
)

from .products import sky_image

__all__ = [
    "attached_background_unit",
    "component_unit",
    "conversion",
    "is_background_component",
    "set_component_unit",
    "unit_text",
]

_UNITS = "units"
_BACKGROUNDS = "background_components"


def unit_text(unit: u.UnitBase | None) -> str | None:
    """A unit as the short string glue meta and statistics show (None stays None)."""
    return None if unit is None else unit.to_string()


def set_component_unit(
    data: Data, label: str, unit: u.UnitBase | str | None, *, background: bool = False
) -> None:
    """Record component ``label``'s unit (None: unknown) and whether it is a background."""
    units = dict(data.meta.get(_UNITS) or {})
    if unit is None:
        units.pop(label, None)
    else:
        units[label] = unit_text(u.Unit(unit))
    data.meta[_UNITS] = units
    if background:
        data.meta[_BACKGROUNDS] = sorted({*(data.meta.get(_BACKGROUNDS) or []), label})


def component_unit(data: Data, label: str) -> u.UnitBase | None:
    """The unit of component ``label`` of ``data`` (None when unknown)."""
    text = (data.meta.get(_UNITS) or {}).get(label)
    return None if text is None else u.Unit(text, parse_strict="silent")


def is_background_component(data: Data, label: str) -> bool:
    """Whether component ``label`` is a background (attached, named, or derived from them)."""
    return label in (data.meta.get(_BACKGROUNDS) or [])


def _scaling(data: Data) -> tuple[PhotometricScaling | None, bool]:
    """The photometric scaling of the image behind ``data`` and whether it is a visit image."""
    image = sky_image(data)
    if image is None:
        return None, bool(data.meta.get("visit_level"))
    return image.photometric_scaling, image.has_detector()


def attached_background_unit(
    data: Data, image_label: str, unit: u.UnitBase | None
) -> u.UnitBase | None:
    """The unit of a background attached to ``data`` (image ``image_label``), its own ``unit``.

    An afw background's file never says its unit: it is then its image's (a DP0.2 calexp's
    counts, a coadd's nJy), or instrumental and unnamed (None) on a DP1 visit image in nJy.
    """
    if unit is not None:
        return unit
    _, visit_level = _scaling(data)
    image_unit = component_unit(data, image_label)
    return None if unsaid_unit_is_instrumental(image_unit, visit_level=visit_level) else image_unit


def conversion(
    target: Data,
    target_label: str,
    source: Data,
    source_label: str,
    calibration: float | None = None,
) -> UnitConversion:
    """How component ``source_label`` of ``source`` becomes ``target_label``'s unit.

    A background is converted as :func:`skybkg_adapters.background_conversion` says, with
    the photometric scaling of the image it belongs to (``source``'s) or the user's
    ``calibration`` (flux per background unit, e.g. nJy per count; marked approximate).
    Anything else converts only where astropy can (nJy and uJy), never through a scaling.

    Raises
    ------
    UnitMismatch
        The operand cannot be put in the target's unit; the message says why and what to do.
    """
    target_unit = component_unit(target, target_label)
    source_unit = component_unit(source, source_label)
    if is_background_component(source, source_label) and not is_background_component(
        target, target_label
    ):
        scaling, visit_level = _scaling(source)
        return background_conversion(
            target_unit, source_unit, scaling, visit_level=visit_level, calibration=calibration
        )
    if calibration is not None:
        raise UnitMismatch(
            f"a calibration converts a background into its image's unit; {source_label!r} of "
            f"{source.label!r} is not a background"
        )
    return unit_conversion(
        source_unit,
        target_unit,
        why_no_scaling=f"{source_label!r} and {target_label!r} are not a background and its image",
    )

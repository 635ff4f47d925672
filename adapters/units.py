"""Photometric scalings and converting a background into its image's unit.

A :class:`PhotometricScaling` is a calibration ``c(x, y)`` from an instrumental unit (counts,
electrons) to a flux unit (nJy): afw's ``PhotoCalib`` (nJy per count), lsst-images'
``photometric_scaling`` field (nJy per electron), a ``visit_summary`` row, or a factor the
user gives. :func:`background_conversion` is the one rule, used by every action that combines
a background with an image (restore, apply, difference, compare), for how a background's
values become values in the image's unit:

1. The same unit (or convertible by astropy, nJy vs uJy): a constant factor.
2. Instrumental background, calibrated image: times the scaling (pixel by pixel where it
   varies), as lsst-images' ``VisitImage.convert_unit`` does; or divided by it the other way.
3. A background whose unit the file does not say (afw BackgroundList files never do): in the
   image's unit when the image is not calibrated (a DP0.2 calexp in counts) or is a coadd
   (afw coadd backgrounds are fit on the nJy coadd, docs/lsst-formats.md section 6); in
   instrumental units when a calibrated image is a visit image (it has a detector):
   DP1 ``visit_image_background`` is in counts while ``visit_image`` is in nJy.
4. A calibrated visit image whose only calibration is the identity (DP1: the PhotoCalib
   attached to ``visit_image`` is 1.0 once the pixels are in nJy; the real one is in
   ``visit_summary``) cannot convert instrumental values: :class:`UnitMismatch`, saying why
   and what to give, never a silent sum.

A user-given factor (``calibration=1.99``) always wins and is marked approximate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy import units as u
from numpy.typing import ArrayLike, DTypeLike

from .errors import UnitMismatch
from .geometry import BBox

__all__ = [
    "INSTRUMENTAL_UNITS",
    "PhotometricScaling",
    "UnitConversion",
    "background_conversion",
    "is_flux_unit",
    "unit_conversion",
    "unsaid_unit_is_instrumental",
]

INSTRUMENTAL_UNITS = (u.count, u.electron, u.adu, u.photon)
"""Units of uncalibrated pixels: what a photometric scaling turns into flux."""


def is_flux_unit(unit: u.UnitBase | None) -> bool:
    """Whether ``unit`` is a flux density (nJy and friends)."""
    return unit is not None and unit.is_equivalent(u.nJy)


@dataclass(frozen=True, eq=False)
class PhotometricScaling:
    """A calibration from an instrumental unit to flux: ``flux = instrumental * c(x, y)``.

    ``unit`` is flux per instrumental unit (``nJy / electron``, ``nJy / ct``). The value is
    ``constant`` everywhere, or ``field(x, y)`` at parent pixel positions: any object with
    ``evaluate(x, y)`` (afw PhotoCalib, BoundedField) and, for an exact render, ``render(bbox,
    dtype=...)`` (an lsst-images field). ``origin`` says where it came from, in words;
    ``approximate`` marks a factor that does not come from the data's own calibration.
    """

    unit: u.UnitBase
    constant: float | None = None
    field: Any = None
    origin: str = ""
    approximate: bool = False

    def __post_init__(self) -> None:
        if (self.constant is None) == (self.field is None):
            raise ValueError("a photometric scaling is a constant or a field, exactly one")
        object.__setattr__(self, "unit", u.Unit(self.unit))
        if self.constant is not None:
            value = float(self.constant)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"a photometric scaling must be a positive number; got {value}")
            object.__setattr__(self, "constant", value)

    @classmethod
    def from_factor(
        cls, factor: float, unit: u.UnitBase | str, origin: str, *, approximate: bool = False
    ) -> PhotometricScaling:
        """A constant scaling (a number the user or a catalog gives)."""
        return cls(u.Unit(unit), constant=float(factor), origin=origin, approximate=approximate)

    @property
    def is_identity(self) -> bool:
        """Whether the scaling is exactly 1 everywhere (the DP1 visit_image PhotoCalib)."""
        return self.constant == 1.0

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """``c`` at parent pixel positions ``(x, y)``, broadcast, float64."""
        if self.constant is not None:
            return np.full(np.broadcast_shapes(np.shape(x), np.shape(y)), self.constant)
        return np.asarray(self.field.evaluate(x, y), dtype=np.float64)

    def render(self, bbox: BBox | Iterable[int], dtype: DTypeLike = np.float32) -> np.ndarray:
        """``c`` over the pixels of ``bbox`` (parent pixels), shape ``(height, width)``."""
        box = BBox.coerce(bbox)
        if self.constant is not None:
            return np.full(box.shape, self.constant, dtype=dtype)
        if hasattr(self.field, "render"):
            return np.asarray(self.field.render(box, dtype=dtype))
        x = np.arange(box.x0, box.x1, dtype=np.float64)[None, :]
        y = np.arange(box.y0, box.y1, dtype=np.float64)[:, None]
        return self.field.evaluate(x, y).astype(dtype)

    def describe(self) -> str:
        """In words: the value (if constant), the unit and where it came from."""
        value = "varying" if self.constant is None else f"{self.constant:.6g}"
        text = f"{value} {self.unit.to_string()}"
        if self.origin:
            text += f" ({self.origin})"
        return text + (", approximate" if self.approximate else "")


@dataclass(frozen=True, eq=False)
class UnitConversion:
    """Values in ``source`` become values in ``target``: times ``factor``, times/÷ a scaling.

    ``scaling`` None means a constant factor only. ``note`` says, for a layer name or a
    message, what was assumed or applied (empty when nothing was).
    """

    source: u.UnitBase | None
    target: u.UnitBase | None
    factor: float = 1.0
    scaling: PhotometricScaling | None = None
    divide: bool = False
    note: str = ""

    @property
    def is_identity(self) -> bool:
        """Whether values pass through unchanged."""
        return self.factor == 1.0 and self.scaling is None

    @property
    def approximate(self) -> bool:
        """Whether the conversion uses a factor that is not the data's own calibration."""
        return self.scaling is not None and self.scaling.approximate

    def apply(self, values: np.ndarray, bbox: BBox | Iterable[int]) -> np.ndarray:
        """``values`` (covering ``bbox``, parent pixels) in the target unit, a new array.

        The input is never modified; the result has the input's float dtype.
        """
        values = np.asarray(values)
        dtype = values.dtype if values.dtype.kind == "f" else np.dtype(np.float32)
        out = np.array(values, dtype=dtype, copy=True)
        if self.factor != 1.0:
            out *= dtype.type(self.factor)
        if self.scaling is not None:
            scale = self.scaling.render(bbox, dtype=dtype)
            if self.divide:
                out /= scale
            else:
                out *= scale
        return out


def _ratio(source: u.UnitBase, target: u.UnitBase) -> float | None:
    try:
        return float(source.to(target))
    except u.UnitConversionError:
        return None


def unit_conversion(
    source: u.UnitBase | None,
    target: u.UnitBase | None,
    scaling: PhotometricScaling | None = None,
    *,
    why_no_scaling: str = "",
) -> UnitConversion:
    """How values in ``source`` become ``target``: directly, times or divided by ``scaling``.

    lsst-images' rule (``VisitImage.convert_unit``): a direct astropy conversion, else
    ``source * scaling.unit``, else ``source / scaling.unit``. Either unit None means
    "as it is". An identity scaling that would bridge instrumental and flux units counts as
    no scaling (see the module docstring, rule 4).

    Raises
    ------
    UnitMismatch
        No path; the message names both units and ``why_no_scaling``.
    """
    if source is None or target is None:
        return UnitConversion(source, target)
    direct = _ratio(source, target)
    if direct is not None:
        return UnitConversion(source, target, direct)
    if scaling is not None and not (scaling.is_identity and not scaling.approximate):
        times = _ratio(source * scaling.unit, target)
        if times is not None:
            return UnitConversion(source, target, times, scaling, note=_note(scaling))
        over = _ratio(source / scaling.unit, target)
        if over is not None:
            return UnitConversion(source, target, over, scaling, divide=True, note=_note(scaling))
    reason = why_no_scaling or (
        "no photometric scaling is known"
        if scaling is None
        else f"the photometric scaling ({scaling.describe()}) links neither way"
    )
    why = f"cannot convert {source} into {target}: {reason}."
    raise UnitMismatch(
        f"{why} Give the calibration as a factor ({target} per {source}), e.g. "
        "calibration=1.99; the result is then labelled approximate.",
        reason=why,
    )


def _note(scaling: PhotometricScaling) -> str:
    if scaling.approximate:
        return f"×{scaling.describe()}"
    return f"× photometric scaling ({scaling.origin or scaling.unit.to_string()})"


def unsaid_unit_is_instrumental(image_unit: u.UnitBase | None, *, visit_level: bool) -> bool:
    """Whether a background whose file does not say its unit is instrumental (rule 3).

    True on a visit image in a flux unit (DP1's counts background of an nJy image, in a
    unit no file names); otherwise the background is in its image's unit.
    """
    return is_flux_unit(image_unit) and visit_level


def background_conversion(
    image_unit: u.UnitBase | None,
    background_unit: u.UnitBase | None,
    scaling: PhotometricScaling | None,
    *,
    visit_level: bool,
    calibration: float | PhotometricScaling | None = None,
) -> UnitConversion:
    """How a background's values become values in its image's unit (module docstring rules).

    Parameters
    ----------
    image_unit, background_unit
        The units; None when the file does not say.
    scaling
        The image's photometric scaling (instrumental -> flux), or None.
    visit_level
        Whether the image is a visit image (it has a detector), not a coadd.
    calibration
        A calibration given by the user (flux per background unit, e.g. nJy per count), or
        a scaling found elsewhere (a ``visit_summary`` row): used instead of ``scaling``.

    Raises
    ------
    UnitMismatch
        The background cannot be put in the image's unit; the message says why and how to
        give a calibration.
    """
    if isinstance(calibration, int | float):
        calibration = PhotometricScaling.from_factor(
            calibration,
            (image_unit or u.nJy) / (background_unit or u.count),
            "given by the user",
            approximate=True,
        )
    if calibration is not None:
        scaling = calibration
    if background_unit is None:
        if not unsaid_unit_is_instrumental(image_unit, visit_level=visit_level):
            return UnitConversion(None, image_unit)
        if calibration is None and (scaling is None or scaling.is_identity):
            raise UnitMismatch(*_refusal(image_unit, scaling))
        assert scaling is not None  # a calibration, or a real (non-identity) scaling
        return UnitConversion(None, image_unit, 1.0, scaling, note=_note(scaling))
    if (
        calibration is None
        and is_flux_unit(image_unit)
        and not is_flux_unit(background_unit)
        and (scaling is None or scaling.is_identity)
    ):
        raise UnitMismatch(*_refusal(image_unit, scaling, background_unit))
    return unit_conversion(background_unit, image_unit, scaling)


def _refusal(
    image_unit: u.UnitBase | None,
    scaling: PhotometricScaling | None,
    background_unit: u.UnitBase | None = None,
) -> tuple[str, str]:
    """The refusal's message (with what to do, in Python's words) and its reason alone."""
    given = f"in {background_unit}" if background_unit is not None else "in instrumental units"
    factor = (
        "give the calibration as a factor (nJy per count), e.g. calibration=1.99; the result "
        "is then labelled approximate."
    )
    if scaling is not None and scaling.is_identity:
        why = (
            "its attached calibration is the identity (DP1 visit images carry PhotoCalib = 1 "
            "once their pixels are in nJy; the real calibration is in the visit_summary "
            "dataset)"
        )
        advice = (
            "Fetch the image from a Butler that has its visit_summary (the calibration is "
            f"then read from the detector's row), or {factor}"
        )
    else:
        why = "the image carries no photometric scaling"
        advice = factor[0].upper() + factor[1:]
    reason = (
        f"the image is in {image_unit} but its background is {given}, and {why}. Adding them "
        "would be wrong by the photometric calibration"
    )
    return f"{reason}, so nothing was added. {advice}", f"{reason}."

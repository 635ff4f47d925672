"""The photometric calibration of an afw Exposure: instFlux (counts) to nJy.

See docs/lsst-formats.md section 11.3. Three on-disk forms are read:

* ``EXPINFO_V`` 1 and 2: the archive class ``PhotoCalib`` named by ``PHOTOCALIB_ID``;
* ``EXPINFO_V`` 0 or absent: the primary cards ``FLUXMAG0`` / ``FLUXMAG0ERR``;
* the old archive class ``Calib`` (columns ``fluxmag0``, ``fluxmag0.err``), e.g. nested in
  old CoaddInputs, via :func:`photocalib_object`.

The two old forms convert as afw does: ``c = referenceFlux / FLUXMAG0`` and
``err = referenceFlux * FLUXMAG0ERR / FLUXMAG0**2`` with ``referenceFlux`` = AB magnitude 0
in nJy. ``FLUXMAG0 = 0`` was the old ``Calib``'s "not calibrated" and reads as no calibration.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ...errors import FormatError
from .boundedfields import BoundedField, read_bounded_field
from .reader import Archive, as_archive

__all__ = ["REFERENCE_FLUX_NJY", "PhotoCalib", "photocalib_object", "read_photocalib"]

REFERENCE_FLUX_NJY = 3630780547701.0024
"""The flux of an AB magnitude 0 source in nJy: 10**23 * 10**(-48.6 / 2.5) * 10**9."""

_PHOTOCALIB_VERSION = 1


@dataclass(frozen=True, eq=False)
class PhotoCalib:
    """A calibration ``c(x, y)`` in nJy per image count: ``flux[nJy] = instFlux * c``.

    ``mean`` is afw's ``calibrationMean`` and ``error`` its ``calibrationErr`` (nJy/count).
    With ``is_constant`` the calibration is ``mean`` everywhere; otherwise it is ``field``
    itself (not a factor times ``mean``, which is then only a summary). ``origin`` says which
    on-disk form it came from: ``'PhotoCalib'``, ``'Calib'`` or ``'FLUXMAG0'``.
    """

    mean: float
    error: float
    is_constant: bool
    field: BoundedField | None = None
    origin: str = "PhotoCalib"

    def __post_init__(self) -> None:
        if not self.is_constant and self.field is None:
            raise ValueError("a spatially varying PhotoCalib needs its BoundedField")

    @classmethod
    def from_fluxmag0(
        cls, fluxmag0: float, fluxmag0_err: float = 0.0, origin: str = "FLUXMAG0"
    ) -> PhotoCalib:
        """The constant calibration of the old zero point ``FLUXMAG0`` (counts of mag 0)."""
        if not (math.isfinite(fluxmag0) and fluxmag0 > 0):
            raise ValueError(f"FLUXMAG0 must be a positive number of counts; got {fluxmag0!r}")
        return cls(
            REFERENCE_FLUX_NJY / fluxmag0,
            REFERENCE_FLUX_NJY * fluxmag0_err / fluxmag0**2,
            True,
            None,
            origin,
        )

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """``c`` in nJy/count at parent pixel coordinates ``(x, y)``, broadcast, float64.

        A constant calibration never evaluates its stored field: afw stores an empty-bbox
        field there, which would give NaN.
        """
        if self.is_constant or self.field is None:
            return np.full(np.broadcast_shapes(np.shape(x), np.shape(y)), self.mean)
        return self.field.evaluate(x, y)


def read_photocalib(source: Archive | str | os.PathLike) -> PhotoCalib | None:
    """The Exposure's calibration, or None if it has none (or ``FLUXMAG0 = 0``).

    ``source`` is an afw Exposure file or its :class:`~skybkg_adapters.lsst_fits.archive.Archive`.
    """
    archive = as_archive(source)
    if archive.expinfo_version == 0:
        return _from_primary(archive)
    object_id = archive.components.get("PHOTOCALIB")
    return None if object_id is None else photocalib_object(archive, object_id)


def photocalib_object(archive: Archive, object_id: int) -> PhotoCalib | None:
    """The ``PhotoCalib`` (or old ``Calib``) with archive id ``object_id``; None for id 0."""
    obj = archive.get(object_id)
    if obj is None:
        return None
    obj.expect("PhotoCalib", "Calib")
    row = obj.row()
    if obj.name == "Calib":
        return _from_fluxmag0(
            archive.path,
            {"fluxmag0": row.require("fluxmag0"), "fluxmag0.err": row.require("fluxmag0.err")},
            "Calib",
            row.hdu,
        )
    if "version" not in row:
        raise FormatError(
            archive.path,
            f"PhotoCalib {object_id} has no version column: it is "
            "the pre-2018 'maggies' calibration, which afw no longer reads",
            hdu=row.hdu,
            key="version",
        )
    if row["version"] != _PHOTOCALIB_VERSION:
        raise FormatError(
            archive.path,
            f"PhotoCalib {object_id} has version {row['version']}; "
            f"this reader (like afw) knows version {_PHOTOCALIB_VERSION}",
            hdu=row.hdu,
            key="version",
        )
    mean, error = float(row.require("calibrationMean")), float(row.require("calibrationErr"))
    if row.require("isConstant"):
        return PhotoCalib(mean, error, True)
    field_id = row.require("field")
    if field_id == 0:
        raise FormatError(
            archive.path,
            f"PhotoCalib {object_id} varies over the image but its field reference is null",
            hdu=row.hdu,
            key="field",
        )
    return PhotoCalib(mean, error, False, read_bounded_field(archive, field_id))


def _from_primary(archive: Archive) -> PhotoCalib | None:
    header = archive.primary
    if "FLUXMAG0" not in header:
        return None
    return _from_fluxmag0(
        archive.path,
        {"FLUXMAG0": header["FLUXMAG0"], "FLUXMAG0ERR": header.get("FLUXMAG0ERR", 0.0)},
        "FLUXMAG0",
        0,
    )


def _from_fluxmag0(path, values: dict[str, object], origin: str, hdu: int) -> PhotoCalib | None:
    """``values`` maps the zero-point card or column, then its error's, to their values."""
    for name, value in values.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and value >= 0)
        ):
            raise FormatError(
                path,
                f"{name} = {value!r} is not a non-negative number of counts",
                hdu=hdu,
                key=name,
            )
    fluxmag0, fluxmag0_err = (float(v) for v in values.values())  # type: ignore[arg-type]
    if fluxmag0 == 0:
        return None
    return PhotoCalib.from_fluxmag0(fluxmag0, fluxmag0_err, origin)

"""The afw Detector archive row (versions 0, 1 and 2 of its layout) and its focal-plane geometry.

See docs/lsst-formats.md section 11.5; the geometry itself is
:class:`skybkg_adapters.focal_plane.DetectorGeometry`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ...errors import FormatError
from ...focal_plane import DetectorGeometry
from ...geometry import BBox
from .reader import Archive, as_archive

__all__ = ["DETECTOR_TYPES", "DetectorRecord", "detector_record", "read_detector"]

DETECTOR_TYPES = ("SCIENCE", "FOCUS", "GUIDER", "WAVEFRONT")
"""afw ``DetectorType`` names, indexed by the persisted ``type`` integer."""


@dataclass(frozen=True)
class DetectorRecord:
    """The ``Detector`` row of an afw archive (versions 0, 1 and 2 of its layout).

    Version 0 lacks ``physicalType`` (then ``''``); versions 0 and 1 lack ``fpPosition_z``
    (then 0.0). Angles are radians, lengths mm, ``ref_point`` pixels.
    """

    name: str
    id: int
    type: str
    serial: str
    bbox: BBox
    pixel_size: tuple[float, float]
    fp_position: tuple[float, float, float]
    ref_point: tuple[float, float]
    yaw: float
    pitch: float
    roll: float
    physical_type: str
    version: int
    transform_map_id: int

    def geometry(self) -> DetectorGeometry:
        """The PIXELS -> FOCAL_PLANE affine afw builds from this row's Orientation."""
        return DetectorGeometry.from_orientation(
            self.name,
            self.id,
            self.bbox,
            self.pixel_size,
            self.fp_position[:2],
            self.ref_point,
            self.yaw,
            self.pitch,
            self.roll,
            self.physical_type,
        )


def read_detector(source: Archive | str | os.PathLike) -> DetectorRecord | None:
    """The Exposure's Detector row, or None if it has no Detector component."""
    archive = as_archive(source)
    object_id = archive.components.get("DETECTOR")
    return None if object_id is None else detector_record(archive, object_id)


def detector_record(archive: Archive, object_id: int) -> DetectorRecord:
    """The Detector with archive id ``object_id`` (its first catalog; amplifiers not read)."""
    obj = archive.get(object_id)
    if obj is None:
        raise FormatError(
            archive.path, "the Detector reference is null (id 0)", hdu=archive.index_hdu
        )
    obj.expect("Detector")
    row = obj.row(0)
    version = row["version"] if "version" in row else (1 if "physicalType" in row else 0)
    if version not in (0, 1, 2):
        raise FormatError(
            archive.path,
            f"Detector {object_id} has layout version {version}; this reader knows 0 to 2",
            hdu=row.hdu,
            key="version",
        )
    kind = row.require("type")
    if not 0 <= kind < len(DETECTOR_TYPES):
        raise FormatError(
            archive.path,
            f"Detector {object_id} has type {kind}; afw knows "
            f"0 to {len(DETECTOR_TYPES) - 1} ({', '.join(DETECTOR_TYPES)})",
            hdu=row.hdu,
            key="type",
        )
    return DetectorRecord(
        name=row.require("name"),
        id=row.require("id"),
        type=DETECTOR_TYPES[kind],
        serial=row.require("serial"),
        bbox=BBox.from_inclusive(
            *(row.require(f"bbox_{c}") for c in ("min_x", "min_y", "max_x", "max_y"))
        ),
        pixel_size=(row.require("pixelSize_x"), row.require("pixelSize_y")),
        fp_position=(
            row.require("fpPosition_x"),
            row.require("fpPosition_y"),
            row.require("fpPosition_z") if version >= 2 else 0.0,
        ),
        ref_point=(row.require("refPoint_x"), row.require("refPoint_y")),
        yaw=row.require("yaw"),
        pitch=row.require("pitch"),
        roll=row.require("roll"),
        physical_type=row.require("physicalType") if version >= 1 else "",
        version=version,
        transform_map_id=row.require("transformMap"),
    )

"""The built-in NOMINAL LSSTCam science focal plane: 189 :class:`DetectorGeometry` records.

The numbers live in ``data/lsstcam_nominal.ecsv`` (made by :mod:`._nominal`; its header names
the public sources and states the conventions). In short, in afw's
FOCAL_PLANE (mm): raft ``Rrc`` is centred at ``((c - 2) 127, (r - 2) 127)``, sensor ``Src``
``((c - 1) 42.25, (r - 1) 42.25)`` from its raft centre, pixel axes parallel to the focal
plane, refPoint at the detector's pixel centre; R22_S11 is at the origin, R21_S11 (id 85)
at (-127, 0). Nominal means ideal: real detectors sit up to ~0.6 mm (60 pixels) and a few
mrad away from this; for a real image, use the Detector stored with it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import FormatError
from ..geometry import BBox
from .geometry import DetectorGeometry

__all__ = ["COLUMNS", "LSSTCAM_LAYOUT_FILE", "load_lsstcam_layout", "lsstcam_detector"]

LSSTCAM_LAYOUT_FILE = Path(str(resources.files(__package__) / "data" / "lsstcam_nominal.ecsv"))
"""The data file the layout is read from."""

_COUNT = 189
COLUMNS = (
    "id",
    "name",
    "physical_type",
    "bbox_x0",
    "bbox_y0",
    "bbox_width",
    "bbox_height",
    "pixel_size",
    "fp_x",
    "fp_y",
    "ref_x",
    "ref_y",
    "yaw",
    "pitch",
    "roll",
)
"""The layout file's columns, in order (the generator writes these, the loader needs them)."""


@cache
def load_lsstcam_layout() -> tuple[DetectorGeometry, ...]:
    """Every nominal LSSTCam science detector, indexed by detector id (0-188)."""
    return _read_layout(LSSTCAM_LAYOUT_FILE)


def lsstcam_detector(key: int | str) -> DetectorGeometry:
    """The nominal geometry of one detector, by id (``94``) or name (``'R22_S11'``)."""
    layout = load_lsstcam_layout()
    if isinstance(key, str):
        for geometry in layout:
            if geometry.name == key:
                return geometry
        raise KeyError(
            f"no LSSTCam science detector named {key!r}; names are like "
            "'R22_S11' (rafts R01-R43 without the corners, sensors S00-S22)"
        )
    if not 0 <= key < len(layout):
        raise KeyError(f"no LSSTCam science detector {key!r}; ids are 0 to {len(layout) - 1}")
    return layout[key]


def _read_layout(path: Path) -> tuple[DetectorGeometry, ...]:
    # astropy.table costs ~0.3 s to import: paid when a layout is first needed, not by
    # ``import skybkg_adapters`` (detector names come from here)
    from astropy import units as u
    from astropy.table import Table

    table = Table.read(path, format="ascii.ecsv")
    missing = [name for name in COLUMNS if name not in table.colnames]
    if missing:
        raise FormatError(
            path,
            f"layout table lacks columns {missing}; regenerate it with "
            "python -m skybkg_adapters.focal_plane._nominal",
        )
    if list(table["id"]) != list(range(_COUNT)):
        raise FormatError(
            path,
            f"layout table must list detector ids 0 to {_COUNT - 1} in "
            "order; regenerate it with python -m skybkg_adapters.focal_plane._nominal",
            key="id",
        )
    mm = {name: table[name].quantity.to_value(u.mm) for name in ("pixel_size", "fp_x", "fp_y")}
    rad = {name: table[name].quantity.to_value(u.rad) for name in ("yaw", "pitch", "roll")}
    return tuple(
        DetectorGeometry.from_orientation(
            str(row["name"]),
            int(row["id"]),
            BBox(
                int(row["bbox_x0"]),
                int(row["bbox_y0"]),
                int(row["bbox_width"]),
                int(row["bbox_height"]),
            ),
            (mm["pixel_size"][i], mm["pixel_size"][i]),
            (mm["fp_x"][i], mm["fp_y"][i]),
            (float(row["ref_x"]), float(row["ref_y"])),
            rad["yaw"][i],
            rad["pitch"][i],
            rad["roll"][i],
            physical_type=str(row["physical_type"]),
        )
        for i, row in enumerate(table)
    )

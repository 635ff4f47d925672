"""Write ``data/lsstcam_nominal.ecsv``: the NOMINAL LSSTCam science focal plane.

Usage::

    python -m skybkg_adapters.focal_plane._nominal [OUTPUT]

The data file is what the package reads (:mod:`.lsstcam`); this module is how
it was made, kept so the numbers can be audited and regenerated. The rules are public facts,
written here from the sources listed in ``SOURCES``; no camera-description file is copied.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import Table

from .lsstcam import COLUMNS

OUTPUT = Path(__file__).resolve().parent / "data" / "lsstcam_nominal.ecsv"

RAFT_PITCH_MM = 127.0
SENSOR_PITCH_MM = 42.25
PIXEL_SIZE_MM = 0.010
SCIENCE_RAFTS = (
    "R01",
    "R02",
    "R03",
    "R10",
    "R11",
    "R12",
    "R13",
    "R14",
    "R20",
    "R21",
    "R22",
    "R23",
    "R24",
    "R30",
    "R31",
    "R32",
    "R33",
    "R34",
    "R41",
    "R42",
    "R43",
)
ITL_RAFTS = frozenset({"R01", "R02", "R03", "R10", "R20", "R41", "R42", "R43"})
SENSOR_PIXELS = {"ITL": (4072, 4000), "E2V": (4096, 4004)}
"""Sensor kind -> (width, height) in pixels of the assembled, trimmed detector."""

SOURCES = [
    "Rubin DP2 tutorial notebook 101 'LSSTCam focal plane geometry' (dp2.lsst.io, after "
    "Plazas Malagon et al. 2025, CTN-001): 189 science CCDs in 21 rafts of 3x3, one vendor "
    "(ITL or e2v) per raft.",
    "LSE-349 (lse-349.lsst.io) and RFC-571: the DM focal plane (data visualization "
    "coordinates) is the camera engineering frame transposed, so the first digit of Rrc/Src "
    "counts along y and the second along x.",
    "obs_lsst documentation 'Adding a new camera' (pipelines.lsst.io): R00 is bottom left and "
    "R04 bottom right in cameraGeomUtils.plotFocalPlane.",
    "obs_lsst policy/cameraHeader.yaml (public): E2V bbox (0,0)-(4095,4003), ITL (0,0)-(4071,"
    "3999), pixelSize 0.010 mm, CCD yaw/pitch/roll 0; policy/rafts.yaml: science rafts "
    "R01..R43 with ids 9 per raft in this order, no science-raft yaw.",
    "obs_lsst policy/lsstCamSim (nominal simulated LSSTCam), as tabulated publicly by "
    "m4opt (missions/_lsst/data/lsst_science_detectors.csv): raft pitch 127.0 mm, sensor "
    "pitch 42.25 mm, ITL rafts R01 R02 R03 R10 R20 R41 R42 R43, all others E2V.",
    "lsst-images sample detector (shared/realdata/lsst_images/detector_source.json): "
    "R21_S11, id 85, E2V, focal_plane (-127.0, 0.0) mm, pixel_reference (2047.5, 2001.5), "
    "yaw = pitch = roll = 0.",
]
CONVENTIONS = [
    "FOCAL_PLANE (afw/DM, mm): raft Rrc has centre x = (c - 2) * 127.0, y = (r - 2) * 127.0; "
    "sensor Src sits at the raft centre + ((c - 1) * 42.25, (r - 1) * 42.25).",
    "Detector id = 9 * (raft index in the order above) + 3 * sensor row + sensor column.",
    "Pixel axes are parallel to the focal-plane axes (yaw = pitch = roll = 0 for every "
    "science detector: nominal; the real LSSTCam has measured offsets of up to ~0.6 mm and "
    "small rotations, which are NOT in this file).",
    "refPoint (ref_x, ref_y) = the pixel centre of the detector ((width-1)/2, (height-1)/2); "
    "fp_x, fp_y = where refPoint lands (afw Orientation fpPosition). obs_lsst's ITL refpos is "
    "(2036.5, 2000.5), one pixel beyond the centre; this file uses the centre.",
    "bbox: x0, y0, width, height in pixels (afw Box2I min = x0, y0; max = x0 + width - 1).",
]


def build_layout() -> Table:
    """The 189 science detectors as a table, id order, with the provenance as metadata."""
    rows = []
    for raft_index, raft in enumerate(SCIENCE_RAFTS):
        raft_row, raft_col = int(raft[1]), int(raft[2])
        kind = "ITL" if raft in ITL_RAFTS else "E2V"
        width, height = SENSOR_PIXELS[kind]
        for sensor_row in range(3):
            for sensor_col in range(3):
                rows.append(
                    (
                        9 * raft_index + 3 * sensor_row + sensor_col,
                        f"{raft}_S{sensor_row}{sensor_col}",
                        kind,
                        0,
                        0,
                        width,
                        height,
                        PIXEL_SIZE_MM,
                        (raft_col - 2) * RAFT_PITCH_MM + (sensor_col - 1) * SENSOR_PITCH_MM,
                        (raft_row - 2) * RAFT_PITCH_MM + (sensor_row - 1) * SENSOR_PITCH_MM,
                        (width - 1) / 2.0,
                        (height - 1) / 2.0,
                        0.0,
                        0.0,
                        0.0,
                    )
                )
    table = Table(
        rows=rows,
        names=COLUMNS,
        dtype=(
            np.int32,
            str,
            str,
            np.int32,
            np.int32,
            np.int32,
            np.int32,
            np.float64,
            np.float64,
            np.float64,
            np.float64,
            np.float64,
            np.float64,
            np.float64,
            np.float64,
        ),
    )
    for name, unit in (
        ("pixel_size", u.mm),
        ("fp_x", u.mm),
        ("fp_y", u.mm),
        ("ref_x", u.pix),
        ("ref_y", u.pix),
        ("yaw", u.rad),
        ("pitch", u.rad),
        ("roll", u.rad),
    ):
        table[name].unit = unit
    table.meta["description"] = (
        "NOMINAL LSSTCam science focal plane (21 rafts x 9 CCDs), "
        "for glue-skybkg; written by python -m skybkg_adapters.focal_plane._nominal"
    )
    table.meta["sources"] = SOURCES
    table.meta["conventions"] = CONVENTIONS
    return table


def main(argv: list[str] | None = None) -> int:
    """Write the layout to ``argv[0]`` (default: the package's data file)."""
    argv = sys.argv[1:] if argv is None else argv
    output = Path(argv[0]) if argv else OUTPUT
    build_layout().write(output, format="ascii.ecsv", overwrite=True)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""DP1-style afw products for the unit tests: a visit image in nJy, its counts background, and
the visit's ``visit_summary`` catalog (docs/lsst-formats.md sections 6.2 and 11.3).

The visit image is an afw Exposure whose archive holds what DP1 ``visit_image`` files hold: the
identity PhotoCalib (constant 1.0 on the detector bbox) and a Detector; the primary says
``BUNIT = 'nJy'``. Its pixels are ``counts x CALIBRATION`` of a known counts image, so the right
restore is known exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _afw_archive_writer import Cat, Obj, chebyshev, photocalib, write_archive_exposure
from astropy.io import fits

from skybkg_adapters import BackgroundLayer, BackgroundModel
from skybkg_adapters.lsst_fits import write_background
from skybkg_adapters.lsst_fits.archive import REFERENCE_FLUX_NJY

SHAPE = (6, 8)
"""(height, width) of the DP1-style visit image."""
CALIBRATION = 0.8125
"""nJy per count of that image (the visit_summary row of its detector says so)."""
DETECTOR = 42
VISIT = 2024120700123
ZERO_POINT = 2.5 * np.log10(REFERENCE_FLUX_NJY / CALIBRATION)
"""afw's visit_summary ``zeroPoint`` of that calibration: 2.5 log10(instFluxAtZeroMagnitude)."""


def _detector_row() -> dict:
    height, width = SHAPE
    return {
        "name": "R10_S11",
        "id": DETECTOR,
        "type": 0,
        "serial": "s",
        "bbox_min_x": 0,
        "bbox_min_y": 0,
        "bbox_max_x": width - 1,
        "bbox_max_y": height - 1,
        "pixelSize_x": 0.01,
        "pixelSize_y": 0.01,
        "fpPosition_x": 0.0,
        "fpPosition_y": 0.0,
        "refPoint_x": (width - 1) / 2,
        "refPoint_y": (height - 1) / 2,
        "yaw": 0.0,
        "pitch": 0.0,
        "roll": 0.0,
        "transformMap": 0,
        "physicalType": "ITL",
    }


def counts_image() -> np.ndarray:
    """The visit's pixels in counts (background subtracted)."""
    return (np.arange(SHAPE[0] * SHAPE[1], dtype=np.float32).reshape(SHAPE) - 20.0) * 1.5


def background_model() -> BackgroundModel:
    """The visit's background, counts: one 2 x 2-bin linear entry."""
    bins = np.array([[900.0, 910.0], [920.0, 940.0]], np.float32)
    return BackgroundModel((BackgroundLayer(bins, (0, 0, SHAPE[1], SHAPE[0]), interp_style=1),))


def butler_name(dataset_type: str) -> str:
    """The file name a Butler datastore gives ``dataset_type`` of this visit and detector.

    The name carries the data id, which is how glue pairs a background with its image.
    """
    return f"{dataset_type}_LSSTCam_r_r_03_{VISIT}_R10_S11_LSSTCam_runs_DRP_DP1_v29.fits"


def write_visit_image(path: Path) -> Path:
    """The DP1-style ``visit_image``: nJy pixels, identity PhotoCalib, a Detector."""
    height, width = SHAPE
    write_archive_exposure(
        path,
        [
            chebyshev(2, [[1.0]], bbox=(0, 0, width - 1, height - 1)),
            photocalib(1, 1.0, 0.001, 2, True),
            Obj(3, "Detector", [Cat([_detector_row()])]),
        ],
        components={"PHOTOCALIB": 1, "DETECTOR": 3},
        primary={"BUNIT": "nJy"},
    )
    with fits.open(path) as hdul:
        hdus = [hdu.copy() for hdu in hdul]
    for name, data in (
        ("IMAGE", counts_image() * np.float32(CALIBRATION)),
        ("MASK", np.zeros(SHAPE, np.int32)),
        ("VARIANCE", np.full(SHAPE, 4.0, np.float32)),
    ):
        index = next(i for i, hdu in enumerate(hdus) if hdu.name == name)
        hdus[index] = fits.ImageHDU(data, header=hdus[index].header, name=name)
    fits.HDUList(hdus).writeto(path, overwrite=True)
    return path


def write_background_file(path: Path) -> Path:
    """The DP1-style ``visit_image_background`` (counts)."""
    write_background(path, background_model())
    return path


def write_visit_summary(path: Path, zero_point: float = ZERO_POINT) -> Path:
    """A ``visit_summary`` catalog: a row per detector with ``id`` and ``zeroPoint``."""
    table = fits.BinTableHDU.from_columns(
        [
            fits.Column("id", "J", array=np.array([DETECTOR - 1, DETECTOR, DETECTOR + 1])),
            fits.Column("zeroPoint", "D", array=np.array([31.0, zero_point, 31.2])),
            fits.Column("psfSigma", "D", array=np.array([1.7, 1.8, 1.9])),
        ]
    )
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path, overwrite=True)
    return path

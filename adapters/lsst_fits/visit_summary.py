"""The ``visit_summary`` catalog (DP1): each detector's photometric calibration of a visit.

DP1 ``visit_image`` pixels are already in nJy and the PhotoCalib they carry is the identity;
the calibration that made them (and that a counts background needs) is in the visit's
``visit_summary``, an afw ExposureCatalog with one row per detector (docs/lsst-formats.md
section 11.3). Read with astropy: the first table HDU's ``id`` (detector) and ``zeroPoint``
columns. ``zeroPoint`` is afw's ``2.5 log10(instFluxAtZeroMagnitude)`` (pipe_tasks
``ComputeExposureSummaryStatsTask``), so the detector's mean calibration is
``referenceFlux * 10**(-zeroPoint / 2.5)`` nJy per count; the spatial variation of the fgcm
calibration inside the detector is not applied.
"""

from __future__ import annotations

import math
import os

import numpy as np
from astropy import units as u

from ..errors import FormatError
from ..units import PhotometricScaling
from .archive.photocalib import REFERENCE_FLUX_NJY
from .planes import open_fits

__all__ = ["read_visit_summary_calibration"]


def read_visit_summary_calibration(path: str | os.PathLike, detector: int) -> PhotometricScaling:
    """The mean calibration (nJy per count) of ``detector`` from a ``visit_summary`` file.

    Raises
    ------
    FormatError
        No table with ``id`` and ``zeroPoint`` columns, no row for the detector, or a
        zero point that is not a finite number.
    """
    index, ids, points = _columns(path)
    rows = np.flatnonzero(ids == int(detector))
    if rows.size != 1:
        raise FormatError(
            path,
            f"has {rows.size} rows for detector {detector} (detectors: "
            f"{sorted(int(i) for i in ids)[:20]})",
            hdu=index,
            key="id",
        )
    zero_point = float(points[rows[0]])
    if not math.isfinite(zero_point):
        raise FormatError(
            path,
            f"detector {detector} has no calibration (zeroPoint = {zero_point})",
            hdu=index,
            key="zeroPoint",
        )
    return PhotometricScaling.from_factor(
        REFERENCE_FLUX_NJY * 10.0 ** (-0.4 * zero_point),
        u.nJy / u.count,
        f"visit_summary zeroPoint of detector {detector}, its mean over the detector",
    )


def _columns(path: str | os.PathLike) -> tuple[int, np.ndarray, np.ndarray]:
    """(HDU index, ``id``, ``zeroPoint``) of the first table that has both columns."""
    with open_fits(path) as hdul:
        for index, hdu in enumerate(hdul):
            names = getattr(getattr(hdu, "columns", None), "names", None) or []
            if "id" in names and "zeroPoint" in names:
                ids = np.asarray(hdu.data["id"])
                return index, ids, np.asarray(hdu.data["zeroPoint"], dtype=np.float64)
    raise FormatError(
        path, "no table with 'id' and 'zeroPoint' columns: not a visit_summary catalog"
    )

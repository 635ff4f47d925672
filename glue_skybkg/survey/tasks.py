"""The survey's dask task: a batch of one visit's detectors, from background file to table row.

A worker opens the source once per process and reads each detector's product (the background
file only, never calexp pixels).  The background is fitted once and rendered at full
resolution a strip of 32 rows at a time into one small buffer; each strip, while still in the
processor's cache, is reduced onto the visit's focal-plane grid
(:class:`skybkg_adapters.focal_plane.DetectorReducer`: block means and the plane moments) and
added to the statistics (:class:`glue_skybkg.analysis.StripStats`).  No full-resolution image
is ever made, so a worker's memory stays at a few MB and the two cores of a small machine do
not wait on each other's memory traffic.  A product that cannot be read or rendered becomes a
row with its status and message.  Workers import ``skybkg_adapters`` and the numpy-only
analysis, never glue or Qt.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from skybkg_adapters import (
    BackgroundModel,
    FormatError,
    ProductNotFound,
    SkybkgError,
    SkyImage,
    band_of_visit,
    open_source,
)
from skybkg_adapters.focal_plane import (
    DetectorGeometry,
    DetectorReducer,
    DetectorReduction,
    MosaicGrid,
    lsstcam_detector,
)
from skybkg_adapters.render import ArrayRows

__all__ = [
    "DetectorResult",
    "detector_geometry",
    "failed_result",
    "survey_batch",
    "survey_detector",
]

_STAT_KEYS = ("mean", "median", "std", "min", "max")
_STRIP_ROWS = 32  # 32 rows of 4072 float32 pixels: 0.5 MiB, inside a core's L2 cache
_SAMPLE_STEP = 32  # every 32nd row (3% more rendering) brackets the median ...
_SAMPLE_COLUMN_STEP = 8  # ... through every 8th pixel of those rows


@dataclass(frozen=True)
class DetectorResult:
    """What the survey learnt about one (visit, detector): its table row and its mosaic cells.

    ``row`` has the per-detector columns of :data:`~.table.SURVEY_COLUMNS` (the visit-wide
    ``offset`` and ``outlier`` come later); ``reduction`` is None when the product failed;
    ``geometry`` is where the detector is (None if unknown), for the mosaic's outlines.
    """

    row: dict[str, Any]
    reduction: DetectorReduction | None
    geometry: DetectorGeometry | None


@functools.lru_cache(maxsize=8)
def _source(spec: str, template: str | None):
    """The source ``spec`` names, opened once per worker process."""
    return open_source(spec, template=template) if template else open_source(spec)


@functools.lru_cache(maxsize=64)
def _band(spec: str, template: str | None, visit: int, dataset_type: str) -> str:
    return band_of_visit(_source(spec, template), visit, dataset_type) or ""


def _nominal(detector: int) -> DetectorGeometry | None:
    try:
        return lsstcam_detector(detector)
    except KeyError:
        return None


def detector_geometry(product: SkyImage | BackgroundModel, detector: int) -> DetectorGeometry:
    """Where ``detector``'s pixels lie: the file's own Detector if it has one, else nominal LSSTCam.

    Background files carry no Detector, so they always take the nominal layout; an exposure
    read from a file takes the afw archive's Detector row (lsst-formats.md 11.5).

    Raises
    ------
    SkybkgError
        Neither the file nor the nominal LSSTCam layout knows the detector.
    """
    uri = product.provenance.uri if product.provenance is not None else None
    if isinstance(product, SkyImage) and uri and uri.startswith(("file:", "/")):
        from skybkg_adapters.lsst_fits.archive import read_detector

        record = read_detector(uri.removeprefix("file://"))
        if record is not None:
            return record.geometry()
    geometry = _nominal(detector)
    if geometry is None:
        raise SkybkgError(
            f"detector {detector} has no geometry: its file carries no Detector and the "
            "nominal LSSTCam layout has ids 0-188 only"
        )
    return geometry


def _status(exc: BaseException) -> str:
    if isinstance(exc, ProductNotFound | FileNotFoundError):
        return "missing"
    if isinstance(exc, FormatError):
        return "unreadable"
    return "failed"


def survey_detector(
    source: Any, dataset_type: str, visit: int, detector: int, grid: MosaicGrid, band: str = ""
) -> DetectorResult:
    """One detector of one visit: its row (statistics, gradient) and its reduction on ``grid``."""
    row, nominal = _identity(visit, detector, band)
    try:
        product = source.get(dataset_type, {"visit": int(visit), "detector": int(detector)})
        geometry = detector_geometry(product, detector)
        if isinstance(product, BackgroundModel):
            rows, n_entries = product.row_renderer(), len(product.layers)
        else:
            rows, n_entries = ArrayRows(product.image), 0
        reduction, stats = measure_strips(
            rows, DetectorReducer(geometry, grid, detector, product.bbox)
        )
    except (SkybkgError, OSError, ValueError) as exc:
        return failed_result(visit, detector, exc, band)
    _, grad_x, grad_y = reduction.plane()
    fp_x, fp_y = geometry.pixel_to_focal_plane(*geometry.bbox.center)
    row.update(
        name=geometry.name,
        fp_x=float(fp_x),
        fp_y=float(fp_y),
        **{key: getattr(stats, key) for key in _STAT_KEYS},
        grad_x=grad_x,
        grad_y=grad_y,
        n_entries=n_entries,
        status="ok",
        error="",
    )
    return DetectorResult(row, reduction, geometry)


def measure_strips(rows: Any, reducer: DetectorReducer) -> tuple[DetectorReduction, Any]:
    """A detector's reduction and statistics from its rows, a cache-sized strip at a time.

    ``rows`` is a :class:`~skybkg_adapters.render.RowRenderer` (or anything with its
    ``shape``, ``rows`` and ``rows_at``).  A sample of rows spread over the detector (one in
    ``_SAMPLE_STEP``) brackets the median; then each strip is rendered into one small buffer
    and goes to the reducer and the statistics while it is in the cache, so no
    full-resolution image is ever made.
    """
    from ..analysis import StripStats

    height, width = rows.shape
    sample_rows = np.linspace(0, height - 1, max(height // _SAMPLE_STEP, 1)).round().astype(int)
    stats = StripStats(rows.rows_at(sample_rows)[:, ::_SAMPLE_COLUMN_STEP])
    buffer = np.empty((_STRIP_ROWS, width), np.float32)

    def strips():
        for start in range(0, height, _STRIP_ROWS):
            stop = min(start + _STRIP_ROWS, height)
            yield start, rows.rows(start, stop, buffer[: stop - start])

    for start, strip in strips():
        reducer.add(strip, start)
        stats.add(strip)
    return reducer.result(), stats.result(again=lambda: (strip for _, strip in strips()))


def _identity(visit: int, detector: int, band: str) -> tuple[dict[str, Any], Any]:
    """The identity columns of a row, and the detector's nominal geometry (or None)."""
    nominal = _nominal(detector)
    name = nominal.name if nominal is not None else ""
    return {"visit": int(visit), "detector": int(detector), "name": name, "band": band}, nominal


def failed_result(visit: int, detector: int, exc: BaseException, band: str = "") -> DetectorResult:
    """The result of a detector whose product could not be surveyed: status and message."""
    row, nominal = _identity(visit, detector, band)
    if nominal is not None:
        fp_x, fp_y = nominal.pixel_to_focal_plane(*nominal.bbox.center)
    else:
        fp_x = fp_y = math.nan
    row.update(
        fp_x=float(fp_x),
        fp_y=float(fp_y),
        **dict.fromkeys(_STAT_KEYS, math.nan),
        grad_x=math.nan,
        grad_y=math.nan,
        n_entries=0,
        status=_status(exc),
        error=f"{type(exc).__name__}: {' '.join(str(exc).split())}",  # one line
    )
    return DetectorResult(row, None, nominal)


def survey_batch(
    source_spec: str,
    dataset_type: str,
    visit: int,
    detectors: Sequence[int],
    grid: MosaicGrid,
    template: str | None = None,
) -> list[DetectorResult]:
    """The dask task: :func:`survey_detector` for a few detectors of one visit, in order.

    Parameters
    ----------
    source_spec
        What :func:`skybkg_adapters.open_source` opens (each worker opens it once).
    dataset_type
        The background product, e.g. ``calexpBackground``; an exposure type measures its
        image plane instead.
    visit, detectors
        The detectors of one visit this task surveys.
    grid
        The visit mosaic's focal-plane grid.
    template
        File-name template of a folder source (see :class:`~skybkg_adapters.LocalSource`).
    """
    try:
        source = _source(source_spec, template)
        band = _band(source_spec, template, int(visit), dataset_type)
    except (SkybkgError, OSError) as exc:
        return [failed_result(visit, d, exc) for d in detectors]
    return [survey_detector(source, dataset_type, visit, d, grid, band) for d in detectors]

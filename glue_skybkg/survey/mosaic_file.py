"""A visit's focal-plane mosaic as a FITS file: the picture, its grid in mm, detector outlines.

``mosaic_<visit>.fits`` holds, in order: the primary image (block means, float32, NaN between
detectors) with a linear WCS in focal-plane millimetres and the scale in mm per pixel
(``MOSSCALE``); ``MINUS_PLANE`` (the mosaic minus the visit's focal-plane plane, when asked);
``DETECTOR`` (the detector id of every pixel, -1 between detectors); ``OUTLINES`` (a table:
each detector's id, name, centre and four corners in mm).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.table import Table

from skybkg_adapters import FormatError, atomic_output
from skybkg_adapters.focal_plane import DetectorGeometry, MosaicGrid

from .focal_fit import Plane

__all__ = ["MosaicProduct", "mosaic_path", "outline_table", "read_mosaic", "write_mosaic"]

_MINUS_PLANE, _DETECTOR, _OUTLINES = "MINUS_PLANE", "DETECTOR", "OUTLINES"


@dataclass(frozen=True)
class MosaicProduct:
    """One visit's mosaic: the picture, the grid it lies on and what was drawn on it.

    ``image`` and ``detector_map`` are ``grid.shape``; ``minus_plane`` is ``image`` minus
    ``plane`` (None when not asked for); ``outlines`` is :func:`outline_table`'s table.
    """

    visit: int
    band: str
    grid: MosaicGrid
    image: np.ndarray
    detector_map: np.ndarray
    outlines: Table
    plane: Plane
    minus_plane: np.ndarray | None = None


def mosaic_path(folder: str | os.PathLike, visit: int, suffix: str = ".fits") -> Path:
    """``folder/mosaic_<visit>.fits`` (or another suffix)."""
    return Path(folder) / f"mosaic_{int(visit)}{suffix}"


def outline_table(geometries: Sequence[DetectorGeometry]) -> Table:
    """The detectors' outlines: id, name, centre and the four pixel-edge corners, in mm."""
    corners = np.array([g.corners_mm() for g in geometries]).reshape(len(geometries), 4, 2)
    centres = np.array([g.pixel_to_focal_plane(*g.bbox.center) for g in geometries])
    table = Table(
        {
            "detector": np.array([g.id for g in geometries], np.int64),
            "name": np.array([g.name for g in geometries], str),
            "fp_x": centres[:, 0] if len(geometries) else np.zeros(0),
            "fp_y": centres[:, 1] if len(geometries) else np.zeros(0),
            "corner_x": corners[:, :, 0],
            "corner_y": corners[:, :, 1],
        }
    )
    for name in ("fp_x", "fp_y", "corner_x", "corner_y"):
        table[name].unit = "mm"
    return table


def _grid_header(grid: MosaicGrid) -> fits.Header:
    header = fits.Header()
    header["MOSSCALE"] = (grid.scale, "mosaic scale [mm/pixel]")
    for axis, (name, edge) in enumerate((("FP_X", grid.x0), ("FP_Y", grid.y0)), start=1):
        header[f"CTYPE{axis}"] = (name, "focal-plane coordinate (afw FOCAL_PLANE)")
        header[f"CUNIT{axis}"] = "mm"
        header[f"CRPIX{axis}"] = 1.0
        header[f"CRVAL{axis}"] = (edge + 0.5 * grid.scale, "centre of the first pixel [mm]")
        header[f"CDELT{axis}"] = (grid.scale, "[mm/pixel]")
    return header


def write_mosaic(path: str | os.PathLike, product: MosaicProduct) -> Path:
    """Write ``product`` to ``path`` atomically (see the module docstring for the layout)."""
    primary = fits.PrimaryHDU(product.image.astype(np.float32), header=_grid_header(product.grid))
    primary.header["VISIT"] = (int(product.visit), "visit id")
    primary.header["BAND"] = (product.band, "band of the visit")
    primary.header["BUNIT"] = "count"
    comments = ("plane p0 + px fx + py fy: p0 [count]", "px [count/mm]", "py [count/mm]")
    for key, value, comment in zip(
        ("PLANE0", "PLANEX", "PLANEY"), product.plane, comments, strict=True
    ):
        primary.header[key] = (value if math.isfinite(value) else "NaN", comment)
    hdus: list[fits.hdu.base.ExtensionHDU] = []
    if product.minus_plane is not None:
        hdus.append(
            fits.ImageHDU(
                product.minus_plane.astype(np.float32), _grid_header(product.grid), _MINUS_PLANE
            )
        )
    hdus.append(
        fits.ImageHDU(product.detector_map.astype(np.int16), _grid_header(product.grid), _DETECTOR)
    )
    hdus.append(fits.BinTableHDU(product.outlines, name=_OUTLINES))
    path = Path(path)
    with atomic_output(path) as partial:
        fits.HDUList([primary, *hdus]).writeto(partial, overwrite=True)
    return path


def read_mosaic(path: str | os.PathLike) -> MosaicProduct:
    """A mosaic written by :func:`write_mosaic`; FormatError naming what is missing otherwise."""
    path = Path(path)
    try:
        with fits.open(path, memmap=False) as hdul:
            header = hdul[0].header
            scale = float(header["MOSSCALE"])
            grid = MosaicGrid(
                float(header["CRVAL1"]) - 0.5 * scale,
                float(header["CRVAL2"]) - 0.5 * scale,
                scale,
                hdul[0].data.shape,
            )
            names = [hdu.name for hdu in hdul]
            minus = hdul[_MINUS_PLANE].data.copy() if _MINUS_PLANE in names else None
            plane = tuple(float(header[k]) for k in ("PLANE0", "PLANEX", "PLANEY"))
            return MosaicProduct(
                int(header["VISIT"]),
                str(header.get("BAND", "")),
                grid,
                hdul[0].data.astype(np.float32),
                hdul[_DETECTOR].data.astype(np.int16),
                Table(hdul[_OUTLINES].data),
                plane,  # type: ignore[arg-type]
                minus,
            )
    except (OSError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FormatError(
            path, f"is not a skybkg mosaic ({type(exc).__name__}: {exc}); rerun skybkg survey"
        ) from None

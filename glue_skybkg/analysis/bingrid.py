"""Where a background's bins are: boundaries, centres, NaN bins, the coarse grid at full size.

Positions are parent pixel coordinates with pixel centres at integers, as everywhere here:
bin ``i`` of an entry over bbox ``(x0, y0, W, H)`` covers columns ``x0 + edges[i]`` to
``x0 + edges[i+1] - 1`` and is centred at ``x0 + start + size/2 - 1/2`` (afw's bin centre,
:func:`skybkg_adapters.bin_centers`). A window (a sub-image, or a coadd patch in tract
pixels) selects the part of the grid it overlaps. A DP2 spline term's bins sit at its own
centres (lsst-images grids are not afw's even split).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from skybkg_adapters import BBox, bin_centers, bin_edges

__all__ = ["BinGrid", "bin_grid", "bin_value_image"]


@dataclass(frozen=True, eq=False)
class BinGrid:
    """The bin grid of one background entry, in parent pixel coordinates.

    ``x_edges``/``y_edges`` are the bin boundaries as pixel edges (a boundary between
    columns ``c - 1`` and ``c`` lies at ``c - 0.5``), ``x_centers``/``y_centers`` afw's bin
    centres, ``values`` the stats image ``(ny, nx)`` and ``nan`` where it is NaN; ``bbox`` is
    the full-resolution image the bins tile.
    """

    x_edges: np.ndarray
    y_edges: np.ndarray
    x_centers: np.ndarray
    y_centers: np.ndarray
    values: np.ndarray
    nan: np.ndarray
    bbox: BBox

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)`` bins."""
        return self.values.shape

    def bin_of(self, x: float, y: float) -> tuple[int, int] | None:
        """``(j, i)`` of the bin holding parent pixel ``(x, y)``, or None outside the grid."""
        i = int(np.searchsorted(self.x_edges, x, side="right")) - 1
        j = int(np.searchsorted(self.y_edges, y, side="right")) - 1
        if 0 <= i < self.shape[1] and 0 <= j < self.shape[0]:
            return j, i
        return None


def _axes(layer: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, BBox]:
    """Edges, centres (x then y), values and bbox of an entry's bins.

    An afw entry tiles its bbox evenly (afw's split); a DP2 spline term (a
    :class:`~skybkg_adapters.FieldLayer` of a ``SPLINE``) has its bins at its own centres,
    each bin reaching halfway to the next one and the outer ones to the bounds.
    """
    field = getattr(layer, "field", None)
    if field is None:
        values = np.asarray(layer.values, np.float32)
        bbox = BBox.coerce(layer.bbox)
        ny, nx = values.shape
        return (
            bbox.x0 + bin_edges(bbox.width, nx) - 0.5,
            bbox.y0 + bin_edges(bbox.height, ny) - 0.5,
            bbox.x0 + bin_centers(bbox.width, nx),
            bbox.y0 + bin_centers(bbox.height, ny),
            values,
            bbox,
        )
    if field.field_type != "SPLINE":
        raise ValueError(f"a {layer.label} term has no bins (only spline grids do)")
    bounds = BBox.coerce(field.bounds)

    def edges(centres: np.ndarray, low: int, high: int) -> np.ndarray:
        return np.concatenate(([low - 0.5], (centres[1:] + centres[:-1]) / 2, [high - 0.5]))

    return (
        edges(field.x, bounds.x0, bounds.x1),
        edges(field.y, bounds.y0, bounds.y1),
        np.asarray(field.x, np.float64),
        np.asarray(field.y, np.float64),
        np.asarray(field.values, np.float32),
        bounds,
    )


def bin_grid(layer: Any) -> BinGrid:
    """The bin grid of a background entry (an afw entry, or a DP2 spline term)."""
    x_edges, y_edges, x_centers, y_centers, values, bbox = _axes(layer)
    return BinGrid(
        x_edges=x_edges,
        y_edges=y_edges,
        x_centers=x_centers,
        y_centers=y_centers,
        values=values,
        nan=np.isnan(values),
        bbox=bbox,
    )


def bin_value_image(layer: Any, window: BBox | Any = None) -> np.ndarray:
    """The stats image at full resolution: every pixel holds its bin's value (no interpolation).

    Parameters
    ----------
    layer
        A background entry (an afw entry, or a DP2 spline term).
    window
        ``(x0, y0, width, height)`` in parent pixels inside the entry's bbox (default all).

    Returns
    -------
    numpy.ndarray
        float32 of the window's shape; NaN over NaN bins.
    """
    x_edges, y_edges, _, _, values, full = _axes(layer)
    box = full if window is None else BBox.coerce(window)
    if not full.contains(box):
        raise ValueError(f"window {tuple(box)} is not inside the background bbox {tuple(full)}")
    ny, nx = values.shape
    # the bin whose edges hold each pixel centre
    columns = np.searchsorted(x_edges, np.arange(box.x0, box.x1), side="right") - 1
    rows = np.searchsorted(y_edges, np.arange(box.y0, box.y1), side="right") - 1
    columns, rows = np.clip(columns, 0, nx - 1), np.clip(rows, 0, ny - 1)
    return values[rows[:, np.newaxis], columns[np.newaxis, :]]

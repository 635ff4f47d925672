"""Where a background's bins are: boundaries, centres, NaN bins, the coarse grid at full size.

Positions are parent pixel coordinates with pixel centres at integers, as everywhere here:
bin ``i`` of an entry over bbox ``(x0, y0, W, H)`` covers columns ``x0 + edges[i]`` to
``x0 + edges[i+1] - 1`` and is centred at ``x0 + start + size/2 - 1/2`` (afw's bin centre,
:func:`skybkg_adapters.bin_centers`). A window (a sub-image, or a coadd patch in tract
pixels) selects the part of the grid it overlaps.
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


def bin_grid(layer: Any) -> BinGrid:
    """The bin grid of a background entry (a :class:`~skybkg_adapters.BackgroundLayer`)."""
    values = np.asarray(layer.values, np.float32)
    bbox = BBox.coerce(layer.bbox)
    ny, nx = values.shape
    return BinGrid(
        x_edges=bbox.x0 + bin_edges(bbox.width, nx) - 0.5,
        y_edges=bbox.y0 + bin_edges(bbox.height, ny) - 0.5,
        x_centers=bbox.x0 + bin_centers(bbox.width, nx),
        y_centers=bbox.y0 + bin_centers(bbox.height, ny),
        values=values,
        nan=np.isnan(values),
        bbox=bbox,
    )


def bin_value_image(layer: Any, window: BBox | Any = None) -> np.ndarray:
    """The stats image at full resolution: every pixel holds its bin's value (no interpolation).

    Parameters
    ----------
    layer
        A background entry.
    window
        ``(x0, y0, width, height)`` in parent pixels inside the entry's bbox (default all).

    Returns
    -------
    numpy.ndarray
        float32 of the window's shape; NaN over NaN bins.
    """
    values = np.asarray(layer.values, np.float32)
    full = BBox.coerce(layer.bbox)
    box = full if window is None else BBox.coerce(window)
    if not full.contains(box):
        raise ValueError(f"window {tuple(box)} is not inside the background bbox {tuple(full)}")
    ny, nx = values.shape
    columns = np.repeat(np.arange(nx), np.diff(bin_edges(full.width, nx)))
    rows = np.repeat(np.arange(ny), np.diff(bin_edges(full.height, ny)))
    columns = columns[box.x0 - full.x0 : box.x1 - full.x0]
    rows = rows[box.y0 - full.y0 : box.y1 - full.y0]
    return values[rows[:, np.newaxis], columns[np.newaxis, :]]

"""The bin grid of a background drawn over an image viewer: boundaries, centres, NaN bins.

Drawn as matplotlib artists on the viewer's axes, in the viewer's pixel coordinates (array
indices of its reference Data, so parent pixels minus that Data's ``xy0``): one line per
bin boundary, a small cross at each bin centre, a red square over each NaN bin. Drawing
again replaces the previous grid; :func:`remove_bin_grid` takes it away.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import Rectangle

from .. import analysis

__all__ = ["GRID_COLOR", "NAN_COLOR", "draw_bin_grid", "remove_bin_grid"]

GRID_COLOR = "#00e5ff"
"""Colour of the boundaries and centres (cyan reads on the grey image stretch)."""
NAN_COLOR = "#ff3030"
"""Colour of the NaN-bin squares."""
_ATTRIBUTE = "_skybkg_bin_grid"


def remove_bin_grid(viewer: Any) -> None:
    """Take the drawn bin grid off ``viewer`` (nothing if none is drawn)."""
    for artist in getattr(viewer, _ATTRIBUTE, ()):
        artist.remove()
    setattr(viewer, _ATTRIBUTE, [])
    viewer.axes.figure.canvas.draw_idle()


def draw_bin_grid(viewer: Any, grid: analysis.BinGrid, xy0: tuple[int, int]) -> list:
    """Draw ``grid`` (parent pixels) on ``viewer``, whose reference Data starts at ``xy0``.

    Returns the artists (the boundaries, the centres, the NaN squares).
    """
    remove_bin_grid(viewer)
    axes = viewer.axes
    x0, y0 = xy0
    xe, ye = grid.x_edges - x0, grid.y_edges - y0
    segments = [((x, ye[0]), (x, ye[-1])) for x in xe]
    segments += [((xe[0], y), (xe[-1], y)) for y in ye]
    lines = LineCollection(segments, colors=GRID_COLOR, linewidths=0.6, alpha=0.8, zorder=50)
    axes.add_collection(lines)
    cx, cy = np.meshgrid(grid.x_centers - x0, grid.y_centers - y0)
    (centres,) = axes.plot(
        cx.ravel(), cy.ravel(), "+", color=GRID_COLOR, markersize=4, alpha=0.9, zorder=51
    )
    artists = [lines, centres]
    rows, cols = np.nonzero(grid.nan)
    if rows.size:
        squares = [
            Rectangle((xe[i], ye[j]), xe[i + 1] - xe[i], ye[j + 1] - ye[j])
            for j, i in zip(rows, cols, strict=True)
        ]
        nan = PatchCollection(
            squares, facecolor=NAN_COLOR, edgecolor=NAN_COLOR, alpha=0.35, zorder=52
        )
        axes.add_collection(nan)
        artists.append(nan)
    setattr(viewer, _ATTRIBUTE, artists)
    axes.figure.canvas.draw_idle()
    return artists

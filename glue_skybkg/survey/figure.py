"""A mosaic as a PNG: the focal-plane picture with every detector's outline and name."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from skybkg_adapters import atomic_output

from ..analysis import zscale_limits
from .mosaic_file import MosaicProduct

__all__ = ["mosaic_png", "write_mosaic_png", "write_png_bytes"]


def write_mosaic_png(
    path: str | os.PathLike, product: MosaicProduct, minus_plane: bool = False
) -> Path:
    """Draw ``product`` (or its ``minus_plane``) with :func:`mosaic_png`; write it atomically."""
    return write_png_bytes(path, mosaic_png(product, minus_plane))


def write_png_bytes(path: str | os.PathLike, png: bytes) -> Path:
    """Write a drawn PNG atomically (a survey draws on its workers and writes on the client)."""
    path = Path(path)
    with atomic_output(path) as partial:
        Path(partial).write_bytes(png)
    return path


def mosaic_png(product: MosaicProduct, minus_plane: bool = False) -> bytes:
    """``product`` (or its ``minus_plane`` image) drawn with outlines and names, as PNG bytes.

    Display limits are zscale of the finite pixels; NaN (between detectors) is light grey.
    Axes are focal-plane mm.  Pure: a dask worker can draw it and send the bytes back.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon

    image = product.minus_plane if minus_plane else product.image
    if image is None:
        raise ValueError("this mosaic has no minus-plane image; run the survey with subtract_plane")
    grid = product.grid
    rows, columns = grid.shape
    extent = (grid.x0, grid.x0 + columns * grid.scale, grid.y0, grid.y0 + rows * grid.scale)
    finite = image[np.isfinite(image)]
    vmin, vmax = zscale_limits(finite) if finite.size else (0.0, 1.0)
    figure = Figure(figsize=(11, 10), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_facecolor("0.85")
    shown = axes.imshow(
        image,
        origin="lower",
        extent=extent,
        vmin=vmin,
        vmax=vmax,
        cmap="viridis",
        interpolation="nearest",
    )
    figure.colorbar(shown, ax=axes, fraction=0.04, pad=0.02, label="background [count]")
    for row in product.outlines:
        corners = np.column_stack([row["corner_x"], row["corner_y"]])
        axes.add_patch(Polygon(corners, closed=True, fill=False, lw=0.4, edgecolor="white"))
        axes.text(
            row["fp_x"],
            row["fp_y"],
            str(row["name"]),
            ha="center",
            va="center",
            fontsize=3.5,
            color="white",
        )
    what = "minus the focal-plane plane" if minus_plane else "background"
    band = f", band {product.band}" if product.band else ""
    axes.set_title(f"visit {product.visit}{band}: {what}, {grid.scale:g} mm/pixel")
    axes.set_xlabel("focal plane x [mm]")
    axes.set_ylabel("focal plane y [mm]")
    axes.set_aspect("equal")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

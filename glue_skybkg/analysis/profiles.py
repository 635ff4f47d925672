"""Radial and line profiles of images: where a background bites around a source.

A radial profile is the mean of the finite, used pixels in annuli around a point; around a
bright star on a background-subtracted image, a dark halo shows as annuli below the sky
level. A line profile samples an image along a segment by bilinear interpolation. Positions
are array coordinates with pixel centres at integers (add ``xy0`` for parent coordinates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import checked_mask

__all__ = ["LineProfile", "RadialProfile", "line_profile", "radial_profile"]


@dataclass(frozen=True, eq=False)
class RadialProfile:
    """Mean pixel value per annulus: ``radius`` (annulus middles), ``mean``, ``count``.

    ``mean`` is NaN where an annulus has no used pixel.
    """

    radius: np.ndarray
    mean: np.ndarray
    count: np.ndarray

    def dip(self, level: float, r_min: float = 0.0) -> tuple[float, float]:
        """``(radius, depth below level)`` of the lowest annulus at ``radius >= r_min``."""
        pick = (self.radius >= r_min) & np.isfinite(self.mean)
        if not pick.any():
            return float("nan"), float("nan")
        k = int(np.flatnonzero(pick)[np.argmin(self.mean[pick])])
        return float(self.radius[k]), float(level - self.mean[k])


@dataclass(frozen=True, eq=False)
class LineProfile:
    """An image sampled along a segment: ``distance`` from the start, ``x``, ``y``, ``value``."""

    distance: np.ndarray
    x: np.ndarray
    y: np.ndarray
    value: np.ndarray


def radial_profile(
    image: Any,
    center: tuple[float, float],
    radius: float,
    *,
    width: float = 1.0,
    use: Any = None,
) -> RadialProfile:
    """Mean of the finite pixels in annuli ``[k w, (k+1) w)`` around ``center`` out to ``radius``.

    Parameters
    ----------
    image
        2-D array.
    center
        ``(x, y)`` in array coordinates (pixel centres at integers).
    radius
        Outer radius in pixels.
    width
        Annulus width in pixels.
    use
        Optional boolean array, True where a pixel is used (glue's subset convention).

    Returns
    -------
    RadialProfile
        One entry per annulus, radius = annulus middle.
    """
    from . import _profile_kernels  # numba compiles on first use

    pixels = np.asarray(image)
    if pixels.ndim != 2:
        raise ValueError(f"a radial profile needs a 2-D image; got shape {pixels.shape}")
    if not (radius > 0 and width > 0):
        raise ValueError(f"radius and width must be positive; got {radius} and {width}")
    n_bins = max(int(np.ceil(radius / width)), 1)
    mask = np.zeros((1, 1), np.bool_) if use is None else checked_mask(use, pixels.shape)
    sums = np.zeros(n_bins)
    counts = np.zeros(n_bins, np.int64)
    cx, cy = (float(c) for c in center)
    _profile_kernels.radial_sums(
        pixels, mask, use is not None, cx, cy, float(width), n_bins, sums, counts
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / counts, np.nan)
    return RadialProfile((np.arange(n_bins) + 0.5) * width, mean, counts)


def line_profile(
    image: Any, start: tuple[float, float], end: tuple[float, float], *, step: float = 1.0
) -> LineProfile:
    """``image`` sampled every ``step`` pixels from ``start`` to ``end`` (both ``(x, y)``).

    Values are bilinear between the four nearest pixel centres; NaN where one of them is
    NaN or outside the image.
    """
    pixels = np.asarray(image)
    if pixels.ndim != 2:
        raise ValueError(f"a line profile needs a 2-D image; got shape {pixels.shape}")
    (x0, y0), (x1, y1) = (tuple(float(c) for c in p) for p in (start, end))
    length = float(np.hypot(x1 - x0, y1 - y0))
    n = max(int(np.floor(length / step)), 0) + 1
    t = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    ix, iy = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = x - ix, y - iy
    height, width = pixels.shape
    inside = (ix >= 0) & (iy >= 0) & (ix + 1 < width + (fx == 0)) & (iy + 1 < height + (fy == 0))
    value = np.full(n, np.nan)
    cx, cy = ix[inside], iy[inside]
    # at the last column/row (weight 0 on the far neighbour) read the pixel itself twice
    nx, ny = np.minimum(cx + 1, width - 1), np.minimum(cy + 1, height - 1)
    gx, gy = fx[inside], fy[inside]
    value[inside] = (
        (1 - gx) * (1 - gy) * pixels[cy, cx]
        + gx * (1 - gy) * pixels[cy, nx]
        + (1 - gx) * gy * pixels[ny, cx]
        + gx * gy * pixels[ny, nx]
    )
    return LineProfile(t * length, x, y, value)

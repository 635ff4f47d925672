"""The numba loops of the profiles and box means (imported on first use: numba is slow)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["box_sums", "radial_sums"]


@njit(cache=True, nogil=True)
def radial_sums(image, use, has_use, cx, cy, width, n_bins, sums, counts):
    """Add the finite used pixels within ``n_bins * width`` of ``(cx, cy)`` to their annulus."""
    height, full_width = image.shape
    r_max = n_bins * width
    y0 = max(int(np.floor(cy - r_max)), 0)
    y1 = min(int(np.ceil(cy + r_max)) + 1, height)
    x0 = max(int(np.floor(cx - r_max)), 0)
    x1 = min(int(np.ceil(cx + r_max)) + 1, full_width)
    inv = 1.0 / width
    for y in range(y0, y1):
        dy2 = (y - cy) * (y - cy)
        for x in range(x0, x1):
            v = image[y, x]
            if not np.isfinite(v) or (has_use and not use[y, x]):
                continue
            k = int(np.sqrt((x - cx) * (x - cx) + dy2) * inv)
            if k < n_bins:
                sums[k] += v
                counts[k] += 1


@njit(cache=True, nogil=True)
def _add_row(image, use, has_use, y, sign, col_sum, col_count):
    """Add (``sign`` 1) or remove (-1) row ``y``'s finite used pixels to the column sums."""
    for x in range(image.shape[1]):
        v = image[y, x]
        if np.isfinite(v) and (not has_use or use[y, x]):
            col_sum[x] += sign * v
            col_count[x] += sign


@njit(cache=True, nogil=True)
def box_sums(image, use, has_use, half, out_mean):
    """Mean of the finite used pixels in the ``(2 half + 1)^2`` box around each pixel.

    Column sums over the rows of the window are kept and slid down one row at a time, then
    a running sum along the row: O(1) per pixel, O(width) memory. NaN where the box holds
    no used pixel.
    """
    height, width = image.shape
    col_sum = np.zeros(width)
    col_count = np.zeros(width, np.int64)

    for y in range(min(half, height - 1) + 1):
        _add_row(image, use, has_use, y, 1, col_sum, col_count)
    for y in range(height):
        if y > 0:
            if y + half < height:
                _add_row(image, use, has_use, y + half, 1, col_sum, col_count)
            if y - half - 1 >= 0:
                _add_row(image, use, has_use, y - half - 1, -1, col_sum, col_count)
        total = 0.0
        count = 0
        for x in range(min(half, width - 1) + 1):
            total += col_sum[x]
            count += col_count[x]
        for x in range(width):
            if x > 0:
                if x + half < width:
                    total += col_sum[x + half]
                    count += col_count[x + half]
                if x - half - 1 >= 0:
                    total -= col_sum[x - half - 1]
                    count -= col_count[x - half - 1]
            out_mean[y, x] = total / count if count > 0 else np.nan

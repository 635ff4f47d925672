"""Display limits as afwDisplay's ``zscale`` gives them, from a regular grid sample."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import checked_mask, flat_and_mask

__all__ = ["zscale_limits", "zscale_sample"]

_ZSCALE_GRID_PIXELS = 300 * 300  # zscale's sample: a regular grid of about 300 x 300 pixels


def zscale_limits(array: Any, mask: Any = None) -> tuple[float, float]:
    """Display limits: astropy's ``ZScaleInterval`` over a regular grid sample of the image.

    The sample is every ``step``-th pixel along each axis, with ``step = max(1, n // 300)`` for
    a 2-D image (about 300 x 300 pixels; ``_ZSCALE_GRID_PIXELS ** (1 / ndim)`` per axis in
    general), keeping the finite pixels that ``mask`` selects (``True`` = used).
    ``ZScaleInterval`` then uses every value of that sample (``n_samples`` = its size).

    Why not astropy's own sampling: it takes every n-th value of the flattened image, and on
    a 4072-column image that stride (16288 = 4 rows) puts every sample in one column, so a
    tilted background gets the limits of one edge and the display saturates.  The grid covers
    the whole image in both directions and costs ~0.1 Mpixel whatever the image size.
    ``(nan, nan)`` when the sample has no finite pixel.
    """
    from astropy.visualization import ZScaleInterval

    values = zscale_sample(array, mask)
    if values.size == 0:
        return float("nan"), float("nan")
    vmin, vmax = ZScaleInterval(n_samples=values.size).get_limits(values)
    return float(vmin), float(vmax)


def zscale_sample(array: Any, mask: Any = None) -> np.ndarray:
    """The finite, masked-in values of the regular grid that :func:`zscale_limits` looks at.

    A 1-D array in grid order (row-major), float32 or float64 like the other functions here.
    """
    arr = np.atleast_1d(np.asarray(array))
    side = _ZSCALE_GRID_PIXELS ** (1.0 / arr.ndim)
    grid = tuple(slice(None, None, max(1, int(n // side))) for n in arr.shape)
    if mask is not None:
        mask = checked_mask(np.atleast_1d(np.asarray(mask)), arr.shape)[grid]
    flat, m = flat_and_mask(arr[grid], mask)
    keep = np.isfinite(flat)
    if m is not None:
        keep &= m
    return flat[keep]

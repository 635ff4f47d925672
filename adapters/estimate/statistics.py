"""Per-bin statistics of an image, as afw's background estimation computes them.

``SubtractBackgroundTask`` stores, per bin, a statistic of the pixels not flagged by the
ignored mask planes (``MEANCLIP`` by default: a 3-sigma, 3-iteration clipped mean seeded
with the median and interquartile range) and, in the stats image's "variance" plane, that
statistic's error (lsst-formats.md 1.5). The kernels are in :mod:`._kernels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import EstimateError

__all__ = ["STATISTICS", "BinStatistics", "bin_statistics"]

STATISTICS = ("meanclip", "mean", "median")
"""The statistics afw's background estimation offers (``statisticsProperty``), in lower case."""


@dataclass(frozen=True, eq=False)
class BinStatistics:
    """Per-bin statistics of an image: values, errors, usable-pixel counts, the bin edges.

    ``values`` and ``errors`` are float32 of shape ``(ny, nx)`` (NaN where a bin has no
    usable pixel), ``counts`` int64; ``x_edges``/``y_edges`` are the bin boundaries in local
    pixel indices (bin ``(j, i)`` covers rows ``y_edges[j]:y_edges[j+1]``).
    """

    values: np.ndarray
    errors: np.ndarray
    counts: np.ndarray
    x_edges: np.ndarray
    y_edges: np.ndarray


def _native(array: np.ndarray) -> np.ndarray:
    """Float pixels in native byte order (FITS data are big-endian); other types as float64."""
    if array.dtype.kind == "f" and array.dtype.itemsize in (4, 8):
        return array.astype(array.dtype.newbyteorder("="), copy=False)
    return array.astype(np.float64)


def bin_statistics(
    image: Any,
    x_edges: Any,
    y_edges: Any,
    mask: Any = None,
    bits: int | None = None,
    *,
    statistic: str = "meanclip",
    n_sigma: float = 3.0,
    n_iter: int = 3,
) -> BinStatistics:
    """The per-bin statistic of ``image`` and its error, as afw computes them.

    Parameters
    ----------
    image
        2-D pixel array (float32 pixels are read in place).
    x_edges, y_edges
        Bin boundaries along x and y in pixel indices (e.g. :func:`skybkg_adapters.bin_edges`).
    mask
        Optional array of the image's shape: with ``bits`` None a boolean array, True where
        a pixel is left out; with ``bits`` an integer mask whose pixels with any of ``bits``
        set are left out. Non-finite pixels are always left out.
    bits
        Mask bits of the ignored planes (see above).
    statistic
        ``"meanclip"`` (afw's default), ``"mean"`` or ``"median"``.
    n_sigma, n_iter
        Clipping limit in sigmas and number of iterations (afw ``StatisticsControl``
        defaults 3 and 3).

    Returns
    -------
    BinStatistics
        Values and errors (``sigma / sqrt(n)`` for the means, ``sqrt(pi/2 var / n)`` for
        the median), NaN where a bin has no usable pixel.

    Notes
    -----
    afw with ``isNanSafe = False`` (the pipelines' setting) lets unmasked NaN pixels into
    the quartiles that seed the clipping, where their effect is undefined; here they are
    always left out. Sums are accumulated in float64 as afw does, but vectorised, so they
    may differ from afw's in the last bits.
    """
    from . import _kernels  # numba compiles on first use

    codes = {
        "meanclip": _kernels.STAT_MEANCLIP,
        "mean": _kernels.STAT_MEAN,
        "median": _kernels.STAT_MEDIAN,
    }
    if statistic not in codes:
        raise EstimateError(f"statistic must be one of {list(STATISTICS)}; got {statistic!r}")
    pixels = np.asarray(image)
    if pixels.ndim != 2:
        raise EstimateError(f"the image must be 2-D; got shape {pixels.shape}")
    pixels = _native(pixels)
    xe = np.asarray(x_edges, np.int64)
    ye = np.asarray(y_edges, np.int64)
    height, width = pixels.shape
    for name, edges, length in (("x", xe, width), ("y", ye, height)):
        if edges.ndim != 1 or edges.size < 2 or edges[0] < 0 or edges[-1] > length:
            raise EstimateError(
                f"{name}_edges must run inside 0 .. {length} with at least two values; "
                f"got {edges.tolist() if edges.size < 8 else edges}"
            )
        if np.any(np.diff(edges) < 0):
            raise EstimateError(f"{name}_edges must not decrease; got {edges.tolist()}")
    if mask is None:
        mask_array, mask_bits = np.zeros((1, 1), np.uint8), 0
    else:
        mask_array = np.asarray(mask)
        if mask_array.shape != pixels.shape:
            raise EstimateError(
                f"mask shape {mask_array.shape} differs from the image's {pixels.shape}"
            )
        if bits is None:
            # a boolean "left out" array: read as bytes, bit 0
            mask_array, mask_bits = mask_array.astype(np.bool_, copy=False).view(np.uint8), 1
        else:
            if mask_array.dtype.kind not in "iu":
                raise EstimateError(
                    f"with mask bits the mask must be integer; got {mask_array.dtype}"
                )
            mask_array = mask_array.astype(mask_array.dtype.newbyteorder("="), copy=False)
            mask_bits = int(bits)
    if n_iter < 1 or not n_sigma > 0:
        raise EstimateError(f"need n_iter >= 1 and n_sigma > 0; got {n_iter} and {n_sigma}")
    shape = (ye.size - 1, xe.size - 1)
    values = np.empty(shape, np.float64)
    errors = np.empty(shape, np.float64)
    counts = np.empty(shape, np.int64)
    _kernels.bins_kernel(
        pixels,
        mask_array,
        mask_bits,
        xe,
        ye,
        codes[statistic],
        float(n_sigma),
        int(n_iter),
        values,
        errors,
        counts,
    )
    return BinStatistics(values.astype(np.float32), errors.astype(np.float32), counts, xe, ye)

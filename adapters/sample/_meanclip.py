"""Clipped-mean statistics per background bin, as afw's background estimation computes them.

The sample data set needs bin values that are what ``SubtractBackgroundTask`` would have
stored: per bin, the ``MEANCLIP`` of the pixels not flagged by the ignored mask planes
(lsst-formats.md section 1.5), and as "variance" the standard error of that mean.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["meanclip_bins"]

_N_SIGMA = 3.0
_N_ITER = 3
# sigma of a Gaussian from its interquartile range; afw seeds the clipping with it
_IQR_TO_SIGMA = 0.741


@numba.njit(cache=True, nogil=True)
def _meanclip(values: np.ndarray) -> tuple[float, float]:
    """Clipped mean and its standard error of a 1-D float64 array (NaN, NaN if empty)."""
    n = values.size
    if n == 0:
        return np.nan, np.nan
    median = np.median(values)
    q1 = np.partition(values, n // 4)[n // 4]
    q3 = np.partition(values, (3 * n) // 4)[(3 * n) // 4]
    center = median
    sigma = _IQR_TO_SIGMA * (q3 - q1)
    mean = median
    error = np.nan
    for _ in range(_N_ITER):
        total = 0.0
        total2 = 0.0
        count = 0
        for v in values:
            if abs(v - center) <= _N_SIGMA * sigma or sigma <= 0.0:
                total += v
                total2 += v * v
                count += 1
        if count < 2:
            break
        mean = total / count
        variance = max((total2 - count * mean * mean) / (count - 1), 0.0)
        center = mean
        sigma = np.sqrt(variance)
        error = sigma / np.sqrt(count)
    return mean, error


@numba.njit(cache=True, nogil=True, parallel=True)
def _bins_kernel(image, ignored, x_edges, y_edges, values, errors):
    largest = np.max(np.diff(x_edges)) * np.max(np.diff(y_edges))
    for j in numba.prange(y_edges.size - 1):
        buffer = np.empty(largest, np.float64)
        for i in range(x_edges.size - 1):
            n = 0
            for y in range(y_edges[j], y_edges[j + 1]):
                for x in range(x_edges[i], x_edges[i + 1]):
                    v = image[y, x]
                    if not ignored[y, x] and np.isfinite(v):
                        buffer[n] = v
                        n += 1
            values[j, i], errors[j, i] = _meanclip(buffer[:n])


def meanclip_bins(
    image: np.ndarray, ignored: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin clipped means of ``image`` and their standard errors.

    Parameters
    ----------
    image
        2-D pixel array.
    ignored
        Boolean array of the same shape: pixels left out (afw's ignored mask planes).
    x_edges, y_edges
        Bin boundaries along x and y: bin ``(j, i)`` covers rows ``y_edges[j]:y_edges[j+1]``
        and columns ``x_edges[i]:x_edges[i+1]``.

    Returns
    -------
    values, errors
        float32 arrays of shape ``(len(y_edges) - 1, len(x_edges) - 1)``: the 3-sigma,
        3-iteration clipped mean (seeded with the median and the interquartile range)
        and ``sigma / sqrt(n)``; NaN where a bin has no usable pixel.
    """
    if image.shape != ignored.shape:
        raise ValueError(f"mask shape {ignored.shape} differs from the image {image.shape}")
    x_edges = np.asarray(x_edges, np.int64)
    y_edges = np.asarray(y_edges, np.int64)
    shape = (y_edges.size - 1, x_edges.size - 1)
    values = np.empty(shape, np.float64)
    errors = np.empty(shape, np.float64)
    _bins_kernel(image, np.asarray(ignored, np.bool_), x_edges, y_edges, values, errors)
    return values.astype(np.float32), errors.astype(np.float32)

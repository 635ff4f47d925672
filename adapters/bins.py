"""afw's background bin geometry: how many bins a bin size gives, their edges and centres.

afw splits an image evenly into ``n`` bins with integer arithmetic (lsst-formats.md 2.1), so
bins are 127 or 128 pixels wide for 32 bins over 4072 pixels, not ``binSize`` wide. The
estimator (:mod:`skybkg_adapters.estimate`), the renderer and the bin-grid display all use
these functions, so the three agree on where a bin is.
"""

from __future__ import annotations

import numpy as np

from .errors import RenderError

__all__ = ["BIN_RULES", "bin_centers", "bin_count", "bin_edges"]

BIN_RULES = ("floor+1", "ceil")
"""How a bin size becomes a bin count: ``"floor+1"`` is ``length // bin_size + 1``
(meas_algorithms v23 and v29.0.0, i.e. DP0.2 and DP1); ``"ceil"`` is
``ceil(length / bin_size)`` (meas_algorithms after 2025-05-19)."""


def bin_count(length: int, bin_size: int, rule: str = "floor+1") -> int:
    """Number of bins ``SubtractBackgroundTask`` uses along an axis of ``length`` pixels.

    Parameters
    ----------
    length
        Image width (or height) in pixels.
    bin_size
        The configured ``binSize`` (``binSizeX``/``binSizeY``) in pixels.
    rule
        One of :data:`BIN_RULES`.
    """
    length, bin_size = int(length), int(bin_size)
    if length < 1 or bin_size < 1:
        raise ValueError(f"need a positive length and bin size; got {length} and {bin_size}")
    if rule == "floor+1":
        return length // bin_size + 1
    if rule == "ceil":
        return -(-length // bin_size)
    raise ValueError(f"bin rule must be one of {BIN_RULES}; got {rule!r}")


def bin_edges(length: int, n: int) -> np.ndarray:
    """Boundaries of ``n`` afw background bins tiling ``length`` pixels, local pixel indices.

    Bin ``i`` covers pixels ``edges[i] .. edges[i+1] - 1``: it ends at
    ``min(((i+1)*length + n//2) // n, length)`` (afw ``_setCenOrigSize``).

    Returns
    -------
    numpy.ndarray
        int64, shape ``(n + 1,)``, from 0 to ``length``.
    """
    length, n = int(length), int(n)
    if length < 1 or n < 1:
        raise RenderError(f"need a positive image length and bin count; got {length} and {n}")
    edges = np.zeros(n + 1, np.int64)
    edges[1:] = np.minimum(((np.arange(n, dtype=np.int64) + 1) * length + n // 2) // n, length)
    return edges


def bin_centers(length: int, n: int) -> np.ndarray:
    """Centres of ``n`` afw background bins tiling ``length`` pixels, in local pixel coordinates.

    A bin's centre is ``start + size/2 - 0.5`` (:func:`bin_edges` gives start and size), the
    abscissa afw interpolates and fits at. Add ``BKGD_X0``/``BKGD_Y0`` for parent coordinates.

    Parameters
    ----------
    length
        Image width (or height) in pixels.
    n
        Number of bins along that axis.

    Returns
    -------
    numpy.ndarray
        float64 centres, shape ``(n,)``.
    """
    edges = bin_edges(length, n)
    return edges[:-1] + 0.5 * (edges[1:] - edges[:-1]) - 0.5

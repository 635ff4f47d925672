"""The notebook's statistics block of an image or a background, exactly and without copies.

The reference is the seed notebook, which copies the image to float64, flattens it and calls
``np.min``/``np.max``/``np.mean``/``np.median``/``np.std``.  :func:`background_stats` returns the
same numbers without that copy:

* min, max and the median are exact (the median is found by a strided sample that brackets the
  middle, or a bucket count, and an exact selection inside the bracket: no sorted copy);
* mean and std reproduce numpy's pairwise summation of the float64 values (same blocks, same
  order), so they are bit-identical to numpy's for the same finite pixels.  The tests assert
  equality; the documented tolerance, should a numpy release change its summation, is a relative
  ``4 * log2(n) * 2**-53``.

Masks follow glue's subset convention: ``True`` means the pixel is used.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ._arrays import flat_and_mask

__all__ = ["BackgroundStats", "background_stats"]

_NOTEBOOK_LINES = (
    ("Minimum pixel value: ", "min"),
    ("Maximum pixel value: ", "max"),
    ("Mean pixel value: ", "mean"),
    ("Median pixel value: ", "median"),
    ("Standard deviation in pixel values: ", "std"),
)


@dataclass(frozen=True)
class BackgroundStats:
    """The notebook's statistics of the considered pixels of an image.

    ``n_pixels`` counts the pixels considered (all, or those a mask selects), ``n_nan`` the
    NaNs among them; ``min`` .. ``std`` are over the finite considered pixels, in float64,
    equal to numpy's (NaN when there is none).  ``unit`` is the pixels' unit, if known.
    """

    n_pixels: int
    n_nan: int
    min: float
    max: float
    mean: float
    median: float
    std: float
    unit: str | None = None

    def format(self, include_counts: bool = True) -> str:
        """The notebook's printed block, character for character, then the unit if known.

        ``include_counts=False`` gives the block printed for the deepCoadd difference, which
        has no pixel-count lines.
        """
        lines = []
        if include_counts:
            lines.append(f"Number of pixels: {self.n_pixels}")
            lines.append(f"Number of NaN pixels:  {self.n_nan}")
        for label, key in _NOTEBOOK_LINES:
            # print(label, value) puts one space between its arguments
            lines.append(f"{label} {np.float64(getattr(self, key))}")
        if self.unit is not None:
            lines.append(f"Unit: {self.unit}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (table rows, JSON)."""
        return asdict(self)

    def __str__(self) -> str:
        return self.format()


def background_stats(array: Any, mask: Any = None, unit: Any = None) -> BackgroundStats:
    """The notebook's statistics of an image: counts, min, max, mean, median, std.

    Parameters
    ----------
    array
        The image (any shape; float32 or float64 read in place, other types as float64).
    mask
        Optional boolean array of the same shape, ``True`` where a pixel is used (glue's subset
        convention).
    unit
        The pixels' unit (an astropy unit or its name), recorded in the result.

    Returns
    -------
    BackgroundStats
        Equal to numpy's on the finite considered pixels in float64; all NaN if there is no
        finite considered pixel (never raises for that).

    Notes
    -----
    Extra memory is at most one image (a compacted copy when NaNs, infinities or a mask must be
    skipped); an image with no NaN and no mask needs only small counters.
    """
    from . import _kernels, _median  # numba loads on first use, not with the plugin

    unit_name = None if unit is None else str(unit)
    flat, m = flat_and_mask(array, mask)
    if m is None and flat.size:
        lo, hi = float(np.min(flat)), float(np.max(flat))
        clean = math.isfinite(lo) and math.isfinite(hi)  # NaN propagates; an inf shows up here
    else:
        clean = False
    if clean:
        values, n_used, n_nan = flat, flat.size, 0
    else:
        n_used, n_nan, n_finite, lo, hi = _kernels.count_select(flat, m)
        if n_finite == 0:
            nan = float("nan")
            return BackgroundStats(int(n_used), int(n_nan), nan, nan, nan, nan, nan, unit_name)
        values = np.empty(n_finite, dtype=flat.dtype)
        _kernels.compact(flat, m, values)
    n = values.size
    mean = _kernels.pairwise_sum(values, 0, n, 0.0) / n
    std = math.sqrt(_kernels.pairwise_sqdev(values, 0, n, mean) / n)
    return BackgroundStats(
        n_pixels=int(n_used),
        n_nan=int(n_nan),
        min=float(lo),
        max=float(hi),
        mean=float(mean),
        median=_median.median_of(values, float(lo), float(hi)),
        std=float(std),
        unit=unit_name,
    )

"""The notebook's statistics of an image that is only ever seen a strip of rows at a time.

A survey renders each detector's background in strips of rows that stay in the processor's
cache (:class:`skybkg_adapters.render.RowRenderer`) instead of a 65 MB image in memory, so
the statistics are gathered strip by strip: :class:`StripStats`.  Min, max and the median
are exact, the same as :func:`~.stats.background_stats`; the median's bracket comes from a
sample of the image given up front (a few rendered rows), and only when that bracket misses
are the strips asked for again.  Mean and std come from float64 sums of ``v - ref`` over the
strips (``ref`` the sample's middle), not numpy's pairwise order, so they agree with
``np.mean``/``np.std`` of the float64 values to a relative ``1e-12``, not bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .stats import BackgroundStats

__all__ = ["StripStats"]

_MARGIN = 0.01
"""Half-width of the median's bracket, as a fraction of the sample's ranks.

A sample of whole rows is not independent (neighbouring pixels of a smooth background are
alike), so the bracket is wider than the binomial ``2 sqrt(m)`` ranks of a random sample."""
_MIN_MARGIN = 16


class StripStats:
    """Statistics of an image gathered from its strips of rows, in any order.

    Parameters
    ----------
    sample
        Values spread over the image (e.g. a few of its rows, or a strided subset), from
        which the median's bracket and the reference of the sums are taken; NaNs allowed.
    unit
        The pixels' unit, recorded in the result.

    Examples
    --------
    >>> stats = StripStats(image[::32])
    >>> for start in range(0, len(image), 64):
    ...     stats.add(image[start : start + 64])
    >>> stats.result(again=lambda: (image[s : s + 64] for s in range(0, len(image), 64)))
    """

    def __init__(self, sample: Any, unit: Any = None):
        from . import _kernels  # numba loads on first use

        values = np.asarray(sample, dtype=np.float64).reshape(-1)
        values = values[np.isfinite(values)]
        self._unit = None if unit is None else str(unit)
        self._acc = np.zeros(_kernels.STRIP_STATE)
        self._acc[5], self._acc[6] = math.inf, -math.inf
        if values.size:
            margin = max(int(_MARGIN * values.size), _MIN_MARGIN)
            self._vmin, self._vmax = _bracket(values, margin)
        else:
            self._vmin, self._vmax = math.inf, -math.inf  # an empty bracket
        self._ref = (self._vmin + self._vmax) / 2 if values.size else 0.0
        self._inside: np.ndarray | None = None
        self._dtype: np.dtype | None = None

    def add(self, strip: Any) -> None:
        """Add a 2-D strip of rows (float32 or float64) to the statistics."""
        from . import _kernels

        rows = np.asarray(strip)
        if rows.ndim != 2:
            raise ValueError(f"a strip is a 2-D array of rows; got shape {rows.shape}")
        if rows.dtype not in (np.float32, np.float64) or not rows.flags.c_contiguous:
            rows = np.ascontiguousarray(rows, dtype=np.float64)
        if self._inside is None:
            self._dtype = rows.dtype
            self._inside = np.empty(0, rows.dtype)
        elif rows.dtype != self._dtype:
            raise ValueError(f"strips must share one dtype; got {rows.dtype} after {self._dtype}")
        found = int(self._acc[8])
        if found + rows.size > self._inside.size:  # room for the whole strip: nothing is lost
            grown = np.empty(max(found + rows.size, 2 * self._inside.size), rows.dtype)
            grown[:found] = self._inside[:found]
            self._inside = grown
        key_type, shift, sign_mask = _kernels.KEY_SHIFTS[rows.dtype]
        _kernels.strip_sums(
            rows,
            rows.view(key_type),
            shift,
            sign_mask,
            self._ref,
            self._vmin,
            self._vmax,
            self._inside,
            self._acc,
        )

    def result(self, again: Callable[[], Iterable[Any]]) -> BackgroundStats:
        """The statistics of every strip added.

        ``again()`` must give the same strips once more (in any order); it is called only
        when the sample was far off: twice when its bracket missed the median (a bucket
        count, and the values inside the exact bracket), once when its middle lay more than
        two standard deviations from the mean (the squared deviations about the mean).
        """
        from . import _kernels, _median

        n_all, n_nan, n = (int(v) for v in self._acc[:3])
        if n == 0 or self._inside is None or self._dtype is None:
            nan = float("nan")
            return BackgroundStats(n_all, n_nan, nan, nan, nan, nan, nan, self._unit)
        s1, s2, lo, hi = (float(v) for v in self._acc[3:7])
        below, found = int(self._acc[7]), int(self._acc[8])
        if lo == hi:
            median = lo
        elif _median.brackets(n, below, found, self._inside.size):
            median = _median.median_inside(self._inside[:found], below, n)
        else:
            counts = _median.new_bucket_counts()
            scale = _median.bucket_scale(lo, hi)
            for strip in again():
                for row in np.asarray(strip, dtype=self._dtype):
                    _kernels.bucket_counts(_finite(row), lo, scale, counts)
            vmin, vmax = _median.counted_bracket(counts, self._dtype, lo, hi, n)
            pieces, below = [], 0
            for strip in again():
                flat = np.asarray(strip, dtype=self._dtype).reshape(-1)
                below += int(np.count_nonzero(flat < vmin) - np.count_nonzero(flat == -np.inf))
                pieces.append(flat[(flat >= vmin) & (flat <= vmax)])
            median = _median.median_inside(np.concatenate(pieces), below, n)
        mean_d = s1 / n
        mean = self._ref + mean_d
        variance = max(s2 / n - mean_d * mean_d, 0.0)
        if mean_d * mean_d > 4 * variance:
            # the sample's middle was far from the mean (|mean - median| <= std always holds
            # for the image itself): the shifted sums cancelled, so sum about the mean instead
            total = 0.0
            for strip in again():
                flat = np.asarray(strip, dtype=np.float64).reshape(-1)
                d = flat[np.isfinite(flat)] - mean
                total += float(d @ d)
            variance = total / n
        return BackgroundStats(
            n_pixels=n_all,
            n_nan=n_nan,
            min=lo,
            max=hi,
            mean=mean,
            median=float(median),
            std=math.sqrt(variance),
            unit=self._unit,
        )


def _bracket(values: np.ndarray, margin: int) -> tuple[float, float]:
    """Values ``margin`` ranks either side of the middle of ``values``."""
    from . import _median

    vmin, vmax = _median.sample_bracket(values, values.size, margin)
    return float(vmin), float(vmax)


def _finite(row: np.ndarray) -> np.ndarray:
    return row if np.isfinite(row).all() else row[np.isfinite(row)]

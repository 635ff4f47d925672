"""The numba loops of the per-bin statistics: one gather pass per bin, then work in cache.

For each bin the usable pixels (finite, no ignored mask bit) are copied once into a buffer
the size of a bin (64 KiB for 128 x 128 float32 pixels, so it stays in the CPU cache); the
median and quartiles come from an exact selection on that buffer (:func:`_order_statistics`),
and each clipping iteration is one vectorised pass over it (:func:`_clip_sums`).

afw's ``Statistics`` (lsst/afw ``src/math/Statistics.cc``), which these follow:

* quantiles interpolate linearly between order statistics at ``f * (n - 1)``;
* ``MEANCLIP`` iterates ``numIter`` (3) times; the first pass keeps pixels with
  ``|v - median| <= numSigmaClip * 0.741301109252802 * IQR``, later passes
  ``|v - mean| <= numSigmaClip * sqrt(variance)`` of the previous pass (the IQR again when
  only one pixel is usable); a NaN centre or limit makes the result NaN;
* a pass's mean and variance are accumulated about its centre, the variance debiased by
  ``n / (n - 1)``; the error is ``sqrt(variance / n)``, the standard error of the mean;
* ``MEDIAN``'s error is ``sqrt(pi/2 * variance / n)`` with the unclipped variance.

Written from that description; nothing is copied.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["STAT_MEAN", "STAT_MEANCLIP", "STAT_MEDIAN", "bins_kernel"]

STAT_MEANCLIP = 0
STAT_MEAN = 1
STAT_MEDIAN = 2

_IQ_TO_STDEV = 0.741301109252802  # afw: one sigma of a Gaussian in units of its IQR
_HALF_PI = np.pi / 2.0
_BUCKETS = 1024  # value buckets of the selection; the median's holds ~0.1 % of a bin
_PILOT = 64  # evenly strided values that set the bucket range
_SORT_BELOW = 256  # bins with fewer usable pixels are simply sorted


@njit(cache=True, nogil=True)
def _gather(image, mask, bits, y0, y1, x0, x1, out):
    """Copy the finite pixels of rows ``y0:y1``, columns ``x0:x1`` without a ``bits`` mask bit.

    The store is unconditional and only the count advances, so the loop has no branch.
    ``bits`` 0 keeps every finite pixel (``mask`` is then not read).
    """
    n = 0
    if bits == 0:
        for y in range(y0, y1):
            for x in range(x0, x1):
                v = image[y, x]
                out[n] = v
                n += 1 if np.isfinite(v) else 0
    else:
        for y in range(y0, y1):
            for x in range(x0, x1):
                v = image[y, x]
                out[n] = v
                n += 1 if np.isfinite(v) & ((mask[y, x] & bits) == 0) else 0
    return n


@njit(cache=True, nogil=True)
def _buckets(buf, n, lo, scale, out):
    """``out[i]`` = bucket of ``buf[i]``: 0 below ``lo``, 1 .. _BUCKETS inside, _BUCKETS + 1 above.

    Computed in the pixels' own precision with monotone operations only (correctly rounded
    subtraction, multiplication by a positive factor, clamping, truncation of a non-negative
    number), so a larger value never lands in a lower bucket: counting buckets then ranks
    values exactly. Branch-free, so it vectorises.
    """
    consts = np.empty(4, buf.dtype)
    consts[0], consts[1], consts[2], consts[3] = lo, scale, -1.0, _BUCKETS
    lo_c, scale_c, bottom, top = consts[0], consts[1], consts[2], consts[3]
    if not np.isfinite(scale_c):
        scale_c = consts[2] * 0
    one = -bottom
    for i in range(n):
        t = (buf[i] - lo_c) * scale_c
        t = min(max(t, bottom), top)
        out[i] = np.int32(t + one)


@njit(cache=True, nogil=True)
def _order_statistics(buf, n, ranks, out, work, index, hist, slot):
    """``out[k] = sorted(buf[:n])[ranks[k]]`` without sorting ``buf`` (which is not changed).

    A strided pilot sample sets a value range cut into buckets; one pass counts the values
    per bucket, a second copies out only the values of the buckets holding the wanted ranks,
    and those few are sorted. Exact for any data: a degenerate range or a crowded bucket only
    makes the final sort larger.
    """
    if n <= _SORT_BELOW:
        work[:n] = buf[:n]
        ordered = np.sort(work[:n])
        for k in range(ranks.size):
            out[k] = ordered[ranks[k]]
        return
    step = n // _PILOT
    pilot = np.empty(_PILOT)
    for t in range(_PILOT):
        pilot[t] = buf[t * step]
    pilot.sort()
    lo, hi = pilot[1], pilot[_PILOT - 2]
    if not hi > lo:
        lo, hi = pilot[0], pilot[_PILOT - 1]
    scale = _BUCKETS / (hi - lo) if hi > lo else 0.0
    _buckets(buf, n, lo, scale, index)
    hist[:] = 0
    for i in range(n):
        hist[index[i]] += 1
    cum = np.cumsum(hist)
    # the buckets holding the wanted ranks, each given a region of ``work`` its count long
    targets = np.empty(ranks.size, np.int64)
    starts = np.empty(ranks.size, np.int64)
    fill = np.zeros(ranks.size, np.int64)
    n_targets = 0
    offset = 0
    for k in range(ranks.size):
        b = np.searchsorted(cum, ranks[k], side="right")
        if slot[b] < 0:
            slot[b] = n_targets
            targets[n_targets] = b
            starts[n_targets] = offset
            offset += hist[b]
            n_targets += 1
    for i in range(n):
        s = slot[index[i]]
        if s >= 0:
            work[starts[s] + fill[s]] = buf[i]
            fill[s] += 1
    for s in range(n_targets):
        work[starts[s] : starts[s] + fill[s]].sort()
    for k in range(ranks.size):
        b = np.searchsorted(cum, ranks[k], side="right")
        s = slot[b]
        out[k] = work[starts[s] + ranks[k] - (cum[b] - hist[b])]
    for s in range(n_targets):
        slot[targets[s]] = -1


@njit(cache=True, nogil=True)
def _quartiles(buf, n, work, index, hist, slot):
    """The median and first/third quartiles, as afw takes them, of ``buf[:n]`` (NaN for none)."""
    if n == 0:
        return np.nan, np.nan, np.nan
    if n == 1:
        v = np.float64(buf[0])
        return v, v, v
    fractions = np.array([0.25, 0.5, 0.75])
    ranks = np.empty(6, np.int64)
    for k in range(3):
        a = int(fractions[k] * (n - 1))
        ranks[2 * k], ranks[2 * k + 1] = a, a + 1
    values = np.empty(6)
    _order_statistics(buf, n, ranks, values, work, index, hist, slot)
    result = np.empty(3)
    for k in range(3):
        idx = fractions[k] * (n - 1)
        a = ranks[2 * k]
        result[k] = (a + 1.0 - idx) * values[2 * k] + (idx - a) * values[2 * k + 1]
    return result[1], result[0], result[2]


@njit(cache=True, nogil=True, fastmath={"reassoc", "nsz"})
def _clip_sums(buf, n, center, limit):
    """Count, sum and sum of squares of ``v - center`` over ``|v - center| <= limit``.

    Reassociation lets the compiler vectorise the sums; it changes only their rounding
    (afw adds in pixel order), by ~1e-16 relative.
    """
    count = 0.0
    total = 0.0
    total2 = 0.0
    for i in range(n):
        d = np.float64(buf[i]) - center
        w = 1.0 if abs(d) <= limit else 0.0
        dw = d * w
        count += w
        total += dw
        total2 += dw * d
    return count, total, total2


@njit(cache=True, nogil=True, error_model="numpy")
def _moments(count, total, total2, center):
    """Mean, debiased variance and variance of the mean from :func:`_clip_sums`, as afw has them."""
    mean = total / count
    variance = total2 / count - mean * mean
    variance *= count * count / (count * count - count)
    mean_variance = variance * count / (count * count)
    return mean + center, variance, mean_variance


@njit(cache=True, nogil=True, error_model="numpy")
def _statistic(buf, n, statistic, n_sigma, n_iter, work, index, hist, slot):
    """One bin's value and error (NaN, NaN without a usable pixel)."""
    if n == 0:
        return np.nan, np.nan
    if statistic == STAT_MEAN:
        count, total, total2 = _clip_sums(buf, n, np.float64(buf[0]), np.inf)
        mean, _, mean_variance = _moments(count, total, total2, np.float64(buf[0]))
        return mean, np.sqrt(mean_variance)
    median, q1, q3 = _quartiles(buf, n, work, index, hist, slot)
    if statistic == STAT_MEDIAN:
        count, total, total2 = _clip_sums(buf, n, median, np.inf)
        _, variance, _ = _moments(count, total, total2, median)
        return median, np.sqrt(_HALF_PI * variance / n)
    iqr_limit = n_sigma * _IQ_TO_STDEV * (q3 - q1)
    mean, variance, mean_variance = np.nan, np.nan, np.nan
    for iteration in range(n_iter):
        if iteration == 0:
            center, limit = median, iqr_limit
        else:
            center = mean
            limit = n_sigma * np.sqrt(variance) if n > 1 else iqr_limit
        if np.isnan(center) or np.isnan(limit):
            mean, variance, mean_variance = np.nan, np.nan, np.nan
            continue
        count, total, total2 = _clip_sums(buf, n, center, limit)
        mean, variance, mean_variance = _moments(count, total, total2, center)
    return mean, np.sqrt(mean_variance)


@njit(cache=True, nogil=True)
def bins_kernel(
    image, mask, bits, x_edges, y_edges, statistic, n_sigma, n_iter, values, errors, counts
):
    """Fill ``values``, ``errors`` and ``counts`` (shape ``(ny, nx)``) bin by bin.

    Bin ``(j, i)`` covers rows ``y_edges[j]:y_edges[j+1]`` and columns
    ``x_edges[i]:x_edges[i+1]``; pixels with a ``bits`` bit in ``mask`` are left out.
    """
    largest = 1
    for j in range(y_edges.size - 1):
        for i in range(x_edges.size - 1):
            size = (y_edges[j + 1] - y_edges[j]) * (x_edges[i + 1] - x_edges[i])
            largest = max(largest, size)
    buf = np.empty(largest, image.dtype)
    work = np.empty(largest, image.dtype)
    index = np.empty(largest, np.int32)
    hist = np.zeros(_BUCKETS + 2, np.int64)
    slot = np.full(_BUCKETS + 2, -1, np.int64)
    for j in range(y_edges.size - 1):
        for i in range(x_edges.size - 1):
            n = _gather(
                image, mask, bits, y_edges[j], y_edges[j + 1], x_edges[i], x_edges[i + 1], buf
            )
            counts[j, i] = n
            values[j, i], errors[j, i] = _statistic(
                buf, n, statistic, n_sigma, n_iter, work, index, hist, slot
            )

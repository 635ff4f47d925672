"""numpy's median of a flat array of finite values, by selection instead of a sorted copy."""

from __future__ import annotations

import math

import numpy as np

from . import _kernels

__all__ = ["median_of"]

_BUCKETS = 1 << 16  # the median's fallback bucket count: 256 KiB of int32 counters
_MEDIAN_SAMPLE = 1 << 15  # strided sample that brackets the median


def median_of(values: np.ndarray, lo: float, hi: float) -> float:
    """Exact median (numpy's: even counts average the two middle values) of finite ``values``.

    Selection without sorting the image: a strided sample brackets the middle order statistics,
    one pass counts the values below the bracket and copies those inside (a few percent), and
    ``np.partition`` finishes on that small copy.  Should the bracket miss (it cannot on smooth
    or noisy images, but can on adversarial ones), a 65536-bucket count brackets it exactly.
    """
    n = values.size
    k_hi = n // 2
    k_lo = k_hi if n % 2 else k_hi - 1
    if lo == hi:
        return lo
    if n <= _MEDIAN_SAMPLE:
        part = np.partition(values, (k_lo, k_hi))
        return _middle(float(part[k_lo]), float(part[k_hi]), n)
    stride = n // _MEDIAN_SAMPLE
    sample = np.array(values[::stride])
    margin = 2 * math.isqrt(sample.size) + 2
    r_lo = max(k_lo * sample.size // n - margin, 0)
    r_hi = min(k_hi * sample.size // n + margin, sample.size - 1)
    part = np.partition(sample, (r_lo, r_hi))
    vmin, vmax = part[r_lo], part[r_hi]
    inside = np.empty(8 * (margin + 1) * stride, dtype=values.dtype)
    below, found = _kernels.collect_between(values, vmin, vmax, inside)
    if not (below <= k_lo and k_hi < below + found and found <= inside.size):
        vmin, vmax = _bucket_bracket(values, lo, hi, k_lo, k_hi)
        _, found = _kernels.collect_between(values, vmin, vmax, inside[:0])
        inside = np.empty(found, dtype=values.dtype)
        below, found = _kernels.collect_between(values, vmin, vmax, inside)
    kth = sorted({k_lo - below, k_hi - below})
    part = np.partition(inside[:found], kth)
    return _middle(float(part[k_lo - below]), float(part[k_hi - below]), n)


def _middle(lower: float, upper: float, n: int) -> float:
    """Numpy's median from the two middle order statistics (the float64 mean for even ``n``)."""
    return lower if n % 2 else (0.0 + lower + upper) / 2.0


def _bucket_bracket(values: np.ndarray, lo: float, hi: float, k_lo: int, k_hi: int):
    """Value bounds that hold order statistics ``k_lo`` and ``k_hi``, from a bucket count."""
    scale = _BUCKETS / (hi - lo)
    counts = np.zeros((4, _BUCKETS), dtype=np.int32)
    _kernels.bucket_counts(values, lo, scale, counts)
    cum = np.cumsum(counts.sum(axis=0, dtype=np.int64))
    b_lo = int(np.searchsorted(cum, k_lo, side="right"))
    b_hi = int(np.searchsorted(cum, k_hi, side="right"))
    return _bucket_value_range(values.dtype, lo, hi, scale, b_lo, b_hi)


def _bucket_value_range(dtype: np.dtype, lo: float, hi: float, scale: float, b_lo: int, b_hi: int):
    """The least and greatest ``dtype`` values in ``[lo, hi]`` with buckets in ``[b_lo, b_hi]``.

    A binary search over the values' bit patterns (ordered like the values), so the bounds are
    exact and the selection by value picks exactly the counted pixels.
    """
    top = _BUCKETS - 1
    sign = 1 << (8 * dtype.itemsize - 1)
    utype = np.uint32 if dtype.itemsize == 4 else np.uint64

    def key(v: float) -> int:
        bits = int(np.array(v, dtype=dtype).view(utype))
        return -(bits & (sign - 1)) if bits & sign else bits

    def value(k: int):
        bits = k if k >= 0 else (-k) | sign
        return np.array(bits, dtype=utype).view(dtype)[()]

    k_min, k_max = key(lo), key(hi)

    def first_key_at_least(bucket: int) -> int:
        a, b = k_min, k_max + 1
        while a < b:
            mid = (a + b) // 2
            if _kernels.bucket(value(mid), lo, scale, top) >= bucket:
                b = mid
            else:
                a = mid + 1
        return a

    return value(first_key_at_least(b_lo)), value(first_key_at_least(b_hi + 1) - 1)

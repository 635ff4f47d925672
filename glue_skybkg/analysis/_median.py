"""numpy's median of finite values by selection instead of a sorted copy.

:func:`median_of` selects from a flat array; the other functions are its steps (bracket the
middle from a sample, check the bracket, select inside it, or count buckets when a bracket
misses), which :class:`~.strip_stats.StripStats` takes over a stream of strips.
"""

from __future__ import annotations

import math

import numpy as np

from . import _kernels

__all__ = [
    "brackets",
    "bucket_scale",
    "counted_bracket",
    "median_inside",
    "median_of",
    "middle",
    "middle_ranks",
    "new_bucket_counts",
    "sample_bracket",
]

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
    k_lo, k_hi = middle_ranks(n)
    if lo == hi:
        return lo
    if n <= _MEDIAN_SAMPLE:
        part = np.partition(values, (k_lo, k_hi))
        return middle(float(part[k_lo]), float(part[k_hi]), n)
    stride = n // _MEDIAN_SAMPLE
    sample = np.array(values[::stride])
    margin = 2 * math.isqrt(sample.size) + 2
    vmin, vmax = sample_bracket(sample, n, margin)
    inside = np.empty(8 * (margin + 1) * stride, dtype=values.dtype)
    below, found = _kernels.collect_between(values, vmin, vmax, inside)
    if not brackets(n, below, found, inside.size):
        counts = new_bucket_counts()
        scale = bucket_scale(lo, hi)
        _kernels.bucket_counts(values, lo, scale, counts)
        vmin, vmax = counted_bracket(counts, values.dtype, lo, hi, n)
        _, found = _kernels.collect_between(values, vmin, vmax, inside[:0])
        inside = np.empty(found, dtype=values.dtype)
        below, found = _kernels.collect_between(values, vmin, vmax, inside)
    return median_inside(inside[:found], below, n)


def middle_ranks(n: int) -> tuple[int, int]:
    """The 0-based ranks of the two middle values of ``n`` (equal when ``n`` is odd)."""
    k_hi = n // 2
    return (k_hi if n % 2 else k_hi - 1), k_hi


def middle(lower: float, upper: float, n: int) -> float:
    """Numpy's median from the two middle order statistics (the float64 mean for even ``n``)."""
    return lower if n % 2 else (0.0 + lower + upper) / 2.0


def sample_bracket(sample: np.ndarray, n: int, margin: int):
    """Values of ``sample`` (drawn from ``n`` values) ``margin`` ranks either side of its middle."""
    k_lo, k_hi = middle_ranks(n)
    r_lo = max(k_lo * sample.size // n - margin, 0)
    r_hi = min(k_hi * sample.size // n + margin, sample.size - 1)
    part = np.partition(sample, (r_lo, r_hi))
    return part[r_lo], part[r_hi]


def brackets(n: int, below: int, found: int, capacity: int) -> bool:
    """Whether a bracket (``below`` values under it, ``found`` in it, all kept) holds the middle."""
    k_lo, k_hi = middle_ranks(n)
    return below <= k_lo and k_hi < below + found and found <= capacity


def median_inside(inside: np.ndarray, below: int, n: int) -> float:
    """The median of ``n`` values from the ones ``inside`` a bracket that holds the middle."""
    k_lo, k_hi = middle_ranks(n)
    kth = sorted({k_lo - below, k_hi - below})
    part = np.partition(inside, kth)
    return middle(float(part[k_lo - below]), float(part[k_hi - below]), n)


def new_bucket_counts() -> np.ndarray:
    """Zeroed counters for :func:`_kernels.bucket_counts` (four interleaved rows)."""
    return np.zeros((4, _BUCKETS), dtype=np.int32)


def bucket_scale(lo: float, hi: float) -> float:
    """Buckets per unit value over ``[lo, hi]``."""
    return _BUCKETS / (hi - lo)


def counted_bracket(counts: np.ndarray, dtype: np.dtype, lo: float, hi: float, n: int):
    """Value bounds that hold the middle order statistics of ``n`` values, from bucket counts."""
    k_lo, k_hi = middle_ranks(n)
    cum = np.cumsum(counts.sum(axis=0, dtype=np.int64))
    b_lo = int(np.searchsorted(cum, k_lo, side="right"))
    b_hi = int(np.searchsorted(cum, k_hi, side="right"))
    return _bucket_value_range(dtype, lo, hi, bucket_scale(lo, hi), b_lo, b_hi)


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

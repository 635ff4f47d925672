"""The notebook's numbers for a background or an image: statistics, histogram, arithmetic, zscale.

Pure functions over numpy arrays (numpy + numba only: no glue, no Qt), so notebooks, dask
workers and the glue plugin share one implementation.

The reference is the seed notebook, which copies the image to float64, flattens it and calls
``np.min``/``np.max``/``np.mean``/``np.median``/``np.std``.  :func:`background_stats` returns the
same numbers without that copy:

* min, max and the median are exact (the median is found by a bucket count over the values and
  an exact selection inside the bucket holding the middle, so it needs no sorted copy);
* mean and std reproduce numpy's pairwise summation of the float64 values (same blocks, same
  order), so they are bit-identical to numpy's for the same finite pixels.  The tests assert
  equality; the documented tolerance, should a numpy release change its summation, is a relative
  ``4 * log2(n) * 2**-53``.

Masks follow glue's subset convention: ``True`` means the pixel is used.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

__all__ = [
    "background_stats",
    "histogram",
    "restore",
    "difference",
    "zscale_limits",
    "zscale_sample",
    "format_stats",
]

_BUCKETS = 1 << 16  # the median's fallback bucket count: 256 KiB of int32 counters
_MEDIAN_SAMPLE = 1 << 15  # strided sample that brackets the median
_PAIRWISE_BLOCK = 128  # numpy's PW_BLOCKSIZE: leaves of its pairwise summation
_ZSCALE_GRID_PIXELS = 300 * 300  # zscale's sample: a regular grid of about 300 x 300 pixels


# ---------------------------------------------------------------------------------------------
# numba kernels
# ---------------------------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def _pairwise_sum(a, start, n):
    """numpy's pairwise float64 sum of ``a[start:start+n]`` (same leaves and order as numpy)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += np.float64(a[start + i])
        return res
    if n <= _PAIRWISE_BLOCK:
        r0 = np.float64(a[start])
        r1 = np.float64(a[start + 1])
        r2 = np.float64(a[start + 2])
        r3 = np.float64(a[start + 3])
        r4 = np.float64(a[start + 4])
        r5 = np.float64(a[start + 5])
        r6 = np.float64(a[start + 6])
        r7 = np.float64(a[start + 7])
        stop = n - n % 8
        for i in range(start + 8, start + stop, 8):
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for i in range(start + stop, start + n):
            res += a[i]
        return res
    half = n // 2
    half -= half % 8
    return _pairwise_sum(a, start, half) + _pairwise_sum(a, start + half, n - half)


@numba.njit(cache=True, nogil=True)
def _pairwise_sqdev(a, start, n, mu):
    """numpy's pairwise float64 sum of ``(a - mu)**2`` over ``a[start:start+n]``."""
    if n < 8:
        res = 0.0
        for i in range(n):
            d = np.float64(a[start + i]) - mu
            res += d * d
        return res
    if n <= _PAIRWISE_BLOCK:
        d0 = np.float64(a[start]) - mu
        d1 = np.float64(a[start + 1]) - mu
        d2 = np.float64(a[start + 2]) - mu
        d3 = np.float64(a[start + 3]) - mu
        d4 = np.float64(a[start + 4]) - mu
        d5 = np.float64(a[start + 5]) - mu
        d6 = np.float64(a[start + 6]) - mu
        d7 = np.float64(a[start + 7]) - mu
        r0 = d0 * d0
        r1 = d1 * d1
        r2 = d2 * d2
        r3 = d3 * d3
        r4 = d4 * d4
        r5 = d5 * d5
        r6 = d6 * d6
        r7 = d7 * d7
        stop = n - n % 8
        for i in range(start + 8, start + stop, 8):
            d0 = np.float64(a[i]) - mu
            d1 = np.float64(a[i + 1]) - mu
            d2 = np.float64(a[i + 2]) - mu
            d3 = np.float64(a[i + 3]) - mu
            d4 = np.float64(a[i + 4]) - mu
            d5 = np.float64(a[i + 5]) - mu
            d6 = np.float64(a[i + 6]) - mu
            d7 = np.float64(a[i + 7]) - mu
            r0 += d0 * d0
            r1 += d1 * d1
            r2 += d2 * d2
            r3 += d3 * d3
            r4 += d4 * d4
            r5 += d5 * d5
            r6 += d6 * d6
            r7 += d7 * d7
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for i in range(start + stop, start + n):
            d = np.float64(a[i]) - mu
            res += d * d
        return res
    half = n // 2
    half -= half % 8
    return _pairwise_sqdev(a, start, half, mu) + _pairwise_sqdev(a, start + half, n - half, mu)


@numba.njit(cache=True, nogil=True)
def _count_select(a, mask):
    """Considered pixels, NaNs among them, finite ones, and their finite min and max."""
    n_used = 0
    n_nan = 0
    n_finite = 0
    lo = np.inf
    hi = -np.inf
    for i in range(a.size):
        if mask is not None and not mask[i]:
            continue
        n_used += 1
        v = np.float64(a[i])
        if v - v == 0.0:
            n_finite += 1
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        elif v != v:
            n_nan += 1
    return n_used, n_nan, n_finite, lo, hi


@numba.njit(cache=True, nogil=True)
def _compact(a, mask, out):
    """Copy the finite considered values of ``a`` into ``out`` in order; return how many."""
    k = 0
    for i in range(a.size):
        if mask is not None and not mask[i]:
            continue
        v = a[i]
        if v - v == 0.0:
            out[k] = v
            k += 1
    return k


@numba.njit(cache=True, nogil=True)
def _bucket(v, lo, scale, top):
    """The median bucket of value ``v``: a non-decreasing function of ``v``."""
    return min(int((np.float64(v) - lo) * scale), top)


@numba.njit(cache=True, nogil=True)
def _bucket_counts(a, lo, scale, counts):
    """Count the values of ``a`` per bucket; four interleaved counters break store chains."""
    top = counts.shape[1] - 1
    n = a.size
    stop = n - n % 4
    for i in range(0, stop, 4):
        counts[0, _bucket(a[i], lo, scale, top)] += 1
        counts[1, _bucket(a[i + 1], lo, scale, top)] += 1
        counts[2, _bucket(a[i + 2], lo, scale, top)] += 1
        counts[3, _bucket(a[i + 3], lo, scale, top)] += 1
    for i in range(stop, n):
        counts[0, _bucket(a[i], lo, scale, top)] += 1


@numba.njit(cache=True, nogil=True)
def _collect_between(a, vmin, vmax, out):
    """Count values below ``vmin`` and copy those in ``[vmin, vmax]`` into ``out``.

    Returns ``(below, inside)``; values past ``out``'s capacity are counted, not stored.  Blocks
    of 256 are tested with vectorised compares and only blocks with a hit are copied from.
    """
    below = 0
    inside = 0
    hit = np.empty(256, dtype=np.bool_)
    for start in range(0, a.size, 256):
        block = a[start:start + 256]
        hits = 0
        for j in range(block.size):
            v = block[j]
            below += v < vmin
            h = (v >= vmin) & (v <= vmax)
            hit[j] = h
            hits += h
        if hits:
            for j in range(block.size):
                if hit[j]:
                    if inside < out.size:
                        out[inside] = block[j]
                    inside += 1
    return below, inside


_NEAR_EDGE = np.int32(1 << 30)  # flags a bin index whose value may sit on a bin edge
_HIST_BLOCK = 2048


@numba.njit(cache=True, nogil=True)
def _histogram_counts(a, mask, lo_keep, hi_keep, zero, first, denom, nbins_f, tol, edges, counts):
    """Bin ``a`` exactly as ``np.histogram``'s uniform-bin path does (see :func:`histogram`).

    numpy computes ``int(((x - first) / denom) * nbins)`` and then moves a value one bin down
    or up if the edge array says so.  The first loop does numpy's arithmetic in numpy's types
    (``zero`` widens ``x`` to the bin type; ``first``, ``denom``, ``nbins_f`` carry the types of
    numpy's operands), vectorised; only indices whose fractional part is within ``tol`` of a
    bin edge can need that move, so only those look at ``edges`` in the second loop.  Rejected
    values go to the spare last counter.  Four interleaved counter rows break store chains on
    smooth images, where neighbours fall in the same bin.
    """
    nbins = counts.shape[1] - 1
    last = nbins - 1
    index = np.empty(_HIST_BLOCK, dtype=np.int32)
    one = zero + 1
    for start in range(0, a.size, _HIST_BLOCK):
        block = a[start:start + _HIST_BLOCK]
        for j in range(block.size):
            x = block[j]
            keep = (x >= lo_keep) & (x <= hi_keep)
            if mask is not None:
                keep = keep & mask[start + j]
            f = (((x + zero) - first) / denom) * nbins_f
            f = f if keep else zero
            k = min(np.int32(f), last)
            frac = f - k
            k = (k | _NEAR_EDGE) if (frac < tol) | (frac > one - tol) else k
            index[j] = k if keep else nbins
        for j in range(block.size):
            k = index[j]
            if k & _NEAR_EDGE:
                k ^= _NEAR_EDGE
                x = block[j] + zero
                if x < edges[k] and k > 0:
                    k -= 1
                if x >= edges[k + 1] and k != last:
                    k += 1
            counts[j & 3, k] += 1


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _flat_and_mask(array: Any, mask: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """A 1-D view (a copy only if ``array`` is not contiguous) and a matching 1-D bool mask."""
    arr = np.asarray(array)
    if arr.dtype.kind == "f" and arr.dtype.itemsize in (4, 8):
        # FITS data straight from astropy is big-endian; the kernels need native order.
        arr = arr.astype(arr.dtype.newbyteorder("="), copy=False)
    else:
        # The notebook works in float64; integers, booleans and float16 go the same way.
        arr = arr.astype(np.float64)
    flat = arr.reshape(-1)
    if mask is None:
        return flat, None
    return flat, _checked_mask(mask, arr.shape).reshape(-1)


def _checked_mask(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``mask`` as a bool array, or a ValueError naming both shapes when it does not fit."""
    m = np.asarray(mask)
    if m.shape != shape:
        raise ValueError(
            f"mask shape {m.shape} does not match array shape {shape}; "
            "pass a boolean mask of the same shape (True = pixel used)"
        )
    return m.astype(np.bool_, copy=False)


def _median_of(values: np.ndarray, lo: float, hi: float) -> float:
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
    below, found = _collect_between(values, vmin, vmax, inside)
    if not (below <= k_lo and k_hi < below + found and found <= inside.size):
        vmin, vmax = _bucket_bracket(values, lo, hi, k_lo, k_hi)
        _, found = _collect_between(values, vmin, vmax, inside[:0])
        inside = np.empty(found, dtype=values.dtype)
        below, found = _collect_between(values, vmin, vmax, inside)
    kth = sorted({k_lo - below, k_hi - below})
    part = np.partition(inside[:found], kth)
    return _middle(float(part[k_lo - below]), float(part[k_hi - below]), n)


def _middle(lower: float, upper: float, n: int) -> float:
    """numpy's median from the two middle order statistics (the float64 mean for even ``n``)."""
    return lower if n % 2 else (0.0 + lower + upper) / 2.0


def _bucket_bracket(values: np.ndarray, lo: float, hi: float, k_lo: int, k_hi: int):
    """Value bounds that hold order statistics ``k_lo`` and ``k_hi``, from a bucket count."""
    scale = _BUCKETS / (hi - lo)
    counts = np.zeros((4, _BUCKETS), dtype=np.int32)
    _bucket_counts(values, lo, scale, counts)
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
            if _bucket(value(mid), lo, scale, top) >= bucket:
                b = mid
            else:
                a = mid + 1
        return a

    return value(first_key_at_least(b_lo)), value(first_key_at_least(b_hi + 1) - 1)


def _nan_stats(n_used: int, n_nan: int) -> dict:
    nan = float("nan")
    return {
        "n_pixels": n_used, "n_nan": n_nan,
        "min": nan, "max": nan, "mean": nan, "median": nan, "std": nan,
    }


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------


def background_stats(array: Any, mask: Any = None) -> dict:
    """The notebook's statistics of an image: counts, min, max, mean, median, std.

    Parameters
    ----------
    array
        The image (any shape; float32 or float64 read in place, other types as float64).
    mask
        Optional boolean array of the same shape, ``True`` where a pixel is used (glue's subset
        convention).

    Returns
    -------
    dict
        ``n_pixels`` (pixels considered: all, or the mask's ``True`` count), ``n_nan`` (NaNs
        among them), and ``min``, ``max``, ``mean``, ``median``, ``std`` (Python floats) over the
        finite considered pixels, equal to numpy's on those pixels in float64.  All NaN if there
        is no finite considered pixel; never raises for that.

    Notes
    -----
    Extra memory is at most one image (a compacted copy when NaNs, infinities or a mask must be
    skipped); an image with no NaN and no mask needs only small counters.
    """
    flat, m = _flat_and_mask(array, mask)
    if m is None and flat.size:
        lo, hi = float(np.min(flat)), float(np.max(flat))
        clean = math.isfinite(lo) and math.isfinite(hi)  # NaN propagates; an inf shows up here
    else:
        clean = False
    if clean:
        values, n_used, n_nan = flat, flat.size, 0
    else:
        n_used, n_nan, n_finite, lo, hi = _count_select(flat, m)
        if n_finite == 0:
            return _nan_stats(int(n_used), int(n_nan))
        values = np.empty(n_finite, dtype=flat.dtype)
        _compact(flat, m, values)
    n = values.size
    mean = _pairwise_sum(values, 0, n) / n
    std = math.sqrt(_pairwise_sqdev(values, 0, n, mean) / n)
    return {
        "n_pixels": int(n_used),
        "n_nan": int(n_nan),
        "min": float(lo),
        "max": float(hi),
        "mean": float(mean),
        "median": _median_of(values, float(lo), float(hi)),
        "std": float(std),
    }


def _finite_range(flat: np.ndarray, m: np.ndarray | None):
    """Finite min and max of the considered values as scalars of ``flat``'s type, or None."""
    if m is None and flat.size:
        lo, hi = np.min(flat), np.max(flat)
        if np.isfinite(lo) and np.isfinite(hi):
            return lo, hi
    _, _, n_finite, lo, hi = _count_select(flat, m)
    if n_finite == 0:
        return None
    return flat.dtype.type(lo), flat.dtype.type(hi)


def histogram(
    array: Any, bins: int = 1000, range: tuple[float, float] | None = None, mask: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of the finite (and masked-in) pixels, exactly as the notebook computes it.

    The notebook histograms its float64 copy of the pixels with ``range=(nanmin, nanmax)``;
    counts and edges here equal ``np.histogram(values.astype(float), bins, range)`` for
    ``values`` the finite considered pixels, without that copy: bins are half open except the
    last, which includes its upper edge; values outside ``range`` are ignored; the default
    range is the finite min and max.  numpy's type rules for the bin arithmetic (which depend
    on the types of ``range``) are reproduced, so values on or next to an edge land in the
    same bin as numpy puts them.

    Parameters
    ----------
    array
        The image.
    bins
        Number of equal-width bins.
    range
        ``(lower, upper)``; default: finite min and max of the considered pixels.
    mask
        Optional boolean array, ``True`` where a pixel is used.

    Returns
    -------
    counts : numpy.ndarray
        int64, ``bins`` long.
    edges : numpy.ndarray
        float64, ``bins + 1`` long (numpy's edges, exactly).
    """
    n_bins = int(bins)
    if n_bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins!r}")
    flat, m = _flat_and_mask(array, mask)
    if range is not None:
        first_edge, last_edge = range
        if first_edge > last_edge:
            raise ValueError(f"histogram range must be increasing; got {range!r}")
        if not (np.isfinite(first_edge) and np.isfinite(last_edge)):
            raise ValueError(f"histogram range must be finite; got {range!r}")
    else:
        found = _finite_range(flat, m)
        first_edge, last_edge = (0, 1) if found is None else (np.float64(v) for v in found)
    if first_edge == last_edge:
        first_edge = first_edge - 0.5
        last_edge = last_edge + 0.5
    # numpy decides every dtype below from these operands (NEP 50 rules), so ask numpy;
    # ``copy`` stands for the notebook's float64 copy of the pixels.
    copy = np.zeros(1, dtype=np.float64)
    bin_type = np.result_type(first_edge, last_edge, copy)
    edges = np.linspace(first_edge, last_edge, n_bins + 1, endpoint=True, dtype=bin_type)
    if np.any(edges[:-1] >= edges[1:]):
        raise ValueError(
            f"too many bins ({n_bins}) for the range [{first_edge}, {last_edge}]: "
            "the bins would have zero width"
        )
    # numpy's operand types for "((x - first) / denom) * bins" and for its range test
    sub_type = np.result_type(np.zeros(1, dtype=bin_type), first_edge)
    denom = np.subtract(last_edge, first_edge, dtype=np.result_type(last_edge, first_edge))
    div_type = np.result_type(np.zeros(1, dtype=sub_type), denom)
    # How far numpy's index can be from the exact (x - first) / width, in bins: its four
    # roundings (subtract, denominator, divide, multiply) give < 4u * bins; linspace's edges
    # are off by < 3u * bins + u * |edge| / width; casting a Python-float range to float32
    # adds u * |edge| / width.  Twice that bound: a value whose index is farther from an
    # integer cannot need numpy's one-bin correction (the kernel checks the edges for every
    # other value).  u is the unit roundoff of the coarsest type numpy computes in.
    types = (bin_type, sub_type, denom.dtype, div_type)
    u = max(np.finfo(t).eps for t in types if np.issubdtype(t, np.floating)) / 2
    width = (float(last_edge) - float(first_edge)) / n_bins
    tol = 16 * u * n_bins + 8 * u * (abs(float(first_edge)) + abs(float(last_edge))) / width
    # int32 counters are faster to bump; each of the 4 rows sees at most a quarter of the pixels
    counts = np.zeros((4, n_bins + 1), dtype=np.int32 if flat.size < 2**33 else np.int64)
    _histogram_counts(
        flat, m,
        np.result_type(copy, first_edge).type(first_edge),
        np.result_type(copy, last_edge).type(last_edge),
        bin_type.type(0),
        sub_type.type(first_edge),
        div_type.type(denom),
        div_type.type(n_bins),
        div_type.type(tol if tol < 0.5 else 1.0),  # 1.0 checks every value
        edges, counts,
    )
    counts = counts[:, :n_bins].sum(axis=0, dtype=np.int64)
    return counts, edges.astype(np.float64)


def _check_shapes(a: np.ndarray, b: np.ndarray, what: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"cannot {what}: shapes {a.shape} and {b.shape} differ; "
            "both must cover the same pixels"
        )


def restore(image: Any, background: Any) -> np.ndarray:
    """A new float32 image with the subtracted background added back (``image + background``).

    The inputs are never modified, so restoring twice cannot happen by accident.  One output
    allocation, no temporaries.
    """
    img = np.asarray(image)
    bkg = np.asarray(background)
    _check_shapes(img, bkg, "restore the background")
    out = np.empty(img.shape, dtype=np.float32)
    return np.add(img, bkg, out=out, casting="same_kind")


def difference(a: Any, b: Any) -> np.ndarray:
    """A new array ``a - b`` (e.g. deepCoadd - deepCoadd_calexp) in the inputs' common type.

    One output allocation, no temporaries; the inputs are not modified.
    """
    left = np.asarray(a)
    right = np.asarray(b)
    _check_shapes(left, right, "take the difference")
    out = np.empty(left.shape, dtype=np.result_type(left, right))
    return np.subtract(left, right, out=out)


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
        mask = _checked_mask(np.atleast_1d(np.asarray(mask)), arr.shape)[grid]
    flat, m = _flat_and_mask(arr[grid], mask)
    keep = np.isfinite(flat)
    if m is not None:
        keep &= m
    return flat[keep]


def format_stats(stats: dict, include_counts: bool = True) -> str:
    """The notebook's printed statistics block, character for character.

    ``include_counts=False`` gives the block printed for the deepCoadd difference, which has no
    pixel-count lines.
    """
    lines = []
    if include_counts:
        lines.append(f"Number of pixels: {int(stats['n_pixels'])}")
        lines.append(f"Number of NaN pixels:  {int(stats['n_nan'])}")
    for label, key in (
        ("Minimum pixel value: ", "min"),
        ("Maximum pixel value: ", "max"),
        ("Mean pixel value: ", "mean"),
        ("Median pixel value: ", "median"),
        ("Standard deviation in pixel values: ", "std"),
    ):
        # print(label, value) puts one space between its arguments
        lines.append(f"{label} {np.float64(stats[key])}")
    return "\n".join(lines)

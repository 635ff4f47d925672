"""The numba kernels of the statistics and the histogram (imported on first use: numba is slow).

Each kernel walks a flat array once; masks follow glue's convention (``True`` = pixel used).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "bucket",
    "bucket_counts",
    "collect_between",
    "compact",
    "count_select",
    "histogram_counts",
    "pairwise_sqdev",
    "pairwise_sum",
    "strip_sums",
]

_PAIRWISE_BLOCK = 128  # numpy's PW_BLOCKSIZE: leaves of its pairwise summation


@numba.njit(cache=True, nogil=True, inline="always")
def _term(v, mu, squared):
    if squared:
        d = np.float64(v) - mu
        return d * d
    return np.float64(v)


@numba.njit(cache=True, nogil=True)
def _pairwise(a, start, n, mu, squared):
    """Numpy's pairwise float64 sum of ``a[start:start+n]``, or of ``(a - mu)**2`` if ``squared``.

    The same leaves (8 interleaved accumulators over blocks of up to 128) and the same split
    points as numpy, so the sums are bit-identical to ``np.sum``/``np.std`` of the float64
    values.  ``squared`` does not change inside a call, so the compiler takes its test out of
    the loops.  Module-level functions, not closures: numba caches these on disk (it cannot
    cache a closure, and would compile it again in every process, ~1.7 s each).
    """
    if n < 8:
        res = 0.0
        for i in range(n):
            res += _term(a[start + i], mu, squared)
        return res
    if n <= _PAIRWISE_BLOCK:
        r0 = _term(a[start], mu, squared)
        r1 = _term(a[start + 1], mu, squared)
        r2 = _term(a[start + 2], mu, squared)
        r3 = _term(a[start + 3], mu, squared)
        r4 = _term(a[start + 4], mu, squared)
        r5 = _term(a[start + 5], mu, squared)
        r6 = _term(a[start + 6], mu, squared)
        r7 = _term(a[start + 7], mu, squared)
        stop = n - n % 8
        for i in range(start + 8, start + stop, 8):
            r0 += _term(a[i], mu, squared)
            r1 += _term(a[i + 1], mu, squared)
            r2 += _term(a[i + 2], mu, squared)
            r3 += _term(a[i + 3], mu, squared)
            r4 += _term(a[i + 4], mu, squared)
            r5 += _term(a[i + 5], mu, squared)
            r6 += _term(a[i + 6], mu, squared)
            r7 += _term(a[i + 7], mu, squared)
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for i in range(start + stop, start + n):
            res += _term(a[i], mu, squared)
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(a, start, half, mu, squared) + _pairwise(
        a, start + half, n - half, mu, squared
    )


@numba.njit(cache=True, nogil=True)
def pairwise_sum(a, start, n, mu):
    """Numpy's float64 sum of ``a[start:start+n]`` (``mu`` unused: the same call shape)."""
    return _pairwise(a, start, n, mu, False)


@numba.njit(cache=True, nogil=True)
def pairwise_sqdev(a, start, n, mu):
    """Numpy's float64 sum of ``(a[start:start+n] - mu)**2``."""
    return _pairwise(a, start, n, mu, True)


@numba.njit(cache=True, nogil=True)
def count_select(a, mask):
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
def compact(a, mask, out):
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
def bucket(v, lo, scale, top):
    """The median bucket of value ``v``: a non-decreasing function of ``v``."""
    return min(int((np.float64(v) - lo) * scale), top)


@numba.njit(cache=True, nogil=True)
def bucket_counts(a, lo, scale, counts):
    """Count the values of ``a`` per bucket; four interleaved counters break store chains."""
    top = counts.shape[1] - 1
    n = a.size
    stop = n - n % 4
    for i in range(0, stop, 4):
        counts[0, bucket(a[i], lo, scale, top)] += 1
        counts[1, bucket(a[i + 1], lo, scale, top)] += 1
        counts[2, bucket(a[i + 2], lo, scale, top)] += 1
        counts[3, bucket(a[i + 3], lo, scale, top)] += 1
    for i in range(stop, n):
        counts[0, bucket(a[i], lo, scale, top)] += 1


@numba.njit(cache=True, nogil=True)
def collect_between(a, vmin, vmax, out):
    """Count values below ``vmin`` and copy those in ``[vmin, vmax]`` into ``out``.

    Returns ``(below, inside)``; values past ``out``'s capacity are counted, not stored.  Blocks
    of 256 are tested with vectorised compares and only blocks with a hit are copied from.
    """
    below = 0
    inside = 0
    hit = np.empty(256, dtype=np.bool_)
    for start in range(0, a.size, 256):
        block = a[start : start + 256]
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
def histogram_counts(a, mask, lo_keep, hi_keep, zero, first, denom, nbins_f, tol, edges, counts):
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
        block = a[start : start + _HIST_BLOCK]
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


KEY_SHIFTS = {
    np.dtype(np.float32): (np.int32, np.int32(31), np.int32(0x7FFFFFFF)),
    np.dtype(np.float64): (np.int64, np.int64(63), np.int64(0x7FFFFFFFFFFFFFFF)),
}
"""Per float type: the integer type of :func:`strip_sums`' keys, its ``shift`` and ``sign_mask``."""
_STRIP_BLOCK = 256  # pixels a block of a strip row: its sums stay in vector registers
STRIP_STATE = 9
"""Counters of :func:`strip_sums`: pixels, NaNs, finite, sum d, sum d^2, min, max, below, inside."""


@numba.njit(cache=True, nogil=True, inline="always")
def _order_key(bits, shift, sign_mask):
    """An integer that orders like the float whose bits are ``bits`` (for non-NaN floats).

    Integer min/max vectorise where float ones do not (LLVM wants a no-NaN function
    attribute numba does not set), and the key order is the float order, -0 below +0.
    The map is its own inverse.
    """
    return bits ^ ((bits >> shift) & sign_mask)


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "nsz", "contract"})
def _clean_block_sums(block, bits, shift, sign_mask, ref, vmin, vmax):
    """Sums of a block's ``d = v - ref`` and ``d^2``, min/max keys, counts below / in the bracket.

    One vectorised pass (sums reordered).  A NaN or an infinity makes the sums non-finite;
    the caller then discards the rest and takes the block again with :func:`_careful_sums`.
    Not inlined: numba's inlining would drop these fastmath flags, and the loop with them.
    """
    t1 = 0.0
    t2 = 0.0
    lo = hi = _order_key(bits[0], shift, sign_mask)
    below = np.int32(0)
    hits = np.int32(0)
    for k in range(block.shape[0]):
        v = block[k]
        d = np.float64(v) - ref
        t1 += d
        t2 += d * d
        key = _order_key(bits[k], shift, sign_mask)
        lo = min(lo, key)
        hi = max(hi, key)
        below += np.int32(v < vmin)
        hits += np.int32((v >= vmin) & (v <= vmax))
    return t1, t2, lo, hi, below, hits


@numba.njit(cache=True, nogil=True)
def _careful_sums(block, ref, vmin, acc):
    """The block's counters one pixel at a time, NaNs and infinities left out of the statistics."""
    for k in range(block.shape[0]):
        v = np.float64(block[k])
        if v - v == 0.0:
            d = v - ref
            acc[2] += 1
            acc[3] += d
            acc[4] += d * d
            acc[5] = min(acc[5], v)
            acc[6] = max(acc[6], v)
            acc[7] += v < vmin
        elif v != v:
            acc[1] += 1


@numba.njit(cache=True, nogil=True)
def strip_sums(strip, keys, shift, sign_mask, ref, vmin, vmax, inside, acc):
    """Add a strip of rows to the counters ``acc`` (:data:`STRIP_STATE` of them, see there).

    ``d = v - ref`` is summed so that the variance loses nothing to cancellation when ``ref``
    is near the mean.  The finite values in ``[vmin, vmax]`` are copied into ``inside`` from
    position ``acc[8]`` on (counted past its capacity, not stored), as :func:`collect_between`.
    ``keys`` is the strip viewed as integers of its width, ``shift`` and ``sign_mask`` of
    that type (:data:`KEY_SHIFTS`: 31 and ``0x7FFFFFFF`` for float32's ``int32``).  Rows are
    taken in blocks that are slices (indexing ``row[start + k]`` would make numba test for
    negative indices and not vectorise); the bracket is a narrow band of values, so only a
    few blocks hold values to copy.
    """
    key = np.empty(1, keys.dtype)
    value = key.view(strip.dtype)
    found = int(acc[8])
    t1 = t2 = 0.0
    n = below = 0
    lo = hi = _order_key(keys[0, 0], shift, sign_mask)
    for r in range(strip.shape[0]):
        row, row_keys = strip[r], keys[r]
        for start in range(0, row.shape[0], _STRIP_BLOCK):
            block = row[start : start + _STRIP_BLOCK]
            b1, b2, b_lo, b_hi, b_below, hits = _clean_block_sums(
                block, row_keys[start : start + _STRIP_BLOCK], shift, sign_mask, ref, vmin, vmax
            )
            if b1 - b1 == 0.0 and b2 - b2 == 0.0:
                n += block.shape[0]
                t1 += b1
                t2 += b2
                lo = min(lo, b_lo)
                hi = max(hi, b_hi)
                below += b_below
            else:
                _careful_sums(block, ref, vmin, acc)
            if hits:
                for k in range(block.shape[0]):
                    v = block[k]
                    if (v >= vmin) & (v <= vmax):
                        if found < inside.size:
                            inside[found] = v
                        found += 1
    acc[0] += strip.size
    if n:
        acc[2] += n
        acc[3] += t1
        acc[4] += t2
        key[0] = _order_key(lo, shift, sign_mask)
        acc[5] = min(acc[5], np.float64(value[0]))
        key[0] = _order_key(hi, shift, sign_mask)
        acc[6] = max(acc[6], np.float64(value[0]))
        acc[7] += below
    acc[8] = found

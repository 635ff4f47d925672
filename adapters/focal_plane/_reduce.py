"""The numba loop that reduces one full-resolution detector image onto a focal-plane grid.

Along an image row the cell coordinates are linear in the column, so the pixels of one cell
form one run of the row: the loop finds each run's end from where the row crosses the next
cell edge (checked against the cell of the pixels themselves, so rounding cannot move a pixel)
and sums the run in a tight loop, with the plane moments in the same pass.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["N_MOMENTS", "reduce_image"]

# Reordering the sums of a run lets LLVM vectorise them; NaNs are still tested exactly.
_REASSOCIATE = {"reassoc", "contract", "nsz"}

N_MOMENTS = 9
"""Moments of the finite pixels: n, sums of dx, dy, dx^2, dx dy, dy^2, v, v dx, v dy."""


@njit(cache=True, nogil=True, inline="always")
def _cell(origin, slope, x):
    return int(math.floor(origin + slope * x))


@njit(cache=True, nogil=True, inline="always")
def _run_end(origin, slope, cell, x0, q, width):
    """The first column after ``q`` where ``origin + slope (x0 + column)`` leaves ``cell``."""
    if slope > 0:
        end = math.ceil((cell + 1 - origin) / slope - x0)
    elif slope < 0:
        end = math.floor((cell - origin) / slope - x0) + 1
    else:
        return width
    return min(max(end, q + 1), width)


@njit(cache=True, nogil=True, fastmath=_REASSOCIATE)
def _run_sums_fast(row, start, end):
    """Sum and ``(k - start)``-weighted sum of ``row[start:end]`` in the row's precision.

    A run is a cell's width (tens of pixels), so float32 sums stay within ~1e-7 of exact; a NaN
    or infinity makes the result non-finite, which sends the run to :func:`_run_sums_exact`.
    """
    total = row.dtype.type(0)
    weighted = row.dtype.type(0)
    for k in range(end - start):
        value = row[start + k]
        total += value
        weighted += value * row.dtype.type(k)
    return 1.0 * (end - start), np.float64(total), np.float64(weighted)


@njit(cache=True, nogil=True)
def _run_sums_exact(row, start, end):
    """Finite count, sum and ``(k - start)``-weighted sum of ``row[start:end]``, NaNs skipped."""
    n = total = weighted = 0.0
    for k in range(end - start):
        value = np.float64(row[start + k])
        if math.isfinite(value):
            n += 1.0
            total += value
            weighted += value * k
    return n, total, weighted


@njit(cache=True, nogil=True)
def _finite_column_sums(row, start, end):
    """Sums of ``k`` and ``k**2`` over the finite pixels ``k`` of ``row[start:end]``."""
    sk = skk = 0.0
    for k in range(start, end):
        if math.isfinite(row[k]):
            sk += k
            skk += k * k
    return sk, skk


@njit(cache=True, nogil=True)
def reduce_image(image, x0, y0, to_grid, xc, yc, sums, counts, moments):
    """Add every finite pixel of ``image`` to the grid cell its centre falls in, and to the moments.

    ``to_grid`` is ``(a, b, u0, c, d, v0)``: the cell coordinates of parent pixel ``(x, y)``
    are ``u = a x + b y + u0``, ``w = c x + d y + v0`` relative to the window ``sums`` /
    ``counts`` covers, cell ``(j, i)`` holding ``i <= u < i + 1``, ``j <= w < j + 1``.
    ``dx, dy`` of the moments are measured from ``(xc, yc)``.
    """
    height, width = image.shape
    wy, wx = sums.shape
    a, b, u0, c, d, v0 = to_grid
    ox = x0 - xc
    n_all = s_x = s_y = s_xx = s_xy = s_yy = s_v = s_vx = s_vy = 0.0
    for r in range(height):
        y = y0 + r
        u_row = b * y + u0
        w_row = d * y + v0
        row = image[r]
        n = sk = skk = sv = svk = 0.0
        q = 0
        while q < width:
            i = _cell(u_row, a, x0 + q)
            j = _cell(w_row, c, x0 + q)
            end = min(_run_end(u_row, a, i, x0, q, width), _run_end(w_row, c, j, x0, q, width))
            while end < width and _cell(u_row, a, x0 + end) == i and _cell(w_row, c, x0 + end) == j:
                end += 1
            while end > q + 1 and (
                _cell(u_row, a, x0 + end - 1) != i or _cell(w_row, c, x0 + end - 1) != j
            ):
                end -= 1
            run_n, run_v, run_vk = _run_sums_fast(row, q, end)
            if not (math.isfinite(run_v) and math.isfinite(run_vk)):
                run_n, run_v, run_vk = _run_sums_exact(row, q, end)
            run_vk += q * run_v
            if run_n == end - q:  # no NaN: the column sums are arithmetic series
                run_k = 0.5 * (q + end - 1) * run_n
                run_kk = ((end - 1) * end * (2 * end - 1) - (q - 1) * q * (2 * q - 1)) / 6.0
            else:
                run_k, run_kk = _finite_column_sums(row, q, end)
            if run_n > 0 and 0 <= i < wx and 0 <= j < wy:
                sums[j, i] += run_v
                counts[j, i] += int(run_n)
            n += run_n
            sv += run_v
            sk += run_k
            skk += run_kk
            svk += run_vk
            q = end
        # columns k -> dx = k + ox; rows -> dy
        dy = y - yc
        sx = sk + n * ox
        n_all += n
        s_x += sx
        s_y += n * dy
        s_xx += skk + 2.0 * ox * sk + n * ox * ox
        s_xy += sx * dy
        s_yy += n * dy * dy
        s_v += sv
        s_vx += svk + ox * sv
        s_vy += sv * dy
    moments[:] = np.array([n_all, s_x, s_y, s_xx, s_xy, s_yy, s_v, s_vx, s_vy])

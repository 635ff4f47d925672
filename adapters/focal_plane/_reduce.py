"""The numba loop that reduces one full-resolution detector image onto a focal-plane grid.

Along an image row the cell coordinates are linear in the column, so the pixels of one cell
form one run of the row: the loop finds each run's end from where the row crosses the next
cell edge (checked against the cell of the pixels themselves, so rounding cannot move a pixel)
and sums the run in a tight loop.  For a detector whose pixel axes lie along the grid's (yaw a
multiple of 90 degrees, the nominal LSSTCam layout) the runs are the same in every row: they
are found once.

The plane moments need sums of ``v x`` and ``v y`` over the pixels; they come from per-column
and per-row sums of the finite pixels (``sum v x = sum_columns x * column sum``), which a row
adds to with one vectorised pass, instead of a weighted sum inside every run.
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


@njit(cache=True, nogil=True)
def _row_runs(u_row, a, w_row, c, x0, width, starts, cells_i, cells_j):
    """The runs of one row: ``starts[k] .. starts[k+1]`` lie in cell ``(cells_j[k], cells_i[k])``.

    Returns the number of runs; ``starts[n]`` is ``width``.
    """
    n = 0
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
        starts[n] = q
        cells_i[n] = i
        cells_j[n] = j
        n += 1
        q = end
    starts[n] = width
    return n


@njit(cache=True, nogil=True, fastmath=_REASSOCIATE)
def _run_sum_fast(row, start, end):
    """Sum of ``row[start:end]`` in the row's precision (non-finite if a NaN is there).

    A run is a cell's width (tens of pixels), so float32 sums stay within ~1e-7 of exact.
    """
    total = row.dtype.type(0)
    for k in range(start, end):
        total += row[k]
    return np.float64(total)


@njit(cache=True, nogil=True)
def _add_clean_row(row, column_sums):
    """Add a row without NaN to the column sums (vectorised)."""
    for k in range(row.shape[0]):
        column_sums[k] += row[k]


@njit(cache=True, nogil=True)
def _add_row_with_nan(row, column_sums, column_counts, start, end):
    """Count, sum and column sums of the finite pixels of ``row[start:end]``; NaNs skipped."""
    n = total = 0.0
    for k in range(start, end):
        value = np.float64(row[k])
        if math.isfinite(value):
            n += 1.0
            total += value
            column_sums[k] += value
            column_counts[k] += 1
    return n, total


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
    # along the grid's axes the runs of every row are those of the first (up to its cell row)
    aligned = b == 0.0 and c == 0.0
    starts = np.empty(width + 1, np.int64)
    cells_i = np.empty(width, np.int64)
    cells_j = np.empty(width, np.int64)
    n_runs = 0
    if aligned:
        n_runs = _row_runs(u0, a, 0.0, 0.0, x0, width, starts, cells_i, cells_j)
    column_sums = np.zeros(width)
    column_counts = np.zeros(width, np.int64)
    clean_rows = 0
    dx_sum = 0.0  # sum of dx over a whole row
    for k in range(width):
        dx_sum += x0 + k - xc
    n_all = s_x = s_y = s_xy = s_yy = s_v = s_vy = 0.0
    for r in range(height):
        y = y0 + r
        row = image[r]
        if aligned:
            j_row = int(math.floor(d * y + v0))
            for k in range(n_runs):
                cells_j[k] = j_row
        else:
            n_runs = _row_runs(b * y + u0, a, d * y + v0, c, x0, width, starts, cells_i, cells_j)
        row_n = row_v = 0.0
        clean = True
        for k in range(n_runs):
            run_v = _run_sum_fast(row, starts[k], starts[k + 1])
            if not math.isfinite(run_v):
                clean = False
                break
            i, j = cells_i[k], cells_j[k]
            if 0 <= i < wx and 0 <= j < wy:
                sums[j, i] += run_v
                counts[j, i] += starts[k + 1] - starts[k]
            row_v += run_v
        if clean:
            _add_clean_row(row, column_sums)
            clean_rows += 1
            row_n = 1.0 * width
            row_dx = dx_sum
        else:
            # undo this row's runs and take it again pixel by pixel, NaNs skipped
            for m in range(k):
                i, j = cells_i[m], cells_j[m]
                if 0 <= i < wx and 0 <= j < wy:
                    sums[j, i] -= _run_sum_fast(row, starts[m], starts[m + 1])
                    counts[j, i] -= starts[m + 1] - starts[m]
            row_v = 0.0
            row_dx = 0.0
            for m in range(n_runs):
                run_n, run_v = _add_row_with_nan(
                    row, column_sums, column_counts, starts[m], starts[m + 1]
                )
                i, j = cells_i[m], cells_j[m]
                if run_n > 0 and 0 <= i < wx and 0 <= j < wy:
                    sums[j, i] += run_v
                    counts[j, i] += int(run_n)
                row_n += run_n
                row_v += run_v
                for q in range(starts[m], starts[m + 1]):
                    if math.isfinite(row[q]):
                        row_dx += x0 + q - xc
        dy = y - yc
        n_all += row_n
        s_x += row_dx
        s_y += row_n * dy
        s_xy += row_dx * dy
        s_yy += row_n * dy * dy
        s_v += row_v
        s_vy += row_v * dy
    s_xx = s_vx = 0.0
    for k in range(width):
        dx = x0 + k - xc
        s_xx += (clean_rows + column_counts[k]) * dx * dx
        s_vx += column_sums[k] * dx
    moments[:] = np.array([n_all, s_x, s_y, s_xx, s_xy, s_yy, s_v, s_vx, s_vy])

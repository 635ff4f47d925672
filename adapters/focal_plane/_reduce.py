"""The numba loops that reduce a detector image onto a focal-plane grid, a strip of rows at a time.

Along an image row the cell coordinates are linear in the column, so the pixels of one cell
form one run of the row: the loop finds each run's end from where the row crosses the next
cell edge (checked against the cell of the pixels themselves, so rounding cannot move a pixel)
and sums the run in a tight loop.  For a detector whose pixel axes lie along the grid's (yaw a
multiple of 90 degrees, the nominal LSSTCam layout) the runs are the same in every row and
only one cell coordinate changes along a row: clean rows are added to per-column sums that
are emptied into the cells when the row's fixed cell coordinate moves on.

The plane moments need sums of ``v x`` and ``v y`` over the pixels; they come from per-column
and per-row sums of the finite pixels (``sum v x = sum_columns x * column sum``), which a row
adds to with one vectorised pass, instead of a weighted sum inside every run.  Everything
that spans rows lives in a state the caller carries from strip to strip, so the image is
never needed whole.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["N_COLUMN_STATE", "N_MOMENTS", "N_STATE", "finish", "reduce_rows"]

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
    The run is a slice: indexing ``row[start + k]`` would make numba test for negative
    indices and not vectorise.
    """
    run = row[start:end]
    total = row.dtype.type(0)
    for k in range(run.shape[0]):
        total += run[k]
    return np.float64(total)


@njit(cache=True, nogil=True, fastmath=_REASSOCIATE)
def _row_sum(row):
    """float64 sum of a row (non-finite if a NaN or an infinity is there), vectorised."""
    total = 0.0
    for k in range(row.shape[0]):
        total += row[k]
    return total


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


# The running state of a reduction (one float64 array, so a strip loop carries it along):
_N, _SX, _SY, _SXY, _SYY, _SV, _SVY = range(7)  # moment sums over the rows so far
_CLEAN_ROWS = 7  # rows without NaN (all their pixels count in every column)
_HELD_ROWS = 8  # clean rows held in the column accumulator, not yet in the cells
_HELD_CELL = 9  # the cell those rows lie in, along the axis that is fixed within a row
N_STATE = 10
"""Length of the scalar state of :func:`reduce_rows`."""
N_COLUMN_STATE = 3
"""Rows of its per-column state: column sums, finite counts in NaN rows, held sums."""


@njit(cache=True, nogil=True)
def reduce_rows(strip, x0, y0, to_grid, xc, yc, sums, counts, state, columns):
    """Add each finite pixel of a strip of rows to the cell its centre falls in, and to the moments.

    ``strip`` holds parent rows ``y0 ..`` from column ``x0``; strips may come in any order.
    ``to_grid`` is ``(a, b, u0, c, d, v0)``: the cell coordinates of parent pixel ``(x, y)``
    are ``u = a x + b y + u0``, ``w = c x + d y + v0`` relative to the window ``sums`` /
    ``counts`` covers, cell ``(j, i)`` holding ``i <= u < i + 1``, ``j <= w < j + 1``.
    ``dx, dy`` of the moments are measured from ``(xc, yc)``.  ``state`` (:data:`N_STATE`)
    and ``columns`` (:data:`N_COLUMN_STATE` x width) start at zero and carry the sums from
    strip to strip; :func:`finish` empties them into ``sums``/``counts`` and the moments.

    A detector whose pixel axes lie along the grid's (yaw a multiple of 90 degrees: the
    nominal LSSTCam layout) has the same runs in every row, and along a row only one of its
    cell coordinates changes; its clean rows are added to per-column sums held until the
    fixed coordinate moves on, so a pixel costs one vectorised add.  Other detectors find
    the runs of every row and sum each run into its cell.
    """
    height, width = strip.shape
    wy, wx = sums.shape
    a, b, u0, c, d, v0 = to_grid
    along_x = b == 0.0 and c == 0.0  # u from x, w from y: the cell row is fixed within a row
    along_y = a == 0.0 and d == 0.0  # the cell column is fixed within a row
    column_sums, column_counts, held = columns[0], columns[1], columns[2]
    starts = np.empty(width + 1, np.int64)
    cells_i = np.empty(width, np.int64)
    cells_j = np.empty(width, np.int64)
    n_runs = 0
    if along_x or along_y:
        n_runs = _row_runs(u0, a, v0, c, x0, width, starts, cells_i, cells_j)
    dx_sum = 0.0  # sum of dx over a whole row
    for k in range(width):
        dx_sum += x0 + k - xc
    for r in range(height):
        y = y0 + r
        row = strip[r]
        dy = y - yc
        if along_x or along_y:
            fixed = math.floor(d * y + v0) if along_x else math.floor(b * y + u0)
            row_v = _row_sum(row)
            if math.isfinite(row_v):
                if state[_HELD_ROWS] > 0 and fixed != state[_HELD_CELL]:
                    _flush(
                        sums,
                        counts,
                        state,
                        held,
                        column_sums,
                        starts,
                        cells_i,
                        cells_j,
                        n_runs,
                        along_x,
                    )
                state[_HELD_CELL] = fixed
                state[_HELD_ROWS] += 1
                _add_clean_row(row, held)
                _add_moments(state, 1.0 * width, dx_sum, row_v, dy)
                state[_CLEAN_ROWS] += 1
                continue
            for k in range(n_runs):
                if along_x:
                    cells_j[k] = fixed
                else:
                    cells_i[k] = fixed
        else:
            n_runs = _row_runs(b * y + u0, a, d * y + v0, c, x0, width, starts, cells_i, cells_j)
            row_v = 0.0
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
                _add_moments(state, 1.0 * width, dx_sum, row_v, dy)
                state[_CLEAN_ROWS] += 1
                continue
            # undo this row's runs and take it again pixel by pixel, NaNs skipped
            for m in range(k):
                i, j = cells_i[m], cells_j[m]
                if 0 <= i < wx and 0 <= j < wy:
                    sums[j, i] -= _run_sum_fast(row, starts[m], starts[m + 1])
                    counts[j, i] -= starts[m + 1] - starts[m]
        row_n = row_v = row_dx = 0.0
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
        _add_moments(state, row_n, row_dx, row_v, dy)


@njit(cache=True, nogil=True, inline="always")
def _add_moments(state, row_n, row_dx, row_v, dy):
    state[_N] += row_n
    state[_SX] += row_dx
    state[_SY] += row_n * dy
    state[_SXY] += row_dx * dy
    state[_SYY] += row_n * dy * dy
    state[_SV] += row_v
    state[_SVY] += row_v * dy


@njit(cache=True, nogil=True)
def _flush(sums, counts, state, held, column_sums, starts, cells_i, cells_j, n_runs, along_x):
    """Move the held column sums into their cells and the column sums; the holder is emptied."""
    wy, wx = sums.shape
    rows = int(state[_HELD_ROWS])
    fixed = int(state[_HELD_CELL])
    for k in range(n_runs):
        i, j = (cells_i[k], fixed) if along_x else (fixed, cells_j[k])
        if 0 <= i < wx and 0 <= j < wy:
            total = 0.0
            for q in range(starts[k], starts[k + 1]):
                total += held[q]
            sums[j, i] += total
            counts[j, i] += rows * (starts[k + 1] - starts[k])
    for q in range(held.shape[0]):
        column_sums[q] += held[q]
        held[q] = 0.0
    state[_HELD_ROWS] = 0


@njit(cache=True, nogil=True)
def finish(x0, to_grid, xc, sums, counts, state, columns, moments):
    """Empty what :func:`reduce_rows` holds into ``sums``/``counts`` and write the moments."""
    width = columns.shape[1]
    a, b, u0, c, d, v0 = to_grid
    along_x = b == 0.0 and c == 0.0
    if state[_HELD_ROWS] > 0:
        starts = np.empty(width + 1, np.int64)
        cells_i = np.empty(width, np.int64)
        cells_j = np.empty(width, np.int64)
        n_runs = _row_runs(u0, a, v0, c, x0, width, starts, cells_i, cells_j)
        _flush(
            sums, counts, state, columns[2], columns[0], starts, cells_i, cells_j, n_runs, along_x
        )
    s_xx = s_vx = 0.0
    for k in range(width):
        dx = x0 + k - xc
        s_xx += (state[_CLEAN_ROWS] + columns[1, k]) * dx * dx
        s_vx += columns[0, k] * dx
    moments[:] = np.array(
        [
            state[_N],
            state[_SX],
            state[_SY],
            s_xx,
            state[_SXY],
            state[_SYY],
            state[_SV],
            s_vx,
            state[_SVY],
        ]
    )

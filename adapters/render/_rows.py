"""The numba loops of afw's separable rendering: bin columns along y, then output rows along x.

Each output row sums the entries in list order in float32, fitting an interpolated entry's
row from its column-interpolated grid (:func:`fit_columns`) and evaluating a Chebyshev
entry from its y-collapsed coefficients.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _chebyshev, _interp

__all__ = ["KIND_CHEBYSHEV", "KIND_INTERP", "finite_points", "fit_columns", "render_rows"]

KIND_INTERP = 0
"""Entry kind: interpolated bin grid."""
KIND_CHEBYSHEV = 1
"""Entry kind: Chebyshev approximation of the bin grid."""


@njit(cache=True)
def finite_points(values, positions, n, xs, ys):
    """Copy the non-NaN ``values[:n]`` and their positions into ``xs``/``ys``; returns the count.

    afw drops NaN bins before fitting each column and each row (lsst-formats.md 2.2).
    """
    count = 0
    for i in range(n):
        v = values[i]
        if not np.isnan(v):
            xs[count] = positions[i]
            ys[count] = v
            count += 1
    return count


@njit(cache=True)
def fit_columns(values, ycen, style, undersample, y_start, grid, info):
    """Interpolate every bin column along y at rows ``y_start ..`` into ``grid[column]``."""
    ny, nx = values.shape
    scratch = _interp.work_arrays(ny)
    for ix in range(nx):
        status, count = _interp_line(
            values[:, ix], ycen, ny, style, undersample, y_start, grid[ix], scratch
        )
        if status != _interp.STATUS_OK:
            info[0], info[1], info[2], info[3] = status, 0, ix, count
            return


@njit(cache=True)
def render_rows(
    out, x_start, kinds, slots, grids, xcens, nxs, styles, unders, tx, ey, orders, info
):
    """Fill ``out`` row by row, adding each entry's float32 row in list order."""
    nx_max = xcens.shape[1]
    scratch = _interp.work_arrays(nx_max)
    acc = np.empty(out.shape[1])
    row_buffer = np.empty(out.shape[1], np.float32)
    e = np.empty(ey.shape[1])
    for r in range(out.shape[0]):
        row = out[r]
        for layer in range(kinds.shape[0]):
            slot = slots[layer]
            # entry 0 is written in place; later entries are rounded to float32 on their
            # own and then added, as afw's image += image does
            if kinds[layer] == KIND_CHEBYSHEV:
                order = orders[slot]
                for a in range(order + 1):
                    e[a] = ey[slot, a, r]
                _chebyshev.row_values(e, tx, order, row, acc, layer > 0)
            else:
                dst = row if layer == 0 else row_buffer
                status, count = _interp_line(
                    grids[slot, :, r],
                    xcens[slot],
                    nxs[slot],
                    styles[slot],
                    unders[slot],
                    x_start,
                    dst,
                    scratch,
                )
                if status != _interp.STATUS_OK:
                    info[0], info[1], info[2], info[3] = status, slot, r, count
                    return
                if layer > 0:
                    for j in range(row.shape[0]):
                        row[j] += row_buffer[j]


@njit(cache=True)
def _interp_line(values, positions, n, style, undersample, t_start, dst, scratch):
    """Fit the finite ``values[:n]`` at ``positions`` and evaluate at ``t_start ..`` into ``dst``.

    One step of afw's separable interpolation: a bin column along y (:func:`_fit_columns`)
    or one output row along x (:func:`_render_rows`). Returns ``(status, finite count)``;
    ``dst`` is untouched unless the status is OK. Kept out of the row loop's body so the
    Chebyshev loops there stay tight.
    """
    xs, ys, kx, ky, b, c, d, work = scratch
    count = finite_points(values, positions, n, xs, ys)
    m, mode, status = _interp.fit_with_fallback(
        xs, ys, count, style, undersample, kx, ky, b, c, d, work
    )
    if status == _interp.STATUS_OK:
        _interp.evaluate(kx, ky, b, c, d, m, mode, t_start, dst)
    return status, count

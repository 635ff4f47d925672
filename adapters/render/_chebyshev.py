"""afw's Chebyshev approximation of a bin grid (lsst-formats.md section 4), as numba kernels.

The fit is a weighted least-squares total-degree Chebyshev polynomial in coordinates
scaled to the half-pixel-grown image box; parameters are ordered by degree, and within a
degree by rising y power: (0,0); (1,0),(0,1); (2,0),(1,1),(0,2); ...
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["basis", "coefficient_grid", "normal_equations", "row_values", "scaled"]


@njit(cache=True)
def scaled(coord, length):
    """``coord`` (local pixels) mapped to [-1, 1] over the box [-0.5, length - 0.5]."""
    lo = -0.5
    hi = length - 0.5
    return (coord + (-(lo + hi) * 0.5)) * (2.0 / (hi - lo))


@njit(cache=True)
def _values(t, order, out):
    """T_0(t) .. T_order(t) by the recurrence T_{n+1} = 2 t T_n - T_{n-1}."""
    out[0] = 1.0
    if order >= 1:
        out[1] = t
    for n in range(1, order):
        out[n + 1] = 2.0 * t * out[n] - out[n - 1]


@njit(cache=True)
def basis(start, count, length, order):
    """``T_a`` at local pixels ``start .. start+count-1`` of a ``length``-pixel axis.

    Shape ``(order + 1, count)``.
    """
    out = np.empty((order + 1, count))
    tmp = np.empty(order + 1)
    for j in range(count):
        _values(scaled(float(start + j), length), order, tmp)
        for a in range(order + 1):
            out[a, j] = tmp[a]
    return out


@njit(cache=True)
def normal_equations(xcen, ycen, values, weights, order, width, height):
    """``A = sum w phi phi^T`` and ``b = sum w v phi`` over usable bins, y outer and x inner.

    Bins whose ``value + weight`` is not finite are skipped (afw's rule).
    """
    nterm = (order + 1) * (order + 2) // 2
    a_mat = np.zeros((nterm, nterm))
    rhs = np.zeros(nterm)
    tx = np.empty(order + 1)
    ty = np.empty(order + 1)
    phi = np.empty(nterm)
    for iy in range(values.shape[0]):
        _values(scaled(ycen[iy], height), order, ty)
        for ix in range(values.shape[1]):
            v = np.float64(values[iy, ix])
            w = np.float64(weights[iy, ix])
            if not np.isfinite(v + w):
                continue
            _values(scaled(xcen[ix], width), order, tx)
            k = 0
            for degree in range(order + 1):
                for ypow in range(degree + 1):
                    phi[k] = tx[degree - ypow] * ty[ypow]
                    k += 1
            for k in range(nterm):
                for lo in range(k + 1):
                    a_mat[k, lo] += w * phi[k] * phi[lo]
                rhs[k] += w * v * phi[k]
    for k in range(nterm):
        for lo in range(k):
            a_mat[lo, k] = a_mat[k, lo]
    return a_mat, rhs


def coefficient_grid(params: np.ndarray, order: int) -> np.ndarray:
    """The parameter vector as ``C[x power, y power]``, shape (order+1, order+1)."""
    grid = np.zeros((order + 1, order + 1))
    k = 0
    for degree in range(order + 1):
        for ypow in range(degree + 1):
            grid[degree - ypow, ypow] = params[k]
            k += 1
    return grid


@njit(cache=True)
def row_values(e, tx, order, dst, acc, add):
    """``sum_a e[a] T_a(x)`` along one row, rounded to float32: stored, or added when ``add``.

    Terms below the top one are summed into ``acc`` first; the last pass adds the top term
    and stores, its loop duplicated for ``add`` so each copy stays branch-free.
    """
    count = dst.shape[0]
    top = tx[order]
    ep = e[order]
    if order <= 1:
        # T_0 = 1: below the top term there is only the constant (nothing for order 0)
        low = e[0] if order == 1 else 0.0
        if add:
            for j in range(count):
                dst[j] += np.float32(low + ep * top[j])
        else:
            for j in range(count):
                dst[j] = low + ep * top[j]
        return
    e0, e1 = e[0], e[1]
    for j in range(count):
        acc[j] = e0 + e1 * tx[1, j]
    # two terms per pass: the row buffers are re-read half as often
    for a in range(2, order - 1, 2):
        ea, eb = e[a], e[a + 1]
        for j in range(count):
            acc[j] += ea * tx[a, j] + eb * tx[a + 1, j]
    if order % 2 == 1:
        ea = e[order - 1]
        for j in range(count):
            acc[j] += ea * tx[order - 1, j]
    if add:
        for j in range(count):
            dst[j] += np.float32(acc[j] + ep * top[j])
    else:
        for j in range(count):
            dst[j] = acc[j] + ep * top[j]

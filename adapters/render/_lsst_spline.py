"""lsst-images' ``SplineField.render`` and point evaluation as numba kernels.

lsst-images interpolates a bin grid in two separable passes (``fields/_spline.py``):

1. y pass: each grid column's finite values are fitted on their own (a 1-D ``y`` for
   scipy) and evaluated at every requested row. The result is stored in the *requested*
   dtype, so a float32 render rounds here already.
2. x pass: the surviving columns are fitted across x, all requested rows at once (a 2-D
   ``y`` for scipy, widened back to float64), and evaluated at every requested column.
   Because scipy's degenerate-weight cutoff is relative to the largest weight of the
   whole fit, every row's fit depends on the largest weight over *all rendered rows*;
   :func:`render` therefore finds that maximum first (pass 1) and then fits and
   evaluates row by row (pass 2), each pass in blocks of rows (:mod:`._blocks`).

A line with one usable point becomes the two-point constant through
``(lo - 0.5, v)`` and ``(hi + 0.5, v)`` (``lo``/``hi`` the inclusive bounds along that
axis), without extrapolation; two points give a straight line; three or more Akima. Both
passes extrapolate with the end cubics.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import _scipy_akima as _akima
from ._blocks import row_blocks, run_blocks

__all__ = ["STATUS_NO_DATA", "STATUS_OK", "evaluate_points", "render"]

STATUS_OK = 0
STATUS_NO_DATA = 1  # every grid value is non-finite; lsst-images raises "No valid data points."


@njit(cache=True)
def _fit_line_of(x, v, n, lo, hi, m, f12, t, c, kx, kv):
    """Fit ``n`` points as lsst-images does; returns (knot count, extrapolate).

    The knots used are left in ``kx``/``kv`` (they differ from ``x``/``v`` only for n == 1).
    For n >= 3 the degenerate-weight cutoff uses this fit's own largest weight (a 1-D fit).
    """
    if n == 1:
        kx[0] = lo - 0.5
        kx[1] = hi + 0.5
        kv[0] = v[0]
        kv[1] = v[0]
        _akima.fit_line(kx, kv, t, c)
        return 2, False
    for i in range(n):
        kx[i] = x[i]
        kv[i] = v[i]
    if n == 2:
        _akima.fit_line(kx, kv, t, c)
    else:
        top = _akima.slopes_and_weights(kx, kv, n, m, f12)
        _akima.hermite_coefficients(kx, kv, n, m, f12, top, t, c)
    return n, True


@njit(cache=True)
def _finite_column(data, ys, j, xs_out, vs_out):
    """Copy the finite values of grid column ``j`` and their row positions; return the count."""
    count = 0
    for i in range(data.shape[0]):
        v = data[i, j]
        if np.isfinite(v):
            xs_out[count] = ys[i]
            vs_out[count] = v
            count += 1
    return count


@njit(cache=True)
def _columns(data, ys, y_lo, y_hi):
    """Fit every grid column along y.

    Returns the indices of the columns with a finite value and, per kept column, its
    knots, cubic coefficients, knot count and whether it extrapolates.
    """
    ny, nx = data.shape
    cap = max(ny, 2)
    kept = np.empty(nx, np.int64)
    knots = np.empty((nx, cap))
    knot_values = np.empty((nx, cap))
    coeffs = np.empty((nx, 4, cap))
    counts = np.empty(nx, np.int64)
    extrap = np.empty(nx, np.bool_)
    xs = np.empty(cap)
    vs = np.empty(cap)
    m = np.empty(cap + 3)
    f12 = np.empty(cap)
    t = np.empty(cap)
    n_kept = 0
    for j in range(nx):
        n = _finite_column(data, ys, j, xs, vs)
        if n == 0:
            continue
        k, ex = _fit_line_of(
            xs, vs, n, y_lo, y_hi, m, f12, t, coeffs[n_kept], knots[n_kept], knot_values[n_kept]
        )
        kept[n_kept] = j
        counts[n_kept] = k
        extrap[n_kept] = ex
        n_kept += 1
    return kept[:n_kept], knots, coeffs, counts, extrap


@njit(cache=True)
def _y_pass(data, ys, xs, y_lo, y_hi, row0, ypass):
    """Fit every grid column along y and evaluate it at rows ``row0 ..`` into ``ypass``.

    ``ypass`` has the output dtype (lsst-images holds the y pass in it); row ``k`` gets
    the ``k``-th column that has a finite value. Returns those columns' x centres (empty
    when no grid value is finite).
    """
    nrows = ypass.shape[1]
    kept, knots, coeffs, counts, extrap = _columns(data, ys, y_lo, y_hi)
    rows = np.arange(row0, row0 + nrows).astype(np.float64)
    for k in range(kept.shape[0]):
        _akima.evaluate_range(knots[k], counts[k], coeffs[k], extrap[k], rows, ypass[k])
    xk = np.empty(kept.shape[0])
    for k in range(kept.shape[0]):
        xk[k] = xs[kept[k]]
    return xk


@njit(cache=True)
def _gather_row(ypass, nk, r, v):
    """The y-pass values of row ``r`` across the kept columns, widened to float64."""
    for k in range(nk):
        v[k] = np.float64(ypass[k, r])


@njit(cache=True, nogil=True)
def _rows_top(xk, ypass, r0, r1):
    """Largest Akima weight sum over rows ``r0 .. r1-1`` of the x pass (needs >= 3 columns)."""
    nk = xk.shape[0]
    v = np.empty(nk)
    m = np.empty(nk + 3)
    f12 = np.empty(nk)
    top = -np.inf
    for r in range(r0, r1):
        _gather_row(ypass, nk, r, v)
        top = _akima.max_weight(top, _akima.slopes_and_weights(xk, v, nk, m, f12))
    return top


@njit(cache=True)
def _line_scratch(n):
    """Scratch space for fitting a line of up to ``n`` points: ``(v, m, f12, t, c, kx, kv)``."""
    cap = max(n, 2)
    return (
        np.empty(cap),
        np.empty(cap + 3),
        np.empty(cap),
        np.empty(cap),
        np.empty((4, cap)),
        np.empty(cap),
        np.empty(cap),
    )


@njit(cache=True, nogil=True)
def _rows_render(xk, ypass, x_lo, x_hi, top, cols, r0, r1, out):
    """Fit and evaluate rows ``r0 .. r1-1`` of the x pass into ``out``."""
    nk = xk.shape[0]
    v, m, f12, t, c, kx, kv = _line_scratch(nk)
    for r in range(r0, r1):
        _gather_row(ypass, nk, r, v)
        if nk >= 3:
            _akima.slopes_and_weights(xk, v, nk, m, f12)
            _akima.hermite_coefficients(xk, v, nk, m, f12, top, t, c)
            _akima.evaluate_range(xk, nk, c, True, cols, out[r])
        else:
            n, ex = _fit_line_of(xk, v, nk, x_lo, x_hi, m, f12, t, c, kx, kv)
            _akima.evaluate_range(kx, n, c, ex, cols, out[r])


def render(data, ys, xs, y_lo, y_hi, x_lo, x_hi, row0, col0, out) -> int:
    """Render the grid at rows ``row0 ..`` and columns ``col0 ..`` into ``out``.

    Parameters
    ----------
    data
        Grid values, float64, shape ``(len(ys), len(xs))``; non-finite values are missing.
    ys, xs
        Bin-centre rows and columns, parent pixels, strictly increasing (float64).
    y_lo, y_hi, x_lo, x_hi
        Inclusive field bounds (parent pixels), for the one-point fallback.
    row0, col0
        Parent coordinates of ``out[0, 0]``.
    out
        float32 or float64, shape ``(rows, columns)``; the y pass is held in its dtype.

    Returns
    -------
    int
        STATUS_OK, or STATUS_NO_DATA when no grid value is finite (``out`` untouched).
    """
    nrows, ncols = out.shape
    ypass = np.empty((xs.shape[0], nrows), out.dtype)
    xk = _y_pass(data, ys, xs, y_lo, y_hi, row0, ypass)
    if xk.size == 0:
        return STATUS_NO_DATA
    edges = row_blocks(nrows)
    top = -np.inf
    if xk.size >= 3:
        # numpy's max propagates NaN, as scipy's cutoff does
        top = float(np.max(run_blocks(lambda r0, r1: _rows_top(xk, ypass, r0, r1), edges)))
    cols = np.arange(col0, col0 + ncols).astype(np.float64)
    run_blocks(lambda r0, r1: _rows_render(xk, ypass, x_lo, x_hi, top, cols, r0, r1, out), edges)
    return STATUS_OK


@njit(cache=True)
def evaluate_points(data, ys, xs, y_lo, y_hi, x_lo, x_hi, px, py, out):
    """lsst-images ``SplineField._evaluate`` at arbitrary points (float64).

    Each point gets its own x fit over the column values at its row (a 1-D fit, so the
    degenerate-weight cutoff uses that fit's own weights). Returns a STATUS_* code.
    """
    kept, knots, coeffs, counts, extrap = _columns(data, ys, y_lo, y_hi)
    nk = kept.shape[0]
    if nk == 0:
        return STATUS_NO_DATA
    xk = np.empty(nk)
    for k in range(nk):
        xk[k] = xs[kept[k]]
    v, m, f12, t, c, kx, kv = _line_scratch(nk)
    for p in range(px.shape[0]):
        for k in range(nk):
            v[k] = _akima.evaluate_point(knots[k], counts[k], coeffs[k], extrap[k], py[p])
        n, ex = _fit_line_of(xk, v, nk, x_lo, x_hi, m, f12, t, c, kx, kv)
        out[p] = _akima.evaluate_point(kx, n, c, ex, px[p])
    return STATUS_OK

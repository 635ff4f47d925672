"""A bin grid at arbitrary centres rendered the way ``lsst.afw`` renders a background.

Columns along y first, then rows along x, as afw (and lsst-images) do, with afw's
interpolants from :mod:`._interp`: GSL Akima (exact-zero weight test, straight chord when
degenerate), afw's quadratic Taylor extrapolation beyond the end knots, and the
REDUCE_INTERP_ORDER fallbacks by the number of usable (non-NaN) points: 1 constant,
2 linear, 3-4 natural cubic spline, 5 or more Akima (after afw's global check, see
``spline._afw_style``). A column or row with no usable point is NaN, and NaN columns drop
out of the row fits. Intermediate values stay in float64 as in afw; only the output is
rounded.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..styles import UndersampleStyle
from . import _interp
from ._blocks import row_blocks, run_blocks
from ._rows import finite_points

__all__ = ["render"]

_REDUCE = int(UndersampleStyle.REDUCE_INTERP_ORDER)


@njit(cache=True)
def _line(values, positions, style, t0, dst, scratch):
    """Fit one column or row with afw's fallbacks and evaluate it at ``t0, t0 + 1, ...``."""
    xs, vs, kx, kv, b, c, d, work = scratch
    n = finite_points(values, positions, values.shape[0], xs, vs)  # afw's cullNan
    m, mode, _ = _interp.fit_with_fallback(xs, vs, n, style, _REDUCE, kx, kv, b, c, d, work)
    _interp.evaluate(kx, kv, b, c, d, m, mode, t0, dst)


@njit(cache=True, nogil=True)
def _rows(columns, xs, style, col0, r0, r1, out):
    """The row pass for rows ``r0 .. r1-1``."""
    scratch = _interp.work_arrays(columns.shape[0])
    for r in range(r0, r1):
        _line(columns[:, r], xs, style, col0, out[r], scratch)


@njit(cache=True)
def _columns(data, ys, style, row0, columns):
    """The column pass: every grid column along y at rows ``row0 ..``, in float64."""
    scratch = _interp.work_arrays(data.shape[0])
    for j in range(data.shape[1]):
        _line(data[:, j], ys, style, row0, columns[j], scratch)


def render(data, ys, xs, style, row0, col0, out) -> None:
    """Render ``data`` (shape ``(len(ys), len(xs))``) into ``out`` at parent ``(col0, row0)``.

    ``style`` is the afw interpolation style after the global undersampling check; ``out``
    is float32 or float64 and its first pixel is parent ``(col0, row0)``.
    """
    columns = np.empty((data.shape[1], out.shape[0]))
    _columns(data, ys, style, row0, columns)
    run_blocks(
        lambda r0, r1: _rows(columns, xs, style, col0, r0, r1, out), row_blocks(out.shape[0])
    )

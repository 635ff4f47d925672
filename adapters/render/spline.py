"""Rendering a 2-D grid of background bins to pixels, as lsst-images or as afw would.

Both semantics interpolate separably, along y (each grid column) first and then along x
(each output row), at integer parent-pixel positions; they differ in the 1-D interpolant:

``"lsst-images"``
    scipy's Akima (relative degenerate-weight cutoff, cubic extrapolation), a constant for
    one point, a line for two; the y pass is held in the output dtype. Bit for bit what
    ``lsst.images.fields.SplineField.render`` returns (``_lsst_spline``, ``_scipy_akima``).
``"afw"``
    GSL's Akima with afw's quadratic extrapolation and REDUCE_INTERP_ORDER fallbacks
    (``_afw_spline``), in float64 until the output is rounded: what the pipeline's afw
    background would give from the same bins. Inside the hull of the bin centres and with
    at least 5 usable points per line this equals the lsst-images render to float32
    round-off; outside it, or with fewer points, it differs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ..errors import RenderError
from ..geometry import BBox
from ..semantics import SEMANTICS, Semantics, checked_dtype
from ..styles import InterpStyle, max_interp_style

__all__ = ["evaluate_spline", "render_spline"]


def _checked_grid(values, x, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = np.ascontiguousarray(values, dtype=np.float64)
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if values.shape != (y.size, x.size):
        raise RenderError(
            f"grid values have shape {values.shape} but there are {y.size} y and {x.size} x "
            "bin centres; expected (len(y), len(x))"
        )
    return values, x, y


def render_spline(
    values: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    bounds: BBox,
    bbox: BBox,
    *,
    dtype: DTypeLike = np.float64,
    semantics: Semantics = "lsst-images",
) -> np.ndarray:
    """Pixels of a bin grid over ``bbox``, shape ``(height, width)``.

    Parameters
    ----------
    values
        Bin values, shape ``(len(y), len(x))``; non-finite values are missing bins
        (``"afw"`` drops NaN only, as afw does).
    x, y
        Bin centres in parent pixels, strictly increasing.
    bounds
        The field's bounds: the one-point fallback of ``"lsst-images"`` spans them.
    bbox
        The pixels to render, inside ``bounds`` (checked by the caller, which knows the field).
    dtype
        float64 or float32.
    semantics
        ``"lsst-images"`` or ``"afw"`` (see the module docstring).

    Raises
    ------
    RenderError
        No grid value is usable (``"lsst-images"``), or the arguments are inconsistent.
    """
    from . import _afw_spline, _lsst_spline  # numba compiles on first use

    values, x, y = _checked_grid(values, x, y)
    out = np.empty(bbox.shape, checked_dtype(dtype))
    if semantics == "lsst-images":
        status = _lsst_spline.render(
            values, y, x, bounds.y0, bounds.max_y, bounds.x0, bounds.max_x, bbox.y0, bbox.x0, out
        )
        if status == _lsst_spline.STATUS_NO_DATA:
            raise RenderError(
                f"the {values.shape[0]}x{values.shape[1]} spline grid has no finite value; "
                "lsst-images raises 'No valid data points.' here too"
            )
        return out
    if semantics == "afw":
        _afw_spline.render(values, y, x, int(_afw_style(*values.shape)), bbox.y0, bbox.x0, out)
        return out
    raise RenderError(f"semantics must be one of {SEMANTICS}; got {semantics!r}")


def _afw_style(ny: int, nx: int) -> InterpStyle:
    """Afw's global undersampling check for an Akima background under REDUCE_INTERP_ORDER.

    A grid with fewer than 5 bins along either axis is interpolated with the style the
    smaller dimension allows, along both axes (afw ``BackgroundMI::doGetImage``).
    """
    if nx >= 5 and ny >= 5:
        return InterpStyle.AKIMA_SPLINE
    return max_interp_style(nx if nx < ny else ny)


def evaluate_spline(
    values: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    bounds: BBox,
    px: ArrayLike,
    py: ArrayLike,
) -> np.ndarray:
    """The lsst-images spline at arbitrary parent positions ``(px, py)``, float64.

    As lsst-images' point evaluation, each point's x fit is its own, so a degenerate-weight
    decision can differ from the one :func:`render_spline` makes for a whole row.
    """
    from . import _lsst_spline

    values, x, y = _checked_grid(values, x, y)
    pxa, pya = np.broadcast_arrays(np.asarray(px, np.float64), np.asarray(py, np.float64))
    shape = pxa.shape
    flat_x = np.ascontiguousarray(pxa).ravel()
    flat_y = np.ascontiguousarray(pya).ravel()
    out = np.empty(flat_x.size)
    status = _lsst_spline.evaluate_points(
        values, y, x, bounds.y0, bounds.max_y, bounds.x0, bounds.max_x, flat_x, flat_y, out
    )
    if status == _lsst_spline.STATUS_NO_DATA:
        raise RenderError(
            f"the {values.shape[0]}x{values.shape[1]} spline grid has no finite value to evaluate"
        )
    return out.reshape(shape)

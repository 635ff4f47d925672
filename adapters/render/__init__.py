"""Background rendering pixel for pixel as ``lsst.afw`` does it (lsst-formats.md sections 2-5).

An afw ``BackgroundList`` renders each entry to float32 and sums the entries in list order
in float32. An entry either interpolates its bin grid (columns along y first, then rows
along x, GSL splines inside the bin centres and afw's quadratic extrapolation outside) or,
with a Chebyshev approximation style, evaluates a weighted least-squares Chebyshev fit of
the bins. Rendering is fused row by row across entries so a full detector costs little more
than writing the output once.

Rubin's new image format (DP2, lsst-images) stores spline backgrounds as bin grids at
arbitrary centres: :mod:`.spline` renders those, as lsst-images does (scipy's Akima
arithmetic, :mod:`._scipy_akima`, :mod:`._lsst_spline`) or as afw would (the same GSL
kernels, :mod:`._afw_spline`). Renders run on one thread unless asked otherwise
(:func:`set_render_threads`, :mod:`._blocks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from ..bins import bin_centers
from ..errors import RenderError
from ..geometry import BBox
from ..styles import ApproxStyle, InterpStyle, UndersampleStyle, max_interp_style, min_interp_points
from . import _chebyshev, _interp, spline
from ._blocks import render_threads, set_render_threads
from ._rows import KIND_CHEBYSHEV, KIND_INTERP, fit_columns, render_rows
from .spline import *

__all__ = [
    "ArrayRows",
    "RenderableLayer",
    "RowRenderer",
    "render_layers",
    "render_threads",
    "set_render_threads",
    *spline.__all__,
]


class RenderableLayer(Protocol):
    """What the renderer reads of a background entry (a ``BackgroundLayer`` is one)."""

    @property
    def values(self) -> np.ndarray:
        """Bin values, shape ``(ny, nx)``."""

    @property
    def variance(self) -> np.ndarray | None:
        """The stats image's "variance" plane (Chebyshev weights), or None for ones."""

    @property
    def bbox(self) -> BBox:
        """The full-resolution image the bins tile, parent pixels."""

    @property
    def interp_style(self) -> InterpStyle:
        """How bins are interpolated."""

    @property
    def undersample_style(self) -> UndersampleStyle:
        """What to do with too few bins for the style."""

    @property
    def approx_style(self) -> ApproxStyle:
        """UNKNOWN to interpolate, CHEBYSHEV to fit."""

    @property
    def approx_order_x(self) -> int:
        """Chebyshev order along x."""

    @property
    def approx_order_y(self) -> int:
        """Chebyshev order along y (-1: the same as x)."""

    @property
    def approx_weighting(self) -> bool:
        """Whether the fit weights bins by ``1 / variance``."""

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)`` bins."""


def render_layers(
    layers: Sequence[RenderableLayer], bbox: BBox | Iterable[int] | None = None
) -> np.ndarray:
    """Sum of the rendered background entries, float32, as afw ``BackgroundList.getImage()``.

    Parameters
    ----------
    layers
        The entries, in list order (their float32 images are accumulated in this order).
    bbox
        ``(x0, y0, width, height)`` in parent pixels, inside the entries' bbox; default the
        whole bbox. The result is exactly that window of the full render (afw itself
        ignores a sub-box for Chebyshev entries and returns the whole image; entries whose
        origins differ are added by array position, as afw does, so the window is taken
        in entry 0's frame).

    Returns
    -------
    numpy.ndarray
        float32, shape ``(height, width)``; NaN where afw gives NaN.

    Raises
    ------
    RenderError
        Where afw raises: the bbox is outside the image, the bin grid is too small for the
        interpolation style without REDUCE_INTERP_ORDER, the Chebyshev orders differ or no
        bin is usable for the fit.
    """
    rows = RowRenderer(layers, bbox)
    return rows.rows(0, rows.shape[0])


class RowRenderer:
    """Background entries fitted once, whose rendered rows are then made on demand.

    The fits (every bin column along y, every Chebyshev approximation) are done here; each
    call of :meth:`rows` or :meth:`rows_at` then evaluates only the output rows asked for,
    the same float32 values as the matching rows of :func:`render_layers` (which is this
    class asked for all rows). A survey renders a detector in strips of rows that stay in
    the processor's cache, instead of a whole image in memory.

    Parameters and errors are those of :func:`render_layers`; ``shape`` is
    ``(height, width)`` of the window.
    """

    def __init__(self, layers: Sequence[RenderableLayer], bbox: BBox | Iterable[int] | None = None):
        layers = tuple(layers)
        if not layers:
            raise RenderError("nothing to render: the background has no layers")
        full = BBox.coerce(layers[0].bbox)
        for index, layer in enumerate(layers):
            box = BBox.coerce(layer.bbox)
            if box.shape != full.shape:
                raise RenderError(
                    f"layer {index} covers a {box.width}x{box.height} image but layer 0 covers "
                    f"{full.width}x{full.height}; afw cannot add them"
                )
        x0, y0, width, height = _checked_bbox(bbox, full)
        # afw adds entries by array position, so a window is taken in layer 0's frame for all
        local_x, local_y = x0 - full.x0, y0 - full.y0

        kinds = np.empty(len(layers), np.int64)
        slots = np.empty(len(layers), np.int64)
        interp: list[tuple[RenderableLayer, InterpStyle]] = []
        cheb: list[tuple[int, np.ndarray]] = []
        for index, layer in enumerate(layers):
            style = _checked_style(layer, index)
            if layer.approx_style != ApproxStyle.UNKNOWN:
                kinds[index], slots[index] = KIND_CHEBYSHEV, len(cheb)
                cheb.append(_chebyshev_fit(layer, index))
            else:
                kinds[index], slots[index] = KIND_INTERP, len(interp)
                interp.append((layer, style))

        grids, xcens, nxs, styles, unders = _interp_stacks(interp, local_y, height, slots)
        orders = np.array([order for order, _ in cheb] or [0], np.int64)
        max_order = int(orders.max())
        tx = _chebyshev.basis(local_x, width, full.width, max_order)
        ty = _chebyshev.basis(local_y, height, full.height, max_order)
        ey = np.zeros((max(len(cheb), 1), max_order + 1, height))
        for slot, (order, grid) in enumerate(cheb):
            # collapse the y dependence once per row: e_a(y) = sum_b C[a, b] T_b(y)
            ey[slot, : order + 1] = grid @ ty[: order + 1]
        self.shape = (height, width)
        self._layers = layers
        self._y0 = y0
        self._local_x = local_x
        self._kinds, self._slots = kinds, slots
        self._grids, self._xcens, self._nxs = grids, xcens, nxs
        self._styles, self._unders = styles, unders
        self._tx, self._ey, self._orders = tx, ey, orders

    def rows(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Rows ``start .. stop - 1`` of the window (0 is its first), float32, into ``out``.

        ``out`` (optional) is a float32 array of shape ``(stop - start, width)`` to fill;
        a strip loop passes the same one each time.
        """
        height, width = self.shape
        if not 0 <= start <= stop <= height:
            raise ValueError(f"rows {start}..{stop} are not inside the window's {height} rows")
        window = slice(start, stop)
        return self._render(self._grids[:, :, window], self._ey[:, :, window], start, out)

    def rows_at(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """The rows at ``indices`` (0 is the window's first), float32, one per index."""
        index = np.asarray(indices, dtype=np.int64)
        if index.ndim != 1 or (index.size and (index.min() < 0 or index.max() >= self.shape[0])):
            raise ValueError(f"row indices must lie in 0..{self.shape[0] - 1}; got {indices!r}")
        return self._render(self._grids[:, :, index], self._ey[:, :, index], index, None)

    def _render(self, grids, ey, first, out):
        if out is None:
            out = np.empty((grids.shape[2], self.shape[1]), np.float32)
        info = np.zeros(4, np.int64)
        render_rows(
            out,
            self._local_x,
            self._kinds,
            self._slots,
            grids,
            self._xcens,
            self._nxs,
            self._styles,
            self._unders,
            self._tx,
            ey,
            self._orders,
            info,
        )
        if info[0] != _interp.STATUS_OK:
            kinds, slots = self._kinds, self._slots
            layer_index = int(np.flatnonzero((kinds == KIND_INTERP) & (slots == info[1]))[0])
            row = int(info[2]) + (first if isinstance(first, int) else int(first[info[2]]))
            where = f"image row {self._y0 + row} (parent)"
            raise _fit_error(
                self._layers[layer_index], layer_index, where, int(info[0]), int(info[3])
            )
        return out


class ArrayRows:
    """An image already in memory behind :class:`RowRenderer`'s interface (rows are views).

    What a survey strips through when the pixels come whole: an exposure's image plane, or
    a DP2 field background (rendered at once by its own code).
    """

    def __init__(self, image: np.ndarray):
        self._image = np.asarray(image)
        if self._image.ndim != 2:
            raise ValueError(f"an image has 2 dimensions; got shape {self._image.shape}")
        self.shape = self._image.shape

    def rows(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Rows ``start .. stop - 1`` (a view; ``out`` is accepted and not used)."""
        if not 0 <= start <= stop <= self.shape[0]:
            raise ValueError(
                f"rows {start}..{stop} are not inside the image's {self.shape[0]} rows"
            )
        return self._image[start:stop]

    def rows_at(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """The rows at ``indices`` (a copy)."""
        return self._image[np.asarray(indices, dtype=np.int64)]


def _checked_bbox(bbox: BBox | Iterable[int] | None, full: BBox) -> BBox:
    """The requested box as a BBox, which must lie inside ``full``."""
    if bbox is None:
        return full
    try:
        box = BBox(*(int(v) for v in bbox))
    except (TypeError, ValueError):
        raise RenderError(f"bbox must be (x0, y0, width, height) integers; got {bbox!r}") from None
    if box.width < 1 or box.height < 1 or not full.contains(box):
        raise RenderError(
            f"requested bbox {tuple(box)} is not inside the background bbox "
            f"{tuple(full)} (both (x0, y0, width, height) in parent pixels)"
        )
    return box


def _checked_style(layer: RenderableLayer, index: int) -> InterpStyle:
    """Afw's global undersampling check: the style to interpolate with, or RenderError."""
    ny, nx = layer.shape
    style = layer.interp_style
    try:
        needed = min_interp_points(style)
    except ValueError:
        raise RenderError(
            f"layer {index}: interpolation style {style.name} cannot render; afw needs one of "
            f"{[s.name for s in InterpStyle if s != InterpStyle.UNKNOWN]}"
        ) from None
    if nx >= needed and ny >= needed:
        return style
    if layer.undersample_style == UndersampleStyle.REDUCE_INTERP_ORDER:
        return max_interp_style(nx if nx < ny else ny)
    raise RenderError(
        f"layer {index}: a {nx}x{ny} bin grid is too small for {style.name} (needs {needed} "
        f"bins per axis) and the undersample style is {layer.undersample_style.name}; "
        "afw raises here too (REDUCE_INTERP_ORDER would lower the order)"
    )


def _fit_error(layer, index, where, status, count) -> RenderError:
    """The RenderError for a column/row fit the kernels could not make."""
    if status == _interp.STATUS_INIT_FAILED:
        return RenderError(
            f"layer {index}: {where} has only 2 finite values; GSL cannot set up a "
            "periodic cubic spline on 2 points and afw raises here too"
        )
    return RenderError(
        f"layer {index}: {where} has {count} finite values, too few for "
        f"{layer.interp_style.name}, and the undersample style is "
        f"{layer.undersample_style.name}; afw raises here too (REDUCE_INTERP_ORDER would fall back)"
    )


def _chebyshev_fit(layer: RenderableLayer, index: int) -> tuple[int, np.ndarray]:
    """Afw ApproximateChebyshev of one entry: ``(order, C[x power, y power])``."""
    order = layer.approx_order_x
    order_y = order if layer.approx_order_y == -1 else layer.approx_order_y
    if order != order_y:
        raise RenderError(
            f"layer {index}: Chebyshev orders differ (x {order}, y {order_y}); afw only fits "
            "equal orders"
        )
    if order < 0:
        raise RenderError(f"layer {index}: Chebyshev order must be >= 0; got {order}")
    ny, nx = layer.shape
    height, width = BBox.coerce(layer.bbox).shape
    if layer.approx_weighting:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # afw divides int 1 by the float pixel: the weight is rounded to float32
            weights = np.float32(1.0) / (
                np.ones_like(layer.values) if layer.variance is None else layer.variance
            )
    else:
        weights = np.ones_like(layer.values)
    a_mat, rhs = _chebyshev.normal_equations(
        bin_centers(width, nx), bin_centers(height, ny), layer.values, weights, order, width, height
    )
    if not a_mat.any():
        raise RenderError(
            f"layer {index}: No valid points to fit the Chebyshev approximation: every bin has a "
            "non-finite value or weight (variance zero or NaN?); afw raises here too. Try "
            "approx_weighting=False."
        )
    try:
        params = np.linalg.solve(a_mat, rhs)
    except np.linalg.LinAlgError:
        raise RenderError(
            f"layer {index}: the Chebyshev normal equations of order {order} are singular "
            f"({np.isfinite(layer.values).sum()} finite bins); lower the order"
        ) from None
    return order, _chebyshev.coefficient_grid(params, order)


def _interp_stacks(interp, local_y, height, slots):
    """Column-interpolated grids of the interpolated entries, padded into stacked arrays."""
    nx_max = max([layer.shape[1] for layer, _ in interp] or [1])
    grids = np.empty((max(len(interp), 1), nx_max, height))
    xcens = np.zeros((max(len(interp), 1), nx_max))
    nxs = np.zeros(max(len(interp), 1), np.int64)
    styles = np.zeros_like(nxs)
    unders = np.zeros_like(nxs)
    for slot, (layer, style) in enumerate(interp):
        ny, nx = layer.shape
        full_height, width = BBox.coerce(layer.bbox).shape
        xcen, ycen = bin_centers(width, nx), bin_centers(full_height, ny)
        index = int(np.flatnonzero(slots == slot)[0])
        for name, cen in (("x", xcen), ("y", ycen)):
            if np.any(np.diff(cen) <= 0):
                raise RenderError(
                    f"layer {index}: {cen.size} bins along {name} leave some bins empty, so bin "
                    "centres repeat and GSL (and afw) cannot interpolate; use fewer bins"
                )
        info = np.zeros(4, np.int64)
        fit_columns(
            layer.values, ycen, int(style), int(layer.undersample_style), local_y, grids[slot], info
        )
        if info[0] != _interp.STATUS_OK:
            where = f"bin column {int(info[2])}"
            raise _fit_error(layer, index, where, int(info[0]), int(info[3]))
        xcens[slot, :nx] = xcen
        nxs[slot], styles[slot], unders[slot] = nx, int(style), int(layer.undersample_style)
    return grids, xcens, nxs, styles, unders

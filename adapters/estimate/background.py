"""``estimate_background``: a background model built the way the pipeline's estimator builds it.

``SubtractBackgroundTask.fitBackground`` (meas_algorithms v23 and v29, lsst-formats.md 2.1,
1.5 and 4) splits the image into ``W // binSize + 1`` by ``H // binSize + 1`` even bins,
takes the clipped mean of the pixels without an ignored mask plane in each bin (NaN where
none is left) with its error, and stores that grid with the interpolation style and, when
``useApprox``, a Chebyshev approximation of the given order (lowered to ``min(nx, ny) - 1``
under REDUCE_INTERP_ORDER when the grid is too small). The result renders through the same
code as a stored background (:meth:`BackgroundModel.render`), so the two compare pixel for
pixel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..bins import bin_count, bin_edges
from ..container import BackgroundLayer, BackgroundModel, SkyImage
from ..errors import EstimateError
from ..geometry import BBox
from ..masks import plane_bits
from ..styles import ApproxStyle, InterpStyle, UndersampleStyle
from .statistics import bin_statistics

__all__ = ["IGNORED_PLANES", "INTERP_STYLES", "UNDERSAMPLE_STYLES", "estimate_background"]

IGNORED_PLANES = ("BAD", "EDGE", "DETECTED", "DETECTED_NEGATIVE", "NO_DATA")
"""``SubtractBackgroundConfig.ignoredPixelMask``: the planes whose pixels the bins leave out."""

INTERP_STYLES = {
    "constant": InterpStyle.CONSTANT,
    "linear": InterpStyle.LINEAR,
    "natural_spline": InterpStyle.NATURAL_SPLINE,
    "cubic_spline": InterpStyle.CUBIC_SPLINE,
    "akima": InterpStyle.AKIMA_SPLINE,
    "akima_spline": InterpStyle.AKIMA_SPLINE,
}
"""Names accepted for ``interp`` (afw's ``algorithm`` config, lower case; an InterpStyle too)."""

UNDERSAMPLE_STYLES = {
    "reduce": UndersampleStyle.REDUCE_INTERP_ORDER,
    "throw": UndersampleStyle.THROW_EXCEPTION,
}
"""Names accepted for ``undersample`` (INCREASE_NXNYSAMPLE is not supported by afw either)."""


def _choice(value: Any, choices: Mapping[str, Any], what: str, enum: type) -> Any:
    if isinstance(value, enum) and value in choices.values():
        return value
    key = str(value).lower().removesuffix("_interp_order").removesuffix("_exception")
    if key in choices:
        return choices[key]
    raise EstimateError(f"{what} must be one of {sorted(choices)}; got {value!r}")


def _bin_sizes(bin_size: Any) -> tuple[int, int]:
    sizes = (bin_size, bin_size) if np.ndim(bin_size) == 0 else tuple(bin_size)
    try:
        bx, by = (int(v) for v in sizes)
    except (TypeError, ValueError):
        raise EstimateError(f"bin_size must be an int or (x, y) ints; got {bin_size!r}") from None
    if bx < 1 or by < 1:
        raise EstimateError(f"bin_size must be positive; got {bin_size!r}")
    return bx, by


def _pixels_and_mask(
    image: Any, mask: Any, ignored_planes: Iterable[str], mask_planes: Mapping[str, int] | None
) -> tuple[np.ndarray, Any, int | None, dict[str, int], tuple[int, int]]:
    """(pixels, mask, bits or None for a boolean mask, plane names, xy0) of the input."""
    planes = list(ignored_planes)
    if isinstance(image, SkyImage):
        pixels, xy0 = image.image, image.xy0
        known = dict(image.mask_planes if mask_planes is None else mask_planes)
        if mask is None:
            mask = image.mask
    else:
        pixels, xy0 = np.asarray(image), (0, 0)
        known = dict(mask_planes or {})
    if mask is None or not planes and np.asarray(mask).dtype != np.bool_:
        return pixels, None, None, known, xy0
    mask = np.asarray(mask)
    if mask.dtype == np.bool_:
        return pixels, mask, None, known, xy0
    missing = [p for p in planes if p not in known]
    if missing:
        raise EstimateError(
            f"mask plane(s) {missing} are not defined for this image; it has "
            f"{sorted(known) or 'no plane names (pass mask_planes= or a boolean mask)'}"
        )
    return pixels, mask, plane_bits(known, planes), known, xy0


def estimate_background(
    image: SkyImage | Any,
    mask: Any = None,
    *,
    bin_size: int | tuple[int, int] = 128,
    statistic: str = "meanclip",
    ignored_planes: Iterable[str] = IGNORED_PLANES,
    interp: str | InterpStyle = "akima",
    approx_order: int | None = None,
    undersample: str | UndersampleStyle = "reduce",
    approx_weighting: bool = True,
    mask_planes: Mapping[str, int] | None = None,
    xy0: tuple[int, int] | None = None,
    bin_rule: str = "floor+1",
) -> BackgroundModel:
    """A one-entry background model of ``image``, built as ``SubtractBackgroundTask`` does.

    Parameters
    ----------
    image
        A :class:`SkyImage` (its mask and mask-plane names are used) or a 2-D array.
    mask
        Overrides the SkyImage's mask: an integer mask (plane bits from ``mask_planes`` or
        the SkyImage's) or a boolean array, True where a pixel is left out.
    bin_size
        ``binSize`` in pixels, or ``(binSizeX, binSizeY)``: the grid has
        ``W // bin_size + 1`` bins along x (``bin_rule="floor+1"``, the rule of the
        pipelines that made DP0.2 and DP1), split evenly.
    statistic
        ``"meanclip"`` (3 sigma, 3 iterations; the default), ``"mean"`` or ``"median"``.
    ignored_planes
        Mask planes whose pixels are left out (``ignoredPixelMask``).
    interp
        Interpolation style: ``"akima"`` (default), ``"natural_spline"``, ``"cubic_spline"``,
        ``"linear"``, ``"constant"``. With ``approx_order`` it is only stored and checked.
    approx_order
        None to interpolate the bins; an order to render through afw's Chebyshev
        approximation (DP0.2 calexps: 1, DP1 visit images: 6).
    undersample
        ``"reduce"`` (REDUCE_INTERP_ORDER, the default) or ``"throw"``.
    approx_weighting
        Weight the Chebyshev fit by ``1 / error`` plane (the pipelines' default, True).
    mask_planes
        Plane name to bit, for an integer ``mask`` with an array ``image``.
    xy0
        Parent coordinates of the first pixel of an array ``image`` (a SkyImage has its own).
    bin_rule
        ``"floor+1"`` or ``"ceil"`` (``ceil(W / bin_size)``, the pipelines after 2025-05).

    Returns
    -------
    BackgroundModel
        One :class:`BackgroundLayer` over the image's bbox: bin values, their errors in the
        "variance" plane (as afw stores them: the standard error, not a variance), the styles
        as the pipeline records them. ``.render()`` gives the full-resolution background.

    Raises
    ------
    EstimateError
        An unknown setting, an ignored plane the image does not define, or a grid too small
        for the Chebyshev order with ``undersample="throw"``.
    """
    pixels, mask_array, bits, known, image_xy0 = _pixels_and_mask(
        image, mask, ignored_planes, mask_planes
    )
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or 0 in pixels.shape:
        raise EstimateError(f"the image must be a non-empty 2-D array; got shape {pixels.shape}")
    style = _choice(interp, INTERP_STYLES, "interp", InterpStyle)
    under = _choice(undersample, UNDERSAMPLE_STYLES, "undersample", UndersampleStyle)
    bx, by = _bin_sizes(bin_size)
    height, width = pixels.shape
    try:
        nx, ny = bin_count(width, bx, bin_rule), bin_count(height, by, bin_rule)
    except ValueError as exc:
        raise EstimateError(str(exc)) from None
    order = None if approx_order is None else int(approx_order)
    if order is not None:
        if order < 0:
            raise EstimateError(f"approx_order must be >= 0 or None; got {approx_order!r}")
        if min(nx, ny) <= order:
            if under != UndersampleStyle.REDUCE_INTERP_ORDER:
                raise EstimateError(
                    f"a {nx}x{ny} bin grid is too small for Chebyshev order {order} and "
                    "undersample is 'throw'; use a smaller bin_size, a lower approx_order "
                    "or undersample='reduce'"
                )
            order = min(nx, ny) - 1
    stats = bin_statistics(
        pixels, bin_edges(width, nx), bin_edges(height, ny), mask_array, bits, statistic=statistic
    )
    origin = image_xy0 if xy0 is None or isinstance(image, SkyImage) else xy0
    layer = BackgroundLayer(
        values=stats.values,
        bbox=BBox.from_shape(pixels.shape, origin),
        interp_style=style,
        undersample_style=under,
        approx_style=ApproxStyle.UNKNOWN if order is None else ApproxStyle.CHEBYSHEV,
        # what the pipeline writes without an approximation: afw's defaults
        approx_order_x=1 if order is None else order,
        approx_order_y=-1 if order is None else order,
        approx_weighting=bool(approx_weighting),
        variance=stats.errors,
        mask_planes=known,
    )
    return BackgroundModel((layer,))

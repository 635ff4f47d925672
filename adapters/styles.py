"""The afw enumerations stored in BackgroundList files (lsst-formats.md section 1.3)."""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "ApproxStyle",
    "InterpStyle",
    "UndersampleStyle",
    "max_interp_style",
    "min_interp_points",
]


class InterpStyle(IntEnum):
    """``lsst.afw.math.Interpolate.Style``: how bin values are interpolated."""

    UNKNOWN = -1
    CONSTANT = 0
    LINEAR = 1
    NATURAL_SPLINE = 2
    CUBIC_SPLINE = 3
    CUBIC_SPLINE_PERIODIC = 4
    AKIMA_SPLINE = 5
    AKIMA_SPLINE_PERIODIC = 6


class UndersampleStyle(IntEnum):
    """``lsst.afw.math.UndersampleStyle``: what to do with too few bins for the style."""

    THROW_EXCEPTION = 0
    REDUCE_INTERP_ORDER = 1
    INCREASE_NXNYSAMPLE = 2


class ApproxStyle(IntEnum):
    """``lsst.afw.math.ApproximateControl.Style``: UNKNOWN means "interpolate, do not fit"."""

    UNKNOWN = -1
    CHEBYSHEV = 0


_MIN_POINTS = {
    InterpStyle.CONSTANT: 1,
    InterpStyle.LINEAR: 2,
    InterpStyle.NATURAL_SPLINE: 3,
    InterpStyle.CUBIC_SPLINE: 3,
    InterpStyle.CUBIC_SPLINE_PERIODIC: 3,
    InterpStyle.AKIMA_SPLINE: 5,
    InterpStyle.AKIMA_SPLINE_PERIODIC: 5,
}


def min_interp_points(style: InterpStyle) -> int:
    """The fewest points afw accepts for ``style`` (afw ``lookupMinInterpPoints``)."""
    try:
        return _MIN_POINTS[InterpStyle(style)]
    except (KeyError, ValueError):
        raise ValueError(f"interpolation style {style!r} has no minimum point count") from None


def max_interp_style(n_points: int) -> InterpStyle:
    """The richest style afw allows for ``n_points`` (afw ``lookupMaxInterpStyle``)."""
    if n_points < 1:
        raise ValueError(f"need at least one point to interpolate; got {n_points}")
    if n_points == 1:
        return InterpStyle.CONSTANT
    if n_points == 2:
        return InterpStyle.LINEAR
    if n_points < 5:
        return InterpStyle.CUBIC_SPLINE
    return InterpStyle.AKIMA_SPLINE

"""Pixel boxes in parent coordinates: the one bbox type of the adapters and the plugin."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

__all__ = ["BBox"]


class BBox(NamedTuple):
    """A box of whole pixels, ``(x0, y0, width, height)`` in parent pixel coordinates.

    ``x0, y0`` is the parent coordinate of the first pixel (afw's ``xy0``); the box covers
    columns ``x0 .. x0 + width - 1`` and rows ``y0 .. y0 + height - 1``.  Being a tuple, a
    BBox compares equal to the plain ``(x0, y0, width, height)`` tuples older code passes.
    """

    x0: int
    y0: int
    width: int
    height: int

    @classmethod
    def coerce(cls, value: Iterable[int] | BBox, what: str = "bbox") -> BBox:
        """``value`` as a BBox of ints with a positive size; ValueError naming it otherwise."""
        try:
            x0, y0, width, height = (int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{what} must be (x0, y0, width, height) integers; got {value!r}"
            ) from None
        if width < 1 or height < 1:
            raise ValueError(
                f"{what} must be (x0, y0, width, height) with positive size; got {value!r}"
            )
        return cls(x0, y0, width, height)

    @classmethod
    def from_shape(cls, shape: tuple[int, int], xy0: tuple[int, int] = (0, 0)) -> BBox:
        """The box of an array of ``shape`` ``(height, width)`` whose first pixel is ``xy0``."""
        return cls(int(xy0[0]), int(xy0[1]), int(shape[1]), int(shape[0]))

    @classmethod
    def from_inclusive(cls, min_x: int, min_y: int, max_x: int, max_y: int) -> BBox:
        """The box from inclusive corners (afw's ``Box2I``); ``max < min`` is the empty box."""
        width, height = int(max_x) - int(min_x) + 1, int(max_y) - int(min_y) + 1
        if width <= 0 or height <= 0:
            return cls(0, 0, 0, 0)
        return cls(int(min_x), int(min_y), width, height)

    @classmethod
    def from_half_open(cls, x_start: int, x_stop: int, y_start: int, y_stop: int) -> BBox:
        """The box from half-open ranges (lsst-images ``{"x": {"start", "stop"}, ...}``)."""
        return cls.from_inclusive(x_start, y_start, int(x_stop) - 1, int(y_stop) - 1)

    @property
    def is_empty(self) -> bool:
        """Whether the box covers no pixel (afw persists an empty box and gives it meaning)."""
        return self.width <= 0 or self.height <= 0

    @property
    def max_x(self) -> int:
        """The last column (afw's inclusive ``getMaxX``)."""
        return self.x0 + self.width - 1

    @property
    def max_y(self) -> int:
        """The last row (afw's inclusive ``getMaxY``)."""
        return self.y0 + self.height - 1

    @property
    def center(self) -> tuple[float, float]:
        """``(x, y)`` of the box centre in pixel coordinates (NaN for the empty box)."""
        if self.is_empty:
            return float("nan"), float("nan")
        return (self.x0 + self.max_x) / 2.0, (self.y0 + self.max_y) / 2.0

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``: the numpy shape of an array covering the box."""
        return self.height, self.width

    @property
    def xy0(self) -> tuple[int, int]:
        """``(x0, y0)``: the parent coordinate of the first pixel."""
        return self.x0, self.y0

    @property
    def x1(self) -> int:
        """One past the last column (half-open end)."""
        return self.x0 + self.width

    @property
    def y1(self) -> int:
        """One past the last row (half-open end)."""
        return self.y0 + self.height

    def contains(self, other: BBox | Iterable[int]) -> bool:
        """Whether every pixel of ``other`` lies inside this box."""
        box = other if isinstance(other, BBox) else BBox.coerce(other)
        return self.x0 <= box.x0 and self.y0 <= box.y0 and box.x1 <= self.x1 and box.y1 <= self.y1

    def intersection(self, other: BBox) -> BBox | None:
        """The pixels both boxes cover, or None when they do not overlap."""
        x0, y0 = max(self.x0, other.x0), max(self.y0, other.y0)
        x1, y1 = min(self.x1, other.x1), min(self.y1, other.y1)
        if x1 <= x0 or y1 <= y0:
            return None
        return BBox(x0, y0, x1 - x0, y1 - y0)

    def slices(self, inner: BBox) -> tuple[slice, slice]:
        """``(rows, columns)`` slices selecting ``inner`` from an array covering this box."""
        if not self.contains(inner):
            raise ValueError(f"{tuple(inner)} is not inside {tuple(self)}")
        return (
            slice(inner.y0 - self.y0, inner.y1 - self.y0),
            slice(inner.x0 - self.x0, inner.x1 - self.x0),
        )

"""The 2-D fields of lsst-images backgrounds and photometric scalings, and how they render.

lsst-images stores a background (and a photometric scaling) as a tree of fields: a
``SPLINE`` bin grid, a ``CHEBYSHEV`` polynomial, or a ``SUM``/``PRODUCT`` of other fields.
These are frozen records of that tree. ``render`` gives the pixels of any box inside the
field's bounds exactly as lsst-images' ``render`` does (``semantics="lsst-images"``), or,
for spline grids, as lsst.afw would interpolate the same bins (``semantics="afw"``: for DP2
images whose backgrounds came from the pipeline's afw backgrounds, that is what was
actually subtracted). ``evaluate`` gives float64 values at arbitrary parent positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar

import astropy.units as u
import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ..errors import RenderError
from ..geometry import BBox
from ..semantics import Semantics, checked_dtype, checked_semantics

__all__ = ["ChebyshevField", "Field", "ProductField", "SplineField", "SumField", "render_box"]


def render_box(bounds: BBox, bbox: BBox | Iterable[int] | None) -> BBox:
    """The box to render: ``bounds`` by default, else ``bbox``, which must lie inside it."""
    if bbox is None:
        return bounds
    try:
        box = BBox.coerce(bbox)
    except ValueError:
        raise RenderError(
            f"bbox must be (x0, y0, width, height) integers with a positive size; got {bbox!r}"
        ) from None
    if not bounds.contains(box):
        raise RenderError(
            f"bbox {tuple(box)} is not inside the field's bounds {tuple(bounds)} (both "
            "(x0, y0, width, height) in parent pixels); render a box inside the bounds"
        )
    return box


def _increasing(name: str, values: ArrayLike) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name!r} must be a non-empty 1-d array; got shape {array.shape}")
    if not np.all(array[:-1] < array[1:]):
        raise ValueError(f"{name!r} must be strictly increasing; got {array}")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class SplineField:
    """Akima-spline interpolation of values on a grid of bin centres.

    ``data`` has shape ``(len(y), len(x))``, NaN marking a missing bin; it may be a
    zero-argument callable, called on first use (grids stored in their own HDU are read
    only when needed). ``x``/``y`` are bin centres in parent pixels, ``bounds`` the box the
    field is defined on, ``unit`` its unit (None: dimensionless).
    """

    field_type: ClassVar[str] = "SPLINE"

    bounds: BBox
    x: np.ndarray
    y: np.ndarray
    data: np.ndarray | Callable[[], np.ndarray]
    unit: u.UnitBase | None = None
    _cache: list = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bounds", BBox.coerce(self.bounds, "spline bounds"))
        object.__setattr__(self, "x", _increasing("x", self.x))
        object.__setattr__(self, "y", _increasing("y", self.y))
        if not callable(self.data):
            self._cache.append(self._checked(self.data))

    def _checked(self, data: ArrayLike) -> np.ndarray:
        array = np.array(data, dtype=np.float64)
        if array.shape != (self.y.size, self.x.size):
            raise ValueError(
                f"spline data has shape {array.shape}; with {self.y.size} y and {self.x.size} x "
                f"bin centres it must be {(self.y.size, self.x.size)}"
            )
        array.flags.writeable = False
        return array

    def __repr__(self) -> str:
        return (
            f"SplineField({self.y.size}x{self.x.size} bins, bounds={tuple(self.bounds)}, "
            f"unit={self.unit})"
        )

    @property
    def values(self) -> np.ndarray:
        """The grid values, float64, read-only (read now if ``data`` is a callable)."""
        if not self._cache:
            self._cache.append(self._checked(self.data()))  # type: ignore[operator]
        return self._cache[0]

    @property
    def is_loaded(self) -> bool:
        """Whether the grid values have been read."""
        return bool(self._cache)

    def render(
        self,
        bbox: BBox | Iterable[int] | None = None,
        *,
        dtype: DTypeLike = np.float64,
        semantics: Semantics = "lsst-images",
    ) -> np.ndarray:
        """Pixels of ``bbox`` (default: the bounds), shape ``(height, width)``."""
        from ..render.spline import render_spline  # numba compiles on first render

        box = render_box(self.bounds, bbox)
        return render_spline(
            self.values,
            self.x,
            self.y,
            self.bounds,
            box,
            dtype=dtype,
            semantics=checked_semantics(semantics),
        )

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """float64 values at parent positions ``(x, y)`` (lsst-images semantics)."""
        from ..render.spline import evaluate_spline  # numba compiles on first use

        return evaluate_spline(self.values, self.x, self.y, self.bounds, x, y)


@dataclass(frozen=True, eq=False)
class ChebyshevField:
    """A 2-D Chebyshev series over the bounds: ``sum c[p, q] T_p(y') T_q(x')``.

    ``x' = (x - (x0 + width/2 - 0.5)) * 2/width`` (and the same in y), so ``[-1, 1]``
    spans the bounds grown by half a pixel. ``unit`` is None when dimensionless.
    """

    field_type: ClassVar[str] = "CHEBYSHEV"

    bounds: BBox
    coefficients: np.ndarray
    unit: u.UnitBase | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "bounds", BBox.coerce(self.bounds, "Chebyshev bounds"))
        coefficients = np.array(self.coefficients, dtype=np.float64)
        if coefficients.ndim != 2 or 0 in coefficients.shape:
            raise ValueError(
                "Chebyshev coefficients must be a non-empty 2-d array [y order][x order]; "
                f"got shape {coefficients.shape}"
            )
        coefficients.flags.writeable = False
        object.__setattr__(self, "coefficients", coefficients)

    def __repr__(self) -> str:
        ny, nx = self.coefficients.shape
        return f"ChebyshevField({ny}x{nx}, bounds={tuple(self.bounds)}, unit={self.unit})"

    def _scaled(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        # lsst-images' operation order (shift, then scale, in place), for identical bits
        b = self.bounds
        xs = np.array(x, dtype=np.float64)
        ys = np.array(y, dtype=np.float64)
        xs -= b.x0 + 0.5 * b.width - 0.5
        xs *= 2.0 / b.width
        ys -= b.y0 + 0.5 * b.height - 0.5
        ys *= 2.0 / b.height
        return xs, ys

    def render(
        self,
        bbox: BBox | Iterable[int] | None = None,
        *,
        dtype: DTypeLike = np.float64,
        semantics: Semantics = "lsst-images",
    ) -> np.ndarray:
        """Pixels of ``bbox`` (default: the bounds), evaluated in float64, then cast.

        Both semantics are the same here: afw evaluates Chebyshev series the same way.
        """
        checked_semantics(semantics)
        box = render_box(self.bounds, bbox)
        x, y = self._scaled(np.arange(box.x0, box.x1), np.arange(box.y0, box.y1))
        values = np.polynomial.chebyshev.chebgrid2d(y, x, self.coefficients)
        return values.astype(checked_dtype(dtype), copy=False)

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """float64 values at parent positions ``(x, y)``."""
        xs, ys = self._scaled(*np.broadcast_arrays(x, y))
        return np.polynomial.chebyshev.chebval2d(ys, xs, self.coefficients)


def _operands(kind: str, operands: Iterable[Field]) -> tuple[Field, ...]:
    items = tuple(operands)
    if not items:
        raise ValueError(f"a {kind} field needs at least one operand")
    return items


def _common_bounds(kind: str, operands: tuple[Field, ...]) -> BBox:
    bounds = operands[0].bounds
    for index, operand in enumerate(operands[1:], start=1):
        overlap = bounds.intersection(operand.bounds)
        if overlap is None:
            raise ValueError(
                f"{kind} operand {index} has bounds {tuple(operand.bounds)}, which do not "
                f"overlap {tuple(bounds)}"
            )
        bounds = overlap
    return bounds


@dataclass(frozen=True, eq=False)
class SumField:
    """The sum of fields, over the intersection of their bounds, in the first one's unit."""

    field_type: ClassVar[str] = "SUM"

    operands: tuple[Field, ...]
    scales: tuple[float, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        operands = _operands("SUM", self.operands)
        object.__setattr__(self, "operands", operands)
        _common_bounds("SUM", operands)
        unit = operands[0].unit
        scales = []
        for index, operand in enumerate(operands):
            if (operand.unit is None) != (unit is None):
                raise ValueError(
                    f"SUM operand {index} has unit {operand.unit!r} but operand 0 has {unit!r}; "
                    "a field with units cannot be added to one without"
                )
            try:
                scales.append(1.0 if unit is None else float(operand.unit.to(unit)))  # type: ignore[union-attr]
            except u.UnitConversionError:
                raise ValueError(
                    f"SUM operand {index} is in {operand.unit}, which cannot be added to "
                    f"operand 0's {unit}"
                ) from None
        object.__setattr__(self, "scales", tuple(scales))

    @property
    def bounds(self) -> BBox:
        """The intersection of the operands' bounds."""
        return _common_bounds("SUM", self.operands)

    @property
    def unit(self) -> u.UnitBase | None:
        """The first operand's unit (the others are converted to it)."""
        return self.operands[0].unit

    def render_operand(
        self,
        index: int,
        bbox: BBox | Iterable[int] | None = None,
        *,
        dtype: DTypeLike = np.float64,
        semantics: Semantics = "lsst-images",
    ) -> np.ndarray:
        """Operand ``index`` over ``bbox`` (default: the sum's bounds) in the sum's unit.

        Adding these to zeros in operand order, in ``dtype``, gives :meth:`render` exactly.
        """
        box = render_box(self.bounds, bbox)
        values = self.operands[index].render(box, dtype=dtype, semantics=semantics)
        scale = self.scales[index]
        # astropy converts a Quantity operand with a Python-float scale: NEP 50 keeps
        # the product in the array's dtype
        return values if scale == 1.0 else values * values.dtype.type(scale)

    def render(
        self,
        bbox: BBox | Iterable[int] | None = None,
        *,
        dtype: DTypeLike = np.float64,
        semantics: Semantics = "lsst-images",
    ) -> np.ndarray:
        """Operands rendered in ``dtype`` and added, in order, to zeros of ``dtype``."""
        box = render_box(self.bounds, bbox)
        total = np.zeros(box.shape, checked_dtype(dtype))
        for index in range(len(self.operands)):
            total += self.render_operand(index, box, dtype=dtype, semantics=semantics)
        return total

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """float64 values at parent positions ``(x, y)``."""
        total = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y)))
        for operand, scale in zip(self.operands, self.scales, strict=True):
            total += operand.evaluate(x, y) * scale
        return total


@dataclass(frozen=True, eq=False)
class ProductField:
    """The product of fields, over the intersection of their bounds; units multiply."""

    field_type: ClassVar[str] = "PRODUCT"

    operands: tuple[Field, ...]

    def __post_init__(self) -> None:
        operands = _operands("PRODUCT", self.operands)
        object.__setattr__(self, "operands", operands)
        _common_bounds("PRODUCT", operands)

    @property
    def bounds(self) -> BBox:
        """The intersection of the operands' bounds."""
        return _common_bounds("PRODUCT", self.operands)

    @property
    def unit(self) -> u.UnitBase | None:
        """The product of the operands' units; None if every operand is dimensionless."""
        unit = None
        for operand in self.operands:
            if operand.unit is not None:
                unit = operand.unit if unit is None else unit * operand.unit
        return unit

    def render(
        self,
        bbox: BBox | Iterable[int] | None = None,
        *,
        dtype: DTypeLike = np.float64,
        semantics: Semantics = "lsst-images",
    ) -> np.ndarray:
        """Operands rendered in ``dtype`` and multiplied, in order, into ones of ``dtype``."""
        box = render_box(self.bounds, bbox)
        product = np.ones(box.shape, checked_dtype(dtype))
        for operand in self.operands:
            product *= operand.render(box, dtype=dtype, semantics=semantics)
        return product

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """float64 values at parent positions ``(x, y)``."""
        product = np.ones(np.broadcast_shapes(np.shape(x), np.shape(y)))
        for operand in self.operands:
            product *= operand.evaluate(x, y)
        return product


Field = SplineField | ChebyshevField | SumField | ProductField
"""Any node of a field tree."""

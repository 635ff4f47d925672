"""afw BoundedFields read from an Exposure archive and evaluated with numpy.

See docs/lsst-formats.md section 11.4. Every field is evaluated at PARENT pixel coordinates
(``x = x0 + column``, pixel centres at integers), vectorised over any broadcastable arrays.
``ChebyshevBoundedField`` and ``ProductBoundedField`` are evaluated here; a
``PixelAreaBoundedField`` or ``TransformBoundedField`` (or any other ``*BoundedField``) is read
as an :class:`UnsupportedBoundedField` whose ``evaluate`` raises: they need AST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from ...errors import FormatError, UnsupportedComponent
from ...geometry import BBox
from .reader import Archive

__all__ = [
    "BoundedField",
    "ChebyshevBoundedField",
    "ProductBoundedField",
    "UnsupportedBoundedField",
    "read_bounded_field",
]

_NEEDS_AST = {
    "PixelAreaBoundedField": "its value is the pixel area of a SkyWcs stored as AST text; "
    "evaluating it needs AST (the LSST stack or starlink-pyast)",
    "TransformBoundedField": "its value is an AST Transform stored as text; evaluating it "
    "needs AST (the LSST stack or starlink-pyast)",
}


@runtime_checkable
class BoundedField(Protocol):
    """A scalar function of parent pixel position, defined on ``bbox`` (and beyond it)."""

    @property
    def bbox(self) -> BBox | None:
        """The box the field was fitted or defined on (None if it could not be read)."""

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """The field at parent pixel coordinates ``(x, y)``, broadcast together, float64."""


@dataclass(frozen=True, eq=False)
class ChebyshevBoundedField:
    """A 2-D Chebyshev series on a pixel box (afw ``ChebyshevBoundedField``).

    ``coefficients[j, i]`` multiplies ``T_i(x̂) T_j(ŷ)``: the first index is the y order, the
    second the x order. ``x̂ = 2 (x - cx) / W`` with ``cx`` the box centre and ``W`` its width
    in pixels, so the outer pixel edges map to ±1 (the box grown by half a pixel, as afw's
    ``Box2D(Box2I)``); the same for y. Points outside the box extrapolate. An empty box
    evaluates to NaN everywhere, as in afw.
    """

    bbox: BBox
    coefficients: np.ndarray

    def __post_init__(self) -> None:
        coefficients = np.array(self.coefficients, dtype=np.float64)
        if coefficients.ndim != 2 or 0 in coefficients.shape:
            raise ValueError(
                "coefficients must be a non-empty 2-D array [y order, x order]; "
                f"got shape {coefficients.shape}"
            )
        coefficients.setflags(write=False)
        object.__setattr__(self, "coefficients", coefficients)

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """The series at parent pixel coordinates ``(x, y)`` (Clenshaw in x, then in y)."""
        x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        if self.bbox.is_empty:
            return np.full(x.shape, np.nan)
        cx, cy = self.bbox.center
        xhat = (x - cx) * (2.0 / self.bbox.width)
        yhat = (y - cy) * (2.0 / self.bbox.height)
        rows = [_clenshaw(xhat, row) for row in self.coefficients]
        return _clenshaw(yhat, rows)

    def mean(self) -> float:
        """The mean of the series over its box (afw ``ChebyshevBoundedField::mean``)."""
        ny, nx = self.coefficients.shape
        return float(_chebyshev_integrals(ny) @ self.coefficients @ _chebyshev_integrals(nx) / 4.0)


@dataclass(frozen=True, eq=False)
class ProductBoundedField:
    """The product of several fields on one box (afw ``ProductBoundedField``)."""

    factors: tuple[BoundedField, ...]

    def __post_init__(self) -> None:
        if not self.factors:
            raise ValueError("a ProductBoundedField needs at least one factor")
        object.__setattr__(self, "factors", tuple(self.factors))

    @property
    def bbox(self) -> BBox | None:
        """The box of the factors (afw requires them all to share it)."""
        return self.factors[0].bbox

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """The product of every factor's value at parent pixel coordinates ``(x, y)``."""
        result = self.factors[0].evaluate(x, y)
        for factor in self.factors[1:]:
            result = result * factor.evaluate(x, y)
        return result


@dataclass(frozen=True, eq=False)
class UnsupportedBoundedField:
    """A field read from the archive that this package cannot evaluate; ``evaluate`` raises.

    Reading succeeds so that what surrounds it (a PhotoCalib's mean and error, an ApCorrMap's
    other entries) stays usable.
    """

    path: str
    name: str
    object_id: int
    bbox: BBox | None
    reason: str

    def evaluate(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """Always raises :class:`~skybkg_adapters.UnsupportedComponent`."""
        raise UnsupportedComponent(self.path, self.name, self.object_id, self.reason)


def read_bounded_field(archive: Archive, object_id: int) -> BoundedField:
    """The BoundedField with archive id ``object_id``.

    Raises FormatError if the id is null, unknown or not a BoundedField, or if its rows are
    malformed; ProductBoundedField factors are read recursively.
    """
    return _read(archive, object_id, frozenset())


def _read(archive: Archive, object_id: int, within: frozenset[int]) -> BoundedField:
    """:func:`read_bounded_field`, with ``within`` the products being read around this one."""
    if object_id in within:
        raise FormatError(
            archive.path, f"ProductBoundedField {object_id} contains itself", hdu=archive.index_hdu
        )
    obj = archive.get(object_id)
    if obj is None:
        raise FormatError(
            archive.path, "a BoundedField reference is null (id 0)", hdu=archive.index_hdu
        )
    if obj.name == "ChebyshevBoundedField":
        row = obj.row()
        nx = row.require("order_x") + 1
        coefficients = np.atleast_1d(np.asarray(row.require("coefficients"), dtype=np.float64))
        if nx < 1 or coefficients.size % nx:
            raise FormatError(
                archive.path,
                f"ChebyshevBoundedField {object_id} has order_x = "
                f"{nx - 1} but {coefficients.size} coefficients, not a multiple "
                f"of {nx}",
                hdu=row.hdu,
                key="coefficients",
            )
        return ChebyshevBoundedField(_bbox(row), coefficients.reshape(-1, nx))
    if obj.name == "ProductBoundedField":
        factors = tuple(
            _read(archive, row.require("id"), within | {object_id}) for row in obj.rows()
        )
        if not factors:
            raise FormatError(
                archive.path, f"ProductBoundedField {object_id} has no factors", hdu=obj.hdus[0]
            )
        boxes = {factor.bbox for factor in factors if factor.bbox is not None}
        if len(boxes) > 1:
            raise FormatError(
                archive.path,
                f"ProductBoundedField {object_id} multiplies fields "
                f"on different boxes {sorted(boxes)}; afw requires one box",
                hdu=obj.hdus[0],
            )
        return ProductBoundedField(factors)
    if obj.name.endswith("BoundedField"):
        reason = _NEEDS_AST.get(
            obj.name,
            "this reader does not know the class; it is newer "
            "than the afw version documented in lsst-formats.md 11.4",
        )
        rows = obj.catalogs[0] if obj.catalogs else ()
        bbox = _bbox(rows[0]) if rows and "bbox_min_x" in rows[0] else None
        return UnsupportedBoundedField(archive.path, obj.name, obj.id, bbox, reason)
    raise FormatError(
        archive.path,
        f"archive object {object_id} is a {obj.name!r}, not a "
        "BoundedField; the id that points at it is wrong",
        hdu=obj.hdus[0] if obj.hdus else None,
    )


def _bbox(row) -> BBox:
    return BBox.from_inclusive(
        *(row.require(f"bbox_{c}") for c in ("min_x", "min_y", "max_x", "max_y"))
    )


def _clenshaw(t: np.ndarray, coefficients) -> np.ndarray:
    """Σ c_k T_k(t) by Clenshaw's recurrence; ``coefficients`` may be scalars or arrays."""
    b1 = np.zeros_like(t)
    b2 = np.zeros_like(t)
    for c in coefficients[:0:-1]:
        b1, b2 = c + 2.0 * t * b1 - b2, b1
    return coefficients[0] + t * b1 - b2


def _chebyshev_integrals(n: int) -> np.ndarray:
    """∫_{-1}^{1} T_k(t) dt for k < n: 2 / (1 - k²) for even k, 0 for odd k."""
    integrals = np.zeros(n)
    even = np.arange(0, n, 2, dtype=np.float64)
    integrals[::2] = 2.0 / (1.0 - even * even)
    return integrals

"""The uniform container every source returns: images, background models, provenance.

Code above the adapters sees only these types; it never knows whether a product came
from a local file, a Butler repository or a TAP service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import numpy as np
from astropy import units as u
from astropy.io.fits import Header
from astropy.wcs import WCS
from numpy.typing import DTypeLike

from .errors import RenderError
from .geometry import BBox
from .masks import plane_bits
from .semantics import SEMANTICS, checked_dtype, checked_semantics
from .styles import ApproxStyle, InterpStyle, UndersampleStyle
from .units import PhotometricScaling, background_conversion

_T = TypeVar("_T")

__all__ = [
    "BackgroundLayer",
    "BackgroundMap",
    "BackgroundModel",
    "FieldLayer",
    "Provenance",
    "SkyImage",
]


@dataclass(frozen=True)
class Provenance:
    """Where a product came from, enough to fetch it again on another machine.

    ``source`` is the source spec with any secret removed (a folder, ``butler:<repo>?...``,
    a TAP URL); ``uri`` is the file the pixels were read from.
    """

    source: str
    dataset_type: str | None = None
    data_id: Mapping[str, Any] = field(default_factory=dict)
    uri: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_id", MappingProxyType(dict(self.data_id)))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (glue sessions store this)."""
        return {
            "source": self.source,
            "dataset_type": self.dataset_type,
            "data_id": dict(self.data_id),
            "uri": self.uri,
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Provenance:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            source=record["source"],
            dataset_type=record.get("dataset_type"),
            data_id=record.get("data_id") or {},
            uri=record.get("uri"),
        )


class _Lazy(Generic[_T]):
    """A part read on first access (mask and variance are often never looked at)."""

    def __init__(self, value: _T | Callable[[], _T | None] | None):
        self._value = value

    def get(self) -> _T | None:
        if callable(self._value):
            self._value = self._value()
        return self._value

    @property
    def present(self) -> bool:
        """Whether there is a part (read or not): answered without reading it."""
        return self._value is not None


@dataclass(frozen=True, eq=False)
class BackgroundLayer:
    """One entry of an afw ``BackgroundList``: a grid of bin statistics and how to render it.

    ``values``, ``mask`` and ``variance`` are the three stats-image planes, shape
    ``(ny, nx)``. ``bbox`` is the full-resolution image the bins tile, in parent pixels.
    ``approx_style`` other than UNKNOWN means the layer renders through the Chebyshev fit
    (lsst-formats.md section 4), otherwise through interpolation (section 2).
    """

    values: np.ndarray
    bbox: BBox
    interp_style: InterpStyle = InterpStyle.AKIMA_SPLINE
    undersample_style: UndersampleStyle = UndersampleStyle.REDUCE_INTERP_ORDER
    approx_style: ApproxStyle = ApproxStyle.UNKNOWN
    approx_order_x: int = 1
    approx_order_y: int = -1
    approx_weighting: bool = True
    variance: np.ndarray | None = None
    mask: np.ndarray | None = None
    mask_planes: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float32)
        if values.ndim != 2 or 0 in values.shape:
            raise ValueError(f"bin values must be a non-empty 2-D array; got shape {values.shape}")
        variance = (
            np.ones_like(values)
            if self.variance is None
            else np.asarray(self.variance, dtype=np.float32)
        )
        mask = np.zeros(values.shape, np.int32) if self.mask is None else np.asarray(self.mask)
        for name, plane in (("variance", variance), ("mask", mask)):
            if plane.shape != values.shape:
                raise ValueError(
                    f"{name} plane shape {plane.shape} differs from the bin values {values.shape}"
                )
        bbox = BBox.coerce(self.bbox)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "variance", variance)
        object.__setattr__(self, "mask", mask)
        object.__setattr__(self, "bbox", bbox)
        object.__setattr__(self, "interp_style", InterpStyle(self.interp_style))
        object.__setattr__(self, "undersample_style", UndersampleStyle(self.undersample_style))
        object.__setattr__(self, "approx_style", ApproxStyle(self.approx_style))
        object.__setattr__(self, "mask_planes", MappingProxyType(dict(self.mask_planes)))

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)``: the number of bins along y and x."""
        return self.values.shape

    def render(
        self,
        bbox: BBox | Iterable[int] | None = None,
        *,
        dtype: DTypeLike = np.float32,
        semantics: str | None = None,
    ) -> np.ndarray:
        """The entry alone at full resolution, float32, as afw ``getImageF`` gives it.

        ``dtype=float64`` casts that float32 image; ``semantics`` may only be ``"afw"``.
        """
        _afw_only(semantics)
        # imported on first render: the renderer compiles numba kernels at import
        from .render import render_layers

        return _as_dtype(render_layers((self,), bbox), dtype)


@dataclass(frozen=True, eq=False)
class FieldLayer:
    """One term of an lsst-images (DP2) background: a ``SUM`` operand, or the whole field.

    The counterpart of a :class:`BackgroundLayer` for field backgrounds: rendering every
    layer of a model and adding them in order, to zeros of the same dtype, gives the model's
    render exactly. ``field`` is the term itself; ``owner``/``index`` the ``SUM`` it is an
    operand of (None for a model that is a single field), whose unit it is rendered in.
    """

    field: Any
    owner: Any = None
    index: int = 0

    @property
    def bbox(self) -> BBox:
        """The pixels the term covers (the sum's bounds for a SUM operand), parent pixels."""
        return (self.owner if self.owner is not None else self.field).bounds

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the rendered term."""
        return self.bbox.shape

    @property
    def unit(self) -> u.UnitBase | None:
        """The term's unit as rendered (a SUM operand is converted to the sum's unit)."""
        return (self.owner if self.owner is not None else self.field).unit

    def __repr__(self) -> str:
        return f"FieldLayer({self.label}, bbox={tuple(self.bbox)}, unit={self.unit})"

    @property
    def label(self) -> str:
        """What the term is, in a few words (``SPLINE 8x10``, ``CHEBYSHEV 2x2``, ``PRODUCT``)."""
        kind = self.field.field_type
        if kind == "SPLINE":
            return f"SPLINE {self.field.y.size}x{self.field.x.size}"
        if kind == "CHEBYSHEV":
            ny, nx = self.field.coefficients.shape
            return f"CHEBYSHEV {ny}x{nx}"
        return f"{kind} of {len(self.field.operands)}"

    def render(
        self,
        bbox: BBox | Iterable[int] | None = None,
        *,
        dtype: DTypeLike = np.float32,
        semantics: str | None = None,
    ) -> np.ndarray:
        """The term over ``bbox`` (default: all of it), as :meth:`BackgroundModel.render`."""
        semantics = _field_semantics(semantics)
        if self.owner is not None:
            return self.owner.render_operand(self.index, bbox, dtype=dtype, semantics=semantics)
        return self.field.render(bbox, dtype=dtype, semantics=semantics)


def _as_dtype(values: np.ndarray, dtype: DTypeLike) -> np.ndarray:
    wanted = checked_dtype(dtype)
    return values if values.dtype == wanted else values.astype(wanted)


def _afw_only(semantics: str | None) -> None:
    if semantics not in (None, "afw"):
        raise RenderError(
            f"an afw BackgroundList renders with semantics='afw' only; got {semantics!r}"
            + (
                " (lsst-images semantics are for DP2 field backgrounds)"
                if semantics in SEMANTICS
                else ""
            )
        )


def _field_semantics(semantics: str | None) -> str:
    return "lsst-images" if semantics is None else checked_semantics(semantics)


@dataclass(frozen=True, eq=False)
class BackgroundModel:
    """A background model: an afw ``BackgroundList`` or an lsst-images (DP2) field tree.

    An afw model has ``layers`` (the list entries, summed in float32 in file order when
    rendered, pixel for pixel what afw ``BackgroundList.getImage()`` gives). A field model
    (made with :meth:`from_field`) has ``field``, the lsst-images ``SPLINE``/``CHEBYSHEV``/
    ``SUM``/``PRODUCT`` tree, and its ``layers`` are :class:`FieldLayer` s (the operands of a
    top-level ``SUM``, else the field itself), so code that shows each entry of a background
    works on both. ``name`` and ``description`` come from a DP2 background map; ``unit`` is
    the model's unit (None when the file does not say: afw BackgroundList files never do).
    """

    layers: tuple[BackgroundLayer | FieldLayer, ...] = ()
    provenance: Provenance | None = None
    field: Any = None
    unit: u.UnitBase | None = None
    name: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.field is not None:
            kind = getattr(self.field, "field_type", None)
            if kind == "SUM":
                layers: tuple = tuple(
                    FieldLayer(operand, self.field, i)
                    for i, operand in enumerate(self.field.operands)
                )
            elif kind in ("SPLINE", "CHEBYSHEV", "PRODUCT"):
                layers = (FieldLayer(self.field),)
            else:
                raise ValueError(f"not an lsst-images field: {self.field!r}")
            object.__setattr__(self, "layers", layers)
            if self.unit is None:
                object.__setattr__(self, "unit", self.field.unit)
        else:
            layers = tuple(self.layers)
            if not layers:
                raise ValueError("a background model needs at least one layer (or a field)")
            sizes = {(layer.bbox.width, layer.bbox.height) for layer in layers}
            if len(sizes) > 1:
                raise ValueError(
                    f"all layers must cover images of one size; got sizes {sorted(sizes)}"
                )
            object.__setattr__(self, "layers", layers)
        if self.unit is not None:
            object.__setattr__(self, "unit", u.Unit(self.unit))

    @classmethod
    def from_field(
        cls,
        field: Any,
        *,
        name: str | None = None,
        description: str = "",
        provenance: Provenance | None = None,
    ) -> BackgroundModel:
        """A model of an lsst-images field tree (its unit is the field's)."""
        return cls((), provenance, field, None, name, description)

    @property
    def semantics(self) -> str:
        """How :meth:`render` interpolates by default: ``"afw"`` or ``"lsst-images"``."""
        return "afw" if self.field is None else "lsst-images"

    @property
    def bbox(self) -> BBox:
        """The full-resolution image this background covers, parent pixels."""
        return self.field.bounds if self.field is not None else self.layers[0].bbox

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the rendered image."""
        return self.bbox.shape

    @property
    def has_splines(self) -> bool:
        """Whether the field tree holds a spline grid (where the two semantics can differ)."""
        pending = [self.field] if self.field is not None else []
        while pending:
            node = pending.pop()
            if node.field_type == "SPLINE":
                return True
            pending.extend(getattr(node, "operands", ()))
        return False

    def render(
        self,
        bbox: BBox | Iterable[int] | None = None,
        *,
        dtype: DTypeLike = np.float32,
        semantics: str | None = None,
    ) -> np.ndarray:
        """The background over ``bbox`` (default: all of it), shape ``(height, width)``.

        Parameters
        ----------
        bbox
            ``(x0, y0, width, height)`` in parent pixels, inside :attr:`bbox` (cutouts).
        dtype
            float32 (default) or float64. An afw model renders in float32 as afw does
            (float64 casts that); a field model renders in ``dtype`` as lsst-images does.
        semantics
            ``"lsst-images"`` (the default for field models): what lsst-images' ``render()``
            gives. ``"afw"`` (the default, and the only choice, for afw models): for a
            field's spline grids, what the pipeline's afw background (GSL Akima, afw's
            extrapolation and fallbacks) gives from the same bins; for DP2 images whose
            backgrounds came from pipeline (afw) backgrounds, that is what was actually
            subtracted. The two agree to float32 round-off inside the hull of the bin centres
            with 5 or more bins per line, and differ outside it.
        """
        if self.field is None:
            _afw_only(semantics)
            from .render import render_layers  # compiles numba kernels on first use

            return _as_dtype(render_layers(self.layers, bbox), dtype)  # type: ignore[arg-type]
        return self.field.render(bbox, dtype=dtype, semantics=_field_semantics(semantics))

    def row_renderer(self, bbox: BBox | Iterable[int] | None = None):
        """The background's rows on demand: a :class:`~skybkg_adapters.render.RowRenderer`.

        An afw model is fitted once and then renders only the rows asked for (a survey
        takes a detector in strips that stay in the processor's cache). A field model is
        rendered whole by its own code and served as views of that image
        (:class:`~skybkg_adapters.render.ArrayRows`).
        """
        from .render import ArrayRows, RowRenderer

        if self.field is None:
            return RowRenderer(self.layers, bbox)  # type: ignore[arg-type]
        return ArrayRows(self.render(bbox))


class BackgroundMap(Mapping[str, BackgroundModel]):
    """Named backgrounds of one image, their descriptions, and which one was subtracted.

    DP2 images (lsst-images) carry several, e.g. a visit image's subtracted background and
    ``skyCorr``, a coadd's ``object`` (deliberately oversubtracted) and ``pretty``;
    ``subtracted`` is only a name (None: none of them was taken off the pixels). A
    standalone background-map file opens as one of these, with ``provenance`` naming it.
    """

    def __init__(
        self,
        backgrounds: Mapping[str, BackgroundModel] | None = None,
        subtracted: str | None = None,
        provenance: Provenance | None = None,
    ):
        self._backgrounds = dict(backgrounds or {})
        if subtracted is not None and subtracted not in self._backgrounds:
            raise KeyError(
                f"subtracted background {subtracted!r} is not one of {sorted(self._backgrounds)}"
            )
        self.subtracted = subtracted
        self.provenance = provenance

    @property
    def descriptions(self) -> Mapping[str, str]:
        """Name -> description (empty text where the file gives none)."""
        return MappingProxyType({name: m.description for name, m in self._backgrounds.items()})

    def __getitem__(self, name: str) -> BackgroundModel:
        try:
            return self._backgrounds[name]
        except KeyError:
            raise KeyError(
                f"no background named {name!r}; this image has {list(self._backgrounds) or 'none'}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._backgrounds)

    def __len__(self) -> int:
        return len(self._backgrounds)

    def __repr__(self) -> str:
        return f"BackgroundMap({list(self._backgrounds)}, subtracted={self.subtracted!r})"


class SkyImage:
    """An exposure (afw Exposure, DP2 VisitImage or CellCoadd): planes and their metadata.

    ``mask``, ``variance``, ``photometric_scaling`` and ``detector`` may be given as
    zero-argument callables; they are then read on first access. ``xy0`` is the parent-pixel
    origin of the arrays. ``backgrounds`` are the named backgrounds the file carries (DP2),
    ``band`` and ``ids`` (instrument, visit, detector; or skymap, tract, patch) what the file
    says about the observation, and ``tree`` the lsst-images JSON tree of a DP2 file (the
    parts this container does not model, carried over when it is written again), None for
    afw files.
    """

    def __init__(
        self,
        image: np.ndarray,
        mask: np.ndarray | Callable[[], np.ndarray] | None = None,
        variance: np.ndarray | Callable[[], np.ndarray] | None = None,
        *,
        mask_planes: Mapping[str, int] | None = None,
        xy0: tuple[int, int] = (0, 0),
        wcs: WCS | None = None,
        metadata: Header | None = None,
        unit: u.UnitBase | str | None = None,
        provenance: Provenance | None = None,
        backgrounds: BackgroundMap | None = None,
        photometric_scaling: PhotometricScaling
        | Callable[[], PhotometricScaling | None]
        | None = None,
        band: str | None = None,
        detector: Any = None,
        ids: Mapping[str, Any] | None = None,
        tree: Mapping[str, Any] | None = None,
    ):
        image = np.asarray(image)
        if image.ndim != 2:
            raise ValueError(f"an image must be 2-D; got shape {image.shape}")
        self.image = image
        self._mask: _Lazy[np.ndarray] = _Lazy(mask)
        self._variance: _Lazy[np.ndarray] = _Lazy(variance)
        self.mask_planes: dict[str, int] = dict(mask_planes or {})
        self.xy0: tuple[int, int] = (int(xy0[0]), int(xy0[1]))
        self.wcs: WCS | None = wcs
        self.metadata: Header = Header() if metadata is None else metadata
        self.unit: u.UnitBase | None = None if unit is None else u.Unit(unit)
        self.provenance = provenance
        self.backgrounds = backgrounds if backgrounds is not None else BackgroundMap()
        self._scaling: _Lazy[PhotometricScaling] = _Lazy(photometric_scaling)
        self._detector: _Lazy[Any] = _Lazy(detector)
        self.band = band
        self.ids: Mapping[str, Any] = MappingProxyType(dict(ids or {}))
        self.tree = tree

    @property
    def photometric_scaling(self) -> PhotometricScaling | None:
        """Instrumental -> calibrated flux (counts to nJy), or None when unknown.

        afw files: the archive's PhotoCalib (nJy per count; DP1 visit images carry the
        identity once their pixels are nJy). DP2 files: the ``photometric_scaling`` field,
        normalised over the detector's bounds (nJy per electron). Read on first access.
        """
        return self._scaling.get()

    @photometric_scaling.setter
    def photometric_scaling(
        self, value: PhotometricScaling | Callable[[], PhotometricScaling | None] | None
    ) -> None:
        self._scaling = _Lazy(value)

    def deferred_photometric_scaling(self) -> Callable[[], PhotometricScaling | None]:
        """A callable giving :attr:`photometric_scaling` when called (read only then)."""
        return self._scaling.get

    @property
    def detector(self) -> Any:
        """The detector's focal-plane geometry (a ``DetectorGeometry``), or None (coadds).

        Read on first access; :meth:`has_detector` answers without reading it.
        """
        return self._detector.get()

    def has_detector(self) -> bool:
        """Whether the image is a visit image with a detector (not a coadd), without reading."""
        return self._detector.present

    @property
    def mask(self) -> np.ndarray | None:
        """int32 mask bits (see ``mask_planes``), read on first access."""
        return self._mask.get()

    @property
    def variance(self) -> np.ndarray | None:
        """float32 variance, read on first access."""
        return self._variance.get()

    def has_plane(self, name: str) -> bool:
        """Whether the ``"mask"`` or ``"variance"`` plane exists, without reading it."""
        planes = {"mask": self._mask, "variance": self._variance}
        if name not in planes:
            raise ValueError(f"plane must be 'mask' or 'variance'; got {name!r}")
        return planes[name].present

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the pixel arrays."""
        return self.image.shape

    @property
    def bbox(self) -> BBox:
        """``(x0, y0, width, height)`` in parent pixels."""
        return BBox.from_shape(self.image.shape, self.xy0)

    def background_in_image_unit(
        self,
        name: str,
        bbox: BBox | Iterable[int] | None = None,
        *,
        calibration: float | PhotometricScaling | None = None,
        semantics: str | None = None,
    ) -> np.ndarray:
        """Named background ``name`` over ``bbox`` (default: the image), in the image's unit.

        Converted as :func:`~skybkg_adapters.units.background_conversion` says (a DP2
        background in electrons times the photometric scaling, pixel by pixel where it
        varies); ``calibration`` is a factor the caller gives instead. float32.

        Raises
        ------
        UnitMismatch
            No way to put the background in the image's unit (the message says why).
        """
        box = self.bbox if bbox is None else BBox.coerce(bbox)
        model = self.backgrounds[name]
        change = background_conversion(
            self.unit,
            model.unit,
            self.photometric_scaling,
            visit_level=self.has_detector(),
            calibration=calibration,
        )
        values = model.render(box, semantics=semantics)
        return values if change.is_identity else change.apply(values, box)

    def apply_background(
        self,
        name: str | None,
        bbox: BBox | Iterable[int] | None = None,
        *,
        calibration: float | PhotometricScaling | None = None,
        semantics: str | None = None,
    ) -> np.ndarray:
        """The image as if background ``name`` had been subtracted instead: a new array.

        As lsst-images' ``apply_background(name)``: ``image + subtracted - name`` over
        ``bbox`` (default: the whole image; any box inside it, so cutouts work), both
        backgrounds in the image's unit (:meth:`background_in_image_unit`). ``name`` None
        restores the subtracted background (``image + subtracted``). The image itself is
        never modified.
        """
        box = self.bbox if bbox is None else BBox.coerce(bbox)
        rows, cols = self.bbox.slices(box)
        out = np.array(self.image[rows, cols], dtype=np.float32)
        subtracted = self.backgrounds.subtracted
        if name is not None and name == subtracted:
            return out
        if name is None and subtracted is None:
            raise ValueError("no background was subtracted from this image: nothing to restore")
        adjustment = None
        for used, sign in ((subtracted, 1), (name, -1)):
            if used is None:
                continue
            values = self.background_in_image_unit(
                used, box, calibration=calibration, semantics=semantics
            )
            if adjustment is None:
                adjustment = values if sign > 0 else -values
            else:
                adjustment -= values
        # one combined adjustment, added once: lsst-images' order of operations, bit for bit
        assert adjustment is not None  # at least one of the two is named (checked above)
        out += adjustment
        return out

    def mask_bits(self, *planes: str) -> int:
        """The OR of the bits of the named mask planes; unknown names raise KeyError."""
        return plane_bits(self.mask_planes, planes)

    def __repr__(self) -> str:
        label = self.provenance.dataset_type if self.provenance else None
        return f"SkyImage({label or 'image'}, shape={self.shape}, xy0={self.xy0})"

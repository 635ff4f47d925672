"""The uniform container every source returns: images, background models, provenance.

Code above the adapters sees only these types; it never knows whether a product came
from a local file, a Butler repository or a TAP service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io.fits import Header
from astropy.wcs import WCS

from .geometry import BBox
from .masks import plane_bits
from .styles import ApproxStyle, InterpStyle, UndersampleStyle

__all__ = [
    "BackgroundLayer",
    "BackgroundMap",
    "BackgroundModel",
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


class _Lazy:
    """A plane read on first access (mask and variance are often never looked at)."""

    def __init__(self, value: np.ndarray | Callable[[], np.ndarray] | None):
        self._value = value

    def get(self) -> np.ndarray | None:
        if callable(self._value):
            self._value = self._value()
        return self._value

    @property
    def present(self) -> bool:
        """Whether there is a plane (read or not): answered without reading it."""
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

    def render(self, bbox: BBox | Iterable[int] | None = None) -> np.ndarray:
        """The entry alone at full resolution, float32, as afw ``getImageF`` gives it."""
        # imported on first render: the renderer compiles numba kernels at import
        from .render import render_layers

        return render_layers((self,), bbox)


@dataclass(frozen=True, eq=False)
class BackgroundModel:
    """An afw ``BackgroundList``: entries summed in float32, in file order, when rendered."""

    layers: tuple[BackgroundLayer, ...]
    provenance: Provenance | None = None

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers:
            raise ValueError("a background model needs at least one layer")
        sizes = {(layer.bbox.width, layer.bbox.height) for layer in layers}
        if len(sizes) > 1:
            raise ValueError(f"all layers must cover images of one size; got sizes {sorted(sizes)}")
        object.__setattr__(self, "layers", layers)

    @property
    def bbox(self) -> BBox:
        """The full-resolution image this background covers, parent pixels."""
        return self.layers[0].bbox

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the rendered image."""
        return self.bbox.shape

    def render(self, bbox: BBox | Iterable[int] | None = None) -> np.ndarray:
        """The full-resolution background, float32, pixel for pixel what afw gives."""
        # imported on first render: the renderer compiles numba kernels at import
        from .render import render_layers

        return render_layers(self.layers, bbox)


class BackgroundMap(Mapping[str, BackgroundModel]):
    """Named backgrounds of one image and which of them was subtracted from its pixels.

    DP0.2/DP1 images have one (``calexpBackground``, already subtracted); later data
    releases may carry several, of which at most one is subtracted.
    """

    def __init__(
        self,
        backgrounds: Mapping[str, BackgroundModel] | None = None,
        subtracted: str | None = None,
    ):
        self._backgrounds = dict(backgrounds or {})
        if subtracted is not None and subtracted not in self._backgrounds:
            raise KeyError(
                f"subtracted background {subtracted!r} is not one of {sorted(self._backgrounds)}"
            )
        self.subtracted = subtracted

    def __getitem__(self, name: str) -> BackgroundModel:
        return self._backgrounds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._backgrounds)

    def __len__(self) -> int:
        return len(self._backgrounds)

    def __repr__(self) -> str:
        return f"BackgroundMap({sorted(self._backgrounds)}, subtracted={self.subtracted!r})"


class SkyImage:
    """An afw Exposure: image, mask and variance planes with their metadata.

    ``mask`` and ``variance`` may be given as zero-argument callables; they are then read
    on first access. ``xy0`` is the parent-pixel origin of the arrays.
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
    ):
        image = np.asarray(image)
        if image.ndim != 2:
            raise ValueError(f"an image must be 2-D; got shape {image.shape}")
        self.image = image
        self._mask = _Lazy(mask)
        self._variance = _Lazy(variance)
        self.mask_planes: dict[str, int] = dict(mask_planes or {})
        self.xy0: tuple[int, int] = (int(xy0[0]), int(xy0[1]))
        self.wcs: WCS | None = wcs
        self.metadata: Header = Header() if metadata is None else metadata
        self.unit: u.UnitBase | None = None if unit is None else u.Unit(unit)
        self.provenance = provenance
        self.backgrounds = backgrounds if backgrounds is not None else BackgroundMap()

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

    def mask_bits(self, *planes: str) -> int:
        """The OR of the bits of the named mask planes; unknown names raise KeyError."""
        return plane_bits(self.mask_planes, planes)

    def __repr__(self) -> str:
        label = self.provenance.dataset_type if self.provenance else None
        return f"SkyImage({label or 'image'}, shape={self.shape}, xy0={self.xy0})"

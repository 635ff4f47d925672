"""Containers as glue Data: exposure components, WCS coordinates and derived images that save.

An exposure becomes one :class:`~glue.core.data.Data` with ``image``, ``mask`` and ``variance``
components, its celestial WCS as coordinates and its afw facts (``xy0``, mask-plane names,
provenance) in ``meta``.  Full-resolution derived images (the rendered background, the image
with the background restored, differences) are :class:`DerivedImageLink` components: computed
once on first access, cached, and saved in sessions as a recipe, never as pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
from glue.core import Data
from glue.core.component import Component
from glue.core.component_link import ComponentLink

from skybkg_adapters import (
    BackgroundModel,
    BBox,
    FormatError,
    ProductIdentity,
    RenderError,
    SkybkgError,
    SkyImage,
    identify,
    product_label,
)

from . import analysis
from .session import ProductRecipe

__all__ = [
    "BACKGROUND",
    "IMAGE",
    "MASK",
    "RESTORED",
    "VARIANCE",
    "ArithmeticLink",
    "BackgroundLink",
    "DerivedImageLink",
    "LazyPlane",
    "background_to_data",
    "component_units",
    "data_bbox",
    "derived_link",
    "image_to_data",
]

IMAGE = "image"
MASK = "mask"
VARIANCE = "variance"
BACKGROUND = "background"
"""Label of the rendered-background component of an image (and of a background-only Data)."""
RESTORED = "image + background"
"""Label of the restored image: the calexp with its subtracted background added back."""


def _meta(
    kind: str,
    bbox: BBox,
    mask_planes: Mapping[str, int],
    provenance: Any,
    identity: ProductIdentity,
) -> dict[str, Any]:
    # JSON literals only: glue saves a plain dict in meta without a saver.
    return {
        "skybkg_kind": kind,
        "xy0": [int(bbox.x0), int(bbox.y0)],
        "bbox": [int(v) for v in bbox],
        "mask_planes": {str(k): int(v) for k, v in mask_planes.items()},
        # Only a source product's provenance is kept, and without the file it was read from:
        # meta goes into sessions, which must not carry this machine's paths (glue's LoadLog
        # records a plain file's path, relative when asked).
        "provenance": (
            dict(provenance.to_dict(), uri=None) if provenance and provenance.dataset_type else None
        ),
        # what tells this product from another of the same bbox (see actions.same_pixel_grid)
        "identity": identity.to_dict(),
    }


def _label(label: str, identity: ProductIdentity) -> str:
    """``label``, else ``calexp_512055_75`` when the dataset type and data id are known."""
    if label or not identity.dataset_type:
        return label
    return product_label(identity.dataset_type, identity.key) if identity.key else ""


def image_to_data(img: SkyImage, label: str = "") -> Data:
    """An exposure as a glue Data: ``image``, ``mask``, ``variance``, WCS coordinates, afw meta.

    ``meta`` holds ``skybkg_kind`` (``"exposure"``), ``xy0``, ``bbox`` (parent pixels),
    ``mask_planes`` (name to bit), ``provenance`` (a dict for a product fetched from a
    source, None for a plain file) and ``identity`` (its dataset type and data id as far as
    provenance, header cards and file name tell).  Without a ``label`` it is named
    ``<dataset type>_<data id values>`` (``calexp_512055_75``) when those are known, else
    :func:`glue.core.data_factories.load_data` names it after the file.
    """
    identity = identify(img)
    data = Data(label=_label(label, identity), coords=img.wcs, **{IMAGE: img.image})
    if img.unit is not None:
        data.get_component(data.id[IMAGE]).units = img.unit.to_string()
    for name, dtype in ((MASK, np.int32), (VARIANCE, np.float32)):
        if img.has_plane(name):
            # read on first access: showing an image never needs them (~0.2 s for a calexp)
            data.add_component(LazyPlane(partial(getattr, img, name), img.shape, dtype), name)
    data.meta.update(_meta("exposure", img.bbox, img.mask_planes, img.provenance, identity))
    return data


class LazyPlane(Component):
    """A component whose array is read on first access (an exposure's mask or variance).

    glue asks a component for its shape and whether it is numeric when listing it; both are
    answered without reading.  Sessions store these like any plane of a loaded file (glue's
    LoadLog re-reads the file), never the pixels.
    """

    def __init__(self, load: Any, shape: tuple[int, ...], dtype: Any = np.float32) -> None:
        super().__init__(None)  # glue's Component accepts a placeholder from subclasses
        self._data: np.ndarray | None = None
        self._load = load
        self._shape = tuple(shape)
        self._dtype = np.dtype(dtype)

    @property
    def data(self) -> np.ndarray:
        """The plane (read now if it was not yet), read-only like glue's own components."""
        if self._data is None:
            array = np.asarray(self._load())
            array.setflags(write=False)
            self._data, self._load = array, None
        return self._data

    @property
    def is_loaded(self) -> bool:
        """Whether the plane has been read."""
        return self._data is not None

    @property
    def shape(self) -> tuple[int, ...]:
        """The plane's shape (known without reading it)."""
        return self._shape

    @property
    def ndim(self) -> int:
        """Number of dimensions (known without reading the plane)."""
        return len(self._shape)

    @property
    def dtype(self) -> np.dtype:
        """The plane's type as the file format fixes it (int32 mask, float32 variance)."""
        return self._data.dtype if self._data is not None else self._dtype

    @property
    def numeric(self) -> bool:
        """Mask bits and variances are numbers (glue asks when listing components)."""
        return True

    def __getitem__(self, key: Any) -> np.ndarray:
        return self.data[key]


def background_to_data(bkg: BackgroundModel, label: str = "") -> Data:
    """A background model opened on its own: one ``background`` component, rendered now.

    Named and described in ``meta`` as :func:`image_to_data` does.
    """
    identity = identify(bkg)
    data = Data(label=_label(label, identity), **{BACKGROUND: bkg.render()})
    planes = bkg.layers[0].mask_planes
    data.meta.update(_meta("background", bkg.bbox, planes, bkg.provenance, identity))
    return data


def component_units(data: Data, label: str) -> str:
    """The units of ``data``'s component ``label``: its own, else the image's (``""`` if none).

    The background, the restored image and differences are in the image's units (afw
    subtracts the background in the image's units).
    """
    units = data.get_component(data.id[label]).units
    if not units and IMAGE in [c.label for c in data.components]:
        units = data.get_component(data.id[IMAGE]).units
    return units


def data_bbox(data: Data) -> BBox:
    """``(x0, y0, width, height)`` of a Data in parent pixels (xy0 from meta, else the origin)."""
    x0, y0 = data.meta.get("xy0") or (0, 0)
    return BBox.from_shape(data.shape, (x0, y0))


def _render_recipe(*_pixels: np.ndarray) -> None:
    """Placeholder ``using`` of background links: the pixels come from the recipe, not inputs."""
    raise NotImplementedError("background links render from their recipe; call compute()")


class DerivedImageLink(ComponentLink):
    """A full-resolution derived image: computed whole on first access, then served from cache.

    The cache is keyed on the identity of the input arrays, so replacing an input (e.g.
    ``Data.update_components``) recomputes on the next access.  Subclasses implement
    :meth:`_inputs` and :meth:`_compute`.
    """

    def __init__(self, frm: list, to: Any, using: Any) -> None:
        super().__init__(frm, to, using=using)
        self._cache: np.ndarray | None = None
        self._cache_key: tuple | None = None

    def _inputs(self, data: Data) -> tuple[np.ndarray, ...]:
        """The full input arrays (their identities key the cache)."""
        return ()

    def _compute(self, data: Data, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        raise NotImplementedError

    def full(self, data: Data) -> np.ndarray:
        """The whole derived image (computed once per set of inputs)."""
        inputs = self._inputs(data)
        key = tuple(id(a) for a in inputs)
        if self._cache is None or key != self._cache_key:
            result = self._compute(data, inputs)
            result.setflags(write=False)  # shared by every view; nobody may write into it
            self._cache, self._cache_key = result, key
        return self._cache

    @property
    def is_computed(self) -> bool:
        """Whether the full image is in the cache (used to show that loading stays lazy)."""
        return self._cache is not None

    def compute(self, data: Data, view: Any = None) -> np.ndarray:
        """``data``'s derived image, or the ``view`` of it."""
        result = self.full(data)
        return result if view is None else result[view]


class BackgroundLink(DerivedImageLink):
    """The rendered background of an image, from a :class:`~glue_skybkg.session.ProductRecipe`.

    ``recipe`` None (a model built in memory) works in a live session but cannot be saved.

    ``model`` (optional) is the already-read background, so attaching it costs no re-read;
    after a session restore it is fetched again through the recipe on first access.
    """

    def __init__(
        self,
        frm: list,
        to: Any,
        recipe: ProductRecipe | None,
        model: BackgroundModel | None = None,
        rendered: np.ndarray | None = None,
    ) -> None:
        super().__init__(frm, to, using=_render_recipe)
        self.recipe = recipe
        self._model = model
        if rendered is not None:
            rendered.setflags(write=False)
            self._cache, self._cache_key = rendered, ()

    def describe(self) -> str:
        """Where the background comes from, in words (for messages)."""
        return self.recipe.describe() if self.recipe is not None else "built in memory"

    @property
    def model(self) -> BackgroundModel:
        """The background model (read through the recipe on first use)."""
        if self._model is None:
            if self.recipe is None:
                raise SkybkgError(
                    f"the {self.get_to_id().label!r} component has neither a background model "
                    "nor a recipe to fetch one; attach the background again"
                )
            product = self.recipe.fetch()
            if not isinstance(product, BackgroundModel):
                raise FormatError(self.recipe.describe(), "is an exposure, not a background model")
            self._model = product
        return self._model

    def _compute(self, data: Data, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        model = self.model
        if model.shape != data.shape:
            raise RenderError(
                f"background {self.describe()} covers {model.shape[1]}x{model.shape[0]} "
                f"pixels but {data.label!r} is {data.shape[1]}x{data.shape[0]}; attach the "
                "background of this image"
            )
        return model.render()

    def __gluestate__(self, context) -> dict:
        if self.recipe is None:
            raise SkybkgError(
                f"the {self.get_to_id().label!r} component was attached from a background model "
                "built in memory, so a session cannot restore it; write it with "
                "skybkg_adapters.write_background and attach the file instead"
            )
        return {
            "frm": [context.id(cid) for cid in self.get_from_ids()],
            "to": context.id(self.get_to_id()),
            "recipe": context.id(self.recipe),
        }

    @classmethod
    def __setgluestate__(cls, rec: dict, context) -> BackgroundLink:
        return cls(
            [context.object(c) for c in rec["frm"]],
            context.object(rec["to"]),
            context.object(rec["recipe"]),
        )


_OPERATIONS = {"restore": analysis.restore, "difference": analysis.difference}


class ArithmeticLink(DerivedImageLink):
    """``left op right`` for two full images; ``op`` is ``"restore"`` (+) or ``"difference"`` (-).

    Each operand is ``(other_data, label)``: ``other_data`` None means the Data holding this
    component.  Operands in another Data (e.g. deepCoadd_calexp for deepCoadd − deepCoadd_calexp)
    are saved as references to that Data, so the recipe survives a session round trip.
    """

    def __init__(
        self,
        frm: list,
        to: Any,
        op: str,
        left: tuple[Data | None, str],
        right: tuple[Data | None, str],
    ) -> None:
        if op not in _OPERATIONS:
            raise ValueError(f"op must be one of {sorted(_OPERATIONS)}; got {op!r}")
        super().__init__(frm, to, using=_OPERATIONS[op])
        self.op = op
        self.left = left
        self.right = right
        # operand Data still being restored from a session: attribute name -> session id
        self._pending: dict[str, str] = {}

    def _inputs(self, data: Data) -> tuple[np.ndarray, ...]:
        if self._pending:
            raise SkybkgError(
                f"{self.get_to_id().label!r}: the session restoring it has not "
                f"finished loading {sorted(self._pending.values())}"
            )
        arrays = []
        for other, label in (self.left, self.right):
            source = data if other is None else other
            arrays.append(source.get_data(source.id[label]))
        return tuple(arrays)

    def _compute(self, data: Data, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        return _OPERATIONS[self.op](*inputs)

    def __gluestate__(self, context) -> dict:
        def operand(item):
            other, label = item
            return [None if other is None else context.id(other), label]

        return {
            "frm": [context.id(cid) for cid in self.get_from_ids()],
            "to": context.id(self.get_to_id()),
            "op": self.op,
            "left": operand(self.left),
            "right": operand(self.right),
        }

    @classmethod
    def __setgluestate__(cls, rec: dict, context) -> ArithmeticLink:
        # The other Data is resolved in __setgluestate_callback__, once glue has built it:
        # asking for it now fails when it is the Data being restored (A - B and B - A).
        link = cls(
            [context.object(c) for c in rec["frm"]],
            context.object(rec["to"]),
            rec["op"],
            (None, rec["left"][1]),
            (None, rec["right"][1]),
        )
        link._pending = {
            side: rec[side][0] for side in ("left", "right") if rec[side][0] is not None
        }
        return link

    def __setgluestate_callback__(self, context) -> None:
        """Resolve the operand Data once the session has built them (glue retries on error)."""
        for side, ref in list(self._pending.items()):
            setattr(self, side, (context.object(ref), getattr(self, side)[1]))
            del self._pending[side]


def derived_link(data: Data, label: str) -> DerivedImageLink | None:
    """The derived-image link behind component ``label`` of ``data``, or None."""
    if label not in [c.label for c in data.components]:
        return None
    link = getattr(data.get_component(data.id[label]), "link", None)
    return link if isinstance(link, DerivedImageLink) else None

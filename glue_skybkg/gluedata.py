"""Containers as glue Data: exposure components, WCS coordinates and derived images that save.

An exposure becomes one :class:`~glue.core.data.Data` with ``image``, ``mask`` and ``variance``
components, its celestial WCS as coordinates and its afw facts (``xy0``, mask-plane names,
provenance) in ``meta``.  Full-resolution derived images (the rendered background, the image
with the background restored, differences) are :class:`DerivedImageLink` components: computed
once on first access, cached, and saved in sessions as a recipe, never as pixels.

A DP2 image also lists its named backgrounds in ``meta["named_backgrounds"]``; any of them
can become a component (``background: <name>``), and :class:`ApplyBackgroundLink` gives the
image with another background applied. Every component's unit is in ``meta["units"]``
(:mod:`glue_skybkg.units`), and arithmetic converts its right operand into the left one's
unit first, so a background in electrons is added to an image in nJy through its scaling.
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
    BackgroundMap,
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
from .products import remember_image, sky_image
from .session import ProductRecipe
from .units import conversion, set_component_unit, unit_text

__all__ = [
    "BACKGROUND",
    "IMAGE",
    "MASK",
    "NAMED_PREFIX",
    "RESTORED",
    "VARIANCE",
    "ApplyBackgroundLink",
    "ArithmeticLink",
    "BackgroundLink",
    "DerivedImageLink",
    "LazyPlane",
    "background_map_to_data",
    "background_to_data",
    "data_bbox",
    "derived_link",
    "image_to_data",
    "named_label",
]

IMAGE = "image"
MASK = "mask"
VARIANCE = "variance"
BACKGROUND = "background"
"""Label of the rendered-background component of an image (and of a background-only Data)."""
RESTORED = "image + background"
"""Label of the restored image: the calexp with its subtracted background added back."""
NAMED_PREFIX = "background: "
"""Label prefix of a DP2 image's named background shown as a component."""


def named_label(name: str) -> str:
    """The component label of named background ``name`` (``background: pretty``)."""
    return f"{NAMED_PREFIX}{name}"


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
    _describe_image(data, img)
    return data


def _describe_image(data: Data, img: SkyImage) -> None:
    """Units, format and named backgrounds in ``meta``; the container kept for the actions."""
    remember_image(data, img)
    set_component_unit(data, IMAGE, img.unit)
    set_component_unit(data, VARIANCE, None if img.unit is None else img.unit**2)
    data.meta["format"] = "afw" if img.tree is None else "lsst-images"
    data.meta["visit_level"] = img.has_detector()
    for name, model in img.backgrounds.items():
        # known before a named background becomes a component: apply needs its unit
        set_component_unit(data, named_label(name), model.unit, background=True)
    if len(img.backgrounds):
        data.meta["named_backgrounds"] = _named_backgrounds_meta(img.backgrounds)


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
    planes = getattr(bkg.layers[0], "mask_planes", {})
    data.meta.update(_meta("background", bkg.bbox, planes, bkg.provenance, identity))
    set_component_unit(data, BACKGROUND, bkg.unit, background=True)
    return data


def background_map_to_data(backgrounds: BackgroundMap, label: str = "") -> Data:
    """A standalone DP2 background map: one ``background: <name>`` component per background.

    Each is rendered (float32, lsst-images semantics) on first access. The backgrounds must
    cover one box, as in the maps lsst-images writes.
    """
    boxes = {name: model.bbox for name, model in backgrounds.items()}
    if not boxes or len(set(boxes.values())) != 1:
        raise SkybkgError(
            f"a background map opens as one glue dataset when its backgrounds cover one box; "
            f"these cover {boxes or 'nothing'}"
        )
    bbox = next(iter(boxes.values()))
    identity = identify(backgrounds)
    data = Data(label=_label(label, identity))
    for name, model in backgrounds.items():
        cid = named_label(name)
        data.add_component(LazyPlane(model.render, bbox.shape), cid)
        set_component_unit(data, cid, model.unit, background=True)
    data.meta.update(_meta("background_map", bbox, {}, backgrounds.provenance, identity))
    data.meta["named_backgrounds"] = _named_backgrounds_meta(backgrounds)
    return data


def _named_backgrounds_meta(backgrounds: BackgroundMap) -> dict[str, Any]:
    """Names, descriptions, the subtracted one and units of named backgrounds, for ``meta``."""
    return {
        "names": list(backgrounds),
        "descriptions": dict(backgrounds.descriptions),
        "subtracted": backgrounds.subtracted,
        "units": {n: unit_text(m.unit) for n, m in backgrounds.items()},
    }


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

    ``name`` makes it a DP2 image's named background: the recipe then names the image (the
    Data's own product) and the model is its ``backgrounds[name]``.
    """

    def __init__(
        self,
        frm: list,
        to: Any,
        recipe: ProductRecipe | None,
        model: BackgroundModel | None = None,
        rendered: np.ndarray | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(frm, to, using=_render_recipe)
        self.recipe = recipe
        self.name = name
        self._model = model
        if rendered is not None:
            rendered.setflags(write=False)
            self._cache, self._cache_key = rendered, ()

    def describe(self) -> str:
        """Where the background comes from, in words (for messages)."""
        where = self.recipe.describe() if self.recipe is not None else "built in memory"
        return where if self.name is None else f"{self.name!r} of {where}"

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
            if self.name is not None and isinstance(product, SkyImage):
                product = product.backgrounds[self.name]
            if not isinstance(product, BackgroundModel):
                raise FormatError(self.recipe.describe(), "is an exposure, not a background model")
            self._model = product
        return self._model

    def _compute(self, data: Data, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        image = sky_image(data)
        if self._model is None and self.name is not None and image is not None:
            self._model = image.backgrounds[self.name]
        model = self.model
        bbox = data_bbox(data)
        if model.field is not None and model.bbox.contains(bbox):
            # a DP2 field covers the detector; an image (or cutout) shows part of it
            return model.render(bbox)
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
        state = {
            "frm": [context.id(cid) for cid in self.get_from_ids()],
            "to": context.id(self.get_to_id()),
            "recipe": context.id(self.recipe),
        }
        if self.name is not None:
            state["name"] = self.name
        return state

    @classmethod
    def __setgluestate__(cls, rec: dict, context) -> BackgroundLink:
        return cls(
            [context.object(c) for c in rec["frm"]],
            context.object(rec["to"]),
            context.object(rec["recipe"]),
            name=rec.get("name"),
        )


_OPERATIONS = {"restore": analysis.restore, "difference": analysis.difference}


class ArithmeticLink(DerivedImageLink):
    """``left op right`` for two full images; ``op`` is ``"restore"`` (+) or ``"difference"`` (-).

    Each operand is ``(other_data, label)``: ``other_data`` None means the Data holding this
    component.  Operands in another Data (e.g. deepCoadd_calexp for deepCoadd − deepCoadd_calexp)
    are saved as references to that Data, so the recipe survives a session round trip.
    The right operand is first converted into the left one's unit
    (:func:`glue_skybkg.units.conversion`; ``calibration`` is a factor the user gave).
    """

    def __init__(
        self,
        frm: list,
        to: Any,
        op: str,
        left: tuple[Data | None, str],
        right: tuple[Data | None, str],
        calibration: float | None = None,
    ) -> None:
        if op not in _OPERATIONS:
            raise ValueError(f"op must be one of {sorted(_OPERATIONS)}; got {op!r}")
        super().__init__(frm, to, using=_OPERATIONS[op])
        self.op = op
        self.left = left
        self.right = right
        self.calibration = calibration
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
        left, right = inputs
        left_data = data if self.left[0] is None else self.left[0]
        right_data = data if self.right[0] is None else self.right[0]
        change = conversion(left_data, self.left[1], right_data, self.right[1], self.calibration)
        if not change.is_identity:
            right = change.apply(right, data_bbox(right_data))
        return _OPERATIONS[self.op](left, right)

    def __gluestate__(self, context) -> dict:
        def operand(item):
            other, label = item
            return [None if other is None else context.id(other), label]

        state = {
            "frm": [context.id(cid) for cid in self.get_from_ids()],
            "to": context.id(self.get_to_id()),
            "op": self.op,
            "left": operand(self.left),
            "right": operand(self.right),
        }
        if self.calibration is not None:
            state["calibration"] = self.calibration
        return state

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
            rec.get("calibration"),
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


class ApplyBackgroundLink(DerivedImageLink):
    """A DP2 image with another of its backgrounds applied: ``image + subtracted - chosen``.

    What lsst-images' ``apply_background(chosen)`` does to an image (its pixels once had
    ``subtracted`` taken off; now ``chosen`` is taken off instead), without touching the
    image: both backgrounds are rendered over the image's (or ``region``'s) pixels and
    converted into the image's unit first. ``subtracted`` None means none was (the image is
    then ``image - chosen``); ``chosen`` None restores (``image + subtracted``). Outside
    ``region`` (parent pixels, default the whole image) the result is NaN.
    """

    def __init__(
        self,
        frm: list,
        to: Any,
        chosen: str | None,
        subtracted: str | None,
        region: BBox | None = None,
        calibration: float | None = None,
    ) -> None:
        super().__init__(frm, to, using=_render_recipe)
        self.chosen = chosen
        self.subtracted = subtracted
        self.region = None if region is None else BBox.coerce(region)
        self.calibration = calibration

    def _inputs(self, data: Data) -> tuple[np.ndarray, ...]:
        return (data.get_data(data.id[IMAGE]),)

    def _compute(self, data: Data, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        image = sky_image(data)
        if image is None:
            raise SkybkgError(
                f"{data.label!r} was not opened by this plugin from a DP2 file, so its named "
                "backgrounds are not known; open the file again"
            )
        full = data_bbox(data)
        region = self.region or full
        applied = image.apply_background(self.chosen, region, calibration=self.calibration)
        if region == full:
            return applied
        out = np.full(full.shape, np.nan, np.float32)
        out[full.slices(region)] = applied
        return out

    def __gluestate__(self, context) -> dict:
        return {
            "frm": [context.id(cid) for cid in self.get_from_ids()],
            "to": context.id(self.get_to_id()),
            "chosen": self.chosen,
            "subtracted": self.subtracted,
            "region": None if self.region is None else list(self.region),
            "calibration": self.calibration,
        }

    @classmethod
    def __setgluestate__(cls, rec: dict, context) -> ApplyBackgroundLink:
        return cls(
            [context.object(c) for c in rec["frm"]],
            context.object(rec["to"]),
            rec["chosen"],
            rec["subtracted"],
            rec.get("region"),
            rec.get("calibration"),
        )


def derived_link(data: Data, label: str) -> DerivedImageLink | None:
    """The derived-image link behind component ``label`` of ``data``, or None."""
    if label not in [c.label for c in data.components]:
        return None
    link = getattr(data.get_component(data.id[label]), "link", None)
    return link if isinstance(link, DerivedImageLink) else None

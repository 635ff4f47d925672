"""The notebook's steps on glue Data: attach, restore, difference, statistics, compare.

Every menu item, layer action and tool of the plugin calls these; notebooks and tests call
them directly.  They never modify pixels in place: each result is a new derived component,
computed lazily and saved in sessions as a recipe (see :mod:`glue_skybkg.gluedata`).
Pure array arithmetic and statistics live in :mod:`glue_skybkg.analysis`.

DP2 images carry named backgrounds: :func:`named_backgrounds` lists them,
:func:`show_named_background`, :func:`apply_background` and
:func:`difference_of_backgrounds` use them. Whatever combines a background with an image
first converts it into the image's unit (:mod:`glue_skybkg.units`); where no calibration is
known (a DP1 visit image) it refuses, unless ``calibration=`` gives one, which the result's
name then marks as approximate.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from glue.config import autolinker
from glue.core import Data
from glue.core.component_id import ComponentID
from glue.core.link_helpers import LinkSame

from skybkg_adapters import (
    BackgroundModel,
    BBox,
    GridMismatch,
    SkybkgError,
    plane_bits,
    read_background,
)

from . import analysis
from .gluedata import (
    BACKGROUND,
    IMAGE,
    MASK,
    RESTORED,
    ApplyBackgroundLink,
    ArithmeticLink,
    BackgroundLink,
    data_bbox,
    derived_link,
    named_label,
)
from .products import sky_image
from .session import ProductRecipe
from .units import (
    attached_background_unit,
    component_unit,
    conversion,
    set_component_unit,
    unit_text,
)

__all__ = [
    "EXCLUDABLE_PLANES",
    "Comparison",
    "NamedBackground",
    "apply_background",
    "attach_background",
    "attach_pending_backgrounds",
    "background_histogram",
    "background_statistics",
    "compare_with_stored_background",
    "default_component",
    "difference",
    "difference_of_backgrounds",
    "named_backgrounds",
    "restore_background",
    "selection_mask",
    "semantics_note",
    "show_named_background",
]


EXCLUDABLE_PLANES = ("DETECTED", "BAD", "NO_DATA")
"""Mask planes the statistics panels offer to leave out (sources, bad pixels, no data)."""


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_with_stored_background`: the residual component and its stats."""

    component: ComponentID
    statistics: analysis.BackgroundStats


def _labels(data: Data) -> list[str]:
    return [cid.label for cid in data.components]


def _require(data: Data, label: str, hint: str) -> None:
    if label not in _labels(data):
        raise SkybkgError(f"{data.label!r} has no {label!r} component; {hint}")


def _check_grid(a: Data, b: Data, what: str) -> None:
    if a.shape != b.shape or data_bbox(a) != data_bbox(b):
        raise GridMismatch(
            f"cannot {what}: {a.label!r} covers bbox {data_bbox(a)} (x0, y0, width, height) but "
            f"{b.label!r} covers {data_bbox(b)}; both must be on the same pixel grid "
            "(e.g. deepCoadd and deepCoadd_calexp of one patch)"
        )


def _background_source(
    background: Any,
) -> tuple[BackgroundModel | None, ProductRecipe | None, np.ndarray | None, BBox]:
    """(model, recipe, already-rendered pixels, bbox) of what attach_background was given."""
    if isinstance(background, str | os.PathLike):
        model = read_background(background)
        return model, ProductRecipe(path=os.fspath(background)), None, model.bbox
    if isinstance(background, BackgroundModel):
        try:
            recipe = ProductRecipe.for_product(background)
        except ValueError:
            recipe = None  # built in memory: usable now, refused by save_session (see the link)
        return background, recipe, None, background.bbox
    if isinstance(background, Data) and background.meta.get("skybkg_kind") == "background":
        prov = background.meta.get("provenance")
        comp = background.get_component(background.id[BACKGROUND])
        log = getattr(comp, "_load_log", None)
        if prov and prov.get("dataset_type"):
            recipe = ProductRecipe(provenance=prov)
        elif log is not None:
            recipe = ProductRecipe(path=log.path)
        else:
            recipe = None
        pixels = np.asarray(comp.data)
        return None, recipe, pixels, BBox.coerce(background.meta["bbox"])
    raise TypeError(
        "background must be a BackgroundList file path, a BackgroundModel or a background Data "
        f"opened by this plugin; got {type(background).__name__}"
    )


def attach_background(data: Data, background: Any, data_collection: Any = None) -> ComponentID:
    """Attach a background model to an image as a lazy ``background`` component.

    Parameters
    ----------
    data
        The image (e.g. a calexp) the background was subtracted from.
    background
        A BackgroundList file path, a :class:`~skybkg_adapters.BackgroundModel`, or a
        background Data opened by this plugin.
    data_collection
        Unused; accepted so every action has the same call shape.

    Returns
    -------
    ComponentID
        The ``background`` component: rendered on first access, cached, saved as a recipe.

    Raises
    ------
    GridMismatch
        The background covers another bbox than the image.
    SkybkgError
        The image already has a different background attached.
    """
    model, recipe, pixels, bbox = _background_source(background)
    if bbox != data_bbox(data):
        raise GridMismatch(
            f"the background covers bbox {tuple(bbox)} but {data.label!r} covers "
            f"{data_bbox(data)} (x0, y0, width, height); attach the background of this image"
        )
    if BACKGROUND in _labels(data):
        link = data.get_component(data.id[BACKGROUND]).link
        if isinstance(link, BackgroundLink) and recipe is not None and link.recipe == recipe:
            return data.id[BACKGROUND]
        raise SkybkgError(
            f"{data.label!r} already has a background attached ({link.recipe.describe()}); "
            "open the image again to use another one"
        )
    to = ComponentID(BACKGROUND, parent=data)
    link = BackgroundLink(list(data.pixel_component_ids), to, recipe, model=model, rendered=pixels)
    data.add_component(link, to)
    unit = model.unit if model is not None else component_unit(background, BACKGROUND)
    set_component_unit(
        data, BACKGROUND, attached_background_unit(data, IMAGE, unit), background=True
    )
    return to


def _split_background_name(name: str) -> tuple[str, str]:
    """A background's name as (image type, rest): calexpBackground_<id> -> (calexp, _<id>)."""
    for marker in ("_background", "Background"):
        if marker in name:
            stem, _, rest = name.partition(marker)
            return stem, rest
    return "", ""


def _match_score(image: Data, background: Data) -> int:
    """How well a background names an image: by dataset types, else by file-name prefixes.

    calexpBackground -> calexp and X_background -> X; files named the Butler way
    (``deepCoadd_calexp_background_4226_...`` and ``deepCoadd_calexp_4226_...``) match by
    prefix, so the coadd residual background goes to deepCoadd_calexp, not deepCoadd.  The
    detectors of one visit share a bbox, so among images of the right type the one with the
    background's data id (or the same file-name rest after the type) scores higher.
    """
    bkg_provenance = background.meta.get("provenance") or {}
    img_provenance = image.meta.get("provenance") or {}
    bkg_type = bkg_provenance.get("dataset_type")
    img_type = img_provenance.get("dataset_type")
    if bkg_type and img_type:
        if _split_background_name(bkg_type)[0] != img_type:
            return 0
        return 4 if bkg_provenance.get("data_id") == img_provenance.get("data_id") else 2
    stem, rest = _split_background_name(background.label or "")
    label = image.label or ""
    if not stem or not (label == stem or label.startswith(stem + "_")):
        return 0
    return 3 if label[len(stem) :] == rest else 1


def attach_pending_backgrounds(data_collection: Any) -> list:
    """Attach every background Data in the collection to an open image with the same bbox.

    The background Data leaves the collection once attached (the image's ``background``
    component replaces it).  With several candidate images, the one whose dataset type the
    background names (calexpBackground -> calexp, X_background -> X) wins, the one with its
    data id (or file-name rest) first, then the latest.
    Returns the attached ``(image, component_id)`` pairs.
    """
    attached = []
    backgrounds = [d for d in data_collection if d.meta.get("skybkg_kind") == "background"]
    for bkg in backgrounds:
        bbox = BBox.coerce(bkg.meta["bbox"])
        images = [
            d
            for d in data_collection
            if d.meta.get("skybkg_kind") == "exposure"
            and data_bbox(d) == bbox
            and BACKGROUND not in _labels(d)
        ]
        if not images:
            continue
        best = max(reversed(images), key=lambda d: _match_score(d, bkg))
        attached.append((best, attach_background(best, bkg)))
        data_collection.remove(bkg)
    return attached


@autolinker("Sky backgrounds: attach to images")
def _attach_on_add(data_collection: Any) -> list:
    # glue runs every autolinker whenever the application adds data (File > Open Data,
    # load_data, add_data): the one hook that sees the collection. It suggests no links.
    attach_pending_backgrounds(data_collection)
    return []


def restore_background(
    data: Data, data_collection: Any = None, calibration: float | None = None
) -> ComponentID:
    """Add ``image + background`` as a new component (the calexp with its sky put back).

    Non-destructive: ``image`` is untouched.  Calling it again returns the existing
    component instead of adding the background twice.  A DP2 image restores the background
    it says was subtracted (attached as ``background`` first).  The background is converted
    into the image's unit (a DP2 background in electrons through the image's photometric
    scaling); a DP1 visit image (nJy, identity calibration) is refused with the reason
    unless the source supplied the calibration (a Butler's visit_summary) or
    ``calibration`` gives it (nJy per count): the component is then named
    ``image + background (x<factor> ..., approximate)``.

    Raises
    ------
    UnitMismatch
        The background cannot be put in the image's unit; nothing was added.
    """
    label = _with_calibration(RESTORED, data, calibration)
    if label in _labels(data):
        return data.id[label]
    _require(data, IMAGE, "restore needs an exposure")
    image = sky_image(data)
    if BACKGROUND not in _labels(data) and image is not None and image.backgrounds.subtracted:
        _attach_named(data, image.backgrounds.subtracted, BACKGROUND)
    _require(
        data,
        BACKGROUND,
        "attach its background first (open the BackgroundList file or use attach_background)",
    )
    conversion(data, IMAGE, data, BACKGROUND, calibration)  # refuse now, not when shown
    to = ComponentID(label, parent=data)
    link = ArithmeticLink(
        [data.id[IMAGE], data.id[BACKGROUND]],
        to,
        "restore",
        (None, IMAGE),
        (None, BACKGROUND),
        calibration,
    )
    data.add_component(link, to)
    set_component_unit(data, label, component_unit(data, IMAGE))
    return to


def _link_pixels(data_collection: Any, a: Data, b: Data) -> None:
    """Make ``b`` displayable over ``a`` (same grid): link their pixel axes once."""
    if data_collection is None:
        return
    for link in data_collection.external_links:
        if isinstance(link, LinkSame) and {link.data1, link.data2} == {a, b}:
            return
    for ca, cb in zip(a.pixel_component_ids, b.pixel_component_ids, strict=True):
        data_collection.add_link(LinkSame(ca, cb, data1=a, data2=b))


def difference(
    data_a: Data,
    data_b: Data,
    data_collection: Any = None,
    component_a: str = IMAGE,
    component_b: str = IMAGE,
) -> ComponentID:
    """``A - B`` of two images on one pixel grid, as a new component of ``data_a``.

    E.g. deepCoadd - deepCoadd_calexp, which should equal deepCoadd_calexp_background.
    The component is labelled ``"<component_a> - <B label>"`` (plus ``.<component_b>`` when
    that is not ``image``); asking again returns the existing one.

    Raises
    ------
    GridMismatch
        The two images differ in shape or bbox.
    """
    _check_grid(data_a, data_b, "take the difference")
    _require(data_a, component_a, "choose an existing component")
    _require(data_b, component_b, "choose an existing component")
    label = f"{component_a} - {data_b.label}"
    if component_b != IMAGE:
        label += f".{component_b}"
    if label in _labels(data_a):
        return data_a.id[label]
    conversion(data_a, component_a, data_b, component_b)  # refuse now, not when shown
    to = ComponentID(label, parent=data_a)
    link = ArithmeticLink(
        [data_a.id[component_a]], to, "difference", (None, component_a), (data_b, component_b)
    )
    data_a.add_component(link, to)
    set_component_unit(data_a, label, component_unit(data_a, component_a))
    _link_pixels(data_collection, data_a, data_b)
    return to


def compare_with_stored_background(
    data_a: Data, data_b: Data, data_collection: Any = None
) -> Comparison:
    """(deepCoadd - deepCoadd_calexp) - deepCoadd_calexp_background, with its statistics.

    ``data_b`` (or else ``data_a``) must have the stored background attached.  The residual
    is a new component of ``data_a``; a near-zero residual shows the difference of the two
    coadds is the residual background.
    """
    holder = data_b if BACKGROUND in _labels(data_b) else data_a
    _require(
        holder,
        BACKGROUND,
        f"attach the stored background (e.g. "
        f"deepCoadd_calexp_background) to {data_b.label!r} first",
    )
    diff = difference(data_a, data_b, data_collection)
    label = f"{diff.label} - {BACKGROUND}"
    if label not in _labels(data_a):
        conversion(data_a, diff.label, holder, BACKGROUND)  # refuse now, not when shown
        to = ComponentID(label, parent=data_a)
        link = ArithmeticLink(
            [diff],
            to,
            "difference",
            (None, diff.label),
            (None if holder is data_a else holder, BACKGROUND),
        )
        data_a.add_component(link, to)
        set_component_unit(data_a, label, component_unit(data_a, diff.label))
    cid = data_a.id[label]
    return Comparison(cid, background_statistics(data_a, cid))


def default_component(data: Data) -> ComponentID:
    """The component statistics describe by default: ``background`` if present, else ``image``."""
    labels = _labels(data)
    for label in (BACKGROUND, IMAGE):
        if label in labels:
            return data.id[label]
    return data.main_components[0]


def selection_mask(
    data: Data, subset_state: Any = None, exclude_mask_planes: Iterable[str] = ()
) -> np.ndarray | None:
    """Pixels used for statistics (``True`` = used): inside the subset, outside the mask planes.

    None means every pixel.  Mask planes are looked up in the Data's ``mask_planes`` meta.
    """
    planes = list(exclude_mask_planes)
    use = None
    if subset_state is not None:
        use = np.asarray(data.get_mask(subset_state), dtype=bool)
    if planes:
        known = data.meta.get("mask_planes") or {}
        missing = [p for p in planes if p not in known]
        if MASK not in _labels(data) or missing:
            raise SkybkgError(
                f"{data.label!r} has no mask plane(s) {missing or planes}; it has "
                f"{sorted(known) or 'no mask'}"
            )
        bits = plane_bits(known, planes)
        clear = (np.asarray(data.get_data(data.id[MASK])) & bits) == 0
        use = clear if use is None else use & clear
    return use


def _component_id(data: Data, component: Any) -> ComponentID:
    if component is None:
        return default_component(data)
    return data.id[component] if isinstance(component, str) else component


def _component_values(data: Data, component: Any) -> np.ndarray:
    return np.asarray(data.get_data(_component_id(data, component)))


def background_statistics(
    data: Data,
    component: Any = None,
    subset_state: Any = None,
    exclude_mask_planes: Iterable[str] = (),
) -> analysis.BackgroundStats:
    """The notebook's statistics block for one component, whole image or inside a subset.

    Parameters
    ----------
    data
        The Data.
    component
        Label or ComponentID; default ``background`` if attached, else ``image``.
    subset_state
        Only pixels inside this glue subset state.
    exclude_mask_planes
        Mask-plane names (e.g. ``("DETECTED", "BAD", "NO_DATA")``) whose pixels are left out.

    Returns
    -------
    BackgroundStats
        The notebook's block (see :func:`glue_skybkg.analysis.background_stats`), with the
        component's unit when known.
    """
    cid = _component_id(data, component)
    values = np.asarray(data.get_data(cid))
    return analysis.background_stats(
        values,
        selection_mask(data, subset_state, exclude_mask_planes),
        unit=unit_text(component_unit(data, cid.label)),
    )


def background_histogram(
    data: Data,
    component: Any = None,
    subset_state: Any = None,
    exclude_mask_planes: Iterable[str] = (),
    bins: int = 1000,
) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's histogram (1000 bins over the finite range) with the same selection."""
    values = _component_values(data, component)
    return analysis.histogram(
        values, bins=bins, mask=selection_mask(data, subset_state, exclude_mask_planes)
    )


# --- DP2 named backgrounds ------------------------------------------------------------------


@dataclass(frozen=True)
class NamedBackground:
    """One of a DP2 image's named backgrounds, as :func:`named_backgrounds` lists it."""

    name: str
    description: str
    subtracted: bool
    unit: str | None
    shown: bool
    """Whether it is a component of the Data already (``background: <name>``)."""


def named_backgrounds(data: Data) -> list[NamedBackground]:
    """The named backgrounds of a DP2 image (or background map), in file order.

    Empty for afw images, which carry none (their background is a separate product).
    """
    listed = data.meta.get("named_backgrounds") or {}
    labels = _labels(data)
    return [
        NamedBackground(
            name,
            (listed.get("descriptions") or {}).get(name, ""),
            name == listed.get("subtracted"),
            (listed.get("units") or {}).get(name),
            named_label(name) in labels,
        )
        for name in listed.get("names") or []
    ]


def _require_named(data: Data, name: str) -> None:
    names = [b.name for b in named_backgrounds(data)]
    if name not in names:
        raise SkybkgError(
            f"{data.label!r} has no background named {name!r}; it has {names or 'none'} "
            "(named backgrounds come with DP2 images)"
        )


def _attach_named(data: Data, name: str, label: str) -> ComponentID:
    """Component ``label`` showing named background ``name`` (rendered on first access)."""
    image = sky_image(data)
    if image is None:
        raise SkybkgError(f"{data.label!r} was not opened by this plugin; open its file again")
    model = image.backgrounds[name]
    to = ComponentID(label, parent=data)
    recipe = ProductRecipe.for_product(image)
    link = BackgroundLink(list(data.pixel_component_ids), to, recipe, model=model, name=name)
    data.add_component(link, to)
    set_component_unit(data, label, model.unit, background=True)
    return to


def show_named_background(data: Data, name: str, data_collection: Any = None) -> ComponentID:
    """The DP2 image's background ``name`` as a component ``background: <name>`` (once).

    Rendered as lsst-images renders it, over the image's pixels, on first access.
    """
    _require_named(data, name)
    label = named_label(name)
    if label in _labels(data):
        return data.id[label]
    return _attach_named(data, name, label)


def _with_calibration(label: str, data: Data, calibration: float | None) -> str:
    if calibration is None:
        return label
    unit = component_unit(data, IMAGE)
    return f"{label} (x{calibration:g} {unit_text(unit) or ''} per count, approximate)"


def apply_background(
    data: Data,
    name: str | None,
    data_collection: Any = None,
    bbox: BBox | Iterable[int] | None = None,
    calibration: float | None = None,
) -> ComponentID:
    """The DP2 image with background ``name`` applied instead of the subtracted one.

    As lsst-images' ``apply_background(name)``: the image had its ``subtracted`` background
    taken off; the new component is ``image + subtracted - name`` (both rendered over the
    image's pixels and converted into its unit), i.e. the image as if ``name`` had been
    subtracted. ``name`` None restores (``image + subtracted``). ``bbox`` (parent pixels)
    limits it to a sub-region (NaN elsewhere), rendering only that. Calling it again with
    the same arguments returns the existing component; the image is never modified.

    Raises
    ------
    SkybkgError
        No such background; UnitMismatch when a background cannot be put in the image's unit.
    """
    listed = data.meta.get("named_backgrounds") or {}
    subtracted = listed.get("subtracted")
    if name is not None:
        _require_named(data, name)
    if name is None and subtracted is None:
        raise SkybkgError(f"{data.label!r} says no background was subtracted: nothing to restore")
    if name is not None and name == subtracted:
        return data.id[IMAGE]  # it is applied already, as lsst-images says
    region = None if bbox is None else BBox.coerce(bbox)
    if region is not None and not data_bbox(data).contains(region):
        raise GridMismatch(
            f"region {tuple(region)} is not inside {data.label!r} {tuple(data_bbox(data))} "
            "(x0, y0, width, height, parent pixels)"
        )
    label = IMAGE + (f" + {subtracted}" if subtracted else "") + (f" - {name}" if name else "")
    if region is not None:
        label += f" [x {region.x0}:{region.x1}, y {region.y0}:{region.y1}]"
    label = _with_calibration(label, data, calibration)
    if label in _labels(data):
        return data.id[label]
    for used in (subtracted, name):
        if used is not None:
            conversion(data, IMAGE, data, named_label(used), calibration)  # refuse now
    to = ComponentID(label, parent=data)
    link = ApplyBackgroundLink([data.id[IMAGE]], to, name, subtracted, region, calibration)
    data.add_component(link, to)
    set_component_unit(data, label, component_unit(data, IMAGE))
    return to


def difference_of_backgrounds(
    data: Data, first: str, second: str, data_collection: Any = None
) -> ComponentID:
    """``first - second`` of two named backgrounds (e.g. the subtracted one - skyCorr).

    Both are shown as components if they are not yet; the second is converted into the
    first's unit. The component is ``background: <first> - <second>``.
    """
    for name in (first, second):
        show_named_background(data, name)
    label = named_label(f"{first} - {second}")
    if label in _labels(data):
        return data.id[label]
    left, right = named_label(first), named_label(second)
    conversion(data, left, data, right)
    to = ComponentID(label, parent=data)
    link = ArithmeticLink([data.id[left]], to, "difference", (None, left), (None, right))
    data.add_component(link, to)
    set_component_unit(data, label, component_unit(data, left), background=True)
    return to


def semantics_note(data: Data, component: Any) -> str | None:
    """For a DP2 spline background: how far afw's render of it is from lsst-images'.

    lsst-images renders by default; what the pipeline's afw background gave (for DP2 images
    derived from pipeline backgrounds, what was actually subtracted) differs outside the
    hull of the bin centres and where a line has fewer than 5 bins. None for anything else.
    """
    cid = _component_id(data, component)
    link = derived_link(data, cid.label)
    if not isinstance(link, BackgroundLink):
        return None
    model = link.model
    if model.field is None or not model.has_splines:
        return None
    bbox = data_bbox(data) if model.bbox.contains(data_bbox(data)) else model.bbox
    lsst = np.asarray(data.get_data(cid), dtype=np.float64)
    afw = model.render(bbox, semantics="afw").astype(np.float64)
    with np.errstate(invalid="ignore"):
        biggest = float(np.nanmax(np.abs(afw - lsst))) if lsst.size else 0.0
    unit = unit_text(component_unit(data, cid.label)) or ""
    return (
        f"afw semantics (what the pipeline subtracted) differ from lsst-images' render by up "
        f"to {biggest:.3g} {unit}".rstrip()
        + " (outside the bin-centre hull and on lines with fewer than 5 bins)"
    )

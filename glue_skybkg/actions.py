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

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.wcs import WCS
from glue.config import autolinker
from glue.core import Data
from glue.core.component_id import ComponentID
from glue.core.link_helpers import LinkSame

from skybkg_adapters import (
    BackgroundModel,
    BBox,
    GridMismatch,
    IdentityMatch,
    ProductIdentity,
    SkybkgError,
    identify,
    match_background,
    match_data_ids,
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
    DerivedImageLink,
    LazyPlane,
    data_bbox,
    derived_link,
    named_label,
)
from .identity import data_identity
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
    "WCS_TOLERANCE",
    "Comparison",
    "NamedBackground",
    "Pairing",
    "apply_background",
    "attach_background",
    "attach_candidates",
    "attach_pending_backgrounds",
    "background_histogram",
    "background_statistics",
    "compare_candidates",
    "compare_mismatch",
    "compare_with_stored_background",
    "default_component",
    "difference",
    "difference_candidates",
    "difference_of_backgrounds",
    "grid_mismatch",
    "named_backgrounds",
    "pair_pending_backgrounds",
    "restore_background",
    "selection_mask",
    "semantics_note",
    "set_pairing_reporter",
    "show_named_background",
    "statistics_components",
]

_log = logging.getLogger("glue_skybkg")

WCS_TOLERANCE = 0.01
"""Pixels: images of one bbox share a sky grid when their WCSs agree this well at the corners."""


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


def _corner_offset(a: Data, b: Data) -> float | None:
    """How far (pixels) ``a``'s corners land from ``b``'s through their sky WCSs; None without."""
    wcs_a, wcs_b = a.coords, b.coords
    if not all(isinstance(w, WCS) and w.has_celestial for w in (wcs_a, wcs_b)):
        return None
    height, width = a.shape
    x = np.array([0.0, width - 1, 0.0, width - 1])
    y = np.array([0.0, 0.0, height - 1, height - 1])
    bx, by = wcs_b.world_to_pixel_values(*wcs_a.pixel_to_world_values(x, y))
    return float(np.max(np.hypot(np.asarray(bx) - x, np.asarray(by) - y)))


def grid_mismatch(a: Data, b: Data) -> str | None:
    """Why ``a`` and ``b`` are not on one pixel grid, or None when they are.

    One grid means the same bbox (parent pixels) and the same pixels of the sky: WCSs that
    agree to :data:`WCS_TOLERANCE` pixels at the corners, or the same data id (a calexp and
    its visit_image; deepCoadd and deepCoadd_calexp of one patch).  The bbox alone is not
    enough: every detector of a camera has the same one.
    """
    if a.shape != b.shape or data_bbox(a) != data_bbox(b):
        return (
            f"{a.label!r} covers bbox {tuple(data_bbox(a))} (x0, y0, width, height) but "
            f"{b.label!r} covers {tuple(data_bbox(b))}"
        )
    offset = _corner_offset(a, b)
    if offset is not None and offset <= WCS_TOLERANCE:
        return None
    ids = match_data_ids(data_identity(a), data_identity(b))
    if ids.verdict == "same":
        return None
    why = []
    if ids.verdict == "different":
        why.append(f"their data ids differ ({ids.reason})")
    if offset is not None:
        why.append(f"their sky positions differ by {offset:.4g} pixels at the corners")
    if not why:
        why.append(f"neither a sky WCS nor a data id says they are one grid: {ids.reason}")
    return (
        f"{a.label!r} and {b.label!r} have the same bbox {tuple(data_bbox(a))} but not the same "
        "pixels of the sky: " + "; ".join(why)
    )


def _check_grid(a: Data, b: Data, what: str) -> None:
    problem = grid_mismatch(a, b)
    if problem is not None:
        raise GridMismatch(
            f"cannot {what}: {problem}. Both must be on the same pixel grid (e.g. deepCoadd "
            "and deepCoadd_calexp of one patch)"
        )


def difference_candidates(data: Data, data_collection: Any) -> list[Data]:
    """The open images ``data - B`` can be taken with: B on ``data``'s pixel grid."""
    return [
        other
        for other in data_collection
        if other is not data and IMAGE in _labels(other) and grid_mismatch(data, other) is None
    ]


@dataclass(frozen=True)
class _BackgroundSource:
    """What attach_background was given, made uniform."""

    model: BackgroundModel | None
    recipe: ProductRecipe | None
    pixels: np.ndarray | None  # already rendered (a background Data)
    bbox: BBox
    identity: ProductIdentity
    name: str
    unit: Any  # the background's own (astropy) unit, None where its file does not say


def _background_source(background: Any) -> _BackgroundSource:
    recipe: ProductRecipe | None
    if isinstance(background, str | os.PathLike):
        model = read_background(background)
        recipe = ProductRecipe(path=os.fspath(background))
        return _BackgroundSource(
            model,
            recipe,
            None,
            model.bbox,
            identify(model),
            os.path.basename(background),
            model.unit,
        )
    if isinstance(background, BackgroundModel):
        try:
            recipe = ProductRecipe.for_product(background)
        except ValueError:
            recipe = None  # built in memory: usable now, refused by save_session (see the link)
        name = recipe.describe() if recipe is not None else "the background model"
        return _BackgroundSource(
            background, recipe, None, background.bbox, identify(background), name, background.unit
        )
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
        bbox = BBox.coerce(background.meta["bbox"])
        return _BackgroundSource(
            None,
            recipe,
            pixels,
            bbox,
            data_identity(background),
            repr(background.label),
            component_unit(background, BACKGROUND),
        )
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
        The background covers another bbox than the image, or the evidence (data ids from
        provenance, header cards or file names; dataset types) says it belongs to another image.
    SkybkgError
        The image already has a different background attached.
    """
    source = _background_source(background)
    if source.bbox != data_bbox(data):
        raise GridMismatch(
            f"the background covers bbox {tuple(source.bbox)} but {data.label!r} covers "
            f"{data_bbox(data)} (x0, y0, width, height); attach the background of this image"
        )
    match = match_background(data_identity(data), source.identity)
    if match.verdict == "different":
        raise GridMismatch(
            f"{source.name} is not the background of {data.label!r}: {match.reason}; "
            "attach the background with this image's data id"
        )
    if BACKGROUND in _labels(data):
        link = data.get_component(data.id[BACKGROUND]).link
        recipe = source.recipe
        if isinstance(link, BackgroundLink) and recipe is not None and link.recipe == recipe:
            return data.id[BACKGROUND]
        raise SkybkgError(
            f"{data.label!r} already has a background attached ({link.recipe.describe()}); "
            "open the image again to use another one"
        )
    to = ComponentID(BACKGROUND, parent=data)
    link = BackgroundLink(
        list(data.pixel_component_ids),
        to,
        source.recipe,
        model=source.model,
        rendered=source.pixels,
    )
    data.add_component(link, to)
    set_component_unit(
        data, BACKGROUND, attached_background_unit(data, IMAGE, source.unit), background=True
    )
    return to


def _is_background(data: Data) -> bool:
    return data.meta.get("skybkg_kind") == "background"


def _is_image(data: Data) -> bool:
    return data.meta.get("skybkg_kind") == "exposure"


def attach_candidates(
    data: Data, data_collection: Any, *, refused: bool = False
) -> list[tuple[Data, IdentityMatch]]:
    """What ``data`` can be paired with: backgrounds for an image, images for a background.

    Only open Data of the same bbox (an image without a background yet) whose evidence does
    not say they belong elsewhere, each with what the evidence says (same or unknown); with
    ``refused``, those of the same bbox the evidence says belong elsewhere, and why.
    """
    if _is_background(data):
        others = [d for d in data_collection if _is_image(d) and BACKGROUND not in _labels(d)]
    else:
        others = [d for d in data_collection if _is_background(d)]
    found = []
    for other in others:
        image, background = (other, data) if _is_background(data) else (data, other)
        if data_bbox(image) != BBox.coerce(background.meta["bbox"]):
            continue
        match = match_background(data_identity(image), data_identity(background))
        if (match.verdict == "different") == refused:
            found.append((other, match))
    return found


@dataclass(frozen=True)
class Pairing:
    """What became of one background opened on its own: attached to ``image``, or why not.

    ``background`` is the background Data (it has left the collection when ``attached``).
    """

    background: Data
    image: Data | None
    attached: bool
    reason: str


def _pair(background: Data, data_collection: Any) -> Pairing:
    bbox = BBox.coerce(background.meta["bbox"])
    images = [d for d in data_collection if _is_image(d) and BACKGROUND not in _labels(d)]
    same_bbox = [d for d in images if data_bbox(d) == bbox]
    if not same_bbox:
        return Pairing(
            background, None, False, f"no open image without a background covers bbox {tuple(bbox)}"
        )
    bkg = data_identity(background)
    matches = [(d, match_background(data_identity(d), bkg)) for d in same_bbox]
    same = [(d, m) for d, m in matches if m.verdict == "same"]
    if same:
        # two copies of one product are both right: the latest opened
        image, match = same[-1]
        return Pairing(background, image, True, match.reason)
    unknown = [(d, m) for d, m in matches if m.verdict == "unknown"]
    if unknown:
        reasons = "; ".join(f"{d.label}: {m.reason}" for d, m in unknown)
        return Pairing(
            background, None, False, f"nothing tells which image it belongs to ({reasons})"
        )
    reasons = "; ".join(f"{d.label}: {m.reason}" for d, m in matches)
    return Pairing(background, None, False, f"no open image has its data id ({reasons})")


def pair_pending_backgrounds(data_collection: Any) -> list[Pairing]:
    """Attach each background Data of the collection to the open image the evidence names.

    The evidence is the data id (from provenance, header cards or the file names) and the
    dataset types (calexpBackground belongs to calexp, deepCoadd_calexp_background to
    deepCoadd_calexp); the bbox alone is never enough, since every detector of a camera has
    the same one.  A background nothing pairs stays in the collection as its own dataset;
    :func:`attach_background` (right-click ▸ *Attach background…*) pairs it by hand.
    An attached background Data leaves the collection (the image's ``background`` component
    replaces it).
    """
    pairings = []
    for background in [d for d in data_collection if _is_background(d)]:
        pairing = _pair(background, data_collection)
        if pairing.attached:
            assert pairing.image is not None
            attach_background(pairing.image, background)
            data_collection.remove(background)
        pairings.append(pairing)
    return pairings


def attach_pending_backgrounds(data_collection: Any) -> list:
    """Attach every background Data the evidence pairs (:func:`pair_pending_backgrounds`).

    Returns the attached ``(image, component_id)`` pairs.
    """
    return [
        (p.image, p.image.id[BACKGROUND])
        for p in pair_pending_backgrounds(data_collection)
        if p.attached and p.image is not None
    ]


def _log_pairings(data_collection: Any, pairings: list[Pairing]) -> None:
    for p in pairings:
        if p.attached and p.image is not None:
            _log.info("attached %s to %s (%s)", p.background.label, p.image.label, p.reason)
        else:
            _log.info("%s not attached: %s", p.background.label, p.reason)


_pairing_reporter: Callable[[Any, list[Pairing]], None] = _log_pairings


def set_pairing_reporter(
    reporter: Callable[[Any, list[Pairing]], None],
) -> Callable[[Any, list[Pairing]], None]:
    """Tell ``reporter(data_collection, pairings)`` what became of backgrounds opened on their own.

    Called whenever glue adds data (File ▸ Open Data, a fetch); the Qt side shows it in the
    status bar.  Returns the previous reporter.
    """
    global _pairing_reporter
    previous, _pairing_reporter = _pairing_reporter, reporter
    return previous


@autolinker("Sky backgrounds: attach to images")
def _attach_on_add(data_collection: Any) -> list:
    # glue runs every autolinker whenever the application adds data (File > Open Data,
    # load_data, add_data): the one hook that sees the collection. It suggests no links.
    pairings = pair_pending_backgrounds(data_collection)
    if pairings:
        _pairing_reporter(data_collection, pairings)
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
        "attach its background first: open its BackgroundList file (File ▸ Open Data) or "
        "right-click the image ▸ Attach background…",
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


def compare_mismatch(data_a: Data, data_b: Data) -> str | None:
    """Why ``(A - B) - B's background`` means nothing for these two, or None when it does.

    It checks that B's background is what separates A from B: B on A's pixel grid, one data
    id, two dataset types (deepCoadd and deepCoadd_calexp of one patch), B with its stored
    background attached.
    """
    if data_b is data_a:
        return f"{data_a.label!r} cannot be compared with itself"
    if BACKGROUND not in _labels(data_b):
        return (
            f"{data_b.label!r} has no stored background attached (e.g. "
            "deepCoadd_calexp_background for deepCoadd_calexp)"
        )
    grid = grid_mismatch(data_a, data_b)
    if grid is not None:
        return grid
    a, b = data_identity(data_a), data_identity(data_b)
    ids = match_data_ids(a, b)
    if ids.verdict != "same":
        return f"{data_a.label!r} and {data_b.label!r} are not one data id ({ids.reason})"
    if a.dataset_type and a.dataset_type == b.dataset_type:
        return f"{data_a.label!r} and {data_b.label!r} are both {a.dataset_type}"
    return None


def compare_candidates(data: Data, data_collection: Any) -> list[Data]:
    """The images B that ``(data - B) - B's stored background`` means something for.

    A coadd pair: deepCoadd_calexp (with deepCoadd_calexp_background attached) for a
    deepCoadd of the same patch.
    """
    return [
        other
        for other in data_collection
        if IMAGE in _labels(other) and compare_mismatch(data, other) is None
    ]


def compare_with_stored_background(
    data_a: Data, data_b: Data, data_collection: Any = None
) -> Comparison:
    """(deepCoadd - deepCoadd_calexp) - deepCoadd_calexp_background, with its statistics.

    ``data_b`` must have the stored background attached, be on ``data_a``'s pixel grid with
    its data id, and be another dataset type (:func:`compare_candidates`).  The residual is a
    new component of ``data_a``; a near-zero residual shows the difference of the two coadds
    is the residual background.

    Raises
    ------
    GridMismatch
        The two are not such a pair; the message says what differs.
    """
    problem = compare_mismatch(data_a, data_b)
    if problem is not None:
        raise GridMismatch(f"cannot compare with the stored background: {problem}")
    diff = difference(data_a, data_b, data_collection)
    label = f"{diff.label} - {BACKGROUND}"
    if label not in _labels(data_a):
        conversion(data_a, diff.label, data_b, BACKGROUND)  # refuse now, not when shown
        to = ComponentID(label, parent=data_a)
        link = ArithmeticLink(
            [diff],
            to,
            "difference",
            (None, diff.label),
            (data_b, BACKGROUND),
        )
        data_a.add_component(link, to)
        set_component_unit(data_a, label, component_unit(data_a, diff.label))
    cid = data_a.id[label]
    return Comparison(cid, background_statistics(data_a, cid))


def _is_float(data: Data, cid: ComponentID) -> bool:
    component = data.get_component(cid)
    if isinstance(component, LazyPlane):
        return component.dtype.kind == "f"
    if isinstance(getattr(component, "link", None), DerivedImageLink):
        return True  # backgrounds, restored images, differences: float by construction
    corner = tuple(slice(0, 1) for _ in data.shape)  # one pixel tells the type
    return np.asarray(data.get_data(cid, view=corner)).dtype.kind == "f"


def statistics_components(data: Data) -> list[ComponentID]:
    """The components statistics mean something for: floats, not mask bits or coordinates."""
    coordinates = set(data.coordinate_components)
    return [
        cid
        for cid in data.main_components + data.derived_components
        if cid not in coordinates and _is_float(data, cid)
    ]


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
    terms: str = ""
    """Its fields in words (``SPLINE 5x8 + CHEBYSHEV 1x1``); empty when the file is not open."""


def named_backgrounds(data: Data) -> list[NamedBackground]:
    """The named backgrounds of a DP2 image (or background map), in file order.

    Empty for afw images, which carry none (their background is a separate product).
    """
    listed = data.meta.get("named_backgrounds") or {}
    labels = _labels(data)
    image = sky_image(data)
    models = image.backgrounds if image is not None else {}
    return [
        NamedBackground(
            name,
            (listed.get("descriptions") or {}).get(name, ""),
            name == listed.get("subtracted"),
            (listed.get("units") or {}).get(name),
            named_label(name) in labels,
            " + ".join(layer.label for layer in models[name].layers) if name in models else "",
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

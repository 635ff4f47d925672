"""Inspecting a background on glue Data: how it was built, where it bites, what a re-fit gives.

* How it was built: :func:`background_entries` describes each entry of the attached model,
  :func:`show_entry` adds one entry alone as a component (the entries sum to the render),
  :func:`bin_grid` gives the bins' boundaries, centres and NaN bins and
  :func:`add_bin_values` the stats image at its bin positions.
* What another fit gives: :func:`re_estimate_background` re-estimates from the pixels the
  way the pipeline does (:func:`skybkg_adapters.estimate_background`) and adds the
  difference *stored - re-estimated* with its statistics.
* Where it bites: :func:`radial_profiles` and :func:`line_profiles` of the image, the
  restored image and the background; :func:`add_residual_map` and
  :func:`near_source_statistics`.

Positions are parent pixel coordinates (``xy0`` included), as in afw. Every added
component is lazy and saved in sessions as a recipe (:mod:`.inspection_links`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from glue.core import Data
from glue.core.component_id import ComponentID

from skybkg_adapters import (
    IGNORED_PLANES,
    ApproxStyle,
    BackgroundLayer,
    FieldLayer,
    SkybkgError,
    bin_count,
)

from . import actions, analysis
from .gluedata import BACKGROUND, IMAGE, RESTORED, ArithmeticLink, data_bbox, derived_link
from .inspection_links import (
    BinValuesLink,
    EntryLink,
    EstimateLink,
    ResidualLink,
    model_of,
    usable_mask,
)
from .units import component_unit, unit_text

__all__ = [
    "PROFILE_PLANES",
    "EntryInfo",
    "Profiles",
    "ReEstimate",
    "add_bin_values",
    "add_residual_map",
    "background_entries",
    "bin_grid",
    "bin_under",
    "image_unit",
    "line_profiles",
    "near_source_statistics",
    "pipeline_settings",
    "radial_profiles",
    "re_estimate_background",
    "show_entry",
]

PROFILE_PLANES = ("BAD", "NO_DATA", "SAT")
"""Mask planes whose pixels profiles leave out (sources stay in: a profile is about them)."""
_SKY_PLANES = ("BAD", "EDGE", "DETECTED", "DETECTED_NEGATIVE", "NO_DATA", "SAT")
"""Mask planes left out of a sky level: sources and unusable pixels."""


def _labels(data: Data) -> list[str]:
    return [c.label for c in data.components]


def _add(data: Data, label: str, link_type: type, frm: list, **params: Any) -> ComponentID:
    """Component ``label`` from a recipe link, or the existing one (never added twice)."""
    if label in _labels(data):
        return data.id[label]
    to = ComponentID(label, parent=data)
    data.add_component(link_type(frm, to, **params), to)
    return to


def image_unit(data: Data) -> str | None:
    """The unit of ``data``'s image (``count``, ``nJy``), or None when unknown."""
    return unit_text(component_unit(data, IMAGE))


@dataclass(frozen=True)
class EntryInfo:
    """One entry of a background model, as a user wants it listed.

    ``grid`` is ``(ny, nx)`` bins, ``bin_size`` the mean bin width and height in pixels
    (afw splits the image evenly, so bins differ by at most one pixel), ``order`` the
    Chebyshev order or None for an interpolated entry.
    """

    index: int
    interp: str
    undersample: str
    grid: tuple[int, int]
    bin_size: tuple[float, float]
    order: int | None
    weighting: bool
    nan_bins: int

    def describe(self) -> str:
        """One line: how the entry renders, its grid, bin size and NaN bins."""
        how = f"Chebyshev order {self.order}" if self.order is not None else self.interp
        text = (
            f"entry {self.index}: {how}, {self.grid[1]}x{self.grid[0]} bins of "
            f"{self.bin_size[0]:.1f}x{self.bin_size[1]:.1f} px"
        )
        if self.order is not None:
            text += f" ({self.interp} stored, weighting {'on' if self.weighting else 'off'})"
        if self.nan_bins:
            text += f", {self.nan_bins} NaN bins"
        return text


def _entry_info(index: int, layer: BackgroundLayer | FieldLayer) -> EntryInfo:
    if isinstance(layer, FieldLayer):
        return _term_info(index, layer)
    ny, nx = layer.shape
    chebyshev = layer.approx_style != ApproxStyle.UNKNOWN
    return EntryInfo(
        index=index,
        interp=layer.interp_style.name,
        undersample=layer.undersample_style.name,
        grid=(ny, nx),
        bin_size=(layer.bbox.width / nx, layer.bbox.height / ny),
        order=layer.approx_order_x if chebyshev else None,
        weighting=bool(layer.approx_weighting),
        nan_bins=int(np.isnan(layer.values).sum()),
    )


def _term_info(index: int, layer: FieldLayer) -> EntryInfo:
    """A DP2 field term as an entry: a spline grid's bins, or a Chebyshev series' order."""
    field = layer.field
    spline = field.field_type == "SPLINE"
    if spline:
        grid = field.values.shape
        spacing = (
            float(np.diff(field.x).mean()) if field.x.size > 1 else field.bounds.width,
            float(np.diff(field.y).mean()) if field.y.size > 1 else field.bounds.height,
        )
    else:
        grid = getattr(field, "coefficients", np.zeros((1, 1))).shape
        spacing = (float(layer.bbox.width), float(layer.bbox.height))
    return EntryInfo(
        index=index,
        interp=layer.label,
        undersample="-",
        grid=(int(grid[0]), int(grid[1])),
        bin_size=spacing,
        order=None if spline else max(grid) - 1,
        weighting=False,
        nan_bins=int(np.isnan(field.values).sum()) if spline else 0,
    )


def background_entries(data: Data, model: str = BACKGROUND) -> list[EntryInfo]:
    """The entries of the model behind component ``model`` (the attached background)."""
    return [_entry_info(i, layer) for i, layer in enumerate(model_of(data, model).layers)]


def _entry_label(model: str, entry: int) -> str:
    return f"{model} entry {entry}"


def show_entry(data: Data, entry: int, model: str = BACKGROUND) -> ComponentID:
    """Add entry ``entry`` of the model behind ``model`` rendered alone (once); returns it.

    The entries' components add up, in float32 and in list order, to the ``model``
    component (afw sums a BackgroundList exactly so).
    """
    count = len(model_of(data, model).layers)
    if not 0 <= entry < count:
        raise SkybkgError(f"{data.label!r}: {model!r} has {count} entries; no entry {entry}")
    label = _entry_label(model, entry)
    return _add(data, label, EntryLink, list(data.pixel_component_ids), model=model, entry=entry)


def bin_grid(data: Data, entry: int = 0, model: str = BACKGROUND) -> analysis.BinGrid:
    """Bin boundaries, centres and NaN bins of one entry, in parent pixel coordinates."""
    return analysis.bin_grid(model_of(data, model).layers[entry])


def bin_under(data: Data, x: int, y: int, entry: int = 0, model: str = BACKGROUND) -> str | None:
    """The bin of entry ``entry`` holding parent pixel ``(x, y)``, in words; None if unknown.

    ``bin (i 3, j 1) of 8x5: 2900.8 count``, ``NaN`` for a bin without a value, None when
    ``data`` has no background model or the pixel is outside its bins.
    """
    try:
        grid = bin_grid(data, entry, model)
    except (SkybkgError, IndexError):
        return None
    where = grid.bin_of(x, y)
    if where is None:
        return None
    j, i = where
    ny, nx = grid.shape
    value = grid.values[j, i]
    unit = unit_text(component_unit(data, model))
    text = "NaN" if np.isnan(value) else f"{float(value):.6g}" + (f" {unit}" if unit else "")
    return f"bin (i {i}, j {j}) of {nx}x{ny}: {text}"


def add_bin_values(data: Data, entry: int = 0, model: str = BACKGROUND) -> ComponentID:
    """Add the entry's stats image at its bin positions (each pixel its bin's value, once)."""
    model_of(data, model).layers[entry]  # noqa: B018  (raises here, not on first display)
    label = f"bins: {_entry_label(model, entry)}"
    return _add(
        data, label, BinValuesLink, list(data.pixel_component_ids), model=model, entry=entry
    )


@dataclass(frozen=True)
class ReEstimate:
    """Result of :func:`re_estimate_background`: the new components and the difference's stats.

    ``difference`` (``background - <component>``) and ``statistics`` are None when no
    background is attached to compare with.
    """

    component: ComponentID
    difference: ComponentID | None
    statistics: analysis.BackgroundStats | None
    settings: dict[str, Any] = field(default_factory=dict)


def pipeline_settings(data: Data) -> dict[str, Any]:
    """The estimator settings that made the attached background (its first entry).

    The bin size is 128 (the pipelines' ``binSize``) when that gives the stored grid,
    otherwise the largest that gives it (``W // b + 1`` bins); the interpolation,
    undersampling and Chebyshev order are the entry's.
    """
    layer = model_of(data, BACKGROUND).layers[0]
    ny, nx = layer.shape
    width, height = layer.bbox.width, layer.bbox.height
    fits = [
        b
        for b in range(1, max(width, height) + 1)
        if bin_count(width, b) == nx and bin_count(height, b) == ny
    ]
    bin_size = 128 if 128 in fits else (max(fits) if fits else max(width // nx, 1))
    chebyshev = layer.approx_style != ApproxStyle.UNKNOWN
    return {
        "bin_size": int(bin_size),
        "statistic": "meanclip",
        "ignored_planes": list(IGNORED_PLANES),
        "interp": layer.interp_style.name.lower(),
        "approx_order": int(layer.approx_order_x) if chebyshev else None,
        "undersample": "reduce" if layer.undersample_style == 1 else "throw",
    }


def _settings_label(settings: dict[str, Any]) -> str:
    order = settings.get("approx_order")
    how = f"Chebyshev {order}" if order is not None else str(settings.get("interp", "akima"))
    return (
        f"re-estimate ({settings.get('bin_size', 128)} px, "
        f"{settings.get('statistic', 'meanclip')}, {how})"
    )


def re_estimate_background(
    data: Data, data_collection: Any = None, *, source: str | None = None, **settings: Any
) -> ReEstimate:
    """Re-estimate the background from ``data``'s pixels as the pipeline does.

    Parameters
    ----------
    data
        An exposure Data (a calexp with its background attached, or any image).
    data_collection
        Unused; the same call shape as every action.
    source
        The component estimated from: default ``image + background`` when a background is
        attached (the pipeline fitted the image before subtraction), else ``image``.
    **settings
        :func:`skybkg_adapters.estimate_background` keywords (``bin_size``, ``statistic``,
        ``ignored_planes``, ``interp``, ``approx_order``, ``undersample``); default the
        pipeline's (:func:`pipeline_settings` when a background is attached).

    Returns
    -------
    ReEstimate
        The re-estimated background component, ``background - <it>`` and its statistics.
    """
    has_background = BACKGROUND in _labels(data)
    chosen = dict(pipeline_settings(data) if has_background else {})
    chosen.update(settings)
    if "ignored_planes" in chosen:
        chosen["ignored_planes"] = list(chosen["ignored_planes"])
    if source is None:
        source = RESTORED if has_background else IMAGE
        if has_background:
            actions.restore_background(data)
    if source not in _labels(data):
        raise SkybkgError(f"{data.label!r} has no {source!r} component to estimate from")
    label = _settings_label(chosen)
    if label in _labels(data):  # same label, other settings: number it
        link = derived_link(data, label)
        if getattr(link, "params", {}).get("settings") != chosen:
            k = 2
            while f"{label} #{k}" in _labels(data):
                k += 1
            label = f"{label} #{k}"
    frm = list(data.pixel_component_ids)
    cid = _add(data, label, EstimateLink, frm, source=source, settings=chosen)
    if not has_background:
        return ReEstimate(cid, None, None, chosen)
    diff_label = f"{BACKGROUND} - {label}"
    if diff_label not in _labels(data):
        to = ComponentID(diff_label, parent=data)
        link = ArithmeticLink(
            [data.id[BACKGROUND], cid], to, "difference", (None, BACKGROUND), (None, label)
        )
        data.add_component(link, to)
    diff = data.id[diff_label]
    return ReEstimate(cid, diff, actions.background_statistics(data, diff), chosen)


@dataclass(frozen=True, eq=False)
class Profiles:
    """Profiles of several components of one image, each with its median sky level.

    ``curves`` maps a component label to an :class:`~glue_skybkg.analysis.RadialProfile`
    (``kind`` "radial", radii in pixels) or :class:`~glue_skybkg.analysis.LineProfile`
    (``kind`` "line"); ``levels`` the median of that component over the pixels around
    the profile that are not sources or bad; ``unit`` the image's unit.
    """

    kind: str
    curves: dict[str, Any]
    levels: dict[str, float]
    unit: str | None
    where: dict[str, Any]


def _profile_components(data: Data) -> list[str]:
    labels = _labels(data)
    wanted = [IMAGE]
    if BACKGROUND in labels:
        wanted += [RESTORED, BACKGROUND]
    return [label for label in wanted if label in labels or label == RESTORED]


def _crop(data: Data, label: str, rows: slice, cols: slice) -> np.ndarray:
    if label == RESTORED and RESTORED not in _labels(data):
        # the sum of the two windows, without adding a component the user did not ask for
        image = np.asarray(data.get_data(data.id[IMAGE]))[rows, cols]
        return analysis.restore(image, np.asarray(data.get_data(data.id[BACKGROUND]))[rows, cols])
    return np.asarray(data.get_data(data.id[label]))[rows, cols]


def _window(data: Data, points: Iterable[tuple[float, float]], margin: float):
    """Row and column slices of the box around ``points`` grown by ``margin``, and its origin.

    ``points`` are parent pixels; the origin is the box's first pixel in array coordinates.
    """
    box = data_bbox(data)
    xs = [p[0] - box.x0 for p in points]
    ys = [p[1] - box.y0 for p in points]
    x0 = max(int(np.floor(min(xs) - margin)), 0)
    y0 = max(int(np.floor(min(ys) - margin)), 0)
    x1 = min(int(np.ceil(max(xs) + margin)) + 1, box.width)
    y1 = min(int(np.ceil(max(ys) + margin)) + 1, box.height)
    if x1 <= x0 or y1 <= y0:
        raise SkybkgError(
            f"{tuple(points)} (parent pixels) is outside {data.label!r}, which covers "
            f"{tuple(box)} (x0, y0, width, height)"
        )
    return slice(y0, y1), slice(x0, x1), (x0, y0)


def _levels(data: Data, crops: dict[str, np.ndarray], rows: slice, cols: slice) -> dict:
    sky = usable_mask(data, _SKY_PLANES)
    use = None if sky is None else sky[rows, cols]
    return {label: analysis.background_stats(values, use).median for label, values in crops.items()}


def radial_profiles(
    data: Data, center: tuple[float, float], radius: float, *, width: float = 1.0
) -> Profiles:
    """Radial profiles around ``center`` (parent pixels) of the image, restored image, background.

    Each curve is the mean per annulus of the pixels not in :data:`PROFILE_PLANES`; its
    level is the median sky (no source, no bad pixel) in the square around the profile.
    A dark halo is a dip of the image's curve below its level.
    """
    rows, cols, (x0, y0) = _window(data, [center], radius)
    box = data_bbox(data)
    local = (center[0] - box.x0 - x0, center[1] - box.y0 - y0)
    usable = usable_mask(data, PROFILE_PLANES)
    use = None if usable is None else usable[rows, cols]
    crops = {label: _crop(data, label, rows, cols) for label in _profile_components(data)}
    curves = {
        label: analysis.radial_profile(values, local, radius, width=width, use=use)
        for label, values in crops.items()
    }
    where = {"center": tuple(center), "radius": radius, "width": width}
    return Profiles("radial", curves, _levels(data, crops, rows, cols), image_unit(data), where)


def line_profiles(
    data: Data, start: tuple[float, float], end: tuple[float, float], *, step: float = 1.0
) -> Profiles:
    """Profiles along the segment ``start`` to ``end`` (parent pixels) of the same components."""
    rows, cols, (x0, y0) = _window(data, [start, end], 2)
    box = data_bbox(data)
    a = (start[0] - box.x0 - x0, start[1] - box.y0 - y0)
    b = (end[0] - box.x0 - x0, end[1] - box.y0 - y0)
    crops = {label: _crop(data, label, rows, cols) for label in _profile_components(data)}
    curves = {label: analysis.line_profile(v, a, b, step=step) for label, v in crops.items()}
    for curve in curves.values():  # report positions in parent pixels
        curve.x[:] += box.x0 + x0
        curve.y[:] += box.y0 + y0
    where = {"start": tuple(start), "end": tuple(end)}
    return Profiles("line", curves, _levels(data, crops, rows, cols), image_unit(data), where)


def add_residual_map(
    data: Data,
    data_collection: Any = None,
    *,
    bin_size: int = 1024,
    half_width: int = 15,
    planes: Iterable[str] = IGNORED_PLANES,
) -> ComponentID:
    """Add ``image`` minus its re-estimate with a large ``bin_size``, box-smoothed (once).

    Oversubtracted regions (dark halos, dark edges) are negative. Sources and bad pixels
    (``planes``) are left out of the sky and of the smoothing.
    """
    label = f"residual map (sky {bin_size} px, box {2 * half_width + 1} px)"
    return _add(
        data,
        label,
        ResidualLink,
        list(data.pixel_component_ids),
        source=IMAGE,
        bin_size=int(bin_size),
        half_width=int(half_width),
        planes=list(planes),
    )


def near_source_statistics(
    data: Data, *, radius: int = 20, component: str = IMAGE
) -> analysis.NearSourceStats:
    """Statistics of DETECTED pixels and of the undetected pixels near and far from them."""
    known = data.meta.get("mask_planes") or {}
    if "DETECTED" not in known:
        raise SkybkgError(
            f"{data.label!r} has no DETECTED mask plane; near-source statistics need the "
            "detection mask of a calexp or coadd"
        )
    clear = usable_mask(data, ("DETECTED",))
    if clear is None:
        raise SkybkgError(f"{data.label!r} has no mask component to find its sources in")
    detected = ~clear
    usable = usable_mask(data, [p for p in _SKY_PLANES if p not in ("DETECTED",)])
    values = np.asarray(data.get_data(data.id[component]))
    return analysis.near_source_statistics(values, detected, usable, radius=radius)

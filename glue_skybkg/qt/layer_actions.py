"""Right-click actions on data layers: show, restore, difference, statistics, compare.

Each callback asks what it must (through :func:`choose_data`, replaceable in tests), calls
:mod:`glue_skybkg.actions`, then shows the result; failures go to the error reporter.
"""

from __future__ import annotations

from typing import Any

from glue.core import Data
from glue.core.subset import Subset
from glue.core.subset_group import SubsetGroup
from glue_qt.config import layer_action

from skybkg_adapters import GridMismatch, SkybkgError

from .. import actions
from ..display import apply_preset, component_layer
from ..gluedata import BACKGROUND, data_bbox
from .calibration import with_calibration
from .display import find_application, show_component
from .notify import report_error
from .stats_panel import StatisticsPanel

__all__ = [
    "COMPARE",
    "DIFFERENCE",
    "RESTORE_BACKGROUND",
    "SHOW_BACKGROUND",
    "STATISTICS",
    "background_statistics",
    "choose_data",
    "compare_with_stored_background",
    "difference",
    "open_panels",
    "restore_background",
    "show_as_layer",
    "show_background",
]

SHOW_BACKGROUND = "Show background"
RESTORE_BACKGROUND = "Restore background (image + background)"
DIFFERENCE = "Difference…"
STATISTICS = "Background statistics"
COMPARE = "Compare with stored background"

open_panels: list[StatisticsPanel] = []
"""Statistics panels opened by the actions, referenced while shown (dropped when closed)."""


def choose_data(title: str, candidates: list[Data]) -> Data | None:
    """Ask the user to pick one Data (None if cancelled); a single candidate is taken as is."""
    if len(candidates) == 1:
        return candidates[0]
    from qtpy.QtWidgets import QInputDialog

    labels = [d.label for d in candidates]
    label, ok = QInputDialog.getItem(None, title, "Subtract which image?", labels, 0, False)
    return candidates[labels.index(label)] if ok else None


def _same_grid(data: Data, data_collection: Any) -> list[Data]:
    return [
        d
        for d in data_collection
        if d is not data and d.shape == data.shape and data_bbox(d) == data_bbox(data)
    ]


def _panel(data: Data, component: str | None = None, subset: Any = None) -> StatisticsPanel:
    panel = StatisticsPanel(data, component, subset)
    open_panels.append(panel)
    panel.closed.connect(open_panels.remove)
    panel.show()
    return panel


def _image_viewers_showing(app: Any, data: Data) -> list:
    """The image viewers of ``app`` with a layer of ``data`` (not of one of its subsets)."""
    from glue_qt.viewers.image import ImageViewer

    return [
        viewer
        for tab in app.viewers
        for viewer in tab
        if isinstance(viewer, ImageViewer) and any(artist.layer is data for artist in viewer.layers)
    ]


def show_background(data: Data, data_collection: Any) -> list:
    """Show the attached background as an image layer: linear stretch, zscale limits.

    The layer goes on top of every image viewer already showing ``data`` (a second layer of
    the same Data whose attribute is ``background``; a second click re-applies the display and
    adds nothing); only when no viewer shows ``data`` does a new viewer open.  Returns the
    viewers showing the background (empty after an error, which is reported).
    """
    try:
        if BACKGROUND not in [c.label for c in data.components]:
            raise SkybkgError(
                f"{data.label!r} has no background attached; open its BackgroundList file "
                "(File > Open Data) or fetch it with Plugins > Sky backgrounds…"
            )
        return show_as_layer(data, data_collection, BACKGROUND)
    except Exception as exc:  # reported to the user, never raised into Qt's event loop
        report_error(SHOW_BACKGROUND, exc)
        return []


def show_as_layer(data: Data, data_collection: Any, label: str) -> list:
    """Component ``label`` as a layer (linear, zscale) over every viewer showing ``data``.

    Only when no viewer shows ``data`` does a new viewer open; returns the viewers.
    """
    app = find_application(data_collection)
    viewers = _image_viewers_showing(app, data)
    if not viewers:
        return [show_component(app, data, label, "linear")]
    for viewer in viewers:
        apply_preset(component_layer(viewer, data, label), "linear")
    return viewers


def restore_background(data: Data, data_collection: Any) -> Any:
    """Add ``image + background`` (once) and show it with the notebook preset.

    Where the background cannot be put in the image's unit (a DP1 visit image), the user
    is offered to give the calibration (:func:`.calibration.with_calibration`).
    """
    try:
        cid = with_calibration(
            RESTORE_BACKGROUND,
            lambda c: actions.restore_background(data, data_collection, calibration=c),
        )
        return show_component(find_application(data_collection), data, cid.label, "notebook")
    except Exception as exc:  # reported to the user
        report_error(RESTORE_BACKGROUND, exc)
        return None


def difference(data: Data, data_collection: Any) -> Any:
    """Ask for B among the images on the same grid, add ``image - B``, show it."""
    try:
        candidates = _same_grid(data, data_collection)
        if not candidates:
            others = (
                ", ".join(f"{d.label} {data_bbox(d)}" for d in data_collection if d is not data)
                or "none"
            )
            raise GridMismatch(
                f"no other open image is on the pixel grid of {data.label!r} "
                f"{data_bbox(data)}; open ones: {others}"
            )
        other = choose_data(DIFFERENCE, candidates)
        if other is None:
            return None
        cid = actions.difference(data, other, data_collection)
        return show_component(find_application(data_collection), data, cid.label, "linear")
    except Exception as exc:  # reported to the user
        report_error(DIFFERENCE, exc)
        return None


def _subset_to_describe(group: SubsetGroup) -> Subset:
    """The subset of a group on the image most worth describing (one with a background)."""

    def score(subset: Subset) -> int:
        labels = [c.label for c in subset.data.components]
        return (BACKGROUND in labels) * 2 + (subset.data.meta.get("skybkg_kind") == "exposure")

    return max(group.subsets, key=score)


def background_statistics(
    layer: Data | Subset | SubsetGroup, data_collection: Any
) -> StatisticsPanel | None:
    """The statistics panel for a Data, or inside the selected subset (group)."""
    try:
        if isinstance(layer, SubsetGroup):
            layer = _subset_to_describe(layer)
        if isinstance(layer, Subset):
            return _panel(layer.data, subset=layer)
        return _panel(layer)
    except Exception as exc:  # reported to the user
        report_error(STATISTICS, exc)
        return None


def compare_with_stored_background(data: Data, data_collection: Any) -> StatisticsPanel | None:
    """Show ``(this - B) - B's stored background`` with its statistics (the coadd check)."""
    try:
        candidates = [
            d
            for d in _same_grid(data, data_collection)
            if BACKGROUND in [c.label for c in d.components]
        ]
        if not candidates:
            raise SkybkgError(
                f"no image on the grid of {data.label!r} has a stored background attached; "
                "open deepCoadd_calexp and deepCoadd_calexp_background first"
            )
        other = choose_data(COMPARE, candidates)
        if other is None:
            return None
        result = actions.compare_with_stored_background(data, other, data_collection)
        show_component(find_application(data_collection), data, result.component.label, "linear")
        return _panel(data, result.component.label)
    except Exception as exc:  # reported to the user
        report_error(COMPARE, exc)
        return None


layer_action(
    SHOW_BACKGROUND, single=True, data=True, tooltip="Show the background attached to this image"
)(show_background)
layer_action(
    RESTORE_BACKGROUND,
    single=True,
    data=True,
    tooltip="Add the subtracted background back, as a new component",
)(restore_background)
layer_action(
    DIFFERENCE, single=True, data=True, tooltip="Subtract another image on the same pixel grid"
)(difference)
layer_action(
    STATISTICS,
    single=True,
    data=True,
    subset=True,
    subset_group=True,
    tooltip="Statistics and histogram (whole image or this subset)",
)(background_statistics)
layer_action(
    COMPARE,
    single=True,
    data=True,
    tooltip="Difference with a same-grid image minus its stored background",
)(compare_with_stored_background)

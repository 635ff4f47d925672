"""Right-click actions that inspect a background: entries, bin grid, re-estimate, profile, residual.

Each callback calls :mod:`glue_skybkg.inspection`, shows the result (new layers in the
viewers showing the Data, a panel or a form) and reports failures to the user instead of
raising into Qt's event loop. Windows it opens stay referenced in :data:`open_windows`
while shown.
"""

from __future__ import annotations

from typing import Any

from glue.core import Data
from glue_qt.config import layer_action

from skybkg_adapters import SkybkgError

from .. import inspection
from ..display import apply_preset, component_layer
from ..gluedata import BACKGROUND, data_bbox
from .bin_grid_overlay import draw_bin_grid
from .display import find_application, show_component
from .entries_panel import EntriesPanel
from .estimate_dialog import EstimateDialog
from .notify import report_error
from .profile_panel import ProfilePanel
from .stats_dock import show_statistics
from .text_panel import TextPanel

__all__ = [
    "ENTRIES",
    "PROFILE",
    "RESIDUAL",
    "RE_ESTIMATE",
    "SHOW_BIN_GRID",
    "background_entries",
    "open_windows",
    "profile",
    "re_estimate",
    "residual_map",
    "show_bin_grid",
    "show_entry",
]

ENTRIES = "Background entries…"
SHOW_BIN_GRID = "Show bin grid"
RE_ESTIMATE = "Re-estimate background…"
PROFILE = "Profile…"
RESIDUAL = "Residual map"

open_windows: list[Any] = []
"""Panels and forms these actions opened, referenced while shown (dropped when closed)."""


def _keep(window: Any) -> Any:
    open_windows.append(window)
    if hasattr(window, "closed"):
        window.closed.connect(open_windows.remove)
    else:  # a QDialog: dropped when it finishes
        window.finished.connect(lambda *_: open_windows.remove(window))
    window.show()
    return window


def _image_viewers(app: Any, data: Data) -> list:
    """The image viewers of ``app`` showing a layer of ``data``."""
    from glue_qt.viewers.image import ImageViewer

    if app is None:
        return []
    return [
        viewer
        for tab in app.viewers
        for viewer in tab
        if isinstance(viewer, ImageViewer) and any(a.layer is data for a in viewer.layers)
    ]


def _show_layer(app: Any, data: Data, label: str, preset: str = "linear") -> list:
    """Show component ``label`` as a layer on top of the viewers showing ``data``.

    A new viewer opens when none shows ``data``. Returns the viewers.
    """
    viewers = _image_viewers(app, data)
    if not viewers:
        return [show_component(app, data, label, preset)]
    for viewer in viewers:
        apply_preset(component_layer(viewer, data, label), preset)
    return viewers


def show_entry(data: Data, entry: int, data_collection: Any) -> list:
    """Add background entry ``entry`` of ``data`` and show it over its viewers."""
    try:
        cid = inspection.show_entry(data, entry)
        return _show_layer(find_application(data_collection), data, cid.label)
    except Exception as exc:  # reported to the user
        report_error(ENTRIES, exc)
        return []


def background_entries(data: Data, data_collection: Any) -> EntriesPanel | None:
    """The entries panel of ``data``'s attached background."""
    try:
        panel = EntriesPanel(
            data,
            lambda d, k: show_entry(d, k, data_collection),
            lambda d, k: show_bin_grid(d, data_collection, entry=k),
        )
        return _keep(panel)
    except Exception as exc:  # reported to the user
        report_error(ENTRIES, exc)
        return None


def show_bin_grid(data: Data, data_collection: Any, entry: int = 0) -> list:
    """Draw entry ``entry``'s bin grid over ``data``'s viewers and show its stats image layer.

    The stats image is added as a component (each pixel its bin's value) and shown as a
    layer under the grid, so the bins read as the coarse image they are.
    """
    try:
        grid = inspection.bin_grid(data, entry)
        cid = inspection.add_bin_values(data, entry)
        viewers = _show_layer(find_application(data_collection), data, cid.label)
        for viewer in viewers:
            reference = viewer.state.reference_data or data
            draw_bin_grid(viewer, grid, data_bbox(reference).xy0)
        return viewers
    except Exception as exc:  # reported to the user
        report_error(SHOW_BIN_GRID, exc)
        return []


def _planes(data: Data) -> list[str]:
    return sorted(data.meta.get("mask_planes") or {}, key=lambda p: data.meta["mask_planes"][p])


def re_estimate(data: Data, data_collection: Any) -> EstimateDialog | None:
    """Open the settings form; *Re-estimate* adds the new background, the difference, stats."""
    try:
        has_background = BACKGROUND in [c.label for c in data.components]
        settings = inspection.pipeline_settings(data) if has_background else {}
        dialog = EstimateDialog(settings, _planes(data), f"{RE_ESTIMATE[:-1]}: {data.label}")
        dialog.accepted.connect(lambda: run_re_estimate(data, data_collection, dialog.settings()))
        return _keep(dialog)
    except Exception as exc:  # reported to the user
        report_error(RE_ESTIMATE, exc)
        return None


def run_re_estimate(data: Data, data_collection: Any, settings: dict) -> Any:
    """Re-estimate with ``settings``; show the result and the statistics of the difference."""
    try:
        result = inspection.re_estimate_background(data, data_collection, **settings)
        app = find_application(data_collection)
        show_component(app, data, result.component.label, "linear")
        if result.difference is None:
            return result
        show_component(app, data, result.difference.label, "linear")
        show_statistics(app, data, result.difference.label)  # the dock, as everywhere
        return result
    except Exception as exc:  # reported to the user
        report_error(RE_ESTIMATE, exc)
        return None


def profile(data: Data, data_collection: Any) -> ProfilePanel | None:
    """The profile panel for ``data``, picking on the first image viewer showing it."""
    try:
        viewers = _image_viewers(find_application(data_collection), data)
        panel = ProfilePanel(data, viewers[0] if viewers else None)
        return _keep(panel)
    except Exception as exc:  # reported to the user
        report_error(PROFILE, exc)
        return None


def residual_map(data: Data, data_collection: Any) -> TextPanel | None:
    """Add and show the smoothed residual map; list DETECTED vs near/far sky statistics."""
    try:
        if "image" not in [c.label for c in data.components]:
            raise SkybkgError(f"{data.label!r} has no image component")
        cid = inspection.add_residual_map(data)
        show_component(find_application(data_collection), data, cid.label, "linear")
        try:
            text = inspection.near_source_statistics(data).format()
        except SkybkgError as exc:  # no detection mask: the map alone is still useful
            text = str(exc)
        return _keep(TextPanel(f"Near-source statistics: {data.label}", text))
    except Exception as exc:  # reported to the user
        report_error(RESIDUAL, exc)
        return None


layer_action(
    ENTRIES, single=True, data=True, tooltip="List the entries of the background, show any one"
)(background_entries)
layer_action(
    SHOW_BIN_GRID,
    single=True,
    data=True,
    tooltip="Draw the background's bins and show its coarse statistics image",
)(show_bin_grid)
layer_action(
    RE_ESTIMATE,
    single=True,
    data=True,
    tooltip="Fit the background again from the pixels, with the pipeline's or other settings",
)(re_estimate)
layer_action(
    PROFILE, single=True, data=True, tooltip="Radial or line profile of image and background"
)(profile)
layer_action(
    RESIDUAL,
    single=True,
    data=True,
    tooltip="Image minus a large-scale sky, smoothed: where the background oversubtracts",
)(residual_map)

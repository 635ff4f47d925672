"""Toolbar tools of the image viewer: zscale, the notebook preset, background layers, readout.

The contour and overlay buttons add a layer (or switch the one they added): layers stay on
while other tools are used and are saved in sessions, unlike a checkable tool's drawing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from glue.config import colormaps, viewer_tool
from glue.viewers.common.tool import Tool

from ..display import apply_preset, apply_zscale, display_limits
from ..gluedata import BACKGROUND
from .colorbar import ColourBarImageLayerArtist, add_layer
from .contours import BackgroundContourLayerArtist
from .notify import report_error
from .readout import PixelReadout

__all__ = [
    "CONTOUR_LEVELS",
    "OVERLAY_ALPHA",
    "BackgroundContoursTool",
    "BackgroundOverlayTool",
    "NotebookPresetTool",
    "PixelReadoutTool",
    "ZScaleTool",
]

CONTOUR_LEVELS = 8
"""Number of background contour levels at first, spread evenly inside its zscale range."""
OVERLAY_ALPHA = 0.45
"""Opacity of the background overlay."""


def _reference_background(viewer: Any, title: str) -> np.ndarray | None:
    """The background of the viewer's reference image, or None (reported) if it has none."""
    data = viewer.state.reference_data
    if data is None or BACKGROUND not in [c.label for c in data.components]:
        report_error(
            title,
            f"{getattr(data, 'label', 'this viewer')!r} has no background "
            "attached; open its BackgroundList file first",
        )
        return None
    return np.asarray(data.get_data(data.id[BACKGROUND]))


def _visible_image_layers(viewer: Any) -> list:
    return [
        s
        for s in viewer.state.layers
        if getattr(s, "attribute", None) is not None and s.visible and hasattr(s, "stretch")
    ]


@viewer_tool
class ZScaleTool(Tool):
    """Set every visible image layer's limits to zscale (afwDisplay's ``'zscale'``)."""

    icon = "glue_contrast"
    tool_id = "skybkg:zscale"
    action_text = "zscale limits"
    tool_tip = "Set the display limits of the visible image layers to zscale"

    def activate(self) -> None:
        """Apply zscale to every visible image layer."""
        for layer in _visible_image_layers(self.viewer):
            apply_zscale(layer)


@viewer_tool
class NotebookPresetTool(Tool):
    """The notebook's display: arcsinh stretch with zscale limits."""

    icon = "glue_image"
    tool_id = "skybkg:notebook"
    action_text = "Notebook preset (arcsinh + zscale)"
    tool_tip = "Display as the notebook does: arcsinh stretch, zscale limits"

    def activate(self) -> None:
        """Apply the preset to every visible image layer."""
        for layer in _visible_image_layers(self.viewer):
            apply_preset(layer, "notebook")


def _layers_of(viewer: Any, cls: type, data: Any) -> list:
    """The artists of class ``cls`` in ``viewer`` that show ``data``'s background."""
    artists: list[Any] = [a for a in viewer.layers if a.layer is data and type(a) is cls]
    return [a for a in artists if getattr(a.state.attribute, "label", None) == BACKGROUND]


def _toggle(viewer: Any, title: str, cls: type, make: Any) -> Any:
    """Show or hide ``viewer``'s ``cls`` layer of the reference image's background.

    The first click adds the layer (``make(state, background)`` sets it up); later clicks
    switch its visibility, as its checkbox in the layer list does.  Returns the layer state.
    """
    background = _reference_background(viewer, title)
    if background is None:
        return None
    data = viewer.state.reference_data
    existing = [a for a in _layers_of(viewer, cls, data) if a is not viewer.layers[0]]
    if existing:
        state = existing[0].state
        state.visible = not state.visible
        return state
    state = add_layer(viewer, data, cls)
    state.attribute = data.id[BACKGROUND]
    make(state, background)
    return state


def _set_up_contours(state: Any, background: np.ndarray) -> None:
    state.v_min, state.v_max = display_limits(background)
    state.n_levels = CONTOUR_LEVELS


def _set_up_overlay(state: Any, background: np.ndarray) -> None:
    state.cmap = colormaps["Viridis"]
    state.alpha = OVERLAY_ALPHA
    apply_preset(state, "linear")


@viewer_tool
class BackgroundContoursTool(Tool):
    """Show or hide labelled contours of the reference image's background (a layer)."""

    icon = "glue_contour"
    tool_id = "skybkg:contours"
    action_text = "Background contours"
    tool_tip = (
        "Show or hide contours of the background attached to the reference image; they stay "
        "on while you pan, zoom or select (a layer: its checkbox and options are in the layer "
        "list)"
    )

    def activate(self) -> None:
        """Add the contour layer, or switch it on or off."""
        _toggle(self.viewer, self.action_text, BackgroundContourLayerArtist, _set_up_contours)


@viewer_tool
class BackgroundOverlayTool(Tool):
    """Show or hide the reference image's background as a translucent layer with a colour bar."""

    icon = "glue_rainbow"
    tool_id = "skybkg:overlay"
    action_text = "Background overlay"
    tool_tip = (
        "Show or hide the background of the reference image as a translucent viridis layer "
        "with a colour bar; it stays on while you use other tools"
    )

    def activate(self) -> None:
        """Add the overlay layer, or switch it on or off."""
        _toggle(self.viewer, self.action_text, ColourBarImageLayerArtist, _set_up_overlay)


@viewer_tool
class PixelReadoutTool(Tool):
    """The pixel readout of this viewer's status bar: installed with the viewer, switched here."""

    icon = "glue_crosshair"
    tool_id = "skybkg:readout"
    action_text = "Pixel readout"
    tool_tip = (
        "Switch the status-bar readout of the pixel under the cursor (position, image, "
        "background and restored values with units) off or on"
    )

    def __init__(self, viewer: Any) -> None:
        super().__init__(viewer)
        # glue makes a viewer's tools once, after the viewer is built: every image viewer
        # (opened by hand, by an action or from a session) gets its readout here
        self.readout = PixelReadout(viewer)

    def activate(self) -> None:
        """Switch the readout off or on."""
        self.readout.toggle()

"""Toolbar tools of the image viewer: zscale, the notebook preset, background contours."""

from __future__ import annotations

from typing import Any

import numpy as np
from glue.config import viewer_tool
from glue.viewers.common.tool import CheckableTool, Tool

from .. import analysis
from ..display import apply_preset, apply_zscale, display_limits
from ..gluedata import BACKGROUND
from .notify import report_error

__all__ = [
    "CONTOUR_LEVELS",
    "OVERLAY_ALPHA",
    "BackgroundContoursTool",
    "BackgroundOverlayTool",
    "NotebookPresetTool",
    "ZScaleTool",
]

CONTOUR_LEVELS = 8
"""Number of background contour levels, spread evenly over the background's zscale range."""
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


@viewer_tool
class BackgroundContoursTool(CheckableTool):
    """Toggle contours of the reference image's background over the viewer."""

    icon = "glue_contour"
    tool_id = "skybkg:contours"
    action_text = "Background contours"
    tool_tip = "Show or hide contours of the background attached to the reference image"

    def __init__(self, viewer: Any) -> None:
        super().__init__(viewer)
        self.contours = None

    def levels(self, background: np.ndarray) -> np.ndarray:
        """Contour levels: evenly spaced over the background's zscale range."""
        vmin, vmax = analysis.zscale_limits(background)
        return np.linspace(vmin, vmax, CONTOUR_LEVELS + 2)[1:-1]

    def activate(self) -> None:
        """Draw the contours (reports an error if the reference image has no background)."""
        background = _reference_background(self.viewer, self.action_text)
        if background is None:
            return
        self.contours = self.viewer.axes.contour(
            background, levels=self.levels(background), colors="cyan", linewidths=0.8
        )
        self.viewer.axes.figure.canvas.draw_idle()

    def deactivate(self) -> None:
        """Remove the contours."""
        if self.contours is not None:
            self.contours.remove()
            self.contours = None
            self.viewer.axes.figure.canvas.draw_idle()


@viewer_tool
class BackgroundOverlayTool(CheckableTool):
    """Toggle the reference image's background as a translucent overlay (zscale, viridis).

    Contours and overlay are both checkable tools, so at most one of them is on.
    """

    icon = "glue_rainbow"
    tool_id = "skybkg:overlay"
    action_text = "Background overlay"
    tool_tip = "Show or hide the background of the reference image as a translucent overlay"

    def __init__(self, viewer: Any) -> None:
        super().__init__(viewer)
        self.overlay = None

    def activate(self) -> None:
        """Draw the overlay (reports an error if the reference image has no background)."""
        background = _reference_background(self.viewer, self.action_text)
        if background is None:
            return
        vmin, vmax = display_limits(background)
        # glue draws pixel (0, 0) centred on (0, 0) with y up: the same extent and origin
        self.overlay = self.viewer.axes.imshow(
            background,
            origin="lower",
            cmap="viridis",
            vmin=vmin,
            vmax=vmax,
            alpha=OVERLAY_ALPHA,
            interpolation="nearest",
            zorder=5,
        )
        self.viewer.axes.figure.canvas.draw_idle()

    def deactivate(self) -> None:
        """Remove the overlay."""
        if self.overlay is not None:
            self.overlay.remove()
            self.overlay = None
            self.viewer.axes.figure.canvas.draw_idle()

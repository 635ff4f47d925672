"""The glue-qt side of the plugin: menu, layer actions, toolbar tools, panels, launcher."""

from __future__ import annotations

__all__ = ["register", "TOOL_IDS"]

TOOL_IDS = ("skybkg:zscale", "skybkg:notebook", "skybkg:contours", "skybkg:overlay")
"""Toolbar tools added to glue's image viewer."""


def register() -> None:
    """Register the Qt parts (idempotent): decorators run once at import; tool ids added once."""
    from glue_qt.viewers.image import ImageViewer

    from . import fetch_dialog, layer_actions, tools  # noqa: F401  (decorators register)

    for tool_id in TOOL_IDS:
        if tool_id not in ImageViewer.tools:
            ImageViewer.tools.append(tool_id)

"""The glue-qt side of the plugin: menu, layer actions, tools, panels, sessions, launcher."""

from __future__ import annotations

import importlib.util

__all__ = ["TOOL_IDS", "available", "register"]

TOOL_IDS = (
    "skybkg:zscale",
    "skybkg:notebook",
    "skybkg:contours",
    "skybkg:overlay",
    "skybkg:readout",
)
"""Toolbar tools added to glue's image viewer."""


def register() -> None:
    """Register the Qt parts (idempotent): decorators run once at import; tool ids added once.

    The image viewer also learns the layer-options panels of the plugin's layer artists, and
    the plugin's messages about attached backgrounds go to the application's status bar, and
    generating the sample on first use shows a progress window.
    """
    from glue_qt.viewers.image import ImageViewer
    from glue_qt.viewers.image.layer_style_editor import ImageLayerStyleEditor

    from .. import actions, session
    from . import (  # noqa: F401  (decorators register)
        feedback,
        fetch_dialog,
        inspect_actions,
        layer_actions,
        named_backgrounds,
        sessions,
        survey_dialog,
        tools,
    )
    from .colorbar import ColourBarImageLayerArtist
    from .contours import BackgroundContourLayerArtist, ContourStyleEditor
    from .sample_progress import sample_progress

    for tool_id in TOOL_IDS:
        if tool_id not in ImageViewer.tools:
            ImageViewer.tools.append(tool_id)
    ImageViewer._layer_style_widget_cls[ColourBarImageLayerArtist] = ImageLayerStyleEditor
    ImageViewer._layer_style_widget_cls[BackgroundContourLayerArtist] = ContourStyleEditor
    actions.set_pairing_reporter(feedback.report_pairings)
    session.set_sample_progress(sample_progress)


def available() -> bool:
    """Whether glue-qt and a Qt binding (PyQt5, PyQt6, PySide6) can be imported.

    glue-jupyter kernels usually have neither a binding nor a display; the plugin then
    registers everything but its Qt parts.
    """
    if importlib.util.find_spec("glue_qt") is None:
        return False
    try:
        import qtpy  # noqa: F401  (raises QtBindingsNotFoundError, an ImportError, without one)
    except ImportError:
        return False
    return True

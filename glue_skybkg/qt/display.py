"""Opening glue-qt image viewers with the notebook's display settings.

The settings themselves (presets, zscale, titles) are front-end neutral: :mod:`glue_skybkg.display`.
"""

from __future__ import annotations

from typing import Any

from glue.core import Data

from ..display import apply_preset, viewer_title

__all__ = ["find_application", "show_component"]


def find_application(data_collection: Any) -> Any:
    """The GlueApplication showing ``data_collection`` (layer actions get no session)."""
    from glue_qt.app import GlueApplication
    from qtpy.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, GlueApplication) and widget.data_collection is data_collection:
            return widget
    return None


def show_component(app: Any, data: Data, label: str, preset: str = "notebook") -> Any:
    """A new image viewer showing ``data``'s component ``label`` with a preset; returns it.

    The viewer's title names what it shows (:func:`~glue_skybkg.display.viewer_title`; saved
    in sessions).
    """
    from glue_qt.viewers.image import ImageViewer

    viewer = app.new_data_viewer(ImageViewer, data=data)
    viewer.state.title = viewer_title(data, label)
    layer = viewer.state.layers[0]
    layer.attribute = data.id[label]
    apply_preset(layer, preset)
    viewer.state.aspect = "equal"
    return viewer

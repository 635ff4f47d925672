"""Opening glue-qt image viewers with the notebook's display settings, and finding them again.

The settings themselves (presets, zscale, titles) are front-end neutral: :mod:`glue_skybkg.display`.
A viewer already showing a component is brought forward instead of opening a second one;
components other than the image get a colour bar (:mod:`glue_skybkg.qt.colorbar`).
"""

from __future__ import annotations

from typing import Any

from glue.core import Data
from qtpy.QtCore import QRect

from skybkg_adapters import SkybkgError

from ..display import apply_preset, viewer_title
from ..gluedata import BACKGROUND, IMAGE
from .colorbar import add_layer

__all__ = [
    "find_application",
    "find_viewer",
    "focus_viewer",
    "image_viewers",
    "show_background",
    "show_beside_image",
    "show_component",
]


def find_application(data_collection: Any) -> Any:
    """The GlueApplication showing ``data_collection`` (layer actions get no session)."""
    from glue_qt.app import GlueApplication
    from qtpy.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, GlueApplication) and widget.data_collection is data_collection:
            return widget
    return None


def image_viewers(app: Any) -> list:
    """Every image viewer of ``app``, tab by tab."""
    from glue_qt.viewers.image import ImageViewer

    return [v for tab in app.viewers for v in tab if isinstance(v, ImageViewer)]


def find_viewer(app: Any, data: Data, label: str) -> Any:
    """The image viewer whose first layer shows ``data``'s component ``label``, or None."""
    for viewer in image_viewers(app):
        layers = viewer.state.layers
        if layers and layers[0].layer is data and layers[0].attribute.label == label:
            return viewer
    return None


def focus_viewer(app: Any, viewer: Any) -> Any:
    """Bring ``viewer`` to the front of its tab (and its tab to the front); returns it."""
    for index, tab in enumerate(app.viewers):
        if viewer in tab:
            page = app.tab(index)
            app.tab_widget.setCurrentWidget(page)
            page.setActiveSubWindow(viewer.parentWidget())
    return viewer


_CASCADE = 30
"""Pixels a viewer is cascaded by when no free room is left: its title bar stays visible."""


def _rect(viewer: Any) -> QRect:
    (x, y), (width, height) = viewer.position, viewer.viewer_size
    return QRect(x, y, width, height)


def _place_beside(viewer: Any, neighbour: Any) -> None:
    """Put ``viewer``, at ``neighbour``'s size, in the first free room beside it.

    To its right, below it, then the cells of a grid of that size over the tab's area, row
    by row; a place is free when it lies inside the area and no other viewer overlaps it.
    When none is free (a small window), ``viewer`` is cascaded over ``neighbour`` by a title
    bar's height, inside the area, at a corner no viewer has.
    """
    x, y = neighbour.position
    width, height = neighbour.viewer_size
    viewer.viewer_size = (width, height)
    window = neighbour.parentWidget()
    area = window.mdiArea() if window is not None else None
    if area is None:
        viewer.position = (x + width, y)
        return
    others = [
        _rect(w.widget())
        for w in area.subWindowList()
        if w.widget() is not viewer and hasattr(w.widget(), "viewer_size")
    ]
    columns = range(0, area.width() - width + 1, width)
    rows = range(0, area.height() - height + 1, height)
    beside = [(max(0, x + width), max(0, y)), (max(0, x), max(0, y + height))]
    cells = beside + [(cx, cy) for cy in rows for cx in columns]
    inside = QRect(0, 0, area.width(), area.height())
    for cx, cy in cells:
        room = QRect(cx, cy, width, height)
        if inside.contains(room) and not any(room.intersects(r) for r in others):
            viewer.position = (cx, cy)
            return
    corners = {(r.x(), r.y()) for r in others}
    for k in range(1, len(corners) + 2):  # one of these is no other viewer's corner
        spot = (
            max(0, min(x + k * _CASCADE, area.width() - width)),
            max(0, min(y + k * _CASCADE, area.height() - height)),
        )
        if spot not in corners:
            break
    viewer.position = spot


def show_component(
    app: Any, data: Data, label: str, preset: str = "notebook", beside: Any = None
) -> Any:
    """An image viewer showing ``data``'s component ``label`` with a preset; returns it.

    A viewer already showing it is brought to the front instead of opening a second one.
    Components other than the image (background, restored image, differences) get a
    colour bar.  ``beside`` (a viewer) places a new viewer to its right.  The viewer's title
    names what it shows (:func:`viewer_title`; saved in sessions).
    """
    from glue_qt.viewers.image import ImageViewer

    existing = find_viewer(app, data, label)
    if existing is not None:
        return focus_viewer(app, existing)
    if label == IMAGE:
        viewer = app.new_data_viewer(ImageViewer, data=data)
        layer = viewer.state.layers[0]
    else:
        viewer = app.new_data_viewer(ImageViewer)
        layer = add_layer(viewer, data)
    viewer.state.title = viewer_title(data, label)
    layer.attribute = data.id[label]
    apply_preset(layer, preset)
    viewer.state.aspect = "equal"
    if beside is not None:
        _place_beside(viewer, beside)
    return viewer


def show_background(app: Any, data: Data) -> Any:
    """``data``'s attached background in a viewer beside the image's (linear, zscale).

    A viewer already showing it comes to the front instead.  The image keeps its own viewer
    untouched; the toolbar's *Background overlay* puts the background over it instead.

    Raises
    ------
    SkybkgError
        No background is attached to ``data``.
    """
    if BACKGROUND not in [c.label for c in data.components]:
        raise SkybkgError(
            f"{data.label!r} has no background attached; open its BackgroundList file "
            "(File ▸ Open Data), fetch it with Plugins ▸ Sky backgrounds…, or right-click the "
            "image ▸ Attach background…"
        )
    return show_beside_image(app, data, BACKGROUND)


def show_beside_image(app: Any, data: Data, label: str) -> Any:
    """Component ``label`` of ``data`` (a background) in a viewer beside the image's (linear).

    A viewer already showing it comes to the front instead.
    """
    return show_component(app, data, label, "linear", beside=find_viewer(app, data, IMAGE))

"""Background contours as a glue layer: labelled levels that stay on while other tools are used.

glue-qt's image viewer has no contour layer (glue-viz/glue#389).  A
:class:`BackgroundContourLayerArtist` is one: a layer of the image's Data in the viewer's
layer list (its checkbox shows and hides it), drawn as matplotlib contours of a component
(``background`` by default) at ``n_levels`` levels spread over ``v_min``-``v_max``, each
labelled with its value.  Being a layer, it is unaffected by Pan, Zoom or the selection tools
and is saved in sessions with its settings.  Contours are computed on a grid of at most
:data:`MAX_GRID` points a side: a background is smooth, and a 4k detector then contours in
a few tens of milliseconds.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import numpy as np
from echo.qt import autoconnect_callbacks_to_qt
from glue.core import HubListener
from glue.core.data_combo_helper import ComponentIDComboHelper
from glue.core.exceptions import IncompatibleAttribute, IncompatibleDataException
from glue.core.message import ComponentsChangedMessage
from glue.viewers.image.state import BaseImageLayerState
from glue.viewers.matplotlib.layer_artist import MatplotlibLayerArtist
from glue.viewers.matplotlib.state import (
    DeferredDrawCallbackProperty as DDCProperty,
)
from glue.viewers.matplotlib.state import (
    DeferredDrawSelectionCallbackProperty as DDSCProperty,
)
from glue_qt.utils.colors import QColorBox
from qtpy.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLineEdit, QSpinBox, QWidget

from ..gluedata import BACKGROUND

__all__ = [
    "CONTOUR_COLOUR",
    "MAX_GRID",
    "BackgroundContourLayerArtist",
    "BackgroundContourLayerState",
    "ContourStyleEditor",
]

CONTOUR_COLOUR = "#00ffff"
"""Cyan: visible over the grey image and over the viridis overlay."""
MAX_GRID = 512
"""Largest number of grid points a side the contours are computed on."""

_REDRAW = {
    "layer",
    "attribute",
    "n_levels",
    "v_min",
    "v_max",
    "labels",
    "color",
    "linewidth",
    "alpha",
    "visible",
    "zorder",
    "reference_data",
    "x_att",
    "y_att",
    "slices",
}
"""Layer- and viewer-state properties whose change redraws the contours (pan/zoom do not)."""


class BackgroundContourLayerState(BaseImageLayerState):
    """What a contour layer draws: which component, how many levels over which range, how."""

    attribute = DDSCProperty(docstring="The component drawn as contours")
    n_levels = DDCProperty(8, docstring="Number of contour levels")
    v_min = DDCProperty(docstring="The level range starts here (no contour at v_min itself)")
    v_max = DDCProperty(docstring="The level range ends here (no contour at v_max itself)")
    labels = DDCProperty(True, docstring="Whether each contour is labelled with its level")
    linewidth = DDCProperty(0.8, docstring="Line width of the contours (points)")

    def __init__(self, layer: Any = None, viewer_state: Any = None, **kwargs: Any) -> None:
        self.uuid = str(uuid.uuid4())  # glue caches the resampled values under this key
        super().__init__(layer=layer, viewer_state=viewer_state)
        # the contour colour is the layer's own, not the dataset's glue colour
        self._sync_color.disable_syncing()
        self._sync_alpha.disable_syncing()
        self.color, self.alpha = CONTOUR_COLOUR, 1.0
        self.attribute_att_helper = ComponentIDComboHelper(
            self, "attribute", numeric=True, categorical=False
        )
        self.add_callback("layer", self._update_attribute)
        if layer is not None:
            self._update_attribute()
        self.update_from_dict(kwargs)

    def _update_attribute(self, *args: Any) -> None:
        if self.layer is not None:
            self.attribute_att_helper.set_multiple_data([self.layer])
            labels = [c.label for c in self.layer.components]
            self.attribute = (
                self.layer.id[BACKGROUND] if BACKGROUND in labels else self.layer.main_components[0]
            )

    def levels(self) -> np.ndarray:
        """The contour levels: ``n_levels`` evenly inside (``v_min``, ``v_max``)."""
        if self.v_min is None or self.v_max is None or self.n_levels < 1:
            return np.array([])
        return np.linspace(self.v_min, self.v_max, int(self.n_levels) + 2)[1:-1]


def _level_format(levels: np.ndarray) -> str:
    """A label format that tells adjacent levels apart (enough significant digits)."""
    step = float(np.min(np.diff(levels))) if len(levels) > 1 else abs(float(levels[0])) or 1.0
    decimals = max(0, int(-np.floor(np.log10(step))) + 1) if step > 0 else 3
    return f"{{:.{decimals}f}}"


class BackgroundContourLayerArtist(MatplotlibLayerArtist, HubListener):
    """Draws a :class:`BackgroundContourLayerState`: labelled contours over the image."""

    _layer_state_cls = BackgroundContourLayerState

    def __init__(self, axes: Any, viewer_state: Any, layer_state: Any = None, layer: Any = None):
        super().__init__(axes, viewer_state, layer_state=layer_state, layer=layer)
        self.contours: Any = None
        self.level_labels: list = []
        self._viewer_state.add_global_callback(self._on_change)
        self.state.add_global_callback(self._on_change)
        self.layer.hub.subscribe(
            self,
            ComponentsChangedMessage,
            handler=lambda message: self.update(),
            filter=lambda message: message.sender is self.layer,
        )

    @property
    def label(self) -> str:
        """The layer list's name for it: ``calexp_512055_75 (background contours)``."""
        attribute = self.state.attribute.label if self.state.attribute is not None else "?"
        return f"{self.layer.label} ({attribute} contours)"

    def _on_change(self, **kwargs: Any) -> None:
        if _REDRAW & self.pop_changed_properties():
            self.update()

    def _grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, values) of the attribute on a grid of at most MAX_GRID points a side."""
        height, width = self.state.get_sliced_data_shape()
        ny, nx = min(height, MAX_GRID), min(width, MAX_GRID)
        values = self.state.get_sliced_data(bounds=[(0, height - 1, ny), (0, width - 1, nx)])
        return np.linspace(0, width - 1, nx), np.linspace(0, height - 1, ny), values

    def _remove_contours(self) -> None:
        if self.contours is not None:
            try:
                self.contours.remove()  # its level labels with it
            except ValueError:  # glue cleared the axes first (the viewer is closing)
                pass
        self.contours, self.level_labels = None, []
        self.mpl_artists: list[Any] = []

    def update(self) -> None:
        """Redraw the contours for the current settings (none when hidden)."""
        self._remove_contours()
        state = self.state
        levels = state.levels()
        if not state.visible or state.attribute is None or state.layer is None or not len(levels):
            self.redraw()
            return
        try:
            x, y, values = self._grid()
        except (IncompatibleAttribute, IncompatibleDataException, TypeError, IndexError):
            self.disable_invalid_attributes(state.attribute)
            return
        self.enable()
        if not np.isfinite(values).any():
            self.redraw()
            return
        self.contours = self.axes.contour(
            x,
            y,
            values,
            levels=levels,
            colors=[state.color],
            linewidths=state.linewidth,
            alpha=state.alpha,
            zorder=(state.zorder or 0) + 1,  # over the composite image of the image layers
        )
        if state.labels:
            self.level_labels = list(
                self.axes.clabel(self.contours, fmt=_level_format(levels).format, fontsize=8)
            )
        self.mpl_artists = [self.contours, *self.level_labels]
        self.redraw()

    def clear(self) -> None:
        """Remove what is drawn (glue calls this when the layer is disabled)."""
        self._remove_contours()

    def remove(self) -> None:
        """Remove the layer's drawing and stop listening."""
        self._remove_contours()
        if self.layer is not None and self.layer.hub is not None:
            self.layer.hub.unsubscribe_all(self)

    def get_layer_color(self) -> str:
        """The contour colour (glue's layer list icon)."""
        return self.state.color


class ContourStyleEditor(QWidget):
    """The layer-options panel of a contour layer: component, levels, range, labels, colour."""

    def __init__(self, layer_artist: BackgroundContourLayerArtist, parent: Any = None) -> None:
        super().__init__(parent)
        self.ui = SimpleNamespace(
            combosel_attribute=QComboBox(),
            value_n_levels=QSpinBox(),
            valuetext_v_min=QLineEdit(),
            valuetext_v_max=QLineEdit(),
            bool_labels=QCheckBox("label the levels"),
            color_color=QColorBox(),
        )
        self.ui.value_n_levels.setRange(1, 50)
        form = QFormLayout(self)
        form.addRow("Component", self.ui.combosel_attribute)
        form.addRow("Levels", self.ui.value_n_levels)
        form.addRow("From", self.ui.valuetext_v_min)
        form.addRow("To", self.ui.valuetext_v_max)
        form.addRow("", self.ui.bool_labels)
        form.addRow("Colour", self.ui.color_color)
        self._connections = autoconnect_callbacks_to_qt(layer_artist.state, self.ui)

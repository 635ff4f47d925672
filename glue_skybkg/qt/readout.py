"""The pixel under the cursor, in the image viewer's status bar: position and values with units.

Each field of the readout comes from a provider in :data:`READOUT_PROVIDERS`: a function of
the :class:`PixelUnderCursor` returning a short text (or None to show nothing).  Another
field is one line::

    READOUT_PROVIDERS.append(my_field)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from glue.core import Data
from qtpy.QtWidgets import QLabel

from ..gluedata import BACKGROUND, IMAGE, RESTORED
from ..inspection import bin_under
from ..units import component_unit, unit_text

__all__ = [
    "READOUT_PROVIDERS",
    "READOUT_SEPARATOR",
    "PixelReadout",
    "PixelUnderCursor",
    "ReadoutProvider",
    "background_bin",
    "component_values",
    "pixel_position",
]

READOUT_SEPARATOR = "   "
NO_BREAK = "\u00a0"
"""The space inside a field as the label shows it: a line breaks only between fields."""


@dataclass(frozen=True)
class PixelUnderCursor:
    """The pixel of a viewer's reference image under the cursor.

    ``x`` and ``y`` index the image's arrays (column, row); :attr:`parent` adds its xy0.
    """

    viewer: Any
    data: Data
    x: int
    y: int

    @property
    def parent(self) -> tuple[int, int]:
        """The pixel in parent coordinates (LSST's, as in ``bbox``)."""
        x0, y0 = self.data.meta.get("xy0") or (0, 0)
        return self.x + int(x0), self.y + int(y0)

    def value(self, label: str) -> float:
        """The value of component ``label`` at the pixel."""
        return float(np.asarray(self.data.get_data(self.data.id[label], view=(self.y, self.x))))

    def units(self, label: str) -> str:
        """The unit of component ``label`` (``""`` when unknown)."""
        return unit_text(component_unit(self.data, label)) or ""


ReadoutProvider = Callable[[PixelUnderCursor], "str | None"]
"""A readout field: the pixel under the cursor -> its text, or None to show nothing."""


def pixel_position(pixel: PixelUnderCursor) -> str:
    """``x=120 y=75 (parent 1120, 2075)``."""
    px, py = pixel.parent
    return f"x={pixel.x} y={pixel.y} (parent {px}, {py})"


def component_values(pixel: PixelUnderCursor) -> str | None:
    """The image, background and restored values with units, for those the image has."""
    labels = [c.label for c in pixel.data.components]
    fields = []
    for label in (IMAGE, BACKGROUND, RESTORED):
        if label in labels:
            units = pixel.units(label)
            fields.append(f"{label} {pixel.value(label):.6g}" + (f" {units}" if units else ""))
    return READOUT_SEPARATOR.join(fields) or None


def background_bin(pixel: PixelUnderCursor) -> str | None:
    """The bin of the attached background's first entry under the cursor, and its value."""
    return bin_under(pixel.data, *pixel.parent)


READOUT_PROVIDERS: list[ReadoutProvider] = [pixel_position, component_values, background_bin]
"""The readout's fields, left to right."""


class PixelReadout:
    """A label in an image viewer's status bar that follows the mouse over the image."""

    def __init__(self, viewer: Any) -> None:
        self.viewer = viewer
        self.enabled = True
        self.label = QLabel("")
        # a default 600-pixel viewer cannot show every field on one line: the label wraps
        # between fields (never inside one, so a cut-off number cannot pass for a value)
        # into the two lines it keeps for them; the whole text is also its tool tip
        self.label.setWordWrap(True)
        self.label.setMinimumHeight(2 * self.label.fontMetrics().lineSpacing() + 2)
        viewer.statusBar().addWidget(self.label, 1)
        canvas = viewer.axes.figure.canvas
        self._connections = [
            canvas.mpl_connect("motion_notify_event", self.on_move),
            canvas.mpl_connect("axes_leave_event", lambda event: self.label.setText("")),
        ]

    def pixel_at(self, xdata: float, ydata: float) -> PixelUnderCursor | None:
        """The reference-image pixel at data coordinates (``xdata``, ``ydata``), if any."""
        data = self.viewer.state.reference_data
        if data is None or data.ndim != 2:
            return None
        x, y = int(np.floor(xdata + 0.5)), int(np.floor(ydata + 0.5))
        height, width = data.shape
        if not (0 <= x < width and 0 <= y < height):
            return None
        return PixelUnderCursor(self.viewer, data, x, y)

    def text_at(self, xdata: float, ydata: float) -> str:
        """What the readout shows with the cursor at (``xdata``, ``ydata``)."""
        pixel = self.pixel_at(xdata, ydata)
        if pixel is None:
            return ""
        fields = (provider(pixel) for provider in READOUT_PROVIDERS)
        return READOUT_SEPARATOR.join(field for field in fields if field)

    def on_move(self, event: Any) -> None:
        """Matplotlib's mouse-move event: show the pixel under the cursor."""
        if not self.enabled or event.inaxes is not self.viewer.axes or event.xdata is None:
            self.label.setText("")
            return
        self.show_text(self.text_at(event.xdata, event.ydata))

    def show_text(self, text: str) -> None:
        """Show ``text`` in the label, breakable only between fields."""
        unbroken = text.replace(READOUT_SEPARATOR, "\0").replace(" ", NO_BREAK)
        self.label.setText(unbroken.replace("\0", READOUT_SEPARATOR))
        self.label.setToolTip(text)

    def toggle(self) -> bool:
        """Switch the readout on or off; returns whether it is on."""
        self.enabled = not self.enabled
        self.label.setText("" if self.enabled else "pixel readout off")
        return self.enabled

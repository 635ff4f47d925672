"""The profile panel: radial or line profiles of an image, its restored image and background.

The point (or segment) is typed in parent pixels or picked on an image viewer showing the
Data: *Pick on image*, then click a point (radial) or press, drag and release (line). The
top plot is the background-subtracted image, the bottom the restored image and the
background; each curve's median sky level is a dashed line, so a dark halo is a dip below
it. Axes are in pixels and the image's unit.
"""

from __future__ import annotations

from typing import Any

from glue.core import Data
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .. import inspection
from ..gluedata import IMAGE, data_bbox
from .notify import report_error

__all__ = ["ProfilePanel"]

_RADIAL, _LINE = "Radial (around a point)", "Line (along a segment)"
_COLORS = {"image": "black", "image + background": "tab:blue", "background": "tab:orange"}


def _coordinate(value: float, lo: float, hi: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(1)
    box.setRange(lo, hi)
    box.setValue(value)
    return box


class ProfilePanel(QWidget):
    """Radial or line profiles of one image Data, plotted with matplotlib.

    Parameters
    ----------
    data
        The image (with or without a background attached).
    viewer
        An image viewer showing ``data``, for *Pick on image* (None: typing only).
    """

    closed = Signal(object)
    """Emitted with the panel when it closes."""

    def __init__(self, data: Data, viewer: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Profile: {data.label}")
        self.data = data
        self.viewer = viewer
        box = data_bbox(data)
        cx, cy = box.center
        self.mode = QComboBox()
        self.mode.addItems([_RADIAL, _LINE])
        self.center_x = _coordinate(cx, box.x0, box.max_x)
        self.center_y = _coordinate(cy, box.y0, box.max_y)
        self.radius = _coordinate(min(200.0, max(box.width, box.height) / 2), 1.0, 1e5)
        self.end_x = _coordinate(min(cx + 200, box.max_x), box.x0, box.max_x)
        self.end_y = _coordinate(cy, box.y0, box.max_y)
        self.plot_button = QPushButton("Plot")
        self.pick_button = QPushButton("Pick on image")
        self.pick_button.setEnabled(viewer is not None)
        self.status = QLabel("")
        self.figure = Figure(figsize=(7, 5.5))
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.profiles: inspection.Profiles | None = None
        self._connections: list[int] = []
        self._press: tuple[float, float] | None = None

        form = QFormLayout()
        form.addRow("Profile", self.mode)
        row = QHBoxLayout()
        for label, widget in (("x", self.center_x), ("y", self.center_y), ("radius", self.radius)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        form.addRow("Centre / start (parent px)", row)
        row2 = QHBoxLayout()
        for label, widget in (("x", self.end_x), ("y", self.end_y)):
            row2.addWidget(QLabel(label))
            row2.addWidget(widget)
        form.addRow("End of segment (parent px)", row2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.plot_button)
        buttons.addWidget(self.pick_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.canvas)
        self.plot_button.clicked.connect(self._plot_clicked)
        self.pick_button.clicked.connect(self.start_picking)
        self.mode.currentTextChanged.connect(self._mode_changed)
        self._mode_changed()

    def _mode_changed(self, *_: Any) -> None:
        radial = self.mode.currentText() == _RADIAL
        self.radius.setEnabled(radial)
        self.end_x.setEnabled(not radial)
        self.end_y.setEnabled(not radial)

    def set_radial(self, x: float, y: float, radius: float | None = None) -> None:
        """Choose a radial profile around parent pixel ``(x, y)`` and plot it."""
        self.mode.setCurrentText(_RADIAL)
        self.center_x.setValue(x)
        self.center_y.setValue(y)
        if radius is not None:
            self.radius.setValue(radius)
        self.plot()

    def set_line(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        """Choose a line profile from ``start`` to ``end`` (parent pixels) and plot it."""
        self.mode.setCurrentText(_LINE)
        self.center_x.setValue(start[0])
        self.center_y.setValue(start[1])
        self.end_x.setValue(end[0])
        self.end_y.setValue(end[1])
        self.plot()

    def _plot_clicked(self, *_: Any) -> None:
        self.plot()

    def plot(self) -> inspection.Profiles | None:
        """Compute the chosen profiles and draw them; returns them (None after an error)."""
        try:
            if self.mode.currentText() == _RADIAL:
                where = (self.center_x.value(), self.center_y.value())
                self.profiles = inspection.radial_profiles(self.data, where, self.radius.value())
            else:
                start = (self.center_x.value(), self.center_y.value())
                end = (self.end_x.value(), self.end_y.value())
                self.profiles = inspection.line_profiles(self.data, start, end)
        except Exception as exc:  # shown to the user, never raised into Qt's event loop
            report_error("Profile", exc)
            return None
        self._draw(self.profiles)
        return self.profiles

    def _draw(self, profiles: inspection.Profiles) -> None:
        self.figure.clear()
        unit = f" [{profiles.unit}]" if profiles.unit else ""
        labels = list(profiles.curves)
        panels = [[IMAGE], [label for label in labels if label != IMAGE]]
        panels = [p for p in panels if p]
        axes_list = self.figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        for axes, group in zip(axes_list, panels, strict=True):
            for label in group:
                curve = profiles.curves[label]
                x = curve.radius if profiles.kind == "radial" else curve.distance
                y = curve.mean if profiles.kind == "radial" else curve.value
                color = _COLORS.get(label, None)
                axes.plot(x, y, color=color, lw=1.0, label=label)
                level = profiles.levels[label]
                axes.axhline(level, color=color, ls="--", lw=0.8, label=f"median sky {level:.4g}")
            axes.set_ylabel(f"{'mean ' if profiles.kind == 'radial' else ''}value{unit}")
            axes.legend(fontsize=7, loc="best")
            axes.grid(alpha=0.3)
        if profiles.kind == "radial":
            cx, cy = profiles.where["center"]
            axes_list[0].set_title(f"{self.data.label}: radial profile around ({cx:.1f}, {cy:.1f})")
            axes_list[-1].set_xlabel("radius [pixel]")
            # the core of a bright source dwarfs a halo: show the sky's range on the image plot
            image_curve = profiles.curves[IMAGE].mean
            level = profiles.levels[IMAGE]
            tail = image_curve[len(image_curve) // 10 :]
            spread = max(abs(float(t) - level) for t in tail if t == t) if tail.size else 0.0
            if spread > 0:
                axes_list[0].set_ylim(level - 3 * spread, level + 3 * spread)
        else:
            (x0, y0), (x1, y1) = profiles.where["start"], profiles.where["end"]
            axes_list[0].set_title(
                f"{self.data.label}: line profile ({x0:.0f}, {y0:.0f}) -> ({x1:.0f}, {y1:.0f})"
            )
            axes_list[-1].set_xlabel("distance along the segment [pixel]")
        self.figure.tight_layout()
        self.canvas.draw_idle()

    def start_picking(self, *_: Any) -> None:
        """Take the next click (radial) or press-drag-release (line) on the viewer."""
        if self.viewer is None:
            return
        self.stop_picking()
        canvas = self.viewer.axes.figure.canvas
        self._connections = [
            canvas.mpl_connect("button_press_event", self._on_press),
            canvas.mpl_connect("button_release_event", self._on_release),
        ]
        what = "a point" if self.mode.currentText() == _RADIAL else "press, drag and release"
        self.status.setText(f"On the image: {what}")

    def stop_picking(self) -> None:
        """Stop listening to the viewer."""
        if self.viewer is not None:
            for cid in self._connections:
                self.viewer.axes.figure.canvas.mpl_disconnect(cid)
        self._connections = []
        self.status.setText("")

    def _parent(self, event: Any) -> tuple[float, float] | None:
        if event.inaxes is not self.viewer.axes or event.xdata is None:
            return None
        x0, y0 = data_bbox(self.data).xy0
        return float(event.xdata) + x0, float(event.ydata) + y0

    def _on_press(self, event: Any) -> None:
        self._press = self._parent(event)

    def _on_release(self, event: Any) -> None:
        start, end = self._press, self._parent(event)
        self._press = None
        if start is None or end is None:
            return
        self.stop_picking()
        if self.mode.currentText() == _RADIAL:
            self.set_radial(*end)
        else:
            self.set_line(start, end)

    def closeEvent(self, event) -> None:  # noqa: N802  (Qt's name)
        """Stop picking, tell the holders (:attr:`closed`), then close as usual."""
        self.stop_picking()
        self.closed.emit(self)
        super().closeEvent(event)

"""The statistics panel: the notebook's statistics block and 1000-bin histogram of a component."""

from __future__ import annotations

from typing import Any

import numpy as np
from glue.core import Data
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from .. import analysis
from ..actions import (
    EXCLUDABLE_PLANES,
    background_histogram,
    background_statistics,
    default_component,
    semantics_note,
)
from .notify import report_error

__all__ = ["StatisticsPanel"]

_WHOLE = "Whole image"


class StatisticsPanel(QWidget):
    """Statistics and histogram of one component of a Data, whole or inside a subset.

    A closed panel is deleted (its widgets and figure freed) and emits :attr:`closed` first,
    so whoever keeps it referenced while shown can let go.

    Parameters
    ----------
    data
        The Data to describe.
    component
        Label of the component shown first (default: ``background`` if attached, else ``image``).
    subset
        A subset of ``data`` selected first (default: the whole image).
    """

    closed = Signal(object)
    """Emitted with the panel when it closes (it is deleted afterwards)."""

    def __init__(
        self,
        data: Data,
        component: str | None = None,
        subset: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.data = data
        self.setWindowTitle(f"Background statistics: {data.label}")
        self.component = QComboBox()
        for cid in data.main_components + data.derived_components:
            if not cid.label.startswith(("Pixel Axis", "World")):
                self.component.addItem(cid.label)
        self.component.setCurrentText(component or default_component(data).label)
        self.subset = QComboBox()
        self.subset.addItem(_WHOLE)
        for s in data.subsets:
            self.subset.addItem(s.label)
        if subset is not None:
            self.subset.setCurrentText(subset.label)
        planes = data.meta.get("mask_planes") or {}
        self.exclude = {name: QCheckBox(name) for name in EXCLUDABLE_PLANES if name in planes}
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMinimumWidth(420)
        # the block, its unit and a DP2 semantics note stay in view without scrolling
        self.text.setMinimumHeight(12 * self.text.fontMetrics().lineSpacing())
        self.figure = Figure(figsize=(6, 4))
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(320)  # the histogram keeps room for its labels

        form = QFormLayout()
        form.addRow("Component", self.component)
        form.addRow("Pixels", self.subset)
        boxes = QHBoxLayout()
        for box in self.exclude.values():
            boxes.addWidget(box)
        form.addRow("Exclude mask planes", boxes)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.text)
        layout.addWidget(self.canvas)

        self.component.currentTextChanged.connect(self.refresh)
        self.subset.currentTextChanged.connect(self.refresh)
        for box in self.exclude.values():
            box.toggled.connect(self.refresh)
        self.statistics: analysis.BackgroundStats | None = None
        self.refresh()

    def closeEvent(self, event: Any) -> None:  # noqa: N802  (Qt's name)
        """Tell the holders first (:attr:`closed`), then close (and delete) as usual."""
        self.closed.emit(self)
        super().closeEvent(event)

    def selection(self) -> tuple[Any, tuple[str, ...]]:
        """The chosen subset state (None = whole image) and the mask planes to exclude."""
        state = None
        if self.subset.currentText() != _WHOLE:
            for s in self.data.subsets:
                if s.label == self.subset.currentText():
                    state = s.subset_state
        planes = tuple(name for name, box in self.exclude.items() if box.isChecked())
        return state, planes

    def refresh(self, *_: Any) -> None:
        """Recompute the statistics and the histogram for the current choices."""
        state, planes = self.selection()
        label = self.component.currentText()
        try:
            self.statistics = background_statistics(self.data, label, state, planes)
            counts, edges = background_histogram(self.data, label, state, planes)
        except Exception as exc:  # any failure is shown in the panel's reporter, not raised
            report_error("Background statistics", exc)
            return
        note = semantics_note(self.data, label)  # DP2 splines: afw vs lsst-images
        self.text.setPlainText(self.statistics.format() + (f"\n{note}" if note else ""))
        self.figure.clear()
        axes = self.figure.add_subplot()
        if counts.sum():
            axes.stairs(counts, edges, fill=True, color="grey")
            axes.set_yscale("log")
        unit = f" [{self.statistics.unit}]" if self.statistics.unit else ""
        axes.set_xlabel(f"{label} pixel value{unit}")
        axes.set_ylabel("pixels per bin")
        axes.set_title(f"{self.data.label}: {label} ({len(counts)} bins)", fontsize=9)
        self.figure.tight_layout()
        self.canvas.draw_idle()

    def histogram_counts(self) -> np.ndarray:
        """The histogram currently shown (for tests and scripts)."""
        state, planes = self.selection()
        return background_histogram(self.data, self.component.currentText(), state, planes)[0]

"""The statistics panel: the notebook's statistics block and 1000-bin histogram of a component.

The panel follows the data collection: subsets drawn, renamed, changed or deleted later, and
components added later (a restored image, a difference), show up in its lists; it closes
when its dataset leaves the collection.  It lives in a dock of glue's window
(:mod:`glue_skybkg.qt.stats_dock`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from glue.core import Data, HubListener
from glue.core.message import (
    ComponentsChangedMessage,
    DataCollectionDeleteMessage,
    SubsetCreateMessage,
    SubsetDeleteMessage,
    SubsetUpdateMessage,
)
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from qtpy.QtCore import QSignalBlocker, Qt, Signal
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
    statistics_components,
)
from .notify import report_error

__all__ = ["StatisticsPanel"]

_WHOLE = "Whole image"


class StatisticsPanel(QWidget, HubListener):
    """Statistics and histogram of one component of a Data, whole or inside a subset.

    Only float components are offered (not the mask's bits).  A closed panel is deleted (its
    widgets and figure freed) and emits :attr:`closed` first, so whoever keeps it referenced
    while shown can let go.

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
        self.subset = QComboBox()
        for combo in (self.component, self.subset):
            # long labels ("image - deepCoadd_calexp_4226_17_r - background") must not widen
            # the dock past the window: the combo shows what fits, the list shows all
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(16)
        self._fill_components(component or default_component(data).label)
        self._fill_subsets(subset)
        planes = data.meta.get("mask_planes") or {}
        self.exclude = {name: QCheckBox(name) for name in EXCLUDABLE_PLANES if name in planes}
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMinimumWidth(320)
        # the block, its unit and a DP2 semantics note stay in view without scrolling
        self.text.setMinimumHeight(12 * self.text.fontMetrics().lineSpacing())
        self.figure = Figure(figsize=(4.5, 3.5))
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
        self._subscribe()
        self.refresh()

    def _fill_components(self, current: str) -> None:
        with QSignalBlocker(self.component):
            self.component.clear()
            for cid in statistics_components(self.data):
                self.component.addItem(cid.label)
            self.component.setCurrentText(current)

    def _fill_subsets(self, current: Any) -> None:
        with QSignalBlocker(self.subset):
            self.subset.clear()
            self.subset.addItem(_WHOLE, None)
            for s in self.data.subsets:
                self.subset.addItem(s.label, s)
            index = self.subset.findData(current) if current is not None else 0
            self.subset.setCurrentIndex(max(index, 0))

    def _subscribe(self) -> None:
        hub = self.data.hub
        if hub is None:  # a Data outside any collection: nothing to follow
            return

        def about_data(message: Any) -> bool:
            return message.subset.data is self.data

        hub.subscribe(self, SubsetCreateMessage, self._subsets_changed, filter=about_data)
        hub.subscribe(self, SubsetDeleteMessage, self._subsets_changed, filter=about_data)
        hub.subscribe(self, SubsetUpdateMessage, self._subset_updated, filter=about_data)
        hub.subscribe(
            self,
            ComponentsChangedMessage,
            lambda m: self._fill_components(self.component.currentText()),
            filter=lambda m: m.sender is self.data,
        )
        hub.subscribe(
            self,
            DataCollectionDeleteMessage,
            lambda m: self.close(),
            filter=lambda m: m.data is self.data,
        )

    def _subsets_changed(self, message: Any) -> None:
        current = self.subset.currentData()
        self._fill_subsets(current)
        if self.subset.currentData() is not current:  # the shown subset was deleted
            self.refresh()

    def _subset_updated(self, message: Any) -> None:
        self._fill_subsets(self.subset.currentData())
        if message.subset is self.subset.currentData() and message.attribute == "subset_state":
            self.refresh()

    def closeEvent(self, event: Any) -> None:  # noqa: N802  (Qt's name)
        """Tell the holders first (:attr:`closed`), stop following the collection, close."""
        if self.data.hub is not None:
            self.data.hub.unsubscribe_all(self)
        self.closed.emit(self)
        super().closeEvent(event)

    def select(self, component: str | None = None, subset: Any = None) -> None:
        """Show ``component`` (a label) inside ``subset`` (None: the whole image)."""
        if component is not None:
            self.component.setCurrentText(component)
        self.subset.setCurrentIndex(max(self.subset.findData(subset), 0) if subset else 0)

    def selection(self) -> tuple[Any, tuple[str, ...]]:
        """The chosen subset state (None = whole image) and the mask planes to exclude."""
        subset = self.subset.currentData()
        state = subset.subset_state if subset is not None else None
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
        axes.set_title(f"{self.data.label} ({len(counts)} bins)", fontsize=9)
        self.figure.tight_layout()
        self.canvas.draw_idle()

    def histogram_counts(self) -> np.ndarray:
        """The histogram currently shown (for tests and scripts)."""
        state, planes = self.selection()
        return background_histogram(self.data, self.component.currentText(), state, planes)[0]

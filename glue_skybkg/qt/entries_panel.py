"""The *Background entries* panel: each entry of the attached model, to show on its own."""

from __future__ import annotations

from collections.abc import Callable

from glue.core import Data
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

from .. import inspection

__all__ = ["EntriesPanel"]


class EntriesPanel(QWidget):
    """The entries of ``data``'s background (style, grid, bin size, order) with actions.

    ``show_entry(data, index)``, ``show_grid(data, index)`` are what the buttons call (the
    layer actions pass theirs); *Show all* shows every entry.
    """

    closed = Signal(object)
    """Emitted with the panel when it closes."""

    def __init__(
        self,
        data: Data,
        show_entry: Callable[[Data, int], object],
        show_grid: Callable[[Data, int], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Background entries: {data.label}")
        self.data = data
        self.entries = inspection.background_entries(data)
        self.list = QListWidget()
        for entry in self.entries:
            self.list.addItem(entry.describe())
        self.list.setCurrentRow(0)
        self.list.setMinimumWidth(820)
        count = len(self.entries)
        note = QLabel(
            f"{count} entr{'y' if count == 1 else 'ies'}; rendered alone each, they add up "
            "(float32, in this order) to the background."
        )
        self.show_button = QPushButton("Show entry")
        self.all_button = QPushButton("Show all entries")
        self.grid_button = QPushButton("Show bin grid")
        self._show_entry, self._show_grid = show_entry, show_grid
        self.show_button.clicked.connect(self._entry_clicked)
        self.all_button.clicked.connect(self._all_clicked)
        self.grid_button.clicked.connect(self._grid_clicked)
        buttons = QHBoxLayout()
        for button in (self.show_button, self.all_button, self.grid_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

    def _entry_clicked(self, *_: object) -> None:
        self._show_entry(self.data, self.current())

    def _all_clicked(self, *_: object) -> None:
        for entry in self.entries:
            self._show_entry(self.data, entry.index)

    def _grid_clicked(self, *_: object) -> None:
        self._show_grid(self.data, self.current())

    def current(self) -> int:
        """Index of the selected entry (0 if none is selected)."""
        return max(self.list.currentRow(), 0)

    def closeEvent(self, event) -> None:  # noqa: N802  (Qt's name)
        """Tell the holders first (:attr:`closed`), then close as usual."""
        self.closed.emit(self)
        super().closeEvent(event)

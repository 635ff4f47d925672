"""A small window showing a block of text (near-source statistics, re-estimate summaries)."""

from __future__ import annotations

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QFontDatabase
from qtpy.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

__all__ = ["TextPanel"]


class TextPanel(QWidget):
    """A read-only, fixed-width text window; emits :attr:`closed` and is deleted on close."""

    closed = Signal(object)
    """Emitted with the panel when it closes."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(text)
        self.text.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)

    def closeEvent(self, event) -> None:  # noqa: N802  (Qt's name)
        """Tell the holders first (:attr:`closed`), then close as usual."""
        self.closed.emit(self)
        super().closeEvent(event)

"""Where the plugin's error messages go: a replaceable reporter, never a blocking modal box."""

from __future__ import annotations

import logging
from collections.abc import Callable

__all__ = ["report_error", "set_error_reporter", "show_message_box"]

_log = logging.getLogger("glue_skybkg")


def show_message_box(title: str, message: str) -> None:
    """The default reporter: a non-modal warning box (headless runs are never blocked)."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication, QMessageBox

    box = QMessageBox(
        QMessageBox.Warning, title, message, QMessageBox.Ok, QApplication.activeWindow()
    )
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()


_reporter: Callable[[str, str], None] = show_message_box


def set_error_reporter(reporter: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """Send error messages to ``reporter(title, message)``; returns the previous reporter."""
    global _reporter
    previous, _reporter = _reporter, reporter
    return previous


def report_error(title: str, error: BaseException | str) -> None:
    """Tell the user what went wrong (logged too)."""
    message = str(error)
    _log.warning("%s: %s", title, message)
    _reporter(title, message)

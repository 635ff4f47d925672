"""glue-qt opens sessions saved in a notebook (glue-jupyter) through its own File menu."""

from __future__ import annotations

from typing import Any

from glue.config import session_patch

from ..frontends import as_qt_session

__all__ = ["open_notebook_sessions_in_qt"]


@session_patch(priority=0)
def open_notebook_sessions_in_qt(rec: dict[str, Any]) -> None:
    """Glue ``session_patch``: a glue-jupyter session restores as a ``GlueApplication``.

    Only while glue-qt's application runs (a ``QApplication`` exists): a notebook kernel that
    merely has Qt installed keeps its sessions as they are.
    """
    from qtpy.QtWidgets import QApplication

    if QApplication.instance() is not None:
        as_qt_session(rec)

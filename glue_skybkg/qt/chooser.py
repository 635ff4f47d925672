"""A non-modal "pick one dataset" dialog for the right-click actions.

Non-modal so that nothing blocks glue's window (or a headless test); the choice is handed to
a callback when the user presses OK, and what the callback raises is reported under the
chooser's title (it runs from the OK button, outside the action that opened the chooser).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from glue.core import Data
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from .notify import report_error

__all__ = ["DataChooser", "choose_data"]


class DataChooser(QDialog):
    """A list of datasets (each with a line saying why it is offered); OK hands one on.

    Parameters
    ----------
    parent
        The window it belongs to (the glue application).
    title, prompt
        Its title and the question above the list.
    candidates
        ``(data, why)`` pairs; ``why`` is shown under the label (may be empty).
    then
        Called with the chosen Data when OK is pressed; :attr:`result_value` keeps its result.
    """

    def __init__(
        self,
        parent: Any,
        title: str,
        prompt: str,
        candidates: Sequence[tuple[Data, str]],
        then: Callable[[Data], Any],
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.candidates = [data for data, _ in candidates]
        self.then = then
        self.result_value: Any = None
        self.list = QListWidget()
        for data, why in candidates:
            item = QListWidgetItem(data.label + (f"\n    {why}" if why else ""))
            item.setToolTip(why)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(480, 260)

    def choose(self, data: Data) -> None:
        """Select ``data`` in the list (as a click does)."""
        self.list.setCurrentRow(self.candidates.index(data))

    def accept(self) -> None:
        """Close, and hand the selected dataset to ``then``."""
        chosen = self.candidates[self.list.currentRow()]
        super().accept()
        self.result_value = self.then(chosen)


def choose_data(
    parent: Any,
    title: str,
    prompt: str,
    candidates: Sequence[tuple[Data, str]],
    then: Callable[[Data], Any],
    ask_for_one: bool = False,
) -> Any:
    """Hand the dataset the user picks to ``then``; one candidate is taken as is.

    Returns ``then``'s result when nothing had to be asked, else the open
    :class:`DataChooser` (``ask_for_one`` asks even for a single candidate).  A failure of
    ``then`` is reported under ``title`` (its result is then None).
    """

    def reported(choice: Data) -> Any:
        try:
            return then(choice)
        except Exception as exc:  # reported to the user, never raised into Qt's event loop
            report_error(title, exc)
            return None

    if len(candidates) == 1 and not ask_for_one:
        return reported(candidates[0][0])
    dialog = DataChooser(parent, title, prompt, candidates, reported)
    dialog.show()
    return dialog

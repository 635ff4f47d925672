"""What became of an opened background, told in glue's status bar (and a note when undecided).

An attached background is announced with a *Show background* button beside the message; a
background left on its own says why and how to attach it by hand; when open images of its
bbox could be its image but nothing tells which, a non-modal note says so too.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QMessageBox, QPushButton

from ..actions import Pairing
from .display import find_application, show_background
from .notify import report_error

__all__ = [
    "ATTACH_HINT",
    "MESSAGE_MS",
    "SHOW_BUTTON",
    "announce",
    "announce_attached",
    "background_shown",
    "report_pairings",
]

MESSAGE_MS = 60_000
"""How long a status-bar message stays (ms)."""
SHOW_BUTTON = "Show background"
ATTACH_HINT = "right-click ▸ Attach background… pairs it by hand"

_offered: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
"""Application -> the image whose background its *Show background* button offers."""
_told: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
"""Background Data -> the last reason told: glue re-pairs on every add; say things once."""


def _status_button(app: Any) -> QPushButton:
    """The application's status-bar *Show background* button (made once, hidden when idle)."""
    button = app.findChild(QPushButton, "skybkg_show_background")
    if button is None:
        button = QPushButton(SHOW_BUTTON)
        button.setObjectName("skybkg_show_background")
        app.statusBar().addPermanentWidget(button)
        button.hide()
    return button


def announce(app: Any, text: str, show: Callable[[], Any] | None = None) -> None:
    """Say ``text`` in ``app``'s status bar, with *Show background* running ``show`` if given."""
    app.statusBar().showMessage(text, MESSAGE_MS)
    button = _status_button(app)
    try:
        button.clicked.disconnect()
    except (TypeError, RuntimeError):  # nothing connected yet
        pass
    if show is None:
        button.hide()
        return

    def clicked(*_: Any) -> None:
        button.hide()
        show()

    button.clicked.connect(clicked)
    button.show()


def announce_attached(app: Any, image: Any, background_label: str, reason: str) -> None:
    """Tell that ``background_label`` is now ``image``'s background, and offer to show it."""

    def show() -> None:
        try:
            show_background(app, image)
        except Exception as exc:  # reported to the user, never raised into Qt's event loop
            report_error(SHOW_BUTTON, exc)

    announce(app, f"Attached {background_label} to {image.label} ({reason}).", show=show)
    _offered[app] = image


def background_shown(app: Any, image: Any) -> None:
    """``image``'s background is shown (say, from the menu): its button has nothing to offer."""
    if _offered.get(app) is image:
        _status_button(app).hide()
        del _offered[app]


def _undecided_note(app: Any, text: str) -> None:
    box = QMessageBox(QMessageBox.Information, "Background not attached", text, QMessageBox.Ok, app)
    box.setObjectName("skybkg_not_attached")
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()


def report_pairings(data_collection: Any, pairings: list[Pairing]) -> None:
    """The plugin's pairing reporter (:func:`glue_skybkg.actions.set_pairing_reporter`)."""
    app = find_application(data_collection)
    if app is None:  # a collection outside any window (a script)
        return
    for pairing in pairings:
        if pairing.attached and pairing.image is not None:
            announce_attached(app, pairing.image, pairing.background.label, pairing.reason)
            continue
        if _told.get(pairing.background) == pairing.reason:
            continue
        _told[pairing.background] = pairing.reason
        undecided = pairing.reason.startswith("nothing tells")
        # by hand only where the evidence is silent; another image's background waits for it
        then = (
            f"{ATTACH_HINT[0].upper()}{ATTACH_HINT[1:]}."
            if undecided
            else "It attaches when its own image is opened (File ▸ Open Data)."
        )
        text = f"{pairing.background.label} is open on its own: {pairing.reason}. {then}"
        announce(app, text)
        if undecided:
            _undecided_note(app, text)

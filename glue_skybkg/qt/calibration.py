"""Asking for a calibration when a background cannot be put in its image's unit.

A DP1 visit image is in nJy while its background is in counts, and the image's attached
calibration is the identity: the actions refuse (:class:`~skybkg_adapters.UnitMismatch`)
rather than add the two. :func:`with_calibration` then shows the reason and offers to give
the calibration as a factor; the result is named approximate. :func:`ask_calibration` asks
(tests replace it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skybkg_adapters import UnitMismatch

__all__ = ["ask_calibration", "with_calibration"]


def ask_calibration(title: str, why: str) -> float | None:
    """Ask for a calibration factor (nJy per count) after a refusal; None if cancelled.

    The refusal's reason is shown in full, wrapped, above the number.
    """
    from qtpy.QtWidgets import QInputDialog, QLabel

    dialog = QInputDialog()
    dialog.setWindowTitle(title)
    dialog.setInputMode(QInputDialog.InputMode.DoubleInput)
    dialog.setDoubleRange(1e-12, 1e12)
    dialog.setDoubleDecimals(6)
    dialog.setDoubleValue(1.0)
    dialog.setLabelText(
        f"{why[:1].upper()}{why[1:]}\n\nTo go on, give the calibration (nJy per count); the "
        "result will be labelled approximate. Cancel adds nothing.\n\nCalibration:"
    )
    for label in dialog.findChildren(QLabel):
        label.setWordWrap(True)  # the reason is a paragraph, not a one-line prompt
    dialog.resize(620, dialog.sizeHint().height())
    if not dialog.exec():
        return None
    return dialog.doubleValue()


def with_calibration(title: str, make: Callable[[float | None], Any]) -> Any:
    """``make(None)``; on a unit refusal, ``make(factor)`` with a factor the user gives.

    The question shows the refusal's reason with what to do in the dialog's words; a
    cancelled question raises the reason and "Nothing was added", which the caller reports.
    """
    try:
        return make(None)
    except UnitMismatch as exc:
        factor = ask_calibration(title, exc.reason)
        if factor is None:
            raise UnitMismatch(f"{exc.reason} Nothing was added.") from None
        return make(factor)

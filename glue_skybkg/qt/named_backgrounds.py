"""Right-click actions for DP2 images' named backgrounds, and asking for a calibration.

*Backgrounds…* lists a dataset's named backgrounds (name, unit, description, the subtracted
one marked) in a dialog whose buttons show the selected one as a layer or apply it;
*Apply background…* gives ``image + subtracted - chosen`` (lsst-images' ``apply_background``)
over the whole image or, right-clicking a subset, over the subset's bounding box;
*Difference of backgrounds…* gives ``A - B`` of two of them. Where a background cannot be
put in the image's unit (a DP1 visit image), :mod:`.calibration` offers to give the
calibration as a factor, and the result is named approximate. The question which
background goes through :func:`choose_background`, which tests replace.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from glue.core import Data
from glue.core.subset import Subset
from glue.core.subset_group import SubsetGroup
from glue_qt.config import layer_action
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from skybkg_adapters import BBox, SkybkgError

from .. import actions
from ..gluedata import IMAGE, data_bbox
from .calibration import with_calibration
from .display import find_application, find_viewer, show_beside_image, show_component
from .notify import report_error

__all__ = [
    "APPLY_BACKGROUND",
    "BACKGROUNDS",
    "DIFFERENCE_OF_BACKGROUNDS",
    "NamedBackgroundsDialog",
    "apply_named_background",
    "choose_background",
    "difference_of_backgrounds",
    "list_backgrounds",
    "open_dialogs",
    "show_named_background",
    "subset_region",
]

BACKGROUNDS = "Backgrounds…"
APPLY_BACKGROUND = "Apply background…"
DIFFERENCE_OF_BACKGROUNDS = "Difference of backgrounds…"

open_dialogs: list[NamedBackgroundsDialog] = []
"""Background lists opened by the action, referenced while shown (dropped when closed)."""


def choose_background(title: str, prompt: str, names: list[str]) -> str | None:
    """Ask which named background (None if cancelled); a single name is taken as is."""
    if len(names) == 1:
        return names[0]
    from qtpy.QtWidgets import QInputDialog

    name, ok = QInputDialog.getItem(None, title, prompt, names, 0, False)
    return name if ok else None


def _names(data: Data) -> list[str]:
    names = [b.name for b in actions.named_backgrounds(data)]
    if not names:
        raise SkybkgError(
            f"{data.label!r} has no named backgrounds: they come with DP2 (lsst-images) images; "
            "an afw calexp's background is its own product (Show background)"
        )
    return names


def show_named_background(data: Data, data_collection: Any, name: str) -> Any:
    """Show background ``name`` in a viewer beside the image's, as *Show background* does."""
    label = actions.show_named_background(data, name).label
    return show_beside_image(find_application(data_collection), data, label)


def _show_applied(app: Any, data: Data, label: str) -> Any:
    """An applied background's image (notebook preset) beside the image, as restore shows."""
    return show_component(app, data, label, "notebook", beside=find_viewer(app, data, IMAGE))


def subset_region(subset: Subset) -> BBox:
    """The bounding box, in parent pixels, of a subset's pixels on its image."""
    mask = np.asarray(subset.to_mask(), dtype=bool)
    if not mask.any():
        raise SkybkgError(f"the subset {subset.label!r} selects no pixel of {subset.data.label!r}")
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    full = data_bbox(subset.data)
    return BBox(
        full.x0 + int(cols[0]),
        full.y0 + int(rows[0]),
        int(cols[-1] - cols[0] + 1),
        int(rows[-1] - rows[0] + 1),
    )


def _target(layer: Data | Subset | SubsetGroup) -> tuple[Data, BBox | None]:
    """The image a layer action works on, and the region when a subset was clicked."""
    if isinstance(layer, SubsetGroup):
        layer = next(s for s in layer.subsets if s.data.meta.get("named_backgrounds"))
    if isinstance(layer, Subset):
        return layer.data, subset_region(layer)
    return layer, None


def apply_named_background(layer: Data | Subset | SubsetGroup, data_collection: Any) -> Any:
    """Ask which background to apply and show ``image + subtracted - chosen``."""
    try:
        data, region = _target(layer)
        listed = actions.named_backgrounds(data)
        names = [b.name for b in listed if not b.subtracted] or _names(data)
        name = choose_background(APPLY_BACKGROUND, "Apply which background?", names)
        if name is None:
            return None
        cid = with_calibration(
            APPLY_BACKGROUND,
            lambda c: actions.apply_background(data, name, bbox=region, calibration=c),
        )
        return _show_applied(find_application(data_collection), data, cid.label)
    except Exception as exc:  # reported to the user, never raised into Qt's event loop
        report_error(APPLY_BACKGROUND, exc)
        return None


def difference_of_backgrounds(data: Data, data_collection: Any) -> Any:
    """Ask for two named backgrounds and show their difference (first - second)."""
    try:
        names = _names(data)
        first = choose_background(DIFFERENCE_OF_BACKGROUNDS, "First background (A):", names)
        if first is None:
            return None
        rest = [n for n in names if n != first]
        if not rest:
            raise SkybkgError(f"{data.label!r} has only one named background ({first!r})")
        second = choose_background(DIFFERENCE_OF_BACKGROUNDS, f"{first} minus:", rest)
        if second is None:
            return None
        cid = actions.difference_of_backgrounds(data, first, second)
        return show_beside_image(find_application(data_collection), data, cid.label)
    except Exception as exc:  # reported to the user
        report_error(DIFFERENCE_OF_BACKGROUNDS, exc)
        return None


class NamedBackgroundsDialog(QDialog):
    """The named backgrounds of one dataset: name, unit, description, subtracted marked.

    *Show beside the image* and *Apply* act on the selected row. Closing deletes the dialog.
    """

    COLUMNS = ("Name", "Subtracted", "Unit", "Terms", "Description")

    def __init__(self, data: Data, data_collection: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.data = data
        self.data_collection = data_collection
        self.setWindowTitle(f"Backgrounds of {data.label}")
        listed = actions.named_backgrounds(data)
        self.names = [b.name for b in listed]
        self.table = QTableWidget(len(listed), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for row, background in enumerate(listed):
            cells = (
                background.name,
                "✓" if background.subtracted else "",
                background.unit or "",
                background.terms,
                background.description,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(background.description)
                self.table.setItem(row, column, item)
        self.table.setWordWrap(True)
        for column in range(len(self.COLUMNS) - 1):
            self.table.resizeColumnToContents(column)
        header, rows = self.table.horizontalHeader(), self.table.verticalHeader()
        assert header is not None  # a table always has both headers
        assert rows is not None
        # the description takes the width left and wraps, rather than scrolling sideways
        header.setStretchLastSection(True)
        rows.setVisible(False)
        self.table.resizeRowsToContents()
        if listed:
            self.table.selectRow(0)
        self.show_button = QPushButton("Show beside the image")
        self.apply_button = QPushButton("Apply (image + subtracted - this)")
        self.close_button = QPushButton("Close")
        self.show_button.clicked.connect(lambda: None if self.show_selected() else None)
        self.apply_button.clicked.connect(lambda: None if self.apply_selected() else None)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for button in (self.show_button, self.apply_button, self.close_button):
            buttons.addWidget(button)
        note = QLabel(
            "Backgrounds render as lsst-images does; the subtracted one is what the file says "
            "was taken off the image."
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(note)
        layout.addLayout(buttons)
        self.table.setMinimumHeight(60 + 48 * max(len(listed), 2))
        self.resize(1000, 200 + 48 * max(len(listed), 2))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802  (Qt's name)
        """Re-wrap the descriptions to the new width."""
        super().resizeEvent(event)
        self.table.resizeRowsToContents()

    def selected(self) -> str | None:
        """The name on the selected row (None without a selection)."""
        selection = self.table.selectionModel()
        rows = selection.selectedRows() if selection is not None else []
        return self.names[rows[0].row()] if rows else None

    def show_selected(self) -> Any:
        """Show the selected background beside the image (its viewer; None if nothing shown)."""
        name = self.selected()
        if name is None:
            return None
        try:
            return show_named_background(self.data, self.data_collection, name)
        except Exception as exc:  # reported to the user
            report_error(BACKGROUNDS, exc)
            return None

    def apply_selected(self) -> Any:
        """Apply the selected background to the whole image and show the result."""
        name = self.selected()
        if name is None:
            return None
        try:
            cid = with_calibration(
                APPLY_BACKGROUND, lambda c: actions.apply_background(self.data, name, calibration=c)
            )
            return _show_applied(find_application(self.data_collection), self.data, cid.label)
        except Exception as exc:  # reported to the user
            report_error(APPLY_BACKGROUND, exc)
            return None

    def closeEvent(self, event: Any) -> None:  # noqa: N802  (Qt's name)
        """Drop the reference :data:`open_dialogs` holds, then close (and delete) as usual."""
        if self in open_dialogs:
            open_dialogs.remove(self)
        super().closeEvent(event)


def list_backgrounds(data: Data, data_collection: Any) -> NamedBackgroundsDialog | None:
    """Open the list of ``data``'s named backgrounds."""
    try:
        _names(data)
        dialog = NamedBackgroundsDialog(data, data_collection, find_application(data_collection))
        open_dialogs.append(dialog)
        dialog.show()
        return dialog
    except Exception as exc:  # reported to the user
        report_error(BACKGROUNDS, exc)
        return None


layer_action(
    BACKGROUNDS,
    single=True,
    data=True,
    tooltip="The named backgrounds of this DP2 image: list, show, apply",
)(list_backgrounds)
layer_action(
    APPLY_BACKGROUND,
    single=True,
    data=True,
    subset=True,
    subset_group=True,
    tooltip="image + subtracted - another named background (a subset: its bounding box)",
)(apply_named_background)
layer_action(
    DIFFERENCE_OF_BACKGROUNDS,
    single=True,
    data=True,
    tooltip="The difference of two named backgrounds of this image",
)(difference_of_backgrounds)

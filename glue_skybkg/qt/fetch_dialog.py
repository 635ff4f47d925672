"""Plugins ▸ "Sky backgrounds…": fetch the notebook's products from a source into glue.

The dialog builds a source spec (a folder with an optional file-name template, a Butler
repository + collection, or an RSP TAP URL + token), a product set and a data id; only the
fields a source uses are shown, folders and repositories have a *Browse…* button.  The fetch
runs in a worker thread with a progress bar and a working Cancel, and errors go to the error
reporter.  Products already open are not fetched again: their viewer comes to the front.
The token is kept in memory for this process only
(:func:`glue_skybkg.tokens.remember_token`), never in a session.
"""

from __future__ import annotations

from typing import Any

from glue_qt.config import menubar_plugin
from qtpy.QtCore import QObject, QThread, Signal
from qtpy.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from skybkg_adapters import parse_data_id

from ..fetching import (
    DEFAULT_DATA_IDS,
    PRODUCT_KINDS,
    PRODUCT_LABELS,
    SOURCE_KINDS,
    load_products,
    source_spec,
)
from ..identity import find_product
from ..tokens import remember_token
from .display import show_component
from .notify import report_error
from .worker_thread import start_in_thread, stop_thread

__all__ = [
    "FIELDS",
    "MENU_LABEL",
    "FetchWorker",
    "SkyBackgroundsDialog",
    "open_sky_backgrounds",
]

MENU_LABEL = "Sky backgrounds…"
FIELDS = {
    "Sample data set": (),
    "Folder": ("location", "browse", "template"),
    "Butler repository": ("location", "browse", "collections"),
    "RSP TAP service": ("location", "token"),
}
"""The fields each source kind uses; the others are hidden."""
_LOCATION_HINTS = {
    "Folder": "folder of products (a Butler datastore copy, or any naming with a template)",
    "Butler repository": "Butler repository folder (or butler:<repo>)",
    "RSP TAP service": "TAP service URL, e.g. https://data.lsst.cloud/api/tap",
}


class FetchWorker(QObject):
    """Fetches products in a worker thread; ``cancel()`` stops before the next product."""

    progress = Signal(int, int, str)
    finished = Signal(list)
    failed = Signal(str)

    def __init__(self, source: str, dataset_types: tuple[str, ...], data_id: dict) -> None:
        super().__init__()
        self.source = source
        self.dataset_types = dataset_types
        self.data_id = data_id
        self.cancelled = False

    def cancel(self) -> None:
        """Ask the fetch to stop (between products; a running download finishes first)."""
        self.cancelled = True

    def run(self) -> None:
        """Fetch everything, emitting progress, then ``finished`` or ``failed``."""
        try:
            datasets = load_products(
                self.source,
                self.dataset_types,
                self.data_id,
                progress=self.progress.emit,
                cancelled=lambda: self.cancelled,
            )
        except Exception as exc:  # handed to the GUI thread, which reports it
            self.failed.emit(str(exc))
            return
        self.finished.emit([] if self.cancelled else datasets)


class SkyBackgroundsDialog(QDialog):
    """The fetch dialog: source, product set and data id; Fetch, progress, Cancel."""

    def __init__(self, application: Any) -> None:
        super().__init__(application)
        self.application = application
        self.setWindowTitle("Sky backgrounds")
        self.source_kind = QComboBox()
        self.source_kind.addItems(SOURCE_KINDS)
        self.location = QLineEdit()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._on_browse)
        self.template = QLineEdit()
        self.template.setPlaceholderText(
            "only if not a Butler datastore copy, e.g. {dataset_type}_{visit}_{detector}.fits"
        )
        self.collections = QLineEdit("2.2i/runs/DP0.2")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.Password)
        self.token.setPlaceholderText("RSP token (kept in memory only, never saved)")
        self.product = QComboBox()
        for key, text in PRODUCT_LABELS.items():
            self.product.addItem(text, key)
        self.data_id = QLineEdit(DEFAULT_DATA_IDS["visit"])
        self.product.currentIndexChanged.connect(
            lambda _: self.data_id.setText(DEFAULT_DATA_IDS[self.product.currentData()])
        )
        self.progress = QProgressBar()
        self.status = QLabel("")
        self.fetch_button = QPushButton("Fetch")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.fetch_button.clicked.connect(self.start_fetch)
        self.cancel_button.clicked.connect(self.cancel_fetch)

        location_row = QWidget()
        row = QHBoxLayout(location_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.location)
        row.addWidget(self.browse_button)
        self.form = form = QFormLayout()
        form.addRow("Source", self.source_kind)
        form.addRow("Location", location_row)
        form.addRow("File names", self.template)
        form.addRow("Collections", self.collections)
        form.addRow("Token", self.token)
        form.addRow("Products", self.product)
        form.addRow("Data id", self.data_id)
        self._rows = {
            "location": location_row,
            "template": self.template,
            "collections": self.collections,
            "token": self.token,
        }
        self.source_kind.currentTextChanged.connect(self._show_fields)
        buttons = QHBoxLayout()
        buttons.addWidget(self.fetch_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._thread: QThread | None = None
        self.worker: FetchWorker | None = None
        self.fetched: list = []
        self.browser: QFileDialog | None = None
        self._request: tuple[tuple[str, ...], dict] = ((), {})
        self._show_fields(self.source_kind.currentText())

    def _show_fields(self, kind: str) -> None:
        """Show the fields ``kind`` of source uses, hide the others (with their labels)."""
        used = FIELDS[kind]
        for name, widget in self._rows.items():
            widget.setVisible(name in used)
            label = self.form.labelForField(widget)
            if label is not None:
                label.setVisible(name in used)
        self.browse_button.setVisible("browse" in used)
        self.location.setPlaceholderText(_LOCATION_HINTS.get(kind, ""))

    def _on_browse(self, *_: Any) -> None:
        self.browse()

    def browse(self) -> QFileDialog:
        """Choose the folder or Butler repository in a (non-modal) folder dialog."""
        self.browser = QFileDialog(self, f"Choose the {self.source_kind.currentText().lower()}")
        self.browser.setFileMode(QFileDialog.Directory)
        self.browser.setOption(QFileDialog.ShowDirsOnly, True)
        if self.location.text().strip():
            self.browser.setDirectory(self.location.text().strip())
        self.browser.fileSelected.connect(self.location.setText)
        self.browser.show()  # not exec_(): nothing blocks while it is open
        return self.browser

    def _already_open(self, kinds: tuple[str, ...], data_id: dict) -> list:
        """The open Data holding each of ``kinds`` for ``data_id`` (None where not open)."""
        dc = self.application.data_collection
        return [find_product(dc, kind, data_id) for kind in kinds]

    def start_fetch(self) -> None:
        """Validate the fields and fetch, in a worker thread, what is not open yet."""
        try:
            spec = source_spec(
                self.source_kind.currentText(),
                self.location.text(),
                self.collections.text(),
                self.template.text(),
            )
            data_id = parse_data_id(self.data_id.text())
        except ValueError as exc:
            report_error(MENU_LABEL, exc)
            return
        remember_token(spec, self.token.text().strip() or None)
        wanted = PRODUCT_KINDS[self.product.currentData()]
        open_ = self._already_open(wanted, data_id)
        kinds = tuple(kind for kind, data in zip(wanted, open_, strict=True) if data is None)
        self._request = (wanted, data_id)
        if not kinds:
            self._show_open([d for d in open_ if d is not None])
            return
        self.progress.setRange(0, len(kinds))
        self.progress.setValue(0)
        self.status.setText(f"Fetching {kinds[0]}…")
        self.fetch_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.worker = FetchWorker(spec, kinds, data_id)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self._thread = start_in_thread(self, self.worker)

    def _show_open(self, datasets: list) -> None:
        """Bring the viewer of the first open image to the front (open one if none shows it)."""
        images = [d for d in datasets if d.meta.get("skybkg_kind") == "exposure"]
        labels = ", ".join(dict.fromkeys(d.label for d in datasets))
        self.progress.reset()
        self.status.setText(f"Already open: {labels} (not fetched again)")
        if images:
            show_component(self.application, images[0], "image", "notebook")

    def cancel_fetch(self) -> None:
        """Stop the running fetch; nothing fetched so far is added."""
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling…")

    def _done(self) -> None:
        self.fetch_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        stop_thread(self._thread)
        self._thread = self.worker = None

    def _on_progress(self, done: int, total: int, dataset_type: str) -> None:
        self.progress.setValue(done)
        self.status.setText(f"Fetching {dataset_type}…" if dataset_type else "Done")

    def _on_failed(self, message: str) -> None:
        self._done()
        self.progress.reset()
        self.status.setText("Failed (see the message)")
        report_error(MENU_LABEL, message)

    def _on_finished(self, datasets: list) -> None:
        cancelled = self.worker is not None and self.worker.cancelled
        self._done()
        if cancelled:
            self.progress.reset()
            self.status.setText("Cancelled: nothing was added")
            return
        self.fetched = datasets
        self.application.add_datasets(datasets)  # backgrounds attach to their images here
        self.status.setText("Added " + ", ".join(d.label for d in datasets))
        wanted, data_id = self._request
        images = [d for d in self._already_open(wanted, data_id) if d is not None]
        if images:  # the first of the set: the calexp, or the deepCoadd
            show_component(self.application, images[0], "image", "notebook")


@menubar_plugin(MENU_LABEL)
def open_sky_backgrounds(session: Any, data_collection: Any) -> SkyBackgroundsDialog:
    """Show the (non-modal) fetch dialog."""
    dialog = SkyBackgroundsDialog(session.application)
    dialog.show()
    return dialog

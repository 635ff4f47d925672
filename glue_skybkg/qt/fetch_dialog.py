"""Plugins ▸ "Sky backgrounds…": fetch the notebook's products from a source into glue.

The dialog builds a source spec (a folder, a Butler repository + collection, or an RSP TAP
URL + token), a product set and a data id; the fetch runs in a worker thread with a progress
bar and a working Cancel, and errors go to the error reporter.  The token is kept in memory
for this process only (:func:`glue_skybkg.tokens.remember_token`), never in a session.
"""

from __future__ import annotations

from typing import Any

from glue_qt.config import menubar_plugin
from qtpy.QtCore import QObject, QThread, Signal
from qtpy.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
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
from ..tokens import remember_token
from .display import show_component
from .notify import report_error
from .worker_thread import start_in_thread, stop_thread

__all__ = [
    "MENU_LABEL",
    "FetchWorker",
    "SkyBackgroundsDialog",
    "open_sky_backgrounds",
]

MENU_LABEL = "Sky backgrounds…"


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
        self.location.setPlaceholderText(
            "folder, Butler repository, or TAP URL (not needed for the sample)"
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

        form = QFormLayout()
        form.addRow("Source", self.source_kind)
        form.addRow("Location", self.location)
        form.addRow("Collections (Butler)", self.collections)
        form.addRow("Token (RSP)", self.token)
        form.addRow("Products", self.product)
        form.addRow("Data id", self.data_id)
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

    def start_fetch(self) -> None:
        """Validate the fields and start fetching in a worker thread."""
        try:
            spec = source_spec(
                self.source_kind.currentText(), self.location.text(), self.collections.text()
            )
            data_id = parse_data_id(self.data_id.text())
        except ValueError as exc:
            report_error(MENU_LABEL, exc)
            return
        remember_token(spec, self.token.text().strip() or None)
        kinds = PRODUCT_KINDS[self.product.currentData()]
        self.progress.setRange(0, len(kinds))
        self.progress.setValue(0)
        self.fetch_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.worker = FetchWorker(spec, kinds, data_id)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self._thread = start_in_thread(self, self.worker)

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
        self.status.setText("Failed")
        report_error(MENU_LABEL, message)

    def _on_finished(self, datasets: list) -> None:
        cancelled = self.worker is not None and self.worker.cancelled
        self._done()
        if cancelled:
            self.status.setText("Cancelled")
            return
        self.fetched = datasets
        self.application.add_datasets(datasets)  # backgrounds attach to their images here
        images = [
            d
            for d in datasets
            if d in self.application.data_collection and d.meta.get("skybkg_kind") == "exposure"
        ]
        if images:
            show_component(self.application, images[0], "image", "notebook")


@menubar_plugin(MENU_LABEL)
def open_sky_backgrounds(session: Any, data_collection: Any) -> SkyBackgroundsDialog:
    """Show the (non-modal) fetch dialog."""
    dialog = SkyBackgroundsDialog(session.application)
    dialog.show()
    return dialog

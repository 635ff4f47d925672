"""Plugins ▸ "Visit background survey…": survey whole visits, then the table and mosaics, linked.

The survey runs in a worker thread on dask (a local cluster sized to the machine) with a
progress bar and a working Cancel; when it finishes the survey table and one mosaic per visit
are added through :func:`glue_skybkg.survey_data.load_survey` (so a session saves them by
recipe), a scatter plot of offset against mean and the first mosaic are shown, and
double-clicking a detector in a mosaic or a row in a table viewer opens that detector's calexp
and background as *Sky backgrounds…* would (:mod:`.survey_views`).
"""

from __future__ import annotations

from typing import Any

from glue.core.data_factories import load_data
from glue_qt.config import menubar_plugin
from qtpy.QtCore import QObject, QThread, Signal
from qtpy.QtWidgets import (
    QCheckBox,
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

from skybkg_adapters import parse_int_list

from ..fetching import SOURCE_KINDS, source_spec
from ..survey import SurveyCancelled
from ..survey_data import SurveyRecipe, load_survey, run_recipe
from .notify import report_error
from .survey_views import show_survey
from .worker_thread import start_in_thread, stop_thread

__all__ = ["MENU_LABEL", "SurveyDialog", "SurveyWorker", "open_survey_dialog"]

MENU_LABEL = "Visit background survey…"


class SurveyWorker(QObject):
    """Runs a survey recipe in a worker thread; ``cancel()`` stops it between results."""

    progress = Signal(int, int)
    message = Signal(str)
    finished = Signal()
    failed = Signal(str)
    cancelled_signal = Signal()

    def __init__(self, recipe: SurveyRecipe, scheduler: Any = None) -> None:
        super().__init__()
        self.recipe = recipe
        self.scheduler = scheduler
        self.cancelled = False

    def cancel(self) -> None:
        """Ask the survey to stop (it stops when the next result arrives)."""
        self.cancelled = True

    def run(self) -> None:
        """Survey into the recipe's cache folder, emitting progress, then a verdict."""
        try:
            run_recipe(
                self.recipe,
                progress=self.progress.emit,
                cancelled=lambda: self.cancelled,
                report=self.message.emit,
                scheduler=self.scheduler,
            )
        except SurveyCancelled:
            self.cancelled_signal.emit()
            return
        except Exception as exc:  # handed to the GUI thread, which reports it
            self.failed.emit(str(exc))
            return
        self.finished.emit()


class SurveyDialog(QDialog):
    """Source, visits and detectors; Run, progress, Cancel; then the linked table and mosaics."""

    def __init__(self, application: Any, scheduler: Any = None) -> None:
        super().__init__(application)
        self.application = application
        self.scheduler = scheduler
        self.setWindowTitle("Visit background survey")
        self.source_kind = QComboBox()
        self.source_kind.addItems([k for k in SOURCE_KINDS if k != "RSP TAP service"])
        self.location = QLineEdit()
        self.location.setPlaceholderText("folder or Butler repository (not needed for the sample)")
        self.collections = QLineEdit("2.2i/runs/DP0.2")
        self.visits = QLineEdit("512055")
        self.detectors = QLineEdit("0-188")
        self.scheduler_address = QLineEdit()
        self.scheduler_address.setPlaceholderText("tcp://host:8786 (default: a local cluster)")
        self.progress = QProgressBar()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.run_button = QPushButton("Run survey")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self.start_survey)
        self.cancel_button.clicked.connect(self.cancel_survey)
        self.show_minus_plane = QCheckBox("Show the mosaic minus its focal-plane plane")
        form = QFormLayout()
        form.addRow("Source", self.source_kind)
        form.addRow("Location", self.location)
        form.addRow("Collections (Butler)", self.collections)
        form.addRow("Visits", self.visits)
        form.addRow("Detectors", self.detectors)
        form.addRow("dask scheduler", self.scheduler_address)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.show_minus_plane)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._thread: QThread | None = None
        self.worker: SurveyWorker | None = None
        self.recipe: SurveyRecipe | None = None
        self.datasets: list = []

    def start_survey(self) -> None:
        """Validate the fields and start the survey in a worker thread."""
        try:
            spec = source_spec(
                self.source_kind.currentText(), self.location.text(), self.collections.text()
            )
            visits = parse_int_list(self.visits.text())
            detectors = parse_int_list(self.detectors.text())
            if not visits or not detectors:
                raise ValueError("enter at least one visit and one detector")
        except ValueError as exc:
            report_error(MENU_LABEL, exc)
            return
        self.recipe = SurveyRecipe(spec, visits, detectors)
        self.progress.setRange(0, len(visits) * len(detectors))
        self.progress.setValue(0)
        self.status.setText("Starting the dask cluster…")
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        scheduler = self.scheduler or (self.scheduler_address.text().strip() or None)
        self.worker = SurveyWorker(self.recipe, scheduler)
        self.worker.progress.connect(self._on_progress)
        self.worker.message.connect(self.status.setText)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled_signal.connect(self._on_cancelled)
        self._thread = start_in_thread(self, self.worker)

    def cancel_survey(self) -> None:
        """Stop the running survey; nothing is added."""
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling…")

    def _done(self) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        stop_thread(self._thread)
        self._thread = self.worker = None

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setValue(done)
        if not self.status.text().startswith("dask dashboard"):
            self.status.setText(f"{done} of {total} detectors")

    def _on_failed(self, message: str) -> None:
        self._done()
        self.status.setText("Failed")
        report_error(MENU_LABEL, message)

    def _on_cancelled(self) -> None:
        self._done()
        self.status.setText("Cancelled")

    def _on_finished(self) -> None:
        self._done()
        recipe = self.recipe
        assert recipe is not None
        # the files are in the recipe's cache now: this load is instant, and it is the
        # recipe (not the pixels) that a session records
        datasets = load_data(
            f"survey {','.join(map(str, recipe['visits']))}",
            factory=load_survey,
            source=recipe["source"],
            visits=recipe["visits"],
            detectors=recipe["detectors"],
            scale=recipe["scale"],
        )
        self.datasets = list(datasets)
        self.application.data_collection.extend(self.datasets)
        show_survey(self.application, self.datasets, minus_plane=self.show_minus_plane.isChecked())
        self.status.setText(
            f"Done: {len(self.datasets[0].get_component('detector').data)} rows, "
            f"{len(self.datasets) - 1} mosaic(s)"
        )


@menubar_plugin(MENU_LABEL)
def open_survey_dialog(session: Any, data_collection: Any) -> SurveyDialog:
    """Show the (non-modal) survey dialog."""
    dialog = SurveyDialog(session.application)
    dialog.show()
    return dialog

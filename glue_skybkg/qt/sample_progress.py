"""A progress window while the sample data set is generated on first use (10-40 s).

Opening an example session (or fetching from the sample) with an empty cache generates the
sample before anything can be shown; glue has no window up yet.  This dialog says what is
happening and how far it got.  Steps may finish in another thread: they reach the dialog
through a queued signal, and a step finished in the GUI thread lets the dialog repaint.
"""

from __future__ import annotations

from qtpy.QtCore import QObject, Qt, QThread, Signal
from qtpy.QtWidgets import QApplication, QProgressDialog

__all__ = ["TITLE", "SampleProgress", "sample_progress"]

TITLE = "Preparing the sample data set"


class SampleProgress(QObject):
    """Shows the sample's generation in a :class:`QProgressDialog` (made on the first step)."""

    stepped = Signal(int, int, str)

    def __init__(self) -> None:
        super().__init__()
        self.dialog: QProgressDialog | None = None
        self._latest = -1  # the furthest step shown of the current generation
        self.stepped.connect(self._show)

    def __call__(self, done: int, total: int, step: str) -> None:
        """The progress callback (any thread)."""
        self.stepped.emit(done, total, step)
        app = QApplication.instance()
        if app is not None and QThread.currentThread() is app.thread():
            app.processEvents()  # the GUI thread is the one generating: let the dialog paint

    def _show(self, done: int, total: int, step: str) -> None:
        if QApplication.instance() is None:
            return
        if done == 0:
            self._latest = -1  # a generation starts
        if done <= self._latest:
            return  # a step from the other thread queued behind a later one (or the last)
        self._latest = done
        if self.dialog is None:
            self.dialog = QProgressDialog("", "", 0, total)
            self.dialog.setWindowTitle(TITLE)
            self.dialog.setCancelButton(None)  # generation cannot stop half-way: it is atomic
            self.dialog.setMinimumDuration(0)
            self.dialog.setWindowModality(Qt.WindowModality.NonModal)
            self.dialog.setMinimumWidth(460)
        self.dialog.setLabelText(
            f"First use: generating the sample data set (about 0.4 GB, under a minute).\n{step}…"
        )
        self.dialog.setMaximum(total)
        self.dialog.setValue(done)
        self.dialog.show()
        if done >= total:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None


sample_progress = SampleProgress()
"""The plugin's sample progress reporter (:func:`glue_skybkg.session.set_sample_progress`)."""

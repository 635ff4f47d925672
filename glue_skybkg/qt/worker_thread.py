"""Running a dialog's long job (a fetch, a survey) in a worker thread, and stopping it."""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import QObject, QThread

__all__ = ["start_in_thread", "stop_thread"]


def start_in_thread(parent: QObject, worker: Any) -> QThread:
    """Move ``worker`` (a QObject with ``run()``) to a new thread owned by ``parent``; start it."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    thread.start()
    return thread


def stop_thread(thread: QThread | None) -> None:
    """Let ``thread``'s event loop end and wait for it (nothing if None)."""
    if thread is not None:
        thread.quit()
        thread.wait()

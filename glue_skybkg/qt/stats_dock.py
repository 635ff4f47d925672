"""The statistics panel as a dock of glue's window (not a window that falls behind glue)."""

from __future__ import annotations

from typing import Any

from glue.core import Data
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QDockWidget

from .stats_panel import StatisticsPanel

__all__ = ["DOCK_WIDTH", "StatisticsDock", "show_statistics", "statistics_docks"]

DOCK_WIDTH = 440
"""Width (pixels) a new statistics dock starts with."""


class StatisticsDock(QDockWidget):
    """A dock of the glue application holding one :class:`StatisticsPanel`.

    Closing the dock closes (and deletes) the panel; a panel that closes itself (its dataset
    left the collection) takes the dock with it.
    """

    def __init__(self, panel: StatisticsPanel, parent: Any = None) -> None:
        super().__init__(panel.windowTitle(), parent)
        self.setObjectName(f"skybkg_statistics_{id(panel.data)}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.panel = panel
        self.setWidget(panel)
        panel.closed.connect(lambda _: self.deleteLater())

    def closeEvent(self, event: Any) -> None:  # noqa: N802  (Qt's name)
        """Close the panel too."""
        self.panel.close()
        super().closeEvent(event)


def statistics_docks(app: Any) -> list[StatisticsDock]:
    """The statistics docks of ``app``."""
    return app.findChildren(StatisticsDock)


def show_statistics(
    app: Any, data: Data, component: str | None = None, subset: Any = None
) -> StatisticsPanel:
    """The statistics of ``data`` in a dock on the right of ``app``'s window; returns the panel.

    ``data``'s dock is reused (brought forward, showing ``component`` in ``subset``) when open.
    """
    for dock in statistics_docks(app):
        if dock.panel.data is data:
            dock.panel.select(component, subset)
            dock.show()
            dock.raise_()
            return dock.panel
    panel = StatisticsPanel(data, component, subset)
    dock = StatisticsDock(panel, app)
    app.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    # a third of the window at most: the viewers keep most of it
    app.resizeDocks([dock], [min(DOCK_WIDTH, app.width() // 3)], Qt.Orientation.Horizontal)
    dock.show()
    return panel

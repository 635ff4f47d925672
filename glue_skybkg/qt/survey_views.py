"""The survey in glue's viewers: offset against mean, the mosaic, and double-click to open.

A scatter plot of the survey table (offset against mean), a table viewer of it and an image
viewer of a mosaic are opened; a selection in any of them shows in the others through the
table <-> mosaic key joins (:mod:`glue_skybkg.survey_data`).  Double-clicking a detector in
the mosaic, or a row of the table viewer, fetches that detector's calexp and background
(:func:`glue_skybkg.fetching.load_products`) and shows them as *Sky backgrounds…* does; a
detector without a calexp (most of the sample's) opens its background alone.  The mosaic
and the table are shown in viewers of their own (:class:`SurveyMosaicViewer`,
:class:`SurveyTableViewer`: glue's, plus the double-click), so a saved session restores
them with their double-clicks.
"""

from __future__ import annotations

from typing import Any

from glue.core import Data
from glue_qt.viewers.image import ImageViewer
from glue_qt.viewers.table import TableViewer

from skybkg_adapters import ProductNotFound, SkybkgError

from ..display import apply_preset
from ..fetching import PRODUCT_KINDS, load_products
from ..gluedata import BACKGROUND
from ..survey_data import MINUS_PLANE, MOSAIC
from .display import show_component
from .notify import report_error

__all__ = [
    "SurveyMosaicViewer",
    "SurveyTableViewer",
    "detector_at",
    "open_detector",
    "show_survey",
]

_TITLE = "Visit background survey"


def detector_at(mosaic: Data, x: float, y: float) -> int | None:
    """The detector under pixel ``(x, y)`` of a mosaic Data (None between detectors)."""
    rows, columns = mosaic.shape
    column, row = int(round(x)), int(round(y))
    if not (0 <= row < rows and 0 <= column < columns):
        return None
    detector = int(mosaic.get_component("detector").data[row, column])
    return None if detector < 0 else detector


def open_detector(app: Any, source: str, visit: int, detector: int) -> list[Data]:
    """Fetch and show one detector's calexp and background (or its background alone)."""
    data_id = {"visit": int(visit), "detector": int(detector)}
    try:
        datasets = load_products(source, PRODUCT_KINDS["visit"], data_id)
    except ProductNotFound:
        datasets = load_products(source, ("calexpBackground",), data_id)
    app.add_datasets(datasets)  # a background attaches to its image here
    images = [d for d in datasets if d in app.data_collection]
    shown = images[0]
    label = "image" if shown.meta.get("skybkg_kind") == "exposure" else BACKGROUND
    show_component(app, shown, label, "linear")
    return datasets


def _open_safely(app: Any, source: str, visit: int, detector: int) -> None:
    try:
        open_detector(app, source, visit, detector)
    except (SkybkgError, OSError) as exc:
        report_error(_TITLE, f"visit {visit} detector {detector}: {exc}")


def _on_mosaic_double_click(app: Any, viewer: Any, event: Any) -> None:
    if not event.dblclick or event.xdata is None or event.ydata is None:
        return
    mosaic = viewer.state.reference_data
    if mosaic is None or mosaic.meta.get("skybkg_kind") != "mosaic":
        return
    detector = detector_at(mosaic, event.xdata, event.ydata)
    if detector is not None:
        _open_safely(app, mosaic.meta["source"], mosaic.meta["visit"], detector)


def _on_row_double_click(app: Any, viewer: Any, table: Data, index: Any) -> None:
    row = int(viewer.model.order_visible[index.row()])
    visit = int(table.get_component("visit").data[row])
    detector = int(table.get_component("detector").data[row])
    _open_safely(app, table.meta["source"], visit, detector)


class SurveyMosaicViewer(ImageViewer):
    """glue's image viewer; double-clicking a detector of a mosaic opens that detector."""

    LABEL = "Survey mosaic"

    def __init__(self, session: Any, parent: Any = None, state: Any = None) -> None:
        super().__init__(session, parent=parent, state=state)
        self.axes.figure.canvas.mpl_connect("button_press_event", self._on_press)

    def _on_press(self, event: Any) -> None:
        _on_mosaic_double_click(self.session.application, self, event)


class SurveyTableViewer(TableViewer):
    """glue's table viewer; double-clicking a row of the survey table opens that detector."""

    LABEL = "Survey table"

    def __init__(self, session: Any, parent: Any = None, state: Any = None) -> None:
        super().__init__(session, parent=parent, state=state)
        self.ui.table.doubleClicked.connect(self._on_double_click)

    def _on_double_click(self, index: Any) -> None:
        table = self.state.layers[0].layer if self.state.layers else None
        if isinstance(table, Data) and table.meta.get("skybkg_kind") == "survey":
            _on_row_double_click(self.session.application, self, table, index)


def show_survey(app: Any, datasets: list[Data], minus_plane: bool = False) -> dict[str, Any]:
    """Open the survey's viewers (scatter, table, first mosaic) and wire the double-clicks.

    Returns the viewers by name: ``scatter``, ``table``, ``mosaic``.
    """
    from glue_qt.viewers.scatter import ScatterViewer

    table, mosaics = datasets[0], datasets[1:]
    scatter = app.new_data_viewer(ScatterViewer, data=table)
    scatter.state.x_att = table.id["mean"]
    scatter.state.y_att = table.id["offset"]
    scatter.state.title = "survey: offset against mean"
    table_viewer = app.new_data_viewer(SurveyTableViewer, data=table)
    viewers: dict[str, Any] = {"scatter": scatter, "table": table_viewer}
    if mosaics:
        mosaic = mosaics[0]
        viewer = app.new_data_viewer(SurveyMosaicViewer, data=mosaic)
        layer = viewer.state.layers[0]
        layer.attribute = mosaic.id[
            MINUS_PLANE
            if minus_plane and MINUS_PLANE in [c.label for c in mosaic.components]
            else MOSAIC
        ]
        apply_preset(layer, "linear")
        layer.cmap = _viridis()
        viewer.state.aspect = "equal"
        viewer.state.title = f"{mosaic.label}: focal plane (double-click a detector to open it)"
        viewers["mosaic"] = viewer
    return viewers


def _viridis() -> Any:
    from matplotlib import colormaps

    return colormaps["viridis"]

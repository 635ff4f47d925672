"""The statistics panel: a dock of glue's window that follows the data collection (item 6, 7)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from glue.core.roi import RectangularROI
from glue.core.subset import RoiSubsetState
from qtpy.QtCore import QCoreApplication, QEvent, Qt

from glue_skybkg.qt import layer_actions
from glue_skybkg.qt.stats_dock import StatisticsDock, statistics_docks

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _trigger(app, layer, label):
    widget = app._layer_widget
    widget.ui.layerTree.set_selected_layers([layer])
    widget._actions[label].trigger()


def _calexp(app, glue_products):
    app.load_data([str(glue_products["paths"][k]) for k in ("calexp", "calexpBackground")])
    (calexp,) = app.data_collection
    return calexp


def _corner(calexp, width, height):
    return RoiSubsetState(
        calexp.pixel_component_ids[1],
        calexp.pixel_component_ids[0],
        RectangularROI(-0.5, width - 0.5, -0.5, height - 0.5),
    )


def _items(combo):
    return [combo.itemText(i) for i in range(combo.count())]


def test_the_panel_is_a_dock_with_the_notebooks_numbers(glue_app, glue_products):
    calexp = _calexp(glue_app, glue_products)
    _trigger(glue_app, calexp, layer_actions.STATISTICS)
    (dock,) = statistics_docks(glue_app)
    assert glue_app.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    panel = dock.panel
    background = glue_products["background"].astype(np.float64)
    assert panel.component.currentText() == "background"
    assert panel.statistics.median == pytest.approx(np.median(background), rel=1e-12)
    assert panel.statistics.std == pytest.approx(background.std(), rel=1e-12)
    assert panel.text.toPlainText().splitlines()[0] == "Number of pixels: 30000"
    assert panel.histogram_counts().sum() == 30000
    ARTIFACTS.mkdir(exist_ok=True)
    panel.figure.set_size_inches(6, 4)
    panel.figure.tight_layout()
    panel.figure.savefig(ARTIFACTS / "statistics-panel.png", dpi=100)

    panel.component.setCurrentText("image")
    panel.exclude["DETECTED"].setChecked(True)
    keep = (glue_products["mask"] & (1 << 5)) == 0
    assert panel.statistics.n_pixels == keep.sum()
    assert panel.statistics.mean == pytest.approx(
        glue_products["calexp_image"][keep].astype(np.float64).mean(), rel=1e-12
    )


def test_only_float_components_are_offered(glue_app, glue_products):
    calexp = _calexp(glue_app, glue_products)
    _trigger(glue_app, calexp, layer_actions.STATISTICS)
    (dock,) = statistics_docks(glue_app)
    assert _items(dock.panel.component) == ["image", "variance", "background"]
    _trigger(glue_app, calexp, layer_actions.RESTORE_BACKGROUND)  # a component added later
    assert _items(dock.panel.component) == [
        "image",
        "variance",
        "background",
        "image + background",
    ]
    assert dock.panel.component.currentText() == "background"


def test_subsets_drawn_later_appear_change_and_go(glue_app, glue_products):
    calexp = _calexp(glue_app, glue_products)
    _trigger(glue_app, calexp, layer_actions.STATISTICS)
    (dock,) = statistics_docks(glue_app)
    panel = dock.panel
    assert _items(panel.subset) == ["Whole image"]
    dc = glue_app.data_collection
    group = dc.new_subset_group("corner", _corner(calexp, 50, 30))
    assert _items(panel.subset) == ["Whole image", "corner"]
    panel.subset.setCurrentText("corner")
    background = glue_products["background"].astype(np.float64)
    assert panel.statistics.n_pixels == 50 * 30
    assert panel.statistics.mean == pytest.approx(background[:30, :50].mean(), rel=1e-12)
    group.subset_state = _corner(calexp, 20, 10)  # the user moves the region
    assert panel.statistics.n_pixels == 20 * 10
    assert panel.statistics.mean == pytest.approx(background[:10, :20].mean(), rel=1e-12)
    group.label = "small corner"
    assert _items(panel.subset) == ["Whole image", "small corner"]
    assert panel.subset.currentText() == "small corner"
    dc.remove_subset_group(group)
    assert _items(panel.subset) == ["Whole image"]
    assert panel.statistics.n_pixels == 30000


def test_a_subset_opens_in_the_datasets_dock(glue_app, glue_products):
    calexp = _calexp(glue_app, glue_products)
    _trigger(glue_app, calexp, layer_actions.STATISTICS)
    group = glue_app.data_collection.new_subset_group("corner", _corner(calexp, 50, 30))
    _trigger(glue_app, group, layer_actions.STATISTICS)  # the tree selects groups
    (dock,) = statistics_docks(glue_app)
    assert dock.panel.subset.currentText() == "corner"
    assert dock.panel.statistics.n_pixels == 50 * 30


def test_closing_frees_the_panel_and_removing_the_data_closes_it(glue_app, glue_products):
    calexp = _calexp(glue_app, glue_products)
    _trigger(glue_app, calexp, layer_actions.STATISTICS)
    (dock,) = statistics_docks(glue_app)
    destroyed = []
    dock.panel.destroyed.connect(lambda *_: destroyed.append(1))
    dock.close()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert destroyed == [1]
    assert statistics_docks(glue_app) == []

    _trigger(glue_app, calexp, layer_actions.STATISTICS)
    (dock,) = statistics_docks(glue_app)
    assert isinstance(dock, StatisticsDock)
    glue_app.data_collection.remove(calexp)
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert statistics_docks(glue_app) == []

"""Plugins ▸ Visit background survey…: progress, cancel, the linked table and mosaic, sessions."""

from __future__ import annotations

import numpy as np
import pytest

from glue_skybkg.qt.survey_dialog import SurveyDialog
from glue_skybkg.qt.survey_views import _on_mosaic_double_click, _on_row_double_click, detector_at
from skybkg_adapters import read_background

distributed = pytest.importorskip("distributed")

VISIT = 512055
DETECTORS = "74-76,93-95,113"


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def run_dialog(qtbot, app, client, spec, detectors=DETECTORS, cancel_at=None):
    dialog = SurveyDialog(app, scheduler=client)
    qtbot.addWidget(dialog)
    dialog.source_kind.setCurrentText("Folder")
    dialog.location.setText(spec)
    dialog.detectors.setText(detectors)
    dialog.run_button.click()
    if cancel_at is not None:
        qtbot.waitUntil(lambda: dialog.progress.value() >= cancel_at, timeout=120_000)
        dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=300_000)
    return dialog


def test_the_survey_opens_linked_table_and_mosaic(qtbot, glue_app, client, sample, reported_errors):
    dialog = run_dialog(qtbot, glue_app, client, f"sample:{sample.root}")
    assert reported_errors == []
    assert dialog.status.text() == "Done: 7 rows, 1 mosaic(s)"
    assert dialog.progress.value() == 7
    table, mosaic = dialog.datasets
    assert [d.label for d in glue_app.data_collection] == ["survey", f"mosaic {VISIT}"]
    detectors = table.get_component("detector").data
    assert list(detectors) == [74, 75, 76, 93, 94, 95, 113]
    offsets = table.get_component("offset").data
    assert detectors[np.argmax(offsets)] == 113  # the bad detector
    detector_map = mosaic.get_component("detector").data
    path = sample.path("calexpBackground", {"visit": VISIT, "detector": 94})
    cells = detector_map == 94
    full = read_background(path).render()
    assert np.nanmean(mosaic.get_component("background").data[cells]) == pytest.approx(
        float(full.mean()), rel=2e-3
    )
    # rows selected (as a scatter-plot selection would) light up their detectors in the mosaic
    glue_app.data_collection.new_subset_group("bright", table.id["mean"] > 4000)
    rows = table.subsets[0].to_mask()
    pixels = mosaic.subsets[0].to_mask()
    assert set(detector_map[pixels].astype(int)) == set(detectors[rows].astype(int)) == {113}
    # ... and a region drawn on the mosaic selects the rows of its detectors
    from glue.core.roi import RectangularROI
    from glue.core.subset import RoiSubsetState

    y, x = np.argwhere(detector_map == 94).mean(axis=0)
    roi = RectangularROI(x - 5, x + 5, y - 5, y + 5)
    state = RoiSubsetState(mosaic.pixel_component_ids[1], mosaic.pixel_component_ids[0], roi)
    glue_app.data_collection.new_subset_group("centre", state)
    assert list(detectors[table.subsets[1].to_mask()]) == [94]
    viewers = {type(v).__name__ for v in glue_app.viewers[0]}
    assert viewers == {"ScatterViewer", "SurveyTableViewer", "SurveyMosaicViewer"}


def test_double_clicks_open_the_detector(qtbot, glue_app, client, sample, reported_errors):
    dialog = run_dialog(qtbot, glue_app, client, f"sample:{sample.root}")
    table, mosaic = dialog.datasets
    image_viewer = next(v for v in glue_app.viewers[0] if type(v).__name__ == "SurveyMosaicViewer")
    y, x = np.argwhere(mosaic.get_component("detector").data == 75).mean(axis=0)
    assert detector_at(mosaic, x, y) == 75

    class DoubleClick:
        dblclick, xdata, ydata = True, x, y

    _on_mosaic_double_click(glue_app, image_viewer, DoubleClick)
    calexp = glue_app.data_collection[f"calexp_{VISIT}_75"]  # named by data id
    assert calexp.meta["provenance"]["data_id"] == {"visit": VISIT, "detector": 75}
    assert "background" in [c.label for c in calexp.components]  # attached, as Fetch does
    table_viewer = next(v for v in glue_app.viewers[0] if type(v).__name__ == "SurveyTableViewer")
    row_of_94 = table_viewer.model.index(4, 0)
    _on_row_double_click(glue_app, table_viewer, table, row_of_94)
    # 94 has no calexp in the sample
    background = glue_app.data_collection[f"calexpBackground_{VISIT}_94"]
    assert background.meta["provenance"]["data_id"] == {"visit": VISIT, "detector": 94}
    assert reported_errors == []


def test_cancel_adds_nothing(qtbot, glue_app, client, sample):
    dialog = run_dialog(qtbot, glue_app, client, f"sample:{sample.root}", "0-60", cancel_at=1)
    assert dialog.status.text() == "Cancelled"
    assert len(glue_app.data_collection) == 0
    assert dialog.run_button.isEnabled()


def test_bad_fields_are_reported_not_run(qtbot, glue_app, client, reported_errors):
    dialog = SurveyDialog(glue_app, scheduler=client)
    qtbot.addWidget(dialog)
    dialog.visits.setText("five")
    dialog.run_button.click()
    assert dialog.worker is None
    assert reported_errors[0][0] == "Visit background survey…"


def test_a_session_saves_the_survey_by_recipe(qtbot, glue_app, client, sample, tmp_path):
    from glue_qt.app import GlueApplication

    dialog = run_dialog(qtbot, glue_app, client, f"sample:{sample.root}")
    before = dialog.datasets[1].get_component("background").data.copy()
    session = tmp_path / "survey.glu"
    glue_app.save_session(str(session))
    text = session.read_text()
    assert "load_survey" in text
    assert len(text) < 200_000  # the recipe, not 1270 x 1272 pixels
    restored = GlueApplication.restore_session(str(session))
    try:
        table = restored.data_collection["survey"]
        mosaic = restored.data_collection[f"mosaic {VISIT}"]
        np.testing.assert_array_equal(mosaic.get_component("background").data, before)
        assert mosaic._key_joins[table][0][1] is mosaic.id["detector"]
        restored.data_collection.new_subset_group("bright", table.id["mean"] > 4000)
        assert list(table.get_component("detector").data[table.subsets[-1].to_mask()]) == [113]
        pixels = mosaic.subsets[-1].to_mask()
        assert set(mosaic.get_component("detector").data[pixels].astype(int)) == {113}
    finally:
        restored.close()


def _double_click_detector(viewer, mosaic, detector):
    """A real matplotlib double-click on ``detector``'s pixels of the mosaic viewer."""
    from matplotlib.backend_bases import MouseButton, MouseEvent

    y, x = np.argwhere(mosaic.get_component("detector").data == detector).mean(axis=0)
    canvas = viewer.axes.figure.canvas
    canvas.draw()
    px, py = viewer.axes.transData.transform((x, y))
    event = MouseEvent("button_press_event", canvas, px, py, MouseButton.LEFT, dblclick=True)
    canvas.callbacks.process("button_press_event", event)


def test_double_clicks_open_detectors_in_a_restored_session(
    qtbot, glue_app, client, sample, tmp_path, reported_errors
):
    from glue_qt.app import GlueApplication

    run_dialog(qtbot, glue_app, client, f"sample:{sample.root}")
    session = tmp_path / "survey.glu"
    glue_app.save_session(str(session))
    restored = GlueApplication.restore_session(str(session))
    try:
        viewers = {type(v).__name__: v for v in restored.viewers[0]}
        assert {"SurveyMosaicViewer", "SurveyTableViewer"} <= set(viewers)
        mosaic = restored.data_collection[f"mosaic {VISIT}"]
        _double_click_detector(viewers["SurveyMosaicViewer"], mosaic, 75)
        calexp = restored.data_collection[f"calexp_{VISIT}_75"]
        assert "background" in [c.label for c in calexp.components]
        table_viewer = viewers["SurveyTableViewer"]
        table_viewer.ui.table.doubleClicked.emit(table_viewer.model.index(4, 0))
        background = restored.data_collection[f"calexpBackground_{VISIT}_94"]
        assert background.meta["provenance"]["data_id"] == {"visit": VISIT, "detector": 94}
        assert reported_errors == []
    finally:
        restored.close()

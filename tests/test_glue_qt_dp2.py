"""The Qt side of DP2 images, headless: Backgrounds…, Apply background…, Difference of backgrounds…,
the refusal and the calibration question, the statistics panel's unit and semantics note.
"""

from __future__ import annotations

from pathlib import Path

import _dp1_products as dp1
import numpy as np
import pytest
from glue.core.roi import RectangularROI
from glue.core.subset import RoiSubsetState
from test_glue_qt import _all_viewers, _new_viewers, _screenshot, _trigger

from glue_skybkg.qt import calibration, layer_actions, named_backgrounds, stats_dock
from glue_skybkg.qt.display import show_component

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def test_the_actions_are_registered(glue_app):
    for label in (
        named_backgrounds.BACKGROUNDS,
        named_backgrounds.APPLY_BACKGROUND,
        named_backgrounds.DIFFERENCE_OF_BACKGROUNDS,
    ):
        assert label in glue_app._layer_widget._actions


def test_the_backgrounds_dialog_lists_shows_and_applies(glue_app, lsst_images_dir, reported_errors):
    visit = glue_app.load_data(str(lsst_images_dir / "visit_01_typical.fits"))
    image_viewer = show_component(glue_app, visit, "image")
    named_backgrounds.open_dialogs.clear()
    _trigger(glue_app, visit, named_backgrounds.BACKGROUNDS)
    (dialog,) = named_backgrounds.open_dialogs
    assert dialog.isVisible()
    assert not dialog.isModal()
    table = dialog.table
    rows = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(2)]
    assert rows[0][:4] == ["subtracted", "✓", "electron", "SPLINE 5x8"]
    assert rows[1][:4] == ["skyCorr", "", "electron", "SPLINE 3x4 + CHEBYSHEV 1x1"]
    assert rows[1][4] == "Focal-plane sky correction: coarse spline plus a constant offset."
    dialog.resize(1000, 260)
    dialog.table.resizeRowsToContents()
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "dp2-backgrounds-dialog.png"))

    table.selectRow(1)
    assert dialog.selected() == "skyCorr"
    viewer = dialog.show_selected()
    assert viewer is not image_viewer  # beside the image, never over it (issue 10)
    assert image_viewer.state.layers[-1].attribute.label == "image"
    layer = viewer.state.layers[0]
    assert layer.attribute.label == "background: skyCorr"
    assert layer.stretch == "linear"
    _screenshot(viewer, "dp2-skycorr-layer")

    before = _all_viewers(glue_app)
    applied = dialog.apply_selected()
    assert applied in _new_viewers(glue_app, before)
    assert applied.state.layers[0].attribute.label == "image + subtracted - skyCorr"
    _screenshot(applied, "dp2-skycorr-applied")
    dialog.close()
    assert named_backgrounds.open_dialogs == []
    assert reported_errors == []


def test_apply_over_a_subsets_bounding_box(glue_app, lsst_images_dir, reported_errors, monkeypatch):
    visit = glue_app.load_data(str(lsst_images_dir / "visit_05_offset.fits"))
    state = RoiSubsetState(
        visit.pixel_component_ids[1],
        visit.pixel_component_ids[0],
        RectangularROI(9.5, 59.5, 19.5, 49.5),
    )
    group = glue_app.data_collection.new_subset_group("patch", state)
    asked = []
    monkeypatch.setattr(
        named_backgrounds,
        "choose_background",
        lambda title, prompt, names: asked.append(names) or names[0],
    )
    _trigger(glue_app, group, named_backgrounds.APPLY_BACKGROUND)
    assert asked == [["subtracted"]]  # the one not subtracted (skyCorr is, in this file)
    x0, y0 = visit.meta["xy0"]
    label = f"image + skyCorr - subtracted [x {x0 + 10}:{x0 + 60}, y {y0 + 20}:{y0 + 50}]"
    values = visit[label]
    assert np.isfinite(values[20:50, 10:60]).all()
    assert np.isnan(values[:20]).all()
    assert reported_errors == []


def test_difference_of_backgrounds_asks_for_two(
    glue_app, lsst_images_dir, reported_errors, monkeypatch
):
    visit = glue_app.load_data(str(lsst_images_dir / "visit_01_typical.fits"))
    answers = iter(["subtracted", "skyCorr"])
    monkeypatch.setattr(named_backgrounds, "choose_background", lambda *_: next(answers))
    before = _all_viewers(glue_app)
    _trigger(glue_app, visit, named_backgrounds.DIFFERENCE_OF_BACKGROUNDS)
    (viewer,) = _new_viewers(glue_app, before)
    assert viewer.state.layers[0].attribute.label == "background: subtracted - skyCorr"
    _screenshot(viewer, "dp2-difference-of-backgrounds")
    assert reported_errors == []


def test_afw_images_say_they_have_no_named_backgrounds(glue_app, glue_products, reported_errors):
    calexp = glue_app.load_data(str(glue_products["paths"]["calexp"]))
    _trigger(glue_app, calexp, named_backgrounds.BACKGROUNDS)
    assert "has no named backgrounds" in reported_errors[-1][1]
    assert "Show background" in reported_errors[-1][1]


def test_restore_refused_then_calibrated_when_the_user_gives_a_factor(
    glue_app, tmp_path, reported_errors, monkeypatch
):
    glue_app.load_data(
        [
            str(dp1.write_visit_image(tmp_path / dp1.butler_name("visit_image"))),
            str(dp1.write_background_file(tmp_path / dp1.butler_name("visit_image_background"))),
        ]
    )
    (image,) = list(glue_app.data_collection)
    questions = []
    monkeypatch.setattr(calibration, "ask_calibration", lambda title, why: questions.append(why))
    _trigger(glue_app, image, layer_actions.RESTORE_BACKGROUND)  # cancelled: refused, nothing added
    assert "DP1 visit images carry PhotoCalib = 1" in questions[0]
    # GUI words only, found in a real window: no "calibration=", no "nothing was added" yet
    assert "calibration=" not in questions[0]
    assert "nothing was added" not in questions[0]
    assert reported_errors[-1][1].endswith("Nothing was added.")
    assert "calibration=" not in reported_errors[-1][1]
    assert not [c for c in image.components if c.label.startswith("image + background")]
    monkeypatch.setattr(calibration, "ask_calibration", lambda title, why: dp1.CALIBRATION)
    before = _all_viewers(glue_app)
    _trigger(glue_app, image, layer_actions.RESTORE_BACKGROUND)
    (viewer,) = _new_viewers(glue_app, before)
    label = viewer.state.layers[0].attribute.label
    assert label == "image + background (x0.8125 nJy per count, approximate)"
    expected = image["image"] + dp1.background_model().render() * np.float32(dp1.CALIBRATION)
    np.testing.assert_array_equal(image[label], expected)


def test_the_statistics_panel_states_the_unit_and_the_semantics_note(
    glue_app, lsst_images_dir, reported_errors
):
    visit = glue_app.load_data(str(lsst_images_dir / "visit_01_typical.fits"))
    from glue_skybkg import actions

    actions.show_named_background(visit, "subtracted")
    _trigger(glue_app, visit, layer_actions.STATISTICS)
    (dock,) = stats_dock.statistics_docks(glue_app)
    panel = dock.panel
    panel.component.setCurrentText("background: subtracted")
    text = panel.text.toPlainText().splitlines()
    assert text[-2] == "Unit: electron"
    assert text[-1].startswith("afw semantics (what the pipeline subtracted) differ")
    dock.grab().save(str(ARTIFACTS / "dp2-statistics-panel.png"))
    panel.component.setCurrentText("image")
    assert panel.text.toPlainText().splitlines()[-1] == "Unit: nJy"
    dock.close()
    assert reported_errors == []


@pytest.mark.parametrize("kind", ["dp2_visit", "dp2_coadd"])
def test_the_fetch_dialog_offers_the_dp2_products(glue_app, kind):
    from glue_skybkg.qt import fetch_dialog

    dialog = fetch_dialog.open_sky_backgrounds(glue_app.session, glue_app.data_collection)
    index = dialog.product.findData(kind)
    assert index >= 0
    dialog.product.setCurrentIndex(index)
    assert (
        dialog.data_id.text()
        == {
            "dp2_visit": "visit=512055, detector=75",
            "dp2_coadd": "tract=4226, patch=17, band=r",
        }[kind]
    )
    dialog.close()

"""The Qt side, headless: menu item, layer actions, toolbar tools, statistics panel, screenshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from glue.core.roi import RectangularROI
from glue.core.subset import RoiSubsetState

from glue_skybkg import analysis
from glue_skybkg.qt import fetch_dialog, layer_actions
from glue_skybkg.qt.display import find_application

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _load(app, glue_products, *names):
    app.load_data([str(glue_products["paths"][name]) for name in names])
    return {
        d.label.rsplit("_", 3)[0] if d.label.endswith("_r") else d.label.split("_")[0]: d
        for d in app.data_collection
    }


def _trigger(app, data_or_subset, label):
    widget = app._layer_widget
    widget.ui.layerTree.set_selected_layers([data_or_subset])
    action = widget._actions[label]
    assert action.isVisible()
    assert action.isEnabled()
    action.trigger()


def _screenshot(viewer, name):
    ARTIFACTS.mkdir(exist_ok=True)
    figure = viewer.axes.figure
    figure.set_size_inches(6, 4.5)
    path = ARTIFACTS / f"{name}.png"
    figure.savefig(path, dpi=100, bbox_inches="tight")
    return path


def _new_viewers(app, before):
    return [v for tab in app.viewers for v in tab if v not in before]


def _all_viewers(app):
    return [v for tab in app.viewers for v in tab]


def test_menu_item_and_layer_actions_are_registered(glue_app):
    assert fetch_dialog.MENU_LABEL in [a.text() for a in glue_app._actions["plugins"]]
    for label in (
        layer_actions.SHOW_BACKGROUND,
        layer_actions.RESTORE_BACKGROUND,
        layer_actions.DIFFERENCE,
        layer_actions.STATISTICS,
        layer_actions.COMPARE,
    ):
        assert label in glue_app._layer_widget._actions
    assert find_application(glue_app.data_collection) is glue_app


def test_open_data_attaches_the_background(glue_app, glue_products):
    data = _load(glue_app, glue_products, "calexp", "calexpBackground")
    assert list(data) == ["calexp"]
    np.testing.assert_array_equal(data["calexp"]["background"], glue_products["background"])


def test_show_restore_and_screenshots(glue_app, glue_products, reported_errors):
    calexp = _load(glue_app, glue_products, "calexp", "calexpBackground")["calexp"]
    before = _all_viewers(glue_app)
    _trigger(glue_app, calexp, layer_actions.SHOW_BACKGROUND)
    (bkg_viewer,) = _new_viewers(glue_app, before)
    layer = bkg_viewer.state.layers[0]
    assert layer.attribute.label == "background"
    assert layer.stretch == "linear"
    zscale = analysis.zscale_limits(glue_products["background"])
    assert (layer.v_min, layer.v_max) == zscale
    assert bkg_viewer.state.title == f"{calexp.label} background"  # a file: no dataset type

    # with the image shown, the background becomes a second layer of that viewer, once
    from glue_skybkg.qt.display import show_component

    image_viewer = show_component(glue_app, calexp, "image")
    before = _all_viewers(glue_app)
    for _ in range(2):
        _trigger(glue_app, calexp, layer_actions.SHOW_BACKGROUND)
    assert _new_viewers(glue_app, before) == []
    assert len(bkg_viewer.state.layers) == 1
    image_layer, bkg_layer = image_viewer.state.layers
    assert image_layer.attribute.label == "image"
    assert image_layer.stretch == "arcsinh"
    assert image_viewer.state.title == calexp.label
    assert bkg_layer.layer is calexp
    assert bkg_layer.attribute.label == "background"
    assert bkg_layer.stretch == "linear"
    assert (bkg_layer.v_min, bkg_layer.v_max) == zscale
    assert bkg_layer.alpha == 1.0
    assert image_layer.alpha == 0.8
    image_viewer.axes.figure.canvas.draw()
    assert [artist.enabled for artist in image_viewer.layers] == [True, True]

    before = _all_viewers(glue_app)
    _trigger(glue_app, calexp, layer_actions.RESTORE_BACKGROUND)
    _trigger(glue_app, calexp, layer_actions.RESTORE_BACKGROUND)  # the second adds nothing
    restored_viewers = _new_viewers(glue_app, before)
    labels = [c.label for c in calexp.components]
    assert labels.count("image + background") == 1
    restored = glue_products["calexp_image"] + glue_products["background"]
    np.testing.assert_array_equal(calexp["image + background"], restored)
    layer = restored_viewers[0].state.layers[0]
    assert layer.stretch == "arcsinh"
    assert restored_viewers[0].state.title == f"{calexp.label} + background"
    assert (layer.v_min, layer.v_max) == analysis.zscale_limits(restored)
    assert reported_errors == []

    bkg_layer.visible = False  # the calexp screenshot shows the image layer
    for viewer, name in (
        (image_viewer, "calexp"),
        (bkg_viewer, "background"),
        (restored_viewers[0], "restored"),
    ):
        path = _screenshot(viewer, name)
        assert path.stat().st_size > 10_000


def test_difference_and_compare_actions(glue_app, glue_products, reported_errors, monkeypatch):
    data = _load(
        glue_app,
        glue_products,
        "deepCoadd",
        "deepCoadd_calexp",
        "deepCoadd_calexp_background",
        "calexp",
    )
    coadd, coadd_calexp = data["deepCoadd"], data["deepCoadd"]
    coadd = next(d for d in glue_app.data_collection if d.label == "deepCoadd_4226_17_r")
    coadd_calexp = next(
        d for d in glue_app.data_collection if d.label == "deepCoadd_calexp_4226_17_r"
    )
    asked = []

    def choose(title, candidates):
        asked.append((title, [d.label for d in candidates]))
        return coadd_calexp

    monkeypatch.setattr(layer_actions, "choose_data", choose)
    before = _all_viewers(glue_app)
    _trigger(glue_app, coadd, layer_actions.DIFFERENCE)
    assert asked == [(layer_actions.DIFFERENCE, ["deepCoadd_calexp_4226_17_r"])]
    (diff_viewer,) = _new_viewers(glue_app, before)
    assert diff_viewer.state.title == "deepCoadd_4226_17_r - deepCoadd_calexp_4226_17_r"
    truth = glue_products["coadd_image"].astype(np.float64) - glue_products["coadd_calexp_image"]
    np.testing.assert_array_equal(coadd["image - deepCoadd_calexp_4226_17_r"], truth)
    _screenshot(diff_viewer, "difference")

    calexp = next(d for d in glue_app.data_collection if d.label.startswith("calexp"))
    _trigger(glue_app, calexp, layer_actions.DIFFERENCE)
    assert "no other open image is on the pixel grid" in reported_errors[-1][1]

    layer_actions.open_panels.clear()
    _trigger(glue_app, coadd, layer_actions.COMPARE)
    panel = layer_actions.open_panels[-1]
    residual = truth - np.float32(0.37)
    assert panel.statistics.mean == pytest.approx(
        float(residual.astype(np.float64).mean()), abs=1e-12
    )
    assert panel.statistics.max == pytest.approx(float(residual.max()))
    assert abs(panel.statistics.mean) < 1e-6
    panel.close()


def test_statistics_panel_whole_subset_and_mask_planes(glue_app, glue_products):
    calexp = _load(glue_app, glue_products, "calexp", "calexpBackground")["calexp"]
    layer_actions.open_panels.clear()
    _trigger(glue_app, calexp, layer_actions.STATISTICS)
    panel = layer_actions.open_panels[-1]
    background = glue_products["background"].astype(np.float64)
    assert panel.component.currentText() == "background"
    assert panel.statistics.median == pytest.approx(np.median(background), rel=1e-12)
    assert panel.statistics.std == pytest.approx(background.std(), rel=1e-12)
    assert panel.text.toPlainText().splitlines()[0] == "Number of pixels: 30000"
    assert panel.histogram_counts().sum() == 30000
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

    state = RoiSubsetState(
        calexp.pixel_component_ids[1],
        calexp.pixel_component_ids[0],
        RectangularROI(-0.5, 49.5, -0.5, 29.5),
    )
    subset_group = glue_app.data_collection.new_subset_group("corner", state)
    _trigger(glue_app, subset_group, layer_actions.STATISTICS)  # the tree selects groups
    panel = layer_actions.open_panels[-1]
    assert panel.subset.currentText() == "corner"
    assert panel.statistics.n_pixels == 50 * 30
    assert panel.statistics.mean == pytest.approx(background[:30, :50].mean(), rel=1e-12)

    # closing drops the panel from open_panels and deletes it (no leak)
    from qtpy.QtCore import QCoreApplication, QEvent

    panels = list(layer_actions.open_panels)
    assert len(panels) == 2
    destroyed = []
    panels[0].destroyed.connect(lambda *_: destroyed.append(1))
    panels[0].close()
    assert layer_actions.open_panels == panels[1:]
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert destroyed == [1]
    panels[1].close()
    assert layer_actions.open_panels == []


def test_toolbar_tools(glue_app, glue_products, reported_errors):
    from glue_skybkg.qt.display import show_component

    calexp = _load(glue_app, glue_products, "calexp", "calexpBackground")["calexp"]
    viewer = show_component(glue_app, calexp, "image", "linear")
    layer = viewer.state.layers[0]
    layer.stretch, layer.percentile = "linear", 100
    viewer.toolbar.tools["skybkg:zscale"].activate()
    assert (layer.v_min, layer.v_max) == analysis.zscale_limits(glue_products["calexp_image"])
    assert layer.stretch == "linear"
    assert layer.percentile == "Custom"
    layer.percentile = 100
    viewer.toolbar.tools["skybkg:notebook"].activate()
    assert layer.stretch == "arcsinh"
    assert (layer.v_min, layer.v_max) == analysis.zscale_limits(glue_products["calexp_image"])

    contours = viewer.toolbar.tools["skybkg:contours"]
    viewer.toolbar.active_tool = "skybkg:contours"
    assert contours.contours is not None
    levels = contours.contours.levels
    vmin, vmax = analysis.zscale_limits(glue_products["background"])
    assert levels[0] > vmin
    assert levels[-1] < vmax
    assert len(levels) == 8
    _screenshot(viewer, "calexp-background-contours")
    viewer.toolbar.active_tool = "skybkg:overlay"  # contours off, overlay on
    assert contours.contours is None
    overlay = viewer.toolbar.tools["skybkg:overlay"].overlay
    np.testing.assert_array_equal(overlay.get_array(), glue_products["background"])
    assert overlay.get_extent() == [-0.5, 199.5, -0.5, 149.5]
    _screenshot(viewer, "calexp-background-overlay")
    viewer.toolbar.active_tool = None
    assert viewer.toolbar.tools["skybkg:overlay"].overlay is None
    assert reported_errors == []

    coadd = glue_app.load_data(str(glue_products["paths"]["deepCoadd"]))
    other = show_component(glue_app, coadd, "image")
    other.toolbar.active_tool = "skybkg:contours"
    assert "has no background attached" in reported_errors[-1][1]


def test_fetch_dialog_from_a_folder_source(
    glue_app, glue_products, qtbot, reported_errors, tmp_path
):
    (menu_item,) = [a for a in glue_app._actions["plugins"] if a.text() == fetch_dialog.MENU_LABEL]
    menu_item.trigger()
    (dialog,) = glue_app.findChildren(fetch_dialog.SkyBackgroundsDialog)
    assert dialog.isVisible()
    assert not dialog.isModal()
    dialog.source_kind.setCurrentText("Folder")
    dialog.location.setText(str(glue_products["root"]))
    dialog.token.setText("tok-9f8e7d6c5b4a")  # ignored by a folder, and never saved
    dialog.product.setCurrentIndex(1)
    assert dialog.data_id.text() == "tract=4226, patch=17, band=r"
    dialog.fetch_button.click()
    qtbot.waitUntil(lambda: bool(dialog.fetched), timeout=20_000)
    assert reported_errors == []
    labels = sorted(d.label for d in glue_app.data_collection)
    assert labels == ["deepCoadd", "deepCoadd_calexp"]  # the background attached itself
    coadd_calexp = next(d for d in glue_app.data_collection if d.label == "deepCoadd_calexp")
    np.testing.assert_array_equal(coadd_calexp["background"], glue_products["coadd_background"])
    assert coadd_calexp.meta["provenance"]["data_id"] == {"tract": 4226, "patch": 17, "band": "r"}
    assert dialog.progress.value() == 3
    # the dialog keeps its worker thread privately: QObject.thread() still answers
    assert dialog.thread() is dialog.application.thread()
    dialog.close()
    session = tmp_path / "fetched.glu"
    glue_app.save_session(str(session), absolute_paths=False)
    text = session.read_text()
    assert "tok-9f8e7d6c5b4a" not in text
    assert "deepCoadd_calexp_background" in text


def test_fetch_dialog_reports_errors_and_cancels(glue_app, glue_products, qtbot, reported_errors):
    dialog = fetch_dialog.open_sky_backgrounds(glue_app.session, glue_app.data_collection)
    dialog.source_kind.setCurrentText("Folder")
    dialog.location.setText(str(glue_products["root"]))
    dialog.data_id.setText("visit=1, detector=2")
    dialog.fetch_button.click()
    qtbot.waitUntil(lambda: bool(reported_errors), timeout=20_000)
    assert reported_errors[0][0] == fetch_dialog.MENU_LABEL
    assert "calexp" in reported_errors[0][1]
    assert dialog.fetch_button.isEnabled()
    assert len(glue_app.data_collection) == 0

    dialog.data_id.setText("visit=512055, detector=75")
    dialog.fetch_button.click()
    dialog.cancel_fetch()  # before the worker's first product
    qtbot.waitUntil(lambda: dialog.fetch_button.isEnabled(), timeout=20_000)
    assert dialog.status.text() == "Cancelled"
    assert len(glue_app.data_collection) == 0
    dialog.close()


def test_source_spec():
    assert fetch_dialog.source_spec("Sample data set", "") == "sample:"
    assert fetch_dialog.source_spec("Butler repository", "/repo", "2.2i/runs/DP0.2") == (
        "butler:/repo?collections=2.2i/runs/DP0.2"
    )
    assert fetch_dialog.source_spec("RSP TAP service", " https://x/api/tap ") == (
        "https://x/api/tap"
    )


def test_run_glue_opens_the_notebook_view(qapp, glue_products, reported_errors):
    from glue_skybkg.qt.launch import run_glue

    paths = glue_products["paths"]
    app = run_glue([str(paths["calexpBackground"]), str(paths["calexp"])], block=False)
    try:
        (calexp,) = app.data_collection
        np.testing.assert_array_equal(calexp["background"], glue_products["background"])
        (viewer,) = _all_viewers(app)
        layer = viewer.state.layers[0]
        assert (layer.layer, layer.attribute.label, layer.stretch) == (calexp, "image", "arcsinh")
        assert (layer.v_min, layer.v_max) == analysis.zscale_limits(glue_products["calexp_image"])
    finally:
        app.close()
    assert reported_errors == []


def test_run_glue_names_datasets_by_path(qapp, glue_products, reported_errors):
    from glue_skybkg.qt.launch import run_glue

    paths = glue_products["paths"]
    labels = {str(paths["calexp"]): "calexp_512055_75"}
    app = run_glue(
        [str(paths["calexpBackground"]), str(paths["calexp"])], block=False, labels=labels
    )
    try:
        (calexp,) = app.data_collection
        assert calexp.label == "calexp_512055_75"
        np.testing.assert_array_equal(calexp["background"], glue_products["background"])
        (viewer,) = _all_viewers(app)
        assert viewer.state.layers[0].layer is calexp
    finally:
        app.close()
    assert reported_errors == []


def test_launch_command_line_parses_labels():
    import subprocess
    import sys

    from glue_skybkg.qt import launch

    assert launch._label_argument("/d/a=b.fits=calexp_1") == ("/d/a=b.fits", "calexp_1")
    with pytest.raises(Exception, match="PATH=LABEL"):
        launch._label_argument("calexp.fits")
    out = subprocess.run(
        [sys.executable, "-m", "glue_skybkg.qt.launch", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--label PATH=LABEL" in out
    assert "PATH [PATH ...]" in out

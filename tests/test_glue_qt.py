"""The Qt side, headless: menu item, layer actions, toolbar tools, statistics panel, screenshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glue_skybkg import analysis
from glue_skybkg.qt import fetch_dialog, layer_actions
from glue_skybkg.qt.display import find_application
from glue_skybkg.qt.stats_dock import statistics_docks

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
        layer_actions.ATTACH,
    ):
        assert label in glue_app._layer_widget._actions
    assert find_application(glue_app.data_collection) is glue_app


def test_open_data_attaches_the_background(glue_app, glue_products):
    data = _load(glue_app, glue_products, "calexp", "calexpBackground")
    assert list(data) == ["calexp"]
    np.testing.assert_array_equal(data["calexp"]["background"], glue_products["background"])


def test_show_background_opens_beside_the_image_once(glue_app, glue_products, reported_errors):
    from glue_skybkg.qt.colorbar import ColourBarImageLayerArtist
    from glue_skybkg.qt.display import show_component

    glue_app.resize(1600, 1000)
    glue_app.show()  # a window wide enough for two viewers side by side
    calexp = _load(glue_app, glue_products, "calexp", "calexpBackground")["calexp"]
    image_viewer = show_component(glue_app, calexp, "image")
    before = _all_viewers(glue_app)
    _trigger(glue_app, calexp, layer_actions.SHOW_BACKGROUND)
    (bkg_viewer,) = _new_viewers(glue_app, before)
    # the image's viewer is untouched: the background is beside it, not over it
    assert [(s.attribute.label, s.alpha) for s in image_viewer.state.layers] == [("image", 0.8)]
    layer = bkg_viewer.state.layers[0]
    assert layer.attribute.label == "background"
    assert layer.stretch == "linear"
    zscale = analysis.zscale_limits(glue_products["background"])
    assert (layer.v_min, layer.v_max) == zscale
    assert bkg_viewer.state.title == f"{calexp.label} background"  # a file: no dataset type
    assert isinstance(bkg_viewer.layers[0], ColourBarImageLayerArtist)
    x, y = image_viewer.position
    assert bkg_viewer.position == (x + image_viewer.viewer_size[0], y)
    # a second click brings that viewer forward instead of opening another
    glue_app.current_tab.setActiveSubWindow(image_viewer.parentWidget())
    _trigger(glue_app, calexp, layer_actions.SHOW_BACKGROUND)
    assert _new_viewers(glue_app, before) == [bkg_viewer]
    assert glue_app.current_tab.activeSubWindow() is bkg_viewer.parentWidget()
    assert reported_errors == []
    _screenshot(image_viewer, "calexp")
    _screenshot(bkg_viewer, "background")


def _rect(viewer):
    (x, y), (w, h) = viewer.position, viewer.viewer_size
    return x, y, x + w, y + h


def _overlap(a, b):
    ax0, ay0, ax1, ay1 = _rect(a)
    bx0, by0, bx1, by1 = _rect(b)
    return ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1


@pytest.mark.parametrize("width", [1600, 900])
def test_viewers_beside_the_image_never_cover_each_other(
    glue_app, glue_products, reported_errors, width
):
    """Show background, then Restore: each opens in free room (found in a real X window:
    the restored viewer used to land exactly on the background's, and in a narrow window
    a third viewer below the visible area).
    """
    from glue_skybkg.qt.display import show_component

    glue_app.resize(width, 1000)
    glue_app.show()
    calexp = _load(glue_app, glue_products, "calexp", "calexpBackground")["calexp"]
    image_viewer = show_component(glue_app, calexp, "image")
    _trigger(glue_app, calexp, layer_actions.SHOW_BACKGROUND)
    _trigger(glue_app, calexp, layer_actions.RESTORE_BACKGROUND)
    viewers = _all_viewers(glue_app)
    assert len(viewers) == 3
    area = image_viewer.parentWidget().mdiArea()
    placed = [v for v in viewers if v is not image_viewer]  # glue placed the first one
    width, height = image_viewer.viewer_size
    if (area.width() // width) * (area.height() // height) >= 3:  # room for three
        for i, a in enumerate(viewers):
            for b in viewers[i + 1 :]:
                assert not _overlap(a, b), (_rect(a), _rect(b))
        for v in placed:
            x0, y0, x1, y1 = _rect(v)
            assert min(x0, y0) >= 0
            assert x1 <= area.width()
            assert y1 <= area.height()
    else:  # no room for three: cascaded, every title bar in view
        corners = [v.position for v in viewers]
        assert len(set(corners)) == 3, corners
        assert all(0 <= v.position[0] < area.width() and 0 <= v.position[1] for v in placed)
    assert reported_errors == []


def test_restore_twice_focuses_the_first_viewer(glue_app, glue_products, reported_errors):
    calexp = _load(glue_app, glue_products, "calexp", "calexpBackground")["calexp"]
    before = _all_viewers(glue_app)
    _trigger(glue_app, calexp, layer_actions.RESTORE_BACKGROUND)
    (restored_viewer,) = _new_viewers(glue_app, before)
    other = _all_viewers(glue_app)
    from glue_skybkg.qt.display import show_component

    image_viewer = show_component(glue_app, calexp, "image")
    assert glue_app.current_tab.activeSubWindow() is image_viewer.parentWidget()
    _trigger(glue_app, calexp, layer_actions.RESTORE_BACKGROUND)  # adds nothing, opens nothing
    assert _new_viewers(glue_app, other) == [image_viewer]
    assert glue_app.current_tab.activeSubWindow() is restored_viewer.parentWidget()
    assert [c.label for c in calexp.components].count("image + background") == 1
    restored = glue_products["calexp_image"] + glue_products["background"]
    np.testing.assert_array_equal(calexp["image + background"], restored)
    layer = restored_viewer.state.layers[0]
    assert layer.stretch == "arcsinh"
    assert restored_viewer.state.title == f"{calexp.label} + background"
    assert (layer.v_min, layer.v_max) == analysis.zscale_limits(restored)
    assert reported_errors == []
    _screenshot(restored_viewer, "restored")


def test_difference_and_compare_actions(glue_app, glue_products, reported_errors):
    _load(
        glue_app,
        glue_products,
        "deepCoadd",
        "deepCoadd_calexp",
        "deepCoadd_calexp_background",
        "calexp",
    )
    coadd = next(d for d in glue_app.data_collection if d.label == "deepCoadd_4226_17_r")
    coadd_calexp = next(
        d for d in glue_app.data_collection if d.label == "deepCoadd_calexp_4226_17_r"
    )
    before = _all_viewers(glue_app)
    _trigger(glue_app, coadd, layer_actions.DIFFERENCE)  # one candidate: taken as is
    (diff_viewer,) = _new_viewers(glue_app, before)
    assert diff_viewer.state.title == "deepCoadd_4226_17_r - deepCoadd_calexp_4226_17_r"
    truth = glue_products["coadd_image"].astype(np.float64) - glue_products["coadd_calexp_image"]
    np.testing.assert_array_equal(coadd["image - deepCoadd_calexp_4226_17_r"], truth)
    _screenshot(diff_viewer, "difference")

    calexp = next(d for d in glue_app.data_collection if d.label.startswith("calexp"))
    _trigger(glue_app, calexp, layer_actions.DIFFERENCE)
    assert "no other open image is on the pixel grid" in reported_errors[-1][1]
    _trigger(glue_app, calexp, layer_actions.COMPARE)
    assert "checks a coadd pair" in reported_errors[-1][1]
    assert coadd_calexp.label in reported_errors[-1][1]

    _trigger(glue_app, coadd, layer_actions.COMPARE)
    (dock,) = statistics_docks(glue_app)
    panel = dock.panel
    assert panel.component.currentText() == "image - deepCoadd_calexp_4226_17_r - background"
    residual = truth - np.float32(0.37)
    assert panel.statistics.mean == pytest.approx(
        float(residual.astype(np.float64).mean()), abs=1e-12
    )
    assert panel.statistics.max == pytest.approx(float(residual.max()))
    assert abs(panel.statistics.mean) < 1e-6
    panel.close()


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
    # named by dataset type and data id; the background attached itself
    assert labels == ["deepCoadd_4226_17_r", "deepCoadd_calexp_4226_17_r"]
    coadd_calexp = next(
        d for d in glue_app.data_collection if d.label == "deepCoadd_calexp_4226_17_r"
    )
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
    assert dialog.status.text() == "Failed (see the message)"
    assert len(glue_app.data_collection) == 0

    # a later success says so: no old "Failed" left beside it
    dialog.data_id.setText("visit=512055, detector=75")
    dialog.fetch_button.click()
    qtbot.waitUntil(lambda: bool(dialog.fetched), timeout=20_000)
    assert dialog.status.text() == "Added calexp_512055_75, calexpBackground_512055_75"
    assert dialog.progress.value() == 2
    glue_app.data_collection.clear()
    dialog.fetched = []

    dialog.data_id.setText("visit=512055, detector=75")
    dialog.fetch_button.click()
    dialog.cancel_fetch()  # before the worker's first product
    qtbot.waitUntil(lambda: dialog.fetch_button.isEnabled(), timeout=20_000)
    assert dialog.status.text() == "Cancelled: nothing was added"
    assert dialog.progress.value() == -1  # reset: no 100 % beside "Cancelled"
    assert len(glue_app.data_collection) == 0
    dialog.close()


def _fetch(dialog, qtbot, data_id):
    dialog.fetched = []
    dialog.data_id.setText(data_id)
    dialog.fetch_button.click()
    qtbot.waitUntil(
        lambda: dialog.fetch_button.isEnabled() and dialog.worker is None, timeout=20_000
    )


def test_fetched_datasets_are_named_by_data_id_and_not_fetched_twice(
    glue_app, two_detectors, qtbot, reported_errors
):
    dialog = fetch_dialog.open_sky_backgrounds(glue_app.session, glue_app.data_collection)
    dialog.source_kind.setCurrentText("Folder")
    dialog.location.setText(str(two_detectors["root"]))
    _fetch(dialog, qtbot, "visit=512055, detector=75")
    _fetch(dialog, qtbot, "visit=512055, detector=74")
    viewer74 = glue_app.current_tab.activeSubWindow().widget()
    assert viewer74.state.title == "calexp_512055_74"
    _fetch(dialog, qtbot, "visit=512055, detector=75")  # again: nothing new, its viewer first
    assert dialog.fetched == []
    assert dialog.status.text() == ("Already open: calexp_512055_75 (not fetched again)")
    assert sorted(d.label for d in glue_app.data_collection) == [
        "calexp_512055_74",
        "calexp_512055_75",
    ]
    titles = sorted(v.state.title for tab in glue_app.viewers for v in tab)
    assert titles == ["calexp_512055_74", "calexp_512055_75"]
    assert glue_app.current_tab.activeSubWindow().widget().state.title == "calexp_512055_75"
    calexp75 = next(d for d in glue_app.data_collection if d.label == "calexp_512055_75")
    _trigger(glue_app, calexp75, layer_actions.SHOW_BACKGROUND)
    assert glue_app.current_tab.activeSubWindow().widget().state.title == (
        "calexpBackground_512055_75"
    )
    assert reported_errors == []


def test_fetch_dialog_shows_only_the_fields_a_source_uses(glue_app, tmp_path):
    dialog = fetch_dialog.open_sky_backgrounds(glue_app.session, glue_app.data_collection)
    widgets = {
        "location": dialog.location,
        "browse": dialog.browse_button,
        "template": dialog.template,
        "collections": dialog.collections,
        "token": dialog.token,
    }
    shown = {}
    for kind in fetch_dialog.SOURCE_KINDS:
        dialog.source_kind.setCurrentText(kind)
        shown[kind] = sorted(name for name, w in widgets.items() if w.isVisibleTo(dialog))
    assert shown == {
        "Sample data set": [],
        "Folder": ["browse", "location", "template"],
        "Butler repository": ["browse", "collections", "location"],
        "RSP TAP service": ["location", "token"],
    }
    dialog.source_kind.setCurrentText("Folder")
    assert not dialog.form.labelForField(dialog.token).isVisibleTo(dialog)
    assert dialog.form.labelForField(dialog.template).text() == "File names"

    dialog.source_kind.setCurrentText("Butler repository")
    browser = dialog.browse()
    from qtpy.QtCore import Qt

    assert browser.windowModality() == Qt.WindowModality.NonModal
    assert browser.fileMode() == browser.Directory
    browser.selectFile(str(tmp_path))
    browser.accept()  # the user picks a folder and presses Choose
    assert dialog.location.text() == str(tmp_path)
    browser.close()
    dialog.close()


def test_a_folder_with_a_file_name_template(
    glue_app, glue_products, qtbot, reported_errors, tmp_path
):
    import shutil

    for kind in ("calexp", "calexpBackground"):
        shutil.copy(glue_products["paths"][kind], tmp_path / f"{kind}-512055-75.fits")
    dialog = fetch_dialog.open_sky_backgrounds(glue_app.session, glue_app.data_collection)
    dialog.source_kind.setCurrentText("Folder")
    dialog.location.setText(str(tmp_path))
    dialog.template.setText("{dataset_type}-{visit}-{detector}.fits")
    _fetch(dialog, qtbot, "visit=512055, detector=75")
    assert reported_errors == []
    (calexp,) = glue_app.data_collection
    np.testing.assert_array_equal(calexp["background"], glue_products["background"])
    assert calexp.meta["provenance"]["source"] == (
        f"{tmp_path}?template=%7Bdataset_type%7D-%7Bvisit%7D-%7Bdetector%7D.fits"
    )


def test_source_spec():
    assert fetch_dialog.source_spec("Sample data set", "") == "sample:"
    assert fetch_dialog.source_spec("Butler repository", "/repo", "2.2i/runs/DP0.2") == (
        "butler:/repo?collections=2.2i/runs/DP0.2"
    )
    assert fetch_dialog.source_spec("RSP TAP service", " https://x/api/tap ") == (
        "https://x/api/tap"
    )
    assert fetch_dialog.source_spec("Folder", "/d", template="{dataset_type}_{visit}.fits") == (
        "/d?template=%7Bdataset_type%7D_%7Bvisit%7D.fits"
    )


def _views(app):
    return [
        (
            v.state.layers[0].layer.label,
            v.state.layers[0].attribute.label,
            v.state.layers[0].stretch,
        )
        for tab in app.viewers
        for v in tab
    ]


def test_run_glue_opens_the_notebook_views(qapp, glue_products, reported_errors):
    from glue_skybkg.qt.launch import run_glue

    paths = glue_products["paths"]
    app = run_glue([str(paths["calexpBackground"]), str(paths["calexp"])], block=False)
    try:
        (calexp,) = app.data_collection
        np.testing.assert_array_equal(calexp["background"], glue_products["background"])
        assert _views(app) == [
            ("calexp_512055_75", "image", "arcsinh"),
            ("calexp_512055_75", "background", "linear"),
            ("calexp_512055_75", "image + background", "arcsinh"),
        ]
        layer = app.viewers[0][0].state.layers[0]
        assert (layer.v_min, layer.v_max) == analysis.zscale_limits(glue_products["calexp_image"])
    finally:
        app.close()
    assert reported_errors == []


def test_the_demo_opens_the_example_sessions_views(qapp, tmp_path_factory, reported_errors):
    """Item 12: the calexp, its background, the restored image and the coadd difference."""
    from _sample_set import shared_sample

    from glue_skybkg.cli.demo import _gui_products
    from glue_skybkg.qt.launch import run_glue

    paths, labels = _gui_products(shared_sample(tmp_path_factory))
    app = run_glue([str(p) for p in paths], block=False, labels=labels)
    try:
        assert _views(app) == [
            ("calexp_512055_75", "image", "arcsinh"),
            ("calexp_512055_75", "background", "linear"),
            ("calexp_512055_75", "image + background", "arcsinh"),
            ("deepCoadd_4226_17_r", "image - deepCoadd_calexp_4226_17_r", "linear"),
        ]
        positions = [v.position for tab in app.viewers for v in tab]
        assert positions == [(0, 0), (600, 0), (0, 470), (600, 470)]
        attached = {
            d.label: float(np.mean(d["background"], dtype=float))
            for d in app.data_collection
            if "background" in [c.label for c in d.components]
        }
        assert sorted(attached) == [
            "calexp_512055_74",
            "calexp_512055_75",
            "calexp_512055_76",
            "deepCoadd_calexp_4226_17_r",
        ]
        assert len({round(v) for k, v in attached.items() if k.startswith("calexp")}) == 3
    finally:
        app.close()
    assert reported_errors == []


def test_run_glue_names_datasets_by_path(qapp, glue_products, reported_errors):
    from glue_skybkg.qt.launch import run_glue

    paths = glue_products["paths"]
    labels = {str(paths["calexp"]): "my calexp"}
    app = run_glue(
        [str(paths["calexpBackground"]), str(paths["calexp"])], block=False, labels=labels
    )
    try:
        (calexp,) = app.data_collection
        assert calexp.label == "my calexp"
        np.testing.assert_array_equal(calexp["background"], glue_products["background"])
        assert _views(app)[0] == ("my calexp", "image", "arcsinh")
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

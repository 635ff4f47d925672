"""The inspection actions in glue-qt, headless: the menu entries, panels, form and overlay."""

from __future__ import annotations

import numpy as np
from test_glue_qt import _load, _trigger

from glue_skybkg import analysis, inspection
from glue_skybkg.qt import inspect_actions
from glue_skybkg.qt.bin_grid_overlay import remove_bin_grid
from glue_skybkg.qt.entries_panel import EntriesPanel
from glue_skybkg.qt.estimate_dialog import EstimateDialog
from glue_skybkg.qt.profile_panel import ProfilePanel
from glue_skybkg.qt.stats_dock import statistics_docks
from glue_skybkg.qt.text_panel import TextPanel


def _last(kind):
    return [w for w in inspect_actions.open_windows if isinstance(w, kind)][-1]


def test_inspection_actions_from_the_layer_menu(glue_app, glue_products, reported_errors):
    data = _load(glue_app, glue_products, "calexp", "calexpBackground")["calexp"]
    widget = glue_app._layer_widget
    for label in (
        inspect_actions.ENTRIES,
        inspect_actions.SHOW_BIN_GRID,
        inspect_actions.RE_ESTIMATE,
        inspect_actions.PROFILE,
        inspect_actions.RESIDUAL,
    ):
        assert label in widget._actions

    _trigger(glue_app, data, inspect_actions.ENTRIES)
    panel = _last(EntriesPanel)
    assert panel.list.count() == 1
    assert panel.list.item(0).text() == "entry 0: AKIMA_SPLINE, 4x3 bins of 50.0x50.0 px"
    panel.show_button.click()  # a new viewer shows the entry: it equals the background
    entry = np.asarray(data.get_data(data.id["background entry 0"]))
    np.testing.assert_array_equal(entry, glue_products["background"])

    panel.grid_button.click()
    viewers = inspect_actions._image_viewers(glue_app, data)
    assert viewers
    lines, centres = viewers[0]._skybkg_bin_grid[:2]
    grid = inspection.bin_grid(data)
    xs = sorted({seg[0][0] for seg in lines.get_segments() if seg[0][0] == seg[1][0]})
    # drawn in the viewer's pixel coordinates: parent pixels minus the calexp's xy0 (1000, 2000)
    assert xs == (grid.x_edges - 1000).tolist()
    assert sorted(set(centres.get_xdata())) == (grid.x_centers - 1000).tolist()
    shown = [s.attribute.label for s in viewers[0].state.layers]
    assert "bins: background entry 0" in shown
    remove_bin_grid(viewers[0])
    assert viewers[0]._skybkg_bin_grid == []

    _trigger(glue_app, data, inspect_actions.RE_ESTIMATE)
    dialog = _last(EstimateDialog)
    # the largest bin size that makes the stored 4x3 grid of the 200x150 image
    assert dialog.settings()["bin_size"] == 66
    assert dialog.settings()["ignored_planes"] == ["BAD", "DETECTED", "NO_DATA"]
    dialog.bin_size.setValue(64)
    dialog.accept()
    (dock,) = statistics_docks(glue_app)
    stats = dock.panel
    assert (
        stats.component.currentText() == "background - re-estimate (64 px, meanclip, akima_spline)"
    )
    # the fixture's sky is the stored background, so the re-estimate is close to it
    assert abs(stats.statistics.median) < 3.0

    _trigger(glue_app, data, inspect_actions.PROFILE)
    profile = _last(ProfilePanel)
    assert profile.pick_button.isEnabled()
    result = profile.plot()
    assert result is not None
    assert set(result.curves) == {"image", "image + background", "background"}
    assert len(profile.figure.axes) == 2

    _trigger(glue_app, data, inspect_actions.RESIDUAL)
    text = _last(TextPanel).text.toPlainText()
    assert text.splitlines()[1].startswith("DETECTED")
    residual = [c.label for c in data.components if c.label.startswith("residual map")]
    assert residual == ["residual map (sky 1024 px, box 31 px)"]
    assert reported_errors == []


def test_profile_panel_picks_a_point_on_the_viewer(glue_app, glue_products):
    from matplotlib.backend_bases import MouseEvent

    data = _load(glue_app, glue_products, "calexp", "calexpBackground")["calexp"]
    _trigger(glue_app, data, inspect_actions.PROFILE)
    profile = _last(ProfilePanel)
    viewers = inspect_actions._image_viewers(glue_app, data)
    if not viewers:  # profile opened without a viewer: show one and pick on it
        from glue_qt.viewers.image import ImageViewer

        viewers = [glue_app.new_data_viewer(ImageViewer, data=data)]
        profile.viewer = viewers[0]
    axes = profile.viewer.axes
    canvas = axes.figure.canvas
    canvas.draw()
    profile.start_picking()
    x, y = axes.transData.transform((60.0, 70.0))
    for name in ("button_press_event", "button_release_event"):
        event = MouseEvent(name, canvas, x, y, button=1)
        assert event.inaxes is axes, (event.inaxes, x, y)
        canvas.callbacks.process(name, event)
    # the click at array (60, 70) is parent (1060, 2070): the calexp's xy0 is (1000, 2000)
    assert profile.center_x.value() == 1060.0
    assert profile.center_y.value() == 2070.0
    assert profile.profiles is not None
    # profiles leave out BAD, SAT and NO_DATA pixels (the fixture's row 70 has a BAD stretch)
    use = (glue_products["mask"] & 0b100000011) == 0
    expected = analysis.radial_profile(glue_products["calexp_image"], (60.0, 70.0), 75, use=use)
    got = profile.profiles.curves["image"]
    np.testing.assert_allclose(got.mean[:50], expected.mean[:50], rtol=1e-6)

"""Image-viewer tools: zscale, the notebook preset, background contours and overlay, colour bars.

Issue 10, items 3 and 16: contours and overlay are layers that stay on while other tools are
used, come back with a session, have labelled levels; the background and the overlay come
with a colour bar.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from glue.config import colormaps

from glue_skybkg import analysis
from glue_skybkg.qt.colorbar import ColourBarImageLayerArtist, colour_bar_artists
from glue_skybkg.qt.contours import BackgroundContourLayerArtist
from glue_skybkg.qt.display import show_component
from glue_skybkg.qt.tools import CONTOUR_LEVELS, OVERLAY_ALPHA

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _calexp_viewer(app, glue_products):
    app.load_data([str(glue_products["paths"][k]) for k in ("calexp", "calexpBackground")])
    (calexp,) = app.data_collection
    viewer = show_component(app, calexp, "image", "linear")
    viewer.axes.figure.canvas.draw()
    return calexp, viewer


def _contour_layers(viewer):
    return [a for a in viewer.layers if isinstance(a, BackgroundContourLayerArtist)]


def _save(viewer, name):
    ARTIFACTS.mkdir(exist_ok=True)
    viewer.axes.figure.set_size_inches(6, 4.5)
    viewer.axes.figure.savefig(ARTIFACTS / f"{name}.png", dpi=100)


def test_zscale_and_notebook_preset(glue_app, glue_products):
    _, viewer = _calexp_viewer(glue_app, glue_products)
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


def test_contours_stay_on_while_other_tools_are_used(glue_app, glue_products, reported_errors):
    calexp, viewer = _calexp_viewer(glue_app, glue_products)
    viewer.toolbar.tools["skybkg:contours"].activate()
    (contours,) = _contour_layers(viewer)
    assert contours.label == "calexp_512055_75 (background contours)"
    vmin, vmax = analysis.zscale_limits(glue_products["background"])
    levels = contours.contours.levels
    assert len(levels) == CONTOUR_LEVELS
    np.testing.assert_allclose(levels, np.linspace(vmin, vmax, CONTOUR_LEVELS + 2)[1:-1])
    # every level drawn is labelled with its value
    labelled = sorted({float(t.get_text()) for t in contours.level_labels})
    assert labelled
    assert all(min(abs(levels - value)) < 0.06 for value in labelled)
    _save(viewer, "calexp-background-contours")

    for tool_id in ("image:contrast_bias", "select:rectangle", "mpl:pan", None):
        if tool_id is None or tool_id in viewer.toolbar.tools:
            viewer.toolbar.active_tool = tool_id
    viewer.toolbar.tools["skybkg:zscale"].activate()
    viewer.state.reset_limits()  # Home
    viewer.axes.figure.canvas.draw()
    assert contours.state.visible
    assert contours.contours is not None
    assert contours.contours.get_visible()

    viewer.toolbar.tools["skybkg:contours"].activate()  # a toggle: off, then on again
    assert (contours.state.visible, contours.contours) == (False, None)
    viewer.toolbar.tools["skybkg:contours"].activate()
    assert contours.state.visible
    assert contours.contours is not None
    assert len(_contour_layers(viewer)) == 1
    contours.state.n_levels = 3  # the layer options change the levels
    assert len(contours.contours.levels) == 3
    assert reported_errors == []


def test_overlay_is_a_translucent_layer_with_a_colour_bar(glue_app, glue_products):
    calexp, viewer = _calexp_viewer(glue_app, glue_products)
    viewer.toolbar.tools["skybkg:overlay"].activate()
    image_layer, overlay = viewer.state.layers
    assert (overlay.layer, overlay.attribute.label) == (calexp, "background")
    assert (overlay.alpha, overlay.cmap, overlay.stretch) == (
        OVERLAY_ALPHA,
        colormaps["Viridis"],
        "linear",
    )
    assert (overlay.v_min, overlay.v_max) == analysis.zscale_limits(glue_products["background"])
    (artist,) = colour_bar_artists(viewer)
    viewer.axes.figure.canvas.draw()
    bar = artist.bar_axes
    assert bar.get_visible()
    assert bar.get_ylim() == (overlay.v_min, overlay.v_max)
    colours = artist.bar_colours()
    np.testing.assert_allclose(colours[0], colormaps["Viridis"](0.0))
    np.testing.assert_allclose(colours[-1], colormaps["Viridis"](1.0))
    _save(viewer, "calexp-background-overlay")
    viewer.toolbar.active_tool = "select:rectangle"  # other tools leave it on
    viewer.toolbar.active_tool = None
    assert overlay.visible
    viewer.toolbar.tools["skybkg:overlay"].activate()
    assert not overlay.visible
    assert not bar.get_visible()
    assert image_layer.visible


def test_the_background_viewer_has_a_colour_bar(glue_app, glue_products):
    calexp, _ = _calexp_viewer(glue_app, glue_products)
    viewer = show_component(glue_app, calexp, "background", "linear")
    viewer.axes.figure.canvas.draw()
    (artist,) = colour_bar_artists(viewer)
    assert artist.bar_axes.get_ylim() == analysis.zscale_limits(glue_products["background"])
    assert artist.bar_axes.get_title() == "background"  # the test files carry no unit
    _save(viewer, "background-colour-bar")


def test_contours_and_overlay_come_back_with_the_session(glue_app, glue_products, tmp_path):
    from glue_qt.app import GlueApplication

    calexp, viewer = _calexp_viewer(glue_app, glue_products)
    viewer.toolbar.tools["skybkg:contours"].activate()
    viewer.toolbar.tools["skybkg:overlay"].activate()
    (contours,) = _contour_layers(viewer)
    contours.state.n_levels, contours.state.labels = 5, False
    session = tmp_path / "layers.glu"
    glue_app.save_session(str(session), absolute_paths=False)
    restored = GlueApplication.restore_session(str(session), show=False)
    try:
        (again,) = [v for tab in restored.viewers for v in tab]
        again.axes.figure.canvas.draw()
        (restored_contours,) = _contour_layers(again)
        assert (restored_contours.state.n_levels, restored_contours.state.labels) == (5, False)
        assert (restored_contours.state.v_min, restored_contours.state.v_max) == (
            contours.state.v_min,
            contours.state.v_max,
        )
        assert restored_contours.contours is not None
        assert len(restored_contours.contours.levels) == 5
        assert restored_contours.level_labels == []
        (bar,) = colour_bar_artists(again)
        assert isinstance(bar, ColourBarImageLayerArtist)
        assert bar.state.alpha == OVERLAY_ALPHA
        assert bar.bar_axes is not None
        assert bar.bar_axes.get_visible()
    finally:
        restored.close()


def test_contours_of_an_image_without_background_are_refused(
    glue_app, glue_products, reported_errors
):
    coadd = glue_app.load_data(str(glue_products["paths"]["deepCoadd"]))
    viewer = show_component(glue_app, coadd, "image")
    viewer.toolbar.tools["skybkg:contours"].activate()
    assert "has no background attached" in reported_errors[-1][1]
    assert _contour_layers(viewer) == []


@pytest.mark.parametrize("tool_id", ["skybkg:contours", "skybkg:overlay", "skybkg:readout"])
def test_the_toggles_are_plain_buttons_not_modes(glue_app, glue_products, tool_id):
    from glue.viewers.common.tool import CheckableTool

    _, viewer = _calexp_viewer(glue_app, glue_products)
    assert not isinstance(viewer.toolbar.tools[tool_id], CheckableTool)

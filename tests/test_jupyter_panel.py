"""glue_skybkg.jupyter headless: the panel's widgets clicked from code, as glue-jupyter tests do.

Every number the panel shows is checked against glue_skybkg.actions on independently loaded
Data, and the statistics text against the seed notebook's own code.
"""

from __future__ import annotations

import numpy as np
import pytest
from _seed_notebook import difference_block, histogram, statistics_block
from glue.core import Data, DataCollection
from glue.core.data_factories import load_data
from glue.core.roi import RectangularROI
from glue_jupyter.app import JupyterApplication
from glue_jupyter.bqplot.image import BqplotImageView

import glue_skybkg.jupyter as skyj
from glue_skybkg import actions, analysis, display, fetching
from glue_skybkg.gluedata import BACKGROUND, IMAGE, RESTORED
from glue_skybkg.jupyter import SkyImageView, report_size

VISIT_ID = {"visit": 512055, "detector": 75}
COADD_ID = {"tract": 4226, "patch": 17, "band": "r"}


@pytest.fixture
def sample_spec(sample, monkeypatch):
    """``sample:`` names the session's sample (as on a user's machine, wherever it lives)."""
    monkeypatch.setenv("SKYBKG_SAMPLE_DIR", str(sample.root))
    return "sample:"


def _panel(*what, **kwargs) -> skyj.SkyPanel:
    panel = skyj.panel(skyj.open(*what, show=False, **kwargs))
    return panel


def _reference(source: str, dataset_type: str, data_id: dict) -> list[Data]:
    """The same products loaded without the panel, in a plain collection (the reference)."""
    datasets = fetching.load_products(source, fetching.products_for(dataset_type), data_id)
    collection = DataCollection()
    return fetching.add_products(collection, datasets)


def _click(panel: skyj.SkyPanel, button) -> None:
    button.click()
    assert panel.error is None, panel.status.value


def test_open_from_a_source_shows_the_calexp_as_the_notebook(sample_spec, sample):
    app = skyj.open(sample_spec, "calexp", VISIT_ID, show=False)
    assert isinstance(app, JupyterApplication)
    panel = skyj.panel(app)
    assert [d.label for d in app.data_collection] == ["calexp_512055_75"]
    data = panel.data
    assert BACKGROUND in [c.label for c in data.components]
    layer = panel.viewer.state.layers[0]
    assert (layer.attribute.label, layer.stretch) == (IMAGE, "arcsinh")
    image = np.asarray(data[IMAGE])
    assert (layer.v_min, layer.v_max) == pytest.approx(analysis.zscale_limits(image))
    assert panel.difference_button.disabled  # no second image on this grid yet
    assert panel.compare_button.disabled
    assert not panel.restore_button.disabled
    rgba = report_size(panel.viewer, 600, 400)
    assert rgba.shape == (400, 600, 4)
    assert rgba[..., :3].std() > 0.05  # the calexp, not glue-jupyter's blank placeholder
    from skybkg_adapters.lsst_fits import read_background, read_exposure

    np.testing.assert_array_equal(image, read_exposure(sample.calexp).image)
    np.testing.assert_array_equal(
        data[BACKGROUND], read_background(sample.calexp_background).render()
    )


def test_open_files_gives_the_same_pixels(sample_spec, sample):
    from_files = _panel(sample.calexp, sample.calexp_background)
    from_source = _panel(sample_spec, "calexp", VISIT_ID)
    for label in (IMAGE, BACKGROUND):
        np.testing.assert_array_equal(from_files.data[label], from_source.data[label])


def test_statistics_of_the_whole_background_are_the_notebook_block(sample_spec, sample):
    from skybkg_adapters.lsst_fits import read_background

    panel = _panel(sample_spec, "calexp", VISIT_ID)
    _click(panel, panel.statistics_button)
    background = read_background(sample.calexp_background).render()
    assert panel.component.value == BACKGROUND
    assert panel.statistics_text == statistics_block(background, unit="ct")
    assert panel.statistics_text in panel.statistics_box.value
    counts, edges = histogram(background)
    np.testing.assert_array_equal(panel.histogram[0], counts)
    np.testing.assert_array_equal(panel.histogram[1], edges)
    np.testing.assert_array_equal(
        panel.histogram_figure.stairs.y[::2][counts > 0], counts[counts > 0]
    )
    assert panel.histogram_figure.figure.title == "background: 1000 bins"
    assert panel.histogram_figure.widget.children == (panel.histogram_figure.figure,)


def test_statistics_in_the_current_subset_and_without_mask_planes(glue_products):
    panel = _panel(*glue_products["paths"].values())
    _click(panel, panel.statistics_button)
    assert panel.statistics_text == statistics_block(glue_products["background"])
    panel.pixels.value = skyj.CURRENT_SUBSET  # recomputed at once: there is no subset yet
    assert "no current subset" in panel.status.value
    assert isinstance(panel.error, actions.SkybkgError)
    assert panel.statistics_text is None  # nothing shown that does not answer the choice
    assert panel.histogram_figure.widget.children == ()

    viewer = panel.viewer
    panel.app.subset_roi([viewer.state.x_att, viewer.state.y_att], RectangularROI(20, 120, 10, 90))
    subset = panel.current_subset()
    assert subset is not None
    assert subset.data is panel.data
    _click(panel, panel.statistics_button)
    inside = panel.data.get_mask(subset.subset_state)
    assert 5_000 < inside.sum() < 10_000
    background = glue_products["background"]
    assert panel.statistics_text == statistics_block(background[inside])

    panel.exclude.value = True  # recomputed at once
    assert panel.error is None
    planes = glue_products["mask_planes"]
    bits = sum(1 << planes[name] for name in actions.EXCLUDABLE_PLANES)
    clear = (glue_products["mask"] & bits) == 0
    assert 0 < (inside & ~clear).sum() < inside.sum()
    assert panel.statistics_text == statistics_block(background[inside & clear])
    assert "without DETECTED/BAD/NO_DATA" in panel.status.value
    reference = actions.background_statistics(
        panel.data, BACKGROUND, subset.subset_state, actions.EXCLUDABLE_PLANES
    )
    assert panel.statistics == reference


def test_show_background_is_a_linear_zscale_layer(glue_products):
    panel = _panel(*glue_products["paths"].values())
    report_size(panel.viewer)
    panel.show_background_button.value = True
    assert panel.error is None
    layers = panel.viewer.state.layers
    assert len(layers) == 2
    assert layers[1].layer is panel.data
    assert (layers[1].attribute.label, layers[1].stretch) == (BACKGROUND, "linear")
    limits = display.display_limits(glue_products["background"])
    assert (layers[1].v_min, layers[1].v_max) == pytest.approx(limits)
    assert all(artist.enabled for artist in panel.viewer.layers)
    panel.show_background_button.value = False
    assert not layers[1].visible
    panel.show_background_button.value = True
    assert len(panel.viewer.state.layers) == 2
    assert layers[1].visible


def test_restore_is_the_actions_array_and_never_twice(glue_products):
    panel = _panel(*glue_products["paths"].values())
    _click(panel, panel.restore_button)
    assert panel.restore_button.disabled
    panel.restore_button.click()  # disabled in the page; from code it adds nothing either
    panel.restore()
    labels = [c.label for c in panel.data.components]
    assert labels.count(RESTORED) == 1
    layer = panel.viewer.state.layers[0]
    assert (layer.attribute.label, layer.stretch) == (RESTORED, "arcsinh")
    assert panel.shown.value == RESTORED
    (reference,) = _reference(str(glue_products["root"]), "calexp", VISIT_ID)
    cid = actions.restore_background(reference)
    np.testing.assert_array_equal(panel.data[RESTORED], reference[cid])
    np.testing.assert_array_equal(
        panel.data[RESTORED], glue_products["calexp_image"] + glue_products["background"]
    )
    np.testing.assert_array_equal(panel.data[IMAGE], glue_products["calexp_image"])  # untouched


def test_difference_and_compare_are_the_actions_arrays(sample_spec, sample):
    from skybkg_adapters.lsst_fits import read_exposure

    panel = _panel(sample_spec, "deepCoadd", COADD_ID)
    assert [d.label for d in panel.app.data_collection] == [
        "deepCoadd_4226_17_r",
        "deepCoadd_calexp_4226_17_r",
    ]
    assert panel.data.label == "deepCoadd_4226_17_r"
    assert panel.other.value.label == "deepCoadd_calexp_4226_17_r"
    _click(panel, panel.difference_button)
    deep, deep_calexp = _reference(sample_spec, "deepCoadd", COADD_ID)
    cid = actions.difference(deep, deep_calexp)
    np.testing.assert_array_equal(panel.data[cid.label], deep[cid])
    assert panel.viewer.state.layers[0].attribute.label == cid.label
    coadd, coadd_calexp = (read_exposure(p).image for p in (sample.coadd, sample.coadd_calexp))
    # the notebook's own last cell (float64) prints the same five lines
    assert panel.statistics.format(include_counts=False) == difference_block(
        coadd, coadd_calexp, unit="nJy"
    )

    _click(panel, panel.compare_button)
    comparison = actions.compare_with_stored_background(deep, deep_calexp)
    label = comparison.component.label
    assert panel.viewer.state.layers[0].attribute.label == label
    np.testing.assert_array_equal(panel.data[label], deep[comparison.component])
    assert panel.statistics == comparison.statistics
    assert max(abs(comparison.statistics.min), abs(comparison.statistics.max)) < 1e-3


def test_the_coadd_residual_background_is_flat(sample_spec):
    panel = _panel(sample_spec, "deepCoadd_calexp", COADD_ID)
    assert panel.data.label == "deepCoadd_calexp_4226_17_r"
    _click(panel, panel.statistics_button)
    assert panel.component.value == BACKGROUND
    stats = panel.statistics
    assert stats.min == stats.max == stats.mean == stats.median
    assert stats.std == 0.0


def test_inspection_tools_give_the_inspection_arrays(glue_products):
    from glue_skybkg import inspection

    panel = _panel(*[glue_products["paths"][k] for k in ("calexp", "calexpBackground")])
    form = panel.inspect_form
    (reference,) = _reference(str(glue_products["root"]), "calexp", VISIT_ID)
    infos = inspection.background_entries(reference)
    assert form.entries.value.count("entry ") == len(infos) == 1
    assert infos[0].describe() in form.entries.value
    _click(panel, form.show_entry_button)
    entry = inspection.show_entry(reference, 0)
    assert panel.shown.value == entry.label
    np.testing.assert_array_equal(panel.data[entry.label], reference[entry])

    _click(panel, form.re_estimate_button)
    expected = inspection.re_estimate_background(reference)
    result = form.re_estimate
    assert result.difference.label == expected.difference.label
    assert panel.viewer.state.layers[0].attribute.label == expected.difference.label
    np.testing.assert_array_equal(panel.data[result.difference], reference[expected.difference])
    assert panel.statistics == expected.statistics

    _click(panel, form.residual_button)
    residual = inspection.add_residual_map(reference)
    assert panel.shown.value == residual.label
    np.testing.assert_array_equal(panel.data[residual.label], reference[residual])
    assert panel.statistics == actions.background_statistics(reference, residual)


def test_fetch_form_fetches_into_the_viewer(glue_products):
    panel = _panel(*[glue_products["paths"][k] for k in ("calexp", "calexpBackground")])
    form = panel.fetch_form
    form.source_kind.value = "Folder"
    form.location.value = str(glue_products["root"])
    form.products.value = "coadd"
    assert form.data_id.value == "tract=4226, patch=17, band=r"
    _click(panel, form.fetch_button)
    labels = [d.label for d in panel.app.data_collection]
    assert labels == ["calexp_512055_75", "deepCoadd_4226_17_r", "deepCoadd_calexp_4226_17_r"]
    assert (form.progress.value, form.progress.max) == (3, 3)
    assert panel.data.label == "deepCoadd_4226_17_r"
    assert [d.label for d in panel.viewer.state.layers_data] == ["deepCoadd_4226_17_r"]
    np.testing.assert_array_equal(panel.data[IMAGE], glue_products["coadd_image"])
    calexp_background = panel.app.data_collection["deepCoadd_calexp_4226_17_r"][BACKGROUND]
    np.testing.assert_array_equal(calexp_background, glue_products["coadd_background"])
    assert [label for label, _ in panel.image.options] == labels


def test_fetch_form_errors_name_the_field(glue_products):
    panel = _panel(*[glue_products["paths"][k] for k in ("calexp", "calexpBackground")])
    form = panel.fetch_form
    form.source_kind.value = "Folder"
    form.fetch_button.click()
    assert "enter the folder location" in panel.status.value
    form.location.value = str(glue_products["root"])
    form.data_id.value = "visit 512055"
    form.fetch_button.click()
    assert "key=value" in panel.status.value
    assert not form.fetch_button.disabled


def _widget_states(widget) -> list[dict]:
    """The state every widget under ``widget`` sends to the page (and saves in a notebook)."""
    import ipywidgets

    states, todo, seen = [], [widget], set()
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        state = item.get_state()
        states.append(state)
        for value in state.values():
            values = value if isinstance(value, list | tuple) else [value]
            todo.extend(
                v if isinstance(v, ipywidgets.Widget) else ipywidgets.Widget.widgets[v[10:]]
                for v in values
                if isinstance(v, ipywidgets.Widget)
                or (
                    isinstance(v, str)
                    and v.startswith("IPY_MODEL_")
                    and v[10:] in ipywidgets.Widget.widgets
                )
            )
    return states


def test_the_token_is_never_shown_or_saved(glue_products, monkeypatch, tmp_path):
    secret = "gt-NOTEBOOK.SECRET-token-0123456789"
    monkeypatch.setenv("ACCESS_TOKEN", secret)
    panel = _panel(*glue_products["paths"].values())
    form = panel.fetch_form
    assert "$ACCESS_TOKEN" in form.token_note.value
    assert "set, not shown" in form.token_note.value
    form.source_kind.value = "Folder"
    form.location.value = str(glue_products["root"])
    _click(panel, form.fetch_button)
    states = _widget_states(panel.widget)
    assert len(states) > 30
    assert secret not in repr(states)
    path = tmp_path / "session.glu"
    panel.app.save_session(str(path), absolute_paths=False)
    assert secret not in path.read_text()
    monkeypatch.delenv("ACCESS_TOKEN")
    form.update_token_note()
    assert "not set" in form.token_note.value


def test_open_refuses_what_it_cannot_show(glue_products, tmp_path):
    from astropy.io import fits

    plain = tmp_path / "plain.fits"
    fits.PrimaryHDU(np.zeros((4, 4), np.float32)).writeto(plain)
    with pytest.raises(actions.SkybkgError, match="not an afw exposure or background"):
        skyj.open(plain, show=False)
    with pytest.raises(actions.SkybkgError, match="found no exposure"):
        skyj.open(glue_products["paths"]["calexpBackground"], show=False)
    with pytest.raises(ValueError, match="is a background; name the image"):
        skyj.open(str(glue_products["root"]), "calexpBackground", VISIT_ID, show=False)
    with pytest.raises(actions.SkybkgError, match="no sky panel"):
        skyj.panel(JupyterApplication())


def test_products_for_an_image_type():
    assert fetching.products_for("calexp") == ("calexp", "calexpBackground")
    assert fetching.products_for("deepCoadd_calexp") == (
        "deepCoadd_calexp",
        "deepCoadd",
        "deepCoadd_calexp_background",
    )
    assert fetching.products_for("coadd") == fetching.PRODUCT_KINDS["coadd"]
    assert fetching.products_for("visit_image") == ("visit_image", "visit_image_background")


def test_the_sky_viewer_draws_once_with_the_base_viewers_result(glue_products):
    panel = _panel(*glue_products["paths"].values())
    results = {}
    for cls in (BqplotImageView, SkyImageView):
        viewer = panel.app.new_data_viewer(cls, data=panel.data, show=False)
        viewer.state.aspect = "equal"
        draws = []
        viewer._composite_image.observe(lambda _, draws=draws: draws.append(1), names="image")
        rgba = report_size(viewer, 650, 420).copy()
        state = viewer.state
        results[cls] = (len(draws), (state.x_min, state.x_max, state.y_min, state.y_max), rgba)
    (n_base, limits_base, image_base), (n_sky, limits_sky, image_sky) = results.values()
    assert n_sky == 1 < n_base
    assert limits_sky == pytest.approx(limits_base)
    np.testing.assert_array_equal(image_sky, image_base)


def test_a_dp2_images_named_backgrounds_are_listed_shown_applied_and_differenced(
    lsst_images_dir, dp2_render
):
    name = "visit_01_typical.fits"
    panel = _panel(str(lsst_images_dir / name))
    form = panel.backgrounds_form
    listing = form.listing.value
    assert "<td>subtracted</td><td>✓</td><td>electron</td><td>SPLINE 5x8</td>" in listing
    assert "<td>skyCorr</td><td></td><td>electron</td><td>SPLINE 3x4 + CHEBYSHEV 1x1</td>" in (
        listing
    )
    assert form.name.value == "skyCorr"
    assert form.minus.value == "subtracted"

    _click(panel, form.show_button)
    assert panel.image_layer.attribute.label == "background: skyCorr"
    sky_corr = dp2_render(name, "skyCorr", np.float32)
    np.testing.assert_array_equal(panel.data["background: skyCorr"], sky_corr)
    assert panel.statistics.unit == "electron"
    assert panel.statistics.mean == pytest.approx(float(np.nanmean(sky_corr)), rel=1e-6)

    _click(panel, form.apply_button)
    assert panel.image_layer.attribute.label == "image + subtracted - skyCorr"
    reference = load_data(str(lsst_images_dir / name))  # the same file, without the panel
    np.testing.assert_array_equal(
        panel.data["image + subtracted - skyCorr"],
        reference[actions.apply_background(reference, "skyCorr")],
    )

    _click(panel, form.difference_button)
    label = "background: skyCorr - subtracted"
    assert panel.image_layer.attribute.label == label
    subtracted = dp2_render(name, "subtracted", np.float32)
    # differences are taken in float64, as the seed notebook's are
    np.testing.assert_array_equal(panel.data[label], sky_corr.astype("f8") - subtracted)


def test_an_afw_calexp_has_no_named_backgrounds_to_offer(glue_products):
    panel = _panel(*[glue_products["paths"][k] for k in ("calexp", "calexpBackground")])
    form = panel.backgrounds_form
    assert "no named backgrounds" in form.listing.value
    assert form.show_button.disabled
    assert form.apply_button.disabled
    assert form.difference_button.disabled

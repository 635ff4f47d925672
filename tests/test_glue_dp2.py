"""DP2 images and units in glue, without a GUI: named backgrounds, apply, difference, restore.

Every action converts a background into the image's unit first; a DP1-style image (nJy, an
identity calibration) is refused until a calibration is given, and the result says it is
approximate. Sessions store the recipes and restore them in a fresh process.
"""

from __future__ import annotations

import _dp1_products as dp1
import numpy as np
import pytest
from glue.core import DataCollection
from glue.core.data_factories import load_data

import glue_skybkg
from glue_skybkg import actions
from glue_skybkg.gluedata import BACKGROUND, derived_link, named_label
from skybkg_adapters import SkybkgError, UnitMismatch, create_butler_repo, read_exposure


@pytest.fixture(autouse=True, scope="module")
def _plugin():
    glue_skybkg.setup()


@pytest.fixture
def visit(lsst_images_dir):
    return load_data(str(lsst_images_dir / "visit_01_typical.fits"))


def _scaling(data):
    from glue_skybkg.products import sky_image

    image = sky_image(data)
    return image.photometric_scaling.render(image.bbox, dtype=np.float32)


def test_a_dp2_file_opens_with_its_named_backgrounds_listed(visit):
    assert visit.meta["format"] == "lsst-images"
    assert visit.meta["units"]["image"] == "nJy"
    assert visit.meta["units"]["variance"] == "nJy2"
    listed = actions.named_backgrounds(visit)
    assert [(b.name, b.subtracted, b.unit, b.shown) for b in listed] == [
        ("subtracted", True, "electron", False),
        ("skyCorr", False, "electron", False),
    ]
    assert (
        listed[1].description == "Focal-plane sky correction: coarse spline plus a constant offset."
    )
    # nothing rendered yet: only image, mask and variance
    assert [c.label for c in visit.main_components] == ["image", "mask", "variance"]


def test_show_a_named_background_lazily(visit, dp2_render):
    cid = actions.show_named_background(visit, "skyCorr")
    assert cid.label == "background: skyCorr"
    assert not derived_link(visit, cid.label).is_computed
    np.testing.assert_array_equal(
        visit[cid], dp2_render("visit_01_typical.fits", "skyCorr", np.float32)
    )
    assert actions.show_named_background(visit, "skyCorr") is cid  # once
    assert actions.named_backgrounds(visit)[1].shown
    with pytest.raises(SkybkgError, match="no background named 'pretty'"):
        actions.show_named_background(visit, "pretty")


def test_restore_adds_the_subtracted_background_times_the_scaling(visit, dp2_render):
    cid = actions.restore_background(visit)
    assert cid.label == "image + background"
    assert derived_link(visit, BACKGROUND).name == "subtracted"  # attached from the file
    expected = visit["image"] + dp2_render(
        "visit_01_typical.fits", "subtracted", np.float32
    ) * _scaling(visit)
    np.testing.assert_array_equal(visit[cid], expected)
    assert visit.meta["units"][cid.label] == "nJy"
    assert actions.restore_background(visit) is cid


def test_apply_background_as_lsst_images_does(visit, dp2_render):
    cid = actions.apply_background(visit, "skyCorr")
    assert cid.label == "image + subtracted - skyCorr"
    scale = _scaling(visit)
    adjustment = dp2_render("visit_01_typical.fits", "subtracted", np.float32) * scale
    adjustment -= dp2_render("visit_01_typical.fits", "skyCorr", np.float32) * scale
    np.testing.assert_array_equal(visit[cid], visit["image"] + adjustment)
    # the subtracted one is applied already
    assert actions.apply_background(visit, "subtracted") is visit.id["image"]
    restored = actions.apply_background(visit, None)
    assert restored.label == "image + subtracted"
    np.testing.assert_array_equal(
        visit[restored],
        visit["image"] + dp2_render("visit_01_typical.fits", "subtracted", np.float32) * scale,
    )


def test_apply_to_a_sub_region_renders_only_that(visit):
    region = (40, 30, 100, 60)
    cid = actions.apply_background(visit, "skyCorr", bbox=region)
    assert cid.label == "image + subtracted - skyCorr [x 40:140, y 30:90]"
    values = visit[cid]
    whole = visit[actions.apply_background(visit, "skyCorr")]
    np.testing.assert_array_equal(values[30:90, 40:140], whole[30:90, 40:140])
    outside = np.ones(values.shape, bool)
    outside[30:90, 40:140] = False
    assert np.isnan(values[outside]).all()
    with pytest.raises(SkybkgError, match="is not inside"):
        actions.apply_background(visit, "skyCorr", bbox=(390, 0, 20, 20))


def test_difference_of_two_named_backgrounds(visit, dp2_render):
    cid = actions.difference_of_backgrounds(visit, "subtracted", "skyCorr")
    assert cid.label == "background: subtracted - skyCorr"
    # in float64, as every difference is (the seed notebook's), of the float32 renders
    first, second = (
        dp2_render("visit_01_typical.fits", name, np.float32).astype(np.float64)
        for name in ("subtracted", "skyCorr")
    )
    assert visit[cid].dtype == np.float64
    np.testing.assert_array_equal(visit[cid], first - second)
    assert visit.meta["units"][cid.label] == "electron"


def test_statistics_state_the_unit_and_the_semantics_difference(visit, lsst_images_dir):
    cid = actions.show_named_background(visit, "subtracted")
    stats = actions.background_statistics(visit, cid)
    assert stats.unit == "electron"
    assert stats.format().endswith("\nUnit: electron")
    assert actions.background_statistics(visit, "image").unit == "nJy"
    note = actions.semantics_note(visit, cid)
    image = read_exposure(lsst_images_dir / "visit_01_typical.fits")
    model = image.backgrounds["subtracted"]
    biggest = np.abs(
        model.render(semantics="afw").astype(np.float64) - model.render().astype(np.float64)
    ).max()
    assert biggest > 0
    assert note.startswith("afw semantics (what the pipeline subtracted) differ")
    assert f"{biggest:.3g} electron" in note
    assert actions.semantics_note(visit, "image") is None
    chebyshev = load_data(str(lsst_images_dir / "visit_03_chebyshev.fits"))
    assert (
        actions.semantics_note(chebyshev, actions.show_named_background(chebyshev, "skyCorr"))
        is None
    )


def test_a_dp2_file_without_a_scaling_is_refused_until_calibrated(lsst_images_dir):
    data = load_data(str(lsst_images_dir / "visit_07_uncompressed.fits"))
    with pytest.raises(UnitMismatch, match="carries no photometric scaling"):
        actions.restore_background(data)
    assert "image + background" not in [c.label for c in data.components]
    cid = actions.restore_background(data, calibration=1.25)
    assert cid.label == "image + background (x1.25 nJy per count, approximate)"
    background = derived_link(data, BACKGROUND).model.render()
    np.testing.assert_array_equal(data[cid], data["image"] + background * np.float32(1.25))


def test_a_dp1_style_visit_image_is_refused_then_restored_with_a_given_calibration(tmp_path):
    image = load_data(str(dp1.write_visit_image(tmp_path / dp1.butler_name("visit_image"))))
    background = load_data(
        str(dp1.write_background_file(tmp_path / dp1.butler_name("visit_image_background")))
    )
    collection = DataCollection([image, background])
    actions.attach_pending_backgrounds(collection)  # as File > Open Data does
    assert BACKGROUND in [c.label for c in image.components]
    with pytest.raises(UnitMismatch, match="DP1 visit images carry PhotoCalib = 1"):
        actions.restore_background(image, collection)
    cid = actions.restore_background(image, collection, calibration=dp1.CALIBRATION)
    assert "approximate" in cid.label
    expected = image["image"] + dp1.background_model().render() * np.float32(dp1.CALIBRATION)
    np.testing.assert_array_equal(image[cid], expected)


def test_a_background_map_file_opens_as_one_dataset(lsst_images_dir, dp2_render):
    data = load_data(str(lsst_images_dir / "background_map_01.fits"))
    assert data.meta["skybkg_kind"] == "background_map"
    assert [c.label for c in data.main_components] == [
        named_label("subtracted"),
        named_label("skyCorr"),
    ]
    np.testing.assert_array_equal(
        data[named_label("skyCorr")], dp2_render("background_map_01.fits", "skyCorr", np.float32)
    )
    assert [b.name for b in actions.named_backgrounds(data)] == ["subtracted", "skyCorr"]


def test_a_coadd_applies_pretty_in_its_own_unit(lsst_images_dir, dp2_render):
    coadd = load_data(str(lsst_images_dir / "cell_coadd_01.fits"))
    cid = actions.apply_background(coadd, "pretty")
    adjustment = dp2_render("cell_coadd_01.fits", "object", np.float32) - dp2_render(
        "cell_coadd_01.fits", "pretty", np.float32
    )
    np.testing.assert_array_equal(coadd[cid], coadd["image"] + adjustment)


def test_dp2_recipes_survive_a_session_in_a_fresh_process(tmp_path, lsst_images_dir, dp2_render):
    from glue_qt.app import GlueApplication
    from test_glue_session import _restore_elsewhere

    app = GlueApplication()
    try:
        visit = app.load_data(str(lsst_images_dir / "visit_01_typical.fits"))
        plain = app.load_data(str(lsst_images_dir / "visit_07_uncompressed.fits"))
        actions.show_named_background(visit, "skyCorr")
        actions.apply_background(visit, "skyCorr", bbox=(10, 20, 50, 40))
        actions.difference_of_backgrounds(visit, "subtracted", "skyCorr")
        actions.restore_background(visit)
        calibrated = actions.restore_background(plain, calibration=1.25)
        expected = {
            f"{d.label}/{cid.label}": np.asarray(d[cid])
            for d in (visit, plain)
            for cid in d.derived_components
        }
        session = tmp_path / "dp2.glu"
        app.save_session(str(session))
    finally:
        app.close()
    text = session.read_text()
    assert "k05VTVBZ" not in text  # recipes, not pixels
    report, arrays = _restore_elsewhere(session, tmp_path)
    assert all(report["lazy"].values())  # nothing computed until asked
    for key, values in expected.items():
        np.testing.assert_array_equal(arrays[key], values, err_msg=key)
    assert f"{plain.label}/{calibrated.label}" in arrays


def test_the_entries_view_extends_to_dp2_terms(lsst_images_dir, dp2_render):
    """Each term of a DP2 background is an entry: listed, shown alone, its bins drawn; the
    terms add up to the background exactly.
    """
    from glue_skybkg import inspection

    data = load_data(str(lsst_images_dir / "visit_05_offset.fits"))
    actions.restore_background(data)  # attaches the subtracted one, skyCorr here
    entries = inspection.background_entries(data)
    assert [(e.interp, e.grid, e.nan_bins) for e in entries] == [
        ("SPLINE 9x12", (9, 12), 0),
        ("SPLINE 8x9", (8, 9), 0),
        ("CHEBYSHEV 1x1", (1, 1), 0),
    ]
    terms = [data[inspection.show_entry(data, i)] for i in range(3)]
    total = np.zeros_like(terms[0])
    for term in terms:
        total += term
    np.testing.assert_array_equal(total, dp2_render("visit_05_offset.fits", "skyCorr", np.float32))
    grid = inspection.bin_grid(data, 0)
    spline = derived_link(data, BACKGROUND).model.field.operands[0]
    np.testing.assert_array_equal(grid.x_centers, spline.x)
    assert grid.x_edges[0] == data.meta["xy0"][0] - 0.5
    assert grid.bin_of(*grid.x_centers[[3]], *grid.y_centers[[2]]) == (2, 3)
    bins = data[inspection.add_bin_values(data, 0)]
    row, col = 0, int(np.searchsorted(grid.x_edges, data.meta["xy0"][0] + 40.0)) - 1
    assert bins[row, 40] == np.float32(spline.values[0, col])


def test_fetching_visit_image_tells_dp2_from_dp1_by_content(tmp_path, lsst_images_dir):
    """``visit_image`` names DP1's afw image (its background apart) and DP2's (carrying them)."""
    from glue_skybkg import fetching

    assert fetching.products_for("visit_image") == ("visit_image", "visit_image_background")
    dp2_id = {"visit": 2025052000177, "detector": 85}
    dp1_id = {"visit": dp1.VISIT, "detector": dp1.DETECTOR}
    create_butler_repo(
        tmp_path / "dp2",
        [("visit_image", {**dp2_id, "band": "r"}, lsst_images_dir / "visit_05_offset.fits")],
        run="DP2/test",
        instrument="LSSTCam",
    )
    create_butler_repo(
        tmp_path / "dp1",
        [
            ("visit_image", {**dp1_id, "band": "r"}, dp1.write_visit_image(tmp_path / "v.fits")),
            (
                "visit_image_background",
                {**dp1_id, "band": "r"},
                dp1.write_background_file(tmp_path / "b.fits"),
            ),
        ],
        run="DP1/test",
        instrument="LSSTComCam",
    )
    types = fetching.products_for("visit_image")
    dp2_data = fetching.load_products(
        f"butler:{tmp_path / 'dp2'}?collections=DP2/test", types, dp2_id
    )
    assert [(d.meta["format"], d.meta["skybkg_kind"]) for d in dp2_data] == [
        ("lsst-images", "exposure")
    ]
    assert [b.name for b in actions.named_backgrounds(dp2_data[0])] == ["subtracted", "skyCorr"]
    dp1_data = fetching.load_products(
        f"butler:{tmp_path / 'dp1'}?collections=DP1/test", types, dp1_id
    )
    assert [d.meta["skybkg_kind"] for d in dp1_data] == ["exposure", "background"]
    (image,) = fetching.add_products(DataCollection(), dp1_data)
    np.testing.assert_array_equal(
        derived_link(image, BACKGROUND).model.render(), dp1.background_model().render()
    )

"""The programmatic API (glue_skybkg.actions) against numpy truth, without a GUI."""

from __future__ import annotations

import numpy as np
import pytest
from glue.core import DataCollection
from glue.core.data_factories import load_data
from glue.core.roi import RectangularROI
from glue.core.subset import RoiSubsetState

import glue_skybkg
from glue_skybkg import actions
from glue_skybkg.gluedata import RESTORED, derived_link
from skybkg_adapters import BackgroundLayer, BackgroundModel, SkybkgError


@pytest.fixture(autouse=True, scope="module")
def _plugin():
    glue_skybkg.setup()  # the data factories; glue itself would call it via load_plugins


def _load(glue_products, *names):
    return [load_data(str(glue_products["paths"][name])) for name in names]


def _numpy_stats(values):
    finite = values[np.isfinite(values)].astype(np.float64)
    return {
        "n_pixels": values.size,
        "n_nan": int(np.isnan(values).sum()),
        "min": finite.min(),
        "max": finite.max(),
        "mean": finite.mean(),
        "median": np.median(finite),
        "std": finite.std(),
    }


def _assert_stats(stats, values):
    truth = _numpy_stats(values)
    assert stats.n_pixels == truth["n_pixels"]
    assert stats.n_nan == truth["n_nan"]
    for key in ("min", "max", "mean", "median", "std"):
        assert getattr(stats, key) == pytest.approx(truth[key], rel=1e-12, abs=1e-12), key


def test_background_file_attaches_to_the_image_with_its_bbox(glue_products):
    calexp, bkg, coadd = _load(glue_products, "calexp", "calexpBackground", "deepCoadd")
    dc = DataCollection([coadd, bkg, calexp])
    attached = actions.attach_pending_backgrounds(dc)
    assert attached == [(calexp, calexp.id["background"])]
    assert bkg not in dc
    assert len(dc) == 2
    assert "background" not in [c.label for c in coadd.components]
    np.testing.assert_array_equal(calexp["background"], glue_products["background"])


def test_mask_and_variance_are_read_on_first_access(glue_products):
    (calexp,) = _load(glue_products, "calexp")
    mask, variance = (calexp.get_component(calexp.id[name]) for name in ("mask", "variance"))
    assert not mask.is_loaded
    assert not variance.is_loaded
    assert mask.shape == variance.shape == calexp.shape
    assert mask.numeric
    np.testing.assert_array_equal(calexp["mask"], glue_products["mask"])
    assert mask.is_loaded
    assert not variance.is_loaded
    assert calexp["variance"][3, 4] == 36.0
    assert not calexp["variance"].flags.writeable


def test_attach_is_lazy_and_renders_once(glue_products):
    (calexp,) = _load(glue_products, "calexp")
    cid = actions.attach_background(calexp, str(glue_products["paths"]["calexpBackground"]))
    link = derived_link(calexp, "background")
    assert not link.is_computed
    first = calexp[cid]
    np.testing.assert_array_equal(first, glue_products["background"])
    assert calexp.get_data(cid, view=(slice(10, 12), slice(5, 9))) is not None
    assert calexp[cid] is first  # served from the cache, not rendered again
    # the same background again is a no-op; another one is refused
    assert actions.attach_background(calexp, str(glue_products["paths"]["calexpBackground"])) == cid
    other = BackgroundModel((BackgroundLayer(np.ones((2, 2), np.float32), (1000, 2000, 200, 150)),))
    with pytest.raises(SkybkgError, match="already has a background"):
        actions.attach_background(calexp, other)


def test_attach_refuses_a_background_of_another_bbox(glue_products):
    (coadd,) = _load(glue_products, "deepCoadd")
    with pytest.raises(actions.GridMismatch, match=r"\(1000, 2000, 200, 150\)"):
        actions.attach_background(coadd, str(glue_products["paths"]["calexpBackground"]))


def test_restore_adds_image_plus_background_once(glue_products):
    (calexp,) = _load(glue_products, "calexp")
    with pytest.raises(SkybkgError, match="attach its background first") as err:
        actions.restore_background(calexp)
    assert "right-click the image ▸ Attach background…" in str(err.value)  # words, not Python
    assert "attach_background" not in str(err.value)
    actions.attach_background(calexp, str(glue_products["paths"]["calexpBackground"]))
    cid = actions.restore_background(calexp)
    assert actions.restore_background(calexp) == cid
    assert [c.label for c in calexp.components].count(RESTORED) == 1
    np.testing.assert_array_equal(
        calexp[cid], glue_products["calexp_image"] + glue_products["background"]
    )
    np.testing.assert_array_equal(calexp["image"], glue_products["calexp_image"])  # untouched


def test_difference_of_the_two_coadds_is_the_residual_background(glue_products):
    coadd, coadd_calexp = _load(glue_products, "deepCoadd", "deepCoadd_calexp")
    dc = DataCollection([coadd, coadd_calexp])
    cid = actions.difference(coadd, coadd_calexp, dc)
    assert cid.label == "image - deepCoadd_calexp_4226_17_r"
    truth = glue_products["coadd_image"].astype(np.float64) - glue_products["coadd_calexp_image"]
    np.testing.assert_array_equal(coadd[cid], truth)
    assert actions.difference(coadd, coadd_calexp, dc) == cid
    _assert_stats(actions.background_statistics(coadd, cid), truth)


def test_difference_refuses_mismatched_grids(glue_products):
    calexp, coadd = _load(glue_products, "calexp", "deepCoadd")
    with pytest.raises(actions.GridMismatch, match="same pixel grid"):
        actions.difference(coadd, calexp)


def test_compare_with_stored_background(glue_products):
    coadd, coadd_calexp, bkg = _load(
        glue_products, "deepCoadd", "deepCoadd_calexp", "deepCoadd_calexp_background"
    )
    dc = DataCollection([coadd, coadd_calexp, bkg])
    actions.attach_pending_backgrounds(dc)
    assert "background" in [c.label for c in coadd_calexp.components]  # named by its type
    result = actions.compare_with_stored_background(coadd, coadd_calexp, dc)
    truth = (
        glue_products["coadd_image"].astype(np.float64) - glue_products["coadd_calexp_image"]
    ) - np.float32(0.37)
    np.testing.assert_array_equal(coadd[result.component], truth)
    _assert_stats(result.statistics, truth)
    assert abs(result.statistics.mean) < 1e-6


def test_statistics_whole_subset_and_excluded_planes(glue_products):
    (calexp,) = _load(glue_products, "calexp")
    actions.attach_background(calexp, str(glue_products["paths"]["calexpBackground"]))
    background = glue_products["background"]
    _assert_stats(actions.background_statistics(calexp), background)

    image = glue_products["calexp_image"]
    state = RoiSubsetState(
        calexp.pixel_component_ids[1],
        calexp.pixel_component_ids[0],
        RectangularROI(20.5, 60.5, 30.5, 50.5),
    )
    inside = np.zeros(image.shape, bool)
    inside[31:51, 21:61] = True  # pixel centres inside the rectangle
    _assert_stats(actions.background_statistics(calexp, "image", state), image[inside])

    bits = (1 << 5) | (1 << 0) | (1 << 8)
    keep = (glue_products["mask"] & bits) == 0
    stats = actions.background_statistics(
        calexp, "image", exclude_mask_planes=("DETECTED", "BAD", "NO_DATA")
    )
    _assert_stats(stats, image[keep])
    assert stats.n_pixels == keep.sum() < image.size
    stats = actions.background_statistics(calexp, "image", state, ("DETECTED",))
    _assert_stats(stats, image[inside & ((glue_products["mask"] & (1 << 5)) == 0)])
    with pytest.raises(SkybkgError, match="no mask plane"):
        actions.background_statistics(calexp, "image", exclude_mask_planes=("CR",))


def test_histogram_is_the_notebooks_1000_bin_histogram(glue_products):
    (calexp,) = _load(glue_products, "calexp")
    actions.attach_background(calexp, str(glue_products["paths"]["calexpBackground"]))
    counts, edges = actions.background_histogram(calexp)
    values = glue_products["background"].astype(np.float64)  # the notebook's float64 copy
    truth_counts, truth_edges = np.histogram(
        values, bins=1000, range=(np.nanmin(values), np.nanmax(values))
    )
    np.testing.assert_array_equal(counts, truth_counts)
    np.testing.assert_array_equal(edges, truth_edges)


def test_coadd_background_goes_to_deepcoadd_calexp_by_butler_file_names(glue_products, tmp_path):
    import shutil

    names = {
        "deepCoadd": "deepCoadd_4226_17_r_DC2_2_2i_runs_DP0_2.fits",
        "deepCoadd_calexp": "deepCoadd_calexp_4226_17_r_DC2_2_2i_runs_DP0_2.fits",
        "deepCoadd_calexp_background": (
            "deepCoadd_calexp_background_4226_17_r_DC2_2_2i_runs_DP0_2.fits"
        ),
    }
    for kind, name in names.items():
        shutil.copy(glue_products["paths"][kind], tmp_path / name)
    # the calexp opened last would win a tie; the names must decide instead
    bkg, coadd_calexp, coadd = (
        load_data(str(tmp_path / names[k]))
        for k in ("deepCoadd_calexp_background", "deepCoadd_calexp", "deepCoadd")
    )
    dc = DataCollection([bkg, coadd_calexp, coadd])
    assert actions.attach_pending_backgrounds(dc) == [(coadd_calexp, coadd_calexp.id["background"])]


def _two_detectors(glue_products, tmp_path):
    """Detectors 10 and 2 of one visit (same bbox); detector 2's background is 100 higher."""
    import dataclasses
    import shutil

    from skybkg_adapters.lsst_fits import read_background, write_background

    model = read_background(glue_products["paths"]["calexpBackground"])
    raised = BackgroundModel(
        tuple(dataclasses.replace(layer, values=layer.values + 100) for layer in model.layers)
    )
    for det in ("S10", "S02"):
        shutil.copy(glue_products["paths"]["calexp"], tmp_path / f"calexp_512055_R20_{det}.fits")
    shutil.copy(
        glue_products["paths"]["calexpBackground"],
        tmp_path / "calexpBackground_512055_R20_S10.fits",
    )
    write_background(tmp_path / "calexpBackground_512055_R20_S02.fits", raised)
    return [
        load_data(str(tmp_path / name))
        for name in (
            "calexp_512055_R20_S02.fits",
            "calexp_512055_R20_S10.fits",
            "calexpBackground_512055_R20_S02.fits",
            "calexpBackground_512055_R20_S10.fits",
        )
    ]


def _assert_each_detector_has_its_background(glue_products, dc, s02, s10):
    # the S02 background comes first and the S10 calexp was opened last: a tie would give it S10
    assert actions.attach_pending_backgrounds(dc) == [
        (s02, s02.id["background"]),
        (s10, s10.id["background"]),
    ]
    np.testing.assert_array_equal(s10["background"], glue_products["background"])
    np.testing.assert_allclose(s02["background"], glue_products["background"] + 100, atol=1e-3)


def test_detectors_of_one_visit_get_their_own_backgrounds_by_file_name(glue_products, tmp_path):
    s02, s10, bkg02, bkg10 = _two_detectors(glue_products, tmp_path)
    dc = DataCollection([s02, s10, bkg02, bkg10])
    _assert_each_detector_has_its_background(glue_products, dc, s02, s10)


def test_detectors_of_one_visit_get_their_own_backgrounds_by_data_id(glue_products, tmp_path):
    s02, s10, bkg02, bkg10 = _two_detectors(glue_products, tmp_path)
    for data, dataset_type, detector in (
        (s02, "calexp", 2),
        (s10, "calexp", 10),
        (bkg02, "calexpBackground", 2),
        (bkg10, "calexpBackground", 10),
    ):
        data.label = dataset_type  # fetched products are named by type only: ids must decide
        data.meta["provenance"] = {
            "dataset_type": dataset_type,
            "data_id": {"visit": 512055, "detector": detector},
        }
    dc = DataCollection([s02, s10, bkg02, bkg10])
    _assert_each_detector_has_its_background(glue_products, dc, s02, s10)


def test_a_background_link_without_recipe_says_so():
    from glue.core import Data
    from glue.core.component_id import ComponentID

    from glue_skybkg.gluedata import BackgroundLink

    data = Data(label="img", image=np.zeros((30, 40), np.float32))
    wrong = BackgroundModel((BackgroundLayer(np.ones((2, 2), np.float32), (0, 0, 50, 30)),))
    to = ComponentID("background", parent=data)
    data.add_component(BackgroundLink(list(data.pixel_component_ids), to, None, model=wrong), to)
    with pytest.raises(SkybkgError, match="built in memory covers 50x30 pixels but 'img' is 40x30"):
        data["background"]
    orphan = BackgroundLink(list(data.pixel_component_ids), ComponentID("b2", parent=data), None)
    with pytest.raises(SkybkgError, match="neither a background model nor a recipe"):
        orphan.model  # noqa: B018 - the property is what is tested


# --- which background belongs to which image; which pairs share a pixel grid (issue 10) ---


def _mean_background(data):
    return float(np.mean(data["background"]))


@pytest.mark.parametrize("order", ["image first", "background first"])
def test_another_detectors_background_never_attaches_by_bbox(two_detectors, order):
    from conftest import DETECTOR_LEVELS

    calexp75 = load_data(str(two_detectors["calexp"][75]))
    background74 = load_data(str(two_detectors["calexpBackground"][74]))
    dc = DataCollection(
        [calexp75, background74] if order == "image first" else [background74, calexp75]
    )
    (pairing,) = actions.pair_pending_backgrounds(dc)
    assert not pairing.attached
    assert pairing.background is background74
    assert "detector=75 vs detector=74" in pairing.reason
    assert "background" not in [c.label for c in calexp75.components]
    assert list(dc) == (
        [calexp75, background74] if order == "image first" else [background74, calexp75]
    )
    np.testing.assert_array_equal(background74["background"], np.float32(DETECTOR_LEVELS[74]))
    # by hand too: the evidence says no, so it is refused with what differs
    with pytest.raises(actions.GridMismatch, match="detector=75 vs detector=74"):
        actions.attach_background(calexp75, background74)
    assert actions.attach_candidates(calexp75, dc) == []


def test_each_detector_gets_its_own_background_whatever_the_order(two_detectors):
    from conftest import DETECTOR_LEVELS

    paths = [
        two_detectors["calexpBackground"][74],
        two_detectors["calexp"][75],
        two_detectors["calexpBackground"][75],
        two_detectors["calexp"][74],
    ]
    dc = DataCollection([load_data(str(p)) for p in paths])
    attached = actions.attach_pending_backgrounds(dc)
    labels = {d.label: d for d in dc}
    assert sorted(labels) == ["calexp_512055_74", "calexp_512055_75"]  # from the Butler names
    assert sorted(image.label for image, _ in attached) == sorted(labels)
    assert _mean_background(labels["calexp_512055_75"]) == pytest.approx(DETECTOR_LEVELS[75])
    assert _mean_background(labels["calexp_512055_74"]) == pytest.approx(DETECTOR_LEVELS[74])


def test_header_cards_tell_a_renamed_calexp(two_detectors, tmp_path):
    import shutil

    from conftest import DETECTOR_LEVELS

    shutil.copy(two_detectors["calexp"][75], tmp_path / "my_image.fits")
    image = load_data(str(tmp_path / "my_image.fits"))  # VISIT/DETECTOR cards only
    backgrounds = [load_data(str(two_detectors["calexpBackground"][d])) for d in (74, 75)]
    dc = DataCollection([image, *backgrounds])
    pairings = actions.pair_pending_backgrounds(dc)
    assert [(p.background.label, p.attached) for p in pairings] == [
        ("calexpBackground_512055_74", False),
        ("calexpBackground_512055_75", True),
    ]
    assert _mean_background(image) == pytest.approx(DETECTOR_LEVELS[75])


def test_when_nothing_tells_them_apart_the_background_stays_on_its_own(glue_products, tmp_path):
    import shutil

    shutil.copy(glue_products["paths"]["calexp"], tmp_path / "image.fits")
    shutil.copy(glue_products["paths"]["calexpBackground"], tmp_path / "sky.fits")
    image, background = (load_data(str(tmp_path / n)) for n in ("image.fits", "sky.fits"))
    dc = DataCollection([image, background])
    (pairing,) = actions.pair_pending_backgrounds(dc)
    assert (pairing.attached, pairing.image) == (False, None)
    assert "nothing tells which image it belongs to" in pairing.reason
    assert background in dc
    # the user may pair them: offered as a candidate both ways, then attached by hand
    ((candidate, match),) = actions.attach_candidates(image, dc)
    assert (candidate, match.verdict) == (background, "unknown")
    assert [c for c, _ in actions.attach_candidates(background, dc)] == [image]
    actions.attach_background(image, background)
    np.testing.assert_array_equal(image["background"], glue_products["background"])


def test_a_coadd_background_goes_to_deepcoadd_calexp_only(glue_products):
    coadd, bkg = _load(glue_products, "deepCoadd", "deepCoadd_calexp_background")
    with pytest.raises(
        actions.GridMismatch, match="belongs to a deepCoadd_calexp, not to a deepCoadd"
    ):
        actions.attach_background(coadd, bkg)
    dc = DataCollection([coadd, bkg])
    (pairing,) = actions.pair_pending_backgrounds(dc)
    assert not pairing.attached


def test_same_bbox_is_not_the_same_pixel_grid(two_detectors, glue_products):
    calexp74, calexp75 = (load_data(str(two_detectors["calexp"][d])) for d in (74, 75))
    coadd, coadd_calexp = _load(glue_products, "deepCoadd", "deepCoadd_calexp")
    dc = DataCollection([calexp74, calexp75, coadd, coadd_calexp])
    problem = actions.grid_mismatch(calexp75, calexp74)
    assert "detector=75 vs detector=74" in problem
    assert "pixels at the corners" in problem
    assert actions.difference_candidates(calexp75, dc) == []
    with pytest.raises(actions.GridMismatch, match="detector=75 vs detector=74"):
        actions.difference(calexp75, calexp74, dc)
    assert actions.difference_candidates(coadd, dc) == [coadd_calexp]
    assert actions.grid_mismatch(coadd, coadd_calexp) is None


def test_one_sky_grid_or_one_data_id_is_one_pixel_grid(glue_products, tmp_path):
    import shutil

    from skybkg_adapters import read_exposure, write_exposure

    # two bands of one patch: other data ids, the same sky grid (WCSs agree)
    shutil.copy(glue_products["paths"]["deepCoadd"], tmp_path / "deepCoadd_4226_17_i_DC2.fits")
    r, i = (
        load_data(str(p))
        for p in (glue_products["paths"]["deepCoadd"], tmp_path / "deepCoadd_4226_17_i_DC2.fits")
    )
    assert actions.grid_mismatch(r, i) is None
    # one data id, a WCS shifted by two pixels (a recalibrated image): still one pixel grid
    shifted = read_exposure(glue_products["paths"]["deepCoadd_calexp"])
    shifted.wcs.wcs.crpix = [shifted.wcs.wcs.crpix[0] + 2, shifted.wcs.wcs.crpix[1]]
    write_exposure(tmp_path / "deepCoadd_calexp_4226_17_r_DC2.fits", shifted)
    moved = load_data(str(tmp_path / "deepCoadd_calexp_4226_17_r_DC2.fits"))
    assert actions.grid_mismatch(r, moved) is None
    # another band and a shifted WCS: refused, saying both
    problem = actions.grid_mismatch(i, moved)
    assert "band=i vs band=r" in problem
    assert "differ by 2 pixels at the corners" in problem


def test_compare_is_offered_only_for_a_coadd_pair(two_detectors, glue_products):
    images = [load_data(str(two_detectors["calexp"][d])) for d in (74, 75)]
    backgrounds = [load_data(str(two_detectors["calexpBackground"][d])) for d in (74, 75)]
    coadd, coadd_calexp, coadd_bkg = _load(
        glue_products, "deepCoadd", "deepCoadd_calexp", "deepCoadd_calexp_background"
    )
    dc = DataCollection([*images, *backgrounds, coadd, coadd_calexp, coadd_bkg])
    actions.attach_pending_backgrounds(dc)
    calexp74, calexp75 = images
    assert actions.compare_candidates(calexp75, dc) == []
    with pytest.raises(actions.GridMismatch, match="detector=75 vs detector=74"):
        actions.compare_with_stored_background(calexp75, calexp74, dc)
    assert [c.label for c in calexp75.components].count("image - calexp_512055_74") == 0
    assert actions.compare_candidates(coadd, dc) == [coadd_calexp]
    assert actions.compare_candidates(coadd_calexp, dc) == []  # deepCoadd has no background


def test_statistics_components_are_floats_only(glue_products):
    (calexp,) = _load(glue_products, "calexp")
    actions.attach_background(calexp, str(glue_products["paths"]["calexpBackground"]))
    actions.restore_background(calexp)
    labels = [c.label for c in actions.statistics_components(calexp)]
    assert labels == ["image", "variance", "background", "image + background"]
    assert not calexp.get_component(calexp.id["mask"]).is_loaded  # told without reading it

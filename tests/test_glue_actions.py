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
    with pytest.raises(SkybkgError, match="attach its background first"):
        actions.restore_background(calexp)
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

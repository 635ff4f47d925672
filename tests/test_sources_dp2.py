"""DP2 and DP1 products from every source: a real Butler, a folder, a file, TAP + DataLink.

DP2 files are read by content whatever their dataset type; ``visit_image.backgrounds`` is the
image's own file (the Butler resolves the component to it; a TAP ``#this`` file carries it, no
paired Butler needed); a DP1 visit image gets its calibration from the repository's
``visit_summary`` row of its detector.
"""

from __future__ import annotations

import shutil

import _dp1_products as dp1
import numpy as np
import pytest
from _sources_products import TOKEN, token_guard  # noqa: F401  (autouse: no token leaks)
from astropy.io import fits
from test_sources_tap import RspMock

from skybkg_adapters import (
    BackgroundMap,
    BackgroundModel,
    ButlerSource,
    FileSource,
    FormatError,
    LocalSource,
    ProductNotFound,
    SkyImage,
    TapSource,
    UnitMismatch,
    create_butler_repo,
    open_source,
)

DP2_VISIT = {"visit": 2025052000177, "detector": 85}
DP2_COADD = {"tract": 8270, "patch": 30, "band": "r"}
DP1_VISIT = {"visit": dp1.VISIT, "detector": dp1.DETECTOR}


@pytest.fixture(scope="module")
def dp2_repo(tmp_path_factory, lsst_images_dir):
    root = tmp_path_factory.mktemp("dp2-repo") / "repo"
    products = [
        ("visit_image", {**DP2_VISIT, "band": "r"}, lsst_images_dir / "visit_05_offset.fits"),
        ("deep_coadd", DP2_COADD, lsst_images_dir / "cell_coadd_01.fits"),
    ]
    create_butler_repo(root, products, run="DP2/test", instrument="LSSTCam", skymap="lsst_cells_v1")
    return root


@pytest.fixture(scope="module")
def dp1_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dp1-files")
    return {
        "visit_image": dp1.write_visit_image(folder / "visit_image.fits"),
        "visit_image_background": dp1.write_background_file(folder / "background.fits"),
        "visit_summary": dp1.write_visit_summary(folder / "visit_summary.fits"),
    }


def _dp1_repo(root, dp1_files, with_summary: bool):
    products = [
        ("visit_image", {**DP1_VISIT, "band": "r"}, dp1_files["visit_image"]),
        ("visit_image_background", {**DP1_VISIT, "band": "r"}, dp1_files["visit_image_background"]),
    ]
    if with_summary:
        products.append(
            ("visit_summary", {"visit": dp1.VISIT, "band": "r"}, dp1_files["visit_summary"])
        )
    create_butler_repo(root, products, run="DP1/test", instrument="LSSTComCam")
    return ButlerSource(str(root), collections="DP1/test")


def test_dp2_visit_image_and_its_backgrounds_component_from_a_butler(dp2_repo, lsst_images_dir):
    source = open_source(f"butler:{dp2_repo}?collections=DP2/test")
    image = source.get("visit_image", DP2_VISIT)
    assert isinstance(image, SkyImage)
    assert image.tree is not None
    assert list(image.backgrounds) == ["subtracted", "skyCorr"]
    assert image.provenance.dataset_type == "visit_image"
    backgrounds = source.get("visit_image.backgrounds", DP2_VISIT)
    assert isinstance(backgrounds, BackgroundMap)
    assert backgrounds.subtracted == "skyCorr"
    assert backgrounds.provenance.dataset_type == "visit_image.backgrounds"
    assert backgrounds["skyCorr"].provenance.dataset_type == "visit_image.backgrounds"
    # the Butler resolves the component to the image's own file
    assert source.uri("visit_image.backgrounds", DP2_VISIT) == source.uri("visit_image", DP2_VISIT)
    expected = np.load(lsst_images_dir / "visit_05_offset.skyCorr.float32.npy")
    np.testing.assert_array_equal(backgrounds["skyCorr"].render(), expected)
    coadd = source.get("deep_coadd.backgrounds", DP2_COADD)
    assert list(coadd) == ["object", "pretty"]


def test_the_repository_records_the_dp2_storage_classes(dp2_repo):
    from lsst.daf.butler import Butler

    butler = Butler(str(dp2_repo))
    assert butler.get_dataset_type("visit_image").storageClass_name == "VisitImage"
    assert butler.get_dataset_type("deep_coadd").storageClass_name == "CellCoadd"


def test_dp1_background_names_keep_working_and_restore_is_refused(tmp_path, dp1_files):
    source = _dp1_repo(tmp_path / "repo", dp1_files, with_summary=False)
    image = source.get("visit_image", DP1_VISIT)
    background = source.get("visit_image_background", DP1_VISIT)
    assert isinstance(background, BackgroundModel)
    assert image.photometric_scaling.is_identity  # nothing better in this repository
    image.backgrounds = BackgroundMap(
        {"visit_image_background": background}, "visit_image_background"
    )
    with pytest.raises(UnitMismatch, match="visit_summary"):
        image.apply_background(None)


def test_a_dp1_visit_image_takes_its_calibration_from_visit_summary(tmp_path, dp1_files):
    source = _dp1_repo(tmp_path / "repo", dp1_files, with_summary=True)
    image = source.get("visit_image", DP1_VISIT)
    scaling = image.photometric_scaling
    assert scaling.constant == pytest.approx(dp1.CALIBRATION, rel=1e-14)
    assert "visit_summary" in scaling.origin
    background = source.get("visit_image_background", DP1_VISIT)
    image.backgrounds = BackgroundMap(
        {"visit_image_background": background}, "visit_image_background"
    )
    restored = image.apply_background(None)
    expected = image.image + background.render() * np.float32(scaling.constant)
    np.testing.assert_array_equal(restored, expected)
    # in counts, that is the counts image plus its background, to float32 round-off
    np.testing.assert_allclose(
        restored / dp1.CALIBRATION, dp1.counts_image() + background.render(), rtol=1e-6
    )
    assert source.visit_summary_calibration(DP1_VISIT).constant == scaling.constant


def test_a_folder_and_a_file_read_dp2_by_content(tmp_path, lsst_images_dir):
    folder = tmp_path / "copy" / "DP2" / "visit_image" / "r"
    folder.mkdir(parents=True)
    shutil.copy(
        lsst_images_dir / "visit_05_offset.fits",
        folder / "visit_image_LSSTCam_r_2025052000177_85_DP2.fits",
    )
    local = LocalSource(tmp_path / "copy")
    image = local.get("visit_image", DP2_VISIT)
    assert isinstance(image, SkyImage)
    assert list(local.get("visit_image.backgrounds", DP2_VISIT)) == ["subtracted", "skyCorr"]
    map_file = FileSource(lsst_images_dir / "background_map_01.fits")
    assert map_file.kind == "background_map"
    assert isinstance(map_file.get(), BackgroundMap)
    with pytest.raises(FormatError, match="DP2 \\(lsst-images\\) background map file"):
        map_file.get("visit_image", {})


@pytest.fixture
def dp2_rsp(httpserver, lsst_images_dir, tmp_path):
    mock = RspMock(httpserver, [])
    mock.add("lsst.visit_image", DP2_VISIT, lsst_images_dir / "visit_05_offset.fits")
    # a SODA cutout of a DP2 file: the primary and the pixel planes, no JSON or INDEX
    with fits.open(lsst_images_dir / "visit_07_uncompressed.fits") as hdul:
        cut = fits.HDUList([fits.PrimaryHDU(header=hdul[0].header)])
        for name in ("IMAGE", "MASK", "VARIANCE"):
            cut.append(fits.ImageHDU(hdul[name].data[:20, :30], header=hdul[name].header))
        cut.writeto(tmp_path / "cutout.fits")
    mock.add("lsst.visit_image", {"visit": 7, "detector": 1}, tmp_path / "cutout.fits")
    return mock


def _tap(url) -> TapSource:
    return TapSource(url, token=TOKEN, retries=2, backoff=0.0, timeout=2.0)


def test_dp2_from_tap_needs_no_butler(dp2_rsp, httpserver, lsst_images_dir):
    source = _tap(httpserver.url_for("/api/tap"))
    assert source.butler is None
    image = source.get("visit_image", DP2_VISIT)
    assert list(image.backgrounds) == ["subtracted", "skyCorr"]
    backgrounds = source.get("visit_image.backgrounds", DP2_VISIT)
    expected = np.load(lsst_images_dir / "visit_05_offset.subtracted.npy")
    np.testing.assert_array_equal(backgrounds["subtracted"].render(dtype=np.float64), expected)
    # an afw-era background still needs the paired Butler, and says how to get DP2's
    with pytest.raises(ProductNotFound, match="visit_image.backgrounds"):
        source.get("visit_image_background", DP2_VISIT)


def test_a_soda_cutout_without_its_json_is_reported_with_the_advice(dp2_rsp, httpserver):
    source = _tap(httpserver.url_for("/api/tap"))
    with pytest.raises(FormatError) as info:
        source.get("visit_image", {"visit": 7, "detector": 1})
    message = str(info.value)
    assert "has no JSON HDU" in message
    assert "SODA cutout" in message
    assert "fetch the full file" in message
    assert "pair a Butler" in message
    assert TOKEN not in message

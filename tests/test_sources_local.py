"""LocalSource (Butler datastore layout and templates), FileSource and open_source on paths."""

from __future__ import annotations

import shutil

import pytest
from _sources_products import VISIT_ID, assert_same_background, assert_same_image, make_products

from skybkg_adapters import (
    AmbiguousProduct,
    BackgroundModel,
    FormatError,
    LocalSource,
    ProductNotFound,
    SkyImage,
    open_source,
)
from skybkg_adapters.dataset_types import product_kind
from skybkg_adapters.detectors import detector_full_name
from skybkg_adapters.lsst_fits import read_background, read_exposure
from skybkg_adapters.sources import FileSource

VISIT = {"visit": 512055, "detector": 75}
# A copy of a Butler file datastore, named as daf_butler's default template names files.
DATASTORE = {
    "calexp": "2.2i/runs/DP0.2/calexp/20220101/i/i_sim_1.4/512055/"
    "calexp_LSSTCam-imSim_i_i_sim_1_4_512055_R20_S10_2_2i_runs_DP0_2.fits",
    "calexpBackground": "2.2i/runs/DP0.2/calexpBackground/20220101/i/i_sim_1.4/512055/"
    "calexpBackground_LSSTCam-imSim_i_i_sim_1_4_512055_R20_S10_2_2i_runs_DP0_2.fits",
    "deepCoadd": "2.2i/runs/DP0.2/deepCoadd/4226/17/r/deepCoadd_4226_17_r_DC2_2_2i_runs_DP0_2.fits",
    "deepCoadd_calexp": "2.2i/runs/DP0.2/deepCoadd_calexp/4226/17/r/"
    "deepCoadd_calexp_4226_17_r_DC2_2_2i_runs_DP0_2.fits",
    "deepCoadd_calexp_background": "2.2i/runs/DP0.2/deepCoadd_calexp_background/4226/17/r/"
    "deepCoadd_calexp_background_4226_17_r_DC2_2_2i_runs_DP0_2.fits",
}


@pytest.fixture
def products(tmp_path):
    return make_products(tmp_path / "flat")


@pytest.fixture
def datastore(tmp_path, products):
    root = tmp_path / "datastore"
    for dataset_type, _, path in products:
        target = root / DATASTORE[dataset_type]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return root


def test_dataset_type_kinds():
    backgrounds = [
        "calexpBackground",
        "deepCoadd_calexp_background",
        "visit_image_background",
        "deep_coadd_background",
        "preliminary_visit_image_background",
    ]
    exposures = ["calexp", "deepCoadd", "deepCoadd_calexp", "visit_image", "deep_coadd"]
    assert [product_kind(t) for t in backgrounds] == ["background"] * 5
    assert [product_kind(t) for t in exposures] == ["exposure"] * 5


def test_detector_full_names():
    assert detector_full_name("LSSTCam-imSim", 94) == "R22_S11"  # the centre of the focal plane
    assert detector_full_name("LSSTCam-imSim", 75) == "R20_S10"
    assert detector_full_name("LSSTCam-imSim", 188) == "R43_S22"
    assert detector_full_name("LSSTComCam", 4) == "R22_S11"
    assert detector_full_name("LSSTCam-imSim", 189) is None


def test_datastore_layout_finds_every_product(datastore, products):
    source = LocalSource(datastore)
    files = {dt: path for dt, _, path in products}
    for dataset_type, data_id, _ in products:
        data_id = {k: v for k, v in data_id.items() if k != "band" or "visit" not in data_id}
        found = source.get(dataset_type, data_id)
        if isinstance(found, SkyImage):
            assert_same_image(found, read_exposure(files[dataset_type]))
        else:
            assert isinstance(found, BackgroundModel)
            assert_same_background(found, read_background(files[dataset_type]))
        assert found.provenance.uri == (datastore / DATASTORE[dataset_type]).as_uri()
        assert found.provenance.source == str(datastore)


def test_missing_product_lists_what_exists(datastore):
    source = LocalSource(datastore)
    with pytest.raises(ProductNotFound) as err:
        source.get("calexp", {"visit": 512056, "detector": 75})
    text = str(err.value)
    # the data ids one can ask for, read from the Butler file names (not the file names)
    assert "Data ids of calexp there: visit=512055, detector=75." in text
    assert "R20_S10" not in text
    with pytest.raises(ProductNotFound, match="data id there is: calexp, calexpBackground"):
        source.get("visit_image", VISIT)
    with pytest.raises(ProductNotFound, match="There is no visit_image at all"):
        source.get("visit_image", VISIT)


def test_a_folder_without_butler_names_asks_for_a_template_in_words(tmp_path):
    (tmp_path / "image.fits").write_bytes(b"")
    with pytest.raises(ProductNotFound) as err:
        LocalSource(tmp_path).get("calexp", VISIT)
    text = str(err.value)
    assert "file-name template such as {dataset_type}_{visit}_{detector}.fits" in text
    assert "File names field" in text
    assert "pass template=" not in text


def test_ambiguous_files_are_listed(datastore):
    second = datastore / DATASTORE["deepCoadd_calexp"].replace("/r/", "/g/").replace("_r_", "_g_")
    second.parent.mkdir(parents=True)
    shutil.copy(datastore / DATASTORE["deepCoadd_calexp"], second)
    source = LocalSource(datastore)
    with pytest.raises(AmbiguousProduct) as err:
        source.get("deepCoadd_calexp", {"tract": 4226, "patch": 17})
    assert "deepCoadd_calexp_4226_17_g_" in str(err.value)
    assert "deepCoadd_calexp_4226_17_r_" in str(err.value)
    assert source.get("deepCoadd_calexp", {"tract": 4226, "patch": 17, "band": "g"}).xy0 == (
        11900,
        7900,
    )


def test_template(products):
    folder = products[0][2].parent
    source = LocalSource(folder, template="{dataset_type}.fits")
    assert_same_image(source.get("calexp", VISIT), read_exposure(products[0][2]))
    with pytest.raises(ProductNotFound, match="needs \\['visit'\\]"):
        LocalSource(folder, template="{dataset_type}_{visit}.fits").get("calexp", {"detector": 1})
    with pytest.raises(ProductNotFound, match="No file matches the template"):
        LocalSource(folder, template="{dataset_type}_{visit}.fits").get("calexp", VISIT)
    (folder / "calexp_00512055_075.fits").symlink_to(products[0][2])
    padded = LocalSource(folder, template="{dataset_type}_{visit:08d}_{detector:03d}.fits")
    assert padded.get("calexp", VISIT).shape == (48, 64)
    with pytest.raises(ProductNotFound, match="Files of calexp there:\n  calexp_00512055_075"):
        padded.get("calexp", {"visit": 1, "detector": 75})


def test_a_template_that_cannot_be_filled_says_why(tmp_path):
    with pytest.raises(ProductNotFound, match=r"'\{\}_\{visit\}\.fits' cannot be filled.*index 0"):
        LocalSource(tmp_path, template="{}_{visit}.fits").get("calexp", {"visit": 1})
    with pytest.raises(ProductNotFound, match=r"format code 'd'.*\{detector:03d\} for integers"):
        LocalSource(tmp_path, template="{band:d}.fits").get("calexp", {"band": "r"})


def test_single_files_and_kind_checks(products):
    calexp, background = products[0][2], products[1][2]
    image = open_source(calexp).get()
    assert isinstance(image, SkyImage)
    assert image.provenance.dataset_type == "exposure"
    assert isinstance(open_source(str(background)), FileSource)
    alone = open_source(background).get()
    assert isinstance(alone, BackgroundModel)
    assert alone.provenance.dataset_type == "background"
    assert isinstance(open_source(background).get("calexpBackground", VISIT_ID), BackgroundModel)
    with pytest.raises(FormatError, match="afw background file, but dataset type 'calexp'"):
        FileSource(background).get("calexp")


def test_open_source_dispatch(datastore, tmp_path):
    assert isinstance(open_source(datastore), LocalSource)
    with pytest.raises(ProductNotFound, match="not an existing file or folder"):
        open_source(tmp_path / "nowhere")

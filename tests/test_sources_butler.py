"""ButlerSource and create_butler_repo against a real lsst-daf-butler repository in tmp."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from _sources_products import (
    COADD_ID,
    assert_same_background,
    assert_same_image,
    make_products,
)

from skybkg_adapters import (
    AmbiguousProduct,
    BackgroundModel,
    ButlerSource,
    LocalSource,
    MissingDependency,
    ProductNotFound,
    SkyImage,
    create_butler_repo,
    open_source,
)
from skybkg_adapters.lsst_fits import read_background, read_exposure

RUN = "2.2i/runs/DP0.2"


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    return make_products(tmp_path_factory.mktemp("products"))


@pytest.fixture(scope="module")
def repo(tmp_path_factory, products):
    return create_butler_repo(tmp_path_factory.mktemp("repo") / "dp02", products)


def test_repository_is_a_real_butler_with_dp02_layout(repo):
    from lsst.daf.butler import Butler

    butler = Butler(str(repo), collections=RUN)
    names = {dt.name for dt in butler.registry.queryDatasetTypes()}
    assert names == {
        "calexp",
        "calexpBackground",
        "deepCoadd",
        "deepCoadd_calexp",
        "deepCoadd_calexp_background",
    }
    uri = butler.getURI("calexp", instrument="LSSTCam-imSim", visit=512055, detector=75)
    # The Butler's default file template; detector 75 of LSSTCam-imSim is R20_S10.
    assert uri.ospath.endswith(
        "2.2i/runs/DP0.2/calexp/20220101/i/i_sim_1.4/512055/"
        "calexp_LSSTCam-imSim_i_i_sim_1_4_512055_R20_S10_2_2i_runs_DP0_2.fits"
    )
    assert uri.ospath.startswith(str(repo))  # copied in: the repository is self-contained


def test_notebook_data_ids_read_the_ingested_files(repo, products):
    source = ButlerSource(str(repo), collections=RUN)
    files = {dt: path for dt, _, path in products}
    calexp = source.get("calexp", {"visit": 512055, "detector": 75})
    assert isinstance(calexp, SkyImage)
    assert_same_image(calexp, read_exposure(files["calexp"]))
    assert calexp.metadata["BGMEAN"] == 501.0
    background = source.get("calexpBackground", {"visit": 512055, "detector": 75})
    assert isinstance(background, BackgroundModel)
    assert_same_background(background, read_background(files["calexpBackground"]))
    coadd = source.get("deepCoadd_calexp", {"tract": 4226, "patch": 17, "band": "r"})
    assert coadd.xy0 == (11900, 7900)
    assert_same_image(coadd, read_exposure(files["deepCoadd_calexp"]))
    residual = source.get("deepCoadd_calexp_background", COADD_ID)
    assert_same_background(residual, read_background(files["deepCoadd_calexp_background"]))


def test_provenance_names_the_repo_and_reopens(repo):
    source = open_source(f"butler:{repo}?collections={RUN}")
    image = source.get("calexp", {"visit": 512055, "detector": 75})
    prov = image.provenance
    assert prov.source == f"butler:{repo}?collections={RUN}"
    assert prov.dataset_type == "calexp"
    assert dict(prov.data_id) == {"visit": 512055, "detector": 75}
    assert prov.uri.startswith(f"file://{repo}/2.2i/runs/DP0.2/calexp/")
    again = open_source(prov.source).get(prov.dataset_type, prov.data_id)
    np.testing.assert_array_equal(again.image, image.image)


def test_a_butler_object_is_accepted(repo):
    from lsst.daf.butler import Butler

    source = open_source(Butler(str(repo), collections=RUN))
    assert isinstance(source, ButlerSource)
    assert source.collections == [RUN]
    assert source.spec == f"butler:{repo}?collections={RUN}"
    searched = ButlerSource(Butler(str(repo)), collections=RUN)  # no default collections
    assert searched.get("calexp", {"visit": 512055, "detector": 75}).shape == (48, 64)
    assert searched.spec == source.spec
    assert source.get("deepCoadd", COADD_ID).xy0 == (11900, 7900)


def test_local_and_butler_sources_return_identical_containers(repo):
    butler = ButlerSource(str(repo), collections=RUN)
    local = LocalSource(repo)
    for dataset_type, data_id in [
        ("calexp", {"visit": 512055, "detector": 75}),
        ("deepCoadd_calexp", COADD_ID),
        ("deepCoadd", COADD_ID),
    ]:
        a, b = butler.get(dataset_type, data_id), local.get(dataset_type, data_id)
        assert_same_image(a, b)
        assert a.provenance.uri == b.provenance.uri
    for dataset_type, data_id in [
        ("calexpBackground", {"visit": 512055, "detector": 75}),
        ("deepCoadd_calexp_background", COADD_ID),
    ]:
        assert_same_background(butler.get(dataset_type, data_id), local.get(dataset_type, data_id))


def test_missing_product_says_what_exists(repo):
    source = ButlerSource(str(repo), collections=RUN)
    with pytest.raises(ProductNotFound) as err:
        source.get("calexp", {"visit": 1, "detector": 75})
    assert "visit: 512055" in str(err.value)
    with pytest.raises(ProductNotFound, match="no dataset type 'visit_image'.*'calexp'"):
        source.get("visit_image", {"visit": 512055, "detector": 75})


def test_governor_filled_only_when_unique(tmp_path, products):
    root = create_butler_repo(tmp_path / "two", products[:1])
    from lsst.daf.butler import Butler

    butler = Butler(str(root), writeable=True)
    butler.registry.insertDimensionData("instrument", {"name": "LSSTComCam"})
    # Without inferred defaults the Butler itself does not pick an instrument for us.
    source = ButlerSource(Butler(str(root), collections=RUN, inferDefaults=False))
    several = r"instrument values \['LSSTCam-imSim', 'LSSTComCam'\]"
    with pytest.raises(AmbiguousProduct, match=several):
        source.get("calexp", {"visit": 512055, "detector": 75})
    image = source.get("calexp", {"instrument": "LSSTCam-imSim", "visit": 512055, "detector": 75})
    assert image.shape == (48, 64)


def test_butler_like_objects_resolve_through_geturi(products):
    files = {dt: path for dt, _, path in products}

    class FakeButler:
        def getURI(self, dataset_type, data_id):  # noqa: N802 - the Butler's name
            if data_id != {"visit": 512055, "detector": 75}:
                raise LookupError("no such dataset")
            return files[dataset_type].as_uri()

    source = ButlerSource(FakeButler())
    assert source.get("calexp", {"visit": 512055, "detector": 75}).shape == (48, 64)
    with pytest.raises(ProductNotFound, match="no such dataset"):
        source.get("calexp", {"visit": 3, "detector": 75})


def test_missing_lsst_daf_butler_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "lsst.daf.butler", None)
    with pytest.raises(MissingDependency, match=r"pip install 'glue-skybkg\[butler\]'"):
        ButlerSource(str(tmp_path), collections=RUN)
    with pytest.raises(MissingDependency, match=r"glue-skybkg\[butler\]"):
        create_butler_repo(tmp_path / "r", [])


def test_https_uris_download_through_the_http_layer(httpserver, products, tmp_path):
    from skybkg_adapters.sources import DownloadCache, HttpClient

    calexp = products[0][2]
    httpserver.expect_request("/bucket/calexp.fits").respond_with_data(calexp.read_bytes())
    presigned = httpserver.url_for("/bucket/calexp.fits") + "?X-Amz-Signature=s3cr3t"

    class RemoteLike:
        def getURI(self, dataset_type, data_id):  # noqa: N802 - the Butler's name
            return presigned

    http = HttpClient(
        "tok-butler-SECRET",
        {"butler.example.org"},
        retries=0,
        cache=DownloadCache(tmp_path / "cache"),
    )
    image = ButlerSource(RemoteLike(), http=http).get("calexp", {"visit": 512055, "detector": 75})
    assert_same_image(image, read_exposure(calexp))
    assert image.provenance.uri == httpserver.url_for("/bucket/calexp.fits") + "?<query removed>"
    assert httpserver.log[0][0].headers.get("Authorization") is None
    assert image.provenance.source == "butler:RemoteLike"


def test_create_butler_repo_refuses_incomplete_data_ids(tmp_path, products):
    with pytest.raises(ValueError, match=r"lacks \['band'\]"):
        create_butler_repo(
            tmp_path / "r", [("calexp", {"visit": 1, "detector": 2}, products[0][2])]
        )


def test_files_inside_the_root_register_in_place_and_stay_relocatable(tmp_path):
    root = tmp_path / "inplace"
    products = make_products(root / "files")
    create_butler_repo(root, products, transfer=None)
    moved = root.rename(tmp_path / "moved")
    source = ButlerSource(str(moved), collections=RUN)
    image = source.get("calexp", {"visit": 512055, "detector": 75})
    assert image.provenance.uri == (moved / "files" / "calexp.fits").as_uri()
    assert_same_image(image, read_exposure(moved / "files" / "calexp.fits"))


def test_importing_the_adapters_does_not_import_lsst():
    import subprocess

    code = (
        "import sys, skybkg_adapters; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lsst', 'pyvo')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_repository_that_is_not_there_says_what_to_give(tmp_path):
    missing = tmp_path / "no-repo"
    with pytest.raises(
        ProductNotFound,
        match=r"Cannot open the Butler repository .*no-repo.*"
        r"folder that holds butler\.yaml",
    ):
        open_source(f"butler:{missing}?collections=2.2i/runs/DP0.2")

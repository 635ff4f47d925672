"""TapSource against a TAP + DataLink + object-store server on loopback; real pyvo and requests.

The TAP service and DataLink live on ``localhost``; the presigned file links point at
``127.0.0.1`` (the same server under another host name), so the tests can check that
the token goes to the service and never to the storage host.
"""

from __future__ import annotations

import io
import logging
import re
import time
from urllib.parse import quote

import numpy as np
import pytest
from _sources_products import (  # token_guard is autouse here
    COADD_ID,
    TOKEN,
    assert_same_background,
    assert_same_image,
    make_products,
    token_guard,  # noqa: F401
)
from astropy.io.votable import from_table
from astropy.io.votable.tree import Info
from astropy.table import Table
from werkzeug import Request, Response

from skybkg_adapters import (
    AmbiguousProduct,
    AuthError,
    ButlerSource,
    LocalSource,
    ProductNotFound,
    ServiceError,
    SkybkgError,
    TapSource,
    create_butler_repo,
    open_source,
)
from skybkg_adapters.sources.cache import DownloadCache

VISIT = {"visit": 512055, "detector": 75}
RUN = "2.2i/runs/DP0.2"
_TEXT_COLUMNS = {"dataproduct_subtype", "access_url", "access_format", "obs_id", "lsst_band"}
_CONDITION = re.compile(r"(\w+) = (?:'((?:[^']|'')*)'|(-?\d+))")


class RspMock:
    """ObsCore rows, DataLink answers and presigned files served by one pytest-httpserver."""

    def __init__(self, server, products):
        self.server = server
        self.files = {}
        self.rows = []
        subtype = {"calexp": "lsst.calexp", "deepCoadd_calexp": "lsst.deepCoadd_calexp"}
        for dataset_type, data_id, path in products:
            if dataset_type not in subtype:
                continue  # backgrounds and deepCoadd are not in ObsCore
            self.add(subtype[dataset_type], data_id, path)
        server.expect_request("/api/tap/sync").respond_with_handler(self.tap)
        server.expect_request("/api/datalink/links").respond_with_handler(self.links)
        server.expect_request(re.compile("^/s3/.*")).respond_with_handler(self.download)

    def add(self, subtype, data_id, path, uuid=None):
        uuid = uuid or f"{len(self.rows):08d}-0000-0000-0000-000000000000"
        self.files[uuid] = path.read_bytes()
        self.rows.append(
            {
                "dataproduct_subtype": subtype,
                "access_url": self.server.url_for("/api/datalink/links")
                + "?ID="
                + quote(f"butler://dp02/{uuid}", safe=""),
                "access_format": "application/x-votable+xml;content=datalink",
                "obs_id": str(data_id.get("visit", "DC2-4226-17")),
                "lsst_visit": data_id.get("visit", -1),
                "lsst_detector": data_id.get("detector", -1),
                "lsst_tract": data_id.get("tract", -1),
                "lsst_patch": data_id.get("patch", -1),
                "lsst_band": data_id.get("band", ""),
            }
        )

    @property
    def storage(self):
        return self.server.url_for("/s3/").replace("localhost", "127.0.0.1")

    def tap(self, request: Request) -> Response:
        query = request.values["QUERY"]
        rows = self.rows
        for column, text, number in _CONDITION.findall(query.partition("WHERE")[2]):
            value = int(number) if number else text.replace("''", "'")
            rows = [r for r in rows if r[column] == value]
        if "DISTINCT dataproduct_subtype" in query:
            table = Table(
                {
                    "dataproduct_subtype": sorted({r["dataproduct_subtype"] for r in rows})
                    or np.array([], str)
                }
            )
        else:
            selected = query.partition("SELECT")[2].partition("FROM")[0]
            names = [c.strip() for c in selected.split(",")]
            if rows:
                table = Table(rows=[[r[n] for n in names] for r in rows], names=names)
            else:
                table = Table({n: np.array([], str if n in _TEXT_COLUMNS else int) for n in names})
        return votable_response(table)

    def links(self, request: Request) -> Response:
        dataset_id = request.args["ID"]
        uuid = dataset_id.rpartition("/")[2]
        row = {
            "ID": dataset_id,
            "access_url": "",
            "service_def": "",
            "error_message": "",
            "description": "",
            "semantics": "#this",
            "content_type": "",
            "content_length": 0,
        }
        if uuid == "broken":
            row["error_message"] = "UsageFault: the dataset has no file"
        elif uuid not in self.files:
            row["error_message"] = f"NotFoundFault: {dataset_id} not found"
        else:
            row.update(
                access_url=f"{self.storage}{uuid}.fits?X-Amz-Signature=sig{uuid}",
                content_type="application/fits",
                content_length=len(self.files[uuid]),
                description="The image itself",
            )
        cutout = dict(
            row,
            semantics="#cutout",
            service_def="cutout-sync",
            access_url="",
            error_message="",
            content_length=0,
        )
        table = Table(rows=[row, cutout])
        table["content_length"] = table["content_length"].astype(np.int64)
        return votable_response(table, status=None)

    def download(self, request: Request) -> Response:
        uuid = request.path.rpartition("/")[2].removesuffix(".fits")
        return Response(self.files[uuid], content_type="application/fits")


def votable_response(table: Table, status="OK") -> Response:
    votable = from_table(table)
    if status:
        votable.resources[0].infos.append(Info(name="QUERY_STATUS", value=status))
    out = io.BytesIO()
    votable.to_xml(out)
    return Response(out.getvalue(), content_type="application/x-votable+xml")


@pytest.fixture
def products(tmp_path):
    return make_products(tmp_path / "products")


@pytest.fixture
def rsp(httpserver, products):
    return RspMock(httpserver, products)


@pytest.fixture
def tap_url(httpserver):
    return httpserver.url_for("/api/tap")


def tap(url, **kwargs) -> TapSource:
    options = {"token": TOKEN, "retries": 2, "backoff": 0.0, "timeout": 2.0}
    options.update(kwargs)
    return TapSource(url, **options)


def test_calexp_through_obscore_and_datalink(rsp, tap_url, products, httpserver):
    image = tap(tap_url).get("calexp", VISIT)
    assert_same_image(
        image, LocalSource(products[0][2].parent, "{dataset_type}.fits").get("calexp", VISIT)
    )
    prov = image.provenance
    assert prov.source == tap_url
    assert prov.dataset_type == "calexp"
    assert prov.uri == rsp.rows[0]["access_url"]  # the DataLink URL, not the expiring link
    hosts_and_auth = [
        (r.host.split(":")[0], r.headers.get("Authorization")) for r, _ in httpserver.log
    ]
    assert hosts_and_auth == [
        ("localhost", f"Bearer {TOKEN}"),
        ("localhost", f"Bearer {TOKEN}"),
        ("127.0.0.1", None),
    ]
    query = httpserver.log[0][0].values["QUERY"]
    assert "dataproduct_subtype = 'lsst.calexp'" in query
    assert "lsst_visit = 512055" in query
    assert "lsst_detector = 75" in query


def test_second_get_is_served_from_the_cache(rsp, tap_url, httpserver):
    source = tap(tap_url)
    first = source.get("calexp", VISIT)
    second = source.get("calexp", VISIT)
    np.testing.assert_array_equal(first.image, second.image)
    downloads = [r for r, _ in httpserver.log if r.path.startswith("/s3/")]
    assert len(downloads) == 1


def test_three_sources_give_identical_containers(rsp, tap_url, products, tmp_path):
    repo = create_butler_repo(tmp_path / "repo", products)
    butler = ButlerSource(str(repo), collections=RUN)
    paired = tap(tap_url, butler=f"butler:{repo}?collections={RUN}")
    assert isinstance(paired.butler, ButlerSource)
    assert paired.butler.spec == butler.spec
    sources = [LocalSource(repo), butler, paired]
    for dataset_type, data_id in [("calexp", VISIT), ("deepCoadd_calexp", COADD_ID)]:
        local, *others = [s.get(dataset_type, data_id) for s in sources]
        for other in others:
            assert_same_image(local, other)
    for dataset_type, data_id in [
        ("calexpBackground", VISIT),
        ("deepCoadd_calexp_background", COADD_ID),
    ]:
        local, *others = [s.get(dataset_type, data_id) for s in sources]
        for other in others:
            assert_same_background(local, other)


def test_dp1_vocabulary(rsp, tap_url, products):
    dp1_id = {"visit": 2024120700527, "detector": 4, "band": "r"}
    rsp.add("lsst.visit_image", dp1_id, products[0][2])
    image = tap(tap_url).get("visit_image", {"visit": 2024120700527, "detector": 4})
    assert image.shape == (48, 64)


def test_background_without_a_butler_says_how_to_pair(rsp, tap_url, httpserver):
    with pytest.raises(ProductNotFound) as err:
        tap(tap_url).get("calexpBackground", VISIT)
    text = str(err.value)
    assert "backgrounds are not published in ObsCore" in text
    assert "butler=ButlerSource('dp02', collections='2.2i/runs/DP0.2')" in text
    assert httpserver.log == []
    with pytest.raises(ProductNotFound, match="deepCoadd is not published in ObsCore"):
        tap(tap_url).get("deepCoadd", COADD_ID)


def test_missing_product_lists_what_exists(rsp, tap_url):
    with pytest.raises(ProductNotFound) as err:
        tap(tap_url).get("deepCoadd_calexp", {"tract": 4226, "patch": 17, "band": "g"})
    assert "no lsst.deepCoadd_calexp" in str(err.value)
    assert "it has: nothing" in str(err.value)
    with pytest.raises(ProductNotFound, match="For that data id it has: lsst.calexp"):
        tap(tap_url).get("goodSeeingCoadd", {"visit": 512055})


def test_ambiguous_rows_are_listed(rsp, tap_url, products):
    rsp.add("lsst.deepCoadd_calexp", {"tract": 4226, "patch": 17, "band": "g"}, products[3][2])
    with pytest.raises(AmbiguousProduct) as err:
        tap(tap_url).get("deepCoadd_calexp", {"tract": 4226, "patch": 17})
    assert "lsst_band=r" in str(err.value)
    assert "lsst_band=g" in str(err.value)


@pytest.mark.parametrize(
    ("uuid", "error", "text"),
    [
        ("gone", ProductNotFound, "NotFoundFault"),
        ("broken", ServiceError, "UsageFault: the dataset has no file"),
    ],
)
def test_datalink_error_rows(rsp, tap_url, products, uuid, error, text):
    rsp.add("lsst.calexp", {"visit": 7, "detector": 1, "band": "i"}, products[0][2], uuid=uuid)
    rsp.files.pop("gone", None)  # an ID the DataLink service does not know
    with pytest.raises(error, match=text):
        tap(tap_url).get("calexp", {"visit": 7, "detector": 1})


def test_tap_401_is_an_auth_error(httpserver, tap_url):
    httpserver.expect_request("/api/tap/sync").respond_with_data("denied", status=401)
    with pytest.raises(AuthError) as err:
        tap(tap_url).get("calexp", VISIT)
    text = str(err.value)
    assert "HTTP 401" in text
    assert "token was rejected" in text
    assert "https://data.lsst.cloud/auth/tokens" in text
    assert "ACCESS_TOKEN" in text


def test_tap_503_then_success(httpserver, rsp, tap_url):
    httpserver.expect_oneshot_request("/api/tap/sync").respond_with_data("busy", status=503)
    assert tap(tap_url).get("calexp", VISIT).shape == (48, 64)
    assert httpserver.log[0][1].status_code == 503


def test_open_source_with_a_tap_url(rsp, tap_url):
    source = open_source(tap_url, token=TOKEN)
    assert isinstance(source, TapSource)
    assert source.get("calexp", VISIT).shape == (48, 64)


def test_the_token_never_leaks(rsp, tap_url, httpserver, products, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    cache = DownloadCache(tmp_path / "cache")
    seen = []
    source = tap(tap_url, cache=cache)
    seen += [repr(source), repr(source.http), source.spec]
    image = source.get("calexp", VISIT)
    seen += [str(image.provenance.to_dict()), repr(image)]
    rsp.add("lsst.calexp", {"visit": 7, "detector": 1, "band": "i"}, products[0][2], uuid="broken")
    failures = [
        lambda: source.get("calexp", {"visit": 7, "detector": 1}),
        lambda: source.get("calexpBackground", VISIT),
        lambda: source.get("calexp", {"visit": 99, "detector": 1}),
        lambda: tap(tap_url, cache=cache, retries=0).get("raw", {"visit": 1}),
    ]
    for call in failures:
        with pytest.raises(SkybkgError) as err:
            call()
        seen += [str(err.value), repr(err.value)]
    sent = [r.headers.get("Authorization") for r, _ in httpserver.log]
    httpserver.clear()
    httpserver.expect_request("/api/tap/sync").respond_with_data(TOKEN, status=500)
    with pytest.raises(ServiceError) as err:
        tap(tap_url, cache=cache, retries=0).get("calexp", {"visit": 1, "detector": 1})
    seen += [str(err.value)]
    seen += [str(p) for p in (tmp_path / "cache").rglob("*")]
    seen += [record.getMessage() for record in caplog.records]
    # The checks can fail: the token was really used, and the logs and errors really exist.
    assert any("GET" in text for text in seen)
    assert len(seen) > 12
    assert f"Bearer {TOKEN}" in sent
    assert [text for text in seen if TOKEN in text] == []


def test_tap_stall_is_a_timeout(httpserver, tap_url):
    def stall(request):
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/api/tap/sync").respond_with_handler(stall)
    with pytest.raises(ServiceError, match="timed out"):
        tap(tap_url, retries=0, timeout=0.2).get("calexp", VISIT)
    # The server logs the stalled request only when its handler returns; wait for that here,
    # or the entry lands in the next test's httpserver.log.
    deadline = time.monotonic() + 5.0
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(httpserver.log) == 1  # retries=0: asked once

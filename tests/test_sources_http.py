"""The HTTP layer and download cache against a real HTTP server on loopback (pytest-httpserver)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _sources_products import TOKEN, token_guard  # noqa: F401 - token_guard is autouse here
from werkzeug import Request, Response

from skybkg_adapters import AuthError, ServiceError, SkybkgError
from skybkg_adapters.sources.cache import DownloadCache
from skybkg_adapters.sources.http import HttpClient

BODY = bytes(range(256)) * 40  # 10240 bytes


def client(tmp_path, **kwargs) -> HttpClient:
    options = {"retries": 2, "backoff": 0.0, "timeout": 2.0, "cache": DownloadCache(tmp_path / "c")}
    options.update(kwargs)
    return HttpClient(**options)


def short_body(sent: int):
    """A handler announcing the full BODY but sending only ``sent`` bytes (a generator body
    keeps werkzeug from correcting the Content-Length).
    """
    return lambda request: Response(iter([BODY[:sent]]), headers={"Content-Length": str(len(BODY))})


def cache_files(http: HttpClient) -> list[str]:
    return sorted(p.name for p in http.cache.root.iterdir() if not p.name.endswith(".lock"))


def test_download_lands_in_cache_and_a_hit_makes_no_request(httpserver, tmp_path):
    httpserver.expect_request("/data/calexp.fits").respond_with_data(BODY)
    http = client(tmp_path)
    url = httpserver.url_for("/data/calexp.fits") + "?X-Amz-Signature=abc"
    path = http.fetch(url, expected_size=len(BODY))
    assert path.read_bytes() == BODY
    assert path.parent == tmp_path / "c"
    assert path.name.endswith(".fits")
    assert "Signature" not in path.name
    assert "calexp" not in path.name
    # A new presigned query for the same object is the same cache entry: no second request.
    again = http.fetch(httpserver.url_for("/data/calexp.fits") + "?X-Amz-Signature=xyz", len(BODY))
    assert again == path
    assert len(httpserver.log) == 1


def test_503_then_success_is_retried(httpserver, tmp_path):
    httpserver.expect_oneshot_request("/f.fits").respond_with_data("busy", status=503)
    httpserver.expect_request("/f.fits").respond_with_data(BODY)
    path = client(tmp_path).fetch(httpserver.url_for("/f.fits"))
    assert path.read_bytes() == BODY
    assert [r.status_code for _, r in httpserver.log] == [503, 200]


def test_persistent_503_is_a_service_error_with_status_and_no_query(httpserver, tmp_path):
    httpserver.expect_request("/f.fits").respond_with_data("busy", status=503)
    http = client(tmp_path, retries=1)
    with pytest.raises(ServiceError) as err:
        http.fetch(httpserver.url_for("/f.fits") + "?sig=SECRETSIG")
    text = str(err.value)
    assert "503" in text
    assert "/f.fits" in text
    assert "after 1 retries" in text
    assert "SECRETSIG" not in text
    assert len(httpserver.log) == 2
    assert cache_files(http) == []


def test_truncated_body_fails_and_leaves_no_partial_file(httpserver, tmp_path):
    httpserver.expect_request("/f.fits").respond_with_handler(short_body(1000))
    http = client(tmp_path, retries=1)
    with pytest.raises(ServiceError, match="after 1000 of 10240 bytes"):
        http.fetch(httpserver.url_for("/f.fits"))
    assert cache_files(http) == []


def test_interrupted_download_resumes_with_range(httpserver, tmp_path):
    httpserver.expect_oneshot_request("/f.fits").respond_with_handler(short_body(4000))

    def ranged(request: Request) -> Response:
        start = int(request.headers["Range"].removeprefix("bytes=").rstrip("-"))
        return Response(
            BODY[start:],
            status=206,
            headers={"Content-Range": f"bytes {start}-{len(BODY) - 1}/{len(BODY)}"},
        )

    httpserver.expect_request("/f.fits").respond_with_handler(ranged)
    path = client(tmp_path).fetch(httpserver.url_for("/f.fits"), expected_size=len(BODY))
    assert path.read_bytes() == BODY
    second = httpserver.log[1][0]
    assert second.headers["Range"] == "bytes=4000-"
    assert httpserver.log[1][1].status_code == 206


def test_size_mismatch_with_the_catalogue_is_refused(httpserver, tmp_path):
    httpserver.expect_request("/f.fits").respond_with_data(BODY)
    http = client(tmp_path)
    with pytest.raises(ServiceError, match="announces 10240 bytes but the catalogue says 999"):
        http.fetch(httpserver.url_for("/f.fits"), expected_size=999)
    assert cache_files(http) == []


def test_stall_past_the_timeout(httpserver, tmp_path):
    def stall(request):
        time.sleep(1.0)
        return Response(BODY)

    httpserver.expect_request("/slow.fits").respond_with_handler(stall)
    http = client(tmp_path, retries=0, timeout=0.2)
    with pytest.raises(ServiceError, match="timed out"):
        http.fetch(httpserver.url_for("/slow.fits"))
    assert cache_files(http) == []


def test_401_tells_how_to_get_a_token(httpserver, tmp_path, monkeypatch):
    monkeypatch.delenv("ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("BUTLER_RUBIN_ACCESS_TOKEN", raising=False)
    httpserver.expect_request("/f.fits").respond_with_data("no", status=401)
    http = client(tmp_path, token_hosts={"localhost"})
    with pytest.raises(AuthError) as err:
        http.fetch(httpserver.url_for("/f.fits"))
    text = str(err.value)
    assert "HTTP 401" in text
    assert "No token was found" in text
    assert "https://data.lsst.cloud/auth/tokens" in text
    assert "ACCESS_TOKEN" in text
    assert "Token field of glue's Plugins ▸ Sky backgrounds… dialog" in text  # GUI words too


def test_token_goes_only_to_the_service_hosts(httpserver, tmp_path):
    httpserver.expect_request("/f.fits").respond_with_data(BODY)
    http = client(tmp_path, token=TOKEN, token_hosts={"localhost"})
    http.fetch(httpserver.url_for("/f.fits"))
    # 127.0.0.1 is the same server under another host name: a presigned storage host.
    other = httpserver.url_for("/f.fits").replace("localhost", "127.0.0.1") + "?x=1"
    http.cache.root = tmp_path / "other"
    http.fetch(other)
    sent = [request.headers.get("Authorization") for request, _ in httpserver.log]
    assert sent == [f"Bearer {TOKEN}", None]
    assert TOKEN not in repr(http)
    assert TOKEN not in repr(http.session.auth)


def test_token_is_read_from_the_environment(monkeypatch, httpserver, tmp_path):
    monkeypatch.delenv("ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("BUTLER_RUBIN_ACCESS_TOKEN", TOKEN)
    httpserver.expect_request("/f.fits").respond_with_data(BODY)
    client(tmp_path, token_hosts={"localhost"}).fetch(httpserver.url_for("/f.fits"))
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_two_concurrent_fetches_download_once(httpserver, tmp_path):
    def slow(request):
        time.sleep(0.3)
        return Response(BODY)

    httpserver.expect_request("/f.fits").respond_with_handler(slow)
    url = httpserver.url_for("/f.fits")
    results, errors = [], []

    def fetch():
        try:
            results.append(client(tmp_path).fetch(url, len(BODY)))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results[0] == results[1]
    assert results[0].read_bytes() == BODY
    assert len(httpserver.log) == 1
    assert cache_files(client(tmp_path)) == [results[0].name]


def test_cache_evicts_least_recently_used_beyond_its_cap(httpserver, tmp_path):
    for name in ("a", "b", "c"):
        httpserver.expect_request(f"/{name}.fits").respond_with_data(BODY)
    http = client(tmp_path, cache=DownloadCache(tmp_path / "c", max_bytes=2 * len(BODY)))
    a = http.fetch(httpserver.url_for("/a.fits"))
    b = http.fetch(httpserver.url_for("/b.fits"))
    time.sleep(0.01)
    http.fetch(httpserver.url_for("/a.fits"))  # a hit: a becomes the most recently used
    c = http.fetch(httpserver.url_for("/c.fits"))
    assert a.exists()
    assert c.exists()
    assert not b.exists()
    assert len(httpserver.log) == 3


def test_cache_cap_comes_from_the_environment_and_a_bad_one_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("GLUE_SKYBKG_CACHE_MAX_BYTES", "1000")
    assert DownloadCache(tmp_path).max_bytes == 1000
    monkeypatch.setenv("GLUE_SKYBKG_CACHE_MAX_BYTES", "20G")
    with pytest.raises(SkybkgError, match=r"GLUE_SKYBKG_CACHE_MAX_BYTES = '20G' is not a whole"):
        DownloadCache(tmp_path)
    monkeypatch.delenv("GLUE_SKYBKG_CACHE_MAX_BYTES")
    assert DownloadCache(tmp_path).max_bytes == 20 * 1024**3


def test_403_on_a_storage_host_explains_expired_links(httpserver, tmp_path):
    httpserver.expect_request("/bucket/f.fits").respond_with_data("expired", status=403)
    http = client(tmp_path, token=TOKEN, token_hosts={"localhost"})
    url = httpserver.url_for("/bucket/f.fits").replace("localhost", "127.0.0.1") + "?sig=1"
    with pytest.raises(AuthError, match="presigned link .* may have expired"):
        http.fetch(url)
    assert httpserver.log[0][0].headers.get("Authorization") is None


_FETCH_SCRIPT = """
import sys
from skybkg_adapters.sources.cache import DownloadCache
from skybkg_adapters.sources.http import HttpClient
http = HttpClient(retries=0, backoff=0, cache=DownloadCache(sys.argv[1]))
print(http.fetch(sys.argv[2], int(sys.argv[3])))
"""


def test_two_processes_fetching_one_file_download_it_once(httpserver, tmp_path):
    def slow(request):
        time.sleep(0.5)
        return Response(BODY)

    httpserver.expect_request("/f.fits").respond_with_handler(slow)
    args = [
        sys.executable,
        "-c",
        _FETCH_SCRIPT,
        str(tmp_path / "c"),
        httpserver.url_for("/f.fits"),
        str(len(BODY)),
    ]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs[0] == outputs[1]
    assert Path(outputs[0]).read_bytes() == BODY
    assert len(httpserver.log) == 1
    assert cache_files(client(tmp_path)) == [Path(outputs[0]).name]

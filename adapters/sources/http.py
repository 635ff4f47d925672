"""The one HTTP layer for every download: token scoping, timeouts, retries, cached fetches."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..errors import AuthError, ServiceError
from .cache import DownloadCache
from .tokens import TOKEN_HELP, find_token, redact, strip_url_secrets

__all__ = ["RETRY_STATUSES", "HttpClient"]

_log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
"""HTTP statuses worth retrying: rate limiting and transient server failures."""

_CHUNK = 1 << 20
# Downloads this big get a progress bar at once; smaller ones only once they last 1 s.
_LARGE = 64 << 20


class _BearerForHosts(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer`` only to requests whose host is one of ``hosts``.

    Presigned file URLs point at object stores on other hosts; sending the token there
    would leak it, and requests already strips the header on cross-host redirects.
    """

    def __init__(self, token: str, hosts: frozenset[str]):
        self._token = token
        self._hosts = hosts

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if (urlsplit(request.url).hostname or "").lower() in self._hosts:
            request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return f"_BearerForHosts(token=***, hosts={sorted(self._hosts)})"


class _TimeoutAdapter(HTTPAdapter):
    """An adapter that applies a default timeout (pyvo calls the session without one)."""

    def __init__(self, timeout: float | tuple[float, float], **kwargs):
        self._timeout = timeout
        super().__init__(**kwargs)

    def send(  # type: ignore[override]  # requests' stub spells every keyword out
        self, request: requests.PreparedRequest, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        """Send with the default timeout unless the caller gives one."""
        timeout = self._timeout if timeout is None else timeout
        return super().send(request, timeout=timeout, **kwargs)


class HttpClient:
    """A requests session with a host-scoped bearer token, timeouts, retries and a download cache.

    Parameters
    ----------
    token
        The bearer token; default from ``$ACCESS_TOKEN`` / ``$BUTLER_RUBIN_ACCESS_TOKEN``.
    token_hosts
        Host names that receive the token (the service's own hosts); no other host does.
    timeout
        Seconds to connect and between received bytes (a number or a ``(connect, read)`` pair).
    retries
        How often a failed request (connection error, 429, 5xx) or an interrupted download
        is retried before giving up.
    backoff
        First retry delay in seconds, doubled on every further retry (0 in tests).
    cache
        Where downloads go; default a :class:`DownloadCache` in the XDG cache folder.
    """

    def __init__(
        self,
        token: str | None = None,
        token_hosts: Iterable[str] = (),
        *,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        retries: int = 4,
        backoff: float = 0.5,
        cache: DownloadCache | None = None,
    ):
        self._token = find_token(token)
        self.token_hosts = frozenset(h.lower() for h in token_hosts)
        self.timeout = timeout
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.cache = cache if cache is not None else DownloadCache()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "glue-skybkg"
        if self._token:
            self.session.auth = _BearerForHosts(self._token, self.token_hosts)
        retry = Retry(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            other=0,
            backoff_factor=self.backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=None,
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        adapter = _TimeoutAdapter(timeout, max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    @property
    def has_token(self) -> bool:
        """Whether a token is configured (the token itself is never exposed)."""
        return self._token is not None

    def redact(self, text: str) -> str:
        """``text`` with this client's token (if it holds one) replaced by ``***``."""
        return redact(text, self._token)

    def __repr__(self) -> str:
        token = "set" if self._token else "none"
        hosts = sorted(self.token_hosts)
        return f"HttpClient(token={token}, token_hosts={hosts}, cache={self.cache!r})"

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """GET ``url`` with retries; HTTP errors raise :class:`AuthError`, :class:`ServiceError`."""
        _log.debug("GET %s", strip_url_secrets(url))
        try:
            response = self.session.get(url, **kwargs)
        except requests.RequestException as exc:
            raise self.failure(url, exc) from None
        self.check(response)
        return response

    def check(self, response: requests.Response) -> None:
        """Raise our error for an HTTP error ``response``; do nothing for success."""
        status = response.status_code
        if status < 400:
            return
        url = strip_url_secrets(response.url)
        if status in (401, 403):
            host = (urlsplit(response.url).hostname or "").lower()
            if host not in self.token_hosts:
                why = (
                    "This is a presigned link on a storage host (no token is sent there); it may "
                    "have expired (they last about an hour): ask the source for the product again."
                )
            elif self._token:
                why = "The token was rejected: it may have expired or lack the needed scope. "
                why += TOKEN_HELP
            else:
                why = "No token was found. " + TOKEN_HELP
            raise AuthError(f"{url} refused access (HTTP {status}). {why}")
        retried = f" after {self.retries} retries" if status in RETRY_STATUSES else ""
        raise ServiceError(f"{url} answered HTTP {status} {response.reason}{retried}.")

    def failure(self, url: str, exc: requests.RequestException) -> ServiceError:
        """The :class:`ServiceError` for a request that failed without an HTTP answer."""
        if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
            what = f"timed out (timeout {self.timeout} s)"
        else:
            what = f"could not be reached ({type(exc).__name__})"
        return ServiceError(
            f"{strip_url_secrets(url)} {what} after {self.retries} retries. "
            "Check the network and the service status, then try again."
        )

    def fetch(self, url: str, expected_size: int | None = None) -> Path:
        """The local path of ``url``'s content, downloaded into the cache unless already there.

        A cache hit makes no network request. Otherwise the body streams into a partial
        file, interrupted transfers resume with ``Range`` when the server answers 206,
        the size is checked against ``expected_size`` and ``Content-Length``, and the
        file is renamed into place only when complete. An inter-process lock makes two
        processes fetching the same file download it once.
        """
        key = self.cache.key(url, expected_size)
        hit = self.cache.lookup(key)
        if hit is not None:
            _log.debug("cache hit for %s: %s", strip_url_secrets(url), hit.name)
            return hit
        with self.cache.locked(key):
            hit = self.cache.lookup(key)
            if hit is not None:
                return hit
            try:
                self._download(url, key, expected_size)
            except BaseException:
                self.cache.discard(key)
                raise
            return self.cache.commit(key)

    def _download(self, url: str, key: str, expected_size: int | None) -> None:
        part = self.cache.partial_path(key)
        shown = strip_url_secrets(url)
        for attempt in range(self.retries + 1):
            have = part.stat().st_size if part.exists() else 0
            headers = {"Accept-Encoding": "identity"}
            if have:
                headers["Range"] = f"bytes={have}-"
            _log.debug("download %s from byte %d", shown, have)
            try:
                response = self.session.get(url, stream=True, headers=headers)
            except requests.RequestException as exc:
                raise self.failure(url, exc) from None
            with response:
                self.check(response)
                if have and response.status_code != 206:
                    have = 0  # the server ignored Range: start over
                total = _announced_size(response, have)
                if expected_size is not None and total is not None and total != expected_size:
                    raise ServiceError(
                        f"{shown} announces {total} bytes but the catalogue says {expected_size}; "
                        "the file changed on the server: ask the source for the product again."
                    )
                want = expected_size if expected_size is not None else total
                self._stream(response, part, append=bool(have), total=want, label=shown)
            size = part.stat().st_size
            if want is None or size == want:
                return
            if size > want:
                raise ServiceError(f"{shown} sent {size} bytes, more than the {want} announced.")
            if attempt < self.retries:
                _log.warning(
                    "download of %s stopped at %d of %d bytes; resuming", shown, size, want
                )
                time.sleep(self.backoff * 2**attempt)
        raise ServiceError(
            f"{shown} stopped sending after {size} of {want} bytes, {self.retries} retries "
            "included; nothing was kept. Try again later."
        )

    def _stream(self, response, part: Path, *, append: bool, total: int | None, label: str) -> None:
        from tqdm import tqdm

        offset = part.stat().st_size if append else 0
        bar = tqdm(
            total=total,
            initial=offset,
            unit="B",
            unit_scale=True,
            leave=False,
            desc=os.path.basename(urlsplit(label).path) or "download",
            delay=0.0 if (total or 0) >= _LARGE else 1.0,
            disable=not sys.stderr.isatty(),
        )
        # We compare sizes ourselves; without this urllib3 drops the last chunk of a short
        # body when it raises, and that chunk is worth keeping for the resume.
        response.raw.enforce_content_length = False
        with open(part, "ab" if append else "wb") as out, bar:
            try:
                for chunk in response.iter_content(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
            except requests.RequestException as exc:
                # A broken transfer keeps what arrived: the caller resumes from there.
                _log.debug("transfer of %s broke: %s", label, type(exc).__name__)


def _announced_size(response: requests.Response, offset: int) -> int | None:
    """The full file size from ``Content-Range`` (206) or ``Content-Length`` (200)."""
    text = response.headers.get("Content-Length", "")
    length = int(text) if text.isdigit() else None
    if response.status_code != 206:
        return length
    total = response.headers.get("Content-Range", "").rpartition("/")[2]
    if total.isdigit():
        return int(total)
    return None if length is None else offset + length

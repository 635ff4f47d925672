"""The download cache: complete files only, keyed by location and size, LRU-evicted at a cap."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from ..errors import SkybkgError
from ..user_cache import user_cache_dir

__all__ = ["DEFAULT_MAX_BYTES", "DownloadCache", "default_cache_dir"]

_log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024**3
"""Default size cap: about five full DP0.2 visits of calexps with their backgrounds."""

_MAX_BYTES_ENV = "GLUE_SKYBKG_CACHE_MAX_BYTES"
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/glue-skybkg/downloads`` (``~/.cache`` when the variable is unset)."""
    return user_cache_dir() / "downloads"


def _max_bytes_from_env() -> int:
    """The cap ``$GLUE_SKYBKG_CACHE_MAX_BYTES`` sets, else :data:`DEFAULT_MAX_BYTES`."""
    text = os.environ.get(_MAX_BYTES_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_BYTES
    try:
        return int(text)
    except ValueError:
        raise SkybkgError(
            f"${_MAX_BYTES_ENV} = {text!r} is not a whole number of bytes; set it to e.g. "
            f"{DEFAULT_MAX_BYTES} (20 GiB) or unset it for that default"
        ) from None


class DownloadCache:
    """A folder of downloaded files, each under a name derived from its URL and size.

    The key hashes the URL without its query string (presigned URLs change their
    signature on every request) together with the expected size, so a cache name never
    contains a token or a signature. Files appear under their final name only when
    complete (atomic rename); ``.part`` files hold interrupted downloads for resuming and
    ``.lock`` files serialise processes fetching the same file.

    Parameters
    ----------
    root
        The cache folder; default :func:`default_cache_dir`.
    max_bytes
        Size cap; least recently used files are evicted beyond it. Default from
        ``$GLUE_SKYBKG_CACHE_MAX_BYTES``, else :data:`DEFAULT_MAX_BYTES`.
    """

    def __init__(self, root: str | os.PathLike | None = None, max_bytes: int | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()
        if max_bytes is None:
            max_bytes = _max_bytes_from_env()
        self.max_bytes = int(max_bytes)

    def __repr__(self) -> str:
        return f"DownloadCache({str(self.root)!r}, max_bytes={self.max_bytes})"

    def key(self, url: str, size: int | None) -> str:
        """The cache name for ``url`` of ``size`` bytes (None: size not known in advance)."""
        parts = urlsplit(url)
        location = f"{parts.scheme}://{parts.hostname}:{parts.port}{parts.path}\n{size}"
        digest = hashlib.sha256(location.encode()).hexdigest()[:40]
        # Keep a recognisable extension (.fits, .fits.fz) but nothing else from the URL.
        suffixes = PurePosixPath(parts.path).suffixes[-2:]
        return digest + "".join(s for s in suffixes if _EXTENSION.fullmatch(s))

    def path(self, key: str) -> Path:
        """Where the complete file for ``key`` lives."""
        return self.root / key

    def partial_path(self, key: str) -> Path:
        """Where an interrupted download of ``key`` is kept for resuming."""
        return self.root / f".{key}.part"

    def lookup(self, key: str) -> Path | None:
        """The cached file for ``key`` (marked as recently used), or None."""
        path = self.path(key)
        try:
            os.utime(path)
        except FileNotFoundError:
            return None
        return path

    @contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """Hold an exclusive inter-process lock on ``key`` (fcntl), blocking until free."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f".{key}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def commit(self, key: str) -> Path:
        """Move the finished partial file of ``key`` to its final name, then enforce the cap."""
        final = self.path(key)
        os.replace(self.partial_path(key), final)
        self.evict(keep=final)
        return final

    def discard(self, key: str) -> None:
        """Remove the partial file of ``key`` (a failed, unresumable download)."""
        self.partial_path(key).unlink(missing_ok=True)

    def files(self) -> list[Path]:
        """The complete cached files, least recently used first."""
        if not self.root.is_dir():
            return []
        entries = [p for p in self.root.iterdir() if p.is_file() and not p.name.startswith(".")]
        return sorted(entries, key=lambda p: p.stat().st_mtime)

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Delete least recently used files until the cache fits :attr:`max_bytes`.

        ``keep`` (the file just downloaded) is never evicted, even if alone it exceeds
        the cap: the caller is about to read it.
        """
        files = self.files()
        total = sum(p.stat().st_size for p in files)
        removed = []
        for path in files:
            if total <= self.max_bytes:
                break
            if keep is not None and path == keep:
                continue
            size = path.stat().st_size
            path.unlink(missing_ok=True)
            total -= size
            removed.append(path)
            _log.debug("evicted %s (%d bytes) from the download cache", path.name, size)
        return removed

"""Opening a source from whatever names it: a path, ``butler:<repo>?...``, a TAP URL, a Butler."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import ProductNotFound
from .base import Source

__all__ = ["open_source"]


def open_source(spec: Any, **options: Any) -> Source:
    """The source ``spec`` names.

    Parameters
    ----------
    spec
        * a file path: that one product (:class:`~.file.FileSource`, kind from its headers);
        * a folder: :class:`~.local.LocalSource` (Butler datastore layout);
        * ``"butler:<repo or label>?collections=a,b"``: :class:`~.butler.ButlerSource`;
        * an ``http(s)://`` URL: :class:`~.tap.TapSource` for that TAP service;
        * a Butler object (anything with ``getURI``): :class:`~.butler.ButlerSource`;
        * a source already: returned as is.
    options
        Passed to the source class (``template=``, ``token=``, ``butler=``, ``collections=``).

    Examples
    --------
    >>> open_source("butler:/data/repo?collections=2.2i/runs/DP0.2")   # doctest: +SKIP
    >>> open_source("https://data.lsst.cloud/api/tap")                  # doctest: +SKIP
    """
    from .butler import ButlerSource
    from .file import FileSource
    from .local import LocalSource
    from .tap import TapSource

    # Anything with getURI is a Butler to wrap, even if it also has a Source's get and spec.
    if hasattr(spec, "getURI"):
        return ButlerSource(spec, **options)
    if isinstance(spec, Source):
        return spec
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str):
        raise TypeError(f"a source spec is a path, URL, 'butler:...' or Butler; got {spec!r}")
    if spec.startswith("butler:"):
        parts = urlsplit(spec[len("butler:"):])
        repo = parts._replace(query="", fragment="").geturl()
        values = parse_qs(parts.query).get("collections", [])
        collections = [c for v in values for c in v.split(",")]
        if collections:
            options.setdefault("collections", collections)
        return ButlerSource(repo, **options)
    if urlsplit(spec).scheme in ("http", "https"):
        return TapSource(spec, **options)
    path = Path(spec).expanduser()
    if path.is_dir():
        return LocalSource(path, **options)
    if path.is_file():
        return FileSource(path)
    raise ProductNotFound(
        f"{spec!r} is not an existing file or folder, a 'butler:<repo>?collections=...' spec "
        "or an http(s) TAP URL"
    )

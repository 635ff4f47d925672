"""Opening a source from whatever names it: a path, ``butler:...``, ``sample:``, a URL, a Butler."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import ProductNotFound
from .base import Source
from .butler import SPEC_PREFIX, ButlerSource
from .file import FileSource
from .local import TEMPLATE_QUERY, LocalSource
from .sample import SAMPLE_SPEC, SampleSource
from .tap import TapSource

__all__ = ["open_source"]


def open_source(spec: Any, **options: Any) -> Source:
    """The source ``spec`` names.

    Parameters
    ----------
    spec
        * a file path: that one product (:class:`~.file.FileSource`, kind from its headers);
        * a folder: :class:`~.local.LocalSource` (Butler datastore layout), or
          ``<folder>?template=<file-name template>`` (what a templated LocalSource records);
        * ``"butler:<repo or label>?collections=a,b"``: :class:`~.butler.ButlerSource`;
        * ``"sample:"`` (or ``"sample:<folder>"``): the sample data set
          (:class:`~.sample.SampleSource`), generated on first use;
        * an ``http(s)://`` URL: :class:`~.tap.TapSource` for that TAP service;
        * a Butler object (anything with ``getURI``): :class:`~.butler.ButlerSource`;
        * a source already: returned as is.
    options
        Passed to the source class (``template=``, ``token=``, ``butler=``, ``collections=``,
        ``progress=``).

    Examples
    --------
    >>> open_source("butler:/data/repo?collections=2.2i/runs/DP0.2")   # doctest: +SKIP
    >>> open_source("https://data.lsst.cloud/api/tap")                  # doctest: +SKIP
    >>> open_source("sample:").get("calexp", {"visit": 512055, "detector": 75})  # doctest: +SKIP
    """
    # Anything with getURI is a Butler to wrap, even if it also has a Source's get and spec.
    if hasattr(spec, "getURI"):
        return ButlerSource(spec, **options)
    if isinstance(spec, Source):
        return spec
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str):
        raise TypeError(f"a source spec is a path, URL, 'butler:...' or Butler; got {spec!r}")
    if spec.startswith(SPEC_PREFIX):
        return ButlerSource.from_spec(spec, **options)
    if spec.startswith(SAMPLE_SPEC):
        return SampleSource(spec[len(SAMPLE_SPEC) :] or None, **options)
    if urlsplit(spec).scheme in ("http", "https"):
        return TapSource(spec, **options)
    folder, sep, template = spec.rpartition(TEMPLATE_QUERY)
    if sep and Path(folder).expanduser().is_dir():
        return LocalSource(Path(folder).expanduser(), template=unquote(template), **options)
    path = Path(spec).expanduser()
    if path.is_dir():
        return LocalSource(path, **options)
    if path.is_file():
        return FileSource(path)
    raise ProductNotFound(
        f"{spec!r} is not an existing file or folder, a 'butler:<repo>?collections=...' or "
        "'sample:' spec, or an http(s) TAP URL"
    )

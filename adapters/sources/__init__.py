"""Data sources: local files, Butler repositories and TAP/ObsCore + DataLink, into one container.

Every source has ``get(dataset_type, data_id)`` returning a :class:`~skybkg_adapters.SkyImage`
or :class:`~skybkg_adapters.BackgroundModel` whose provenance says where it came from.
lsst-daf-butler is imported only when a Butler is actually used.

Examples
--------
Files copied out of a Butler repository (its ``<run>/<dataset_type>/...`` layout)::

    src = open_source("/data/dp02-copy")                 # a LocalSource
    src.get("calexp", {"visit": 512055, "detector": 75})

A Butler repository (``pip install 'glue-skybkg[butler]'``)::

    src = open_source("butler:/data/repo?collections=2.2i/runs/DP0.2")
    src.get("calexpBackground", {"visit": 512055, "detector": 75})

The Rubin Science Platform (token from https://data.lsst.cloud/auth/tokens in
``$ACCESS_TOKEN``); backgrounds come from the Butler server, images from TAP::

    butler = ButlerSource("dp02", collections="2.2i/runs/DP0.2")
    src = TapSource("https://data.lsst.cloud/api/tap", butler=butler)
    src.get("deepCoadd_calexp", {"tract": 4226, "patch": 17, "band": "r"})
"""

from .base import DataId, Source
from .butler import ButlerSource
from .butler_repo import create_butler_repo
from .cache import DownloadCache
from .dataset_types import product_kind
from .file import FileSource
from .http import HttpClient
from .local import LocalSource
from .spec import open_source
from .tap import TapSource

__all__ = [
    "Source",
    "DataId",
    "open_source",
    "LocalSource",
    "FileSource",
    "ButlerSource",
    "TapSource",
    "create_butler_repo",
    "HttpClient",
    "DownloadCache",
    "product_kind",
]

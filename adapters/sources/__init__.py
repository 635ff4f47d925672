"""Data sources: local files, Butler repositories and TAP/ObsCore + DataLink, into one container.

Every source has ``get(dataset_type, data_id)`` returning a :class:`~skybkg_adapters.SkyImage`
or :class:`~skybkg_adapters.BackgroundModel` whose provenance says where it came from.
lsst-daf-butler is imported only when a Butler is actually used.
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

"""Data sources: local files, Butler repositories, the sample and TAP/ObsCore + DataLink.

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

from . import bands, base, butler, cache, data_id, file, file_names, http, local, sample, spec, tap
from .bands import *
from .base import *
from .butler import *
from .cache import *
from .data_id import *
from .file import *
from .file_names import *
from .http import *
from .local import *
from .sample import *
from .spec import *
from .tap import *

__all__ = [
    *bands.__all__,
    *base.__all__,
    *butler.__all__,
    *cache.__all__,
    *data_id.__all__,
    *file.__all__,
    *file_names.__all__,
    *http.__all__,
    *local.__all__,
    *sample.__all__,
    *spec.__all__,
    *tap.__all__,
]

"""glue data factories for afw FITS files and for products fetched from a source.

The factories are module-level functions with stable names: a session stores the dotted
name of the factory that loaded each file, so renaming one breaks saved sessions.
Priorities are above glue's generic FITS reader (100), so afw files open as exposures.
"""

from __future__ import annotations

import os
from typing import Any

from glue.config import data_factory
from glue.core import Data
from skybkg_adapters import BackgroundModel, Provenance

from .gluedata import background_to_data, image_to_data
from .session import fetch_from_source

__all__ = [
    "PRIORITY",
    "is_afw_exposure",
    "is_afw_background",
    "read_afw_exposure",
    "read_afw_background",
    "load_from_source",
    "product_to_data",
]

PRIORITY = 150
"""Above glue's built-in FITS/HDF5/numpy readers (100), which would otherwise tie or win."""

_FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.fz", ".fz", ".fits.gz")
# afw writes these in every exposure it saves; a plain FITS image has none of them
_AFW_KEYS = ("EXPINFO_V", "AR_HDU", "CRVAL1A", "LTV1")


def _looks_like_fits(path: Any) -> bool:
    return isinstance(path, str | os.PathLike) and os.fspath(path).lower().endswith(_FITS_SUFFIXES)


def is_afw_background(path: str, **kwargs: Any) -> bool:
    """Whether ``path`` is an afw BackgroundList file (reads headers only)."""
    from skybkg_adapters import SkybkgError
    from skybkg_adapters.lsst_fits import detect_kind

    if not _looks_like_fits(path):
        return False
    try:
        return detect_kind(path) == "background"
    except (OSError, SkybkgError):
        return False


def is_afw_exposure(path: str, **kwargs: Any) -> bool:
    """Whether ``path`` is an afw Exposure/MaskedImage (an IMAGE plane plus afw's own keys)."""
    from skybkg_adapters import SkybkgError
    from skybkg_adapters.lsst_fits.exposure import locate_planes
    from skybkg_adapters.lsst_fits.headers import looks_like_background
    from skybkg_adapters.lsst_fits.planes import open_fits

    if not _looks_like_fits(path):
        return False
    try:
        with open_fits(path) as hdul:
            if looks_like_background(hdul[0].header):
                return False
            planes = locate_planes(path, hdul)
            if "IMAGE" not in planes or "MASK" not in planes:
                return False
            headers = [hdul[0].header, planes["IMAGE"].header, planes["MASK"].header]
            return any(key in h for h in headers for key in _AFW_KEYS) or any(
                k.startswith("MP_") for k in planes["MASK"].header
            )
    except (OSError, SkybkgError):
        return False


def product_to_data(product: Any, label: str = "") -> Data:
    """A fetched product (SkyImage or BackgroundModel) as a glue Data."""
    if isinstance(product, BackgroundModel):
        return background_to_data(product, label)
    return image_to_data(product, label)


@data_factory("LSST exposure (afw FITS)", identifier=is_afw_exposure, priority=PRIORITY)
def read_afw_exposure(path: str, **kwargs: Any) -> Data:
    """An afw exposure file (calexp, deepCoadd, ...) as one Data: image, mask, variance, WCS."""
    from skybkg_adapters.lsst_fits import read_exposure

    return image_to_data(read_exposure(path))


@data_factory("LSST background model (afw BackgroundList)", identifier=is_afw_background,
              priority=PRIORITY)
def read_afw_background(path: str, **kwargs: Any) -> Data:
    """An afw BackgroundList file as its own Data (one rendered ``background`` component).

    When an image with the same bbox is open, the plugin attaches it to that image instead
    (see :func:`glue_skybkg.actions.attach_pending_backgrounds`).
    """
    from skybkg_adapters.lsst_fits import read_background

    return background_to_data(read_background(path))


def load_from_source(path: str, source: str, dataset_type: str, data_id: dict) -> Data:
    """A product fetched through :func:`skybkg_adapters.open_source`, as glue Data.

    Used as ``load_data(uri, factory=load_from_source, source=..., dataset_type=...,
    data_id=...)``: the session then stores the source spec, dataset type and data id, and
    restoring fetches the product again (instant when the download cache has it).  ``path``
    is only informational (glue labels the Data after it).
    """
    product = fetch_from_source(Provenance(source, dataset_type, data_id, uri=path))
    return product_to_data(product)


PRODUCT_KINDS = {
    "visit": ("calexp", "calexpBackground"),
    "coadd": ("deepCoadd", "deepCoadd_calexp", "deepCoadd_calexp_background"),
}
"""The notebook's two product sets: a visit image + its background, and the coadd triple."""


def load_products(source: str, dataset_types: tuple[str, ...], data_id: dict,
                  progress: Any = None, cancelled: Any = None) -> list[Data]:
    """Fetch several products of one data id from a source, as glue Data (session-ready).

    ``progress(done, total, dataset_type)`` is called before each fetch and at the end;
    ``cancelled()`` returning True stops before the next fetch and returns what was
    fetched so far.  Each Data carries a glue LoadLog naming :func:`load_from_source`,
    so sessions store the source, dataset type and data id, not the pixels.
    """
    from glue.core.data_factories import load_data

    datasets: list[Data] = []
    total = len(dataset_types)
    for done, dataset_type in enumerate(dataset_types):
        if cancelled is not None and cancelled():
            break
        if progress is not None:
            progress(done, total, dataset_type)
        # The "path" glue logs is only a name (it labels the Data); the kwargs are the recipe.
        data = load_data(dataset_type, factory=load_from_source, source=source,
                         dataset_type=dataset_type, data_id=dict(data_id))
        datasets.append(data)
    else:
        if progress is not None:
            progress(total, total, "")
    return datasets

"""glue data factories for afw and DP2 (lsst-images) FITS files and for fetched products.

The factories are module-level functions with stable names: a session stores the dotted
name of the factory that loaded each file, so renaming one breaks saved sessions.
Priorities are above glue's generic FITS reader (100), so afw files open as exposures.
"""

from __future__ import annotations

from typing import Any

from glue.config import data_factory
from glue.core import Data

from skybkg_adapters import (
    BackgroundMap,
    BackgroundModel,
    Provenance,
    SkyImage,
    is_afw_background,
    is_afw_exposure,
    is_lsst_images_file,
    read_background,
    read_exposure,
    read_lsst_images,
)

from .gluedata import background_map_to_data, background_to_data, image_to_data
from .session import fetch_from_source

__all__ = [
    "PRIORITY",
    "is_afw_background_file",
    "is_afw_exposure_file",
    "is_dp2_file",
    "load_from_source",
    "product_to_data",
    "read_afw_background",
    "read_afw_exposure",
    "read_dp2_file",
]

PRIORITY = 150
"""Above glue's built-in FITS/HDF5/numpy readers (100), which would otherwise tie or win."""


def is_afw_background_file(path: Any, **kwargs: Any) -> bool:
    """Glue identifier: whether ``path`` is an afw BackgroundList file (headers only)."""
    return is_afw_background(path)


def is_afw_exposure_file(path: Any, **kwargs: Any) -> bool:
    """Glue identifier: whether ``path`` is an afw Exposure/MaskedImage file (headers only)."""
    return is_afw_exposure(path)


def is_dp2_file(path: Any, **kwargs: Any) -> bool:
    """Glue identifier: whether ``path`` is a Rubin lsst-images (DP2) file (primary header)."""
    return is_lsst_images_file(path)


def product_to_data(product: SkyImage | BackgroundModel | BackgroundMap, label: str = "") -> Data:
    """A fetched product (SkyImage, BackgroundModel or BackgroundMap) as a glue Data."""
    if isinstance(product, BackgroundModel):
        return background_to_data(product, label)
    if isinstance(product, BackgroundMap):
        return background_map_to_data(product, label)
    return image_to_data(product, label)


@data_factory("LSST image (Rubin lsst-images, DP2)", identifier=is_dp2_file, priority=PRIORITY)
def read_dp2_file(path: str, **kwargs: Any) -> Data:
    """A DP2 file as one Data: an image (planes, WCS, named backgrounds) or a background map.

    A visit image or coadd gives ``image``, ``mask`` and ``variance`` with its named
    backgrounds listed in ``meta``; a standalone background map one component per background.
    """
    return product_to_data(read_lsst_images(path))


@data_factory("LSST exposure (afw FITS)", identifier=is_afw_exposure_file, priority=PRIORITY)
def read_afw_exposure(path: str, **kwargs: Any) -> Data:
    """An afw exposure file (calexp, deepCoadd, ...) as one Data: image, mask, variance, WCS."""
    return image_to_data(read_exposure(path))


@data_factory(
    "LSST background model (afw BackgroundList)",
    identifier=is_afw_background_file,
    priority=PRIORITY,
)
def read_afw_background(path: str, **kwargs: Any) -> Data:
    """An afw BackgroundList file as its own Data (one rendered ``background`` component).

    When an image with the same bbox is open, the plugin attaches it to that image instead
    (see :func:`glue_skybkg.actions.attach_pending_backgrounds`).
    """
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

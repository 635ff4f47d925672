"""What every source is, and the one way a fetched file becomes a container with provenance."""

from __future__ import annotations

import dataclasses
import os
from typing import Protocol, TypeVar, runtime_checkable

from ..container import BackgroundMap, BackgroundModel, Provenance, SkyImage
from ..dataset_types import product_kind
from ..errors import FormatError
from ..lsst_fits import detect_kind, read_background, read_exposure
from ..lsst_images import is_lsst_images, read_lsst_images_backgrounds
from .data_id import DataId

__all__ = ["Source", "load_product", "with_provenance"]

Product = TypeVar("Product", SkyImage, BackgroundModel, BackgroundMap)
"""A product a source returns: an image, a background model or a map of named backgrounds."""


@runtime_checkable
class Source(Protocol):
    """A place products come from: local files, a Butler repository, a TAP service."""

    spec: str
    """The source as a string that :func:`open_source` reopens (secrets removed)."""

    def get(self, dataset_type: str, data_id: DataId) -> SkyImage | BackgroundModel | BackgroundMap:
        """The product of ``dataset_type`` for ``data_id``, read into the uniform container."""
        ...


def with_provenance(product: Product, provenance: Provenance) -> Product:
    """``product`` carrying ``provenance`` (a background model is copied, the others updated).

    A DP2 image's and a map's named backgrounds carry it too (the image's own dataset type
    and data id: the backgrounds are fetched again with the image).
    """
    if isinstance(product, BackgroundModel):
        return dataclasses.replace(product, provenance=provenance)
    backgrounds = product if isinstance(product, BackgroundMap) else product.backgrounds
    relabelled = BackgroundMap(
        {
            name: dataclasses.replace(model, provenance=provenance)
            for name, model in backgrounds.items()
        },
        backgrounds.subtracted,
        provenance,
    )
    if isinstance(product, BackgroundMap):
        return relabelled  # type: ignore[return-value]
    product.provenance = provenance
    product.backgrounds = relabelled
    return product


def load_product(
    path: str | os.PathLike[str],
    dataset_type: str,
    provenance: Provenance,
) -> SkyImage | BackgroundModel | BackgroundMap:
    """Read ``path`` as the kind ``dataset_type`` names and attach ``provenance``.

    The file's format is told by its content: a background dataset type gives an afw
    BackgroundList's model, or the named backgrounds (a :class:`BackgroundMap`) of a DP2
    file (an image's ``.backgrounds`` component, or a standalone map); an exposure dataset
    type gives a SkyImage, afw or DP2 alike.

    Raises
    ------
    FormatError
        The file does not hold that kind (e.g. an exposure stored under a background
        dataset type).
    """
    kind = product_kind(dataset_type)
    if kind == "catalog":
        raise FormatError(
            path, f"dataset type {dataset_type!r} is a catalog, not an image or a background"
        )
    found = detect_kind(path)
    dp2 = is_lsst_images(path)
    if kind == "background" and dp2:
        return with_provenance(read_lsst_images_backgrounds(path), provenance)
    if found != kind:
        what = f"a DP2 (lsst-images) {found.replace('_', ' ')}" if dp2 else f"an afw {found}"
        raise FormatError(
            path,
            f"holds {what} file, but dataset type {dataset_type!r} names "
            f"{kind} products; check the dataset type asked for",
        )
    if kind == "background":
        return with_provenance(read_background(path), provenance)
    return with_provenance(read_exposure(path), provenance)

"""What every source is, and the one way a fetched file becomes a container with provenance."""

from __future__ import annotations

import dataclasses
import os
from typing import Protocol, TypeVar, runtime_checkable

from ..container import BackgroundModel, Provenance, SkyImage
from ..dataset_types import product_kind
from ..errors import FormatError
from ..lsst_fits import detect_kind, read_background, read_exposure
from .data_id import DataId

__all__ = ["Source", "load_product", "with_provenance"]

Product = TypeVar("Product", SkyImage, BackgroundModel)
"""A product a source returns: an image or a background model."""


@runtime_checkable
class Source(Protocol):
    """A place products come from: local files, a Butler repository, a TAP service."""

    spec: str
    """The source as a string that :func:`open_source` reopens (secrets removed)."""

    def get(self, dataset_type: str, data_id: DataId) -> SkyImage | BackgroundModel:
        """The product of ``dataset_type`` for ``data_id``, read into the uniform container."""
        ...


def with_provenance(product: Product, provenance: Provenance) -> Product:
    """``product`` carrying ``provenance`` (a background model is copied, an image updated)."""
    if isinstance(product, BackgroundModel):
        return dataclasses.replace(product, provenance=provenance)
    product.provenance = provenance
    return product


def load_product(
    path: str | os.PathLike[str],
    dataset_type: str,
    provenance: Provenance,
) -> SkyImage | BackgroundModel:
    """Read ``path`` as the kind ``dataset_type`` names and attach ``provenance``.

    Raises
    ------
    FormatError
        The file is not the afw layout of that kind (e.g. an exposure stored under a
        background dataset type).
    """
    kind = product_kind(dataset_type)
    found = detect_kind(path)
    if found != kind:
        raise FormatError(
            path,
            f"holds an afw {found} file, but dataset type {dataset_type!r} names "
            f"{kind} products; check the dataset type asked for",
        )
    if kind == "background":
        return with_provenance(read_background(path), provenance)
    return with_provenance(read_exposure(path), provenance)

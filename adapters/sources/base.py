"""What every source is, and the one way a fetched file becomes a container with provenance."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ..container import BackgroundModel, Provenance, SkyImage
from ..errors import FormatError
from .dataset_types import product_kind

__all__ = ["Source", "DataId", "load_product"]

DataId = Mapping[str, Any]
"""A data id: dimension name to value, e.g. ``{"visit": 512055, "detector": 75}``."""


@runtime_checkable
class Source(Protocol):
    """A place products come from: local files, a Butler repository, a TAP service."""

    spec: str
    """The source as a string that :func:`open_source` reopens (secrets removed)."""

    def get(self, dataset_type: str, data_id: DataId) -> SkyImage | BackgroundModel:
        """The product of ``dataset_type`` for ``data_id``, read into the uniform container."""
        ...


def load_product(
    path: str | os.PathLike,
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
    from ..lsst_fits import detect_kind, read_background, read_exposure

    kind = product_kind(dataset_type)
    found = detect_kind(path)
    if found != kind:
        raise FormatError(
            path, f"holds an afw {found} file, but dataset type {dataset_type!r} names "
            f"{kind} products; check the dataset type asked for"
        )
    if kind == "background":
        return dataclasses.replace(read_background(path), provenance=provenance)
    image = read_exposure(path)
    image.provenance = provenance
    return image

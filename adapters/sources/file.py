"""A single product file opened directly: exposure or background, told apart by its headers."""

from __future__ import annotations

import os
from pathlib import Path

from ..container import BackgroundMap, BackgroundModel, Provenance, SkyImage
from ..errors import ProductNotFound
from .base import load_product
from .data_id import DataId

__all__ = ["FileSource"]


class FileSource:
    """One product file (afw exposure or BackgroundList, or a DP2 image or background map).

    ``get`` ignores the data id; the dataset type, when given, must be of the file's kind.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser().resolve()
        if not self.path.is_file():
            raise ProductNotFound(f"{self.path} does not exist or is not a file")
        self.spec = str(self.path)

    def __repr__(self) -> str:
        return f"FileSource({self.spec!r})"

    @property
    def kind(self) -> str:
        """``"exposure"``, ``"background"`` or ``"background_map"``, from the file's headers."""
        from ..lsst_fits import detect_kind

        return detect_kind(self.path)

    def get(
        self, dataset_type: str | None = None, data_id: DataId | None = None
    ) -> SkyImage | BackgroundModel | BackgroundMap:
        """The file's product; ``dataset_type`` defaults to its kind (:func:`detect_kind`)."""
        dataset_type = dataset_type or self.kind
        provenance = Provenance(self.spec, dataset_type, dict(data_id or {}), self.path.as_uri())
        return load_product(self.path, dataset_type, provenance)

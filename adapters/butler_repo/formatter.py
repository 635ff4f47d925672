"""The Butler formatter recorded for files ingested by :func:`create_butler_repo`.

daf_butler needs an importable formatter class for every stored file; the LSST ones live
in ``lsst.obs.base`` and need ``lsst.afw``. This one reads with our afw FITS readers.
Importing this module requires lsst-daf-butler; only the Butler itself imports it.
"""

from __future__ import annotations

from typing import Any

from lsst.daf.butler import FormatterV2

__all__ = ["SkyFitsFormatter"]


class SkyFitsFormatter(FormatterV2):
    """Reads afw Exposure and BackgroundList FITS files into the glue-skybkg container."""

    default_extension = ".fits"
    can_read_from_local_file = True

    def read_from_local_file(
        self, path: str, component: str | None = None, expected_size: int = -1
    ) -> Any:
        """The container for the file at ``path`` (exposure or background, by its headers)."""
        from ..lsst_fits import open_product

        return open_product(path)

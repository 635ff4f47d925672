"""The aperture-correction map of an afw Exposure: flux-algorithm name to BoundedField.

See docs/lsst-formats.md section 11.1 (nested references) and 11.4 (its Chebyshev fields):
the archive class ``ApCorrMap`` has one row per entry, ``name`` (64A) and ``field`` (an id).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType

from ...errors import FormatError
from .boundedfields import BoundedField, read_bounded_field
from .reader import Archive, as_archive

__all__ = ["read_ap_corr_map"]


def read_ap_corr_map(source: Archive | str | os.PathLike) -> Mapping[str, BoundedField] | None:
    """The Exposure's ApCorrMap as a read-only ``{name: field}`` in file order, or None.

    ``source`` is an afw Exposure file or its Archive. Names are e.g.
    ``'base_PsfFlux_instFlux'`` (the correction factor) and ``'base_PsfFlux_instFluxErr'``.
    """
    archive = as_archive(source)
    obj = archive.component("AP_CORR_MAP")
    if obj is None:
        return None
    obj.expect("ApCorrMap")
    fields: dict[str, BoundedField] = {}
    for row in obj.rows():
        name = row.require("name")
        if name in fields:
            raise FormatError(
                archive.path, f"ApCorrMap {obj.id} lists {name!r} twice", hdu=row.hdu, key="name"
            )
        fields[name] = read_bounded_field(archive, row.require("field"))
    return MappingProxyType(fields)

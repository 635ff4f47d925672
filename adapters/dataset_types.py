"""Which dataset types are backgrounds, exposures or catalogs: one rule for every source.

A dataset type may name a component of another, Butler style: ``visit_image.backgrounds``
is the backgrounds of a DP2 ``visit_image`` (a map of named backgrounds, read from the
image's own file). Which *format* a file is in (afw or lsst-images) is never decided here:
readers tell it by content.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "BACKGROUNDS_COMPONENT",
    "CATALOG_TYPES",
    "ProductKind",
    "parent_and_component",
    "product_kind",
]

ProductKind = Literal["exposure", "background", "catalog"]
"""What a dataset type holds: an exposure, a background (model or map), or a catalog."""

BACKGROUNDS_COMPONENT = "backgrounds"
"""The component of a DP2 image that holds its named backgrounds."""

CATALOG_TYPES = ("visit_summary",)
"""Catalog dataset types read here: the per-visit table of detector calibrations (DP1)."""


def parent_and_component(dataset_type: str) -> tuple[str, str | None]:
    """``("visit_image", "backgrounds")`` for ``"visit_image.backgrounds"``; no dot: None."""
    parent, dot, component = dataset_type.partition(".")
    return parent, (component if dot else None)


def product_kind(dataset_type: str) -> ProductKind:
    """``"background"``, ``"catalog"`` or ``"exposure"`` for a dataset type name.

    Backgrounds: DP0.2 ``calexpBackground``, ``deepCoadd_calexp_background``; DP1
    ``visit_image_background``, ``deep_coadd_background``, ``preliminary_visit_image_background``
    (all end in ``Background``/``_background``, and ``"background"`` itself names the kind,
    as single files report it), and the DP2 component ``<image>.backgrounds``.
    """
    parent, component = parent_and_component(dataset_type)
    if component == BACKGROUNDS_COMPONENT or dataset_type == "background_map":
        return "background"
    if parent in CATALOG_TYPES:
        return "catalog"
    if parent.lower().endswith("background"):
        return "background"
    return "exposure"

"""Which dataset types are background lists and which exposures: one rule for every source."""

from __future__ import annotations

from typing import Literal

__all__ = ["ProductKind", "product_kind"]

ProductKind = Literal["exposure", "background"]
"""What a dataset type holds: an afw Exposure or an afw BackgroundList."""


def product_kind(dataset_type: str) -> ProductKind:
    """``"background"`` for BackgroundList dataset types, ``"exposure"`` for everything else.

    DP0.2 spells them ``calexpBackground`` and ``deepCoadd_calexp_background``; DP1
    ``visit_image_background``, ``deep_coadd_background``,
    ``preliminary_visit_image_background``: all end in ``Background`` or ``_background``
    (and ``"background"`` itself names the kind, as single files report it).
    """
    if dataset_type.lower().endswith("background"):
        return "background"
    return "exposure"

"""afw mask planes: from plane names to the bits a mask pixel holds.

Bit numbers differ between files (lsst-formats.md 1.6), so a plane is always looked up by
name in the image's own ``MP_*`` dictionary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["plane_bits"]


def plane_bits(mask_planes: Mapping[str, int], names: Iterable[str]) -> int:
    """The OR of ``1 << bit`` of the named planes; an unknown name raises KeyError naming it."""
    bits = 0
    for name in names:
        if name not in mask_planes:
            raise KeyError(
                f"mask plane {name!r} is not in this image; it has {sorted(mask_planes)}"
            )
        bits |= 1 << int(mask_planes[name])
    return bits

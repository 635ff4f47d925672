"""Arrays as the kernels want them: flat, native byte order, float32/float64, a bool mask."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["checked_mask", "flat_and_mask"]


def flat_and_mask(array: Any, mask: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """A 1-D view (a copy only if ``array`` is not contiguous) and a matching 1-D bool mask."""
    arr = np.asarray(array)
    if arr.dtype.kind == "f" and arr.dtype.itemsize in (4, 8):
        # FITS data straight from astropy is big-endian; the kernels need native order.
        arr = arr.astype(arr.dtype.newbyteorder("="), copy=False)
    else:
        # The notebook works in float64; integers, booleans and float16 go the same way.
        arr = arr.astype(np.float64)
    flat = arr.reshape(-1)
    if mask is None:
        return flat, None
    return flat, checked_mask(mask, arr.shape).reshape(-1)


def checked_mask(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``mask`` as a bool array, or a ValueError naming both shapes when it does not fit."""
    m = np.asarray(mask)
    if m.shape != shape:
        raise ValueError(
            f"mask shape {m.shape} does not match array shape {shape}; "
            "pass a boolean mask of the same shape (True = pixel used)"
        )
    return m.astype(np.bool_, copy=False)

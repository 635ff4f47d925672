"""How a background is rendered: the two interpolation semantics and the output dtypes.

``"lsst-images"`` is what Rubin's lsst-images library renders from a DP2 field (scipy's Akima
arithmetic for splines); ``"afw"`` what the LSST pipeline's afw background gives from the
same bins (GSL Akima with afw's extrapolation and fallbacks). See
:mod:`skybkg_adapters.render.spline`. Kept apart from the renderer so that checking an
argument does not compile its numba kernels.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import DTypeLike

from .errors import RenderError

__all__ = ["RENDER_DTYPES", "SEMANTICS", "Semantics", "checked_dtype", "checked_semantics"]

Semantics = Literal["lsst-images", "afw"]
"""How a spline background is interpolated."""
SEMANTICS: tuple[str, ...] = ("lsst-images", "afw")
"""Every :data:`Semantics` value."""
RENDER_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes a background renders to."""


def checked_dtype(dtype: DTypeLike) -> np.dtype:
    """``dtype`` as a numpy dtype, which must be float32 or float64 (else RenderError)."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result not in RENDER_DTYPES:
        raise RenderError(f"dtype must be float32 or float64; got {dtype!r}")
    return result


def checked_semantics(semantics: str) -> Semantics:
    """``semantics``, which must be one of :data:`SEMANTICS` (else RenderError)."""
    if semantics not in SEMANTICS:
        raise RenderError(f"semantics must be one of {SEMANTICS}; got {semantics!r}")
    return semantics  # type: ignore[return-value]

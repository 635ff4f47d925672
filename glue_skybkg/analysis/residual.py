"""Where a background oversubtracts: smoothed residual maps and statistics near sources.

On a background-subtracted image the sky should average zero away from sources; dark halos
around bright stars and galaxies, dark edges and crowded fields show as negative regions
of the image minus a robust large-scale sky, smoothed over the pixels that are not sources.
Comparing the undetected pixels near sources with those far from them puts a number on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import checked_mask
from .stats import BackgroundStats, background_stats

__all__ = ["NearSourceStats", "box_mean", "near_source_statistics", "residual_map"]


def box_mean(image: Any, half_width: int, use: Any = None) -> np.ndarray:
    """Mean of the finite (and used) pixels in the ``(2 half_width + 1)`` square around each pixel.

    float32, the image's shape; NaN where the square holds no such pixel.
    """
    from . import _profile_kernels  # numba compiles on first use

    pixels = np.asarray(image)
    if pixels.ndim != 2:
        raise ValueError(f"a box mean needs a 2-D image; got shape {pixels.shape}")
    if int(half_width) < 0:
        raise ValueError(f"half_width must be >= 0; got {half_width}")
    mask = np.zeros((1, 1), np.bool_) if use is None else checked_mask(use, pixels.shape)
    out = np.empty(pixels.shape, np.float32)
    _profile_kernels.box_sums(pixels, mask, use is not None, int(half_width), out)
    return out


def residual_map(image: Any, sky: Any, use: Any = None, *, half_width: int = 15) -> np.ndarray:
    """``image - sky``, box-averaged over the used pixels: negative where the sky is oversubtracted.

    Parameters
    ----------
    image
        The (background-subtracted) image.
    sky
        A robust large-scale sky of that image, e.g. a re-estimate with a large bin size.
    use
        True where a pixel counts (leave out detected sources and bad pixels).
    half_width
        Half the smoothing square's side in pixels.
    """
    difference = np.asarray(image, np.float32) - np.asarray(sky, np.float32)
    return box_mean(difference, half_width, use)


@dataclass(frozen=True)
class NearSourceStats:
    """Pixel statistics of sources and of the sky near and far from them.

    ``detected``: the source pixels; ``near``: usable non-source pixels within ``radius``
    (a square of side ``2 radius + 1``) of a source; ``far``: the other usable non-source
    pixels. A dark halo makes ``near.mean`` lower than ``far.mean``.
    """

    detected: BackgroundStats
    near: BackgroundStats
    far: BackgroundStats
    radius: int

    def format(self) -> str:
        """A small table of n, mean, median and std for the three sets."""
        lines = [f"{'pixels':<28} {'n':>10} {'mean':>12} {'median':>12} {'std':>12}"]
        for name, s in (
            ("DETECTED", self.detected),
            (f"near sources (<= {self.radius} px)", self.near),
            ("far from sources", self.far),
        ):
            n = s.n_pixels - s.n_nan
            lines.append(f"{name:<28} {n:>10} {s.mean:>12.4g} {s.median:>12.4g} {s.std:>12.4g}")
        lines.append(f"near - far mean: {self.near.mean - self.far.mean:.4g}")
        return "\n".join(lines)


def near_source_statistics(
    image: Any, detected: Any, usable: Any = None, *, radius: int = 20
) -> NearSourceStats:
    """Statistics of the DETECTED pixels and of the usable pixels near and far from them.

    Parameters
    ----------
    image
        The image.
    detected
        True on source pixels (the DETECTED mask plane).
    usable
        True on pixels that may count at all (e.g. not BAD, not NO_DATA); default all.
    radius
        "Near" is within this many pixels of a source pixel along x and y.
    """
    pixels = np.asarray(image)
    source = checked_mask(detected, pixels.shape)
    ok = np.ones(pixels.shape, bool) if usable is None else checked_mask(usable, pixels.shape)
    # a pixel is near a source when the square around it holds a source pixel
    near_any = box_mean(source.astype(np.float32), int(radius)) > 0
    sky = ok & ~source
    return NearSourceStats(
        detected=background_stats(pixels, source & ok),
        near=background_stats(pixels, sky & near_any),
        far=background_stats(pixels, sky & ~near_any),
        radius=int(radius),
    )

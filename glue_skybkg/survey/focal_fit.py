"""The visit's focal-plane plane: a robust least-squares plane through the detector means.

Detector offsets only show against the smooth sky: the plane ``p0 + px fx + py fy`` (counts,
focal-plane mm) is fitted to the detectors' means at their centres, dropping detectors beyond
:data:`~.table.OUTLIER_SIGMA` robust sigma and refitting until nothing changes, so a bad
detector cannot drag the plane; each detector's offset is its mean minus the plane.
"""

from __future__ import annotations

import numpy as np

from skybkg_adapters.focal_plane import MosaicGrid

from .table import OUTLIER_SIGMA, robust_sigma

__all__ = ["Plane", "evaluate_plane", "fit_focal_plane", "plane_image"]

Plane = tuple[float, float, float]
"""``(p0, px, py)``: counts at the focal-plane origin, counts per mm along x and y."""

_ITERATIONS = 10


def fit_focal_plane(fx, fy, values, sigma: float = OUTLIER_SIGMA) -> Plane:
    """The robust plane through ``values`` at focal-plane ``(fx, fy)`` mm (NaN values ignored).

    Returns NaNs with fewer than three usable points.
    """
    fx, fy, values = (np.asarray(a, np.float64) for a in (fx, fy, values))
    keep = np.isfinite(fx) & np.isfinite(fy) & np.isfinite(values)
    coefficients = (np.nan, np.nan, np.nan)
    for _ in range(_ITERATIONS):
        if keep.sum() < 3:
            return (np.nan, np.nan, np.nan)
        design = np.column_stack([np.ones(keep.sum()), fx[keep], fy[keep]])
        solution, *_ = np.linalg.lstsq(design, values[keep], rcond=None)
        coefficients = (float(solution[0]), float(solution[1]), float(solution[2]))
        residual = values - evaluate_plane(coefficients, fx, fy)
        spread = robust_sigma(residual[keep])
        usable = np.isfinite(fx) & np.isfinite(fy) & np.isfinite(values)
        within = usable & (np.abs(residual - np.median(residual[keep])) <= sigma * spread)
        if spread == 0 or np.array_equal(within, keep):
            break
        keep = within
    return coefficients


def evaluate_plane(plane: Plane, fx, fy) -> np.ndarray:
    """The plane at focal-plane ``(fx, fy)`` mm."""
    p0, px, py = plane
    return p0 + px * np.asarray(fx, np.float64) + py * np.asarray(fy, np.float64)


def plane_image(plane: Plane, grid: MosaicGrid) -> np.ndarray:
    """The plane at every cell centre of ``grid``, float32."""
    x, y = grid.centres_mm()
    return evaluate_plane(plane, x[np.newaxis, :], y[:, np.newaxis]).astype(np.float32)

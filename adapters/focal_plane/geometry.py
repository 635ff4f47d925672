"""Where a detector's pixels lie on the focal plane: an affine map, pixels -> mm.

See docs/lsst-formats.md section 11.5. afw builds every detector's PIXELS -> FOCAL_PLANE
transform from its Orientation alone (no AST needed)::

    fp = R(yaw, pitch, roll) @ diag(pixelSize_x, pixelSize_y) @ (pix - refPoint) + fpPosition

with, for yaw y, pitch p, roll r (radians)::

    R = [[cos y cos p, cos y sin p sin r - cos r sin y],
         [cos p sin y, cos y cos r + sin y sin p sin r]]

Focal-plane coordinates are in mm; ``fpPosition_z`` is not used. :class:`DetectorGeometry`
holds the resulting 2x3 affine and its inverse; the afw archive reader, the lsst-images
detector reader and the built-in LSSTCam layout all produce one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..geometry import BBox

__all__ = ["Affine", "DetectorGeometry"]

Affine = tuple[tuple[float, float, float], tuple[float, float, float]]
"""``((a, b, tx), (c, d, ty))``: ``fx = a x + b y + tx``, ``fy = c x + d y + ty``."""


@dataclass(frozen=True)
class DetectorGeometry:
    """Where a detector's pixels lie on the focal plane: an affine map pixels -> mm.

    ``affine`` is ``((a, b, tx), (c, d, ty))``: ``fx = a x + b y + tx``, ``fy = c x + d y + ty``
    for parent pixel coordinates ``(x, y)`` (pixel centres at integers) and focal-plane
    coordinates in mm. ``bbox`` is the detector's pixel box, ``pixel_size`` ``(x, y)`` in mm,
    ``physical_type`` the sensor kind as the source names it (``'E2V'``, ``'ITL'``, ``'CCD'``).
    """

    name: str
    id: int
    bbox: BBox
    pixel_size: tuple[float, float]
    affine: Affine
    physical_type: str = ""

    def __post_init__(self) -> None:
        matrix = np.asarray(self.affine, dtype=np.float64)
        if matrix.shape != (2, 3) or not np.all(np.isfinite(matrix)):
            raise ValueError(f"affine must be 2x3 finite numbers; got {self.affine!r}")
        if np.linalg.det(matrix[:, :2]) == 0:
            raise ValueError(f"affine {self.affine!r} is singular: no focal plane -> pixel map")
        object.__setattr__(self, "affine", tuple(tuple(float(v) for v in r) for r in matrix))
        object.__setattr__(self, "pixel_size", tuple(float(v) for v in self.pixel_size))

    @classmethod
    def from_orientation(
        cls,
        name: str,
        id: int,
        bbox: BBox,
        pixel_size: tuple[float, float],
        fp_position: tuple[float, float],
        ref_point: tuple[float, float],
        yaw: float,
        pitch: float = 0.0,
        roll: float = 0.0,
        physical_type: str = "",
    ) -> DetectorGeometry:
        """The geometry afw's ``Orientation.makePixelFpTransform`` gives (angles in radians).

        ``fp_position`` (mm) is where the pixel position ``ref_point`` lands on the focal plane.
        """
        cy, sy = math.cos(yaw), math.sin(yaw)
        cp, sp = math.cos(pitch), math.sin(pitch)
        cr, sr = math.cos(roll), math.sin(roll)
        rotation = np.array([[cy * cp, cy * sp * sr - cr * sy], [cp * sy, cy * cr + sy * sp * sr]])
        linear = rotation @ np.diag([float(pixel_size[0]), float(pixel_size[1])])
        translation = np.asarray(fp_position[:2], dtype=np.float64) - linear @ np.asarray(
            ref_point, dtype=np.float64
        )
        (a, b), (c, d) = linear
        tx, ty = translation
        affine: Affine = ((float(a), float(b), float(tx)), (float(c), float(d), float(ty)))
        return cls(name, int(id), bbox, pixel_size, affine, physical_type)

    @property
    def jacobian(self) -> np.ndarray:
        """The 2x2 linear part, d(fx, fy)/d(x, y) in mm per pixel."""
        return np.asarray(self.affine)[:, :2]

    @property
    def translation(self) -> np.ndarray:
        """The focal-plane position (mm) of pixel (0, 0)."""
        return np.asarray(self.affine)[:, 2]

    def pixel_to_focal_plane(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Focal-plane ``(fx, fy)`` in mm of parent pixel coordinates ``(x, y)`` (broadcast)."""
        (a, b, tx), (c, d, ty) = self.affine
        x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        return a * x + b * y + tx, c * x + d * y + ty

    def focal_plane_to_pixel(self, fx: ArrayLike, fy: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Parent pixel coordinates ``(x, y)`` of focal-plane ``(fx, fy)`` in mm (broadcast)."""
        (a, b, tx), (c, d, ty) = self.affine
        det = a * d - b * c
        fx, fy = np.broadcast_arrays(
            np.asarray(fx, dtype=np.float64) - tx, np.asarray(fy, dtype=np.float64) - ty
        )
        return (d * fx - b * fy) / det, (a * fy - c * fx) / det

    def corners_mm(self) -> np.ndarray:
        """The focal-plane ``(4, 2)`` corners of the pixel area, outer pixel edges, in mm.

        Order as afw's ``Box2D.getCorners``: (min x, min y), (max x, min y), (max x, max y),
        (min x, max y) in pixels, each edge half a pixel beyond the first/last pixel centre.
        """
        x0, y0 = self.bbox.x0 - 0.5, self.bbox.y0 - 0.5
        x1, y1 = self.bbox.max_x + 0.5, self.bbox.max_y + 0.5
        fx, fy = self.pixel_to_focal_plane([x0, x1, x1, x0], [y0, y0, y1, y1])
        return np.column_stack([fx, fy])

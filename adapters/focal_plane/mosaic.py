"""A visit's backgrounds on one focal-plane picture: a grid in millimetres and what falls in it.

A :class:`MosaicGrid` is a regular grid of square cells ``scale`` mm wide over the focal plane.
:func:`reduce_detector` takes one detector's full-resolution image (a rendered background)
and its :class:`~.geometry.DetectorGeometry` and returns the sum and count of the pixels whose
centres fall in each cell, over the small window of cells the detector covers: the mosaic value
of a cell is the **block mean of the full-resolution image** over the cell, whatever the
detector's position and rotation (no resampling, no interpolation).  :class:`Mosaic` adds such
reductions up; cells no pixel falls in (between detectors) are NaN.  The same pass gives the
moments of a least-squares plane over the detector, so its gradient costs nothing extra.
:class:`DetectorReducer` does the same from strips of rows, so a survey never holds a
detector's full-resolution image.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..geometry import BBox
from .geometry import DetectorGeometry

__all__ = [
    "DEFAULT_SCALE_MM",
    "DetectorReducer",
    "DetectorReduction",
    "Mosaic",
    "MosaicGrid",
    "reduce_detector",
]

DEFAULT_SCALE_MM = 0.5
"""Mosaic cell size: 0.5 mm is 50 LSSTCam pixels, about 80 cells across a detector."""


@dataclass(frozen=True)
class MosaicGrid:
    """Square cells over the focal plane: column ``i`` spans ``x0 + i*scale .. x0 + (i+1)*scale``.

    ``x0``, ``y0`` (mm) are the outer edges of cell ``(0, 0)``, ``scale`` the cell size in mm
    and ``shape`` ``(rows, columns)``.  Rows run along focal-plane y, columns along x.
    """

    x0: float
    y0: float
    scale: float
    shape: tuple[int, int]

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"a mosaic scale must be a positive number of mm; got {self.scale!r}")
        rows, columns = (int(v) for v in self.shape)
        if rows < 1 or columns < 1:
            raise ValueError(f"a mosaic grid needs at least one cell; got shape {self.shape!r}")
        object.__setattr__(self, "shape", (rows, columns))

    @classmethod
    def covering(
        cls,
        geometries: Iterable[DetectorGeometry],
        scale: float = DEFAULT_SCALE_MM,
        margin: int = 2,
    ) -> MosaicGrid:
        """The grid, cell edges on multiples of ``scale``, holding every detector and a margin."""
        corners = np.vstack([g.corners_mm() for g in geometries])
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"a mosaic scale must be a positive number of mm; got {scale!r}")
        low = np.floor(corners.min(axis=0) / scale) - margin
        high = np.ceil(corners.max(axis=0) / scale) + margin
        columns, rows = (int(v) for v in high - low)
        return cls(float(low[0] * scale), float(low[1] * scale), float(scale), (rows, columns))

    def cell_coordinates(self, fx, fy) -> tuple[np.ndarray, np.ndarray]:
        """Continuous cell coordinates ``(u, w)`` of focal-plane mm (cell = their floor)."""
        return (
            (np.asarray(fx, np.float64) - self.x0) / self.scale,
            (np.asarray(fy, np.float64) - self.y0) / self.scale,
        )

    def centres_mm(self) -> tuple[np.ndarray, np.ndarray]:
        """Focal-plane x of every column's centre and y of every row's centre, in mm."""
        rows, columns = self.shape
        return (
            self.x0 + (np.arange(columns) + 0.5) * self.scale,
            self.y0 + (np.arange(rows) + 0.5) * self.scale,
        )


@dataclass(frozen=True)
class DetectorReduction:
    """One detector's image on a :class:`MosaicGrid`: per-cell sums and counts, and moments.

    ``sums``/``counts`` cover the cells ``row0 .. row0 + h``, ``col0 .. col0 + w`` of the grid.
    ``moments`` are those of the finite pixels (see :data:`~._reduce.N_MOMENTS`), measured from
    the detector's pixel centre ``centre``; :meth:`plane` fits a plane to them.
    """

    detector: int
    col0: int
    row0: int
    sums: np.ndarray
    counts: np.ndarray
    moments: np.ndarray
    centre: tuple[float, float]

    @property
    def n_finite(self) -> int:
        """Finite pixels of the image."""
        return int(self.moments[0])

    def plane(self) -> tuple[float, float, float]:
        """Least-squares plane ``level + gx dx + gy dy`` of the image (pixel units from the centre).

        Returns ``(level, gx, gy)``: the value at the centre and the gradient in image units per
        pixel along the detector's x and y; NaNs without three finite pixels in general position.
        """
        n, sx, sy, sxx, sxy, syy, sv, svx, svy = (float(m) for m in self.moments)
        normal = np.array([[n, sx, sy], [sx, sxx, sxy], [sy, sxy, syy]])
        if n < 3 or abs(np.linalg.det(normal)) <= 1e-12 * max(n * sxx * syy, 1.0):
            return math.nan, math.nan, math.nan
        level, gx, gy = np.linalg.solve(normal, np.array([sv, svx, svy]))
        return float(level), float(gx), float(gy)


def reduce_detector(
    image: np.ndarray,
    geometry: DetectorGeometry,
    grid: MosaicGrid,
    detector: int | None = None,
    bbox: BBox | None = None,
) -> DetectorReduction:
    """Block sums and counts of ``image`` on ``grid``, and its plane moments, in one pass.

    Parameters
    ----------
    image
        The detector's full-resolution image (e.g. a rendered background), shaped like
        ``bbox``; its first pixel is the bbox's ``(x0, y0)``.  NaNs are skipped.
    geometry
        Where the detector's pixels lie on the focal plane.
    grid
        The mosaic's cells; the detector must lie on it.
    detector
        The id recorded in the result (default ``geometry.id``).
    bbox
        The parent-pixel box ``image`` covers (default the whole detector, ``geometry.bbox``;
        a cut-out covers less).

    Raises
    ------
    ValueError
        ``image`` does not match the geometry's bbox, or the detector lies off the grid.
    """
    reducer = DetectorReducer(geometry, grid, detector, bbox)
    pixels = np.asarray(image)
    if pixels.shape != reducer.bbox.shape:
        raise ValueError(
            f"detector {geometry.name}: image is {pixels.shape[1]}x{pixels.shape[0]} pixels but "
            f"its bbox is {reducer.bbox.width}x{reducer.bbox.height}"
        )
    reducer.add(pixels)
    return reducer.result()


class DetectorReducer:
    """:func:`reduce_detector` fed a strip of rows at a time (in any order), never a whole image.

    A survey renders a detector's background strip by strip
    (:class:`skybkg_adapters.render.RowRenderer`) and adds each strip here while it is still
    in the processor's cache; :meth:`result` is then what :func:`reduce_detector` of the whole
    image gives (the same cells, counts and moments, up to the order of float64 sums).
    Parameters and errors are those of :func:`reduce_detector`.
    """

    def __init__(
        self,
        geometry: DetectorGeometry,
        grid: MosaicGrid,
        detector: int | None = None,
        bbox: BBox | None = None,
    ):
        from . import _reduce  # numba compiles (or loads) on first use

        box = geometry.bbox if bbox is None else BBox.coerce(bbox)
        x_edges = [box.x0 - 0.5, box.max_x + 0.5, box.max_x + 0.5, box.x0 - 0.5]
        y_edges = [box.y0 - 0.5, box.y0 - 0.5, box.max_y + 0.5, box.max_y + 0.5]
        u, w = grid.cell_coordinates(*geometry.pixel_to_focal_plane(x_edges, y_edges))
        col0, row0 = int(np.floor(u.min())), int(np.floor(w.min()))
        col1, row1 = int(np.floor(u.max())) + 1, int(np.floor(w.max())) + 1
        rows, columns = grid.shape
        if col0 < 0 or row0 < 0 or col1 > columns or row1 > rows:
            raise ValueError(
                f"detector {geometry.name} (corners "
                f"{np.round(geometry.corners_mm(), 2).tolist()} mm) lies partly off the mosaic "
                "grid; make the grid with MosaicGrid.covering"
            )
        (a, b, tx), (c, d, ty) = geometry.affine
        s = grid.scale
        self._to_grid = np.array(
            [a / s, b / s, (tx - grid.x0) / s - col0, c / s, d / s, (ty - grid.y0) / s - row0]
        )
        self.bbox = box
        self._name = geometry.name
        self._detector = geometry.id if detector is None else int(detector)
        self._origin = (col0, row0)
        self._sums = np.zeros((row1 - row0, col1 - col0))
        self._counts = np.zeros(self._sums.shape, np.int32)
        self._state = np.zeros(_reduce.N_STATE)
        self._columns = np.zeros((_reduce.N_COLUMN_STATE, box.width))
        self._reduce = _reduce

    def add(self, strip: np.ndarray, start: int = 0) -> None:
        """Add rows ``start .. start + len(strip) - 1`` of the image (0 is the bbox's first row)."""
        pixels = np.asarray(strip)
        height, width = self.bbox.shape
        if pixels.ndim != 2 or pixels.shape[1] != width or not 0 <= start <= height - len(pixels):
            raise ValueError(
                f"detector {self._name}: a strip of shape {pixels.shape} at row {start} does not "
                f"fit its {width}x{height} bbox"
            )
        if pixels.dtype.kind != "f" or not pixels.dtype.isnative:
            pixels = pixels.astype(np.float64)
        xc, yc = self.bbox.center
        self._reduce.reduce_rows(
            pixels,
            self.bbox.x0,
            self.bbox.y0 + start,
            self._to_grid,
            xc,
            yc,
            self._sums,
            self._counts,
            self._state,
            self._columns,
        )

    def result(self) -> DetectorReduction:
        """The reduction of every row added so far."""
        sums, counts = self._sums.copy(), self._counts.copy()
        state, columns = self._state.copy(), self._columns.copy()
        moments = np.zeros(self._reduce.N_MOMENTS)
        xc, yc = self.bbox.center
        self._reduce.finish(self.bbox.x0, self._to_grid, xc, sums, counts, state, columns, moments)
        col0, row0 = self._origin
        return DetectorReduction(self._detector, col0, row0, sums, counts, moments, (xc, yc))


class Mosaic:
    """Detector reductions added up on one :class:`MosaicGrid` (the picture of one visit).

    :attr:`image` is the block mean in each cell (NaN where no pixel fell);
    :attr:`detector_map` the id of the detector with the most pixels in each cell (-1: none).
    """

    def __init__(self, grid: MosaicGrid) -> None:
        self.grid = grid
        self._sums = np.zeros(grid.shape)
        self._counts = np.zeros(grid.shape, np.int64)
        self._best = np.zeros(grid.shape, np.int32)
        self._ids = np.full(grid.shape, -1, np.int16)
        self.detectors: list[int] = []

    def add(self, reduction: DetectorReduction) -> None:
        """Add one detector's sums and counts into the mosaic."""
        rows, columns = reduction.sums.shape
        window = np.s_[
            reduction.row0 : reduction.row0 + rows, reduction.col0 : reduction.col0 + columns
        ]
        self._sums[window] += reduction.sums
        self._counts[window] += reduction.counts
        best = self._best[window]
        more = reduction.counts > best
        best[more] = reduction.counts[more]
        self._ids[window][more] = reduction.detector
        self.detectors.append(reduction.detector)

    @property
    def image(self) -> np.ndarray:
        """Block means, float32, rows along focal-plane y; NaN between detectors."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self._counts > 0, self._sums / self._counts, np.nan).astype(np.float32)

    @property
    def detector_map(self) -> np.ndarray:
        """The detector id of every cell (int16, -1 where no detector is)."""
        return self._ids.copy()

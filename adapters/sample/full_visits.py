"""Making the full visits' backgrounds: one smooth sky across the focal plane, per-detector offsets.

Each detector's calexpBackground is built straight from its bins (no calexp pixels behind it):
the visit's sky at the bin centres, placed on the focal plane by the nominal LSSTCam layout,
times ``1 + offset`` of the detector (a DP2-like detector-to-detector offset, a few per mille),
with a little bin noise, as the first of four Chebyshev order-1 entries of 32 x 32 bins (the
DP0.2 layout, lsst-formats.md 6.1); the three later entries are the small corrections the
pipeline's later passes add.  :data:`~.catalog.BAD_DETECTOR` gets a background that went
wrong (+12 per cent and a ramp); :data:`~.catalog.MISSING_DETECTOR` gets no file at all.

Visit 512055's sky is the one its three calexps were made with (passed in by
:mod:`.generate`), so those detectors' real backgrounds fit in with their 186 neighbours.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..container import BackgroundLayer, BackgroundModel
from ..focal_plane import DetectorGeometry, lsstcam_detector
from ..geometry import BBox
from ..lsst_fits import write_background
from ..styles import ApproxStyle, InterpStyle, UndersampleStyle
from ._scene import VISIT_MASK_PLANES, SkyGradient
from .catalog import (
    BAD_DETECTOR,
    FULL_VISITS,
    SEED,
    VISIT,
    full_visit_product,
    full_visit_products,
)

__all__ = [
    "FULL_VISIT_TASK",
    "dp02_entry",
    "full_visit_background",
    "full_visit_tasks",
    "write_full_visit_task",
]

FULL_VISIT_TASK = "fullvisit"
"""Prefix of the generation tasks: ``fullvisit:<visit>:<raft>`` writes one raft of one visit."""

_PIXEL_MM = 0.010
_N_BINS = 32
_OFFSET_SIGMA = 0.003  # relative detector-to-detector offsets
_BIN_NOISE = 0.3  # counts
_LATER_ENTRIES = (3e-4, 1e-4, 3e-5)  # relative levels of entries 1-3
_BAD_OFFSET, _BAD_RAMP = 0.12, 0.2
# generate's detector frame starts at pixel (0, 0) of R20_S00 (detector 72)
_BASE_FRAME_DETECTOR = 72
_SKIES = {
    1172317: SkyGradient(level=1150.0, gx=-0.025, gy=0.045, curvature=0.002),
    1206010: SkyGradient(level=4300.0, gx=0.03, gy=0.015, curvature=-0.003),
}
"""The other visits' skies, in focal-plane pixels (mm / 0.01) from the focal-plane centre."""


def _focal_plane_sky(visit: int, base_sky: SkyGradient) -> SkyGradient:
    """The visit's sky in focal-plane pixels; ``base_sky`` is 512055's in generate's frame."""
    if visit != VISIT:
        return _SKIES[visit]
    anchor = lsstcam_detector(_BASE_FRAME_DETECTOR).translation / _PIXEL_MM
    origin = (base_sky.origin[0] + anchor[0], base_sky.origin[1] + anchor[1])
    return dataclasses.replace(base_sky, origin=origin)


def _bin_centres_mm(geometry: DetectorGeometry) -> tuple[np.ndarray, np.ndarray]:
    from ..render import bin_centers

    box = geometry.bbox
    x = box.x0 + np.asarray(bin_centers(box.width, _N_BINS))
    y = box.y0 + np.asarray(bin_centers(box.height, _N_BINS))
    return geometry.pixel_to_focal_plane(x[np.newaxis, :], y[:, np.newaxis])


def full_visit_background(visit: int, detector: int, base_sky: SkyGradient) -> BackgroundModel:
    """The calexpBackground of ``detector`` in full visit ``visit`` (deterministic).

    ``base_sky`` is visit 512055's sky in :mod:`.generate`'s detector frame.
    """
    if visit not in FULL_VISITS:
        raise ValueError(f"the sample's full visits are {list(FULL_VISITS)}; got {visit}")
    geometry = lsstcam_detector(detector)
    rng = np.random.default_rng([SEED, visit, detector])
    fx, fy = _bin_centres_mm(geometry)
    sky = _focal_plane_sky(visit, base_sky).at(fx / _PIXEL_MM, fy / _PIXEL_MM)
    offset = np.full(sky.shape, rng.normal(0.0, _OFFSET_SIGMA))
    if {"visit": visit, "detector": detector} == dict(BAD_DETECTOR):
        across = np.linspace(-0.5, 0.5, _N_BINS)[np.newaxis, :]
        offset = _BAD_OFFSET + _BAD_RAMP * across + np.zeros(sky.shape)
    first = sky * (1.0 + offset) + rng.normal(0.0, _BIN_NOISE, sky.shape)
    level = float(np.median(sky))
    entries = [first] + [
        level * fraction * (1.0 + 0.1 * rng.standard_normal(sky.shape))
        for fraction in _LATER_ENTRIES
    ]
    variance = np.full(sky.shape, max(level, 1.0) / 400.0, np.float32)
    return BackgroundModel(
        tuple(dp02_entry(values.astype(np.float32), geometry.bbox, variance) for values in entries)
    )


def dp02_entry(values: np.ndarray, bbox: BBox, variance: np.ndarray) -> BackgroundLayer:
    """A calexpBackground entry as DP0.2 writes it: Akima bins, Chebyshev order 1, weighted."""
    return BackgroundLayer(
        values=values,
        bbox=bbox,
        interp_style=InterpStyle.AKIMA_SPLINE,
        undersample_style=UndersampleStyle.REDUCE_INTERP_ORDER,
        approx_style=ApproxStyle.CHEBYSHEV,
        approx_order_x=1,
        approx_order_y=1,
        approx_weighting=True,
        variance=variance,
        mask_planes=VISIT_MASK_PLANES,
    )


def full_visit_tasks() -> list[str]:
    """One generation task per (visit, raft) that has files to write."""
    rafts = dict.fromkeys(
        (p.data_id["visit"], lsstcam_detector(p.data_id["detector"]).name[:3])
        for p in full_visit_products()
    )
    return [f"{FULL_VISIT_TASK}:{visit}:{raft}" for visit, raft in rafts]


def write_full_visit_task(folder: Path, task: str, base_sky: SkyGradient) -> None:
    """Write the background files of one ``fullvisit:<visit>:<raft>`` task into ``folder``."""
    _, visit_text, raft = task.split(":")
    visit = int(visit_text)
    for product in full_visit_products():
        detector = int(product.data_id["detector"])
        if product.data_id["visit"] != visit or not lsstcam_detector(detector).name.startswith(
            raft
        ):
            continue
        path = folder / full_visit_product(visit, detector).path
        path.parent.mkdir(parents=True, exist_ok=True)
        write_background(path, full_visit_background(visit, detector, base_sky))

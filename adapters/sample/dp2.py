"""The sample's DP2 part: a visit image and a coadd in Rubin's new format, with named backgrounds.

Made from the DP0.2-like products of the sample (same pixels, same data ids) and written
with :func:`~skybkg_adapters.lsst_images.write_lsst_images` under ``<sample>/dp2/``, once,
the first time they are asked for. As DP2 files do, each carries its backgrounds:

* ``visit_image`` (visit 512055, detector 75): pixels in nJy, a constant photometric
  scaling of :data:`DP2_CALIBRATION` nJy per electron over the detector, backgrounds in
  electrons: ``subtracted`` (a 32 x 32 spline grid of the sky the calexpBackground
  modelled; it is what the pixels had taken off) and ``skyCorr`` (a coarse spline ripple
  plus a constant, as the focal-plane sky correction adds);
* ``deep_coadd`` (tract 4226, patch 17, band r): nJy, backgrounds ``object`` (deliberately
  oversubtracted, for detection; taken off the pixels) and ``pretty`` (gentler, for
  colour images).

So ``visit_image + subtracted x scaling`` is the DP0.2 ``calexp + calexpBackground`` in nJy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u

from ..container import BackgroundMap, BackgroundModel, SkyImage
from ..errors import ProductNotFound
from ..focal_plane import lsstcam_detector
from ..geometry import BBox
from ..lsst_fits import read_background, read_exposure
from ..lsst_images import ChebyshevField, SplineField, SumField, write_lsst_images
from ..units import PhotometricScaling
from .catalog import BAND, CALEXP_DATA_ID, COADD_DATA_ID, INSTRUMENT, PHYSICAL_FILTER, SampleSet

__all__ = [
    "DP2_CALIBRATION",
    "DP2_DATASET_TYPES",
    "DP2_VERSION",
    "dp2_coadd",
    "dp2_path",
    "dp2_visit_image",
    "ensure_dp2",
]

DP2_VERSION = 1
"""Bumped whenever the DP2 products change; older ones are written again."""
DP2_CALIBRATION = 0.6314
"""The sample visit image's photometric scaling, nJy per electron."""
DP2_DATASET_TYPES = {"visit_image": CALEXP_DATA_ID, "deep_coadd": COADD_DATA_ID}
"""The DP2 dataset types of the sample and the one data id each has."""

_FOLDER = "dp2"
_MARKER = ".skybkg-dp2.json"
_GRID = 32
_COADD_BAND = str(COADD_DATA_ID["band"])


def _centres(start: int, length: int, n: int) -> np.ndarray:
    """``n`` bin centres evenly tiling ``length`` pixels from ``start`` (parent pixels)."""
    ends = np.minimum(((np.arange(n) + 1) * length + n // 2) // n, length)
    starts = np.concatenate(([0], ends[:-1]))
    return start + starts + 0.5 * (ends - starts) - 0.5


def _grid_of(values: np.ndarray, box: BBox, n: int) -> SplineField:
    """A spline grid sampling ``values`` (covering ``box``) at ``n`` x ``n`` bin centres."""
    x, y = _centres(box.x0, box.width, n), _centres(box.y0, box.height, n)
    rows = np.floor(y - box.y0).astype(int)
    cols = np.floor(x - box.x0).astype(int)
    return SplineField(box, x, y, values[np.ix_(rows, cols)].astype(np.float64), u.electron)


def _ripple(box: BBox, amplitude: float, ny: int, nx: int, unit: u.UnitBase, seed: int):
    """A smooth low-amplitude spline over ``box`` (a sky correction's coarse pattern)."""
    rng = np.random.default_rng(seed)
    x, y = _centres(box.x0, box.width, nx), _centres(box.y0, box.height, ny)
    return SplineField(box, x, y, amplitude * rng.standard_normal((ny, nx)), unit)


def dp2_visit_image(calexp: SkyImage, background: BackgroundModel) -> SkyImage:
    """The DP2 form of a sample calexp and its calexpBackground (see the module docstring)."""
    box = calexp.bbox
    raw = calexp.image + background.render()  # electrons: the sample's gain is 1
    subtracted = _grid_of(raw - calexp.image, box, _GRID)
    taken = subtracted.render(dtype=np.float32)
    sky_corr = SumField(
        (
            _ripple(box, 2.5, 4, 5, u.electron, 11),
            ChebyshevField(box, np.array([[-1.2]]), u.electron),
        )
    )
    scale = np.float32(DP2_CALIBRATION)
    models = {
        "subtracted": BackgroundModel.from_field(
            subtracted,
            name="subtracted",
            description="Background subtracted from the image (Akima spline over 32x32 bins).",
        ),
        "skyCorr": BackgroundModel.from_field(
            sky_corr,
            name="skyCorr",
            description="Focal-plane sky correction: a coarse spline ripple plus a constant.",
        ),
    }
    detector = calexp.ids.get("detector", CALEXP_DATA_ID["detector"])
    return SkyImage(
        (raw - taken) * scale,
        np.asarray(calexp.mask),
        np.asarray(calexp.variance) * scale * scale,
        mask_planes=calexp.mask_planes,
        xy0=calexp.xy0,
        wcs=calexp.wcs,
        unit=u.nJy,
        backgrounds=BackgroundMap(models, "subtracted"),
        photometric_scaling=PhotometricScaling(
            u.nJy / u.electron, constant=DP2_CALIBRATION, origin="the file's photometric_scaling"
        ),
        band=BAND,
        detector=lsstcam_detector(int(detector)),
        ids={
            "instrument": INSTRUMENT,
            "visit": CALEXP_DATA_ID["visit"],
            "detector": int(detector),
            "physical_filter": PHYSICAL_FILTER,
        },
    )


def dp2_coadd(coadd: SkyImage, tweak: BackgroundModel) -> SkyImage:
    """The DP2 form of the sample deepCoadd (see the module docstring)."""
    box = coadd.bbox
    level = float(tweak.render((box.x0, box.y0, 1, 1))[0, 0])
    # "object" is deliberately oversubtracted: the residual sky plus a little more
    object_field = SumField(
        (
            ChebyshevField(box, np.array([[level * 1.15, 0.02], [0.015, 0.0]]), u.nJy),
            _ripple(box, 0.01, 8, 8, u.nJy, 23),
        )
    )
    pretty_field = SumField(
        (
            ChebyshevField(box, np.array([[level, 0.01], [0.008, 0.0]]), u.nJy),
            _ripple(box, 0.004, 4, 4, u.nJy, 29),
        )
    )
    models = {
        "object": BackgroundModel.from_field(
            object_field,
            name="object",
            description="Background for object detection and measurement (oversubtracted).",
        ),
        "pretty": BackgroundModel.from_field(
            pretty_field, name="pretty", description="Gentler background for colour images."
        ),
    }
    image = coadd.image - object_field.render(dtype=np.float32)
    return SkyImage(
        image,
        np.asarray(coadd.mask),
        np.asarray(coadd.variance),
        mask_planes=coadd.mask_planes,
        xy0=coadd.xy0,
        wcs=coadd.wcs,
        unit=u.nJy,
        backgrounds=BackgroundMap(models, "object"),
        band=_COADD_BAND,
        ids={"skymap": "DC2", "tract": COADD_DATA_ID["tract"], "patch": COADD_DATA_ID["patch"]},
    )


def _paths(root: Path) -> dict[str, Path]:
    folder = root / _FOLDER
    return {
        "visit_image": folder / "visit_image" / "visit_image_512055_R20_S10.fits",
        "deep_coadd": folder / "deep_coadd" / "deep_coadd_4226_17_r.fits",
    }


def _current(root: Path) -> bool:
    try:
        marker = json.loads((root / _FOLDER / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("version") == DP2_VERSION


def ensure_dp2(sample: SampleSet) -> dict[str, Path]:
    """The DP2 products of ``sample`` (dataset type -> file), written first if missing.

    Each file appears complete or not at all; the version marker is written last.
    """
    paths = _paths(sample.root)
    if _current(sample.root) and all(p.is_file() for p in paths.values()):
        return paths
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    calexp = read_exposure(sample.calexp)
    write_lsst_images(
        paths["visit_image"],
        dp2_visit_image(calexp, read_background(sample.calexp_background)),
        overwrite=True,
    )
    coadd = read_exposure(sample.path("deepCoadd", COADD_DATA_ID))
    tweak = read_background(sample.path("deepCoadd_calexp_background", COADD_DATA_ID))
    write_lsst_images(paths["deep_coadd"], dp2_coadd(coadd, tweak), overwrite=True)
    (sample.root / _FOLDER / _MARKER).write_text(json.dumps({"version": DP2_VERSION}))
    return paths


def dp2_path(sample: SampleSet, dataset_type: str, data_id: Mapping[str, Any]) -> Path:
    """The sample's DP2 file of ``dataset_type`` for ``data_id`` (ProductNotFound otherwise)."""
    wanted = DP2_DATASET_TYPES.get(dataset_type)
    if wanted is None or dict(data_id) != dict(wanted):
        raise ProductNotFound(
            f"the sample data set has no DP2 {dataset_type} for {dict(data_id)}; it holds "
            + "; ".join(f"{dt} {dict(i)}" for dt, i in DP2_DATASET_TYPES.items())
        )
    return ensure_dp2(sample)[dataset_type]

"""Making the sample's pixels: the scenes, the backgrounds the pipeline would fit, the files.

Every product is generated deterministically (fixed seeds) and written with this package's
own afw FITS writers (GZIP_2 tile compression, as the Butler writes) in a
Butler-datastore-like layout, then registered in a real Butler repository when
``lsst-daf-butler`` is installed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.io.fits import Header

from ..container import BackgroundLayer, BackgroundModel, Provenance, SkyImage
from ..errors import SkybkgError
from ..estimate import bin_statistics, estimate_background
from ..geometry import BBox
from ..lsst_fits import write_background, write_exposure
from ..masks import plane_bits
from ..styles import ApproxStyle, InterpStyle, UndersampleStyle
from ._scene import (
    COADD_MASK_PLANES,
    VISIT_MASK_PLANES,
    Scene,
    SkyGradient,
    coadd_scene,
    tan_wcs,
    visit_scene,
)
from .catalog import (
    COADD_DATA_ID,
    DETECTOR_NAMES,
    DETECTORS,
    INSTRUMENT,
    RUN,
    SEED,
    VISIT,
    Product,
    all_products,
    coadd_product,
    visit_band,
    visit_product,
)
from .full_visits import FULL_VISIT_TASK, full_visit_tasks, write_full_visit_task

__all__ = ["ProgressCallback", "coadd_patch_scene", "detector_scene", "generate_products"]

ProgressCallback = Callable[[int, int, str], None]
"""Told ``(steps done, steps in all, what is being done)`` while the sample is generated."""

_DETECTOR_SHAPE = (4000, 4072)
_SLOT_PITCH = 4225.0  # pixels between neighbouring ITL sensors (42.25 mm at 10 um)
# the visit's boresight sits on detector 75's centre, which lies inside the coadd patch
_BORESIGHT = (61.98, -37.37)
_VISIT_ROTATION = 12.0
# focal-plane pixel of the boresight: the centre of detector 75 (slot S10: column 0, row 1)
_BORESIGHT_PIXEL = (2035.5, _SLOT_PITCH + 1999.5)
_VISIT_SKY = SkyGradient(level=2900.0, gx=0.06, gy=-0.04, curvature=0.004, origin=_BORESIGHT_PIXEL)
# Each calexpBackground entry re-estimates the sky with the footprints detected so far:
# none for the first (characterization), then ever fainter thresholds (per-pixel sigmas
# of the noiseless source light); the last one is the calexp's DETECTED plane.
_ENTRY_THRESHOLDS = (None, 4.0, 1.5, 0.5)
_BACKGROUND_IGNORED = ("BAD", "EDGE", "DETECTED", "DETECTED_NEGATIVE", "NO_DATA")
_BIN_SIZE = 128  # DP0.2's binSize: 32 x 32 bins on a 4072 x 4000 detector

_TRACT_CENTER = (61.95, -37.14)
_TRACT_CENTER_PIXEL = 13999.0  # tract pixel of the tract centre, both axes (7 x 4000 + 2 x 100)
_PATCH_XY0 = (3 * 4000 - 100, 2 * 4000 - 100)  # patch 17 = column 3, row 2 of the 7 x 7 grid
_PATCH_SHAPE = (4200, 4200)
_COADD_SKY = SkyGradient(level=2.1, gx=0.12, gy=-0.08, curvature=0.0, origin=(14000.0, 10000.0))
_VARIANCE_SCALE = 1.07


def _detector_offset(detector: int) -> tuple[float, float]:
    """Focal-plane pixel of the detector's pixel (0, 0)."""
    slot = DETECTOR_NAMES[detector][-2:]
    row, column = int(slot[0]), int(slot[1])
    return column * _SLOT_PITCH, row * _SLOT_PITCH


def detector_scene(detector: int) -> Scene:
    """The truth behind a sample calexp: the pixels before background subtraction and more.

    ``scene.pixels`` is exactly what ``calexp.image + calexpBackground`` restores (to
    float32 round-off); ``scene.sky`` is the smooth sky the background estimates.
    """
    if detector not in DETECTOR_NAMES:
        raise ValueError(f"the sample has detectors {list(DETECTORS)}; got {detector}")
    return visit_scene(SEED + detector, _DETECTOR_SHAPE, _detector_offset(detector), _VISIT_SKY)


def coadd_patch_scene() -> Scene:
    """The truth behind the sample deepCoadd: residual sky, sources and noise, in nJy."""
    return coadd_scene(SEED, _PATCH_SHAPE, _PATCH_XY0, _COADD_SKY)


def _calexp_background(scene: Scene) -> tuple[BackgroundModel, np.ndarray]:
    """The 4-entry calexpBackground the DP0.2 pipeline would fit, and the detection mask.

    Each entry is the Chebyshev order-1 model of the per-bin clipped means of what the
    previous entries left, ignoring the footprints detected at that stage.
    """
    ignored_bits = plane_bits(
        VISIT_MASK_PLANES, [p for p in _BACKGROUND_IGNORED if p != "DETECTED"]
    )
    instrumental = (scene.mask & ignored_bits) != 0
    residual = scene.pixels.copy()
    layers = []
    detected = np.zeros(scene.pixels.shape, bool)
    for threshold in _ENTRY_THRESHOLDS:
        if threshold is not None:
            detected = scene.footprints(threshold)
        (layer,) = estimate_background(
            residual,
            instrumental | detected,
            bin_size=_BIN_SIZE,
            approx_order=1,
            mask_planes=VISIT_MASK_PLANES,
        ).layers
        residual -= layer.render()
        layers.append(layer)
    return BackgroundModel(tuple(layers)), detected


def _calexp(detector: int) -> tuple[SkyImage, BackgroundModel]:
    """The calexp of ``detector`` and its calexpBackground."""
    scene = detector_scene(detector)
    background, detected = _calexp_background(scene)
    image = scene.pixels - background.render()
    mask = scene.mask | np.where(detected, np.int32(1 << VISIT_MASK_PLANES["DETECTED"]), 0)
    entry0 = background.layers[0].render().astype(np.float64)
    offset = _detector_offset(detector)
    crpix = (_BORESIGHT_PIXEL[0] - offset[0] + 1.0, _BORESIGHT_PIXEL[1] - offset[1] + 1.0)
    metadata = Header()
    metadata["INSTRUME"] = INSTRUMENT
    metadata["TELESCOP"] = "LSST"
    metadata["VISIT"] = (VISIT, "visit id")
    metadata["EXPID"] = VISIT
    metadata["DETECTOR"] = (detector, "detector number")
    metadata["DETNAME"] = DETECTOR_NAMES[detector]
    metadata["BAND"], metadata["FILTER"] = visit_band(VISIT)
    metadata["EXPTIME"] = (30.0, "exposure time [s]")
    metadata["DARKTIME"] = 30.0
    metadata["BORE-RA"] = _BORESIGHT[0]
    metadata["BORE-DEC"] = _BORESIGHT[1]
    metadata["HIERARCH BORE-ROTANG"] = _VISIT_ROTATION
    # SubtractBackgroundTask._addStats: mean and (n-1) variance of the first entry
    metadata["BGMEAN"] = (float(entry0.mean()), "mean of background")
    metadata["BGVAR"] = (float(entry0.var(ddof=1)), "variance of background")
    product = visit_product("calexp", detector)
    exposure = SkyImage(
        image.astype(np.float32),
        mask.astype(np.int32),
        scene.variance,
        mask_planes=VISIT_MASK_PLANES,
        xy0=(0, 0),
        wcs=tan_wcs(_BORESIGHT, crpix, _VISIT_ROTATION),
        metadata=metadata,
        unit=u.count,
        provenance=Provenance("sample", "calexp", product.data_id),
    )
    return exposure, background


def _coadd_tweak(scene: Scene) -> tuple[BackgroundModel, np.ndarray]:
    """The deepCoadd_calexp_background (one constant level) and the detection footprints.

    DynamicDetectionTask's tweak: one level for the whole patch, from undetected pixels.
    """
    detected = scene.footprints(1.0)
    level = bin_statistics(
        scene.pixels, [0, _PATCH_SHAPE[1]], [0, _PATCH_SHAPE[0]], detected
    ).values
    tweak = BackgroundLayer(
        values=level,
        bbox=BBox.from_shape(_PATCH_SHAPE, _PATCH_XY0),
        interp_style=InterpStyle.LINEAR,
        undersample_style=UndersampleStyle.REDUCE_INTERP_ORDER,
        approx_style=ApproxStyle.UNKNOWN,
        approx_order_x=0,
        approx_order_y=0,
        approx_weighting=False,
        variance=level,
        mask_planes=COADD_MASK_PLANES,
    )
    return BackgroundModel((tweak,)), detected


def _coadd(
    kind: str,
    scene: Scene,
    tweak: BackgroundModel | None = None,
    detected: np.ndarray | None = None,
) -> SkyImage:
    """The deepCoadd, or with the tweak and footprints given, the deepCoadd_calexp."""
    x0, y0 = _PATCH_XY0
    crpix = (_TRACT_CENTER_PIXEL - x0 + 1.0, _TRACT_CENTER_PIXEL - y0 + 1.0)
    metadata = Header()
    metadata["TRACT"] = COADD_DATA_ID["tract"]
    metadata["PATCH"] = COADD_DATA_ID["patch"]
    metadata["BAND"] = COADD_DATA_ID["band"]
    metadata["SKYMAP"] = "DC2"
    pixels, variance, mask = scene.pixels, scene.variance, scene.mask
    if tweak is not None and detected is not None:
        # the level subtracted is the stored float32 value, so the difference is exact
        level = tweak.layers[0]
        assert isinstance(level, BackgroundLayer)  # the sample's afw tweak background
        pixels = pixels - level.values[0, 0]
        variance = variance * np.float32(_VARIANCE_SCALE)
        mask = mask | np.where(detected, np.int32(1 << COADD_MASK_PLANES["DETECTED"]), 0)
        metadata["HIERARCH VARIANCE_SCALE"] = (_VARIANCE_SCALE, "variance rescaling factor")
    return SkyImage(
        pixels.astype(np.float32),
        mask.astype(np.int32),
        variance.astype(np.float32),
        mask_planes=COADD_MASK_PLANES,
        xy0=_PATCH_XY0,
        wcs=tan_wcs(_TRACT_CENTER, crpix),
        metadata=metadata,
        unit=u.nJy,
        provenance=Provenance("sample", kind, COADD_DATA_ID),
    )


def _write(folder: Path, product: Product, thing: SkyImage | BackgroundModel) -> None:
    path = folder / product.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(thing, BackgroundModel):
        write_background(path, thing)
    else:
        write_exposure(path, thing, compress="GZIP_2")


def _make(root: str, task: str) -> None:
    """Write one generation task's products: a detector's pair, a coadd, or a raft's backgrounds.

    Tasks are "74" (a detector), "deepCoadd", "deepCoadd_calexp" or
    ``fullvisit:<visit>:<raft>`` (one raft of a full visit).

    A module-level function of strings, so a worker process can run it.
    """
    folder = Path(root)
    if task.startswith(FULL_VISIT_TASK):
        write_full_visit_task(folder, task, _VISIT_SKY)
    elif task == "deepCoadd":
        _write(folder, coadd_product("deepCoadd"), _coadd("deepCoadd", coadd_patch_scene()))
    elif task == "deepCoadd_calexp":
        scene = coadd_patch_scene()
        tweak, detected = _coadd_tweak(scene)
        _write(folder, coadd_product("deepCoadd_calexp_background"), tweak)
        coadd_calexp = _coadd("deepCoadd_calexp", scene, tweak, detected)
        _write(folder, coadd_product("deepCoadd_calexp"), coadd_calexp)
    else:
        exposure, background = _calexp(int(task))
        _write(folder, visit_product("calexp", int(task)), exposure)
        _write(folder, visit_product("calexpBackground", int(task)), background)


def generate_products(folder: Path, progress: bool | ProgressCallback, with_butler: bool) -> None:
    """Write every product into ``folder`` and, with ``with_butler``, register them in a Butler.

    ``progress`` True shows a console bar; a callable also gets ``(done, total, step)``
    after each step, from whichever thread finished it.
    """
    from tqdm.auto import tqdm

    from ._task_pool import run_tasks

    # the two coadd tasks write the largest files: start them first
    tasks = ["deepCoadd_calexp", "deepCoadd", *(str(d) for d in DETECTORS), *full_visit_tasks()]
    total = len(tasks) + int(with_butler)
    report = progress if callable(progress) else None
    with tqdm(
        total=total,
        desc="Generating the sample data",
        unit="product",
        disable=not progress,
        leave=False,
    ) as bar:
        lock = threading.Lock()

        def step() -> None:
            with lock:  # the worker's thread and this one both finish tasks
                bar.update()
                if report is not None:
                    report(bar.n, total, str(bar.desc))

        if report is not None:
            report(0, total, str(bar.desc))
        if (os.cpu_count() or 1) > 1:
            # mostly compression, which holds the GIL: a second process, not a thread
            run_tasks(_make, str(folder), tasks, step)
        else:
            for task in tasks:
                _make(str(folder), task)
                step()
        if with_butler:
            bar.set_description("Registering in a Butler repository")
            _register_in_butler(folder)
            step()


def _register_in_butler(folder: Path) -> None:
    """Make ``folder`` a Butler repository whose datastore is the files already there.

    They are ingested in place (``transfer=None``), so the datastore records paths relative
    to the repository root and the folder stays relocatable (it is renamed into place after).
    """
    from ..butler_repo import create_butler_repo

    products = []
    for product in all_products():
        data_id = dict(product.data_id)
        if "visit" in data_id:
            band, physical_filter = visit_band(data_id["visit"])
            data_id.update(band=band, physical_filter=physical_filter)
        products.append((product.dataset_type, data_id, folder / product.path))
    try:
        create_butler_repo(folder, products, run=RUN, instrument=INSTRUMENT, transfer=None)
    except (ImportError, SkybkgError, OSError):
        raise
    except Exception as exc:  # lsst-daf-butler's own errors: say which step failed
        raise SkybkgError(
            f"lsst-daf-butler could not build the sample's Butler repository ({exc}); "
            "uninstall it to use the sample as plain files, or report this with the message"
        ) from exc

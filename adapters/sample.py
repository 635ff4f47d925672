"""The realistic sample data set used by ``skybkg demo``, the tests and the benchmarks.

DP0.2-like products under their DP0.2 names and data ids, generated deterministically
(fixed seed) on first use into the user cache, written with this package's own afw FITS
writers (GZIP_2 tile compression, as the Butler writes) in a Butler-datastore-like layout,
and registered in a real Butler repository when ``lsst-daf-butler`` is installed:

* ``calexp`` + ``calexpBackground`` for visit 512055, detectors 74, 75 and 76
  (4072 x 4000 counts; 4 background entries of 32 x 32 bins, Chebyshev order 1, as
  lsst-formats.md section 6.1 describes), so that ``calexp + background`` restores the sky;
* ``deepCoadd``, ``deepCoadd_calexp`` and ``deepCoadd_calexp_background`` for tract 4226,
  patch 17, band r (4200 x 4200 nJy, one constant 1 x 1 "tweak" entry).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io.fits import Header

from ._meanclip import meanclip_bins
from ._scene import (
    COADD_MASK_PLANES,
    VISIT_MASK_PLANES,
    Scene,
    SkyGradient,
    coadd_scene,
    tan_wcs,
    visit_scene,
)
from .container import BackgroundLayer, BackgroundModel, Provenance, SkyImage
from .errors import ProductNotFound, SkybkgError
from .styles import ApproxStyle, InterpStyle, UndersampleStyle

__all__ = [
    "SAMPLE_VERSION",
    "SEED",
    "RUN",
    "INSTRUMENT",
    "VISIT",
    "DETECTOR",
    "DETECTORS",
    "CALEXP_DATA_ID",
    "COADD_DATA_ID",
    "Product",
    "SampleSet",
    "sample_root",
    "ensure_sample",
    "detector_scene",
    "coadd_patch_scene",
]

SAMPLE_VERSION = 1
"""Bumped whenever the generated products change; an older sample is regenerated."""
SEED = 20230922
"""Seed of every random draw (the date the seed notebook was last verified)."""
RUN = "2.2i/runs/DP0.2"
"""The Butler run (and collection) the products are registered in."""
INSTRUMENT = "LSSTCam-imSim"
"""The instrument of the sample calexps (DP0.2's simulated LSSTCam)."""
VISIT = 512055
"""The visit of the sample calexps (the notebook's)."""
DETECTOR = 75
"""The detector the notebook uses."""
DETECTORS = (74, 75, 76)
"""Every detector of the visit in the sample; the notebook's one and two neighbours."""
CALEXP_DATA_ID = MappingProxyType({"visit": VISIT, "detector": DETECTOR})
"""The notebook's calexp data id."""
COADD_DATA_ID = MappingProxyType({"tract": 4226, "patch": 17, "band": "r"})
"""The notebook's coadd data id."""

_MARKER = ".skybkg-sample.json"
_DETECTOR_SHAPE = (4000, 4072)
_BAND, _PHYSICAL_FILTER = "i", "i_sim_1.4"
# LSSTCam-imSim detector numbers of raft R20 and their (column, row) slot in the raft
_DETECTOR_NAMES = {74: "R20_S02", 75: "R20_S10", 76: "R20_S11"}
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
_N_BINS = 32

_TRACT_CENTER = (61.95, -37.14)
_TRACT_CENTER_PIXEL = 13999.0  # tract pixel of the tract centre, both axes (7 x 4000 + 2 x 100)
_PATCH_XY0 = (3 * 4000 - 100, 2 * 4000 - 100)  # patch 17 = column 3, row 2 of the 7 x 7 grid
_PATCH_SHAPE = (4200, 4200)
_COADD_SKY = SkyGradient(level=2.1, gx=0.12, gy=-0.08, curvature=0.0, origin=(14000.0, 10000.0))
_VARIANCE_SCALE = 1.07


@dataclass(frozen=True)
class Product:
    """One file of the sample: its dataset type, data id and path relative to the root."""

    dataset_type: str
    data_id: Mapping[str, Any]
    path: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_id", MappingProxyType(dict(self.data_id)))


def _run_suffix() -> str:
    return RUN.replace("/", "_").replace(".", "_")


def _visit_product(dataset_type: str, detector: int) -> Product:
    name = "_".join(
        (dataset_type, INSTRUMENT, _BAND, _PHYSICAL_FILTER, str(VISIT),
         _DETECTOR_NAMES[detector], _run_suffix())
    )  # fmt: skip
    path = f"{RUN}/{dataset_type}/{_BAND}/{_PHYSICAL_FILTER}/{VISIT}/{name}.fits"
    return Product(dataset_type, {"visit": VISIT, "detector": detector}, path)


def _coadd_product(dataset_type: str) -> Product:
    tract, patch, band = (COADD_DATA_ID[k] for k in ("tract", "patch", "band"))
    name = f"{dataset_type}_{tract}_{patch}_{band}_DC2_{_run_suffix()}"
    path = f"{RUN}/{dataset_type}/{tract}/{patch}/{band}/{name}.fits"
    return Product(dataset_type, dict(COADD_DATA_ID), path)


def _all_products() -> tuple[Product, ...]:
    visit = tuple(
        _visit_product(kind, detector)
        for detector in DETECTORS
        for kind in ("calexp", "calexpBackground")
    )
    coadd = tuple(
        _coadd_product(kind)
        for kind in ("deepCoadd", "deepCoadd_calexp", "deepCoadd_calexp_background")
    )
    return visit + coadd


@dataclass(frozen=True)
class SampleSet:
    """A generated sample data set: where each product is and under which data id.

    ``butler_repo`` is the root of the Butler repository over the same files, or None
    when lsst-daf-butler is not installed (the files are then used as plain files).
    """

    root: Path
    products: tuple[Product, ...] = field(default_factory=_all_products)
    butler_repo: Path | None = None

    def path(self, dataset_type: str, data_id: Mapping[str, Any]) -> Path:
        """The file of ``dataset_type`` with ``data_id``; ProductNotFound if the sample has none."""
        wanted = dict(data_id)
        for product in self.products:
            if product.dataset_type == dataset_type and dict(product.data_id) == wanted:
                return self.root / product.path
        raise ProductNotFound(
            f"the sample data set has no {dataset_type} for {wanted}; it holds visit {VISIT} "
            f"detectors {list(DETECTORS)} and tract/patch/band {dict(COADD_DATA_ID)}"
        )

    @property
    def detectors(self) -> tuple[int, ...]:
        """Detector numbers of visit 512055 in the sample."""
        return DETECTORS

    @property
    def calexp(self) -> Path:
        """The notebook's calexp (visit 512055, detector 75)."""
        return self.path("calexp", CALEXP_DATA_ID)

    @property
    def calexp_background(self) -> Path:
        """Its calexpBackground."""
        return self.path("calexpBackground", CALEXP_DATA_ID)

    @property
    def coadd(self) -> Path:
        """The deepCoadd of tract 4226, patch 17, band r."""
        return self.path("deepCoadd", COADD_DATA_ID)

    @property
    def coadd_calexp(self) -> Path:
        """The deepCoadd_calexp (deepCoadd minus the residual background)."""
        return self.path("deepCoadd_calexp", COADD_DATA_ID)

    @property
    def coadd_background(self) -> Path:
        """The deepCoadd_calexp_background (the constant residual)."""
        return self.path("deepCoadd_calexp_background", COADD_DATA_ID)


def sample_root() -> Path:
    """Where the sample lives: ``$SKYBKG_SAMPLE_DIR``, else the user cache.

    The cache is ``$XDG_CACHE_HOME/glue-skybkg/sample``, falling back to
    ``~/.cache/glue-skybkg/sample``.
    """
    override = os.environ.get("SKYBKG_SAMPLE_DIR")
    if override:
        return Path(override).expanduser()
    from .sources.cache import default_cache_dir

    # one rule for glue-skybkg's folder in the user cache: the sample sits beside the downloads
    return default_cache_dir().with_name("sample")


def _detector_offset(detector: int) -> tuple[float, float]:
    """Focal-plane pixel of the detector's pixel (0, 0)."""
    slot = _DETECTOR_NAMES[detector][-2:]
    row, column = int(slot[0]), int(slot[1])
    return column * _SLOT_PITCH, row * _SLOT_PITCH


def detector_scene(detector: int) -> Scene:
    """The truth behind a sample calexp: the pixels before background subtraction and more.

    ``scene.pixels`` is exactly what ``calexp.image + calexpBackground`` restores (to
    float32 round-off); ``scene.sky`` is the smooth sky the background estimates.
    """
    if detector not in _DETECTOR_NAMES:
        raise ValueError(f"the sample has detectors {list(DETECTORS)}; got {detector}")
    return visit_scene(SEED + detector, _DETECTOR_SHAPE, _detector_offset(detector), _VISIT_SKY)


def coadd_patch_scene() -> Scene:
    """The truth behind the sample deepCoadd: residual sky, sources and noise, in nJy."""
    return coadd_scene(SEED, _PATCH_SHAPE, _PATCH_XY0, _COADD_SKY)


def _bin_edges(length: int, n: int) -> np.ndarray:
    """Bin boundaries afw uses (section 2.1), from the renderer's bin centres.

    A bin's centre is ``orig + size/2 - 1/2``, so its end is ``2 * centre + 1 - orig``.
    """
    from .render import bin_centers

    edges = np.zeros(n + 1, np.int64)
    for i, centre in enumerate(np.asarray(bin_centers(length, n), np.float64)):
        edges[i + 1] = int(round(2.0 * centre + 1.0)) - edges[i]
    return edges


def _mask_bits(planes: Mapping[str, int], names) -> int:
    return int(np.bitwise_or.reduce([1 << planes[name] for name in names]))


def _calexp_background(scene: Scene) -> tuple[BackgroundModel, np.ndarray]:
    """The 4-entry calexpBackground the DP0.2 pipeline would fit, and the detection mask.

    Each entry is the Chebyshev order-1 model of the per-bin clipped means of what the
    previous entries left, ignoring the footprints detected at that stage.
    """
    height, width = scene.pixels.shape
    x_edges, y_edges = _bin_edges(width, _N_BINS), _bin_edges(height, _N_BINS)
    ignored_bits = _mask_bits(
        VISIT_MASK_PLANES, [p for p in _BACKGROUND_IGNORED if p != "DETECTED"]
    )
    instrumental = (scene.mask & ignored_bits) != 0
    residual = scene.pixels.copy()
    layers = []
    detected = np.zeros(scene.pixels.shape, bool)
    for threshold in _ENTRY_THRESHOLDS:
        if threshold is not None:
            detected = scene.footprints(threshold)
        values, errors = meanclip_bins(residual, instrumental | detected, x_edges, y_edges)
        layer = BackgroundLayer(
            values=values,
            bbox=(0, 0, width, height),
            interp_style=InterpStyle.AKIMA_SPLINE,
            undersample_style=UndersampleStyle.REDUCE_INTERP_ORDER,
            approx_style=ApproxStyle.CHEBYSHEV,
            approx_order_x=1,
            approx_order_y=1,
            approx_weighting=True,
            variance=errors,
            mask_planes=VISIT_MASK_PLANES,
        )
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
    metadata["DETNAME"] = _DETECTOR_NAMES[detector]
    metadata["BAND"] = _BAND
    metadata["FILTER"] = _PHYSICAL_FILTER
    metadata["EXPTIME"] = (30.0, "exposure time [s]")
    metadata["DARKTIME"] = 30.0
    metadata["BORE-RA"] = _BORESIGHT[0]
    metadata["BORE-DEC"] = _BORESIGHT[1]
    metadata["HIERARCH BORE-ROTANG"] = _VISIT_ROTATION
    # SubtractBackgroundTask._addStats: mean and (n-1) variance of the first entry
    metadata["BGMEAN"] = (float(entry0.mean()), "mean of background")
    metadata["BGVAR"] = (float(entry0.var(ddof=1)), "variance of background")
    product = _visit_product("calexp", detector)
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
    level, _ = meanclip_bins(
        scene.pixels, detected, np.array([0, _PATCH_SHAPE[1]]), np.array([0, _PATCH_SHAPE[0]])
    )
    tweak = BackgroundLayer(
        values=level,
        bbox=(*_PATCH_XY0, _PATCH_SHAPE[1], _PATCH_SHAPE[0]),
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


def _coadd(kind: str, scene: Scene, tweak: BackgroundModel | None = None,
           detected: np.ndarray | None = None) -> SkyImage:  # fmt: skip
    """The deepCoadd, or with the tweak and footprints given, the deepCoadd_calexp."""
    x0, y0 = _PATCH_XY0
    crpix = (_TRACT_CENTER_PIXEL - x0 + 1.0, _TRACT_CENTER_PIXEL - y0 + 1.0)
    metadata = Header()
    metadata["TRACT"] = COADD_DATA_ID["tract"]
    metadata["PATCH"] = COADD_DATA_ID["patch"]
    metadata["BAND"] = COADD_DATA_ID["band"]
    metadata["SKYMAP"] = "DC2"
    pixels, variance, mask = scene.pixels, scene.variance, scene.mask
    if tweak is not None:
        # the level subtracted is the stored float32 value, so the difference is exact
        pixels = pixels - tweak.layers[0].values[0, 0]
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
    from .lsst_fits import write_background, write_exposure

    path = folder / product.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(thing, BackgroundModel):
        write_background(path, thing)
    else:
        write_exposure(path, thing, compress="GZIP_2")


def _make(folder: str, task: str) -> None:
    """Write one generation task's products: a detector's pair (task "74"), or one coadd.

    A module-level function of strings, so a worker process can run it.
    """
    folder = Path(folder)
    if task == "deepCoadd":
        _write(folder, _coadd_product("deepCoadd"), _coadd("deepCoadd", coadd_patch_scene()))
    elif task == "deepCoadd_calexp":
        scene = coadd_patch_scene()
        tweak, detected = _coadd_tweak(scene)
        _write(folder, _coadd_product("deepCoadd_calexp_background"), tweak)
        coadd_calexp = _coadd("deepCoadd_calexp", scene, tweak, detected)
        _write(folder, _coadd_product("deepCoadd_calexp"), coadd_calexp)
    else:
        exposure, background = _calexp(int(task))
        _write(folder, _visit_product("calexp", int(task)), exposure)
        _write(folder, _visit_product("calexpBackground", int(task)), background)


def _butler_available() -> bool:
    from importlib.util import find_spec

    try:
        return find_spec("lsst.daf.butler") is not None
    except ModuleNotFoundError:
        return False


def _generate(folder: Path, progress: bool, with_butler: bool) -> None:
    """Write every product (and the Butler repo) into ``folder``, then the marker."""
    from tqdm.auto import tqdm

    from ._task_pool import run_tasks

    # the two coadd tasks write the largest files: start them first
    tasks = ["deepCoadd_calexp", "deepCoadd", *(str(d) for d in DETECTORS)]
    with tqdm(total=len(tasks) + int(with_butler), desc="Generating the sample data",
              unit="product", disable=not progress, leave=False) as bar:  # fmt: skip
        if (os.cpu_count() or 1) > 1:
            # mostly compression, which holds the GIL: a second process, not a thread
            run_tasks(_make, str(folder), tasks, bar.update)
        else:
            for task in tasks:
                _make(str(folder), task)
                bar.update()
        if with_butler:
            bar.set_description("Registering in a Butler repository")
            _register_in_butler(folder)
            bar.update()
    marker = {
        "version": SAMPLE_VERSION,
        "seed": SEED,
        "butler": with_butler,
        "products": [p.path for p in _all_products()],
    }
    (folder / _MARKER).write_text(json.dumps(marker, indent=1))


def _register_in_butler(folder: Path) -> None:
    """Make ``folder`` a Butler repository whose datastore is the files already there.

    They are ingested in place (``transfer=None``), so the datastore records paths relative
    to the repository root and the folder stays relocatable (it is renamed into place after).
    """
    from .sources.butler_repo import create_butler_repo

    products = []
    for product in _all_products():
        data_id = dict(product.data_id)
        if "visit" in data_id:
            data_id.update(band=_BAND, physical_filter=_PHYSICAL_FILTER)
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


def _read_marker(root: Path, with_butler: bool) -> dict | None:
    """The marker of a complete, current sample in ``root``, else None.

    With ``with_butler`` (lsst-daf-butler installed) a sample made without its Butler
    repository is not current.
    """
    try:
        marker = json.loads((root / _MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("version") != SAMPLE_VERSION:
        return None
    if with_butler and not marker.get("butler"):
        return None
    return marker


def _sample_set(root: Path, marker: Mapping[str, Any]) -> SampleSet:
    return SampleSet(root, butler_repo=root if marker.get("butler") else None)


def _publish(partial: Path, root: Path) -> None:
    """Move a finished sample into place; an old or partial one at ``root`` is replaced."""
    try:
        os.rename(partial, root)
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    stale = root.with_name(f"skybkg-sample-stale-{os.getpid()}")
    os.rename(root, stale)
    os.rename(partial, root)
    shutil.rmtree(stale, ignore_errors=True)


def _write_failure(root: Path, exc: OSError) -> SkybkgError:
    if exc.errno == errno.ENOSPC:
        advice = (
            "free about 300 MB there, or set SKYBKG_SAMPLE_DIR to a folder on a disk with room"
        )
    else:
        advice = "set SKYBKG_SAMPLE_DIR to a folder you can write to"
    reason = exc.strerror or str(exc)
    return SkybkgError(f"could not write the sample data set into {root}: {reason}; {advice}")


def ensure_sample(root: str | os.PathLike | None = None, progress: bool = True) -> SampleSet:
    """The sample data set, generated into ``root`` on first use and reused afterwards.

    Parameters
    ----------
    root
        Folder of the sample; default :func:`sample_root`.
    progress
        Show a progress bar while generating.

    Returns
    -------
    SampleSet
        Paths and data ids of every product.

    Notes
    -----
    Generation happens in a temporary sibling folder that is renamed into place only when
    complete, so an interrupted run never leaves a half-written sample. A sample made by
    another version of this module, or without the Butler repository that an installed
    lsst-daf-butler now allows, is regenerated.
    """
    root = Path(root) if root is not None else sample_root()
    with_butler = _butler_available()
    marker = _read_marker(root, with_butler)
    if marker is not None:
        return _sample_set(root, marker)
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        # no dot in the name: the Butler would read what follows one as a config-file format
        partial = Path(tempfile.mkdtemp(prefix="skybkg-sample-partial-", dir=root.parent))
    except OSError as exc:
        raise _write_failure(root, exc) from exc
    try:
        _generate(partial, progress, with_butler)
        finished = _read_marker(root, with_butler)
        if finished is not None:
            # another process finished first; keep its copy
            shutil.rmtree(partial, ignore_errors=True)
            return _sample_set(root, finished)
        _publish(partial, root)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise _write_failure(root, exc) from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return _sample_set(root, _read_marker(root, with_butler) or {})


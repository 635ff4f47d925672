"""Shared test set-up: headless Qt, isolated caches, the real LSST-written files in ../shared.

The real files live beside the checkout (``../shared/realdata``, as in CI) or where
``SKYBKG_SHARED_DIR`` points.  Without them the tests that need them skip, each with the
reason, except under CI (``CI=true``), where a missing folder fails them: CI never skips
them silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before anything imports Qt (pytest-qt's qapp, glue-qt): Qt's offscreen platform, so the
# README's test command runs as written on a headless machine (and opens no windows on a
# desktop; QT_QPA_PLATFORM=xcb shows them).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GLUE_TESTING", "True")

SHARED = Path(os.environ.get("SKYBKG_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
REALDATA = SHARED / "realdata"


def running_in_ci() -> bool:
    """Whether the ``CI`` environment variable says this is a CI run."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def shared_folder(folder: Path, what: str) -> Path:
    """``folder`` if it exists; otherwise skip (fail under CI) saying where it was looked for."""
    if folder.is_dir():
        return folder
    message = f"{what} not found at {folder}; set SKYBKG_SHARED_DIR"
    if running_in_ci():
        pytest.fail(f"{message} (CI must have ../shared beside the checkout)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of real afw-written FITS files (shared/realdata beside the checkout)."""
    return shared_folder(REALDATA, "real afw files")


@pytest.fixture(scope="session")
def afw_calexp(realdata) -> Path:
    """obs_base's HSC calexp: EXPINFO_V 2, the 18-catalog archive of lsst-formats.md 11."""
    return realdata / "obs_base__calexp.fits"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own XDG cache so no test sees another's downloads or samples."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


# --- glue plugin fixtures (GLUE engineer): small synthetic afw files and a headless glue app ---

GLUE_SHAPE = (150, 200)  # (height, width): small so the GUI tests stay fast
CALEXP_XY0 = (1000, 2000)
COADD_XY0 = (11900, 7900)
COADD_RESIDUAL = 0.37  # the deepCoadd_calexp_background constant (nJy)


def _tan_wcs(crval):
    from astropy.wcs import WCS

    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = list(crval)
    wcs.wcs.crpix = [GLUE_SHAPE[1] / 2, GLUE_SHAPE[0] / 2]
    wcs.wcs.cd = [[-5.5e-5, 0.0], [0.0, 5.5e-5]]
    return wcs


def _stars(rng, scale):
    import numpy as np

    height, width = GLUE_SHAPE
    yy, xx = np.mgrid[0:height, 0:width]
    image = np.zeros(GLUE_SHAPE)
    for _ in range(25):
        x, y = rng.uniform(5, width - 5), rng.uniform(5, height - 5)
        image += rng.uniform(20, 400) * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.8**2))
    return scale * image


@pytest.fixture(scope="session")
def glue_products(tmp_path_factory):
    """Small afw files laid out as a local source: calexp + calexpBackground, the coadd triple.

    Returns a dict of paths (``root`` is the folder) and the truth arrays the tests check.
    """
    import numpy as np

    from skybkg_adapters import BackgroundLayer, BackgroundModel, SkyImage
    from skybkg_adapters.lsst_fits import write_background, write_exposure

    root = tmp_path_factory.mktemp("skybkg-products")
    rng = np.random.default_rng(20230922)
    height, width = GLUE_SHAPE
    planes = {"BAD": 0, "SAT": 1, "DETECTED": 5, "NO_DATA": 8}

    calexp_image = (_stars(rng, 1.0) + rng.normal(0, 6, GLUE_SHAPE)).astype(np.float32)
    mask = np.zeros(GLUE_SHAPE, np.int32)
    mask[calexp_image > 30] |= 1 << planes["DETECTED"]
    mask[:, :3] |= 1 << planes["NO_DATA"]
    mask[70, 40:90] |= 1 << planes["BAD"]
    bins = (2900 + 8.0 * np.arange(3)[:, None] - 5.0 * np.arange(4)[None, :]).astype(np.float32)
    calexp_bbox = (*CALEXP_XY0, width, height)
    background = BackgroundModel((BackgroundLayer(bins, calexp_bbox),))
    calexp = SkyImage(
        calexp_image,
        mask,
        np.full(GLUE_SHAPE, 36, np.float32),
        mask_planes=planes,
        xy0=CALEXP_XY0,
        wcs=_tan_wcs((61.98, -37.37)),
    )

    coadd_image = _stars(rng, 0.05) + rng.normal(0, 0.3, GLUE_SHAPE) + COADD_RESIDUAL
    coadd_image = coadd_image.astype(np.float32)
    coadd_calexp_image = coadd_image - np.float32(COADD_RESIDUAL)
    coadd_bbox = (*COADD_XY0, width, height)
    coadd_background = BackgroundModel(
        (BackgroundLayer(np.full((1, 1), COADD_RESIDUAL, np.float32), coadd_bbox),)
    )
    coadd_mask = np.zeros(GLUE_SHAPE, np.int32)

    def coadd(pixels):
        return SkyImage(
            pixels,
            coadd_mask,
            np.full(GLUE_SHAPE, 0.09, np.float32),
            mask_planes=planes,
            xy0=COADD_XY0,
            wcs=_tan_wcs((61.95, -37.14)),
        )

    paths = {
        "calexp": root / "calexp" / "calexp_512055_75.fits",
        "calexpBackground": root / "calexpBackground" / "calexpBackground_512055_75.fits",
        "deepCoadd": root / "deepCoadd" / "deepCoadd_4226_17_r.fits",
        "deepCoadd_calexp": root / "deepCoadd_calexp" / "deepCoadd_calexp_4226_17_r.fits",
        "deepCoadd_calexp_background": (
            root / "deepCoadd_calexp_background" / "deepCoadd_calexp_background_4226_17_r.fits"
        ),
    }
    for path in paths.values():
        path.parent.mkdir(parents=True)
    write_exposure(paths["calexp"], calexp)
    write_background(paths["calexpBackground"], background)
    write_exposure(paths["deepCoadd"], coadd(coadd_image))
    write_exposure(paths["deepCoadd_calexp"], coadd(coadd_calexp_image))
    write_background(paths["deepCoadd_calexp_background"], coadd_background)
    return {
        "root": root,
        "paths": paths,
        "calexp_image": calexp_image,
        "mask": mask,
        "mask_planes": planes,
        "background": background.render(),
        "coadd_image": coadd_image,
        "coadd_calexp_image": coadd_calexp_image,
        "coadd_background": coadd_background.render(),
    }


@pytest.fixture
def reported_errors():
    """Messages the plugin reported (its reporter is replaced: no message box in tests)."""
    from glue_skybkg.qt.notify import set_error_reporter

    messages: list[tuple[str, str]] = []
    previous = set_error_reporter(lambda title, message: messages.append((title, message)))
    yield messages
    set_error_reporter(previous)


def _raise_report(message, detail):
    raise AssertionError(f"glue reported an error: {message}\n{detail}")


@pytest.fixture
def glue_app(qapp, reported_errors):
    """A GlueApplication whose error reports raise (never a modal box); closed afterwards."""
    from glue.config import settings
    from glue_qt.app import GlueApplication

    settings.AUTOLINK["Astronomy WCS"] = "always_accept"
    app = GlueApplication()
    app.report_error = _raise_report
    yield app
    app.close()


DETECTOR_LEVELS = {74: 3107.2, 75: 2900.8}
"""The background level of each detector of :func:`two_detectors` (the issue's means)."""
_DETECTOR_NAMES = {74: "R20_S02", 75: "R20_S10"}
_DETECTOR_CRVAL = {74: (61.90, -37.30), 75: (61.98, -37.37)}  # neighbours on the sky
_RUN = "2_2i_runs_DP0_2"


def butler_name(dataset_type, detector):
    """The file name a Butler datastore gives ``dataset_type`` of sample visit 512055."""
    return (
        f"{dataset_type}_LSSTCam-imSim_i_i_sim_1.4_512055_{_DETECTOR_NAMES[detector]}_{_RUN}.fits"
    )


@pytest.fixture(scope="session")
def two_detectors(tmp_path_factory):
    """Detectors 74 and 75 of visit 512055, named and carded as the Butler writes them.

    One bbox for both (as for every detector of a camera), different sky WCSs, constant
    backgrounds of :data:`DETECTOR_LEVELS`.  The calexps carry INSTRUME/VISIT/DETECTOR/DETNAME
    like DP0.2's; the BackgroundList files carry nothing but their names.  Returns
    ``{"calexp": {74: path, 75: path}, "calexpBackground": {...}, "root": folder}``.
    """
    import numpy as np
    from astropy.io.fits import Header

    from skybkg_adapters import BackgroundLayer, BackgroundModel, SkyImage
    from skybkg_adapters.lsst_fits import write_background, write_exposure

    root = tmp_path_factory.mktemp("two-detectors")
    rng = np.random.default_rng(74075)
    paths: dict = {"root": root, "calexp": {}, "calexpBackground": {}}
    bbox = (*CALEXP_XY0, GLUE_SHAPE[1], GLUE_SHAPE[0])
    for detector, level in DETECTOR_LEVELS.items():
        header = Header()
        header["INSTRUME"] = "LSSTCam-imSim"
        header["VISIT"] = 512055
        header["DETECTOR"] = detector
        header["DETNAME"] = _DETECTOR_NAMES[detector]
        image = (_stars(rng, 1.0) + rng.normal(0, 6, GLUE_SHAPE)).astype(np.float32)
        calexp = SkyImage(
            image,
            np.zeros(GLUE_SHAPE, np.int32),
            np.full(GLUE_SHAPE, 36, np.float32),
            mask_planes={"BAD": 0, "DETECTED": 5},
            xy0=CALEXP_XY0,
            wcs=_tan_wcs(_DETECTOR_CRVAL[detector]),
            metadata=header,
            unit="ct",
        )
        background = BackgroundModel((BackgroundLayer(np.full((2, 2), level, np.float32), bbox),))
        for kind in ("calexp", "calexpBackground"):  # the datastore's <type>/ folders
            (root / kind).mkdir(exist_ok=True)
            paths[kind][detector] = root / kind / butler_name(kind, detector)
        write_exposure(paths["calexp"][detector], calexp)
        write_background(paths["calexpBackground"][detector], background)
    return paths


# --- Rubin's new format (DP2): the files lsst-images wrote, their manifest and renders ---

LSST_IMAGES_FILES = (
    "background_map_01.fits",
    "cell_coadd_01.fits",
    "visit_01_typical.fits",
    "visit_02_nan_akima.fits",
    "visit_03_chebyshev.fits",
    "visit_04_product.fits",
    "visit_05_offset.fits",
    "visit_06_compressed.fits",
    "visit_07_uncompressed.fits",
    "visit_08_lossy.fits",
)
"""The files of ``../shared/realdata/lsst_images`` (the manifest is checked to list just these)."""
LSST_IMAGES_BACKGROUNDS = (
    ("background_map_01.fits", "subtracted"),
    ("background_map_01.fits", "skyCorr"),
    ("cell_coadd_01.fits", "object"),
    ("cell_coadd_01.fits", "pretty"),
    ("visit_01_typical.fits", "subtracted"),
    ("visit_01_typical.fits", "skyCorr"),
    ("visit_02_nan_akima.fits", "subtracted"),
    ("visit_02_nan_akima.fits", "skyCorr"),
    ("visit_03_chebyshev.fits", "subtracted"),
    ("visit_03_chebyshev.fits", "skyCorr"),
    ("visit_04_product.fits", "subtracted"),
    ("visit_04_product.fits", "flatScaled"),
    ("visit_05_offset.fits", "subtracted"),
    ("visit_05_offset.fits", "skyCorr"),
    ("visit_06_compressed.fits", "subtracted"),
    ("visit_06_compressed.fits", "skyCorr"),
    ("visit_07_uncompressed.fits", "subtracted"),
    ("visit_08_lossy.fits", "subtracted"),
)
"""Every (file, background) with a render beside it (``NAME.<background>[.float32].npy``)."""


@pytest.fixture(scope="session")
def lsst_images_dir() -> Path:
    """The real lsst-images files (shared/realdata/lsst_images beside the checkout)."""
    return shared_folder(REALDATA / "lsst_images", "real lsst-images (DP2) files")


@pytest.fixture(scope="session")
def lsst_images_manifest(lsst_images_dir) -> dict:
    """``manifest.json`` of those files, by file name."""
    import json

    manifest = json.loads((lsst_images_dir / "manifest.json").read_text())
    return {entry["file"]: entry for entry in manifest["files"]}


@pytest.fixture(scope="session")
def read_dp2(lsst_images_dir):
    """``read_dp2(name)``: a fixture file read with our reader, once per session."""
    from skybkg_adapters import read_lsst_images

    cache: dict = {}

    def read(name: str):
        if name not in cache:
            cache[name] = read_lsst_images(lsst_images_dir / name)
        return cache[name]

    return read


@pytest.fixture(scope="session")
def dp2_render(lsst_images_dir):
    """``dp2_render(name, background, dtype)``: lsst-images' own render beside the file."""
    import numpy as np

    def load(name: str, background: str, dtype) -> np.ndarray:
        suffix = ".float32.npy" if np.dtype(dtype) == np.float32 else ".npy"
        return np.load(lsst_images_dir / f"{Path(name).stem}.{background}{suffix}")

    return load


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The sample data set, made once per session (:func:`_sample_set.shared_sample`)."""
    from _sample_set import shared_sample

    return shared_sample(tmp_path_factory)

"""Small synthetic afw products for the source tests (64x48 exposures, 4x4-bin backgrounds)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from skybkg_adapters import BackgroundLayer, BackgroundModel, SkyImage
from skybkg_adapters.lsst_fits import write_background, write_exposure

TOKEN = "gt-TEST.SECRET-token-0123456789abcdef"
"""The bearer token the service tests use; it must never surface anywhere."""

VISIT_ID = {"visit": 512055, "detector": 75, "band": "i"}
COADD_ID = {"tract": 4226, "patch": 17, "band": "r"}


def make_exposure(path: Path, seed: int, xy0=(0, 0)) -> Path:
    """A 64x48 exposure with distinct pixels per ``seed`` and a few metadata cards."""
    rng = np.random.default_rng(seed)
    header = fits.Header()
    header["BGMEAN"] = 500.0 + seed
    header["EXPTIME"] = 30.0
    img = SkyImage(
        rng.normal(100.0, 5.0, (48, 64)).astype(np.float32),
        (rng.integers(0, 4, (48, 64))).astype(np.int32),
        np.full((48, 64), 25.0, np.float32),
        mask_planes={"BAD": 0, "SAT": 1},
        xy0=xy0,
        metadata=header,
    )
    write_exposure(path, img)
    return path


def make_background(path: Path, level: float) -> Path:
    """A one-entry BackgroundList of 4x4 bins over a 64x48 image."""
    values = level + np.arange(16, dtype=np.float32).reshape(4, 4)
    write_background(path, BackgroundModel((BackgroundLayer(values, (0, 0, 64, 48)),)))
    return path


def make_products(folder: Path) -> list[tuple[str, dict, Path]]:
    """The five DP0.2 products of one visit detector and one coadd patch, as files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        ("calexp", VISIT_ID, make_exposure(folder / "calexp.fits", 1)),
        ("calexpBackground", VISIT_ID, make_background(folder / "calexpBackground.fits", 500.0)),
        ("deepCoadd", COADD_ID, make_exposure(folder / "deepCoadd.fits", 2, xy0=(11900, 7900))),
        (
            "deepCoadd_calexp",
            COADD_ID,
            make_exposure(folder / "deepCoadd_calexp.fits", 3, xy0=(11900, 7900)),
        ),
        (
            "deepCoadd_calexp_background",
            COADD_ID,
            make_background(folder / "deepCoadd_calexp_background.fits", 0.25),
        ),
    ]


def assert_same_image(a: SkyImage, b: SkyImage) -> None:
    """Same pixels, mask, variance, mask planes, xy0 and metadata values."""
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    np.testing.assert_array_equal(a.variance, b.variance)
    assert a.mask_planes == b.mask_planes
    assert a.xy0 == b.xy0
    assert dict(a.metadata) == dict(b.metadata)


def assert_same_background(a: BackgroundModel, b: BackgroundModel) -> None:
    """Same layers (bins, geometry, styles) and the same rendering."""
    assert a.bbox == b.bbox
    assert len(a.layers) == len(b.layers)
    for la, lb in zip(a.layers, b.layers, strict=True):
        np.testing.assert_array_equal(la.values, lb.values)
        assert (la.interp_style, la.approx_style) == (lb.interp_style, lb.approx_style)
    np.testing.assert_array_equal(a.render(), b.render())


@pytest.fixture(autouse=True)
def token_guard(caplog, tmp_path):
    """Fail a test whose log records (DEBUG included) or cached file names contain :data:`TOKEN`.

    Test modules that talk to services import it, which makes it autouse there.
    """
    caplog.set_level(logging.DEBUG)
    yield
    leaks = [r.getMessage() for r in caplog.records if TOKEN in r.getMessage()]
    for root in (Path(os.environ["XDG_CACHE_HOME"]), tmp_path):
        leaks += [str(p) for p in root.rglob("*") if TOKEN in str(p)]
    assert leaks == [], f"the token leaked into {leaks}"

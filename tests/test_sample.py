"""The sample data set: layout, DP0.2-like contents, exact restore, atomic generation."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u

from skybkg_adapters import ApproxStyle, InterpStyle, SkybkgError, UndersampleStyle
from skybkg_adapters.lsst_fits import read_background, read_exposure
from skybkg_adapters.sample import (
    CALEXP_DATA_ID,
    COADD_DATA_ID,
    DETECTORS,
    SAMPLE_VERSION,
    coadd_patch_scene,
    detector_scene,
    ensure_sample,
    sample_root,
)
from skybkg_adapters.sample import generate as generate_module
from skybkg_adapters.sample import store as store_module
from skybkg_adapters.sample._task_pool import run_tasks


@pytest.fixture(scope="module")
def calexp(sample):
    return read_exposure(sample.calexp)


@pytest.fixture(scope="module")
def calexp_background(sample):
    return read_background(sample.calexp_background)


def test_sample_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SKYBKG_SAMPLE_DIR", str(tmp_path / "mine"))
    assert sample_root() == tmp_path / "mine"
    monkeypatch.delenv("SKYBKG_SAMPLE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sample_root() == tmp_path / "xdg" / "glue-skybkg" / "sample"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert sample_root() == tmp_path / "home" / ".cache" / "glue-skybkg" / "sample"


def test_every_product_is_there_under_its_dp02_name(sample):
    assert sample.detectors == DETECTORS == (74, 75, 76)
    kinds = sorted((p.dataset_type, tuple(sorted(p.data_id.items()))) for p in sample.products)
    expected = sorted(
        [
            (kind, (("detector", d), ("visit", 512055)))
            for d in DETECTORS
            for kind in ("calexp", "calexpBackground")
        ]
        + [
            (kind, (("band", "r"), ("patch", 17), ("tract", 4226)))
            for kind in ("deepCoadd", "deepCoadd_calexp", "deepCoadd_calexp_background")
        ]
        # the full visits: every science detector's background, but for the missing one
        + [
            ("calexpBackground", (("detector", d), ("visit", v)))
            for v in (512055, 1172317, 1206010)
            for d in range(189)
            if (v, d) != (512055, 42) and not (v == 512055 and d in DETECTORS)
        ]
    )
    assert kinds == expected
    for product in sample.products:
        path = sample.root / product.path
        assert path.is_file()
        assert path.stat().st_size > 0
        # the Butler datastore layout: <run>/<dataset type>/.../<dataset type>_..._<run>.fits
        assert product.path.startswith(f"2.2i/runs/DP0.2/{product.dataset_type}/")
        assert Path(product.path).name.startswith(product.dataset_type + "_")
    assert sample.calexp == sample.path("calexp", CALEXP_DATA_ID)
    assert "R20_S10" in sample.calexp.name


def test_calexp_is_a_dp02_like_exposure(calexp, calexp_background):
    assert calexp.image.shape == (4000, 4072)
    assert calexp.image.dtype == np.float32
    assert calexp.xy0 == (0, 0)
    assert calexp.unit == u.count
    for name, bit in {
        "BAD": 0,
        "SAT": 1,
        "INTRP": 2,
        "CR": 3,
        "EDGE": 4,
        "DETECTED": 5,
        "DETECTED_NEGATIVE": 6,
        "SUSPECT": 7,
        "NO_DATA": 8,
    }.items():
        assert calexp.mask_planes[name] == bit
    detected = (calexp.mask & calexp.mask_bits("DETECTED")) != 0
    assert 0.005 < detected.mean() < 0.1
    saturated = (calexp.mask & calexp.mask_bits("SAT")) != 0
    assert saturated.any()
    assert ((calexp.mask & calexp.mask_bits("BAD")) != 0).all(axis=0).sum() == 1  # a bad column
    sky = calexp.wcs.pixel_to_world(2035.5, 1999.5)
    assert 55 < sky.ra.deg < 70
    assert -40 < sky.dec.deg < -30
    assert calexp.metadata["VISIT"] == 512055
    assert calexp.metadata["DETECTOR"] == 75
    assert calexp.metadata["BAND"] == "i"
    assert calexp.metadata["EXPTIME"] == 30.0
    # SubtractBackgroundTask._addStats: mean and (n-1) variance of the first entry
    entry0 = calexp_background.layers[0].render().astype(np.float64)
    assert calexp.metadata["BGMEAN"] == pytest.approx(entry0.mean(), rel=1e-12)
    assert calexp.metadata["BGVAR"] == pytest.approx(entry0.var(ddof=1), rel=1e-9)


def test_calexp_background_is_the_dp02_list(calexp_background):
    assert calexp_background.bbox == (0, 0, 4072, 4000)
    assert len(calexp_background.layers) == 4
    for layer in calexp_background.layers:
        assert layer.shape == (32, 32)
        assert layer.interp_style == InterpStyle.AKIMA_SPLINE
        assert layer.undersample_style == UndersampleStyle.REDUCE_INTERP_ORDER
        assert layer.approx_style == ApproxStyle.CHEBYSHEV
        assert (layer.approx_order_x, layer.approx_order_y) == (1, 1)
        assert layer.approx_weighting is True
        # the "variance" plane is the standard error of a clipped mean of ~16000 pixels
        # with sigma ~54 counts
        assert np.all((layer.variance > 0.3) & (layer.variance < 0.6))
    first, *corrections = (layer.values for layer in calexp_background.layers)
    assert 2800 < np.median(first) < 3000  # the bulk sky
    for values in corrections:
        assert np.abs(np.median(values)) < 2.0  # small re-estimates


def test_calexp_plus_background_restores_the_sky(calexp, calexp_background):
    truth = detector_scene(75)  # regenerated from the seed, independently of the files
    restored = calexp.image + calexp_background.render()
    # calexp = fl(raw - bkg), so adding bkg back is within one float32 rounding of raw
    assert np.all(np.abs(restored - truth.pixels) <= np.spacing(np.abs(truth.pixels)))
    # the background follows the smooth sky (biased up by faint source light, < 1 count)
    offset = calexp_background.render() - truth.sky
    assert 0.0 < offset.mean() < 1.0
    assert np.abs(offset).max() < 2.0
    # noise consistent with the variance plane where nothing is detected or flagged
    quiet = calexp.mask == 0
    pull = (calexp.image[quiet] - np.median(calexp.image[quiet])) / np.sqrt(calexp.variance[quiet])
    robust_sigma = 1.4826 * np.median(np.abs(pull - np.median(pull)))
    assert robust_sigma == pytest.approx(1.0, abs=0.03)


def test_coadds_differ_by_the_constant_tweak(sample):
    coadd = read_exposure(sample.coadd)
    coadd_calexp = read_exposure(sample.coadd_calexp)
    tweak = read_background(sample.coadd_background)
    for image in (coadd, coadd_calexp):
        assert image.image.shape == (4200, 4200)
        assert image.xy0 == (11900, 7900)
        assert image.unit == u.nJy
    assert tweak.bbox == (11900, 7900, 4200, 4200)
    (layer,) = tweak.layers
    assert layer.shape == (1, 1)
    assert layer.interp_style == InterpStyle.LINEAR
    assert layer.approx_style == ApproxStyle.UNKNOWN
    assert (layer.approx_order_x, layer.approx_order_y, layer.approx_weighting) == (0, 0, False)
    assert layer.values[0, 0] == layer.variance[0, 0]
    rendered = tweak.render().astype(np.float64)
    assert np.std(rendered) == 0.0
    level = layer.values[0, 0]
    assert 0.5 < level < 5.0  # a small residual in nJy
    difference = coadd.image.astype(np.float64) - coadd_calexp.image.astype(np.float64)
    # deepCoadd_calexp = fl(deepCoadd - level): off by at most one rounding of either
    rounding = np.maximum(np.spacing(np.abs(coadd.image)), np.spacing(np.abs(coadd_calexp.image)))
    assert np.all(np.abs(difference - level) <= rounding)
    assert coadd_calexp.metadata["VARIANCE_SCALE"] == pytest.approx(1.07)
    assert np.allclose(coadd_calexp.variance, coadd.variance * np.float32(1.07), rtol=1e-6)
    # detection happens on the deepCoadd_calexp only
    detected = coadd_calexp.mask_bits("DETECTED")
    assert not (coadd.mask & detected).any()
    assert (coadd_calexp.mask & detected).any()
    np.testing.assert_array_equal(coadd.image, coadd_patch_scene().pixels)


def test_a_second_generation_gives_identical_arrays(sample, tmp_path):
    # one task of the generation (detector 74's pair), redone in another folder; arrays,
    # not bytes, are compared so the compressor's tuning may change
    generate_module._make(str(tmp_path), "74")
    data_id = {"visit": 512055, "detector": 74}
    first = read_exposure(sample.path("calexp", data_id))
    again = read_exposure(tmp_path / sample.path("calexp", data_id).relative_to(sample.root))
    for plane in ("image", "mask", "variance"):
        np.testing.assert_array_equal(getattr(again, plane), getattr(first, plane))
    first = read_background(sample.path("calexpBackground", data_id))
    path = sample.path("calexpBackground", data_id).relative_to(sample.root)
    for mine, theirs in zip(read_background(tmp_path / path).layers, first.layers, strict=True):
        np.testing.assert_array_equal(mine.values, theirs.values)
        np.testing.assert_array_equal(mine.variance, theirs.variance)


def test_generation_is_deterministic():
    first, second = detector_scene(74), detector_scene(74)
    np.testing.assert_array_equal(first.pixels, second.pixels)
    np.testing.assert_array_equal(first.mask, second.mask)
    assert not np.array_equal(first.pixels, detector_scene(76).pixels)


def test_neighbour_detectors_share_the_visit_sky(sample):
    left = read_exposure(sample.path("calexp", {"visit": 512055, "detector": 75}))
    right = read_exposure(sample.path("calexp", {"visit": 512055, "detector": 76}))
    # detector 76 sits one slot (4225 px) to the right of 75 on the sky
    gap = right.wcs.pixel_to_world(0, 2000).separation(left.wcs.pixel_to_world(0, 2000))
    assert gap.arcsec == pytest.approx(4225 * 0.2, rel=1e-3)


def test_the_sample_is_a_butler_repository(sample):
    pytest.importorskip("lsst.daf.butler")  # installed in CI: the repository must exist
    from skybkg_adapters.sources import open_source

    assert sample.butler_repo == sample.root
    source = open_source(f"butler:{sample.butler_repo}?collections=2.2i/runs/DP0.2")
    from_butler = source.get("calexpBackground", dict(CALEXP_DATA_ID))
    from_file = read_background(sample.calexp_background)
    np.testing.assert_array_equal(from_butler.layers[2].values, from_file.layers[2].values)
    coadd = source.get("deepCoadd_calexp", dict(COADD_DATA_ID))
    assert coadd.provenance.uri.endswith(sample.coadd_calexp.name)


def test_a_second_call_reuses_the_sample(sample):
    before = {p.path: (sample.root / p.path).stat().st_mtime_ns for p in sample.products}
    again = ensure_sample(sample.root, progress=False)
    assert again == sample
    assert {p.path: (sample.root / p.path).stat().st_mtime_ns for p in again.products} == before


def _fake_generate(folder: Path, progress: bool, with_butler: bool) -> None:
    """Stands in for the 30-second generation where only the bookkeeping is tested."""
    (folder / "made-here").write_text("x")


def test_an_old_sample_is_replaced_whole(tmp_path, monkeypatch):
    root = tmp_path / "sample"
    root.mkdir()
    (root / ".skybkg-sample.json").write_text(json.dumps({"version": SAMPLE_VERSION - 1}))
    (root / "old-file").write_text("old")
    monkeypatch.setattr(store_module, "generate_products", _fake_generate)
    ensure_sample(root, progress=False)
    assert sorted(p.name for p in root.iterdir()) == [".skybkg-sample.json", "made-here"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample"]  # nothing left beside it


def test_an_interrupted_generation_leaves_nothing(tmp_path, monkeypatch):
    def full_disk(folder, progress, with_butler):
        (folder / "half-written.fits").write_bytes(b"SIMPLE")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store_module, "generate_products", full_disk)
    with pytest.raises(SkybkgError, match="No space left on device.*SKYBKG_SAMPLE_DIR"):
        ensure_sample(tmp_path / "sample", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_place_says_what_to_do(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SkybkgError, match=r"could not write the sample.*SKYBKG_SAMPLE_DIR"):
        ensure_sample(blocker / "sample", progress=False)


def test_tasks_run_here_and_in_a_worker_process(tmp_path):
    source = tmp_path / "source"
    source.write_text("payload")
    targets = [str(tmp_path / f"copy-{i}") for i in range(6)]
    finished = []
    run_tasks(shutil.copyfile, str(source), targets, lambda: finished.append(1))
    assert [Path(t).read_text() for t in targets] == ["payload"] * 6
    assert len(finished) == 6


def test_a_failed_task_stops_the_pool_with_its_errno(tmp_path):
    with pytest.raises(OSError, match="No such file") as failure:
        run_tasks(
            shutil.copyfile,
            str(tmp_path / "missing"),
            [str(tmp_path / name) for name in "abc"],
            lambda: None,
        )
    assert failure.value.errno == errno.ENOENT
    assert not any(tmp_path.iterdir())


def test_worker_replies_become_exceptions():
    from skybkg_adapters.sample._task_pool import _reported

    full = _reported("error 28 No space left on device")
    assert isinstance(full, OSError)
    assert full.errno == 28
    assert full.strerror == ("No space left on device")
    assert str(_reported("error 0 bad data id")) == "bad data id"
    assert isinstance(_reported(""), SkybkgError)


def test_a_data_id_the_sample_lacks_is_named_with_the_data_ids_it_has(sample):
    """Issue 10 (item 10): the error lists valid data ids, never file names."""
    from skybkg_adapters import ProductNotFound, open_source

    source = open_source(f"sample:{sample.root}")
    with pytest.raises(ProductNotFound) as caught:
        source.get("calexp", {"visit": 512055, "detector": 999})
    message = str(caught.value)
    assert "no calexp for {'visit': 512055, 'detector': 999}" in message
    assert "calexps of visit 512055 detectors [74, 75, 76]" in message
    assert ".fits" not in message

"""skybkg_adapters.sample.dp2: the sample's DP2 visit image and coadd, written on first use."""

from __future__ import annotations

import astropy.units as u
import numpy as np

from skybkg_adapters import SampleSource, read_background, read_exposure, read_lsst_images
from skybkg_adapters.sample import (
    CALEXP_DATA_ID,
    COADD_DATA_ID,
    DP2_CALIBRATION,
    ensure_dp2,
)


def test_the_dp2_products_are_written_once(sample):
    paths = ensure_dp2(sample)
    stamps = {name: path.stat().st_mtime_ns for name, path in paths.items()}
    assert ensure_dp2(sample) == paths
    assert {name: path.stat().st_mtime_ns for name, path in paths.items()} == stamps


def test_the_visit_image_restores_to_the_dp02_calexp_plus_background_in_njy(sample):
    visit = read_lsst_images(ensure_dp2(sample)["visit_image"])
    assert visit.unit == u.nJy
    assert visit.backgrounds.subtracted == "subtracted"
    assert list(visit.backgrounds) == ["subtracted", "skyCorr"]
    assert visit.photometric_scaling.constant == DP2_CALIBRATION
    assert visit.detector.name == "R20_S10"
    assert visit.ids["visit"] == CALEXP_DATA_ID["visit"]
    assert visit.band == "i"
    calexp = read_exposure(sample.calexp)
    raw = calexp.image + read_background(sample.calexp_background).render()
    restored = visit.apply_background(None)
    # the spline grid samples the afw render, so restoring gives the raw sky back in nJy
    np.testing.assert_allclose(restored, raw * np.float32(DP2_CALIBRATION), rtol=2e-6, atol=2e-3)
    # skyCorr is small: a ripple of a few electrons and a constant of -1.2
    sky_corr = visit.backgrounds["skyCorr"].render()
    assert abs(float(np.median(sky_corr)) + 1.2) < 1.0


def test_the_coadd_carries_object_and_pretty(sample):
    coadd = read_lsst_images(ensure_dp2(sample)["deep_coadd"])
    assert list(coadd.backgrounds) == ["object", "pretty"]
    assert coadd.backgrounds.subtracted == "object"
    assert not coadd.has_detector()
    assert coadd.ids == {"skymap": "DC2", "tract": 4226, "patch": 17}
    deep = read_exposure(sample.path("deepCoadd", COADD_DATA_ID))
    np.testing.assert_allclose(coadd.apply_background(None), deep.image, rtol=1e-6, atol=1e-5)
    # "object" is the oversubtracted one
    assert coadd.backgrounds["object"].render().mean() > coadd.backgrounds["pretty"].render().mean()


def test_the_sample_source_serves_them_by_dp2_names(sample):
    source = SampleSource(sample.root, progress=False)
    visit = source.get("visit_image", dict(CALEXP_DATA_ID))
    assert visit.provenance.dataset_type == "visit_image"
    assert list(source.get("deep_coadd.backgrounds", dict(COADD_DATA_ID))) == ["object", "pretty"]

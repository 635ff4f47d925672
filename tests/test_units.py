"""skybkg_adapters.units: photometric scalings, and a background put in its image's unit."""

from __future__ import annotations

import _dp1_products as dp1
import astropy.units as u
import numpy as np
import pytest

from skybkg_adapters import (
    BackgroundMap,
    BBox,
    PhotometricScaling,
    UnitMismatch,
    background_conversion,
    read_background,
    read_exposure,
    read_visit_summary_calibration,
    unit_conversion,
)
from skybkg_adapters.lsst_fits.archive import REFERENCE_FLUX_NJY

COUNTS_TO_NJY = PhotometricScaling(u.nJy / u.count, constant=2.0, origin="test")
IDENTITY = PhotometricScaling(u.nJy / u.count, constant=1.0, origin="the file's PhotoCalib")


def test_a_scaling_is_a_constant_or_a_field():
    assert COUNTS_TO_NJY.evaluate([1, 2], 3).tolist() == [2.0, 2.0]
    np.testing.assert_array_equal(COUNTS_TO_NJY.render((5, 6, 3, 2)), np.full((2, 3), 2.0))
    assert IDENTITY.is_identity
    assert not COUNTS_TO_NJY.is_identity
    assert "2 nJy / ct (test)" == COUNTS_TO_NJY.describe()
    with pytest.raises(ValueError, match="exactly one"):
        PhotometricScaling(u.nJy / u.count)
    with pytest.raises(ValueError, match="positive"):
        PhotometricScaling(u.nJy / u.count, constant=-1.0)


def test_unit_conversion_follows_lsst_images_rule():
    direct = unit_conversion(u.uJy, u.nJy)
    assert direct.factor == pytest.approx(1000.0)
    assert direct.scaling is None
    times = unit_conversion(u.count, u.nJy, COUNTS_TO_NJY)
    assert times.scaling is COUNTS_TO_NJY
    assert not times.divide
    over = unit_conversion(u.nJy, u.count, COUNTS_TO_NJY)
    assert over.divide
    values = np.full((2, 2), 3.0, np.float32)
    np.testing.assert_array_equal(times.apply(values, (0, 0, 2, 2)), np.full((2, 2), 6.0))
    np.testing.assert_array_equal(over.apply(values, (0, 0, 2, 2)), np.full((2, 2), 1.5))
    np.testing.assert_array_equal(values, 3.0)  # never modified in place
    assert unit_conversion(None, u.nJy).is_identity
    with pytest.raises(UnitMismatch, match="cannot convert ct into nJy: no photometric scaling"):
        unit_conversion(u.count, u.nJy)


@pytest.mark.parametrize(
    ("image_unit", "background_unit", "scaling", "visit_level", "factor", "scaled"),
    [
        (None, None, None, True, 1.0, False),  # a DP0.2 calexp without BUNIT
        (u.count, None, COUNTS_TO_NJY, True, 1.0, False),  # a calexp in counts: unchanged
        (u.nJy, None, IDENTITY, False, 1.0, False),  # an afw coadd: its backgrounds are nJy
        (u.nJy, u.nJy, None, False, 1.0, False),  # a DP2 coadd
        (u.nJy, u.electron, PhotometricScaling(u.nJy / u.electron, constant=0.5), True, 1.0, True),
        (u.nJy, None, COUNTS_TO_NJY, True, 1.0, True),  # a visit image with a real calibration
    ],
)
def test_background_conversion_rules(
    image_unit, background_unit, scaling, visit_level, factor, scaled
):
    change = background_conversion(image_unit, background_unit, scaling, visit_level=visit_level)
    assert change.factor == factor
    assert (change.scaling is not None) == scaled
    assert not change.approximate


@pytest.mark.parametrize(
    ("background_unit", "scaling", "why"),
    [
        (None, IDENTITY, "calibration is the identity"),  # DP1: visit_image_background
        (u.count, IDENTITY, "calibration is the identity"),
        (u.electron, None, "carries no photometric scaling"),  # a DP2 file without one
    ],
)
def test_a_visit_image_in_njy_with_no_calibration_is_refused(background_unit, scaling, why):
    with pytest.raises(UnitMismatch, match=why) as info:
        background_conversion(u.nJy, background_unit, scaling, visit_level=True)
    message = str(info.value)
    assert "nothing was added" in message
    assert "calibration=" in message
    given = background_conversion(
        u.nJy, background_unit, scaling, visit_level=True, calibration=1.99
    )
    assert given.approximate
    assert given.scaling.constant == 1.99
    assert "given by the user" in given.scaling.describe()


def test_the_calexp_photocalib_is_its_scaling(afw_calexp):
    """obs_base's calexp: a constant PhotoCalib of 1.9940875 nJy/count (not the NaN its
    empty-bbox field would give), read on first use.
    """
    image = read_exposure(afw_calexp)
    scaling = image.photometric_scaling
    assert scaling.constant == 1.9940875054616918
    assert scaling.unit == u.nJy / u.count
    np.testing.assert_array_equal(scaling.render(image.bbox), np.float32(1.9940875054616918))
    assert image.has_detector()
    assert image.detector.name == "1_42"


def test_a_dp1_style_visit_image_is_refused_without_a_calibration(tmp_path):
    image = read_exposure(dp1.write_visit_image(tmp_path / "visit_image.fits"))
    background = read_background(dp1.write_background_file(tmp_path / "background.fits"))
    assert image.unit == u.nJy
    assert image.photometric_scaling.is_identity
    assert image.has_detector()
    image.backgrounds = BackgroundMap(
        {"visit_image_background": background}, "visit_image_background"
    )
    with pytest.raises(UnitMismatch, match="DP1 visit images carry PhotoCalib = 1"):
        image.apply_background(None)
    restored = image.apply_background(None, calibration=dp1.CALIBRATION)
    expected = image.image + background.render() * np.float32(dp1.CALIBRATION)
    np.testing.assert_array_equal(restored, expected)


def test_the_visit_summary_row_gives_the_detectors_calibration(tmp_path):
    path = dp1.write_visit_summary(tmp_path / "visit_summary.fits")
    scaling = read_visit_summary_calibration(path, dp1.DETECTOR)
    assert scaling.constant == pytest.approx(dp1.CALIBRATION, rel=1e-14)
    assert scaling.constant == REFERENCE_FLUX_NJY * 10 ** (-0.4 * dp1.ZERO_POINT)
    assert scaling.unit == u.nJy / u.count
    assert "visit_summary" in scaling.origin
    from skybkg_adapters import FormatError

    with pytest.raises(FormatError, match="0 rows for detector 7"):
        read_visit_summary_calibration(path, 7)
    broken = dp1.write_visit_summary(tmp_path / "nan.fits", zero_point=float("nan"))
    with pytest.raises(FormatError, match="no calibration") as info:
        read_visit_summary_calibration(broken, dp1.DETECTOR)
    assert info.value.key == "zeroPoint"


@pytest.mark.parametrize(
    "name", ["visit_01_typical.fits", "visit_04_product.fits", "visit_05_offset.fits"]
)
def test_restore_on_a_dp2_file_is_image_plus_background_times_scaling(name, read_dp2):
    """Pixel by pixel, with the scaling rendered over the image (visit_04's varies)."""
    image = read_dp2(name)
    subtracted = image.backgrounds[image.backgrounds.subtracted]
    scaling = image.photometric_scaling.render(image.bbox, dtype=np.float32)
    expected = image.image + subtracted.render() * scaling
    np.testing.assert_array_equal(image.apply_background(None), expected)
    if name == "visit_04_product.fits":
        assert np.ptp(scaling) > 0  # a varying scaling, applied pixel by pixel


def test_apply_background_on_a_cutout_of_the_detector(read_dp2):
    """The complaint in the DP2 tutorials: applying only to a whole image. Any box works."""
    image = read_dp2("visit_05_offset.fits")
    box = BBox(image.xy0[0] + 20, image.xy0[1] + 30, 40, 25)
    whole = image.apply_background("subtracted")
    np.testing.assert_array_equal(
        image.apply_background("subtracted", box), whole[image.bbox.slices(box)]
    )
    # the subtracted one is applied already: the image itself
    np.testing.assert_array_equal(image.apply_background("skyCorr"), image.image)


def test_a_dp2_file_without_a_scaling_is_refused(read_dp2):
    image = read_dp2("visit_07_uncompressed.fits")
    assert image.photometric_scaling is None
    with pytest.raises(UnitMismatch, match="carries no photometric scaling"):
        image.apply_background(None)
    given = image.apply_background(None, calibration=1.25)
    expected = image.image + image.backgrounds["subtracted"].render() * np.float32(1.25)
    np.testing.assert_array_equal(given, expected)

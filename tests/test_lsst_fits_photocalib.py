"""read_photocalib on every real afw file and on synthetic PhotoCalib / Calib archives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _afw_archive_writer import Cat, Obj, chebyshev, photocalib, write_archive_exposure
from astropy.io import fits

from skybkg_adapters import UnsupportedComponent
from skybkg_adapters.errors import FormatError
from skybkg_adapters.lsst_fits.archive import (
    REFERENCE_FLUX_NJY,
    PhotoCalib,
    photocalib_object,
    read_archive,
    read_bounded_field,
    read_photocalib,
)

CENTRE = (1023.5, 2087.5)


def test_reference_flux_is_ab_magnitude_zero_in_njy():
    np.testing.assert_allclose(REFERENCE_FLUX_NJY, 10**23 * 10 ** (-48.6 / 2.5) * 1e9, rtol=1e-15)
    assert REFERENCE_FLUX_NJY == 3630780547701.0024


def test_calexp_constant_photocalib(afw_calexp):
    calib = read_photocalib(afw_calexp)
    assert calib.is_constant
    assert calib.origin == "PhotoCalib"
    assert calib.field is None
    assert calib.mean == 1.9940875054616918
    assert calib.error == 0.00034856714373740624
    values = calib.evaluate([0.0, CENTRE[0], -1e4], [0.0, CENTRE[1], 5e5])
    assert values.tolist() == [1.9940875054616918] * 3
    # The stored field has the empty bbox: evaluating it, not isConstant, would give NaN.
    assert np.isnan(read_bounded_field(read_archive(afw_calexp), 247).evaluate(0.0, 0.0))


def test_calexp_calibration_matches_its_magzero_card(afw_calexp):
    calib = read_photocalib(afw_calexp)
    header = fits.getheader(afw_calexp)
    fluxmag0 = REFERENCE_FLUX_NJY / calib.mean
    np.testing.assert_allclose(fluxmag0, 1.8207729e12, rtol=1e-7)
    magzero = 2.5 * math.log10(fluxmag0 / header["EXPTIME"])
    np.testing.assert_allclose(magzero, 26.957836332442664, rtol=1e-15)
    np.testing.assert_allclose(magzero, header["MAGZERO"], rtol=1e-14)


@pytest.mark.parametrize("name", ["afw__exposure-noversion.fits", "afw__exposure-version-0.fits"])
def test_fluxmag0_files(realdata, name):
    calib = read_photocalib(realdata / name)
    assert calib.origin == "FLUXMAG0"
    assert calib.is_constant
    np.testing.assert_allclose(calib.mean, 3630780.5477, rtol=1e-11)
    np.testing.assert_allclose(calib.error, 72615.611, rtol=1e-8)
    assert calib.mean == REFERENCE_FLUX_NJY / 1e6
    assert calib.error == REFERENCE_FLUX_NJY * 2e4 / 1e12


@pytest.mark.parametrize(
    ("name", "object_id"),
    [("afw__exposure-version-1.fits", 7), ("afw__exposure-version-2.fits", 2)],
)
def test_archived_photocalib_files(realdata, name, object_id):
    archive = read_archive(realdata / name)
    assert archive.components["PHOTOCALIB"] == object_id
    calib = read_photocalib(archive)
    assert (calib.mean, calib.error, calib.is_constant) == (1e6, 2e4, True)
    assert calib.evaluate(4.5, 4.5) == 1e6


def test_meas_modelfit_fluxmag0(realdata):
    calib = read_photocalib(realdata / "meas_modelfit__calexp.fits")
    np.testing.assert_allclose(calib.mean, 0.0347357086, rtol=1e-9)
    assert calib.mean == REFERENCE_FLUX_NJY / 104525881029524.0


@pytest.mark.parametrize(
    "name", ["obs_base__small.fits", "afw__HSC-0908120-056-small.fits", "afw__parent.fits"]
)
def test_uncalibrated_files(realdata, name):
    # FLUXMAG0 = 0 (the old Calib's "not set") in the first two; no calibration at all last.
    assert read_photocalib(realdata / name) is None


def test_no_photocalib_component(tmp_path):
    path = write_archive_exposure(tmp_path / "none.fits", [chebyshev(1, [[1.0]])])
    assert read_photocalib(path) is None


def test_spatially_varying_photocalib_is_the_field_itself(tmp_path):
    path = write_archive_exposure(
        tmp_path / "varying.fits",
        [chebyshev(2, [[2.0, 0.5], [0.1, 0.0]]), photocalib(1, 2.0, 0.01, 2, constant=False)],
        components={"PHOTOCALIB": 1},
    )
    calib = read_photocalib(path)
    assert not calib.is_constant
    assert calib.mean == 2.0
    assert calib.error == 0.01
    x, y = np.meshgrid(np.linspace(0, 99, 5), np.linspace(0, 49, 4))
    np.testing.assert_array_equal(calib.evaluate(x, y), calib.field.evaluate(x, y))
    np.testing.assert_allclose(calib.evaluate(99.5, 49.5), 2.6)


def test_photocalib_through_a_product_field(tmp_path):
    path = write_archive_exposure(
        tmp_path / "product.fits",
        [
            chebyshev(3, [[2.0, 0.5]]),
            chebyshev(4, [[3.0]]),
            Obj(2, "ProductBoundedField", [Cat([{"id": 3}, {"id": 4}])]),
            photocalib(1, 6.0, 0.0, 2, constant=False),
        ],
        components={"PHOTOCALIB": 1},
    )
    np.testing.assert_allclose(read_photocalib(path).evaluate([-0.5, 99.5], 0.0), [4.5, 7.5])


def test_photocalib_needing_ast_keeps_its_mean(tmp_path):
    area = {
        "bbox_min_x": 0,
        "bbox_min_y": 0,
        "bbox_max_x": 9,
        "bbox_max_y": 9,
        "wcs": 9,
        "scaling": 2.0,
    }
    path = write_archive_exposure(
        tmp_path / "area.fits",
        [
            Obj(2, "PixelAreaBoundedField", [Cat([area])]),
            photocalib(1, 5.0, 0.5, 2, constant=False),
        ],
        components={"PHOTOCALIB": 1},
    )
    calib = read_photocalib(path)
    assert (calib.mean, calib.error, calib.is_constant) == (5.0, 0.5, False)
    with pytest.raises(UnsupportedComponent, match="needs AST"):
        calib.evaluate(0.0, 0.0)


def test_old_calib_class(tmp_path):
    path = write_archive_exposure(
        tmp_path / "calib.fits",
        [
            Obj(1, "Calib", [Cat([{"fluxmag0": 1e6, "fluxmag0.err": 2e4}])]),
            Obj(2, "Calib", [Cat([{"fluxmag0": 0.0, "fluxmag0.err": 0.0}])]),
        ],
    )
    archive = read_archive(path)
    calib = photocalib_object(archive, 1)
    assert calib.origin == "Calib"
    assert calib.mean == REFERENCE_FLUX_NJY / 1e6
    assert calib.error == REFERENCE_FLUX_NJY * 2e4 / 1e6**2
    assert photocalib_object(archive, 2) is None
    assert photocalib_object(archive, 0) is None


@pytest.mark.parametrize(
    ("objects", "message", "key"),
    [
        (
            [chebyshev(2, [[1.0]]), photocalib(1, 1.0, 0.0, 2, True, version=None)],
            "no version column: it is the pre-2018 'maggies' calibration",
            "version",
        ),
        (
            [chebyshev(2, [[1.0]]), photocalib(1, 1.0, 0.0, 2, True, version=2)],
            "has version 2; this reader \\(like afw\\) knows version 1",
            "version",
        ),
        ([photocalib(1, 1.0, 0.0, 0, constant=False)], "its field reference is null", "field"),
        (
            [Obj(1, "FilterLabel", [Cat([{"band": "r"}])])],
            "is a 'FilterLabel', not a 'PhotoCalib'",
            None,
        ),
        (
            [
                Obj(
                    1,
                    "PhotoCalib",
                    [
                        Cat(
                            [
                                {
                                    "calibrationMean": 1.0,
                                    "calibrationErr": 0.0,
                                    "field": 0,
                                    "version": 1,
                                }
                            ]
                        )
                    ],
                )
            ],
            "no column 'isConstant'",
            "isConstant",
        ),
    ],
)
def test_malformed_photocalib(tmp_path, objects, message, key):
    path = write_archive_exposure(tmp_path / "bad.fits", objects, components={"PHOTOCALIB": 1})
    with pytest.raises(FormatError, match=message) as info:
        read_photocalib(path)
    assert info.value.key == key


@pytest.mark.parametrize(
    ("cards", "key"),
    [
        ({"FLUXMAG0": -1.0}, "FLUXMAG0"),
        ({"FLUXMAG0": 1e6, "FLUXMAG0ERR": -5.0}, "FLUXMAG0ERR"),
        ({"FLUXMAG0": "many"}, "FLUXMAG0"),
    ],
)
def test_bad_fluxmag0_cards(tmp_path, cards, key):
    path = write_archive_exposure(tmp_path / "v0.fits", [], expinfo_version=0, primary=cards)
    with pytest.raises(FormatError, match="is not a non-negative number of counts") as info:
        read_photocalib(path)
    assert (info.value.hdu, info.value.key) == (0, key)


def test_fluxmag0_without_error_card(tmp_path):
    path = write_archive_exposure(
        tmp_path / "v0.fits", [], expinfo_version=None, primary={"FLUXMAG0": 2e6}
    )
    calib = read_photocalib(path)
    assert (calib.mean, calib.error) == (REFERENCE_FLUX_NJY / 2e6, 0.0)


def test_photocalib_record():
    constant = PhotoCalib(2.0, 0.1, True)
    assert constant.evaluate(np.zeros((2, 3)), 1.0).shape == (2, 3)
    assert constant.evaluate(0.0, 0.0).shape == ()
    with pytest.raises(ValueError, match="needs its BoundedField"):
        PhotoCalib(2.0, 0.1, False)
    with pytest.raises(ValueError, match="FLUXMAG0 must be a positive number"):
        PhotoCalib.from_fluxmag0(0.0)

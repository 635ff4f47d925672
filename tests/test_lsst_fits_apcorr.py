"""read_ap_corr_map on the obs_base calexp (46 Chebyshev entries) and synthetic maps."""

from __future__ import annotations

import numpy as np
import pytest
from _afw_archive_writer import Cat, Obj, chebyshev, write_archive_exposure
from numpy.polynomial import chebyshev as numpy_chebyshev

from skybkg_adapters.errors import FormatError
from skybkg_adapters.lsst_fits.archive import ChebyshevBoundedField, read_ap_corr_map

CENTRE = (1023.5, 2087.5)

# name: (value at pixel (0, 0), value at the centre), lsst-formats.md 11.4
DOCUMENTED = {
    "base_PsfFlux_instFlux": (0.968731279976585, 0.9580255361944011),
    "base_GaussianFlux_instFlux": (1.1560851668781504, 1.1548968169553966),
}


def test_calexp_map_entries(afw_calexp):
    corrections = read_ap_corr_map(afw_calexp)
    assert len(corrections) == 46
    assert list(corrections)[:4] == [
        "base_GaussianFlux_instFlux",
        "base_GaussianFlux_instFluxErr",
        "base_PsfFlux_instFlux",
        "base_PsfFlux_instFluxErr",
    ]
    assert all(isinstance(f, ChebyshevBoundedField) for f in corrections.values())
    assert {f.coefficients.shape for f in corrections.values()} == {(1, 1), (3, 3)}
    with pytest.raises(TypeError):
        corrections["new"] = corrections["base_PsfFlux_instFlux"]


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_calexp_values_and_an_independent_chebval2d(afw_calexp, name):
    field = read_ap_corr_map(afw_calexp)[name]
    values = field.evaluate([0.0, CENTRE[0]], [0.0, CENTRE[1]])
    np.testing.assert_allclose(values, DOCUMENTED[name], rtol=1e-15)
    # numpy's chebval2d with the documented range map, (x̂, ŷ) written out by hand.
    xhat = np.array([-0.99951171875, 0.0])
    yhat = np.array([-0.9997605363984674, 0.0])
    np.testing.assert_allclose(
        numpy_chebyshev.chebval2d(xhat, yhat, field.coefficients.T), DOCUMENTED[name], rtol=1e-15
    )


def test_calexp_error_entries_are_constant(afw_calexp):
    error = read_ap_corr_map(afw_calexp)["base_GaussianFlux_instFluxErr"]
    assert error.coefficients.tolist() == [[0.004546291257171478]]
    np.testing.assert_array_equal(
        error.evaluate([0.0, 2047.0, CENTRE[0]], [0.0, 4175.0, CENTRE[1]]),
        [0.004546291257171478] * 3,
    )


def test_files_without_a_map(realdata):
    assert read_ap_corr_map(realdata / "afw__exposure-version-2.fits") is None


def test_duplicate_names(tmp_path):
    path = write_archive_exposure(
        tmp_path / "dup.fits",
        [
            chebyshev(2, [[1.0]]),
            Obj(
                1,
                "ApCorrMap",
                [Cat([{"name": "a_instFlux", "field": 2}, {"name": "a_instFlux", "field": 2}])],
            ),
        ],
        components={"AP_CORR_MAP": 1},
    )
    with pytest.raises(FormatError, match="lists 'a_instFlux' twice"):
        read_ap_corr_map(path)

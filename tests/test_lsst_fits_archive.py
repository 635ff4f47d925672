"""read_archive / component_ids on the real afw files and on synthetic archives."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from _afw_archive_writer import Cat, Obj, chebyshev, write_archive_exposure
from astropy.io import fits

from skybkg_adapters.errors import FormatError
from skybkg_adapters.lsst_fits.archive import Archive, component_ids, expinfo_version, read_archive

CALEXP_COMPONENTS = {
    "SUMMARY_STATS": 1,
    "SKYWCS": 2,
    "DETECTOR": 3,
    "VALID_POLYGON": 231,
    "FILTER": 232,
    "TRANSMISSION_CURVE": 233,
    "PHOTOCALIB": 246,
    "COADD_INPUTS": 248,
    "PSF": 249,
    "AP_CORR_MAP": 250,
}

# file: (EXPINFO_V as read, component ids)
COMPONENTS = {
    "afw__exposure-noversion.fits": (0, {"SKYWCS": 1, "DETECTOR": 2}),
    "afw__exposure-version-0.fits": (0, {"SKYWCS": 1, "DETECTOR": 2}),
    "afw__exposure-version-1.fits": (1, {"SKYWCS": 1, "DETECTOR": 2, "PHOTOCALIB": 7}),
    "afw__exposure-version-2.fits": (2, {"SKYWCS": 1, "PHOTOCALIB": 2, "DETECTOR": 4, "FILTER": 9}),
    "meas_modelfit__calexp.fits": (0, {"PSF": 1, "WCS": 19}),
    "obs_base__small.fits": (0, {"COADD_INPUTS": 1, "PSF": 2, "WCS": 3}),
    "obs_base__calexp.fits": (2, CALEXP_COMPONENTS),
}


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_component_ids_follow_expinfo_version(realdata, name):
    version, ids = COMPONENTS[name]
    archive = read_archive(realdata / name)
    assert archive.expinfo_version == version
    assert dict(archive.components) == ids
    assert archive.index_hdu == 4


def test_calexp_index_and_catalogs(afw_calexp):
    archive = read_archive(afw_calexp)
    assert archive.index_hdu == 4
    assert len(archive.entries) == 298
    assert sorted(archive.catalogs) == list(range(1, 18))
    assert [archive.catalogs[n].hdu for n in range(1, 18)] == list(range(5, 22))
    # Catalogs are shared by schema: catalog 1 holds two classes, one AR_NAME card each.
    assert archive.catalogs[1].names == ("ExposureSummaryStats", "TransformPoint2ToPoint2")
    # An owner gets its id first but its index row after its nested objects'.
    order = [entry.id for entry in archive.entries]
    assert order.index(247) < order.index(246)
    assert len(archive.ids("ChebyshevBoundedField")) == 47
    assert archive.ids("PhotoCalib") == (246,)


def test_calexp_objects_resolve_to_their_catalogs_in_persistable_order(afw_calexp):
    archive = read_archive(afw_calexp)
    detector = archive.get(3)
    assert (detector.name, detector.module) == ("Detector", "lsst.afw.cameraGeom")
    assert detector.hdus == (7, 9)
    assert [len(rows) for rows in detector.catalogs] == [1, 4]
    assert [row["name"] for row in detector.rows(1)] == ["0", "1", "2", "3"]
    assert archive.component("DETECTOR").id == 3
    # The ApCorrMap's fields live in two catalogs (1 and 9 coefficients): same class.
    assert archive.get(251).hdus == (21,)
    assert archive.get(252).hdus == (17,)
    assert archive.get(252).row().index == 1
    photocalib = archive.get(246)
    assert photocalib.module == ""
    assert photocalib.row()["field"] == 247


def test_catalogs_with_no_rows(afw_calexp):
    coadd_inputs = read_archive(afw_calexp).get(248)
    assert coadd_inputs.name == "CoaddInputs"
    assert coadd_inputs.catalogs == ((), ())


def test_null_and_unknown_ids(afw_calexp):
    archive = read_archive(afw_calexp)
    assert archive.get(0) is None
    assert 0 not in archive
    assert 246 in archive
    with pytest.raises(FormatError, match="id 4242 is referenced but not in the archive index"):
        archive.get(4242)


def test_column_conventions_on_the_calexp(afw_calexp):
    archive = read_archive(afw_calexp)
    detector = archive.get(3).row()
    assert detector["name"] == "1_42"  # 1QA(4) heap string, joined
    assert detector["physicalType"] == "CCD"
    assert isinstance(detector["fpPosition_x"], float)  # 1D: a scalar
    assert isinstance(detector["id"], int)
    assert detector["crosstalk"].dtype == np.float32
    assert detector["crosstalk"].size == 0
    photocalib = archive.get(246).row()
    assert photocalib["isConstant"] is True  # TFLAG1 names bit 0 of the packed column
    assert photocalib["flags"].tolist() == [True]
    amp = archive.get(3).rows(1)[0]
    assert {amp["hasrawinfo"], amp["raw_flip_x"], amp["raw_flip_y"]} <= {True, False}
    assert amp["linearity_coeffs"].dtype.isnative
    field = archive.get(253).row()
    assert field["coefficients"].shape == (9,)
    assert not field["coefficients"].flags.writeable
    assert field["coefficients"].dtype == np.float64
    assert field["coefficients"].dtype.isnative
    label = archive.get(232).row()
    assert (label["band"], label["physical"]) == ("300", "HSC-I")
    assert label["band_exists"]
    assert label["physical_exists"]
    wcs = archive.get(2).row()["wcs"]
    assert isinstance(wcs, bytes)
    assert wcs.startswith(b"1 SkyWcs")


def test_heap_strings_keep_their_spaces(realdata):
    # astropy strips each 1-character element, which turns 'detector 1' into 'detector1'.
    row = read_archive(realdata / "afw__exposure-version-2.fits").get(4).row()
    assert row["name"] == "detector 1"
    assert row["serial"] == "xkcd722"
    assert [
        amp["name"]
        for amp in read_archive(realdata / "afw__exposure-version-2.fits").get(4).rows(1)
    ] == ["amp 1", "amp 2", "amp 3"]


def test_afw_table_version_0_spellings(realdata):
    archive = read_archive(realdata / "meas_modelfit__calexp.fits")
    assert "AFW_TABLE_VERSION" not in fits.getheader(realdata / "meas_modelfit__calexp.fits", 4)
    assert len(archive.entries) == 19
    wcs = archive.get(19)
    assert wcs.name == "TanWcs"
    assert wcs.row()["ctype1"] == "RA---TAN"
    assert wcs.row()["crval"].tolist() == [80.0, -10.0]
    assert [obj.row()["coefficients"].shape for obj in map(archive.get, range(3, 11))] == [(6,)] * 8


def test_row_require_accepts_both_spellings(realdata, tmp_path):
    path = write_archive_exposure(
        tmp_path / "old.fits", [Obj(1, "Calib", [Cat([{"fluxmag0_err": 2.0, "fluxmag0": 5.0}])])]
    )
    row = read_archive(path).get(1).row()
    assert row.require("fluxmag0.err") == 2.0
    with pytest.raises(FormatError, match="no column 'nothing'") as info:
        row.require("nothing")
    assert info.value.hdu == 5
    assert info.value.key == "nothing"


@pytest.mark.parametrize(
    "name", ["afw__parent.fits", "afw__ticketdm26260.fits", "afw__ticketdm26260.fits.fz"]
)
def test_files_without_an_archive(realdata, name):
    archive = read_archive(realdata / name)
    assert isinstance(archive, Archive)
    assert archive.index_hdu is None
    assert archive.entries == ()
    assert not archive.catalogs
    assert archive.component("PHOTOCALIB") is None


def test_saved_empty_and_zero_row_objects(tmp_path):
    path = write_archive_exposure(
        tmp_path / "empty.fits",
        [
            Obj(1, "Nothing", None),
            Obj(2, "Hollow", [Cat([], formats={"a": "J"}), Cat([{"a": 1}])]),
        ],
    )
    archive = read_archive(path)
    empty = archive.get(1)
    assert (empty.name, empty.catalogs, empty.hdus) == ("Nothing", (), ())
    assert archive.entries[0].saved_empty
    hollow = archive.get(2)
    assert [len(rows) for rows in hollow.catalogs] == [0, 1]
    with pytest.raises(FormatError, match="should have one row in its catalog 0; it has 0"):
        hollow.row(0)
    with pytest.raises(FormatError, match="catalog 2 is needed"):
        hollow.rows(2)


def test_catalogs_are_found_by_ar_catn_not_extname(tmp_path):
    path = write_archive_exposure(
        tmp_path / "misnamed.fits",
        [chebyshev(1, [[1.0]]), Obj(2, "FilterLabel", [Cat([{"band": "r"}])])],
        extnames={1: "FilterLabel", 2: "ChebyshevBoundedField"},
    )
    archive = read_archive(path)
    assert archive.get(2).row()["band"] == "r"
    assert archive.get(1).row()["order_x"] == 0


def test_component_ids_by_version():
    header = fits.Header()
    header["HIERARCH PHOTOCALIB_ID"] = 7
    header["HIERARCH SKYWCS_ID"] = 0
    header["PSF_ID"] = 3
    header["HIERARCH ARCHIVE_ID_FILTER"] = 9
    # Version 0: no PhotoCalib in the archive (FLUXMAG0 is the calibration), nulls dropped.
    assert dict(component_ids(header)) == {"PSF": 3}
    header["HIERARCH EXPINFO_V"] = 1
    assert dict(component_ids(header)) == {"PSF": 3, "PHOTOCALIB": 7}
    header["HIERARCH EXPINFO_V"] = 2
    assert dict(component_ids(header)) == {"PSF": 3, "PHOTOCALIB": 7, "FILTER": 9}


@pytest.mark.parametrize(
    ("card", "value", "message"),
    [
        ("HIERARCH EXPINFO_V", 3, "EXPINFO_V = 3 is not an ExposureInfo version"),
        ("HIERARCH EXPINFO_V", "2", "EXPINFO_V = '2' is not"),
        ("HIERARCH PSF_ID", "abc", "PSF_ID = 'abc' is not an archive id"),
        ("HIERARCH PSF_ID", -4, "PSF_ID = -4 is not an archive id"),
    ],
)
def test_bad_primary_cards(card, value, message):
    header = fits.Header()
    header["HIERARCH EXPINFO_V"] = 2
    header[card] = value
    with pytest.raises(FormatError, match=message) as info:
        component_ids(header, "x.fits")
    assert info.value.hdu == 0
    assert info.value.key == card.removeprefix("HIERARCH ")


def test_expinfo_version_defaults_to_zero():
    assert expinfo_version(fits.Header()) == 0


def _edit(path, index, **cards):
    with fits.open(path, mode="update") as hdul:
        for key, value in cards.items():
            hdul[index].header[key] = value


@pytest.mark.parametrize(
    ("index", "cards", "message", "hdu", "key"),
    [
        (0, {"AR_HDU": 30}, "file has only 22 HDUs", 0, "AR_HDU"),
        (0, {"AR_HDU": 1}, "AR_HDU = 1 is not a 1-based HDU number", 0, "AR_HDU"),
        (0, {"AR_HDU": 2}, "archive catalog 0 should be a binary table", 1, None),
        (4, {"AR_NCAT": 40}, "file has only 22 HDUs", 4, "AR_NCAT"),
        (4, {"AR_NCAT": "many"}, "AR_NCAT = 'many' is not a catalog count", 4, "AR_NCAT"),
        (9, {"AR_CATN": 4}, "AR_CATN = 4; catalog 5 of the archive must say so", 9, "AR_CATN"),
        (
            9,
            {"EXTTYPE": "IMAGE"},
            "EXTTYPE = 'IMAGE'; afw's archive has 'ARCHIVE_DATA'",
            9,
            "EXTTYPE",
        ),
    ],
)
def test_structural_damage_is_a_format_error(afw_calexp, tmp_path, index, cards, message, hdu, key):
    path = tmp_path / "calexp.fits"
    shutil.copy(afw_calexp, path)
    _edit(path, index, **cards)
    with pytest.raises(FormatError, match=message) as info:
        read_archive(path)
    assert (info.value.hdu, info.value.key) == (hdu, key)
    assert info.value.path == str(path)


def test_index_rows_pointing_outside_their_catalog(afw_calexp, tmp_path):
    path = tmp_path / "calexp.fits"
    shutil.copy(afw_calexp, path)
    with fits.open(path, mode="update") as hdul:
        hdul[4].data["row0"][0] = 228
    with pytest.raises(
        FormatError,
        match=r"object 1, ExposureSummaryStats\) wants rows 228 to "
        "228 of catalog 1, which has 228",
    ) as info:
        read_archive(path)
    assert info.value.hdu == 4


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([Obj(0, "Zero", [Cat([{"a": 1}])])], "uses id 0, which afw reserves"),
        (
            [Obj(1, "A", [Cat([{"a": 1}])]), Obj(1, "A", [Cat([{"a": 2}])])],
            r"catalogs numbered \[0, 0\]",
        ),
        ([Obj(1, "A", [Cat([{"a": 1}])]), Obj(1, "B", None)], "several class names"),
    ],
)
def test_inconsistent_index(tmp_path, objects, message):
    path = write_archive_exposure(tmp_path / "bad.fits", objects)
    with pytest.raises(FormatError, match=message):
        read_archive(path)


def test_truncated_file(afw_calexp, tmp_path):
    path = tmp_path / "cut.fits"
    path.write_bytes(afw_calexp.read_bytes()[:2_000_000])
    with pytest.raises(FormatError, match="download it again"):
        read_archive(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_archive(tmp_path / "nowhere.fits")

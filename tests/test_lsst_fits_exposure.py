"""read_exposure / write_exposure on the real afw files in shared/realdata and on round trips."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.wcs import WCS

from skybkg_adapters import FormatError, Provenance, SkyImage, read_exposure, write_exposure
from skybkg_adapters.lsst_fits import exposure as exposure_module

AFW_DEFAULT_PLANES = {
    "BAD": 0,
    "SAT": 1,
    "INTRP": 2,
    "CR": 3,
    "EDGE": 4,
    "DETECTED": 5,
    "DETECTED_NEGATIVE": 6,
    "SUSPECT": 7,
    "NO_DATA": 8,
}

# file: (shape, xy0, mask planes, image[0,0], image[-1,-1], mask[0,0], OR of all mask bits)
REAL = {
    "afw__HSC-0908120-056-small.fits": (
        (200, 200),
        (100, 100),
        {
            **{k: v for k, v in AFW_DEFAULT_PLANES.items() if v < 8},
            "CROSSTALK": 8,
            "NO_DATA": 9,
            "UNMASKEDNAN": 10,
        },
        -49.262726,
        -4.0239525,
        0,
        288,
    ),
    "afw__exposure-noversion.fits": ((10, 10), (0, 0), AFW_DEFAULT_PLANES, 0.0, 99.0, 0, 5),
    "afw__exposure-version-0.fits": ((10, 10), (0, 0), AFW_DEFAULT_PLANES, 0.0, 99.0, 0, 5),
    "afw__exposure-version-1.fits": ((10, 10), (0, 0), AFW_DEFAULT_PLANES, 0.0, 99.0, 0, 5),
    "afw__exposure-version-2.fits": ((10, 10), (0, 0), AFW_DEFAULT_PLANES, 0.0, 99.0, 0, 5),
    "afw__parent.fits": (
        (256, 256),
        (0, 0),
        {k: v for k, v in AFW_DEFAULT_PLANES.items() if v < 7},
        64.0,
        64.0,
        64,
        64,
    ),
    "meas_modelfit__calexp.fits": (
        (101, 101),
        (1868, 2100),
        {k: v for k, v in AFW_DEFAULT_PLANES.items() if v < 8},
        -15.855787,
        2.1442132,
        0,
        32,
    ),
    "obs_base__calexp.fits": (
        (32, 64),
        (0, 0),
        {
            **AFW_DEFAULT_PLANES,
            "VIGNETTED": 9,
            "STREAK": 10,
            "BRIGHT_OBJECT": 11,
            "CROSSTALK": 12,
            "NOT_DEBLENDED": 13,
            "UNMASKEDNAN": 14,
        },
        -8.964243,
        -7.1834574,
        21,
        21,
    ),
    "obs_base__small.fits": ((16, 16), (0, 0), AFW_DEFAULT_PLANES, -0.034506485, 0.5163245, 0, 0),
}

# file: (image HDU, CRPIX, CRVAL, SIP?)
WCS_FACTS = {
    "afw__HSC-0908120-056-small.fits": (
        1,
        (866.842697735752, 2004.38916604442),
        (151.319266199627, 1.6150446085464),
        True,
    ),
    "afw__exposure-version-2.fits": (1, (5.0, 5.0), (30.0, 40.0), False),
    "afw__parent.fits": (0, (128.0, 128.0), (45.0, 45.0), False),
    "meas_modelfit__calexp.fits": (1, (132.0, -64.0), (80.0, -10.0), False),
    "obs_base__calexp.fits": (1, (1201.73728, 1494.754755), (320.72941627, -0.32082281), True),
    "obs_base__small.fits": (1, (-8927.4, 7800.9), (17.49404, 7.22206), False),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_exposures_read_with_afw_conventions(realdata, name):
    shape, xy0, planes, first, last, mask00, mask_or = REAL[name]
    path = realdata / name
    img = read_exposure(path)
    assert img.shape == shape
    assert img.xy0 == xy0
    assert img.image.dtype == np.float32
    assert img.image.dtype.isnative
    assert img.image[0, 0] == np.float32(first)
    assert img.image[-1, -1] == np.float32(last)
    assert img.mask.dtype == np.int32
    assert img.mask.shape == shape
    assert img.mask[0, 0] == mask00
    assert np.bitwise_or.reduce(img.mask.ravel()) == mask_or
    assert img.variance.dtype == np.float32
    assert img.variance.shape == shape
    assert img.mask_planes == planes
    assert img.unit is None
    assert img.provenance == Provenance(source=str(path), uri=str(path))


@pytest.mark.parametrize("name", sorted(REAL))
def test_planes_equal_astropy_scaled_reads(realdata, name):
    """Independent reference: astropy's own (scaled) reading of the same HDUs."""
    img = read_exposure(realdata / name)
    first = 0 if name == "afw__parent.fits" else 1
    with fits.open(realdata / name) as hdul:
        np.testing.assert_array_equal(img.image, hdul[first].data)
        # int16 + BZERO=32768 masks (meas_modelfit, HSC, parent) come back as uint16 values.
        np.testing.assert_array_equal(img.mask, hdul[first + 1].data)
        np.testing.assert_array_equal(img.variance, hdul[first + 2].data)


@pytest.mark.filterwarnings("ignore:.*RADECSYS:astropy.wcs.FITSFixedWarning")
@pytest.mark.parametrize("name", sorted(WCS_FACTS))
def test_real_wcs_reference_pixel_and_second_pixel(realdata, name):
    index, crpix, crval, sip = WCS_FACTS[name]
    img = read_exposure(realdata / name)
    assert img.wcs is not None
    assert img.wcs.has_celestial
    assert (img.wcs.sip is not None) == sip
    np.testing.assert_allclose(img.wcs.wcs.crpix, crpix, rtol=0, atol=1e-6)
    # astropy pixels are 0-based: the FITS reference pixel CRPIX is array index CRPIX - 1.
    world = img.wcs.pixel_to_world_values(crpix[0] - 1, crpix[1] - 1)
    np.testing.assert_allclose(world, crval, rtol=0, atol=1e-8)
    reference = WCS(fits.getheader(realdata / name, index))
    np.testing.assert_allclose(
        img.wcs.pixel_to_world_values(3.0, 7.0),
        reference.pixel_to_world_values(3.0, 7.0),
        rtol=0,
        atol=1e-10,
    )


def test_files_without_sky_wcs_have_none_and_ignore_the_linear_a_wcs(realdata, tmp_path):
    assert read_exposure(realdata / "afw__ticketdm26260.fits").wcs is None
    img = read_exposure(realdata / "obs_base__calexp.fits")
    img.wcs = None
    write_exposure(tmp_path / "nowcs.fits", img)
    header = fits.getheader(tmp_path / "nowcs.fits", 1)
    assert header["CTYPE1A"] == "LINEAR"
    assert "CTYPE1" not in header
    assert read_exposure(tmp_path / "nowcs.fits").wcs is None


def test_image_only_files_plain_gzip_and_fpacked(realdata):
    plain = read_exposure(realdata / "afw__ticketdm26260.fits")  # a gzip-compressed FITS file
    packed = read_exposure(realdata / "afw__ticketdm26260.fits.fz")  # GZIP_2 row tiles
    assert plain.shape == packed.shape == (512, 512)
    assert plain.mask is None
    assert plain.variance is None
    assert plain.mask_planes == {}
    assert packed.image.dtype == np.float32
    assert packed.image.dtype.isnative
    np.testing.assert_array_equal(plain.image, packed.image)
    assert plain.image[0, 0] == 11.0
    assert plain.image[-1, -1] == 1.0
    # The fpack citation comments are not metadata.
    assert len(packed.metadata) == 0


def test_metadata_merges_primary_and_image_cards(realdata):
    img = read_exposure(realdata / "obs_base__calexp.fits")
    md = img.metadata
    assert isinstance(md, fits.Header)
    assert md["EXPINFO_V"] == 2
    assert md["AR_HDU"] == 5
    assert md["BGMEAN"] == pytest.approx(589.250961471927)
    assert md["CTYPE1"] == "RA---TAN-SIP"
    assert md["LTV1"] == 0
    for structural in ("NAXIS", "BITPIX", "EXTNAME", "EXTTYPE", "INHERIT", "SIMPLE"):
        assert structural not in md
    assert read_exposure(realdata / "meas_modelfit__calexp.fits").metadata["BGMEAN"] == (
        pytest.approx(504.483583450317)
    )


def test_obs_base_small_blank_mask_is_int32_not_float(realdata):
    img = read_exposure(realdata / "obs_base__small.fits")
    assert img.mask.dtype == np.int32
    assert not img.mask.any()


def test_mask_and_variance_load_lazily(realdata, tmp_path):
    path = tmp_path / "lazy.fits"
    shutil.copy(realdata / "obs_base__small.fits", path)
    img = read_exposure(path)
    mask, variance = np.full(img.shape, 7, np.int32), np.full(img.shape, 2.5, np.float32)
    changed = SkyImage(img.image, mask, variance, mask_planes=img.mask_planes, wcs=img.wcs)
    write_exposure(path, changed)
    # Planes were not read at read_exposure time: they come from the file as it is now.
    assert (img.mask == 7).all()
    assert (img.variance == 2.5).all()


def test_lazy_planes_of_a_relative_path_survive_a_chdir(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    img = _sample()
    write_exposure(tmp_path / "data" / "rel.fits", img)
    monkeypatch.chdir(tmp_path / "data")
    back = read_exposure("rel.fits")
    monkeypatch.chdir(tmp_path)  # as glue does after opening a session's relative paths
    assert back.mask.tobytes() == img.mask.tobytes()
    assert back.variance.tobytes() == img.variance.tobytes()


def _sample(xy0=(1868, 2100), unit=None) -> SkyImage:
    rng = np.random.default_rng(42)
    image = rng.normal(100.0, 5.0, (23, 31)).astype(np.float32)
    image[4, 5] = np.nan
    image[6, 7] = -np.inf
    mask = rng.integers(0, 1 << 20, image.shape).astype(np.int32)
    mask[0, 0] = np.int32(-(2**31))  # the sign bit is a mask bit too
    variance = rng.uniform(1.0, 2.0, image.shape).astype(np.float32)
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crpix = [10.5, -3.25]
    wcs.wcs.crval = [150.25, 2.5]
    wcs.wcs.cd = [[-5.0e-5, 1.0e-7], [2.0e-7, 5.0e-5]]
    metadata = fits.Header()
    metadata["EXPTIME"] = (30.0, "seconds")
    metadata["HIERARCH LSST BUTLER ID"] = "abc"
    metadata["BGMEAN"] = 589.25
    return SkyImage(
        image,
        mask,
        variance,
        mask_planes={"BAD": 0, "DETECTED_NEGATIVE": 6, "STREAK": 31},
        xy0=xy0,
        wcs=wcs,
        metadata=metadata,
        unit=unit,
    )


@pytest.mark.parametrize("compress", [None, "GZIP_2"])
def test_round_trip_is_bit_exact(tmp_path, compress):
    img = _sample(unit=u.nJy)
    path = tmp_path / "rt.fits"
    write_exposure(path, img, compress=compress)
    back = read_exposure(path)
    assert back.image.tobytes() == img.image.tobytes()
    assert back.mask.tobytes() == img.mask.tobytes()
    assert back.variance.tobytes() == img.variance.tobytes()
    assert back.xy0 == (1868, 2100)
    assert back.mask_planes == {"BAD": 0, "DETECTED_NEGATIVE": 6, "STREAK": 31}
    assert back.unit == u.nJy
    np.testing.assert_array_equal(back.wcs.wcs.crpix, img.wcs.wcs.crpix)
    np.testing.assert_array_equal(back.wcs.wcs.crval, img.wcs.wcs.crval)
    np.testing.assert_allclose(
        back.wcs.pixel_to_world_values(0, 0),
        img.wcs.pixel_to_world_values(0, 0),
        rtol=0,
        atol=1e-12,
    )
    assert back.metadata["EXPTIME"] == 30.0
    assert back.metadata["LSST BUTLER ID"] == "abc"
    # A second round trip changes nothing: no cards pile up in the primary.
    write_exposure(tmp_path / "rt2.fits", back, compress=compress)
    again = read_exposure(tmp_path / "rt2.fits")
    assert again.metadata.tostring() == back.metadata.tostring()


def test_round_trip_of_real_calexp_with_sip(realdata, tmp_path):
    img = read_exposure(realdata / "afw__HSC-0908120-056-small.fits")
    write_exposure(tmp_path / "hsc.fits", img, compress="GZIP_2")
    back = read_exposure(tmp_path / "hsc.fits")
    assert back.xy0 == (100, 100)
    assert back.mask_planes == img.mask_planes
    np.testing.assert_array_equal(back.image, img.image)
    np.testing.assert_array_equal(back.mask, img.mask)
    np.testing.assert_array_equal(back.wcs.sip.a, img.wcs.sip.a)
    np.testing.assert_array_equal(back.wcs.sip.bp, img.wcs.sip.bp)
    pixels = np.array([[0.0, 0.0], [199.0, 150.0]])
    np.testing.assert_allclose(
        back.wcs.all_pix2world(pixels, 0), img.wcs.all_pix2world(pixels, 0), rtol=0, atol=1e-11
    )


def test_written_layout_matches_afw(tmp_path):
    path = tmp_path / "layout.fits"
    write_exposure(path, _sample(xy0=(-5, 17), unit=u.nJy))
    with fits.open(path) as hdul:
        assert len(hdul) == 4
        primary = hdul[0].header
        assert primary["NAXIS"] == 0
        assert hdul[0].data is None
        assert primary["EXPTIME"] == 30.0
        assert primary["BGMEAN"] == 589.25
        assert "CTYPE1" not in primary
        assert "CRVAL1A" not in primary
        assert "BUNIT" not in primary
        for index, name, bitpix in ((1, "IMAGE", -32), (2, "MASK", 32), (3, "VARIANCE", -32)):
            header = hdul[index].header
            assert header["EXTNAME"] == name
            assert header["EXTTYPE"] == name
            assert header["INHERIT"] is True
            assert header["BITPIX"] == bitpix
            assert (header["LTV1"], header["LTV2"]) == (5, -17)
            assert (header["CRPIX1A"], header["CRPIX2A"]) == (1.0, 1.0)
            assert (header["CRVAL1A"], header["CRVAL2A"]) == (-5.0, 17.0)
            assert header["CTYPE1A"] == header["CTYPE2A"] == "LINEAR"
            assert header["CUNIT1A"] == header["CUNIT2A"] == "PIXEL"
            assert header["CTYPE1"] == "RA---TAN"
            assert header["CRPIX1"] == 10.5
            assert ("MP_BAD" in header) == (name == "MASK")
            assert ("BUNIT" in header) == (name == "IMAGE")
        mask_header = hdul[2].header
        assert (mask_header["MP_BAD"], mask_header["MP_DETECTED_NEGATIVE"]) == (0, 6)
        assert "HIERARCH MP_DETECTED_NEGATIVE" in str(mask_header)
        assert hdul[1].header["BUNIT"] == "nJy"


def test_gzip2_layout_is_the_butler_lossless_recipe(tmp_path):
    path = tmp_path / "packed.fits"
    write_exposure(path, _sample(), compress="GZIP_2")
    with fits.open(path, disable_image_compression=True) as hdul:
        for index, name in ((1, "IMAGE"), (2, "MASK"), (3, "VARIANCE")):
            header = hdul[index].header
            assert header["ZIMAGE"] is True
            assert header["ZCMPTYPE"] == "GZIP_2"
            assert (header["ZTILE1"], header["ZTILE2"]) == (31, 1)
            assert header["EXTNAME"] == name
            assert hdul[index].columns.names == ["COMPRESSED_DATA"]  # no ZSCALE: unquantised
        assert hdul[1].header["ZQUANTIZ"] == "NONE"
        assert hdul[3].header["ZQUANTIZ"] == "NONE"
    with fits.open(path) as hdul:
        assert hdul[1].header["EXTTYPE"] == "IMAGE"
        assert hdul[1].header["LTV1"] == -1868


def test_unit_from_primary_when_image_hdu_has_none(tmp_path):
    """Afw 29 writes BUNIT into the primary header; later versions into the image HDU."""
    image = np.zeros((3, 4), np.float32)
    path = tmp_path / "v29.fits"
    primary = fits.PrimaryHDU()
    primary.header["BUNIT"] = "nJy"
    fits.HDUList([primary, fits.ImageHDU(image, name="IMAGE")]).writeto(path)
    assert read_exposure(path).unit == u.nJy
    hdul = [primary, fits.ImageHDU(image, name="IMAGE")]
    hdul[1].header["BUNIT"] = "adu"
    fits.HDUList(hdul).writeto(tmp_path / "both.fits")
    assert read_exposure(tmp_path / "both.fits").unit == u.adu


def test_planes_found_by_extname_in_any_order(tmp_path):
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    hdus = [
        fits.PrimaryHDU(),
        fits.ImageHDU(np.full((3, 4), 9.0, np.float32), name="VARIANCE"),
        fits.ImageHDU(image, name="IMAGE"),
        fits.ImageHDU(np.full((3, 4), 3, np.int32), name="MASK"),
    ]
    fits.HDUList(hdus).writeto(tmp_path / "order.fits")
    img = read_exposure(tmp_path / "order.fits")
    np.testing.assert_array_equal(img.image, image)
    assert (img.variance == 9.0).all()
    assert (img.mask == 3).all()


def test_xy0_needs_crpix_a_of_one_and_ignores_ltv(tmp_path):
    header = fits.Header()
    header.update(
        {"CRPIX1A": 2.0, "CRPIX2A": 1.0, "CRVAL1A": 50.0, "CRVAL2A": 60.0, "LTV1": -50, "LTV2": -60}
    )
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((2, 2), np.float32), header)]).writeto(
        tmp_path / "xy0.fits"
    )
    assert read_exposure(tmp_path / "xy0.fits").xy0 == (0, 0)


# --- errors ---------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such FITS file"):
        read_exposure(tmp_path / "absent.fits")


def test_non_fits_file(tmp_path):
    path = tmp_path / "notes.fits"
    path.write_text("these are not the pixels you are looking for\n" * 100)
    with pytest.raises(FormatError, match="not a readable FITS file") as err:
        read_exposure(path)
    assert str(path) in str(err.value)
    assert err.value.hdu == 0


@pytest.mark.parametrize("cut", ["header", "pixels"])
def test_truncated_file(realdata, tmp_path, cut):
    raw = (realdata / "obs_base__calexp.fits").read_bytes()
    with fits.open(realdata / "obs_base__calexp.fits") as hdul:
        image_start = hdul[1].fileinfo()["datLoc"]
    keep = image_start - 1000 if cut == "header" else image_start + 100
    path = tmp_path / "short.fits"
    path.write_bytes(raw[:keep])
    with pytest.raises(FormatError) as err:
        read_exposure(path)
    assert err.value.hdu == 1
    assert str(path) in str(err.value)
    assert "truncated" in str(err.value)


def test_mismatched_plane_shapes(tmp_path):
    hdus = [
        fits.PrimaryHDU(),
        fits.ImageHDU(np.zeros((10, 10), np.float32), name="IMAGE"),
        fits.ImageHDU(np.zeros((10, 12), np.int32), name="MASK"),
        fits.ImageHDU(np.zeros((10, 10), np.float32), name="VARIANCE"),
    ]
    fits.HDUList(hdus).writeto(tmp_path / "bad.fits")
    with pytest.raises(
        FormatError,
        match=r"HDU 2, key NAXIS1: MASK plane is 12x10 but the image "
        r"is 10x10",
    ):
        read_exposure(tmp_path / "bad.fits")


def test_float_mask_is_a_wrong_dtype(tmp_path):
    hdus = [
        fits.PrimaryHDU(),
        fits.ImageHDU(np.zeros((4, 4), np.float32), name="IMAGE"),
        fits.ImageHDU(np.zeros((4, 4), np.float32), name="MASK"),
    ]
    fits.HDUList(hdus).writeto(tmp_path / "fmask.fits")
    with pytest.raises(
        FormatError,
        match=r"HDU 2, key BITPIX: mask plane has BITPIX -32; afw "
        "writes integer pixels here",
    ):
        read_exposure(tmp_path / "fmask.fits")


def test_no_image_plane(tmp_path):
    table = fits.BinTableHDU.from_columns([fits.Column("x", "E", array=np.arange(3.0))])
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(tmp_path / "table.fits")
    with pytest.raises(FormatError, match="no image plane"):
        read_exposure(tmp_path / "table.fits")


def test_background_file_is_refused_with_advice(tmp_path):
    from skybkg_adapters import BackgroundLayer, BackgroundModel, write_background

    layer = BackgroundLayer(np.ones((2, 2), np.float32), (0, 0, 10, 10))
    write_background(tmp_path / "bkg.fits", BackgroundModel((layer,)))
    with pytest.raises(FormatError, match="BackgroundList file.*read_background"):
        read_exposure(tmp_path / "bkg.fits")


def test_write_rejects_bad_arguments(tmp_path):
    img = _sample()
    with pytest.raises(ValueError, match="compress must be one of"):
        write_exposure(tmp_path / "x.fits", img, compress="RICE_1")
    bad = SkyImage(img.image, img.image)  # a float mask
    with pytest.raises(ValueError, match="integer bits"):
        write_exposure(tmp_path / "x.fits", bad)
    assert not os.listdir(tmp_path)


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "calexp.fits"
    write_exposure(path, _sample())
    before = path.read_bytes()

    def broken_writeto(self, name, *args, **kwargs):
        with open(name, "wb") as stream:
            stream.write(b"SIMPLE  =                    T" + b" " * 50)
        raise OSError("disk full")

    monkeypatch.setattr(exposure_module.fits.HDUList, "writeto", broken_writeto)
    with pytest.raises(OSError, match="disk full"):
        write_exposure(path, _sample(xy0=(0, 0)))
    with pytest.raises(OSError, match="disk full"):
        write_exposure(tmp_path / "new.fits", _sample())
    assert sorted(os.listdir(tmp_path)) == ["calexp.fits"]
    assert path.read_bytes() == before


def test_write_into_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_exposure(tmp_path / "missing" / "x.fits", _sample())
    assert not os.listdir(tmp_path)


def test_unparsable_card_names_hdu_and_key(realdata, tmp_path):
    raw = (realdata / "afw__exposure-version-2.fits").read_bytes()
    card = b"MP_BAD  =                    0"
    assert raw.count(card) == 1
    path = tmp_path / "badcard.fits"
    path.write_bytes(raw.replace(card, b"MP_BAD  = 'no closing quote   "))
    with pytest.raises(FormatError, match=r"HDU 2, key MP_BAD: card cannot be parsed"):
        read_exposure(path)


def test_damaged_gzip_file_is_a_format_error(realdata, tmp_path):
    raw = bytearray((realdata / "afw__ticketdm26260.fits").read_bytes())  # a gzipped FITS file
    raw[5000:5100] = b"\x00" * 100
    path = tmp_path / "damaged.fits"
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=str(path)):
        read_exposure(path)


def _read_every_plane(path):
    """Read an exposure and its lazy planes (they fail on first access, not at open)."""
    img = read_exposure(path)
    return img.mask, img.variance


def test_any_truncation_is_a_format_error_never_an_astropy_error(realdata, tmp_path):
    raw = (realdata / "obs_base__small.fits").read_bytes()
    path = tmp_path / "cut.fits"
    for keep in range(7, len(raw), 997):
        path.write_bytes(raw[:keep])
        with pytest.raises(FormatError, match=str(path)):
            _read_every_plane(path)


def test_plain_dict_metadata_is_written_to_the_primary(tmp_path):
    img = SkyImage(np.zeros((2, 3), np.float32), metadata={"EXPTIME": 3.0, "LSST_DETECTOR": 75})
    write_exposure(tmp_path / "d.fits", img)
    primary = fits.getheader(tmp_path / "d.fits", 0)
    assert primary["EXPTIME"] == 3.0
    assert primary["LSST_DETECTOR"] == 75
    assert "HIERARCH LSST_DETECTOR" in str(primary)


def test_unusable_wcs_warns_and_is_dropped(tmp_path):
    header = fits.Header()
    header.update(
        {
            "CTYPE1": "RA---TAN",
            "CTYPE2": "RA---TAN",
            "CRPIX1": 1.0,
            "CRPIX2": 1.0,
            "CRVAL1": 10.0,
            "CRVAL2": 20.0,
        }
    )
    path = tmp_path / "badwcs.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((2, 2), np.float32), header)]).writeto(
        path
    )
    with pytest.warns(UserWarning, match=r"HDU 1: the FITS WCS cannot be used .*Inconsistent"):
        img = read_exposure(path)
    assert img.wcs is None
    assert img.image.sum() == 4.0


@pytest.mark.filterwarnings("ignore::astropy.io.fits.verify.VerifyWarning")
def test_rice_quantised_float_planes_read_through_astropy(tmp_path):
    rng = np.random.default_rng(9)
    image = rng.normal(100.0, 10.0, (40, 50)).astype(np.float32)
    path = tmp_path / "rice.fits"
    hdus = [
        fits.PrimaryHDU(),
        fits.CompImageHDU(image, name="IMAGE", compression_type="RICE_1", quantize_level=16),
        fits.CompImageHDU(
            np.arange(2000, dtype=np.int32).reshape(40, 50), name="MASK", compression_type="RICE_1"
        ),
    ]
    fits.HDUList(hdus).writeto(path)
    with fits.open(path) as hdul:
        reference = np.array(hdul[1].data)
    img = read_exposure(path)
    assert img.image.tobytes() == reference.astype(np.float32).tobytes()
    assert np.abs(img.image - image).max() < 1.0  # lossy, as RICE-quantised floats are
    assert img.mask[39, 49] == 1999
    assert img.mask.dtype == np.int32

"""read_background / write_background: the afw BackgroundList layout (lsst-formats.md section 1)."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from astropy.io import fits

from skybkg_adapters import (
    ApproxStyle,
    BackgroundLayer,
    BackgroundModel,
    FormatError,
    InterpStyle,
    Provenance,
    UndersampleStyle,
    read_background,
    write_background,
)
from skybkg_adapters.lsst_fits import background as background_module
from skybkg_adapters.lsst_fits.plain_scan import scan_plain_images

BBOX = (0, 0, 4072, 4000)


def _model() -> BackgroundModel:
    rng = np.random.default_rng(3)
    values = rng.normal(500.0, 3.0, (32, 32)).astype(np.float32)
    values[5, 7] = np.nan  # a bin with no usable pixels
    interp = BackgroundLayer(
        values,
        BBOX,
        InterpStyle.AKIMA_SPLINE,
        UndersampleStyle.REDUCE_INTERP_ORDER,
        variance=rng.uniform(0.1, 0.2, (32, 32)).astype(np.float32),
        mask_planes={"BAD": 0, "DETECTED": 5, "DETECTED_NEGATIVE": 6, "NO_DATA": 8},
    )
    chebyshev = BackgroundLayer(
        rng.normal(0.0, 1.0, (16, 16)).astype(np.float32),
        BBOX,
        InterpStyle.AKIMA_SPLINE,
        UndersampleStyle.REDUCE_INTERP_ORDER,
        ApproxStyle.CHEBYSHEV,
        approx_order_x=6,
        approx_order_y=6,
        approx_weighting=False,
        variance=rng.uniform(0.5, 1.0, (16, 16)).astype(np.float32),
    )
    tweak = BackgroundLayer(
        np.full((1, 1), -0.25, np.float32),
        BBOX,
        InterpStyle.CONSTANT,
        UndersampleStyle.THROW_EXCEPTION,
        variance=np.full((1, 1), -0.25, np.float32),
    )
    return BackgroundModel((interp, chebyshev, tweak))


@pytest.fixture
def written(tmp_path):
    path = tmp_path / "calexpBackground.fits"
    write_background(path, _model())
    return path


def test_round_trip_keeps_every_entry(written):
    model = _model()
    back = read_background(written)
    assert back.provenance == Provenance(source=str(written), uri=str(written))
    assert back.bbox == BBOX
    assert len(back.layers) == 3
    for got, want in zip(back.layers, model.layers, strict=True):
        assert got.values.tobytes() == want.values.tobytes()
        assert got.variance.tobytes() == want.variance.tobytes()
        assert got.mask.dtype == np.int32
        assert not got.mask.any()
        assert got.bbox == want.bbox
        assert got.interp_style is want.interp_style
        assert got.undersample_style is want.undersample_style
        assert got.approx_style is want.approx_style
        assert got.approx_order_x == want.approx_order_x
        assert got.approx_weighting == want.approx_weighting
        assert dict(got.mask_planes) == dict(want.mask_planes)
    # afw writes orderY = orderX when the layer asked for -1 ("same as X").
    assert [layer.approx_order_y for layer in back.layers] == [1, 6, 1]


def test_written_headers_follow_afw(written):
    with fits.open(written) as hdul:
        assert len(hdul) == 9
        assert isinstance(hdul[0], fits.PrimaryHDU)
        assert hdul[0].data.shape == (32, 32)
        assert [hdu.header["BITPIX"] for hdu in hdul[:3]] == [-32, 32, -32]
        assert hdul[8].data.shape == (1, 1)
        assert hdul[8].data[0, 0] == np.float32(-0.25)
        for index, hdu in enumerate(hdul):
            header = hdu.header
            assert "EXTNAME" not in header
            assert "EXTTYPE" not in header
            assert "INHERIT" not in header
            assert "LTV1" not in header
            assert "HIERARCH UNDERSAMPLESTYLE" in str(header)
            assert type(header["INTERPSTYLE"]) is int
            assert type(header["APPROXWEIGHTING"]) is bool
            assert (header["BKGD_X0"], header["BKGD_Y0"]) == (0, 0)
            assert (header["BKGD_WIDTH"], header["BKGD_HEIGHT"]) == (4072, 4000)
            assert (header["CRPIX1A"], header["CRPIX2A"]) == (1.0, 1.0)
            assert (header["CRVAL1A"], header["CRVAL2A"]) == (0.0, 0.0)
            assert header["CTYPE1A"] == "LINEAR"
            assert header["CUNIT2A"] == "PIXEL"
            assert ("MP_BAD" in header) == (index == 1)
        first = hdul[0].header
        assert (first["INTERPSTYLE"], first["UNDERSAMPLESTYLE"], first["APPROXSTYLE"]) == (5, 1, -1)
        cheb = hdul[3].header
        assert (cheb["APPROXSTYLE"], cheb["APPROXORDERX"], cheb["APPROXORDERY"]) == (0, 6, 6)
        assert cheb["APPROXWEIGHTING"] is False
        assert (hdul[6].header["INTERPSTYLE"], hdul[6].header["UNDERSAMPLESTYLE"]) == (0, 0)
        mask_header = hdul[1].header
        assert [k for k in mask_header if k.startswith("MP_")] == [
            "MP_BAD",
            "MP_DETECTED",
            "MP_DETECTED_NEGATIVE",
            "MP_NO_DATA",
        ]
        assert mask_header["MP_NO_DATA"] == 8


def test_old_file_without_approx_keys_gets_afw_defaults(written):
    with fits.open(written, mode="update") as hdul:
        for hdu in hdul:
            for key in ("APPROXSTYLE", "APPROXORDERX", "APPROXORDERY", "APPROXWEIGHTING"):
                del hdu.header[key]
    for layer in read_background(written).layers:
        assert layer.approx_style is ApproxStyle.UNKNOWN
        assert (layer.approx_order_x, layer.approx_order_y) == (1, -1)
        assert layer.approx_weighting is True


def test_nonzero_bbox_origin_is_kept(tmp_path):
    layer = BackgroundLayer(np.ones((3, 4), np.float32), (-12, 2100, 101, 99))
    write_background(tmp_path / "b.fits", BackgroundModel((layer,)))
    assert read_background(tmp_path / "b.fits").bbox == (-12, 2100, 101, 99)


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    def broken_writeto(self, name, *args, **kwargs):
        with open(name, "wb") as stream:
            stream.write(b"SIMPLE")
        raise OSError("disk full")

    monkeypatch.setattr(background_module.fits.HDUList, "writeto", broken_writeto)
    with pytest.raises(OSError, match="disk full"):
        write_background(tmp_path / "b.fits", _model())
    assert os.listdir(tmp_path) == []


# --- errors ---------------------------------------------------------------------------------


def _edit(path, index, **changes):
    with fits.open(path, mode="update") as hdul:
        for key, value in changes.items():
            if value is None:
                del hdul[index].header[key]
            else:
                hdul[index].header[f"HIERARCH {key}" if len(key) > 8 else key] = value


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such FITS file"):
        read_background(tmp_path / "absent.fits")


def test_not_fits(tmp_path):
    path = tmp_path / "b.fits"
    path.write_bytes(b"\x00\x01" * 3000)
    with pytest.raises(FormatError, match="not a readable FITS file"):
        read_background(path)


def test_hdu_count_not_a_multiple_of_three(written, realdata):
    with fits.open(written) as hdul:
        fits.HDUList([hdu.copy() for hdu in hdul[:4]]).writeto(written.with_name("four.fits"))
    with pytest.raises(FormatError, match="has 4 HDUs; a BackgroundList has 3 per entry"):
        read_background(written.with_name("four.fits"))
    with pytest.raises(FormatError, match="has 22 HDUs.*read_exposure"):
        read_background(realdata / "obs_base__calexp.fits")


@pytest.mark.parametrize(
    "key", ["BKGD_X0", "BKGD_Y0", "BKGD_WIDTH", "BKGD_HEIGHT", "INTERPSTYLE", "UNDERSAMPLESTYLE"]
)
def test_missing_required_key(written, key):
    _edit(written, 3, **{key: None})
    with pytest.raises(
        FormatError, match=f"HDU 3, key {key}: required BackgroundList key {key} is missing"
    ) as err:
        read_background(written)
    assert err.value.hdu == 3
    assert err.value.key == key
    assert str(written) in str(err.value)


@pytest.mark.parametrize(
    ("key", "value", "known"),
    [
        ("INTERPSTYLE", 7, "6 (AKIMA_SPLINE_PERIODIC)"),
        ("UNDERSAMPLESTYLE", 3, "2 (INCREASE_NXNYSAMPLE)"),
        ("APPROXSTYLE", 1, "0 (CHEBYSHEV)"),
    ],
)
def test_unknown_enum_value(written, key, value, known):
    _edit(written, 6, **{key: value})
    with pytest.raises(
        FormatError,
        match=rf"HDU 6, key {key}: {key} = {value} is not a known "
        rf"value; afw defines .*{re.escape(known)}",
    ):
        read_background(written)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("APPROXWEIGHTING", 1, "a logical"),
        ("BKGD_WIDTH", 4072.5, "an integer"),
        ("INTERPSTYLE", "AKIMA_SPLINE", "an integer"),
    ],
)
def test_key_of_wrong_type(written, key, value, expected):
    _edit(written, 0, **{key: value})
    with pytest.raises(FormatError, match=f"key {key}: {key} = .* is not {expected}"):
        read_background(written)


def test_non_positive_bbox_size(written):
    _edit(written, 0, BKGD_HEIGHT=0)
    with pytest.raises(FormatError, match="key BKGD_HEIGHT: BKGD_HEIGHT = 0 must be positive"):
        read_background(written)


def _replace(path, index, data):
    with fits.open(path) as hdul:
        hdus = [hdu.copy() for hdu in hdul]
    header = hdus[index].header.copy()
    for key in ("BITPIX", "NAXIS1", "NAXIS2"):
        del header[key]
    cls = fits.PrimaryHDU if index == 0 else fits.ImageHDU
    hdus[index] = cls(data, header=header)
    fits.HDUList(hdus).writeto(path, overwrite=True)


def test_mismatched_plane_shapes(written):
    _replace(written, 5, np.ones((16, 17), np.float32))
    with pytest.raises(
        FormatError,
        match="HDU 5, key NAXIS1: entry 1 variance plane is 17x16 but its stats image is 16x16",
    ):
        read_background(written)


def test_empty_stats_image(written):
    _replace(written, 3, np.zeros((0, 16), np.float32))
    with pytest.raises(FormatError, match="HDU 3, key NAXIS2: entry 1 stats image is 16x0 bins"):
        read_background(written)


@pytest.mark.parametrize(
    ("index", "data", "role"),
    [
        (1, np.zeros((32, 32), np.float32), "mask"),
        (0, np.zeros((32, 32), np.int32), "image"),
        (5, np.zeros((16, 16), np.int16), "variance"),
    ],
)
def test_wrong_plane_dtypes(written, index, data, role):
    _replace(written, index, data)
    with pytest.raises(
        FormatError,
        match=rf"HDU {index}, key BITPIX: entry {index // 3} {role} "
        "plane has BITPIX",
    ):
        read_background(written)


def test_entries_of_different_image_sizes(written):
    _edit(written, 6, BKGD_WIDTH=2048)
    with pytest.raises(FormatError, match="entries do not form one background"):
        read_background(written)


def test_compressed_planes_are_refused(written, tmp_path):
    with fits.open(written) as hdul:
        hdus = [fits.PrimaryHDU(hdul[0].data, hdul[0].header)]
        hdus += [fits.CompImageHDU(hdu.data, hdu.header) for hdu in hdul[1:3]]
    fits.HDUList(hdus).writeto(tmp_path / "packed.fits")
    with pytest.raises(FormatError, match="HDU 1: BackgroundList planes are never tile-compressed"):
        read_background(tmp_path / "packed.fits")


def test_truncated_file(written):
    raw = written.read_bytes()
    written.write_bytes(raw[: len(raw) - 3000])
    with pytest.raises(FormatError, match="truncated"):
        read_background(written)


# --- the plain-FITS scanner read_background takes first, against astropy as reference ---


def _astropy_view(path):
    """Every HDU's keyword -> value and pixels as astropy reads them."""
    with fits.open(path, do_not_scale_image_data=True) as hdul:
        return [
            (
                {k: v for k, v in hdu.header.items() if k not in ("COMMENT", "HISTORY", "")},
                None if hdu.data is None else np.array(hdu.data),
            )
            for hdu in hdul
        ]


def _assert_scan_is_astropy(path):
    scanned = scan_plain_images(path)
    assert scanned is not None
    data, hdus = scanned
    reference = _astropy_view(path)
    assert len(hdus) == len(reference)
    for hdu, (header, pixels) in zip(hdus, reference, strict=True):
        assert hdu.header == header
        for value, expected in zip(hdu.header.values(), header.values(), strict=True):
            assert type(value) is type(expected)
        if pixels is not None:
            np.testing.assert_array_equal(hdu.pixels(data), pixels)


def test_every_card_and_pixel_is_what_astropy_reads(tmp_path):
    path = tmp_path / "background.fits"
    write_background(path, _model())
    _assert_scan_is_astropy(path)
    data, hdus = scan_plain_images(path)
    assert len(hdus) == 9
    assert hdus[1].header["UNDERSAMPLESTYLE"] == 1  # a HIERARCH card
    assert hdus[1].header["MP_DETECTED_NEGATIVE"] == 6
    assert hdus[3].header["APPROXWEIGHTING"] is False


def test_the_sample_backgrounds_scan_as_astropy_reads_them(sample):
    for detector in (0, 94, 188):
        _assert_scan_is_astropy(
            sample.path("calexpBackground", {"visit": 512055, "detector": detector})
        )


def test_strings_reals_and_odd_cards_follow_the_fits_standard(tmp_path):
    header = fits.Header()
    header["NAME"] = "it''s"
    header["QUOTED"] = "O'Brien  "
    header["REAL"] = 1.5e-300
    header["NEG"] = -0.0
    header["BIG"] = 12345678901234567
    header["FLAG"] = True
    header["COMMENT"] = "a comment / with a slash"
    header["HISTORY"] = "made here"
    header["SLASH"] = ("a/b", "and a comment")
    path = tmp_path / "odd.fits"
    fits.PrimaryHDU(np.arange(6, dtype=np.int16).reshape(2, 3), header).writeto(path)
    _assert_scan_is_astropy(path)
    # D exponents are FITS reals too
    raw = bytearray(path.read_bytes())
    at = raw.index(b"REAL    = ")
    raw[at + 10 : at + 30] = b"             1.5D+02"
    path.write_bytes(bytes(raw))
    _assert_scan_is_astropy(path)
    assert scan_plain_images(path)[1][0].header["REAL"] == 150.0


@pytest.mark.parametrize(
    "damage",
    ["cut", "no end", "continue", "table", "repeated key", "bad value"],
)
def test_anything_but_a_plain_image_file_is_declined(tmp_path, damage):
    """The scanner declines (None); astropy's reading then names the fault or reads the file."""
    path = tmp_path / "background.fits"
    write_background(path, _model())
    raw = bytearray(path.read_bytes())
    if damage == "cut":
        raw = raw[:-2880]
    elif damage == "no end":
        at = raw.index(b"END" + b" " * 77)
        raw[at : at + 3] = b"ENX"
    elif damage == "continue":
        raw[raw.index(b"BKGD_X0") - 9 : raw.index(b"BKGD_X0") - 1] = b"CONTINUE"
    elif damage == "table":
        table = fits.BinTableHDU.from_columns([])
        fits.HDUList([fits.PrimaryHDU(), table]).writeto(path, overwrite=True)
        raw = bytearray(path.read_bytes())
    elif damage == "repeated key":
        at = raw.index(b"BITPIX  =", 2880)
        raw[at + 80 : at + 160] = raw[at : at + 80]
    elif damage == "bad value":
        at = raw.index(b"BKGD_X0")
        raw[at + 20 : at + 30] = b"  zero    "
    path.write_bytes(bytes(raw))
    assert scan_plain_images(path) is None


def test_byte_flips_in_headers_give_the_model_or_a_format_error(tmp_path):
    """Every flip anywhere in the first two headers: read_background never raises anything else."""
    path = tmp_path / "background.fits"
    write_background(path, _model())
    clean = path.read_bytes()
    expected = read_background(path)
    rng = np.random.default_rng(11)
    for position in rng.choice(2 * 2880, 300, replace=False):
        damaged = bytearray(clean)
        damaged[position] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(damaged))
        try:
            model = read_background(path)
        except FormatError:
            continue
        assert len(model.layers) == len(expected.layers)

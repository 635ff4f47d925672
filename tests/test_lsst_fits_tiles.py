"""The threaded GZIP row-tile decompressor gives exactly the array astropy gives."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from skybkg_adapters import FormatError, read_exposure
from skybkg_adapters.lsst_fits import tiles as tiles_module
from skybkg_adapters.lsst_fits.tiles import compress_row_tiles, decompress_row_tiles


def _fast(path, index=1):
    with fits.open(path, disable_image_compression=True) as hdul:
        hdu = hdul[index]
        return decompress_row_tiles(path, index, hdu, fits.CompImageHDU(bintable=hdu).header)


def _astropy(path, index=1):
    with fits.open(path, do_not_scale_image_data=True) as hdul:
        return np.array(hdul[index].data)


def _same(fast, reference):
    assert fast is not None
    assert fast.dtype.isnative
    assert fast.dtype == reference.dtype.newbyteorder("=")
    assert fast.shape == reference.shape
    assert fast.tobytes() == reference.astype(fast.dtype).tobytes()


@pytest.mark.parametrize("inflate", ["default", "stdlib zlib"])
def test_fpacked_afw_file_matches_astropy(realdata, monkeypatch, inflate):
    if inflate == "stdlib zlib":
        monkeypatch.setattr(tiles_module, "_isal", None)
    path = realdata / "afw__ticketdm26260.fits.fz"
    _same(_fast(path), _astropy(path))


def _write(path, data, compression="GZIP_2", tile=None, header=None):
    hdu = fits.CompImageHDU(
        data,
        header=header,
        compression_type=compression,
        tile_shape=tile or (1, data.shape[1]),
        quantize_level=0.0,
    )
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path, overwrite=True)


def _planes():
    rng = np.random.default_rng(7)
    floats = rng.normal(1000.0, 30.0, (37, 53)).astype(np.float32)
    floats[3, 4], floats[5, 6] = np.nan, np.inf
    return {
        "float32": floats,
        "float64": floats.astype(np.float64) / 3,
        "int32": rng.integers(-(2**31), 2**31 - 1, (37, 53), dtype=np.int32),
        "int16": rng.integers(-(2**15), 2**15 - 1, (37, 53), dtype=np.int16),
        "uint8": rng.integers(0, 255, (37, 53), dtype=np.uint8),
    }


@pytest.mark.parametrize("compression", ["GZIP_1", "GZIP_2"])
@pytest.mark.parametrize("kind", sorted(_planes()))
@pytest.mark.parametrize("rows", [1, 4])
def test_written_planes_match_astropy(tmp_path, compression, kind, rows):
    path = tmp_path / "p.fits"
    data = _planes()[kind]
    _write(path, data, compression, (rows, data.shape[1]))
    _same(_fast(path), _astropy(path))


def test_uint16_mask_with_bzero_stays_raw_then_reads_as_bits(tmp_path):
    """Astropy stores uint16 as int16 + BZERO=32768; the reader adds BZERO exactly."""
    mask = np.array([[0, 1, 32768, 65535]], np.uint16)
    path = tmp_path / "m.fits"
    hdus = [
        fits.PrimaryHDU(),
        fits.CompImageHDU(
            np.zeros((1, 4), np.float32),
            name="IMAGE",
            compression_type="GZIP_2",
            tile_shape=(1, 4),
            quantize_level=0.0,
        ),
        fits.CompImageHDU(mask, name="MASK", compression_type="GZIP_2", tile_shape=(1, 4)),
    ]
    fits.HDUList(hdus).writeto(path)
    _same(_fast(path, 2), _astropy(path, 2))
    assert fits.getheader(path, 2)["BZERO"] == 32768
    img = read_exposure(path)
    assert img.mask.dtype == np.int32
    assert img.mask.tolist() == [[0, 1, 32768, 65535]]


def test_large_plane_uses_threads_and_matches(tmp_path, monkeypatch):
    monkeypatch.setattr(tiles_module, "_SERIAL_PIXELS", 1000)
    rng = np.random.default_rng(1)
    data = rng.normal(0.0, 1.0, (300, 200)).astype(np.float32)
    path = tmp_path / "big.fits"
    _write(path, data)
    fast = _fast(path)
    _same(fast, _astropy(path))
    assert fast.tobytes() == data.tobytes()


@pytest.mark.parametrize("compression", ["GZIP_1", "GZIP_2"])
def test_zblank_in_float_plane_becomes_nan_like_astropy(tmp_path, monkeypatch, compression):
    monkeypatch.setattr(tiles_module, "_SERIAL_PIXELS", 10)  # several threaded chunks
    data = np.tile(np.array([[1.0, 7.0, 3.0], [7.0, 5.0, 6.0]], np.float32), (40, 1))
    path = tmp_path / "blank.fits"
    _write(path, data, compression)
    with fits.open(path, mode="update", disable_image_compression=True) as hdul:
        hdul[1].header["ZBLANK"] = 7
    reference = _astropy(path)
    assert np.isnan(reference).sum() == 80
    fast = _fast(path)
    np.testing.assert_array_equal(fast, reference)
    assert np.isnan(fast[78, 1])
    assert np.isnan(fast[79, 0])
    assert fast[79, 1] == 5.0


@pytest.mark.parametrize(("compression", "tile"), [("GZIP_2", (8, 8)), ("RICE_1", None)])
def test_other_layouts_fall_back_to_astropy(tmp_path, compression, tile):
    data = np.arange(37 * 53, dtype=np.int32).reshape(37, 53)
    path = tmp_path / "other.fits"
    _write(path, data, compression, tile)
    assert _fast(path) is None
    np.testing.assert_array_equal(read_exposure(path).image, data.astype(np.float32))


@pytest.mark.parametrize("inflate", ["default", "stdlib zlib"])
def test_corrupt_tile_is_a_format_error(tmp_path, monkeypatch, inflate):
    if inflate == "stdlib zlib":
        monkeypatch.setattr(tiles_module, "_isal", None)
    data = np.random.default_rng(2).normal(size=(20, 50)).astype(np.float32)
    path = tmp_path / "corrupt.fits"
    _write(path, data)
    with fits.open(path, disable_image_compression=True) as hdul:
        info = hdul[1].fileinfo()
        heap = info["datLoc"] + hdul[1].header["NAXIS1"] * hdul[1].header["NAXIS2"]
    raw = bytearray(path.read_bytes())
    raw[heap + 20 : heap + 60] = b"\xff" * 40  # inside tile 0's deflate stream
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=r"HDU 1: tile 0 cannot be decompressed"):
        read_exposure(path)


@pytest.mark.parametrize("kind", sorted(_planes()))
@pytest.mark.parametrize("threaded", [False, True])
def test_compressed_writer_is_read_bit_exactly_by_astropy(tmp_path, monkeypatch, kind, threaded):
    if threaded:
        monkeypatch.setattr(tiles_module, "_SERIAL_PIXELS", 10)
        monkeypatch.setattr(tiles_module, "_CHUNK_TILES", 5)
    data = _planes()[kind]
    header = fits.Header()
    header["EXTTYPE"] = "IMAGE"
    header["HIERARCH MP_DETECTED_NEGATIVE"] = 6
    path = tmp_path / "w.fits"
    fits.HDUList([fits.PrimaryHDU(), compress_row_tiles(data, header, "IMAGE")]).writeto(path)
    with fits.open(path, do_not_scale_image_data=True) as hdul:
        hdul.verify("exception")
        assert isinstance(hdul[1], fits.CompImageHDU)
        assert hdul[1].name == "IMAGE"
        assert hdul[1].header["EXTTYPE"] == "IMAGE"
        assert hdul[1].header["MP_DETECTED_NEGATIVE"] == 6
        assert hdul[1].data.tobytes() == data.astype(hdul[1].data.dtype).tobytes()
    with fits.open(path, disable_image_compression=True) as hdul:
        header = hdul[1].header
        assert (header["ZCMPTYPE"], header["ZTILE1"], header["ZTILE2"]) == ("GZIP_2", 53, 1)
        assert header.get("ZQUANTIZ") == ("NONE" if data.dtype.kind == "f" else None)
    _same(_fast(path), data)


def test_compressed_writer_rejects_non_images():
    with pytest.raises(ValueError, match="non-empty 2-D"):
        compress_row_tiles(np.zeros(5, np.float32), fits.Header(), "IMAGE")
    with pytest.raises(ValueError, match="no FITS type"):
        compress_row_tiles(np.zeros((2, 2), np.complex64), fits.Header(), "IMAGE")

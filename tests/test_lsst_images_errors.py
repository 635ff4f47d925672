"""Damaged and unsupported lsst-images files: one error type, naming the file, node and fix.

Every failure is a FormatError naming the file, and the JSON node and HDU at fault where
there is one, with what is supported; truncations and byte flips of every real file give
that (or, for damaged grids, RenderError) and nothing else.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from conftest import LSST_IMAGES_FILES

from skybkg_adapters import (
    BackgroundMap,
    FormatError,
    NewerSchemaWarning,
    ProductField,
    RenderError,
    SplineField,
    SumField,
    is_lsst_images,
    read_exposure,
    read_lsst_images,
)
from skybkg_adapters.lsst_images import _tree, writer


@pytest.fixture
def rewrite(tmp_path, lsst_images_dir) -> Callable[..., Path]:
    """``rewrite(name, mutate)``: a copy of a real file whose JSON tree ``mutate`` changed.

    The arrays are carried over (decompressed and losslessly recompressed), and the INDEX
    and primary addresses are rebuilt, so only the tree differs.
    """

    def _rewrite(name: str, mutate: Callable[[dict], None]) -> Path:
        with fits.open(lsst_images_dir / name) as hdul:
            tree = json.loads(bytes(hdul["JSON"].data[0]["JSON"]))
            arrays = writer._Arrays("GZIP_2")
            for hdu in hdul[1:]:
                if hdu.name in ("JSON", "INDEX"):
                    continue
                header = hdu.header.copy()
                for key in ("EXTNAME", "EXTVER"):
                    header.remove(key, ignore_missing=True)
                arrays.add(hdu.name, np.array(hdu.data), header)
        mutate(tree)
        out = tmp_path / f"rewritten_{name}"
        out.write_bytes(writer._assemble(tree["schema_url"], tree, arrays))
        return out

    return _rewrite


def _raises(path, *words, node=None) -> FormatError:
    with pytest.raises(FormatError) as info:
        read_lsst_images(path)
    error = info.value
    assert str(path) in str(error)
    for word in words:
        assert word in str(error), str(error)
    if node is not None:
        assert error.node == node, str(error)
        assert f"JSON node {node or '(root)'}" in str(error)
    return error


def test_a_rewritten_file_reads_as_the_original(rewrite, lsst_images_dir):
    image = read_lsst_images(rewrite("visit_01_typical.fits", lambda tree: None))
    original = read_lsst_images(lsst_images_dir / "visit_01_typical.fits")
    np.testing.assert_array_equal(image.image, original.image)


def test_min_read_version_newer_than_supported(rewrite):
    def mutate(tree):
        tree["backgrounds"]["fields"]["skyCorr"]["operands"][1]["min_read_version"] = 2

    _raises(
        rewrite("visit_01_typical.fits", mutate),
        "needs a reader of major version >= 2",
        "supports chebyshev_field up to 1.0",
        "newer glue-skybkg",
        node="backgrounds.fields.skyCorr.operands[1].min_read_version",
    )


def test_root_min_read_version_newer_than_supported(rewrite):
    path = rewrite("visit_01_typical.fits", lambda tree: tree.update(min_read_version=3))
    _raises(path, "supports visit_image up to 1.1", node="min_read_version")


def test_a_newer_schema_version_is_read_when_min_read_version_allows_and_said(rewrite):
    """The format's own rule (lsst-images reads it too): min_read_version decides; the newer
    version is visible as a warning, once per schema and version.
    """

    def mutate(tree):
        tree["schema_version"] = "2.4.0"
        tree["backgrounds"]["fields"]["subtracted"]["schema_version"] = "1.7.2"

    _tree._warned.clear()
    path = rewrite("visit_01_typical.fits", mutate)
    with pytest.warns(NewerSchemaWarning) as caught:
        image = read_lsst_images(path)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2
    assert "spline_field schema_version 1.7.2 is newer than the 1.0" in messages[0]
    assert "visit_image schema_version 2.4.0 is newer than the 1.1" in messages[1]
    assert image.backgrounds.subtracted == "subtracted"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_lsst_images(path)  # said once


def test_the_real_files_raise_no_version_warning(lsst_images_dir):
    _tree._warned.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error", NewerSchemaWarning)
        for name in LSST_IMAGES_FILES:
            read_lsst_images(lsst_images_dir / name)


def test_malformed_schema_version(rewrite):
    def mutate(tree):
        tree["backgrounds"]["schema_version"] = "one"

    _raises(
        rewrite("visit_01_typical.fits", mutate),
        "major.minor.patch",
        node="backgrounds.schema_version",
    )


def test_an_unknown_schema(rewrite):
    def mutate(tree):
        tree["schema_url"] = "https://images.lsst.io/schemas/color_image-1.0.0"

    _raises(rewrite("visit_01_typical.fits", mutate), "visit_image, cell_coadd", node="")


def test_unknown_field_type(rewrite):
    def mutate(tree):
        tree["backgrounds"]["fields"]["skyCorr"]["operands"][1]["field_type"] = "LEGENDRE"

    _raises(
        rewrite("visit_01_typical.fits", mutate),
        "'LEGENDRE' is not supported",
        "SPLINE, CHEBYSHEV, SUM, PRODUCT",
        node="backgrounds.fields.skyCorr.operands[1].field_type",
    )


def test_an_array_reference_that_does_not_resolve(rewrite):
    def mutate(tree):
        tree["backgrounds"]["fields"]["skyCorr"]["operands"][1]["data"]["source"] = (
            "fits:BACKGROUNDS/FIELDS/SKYCORR/DATA,3"
        )

    error = _raises(
        rewrite("visit_05_offset.fits", mutate),
        "does not resolve",
        "BACKGROUNDS/FIELDS/SKYCORR/DATA,2",
        node="backgrounds.fields.skyCorr.operands[1].data.source",
    )
    assert "EXTVER=3" in str(error)


def test_a_malformed_source(rewrite):
    def mutate(tree):
        tree["image"]["data"]["value"]["source"] = "asdf:IMAGE"

    _raises(
        rewrite("visit_07_uncompressed.fits", mutate),
        "is not 'fits:EXTNAME'",
        node="image.data.value.source",
    )


def test_a_source_pointing_at_a_table(rewrite):
    def mutate(tree):
        tree["backgrounds"]["fields"]["subtracted"]["data"]["source"] = "fits:JSON"

    _raises(
        rewrite("visit_07_uncompressed.fits", mutate),
        "not an image array",
        node="backgrounds.fields.subtracted.data.source",
    )


def test_a_grid_shape_disagreeing_with_its_centres(rewrite):
    def mutate(tree):
        tree["backgrounds"]["fields"]["subtracted"]["x"]["data"].pop()

    _raises(
        rewrite("visit_01_typical.fits", mutate),
        "does not match",
        node="backgrounds.fields.subtracted.data",
    )


def test_a_missing_key_and_a_wrong_type(rewrite):
    def drop(tree):
        del tree["backgrounds"]["fields"]["subtracted"]["bounds"]["x"]

    _raises(
        rewrite("visit_01_typical.fits", drop),
        "bounds are not a box",
        node="backgrounds.fields.subtracted.bounds",
    )

    def retype(tree):
        tree["image"]["yx0"] = ["0", 0]

    _raises(rewrite("visit_01_typical.fits", retype), "expected an integer", node="image.yx0[0]")


def test_subtracted_must_name_a_background(rewrite):
    def mutate(tree):
        tree["backgrounds"]["subtracted"] = "sky"

    _raises(rewrite("visit_01_typical.fits", mutate), "'sky'", node="backgrounds.subtracted")


def test_invalid_field_values(rewrite):
    def mutate(tree):
        tree["backgrounds"]["fields"]["subtracted"]["y"]["data"][1] = 0.0  # not increasing

    _raises(
        rewrite("visit_01_typical.fits", mutate),
        "strictly increasing",
        node="backgrounds.fields.subtracted",
    )


def test_a_bad_detector_names_its_node(rewrite):
    def mutate(tree):
        tree["detector"]["attributes"]["orientation"]["yaw"] = {"value": 1.0, "unit": "mm"}

    image = read_lsst_images(rewrite("visit_01_typical.fits", mutate))
    with pytest.raises(FormatError, match="not an angle") as info:
        image.detector  # noqa: B018 - read on first use
    assert info.value.node == "detector.attributes.yaw"


def _patched(tmp_path, lsst_images_dir, name, old: bytes, new: bytes):
    content = (lsst_images_dir / name).read_bytes()
    assert content.count(old) == 1
    path = tmp_path / name
    path.write_bytes(content.replace(old, new))
    return path


@pytest.mark.parametrize("extname", ["JSON", "INDEX"])
def test_a_missing_json_or_index_hdu(tmp_path, lsst_images_dir, extname):
    old = f"EXTNAME = '{extname:<8}'".encode()
    path = _patched(
        tmp_path, lsst_images_dir, "visit_03_chebyshev.fits", old, old.replace(b"N", b"X", 1)
    )
    _raises(path, f"has no {extname} HDU", "SODA cutout", "#this")
    # read_exposure reads it as what its content says, so it fails the same way
    with pytest.raises(FormatError, match=f"has no {extname} HDU"):
        read_exposure(path)


def test_a_cutout_that_kept_only_the_pixels(tmp_path, lsst_images_dir):
    """What a SODA cutout of a DP2 file looks like: the primary and the planes, no JSON."""
    with fits.open(lsst_images_dir / "visit_07_uncompressed.fits") as hdul:
        cut = fits.HDUList([fits.PrimaryHDU(header=hdul[0].header)])
        for name in ("IMAGE", "MASK", "VARIANCE"):
            cut.append(fits.ImageHDU(hdul[name].data[10:40, 20:60], header=hdul[name].header))
        cut.writeto(tmp_path / "cutout.fits")
    assert is_lsst_images(tmp_path / "cutout.fits")
    error = _raises(tmp_path / "cutout.fits", "has no JSON HDU", "backgrounds", "pair a Butler")
    assert error.hdu is None


def test_a_newer_container_version(tmp_path, lsst_images_dir):
    old = b"FMTVER  =                    1"
    path = _patched(tmp_path, lsst_images_dir, "visit_03_chebyshev.fits", old, old[:-1] + b"2")
    error = _raises(path, "FMTVER = 2 is newer")
    assert error.key == "FMTVER"
    assert error.hdu == 0


def test_an_index_that_disagrees_with_the_hdus(tmp_path, lsst_images_dir):
    with fits.open(lsst_images_dir / "visit_05_offset.fits") as hdul:
        index_at = hdul.fileinfo(len(hdul) - 1)["datLoc"]
    path = tmp_path / "visit.fits"
    shutil.copy(lsst_images_dir / "visit_05_offset.fits", path)
    with open(path, "r+b") as stream:  # EXTVER of INDEX row 6 (the second SKYCORR grid)
        stream.seek(index_at + 6 * 71 + 34)
        stream.write((7).to_bytes(4, "big"))
    _raises(path, "INDEX row 6")


def test_a_truncated_file(tmp_path, lsst_images_dir):
    path = tmp_path / "visit.fits"
    content = (lsst_images_dir / "visit_01_typical.fits").read_bytes()
    path.write_bytes(content[:-2880])
    _raises(path)
    path.write_bytes(content[:-1])
    _raises(path, "truncated")


def test_a_corrupt_rice_tile_is_our_error(tmp_path, lsst_images_dir):
    """A damaged RICE tile makes astropy raise CfitsioException; we convert it."""
    name = "visit_08_lossy.fits"
    with fits.open(lsst_images_dir / name, disable_image_compression=True) as hdul:
        assert hdul[1].header["ZCMPTYPE"] == "RICE_1"
        header = hdul[1].header
        heap = hdul.fileinfo(1)["datLoc"] + header["NAXIS1"] * header["NAXIS2"]
    content = bytearray((lsst_images_dir / name).read_bytes())
    for offset in range(heap + 400, heap + 1600, 7):
        content[offset] ^= 0xA5
    path = tmp_path / name
    path.write_bytes(bytes(content))
    from astropy.io.fits.hdu.compressed._compression import CfitsioException

    with fits.open(path) as hdul, pytest.raises(CfitsioException):
        hdul[1].data  # noqa: B018 - what astropy alone does
    for read in (read_lsst_images, read_exposure):
        with pytest.raises(FormatError, match="CfitsioException") as info:
            read(path)
        assert info.value.hdu == 1
        assert info.value.node == "image.data.value"


# ------------------------------------------------------------------ truncations, byte flips

_OURS = (FormatError, RenderError)


def _exercise(path) -> None:
    """Read, touch every lazy array, render a corner of every field: ours or nothing."""
    assert isinstance(is_lsst_images(path), bool)
    try:
        product = read_lsst_images(path)
        if isinstance(product, BackgroundMap):
            fields = [model.field for model in product.values()]
        else:
            product.mask  # noqa: B018 - the lazy reads are part of what is damaged
            product.variance  # noqa: B018
            product.detector  # noqa: B018
            fields = [model.field for model in product.backgrounds.values()]
            scaling = product.photometric_scaling
            if scaling is not None and scaling.field is not None:
                fields.append(scaling.field)
        for field in fields:
            _touch(field)
            b = field.bounds
            # a small corner keeps absurd damaged bounds from allocating gigabytes
            corner = (b.x0, b.y0, min(b.width, 9), min(b.height, 7))
            field.render(corner, dtype=np.float32)
            field.render(corner, semantics="afw")
    except _OURS:
        pass


def _touch(field) -> None:
    if isinstance(field, SplineField):
        field.values  # noqa: B018
    elif isinstance(field, SumField | ProductField):
        for operand in field.operands:
            _touch(operand)


@pytest.mark.parametrize("name", LSST_IMAGES_FILES)
def test_truncated_anywhere(name, tmp_path, lsst_images_dir):
    content = (lsst_images_dir / name).read_bytes()
    size = len(content)
    rng = np.random.default_rng(len(name))
    blocks = [k * 2880 for k in range(1, size // 2880)]
    offsets = {0, 1, 80, 2879, 2880, 2881, size - 2880, size - 1}
    offsets.update(rng.choice(blocks, size=min(6, len(blocks)), replace=False).tolist())
    offsets.update(rng.integers(1, size, 8).tolist())
    path = tmp_path / name
    for offset in sorted(offsets):
        path.write_bytes(content[:offset])
        try:
            _exercise(path)
        except Exception as exc:  # which cut let a foreign error through
            raise AssertionError(f"truncated at {offset}: {type(exc).__name__}: {exc}") from exc
        if offset >= 2880:
            with pytest.raises(FormatError):
                read_lsst_images(path)  # a cut file is never read as if whole


@pytest.mark.parametrize("name", LSST_IMAGES_FILES)
def test_bytes_flipped_anywhere(name, tmp_path, lsst_images_dir):
    content = (lsst_images_dir / name).read_bytes()
    rng = np.random.default_rng(sum(name.encode()))
    with fits.open(lsst_images_dir / name) as hdul:
        info = hdul.fileinfo(hdul.index_of("JSON"))
    json_lo, json_hi = info["datLoc"], info["datLoc"] + info["datSpan"]
    anywhere = rng.integers(0, len(content), 20)
    in_json = rng.integers(json_lo, json_hi, 10)  # the tree: the reader's most varied input
    path = tmp_path / name
    for offset in [*anywhere.tolist(), *in_json.tolist()]:
        damaged = bytearray(content)
        damaged[offset] ^= int(rng.integers(1, 256))
        path.write_bytes(bytes(damaged))
        try:
            _exercise(path)
        except Exception as exc:
            raise AssertionError(f"byte {offset} flipped: {type(exc).__name__}: {exc}") from exc

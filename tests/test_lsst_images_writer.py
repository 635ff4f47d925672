"""skybkg_adapters.lsst_images.writer: what we read, written so we (and lsst-images) read it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from conftest import LSST_IMAGES_FILES

from skybkg_adapters import (
    BackgroundMap,
    BackgroundModel,
    BBox,
    ChebyshevField,
    PhotometricScaling,
    SkyImage,
    SplineField,
    SumField,
    read_lsst_images,
    write_lsst_images,
)
from skybkg_adapters.focal_plane import lsstcam_detector
from skybkg_adapters.lsst_images import writer as writer_module

ROOT = Path(__file__).resolve().parents[1]


def _maps(product) -> BackgroundMap:
    return product if isinstance(product, BackgroundMap) else product.backgrounds


def _same_backgrounds(a: BackgroundMap, b: BackgroundMap) -> None:
    assert list(a) == list(b)
    assert a.subtracted == b.subtracted
    assert dict(a.descriptions) == dict(b.descriptions)
    for name in a:
        assert a[name].unit == b[name].unit
        for dtype in (np.float64, np.float32):
            np.testing.assert_array_equal(a[name].render(dtype=dtype), b[name].render(dtype=dtype))


def _same_image(a: SkyImage, b: SkyImage) -> None:
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    np.testing.assert_array_equal(a.variance, b.variance)
    assert a.mask_planes == b.mask_planes
    assert (a.xy0, a.unit, a.band, dict(a.ids)) == (b.xy0, b.unit, b.band, dict(b.ids))
    assert (a.photometric_scaling is None) == (b.photometric_scaling is None)
    if a.photometric_scaling is not None:
        np.testing.assert_array_equal(
            a.photometric_scaling.render(a.bbox), b.photometric_scaling.render(b.bbox)
        )
    assert a.has_detector() == b.has_detector()
    if a.has_detector():
        assert a.detector == b.detector


@pytest.mark.parametrize("name", LSST_IMAGES_FILES)
@pytest.mark.parametrize("compression", ["GZIP_2", None])
def test_every_real_file_round_trips(name, compression, read_dp2, tmp_path):
    original = read_dp2(name)
    path = tmp_path / name
    write_lsst_images(path, original, compression=compression)
    again = read_lsst_images(path)
    assert type(again) is type(original)
    _same_backgrounds(_maps(original), _maps(again))
    if isinstance(original, SkyImage):
        _same_image(original, again)
        # the nodes this package does not model are carried over
        for key in ("sky_projection", "psf", "summary_stats", "obs_info", "patch"):
            assert (key in original.tree) == (key in again.tree)
            if key in original.tree:
                assert again.tree[key] == original.tree[key]
    with fits.open(path, disable_image_compression=True) as hdul:
        kinds = {type(hdu).__name__ for hdu in hdul[1:-2]}
    assert kinds == ({"BinTableHDU"} if compression else {"ImageHDU"})


def test_new_backgrounds_on_a_visit_image(tmp_path, lsst_images_dir):
    """The use case: fit another background, attach it, save the image with it."""
    original = read_lsst_images(lsst_images_dir / "visit_05_offset.fits")  # changed below
    bounds = original.bbox
    rng = np.random.default_rng(3)
    x = np.linspace(bounds.x0 + 10, bounds.x1 - 10, 12)
    y = np.linspace(bounds.y0 + 8, bounds.y1 - 8, 7)
    big = SplineField(bounds, x, y, 900.0 + rng.normal(size=(7, 12)), u.electron)
    small = SplineField(bounds, x[:4], y[:3], rng.normal(size=(3, 4)), u.electron)
    offset = ChebyshevField(bounds, [[1.5, 0.25], [0.5, 0.0]], u.electron)
    mine = BackgroundModel.from_field(
        SumField((big, small, big, offset)), name="mine", description="a test background"
    )
    original.backgrounds = BackgroundMap(
        {**original.backgrounds, "mine": mine}, "mine", original.backgrounds.provenance
    )
    path = tmp_path / "with_mine.fits"
    write_lsst_images(path, original)
    again = read_lsst_images(path)
    _same_backgrounds(original.backgrounds, again.backgrounds)
    operands = again.tree["backgrounds"]["fields"]["mine"]["operands"]
    # > 64 values go to an HDU named by the tree path, repeats counted by EXTVER
    assert operands[0]["data"]["source"] == "fits:BACKGROUNDS/FIELDS/MINE/DATA"
    assert operands[2]["data"]["source"] == "fits:BACKGROUNDS/FIELDS/MINE/DATA,2"
    assert "source" not in operands[1]["data"]


def test_an_image_built_here_round_trips(tmp_path):
    """A visit image that was never an lsst-images file: the nodes we model are written."""
    rng = np.random.default_rng(9)
    box = BBox(0, 0, 64, 40)
    spline = SplineField(
        box, np.linspace(4, 60, 6), np.linspace(3, 36, 5), rng.normal(500, 2, (5, 6)), u.electron
    )
    image = SkyImage(
        rng.normal(0, 3, box.shape).astype(np.float32),
        (rng.random(box.shape) < 0.1).astype(np.int32),
        np.full(box.shape, 9.0, np.float32),
        mask_planes={"BAD": 0, "DETECTED": 1},
        unit=u.nJy,
        backgrounds=BackgroundMap(
            {"subtracted": BackgroundModel.from_field(spline, name="subtracted")}, "subtracted"
        ),
        photometric_scaling=PhotometricScaling(u.nJy / u.electron, constant=0.75),
        band="i",
        detector=lsstcam_detector(75),
        ids={"instrument": "LSSTCam", "visit": 7, "detector": 75},
    )
    path = tmp_path / "built.fits"
    write_lsst_images(path, image)
    again = read_lsst_images(path)
    _same_image(image, again)
    _same_backgrounds(image.backgrounds, again.backgrounds)
    assert again.tree["schema_url"].endswith("/visit_image-1.1.0")
    # the constant scaling spans the detector, as lsst-images normalises it
    assert again.tree["photometric_scaling"]["bounds"] == {
        "y": {"start": 0, "stop": 4000},
        "x": {"start": 0, "stop": 4072},
    }


def test_nan_bins_are_written_as_bare_nan(tmp_path, read_dp2):
    original = read_dp2("visit_02_nan_akima.fits")
    path = tmp_path / "nan.fits"
    write_lsst_images(path, original)
    with fits.open(path) as hdul:
        assert "NaN" in bytes(hdul["JSON"].data[0]["JSON"]).decode()
    again = read_lsst_images(path)
    np.testing.assert_array_equal(
        np.isnan(again.backgrounds["subtracted"].field.values),
        np.isnan(original.backgrounds["subtracted"].field.values),
    )


def test_refuses_to_overwrite_unless_asked(tmp_path, read_dp2):
    path = tmp_path / "map.fits"
    backgrounds = read_dp2("background_map_01.fits")
    write_lsst_images(path, backgrounds)
    with pytest.raises(FileExistsError):
        write_lsst_images(path, backgrounds)
    write_lsst_images(path, backgrounds, overwrite=True)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, read_dp2, monkeypatch):
    path = tmp_path / "map.fits"
    backgrounds = read_dp2("background_map_01.fits")
    write_lsst_images(path, backgrounds)
    before = path.read_bytes()

    def half_then_fail(file, mode="r"):
        with open(file, mode) as stream:
            stream.write(b"SIMPLE  =                    T")
        raise OSError("disk full")

    # the disk is outside this machine's control: the file system call fails, not our code
    monkeypatch.setattr(writer_module, "open", half_then_fail, raising=False)
    with pytest.raises(OSError, match="disk full"):
        write_lsst_images(path, backgrounds, overwrite=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.fits"]


def test_refuses_what_it_cannot_write(tmp_path, read_dp2):
    from skybkg_adapters import BackgroundLayer

    with pytest.raises(TypeError, match="SkyImage or a BackgroundMap"):
        write_lsst_images(tmp_path / "c.fits", {"a": 1})
    with pytest.raises(ValueError, match="compression"):
        write_lsst_images(
            tmp_path / "c.fits", read_dp2("background_map_01.fits"), compression="RICE_1"
        )
    afw = BackgroundModel((BackgroundLayer(np.ones((2, 2), np.float32), (0, 0, 4, 4)),))
    with pytest.raises(TypeError, match="write it with write_background"):
        write_lsst_images(tmp_path / "c.fits", BackgroundMap({"calexpBackground": afw}))
    assert not any(tmp_path.iterdir())


def test_index_and_addresses_follow_the_lsst_images_layout(tmp_path, read_dp2):
    path = tmp_path / "v.fits"
    write_lsst_images(path, read_dp2("visit_05_offset.fits"))
    with fits.open(path, disable_image_compression=True) as hdul:
        primary = hdul[0].header
        assert primary["FMTVER"] == 1
        assert primary["DATAMODL"] == "https://images.lsst.io/schemas/visit_image-1.1.0"
        assert primary["JSONADDR"] == hdul.fileinfo(len(hdul) - 2)["hdrLoc"]
        assert primary["INDXADDR"] == hdul.fileinfo(len(hdul) - 1)["hdrLoc"]
        index = hdul["INDEX"].data
        assert [str(n) for n in index["EXTNAME"]] == [
            "",
            "IMAGE",
            "MASK",
            "VARIANCE",
            "BACKGROUNDS/FIELDS/SUBTRACTED/DATA",
            "BACKGROUNDS/FIELDS/SKYCORR/DATA",
            "BACKGROUNDS/FIELDS/SKYCORR/DATA",
            "JSON",
        ]
        assert list(index["EXTVER"]) == [1, 1, 1, 1, 1, 1, 2, 1]
        for i, row in enumerate(index):
            info = hdul.fileinfo(i)
            assert (row["HDRADDR"], row["DATADDR"]) == (info["hdrLoc"], info["datLoc"])
            assert row["DATSIZE"] == info["datSpan"]
    assert path.stat().st_size == primary["INDXADDR"] + primary["INDXSIZE"]


def _lsst_images_python() -> str | None:
    from glue_skybkg.cli.bench.lsst_images import find_lsst_images_python

    return find_lsst_images_python()


def test_lsst_images_reads_our_files(tmp_path, read_dp2, lsst_images_dir):
    """A cross-check with lsst-images itself, where an interpreter with it is found (it is
    not a dependency; set SKYBKG_LSST_IMAGES_PYTHON): it reads what we write, and its
    renders of every background (full, corner, middle, row; both dtypes) equal ours.
    """
    python = _lsst_images_python()
    if python is None:
        pytest.skip("no Python >= 3.12 with lsst-images (set SKYBKG_LSST_IMAGES_PYTHON)")
    written = []
    for name in LSST_IMAGES_FILES:
        path = tmp_path / name
        write_lsst_images(path, read_dp2(name))
        written.append(path)
    out = tmp_path / "npz"
    side = subprocess.run(
        [python, str(ROOT / "tests" / "_lsst_images_side.py"), str(out), *map(str, written)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert side.returncode == 0, side.stderr
    assert "cannot read" not in side.stdout, side.stdout
    compared = 0
    for path in written:
        theirs = np.load(out / f"{path.stem}.npz")
        ours = read_lsst_images(path)
        if "image" in theirs.files:
            np.testing.assert_array_equal(theirs["image"], ours.image)
            np.testing.assert_array_equal(theirs["variance"], ours.variance)
        for key in [k for k in theirs.files if k.startswith("bg|") and not k.endswith("|box")]:
            _, name, _, dtype = key.split("|")
            box = tuple(int(v) for v in theirs[key + "|box"])
            mine = _maps(ours)[name].render(box, dtype=np.dtype(dtype))
            np.testing.assert_array_equal(theirs[key], mine, err_msg=f"{path.name} {key}")
            compared += 1
        if "applied|pretty" in theirs.files:
            # lsst-images' CellCoadd.apply_background: image + subtracted - chosen
            np.testing.assert_array_equal(theirs["applied|pretty"], ours.apply_background("pretty"))
    assert compared == 18 * 4 * 2

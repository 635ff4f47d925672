"""skybkg_adapters.lsst_images.reader: every real lsst-images file, checked against its manifest."""

from __future__ import annotations

import shutil

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from conftest import LSST_IMAGES_FILES

from skybkg_adapters import (
    BackgroundMap,
    BBox,
    ChebyshevField,
    FormatError,
    ProductField,
    SkyImage,
    SplineField,
    SumField,
    is_lsst_images,
    open_product,
    read_exposure,
    read_lsst_images,
)

IMAGES = [name for name in LSST_IMAGES_FILES if not name.startswith("background_map")]
VISITS = [name for name in LSST_IMAGES_FILES if name.startswith("visit_")]
_CLASSES = {
    "SplineField": SplineField,
    "ChebyshevField": ChebyshevField,
    "SumField": SumField,
    "ProductField": ProductField,
}


def _box(ranges) -> BBox:
    return BBox.from_half_open(ranges["x"][0], ranges["x"][1], ranges["y"][0], ranges["y"][1])


def test_the_manifest_lists_exactly_these_files(lsst_images_manifest, lsst_images_dir):
    assert sorted(lsst_images_manifest) == sorted(LSST_IMAGES_FILES)
    on_disk = sorted(p.name for p in lsst_images_dir.glob("*.fits"))
    assert on_disk == sorted(LSST_IMAGES_FILES)


@pytest.mark.parametrize("name", LSST_IMAGES_FILES)
def test_detected_by_content_not_by_name(name, lsst_images_dir, tmp_path):
    assert is_lsst_images(lsst_images_dir / name)
    renamed = tmp_path / "calexp_512055_75.fits"  # an afw-sounding name changes nothing
    shutil.copy(lsst_images_dir / name, renamed)
    assert is_lsst_images(renamed)
    product = open_product(renamed)
    assert isinstance(product, BackgroundMap if name.startswith("background") else SkyImage)


def test_afw_files_are_not_lsst_images(realdata, tmp_path):
    assert not is_lsst_images(realdata / "obs_base__calexp.fits")
    text = tmp_path / "notes.fits"
    text.write_text("not FITS at all\n")
    assert not is_lsst_images(text)
    with pytest.raises(FileNotFoundError):
        is_lsst_images(tmp_path / "missing.fits")


@pytest.mark.parametrize("name", LSST_IMAGES_FILES)
def test_backgrounds_as_the_manifest_describes_them(name, lsst_images_manifest, read_dp2):
    entry = lsst_images_manifest[name]
    product = read_dp2(name)
    backgrounds = product if isinstance(product, BackgroundMap) else product.backgrounds
    assert list(backgrounds) == [bg["name"] for bg in entry["backgrounds"]]
    assert backgrounds.subtracted == entry["subtracted"]
    for bg in entry["backgrounds"]:
        model = backgrounds[bg["name"]]
        assert model.name == bg["name"]
        assert backgrounds.descriptions[bg["name"]] == bg["description"] == model.description
        assert model.unit == u.Unit(bg["unit"])
        assert model.semantics == "lsst-images"
        _check_field(model.field, bg["field"])


def _check_field(field, spec):
    """A field tree against the manifest's description of it, recursively."""
    assert isinstance(field, _CLASSES[spec["type"]])
    assert field.bounds == _box(spec["bounds"])
    assert field.unit == (None if spec["unit"] is None else u.Unit(spec["unit"]))
    if spec["type"] == "SplineField":
        assert field.values.shape == tuple(spec["grid_shape"])
        np.testing.assert_array_equal(field.x, spec["x"])
        np.testing.assert_array_equal(field.y, spec["y"])
        assert np.argwhere(np.isnan(field.values)).tolist() == spec["nan_positions_yx"]
    elif spec["type"] == "ChebyshevField":
        np.testing.assert_array_equal(field.coefficients, spec["coefficients"])
    else:
        assert len(field.operands) == len(spec["operands"])
        for operand, operand_spec in zip(field.operands, spec["operands"], strict=True):
            _check_field(operand, operand_spec)


@pytest.mark.parametrize("name", IMAGES)
def test_geometry_units_band_and_wcs(name, lsst_images_manifest, read_dp2):
    entry = lsst_images_manifest[name]
    image = read_dp2(name)
    bbox = _box(entry["bbox"])
    assert image.bbox == bbox
    assert image.xy0 == (bbox.x0, bbox.y0)
    assert image.image.dtype == np.float32
    assert image.image.shape == tuple(entry["shape_yx"])
    assert image.unit == u.Unit(entry["image_unit"])
    assert image.band == entry["band"]
    assert image.wcs is not None
    assert image.wcs.has_celestial
    assert image.tree["schema_url"] == entry["schema_url"]
    assert image.metadata["DATAMODL"] == entry["schema_url"]


@pytest.mark.parametrize("name", IMAGES)
def test_pixel_statistics(name, lsst_images_manifest, read_dp2):
    entry = lsst_images_manifest[name]
    image = read_dp2(name)
    for array, stats in (
        (image.image, entry["image_stats"]),
        (image.variance, entry["variance_stats"]),
    ):
        assert array.dtype == np.dtype(stats["dtype"])
        assert int(np.isnan(array).sum()) == stats["n_nan"]
        assert np.nansum(array.astype(np.float64)) == stats["nansum"]
        assert float(np.nanmin(array)) == stats["nanmin"]
        assert float(np.nanmax(array)) == stats["nanmax"]


@pytest.mark.parametrize("name", IMAGES)
def test_mask_planes_in_the_order_written(name, lsst_images_manifest, read_dp2):
    entry = lsst_images_manifest[name]
    image = read_dp2(name)
    assert list(image.mask_planes) == entry["mask_planes"]
    assert list(image.mask_planes.values()) == list(range(len(entry["mask_planes"])))
    assert image.mask.dtype == np.int32
    counts = {
        plane: int(np.count_nonzero(image.mask & image.mask_bits(plane)))
        for plane in image.mask_planes
    }
    assert counts == entry["mask_plane_counts"]


@pytest.mark.parametrize("name", VISITS)
def test_visit_identity_and_detector(name, lsst_images_manifest, read_dp2):
    entry = lsst_images_manifest[name]
    image = read_dp2(name)
    frame = entry["sky_projection_pixel_frame"]
    assert image.ids["instrument"] == frame["instrument"]
    assert image.ids["visit"] == frame["visit"]
    assert image.ids["detector"] == frame["detector"]
    assert image.ids["physical_filter"] == entry["physical_filter"]
    assert image.has_detector()
    detector = image.detector
    assert (detector.name, detector.id) == (entry["detector"]["name"], entry["detector"]["id"])
    assert detector.bbox == _box(entry["detector"]["bbox"])
    assert detector.pixel_size == (0.01, 0.01)
    # R21_S11: refPoint (2047.5, 2001.5) at focal plane (-127, 0) mm, yaw 0
    np.testing.assert_allclose(detector.pixel_to_focal_plane(2047.5, 2001.5), (-127.0, 0.0))


def test_coadd_identity_and_its_missing_cell(lsst_images_manifest, read_dp2):
    entry = lsst_images_manifest["cell_coadd_01.fits"]
    image = read_dp2("cell_coadd_01.fits")
    assert dict(image.ids) == {
        "patch": entry["patch"]["id"],
        "skymap": entry["skymap"],
        "tract": entry["tract"],
    }
    assert not image.has_detector()
    assert image.detector is None
    assert image.photometric_scaling is None
    (missing,) = entry["cell_grid"]["missing_cells_ij"]
    cy, cx = entry["cell_grid"]["cell_shape_yx"]
    cell = np.s_[missing[0] * cy : (missing[0] + 1) * cy, missing[1] * cx : (missing[1] + 1) * cx]
    assert np.isnan(image.image[cell]).all()
    assert (image.mask[cell] & image.mask_bits("NO_DATA")).all()
    # the missing cell is the only NaN, and the only NO_DATA
    assert np.isnan(image.image).sum() == cy * cx
    assert (image.mask & image.mask_bits("NO_DATA")).astype(bool).sum() == cy * cx


@pytest.mark.parametrize("name", IMAGES)
def test_photometric_scaling_at_the_listed_points(name, lsst_images_manifest, read_dp2):
    spec = lsst_images_manifest[name]["photometric_scaling"]
    image = read_dp2(name)
    scaling = image.photometric_scaling
    if spec is None:
        assert scaling is None
        return
    assert scaling.unit == u.Unit(spec["unit"])
    assert not scaling.approximate
    assert not scaling.is_identity
    assert scaling.constant == spec["constant_value"]  # None for visit_04's product
    rendered = scaling.render(image.bbox, dtype=np.float64)
    for sample in spec["samples_at_image_points"]:
        assert scaling.evaluate(sample["x"], sample["y"]) == sample["value"]
        if float(sample["x"]).is_integer() and float(sample["y"]).is_integer():
            row, col = int(sample["y"]) - image.xy0[1], int(sample["x"]) - image.xy0[0]
            assert rendered[row, col] == sample["value"]
    if spec["type"] != "ChebyshevField":
        # normalised over the detector's bounds, not the image's
        assert scaling.field.bounds == _box(spec["bounds"]) == BBox(0, 0, 4096, 4004)


def test_a_background_map_opens_as_a_background_map(
    lsst_images_manifest, read_dp2, lsst_images_dir
):
    entry = lsst_images_manifest["background_map_01.fits"]
    backgrounds = read_dp2("background_map_01.fits")
    assert isinstance(backgrounds, BackgroundMap)
    assert backgrounds.provenance.uri == str(lsst_images_dir / "background_map_01.fits")
    assert backgrounds.subtracted == entry["subtracted"]
    with pytest.raises(FormatError, match="background map"):
        read_exposure(lsst_images_dir / "background_map_01.fits")


def test_read_exposure_reads_dp2_files_by_content(lsst_images_dir):
    image = read_exposure(lsst_images_dir / "visit_05_offset.fits")
    assert image.tree is not None
    assert len(image.backgrounds) == 2


def test_planes_and_grids_are_read_lazily(lsst_images_dir, tmp_path):
    copy = tmp_path / "visit.fits"
    shutil.copy(lsst_images_dir / "visit_05_offset.fits", copy)
    image = read_lsst_images(copy)
    spline = image.backgrounds["subtracted"].field
    assert not spline.is_loaded
    # nothing but the image was read: damage the rest of the file and only then touch it
    with fits.open(copy) as hdul:
        mask_at = hdul.fileinfo(2)["datLoc"]
    with open(copy, "r+b") as stream:
        stream.truncate(mask_at + 100)
    for plane in ("mask", "variance"):
        with pytest.raises(FormatError) as info:
            getattr(image, plane)
        assert info.value.node is not None
    with pytest.raises(FormatError) as info:
        spline.values  # noqa: B018 - reading is the point
    assert info.value.node == "backgrounds.fields.subtracted.data"
    assert image.image.shape == (236, 308)


def test_lazy_planes_are_read_once_and_read_only(read_dp2):
    image = read_dp2("visit_01_typical.fits")
    assert image.mask is image.mask
    assert image.variance is image.variance


def test_the_wcs_maps_zero_based_array_indices(read_dp2):
    """Both visits come from one detector exposure: a parent pixel has one sky position,
    whatever the cutout, once array index = parent pixel - xy0.
    """
    whole, cutout = read_dp2("visit_01_typical.fits"), read_dp2("visit_05_offset.fits")
    x0, y0 = cutout.xy0
    for x, y in [(800.0, 3200.0), (1000.5, 3400.25)]:
        np.testing.assert_allclose(
            cutout.wcs.pixel_to_world_values(x - x0, y - y0),
            whole.wcs.pixel_to_world_values(x, y),
            rtol=0,
            atol=1e-12,
        )

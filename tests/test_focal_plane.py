"""The built-in nominal LSSTCam layout: ids, names, vendors, positions, and its generator."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from astropy.table import Table

from skybkg_adapters import BBox
from skybkg_adapters.focal_plane import (
    LSSTCAM_LAYOUT_FILE,
    DetectorGeometry,
    _nominal,
    load_lsstcam_layout,
    lsstcam_detector,
)
from skybkg_adapters.lsst_images import read_detector_json

RAFTS = [
    "R01",
    "R02",
    "R03",
    "R10",
    "R11",
    "R12",
    "R13",
    "R14",
    "R20",
    "R21",
    "R22",
    "R23",
    "R24",
    "R30",
    "R31",
    "R32",
    "R33",
    "R34",
    "R41",
    "R42",
    "R43",
]
ITL = {"R01", "R02", "R03", "R10", "R20", "R41", "R42", "R43"}


def _expected_centre(name: str) -> tuple[float, float]:
    """Raft Rrc centre + sensor Src offset, in mm: the first digit counts along y."""
    raft_row, raft_col, sensor_row, sensor_col = (int(c) for c in name[1:3] + name[5:7])
    return (
        (raft_col - 2) * 127.0 + (sensor_col - 1) * 42.25,
        (raft_row - 2) * 127.0 + (sensor_row - 1) * 42.25,
    )


def test_ids_and_names_in_raft_order():
    layout = load_lsstcam_layout()
    assert len(layout) == 189
    assert [g.id for g in layout] == list(range(189))
    names = [f"{raft}_S{row}{col}" for raft in RAFTS for row in range(3) for col in range(3)]
    assert [g.name for g in layout] == names
    assert layout[94].name == "R22_S11"
    assert layout[85].name == "R21_S11"
    assert layout[0].name == "R01_S00"
    assert layout[188].name == "R43_S22"


def test_vendors_and_pixel_boxes():
    for geometry in load_lsstcam_layout():
        itl = geometry.name[:3] in ITL
        assert geometry.physical_type == ("ITL" if itl else "E2V")
        assert geometry.bbox == (BBox(0, 0, 4072, 4000) if itl else BBox(0, 0, 4096, 4004))
        assert geometry.pixel_size == (0.01, 0.01)
    kinds = [g.physical_type for g in load_lsstcam_layout()]
    assert (kinds.count("ITL"), kinds.count("E2V")) == (72, 117)


def test_every_detector_centre_is_raft_centre_plus_sensor_offset():
    for geometry in load_lsstcam_layout():
        centre = geometry.pixel_to_focal_plane(*geometry.bbox.center)
        np.testing.assert_allclose(
            centre, _expected_centre(geometry.name), atol=1e-12, err_msg=geometry.name
        )
        np.testing.assert_array_equal(geometry.jacobian, [[0.01, 0.0], [0.0, 0.01]])


def test_focal_plane_origin_and_axes():
    centre = lsstcam_detector("R22_S11")
    np.testing.assert_allclose(centre.pixel_to_focal_plane(2047.5, 2001.5), (0.0, 0.0), atol=1e-12)
    # R00 would be bottom left and R04 bottom right: the second digit runs along +x.
    assert lsstcam_detector("R01_S11").corners_mm()[:, 1].max() < 0  # row 0: bottom
    assert lsstcam_detector("R10_S11").corners_mm()[:, 0].max() < 0  # column 0: left
    np.testing.assert_allclose(
        lsstcam_detector("R01_S00").pixel_to_focal_plane(2035.5, 1999.5),
        (-169.25, -296.25),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        lsstcam_detector("R43_S22").pixel_to_focal_plane(2035.5, 1999.5),
        (169.25, 296.25),
        atol=1e-12,
    )


def test_r21_s11_matches_the_lsst_images_sample_detector(realdata):
    sample = read_detector_json(realdata / "lsst_images" / "detector_source.json")
    nominal = lsstcam_detector(85)
    assert nominal == sample
    np.testing.assert_allclose(
        nominal.pixel_to_focal_plane(2047.5, 2001.5), (-127.0, 0.0), atol=1e-12
    )


def test_detectors_do_not_overlap_and_leave_gaps():
    layout = load_lsstcam_layout()
    boxes = {g.name: (g.corners_mm().min(axis=0), g.corners_mm().max(axis=0)) for g in layout}
    for (a, (a0, a1)), (b, (b0, b1)) in itertools.combinations(boxes.items(), 2):
        overlap = np.minimum(a1, b1) - np.maximum(a0, b0)
        assert (overlap <= 0).any(), f"{a} overlaps {b}"
    # Neighbours in a raft: 42.25 mm apart, 40.96 mm (e2v) or 40.72 mm (ITL) wide.
    gap_e2v = boxes["R22_S12"][0][0] - boxes["R22_S11"][1][0]
    gap_itl = boxes["R01_S01"][0][0] - boxes["R01_S00"][1][0]
    np.testing.assert_allclose((gap_e2v, gap_itl), (1.29, 1.53), atol=1e-9)


def test_lookup_errors():
    with pytest.raises(KeyError, match="no LSSTCam science detector named 'R00_S11'"):
        lsstcam_detector("R00_S11")
    with pytest.raises(KeyError, match="ids are 0 to 188"):
        lsstcam_detector(189)


def test_data_file_is_what_the_generator_writes(tmp_path):
    output = tmp_path / "layout.ecsv"
    assert _nominal.main([str(output)]) == 0
    fresh, committed = (Table.read(p, format="ascii.ecsv") for p in (output, LSSTCAM_LAYOUT_FILE))
    assert fresh.colnames == committed.colnames
    for name in fresh.colnames:
        assert fresh[name].unit == committed[name].unit
        np.testing.assert_array_equal(fresh[name], committed[name], err_msg=name)
    assert fresh.meta == committed.meta


def test_data_file_names_its_public_sources():
    meta = Table.read(LSSTCAM_LAYOUT_FILE, format="ascii.ecsv").meta
    assert "NOMINAL" in meta["description"]
    sources = " ".join(meta["sources"])
    for needle in ("LSE-349", "obs_lsst", "dp2.lsst.io", "detector_source.json"):
        assert needle in sources
    assert any("yaw = pitch = roll = 0" in line for line in meta["conventions"])


# --- mosaics: block means on a focal-plane grid, at any position and rotation ---


def _numpy_block_means(image, geometry, grid, bbox=None):
    """Sums and counts per grid cell of the pixels whose centres fall in it, with numpy."""
    box = bbox or geometry.bbox
    height, width = image.shape
    y, x = np.mgrid[0:height, 0:width]
    fx, fy = geometry.pixel_to_focal_plane(x + box.x0, y + box.y0)
    col = np.floor((fx - grid.x0) / grid.scale).astype(int).ravel()
    row = np.floor((fy - grid.y0) / grid.scale).astype(int).ravel()
    finite = np.isfinite(image.ravel())
    key = (row * grid.shape[1] + col)[finite]
    size = grid.shape[0] * grid.shape[1]
    sums = np.bincount(key, weights=image.ravel()[finite].astype(np.float64), minlength=size)
    return sums.reshape(grid.shape), np.bincount(key, minlength=size).reshape(grid.shape)


def _smooth_image(geometry, seed=3):
    rng = np.random.default_rng(seed)
    height, width = geometry.bbox.height, geometry.bbox.width
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    image = 1000 + 0.01 * x - 0.02 * y + 1e-6 * x * y + rng.normal(0, 1, (height, width))
    image = image.astype(np.float32)
    image[5, 7] = np.nan
    return image


@pytest.mark.parametrize("yaw_deg", [0.0, 90.0, 30.0, 180.0059564])
def test_reduce_detector_is_the_block_mean_at_any_rotation(yaw_deg):
    from skybkg_adapters.focal_plane import MosaicGrid, reduce_detector

    geometry = DetectorGeometry.from_orientation(
        "T",
        7,
        BBox(0, 0, 301, 203),
        (0.01, 0.01),
        (12.3456789, -4.5678901),
        (150.0, 101.0),
        np.radians(yaw_deg),
    )
    # no pixel centre on a cell edge, where rounding could pick either cell
    grid = MosaicGrid.covering([geometry], scale=0.0731)
    image = _smooth_image(geometry)
    reduction = reduce_detector(image, geometry, grid)
    sums, counts = _numpy_block_means(image, geometry, grid)
    rows, columns = reduction.sums.shape
    window = np.s_[
        reduction.row0 : reduction.row0 + rows, reduction.col0 : reduction.col0 + columns
    ]
    np.testing.assert_array_equal(reduction.counts, counts[window])
    assert counts.sum() == image.size - 1 == counts[window].sum()
    np.testing.assert_allclose(reduction.sums, sums[window], rtol=1e-6)
    # the plane fit through the moments is the least-squares plane of the finite pixels
    height, width = image.shape
    y, x = np.mgrid[0:height, 0:width]
    good = np.isfinite(image)
    xc, yc = geometry.bbox.center
    design = np.column_stack([np.ones(good.sum()), x[good] - xc, y[good] - yc])
    expected, *_ = np.linalg.lstsq(design, image[good].astype(np.float64), rcond=None)
    # runs of a cell are summed in float32 (within ~1e-7 of the values), the rest in float64
    np.testing.assert_allclose(reduction.plane(), expected, rtol=1e-5)


_QUARTER_TURNS = {  # exact axis-aligned affines: the kernel's one-add-per-pixel path
    0: ((0.01, 0.0, 12.3456789), (0.0, 0.01, -4.5678901)),
    90: ((0.0, -0.01, 12.3456789), (0.01, 0.0, -4.5678901)),
    180: ((-0.01, 0.0, 12.3456789), (0.0, -0.01, -4.5678901)),
    270: ((0.0, 0.01, 12.3456789), (-0.01, 0.0, -4.5678901)),
}


@pytest.mark.parametrize("turn", sorted(_QUARTER_TURNS))
def test_strips_in_any_order_reduce_to_the_numpy_block_means(turn):
    """Aligned detectors: held column sums per cell row; NaN rows and pixels taken apart."""
    from skybkg_adapters.focal_plane import DetectorReducer, MosaicGrid, reduce_detector

    geometry = DetectorGeometry("T", 7, BBox(3, 5, 301, 203), (0.01, 0.01), _QUARTER_TURNS[turn])
    grid = MosaicGrid.covering([geometry], scale=0.0731)
    image = _smooth_image(geometry)
    image[40] = np.nan  # a whole NaN row, and one with an infinity
    image[41, 100] = np.inf
    sums, counts = _numpy_block_means(image, geometry, grid, geometry.bbox)
    whole = reduce_detector(image, geometry, grid)
    reducer = DetectorReducer(geometry, grid)
    starts = list(range(0, image.shape[0], 16))
    for start in np.random.default_rng(turn).permutation(starts):
        reducer.add(image[start : start + 16], int(start))
    for reduction in (whole, reducer.result()):
        rows, columns = reduction.sums.shape
        window = np.s_[
            reduction.row0 : reduction.row0 + rows, reduction.col0 : reduction.col0 + columns
        ]
        np.testing.assert_array_equal(reduction.counts, counts[window])
        assert counts.sum() == image.size - 1 - 301 - 1
        np.testing.assert_allclose(reduction.sums, sums[window], rtol=1e-12)
    np.testing.assert_allclose(reducer.result().moments, whole.moments, rtol=1e-12)
    assert whole.n_finite == image.size - 303


def test_a_strip_that_does_not_fit_is_refused_by_name():
    from skybkg_adapters.focal_plane import DetectorReducer, MosaicGrid

    geometry = DetectorGeometry("T", 7, BBox(0, 0, 30, 20), (0.01, 0.01), _QUARTER_TURNS[0])
    reducer = DetectorReducer(geometry, MosaicGrid.covering([geometry], scale=0.05))
    with pytest.raises(ValueError, match=r"detector T: a strip of shape \(4, 30\) at row 18"):
        reducer.add(np.zeros((4, 30), np.float32), 18)
    with pytest.raises(ValueError, match="does not fit its 30x20 bbox"):
        reducer.add(np.zeros((4, 29), np.float32), 0)


def test_the_real_hsc_detector_lands_where_its_archive_says(afw_calexp):
    """obs_base's calexp: HSC 1_42, yaw 180.006 deg, 0.015 mm pixels, read from the file."""
    from glue_skybkg.survey import detector_geometry
    from skybkg_adapters import read_exposure
    from skybkg_adapters.focal_plane import Mosaic, MosaicGrid, reduce_detector

    exposure = read_exposure(afw_calexp)
    geometry = detector_geometry(exposure, 4)
    assert (geometry.name, geometry.id) == ("1_42", 4)
    assert geometry.pixel_to_focal_plane(1023.5, 2087.5) == pytest.approx((191.0478, -166.56315))
    grid = MosaicGrid.covering([geometry], scale=0.6)
    mosaic = Mosaic(grid)
    image = exposure.image  # a 64 x 32 cut-out of the detector
    mosaic.add(reduce_detector(image, geometry, grid, bbox=exposure.bbox))
    sums, counts = _numpy_block_means(image, geometry, grid, exposure.bbox)
    cells = counts > 0
    np.testing.assert_allclose(
        mosaic.image[cells], (sums / np.maximum(counts, 1))[cells], rtol=1e-5, atol=1e-4
    )
    assert np.isnan(mosaic.image[~cells]).all()
    # rotated by 180 degrees: the cut-out's first pixel is its top right on the focal plane
    x0, y0 = exposure.bbox.x0, exposure.bbox.y0
    column, row = grid.cell_coordinates(*geometry.pixel_to_focal_plane(x0, y0))
    assert mosaic.detector_map[int(row), int(column)] == 4
    far_column, far_row = grid.cell_coordinates(*geometry.pixel_to_focal_plane(x0 + 63, y0 + 31))
    assert far_column < column
    assert far_row < row
    assert geometry.pixel_to_focal_plane(0, 0) == pytest.approx(
        (206.39704470738442, -135.24905414185918)
    )

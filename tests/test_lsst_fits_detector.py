"""Detector rows (layout versions 0-2), lsst-images detector JSON and the pixel <-> mm affine."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from _afw_archive_writer import Cat, Obj, write_archive_exposure
from astropy.io import fits

from skybkg_adapters import BBox
from skybkg_adapters.errors import FormatError
from skybkg_adapters.focal_plane import DetectorGeometry
from skybkg_adapters.lsst_fits.archive import read_archive, read_detector
from skybkg_adapters.lsst_images import detector_geometry_from_json, read_detector_json

JACOBIAN = [
    [-0.014999999918944273, 1.5593818706775969e-06],
    [-1.5593818706775969e-06, -0.014999999918944273],
]
ORIGIN_MM = (206.39704470738442, -135.24905414185918)
FP_POSITION = (191.0478, -166.56315)


def test_calexp_detector_row(afw_calexp):
    record = read_detector(afw_calexp)
    assert (record.name, record.id, record.type, record.serial) == ("1_42", 4, "SCIENCE", "4")
    assert (record.physical_type, record.version, record.transform_map_id) == ("CCD", 2, 4)
    assert record.bbox == BBox(0, 0, 2048, 4176)
    assert (record.bbox.max_x, record.bbox.max_y) == (2047, 4175)
    assert record.pixel_size == (0.015, 0.015)
    np.testing.assert_allclose(record.fp_position, (*FP_POSITION, 0.0), rtol=1e-15)
    assert record.ref_point == (1023.5, 2087.5)
    assert record.yaw == 3.141696612381359
    np.testing.assert_allclose(math.degrees(record.yaw), 180.0059564, rtol=1e-9)
    assert record.pitch == record.roll == 0.0


def test_calexp_pixel_to_focal_plane(afw_calexp):
    geometry = read_detector(afw_calexp).geometry()
    np.testing.assert_allclose(geometry.jacobian, JACOBIAN, rtol=1e-15)
    np.testing.assert_allclose(geometry.translation, ORIGIN_MM, rtol=1e-15)
    fx, fy = geometry.pixel_to_focal_plane([0.0, 2047.0, 1023.5], [0.0, 4175.0, 2087.5])
    np.testing.assert_allclose(fx, [ORIGIN_MM[0], 175.69855529, FP_POSITION[0]], atol=5e-9)
    np.testing.assert_allclose(fy, [ORIGIN_MM[1], -197.87724586, FP_POSITION[1]], atol=5e-9)
    x, y = geometry.focal_plane_to_pixel(fx, fy)
    np.testing.assert_allclose(x, [0.0, 2047.0, 1023.5], atol=1e-9)
    np.testing.assert_allclose(y, [0.0, 4175.0, 2087.5], atol=1e-9)


def _ast_numbers(text: str, names) -> list[float]:
    return [float(re.search(rf"\b{name} = (\S+)", text).group(1)) for name in names]


def test_calexp_affine_equals_the_stored_ast_mapping(afw_calexp):
    # The archive's TransformMap holds FocalPlane -> Pixels for 1_42 as AST text: an inverted
    # WinMap (Sft = fp of pixel 0,0) then an inverted MatrixMap (M = mm per pixel).
    archive = read_archive(afw_calexp)
    [connection] = [
        row
        for row in archive.get(4).rows()
        if row["fromSysName"] == "FocalPlane"
        and row["toSysName"] == "Pixels"
        and row["toSysDetectorName"] == "1_42"
    ]
    text = archive.get(connection["transform"]).row()["bytes"].decode()
    assert "Begin WinMap" in text
    assert "Begin MatrixMap" in text
    shift = _ast_numbers(text, ["Sft1", "Sft2"])
    matrix = np.reshape(_ast_numbers(text, ["M0", "M1", "M2", "M3"]), (2, 2))
    geometry = read_detector(archive).geometry()
    np.testing.assert_allclose(geometry.translation, shift, rtol=1e-15)
    np.testing.assert_allclose(geometry.jacobian, matrix, rtol=1e-15, atol=1e-21)


def test_corners_are_outer_pixel_edges(afw_calexp):
    geometry = read_detector(afw_calexp).geometry()
    corners = geometry.corners_mm()
    assert corners.shape == (4, 2)
    expected = np.column_stack(
        geometry.pixel_to_focal_plane([-0.5, 2047.5, 2047.5, -0.5], [-0.5, -0.5, 4175.5, 4175.5])
    )
    np.testing.assert_allclose(corners, expected, rtol=1e-15)
    np.testing.assert_allclose(corners.mean(axis=0), FP_POSITION, rtol=1e-12)
    # yaw ~ 180 deg: the pixel-box minimum corner lands near the largest focal-plane x and y.
    np.testing.assert_allclose(corners[0], (206.40454393, -135.24155336), atol=5e-9)
    np.testing.assert_allclose(corners[2], (175.69105607, -197.88474664), atol=5e-9)


# file: (layout version, physicalType, name, serial)
LAYOUTS = {
    "afw__exposure-noversion.fits": (0, "", "detector 1", "xkcd722"),
    "afw__exposure-version-1.fits": (0, "", "detector 1", "xkcd722"),
    "afw__exposure-version-2.fits": (1, "CCD", "detector 1", "xkcd722"),
    "obs_base__calexp.fits": (2, "CCD", "1_42", "4"),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_detector_layout_versions(realdata, name):
    version, physical_type, detector_name, serial = LAYOUTS[name]
    archive = read_archive(realdata / name)
    record = read_detector(archive)
    assert (record.version, record.physical_type, record.name, record.serial) == (
        version,
        physical_type,
        detector_name,
        serial,
    )
    row = archive.component("DETECTOR").row()
    assert ("fpPosition_z" in row, "physicalType" in row) == (version == 2, version >= 1)
    assert record.fp_position[2] == 0.0


def test_afw_test_detector_geometry(realdata):
    geometry = read_detector(realdata / "afw__exposure-version-2.fits").geometry()
    assert geometry.bbox == BBox(0, 0, 10, 10)
    assert geometry.pixel_size == (0.02, 0.02)
    np.testing.assert_allclose(geometry.pixel_to_focal_plane(0.0, 0.0), (0.01, 0.01), rtol=1e-15)
    np.testing.assert_allclose(geometry.pixel_to_focal_plane(-0.5, -0.5), (0.0, 0.0), atol=1e-17)


def test_files_without_a_detector(realdata):
    assert read_detector(realdata / "meas_modelfit__calexp.fits") is None


def test_lsst_images_detector_json(realdata):
    path = realdata / "lsst_images" / "detector_source.json"
    geometry = read_detector_json(path)
    assert (geometry.name, geometry.id, geometry.physical_type) == ("R21_S11", 85, "E2V")
    assert geometry.bbox == BBox(0, 0, 4096, 4004)  # half-open stop 4096 -> max x 4095
    assert geometry.pixel_size == (0.01, 0.01)
    np.testing.assert_allclose(geometry.jacobian, [[0.01, 0.0], [0.0, 0.01]], rtol=1e-15)
    np.testing.assert_allclose(
        geometry.pixel_to_focal_plane(2047.5, 2001.5), (-127.0, 0.0), atol=1e-12
    )
    # The same file's AST FrameSet: pixel -> FOCAL_PLANE is a WinMap with these shifts/scales.
    ast = json.loads(path.read_text())["frames"]["ast"]
    sft1, scl1, sft2, scl2 = _ast_numbers(ast, ["Sft1", "Scl1", "Sft2", "Scl2"])
    np.testing.assert_allclose(geometry.affine, [[scl1, 0.0, sft1], [0.0, scl2, sft2]], rtol=1e-15)


def test_detector_embedded_in_an_lsst_images_file(realdata):
    with fits.open(realdata / "lsst_images" / "visit_01_typical.fits") as hdul:
        tree = json.loads(bytes(hdul["JSON"].data[0]["JSON"]))
    embedded = detector_geometry_from_json(tree)
    assert embedded == read_detector_json(realdata / "lsst_images" / "detector_source.json")
    assert detector_geometry_from_json(tree["detector"]["attributes"]) == embedded


def _node(**orientation):
    base = {
        "focal_plane_x": 10.0,
        "focal_plane_y": -5.0,
        "pixel_reference_x": 49.5,
        "pixel_reference_y": 24.5,
        "yaw": {"value": 0.0, "unit": "rad"},
        "pitch": {"value": 0.0, "unit": "rad"},
        "roll": {"value": 0.0, "unit": "rad"},
    }
    base.update(orientation)
    return {
        "attributes": {
            "name": "X",
            "id": 3,
            "bbox": {"x": {"start": 0, "stop": 100}, "y": {"start": 0, "stop": 50}},
            "orientation": base,
            "pixel_size": 0.01,
        }
    }


def test_json_angle_units():
    geometry = detector_geometry_from_json(_node(yaw={"value": 90.0, "unit": "deg"}))
    np.testing.assert_allclose(geometry.jacobian, [[0.0, -0.01], [0.01, 0.0]], atol=1e-18)
    fx, fy = geometry.pixel_to_focal_plane(50.5, 24.5)  # one pixel +x from the reference
    np.testing.assert_allclose((fx, fy), (10.0, -4.99), atol=1e-12)


def test_json_pixel_size_with_unit():
    node = _node()
    node["attributes"]["pixel_size"] = {"value": 10.0, "unit": "um"}
    assert detector_geometry_from_json(node).pixel_size == (0.01, 0.01)


@pytest.mark.parametrize(
    ("change", "message", "key"),
    [
        (
            lambda n: n["attributes"]["orientation"].pop("focal_plane_x"),
            "no 'focal_plane_x'",
            "focal_plane_x",
        ),
        (lambda n: n["attributes"]["orientation"].update(yaw=0.0), "'yaw' = 0.0 should be", "yaw"),
        (
            lambda n: n["attributes"]["orientation"].update(yaw={"value": 1, "unit": "m"}),
            "unit m, not an angle",
            "yaw",
        ),
        (
            lambda n: n["attributes"]["orientation"].update(roll={"value": 1, "unit": "furlong!"}),
            "'roll'",
            "roll",
        ),
        (lambda n: n["attributes"]["bbox"]["x"].pop("stop"), "no 'x.stop'", "x.stop"),
        (
            lambda n: n["attributes"].update(pixel_size={"value": 1, "unit": "s"}),
            "not a length",
            "pixel_size",
        ),
        (
            lambda n: n["attributes"]["orientation"].update(focal_plane_y="0"),
            "is not a number",
            "focal_plane_y",
        ),
    ],
)
def test_bad_json(change, message, key):
    node = _node()
    change(node)
    with pytest.raises(FormatError, match=message) as info:
        detector_geometry_from_json(node, "det.json")
    assert info.value.key == key
    assert info.value.path == "det.json"


def test_json_without_a_detector(tmp_path):
    with pytest.raises(FormatError, match="no detector here"):
        detector_geometry_from_json({"image": {}})
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON"):
        read_detector_json(path)


def test_geometry_round_trips_with_pitch_and_roll():
    rng = np.random.default_rng(3)
    geometry = DetectorGeometry.from_orientation(
        "D",
        1,
        BBox(0, 0, 100, 200),
        (0.01, 0.012),
        (5.0, -3.0),
        (49.5, 99.5),
        yaw=0.3,
        pitch=0.02,
        roll=-0.01,
    )
    x, y = rng.uniform(-50, 250, (2, 100))
    back = geometry.focal_plane_to_pixel(*geometry.pixel_to_focal_plane(x, y))
    np.testing.assert_allclose(back, (x, y), atol=1e-9)
    np.testing.assert_allclose(geometry.pixel_to_focal_plane(49.5, 99.5), (5.0, -3.0), atol=1e-14)
    cy, sy, cp, sp, cr, sr = (
        math.cos(0.3),
        math.sin(0.3),
        math.cos(0.02),
        math.sin(0.02),
        math.cos(-0.01),
        math.sin(-0.01),
    )
    rotation = [[cy * cp, cy * sp * sr - cr * sy], [cp * sy, cy * cr + sy * sp * sr]]
    np.testing.assert_allclose(geometry.jacobian, np.array(rotation) * [0.01, 0.012], rtol=1e-15)


def test_geometry_is_a_plain_record():
    geometry = DetectorGeometry(
        "D", 1, BBox(0, 0, 2, 2), (1.0, 1.0), ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    )
    assert hash(geometry) == hash(
        DetectorGeometry("D", 1, BBox(0, 0, 2, 2), (1, 1), [[1, 0, 0], [0, 1, 0]])
    )
    with pytest.raises(ValueError, match="singular"):
        DetectorGeometry("D", 1, BBox(0, 0, 2, 2), (1.0, 1.0), ((1, 1, 0), (1, 1, 0)))
    with pytest.raises(ValueError, match="2x3 finite"):
        DetectorGeometry("D", 1, BBox(0, 0, 2, 2), (1.0, 1.0), ((1, 0), (0, 1)))


def _detector_row(**changes):
    row = {
        "name": "D",
        "id": 1,
        "type": 0,
        "serial": "s",
        "bbox_min_x": 0,
        "bbox_min_y": 0,
        "bbox_max_x": 9,
        "bbox_max_y": 9,
        "pixelSize_x": 0.01,
        "pixelSize_y": 0.01,
        "fpPosition_x": 0.0,
        "fpPosition_y": 0.0,
        "refPoint_x": 4.5,
        "refPoint_y": 4.5,
        "yaw": 0.0,
        "pitch": 0.0,
        "roll": 0.0,
        "transformMap": 0,
        "physicalType": "ITL",
    }
    row.update(changes)
    return row


@pytest.mark.parametrize(
    ("row", "message", "key"),
    [
        (_detector_row(type=7), "has type 7; afw knows 0 to 3", "type"),
        (_detector_row(version=5), "layout version 5", "version"),
    ],
)
def test_malformed_detector_rows(tmp_path, row, message, key):
    path = write_archive_exposure(
        tmp_path / "det.fits", [Obj(1, "Detector", [Cat([row])])], components={"DETECTOR": 1}
    )
    with pytest.raises(FormatError, match=message) as info:
        read_detector(path)
    assert info.value.key == key


def test_detector_id_pointing_elsewhere(tmp_path):
    path = write_archive_exposure(
        tmp_path / "det.fits", [Obj(1, "Polygon", [Cat([{"a": 1}])])], components={"DETECTOR": 1}
    )
    with pytest.raises(FormatError, match="is a 'Polygon', not a 'Detector'"):
        read_detector(path)

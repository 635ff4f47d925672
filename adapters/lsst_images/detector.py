"""The ``detector`` entry of a Rubin lsst-images (DP2) file, as a focal-plane geometry."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from astropy import units as u

from ..errors import FormatError
from ..focal_plane import DetectorGeometry
from ..geometry import BBox

__all__ = ["detector_geometry_from_json", "detector_json", "read_detector_json"]


def detector_geometry_from_json(
    node: Mapping[str, Any],
    source: str | os.PathLike = "<detector JSON>",
    node_path: str | None = None,
) -> DetectorGeometry:
    """The geometry of an lsst-images (DP2) ``detector`` JSON node.

    ``node`` may be the detector node (with ``attributes``), its ``attributes``, or a whole
    image tree with a ``detector`` key. The bbox there is half-open (``stop`` excluded);
    angles are ``{"value", "unit"}`` (any astropy angle unit); ``pixel_size`` is in mm, a bare
    number (as lsst-images writes it) or ``{"value", "unit"}``. ``node_path`` is where the
    detector node sits in the file's tree (e.g. ``"detector"``): errors then name the JSON
    node at fault as well as the key.
    """
    try:
        return _geometry(node, source)
    except FormatError as exc:
        if node_path is None:
            raise
        where = f"{node_path}.attributes" + (f".{exc.key}" if exc.key else "")
        raise FormatError(exc.path, exc.problem, key=exc.key, node=where) from None


def _geometry(node: Mapping[str, Any], source) -> DetectorGeometry:
    attributes = _attributes(node, source)
    orientation = _get(attributes, "orientation", source)
    box = _get(attributes, "bbox", source)
    bbox = BBox.from_half_open(
        _get(box, "x.start", source),
        _get(box, "x.stop", source),
        _get(box, "y.start", source),
        _get(box, "y.stop", source),
    )
    size = _length_mm(_get(attributes, "pixel_size", source), source)
    return DetectorGeometry.from_orientation(
        str(_get(attributes, "name", source)),
        int(_get(attributes, "id", source)),
        bbox,
        (size, size),
        (
            _number(orientation, "focal_plane_x", source),
            _number(orientation, "focal_plane_y", source),
        ),
        (
            _number(orientation, "pixel_reference_x", source),
            _number(orientation, "pixel_reference_y", source),
        ),
        yaw=_angle_rad(orientation, "yaw", source),
        pitch=_angle_rad(orientation, "pitch", source),
        roll=_angle_rad(orientation, "roll", source),
        physical_type=str(attributes.get("physical_type", "")),
    )


def detector_json(geometry: DetectorGeometry) -> dict[str, Any]:
    """The lsst-images ``detector.attributes`` node of a geometry (pitch = roll = 0).

    The reference pixel is the bbox centre and the focal-plane position the affine's image
    of it; the yaw comes from the affine's rotation. Raises ValueError for an affine that is
    not a rotation of the pixel grid (tilted detectors need pitch/roll, which the affine
    alone does not determine).
    """
    (a, b, tx), (c, d, ty) = geometry.affine
    px, py = geometry.pixel_size
    yaw = math.atan2(c, a)
    rebuilt = DetectorGeometry.from_orientation(
        geometry.name,
        geometry.id,
        geometry.bbox,
        geometry.pixel_size,
        (0.0, 0.0),
        (0.0, 0.0),
        yaw,
    )
    if not np.allclose(rebuilt.jacobian, geometry.jacobian, rtol=0, atol=1e-12 * max(px, py)):
        raise ValueError(
            f"detector {geometry.name} has an affine {geometry.affine} that is not a rotation "
            "of its pixel grid; its lsst-images node needs the pitch and roll it came from"
        )
    ref_x, ref_y = geometry.bbox.center
    fx, fy = geometry.pixel_to_focal_plane(ref_x, ref_y)
    box = geometry.bbox
    return {
        "name": geometry.name,
        "id": geometry.id,
        "bbox": {"y": {"start": box.y0, "stop": box.y1}, "x": {"start": box.x0, "stop": box.x1}},
        "orientation": {
            "focal_plane_x": float(fx),
            "focal_plane_y": float(fy),
            "focal_plane_z": 0.0,
            "pixel_reference_x": float(ref_x),
            "pixel_reference_y": float(ref_y),
            "yaw": {"value": yaw, "unit": "rad"},
            "pitch": {"value": 0.0, "unit": "rad"},
            "roll": {"value": 0.0, "unit": "rad"},
        },
        "pixel_size": px,
        "physical_type": geometry.physical_type,
    }


def read_detector_json(path: str | os.PathLike) -> DetectorGeometry:
    """The geometry of the detector in an lsst-images JSON file (e.g. ``detector_source.json``)."""
    try:
        with open(path, encoding="utf-8") as stream:
            node = json.load(stream)
    except json.JSONDecodeError as exc:
        raise FormatError(path, f"not valid JSON ({exc})") from None
    return detector_geometry_from_json(node, path)


def _attributes(node: Mapping[str, Any], source) -> Mapping[str, Any]:
    if not isinstance(node, Mapping):
        raise FormatError(
            source, f"a detector JSON node must be an object; got {type(node).__name__}"
        )
    if "attributes" in node:
        return _attributes(node["attributes"], source)
    if "detector" in node:
        return _attributes(node["detector"], source)
    if "orientation" in node:
        return node
    raise FormatError(
        source,
        f"no detector here: expected 'attributes' with 'orientation' (keys: {', '.join(node)})",
    )


def _get(node: Mapping[str, Any], dotted: str, source) -> Any:
    value: Any = node
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise FormatError(source, f"detector JSON has no {dotted!r}", key=dotted)
        value = value[part]
    return value


def _number(node: Mapping[str, Any], name: str, source) -> float:
    value = _get(node, name, source)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(source, f"detector JSON {name!r} = {value!r} is not a number", key=name)
    return float(value)


def _quantity(value: Any, name: str, source) -> u.Quantity:
    if not (isinstance(value, Mapping) and "value" in value and "unit" in value):
        raise FormatError(
            source,
            f"detector JSON {name!r} = {value!r} should be {{'value': ..., 'unit': ...}}",
            key=name,
        )
    try:
        return u.Quantity(float(value["value"]), u.Unit(value["unit"]))
    except (TypeError, ValueError) as exc:
        raise FormatError(source, f"detector JSON {name!r} = {value!r}: {exc}", key=name) from None


def _angle_rad(node: Mapping[str, Any], name: str, source) -> float:
    quantity = _quantity(_get(node, name, source), name, source)
    try:
        return float(quantity.to_value(u.rad))
    except u.UnitConversionError:
        raise FormatError(
            source, f"detector JSON {name!r} has unit {quantity.unit}, not an angle", key=name
        ) from None


def _length_mm(value: Any, source) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    quantity = _quantity(value, "pixel_size", source)
    try:
        return float(quantity.to_value(u.mm))
    except u.UnitConversionError:
        raise FormatError(
            source,
            f"detector JSON 'pixel_size' has unit {quantity.unit}, not a length",
            key="pixel_size",
        ) from None

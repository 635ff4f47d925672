"""Reading Rubin's lsst-images files (DP2 ``visit_image``, ``deep_coadd``, background maps).

Only astropy and numpy are used. The image plane is read at open; the mask, the variance,
the photometric scaling's and backgrounds' grids stored in their own HDUs, and the detector
are read on first use. Every failure is a :class:`~skybkg_adapters.FormatError` naming the
file, and the HDU and JSON node at fault.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import astropy.units as u
import numpy as np
from astropy.io import fits

from ..container import BackgroundMap, BackgroundModel, Provenance, SkyImage
from ..errors import FormatError
from ..geometry import BBox
from ..lsst_fits.headers import merge_metadata, read_wcs
from ..units import PhotometricScaling
from ._archive import Archive, ArrayRef, damage_as_error, open_archive, probe
from ._tree import NewerSchemaWarning, Node
from .detector import detector_geometry_from_json
from .fields import ChebyshevField, Field, ProductField, SplineField, SumField

__all__ = [
    "FIELD_TYPES",
    "SCHEMAS",
    "NewerSchemaWarning",
    "is_lsst_images",
    "read_lsst_images",
    "read_lsst_images_backgrounds",
    "read_lsst_images_exposure",
]

SCHEMAS = {
    "visit_image": "VisitImage",
    "cell_coadd": "CellCoadd",
    "background_map": "BackgroundMap",
}
"""lsst-images schema name -> its class: what this reader reads."""
FIELD_TYPES = ("SPLINE", "CHEBYSHEV", "SUM", "PRODUCT")
"""Field types this reader renders."""
_MAX_MASK_PLANES = 31  # planes per int32 mask HDU (lsst-images never uses the sign bit)


def is_lsst_images(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an lsst-images FITS file, judged by content (its primary header).

    True when the primary header has ``FMTVER`` and ``DATAMODL``; the file name is not
    looked at, and a damaged or cut-down file that claims the format is still one (reading
    it then says what is wrong). Raises FileNotFoundError for a missing file.
    """
    return probe(path)


def read_lsst_images(path: str | os.PathLike) -> SkyImage | BackgroundMap:
    """Read a ``VisitImage`` or ``CellCoadd`` (a SkyImage) or a background map file.

    Raises
    ------
    FileNotFoundError
        No such file.
    FormatError
        Anything else; the message names the file, HDU and JSON node at fault.
    """
    archive, root, name = _open(path)
    if name == "background_map":
        return _backgrounds(archive, root, Provenance(str(archive.path), uri=str(archive.path)))
    return _read_image(archive, root, name)


def read_lsst_images_exposure(path: str | os.PathLike) -> SkyImage:
    """The image of a ``VisitImage``/``CellCoadd`` file; FormatError for a background map."""
    product = read_lsst_images(path)
    if isinstance(product, BackgroundMap):
        raise FormatError(
            path,
            "is a standalone background map (no image); open it with open_product or "
            "read_lsst_images_backgrounds",
        )
    return product


def read_lsst_images_backgrounds(path: str | os.PathLike) -> BackgroundMap:
    """The named backgrounds of any lsst-images file: an image's, or a standalone map."""
    archive, root, name = _open(path)
    provenance = Provenance(str(archive.path), uri=str(archive.path))
    node = root if name == "background_map" else root["backgrounds"]
    return _backgrounds(archive, node, provenance)


def _open(path: str | os.PathLike) -> tuple[Archive, Node, str]:
    archive = open_archive(path)
    root = archive.tree
    name = root.check_version()
    if name is None or name not in SCHEMAS:
        url = root.mapping().get("schema_url", archive.primary.get("DATAMODL"))
        raise root.error(f"schema {url!r} is not one this reader supports ({', '.join(SCHEMAS)})")
    return archive, root, name


def _read_image(archive: Archive, root: Node, name: str) -> SkyImage:
    path = str(archive.path)
    image_node = root["image"]
    image_node.check_version()
    ref, unit = _quantity_ref(archive, image_node["data"])
    if len(ref.shape) != 2:
        raise image_node["data"].error(f"the image must be 2-d; the tree says shape {ref.shape}")
    image = archive.loader(ref, np.float32)()
    yx0 = image_node["yx0"]
    xy0 = (yx0[1].integer(), yx0[0].integer())
    header = archive.header(ref) if ref.index is not None else fits.Header()

    variance_node = root["variance"]
    variance_node.check_version()
    variance_ref, _ = _quantity_ref(archive, variance_node["data"])
    _same_shape(variance_ref, ref, variance_node)
    mask_planes, mask_load = _mask(archive, root["mask"], ref)

    provenance = Provenance(path, uri=path)
    scaling = root.get("photometric_scaling")
    return SkyImage(
        image,
        mask_load,
        archive.loader(variance_ref, np.float32),
        mask_planes=mask_planes,
        xy0=xy0,
        wcs=_wcs(archive, header, ref),
        metadata=merge_metadata(archive.primary, header),
        unit=unit,
        provenance=provenance,
        backgrounds=_backgrounds(archive, root["backgrounds"], provenance),
        photometric_scaling=None if scaling is None else _scaling(archive, scaling),
        band=_optional_str(root.get("band")),
        detector=_detector(archive, root.get("detector")),
        ids=_ids(root),
        tree=MappingProxyType(root.mapping()),
    )


def _quantity_ref(archive: Archive, node: Node) -> tuple[ArrayRef, u.UnitBase | None]:
    """An array node, possibly wrapped as ``{"value": array, "unit": "nJy"}``."""
    if node.has("value") and node.has("unit"):
        return archive.array_ref(node["value"]), node["unit"].unit()
    return archive.array_ref(node), None


def _same_shape(ref: ArrayRef, image: ArrayRef, node: Node) -> None:
    if ref.shape != image.shape:
        raise node.error(f"array shape {ref.shape} differs from the image's {image.shape}")


def _wcs(archive: Archive, header: fits.Header, ref: ArrayRef) -> Any:
    """The image HDU's celestial FITS WCS (0-based array indices), or None without one."""
    with damage_as_error(archive.path, "parsing the image WCS", hdu=ref.index, node=ref.node):
        return read_wcs(header, f"{archive.path}, HDU {ref.index}")


def _mask(archive: Archive, node: Node, image: ArrayRef) -> tuple[dict[str, int], Callable]:
    """Plane name -> bit (in the order of the schema, as written) and a loader of the bits."""
    node.check_version()
    refs = node["data"].items()
    planes: dict[str, int] = {}
    for plane in node["planes"].items():
        if plane.value is None:  # a placeholder: takes no bit on disk
            continue
        name = plane["name"].text()
        if name in planes:
            raise plane["name"].error(f"mask plane {name!r} is listed twice")
        planes[name] = len(planes)
    if len(refs) != 1 or len(planes) > _MAX_MASK_PLANES:
        raise node["data"].error(
            f"{len(planes)} mask planes in {len(refs)} arrays; this reader supports one int32 "
            f"array of at most {_MAX_MASK_PLANES} planes"
        )
    ref = archive.array_ref(refs[0])
    if ref.dtype != np.int32:
        raise refs[0].error(f"mask array is {ref.dtype}; lsst-images writes int32 in FITS")
    _same_shape(ref, image, refs[0])
    return planes, archive.loader(ref, np.int32)


def _optional_str(node: Node | None) -> str | None:
    return None if node is None else node.text()


def _ids(root: Node) -> dict[str, Any]:
    """Observation identifiers: instrument/visit/detector, or skymap/tract/patch."""
    ids: dict[str, Any] = {}
    obs = root.get("obs_info")
    if obs is not None:
        for key, source in (
            ("instrument", "instrument"),
            ("visit", "visit_id"),
            ("exposure", "exposure_id"),
            ("detector", "detector_num"),
            ("physical_filter", "physical_filter"),
        ):
            value = obs.get(source)
            if value is not None:
                ids[key] = (
                    value.text() if key in ("instrument", "physical_filter") else value.integer()
                )
    patch = root.get("patch")
    if patch is not None:
        ids["patch"] = patch["id"].integer()
    projection = root.get("sky_projection")
    frames = projection.get("pixel_to_sky") if projection else None
    frames = frames.get("frames") if frames else None
    if frames is not None and frames.sequence() and isinstance(frames.value[0], dict):
        frame = frames[0]
        for key in ("skymap", "tract", "instrument", "visit", "detector"):
            value = frame.get(key)
            if value is not None and key not in ids:
                ids[key] = value.text() if key in ("skymap", "instrument") else value.integer()
    return ids


def _detector(archive: Archive, node: Node | None) -> Callable[[], Any] | None:
    """A loader of the detector's geometry (read on first use), or None without one."""
    if node is None:
        return None
    node.check_version()
    value, path = node.mapping(), archive.path
    return lambda: detector_geometry_from_json(value, path, node_path=node.path)


def _scaling(archive: Archive, node: Node) -> PhotometricScaling:
    field = _field(archive, node)
    if field.unit is None:
        raise node.error("the photometric scaling has no unit; lsst-images requires one")
    constant = None
    if isinstance(field, ChebyshevField) and field.coefficients.shape == (1, 1):
        constant = float(field.coefficients[0, 0])
    return PhotometricScaling(
        field.unit,
        constant=constant,
        field=None if constant is not None else field,
        origin="the file's photometric_scaling",
    )


def _backgrounds(archive: Archive, node: Node, provenance: Provenance) -> BackgroundMap:
    node.check_version()
    fields = {name: _field(archive, value) for name, value in node["fields"].members().items()}
    descriptions: dict[str, str] = {}
    described = node.get("descriptions")
    for name, text in (described.members() if described else {}).items():
        if name not in fields:
            raise text.error(f"describes {name!r}, which is not one of {sorted(fields)}")
        descriptions[name] = text.text()
    subtracted = node.get("subtracted")
    chosen = subtracted.text() if subtracted else None
    if chosen is not None and chosen not in fields:
        assert subtracted is not None
        raise subtracted.error(f"subtracted names {chosen!r}, not one of {sorted(fields)}")
    models = {
        name: BackgroundModel.from_field(
            field, name=name, description=descriptions.get(name, ""), provenance=provenance
        )
        for name, field in fields.items()
    }
    return BackgroundMap(models, chosen, provenance)


def _field(archive: Archive, node: Node) -> Field:
    """One node of a field tree (recursively for SUM and PRODUCT)."""
    node.check_version()
    kind = node["field_type"].text()
    try:
        if kind == "SPLINE":
            ref = archive.array_ref(node["data"])
            x = _vector(archive, node["x"])
            y = _vector(archive, node["y"])
            if ref.shape != (y.size, x.size):
                raise node["data"].error(
                    f"grid shape {ref.shape} does not match {y.size} y and {x.size} x bin centres"
                )
            data = ref.data if ref.data is not None else archive.loader(ref, np.float64)
            unit = node["unit"].unit() if node.has("unit") else None
            return SplineField(_bounds(node["bounds"]), x, y, data, unit)
        if kind == "CHEBYSHEV":
            ref = archive.array_ref(node["coefficients"])
            unit = node["unit"].unit() if node.has("unit") else None
            return ChebyshevField(_bounds(node["bounds"]), archive.loader(ref)(), unit)
        if kind in ("SUM", "PRODUCT"):
            operands = tuple(_field(archive, item) for item in node["operands"].items())
            return (SumField if kind == "SUM" else ProductField)(operands)
    except FormatError:
        raise
    except ValueError as exc:
        raise node.error(f"invalid {kind} field: {exc}") from None
    raise node["field_type"].error(
        f"field_type {kind!r} is not supported; this reader supports {', '.join(FIELD_TYPES)}"
    )


def _vector(archive: Archive, node: Node) -> np.ndarray:
    ref = archive.array_ref(node)
    if len(ref.shape) != 1:
        raise node.error(f"expected a 1-d array, found shape {ref.shape}")
    return archive.loader(ref, np.float64)()


def _box(node: Node) -> BBox:
    """A ``{"y": {"start", "stop"}, "x": {"start", "stop"}}`` box."""
    y, x = node["y"], node["x"]
    box = BBox.from_half_open(
        x["start"].integer(), x["stop"].integer(), y["start"].integer(), y["stop"].integer()
    )
    if box.is_empty:
        raise node.error(f"box {tuple(box)} (x0, y0, width, height) is empty")
    return box


def _bounds(node: Node) -> BBox:
    """A field's bounds, as the integer box lsst-images renders over (``bounds.bbox``).

    Boxes, polygons (``{"type": "Polygon", "coordinates"}``: vertices may sit up to half a
    pixel outside the box) and cell-grid bounds (their ``bbox``) are supported.
    """
    spec = node.mapping()
    if "y" in spec and "x" in spec:
        return _box(node)
    if spec.get("type") == "Polygon":
        ring = node["coordinates"][0]
        xs = [point[0].number() for point in ring.items()]
        ys = [point[1].number() for point in ring.items()]
        if not xs:
            raise node.error("polygon has no vertices")
        # lsst-images Polygon.bbox: round half up at the low end, half down at the high end
        x0, x1 = int(np.floor(min(xs) + 0.5)), int(np.ceil(max(xs) - 0.5)) + 1
        y0, y1 = int(np.floor(min(ys) + 0.5)), int(np.ceil(max(ys) - 0.5)) + 1
        box = BBox.from_half_open(x0, x1, y0, y1)
        if box.is_empty:
            raise node.error(f"polygon bounds {tuple(box)} are empty")
        return box
    if "grid" in spec and "bbox" in spec:
        return _box(node["bbox"])
    raise node.error(
        "bounds are not a box {'y', 'x'}, a Polygon or cell-grid bounds; this reader supports "
        "only those"
    )

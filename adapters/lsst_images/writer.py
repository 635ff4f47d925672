"""Writing lsst-images FITS files: a visit image or coadd with its backgrounds, or a map.

The layout is lsst-images' own (see the README of the real files): an empty primary HDU
with ``FMTVER``/``DATAMODL`` and the byte addresses of the ``JSON`` and ``INDEX`` HDUs, the
array HDUs (named by their tree path, upper case, ``EXTVER`` counting repeats), the JSON
tree, and the INDEX table. Arrays are losslessly GZIP_2 tile-compressed one row per tile,
as lsst-images does by default, or written plain.

An image read from an lsst-images file keeps the nodes this package does not model (sky
projection, PSF, summary statistics, ...) in ``SkyImage.tree``; they are carried over, so
lsst-images reads the file again. An image built here (e.g. from an afw calexp) gets the
nodes this package models (pixels, mask, backgrounds, photometric scaling, detector,
identifiers) and its FITS WCS in the image header; it has no AST sky projection or PSF, so
our reader reads it and lsst-images does not.

Every HDU is serialised on its own first, so all byte addresses are known before the file
is assembled; the file appears under its name complete or not at all.
"""

from __future__ import annotations

import copy
import io
import json
import os
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning

from ..atomic import atomic_output
from ..container import BackgroundMap, SkyImage
from ..geometry import BBox
from ..lsst_fits.headers import metadata_cards
from ..lsst_fits.tiles import compress_row_tiles
from ..units import PhotometricScaling
from ._archive import FORMAT_VERSION, open_archive
from ._tree import Node
from .detector import detector_json
from .fields import ChebyshevField, Field, ProductField, SplineField, SumField

__all__ = ["Compression", "write_lsst_images"]

Compression = Literal["GZIP_2"] | None
"""``"GZIP_2"`` (lossless, one row per tile) or None (plain image HDUs)."""

_SCHEMAS = "https://images.lsst.io/schemas"
_URLS = {
    "visit_image": f"{_SCHEMAS}/visit_image-1.1.0",
    "cell_coadd": f"{_SCHEMAS}/cell_coadd-1.0.0",
    "background_map": f"{_SCHEMAS}/background_map-1.0.0",
}
# lsst-images names nested arrays by their path; the coadd's background prefix is singular
_BACKGROUND_PREFIX = {"visit_image": "BACKGROUNDS/", "cell_coadd": "BACKGROUND/"}
_INLINE_MAX = 64  # lsst-images stores a spline grid inline up to this many values
_BLOCK = 2880


def _versioned(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` framed as lsst-images frames every node: versions first, schema URL last."""
    return {
        "schema_version": "1.0.0",
        "min_read_version": 1,
        **body,
        "schema_url": f"{_SCHEMAS}/{name}-1.0.0",
    }


def _unit_string(unit: u.UnitBase | None) -> str | None:
    """lsst-images' unit spelling: VOUnit where it can, astropy's generic format otherwise."""
    if unit is None:
        return None
    try:
        return unit.to_string("vounit")
    except ValueError:
        return unit.to_string()


def _box(box: BBox) -> dict[str, Any]:
    return {"y": {"start": box.y0, "stop": box.y1}, "x": {"start": box.x0, "stop": box.x1}}


def _inline(array: np.ndarray) -> dict[str, Any]:
    return {"data": np.asarray(array).tolist(), "datatype": np.asarray(array).dtype.name}


class _Arrays:
    """The array HDUs of the file being written, in order, with lsst-images' naming."""

    def __init__(self, compression: Compression):
        self.compression = compression
        self.hdus: list[fits.ImageHDU | fits.CompImageHDU | fits.BinTableHDU] = []
        self._count: dict[str, int] = {}

    def add(
        self,
        name: str,
        array: np.ndarray,
        header: fits.Header | None = None,
        *,
        tile_rows: bool = True,
    ) -> dict[str, Any]:
        """Add an HDU for ``array`` under ``name``; return its JSON reference."""
        name = name.upper()
        ver = self._count[name] = self._count.get(name, 0) + 1
        array = np.ascontiguousarray(array)
        # only metadata: the structure (BITPIX, NAXISn, compression) is this HDU's own
        header = fits.Header(list(metadata_cards(header)) if header is not None else [])
        header["EXTNAME"] = name
        if ver > 1:
            header["EXTVER"] = ver
        header["DATE"] = (_now(), "UTC date this HDU was written.")
        hdu: fits.ImageHDU | fits.CompImageHDU | fits.BinTableHDU
        if self.compression is None:
            hdu = fits.ImageHDU(array, header)
        elif tile_rows and array.ndim == 2:
            # the afw writer's deflate (a fast level, in a thread pool); astropy's takes
            # about 5 s per 4k x 4k plane at level 9 for little gain on noisy floats
            del header["EXTNAME"]
            hdu = compress_row_tiles(array, header, name)
        else:
            tile = (1, array.shape[-1]) if tile_rows and array.ndim == 2 else array.shape
            # quantize_level=0 is lossless for floats: astropy then writes NOISEBIT = 0
            hdu = fits.CompImageHDU(
                array,
                header,
                compression_type=self.compression,
                tile_shape=tile,
                quantize_level=0.0,
            )
        self.hdus.append(hdu)
        return {
            "source": f"fits:{name}" + (f",{ver}" if ver > 1 else ""),
            "shape": list(array.shape),
            "datatype": array.dtype.name,
            "byteorder": "big",
        }


def _field_node(field: Field, prefix: str, arrays: _Arrays) -> dict[str, Any]:
    """The JSON node of a field; grids of more than 64 values go to ``{prefix}/DATA``."""
    if isinstance(field, SplineField):
        values = field.values
        data = (
            _inline(values) if values.size <= _INLINE_MAX else arrays.add(f"{prefix}/DATA", values)
        )
        body = {
            "bounds": _box(field.bounds),
            "data": data,
            "y": _inline(field.y),
            "x": _inline(field.x),
            "unit": _unit_string(field.unit),
            "field_type": "SPLINE",
        }
        return _versioned("spline_field", body)
    if isinstance(field, ChebyshevField):
        body = {
            "bounds": _box(field.bounds),
            "coefficients": _inline(field.coefficients),
            "unit": _unit_string(field.unit),
            "field_type": "CHEBYSHEV",
        }
        return _versioned("chebyshev_field", body)
    if isinstance(field, SumField | ProductField):
        name = "sum_field" if isinstance(field, SumField) else "product_field"
        operands = [_field_node(operand, prefix, arrays) for operand in field.operands]
        return _versioned(name, {"operands": operands, "field_type": field.field_type})
    raise TypeError(f"cannot write a {type(field).__name__}; expected an lsst-images field")


def _backgrounds_node(backgrounds: BackgroundMap, prefix: str, arrays: _Arrays) -> dict[str, Any]:
    fields = {}
    for name, model in backgrounds.items():
        if model.field is None:
            raise TypeError(
                f"background {name!r} is an afw BackgroundList, not an lsst-images field; "
                "write it with write_background"
            )
        fields[name] = _field_node(model.field, f"{prefix}FIELDS/{name}", arrays)
    body = {
        "fields": fields,
        "descriptions": dict(backgrounds.descriptions),
        "subtracted": backgrounds.subtracted,
    }
    return _versioned("background_map", body)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _pixel_header(image: SkyImage, unit: u.UnitBase | None) -> fits.Header:
    """BUNIT, the sky WCS and the ``A`` WCS mapping array indices to parent pixels."""
    header = fits.Header()
    if unit is not None:
        header["BUNIT"] = _fits_unit(unit)
    if image.wcs is not None:
        header.extend(image.wcs.to_header(relax=True), update=True)
    for axis, origin in ((1, image.xy0[0]), (2, image.xy0[1])):
        header[f"CTYPE{axis}A"] = "LINEAR"
        header[f"CRPIX{axis}A"] = 1.0
        header[f"CRVAL{axis}A"] = float(origin)
        header[f"CUNIT{axis}A"] = "PIXEL"
    return header


def _fits_unit(unit: u.UnitBase) -> str:
    """BUNIT as lsst-images writes it (``nJy``, ``nJy2``): FITS spelling where there is one."""
    try:
        return unit.to_string("fits")
    except ValueError:
        return _unit_string(unit) or ""


def _framed(original: Mapping[str, Any] | None, schema: str, body: dict[str, Any]) -> dict:
    """``original`` (a node of the source tree) with ``body`` written over it.

    Keys this writer does not know are kept; without an original the node gets
    lsst-images' version frame. Either way the schema URL stays the last key.
    """
    node = dict(original) if original else _versioned(schema, {})
    node.update(body)
    node["schema_url"] = node.pop("schema_url", f"{_SCHEMAS}/{schema}-1.0.0")
    return node


def _image_node(original, ref: dict, unit, xy0) -> dict[str, Any]:
    data = ref if unit is None else {"value": ref, "unit": _unit_string(unit)}
    return _framed(original, "image", {"data": data, "yx0": [xy0[1], xy0[0]]})


def _schema_of(image: SkyImage) -> str:
    """``visit_image`` or ``cell_coadd``: the tree's own, else by whether it has a detector."""
    source = image.tree or {}
    url = str(source.get("schema_url", ""))
    for name in ("visit_image", "cell_coadd"):
        if f"/{name}-" in url:
            return name
    if url:
        raise ValueError(
            f"this writer writes visit images, cell coadds and background maps; got {url}"
        )
    return "visit_image" if image.has_detector() else "cell_coadd"


def _scaling_node(
    scaling: PhotometricScaling | None, original: Any, image: SkyImage, arrays: _Arrays
) -> dict[str, Any] | None:
    """The ``photometric_scaling`` node: the field itself, or a constant Chebyshev.

    A constant one spans the original node's bounds, else the detector's (lsst-images
    normalises the scaling over the detector), else the image's.
    """
    if scaling is None:
        return None
    if scaling.field is not None:
        if not isinstance(scaling.field, SplineField | ChebyshevField | SumField | ProductField):
            raise TypeError(
                f"the photometric scaling ({scaling.describe()}) is not an lsst-images field; "
                "only constant or lsst-images scalings can be written"
            )
        return _field_node(scaling.field, "PHOTOMETRIC_SCALING", arrays)
    if isinstance(original, Mapping) and "bounds" in original:
        bounds = original["bounds"]
    elif image.has_detector() and image.detector is not None:
        bounds = _box(image.detector.bbox)
    else:
        bounds = _box(image.bbox)
    body = {
        "bounds": bounds,
        "coefficients": _inline(np.array([[scaling.constant]])),
        "unit": _unit_string(scaling.unit),
        "field_type": "CHEBYSHEV",
    }
    return _versioned("chebyshev_field", body)


def _mask_node(image: SkyImage, original: Any, arrays: _Arrays) -> dict[str, Any]:
    described = {}
    if isinstance(original, Mapping):
        for plane in original.get("planes") or []:
            if isinstance(plane, Mapping):
                described[plane.get("name")] = plane.get("description", "")
    planes = sorted(image.mask_planes.items(), key=lambda item: item[1])
    header = _pixel_header(image, None)
    for n, (name, bit) in enumerate(planes):
        if bit != n:
            raise ValueError(f"mask planes must use bits 0..{len(planes) - 1}; {name} is {bit}")
        header[f"MSKN{n:04d}"] = (name, f"Name for mask plane {n}.")
        header[f"MSKM{n:04d}"] = (1 << n, f"Bitmask for plane n={n}; always 1<<n.")
        header[f"MSKD{n:04d}"] = described.get(name, "")
    mask = image.mask
    mask = np.zeros(image.shape, np.int32) if mask is None else np.asarray(mask, np.int32)
    ref = arrays.add("MASK", mask, header)
    body = {
        "data": [ref],
        "yx0": [image.xy0[1], image.xy0[0]],
        "planes": [{"name": name, "description": described.get(name, "")} for name, _ in planes],
    }
    return _framed(original, "mask", body)


def _image_tree(image: SkyImage, arrays: _Arrays) -> tuple[str, dict[str, Any]]:
    schema = _schema_of(image)
    source = dict(image.tree or {})
    image_ref = arrays.add(
        "IMAGE", np.asarray(image.image, np.float32), _pixel_header(image, image.unit)
    )
    mask = _mask_node(image, source.get("mask"), arrays)
    variance_unit = None if image.unit is None else image.unit**2
    variance = image.variance
    variance = (
        np.zeros(image.shape, np.float32) if variance is None else np.asarray(variance, np.float32)
    )
    variance_ref = arrays.add("VARIANCE", variance, _pixel_header(image, variance_unit))
    # in lsst-images' HDU order: the three planes, then nested arrays in tree order
    rebuilt: dict[str, Any] = {
        "image": _image_node(source.get("image"), image_ref, image.unit, image.xy0),
        "mask": mask,
        "variance": _image_node(source.get("variance"), variance_ref, variance_unit, image.xy0),
    }
    if schema == "visit_image":
        rebuilt["photometric_scaling"] = _scaling_node(
            image.photometric_scaling, source.get("photometric_scaling"), image, arrays
        )
    rebuilt["backgrounds"] = _backgrounds_node(
        image.backgrounds, _BACKGROUND_PREFIX[schema], arrays
    )
    if not source:
        rebuilt.update(_identity_nodes(image, schema))
    tree = {
        key: rebuilt.pop(key)
        if key in rebuilt
        else _carried(image, key, copy.deepcopy(value), arrays)
        for key, value in source.items()
    }
    tree.update(rebuilt)  # nodes the source file did not have
    tree["schema_url"] = tree.pop("schema_url", _URLS[schema])
    if not source:
        tree = {"schema_version": _URLS[schema].rsplit("-", 1)[1], "min_read_version": 1, **tree}
    return str(tree["schema_url"]), tree


def _identity_nodes(image: SkyImage, schema: str) -> dict[str, Any]:
    """Band, detector and identifiers of an image not read from an lsst-images file."""
    ids = dict(image.ids or {})
    if image.provenance is not None:
        ids = {**dict(image.provenance.data_id), **ids}
    nodes: dict[str, Any] = {}
    if schema == "visit_image":
        obs = {
            key: ids[name]
            for key, name in (
                ("instrument", "instrument"),
                ("visit_id", "visit"),
                ("exposure_id", "exposure"),
                ("detector_num", "detector"),
                ("physical_filter", "physical_filter"),
            )
            if name in ids
        }
        nodes["obs_info"] = obs
        geometry = image.detector
        if geometry is not None:
            nodes["detector"] = {
                "schema_version": "1.1.0",
                "min_read_version": 1,
                "attributes": detector_json(geometry),
                "schema_url": f"{_SCHEMAS}/detector-1.1.0",
            }
    elif "patch" in ids:
        nodes["patch"] = {"id": int(ids["patch"])}
    frame: dict[str, Any] = {
        key: ids[key]
        for key in ("skymap", "tract", "instrument", "visit", "detector")
        if key in ids
    }
    if frame:
        frame["frame_type"] = "DETECTOR" if schema == "visit_image" else "TRACT"
        # the pixel frame only: without AST this package cannot write the sky mapping
        nodes["sky_projection"] = {"pixel_to_sky": {"frames": [frame, "ICRS"]}}
    band = image.band or ids.get("band")
    if band is not None:
        nodes["band"] = str(band)
    return nodes


def _carried(image: SkyImage, key: str, node: Any, arrays: _Arrays) -> Any:
    """A node carried over from the source file, its HDU arrays copied into ours."""
    if isinstance(node, dict):
        if isinstance(node.get("source"), str) and "shape" in node:
            return _copy_array(image, key, node, arrays)
        return {k: _carried(image, key, v, arrays) for k, v in node.items()}
    if isinstance(node, list):
        return [_carried(image, key, item, arrays) for item in node]
    return node


def _copy_array(image: SkyImage, key: str, node: dict, arrays: _Arrays) -> dict[str, Any]:
    uri = image.provenance.uri if image.provenance is not None else None
    if not uri:
        raise ValueError(
            f"the {key!r} node references an array of the file it was read from, and this "
            "image no longer knows that file (provenance.uri)"
        )
    path = uri[len("file://") :] if uri.startswith("file://") else uri
    archive = open_archive(path)
    data = archive.loader(archive.array_ref(Node(node, key, path)))()
    name = node["source"][len("fits:") :].split(",")[0]
    return arrays.add(name, data, tile_rows=False)


def _hdu_bytes(hdu) -> bytes:
    """One extension HDU exactly as it lands in a file (behind a one-block primary)."""
    stream = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(stream)
    return stream.getvalue()[_BLOCK:]


def _header_length(raw: bytes) -> int:
    """Bytes taken by the header at the start of ``raw`` (to its END card, padded)."""
    for card in range(0, len(raw), 80):
        if raw[card : card + 8] == b"END     ":
            return -(-(card + 80) // _BLOCK) * _BLOCK
    raise ValueError("astropy wrote a header without END")


def _json_hdu(tree: dict[str, Any]) -> fits.BinTableHDU:
    # bare NaN/Infinity tokens, as lsst-images writes them
    text = json.dumps(tree, separators=(",", ":"), allow_nan=True).encode("utf-8")
    column = fits.Column(
        name="JSON", format="PB()", array=np.array([np.frombuffer(text, np.uint8)], dtype=object)
    )
    hdu = fits.BinTableHDU.from_columns([column])
    hdu.header["EXTNAME"] = "JSON"
    hdu.header["DATE"] = (_now(), "UTC date this HDU was written.")
    return hdu


def _index_hdu(rows: list[tuple]) -> fits.BinTableHDU:
    names = [row[0] for row in rows]
    width = max(len(name) for name in names) or 1
    columns = [
        fits.Column("EXTNAME", f"{width}A", array=names),
        fits.Column("EXTVER", "J", array=[row[1] for row in rows]),
        fits.Column("XTENSION", "8A", array=[row[2] for row in rows]),
        fits.Column("ZIMAGE", "L", array=[row[3] for row in rows]),
        fits.Column("HDRADDR", "K", array=[row[4] for row in rows]),
        fits.Column("DATADDR", "K", array=[row[5] for row in rows]),
        fits.Column("DATSIZE", "K", array=[row[6] for row in rows]),
    ]
    hdu = fits.BinTableHDU.from_columns(columns)
    hdu.header["EXTNAME"] = "INDEX"
    hdu.header["DATE"] = (_now(), "UTC date this HDU was written.")
    return hdu


def _primary(
    schema_url: str, json_at: int, json_size: int, index_at: int, index_size: int
) -> bytes:
    header = fits.Header()
    header["FMTVER"] = (FORMAT_VERSION, "FITS container layout version.")
    header["INDXADDR"] = (index_at, "Offset in bytes to the HDU index.")
    header["INDXSIZE"] = (index_size, "Size of the HDU index.")
    header["JSONADDR"] = (json_at, "Offset in bytes to the JSON tree HDU.")
    header["JSONSIZE"] = (json_size, "Size of the JSON tree HDU.")
    header["DATE"] = (_now(), "UTC date this HDU was written.")
    header["DATAMODL"] = (schema_url, "Schema URL.")
    stream = io.BytesIO()
    fits.PrimaryHDU(header=header).writeto(stream)
    return stream.getvalue()


def _assemble(schema_url: str, tree: dict[str, Any], arrays: _Arrays) -> bytes:
    """The whole file: every HDU serialised alone, so each address is known in advance."""
    with warnings.catch_warnings():
        # long EXTNAMEs (BACKGROUNDS/FIELDS/...) push astropy's own comments off the card;
        # astropy says so for every HDU, and the comment is all that is lost
        warnings.filterwarnings("ignore", ".*comment will be truncated", VerifyWarning)
        blobs, rows = [], []
        at = _BLOCK  # the primary header is one block and has no data
        rows.append(("", 1, "IMAGE", False, 0, _BLOCK, 0))
        for hdu in arrays.hdus:
            raw = _hdu_bytes(hdu)
            head = _header_length(raw)
            compressed = isinstance(hdu, fits.CompImageHDU) or bool(hdu.header.get("ZIMAGE"))
            ver = hdu.header.get("EXTVER", 1)
            rows.append(
                (
                    hdu.header["EXTNAME"],
                    ver,
                    "BINTABLE" if compressed else "IMAGE",
                    compressed,
                    at,
                    at + head,
                    len(raw) - head,
                )
            )
            blobs.append(raw)
            at += len(raw)
        json_raw = _hdu_bytes(_json_hdu(tree))
        json_head = _header_length(json_raw)
        rows.append(("JSON", 1, "BINTABLE", False, at, at + json_head, len(json_raw) - json_head))
        index_raw = _hdu_bytes(_index_hdu(rows))
    primary = _primary(schema_url, at, len(json_raw), at + len(json_raw), len(index_raw))
    if len(primary) != _BLOCK:
        raise ValueError("the primary header outgrew one block")
    return b"".join([primary, *blobs, json_raw, index_raw])


def write_lsst_images(
    path: str | os.PathLike,
    data: SkyImage | BackgroundMap,
    *,
    compression: Compression = "GZIP_2",
    overwrite: bool = False,
) -> None:
    """Write a visit image or coadd (with its backgrounds), or a standalone background map.

    Parameters
    ----------
    path
        The file to write; it appears complete or not at all (written beside it under a
        temporary name, then renamed).
    data
        A :class:`~skybkg_adapters.SkyImage`: its image, mask, variance, backgrounds (field
        models) and photometric scaling are written from the container, every other node of
        its ``tree`` (when read from an lsst-images file) is carried over. An image with a
        detector is a ``visit_image``, one without a ``cell_coadd`` (unless its tree says).
        Or a :class:`~skybkg_adapters.BackgroundMap` of field models: a ``background_map``.
    compression
        ``"GZIP_2"`` (lossless, one row per tile, lsst-images' default) or None.
    overwrite
        Replace an existing file; without it an existing ``path`` raises FileExistsError.
    """
    if compression not in ("GZIP_2", None):
        raise ValueError(f"compression must be 'GZIP_2' or None; got {compression!r}")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    arrays = _Arrays(compression)
    if isinstance(data, BackgroundMap):
        schema_url = _URLS["background_map"]
        tree = _backgrounds_node(data, "", arrays)
    elif isinstance(data, SkyImage):
        schema_url, tree = _image_tree(data, arrays)
    else:
        raise TypeError(f"data must be a SkyImage or a BackgroundMap; got {type(data).__name__}")
    content = _assemble(schema_url, tree, arrays)
    with atomic_output(path) as tmp, open(tmp, "wb") as stream:
        stream.write(content)

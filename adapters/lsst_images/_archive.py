"""The FITS container of an lsst-images file, read with astropy alone.

An lsst-images FITS file is a primary HDU without data (``FMTVER``, ``DATAMODL`` and the
byte addresses of the JSON and INDEX HDUs), the array HDUs (tile-compressed or plain), a
``JSON`` binary table holding the object tree, and an ``INDEX`` table listing every HDU
before it. Arrays are found through the ``source`` strings of the tree
(``fits:EXTNAME[,EXTVER]``), never by guessing names.

This module opens the file, checks that the container is consistent (INDEX rows against
the real HDUs, addresses against the primary cards, file size), resolves array
references to lazy loaders, and turns every failure astropy, numpy or cfitsio raises on a
damaged file into a :class:`~skybkg_adapters.FormatError` naming the file, HDU and JSON node.
Row-tiled GZIP arrays (lsst-images' default) are inflated by the afw reader's fast path
(:func:`~skybkg_adapters.lsst_fits.tiles.decompress_row_tiles`); other layouts by astropy.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning
from astropy.utils.exceptions import AstropyUserWarning
from numpy.typing import DTypeLike

from ..errors import FormatError
from ..lsst_fits.planes import DAMAGE_ERRORS
from ..lsst_fits.tiles import decompress_row_tiles
from ._tree import Node

# what cfitsio raises on a damaged tile (astropy's private class; a future astropy may move it)
_CFITSIO: tuple[type[Exception], ...]
try:
    from astropy.io.fits.hdu.compressed._compression import CfitsioException

    _CFITSIO = (CfitsioException,)
except ImportError:
    _CFITSIO = ()

__all__ = [
    "FORMAT_VERSION",
    "Archive",
    "ArrayRef",
    "damage_as_error",
    "open_archive",
    "probe",
    "read_hdu_array",
]

FORMAT_VERSION = 1
"""The newest ``FMTVER`` (container layout) this reader understands."""

_BLOCK = 2880
_SOURCE = re.compile(r"fits:(?P<name>[\w/\-]+)(,(?P<ver>\d+))?")
_BITPIX = {8: "uint8", 16: "int16", 32: "int32", 64: "int64", -32: "float32", -64: "float64"}
# What astropy, numpy, zlib and cfitsio raise on damaged bytes: the afw reader's list and
# what a damaged JSON tree or compressed tile adds.
_DAMAGE = (
    *DAMAGE_ERRORS,
    RuntimeError,
    UnicodeDecodeError,
    OverflowError,
    MemoryError,
    *_CFITSIO,
)
_INDEX_COLUMNS = ("EXTNAME", "EXTVER", "XTENSION", "ZIMAGE", "HDRADDR", "DATADDR", "DATSIZE")


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence astropy's running commentary on damaged files; our errors say more."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyUserWarning)
        warnings.simplefilter("ignore", VerifyWarning)
        yield


@contextmanager
def damage_as_error(path, what: str, *, hdu: int | None = None, node: str | None = None):
    """Turn astropy/numpy/cfitsio failures inside the block into a FormatError."""
    try:
        with _quiet():
            yield
    except FormatError as exc:
        if exc.node is None and node is not None:
            raise FormatError(exc.path, exc.problem, hdu=exc.hdu, key=exc.key, node=node) from exc
        raise
    except _DAMAGE as exc:
        raise FormatError(
            path,
            f"{what} failed ({type(exc).__name__}: {exc}); the file is damaged or "
            "truncated, download it again",
            hdu=hdu,
            node=node,
        ) from exc


@dataclass(frozen=True)
class ArrayRef:
    """Where an array of the tree lives: an HDU of the file (``index``) or inline (``data``)."""

    node: str
    shape: tuple[int, ...]
    dtype: np.dtype
    index: int | None = None
    data: np.ndarray | None = None


def probe(path: str | os.PathLike) -> bool:
    """Whether ``path`` is (or claims to be) an lsst-images FITS file: its primary header only.

    The primary header must carry an integer ``FMTVER`` and a string ``DATAMODL`` (the schema
    URL), which lsst-images writes and afw never does. A file that claims this but is
    truncated, damaged or lost its JSON HDU (a SODA cutout) is still one: reading it then
    says what is wrong, instead of another reader misreading it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such FITS file: {path}")
    try:
        with _quiet(), open(path, "rb") as stream:
            if stream.read(6) != b"SIMPLE":
                return False
            stream.seek(0)
            primary = fits.Header.fromfile(stream)
            return type(primary.get("FMTVER")) is int and isinstance(primary.get("DATAMODL"), str)
    except _DAMAGE:
        return False


class Archive:
    """An open lsst-images FITS file: its primary header, HDU map and JSON tree.

    Made by :func:`open_archive`; the file is closed again once the tree is read, and
    every array is read by reopening it (see :meth:`loader`).
    """

    def __init__(
        self,
        path: Path,
        primary: fits.Header,
        hdus: dict[tuple[str, int], int],
        kinds: list[str],
        tree: Node,
    ):
        self.path = path
        self.primary = primary
        self.hdus = hdus
        self.kinds = kinds
        self.tree = tree

    def error(self, problem: str, **where) -> FormatError:
        """An :class:`FormatError` about this file (to raise)."""
        return FormatError(self.path, problem, **where)

    def array_ref(self, node: Node) -> ArrayRef:
        """The array a node describes: an HDU reference or an inline array.

        A reference is ``{"source", "shape", "datatype", "byteorder"}``, an inline array
        ``{"data", "datatype"}``.
        """
        spec = node.mapping()
        if "source" in spec:
            return self._hdu_ref(node)
        if "data" in spec:
            return _inline(node)
        raise node.error(
            "is not an array: expected an HDU reference {'source', 'shape', 'datatype'} or an "
            "inline array {'data', 'datatype'}"
        )

    def _hdu_ref(self, node: Node) -> ArrayRef:
        source = node["source"].text()
        match = _SOURCE.fullmatch(source)
        if match is None:
            raise node["source"].error(
                f"source {source!r} is not 'fits:EXTNAME' or 'fits:EXTNAME,EXTVER' (table "
                "columns and other archives are not supported here)"
            )
        key = (match["name"].upper(), int(match["ver"] or 1))
        if key not in self.hdus:
            listed = ", ".join(f"{n},{v}" for n, v in self.hdus) or "none"
            raise node["source"].error(
                f"source {source!r} does not resolve: the file has no HDU EXTNAME={key[0]!r} "
                f"EXTVER={key[1]} (its HDUs: {listed})"
            )
        index = self.hdus[key]
        if self.kinds[index] != "image":
            raise node["source"].error(
                f"source {source!r} is HDU {index}, a {self.kinds[index]}, not an image array"
            )
        shape = tuple(item.integer() for item in node["shape"].items())
        dtype = _datatype(node["datatype"])
        byteorder = node.get("byteorder")
        if byteorder is not None and byteorder.text() != "big":
            raise byteorder.error(f"byteorder {byteorder.value!r}; FITS arrays are 'big'")
        return ArrayRef(node.path, shape, dtype, index=index)

    def loader(self, ref: ArrayRef, want: DTypeLike | None = None) -> Callable[[], np.ndarray]:
        """A zero-argument callable returning the array, native byte order, as ``want``.

        Inline arrays are returned as they are; HDU arrays are read when it is called,
        by reopening the file, and checked against the tree's shape and datatype.
        """
        want = ref.dtype if want is None else np.dtype(want)
        if ref.data is not None:
            data = ref.data.astype(want)
            return lambda: data
        path, index, node = self.path, ref.index, ref.node
        assert index is not None  # an array that is not inline lives in an HDU

        def load() -> np.ndarray:
            return read_hdu_array(path, index, ref, want, node)

        return load

    def header(self, ref: ArrayRef) -> fits.Header:
        """The (decompressed) image header of an HDU array."""
        with (
            _open(self.path) as hdul,
            damage_as_error(self.path, "reading the header", hdu=ref.index, node=ref.node),
        ):
            return _image_header(hdul[ref.index])


def _datatype(node: Node) -> np.dtype:
    name = node.text()
    if name not in {
        "bool",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "int8",
        "int16",
        "int32",
        "int64",
        "float32",
        "float64",
    }:
        raise node.error(f"datatype {name!r} is not one lsst-images writes")
    return np.dtype(name)


def _inline(node: Node) -> ArrayRef:
    dtype = _datatype(node["datatype"])
    raw = node["data"].sequence()
    try:
        data = np.array(raw, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise node["data"].error(
            f"inline array is not a rectangular {dtype} array ({exc})"
        ) from None
    if data.dtype == object:
        raise node["data"].error("inline array is not rectangular")
    data.flags.writeable = False
    return ArrayRef(node.path, data.shape, dtype, data=data)


@contextmanager
def _open(path: Path) -> Iterator[fits.HDUList]:
    """The file opened lazily; compressed HDUs stay tables until we decompress them."""
    with damage_as_error(path, "opening the file as FITS"):
        hdul = fits.open(
            path,
            memmap=False,
            lazy_load_hdus=True,
            disable_image_compression=True,
        )
    try:
        yield hdul
    finally:
        hdul.close()


def _is_compressed(hdu) -> bool:
    return isinstance(hdu, fits.BinTableHDU) and hdu.header.get("ZIMAGE") is True


def _image_header(hdu) -> fits.Header:
    if _is_compressed(hdu):
        return fits.CompImageHDU(bintable=hdu).header
    return hdu.header


def read_hdu_array(path: Path, index: int, ref: ArrayRef, want: np.dtype, node: str) -> np.ndarray:
    """Read HDU ``index`` (plain or tile-compressed) and check it against ``ref``."""
    with _open(path) as hdul, damage_as_error(path, "reading the array", hdu=index, node=node):
        hdu = hdul[index]
        compressed = _is_compressed(hdu)
        header = fits.CompImageHDU(bintable=hdu).header if compressed else hdu.header
        bitpix = header.get("BITPIX")
        if _BITPIX.get(bitpix) != ref.dtype.name and not (
            ref.dtype.kind == "u" and bitpix in (16, 32, 64)
        ):
            raise FormatError(
                path,
                f"the tree says {ref.dtype} but the HDU has BITPIX {bitpix}",
                hdu=index,
                node=node,
                key="BITPIX",
            )
        data = None
        if compressed and header.get("NAXIS") == 2:
            data = decompress_row_tiles(path, index, hdu, header)
        if data is None:
            data = fits.CompImageHDU(bintable=hdu).data if compressed else hdu.data
        if data is None or tuple(data.shape) != ref.shape:
            got = None if data is None else tuple(data.shape)
            raise FormatError(
                path,
                f"the HDU holds an array of shape {got}; the tree says {ref.shape}",
                hdu=index,
                node=node,
            )
        return np.array(data, dtype=want)


def open_archive(path: str | os.PathLike) -> Archive:
    """Open ``path``, check its container and parse its JSON tree.

    Raises
    ------
    FileNotFoundError
        No such file.
    FormatError
        Anything else: not an lsst-images file, a newer container version, a missing or
        inconsistent JSON/INDEX HDU, a truncated or corrupt file.
    """
    # absolute: lazy arrays may be read after a chdir (glue restores sessions from their folder)
    path = Path(os.path.abspath(path))
    if not path.is_file():
        raise FileNotFoundError(f"no such FITS file: {path}")
    size = path.stat().st_size
    with _open(path) as hdul:
        with damage_as_error(path, "reading the HDU headers"):
            headers = [hdu.header for hdu in hdul]
            kinds = [_kind(hdu) for hdu in hdul]
            locations = [hdul.fileinfo(i) for i in range(len(headers))]
        primary = headers[0]
        _check_primary(path, primary)
        hdus: dict[tuple[str, int], int] = {}
        for index, header in enumerate(headers[1:], start=1):
            name, ver = header.get("EXTNAME"), header.get("EXTVER", 1)
            if isinstance(name, str) and type(ver) is int:
                hdus.setdefault((name.strip().upper(), ver), index)
        json_index = _find(path, hdus, "JSON")
        index_index = _find(path, hdus, "INDEX")
        _check_addresses(path, primary, locations, json_index, index_index, size)
        with damage_as_error(path, "reading the INDEX table", hdu=index_index):
            _check_index(path, hdul[index_index], headers, kinds, locations, index_index)
        with damage_as_error(path, "reading the JSON tree", hdu=json_index):
            tree = _json_tree(path, hdul[json_index], json_index)
    return Archive(path, primary, hdus, kinds, Node(tree, "", str(path)))


def _kind(hdu) -> str:
    if isinstance(hdu, fits.PrimaryHDU):
        return "primary"
    if _is_compressed(hdu) or isinstance(hdu, fits.ImageHDU):
        return "image"
    if isinstance(hdu, fits.BinTableHDU):
        return "table"
    return type(hdu).__name__


def _check_primary(path: Path, primary: fits.Header) -> None:
    version = primary.get("FMTVER")
    if version is None or not isinstance(primary.get("DATAMODL"), str):
        raise FormatError(
            path,
            "is not an lsst-images file: the primary header has no FMTVER/DATAMODL "
            "cards (an afw/pipelines FITS file? read it with the lsst_fits readers)",
            hdu=0,
        )
    if type(version) is not int:
        raise FormatError(path, f"FMTVER = {version!r} is not an integer", hdu=0, key="FMTVER")
    if version > FORMAT_VERSION:
        raise FormatError(
            path,
            f"container layout FMTVER = {version} is newer than this reader supports "
            f"({FORMAT_VERSION}); read it with a newer glue-skybkg or lsst-images",
            hdu=0,
            key="FMTVER",
        )


def _find(path: Path, hdus: dict[tuple[str, int], int], name: str) -> int:
    if (name, 1) not in hdus:
        raise FormatError(
            path,
            f"has no {name} HDU: every lsst-images FITS file ends with its JSON tree and INDEX "
            "HDUs, which hold the backgrounds, photometric scaling and detector. The file is "
            "truncated, or a cutout (a SODA cutout keeps only the pixel HDUs): fetch the full "
            "file (the DataLink #this link), or pair a Butler to get the backgrounds.",
        )
    return hdus[(name, 1)]


def _check_addresses(path, primary, locations, json_index, index_index, size) -> None:
    """JSONADDR/INDXADDR and sizes must match the HDUs; the file must end where INDEX does."""
    for key, name, index in (("JSONADDR", "JSON", json_index), ("INDXADDR", "INDEX", index_index)):
        address = primary.get(key)
        actual = locations[index]["hdrLoc"]
        if address != actual:
            raise FormatError(
                path,
                f"{key} = {address!r} but the {name} HDU starts at byte {actual}; the "
                "file is damaged",
                hdu=0,
                key=key,
            )
    end = locations[index_index]["datLoc"] + locations[index_index]["datSpan"]
    if size < end or size % _BLOCK:
        raise FormatError(
            path,
            f"file has {size} bytes but its INDEX HDU ends at byte {end} (FITS files are "
            f"whole {_BLOCK}-byte blocks): the file is truncated, download it again",
        )


def _check_index(path, table, headers, kinds, locations, index_index) -> None:
    """Every INDEX row must describe the HDU at its position, and there must be one per HDU."""
    names = table.columns.names
    missing = [c for c in _INDEX_COLUMNS if c not in names]
    if missing:
        raise FormatError(path, f"INDEX table lacks columns {missing}", hdu=index_index)
    rows = table.data
    if len(rows) != index_index:
        raise FormatError(
            path,
            f"INDEX lists {len(rows)} HDUs but {index_index} come before it",
            hdu=index_index,
        )
    for i, row in enumerate(rows):
        header = headers[i]
        name = "" if i == 0 else str(header.get("EXTNAME", "")).strip().upper()
        ver = 1 if i == 0 else header.get("EXTVER", 1)
        listed = (
            str(row["EXTNAME"]).strip().upper(),
            int(row["EXTVER"]),
            int(row["HDRADDR"]),
            int(row["DATADDR"]),
        )
        actual = (name, ver, locations[i]["hdrLoc"], locations[i]["datLoc"])
        if listed != actual:
            raise FormatError(
                path,
                f"INDEX row {i} says (EXTNAME, EXTVER, HDRADDR, DATADDR) = {listed} but "
                f"HDU {i} is {actual}; the file is damaged",
                hdu=i,
            )


def _json_tree(path: Path, table, index: int):
    if "JSON" not in table.columns.names or len(table.data) < 1:
        raise FormatError(path, "JSON HDU has no JSON column or no row", hdu=index)
    text = bytes(np.asarray(table.data[0]["JSON"], dtype=np.uint8)).decode("utf-8")
    try:
        # lsst-images writes bare NaN/Infinity, which Python's json accepts
        tree = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            path, f"the JSON tree is not valid JSON ({exc})", hdu=index, node=""
        ) from None
    if not isinstance(tree, dict):
        raise FormatError(path, "the JSON tree is not an object", hdu=index, node="")
    return tree

"""The archive of an afw Exposure FITS file: its index, its catalogs and the objects in them.

See docs/lsst-formats.md section 11.1 (layout) and 11.2 (component ids in the primary header).
The archive is read whole and closed: it is small (kilobytes to a few megabytes), and readers
of PhotoCalib, ApCorrMap or Detector then resolve ids without touching the file again.

Conventions applied to every catalog row (:class:`Row`):

* the packed bit column (``FLAGCOL``, ``TFORM nX``) stays as a bool array under its own name
  and each bit named by a ``TFLAG<i+1>`` card is also given as a bool under that name;
* variable-length character arrays (``1QA(n)``, ``1PA(n)``) become ``str``, byte arrays
  (``1QB(n)``) become ``bytes``, other variable-length arrays native-order numpy arrays;
* a 1-element column (``1D``, ``1J``) is a Python scalar, longer ones read-only numpy arrays;
* afw-table version 0 spelled dotted names with ``_`` (``cat_archive``): :meth:`Row.require`
  accepts either spelling.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from astropy.io import fits

from ...errors import FormatError
from ..planes import checked_header, count_hdus, open_fits

__all__ = [
    "CLASSIC_COMPONENTS",
    "Archive",
    "ArchiveObject",
    "Catalog",
    "IndexEntry",
    "Row",
    "as_archive",
    "component_ids",
    "expinfo_version",
    "read_archive",
]

CLASSIC_COMPONENTS = (
    "SKYWCS",
    "PSF",
    "PHOTOCALIB",
    "DETECTOR",
    "VALID_POLYGON",
    "COADD_INPUTS",
    "AP_CORR_MAP",
    "TRANSMISSION_CURVE",
)
"""Components afw reads from ``<KEY>_ID`` cards; in EXPINFO_V 2 every other one (FILTER,
SUMMARY_STATS, ...) comes from ``ARCHIVE_ID_<KEY>``."""

_LEGACY_COMPONENTS = {
    0: tuple(key for key in CLASSIC_COMPONENTS if key != "PHOTOCALIB") + ("WCS",),
    1: CLASSIC_COMPONENTS + ("WCS",),
}
_NEWEST_EXPINFO = 2
_SAVED_EMPTY = -1
_INDEX_COLUMNS = ("id", "cat.archive", "cat.persistable", "row0", "nrows", "name")
_TFORM = re.compile(r"^(\d*)([PQ]?)([A-Z])")


class Row(Mapping[str, Any]):
    """One row of an archive catalog, as a read-only mapping from column name to value."""

    __slots__ = ("_values", "path", "hdu", "index")

    def __init__(self, values: Mapping[str, Any], path: str, hdu: int, index: int) -> None:
        self._values = MappingProxyType(dict(values))
        self.path = path
        self.hdu = hdu
        self.index = index

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row(hdu={self.hdu}, index={self.index}, {dict(self._values)!r})"

    def require(self, column: str) -> Any:
        """The value of ``column`` (or its afw-table v0 spelling); FormatError if absent."""
        for name in (column, column.replace(".", "_")):
            if name in self._values:
                return self._values[name]
        raise FormatError(
            self.path,
            f"archive row {self.index} has no column {column!r} "
            f"(columns: {', '.join(self._values)}); the file was not written "
            "by a version of afw this reader knows",
            hdu=self.hdu,
            key=column,
        )


@dataclass(frozen=True, eq=False)
class Catalog:
    """One ``ARCHIVE_DATA`` table: catalog ``number`` of the archive, at 0-based ``hdu``."""

    number: int
    hdu: int
    names: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class IndexEntry:
    """One row of ``ARCHIVE_INDEX``: where catalog ``persistable`` of object ``id`` lives.

    ``catalog`` is the archive catalog number (``cat.archive``), ``row0``/``nrows`` the rows
    in it; ``catalog == row0 == persistable == -1`` marks an object saved empty.
    """

    id: int
    catalog: int
    persistable: int
    row0: int
    nrows: int
    name: str
    module: str

    @property
    def saved_empty(self) -> bool:
        """Whether afw saved the object without any catalog ("saveEmpty")."""
        return self.catalog == _SAVED_EMPTY


@dataclass(frozen=True, eq=False)
class ArchiveObject:
    """An object resolved from the archive: its class name and its own catalogs, in order.

    ``catalogs[r]`` holds the rows of the object's r-th catalog (``cat.persistable == r``);
    it is empty for ``nrows = 0``, and ``catalogs`` is empty for an object saved empty.
    ``hdus[r]`` is the 0-based HDU those rows came from.
    """

    path: str
    id: int
    name: str
    module: str
    catalogs: tuple[tuple[Row, ...], ...]
    hdus: tuple[int, ...]

    def expect(self, *names: str) -> None:
        """Raise FormatError unless the object's class is one of ``names``."""
        if self.name not in names:
            wanted = " or ".join(repr(n) for n in names)
            raise FormatError(
                self.path,
                f"archive object {self.id} is a {self.name!r}, not a "
                f"{wanted}; the id that points at it is wrong",
                hdu=self.hdus[0] if self.hdus else None,
            )

    def rows(self, which: int = 0) -> tuple[Row, ...]:
        """The rows of catalog ``which``; FormatError if the object has no such catalog."""
        if which >= len(self.catalogs):
            raise FormatError(
                self.path,
                f"archive object {self.id} ({self.name}) has "
                f"{len(self.catalogs)} catalog(s); catalog {which} is needed",
            )
        return self.catalogs[which]

    def row(self, which: int = 0) -> Row:
        """The single row of catalog ``which``; FormatError unless there is exactly one."""
        rows = self.rows(which)
        if len(rows) != 1:
            raise FormatError(
                self.path,
                f"archive object {self.id} ({self.name}) should have "
                f"one row in its catalog {which}; it has {len(rows)}",
                hdu=self.hdus[which],
            )
        return rows[0]


@dataclass(frozen=True, eq=False)
class Archive:
    """The archive of one afw Exposure file, with the primary header that points into it.

    ``index_hdu`` is the 0-based HDU of ``ARCHIVE_INDEX`` (``AR_HDU - 1``), or None for a file
    without an archive. ``components`` maps a component key (``PHOTOCALIB``, ``DETECTOR``,
    ``FILTER`` ...) to its archive id, following ``expinfo_version`` (:func:`component_ids`).
    """

    path: str
    primary: fits.Header
    expinfo_version: int
    components: Mapping[str, int]
    index_hdu: int | None
    entries: tuple[IndexEntry, ...]
    catalogs: Mapping[int, Catalog]
    _by_id: Mapping[int, tuple[IndexEntry, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_id: dict[int, list[IndexEntry]] = {}
        for entry in self.entries:
            by_id.setdefault(entry.id, []).append(entry)
        object.__setattr__(
            self,
            "_by_id",
            MappingProxyType(
                {k: tuple(sorted(v, key=lambda e: e.persistable)) for k, v in by_id.items()}
            ),
        )

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._by_id

    def ids(self, name: str | None = None) -> tuple[int, ...]:
        """Every object id in the index (of class ``name`` if given), ascending."""
        return tuple(sorted(k for k, v in self._by_id.items() if name is None or v[0].name == name))

    def get(self, object_id: int) -> ArchiveObject | None:
        """The object with ``object_id``; None for id 0 (afw's null reference).

        Raises FormatError for an id the index does not list: something in the file refers
        to an object that was never written.
        """
        object_id = int(object_id)
        if object_id == 0:
            return None
        entries = self._by_id.get(object_id)
        if entries is None:
            raise FormatError(
                self.path,
                f"archive id {object_id} is referenced but not in the "
                "archive index; the file is incomplete or corrupt",
                hdu=self.index_hdu,
            )
        catalogs, hdus = [], []
        for entry in entries:
            if entry.saved_empty:
                continue
            catalog = self.catalogs[entry.catalog]
            catalogs.append(catalog.rows[entry.row0 : entry.row0 + entry.nrows])
            hdus.append(catalog.hdu)
        first = entries[0]
        return ArchiveObject(
            self.path, object_id, first.name, first.module, tuple(catalogs), tuple(hdus)
        )

    def component(self, key: str) -> ArchiveObject | None:
        """The object the primary header names for component ``key``, or None if it has none."""
        object_id = self.components.get(key)
        return None if object_id is None else self.get(object_id)


def component_ids(
    header: fits.Header, path: str | os.PathLike = "<primary header>"
) -> Mapping[str, int]:
    """The archive ids the primary header gives each Exposure component, by ``EXPINFO_V``.

    Version 0 (or no card) and 1 read ``<KEY>_ID`` for the classic keys only (version 0 has
    no PHOTOCALIB_ID: its calibration is the FLUXMAG0 card); the legacy ``WCS_ID`` is reported
    as ``WCS``. Version 2 reads every ``ARCHIVE_ID_<KEY>`` card and, as afw does, takes the
    classic keys from ``<KEY>_ID`` where that card exists. Ids of 0 (null) and absent cards
    are left out.
    """
    version = expinfo_version(header, path)
    found: dict[str, int] = {}
    if version == _NEWEST_EXPINFO:
        for card in header:
            if card.startswith("ARCHIVE_ID_"):
                found[card[len("ARCHIVE_ID_") :]] = _archive_id(header, card, path)
        classic: tuple[str, ...] = CLASSIC_COMPONENTS
    else:
        classic = _LEGACY_COMPONENTS[version]
    for key in classic:
        if f"{key}_ID" in header:
            found[key] = _archive_id(header, f"{key}_ID", path)
    return MappingProxyType({key: value for key, value in found.items() if value != 0})


def expinfo_version(header: fits.Header, path: str | os.PathLike = "<primary header>") -> int:
    """``EXPINFO_V`` of a primary header (0 when absent); FormatError for an unknown one."""
    version = header.get("EXPINFO_V", 0)
    if not _is_int(version) or not 0 <= version <= _NEWEST_EXPINFO:
        raise FormatError(
            path,
            f"EXPINFO_V = {version!r} is not an ExposureInfo version this "
            f"reader knows (0 to {_NEWEST_EXPINFO}); the file is newer than this "
            "reader or damaged",
            hdu=0,
            key="EXPINFO_V",
        )
    return int(version)


def read_archive(path: str | os.PathLike) -> Archive:
    """Read the whole archive of the afw Exposure file ``path``.

    A file whose primary header has no ``AR_HDU`` gives an Archive with no entries (afw then
    has no archive either). Raises FileNotFoundError for a missing file and FormatError for
    any structural damage: AR_HDU past the end, a wrong EXTTYPE or AR_CATN, index rows that
    point outside their catalog, or an unreadable table.
    """
    with open_fits(path) as hdul:
        primary = checked_header(path, hdul[0].header, 0)
        version = expinfo_version(primary, path)
        components = component_ids(primary, path)
        if "AR_HDU" not in primary:
            return Archive(str(path), primary.copy(), version, components, None, (), {})
        ar_hdu = primary["AR_HDU"]
        if not _is_int(ar_hdu) or ar_hdu < 2:
            raise FormatError(
                path,
                f"AR_HDU = {ar_hdu!r} is not a 1-based HDU number after the primary",
                hdu=0,
                key="AR_HDU",
            )
        index_hdu = ar_hdu - 1
        total = count_hdus(path, hdul)
        index_table = _table(path, hdul, index_hdu, total, "ARCHIVE_INDEX", 0, "AR_HDU")
        ncat = index_table.header.get("AR_NCAT")
        if not _is_int(ncat) or ncat < 1:
            raise FormatError(
                path, f"AR_NCAT = {ncat!r} is not a catalog count", hdu=index_hdu, key="AR_NCAT"
            )
        catalogs = {
            number: _catalog(
                path,
                _table(path, hdul, index_hdu + number, total, "ARCHIVE_DATA", number, "AR_NCAT"),
                index_hdu + number,
                number,
            )
            for number in range(1, ncat)
        }
        entries = _entries(path, index_table, index_hdu, catalogs)
        return Archive(
            str(path),
            primary.copy(),
            version,
            components,
            index_hdu,
            entries,
            MappingProxyType(catalogs),
        )


def as_archive(source: Archive | str | os.PathLike) -> Archive:
    """``source`` itself if it is an Archive, else the archive read from that file."""
    return source if isinstance(source, Archive) else read_archive(source)


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _archive_id(header: fits.Header, card: str, path) -> int:
    value = header[card]
    if not _is_int(value) or value < 0:
        raise FormatError(
            path,
            f"{card} = {value!r} is not an archive id (a non-negative integer)",
            hdu=0,
            key=card,
        )
    return int(value)


def _table(
    path, hdul: fits.HDUList, index: int, total: int, exttype: str, catn: int, pointer: str
) -> fits.BinTableHDU:
    """HDU ``index`` checked to be archive table ``catn`` of type ``exttype``."""
    if index >= total:
        raise FormatError(
            path,
            f"{pointer} puts archive catalog {catn} at HDU {index}, but the "
            f"file has only {total} HDUs; it is truncated, download it again",
            hdu=0 if pointer == "AR_HDU" else index - catn,
            key=pointer,
        )
    hdu = hdul[index]
    if not isinstance(hdu, fits.BinTableHDU):
        raise FormatError(
            path,
            f"archive catalog {catn} should be a binary table; found {type(hdu).__name__}",
            hdu=index,
        )
    header = checked_header(path, hdu.header, index)
    found = header.get("EXTTYPE")
    if found is not None and found != exttype:
        raise FormatError(
            path,
            f"EXTTYPE = {found!r}; afw's archive has {exttype!r} here",
            hdu=index,
            key="EXTTYPE",
        )
    if header.get("AR_CATN") != catn:
        raise FormatError(
            path,
            f"AR_CATN = {header.get('AR_CATN')!r}; catalog {catn} of the "
            "archive must say so (afw refuses such a file too)",
            hdu=index,
            key="AR_CATN",
        )
    return hdu


def _catalog(path, hdu: fits.BinTableHDU, index: int, number: int) -> Catalog:
    header = hdu.header
    names = tuple(str(card.value) for card in header.cards if card.keyword == "AR_NAME")
    data = hdu.data
    nrows = 0 if data is None else len(data)
    converters = []
    for position, column in enumerate(hdu.columns, start=1):
        bits = _flag_names(header, position, column) if column.format.endswith("X") else None
        converters.append((column.name, _converter(str(column.format)), bits))
    columns = [
        (name, convert, bits, data.field(name) if nrows else None)
        for name, convert, bits in converters
    ]
    rows = []
    for i in range(nrows):
        values: dict[str, Any] = {}
        for name, convert, bits, array in columns:
            assert array is not None  # read whenever there are rows
            value = convert(array[i])
            values[name] = value
            for bit, flag in (bits or {}).items():
                values[flag] = bool(value[bit])
        rows.append(Row(values, str(path), index, i))
    return Catalog(number, index, names, tuple(hdu.columns.names), tuple(rows))


def _flag_names(header: fits.Header, position: int, column: fits.Column) -> dict[int, str]:
    """Bit index -> TFLAG name, for the packed flag column (FLAGCOL, or an X column)."""
    flagcol = header.get("FLAGCOL")
    if flagcol is not None and flagcol != position:
        return {}
    match = _TFORM.match(str(column.format))
    count = int(match.group(1) or 1) if match else 1
    return {
        bit: str(header[f"TFLAG{bit + 1}"]) for bit in range(count) if f"TFLAG{bit + 1}" in header
    }


def _converter(tform: str):
    """A function turning one astropy cell of a column with ``tform`` into its Python value."""
    match = _TFORM.match(tform)
    if match is None:
        return _array
    repeat, variable, kind = match.groups()
    if variable:
        if kind == "A":
            # astropy strips each 1-char element, so read the raw buffer: spaces are content.
            return lambda cell: "".join(np.asarray(cell).view(np.ndarray).tolist())
        if kind == "B":
            return lambda cell: bytes(np.asarray(cell, dtype=np.uint8))
        return _array
    if kind == "A":
        return str
    if kind == "X":
        return lambda cell: _array(np.asarray(cell, dtype=bool))
    if int(repeat or 1) == 1:
        return lambda cell: np.asarray(cell).reshape(-1)[0].item()
    return _array


def _array(cell) -> np.ndarray:
    array = np.array(cell)
    array = array.astype(array.dtype.newbyteorder("="), copy=False)
    array.setflags(write=False)
    return array


def _entries(
    path, table: fits.BinTableHDU, index: int, catalogs: Mapping[int, Catalog]
) -> tuple[IndexEntry, ...]:
    """The index rows, checked against the catalogs they point into."""
    data = table.data
    names = table.columns.names
    spelled = {}
    for column in _INDEX_COLUMNS:
        for name in (column, column.replace(".", "_")):
            if name in names:
                spelled[column] = name
                break
        else:
            raise FormatError(
                path,
                f"the archive index has no column {column!r} (columns: {', '.join(names)})",
                hdu=index,
                key=column,
            )
    nrows = 0 if data is None else len(data)
    entries = []
    for i in range(nrows):
        record = data[i]
        object_id, catalog, persistable, row0, count = (
            int(record[spelled[c]]) for c in _INDEX_COLUMNS[:5]
        )
        entry = IndexEntry(
            object_id,
            catalog,
            persistable,
            row0,
            count,
            str(record[spelled["name"]]).strip(),
            str(record["module"]).strip() if "module" in names else "",
        )
        _check_entry(path, index, i, entry, catalogs)
        entries.append(entry)
    _check_objects(path, index, entries)
    return tuple(entries)


def _check_entry(
    path, index: int, i: int, entry: IndexEntry, catalogs: Mapping[int, Catalog]
) -> None:
    where = f"archive index row {i} (object {entry.id}, {entry.name})"
    if entry.id == 0:
        raise FormatError(
            path, f"{where} uses id 0, which afw reserves for a null reference", hdu=index
        )
    if entry.saved_empty:
        if entry.row0 != _SAVED_EMPTY or entry.persistable != _SAVED_EMPTY:
            raise FormatError(
                path,
                f"{where} has cat.archive = -1 (saved empty) but row0 = "
                f"{entry.row0}, cat.persistable = {entry.persistable}",
                hdu=index,
            )
        return
    catalog = catalogs.get(entry.catalog)
    if catalog is None:
        raise FormatError(
            path,
            f"{where} points at catalog {entry.catalog}, but the archive "
            f"has catalogs 1 to {len(catalogs)}",
            hdu=index,
        )
    if entry.row0 < 0 or entry.nrows < 0 or entry.row0 + entry.nrows > len(catalog.rows):
        raise FormatError(
            path,
            f"{where} wants rows {entry.row0} to "
            f"{entry.row0 + entry.nrows - 1} of catalog {entry.catalog}, which "
            f"has {len(catalog.rows)}; the file is corrupt",
            hdu=index,
        )


def _check_objects(path, index: int, entries: list[IndexEntry]) -> None:
    """Each object's catalogs must be numbered 0, 1, ... (or one saved-empty row)."""
    by_id: dict[int, list[IndexEntry]] = {}
    for entry in entries:
        by_id.setdefault(entry.id, []).append(entry)
    for object_id, group in by_id.items():
        if len({e.name for e in group}) > 1:
            raise FormatError(
                path,
                f"archive object {object_id} is listed under several class "
                f"names: {sorted({e.name for e in group})}",
                hdu=index,
            )
        numbers = sorted(e.persistable for e in group)
        if numbers != [_SAVED_EMPTY] and numbers != list(range(len(numbers))):
            raise FormatError(
                path,
                f"archive object {object_id} ({group[0].name}) has catalogs "
                f"numbered {numbers}; afw numbers them 0, 1, ...",
                hdu=index,
            )

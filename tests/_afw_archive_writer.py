"""Write small afw-style Exposure files with an archive, for cases no real file exercises.

The layout follows docs/lsst-formats.md 11.1-11.2: empty primary with EXPINFO_V, AR_HDU and
component ids; IMAGE/MASK/VARIANCE; ARCHIVE_INDEX; one ARCHIVE_DATA table per (object,
catalog). afw shares tables by schema; the reader must not care, so one each is simplest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy.io import fits


@dataclass
class Cat:
    """One catalog: rows of ``{column: value}``; ``flags`` names the bits of a 'flags' list."""

    rows: Sequence[Mapping[str, object]]
    flags: Sequence[str] = ()
    formats: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Obj:
    """An archive object; ``catalogs=None`` writes it "saved empty"."""

    id: int
    name: str
    catalogs: Sequence[Cat] | None
    module: str = ""


def chebyshev(object_id: int, coefficients, bbox=(0, 0, 99, 49)) -> Obj:
    """A ChebyshevBoundedField object; ``coefficients`` is [y order][x order]."""
    coefficients = np.asarray(coefficients, dtype=float)
    return Obj(
        object_id,
        "ChebyshevBoundedField",
        [
            Cat(
                [
                    {
                        "order_x": coefficients.shape[1] - 1,
                        "bbox_min_x": bbox[0],
                        "bbox_min_y": bbox[1],
                        "bbox_max_x": bbox[2],
                        "bbox_max_y": bbox[3],
                        "coefficients": coefficients.ravel(),
                    }
                ]
            )
        ],
        "lsst.afw.math",
    )


def photocalib(
    object_id: int,
    mean: float,
    error: float,
    field_id: int,
    constant: bool,
    version: int | None = 1,
) -> Obj:
    """A PhotoCalib object (``version=None`` leaves the column out, as pre-2018 files)."""
    row = {"flags": [constant], "calibrationMean": mean, "calibrationErr": error, "field": field_id}
    if version is not None:
        row["version"] = version
    return Obj(object_id, "PhotoCalib", [Cat([row], flags=("isConstant",))])


def _format(name: str, value: object, formats: Mapping[str, str]) -> str:
    if name in formats:
        return formats[name]
    if isinstance(value, bool):
        raise TypeError("put booleans in the 'flags' list")
    if isinstance(value, int | np.integer):
        return "J"
    if isinstance(value, float):
        return "D"
    if isinstance(value, str):
        return "64A"
    return f"{len(value)}D"


def _table(cat: Cat, number: int, name: str, extname: str | None) -> fits.BinTableHDU:
    names = list(cat.formats) if not cat.rows else list(cat.rows[0])
    columns = []
    for column in names:
        values = [row[column] for row in cat.rows]
        if column == "flags":
            columns.append(
                fits.Column(
                    column,
                    f"{len(cat.flags)}X",
                    array=np.array(values, dtype=bool).reshape(len(values), len(cat.flags)),
                )
            )
            continue
        tform = _format(column, values[0] if values else None, cat.formats)
        array = np.array(values) if values else None
        columns.append(fits.Column(column, tform, array=array))
    hdu = fits.BinTableHDU.from_columns(columns, nrows=len(cat.rows))
    header = hdu.header
    if "flags" in names:
        header["FLAGCOL"] = names.index("flags") + 1
        for bit, flag in enumerate(cat.flags, start=1):
            header[f"TFLAG{bit}"] = flag
    header["EXTTYPE"] = "ARCHIVE_DATA"
    header["AR_CATN"] = number
    header["AR_NAME"] = name
    if extname is not None:
        header["EXTNAME"] = extname
    return hdu


def write_archive_exposure(
    path: Path,
    objects: Sequence[Obj],
    *,
    expinfo_version: int | None = 2,
    components: Mapping[str, int] | None = None,
    primary: Mapping[str, object] | None = None,
    extnames: Mapping[int, str] | None = None,
) -> Path:
    """Write ``objects`` as the archive of a 2x2 Exposure; return ``path``.

    ``components`` become ``<KEY>_ID`` (and ``ARCHIVE_ID_<KEY>`` for version 2);
    ``extnames`` sets EXTNAME on catalog numbers (to check the reader ignores it).
    """
    cards = {} if expinfo_version is None else {"EXPINFO_V": expinfo_version}
    cards["AR_HDU"] = 5
    for key, value in (components or {}).items():
        cards[f"{key}_ID"] = value
        if expinfo_version == 2:
            cards[f"ARCHIVE_ID_{key}"] = value
    cards.update(primary or {})
    head = fits.PrimaryHDU()
    for key, value in cards.items():
        head.header[key if len(key) <= 8 else f"HIERARCH {key}"] = value
    planes = [
        fits.ImageHDU(np.zeros((2, 2), dtype), name=name)
        for name, dtype in (("IMAGE", np.float32), ("MASK", np.int32), ("VARIANCE", np.float32))
    ]
    index_rows, tables = [], []
    for obj in objects:
        if obj.catalogs is None:
            index_rows.append((obj.id, -1, -1, -1, 0, obj.name, obj.module))
            continue
        for persistable, cat in enumerate(obj.catalogs):
            number = len(tables) + 1
            tables.append(_table(cat, number, obj.name, (extnames or {}).get(number)))
            index_rows.append((obj.id, number, persistable, 0, len(cat.rows), obj.name, obj.module))
    ids, catalogs, persistables, row0s, nrows, names, modules = (
        zip(*index_rows, strict=True) if index_rows else ((),) * 7
    )
    index = fits.BinTableHDU.from_columns(
        [
            fits.Column("id", "J", array=np.array(ids, dtype=np.int32)),
            fits.Column("cat.archive", "J", array=np.array(catalogs, dtype=np.int32)),
            fits.Column("cat.persistable", "J", array=np.array(persistables, dtype=np.int32)),
            fits.Column("row0", "J", array=np.array(row0s, dtype=np.int32)),
            fits.Column("nrows", "J", array=np.array(nrows, dtype=np.int32)),
            fits.Column("name", "64A", array=np.array(names, dtype="U64")),
            fits.Column("module", "64A", array=np.array(modules, dtype="U64")),
        ]
    )
    index.header["EXTTYPE"] = "ARCHIVE_INDEX"
    index.header["EXTNAME"] = "ARCHIVE_INDEX"
    index.header["AR_CATN"] = 0
    index.header["AR_NCAT"] = len(tables) + 1
    fits.HDUList([head, *planes, index, *tables]).writeto(path, overwrite=True)
    return path

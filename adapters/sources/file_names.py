"""What a product's file name says: its dataset type and the data id the Butler put in it.

A Butler file datastore names each file from the dataset type and the data id (daf_butler's
default template): ``<type>_<instrument>_<band>_<physical_filter>_<visit>_<detector full
name>_<run>`` for a visit image
(``calexp_LSSTCam-imSim_i_i_sim_1.4_512055_R20_S10_2_2i_runs_DP0_2``) and
``<type>_<tract>_<patch>_<band>_<skymap>_<run>`` for a coadd
(``deepCoadd_4226_17_r_DC2_2_2i_runs_DP0_2``).  Names of another pattern still give the dataset
type (a known prefix, or the ``<run>/<type>/`` folder above the file) and the rest of the name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

from ..detectors import detector_number
from ..lsst_fits import FITS_SUFFIXES

__all__ = [
    "INSTRUMENTS",
    "NAMED_DATASET_TYPES",
    "NamedFile",
    "dataset_type_in_path",
    "parse_file_name",
]

INSTRUMENTS = ("LSSTCam-imSim", "LSSTComCam", "LSSTCam")
"""Instruments whose detector full names (``R20_S10``) map to detector numbers."""

NAMED_DATASET_TYPES = (
    "calexp",
    "calexpBackground",
    "deepCoadd",
    "deepCoadd_calexp",
    "deepCoadd_calexp_background",
    "visit_image",
    "visit_image_background",
    "preliminary_visit_image",
    "preliminary_visit_image_background",
    "deep_coadd",
    "deep_coadd_background",
)
"""Dataset types recognised by their name alone (a file outside its ``<type>/`` folder)."""

_VISIT_NAME = re.compile(
    r"^(?P<instrument>[A-Za-z][A-Za-z0-9-]*)_(?:.+_)?(?P<visit>\d+)_"
    r"(?P<detector>R\d\d_S[0-9GW]\d+)(?:_|$)"
)
_COADD_NAME = re.compile(r"^(?P<tract>\d+)_(?P<patch>\d+)_(?P<band>[a-z]+)(?:_|$)")


@dataclass(frozen=True)
class NamedFile:
    """The dataset type a file name gives, the data id in it (empty if none), and the rest.

    ``rest`` is the name after ``<dataset type>_`` without the FITS suffix (``512055_75`` for
    ``calexp_512055_75.fits``): files named by one pattern compare by it when their data id
    cannot be read.  ``instrument`` is the one a visit image's name starts with.
    """

    dataset_type: str
    rest: str
    data_id: Mapping[str, Any] = field(default_factory=dict)
    instrument: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_id", MappingProxyType(dict(self.data_id)))


def _strip_suffix(name: str) -> str:
    for suffix in sorted(FITS_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def dataset_type_in_path(
    folders: Sequence[str], name: str, known: Sequence[str] = NAMED_DATASET_TYPES
) -> str | None:
    """The dataset type of file ``name`` (no suffix) under ``folders``, or None.

    The datastore puts the dataset type both as a folder and as the file-name prefix; the
    longest such folder wins (``deepCoadd`` vs ``deepCoadd_calexp``).  Without one, the
    longest prefix among ``known`` names it.
    """
    types = [folder for folder in folders if name.startswith(folder + "_")]
    if not types:
        types = [kind for kind in known if name.startswith(kind + "_")]
    return max(types, key=len) if types else None


def _data_id(rest: str) -> tuple[dict[str, Any], str | None]:
    """The data id in a name's rest and the instrument it names (``{}, None`` if none)."""
    visit = _VISIT_NAME.match(rest)
    if visit and visit["instrument"] in INSTRUMENTS:
        number = detector_number(visit["instrument"], visit["detector"])
        if number is not None:
            return {"visit": int(visit["visit"]), "detector": number}, visit["instrument"]
    coadd = _COADD_NAME.match(rest)
    if coadd:
        data_id = {"tract": int(coadd["tract"]), "patch": int(coadd["patch"])}
        return {**data_id, "band": coadd["band"]}, None
    return {}, None


def parse_file_name(path: str | os.PathLike[str]) -> NamedFile | None:
    """What the name of the file at ``path`` (or ``file:`` URI) says; None if it names no type.

    Examples
    --------
    >>> named = parse_file_name("calexp_LSSTCam-imSim_i_i_sim_1.4_512055_R20_S10_2_2i_runs.fits")
    >>> named.dataset_type, dict(named.data_id)
    ('calexp', {'visit': 512055, 'detector': 75})
    >>> parse_file_name("deepCoadd_calexp/deepCoadd_calexp_4226_17_r_DC2.fits").data_id["patch"]
    17
    """
    text = os.fspath(path)
    if text.startswith("file:"):
        text = unquote(urlsplit(text).path)
    pure = PurePath(text)
    name = _strip_suffix(pure.name)
    dataset_type = dataset_type_in_path(pure.parent.parts, name)
    if dataset_type is None:
        return None
    rest = name[len(dataset_type) + 1 :]
    return NamedFile(dataset_type, rest, *_data_id(rest))

"""Products as files under a folder: a Butler file-datastore copy, or names from a template."""

from __future__ import annotations

import glob
import os
import string
from pathlib import Path
from urllib.parse import quote

from ..container import BackgroundMap, BackgroundModel, Provenance, SkyImage
from ..dataset_types import parent_and_component
from ..detectors import detector_full_name
from ..errors import AmbiguousProduct, ProductNotFound
from ..lsst_fits import has_fits_suffix
from .base import load_product
from .data_id import DataId, format_data_id
from .file_names import INSTRUMENTS, dataset_type_in_path, parse_file_name

__all__ = ["TEMPLATE_QUERY", "LocalSource"]

TEMPLATE_QUERY = "?template="
"""How a folder source's spec carries its file-name template: ``/data/mine?template=...``."""

_SHOWN = 8


class LocalSource:
    """Products stored as FITS files under ``root``.

    Parameters
    ----------
    root
        The folder.
    template
        A :meth:`str.format` pattern relative to ``root`` naming each file from
        ``dataset_type`` and the data-id keys, e.g. ``"{dataset_type}_{visit}_{detector}.fits"``
        (glob characters allowed). Without one, the folder is read as a Butler file
        datastore (``<run>/<dataset_type>/.../<dataset_type>_<data id values>_<run>.fits``):
        a file matches when it lies in a folder named after the dataset type and every
        data-id value appears in its path (detectors also by full name, ``R20_S10``).

    Examples
    --------
    >>> src = LocalSource("/data/dp02-copy")                      # doctest: +SKIP
    >>> src.get("calexp", {"visit": 512055, "detector": 75})       # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike, template: str | None = None):
        self.root = Path(root).expanduser().resolve()
        if not self.root.is_dir():
            raise ProductNotFound(
                f"{self.root} is not a folder; give the folder holding the products"
            )
        self.template = template
        # the spec names the template too, so open_source(spec) finds the same files again
        self.spec = str(self.root) + (f"{TEMPLATE_QUERY}{quote(template)}" if template else "")

    def __repr__(self) -> str:
        template = f", template={self.template!r}" if self.template else ""
        return f"LocalSource({str(self.root)!r}{template})"

    def get(self, dataset_type: str, data_id: DataId) -> SkyImage | BackgroundModel | BackgroundMap:
        """The product of ``dataset_type`` for ``data_id``, read from its file.

        A component (``visit_image.backgrounds``) is read from its parent's file.
        """
        path = self.locate(parent_and_component(dataset_type)[0], data_id)
        provenance = Provenance(self.spec, dataset_type, dict(data_id), path.as_uri())
        return load_product(path, dataset_type, provenance)

    def locate(self, dataset_type: str, data_id: DataId) -> Path:
        """The one file holding ``dataset_type`` for ``data_id``.

        Raises
        ------
        ProductNotFound
            No file matches; the message lists what exists for that dataset type and data id.
        AmbiguousProduct
            Several files match; the message lists them.
        """
        if self.template is not None:
            matches = self._by_template(dataset_type, data_id)
        else:
            matches = [
                self.root / rel
                for dt, rel in self._index()
                if dt == dataset_type and _matches(rel, data_id)
            ]
        if len(matches) == 1:
            return matches[0]
        asked = f"{dataset_type} {dict(data_id)}"
        if matches:
            raise AmbiguousProduct(
                f"{len(matches)} files under {self.root} match {asked}:\n"
                + self._listing(matches)
                + "\nAdd keys to the data id (band, physical_filter, instrument, skymap) "
                "to pick one."
            )
        hint = self._what_exists(dataset_type, data_id)
        raise ProductNotFound(f"No file under {self.root} holds {asked}. {hint}")

    def _by_template(self, dataset_type: str, data_id: DataId) -> list[Path]:
        assert self.template is not None  # only called for a templated source
        missing = sorted(_fields(self.template) - set(data_id))
        if missing:
            raise ProductNotFound(
                f"The file template {self.template!r} needs {missing}; the data id "
                f"{dict(data_id)} does not have them."
            )
        try:
            pattern = self.template.format(**{**data_id, "dataset_type": dataset_type})
        except (IndexError, ValueError) as exc:  # a positional {} or a format the value lacks
            raise ProductNotFound(
                f"The file template {self.template!r} cannot be filled from {dataset_type!r} "
                f"and the data id {dict(data_id)} ({exc}); name every field ({{visit}}) and "
                "give formats that suit the values ({detector:03d} for integers)."
            ) from None
        return sorted(Path(p) for p in glob.glob(str(self.root / pattern)))

    def _index(self) -> list[tuple[str, Path]]:
        """Every FITS file under the root (relative path) with the dataset type its folders give."""
        found = []
        for folder, _, names in os.walk(self.root):
            parts = Path(folder).relative_to(self.root).parts
            for name in names:
                if name.startswith(".") or not has_fits_suffix(name):
                    continue
                # only the datastore layout: the type is a folder and the file-name prefix
                dataset_type = dataset_type_in_path(parts, name, known=())
                if dataset_type:
                    found.append((dataset_type, Path(*parts, name)))
        return sorted(found)

    def _what_exists(self, dataset_type: str, data_id: DataId) -> str:
        if self.template is not None:
            wild = "".join(
                literal + ("" if name is None else dataset_type if name == "dataset_type" else "*")
                for literal, name, _, _ in string.Formatter().parse(self.template)
            )
            existing = sorted(Path(p) for p in glob.glob(str(self.root / wild)))
            if not existing:
                return (
                    f"No file matches the template {self.template!r} for {dataset_type!r} at all."
                )
            return f"Files of {dataset_type} there:\n" + self._listing(existing)
        index = self._index()
        if not index:
            return (
                "The folder holds no Butler-datastore files (<run>/<dataset_type>/.../"
                "<dataset_type>_....fits); describe how its files are named with a file-name "
                "template such as {dataset_type}_{visit}_{detector}.fits (the File names field "
                "of glue's Sky backgrounds dialog, or LocalSource(folder, template=...))."
            )
        same_id = sorted({dt for dt, rel in index if _matches(rel, data_id)})
        same_type = [self.root / rel for dt, rel in index if dt == dataset_type]
        text = ""
        if same_id:
            text += f"For that data id there is: {', '.join(same_id)}. "
        ids = sorted(
            {format_data_id(named.data_id) for named in map(parse_file_name, same_type) if named}
            - {""}
        )
        if ids and len(ids) == len(same_type):
            shown = "; ".join(ids[:_SHOWN]) + ("; ..." if len(ids) > _SHOWN else "")
            text += f"Data ids of {dataset_type} there: {shown}."
        elif same_type:
            text += f"Files of {dataset_type} there:\n" + self._listing(same_type)
        else:
            types = sorted({dt for dt, _ in index})
            text += f"There is no {dataset_type} at all; dataset types present: {', '.join(types)}."
        return text

    def _listing(self, paths: list[Path]) -> str:
        shown = [f"  {p.relative_to(self.root)}" for p in paths[:_SHOWN]]
        if len(paths) > _SHOWN:
            shown.append(f"  ... and {len(paths) - _SHOWN} more")
        return "\n".join(shown)


def _fields(template: str) -> set[str]:
    """The data-id keys ``template`` names (``dataset_type`` is not one)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name} - {"dataset_type"}


def _normalise(text: str) -> str:
    # Butler file names replace '.' and '/' of values by '_' (i_sim_1.4 -> i_sim_1_4).
    return text.replace("/", "_").replace(".", "_")


def _matches(relative: Path, data_id: DataId) -> bool:
    """Whether every value of ``data_id`` is a whole ``_``/``/``-separated word of ``relative``."""
    words = "_" + _normalise(str(relative)) + "_"
    instrument = str(
        data_id.get("instrument")
        or next((name for name in INSTRUMENTS if f"_{_normalise(name)}_" in words), "")
    )
    for key, value in data_id.items():
        variants = {_normalise(str(value))}
        if key == "detector" and str(value).isdigit():
            full_name = detector_full_name(instrument, value)
            if full_name:
                variants.add(full_name)
        if not any(f"_{v}_" in words for v in variants):
            return False
    return True

"""Walking the JSON tree of an lsst-images file with every failure naming its node.

Every read goes through :class:`Node`, which knows its dotted path from the root
(``backgrounds.fields.skyCorr.operands[1]``), so a missing key, a value of the wrong type
or an unsupported version becomes a :class:`~skybkg_adapters.FormatError` naming that path
rather than a bare ``KeyError``/``TypeError``.

Schema versions: every object node carries ``schema_version`` (``major.minor.patch``),
``min_read_version`` (an integer major) and ``schema_url``. A node whose
``min_read_version`` is above the major this reader knows for its schema cannot be read:
its writer says so, and :meth:`Node.check_version` raises. A newer ``schema_version`` with
an old enough ``min_read_version`` is readable by the format's own rule (lsst-images reads
it too: the writer promises that older readers may ignore what is new); it is read, and a
:class:`NewerSchemaWarning` says so once per schema, so the difference stays visible.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import astropy.units as u

from ..errors import FormatError

__all__ = ["KNOWN_SCHEMAS", "NewerSchemaWarning", "Node", "parse_unit"]

KNOWN_SCHEMAS: dict[str, tuple[int, int]] = {
    "visit_image": (1, 1),
    "cell_coadd": (1, 0),
    "background_map": (1, 0),
    "image": (1, 0),
    "mask": (1, 0),
    "spline_field": (1, 0),
    "chebyshev_field": (1, 0),
    "sum_field": (1, 0),
    "product_field": (1, 0),
    "detector": (1, 1),
}
"""Schema name -> the newest ``(major, minor)`` this reader was written against."""

_SCHEMA_URL = re.compile(r"^.*/(?P<name>[a-z_]+)-(?P<version>\d+\.\d+\.\d+)$")
_VERSION = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)\.\d+$")
_warned: set[tuple[str, str]] = set()


class NewerSchemaWarning(UserWarning):
    """A node's schema is newer than this reader knows, but declares itself readable."""


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


class Node:
    """One value of the JSON tree, its dotted path and the file it came from."""

    def __init__(self, value: Any, path: str, file: str) -> None:
        self.value = value
        self.path = path
        self.file = file

    def error(self, problem: str) -> FormatError:
        """A :class:`FormatError` about this node (to raise)."""
        return FormatError(self.file, problem, node=self.path)

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def mapping(self) -> dict[str, Any]:
        """The value, which must be a JSON object."""
        if not isinstance(self.value, dict):
            raise self.error(f"expected an object, found {_json_type(self.value)}")
        return self.value

    def sequence(self) -> list[Any]:
        """The value, which must be a JSON list."""
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, found {_json_type(self.value)}")
        return self.value

    def has(self, key: str) -> bool:
        """Whether this object has ``key``."""
        return key in self.mapping()

    def __getitem__(self, key: str | int) -> Node:
        if isinstance(key, int):
            items = self.sequence()
            if not 0 <= key < len(items):
                raise self.error(f"has {len(items)} items; item {key} is missing")
            return Node(items[key], self._child_path(key), self.file)
        mapping = self.mapping()
        if key not in mapping:
            raise self.error(f"required key {key!r} is missing (keys: {sorted(mapping)})")
        return Node(mapping[key], self._child_path(key), self.file)

    def get(self, key: str) -> Node | None:
        """Child ``key``, or None if it is absent or JSON null."""
        mapping = self.mapping()
        if mapping.get(key) is None:
            return None
        return Node(mapping[key], self._child_path(key), self.file)

    def items(self) -> list[Node]:
        """The items of a list."""
        return [self[i] for i in range(len(self.sequence()))]

    def members(self) -> dict[str, Node]:
        """The members of an object, by key."""
        return {key: self[key] for key in self.mapping()}

    def text(self) -> str:
        """The value, which must be a string."""
        if not isinstance(self.value, str):
            raise self.error(f"expected a string, found {_json_type(self.value)}")
        return self.value

    def integer(self) -> int:
        """The value, which must be an integer (not a boolean, not a float)."""
        if type(self.value) is not int:
            raise self.error(f"expected an integer, found {_json_type(self.value)} {self.value!r}")
        return self.value

    def number(self) -> float:
        """The value, which must be a number (NaN and infinities included)."""
        if type(self.value) not in (int, float):
            raise self.error(f"expected a number, found {_json_type(self.value)}")
        return float(self.value)

    def unit(self) -> u.UnitBase | None:
        """The value as an astropy unit (VOUnit first, as lsst-images); null is None."""
        if self.value is None:
            return None
        text = self.text()
        try:
            return parse_unit(text)
        except (ValueError, u.UnitsError) as exc:
            raise self.error(f"unit {text!r} is not a unit astropy knows ({exc})") from None

    def check_version(self) -> str | None:
        """Check ``schema_version``/``min_read_version`` (module docstring); the schema name.

        Nodes whose schema this reader does not interpret (or that carry no ``schema_url``)
        are not checked, only read around.
        """
        mapping = self.mapping()
        url = mapping.get("schema_url")
        match = _SCHEMA_URL.match(url) if isinstance(url, str) else None
        if match is None or match["name"] not in KNOWN_SCHEMAS:
            return None
        name = match["name"]
        major, minor = KNOWN_SCHEMAS[name]
        version = self["schema_version"].text()
        parsed = _VERSION.match(version)
        if parsed is None:
            raise self["schema_version"].error(
                f"schema_version {version!r} is not major.minor.patch"
            )
        needed = self["min_read_version"].integer()
        if needed > major:
            raise self["min_read_version"].error(
                f"this {name} (schema_version {version}) needs a reader of major version "
                f">= {needed}; this reader supports {name} up to {major}.{minor}. Read it "
                "with a newer glue-skybkg (or lsst-images)."
            )
        newer = (int(parsed["major"]), int(parsed["minor"])) > (major, minor)
        if newer and (name, version) not in _warned:
            _warned.add((name, version))
            warnings.warn(
                f"{self.file}: {name} schema_version {version} is newer than the {major}.{minor} "
                f"this reader knows; read as {major}.x because its min_read_version "
                f"({needed}) allows it. Newer parts may be ignored.",
                NewerSchemaWarning,
                stacklevel=2,
            )
        return name


def parse_unit(text: str) -> u.UnitBase:
    """A unit string as lsst-images reads it: VOUnit, else astropy's generic format."""
    try:
        return u.Unit(text, format="vounit")
    except ValueError:
        return u.Unit(text)

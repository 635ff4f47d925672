"""Data ids as users type them: ``"visit=512055, detector=75"`` and ``"0-188,190"``.

One parser for every place a data id or a list of ids is typed (the fetch dialog, the
survey command and dialog), so they all accept the same text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DataId", "format_data_id", "parse_data_id", "parse_int_list"]

DataId = Mapping[str, Any]
"""A data id: dimension name to value, e.g. ``{"visit": 512055, "detector": 75}``."""


def _value(text: str) -> int | str:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def parse_data_id(text: str) -> dict[str, Any]:
    """``"visit=512055, detector=75"`` -> ``{"visit": 512055, "detector": 75}``.

    Items are separated by commas or semicolons; values that are whole numbers become ints.

    Raises
    ------
    ValueError
        An item is not ``key=value``, or the text holds no item; the message shows an example.
    """
    data_id: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.replace(";", ",").split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(
                f"data id items look like key=value (e.g. visit=512055, detector=75); got {item!r}"
            )
        data_id[key.strip()] = _value(value)
    if not data_id:
        raise ValueError("enter a data id, e.g. visit=512055, detector=75")
    return data_id


def format_data_id(data_id: DataId) -> str:
    """The text :func:`parse_data_id` reads back: ``"visit=512055, detector=75"``."""
    return ", ".join(f"{key}={value}" for key, value in data_id.items())


def parse_int_list(text: str) -> list[int]:
    """``"1,2,5-7"`` -> ``[1, 2, 5, 6, 7]`` (detector and visit lists; order kept).

    Raises
    ------
    ValueError
        A part is neither a number nor a ``first-last`` range with first <= last.
    """
    values: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, sep, last = part.partition("-")
        try:
            lo, hi = int(first), int(last) if sep else int(first)
        except ValueError:
            raise ValueError(
                f"expected numbers and ranges like 0-188,190; got {part!r} in {text!r}"
            ) from None
        if hi < lo:
            raise ValueError(f"the range {part!r} runs backwards; write it as {hi}-{lo}")
        values.extend(range(lo, hi + 1))
    if not values:
        raise ValueError(f"expected numbers and ranges like 0-188,190; got {text!r}")
    return values

"""The IVOA DataLink ``links`` response: finding the ``#this`` file of a product."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ..errors import ProductNotFound, ServiceError
from .tokens import strip_url_secrets

__all__ = ["DataLinkFile", "this_link"]


@dataclass(frozen=True)
class DataLinkFile:
    """The ``#this`` row of a links response: the product file itself."""

    url: str
    """Where to GET it (on the RSP a presigned link to object storage, valid about an hour)."""
    content_length: int | None = None
    """Its size in bytes, if the service gave it."""
    content_type: str | None = None
    """Its MIME type (``application/fits``)."""


def this_link(votable: bytes, links_url: str) -> DataLinkFile:
    """The ``#this`` row of the links VOTable ``votable`` fetched from ``links_url``.

    Raises
    ------
    ProductNotFound
        The service reports the ID unknown (a ``NotFoundFault`` error row).
    ServiceError
        Another error row, or no ``#this`` row, or not a VOTable.
    """
    from astropy.io.votable import parse

    shown = strip_url_secrets(links_url)
    try:
        table = parse(io.BytesIO(votable)).get_first_table().to_table()
    except Exception as exc:  # noqa: BLE001 - astropy raises many kinds for non-VOTable bodies
        raise ServiceError(f"{shown} did not answer with a DataLink VOTable ({exc}).") from None
    columns = set(table.colnames)
    if not {"access_url", "semantics"} <= columns:
        raise ServiceError(f"{shown} answered a VOTable without access_url/semantics columns.")
    errors = []
    for row in table:
        if _text(row, "semantics") != "#this":
            continue
        error = _text(row, "error_message") if "error_message" in columns else None
        if error:
            errors.append(error)
            continue
        url = _text(row, "access_url")
        if url:
            length = row["content_length"] if "content_length" in columns else None
            return DataLinkFile(
                url=url,
                content_length=None if length is None or _missing(length) else int(length),
                content_type=_text(row, "content_type") if "content_type" in columns else None,
            )
    if any("NotFoundFault" in e for e in errors):
        raise ProductNotFound(
            f"The DataLink service {shown} does not know this product: {errors[0]}"
        )
    if errors:
        raise ServiceError(f"The DataLink service {shown} reported an error: {errors[0]}")
    raise ServiceError(f"The DataLink response from {shown} has no '#this' row with a file URL.")


def _missing(value) -> bool:
    return value is None or value is np.ma.masked or (isinstance(value, float) and np.isnan(value))


def _text(row, column: str) -> str | None:
    value = row[column]
    if _missing(value):
        return None
    if isinstance(value, bytes):
        value = value.decode()
    return str(value).strip() or None

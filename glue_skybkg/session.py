"""What a glue session stores for a product: where it came from, never its pixels.

A :class:`ProductRecipe` is a local file path, a provenance record (source spec + dataset type
+ data id), or both.  Restoring prefers the file when it exists and otherwise fetches the
product again through :func:`skybkg_adapters.open_source`, so a session saved on one machine
reopens on another that can reach the same source.  Paths follow the session's choice of
absolute or relative paths, like glue's own ``LoadLog``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glue.config import session_patch

from skybkg_adapters import (
    SAMPLE_SPEC,
    BackgroundModel,
    ProductNotFound,
    Provenance,
    SkyImage,
    Source,
    open_product,
    open_source,
    with_provenance,
)

from .tokens import token_for

__all__ = ["ProductRecipe", "fetch_from_source", "open_recorded_source", "set_sample_progress"]

_OLD_SAMPLE_SPEC = "skybkg-sample"
"""How glue-skybkg 0.1 sessions named the sample source (now ``sample:``)."""


_sample_progress: bool | Callable[[int, int, str], None] = True
"""How generating the sample on first use is shown (the console bar; the GUI adds a dialog)."""


def set_sample_progress(
    progress: bool | Callable[[int, int, str], None],
) -> bool | Callable[[int, int, str], None]:
    """Show the sample's generation (when a session or fetch needs it first) with ``progress``.

    True is the console bar; a ``(done, total, step)`` callable is told each step as well.
    Returns the previous setting.
    """
    global _sample_progress
    previous, _sample_progress = _sample_progress, progress
    return previous


def open_recorded_source(spec: str) -> Source:
    """The source a recorded spec names, with the token typed for it in this process, if any.

    Opening the sample (``sample:``) generates it on first use, shown as
    :func:`set_sample_progress` says.
    """
    token = token_for(spec)
    if token and spec.startswith(("http://", "https://")):  # only TAP services take a token
        return open_source(spec, token=token)
    if spec.startswith(SAMPLE_SPEC):
        return open_source(spec, progress=_sample_progress)
    return open_source(spec)


def fetch_from_source(provenance: Provenance) -> SkyImage | BackgroundModel:
    """The product ``provenance`` names, fetched again through its source.

    The product's provenance names the recorded source spec (so ``sample:`` stays
    machine-independent when the product is saved again).
    """
    if not provenance.dataset_type:
        raise ProductNotFound(
            f"cannot fetch from {provenance.source!r} again: no dataset type was recorded"
        )
    source = open_recorded_source(provenance.source)
    product = source.get(provenance.dataset_type, dict(provenance.data_id))
    recorded = Provenance(
        provenance.source,
        provenance.dataset_type,
        provenance.data_id,
        product.provenance.uri if product.provenance else None,
    )
    return with_provenance(product, recorded)


@dataclass(frozen=True)
class ProductRecipe:
    """How to get one product (an exposure or a background model) back.

    ``path`` is a local FITS file (absolute), ``provenance`` a :meth:`Provenance.to_dict`
    record; at least one is set.  A provenance with a dataset type means the product came
    from a source (folder, Butler, TAP) and can be fetched again there.
    """

    path: str | None = None
    provenance: dict[str, Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.path is None and not self.provenance:
            raise ValueError("a product recipe needs a path or a provenance record")
        if self.path is not None:
            object.__setattr__(self, "path", os.path.abspath(os.fspath(self.path)))

    @classmethod
    def for_product(
        cls, product: SkyImage | BackgroundModel, path: str | os.PathLike | None = None
    ) -> ProductRecipe:
        """The recipe of a product read from ``path`` or fetched from a source.

        A product fetched from a source (its provenance has a dataset type) is recorded by
        provenance only, so the session does not depend on this machine's download cache.
        """
        prov = product.provenance
        if prov is not None and prov.dataset_type:
            # the downloaded/cached file is this machine's business, not the session's
            return cls(path=None, provenance=dict(prov.to_dict(), uri=None))
        if path is None and prov is not None and prov.uri:
            path = prov.uri
        if path is None:
            raise ValueError(
                "this product was built in memory: it has no file and no source provenance, "
                "so a session could not restore it; write it to a FITS file first"
            )
        return cls(path=os.fspath(path))

    def describe(self) -> str:
        """A short human description (file name or dataset type + data id)."""
        prov = self.provenance or {}
        if prov.get("dataset_type"):
            return f"{prov['dataset_type']} {prov.get('data_id') or {}} from {prov['source']}"
        return str(self.path)

    def fetch(self) -> SkyImage | BackgroundModel:
        """Read the product: the local file when it exists, else again from its source."""
        prov = Provenance.from_dict(self.provenance) if self.provenance else None
        if self.path is not None and os.path.exists(self.path):
            product = open_product(self.path)
            if prov is not None and prov.dataset_type:
                product = with_provenance(product, prov)
            return product
        if prov is not None and prov.dataset_type:
            return fetch_from_source(prov)
        raise ProductNotFound(
            f"{self.path} does not exist and no source was recorded to fetch it from; "
            "put the file back (sessions store paths relative to the .glu when saved so)"
        )

    def __gluestate__(self, context) -> dict[str, Any]:
        path = self.path
        if path is not None and not context.absolute_paths:
            # save_session has made the .glu's folder the working directory
            path = os.path.relpath(path)
        return {"path": path, "provenance": self.provenance}

    @classmethod
    def __setgluestate__(cls, rec: dict[str, Any], context) -> ProductRecipe:
        # restore_session has made the .glu's folder the working directory
        return cls(path=rec.get("path"), provenance=rec.get("provenance"))


@session_patch(priority=0)
def _sample_spec_of_version_1(rec: dict[str, Any]) -> None:
    """Sessions of glue-skybkg 0.1 named the sample ``skybkg-sample``; it is ``sample:`` now."""
    for value in rec.values():
        if not isinstance(value, dict):
            continue
        for key in ("provenance", "kwargs"):
            record = value.get(key)
            if isinstance(record, dict) and record.get("source") == _OLD_SAMPLE_SPEC:
                record["source"] = SAMPLE_SPEC
            elif isinstance(record, list):  # LoadLog kwargs: [[name, value], ...]
                for pair in record:
                    if pair[:1] == ["source"] and pair[1] == _OLD_SAMPLE_SPEC:
                        pair[1] = SAMPLE_SPEC


@session_patch(priority=0)
def _display_unit_saved_before_units(rec: dict[str, Any]) -> None:
    """Sessions saved before images had units: drop the empty display unit of their layers.

    glue refuses an empty display unit for a component with a unit (``ct``, ``nJy``); left
    out, the layer shows the component's own unit, which is what the empty one meant.
    """
    for value in rec.values():
        values = value.get("values") if isinstance(value, dict) else None
        if isinstance(values, dict) and values.get("attribute_display_unit") == "st__":
            del values["attribute_display_unit"]

"""Which product a glue Data holds, and the open Data of a product.

The identity is recorded in the Data's ``meta`` when it is loaded (provenance, header cards,
file name: :func:`skybkg_adapters.identify`); an image's attached background has the identity
its recipe names.
"""

from __future__ import annotations

from typing import Any

from glue.core import Data

from skybkg_adapters import ProductIdentity, parse_file_name

from .gluedata import BACKGROUND, derived_link

__all__ = ["attached_background_identity", "data_identity", "find_product"]


def data_identity(data: Data) -> ProductIdentity:
    """What ``data``'s meta says it is; a recorded provenance comes first.

    Data saved by older versions (no ``identity`` in meta) are known by their provenance only.
    """
    identity = ProductIdentity.from_dict(data.meta.get("identity"))
    provenance = data.meta.get("provenance") or {}
    return identity.with_provenance(provenance.get("dataset_type"), provenance.get("data_id") or {})


def attached_background_identity(data: Data) -> ProductIdentity | None:
    """The identity of the background attached to ``data`` (None if none is attached).

    Known from the recipe's provenance when it was fetched from a source; a background read
    from a file has the dataset type its name gives and shares the image's data id (it was
    attached because the evidence agreed, or by hand).
    """
    link = derived_link(data, BACKGROUND)
    if link is None:
        return None
    recipe = getattr(link, "recipe", None)
    provenance = (recipe.provenance or {}) if recipe is not None else {}
    named = parse_file_name(recipe.path) if recipe is not None and recipe.path else None
    image = data_identity(data)
    identity = ProductIdentity(
        named.dataset_type if named is not None else None, image.data_id, image.instrument
    )
    return identity.with_provenance(provenance.get("dataset_type"), provenance.get("data_id") or {})


def _same_product(identity: ProductIdentity, dataset_type: str, key: dict[str, Any]) -> bool:
    return identity.dataset_type == dataset_type and identity.key == key


def find_product(data_collection: Any, dataset_type: str, data_id: dict[str, Any]) -> Data | None:
    """The open Data holding ``dataset_type`` for ``data_id``, or None.

    A background attached to an image counts as open in that image (the image is returned).
    """
    key = ProductIdentity(dataset_type, data_id).key
    for data in data_collection:
        if _same_product(data_identity(data), dataset_type, key):
            return data
        background = attached_background_identity(data)
        if background is not None and _same_product(background, dataset_type, key):
            return data
    return None

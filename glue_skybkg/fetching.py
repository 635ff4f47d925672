"""Fetching the notebook's product sets from a source into glue, ready to save in a session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from glue.core import Data
from glue.core.data_factories import load_data

from skybkg_adapters import SAMPLE_SPEC, TEMPLATE_QUERY
from skybkg_adapters.dataset_types import product_kind

from .actions import attach_pending_backgrounds
from .loaders import load_from_source

__all__ = [
    "DEFAULT_DATA_IDS",
    "PRODUCT_KINDS",
    "PRODUCT_LABELS",
    "SOURCE_KINDS",
    "add_products",
    "load_products",
    "products_for",
    "source_spec",
]

SOURCE_KINDS = ("Sample data set", "Folder", "Butler repository", "RSP TAP service")
"""The kinds of source the fetch forms offer (Qt dialog, Jupyter panel)."""


PRODUCT_KINDS = {
    "visit": ("calexp", "calexpBackground"),
    "coadd": ("deepCoadd", "deepCoadd_calexp", "deepCoadd_calexp_background"),
    "dp2_visit": ("visit_image",),
    "dp2_coadd": ("deep_coadd",),
}
"""The product sets: the notebook's visit image + its background and coadd triple (DP0.2),
and DP2's visit image and coadd, whose files carry their named backgrounds."""

PRODUCT_LABELS = {
    "visit": "Visit image + background (calexp, calexpBackground)",
    "coadd": "Coadd triple (deepCoadd, deepCoadd_calexp, its background)",
    "dp2_visit": "DP2 visit image with its named backgrounds (visit_image)",
    "dp2_coadd": "DP2 coadd with its named backgrounds (deep_coadd)",
}
"""How the fetch forms name the product sets."""

DEFAULT_DATA_IDS = {
    "visit": "visit=512055, detector=75",
    "coadd": "tract=4226, patch=17, band=r",
    "dp2_visit": "visit=512055, detector=75",
    "dp2_coadd": "tract=4226, patch=17, band=r",
}
"""The seed notebook's data ids, the forms' defaults (the sample has them too)."""


def source_spec(kind: str, location: str, collections: str = "", template: str = "") -> str:
    """The :func:`skybkg_adapters.open_source` spec for a fetch form's source fields.

    A folder's file-name ``template`` (``{dataset_type}_{visit}_{detector}.fits``) goes into
    the spec as :class:`~skybkg_adapters.LocalSource` records it, so sessions reopen it.
    """
    if kind == "Sample data set":
        return SAMPLE_SPEC
    location = location.strip()
    if not location:
        raise ValueError(f"enter the {kind.lower()} location")
    if kind == "Butler repository":
        spec = location if location.startswith("butler:") else f"butler:{location}"
        return f"{spec}?collections={collections.strip()}" if collections.strip() else spec
    if kind == "Folder" and template.strip():
        return f"{location}{TEMPLATE_QUERY}{quote(template.strip())}"
    return location


def products_for(dataset_type: str) -> tuple[str, ...]:
    """The products fetched together for an image's dataset type, the image first.

    A type of the notebook's sets brings its set (``calexp`` its ``calexpBackground``;
    ``deepCoadd`` or ``deepCoadd_calexp`` the coadd triple); ``"visit"`` and ``"coadd"`` name
    the sets; any other exposure type brings ``<type>_background``, as DP1 names them
    (``visit_image`` -> ``visit_image_background``).  A DP2 ``visit_image`` or ``deep_coadd``
    carries its backgrounds in its own file: :func:`load_products` tells that by the file's
    content and then skips the DP1 companion.
    """
    if dataset_type in PRODUCT_KINDS:
        return PRODUCT_KINDS[dataset_type]
    if product_kind(dataset_type) == "background":
        raise ValueError(
            f"{dataset_type!r} is a background; name the image it belongs to "
            "(e.g. 'calexp', 'visit_image', 'deepCoadd_calexp')"
        )
    for kinds in PRODUCT_KINDS.values():
        if dataset_type in kinds and len(kinds) > 1:
            return (dataset_type, *(k for k in kinds if k != dataset_type))
    return (dataset_type, f"{dataset_type}_background")


def load_products(
    source: str,
    dataset_types: tuple[str, ...],
    data_id: dict[str, Any],
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[Data]:
    """Fetch several products of one data id from a source, as glue Data (session-ready).

    ``progress(done, total, dataset_type)`` is called before each fetch and at the end;
    ``cancelled()`` returning True stops before the next fetch and returns what was
    fetched so far.  Each Data carries a glue LoadLog naming :func:`load_from_source`,
    so sessions store the source, dataset type and data id, not the pixels.  A
    ``<image>_background`` is skipped when ``<image>`` came in the new format, whose file
    holds its named backgrounds (a DP2 ``visit_image``; DP1's is afw with a separate one).
    """
    datasets: list[Data] = []
    carry_backgrounds: set[str] = set()
    total = len(dataset_types)
    for done, dataset_type in enumerate(dataset_types):
        if cancelled is not None and cancelled():
            break
        if dataset_type.removesuffix("_background") in carry_backgrounds:
            continue
        if progress is not None:
            progress(done, total, dataset_type)
        # The "path" glue logs is only a name (it labels the Data); the kwargs are the recipe.
        data = load_data(
            dataset_type,
            factory=load_from_source,
            source=source,
            dataset_type=dataset_type,
            data_id=dict(data_id),
        )
        datasets.append(data)
        if data.meta.get("format") == "lsst-images":
            carry_backgrounds.add(dataset_type)
    else:
        if progress is not None:
            progress(total, total, "")
    return datasets


def add_products(data_collection: Any, datasets: list[Data]) -> list[Data]:
    """Add fetched or opened Data to a collection, backgrounds attached to their images.

    glue-qt attaches backgrounds when its application adds data (an autolinker of the
    plugin); a collection filled directly, as glue-jupyter does, needs this.  Returns the
    exposures among ``datasets``, in order.
    """
    for data in datasets:
        if data not in data_collection:
            data_collection.append(data)
    attach_pending_backgrounds(data_collection)
    return [d for d in datasets if d in data_collection and d.meta.get("skybkg_kind") == "exposure"]

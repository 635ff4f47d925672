"""Fetching the notebook's product sets from a source into glue, ready to save in a session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glue.core import Data
from glue.core.data_factories import load_data

from .loaders import load_from_source

__all__ = ["PRODUCT_KINDS", "load_products"]


PRODUCT_KINDS = {
    "visit": ("calexp", "calexpBackground"),
    "coadd": ("deepCoadd", "deepCoadd_calexp", "deepCoadd_calexp_background"),
}
"""The notebook's two product sets: a visit image + its background, and the coadd triple."""


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
    so sessions store the source, dataset type and data id, not the pixels.
    """
    datasets: list[Data] = []
    total = len(dataset_types)
    for done, dataset_type in enumerate(dataset_types):
        if cancelled is not None and cancelled():
            break
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
    else:
        if progress is not None:
            progress(total, total, "")
    return datasets

"""Which band a visit was taken in, from whichever source holds it (where the source knows)."""

from __future__ import annotations

from ..errors import SkybkgError
from .base import Source
from .butler import ButlerSource
from .sample import SampleSource

__all__ = ["band_of_visit"]


def band_of_visit(source: Source, visit: int, dataset_type: str = "calexpBackground") -> str | None:
    """The band of ``visit`` in ``source``, or None where the source does not record it.

    A Butler knows it from the visit's dimension record (``dataset_type`` says which
    instrument to look under when the data id leaves it out); the sample from its catalogue;
    plain folders and TAP services are not asked (None).
    """
    if isinstance(source, SampleSource):
        from ..sample import visit_band

        try:
            return visit_band(visit)[0]
        except SkybkgError:
            return None
    if isinstance(source, ButlerSource):
        data_id = source.complete_data_id(dataset_type, {"visit": int(visit)})
        try:
            expanded = source.butler.registry.expandDataId(
                {k: v for k, v in data_id.items() if k in ("instrument", "visit")}
            )
            return str(expanded["band"])
        except (LookupError, AttributeError, ValueError):  # no such visit record: no label
            return None
    return None

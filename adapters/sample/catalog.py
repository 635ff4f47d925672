"""What the sample data set holds: its products, their data ids and where their files go.

DP0.2-like products under their DP0.2 names and data ids (see :mod:`.generate` for how the
pixels are made and :mod:`.store` for where the set lives):

* ``calexp`` + ``calexpBackground`` for visit 512055, detectors 74, 75 and 76
  (4072 x 4000 counts; 4 background entries of 32 x 32 bins, Chebyshev order 1, as
  lsst-formats.md section 6.1 describes), so that ``calexp + background`` restores the sky;
* ``deepCoadd``, ``deepCoadd_calexp`` and ``deepCoadd_calexp_background`` for tract 4226,
  patch 17, band r (4200 x 4200 nJy, one constant 1 x 1 "tweak" entry);
* ``calexpBackground`` for all 189 science detectors of the three :data:`FULL_VISITS` (small
  files, no calexp pixels), one smooth sky across the focal plane per visit with per-detector
  offsets, one deliberately bad detector (:data:`BAD_DETECTOR`) and one missing file
  (:data:`MISSING_DETECTOR`): the focal-plane survey's data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..detectors import detector_full_name
from ..errors import ProductNotFound
from ..user_cache import user_cache_dir

__all__ = [
    "BAD_DETECTOR",
    "BAND",
    "CALEXP_DATA_ID",
    "COADD_DATA_ID",
    "DETECTOR",
    "DETECTORS",
    "DETECTOR_NAMES",
    "FULL_VISITS",
    "FULL_VISIT_DETECTORS",
    "INSTRUMENT",
    "MISSING_DETECTOR",
    "PHYSICAL_FILTER",
    "RUN",
    "SAMPLE_VERSION",
    "SEED",
    "VISIT",
    "Product",
    "SampleSet",
    "all_products",
    "coadd_product",
    "full_visit_product",
    "full_visit_products",
    "sample_root",
    "visit_band",
    "visit_product",
]

SAMPLE_VERSION = 4
"""Bumped whenever the generated products change; an older sample is regenerated."""
SEED = 20230922
"""Seed of every random draw (the date the seed notebook was last verified)."""
RUN = "2.2i/runs/DP0.2"
"""The Butler run (and collection) the products are registered in."""
INSTRUMENT = "LSSTCam-imSim"
"""The instrument of the sample calexps (DP0.2's simulated LSSTCam)."""
VISIT = 512055
"""The visit of the sample calexps (the notebook's)."""
DETECTOR = 75
"""The detector the notebook uses."""
DETECTORS = (74, 75, 76)
"""Every detector of the visit in the sample; the notebook's one and two neighbours."""
CALEXP_DATA_ID = MappingProxyType({"visit": VISIT, "detector": DETECTOR})
"""The notebook's calexp data id."""
COADD_DATA_ID = MappingProxyType({"tract": 4226, "patch": 17, "band": "r"})
"""The notebook's coadd data id."""
BAND, PHYSICAL_FILTER = "i", "i_sim_1.4"
"""Band and physical filter of the sample visit."""
DETECTOR_NAMES = {74: "R20_S02", 75: "R20_S10", 76: "R20_S11"}
"""LSSTCam-imSim full names of the sample's detectors (raft R20)."""
FULL_VISITS = MappingProxyType(
    {VISIT: (BAND, PHYSICAL_FILTER), 1172317: ("r", "r_sim_1.4"), 1206010: ("z", "z_sim_1.4")}
)
"""Visits with a calexpBackground for every science detector: visit -> (band, physical filter)."""
FULL_VISIT_DETECTORS = tuple(range(189))
"""The LSSTCam science detectors of each full visit."""
BAD_DETECTOR = MappingProxyType({"visit": VISIT, "detector": 113})
"""The full-visit detector whose background model deliberately went wrong (offset and ramp)."""
MISSING_DETECTOR = MappingProxyType({"visit": VISIT, "detector": 42})
"""The full-visit detector whose calexpBackground file is deliberately missing."""


@dataclass(frozen=True)
class Product:
    """One file of the sample: its dataset type, data id and path relative to the root."""

    dataset_type: str
    data_id: Mapping[str, Any]
    path: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_id", MappingProxyType(dict(self.data_id)))


def _run_suffix() -> str:
    return RUN.replace("/", "_").replace(".", "_")


def visit_band(visit: int) -> tuple[str, str]:
    """``(band, physical filter)`` of a sample visit; ProductNotFound for another visit."""
    try:
        return FULL_VISITS[int(visit)]
    except KeyError:
        raise ProductNotFound(
            f"the sample has no visit {visit}; its visits are {list(FULL_VISITS)}"
        ) from None


def _visit_file(dataset_type: str, visit: int, detector: int) -> Product:
    """The file of a visit product, named and placed as the Butler's datastore does."""
    band, physical_filter = visit_band(visit)
    full_name = detector_full_name(INSTRUMENT, detector) or f"D{detector:03d}"
    parts = (dataset_type, INSTRUMENT, band, physical_filter, str(visit), full_name, _run_suffix())
    path = f"{RUN}/{dataset_type}/{band}/{physical_filter}/{visit}/{'_'.join(parts)}.fits"
    return Product(dataset_type, {"visit": visit, "detector": detector}, path)


def visit_product(dataset_type: str, detector: int) -> Product:
    """The sample's ``dataset_type`` file of ``detector``, named as the Butler names it."""
    return _visit_file(dataset_type, VISIT, detector)


def full_visit_product(visit: int, detector: int) -> Product:
    """The calexpBackground file of a full visit's detector (present or not)."""
    return _visit_file("calexpBackground", visit, detector)


def full_visit_products() -> tuple[Product, ...]:
    """The full visits' background files beyond the calexp detectors' own, less the missing one."""
    skip = {(VISIT, d) for d in DETECTORS} | {tuple(MISSING_DETECTOR.values())}
    return tuple(
        full_visit_product(visit, detector)
        for visit in FULL_VISITS
        for detector in FULL_VISIT_DETECTORS
        if (visit, detector) not in skip
    )


def coadd_product(dataset_type: str) -> Product:
    """The sample's ``dataset_type`` file of the coadd patch, named as the Butler names it."""
    tract, patch, band = (COADD_DATA_ID[k] for k in ("tract", "patch", "band"))
    name = f"{dataset_type}_{tract}_{patch}_{band}_DC2_{_run_suffix()}"
    path = f"{RUN}/{dataset_type}/{tract}/{patch}/{band}/{name}.fits"
    return Product(dataset_type, dict(COADD_DATA_ID), path)


def all_products() -> tuple[Product, ...]:
    """Every file: the visit's pairs, the coadd triple, then the full visits' backgrounds."""
    visit = tuple(
        visit_product(kind, detector)
        for detector in DETECTORS
        for kind in ("calexp", "calexpBackground")
    )
    coadd = tuple(
        coadd_product(kind)
        for kind in ("deepCoadd", "deepCoadd_calexp", "deepCoadd_calexp_background")
    )
    return visit + coadd + full_visit_products()


@dataclass(frozen=True)
class SampleSet:
    """A generated sample data set: where each product is and under which data id.

    ``butler_repo`` is the root of the Butler repository over the same files, or None
    when lsst-daf-butler is not installed (the files are then used as plain files).
    """

    root: Path
    products: tuple[Product, ...] = field(default_factory=all_products)
    butler_repo: Path | None = None

    def path(self, dataset_type: str, data_id: Mapping[str, Any]) -> Path:
        """The file of ``dataset_type`` with ``data_id``; ProductNotFound if the sample has none."""
        wanted = dict(data_id)
        for product in self.products:
            if product.dataset_type == dataset_type and dict(product.data_id) == wanted:
                return self.root / product.path
        if wanted == dict(MISSING_DETECTOR):
            raise ProductNotFound(
                f"the sample's {dataset_type} for {wanted} is missing on purpose (a survey "
                "must report a missing file as a row, not stop)"
            )
        raise ProductNotFound(
            f"the sample data set has no {dataset_type} for {wanted}; it holds calexps of visit "
            f"{VISIT} detectors {list(DETECTORS)}, tract/patch/band {dict(COADD_DATA_ID)} and "
            f"calexpBackground of detectors 0-188 of visits {list(FULL_VISITS)}"
        )

    @property
    def detectors(self) -> tuple[int, ...]:
        """Detector numbers of visit 512055 in the sample."""
        return DETECTORS

    @property
    def calexp(self) -> Path:
        """The notebook's calexp (visit 512055, detector 75)."""
        return self.path("calexp", CALEXP_DATA_ID)

    @property
    def calexp_background(self) -> Path:
        """Its calexpBackground."""
        return self.path("calexpBackground", CALEXP_DATA_ID)

    @property
    def coadd(self) -> Path:
        """The deepCoadd of tract 4226, patch 17, band r."""
        return self.path("deepCoadd", COADD_DATA_ID)

    @property
    def coadd_calexp(self) -> Path:
        """The deepCoadd_calexp (deepCoadd minus the residual background)."""
        return self.path("deepCoadd_calexp", COADD_DATA_ID)

    @property
    def coadd_background(self) -> Path:
        """The deepCoadd_calexp_background (the constant residual)."""
        return self.path("deepCoadd_calexp_background", COADD_DATA_ID)


def sample_root() -> Path:
    """Where the sample lives: ``$SKYBKG_SAMPLE_DIR``, else the user cache.

    The cache is ``$XDG_CACHE_HOME/glue-skybkg/sample``, falling back to
    ``~/.cache/glue-skybkg/sample``.
    """
    override = os.environ.get("SKYBKG_SAMPLE_DIR")
    if override:
        return Path(override).expanduser()
    return user_cache_dir() / "sample"

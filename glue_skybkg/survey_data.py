"""A visit background survey in glue: the table and the mosaics as linked Data, saved by recipe.

:func:`load_survey` is the data factory a session records (source, visits, detectors, scale):
restoring a session runs it again, which reads the survey's files from the user cache
(``surveys/<recipe hash>/``) when an earlier run left them there and surveys again otherwise.
The table Data has one row per (visit, detector); each mosaic Data is one visit's focal-plane
picture with ``background`` (and ``minus plane``), ``detector`` and ``visit`` components.
Table and mosaics are joined on ``(visit, detector)`` both ways, so a selection of rows (in
a scatter plot of the table) highlights those detectors in the mosaics, and a region drawn
on a mosaic selects its detectors' rows.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from glue.core import Data

from skybkg_adapters import FormatError
from skybkg_adapters.focal_plane import DEFAULT_SCALE_MM
from skybkg_adapters.user_cache import user_cache_dir

from .survey import (
    ALL_DETECTORS,
    MosaicProduct,
    mosaic_path,
    read_mosaic,
    read_survey_table,
    run_survey,
    table_path,
)

__all__ = [
    "MINUS_PLANE",
    "MOSAIC",
    "SurveyRecipe",
    "load_survey",
    "mosaic_to_data",
    "run_recipe",
    "survey_to_data",
    "table_to_data",
]

MOSAIC = "background"
"""The mosaic Data's picture component."""
MINUS_PLANE = "minus plane"
"""The mosaic minus the visit's focal-plane plane."""
_KEYS = ("visit", "detector")
_TABLE_COMPONENTS = (
    "visit", "detector", "fp_x", "fp_y", "mean", "median", "std", "min", "max",
    "grad_x", "grad_y", "offset", "n_entries",
)  # fmt: skip


class SurveyRecipe(dict):
    """What a survey is: ``source``, ``visits``, ``detectors``, ``scale`` (JSON values only)."""

    def __init__(
        self,
        source: str,
        visits: Sequence[int],
        detectors: Sequence[int] = ALL_DETECTORS,
        scale: float = DEFAULT_SCALE_MM,
    ) -> None:
        super().__init__(
            source=str(source),
            visits=[int(v) for v in visits],
            detectors=[int(d) for d in detectors],
            scale=float(scale),
        )

    @property
    def folder(self) -> Path:
        """Where this survey's files are kept: the user cache, by recipe."""
        digest = hashlib.sha256(json.dumps(self, sort_keys=True).encode()).hexdigest()[:20]
        return user_cache_dir() / "surveys" / digest


def run_recipe(
    recipe: SurveyRecipe,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    report: Callable[[str], None] | None = None,
    scheduler: Any = None,
) -> Path:
    """Run the survey of ``recipe`` into its cache folder (unless it is there); the folder."""
    folder = recipe.folder
    if not _cached(recipe):
        run_survey(
            recipe["source"],
            recipe["visits"],
            recipe["detectors"],
            scale=recipe["scale"],
            subtract_plane=True,
            out=folder,  # written there as visits finish: their PNGs drawn on the workers
            scheduler=scheduler,
            progress=progress,
            cancelled=cancelled,
            report=report,
        )
    return folder


def _cached(recipe: SurveyRecipe) -> bool:
    folder = recipe.folder
    return table_path(folder).exists() and all(
        mosaic_path(folder, v).exists() for v in recipe["visits"]
    )


def table_to_data(table: Any, label: str = "survey") -> Data:
    """The survey table as a glue Data (numeric columns, and ``name``/``status`` as text)."""
    data = Data(label=label)
    for name in _TABLE_COMPONENTS:
        data.add_component(np.asarray(table[name], dtype=np.float64), name)
    data.add_component(np.asarray(table["outlier"], dtype=np.float64), "outlier")
    for name in ("name", "band", "status"):
        data.add_component(np.asarray(table[name]).astype(str), name)
    return data


def mosaic_to_data(product: MosaicProduct) -> Data:
    """One visit's mosaic as a glue image Data in focal-plane mm (its linear WCS)."""
    from astropy.wcs import WCS

    grid = product.grid
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["FP_X", "FP_Y"]
    wcs.wcs.crpix = [1.0, 1.0]
    wcs.wcs.crval = [grid.x0 + 0.5 * grid.scale, grid.y0 + 0.5 * grid.scale]
    wcs.wcs.cdelt = [grid.scale, grid.scale]
    components: dict[str, np.ndarray] = {MOSAIC: product.image}
    if product.minus_plane is not None:
        components[MINUS_PLANE] = product.minus_plane
    components["detector"] = product.detector_map.astype(np.float64)
    components["visit"] = np.full(grid.shape, float(product.visit))
    data = Data(label=f"mosaic {product.visit}", coords=wcs, **components)
    data.meta["skybkg_kind"] = "mosaic"
    data.meta["visit"] = int(product.visit)
    return data


def survey_to_data(table: Any, mosaics: Sequence[MosaicProduct]) -> list[Data]:
    """The table and the mosaics as glue Data, joined on ``(visit, detector)`` both ways."""
    table_data = table_to_data(table)
    table_data.meta["skybkg_kind"] = "survey"
    table_data.meta["source"] = str(table.meta.get("source", ""))
    datasets = [table_data]
    for product in mosaics:
        mosaic = mosaic_to_data(product)
        mosaic.join_on_key(table_data, _KEYS, _KEYS)
        table_data.join_on_key(mosaic, _KEYS, _KEYS)
        mosaic.meta["source"] = table_data.meta["source"]
        datasets.append(mosaic)
    return datasets


def load_survey(
    path: str,
    source: str,
    visits: list[int],
    detectors: list[int] | None = None,
    scale: float = DEFAULT_SCALE_MM,
) -> list[Data]:
    """The glue data factory of a survey: its table and mosaics (see the module docstring).

    Used as ``load_data(label, factory=load_survey, source=..., visits=[...])``; the session
    then records the recipe, never the pixels.  ``path`` only labels the Data.
    """
    recipe = SurveyRecipe(source, visits, ALL_DETECTORS if detectors is None else detectors, scale)
    try:
        return _read(run_recipe(recipe), recipe)
    except FormatError:  # a damaged cached copy: survey again
        for stale in recipe.folder.iterdir():
            os.remove(stale)
        return _read(run_recipe(recipe), recipe)


def _read(folder: Path, recipe: SurveyRecipe) -> list[Data]:
    table = read_survey_table(table_path(folder))
    return survey_to_data(table, [read_mosaic(mosaic_path(folder, v)) for v in recipe["visits"]])

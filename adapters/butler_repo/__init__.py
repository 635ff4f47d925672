"""Build a real Butler repository (sqlite registry, file datastore) holding given FITS files."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from astropy.io import fits

from ..dataset_types import product_kind
from ..detectors import detector_full_name
from ..errors import MissingDependency
from ..lsst_fits import detect_kind
from ..lsst_images import is_lsst_images

__all__ = ["DP02_DATASET_TYPES", "create_butler_repo"]

_VISIT_DIMENSIONS = ("instrument", "visit", "detector")
_COADD_DIMENSIONS = ("skymap", "tract", "patch", "band")
_VISIT_SUMMARY_DIMENSIONS = ("instrument", "visit")

DP02_DATASET_TYPES = {
    "calexp": _VISIT_DIMENSIONS,
    "calexpBackground": _VISIT_DIMENSIONS,
    "deepCoadd": _COADD_DIMENSIONS,
    "deepCoadd_calexp": _COADD_DIMENSIONS,
    "deepCoadd_calexp_background": _COADD_DIMENSIONS,
}
"""The DP0.2 dataset types every repository gets, with their dimensions."""

# The DC2 sky map has 7 x 7 patches per tract, numbered row by row.
_PATCHES_PER_SIDE = 7
_DEFAULT_DAY_OBS = 20220101
# Storage class names of the afw and lsst-images types. Their Python types (lsst.afw,
# lsst.images) are only imported by Butler.get; registering, ingesting and getURI never
# import them, so the standard names work without those packages and the repository
# matches a real DP0.2/DP1/DP2 one. DP2 types are told from afw ones by the file's content.
_STORAGE_CLASSES = {"exposure": "ExposureF", "background": "Background"}
_CATALOG_STORAGE_CLASS = "ExposureCatalog"
_LSST_IMAGES_STORAGE_CLASSES = {
    "/visit_image-": "VisitImage",
    "/cell_coadd-": "CellCoadd",
    "/background_map-": "BackgroundMap",
}
# Recorded as metadata only (obs_lsst is never imported); None for other instruments.
_INSTRUMENT_CLASSES = {
    "LSSTCam-imSim": "lsst.obs.lsst.LsstCamImSim",
    "LSSTComCam": "lsst.obs.lsst.LsstComCam",
}
_FORMATTER = "skybkg_adapters.butler_repo.formatter.SkyFitsFormatter"


def create_butler_repo(
    root: str | os.PathLike,
    products: Iterable[tuple[str, Mapping[str, Any], str | os.PathLike]],
    run: str = "2.2i/runs/DP0.2",
    instrument: str = "LSSTCam-imSim",
    skymap: str = "DC2",
    transfer: str | None = "copy",
) -> Path:
    """Create a Butler repository at ``root`` and ingest ``products`` into the RUN ``run``.

    The registry gets the DP0.2 dimensions the data ids need (instrument, detector,
    physical_filter, band, day_obs, visit, skymap, tract, patch) and the dataset types of
    :data:`DP02_DATASET_TYPES` (others named in ``products`` are registered with visit or
    coadd dimensions, whichever their data id has; ``visit_summary`` with instrument and
    visit). Storage classes follow the files' content: afw ``ExposureF``/``Background``,
    lsst-images ``VisitImage``/``CellCoadd``/``BackgroundMap`` (whose ``backgrounds``
    component the Butler resolves to the image's own file), ``ExposureCatalog``.

    Parameters
    ----------
    root
        A new folder for the repository.
    products
        ``(dataset_type, data_id, path)`` triples. Visit data ids need ``visit``,
        ``detector`` and ``band`` (``physical_filter`` defaults to the DP0.2 name
        ``<band>_sim_1.4``, ``day_obs`` to 20220101); coadd data ids need ``tract``,
        ``patch`` and ``band``.
    run, instrument, skymap
        The RUN collection and the governor values filled into every data id.
    transfer
        How files enter the datastore. ``"copy"`` (default) makes a self-contained,
        relocatable repository laid out exactly as a Butler file datastore (the layout
        :class:`~.local.LocalSource` reads); ``None`` registers files that already lie
        under ``root`` where they are (paths stored relative: still relocatable);
        ``"symlink"`` and ``"direct"`` point at files elsewhere and break if they move.

    Returns
    -------
    Path
        The repository root, ready for ``Butler(root, collections=run)``.

    Raises
    ------
    MissingDependency
        lsst-daf-butler is not installed.
    ValueError
        A data id lacks a key its dimensions need.
    """
    try:
        from lsst.daf.butler import (
            Butler,
            DataCoordinate,
            DatasetRef,
            DatasetType,
            FileDataset,
        )
    except ImportError:
        raise MissingDependency(
            "Creating a Butler repository needs lsst-daf-butler: pip install 'glue-skybkg[butler]'"
        ) from None

    root = Path(root)
    entries = [(dt, dict(data_id), Path(path)) for dt, data_id, path in products]
    Butler.makeRepo(str(root))
    butler = Butler.from_config(str(root), writeable=True)
    registry = butler.registry
    universe = butler.dimensions

    _insert_dimensions(registry, entries, instrument, skymap)
    types: dict[str, tuple[str, ...]] = dict(DP02_DATASET_TYPES)
    storage = {name: _STORAGE_CLASSES[product_kind(name)] for name in types}
    for dataset_type, data_id, path in entries:
        types.setdefault(dataset_type, _dimensions(dataset_type, data_id))
        storage.setdefault(dataset_type, _storage_class(dataset_type, path))
    for name, dimensions in types.items():
        registry.registerDatasetType(
            DatasetType(name, dimensions, storage[name], universe=universe)
        )
    registry.registerRun(run)

    datasets = []
    for dataset_type, data_id, path in entries:
        full_id = _governed(data_id, types[dataset_type], instrument, skymap)
        coordinate = DataCoordinate.standardize(full_id, universe=universe)
        ref = DatasetRef(registry.getDatasetType(dataset_type), coordinate, run=run)
        datasets.append(FileDataset(path=str(path.resolve()), refs=[ref], formatter=_FORMATTER))
    if datasets:
        butler.ingest(*datasets, transfer=transfer)
    return root


def _dimensions(dataset_type: str, data_id: Mapping[str, Any]) -> tuple[str, ...]:
    """The dimensions of a dataset type not in :data:`DP02_DATASET_TYPES`, from its data id."""
    if product_kind(dataset_type) == "catalog":
        return _VISIT_SUMMARY_DIMENSIONS
    return _VISIT_DIMENSIONS if "visit" in data_id else _COADD_DIMENSIONS


def _storage_class(dataset_type: str, path: Path) -> str:
    """The storage class of a file: by its dataset type's kind and, for images, its format."""
    kind = product_kind(dataset_type)
    if kind == "catalog":
        return _CATALOG_STORAGE_CLASS
    if is_lsst_images(path):
        model = str(fits.getheader(path, 0).get("DATAMODL", ""))
        for marker, name in _LSST_IMAGES_STORAGE_CLASSES.items():
            if marker in model:
                return name
        raise ValueError(f"{path}: no storage class for the lsst-images schema {model!r}")
    return _STORAGE_CLASSES[detect_kind(path) if kind == "exposure" else kind]


def _governed(
    data_id: Mapping[str, Any], dimensions: tuple[str, ...], instrument: str, skymap: str
) -> dict[str, Any]:
    """``data_id`` restricted to ``dimensions`` with the governor values added."""
    full = {"instrument": instrument, "skymap": skymap, **data_id}
    return {key: full[key] for key in dimensions}


def _insert_dimensions(registry, products, instrument: str, skymap: str) -> None:
    """Insert the dimension records every data id of ``products`` refers to."""
    visits, detectors, filters, days, patches = {}, set(), {}, set(), set()
    for _, data_id, _ in products:
        if "visit" in data_id:
            _require(
                data_id,
                ("visit", "band") if "detector" not in data_id else ("visit", "detector", "band"),
            )
            band = str(data_id["band"])
            physical_filter = str(data_id.get("physical_filter", f"{band}_sim_1.4"))
            day_obs = int(data_id.get("day_obs", _DEFAULT_DAY_OBS))
            visits[int(data_id["visit"])] = (physical_filter, day_obs)
            filters[physical_filter] = band
            days.add(day_obs)
            if "detector" in data_id:
                detectors.add(int(data_id["detector"]))
        else:
            _require(data_id, ("tract", "patch", "band"))
            patches.add((int(data_id["tract"]), int(data_id["patch"])))

    registry.insertDimensionData(
        "instrument",
        {
            "name": instrument,
            "visit_max": 10**8,
            "exposure_max": 10**8,
            "detector_max": 1000,
            "class_name": _INSTRUMENT_CLASSES.get(instrument),
        },
    )
    if filters:
        registry.insertDimensionData(
            "physical_filter",
            *(
                {"instrument": instrument, "name": name, "band": band}
                for name, band in filters.items()
            ),
        )
        registry.insertDimensionData(
            "day_obs", *({"instrument": instrument, "id": d} for d in days)
        )
        if detectors:
            registry.insertDimensionData(
                "detector", *(_detector_record(instrument, d) for d in detectors)
            )
        registry.insertDimensionData(
            "visit",
            *(
                {
                    "instrument": instrument,
                    "id": visit,
                    "name": str(visit),
                    "physical_filter": physical_filter,
                    "day_obs": day_obs,
                }
                for visit, (physical_filter, day_obs) in visits.items()
            ),
        )
    registry.insertDimensionData(
        "skymap",
        {
            "name": skymap,
            "hash": skymap.encode(),
            "tract_max": 10**5,
            "patch_nx_max": _PATCHES_PER_SIDE,
            "patch_ny_max": _PATCHES_PER_SIDE,
        },
    )
    tracts = sorted({tract for tract, _ in patches})
    if tracts:
        registry.insertDimensionData("tract", *({"skymap": skymap, "id": t} for t in tracts))
        registry.insertDimensionData(
            "patch",
            *(
                {
                    "skymap": skymap,
                    "tract": tract,
                    "id": patch,
                    "cell_x": patch % _PATCHES_PER_SIDE,
                    "cell_y": patch // _PATCHES_PER_SIDE,
                }
                for tract, patch in sorted(patches)
            ),
        )


def _require(data_id: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    missing = [key for key in keys if key not in data_id]
    if missing:
        raise ValueError(
            f"data id {dict(data_id)} lacks {missing}: a visit product needs visit, detector "
            "and band, a coadd product tract, patch and band"
        )


def _detector_record(instrument: str, detector: int) -> dict:
    full_name = detector_full_name(instrument, detector) or f"D{detector:03d}"
    raft, _, name_in_raft = full_name.partition("_")
    return {
        "instrument": instrument,
        "id": detector,
        "full_name": full_name,
        "raft": raft or None,
        "name_in_raft": name_in_raft or full_name,
        "purpose": "SCIENCE",
    }

"""The survey table: one row per (visit, detector), outliers flagged, written atomically.

Parquet when pyarrow is importable (dask brings it), otherwise ECSV; both keep the column
types and the table's ``meta`` (source, dataset type, visits, scale).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from skybkg_adapters import FormatError, atomic_output

__all__ = [
    "OUTLIER_SIGMA",
    "SURVEY_COLUMNS",
    "flag_outliers",
    "read_survey_table",
    "robust_sigma",
    "survey_table",
    "table_path",
    "write_survey_table",
]

SURVEY_COLUMNS = {
    "visit": (np.int64, "", "visit id"),
    "detector": (np.int64, "", "detector id"),
    "name": (str, "", "detector name, e.g. R22_S11"),
    "band": (str, "", "band of the visit ('' if the source does not say)"),
    "fp_x": (np.float64, "mm", "focal-plane x of the detector centre"),
    "fp_y": (np.float64, "mm", "focal-plane y of the detector centre"),
    "mean": (np.float64, "count", "mean of the full-resolution background"),
    "median": (np.float64, "count", "median of the full-resolution background"),
    "std": (np.float64, "count", "standard deviation of the full-resolution background"),
    "min": (np.float64, "count", "minimum of the full-resolution background"),
    "max": (np.float64, "count", "maximum of the full-resolution background"),
    "grad_x": (np.float64, "count / pix", "plane fit across the detector: dB/dx"),
    "grad_y": (np.float64, "count / pix", "plane fit across the detector: dB/dy"),
    "offset": (np.float64, "count", "mean minus the visit's focal-plane plane at the centre"),
    "n_entries": (np.int64, "", "number of background entries (layers)"),
    "outlier": (bool, "", "offset beyond OUTLIER_SIGMA robust sigma of the visit"),
    "status": (str, "", "ok, missing, unreadable or failed"),
    "error": (str, "", "what went wrong ('' when ok)"),
}
"""Column -> (type, unit, description), in table order."""

OUTLIER_SIGMA = 5.0
"""Offsets beyond this many robust standard deviations of their visit are outliers."""


def survey_table(rows: Iterable[Mapping[str, Any]], meta: Mapping[str, Any] | None = None):
    """The rows as an astropy Table of :data:`SURVEY_COLUMNS`, sorted by visit and detector.

    Missing ``offset``/``outlier`` values are NaN/False (filled by :func:`flag_outliers`).
    """
    from astropy.table import Table

    rows = sorted(rows, key=lambda r: (r["visit"], r["detector"]))
    defaults = {"offset": np.nan, "outlier": False}
    columns: dict[str, np.ndarray] = {}
    for name, (kind, _, _) in SURVEY_COLUMNS.items():
        values = [row.get(name, defaults.get(name)) for row in rows]
        columns[name] = np.array(values, dtype=kind) if rows else np.zeros(0, dtype=kind)
    table = Table(columns, meta=dict(meta or {}))
    for name, (_, unit, description) in SURVEY_COLUMNS.items():
        table[name].unit = unit or None
        table[name].description = description
    return table


def robust_sigma(values: np.ndarray) -> float:
    """1.4826 x the median absolute deviation of the finite ``values`` (NaN if none)."""
    finite = np.asarray(values, np.float64)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return float("nan")
    return float(1.4826 * np.median(np.abs(finite - np.median(finite))))


def flag_outliers(table, sigma: float = OUTLIER_SIGMA) -> None:
    """Set ``outlier`` where a detector's offset is beyond ``sigma`` robust sigma of its visit."""
    table["outlier"] = False
    for visit in np.unique(table["visit"]):
        rows = (table["visit"] == visit) & (table["status"] == "ok")
        offsets = np.asarray(table["offset"][rows], np.float64)
        spread = robust_sigma(offsets)
        if not np.isfinite(spread) or spread == 0:
            continue
        centre = np.median(offsets[np.isfinite(offsets)])
        flagged = np.zeros(len(table), bool)
        flagged[rows] = np.abs(offsets - centre) > sigma * spread
        table["outlier"] |= flagged


def table_path(folder: str | os.PathLike) -> Path:
    """The survey table's file in ``folder``: ``survey.parquet`` (``.ecsv`` without pyarrow)."""
    return Path(folder) / ("survey.parquet" if find_spec("pyarrow") else "survey.ecsv")


def write_survey_table(table, path: str | os.PathLike) -> Path:
    """Write ``table`` atomically: Parquet for ``.parquet``, otherwise ECSV."""
    path = Path(path)
    fmt = "parquet" if path.suffix.lower() == ".parquet" else "ascii.ecsv"
    with atomic_output(path) as partial:
        table.write(partial, format=fmt, overwrite=True)
    return path


def read_survey_table(path: str | os.PathLike):
    """A survey table written by :func:`write_survey_table`; FormatError if it is not one."""
    from astropy.table import Table

    path = Path(path)
    fmt = "parquet" if path.suffix.lower() == ".parquet" else "ascii.ecsv"
    try:
        table = Table.read(path, format=fmt)
    except (OSError, ValueError) as exc:
        raise FormatError(path, f"is not a readable survey table ({exc})") from None
    missing = [name for name in SURVEY_COLUMNS if name not in table.colnames]
    if missing:
        raise FormatError(path, f"is not a survey table: it lacks the columns {missing}")
    return table

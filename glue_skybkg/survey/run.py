"""Running a survey on dask.distributed: batches out, results streamed into mosaics and rows.

Each batch of a few detectors of one visit is one task (:func:`~.tasks.survey_batch`); results
come back as they finish and are added to their visit's :class:`~skybkg_adapters.focal_plane.Mosaic`
at once, so the client holds one mosaic per visit and small per-detector cells, never
full-resolution images.  A task that fails as a whole (its worker killed too often) becomes
rows with its error; a worker killed once is survived because dask reruns its tasks.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skybkg_adapters import MissingDependency, SkybkgError
from skybkg_adapters.focal_plane import DEFAULT_SCALE_MM, Mosaic, MosaicGrid, load_lsstcam_layout

from .focal_fit import Plane, evaluate_plane, fit_focal_plane, plane_image
from .mosaic_file import MosaicProduct, mosaic_path, outline_table, write_mosaic
from .table import flag_outliers, survey_table, table_path, write_survey_table
from .tasks import DetectorResult, failed_result, survey_batch

__all__ = [
    "ALL_DETECTORS",
    "SurveyCancelled",
    "SurveyResult",
    "default_workers",
    "run_survey",
    "write_outputs",
]

ALL_DETECTORS = tuple(range(189))
"""Every LSSTCam science detector."""

_CONNECT_TIMEOUT = "10s"
_START_METHODS = ("spawn", "fork", "forkserver")
_TASKS_PER_WORKER = 4  # batches per worker: small enough to balance, big enough to amortise
_MAX_BATCH = 16
_SINGLE_THREAD_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


class SurveyCancelled(SkybkgError):
    """The survey was cancelled before it finished; nothing was written."""


@dataclass
class SurveyResult:
    """A finished survey: the table and one mosaic per visit (see :func:`run_survey`)."""

    table: Any
    mosaics: dict[int, MosaicProduct]
    files: list[Path] = field(default_factory=list)


def default_workers() -> int:
    """Worker processes of the default local cluster: the cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def _client(scheduler: Any, workers: int | None, start_method: str | None = None):
    """A dask client and the cluster we own (None when the caller's cluster is used)."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise MissingDependency(
            "skybkg survey runs on dask.distributed: pip install 'glue-skybkg[dask]'"
        ) from exc
    if scheduler is None:
        method = start_method or dask.config.get("distributed.worker.multiprocessing-method")
        if method not in _START_METHODS:
            raise SkybkgError(
                f"start_method must be one of {', '.join(_START_METHODS)}; got {method!r}"
            )
        # a worker restarted later (after a crash) starts the way dask's config says
        with dask.config.set({"distributed.worker.multiprocessing-method": method}):
            cluster = LocalCluster(
                n_workers=workers or default_workers(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                env=_SINGLE_THREAD_ENV,
            )
        return Client(cluster), cluster
    if isinstance(scheduler, Client):
        return scheduler, None
    if isinstance(scheduler, str):
        try:
            return Client(scheduler, timeout=_CONNECT_TIMEOUT), None
        except OSError as exc:
            raise SkybkgError(
                f"cannot reach the dask scheduler at {scheduler}: {exc}; start one with "
                "`dask scheduler` (and workers with `dask worker ADDRESS`) or omit --scheduler"
            ) from exc
    return Client(scheduler), None  # a cluster object


def _batches(visits: Sequence[int], detectors: Sequence[int], n_workers: int, size: int | None):
    per_visit = len(detectors)
    if size is None:
        wanted = max(n_workers, 1) * _TASKS_PER_WORKER
        size = min(max(math.ceil(per_visit * len(visits) / wanted), 1), _MAX_BATCH)
    for visit in visits:
        for start in range(0, per_visit, size):
            yield visit, list(detectors[start : start + size])


def run_survey(
    source_spec: str,
    visits: Iterable[int],
    detectors: Iterable[int] = ALL_DETECTORS,
    *,
    dataset_type: str = "calexpBackground",
    scale: float = DEFAULT_SCALE_MM,
    out: str | os.PathLike | None = None,
    subtract_plane: bool = False,
    scheduler: Any = None,
    workers: int | None = None,
    batch_size: int | None = None,
    template: str | None = None,
    start_method: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    report: Callable[[str], None] | None = None,
) -> SurveyResult:
    """Survey the backgrounds of ``detectors`` of every visit: a table and one mosaic per visit.

    Parameters
    ----------
    source_spec
        What :func:`skybkg_adapters.open_source` opens (``sample:``, a folder,
        ``butler:<repo>?collections=...``): a string, because every worker opens it itself.
    visits, detectors
        What to survey (default: all 189 LSSTCam science detectors of each visit).
    dataset_type
        The background product (``calexpBackground``).
    scale
        Mosaic cell size in focal-plane mm (0.5 mm = 50 pixels).
    out
        A folder to write the table, ``mosaic_<visit>.fits`` and ``.png`` into (None: nothing
        written).
    subtract_plane
        Also make (and write) each mosaic minus its focal-plane plane.
    scheduler
        None: a local cluster of ``workers`` processes (default :func:`default_workers`), one
        thread each; a scheduler address ``tcp://host:8786`` or a ``distributed.Client``, used
        as it is.
    workers, batch_size
        Local cluster size; detectors per task (default: about four tasks per worker).
    template
        File-name template of a folder source.
    start_method
        How the local cluster's worker processes start: ``"spawn"`` (dask's default, safe
        in any process), ``"fork"`` (a copy of this process, which already holds the
        survey's code and libraries: about 3 s less for a visit on two cores, but only for a
        plain process such as the ``skybkg`` command, never a GUI or a notebook kernel,
        whose threads and sockets a fork copies) or ``"forkserver"``; None: dask's config.
    progress
        ``progress(done, total)`` after each detector (a progress bar).
    cancelled
        Polled between results; returning True stops the survey (:class:`SurveyCancelled`).
    report
        Gets one-line messages (the dashboard address).

    Returns
    -------
    SurveyResult
        ``table`` (:func:`~.table.survey_table`, offsets and outliers set) and ``mosaics``.
    """
    visits = [int(v) for v in visits]
    detectors = [int(d) for d in detectors]
    if not visits or not detectors:
        raise SkybkgError("nothing to survey: give at least one visit and one detector")
    if not isinstance(source_spec, str | os.PathLike):
        raise TypeError(f"source_spec must be a path or URL string; got {source_spec!r}")
    source_spec = os.fspath(source_spec)
    layout = load_lsstcam_layout()
    grid = MosaicGrid.covering(
        [layout[d] for d in detectors if 0 <= d < len(layout)] or layout, scale
    )
    mosaics = {visit: Mosaic(grid) for visit in visits}
    results: dict[tuple[int, int], DetectorResult] = {}
    products: dict[int, MosaicProduct] = {}
    drawn: dict[tuple[int, bool], Callable[[], bytes]] = {}
    remaining = dict.fromkeys(visits, len(detectors))
    total = len(visits) * len(detectors)
    client, cluster = _client(scheduler, workers, start_method)
    try:
        from distributed import as_completed

        if report is not None:
            report(f"dask dashboard: {client.dashboard_link}")
        n_workers = len(client.scheduler_info(n_workers=-1).get("workers", {})) or 1
        submitted = {}
        running = as_completed()
        for visit, batch in _batches(visits, detectors, n_workers, batch_size):
            future = client.submit(
                survey_batch, source_spec, dataset_type, visit, batch, grid, template, pure=False
            )
            submitted[future.key] = (visit, batch)
            running.add(future)  # only as_completed holds it: released once yielded
        for future in running:
            visit, batch = submitted.pop(future.key)
            if future.status == "finished":
                batch_results = future.result()
            else:  # the task itself failed: its worker died on it too often, or a bug
                error = future.exception()
                batch_results = [failed_result(visit, d, error) for d in batch]
            future.release()
            for result in batch_results:
                results[(visit, result.row["detector"])] = result
                if result.reduction is not None:
                    mosaics[visit].add(result.reduction)
            remaining[visit] -= len(batch_results)
            if remaining[visit] == 0:  # the visit is whole: its picture can be drawn now
                products[visit] = _visit_product(
                    visit, grid, mosaics.pop(visit), results, subtract_plane
                )
                if out is not None:
                    drawn.update(_draw_on_cluster(client, products[visit]))
            if progress is not None:
                progress(len(results), total)
            if cancelled is not None and cancelled():
                client.cancel(list(running.futures))
                raise SurveyCancelled("the survey was cancelled; nothing was written")
        survey = SurveyResult(
            _survey_table(source_spec, dataset_type, visits, grid, results),
            {visit: products[visit] for visit in visits},
        )
        if out is not None:  # the client writes the table and FITS while workers draw
            survey.files = write_outputs(survey, out, drawn)
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    return survey


def _draw_on_cluster(client, product: MosaicProduct) -> dict[tuple[int, bool], Callable[[], bytes]]:
    """Submit the drawing of a finished visit's PNGs, ahead of the detectors still queued.

    The workers draw while others survey the next visits, and send back bytes that the
    client writes (a remote cluster need not share the client's file system).
    """
    from .figure import mosaic_png

    drawn = {}
    shipped = client.scatter(product, hash=False)  # the data once, not inside every task
    for minus_plane in _pictures(product):
        future = client.submit(mosaic_png, shipped, minus_plane, priority=10, pure=False)
        drawn[(product.visit, minus_plane)] = future.result
    return drawn


def _pictures(product: MosaicProduct) -> tuple[bool, ...]:
    """Which PNGs a visit has: the mosaic (False) and, when made, the minus-plane one (True)."""
    return (False, True) if product.minus_plane is not None else (False,)


def _visit_product(visit, grid, mosaic, results, subtract_plane) -> MosaicProduct:
    """A whole visit's mosaic product, and each of its rows' offset from the visit's plane."""
    rows = [r.row for (v, _), r in results.items() if v == visit]
    ok = [r for r in rows if r["status"] == "ok"]
    plane: Plane = fit_focal_plane(
        [r["fp_x"] for r in ok], [r["fp_y"] for r in ok], [r["mean"] for r in ok]
    )
    for row in rows:
        row["offset"] = float(row["mean"] - evaluate_plane(plane, row["fp_x"], row["fp_y"]))
    geometries = sorted(
        (r.geometry for (v, _), r in results.items() if v == visit and r.geometry is not None),
        key=lambda g: g.id,
    )
    image = mosaic.image
    return MosaicProduct(
        visit,
        next((str(r["band"]) for r in ok if r["band"]), ""),
        grid,
        image,
        mosaic.detector_map,
        outline_table(geometries),
        plane,
        image - plane_image(plane, grid) if subtract_plane else None,
    )


def _survey_table(source_spec, dataset_type, visits, grid, results):
    """The table of every row (offsets set per visit), outliers flagged."""
    table = survey_table(
        [result.row for result in results.values()],
        {
            "source": source_spec,
            "dataset_type": dataset_type,
            "visits": list(visits),
            "scale_mm": grid.scale,
        },
    )
    flag_outliers(table)
    return table


def write_outputs(
    survey: SurveyResult,
    out: str | os.PathLike,
    drawn: Mapping[tuple[int, bool], Callable[[], bytes]] | None = None,
) -> list[Path]:
    """Write the table, and each visit's mosaic FITS and PNG (and minus-plane PNG), into ``out``.

    ``drawn`` maps ``(visit, minus_plane)`` to a call that gives that PNG already drawn
    (a dask future's ``result``); PNGs not there, or whose drawing failed, are drawn here.
    """
    from .figure import write_mosaic_png, write_png_bytes

    drawn = drawn or {}
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    files = [write_survey_table(survey.table, table_path(folder))]
    files += [write_mosaic(mosaic_path(folder, v), p) for v, p in survey.mosaics.items()]
    for visit, product in survey.mosaics.items():
        for minus_plane in _pictures(product):
            path = mosaic_path(folder, visit, "_minus_plane.png" if minus_plane else ".png")
            png = None
            if (visit, minus_plane) in drawn:
                try:
                    png = drawn[(visit, minus_plane)]()
                except Exception:  # the worker drawing it failed or died: draw it here
                    png = None
            if png is None:
                files.append(write_mosaic_png(path, product, minus_plane=minus_plane))
            else:
                files.append(write_png_bytes(path, png))
    return files

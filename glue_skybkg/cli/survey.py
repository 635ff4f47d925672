"""``skybkg survey``: the notebook's background statistics for many detectors and visits, on dask.

Each data id is one task: a worker opens the source (once per worker), reads the product,
renders it if it is a background, and computes :func:`glue_skybkg.analysis.background_stats`.
Workers import ``skybkg_adapters`` and the numpy-only analysis module, never glue or Qt.
Tasks run on a local dask cluster (2 worker processes, 1 thread each) unless a scheduler address
(``tcp://host:8786``) or a ``distributed.Client``/cluster is given.  A product that cannot be read
becomes a row with NaN statistics and its error message, so one bad file does not lose a visit.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from skybkg_adapters import (
    MissingDependency,
    SkybkgError,
    atomic_output,
    parse_data_id,
    parse_int_list,
)

__all__ = [
    "STAT_COLUMNS",
    "add_command",
    "detector_stats",
    "expand_data_ids",
    "run",
    "run_survey",
    "write_table",
]

STAT_COLUMNS = ("n_pixels", "n_nan", "mean", "median", "std", "min", "max")
"""Statistics columns of the survey table, after the data-id columns."""

_DEFAULT_WORKERS = 2
_CONNECT_TIMEOUT = "10s"


@functools.lru_cache(maxsize=8)
def _source(spec: str, template: str | None):
    """The source ``spec`` names, opened once per worker process."""
    from skybkg_adapters import open_source

    return open_source(spec, template=template) if template else open_source(spec)


def detector_stats(
    source_spec: str, dataset_type: str, data_id: Mapping[str, Any], template: str | None = None
) -> dict:
    """Statistics of one product: the dask task of the survey (also usable on its own).

    Parameters
    ----------
    source_spec
        What :func:`skybkg_adapters.open_source` opens: a folder, ``butler:<repo>?...``, a URL.
    dataset_type
        E.g. ``calexpBackground`` (rendered at full resolution first) or ``calexp``.
    data_id
        The product's data id.
    template
        File-name template of a :class:`~skybkg_adapters.LocalSource`.

    Returns
    -------
    dict
        The data id's keys, :data:`STAT_COLUMNS` and ``error`` (``""``, or the message of the
        :class:`~skybkg_adapters.SkybkgError`/``OSError`` that stopped this product).
    """
    from skybkg_adapters import BackgroundModel

    from ..analysis import background_stats

    row: dict[str, Any] = dict(data_id)
    try:
        product = _source(source_spec, template).get(dataset_type, dict(data_id))
        pixels = product.render() if isinstance(product, BackgroundModel) else product.image
        stats = background_stats(pixels).as_dict()
        del pixels
        row.update({key: stats[key] for key in STAT_COLUMNS}, error="")
    except (SkybkgError, OSError) as exc:
        row.update(
            {key: (0 if key.startswith("n_") else math.nan) for key in STAT_COLUMNS},
            error=f"{type(exc).__name__}: {' '.join(str(exc).split())}",
        )  # one line
    return row


def expand_data_ids(
    visits: Iterable[int] = (),
    detectors: Iterable[int] = (),
    data_ids: Iterable[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Every ``{"visit", "detector"}`` pair of ``visits`` x ``detectors``, then ``data_ids``."""
    pairs = [
        {"visit": int(v), "detector": int(d)}
        for v, d in itertools.product(list(visits), list(detectors))
    ]
    return pairs + [dict(d) for d in data_ids]


def _client(scheduler: Any, workers: int):
    """A dask client and whether we own (and must close) it and its cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise MissingDependency(
            "skybkg survey runs on dask.distributed: pip install 'glue-skybkg[dask]'"
        ) from exc
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
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
    return Client(scheduler), None  # a cluster object, e.g. LocalCluster(processes=False)


def run_survey(
    source_spec: str,
    dataset_type: str,
    data_ids: Sequence[Mapping[str, Any]],
    scheduler: Any = None,
    *,
    template: str | None = None,
    workers: int = _DEFAULT_WORKERS,
    out: str | os.PathLike | None = None,
    progress: bool = True,
):
    """Background statistics of every product in ``data_ids``, computed in parallel on dask.

    Parameters
    ----------
    source_spec
        A folder, ``butler:<repo>?collections=...`` or TAP URL: a string, because every worker
        opens the source itself.
    dataset_type
        ``calexpBackground`` (the command's default), ``calexp``, ``deepCoadd_calexp_background``.
    data_ids
        The products, e.g. :func:`expand_data_ids` of visits and detectors.
    scheduler
        None: a local cluster of ``workers`` processes with one thread each; a scheduler address
        (``"tcp://host:8786"``); or a ``distributed.Client`` or cluster object.
    template
        File-name template for a folder source (see :class:`~skybkg_adapters.LocalSource`).
    workers
        Worker processes of the local cluster.
    out
        Also write the table there (``.csv``, or ``.ecsv`` which keeps types and metadata).
    progress
        A progress bar on stderr.

    Returns
    -------
    astropy.table.Table
        One row per data id, in the order given: the data-id columns, :data:`STAT_COLUMNS`,
        ``error``.  ``meta`` records the source and dataset type.
    """
    from astropy.table import Table
    from tqdm import tqdm

    if not isinstance(source_spec, str | os.PathLike):
        raise TypeError(
            f"source_spec must be a path or URL string that workers can open; got {source_spec!r}"
        )
    source_spec = os.fspath(source_spec)
    ids = [dict(d) for d in data_ids]
    if not ids:
        raise ValueError("no data ids to survey; give visits and detectors or data ids")
    client, cluster = _client(scheduler, workers)
    try:
        from distributed import as_completed

        futures = [
            client.submit(detector_stats, source_spec, dataset_type, data_id, template, pure=False)
            for data_id in ids
        ]
        order = {future.key: i for i, future in enumerate(futures)}
        rows: list[dict | None] = [None] * len(ids)
        bar = tqdm(
            total=len(ids),
            desc=f"{dataset_type} statistics",
            unit="product",
            disable=not progress,
            file=sys.stderr,
        )
        for future in as_completed(futures):
            rows[order[future.key]] = future.result()
            bar.update()
        bar.close()
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    id_columns = list(dict.fromkeys(key for data_id in ids for key in data_id))
    names = id_columns + list(STAT_COLUMNS) + ["error"]
    table = Table(rows=[[(row or {}).get(name) for name in names] for row in rows], names=names)
    table.meta.update({"source": source_spec, "dataset_type": dataset_type})
    if out is not None:
        write_table(table, out)
    return table


def write_table(table, path: str | os.PathLike) -> Path:
    """Write the survey table atomically: ECSV for ``.ecsv``, otherwise CSV."""
    path = Path(path)
    fmt = "ascii.ecsv" if path.suffix.lower() == ".ecsv" else "ascii.csv"
    with atomic_output(path) as partial:
        table.write(partial, format=fmt, overwrite=True)
    return path


def _argument(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` as an argparse type: its ValueError becomes argparse's usage error."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__  # argparse names the type in its messages
    return convert


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``skybkg survey``."""
    parser = commands.add_parser(
        "survey", help="background statistics of many detectors/visits, on dask"
    )
    parser.add_argument("source", help="folder, butler:<repo>?collections=..., or TAP URL")
    parser.add_argument(
        "--dataset-type",
        default="calexpBackground",
        help="product to measure (default: %(default)s; backgrounds are rendered)",
    )
    parser.add_argument(
        "--visits",
        type=_argument(parse_int_list),
        default=[],
        metavar="LIST",
        help="visits, e.g. 512055 or 512055,512056",
    )
    parser.add_argument(
        "--detectors",
        type=_argument(parse_int_list),
        default=[],
        metavar="LIST",
        help="detectors of every visit, e.g. 0-188",
    )
    parser.add_argument(
        "--data-id",
        type=_argument(parse_data_id),
        action="append",
        default=[],
        metavar="K=V,...",
        help="one more data id (repeatable)",
    )
    parser.add_argument(
        "--template",
        default=None,
        help="file-name template of a folder source, e.g. '{dataset_type}_{visit}_{detector}.fits'",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="dask scheduler, e.g. tcp://host:8786 (default: a local cluster)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=_DEFAULT_WORKERS,
        help="processes of the local cluster (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        default="skybkg-survey.ecsv",
        metavar="FILE",
        help="table to write, .ecsv or .csv (default: %(default)s)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``skybkg survey`` from parsed arguments; prints the table and where it went."""
    ids = expand_data_ids(args.visits, args.detectors, args.data_id)
    if not ids:
        raise SkybkgError("nothing to survey: give --visits and --detectors, or --data-id")
    table = run_survey(
        args.source,
        args.dataset_type,
        ids,
        args.scheduler,
        template=args.template,
        workers=args.workers,
        out=args.out,
        progress=not args.quiet,
    )
    # the error texts are long; the table stays readable and each failure gets its own line
    table[[name for name in table.colnames if name != "error"]].pprint(max_lines=-1, max_width=-1)
    id_columns = table.colnames[: table.colnames.index(STAT_COLUMNS[0])]
    failures = [row for row in table if row["error"]]
    for row in failures:
        print(", ".join(f"{key} {row[key]}" for key in id_columns) + f": {row['error']}")
    print(
        f"{len(table)} products, {len(failures)} failed; "
        f"table written to {Path(args.out).resolve()}"
    )
    return 0 if not failures else 1

"""``skybkg survey``: a whole visit at once, on dask: the survey table and focal-plane mosaics.

The argparse front of :mod:`glue_skybkg.survey` (which the glue plugin runs too).  For every
detector of every visit it reads only the background file, renders it, and writes into
``--out``: ``survey.parquet`` (``.ecsv`` without pyarrow), ``mosaic_<visit>.fits`` and
``mosaic_<visit>.png`` (and ``mosaic_<visit>_minus_plane.png`` with ``--subtract-plane``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skybkg_adapters import SkybkgError, parse_int_list
from skybkg_adapters.focal_plane import DEFAULT_SCALE_MM

from ..survey import ALL_DETECTORS, default_workers, run_survey

__all__ = ["add_command", "run"]


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
        "survey",
        help="whole visits at once, on dask: a table per detector and focal-plane mosaics",
    )
    parser.add_argument("source", help="sample:, a folder, butler:<repo>?collections=..., TAP URL")
    parser.add_argument(
        "--visits",
        type=_argument(parse_int_list),
        required=True,
        metavar="LIST",
        help="visits, e.g. 512055 or 512055,1172317",
    )
    parser.add_argument(
        "--detectors",
        type=_argument(parse_int_list),
        default=list(ALL_DETECTORS),
        metavar="LIST",
        help="detectors of every visit (default: 0-188, all LSSTCam science detectors)",
    )
    parser.add_argument("--out", default="skybkg-survey", metavar="DIR", help="output folder")
    parser.add_argument(
        "--dataset-type",
        default="calexpBackground",
        help="background product to survey (default: %(default)s)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=DEFAULT_SCALE_MM,
        metavar="MM",
        help="mosaic pixel size in focal-plane mm (default: %(default)s = 50 LSSTCam pixels)",
    )
    parser.add_argument(
        "--subtract-plane",
        action="store_true",
        help="also the mosaic minus the best-fit focal-plane plane (shows detector offsets)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="an existing dask scheduler, e.g. tcp://host:8786 (default: a local cluster)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"processes of the local cluster (default: the cores here, {default_workers()})",
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="detectors per dask task (default: auto)"
    )
    parser.add_argument(
        "--template",
        default=None,
        help="file-name template of a folder source, e.g. '{dataset_type}_{visit}_{detector}.fits'",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``skybkg survey`` from parsed arguments: progress on stderr, a summary on stdout.

    Faults are rows of the table (listed here one per line); the exit status is 0 unless no
    detector at all could be surveyed.
    """
    from tqdm import tqdm

    total = len(args.visits) * len(args.detectors)
    with tqdm(
        total=total, desc="Surveying", unit="detector", disable=args.quiet, file=sys.stderr
    ) as bar:
        survey = run_survey(
            args.source,
            args.visits,
            args.detectors,
            dataset_type=args.dataset_type,
            scale=args.scale,
            out=args.out,
            subtract_plane=args.subtract_plane,
            scheduler=args.scheduler,
            workers=args.workers,
            batch_size=args.batch_size,
            template=args.template,
            # a plain command-line process: its workers may start as forks of it, holding
            # the code and libraries it has already imported
            start_method="fork" if sys.platform.startswith("linux") else None,
            progress=lambda done, _: bar.update(done - bar.n),
            report=lambda message: print(message, file=sys.stderr),
        )
    table = survey.table
    for row in table[table["status"] != "ok"]:
        where = f"visit {row['visit']} detector {row['detector']} {row['name']}"
        print(f"{where}: {row['status']}: {row['error']}")
    for row in table[table["outlier"]]:
        print(
            f"visit {row['visit']} detector {row['detector']} {row['name']}: outlier, offset "
            f"{row['offset']:+.1f} counts from the focal-plane plane"
        )
    n_ok = int((table["status"] == "ok").sum())
    print(
        f"{len(table)} detectors, {n_ok} surveyed, {len(table) - n_ok} failed, "
        f"{int(table['outlier'].sum())} outliers; written to {Path(args.out).resolve()}: "
        + ", ".join(path.name for path in survey.files)
    )
    if n_ok == 0:
        raise SkybkgError("no detector could be surveyed; see the messages above")
    return 0

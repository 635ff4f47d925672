"""The ``skybkg`` command: ``demo`` (the seed notebook), ``sample``, ``survey`` and ``bench``.

Expected failures (an unwritable folder, a full disk, a missing optional extra, a product
that is not there) end with one line on stderr saying what failed and what to do, and exit
status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from skybkg_adapters.errors import SkybkgError

__all__ = ["main", "build_parser"]

EXIT_FAILURE = 2


def _demo(args: argparse.Namespace) -> int:
    from .demo import has_display, open_gui, run_demo

    result = run_demo(args.out, sample_dir=args.sample_dir, progress=not args.quiet)
    print(f"Figures and report written to {result.out.resolve()}")
    print(f"Report: {result.report.resolve()}")
    if args.no_gui:
        return 0
    if not has_display():
        print("No display found (DISPLAY/WAYLAND_DISPLAY unset): not opening glue.")
        return 0
    open_gui([str(path) for path in result.products], result.labels)
    return 0


def _sample(args: argparse.Namespace) -> int:
    from skybkg_adapters.sample import ensure_sample

    sample = ensure_sample(args.sample_dir, progress=not args.quiet)
    print(f"Sample data set: {sample.root}")
    if sample.butler_repo is not None:
        print(f"Butler repository: {sample.butler_repo}")
    for product in sample.products:
        ids = ", ".join(f"{k}={v}" for k, v in product.data_id.items())
        print(f"  {product.dataset_type:<28} {ids:<32} {product.path}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    run_bench(quick=args.quick)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``skybkg`` with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="skybkg",
        description="Explore the sky backgrounds of Rubin/LSST images outside the LSST stack.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="run the 'Little Demo: Sky Backgrounds' notebook on the sample data, then open glue",
        description="Every step of the seed notebook on the sample data set: statistics on "
        "stdout, PNG figures and report.html in --out, then glue with the products loaded.",
    )
    demo.add_argument("--out", default="skybkg-demo", metavar="DIR",
                      help="folder for the figures and report.html (default: %(default)s)")
    demo.add_argument("--no-gui", action="store_true", help="do not open glue at the end")
    demo.set_defaults(run=_demo)

    sample = commands.add_parser(
        "sample", help="generate (once) the sample data set and list its products"
    )
    sample.set_defaults(run=_sample)

    from .bench import add_bench_arguments
    from .survey import add_survey_arguments, survey_command

    survey = commands.add_parser(
        "survey", help="background statistics of many detectors/visits, on dask"
    )
    add_survey_arguments(survey)
    survey.set_defaults(run=survey_command)

    bench = commands.add_parser("bench", help="time and memory of every step on this machine")
    add_bench_arguments(bench)
    bench.set_defaults(run=_bench)

    for sub in (demo, sample):
        sub.add_argument("--sample-dir", default=None, metavar="DIR",
                         help="folder of the sample data set (default: $SKYBKG_SAMPLE_DIR, "
                         "else $XDG_CACHE_HOME/glue-skybkg/sample)")
        sub.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return parser  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``skybkg`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (SkybkgError, OSError) as exc:
        print(f"skybkg {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"skybkg {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

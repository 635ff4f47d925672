"""The ``skybkg`` command: ``demo`` (the seed notebook), ``sample``, ``survey`` and ``bench``.

One module per subcommand, each with ``add_command(subparsers)`` registering its parser and
the function that runs it.  Expected failures (an unwritable folder, a full disk, a missing
optional extra, a product that is not there) end with one line on stderr saying what failed
and what to do, and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from skybkg_adapters import SkybkgError

from . import bench, demo, sample, survey

__all__ = ["EXIT_FAILURE", "build_parser", "main"]

EXIT_FAILURE = 2
"""Exit status of an expected failure (the message says what to do)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``skybkg`` with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="skybkg",
        description="Explore the sky backgrounds of Rubin/LSST images outside the LSST stack.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (demo, sample, survey, bench):
        module.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``skybkg`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (SkybkgError, OSError) as exc:
        print(f"skybkg {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"skybkg {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""``skybkg sample``: generate the sample data set once and list its products."""

from __future__ import annotations

import argparse

__all__ = ["add_command", "add_sample_options", "run"]


def add_sample_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that uses the sample shares: its folder and quiet mode."""
    parser.add_argument(
        "--sample-dir",
        default=None,
        metavar="DIR",
        help="folder of the sample data set (default: $SKYBKG_SAMPLE_DIR, "
        "else $XDG_CACHE_HOME/glue-skybkg/sample)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def add_command(commands: argparse._SubParsersAction) -> None:
    """Register ``skybkg sample``."""
    parser = commands.add_parser(
        "sample", help="generate (once) the sample data set and list its products"
    )
    add_sample_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Generate the sample if needed, then print where it is and what it holds."""
    from skybkg_adapters.sample import ensure_sample

    sample = ensure_sample(args.sample_dir, progress=not args.quiet)
    print(f"Sample data set: {sample.root}")
    if sample.butler_repo is not None:
        print(f"Butler repository: {sample.butler_repo}")
    from skybkg_adapters.sample import FULL_VISITS, MISSING_DETECTOR, full_visit_products

    full_visits = {p.path for p in full_visit_products()}
    for product in sample.products:
        if product.path not in full_visits:
            ids = ", ".join(f"{k}={v}" for k, v in product.data_id.items())
            print(f"  {product.dataset_type:<28} {ids:<32} {product.path}")
    for visit, (band, _) in FULL_VISITS.items():
        count = sum(
            1
            for p in sample.products
            if p.dataset_type == "calexpBackground" and p.data_id["visit"] == visit
        )
        missing = MISSING_DETECTOR["detector"] if MISSING_DETECTOR["visit"] == visit else None
        note = f", detector {missing} missing on purpose" if missing is not None else ""
        print(f"  full visit {visit} (band {band}): {count} of 189 background files{note}")
    return 0

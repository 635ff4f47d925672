"""Open glue on exposure and background files, the notebook's first view ready.

Also runnable as ``python -m glue_skybkg.qt.launch [--label PATH=LABEL ...] PATH ...``: the
demo starts glue that way, in a process of its own, so that a Qt that cannot open a window
(a missing platform plugin aborts the process) cannot take the demo down with it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any

from .display import show_component

__all__ = ["main", "run_glue"]


def run_glue(
    paths: Sequence[str], block: bool = True, labels: Mapping[str, str] | None = None
) -> Any:
    """A GlueApplication with ``paths`` loaded and the first exposure shown as the notebook does.

    BackgroundList files attach to the open image with the same bbox as its ``background``
    component (or open on their own).  The image viewer shows the first exposure with an
    arcsinh stretch and zscale limits.

    Parameters
    ----------
    paths
        afw exposure and BackgroundList FITS files, in any order.
    block
        Run the Qt event loop until the window is closed; False returns at once (the
        caller then owns the application and must close it).
    labels
        Names for the datasets, by file path, in place of glue's file-name labels (Butler
        file names of one visit's detectors differ only deep inside).  Applied after
        loading, so backgrounds attach by their file names first.

    Returns
    -------
    GlueApplication
        The application (closed already when ``block`` is True).
    """
    from glue_qt.app import GlueApplication

    app = GlueApplication()
    if paths:
        app.load_data(list(paths))
    if labels:
        by_path = {os.path.abspath(path): label for path, label in labels.items()}
        for data in app.data_collection:
            log = getattr(data, "_load_log", None)
            label = by_path.get(os.path.abspath(log.path)) if log is not None else None
            if label:
                data.label = label
    images = [d for d in app.data_collection if d.meta.get("skybkg_kind") == "exposure"]
    if images:
        show_component(app, images[0], "image", "notebook")
    if block:
        app.start()
    else:
        app.show()
    return app


def _label_argument(text: str) -> tuple[str, str]:
    path, sep, label = text.rpartition("=")
    if not sep or not path or not label:
        raise argparse.ArgumentTypeError(f"expected PATH=LABEL; got {text!r}")
    return path, label


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: open glue on the given files until its window is closed."""
    parser = argparse.ArgumentParser(
        prog="python -m glue_skybkg.qt.launch", description=(run_glue.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="exposure/background files")
    parser.add_argument(
        "--label",
        action="append",
        default=[],
        type=_label_argument,
        metavar="PATH=LABEL",
        help="name of the dataset read from PATH",
    )
    args = parser.parse_args(argv)
    run_glue(args.paths, labels=dict(args.label))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

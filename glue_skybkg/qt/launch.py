"""Open glue on exposure and background files, the notebook's views ready.

Also runnable as ``python -m glue_skybkg.qt.launch [--label PATH=LABEL ...] PATH ...``: the
demo starts glue that way, in a process of its own, so that a Qt that cannot open a window
(a missing platform plugin aborts the process) cannot take the demo down with it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any

from .notebook_views import demo_views

__all__ = ["main", "run_glue"]


def run_glue(
    paths: Sequence[str], block: bool = True, labels: Mapping[str, str] | None = None
) -> Any:
    """A GlueApplication with ``paths`` loaded and the notebook's views open.

    BackgroundList files attach to the image whose data id they carry, as its
    ``background`` component (or open on their own).  The views are those of the example
    sessions (:func:`~glue_skybkg.qt.notebook_views.demo_views`): the first calexp with an
    arcsinh stretch and zscale limits, its background, the restored image and the coadd
    difference.

    Parameters
    ----------
    paths
        afw exposure and BackgroundList FITS files, in any order.
    block
        Run the Qt event loop until the window is closed; False returns at once (the
        caller then owns the application and must close it).
    labels
        Names for the datasets, by file path, in place of their own (``calexp_512055_75``
        from a Butler file name, else the file name).  Applied after loading.

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
    demo_views(app)
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

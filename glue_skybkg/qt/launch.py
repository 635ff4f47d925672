"""Open glue on exposure and background files, the notebook's first view ready."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .display import show_component

__all__ = ["run_glue"]


def run_glue(paths: Sequence[str], block: bool = True) -> Any:
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

    Returns
    -------
    GlueApplication
        The application (closed already when ``block`` is True).
    """
    from glue_qt.app import GlueApplication

    app = GlueApplication()
    if paths:
        app.load_data(list(paths))
    images = [d for d in app.data_collection if d.meta.get("skybkg_kind") == "exposure"]
    if images:
        show_component(app, images[0], "image", "notebook")
    if block:
        app.start(maximized=False)
    else:
        app.show()
    return app

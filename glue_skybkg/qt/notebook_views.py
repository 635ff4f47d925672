"""The seed notebook's views in glue: the set ``skybkg demo`` and the example sessions open.

A visit image with its background shows as three viewers (the calexp with the notebook's
arcsinh + zscale, its background, the image with the background restored); a coadd pair
as the two coadds, their difference and that minus the stored background.  The views are
tiled two to a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from glue.core import Data

from .. import actions
from ..gluedata import BACKGROUND, IMAGE, RESTORED
from .display import focus_viewer, show_component

__all__ = [
    "TILE",
    "coadd_difference_view",
    "coadd_views",
    "demo_views",
    "notebook_pair",
    "tile",
    "visit_views",
]

TILE = (600, 470)
"""Size of each tiled viewer (pixels): four fit a 1600 x 1000 window."""


def tile(app: Any, viewers: Sequence[Any]) -> list:
    """Place ``viewers`` two to a row, in order, and bring the first to the front."""
    for i, viewer in enumerate(viewers):
        viewer.viewer_size = TILE
        viewer.position = ((i % 2) * TILE[0], (i // 2) * TILE[1])
    if viewers:
        focus_viewer(app, viewers[0])  # its layers and options show in glue's left panel
    return list(viewers)


def visit_views(app: Any, calexp: Data) -> list:
    """The calexp, its background and the restored image (``image + background``)."""
    actions.restore_background(calexp, app.data_collection)
    return [
        show_component(app, calexp, IMAGE, "notebook"),
        show_component(app, calexp, BACKGROUND, "linear"),
        show_component(app, calexp, RESTORED, "notebook"),
    ]


def coadd_difference_view(app: Any, coadd: Data, coadd_calexp: Data) -> Any:
    """The viewer of deepCoadd − deepCoadd_calexp (the residual background, ≈ constant)."""
    cid = actions.difference(coadd, coadd_calexp, app.data_collection)
    return show_component(app, coadd, cid.label, "linear")


def coadd_views(app: Any, coadd: Data, coadd_calexp: Data) -> list:
    """Both coadds, their difference, and that minus the stored background (≈ 0)."""
    residual = actions.compare_with_stored_background(coadd, coadd_calexp, app.data_collection)
    return [
        show_component(app, coadd_calexp, IMAGE, "notebook"),
        show_component(app, coadd, IMAGE, "notebook"),
        coadd_difference_view(app, coadd, coadd_calexp),
        show_component(app, coadd, residual.component.label, "linear"),
    ]


def notebook_pair(data_collection: Any) -> tuple[Data | None, tuple[Data, Data] | None]:
    """The notebook's visit image (the first exposure with a background) and coadd pair.

    The pair is the first image with a :func:`~glue_skybkg.actions.compare_candidates`
    partner (deepCoadd and its deepCoadd_calexp); either may be None.
    """
    exposures = [d for d in data_collection if d.meta.get("skybkg_kind") == "exposure"]
    visit = next((d for d in exposures if BACKGROUND in [c.label for c in d.components]), None)
    for data in exposures:
        partners = actions.compare_candidates(data, data_collection)
        if partners:
            return visit, (data, partners[0])
    return visit, None


def demo_views(app: Any) -> list:
    """The views ``skybkg demo`` opens, tiled; returns them.

    The calexp, its background, the restored image and the coadd difference: the example
    sessions' views.  Without a background attached, the first exposure alone.
    """
    visit, coadds = notebook_pair(app.data_collection)
    viewers = visit_views(app, visit) if visit is not None else []
    if coadds is not None:
        viewers.append(coadd_difference_view(app, *coadds))
    if not viewers:
        exposures = [d for d in app.data_collection if d.meta.get("skybkg_kind") == "exposure"]
        if exposures:
            viewers = [show_component(app, exposures[0], IMAGE, "notebook")]
    return tile(app, viewers)

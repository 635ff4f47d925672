"""``open(...)``: the products in a glue-jupyter application, shown with the sky panel.

Two lines in a notebook::

    import glue_skybkg.jupyter as skyj
    app = skyj.open("sample:", "calexp", {"visit": 512055, "detector": 75})

give a ``JupyterApplication`` holding the calexp (its background attached), shown with the
notebook's display beside the panel of actions (:class:`~glue_skybkg.jupyter.sky_panel.SkyPanel`).
:func:`restore_session` reopens a session saved here or in glue-qt.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from glue.core import Data
from glue.core.data_factories import load_data
from glue.core.state import GlueUnSerializer
from glue_jupyter.app import JupyterApplication

from skybkg_adapters import SkybkgError, parse_data_id

from ..fetching import add_products, load_products, products_for
from ..frontends import image_viewer_records
from .sky_panel import SkyPanel
from .viewer import SkyImageView

__all__ = ["open", "panel", "restore_session"]

_LAYER_PROPERTIES = ("attribute", "cmap", "color", "alpha", "zorder", "stretch", "contrast", "bias")
"""Image-layer properties a rebuilt viewer copies, in this order (the limits come after)."""
_VIEWER_PROPERTIES = ("aspect", "x_min", "x_max", "y_min", "y_max")


def _is_data_id(value: Any) -> bool:
    return isinstance(value, Mapping) or (isinstance(value, str) and "=" in value)


def _products(what: tuple[Any, ...]) -> list[Data]:
    """The glue Data ``open``'s arguments name (see :func:`open`)."""
    if len(what) == 3 and isinstance(what[1], str) and _is_data_id(what[2]):
        source, dataset_type, data_id = what
        if not isinstance(data_id, Mapping):
            data_id = parse_data_id(data_id)
        return load_products(os.fspath(source), products_for(dataset_type), dict(data_id))
    datasets: list[Data] = []
    for item in what:
        if isinstance(item, Data):
            datasets.append(item)
            continue
        loaded = load_data(os.fspath(item))
        if not isinstance(loaded, Data) or "skybkg_kind" not in loaded.meta:
            raise SkybkgError(
                f"{item} is not an afw exposure or background file; open(...) takes calexp, "
                "coadd and BackgroundList files, or (source, dataset_type, data_id)"
            )
        datasets.append(loaded)
    return datasets


def open(*what: Any, app: Any = None, show: bool = True) -> Any:  # noqa: A001  (the verb users type)
    """Open products in a glue-jupyter application, shown in an image viewer with the panel.

    Parameters
    ----------
    what
        Either ``source, dataset_type, data_id``: a source spec (``"sample:"``, a folder,
        ``"butler:<repo>?collections=..."``, an RSP TAP URL), an image's dataset type
        (``"calexp"``, ``"deepCoadd"``, DP1 ``"visit_image"``: its background and, for a
        coadd, its partners come too; see :func:`glue_skybkg.fetching.products_for`) and a
        data id (a dict or ``"visit=512055, detector=75"``); or afw FITS files (exposures and
        their BackgroundList files) or Data already opened.
    app
        The ``JupyterApplication`` to add them to; default a new one.
    show
        Display the viewer and the panel now (as the last line of a cell would).

    Returns
    -------
    JupyterApplication
        The application; :func:`panel` gives the panel (``panel(app).viewer`` its viewer).

    Raises
    ------
    SkybkgError
        Nothing openable was named (the message says what is accepted), or a product could
        not be fetched (the source's message).
    """
    if app is None:
        app = JupyterApplication()
    datasets = _products(what)
    images = add_products(app.data_collection, datasets)
    if not images:
        raise SkybkgError(
            "open(...) found no exposure among "
            f"{[d.label for d in datasets]}; give an image (calexp, coadd) with its background"
        )
    sky_panel = SkyPanel(app, images[0])
    _keep(app, sky_panel)
    if show:
        sky_panel._ipython_display_()
    return app


def _keep(app: Any, item: Any) -> None:
    # glue-jupyter's application keeps only weak references to viewers: the application
    # holds the panels and rebuilt viewers for as long as it lives
    if not hasattr(app, "skybkg_panels"):
        app.skybkg_panels = []
    app.skybkg_panels.append(item)


def panel(app: Any) -> SkyPanel:
    """The latest panel :func:`open` made in ``app``."""
    panels = [p for p in getattr(app, "skybkg_panels", []) if isinstance(p, SkyPanel)]
    if not panels:
        raise SkybkgError("this application has no sky panel; open products with open(...)")
    return panels[-1]


def _rebuild_viewer(app: Any, context: Any, record: dict[str, Any]) -> Any:
    """A notebook image viewer like a saved glue-qt one: same layers, display and limits."""
    states = [context.object(layer["state"]) for layer in record.get("layers", [])]
    states = [s for s in states if isinstance(s.layer, Data)]  # subsets follow their Data
    if not states:
        return None
    viewer = app.new_data_viewer(SkyImageView, data=states[0].layer, show=False)
    for old in states[1:]:
        viewer.allow_duplicate_data = True  # a second layer of one Data (its background)
        try:
            viewer.add_data(old.layer)
        finally:
            viewer.allow_duplicate_data = False
    for old, new in zip(states, viewer.state.layers, strict=False):
        for name in _LAYER_PROPERTIES:
            setattr(new, name, getattr(old, name))
        new.v_min, new.v_max = old.v_min, old.v_max
        new.visible = old.visible
    values = record.get("state", {}).get("values", {})
    for name in _VIEWER_PROPERTIES:
        if name in values:
            setattr(viewer.state, name, context.object(values[name]))
    return viewer


def restore_session(path: str | os.PathLike[str], show: bool = True) -> Any:
    """A ``JupyterApplication`` from a .glu saved in a notebook or in glue-qt.

    Data, links, subsets and every recipe come back as in glue (backgrounds, restored images
    and differences are recomputed from their recipes, never stored); each glue-qt image
    viewer is rebuilt as a notebook viewer with the same layers, stretch, limits and
    colours (glue-jupyter saves no viewers, so a notebook's session brings none).  The .glu's
    folder is the working directory while loading, so relative paths work.
    """
    path = Path(path).resolve()
    start = Path.cwd()
    os.chdir(path.parent)
    try:
        rec = json.loads(path.read_text())
        # glue-qt's application and viewers are not built: only what the notebook needs
        context = GlueUnSerializer.loads(json.dumps(rec))
        main = rec["__main__"]
        app = JupyterApplication(data_collection=context.object(main["data"]))
        context.register_object(main["session"], app.session)
        viewers = [_rebuild_viewer(app, context, r) for r in image_viewer_records(rec)]
    finally:
        os.chdir(start)
    for viewer in filter(None, viewers):
        _keep(app, viewer)
        if show:
            viewer.show()
    return app

"""A glue session saved by one front end (glue-qt, glue-jupyter) opened by the other.

Both front ends write the same data, links, subsets and our recipes (LoadLog, background and
arithmetic links, product recipes), which restore anywhere.  They differ in two records:

* ``__main__`` names the application class: glue-qt's ``GlueApplication`` (with its tabs of
  viewers) or glue-jupyter's ``JupyterApplication`` (no viewers: glue-jupyter saves none);
  glue restores whatever class it names, so each needs rewriting for the other front end;
* glue-qt's image viewers are glue-qt classes, but their viewer and layer states are
  glue-core's, so a notebook rebuilds them as its own viewers from those states.

Everything here reads or rewrites the session's JSON records (no Qt, no widgets).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "JUPYTER_APPLICATION",
    "QT_APPLICATION",
    "QT_IMAGE_VIEWER",
    "as_qt_session",
    "image_viewer_records",
]

JUPYTER_APPLICATION = "glue_jupyter.app.JupyterApplication"
QT_APPLICATION = "glue_qt.app.application.GlueApplication"
QT_IMAGE_VIEWER = "glue_qt.viewers.image.data_viewer.ImageViewer"


def as_qt_session(rec: dict[str, Any]) -> bool:
    """Rewrite a glue-jupyter session's records in place so that glue-qt restores it.

    The application becomes a ``GlueApplication`` with one empty tab (glue-jupyter saved no
    viewers); data, links, subsets and recipes are untouched.  Returns whether anything was
    rewritten (False for a session of any other front end).
    """
    main = rec.get("__main__")
    if not isinstance(main, dict) or main.get("_type") != JUPYTER_APPLICATION:
        return False
    main["_type"] = QT_APPLICATION
    main.setdefault("viewers", [[]])
    main.setdefault("tab_names", ["Tab 1"])
    return True


def image_viewer_records(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The glue-qt image viewers a session saved, tab by tab (none for a notebook's session).

    Each record holds the viewer's state (``rec["state"]["values"]``: aspect, limits, title)
    and its layers (``rec["layers"][i]["state"]``: the id of a glue-core image layer state).
    """
    main = rec.get("__main__")
    if not isinstance(main, dict):
        return []
    return [
        rec[viewer_id]
        for tab in main.get("viewers", [])
        for viewer_id in tab
        if isinstance(rec.get(viewer_id), dict) and rec[viewer_id].get("_type") == QT_IMAGE_VIEWER
    ]

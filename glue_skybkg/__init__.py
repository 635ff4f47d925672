"""glue-skybkg: the sky backgrounds of Rubin/LSST images in glue (the glue plugin).

``setup()`` is the ``glue.plugins`` entry point.  Importing this package is cheap: the
modules that register data factories, session loaders, menu items, layer actions and
toolbar tools are imported only when glue calls ``setup()``.
"""

from __future__ import annotations

import configparser
import json
import os
from typing import Any

__all__ = ["setup"]

_WCS_AUTOLINKER = "Astronomy WCS"


def setup() -> None:
    """Register the plugin with glue (idempotent: registrations happen once, at import).

    The Qt parts (menu, layer actions, toolbar tools) are registered only where glue-qt and a
    Qt binding can be imported, so glue-core-only hosts (glue-jupyter) still get the loaders
    and the session support.
    """
    from glue.config import settings

    from . import actions, gluedata, loaders, session  # noqa: F401  (decorators register)

    _default_wcs_autolink(settings)
    from . import qt

    if qt.available():
        qt.register()


def _default_wcs_autolink(settings: Any) -> None:
    """Accept WCS auto-links as data are added, unless the user chose what glue does with them.

    glue's WCS auto-link preview is a modal dialog that blocks headless use (tests, the demo,
    notebooks).  A choice for ``"Astronomy WCS"`` in ``AUTOLINK``, made in this process or
    saved in glue's ``settings.cfg``, is the user's and is left alone; otherwise (no
    settings, or glue's own saved default ``{}``) ``"always_accept"`` is set for this key,
    as a set value so that glue's settings loader keeps it.
    """
    from glue.config import CFG_DIR

    current = dict(settings.AUTOLINK)
    saved = configparser.ConfigParser()
    try:
        saved.read(os.path.join(CFG_DIR, "settings.cfg"))
        on_disk = json.loads(saved.get("main", "autolink", fallback="{}"))
    except (configparser.Error, ValueError):
        on_disk = {}  # glue cannot read that file either; it keeps its defaults
    if not isinstance(on_disk, dict):
        on_disk = {}
    if _WCS_AUTOLINKER in current or _WCS_AUTOLINKER in on_disk:
        return
    settings.AUTOLINK = {**on_disk, **current, _WCS_AUTOLINKER: "always_accept"}

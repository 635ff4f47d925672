"""glue-skybkg: the sky backgrounds of Rubin/LSST images in glue (the glue plugin).

``setup()`` is the ``glue.plugins`` entry point.  Importing this package is cheap: the
modules that register data factories, session loaders, menu items, layer actions and
toolbar tools are imported only when glue calls ``setup()``.
"""

from __future__ import annotations

import importlib.util

__all__ = ["setup"]


def setup() -> None:
    """Register the plugin with glue (idempotent: registrations happen once, at import).

    The glue-qt parts (menu, layer actions, toolbar tools) are registered only when glue-qt
    is installed, so glue-core-only hosts still get the loaders and the session support.
    """
    from glue.config import settings

    from . import actions, gluedata, loaders, session  # noqa: F401  (decorators register)

    # The WCS auto-link preview is a modal dialog that blocks headless use; accept WCS links
    # unless the user chose otherwise (their saved settings are read after plugins load).
    if "Astronomy WCS" not in settings.AUTOLINK:
        settings.AUTOLINK["Astronomy WCS"] = "always_accept"
    if importlib.util.find_spec("glue_qt") is None:
        return
    from .qt import register

    register()

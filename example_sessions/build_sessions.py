"""Rebuild the example sessions from the sample: ``python example_sessions/build_sessions.py``.

Each product is fetched from the sample through the plugin (source ``sample:``), so the
.glu files record dataset types and data ids, never this machine's paths or any pixels.
With a display (e.g. ``xvfb-run -a -s "-screen 0 1600x1000x24" python ...``) the PNG beside
each session is grabbed from the screen, as a user sees the window; without one, Qt's
offscreen platform renders it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent


def _app():
    from glue.config import settings
    from glue.main import load_plugins
    from glue_qt.app import GlueApplication
    from glue_qt.utils import get_qapp

    get_qapp()
    load_plugins(require_qt_plugins=True)
    settings.AUTOLINK["Astronomy WCS"] = "always_accept"
    return GlueApplication()


def _screenshot(app, path: Path) -> None:
    from glue_qt.utils import process_events
    from qtpy.QtWidgets import QApplication

    if QApplication.platformName() == "offscreen":
        app.screenshot(str(path))
        return
    end = time.monotonic() + 2.0  # let the window paint every viewer first
    while time.monotonic() < end:
        process_events()
        time.sleep(0.05)
    QApplication.primaryScreen().grabWindow(int(app.winId())).save(str(path))


def _save(app, name: str) -> Path:
    from glue_qt.utils import process_events

    app.start(block=False, maximized=False, size=(1600, 1000))
    process_events()
    path = HERE / f"{name}.glu"
    app.save_session(str(path), absolute_paths=False)
    _screenshot(app, HERE / f"{name}.png")
    app.close()
    return path


def calexp_session() -> Path:
    """Calexp + calexpBackground: the image, the background, the restored image."""
    from glue_skybkg.fetching import PRODUCT_KINDS, load_products
    from glue_skybkg.qt.notebook_views import tile, visit_views
    from skybkg_adapters import SAMPLE_SPEC
    from skybkg_adapters.sample import CALEXP_DATA_ID

    app = _app()
    app.add_datasets(load_products(SAMPLE_SPEC, PRODUCT_KINDS["visit"], dict(CALEXP_DATA_ID)))
    (calexp,) = app.data_collection
    tile(app, visit_views(app, calexp))
    return _save(app, "calexp_background")


def coadd_session() -> Path:
    """deepCoadd, deepCoadd_calexp (+ its background), their difference and the residual."""
    from glue_skybkg.fetching import PRODUCT_KINDS, load_products
    from glue_skybkg.qt.notebook_views import coadd_views, tile
    from skybkg_adapters import SAMPLE_SPEC
    from skybkg_adapters.sample import COADD_DATA_ID

    app = _app()
    app.add_datasets(load_products(SAMPLE_SPEC, PRODUCT_KINDS["coadd"], dict(COADD_DATA_ID)))
    coadd, coadd_calexp = app.data_collection
    tile(app, coadd_views(app, coadd, coadd_calexp))
    return _save(app, "coadd_difference")


if __name__ == "__main__":
    for build in (calexp_session, coadd_session):
        print(build())

"""The benchmark's glue program: one request in a fresh headless glue, timed to the drawn viewer.

Run as ``python -m glue_skybkg.qt.bench_viewer CALEXP BACKGROUND`` by ``skybkg bench``: it
starts glue, then does what a click on Fetch does (read both products, build the Data, attach
the background, show the image); with one DP2 (lsst-images) file instead, which carries its
backgrounds, what File > Open Data does (read it, build the Data, show the image). It
prints ``REQUEST <seconds>`` (request to drawn viewer) and
``DRAWN_AT <epoch seconds>`` (for the cold-start row, timed from the launch by the caller).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Time one fetch-and-show in a running glue; prints the two timing lines."""
    paths = list(argv if argv is not None else sys.argv[1:3])
    from glue_qt.app import GlueApplication
    from qtpy.QtWidgets import QApplication

    import skybkg_adapters as sa

    from ..actions import attach_background
    from ..gluedata import image_to_data
    from .display import show_component

    app = GlueApplication()
    QApplication.processEvents()
    start = time.perf_counter()
    image = image_to_data(sa.read_exposure(paths[0]), label="image")
    if len(paths) > 1:
        attach_background(image, sa.read_background(paths[1]))
    app.data_collection.append(image)
    viewer = show_component(app, image, "image", "notebook")
    viewer.axes.figure.canvas.draw()
    print("REQUEST", time.perf_counter() - start, flush=True)
    print("DRAWN_AT", time.time(), flush=True)
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

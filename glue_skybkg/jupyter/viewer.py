"""The notebook's image viewer: glue-jupyter's bqplot image viewer, drawn once per size report.

glue-jupyter renders an image only when the browser reports the plot's size.  Its
``BqplotImageView`` then draws the composite image, syncs the aspect ratio, which moves the
four axis limits one by one, and draws (PNG-encodes) again for each: five encodes of a
4k x 4k calexp (about 0.4 s here) before the first image reaches the page.  Holding the draws
until the aspect is synced gives one encode (about 0.07 s) and the same final limits.  This
refines a private method of glue-jupyter 0.29 (setup.cfg allows < 0.30; the tests compare
the result with the base class's, limits and pixels).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from glue_jupyter.bqplot.image import BqplotImageView

__all__ = ["SkyImageView", "report_size"]


@contextmanager
def _draws_held(image: Any) -> Iterator[None]:
    """No draws of the composite image inside the block (its ``update`` does nothing)."""
    image.update = lambda *args, **kwargs: None  # an instance attribute hides the method
    try:
        yield
    finally:
        del image.update


class SkyImageView(BqplotImageView):
    """glue-jupyter's image viewer, drawing once when the browser reports its size."""

    def _on_view_change(self, *args: Any) -> None:
        with _draws_held(self._composite_image):
            super()._on_view_change(*args)
        self._composite_image.update(force=True)


def report_size(viewer: Any, width: int = 600, height: int = 400) -> np.ndarray:
    """Report a plot size to ``viewer`` as a browser does, and return the RGBA image drawn.

    In a page, glue-jupyter's view listener sends this once the figure is laid out; a kernel
    without a page (the benchmark, headless tests) reports it here, through glue-jupyter's
    private ``_vl.view_data``.
    """
    now = datetime.datetime.now().isoformat()
    viewer._vl.view_data = {
        "skybkg": {"width": width, "height": height, "focused_at": now, "resized_at": now}
    }
    return np.asarray(viewer._composite_image.image)

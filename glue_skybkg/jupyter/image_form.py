"""What the panel's forms on one image share: the image they act on and how they show results."""

from __future__ import annotations

from collections.abc import Callable

from glue.core import Data

__all__ = ["ImageForm"]


class ImageForm:
    """A form of the panel acting on one image; subclasses build ``widget`` and the buttons.

    Parameters
    ----------
    show
        Called with a component label to show it in the viewer and describe it.
    """

    def __init__(self, show: Callable[[str], None]) -> None:
        self._show = show
        self.data: Data | None = None

    def set_image(self, data: Data) -> None:
        """Act on ``data`` from now on (subclasses also refresh their widgets)."""
        self.data = data

    def _image(self) -> Data:
        if self.data is None:
            raise ValueError(f"the {type(self).__name__} has no image yet")
        return self.data

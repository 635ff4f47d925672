"""The panel's inspection tools: the background's entries, a re-estimate, the residual map.

The same :mod:`glue_skybkg.inspection` functions as the Qt right-click menu; each result is a
new component of the image, shown in the panel's viewer and described by its statistics.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from glue.core import Data

from .. import inspection
from ..gluedata import BACKGROUND
from .image_form import ImageForm

__all__ = ["InspectForm"]


class InspectForm(ImageForm):
    """Entries of the attached background (*Show entry*), *Re-estimate*, *Residual map*.

    Parameters
    ----------
    show
        Called with a component label to show it in the viewer and describe it.
    """

    def __init__(self, show: Callable[[str], None]) -> None:
        super().__init__(show)
        self.entries = widgets.HTML()
        self.entry = widgets.Dropdown(description="Entry", layout=widgets.Layout(width="200px"))
        self.show_entry_button = widgets.Button(description="Show entry")
        self.re_estimate_button = widgets.Button(
            description="Re-estimate background",
            tooltip="as the pipeline did, from the image with its background restored",
            layout=widgets.Layout(width="200px"),
        )
        self.residual_button = widgets.Button(
            description="Residual map",
            tooltip="the image minus a large-scale re-estimate, smoothed: dark = oversubtracted",
            layout=widgets.Layout(width="200px"),
        )
        self.widget = widgets.VBox(
            [
                self.entries,
                widgets.HBox([self.entry, self.show_entry_button]),
                widgets.HBox([self.re_estimate_button, self.residual_button]),
            ]
        )
        self.re_estimate: inspection.ReEstimate | None = None

    def set_image(self, data: Data) -> None:
        """Describe ``data``'s background (entries) and enable what applies to it."""
        super().set_image(data)
        has_background = BACKGROUND in [c.label for c in data.components]
        infos = inspection.background_entries(data) if has_background else []
        self.entries.value = (
            "<small>" + "<br>".join(html.escape(i.describe()) for i in infos) + "</small>"
            if infos
            else "<small>no background attached</small>"
        )
        self.entry.options = [(f"entry {i.index}", i.index) for i in infos]
        self.entry.value = infos[0].index if infos else None
        self.show_entry_button.disabled = not infos
        self.re_estimate_button.disabled = not has_background

    def show_entry(self) -> Any:
        """Show the chosen entry of the background rendered alone."""
        cid = inspection.show_entry(self._image(), self.entry.value)
        self._show(cid.label)
        return cid

    def re_estimated(self) -> inspection.ReEstimate:
        """Re-estimate the background with the pipeline's settings; show the difference."""
        result = inspection.re_estimate_background(self._image())
        self.re_estimate = result
        self._show((result.difference or result.component).label)
        return result

    def residual_map(self) -> Any:
        """Add and show the residual map of the image."""
        cid = inspection.add_residual_map(self._image())
        self._show(cid.label)
        return cid

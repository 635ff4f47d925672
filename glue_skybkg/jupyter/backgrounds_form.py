"""The panel's named backgrounds of a DP2 image: list, show, apply, difference.

The same :mod:`glue_skybkg.actions` functions as the Qt *Backgrounds…* dialog; each result
is a new component of the image, shown in the panel's viewer and described by its
statistics.  An afw image has no named backgrounds (its background is its own product):
the form then says so and its buttons are disabled.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from glue.core import Data

from .. import actions
from .image_form import ImageForm

__all__ = ["BackgroundsForm"]

_COLUMNS = ("name", "subtracted", "unit", "terms", "description")


def _table(listed: list[actions.NamedBackground]) -> str:
    """The backgrounds as a small HTML table, the subtracted one ticked."""
    head = "".join(f"<th style='text-align:left'>{c}</th>" for c in _COLUMNS)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(text)}</td>"
            for text in (
                b.name,
                "✓" if b.subtracted else "",
                b.unit or "",
                b.terms,
                b.description,
            )
        )
        + "</tr>"
        for b in listed
    )
    return f"<table style='font-size:11px'><tr>{head}</tr>{rows}</table>"


class BackgroundsForm(ImageForm):
    """*Show*, *Apply* (``image + subtracted - chosen``) and *Difference* of named backgrounds.

    Parameters
    ----------
    show
        Called with a component label to show it in the viewer and describe it.
    """

    def __init__(self, show: Callable[[str], None]) -> None:
        super().__init__(show)
        self.listing = widgets.HTML()
        narrow = widgets.Layout(width="200px")
        self.name = widgets.Dropdown(description="Background", layout=narrow)
        self.minus = widgets.Dropdown(description="minus", layout=narrow)
        self.show_button = widgets.Button(description="Show", tooltip="as a component")
        self.apply_button = widgets.Button(
            description="Apply", tooltip="image + the subtracted background - this one"
        )
        self.difference_button = widgets.Button(description="Difference")
        self.widget = widgets.VBox(
            [
                self.listing,
                widgets.HBox([self.name, self.show_button, self.apply_button]),
                widgets.HBox([self.minus, self.difference_button]),
            ]
        )

    def set_image(self, data: Data) -> None:
        """List ``data``'s named backgrounds and enable what applies to them."""
        super().set_image(data)
        listed = actions.named_backgrounds(data)
        names = [b.name for b in listed]
        self.listing.value = (
            _table(listed)
            if listed
            else "<small>no named backgrounds: they come with DP2 (lsst-images) files; "
            "an afw calexp's background is its own product</small>"
        )
        unsubtracted = [b.name for b in listed if not b.subtracted]
        self.name.options = names
        self.name.value = next(iter(unsubtracted or names), None)
        self.minus.options = names
        subtracted = [b.name for b in listed if b.subtracted]
        self.minus.value = next(iter(subtracted or names), None)
        for button in (self.show_button, self.apply_button):
            button.disabled = not names
        self.difference_button.disabled = len(names) < 2

    def show_selected(self) -> Any:
        """Show the chosen background (``background: <name>``)."""
        cid = actions.show_named_background(self._image(), self.name.value)
        self._show(cid.label)
        return cid

    def apply_selected(self) -> Any:
        """Show the image with the chosen background in place of the subtracted one."""
        cid = actions.apply_background(self._image(), self.name.value)
        self._show(cid.label)
        return cid

    def difference_selected(self) -> Any:
        """Show the chosen background minus the one under *minus*."""
        cid = actions.difference_of_backgrounds(self._image(), self.name.value, self.minus.value)
        self._show(cid.label)
        return cid

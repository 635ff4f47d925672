"""Image layers with a colour bar, and adding a layer of a chosen artist class to a viewer.

glue's image viewer draws every image layer into one composite with no colour bar.  A
:class:`ColourBarImageLayerArtist` is glue's image layer plus a bar of its colour map, stretch
and limits, inside the right edge of the axes; the backgrounds, differences and the overlay
are shown with it.  The class is saved in sessions like glue's own layer artists, so a
restored viewer has its bar again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from astropy.visualization import ContrastBiasStretch, ManualInterval
from glue.config import layer_artist_maker
from glue.core import Data
from glue.viewers.image.layer_artist import ImageLayerArtist
from matplotlib.ticker import ScalarFormatter

from ..units import component_unit, unit_text

__all__ = ["BAR_BOUNDS", "ColourBarImageLayerArtist", "add_layer", "colour_bar_artists"]

BAR_BOUNDS = (0.93, 0.1, 0.025, 0.8)
"""Where the bar sits, in axes fractions (x0, y0, width, height): inside the right edge."""

_SAMPLES = 256


class ColourBarImageLayerArtist(ImageLayerArtist):
    """glue's image layer artist, with a colour bar that follows its display settings."""

    def __init__(self, axes: Any, viewer_state: Any, layer_state: Any = None, layer: Any = None):
        self.bar_axes: Any = None
        super().__init__(axes, viewer_state, layer_state=layer_state, layer=layer)

    def bar_values(self) -> np.ndarray:
        """The pixel values along the bar, bottom to top (``v_min`` to ``v_max``)."""
        return np.linspace(self.state.v_min, self.state.v_max, _SAMPLES)

    def bar_colours(self) -> np.ndarray:
        """RGBA of :meth:`bar_values` as glue colours them (limits, contrast, bias, stretch)."""
        state = self.state
        scaled = ManualInterval(state.v_min, state.v_max)(self.bar_values())
        scaled = ContrastBiasStretch(state.contrast, state.bias)(scaled)
        return state.cmap(state.stretch_object(scaled))

    def _update_visual_attributes(self) -> None:
        super()._update_visual_attributes()
        self.update_colour_bar()

    def update_colour_bar(self) -> None:
        """Draw the bar for the current limits, or hide it with the layer."""
        state = self.state
        shown = self.enabled and state.visible and None not in (state.v_min, state.v_max)
        if not shown or state.v_min == state.v_max:
            if self.bar_axes is not None:
                self.bar_axes.set_visible(False)
            return
        if self.bar_axes is None:
            self.bar_axes = self.axes.inset_axes(BAR_BOUNDS)
        bar = self.bar_axes
        bar.clear()
        bar.set_visible(True)
        bar.imshow(
            self.bar_colours()[:, None, :],
            extent=(0, 1, state.v_min, state.v_max),
            origin="lower",
            aspect="auto",
            interpolation="nearest",
        )
        bar.set_xticks([])
        bar.yaxis.tick_left()
        # whole values on the ticks: an offset ("+2.1") would sit on the unit label
        ticks = ScalarFormatter(useOffset=False)
        ticks.set_scientific(False)
        bar.yaxis.set_major_formatter(ticks)
        bar.tick_params(labelsize=7, colors="white", length=2)
        for label in bar.get_yticklabels():
            label.set_bbox({"facecolor": "black", "alpha": 0.5, "pad": 1, "linewidth": 0})
        unit = unit_text(component_unit(self.layer, state.attribute.label))
        bar.set_title(
            unit or state.attribute.label, fontsize=7, color="white", backgroundcolor="black"
        )

    def clear(self) -> None:
        """Hide the layer and its bar (glue calls this when the layer is disabled)."""
        super().clear()
        if self.bar_axes is not None:
            self.bar_axes.set_visible(False)

    def remove(self) -> None:
        """Remove the layer and its bar."""
        super().remove()
        if self.bar_axes is not None:
            self.bar_axes.remove()
            self.bar_axes = None


_next_artist: dict[int, type] = {}
"""Viewer id -> the artist class the next layer of that viewer gets (see :func:`add_layer`)."""


@layer_artist_maker("glue-skybkg: layer of a chosen class")
def _chosen_artist(viewer: Any, data: Any) -> Any:
    # glue asks every maker when data is added to any viewer; only add_layer names a class
    cls = _next_artist.pop(id(viewer), None)
    return None if cls is None else viewer.get_layer_artist(cls, layer=data)


@contextmanager
def _artist_class(viewer: Any, cls: type) -> Iterator[None]:
    _next_artist[id(viewer)] = cls
    try:
        yield
    finally:
        _next_artist.pop(id(viewer), None)


def add_layer(viewer: Any, data: Data, cls: type = ColourBarImageLayerArtist) -> Any:
    """Add a layer of ``data`` drawn by ``cls`` to ``viewer``; returns its layer state.

    A Data already shown gets a further layer (glue's image viewer allows duplicates).
    glue adds the Data's subsets after it: the layer returned is the Data's own.
    """
    with _artist_class(viewer, cls):
        viewer.add_data(data)
    return [state for state in viewer.state.layers if state.layer is data][-1]


def colour_bar_artists(viewer: Any) -> list[ColourBarImageLayerArtist]:
    """The layers of ``viewer`` that draw a colour bar."""
    return [a for a in viewer.layers if isinstance(a, ColourBarImageLayerArtist)]

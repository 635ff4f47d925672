"""Showing components in glue's image viewer with the notebook's display settings."""

from __future__ import annotations

from typing import Any

from glue.core import Data

from .. import analysis
from ..gluedata import BACKGROUND, IMAGE, RESTORED, derived_link

__all__ = [
    "PRESETS",
    "apply_preset",
    "apply_zscale",
    "display_limits",
    "find_application",
    "show_component",
    "viewer_title",
]

PRESETS = {"notebook": "arcsinh", "linear": "linear"}
"""Display presets: afwDisplay ``scale('asinh', 'zscale')`` and ``scale('linear', 'zscale')``."""


def find_application(data_collection: Any) -> Any:
    """The GlueApplication showing ``data_collection`` (layer actions get no session)."""
    from glue_qt.app import GlueApplication
    from qtpy.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, GlueApplication) and widget.data_collection is data_collection:
            return widget
    return None


def display_limits(values: Any) -> tuple[float, float]:
    """Zscale limits, widened to the finite min/max when zscale collapses to one value.

    A near-constant image (a residual of float32 round-off, a flat background) has a zscale
    range of zero width, which would show as one flat colour.
    """
    vmin, vmax = analysis.zscale_limits(values)
    if vmin < vmax:
        return vmin, vmax
    stats = analysis.background_stats(values)
    if stats.min < stats.max:
        return stats.min, stats.max
    return vmin, vmax


def apply_zscale(layer_state: Any) -> tuple[float, float]:
    """Set a layer's display limits to zscale of its shown component; returns the limits."""
    vmin, vmax = display_limits(layer_state.layer.get_data(layer_state.attribute))
    if vmin == vmin and vmax == vmax:  # both finite: an all-NaN layer keeps its limits
        layer_state.v_min, layer_state.v_max = vmin, vmax
    return vmin, vmax


def apply_preset(layer_state: Any, preset: str = "notebook") -> None:
    """The notebook's look: ``"notebook"`` = arcsinh + zscale, ``"linear"`` = linear + zscale."""
    layer_state.stretch = PRESETS[preset]
    apply_zscale(layer_state)


def viewer_title(data: Data, label: str) -> str:
    """What a viewer of ``data``'s component ``label`` shows, for its title bar.

    The image is the Data's name (``calexp``); an attached background is its dataset type
    when it was fetched from a source (``calexpBackground``); the restored image is
    ``calexp + background``; arithmetic on the image names the Data in place of ``image``
    (``deepCoadd - deepCoadd_calexp``); any other component is ``data: component``.
    """
    if label == IMAGE:
        return data.label
    if label == BACKGROUND:
        link = derived_link(data, BACKGROUND)
        recipe = getattr(link, "recipe", None)
        dataset_type = (recipe.provenance or {}).get("dataset_type") if recipe is not None else None
        return dataset_type or f"{data.label} background"
    if label == RESTORED:
        return f"{data.label} + background"
    if label.startswith(f"{IMAGE} "):  # arithmetic on the image: "deepCoadd - deepCoadd_calexp"
        return data.label + label[len(IMAGE) :]
    return f"{data.label}: {label}"


def show_component(app: Any, data: Data, label: str, preset: str = "notebook") -> Any:
    """A new image viewer showing ``data``'s component ``label`` with a preset; returns it.

    The viewer's title names what it shows (:func:`viewer_title`; saved in sessions).
    """
    from glue_qt.viewers.image import ImageViewer

    viewer = app.new_data_viewer(ImageViewer, data=data)
    viewer.state.title = viewer_title(data, label)
    layer = viewer.state.layers[0]
    layer.attribute = data.id[label]
    apply_preset(layer, preset)
    viewer.state.aspect = "equal"
    return viewer

"""The notebook's display settings on glue layer states, for every glue front end.

glue-qt and glue-jupyter share glue-core's viewer and layer states, so the presets
(afwDisplay's ``scale('asinh', 'zscale')`` and ``scale('linear', 'zscale')``), the viewer
titles and the layers of components (the background over the image) are set the same way
in both; only opening a viewer differs (:mod:`glue_skybkg.qt.display`,
:mod:`glue_skybkg.jupyter.application`).
"""

from __future__ import annotations

from typing import Any

from glue.core import Data

from skybkg_adapters import product_label

from . import analysis
from .gluedata import BACKGROUND, IMAGE, RESTORED
from .identity import attached_background_identity

__all__ = [
    "PRESETS",
    "apply_preset",
    "apply_zscale",
    "component_layer",
    "display_limits",
    "viewer_title",
]

PRESETS = {"notebook": "arcsinh", "linear": "linear"}
"""Display presets: afwDisplay ``scale('asinh', 'zscale')`` and ``scale('linear', 'zscale')``."""


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


def component_layer(viewer: Any, data: Data, label: str = BACKGROUND) -> Any:
    """``viewer``'s layer state showing ``data``'s component ``label``: found, or added.

    A component such as the background is a second layer of the same Data, so it needs no
    link and moves with the image.
    """
    for state in viewer.state.layers:
        if state.layer is data and state.attribute.label == label:
            return state
    # glue keeps one layer per Data unless the viewer allows duplicates: allow it for this one
    viewer.allow_duplicate_data = True
    try:
        viewer.add_data(data)
    finally:
        viewer.allow_duplicate_data = False
    state = viewer.state.layers[-1]
    state.attribute = data.id[label]
    state.alpha = 1.0  # glue's default 0.8 lets the image's stars show through the layer
    return state


def viewer_title(data: Data, label: str) -> str:
    """What a viewer of ``data``'s component ``label`` shows, for its title bar.

    The image is the Data's name (``calexp_512055_75``); an attached background is named
    by its dataset type and data id when they are known (``calexpBackground_512055_75``);
    the restored image is ``calexp_512055_75 + background``; arithmetic on the image names
    the Data in place of ``image`` (``deepCoadd_4226_17_r - deepCoadd_calexp_4226_17_r``);
    any other component is ``data: component``.
    """
    if label == IMAGE:
        return data.label
    if label == BACKGROUND:
        identity = attached_background_identity(data)
        if identity is not None and identity.dataset_type and identity.key:
            return product_label(identity.dataset_type, identity.key)
        return f"{data.label} background"
    if label == RESTORED:
        return f"{data.label} + background"
    if label.startswith(f"{IMAGE} "):  # arithmetic on the image: "deepCoadd - deepCoadd_calexp"
        return data.label + label[len(IMAGE) :]
    return f"{data.label}: {label}"

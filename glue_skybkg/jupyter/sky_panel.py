"""The plugin's actions beside a glue-jupyter image viewer, as Jupyter widgets.

Layout: the viewer (glue-jupyter's toolbar, figure and options) on the left; on the right
the image and component shown, a fetch form, the inspection tools
(:mod:`~glue_skybkg.jupyter.inspect_form`), a DP2 image's named backgrounds
(:mod:`~glue_skybkg.jupyter.backgrounds_form`), *Show background*, *Restore background*,
*Difference* and *Compare with stored background* against a second image, and the
statistics (the notebook's block and its 1000-bin log histogram, for the whole image or the
current subset, optionally without DETECTED/BAD/NO_DATA pixels).  Every number comes from
:mod:`glue_skybkg.actions`; the display presets from :mod:`glue_skybkg.display`.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import ipywidgets as widgets
import numpy as np
from glue.core import Data

from skybkg_adapters import SkybkgError

from .. import actions
from ..display import apply_preset, component_layer, viewer_title
from ..fetching import add_products
from ..gluedata import BACKGROUND, IMAGE, RESTORED
from .backgrounds_form import BackgroundsForm
from .fetch_form import FetchForm
from .histogram import HistogramFigure
from .inspect_form import InspectForm
from .viewer import SkyImageView

__all__ = ["CURRENT_SUBSET", "WHOLE_IMAGE", "SkyPanel"]

log = logging.getLogger(__name__)

WHOLE_IMAGE = "Whole image"
CURRENT_SUBSET = "Current subset"
_WIDTH = "440px"
_NOT_SHOWN = ("Pixel Axis", "World", "Right Ascension", "Declination")


def _labels(data: Data) -> list[str]:
    return [c.label for c in data.components]


def _image_components(data: Data) -> list[str]:
    """The components of ``data`` one may show or describe (not its coordinates)."""
    return [
        c.label
        for c in data.main_components + data.derived_components
        if not c.label.startswith(_NOT_SHOWN)
    ]


def _preset_for(label: str) -> str:
    # images look as afwDisplay shows calexps (asinh); backgrounds and differences linear
    return "notebook" if label in (IMAGE, RESTORED) else "linear"


class SkyPanel:
    """One image viewer and the sky-background actions beside it.

    Parameters
    ----------
    app
        The glue-jupyter ``JupyterApplication`` holding the data.
    data
        The exposure shown first (a Data of ``app``'s collection).

    Attributes
    ----------
    viewer
        The :class:`~glue_skybkg.jupyter.viewer.SkyImageView`.
    widget
        The viewer and the panel side by side (displaying the panel displays it).
    statistics, histogram, statistics_text
        The last statistics (:class:`~glue_skybkg.analysis.BackgroundStats`), histogram
        ``(counts, edges)`` and the block shown; None before the first.
    error
        The last error shown in the status line, or None.
    """

    def __init__(self, app: Any, data: Data) -> None:
        self.app = app
        self.data = data
        self.statistics: Any = None
        self.histogram: tuple[np.ndarray, np.ndarray] | None = None
        self.statistics_text: str | None = None
        self.error: BaseException | None = None
        self._quiet = False
        self._described: Data | None = None  # the image the component choice belongs to
        self.viewer = app.new_data_viewer(SkyImageView, data=data, show=False)
        self.viewer.state.aspect = "equal"
        self.viewer.layout.add_class("skybkg-viewer")
        self.image_layer = self.viewer.state.layers[0]
        self._build()
        self.widget = widgets.HBox([self.viewer.layout, self.panel])
        self.widget.add_class("skybkg-panel")
        self.set_image(data)

    # -- widgets ---------------------------------------------------------------------------

    def _build(self) -> None:
        wide = widgets.Layout(width="210px")
        self.title = widgets.HTML()
        self.image = widgets.Dropdown(description="Image")
        self.shown = widgets.Dropdown(description="Showing")
        self.fetch_form = FetchForm(self._add_fetched, self._report)
        self.inspect_form = InspectForm(self._show_and_describe)
        self.backgrounds_form = BackgroundsForm(self._show_and_describe)
        tools = widgets.Accordion(
            children=[
                self.fetch_form.widget,
                self.inspect_form.widget,
                self.backgrounds_form.widget,
            ],
            selected_index=None,
        )
        tools.set_title(0, "Fetch products")
        tools.set_title(1, "Inspect the background")
        tools.set_title(2, "Named backgrounds (DP2)")
        self.show_background_button = widgets.ToggleButton(
            description="Show background", icon="eye", layout=wide
        )
        self.restore_button = widgets.Button(
            description="Restore background", icon="plus", layout=wide
        )
        self.other = widgets.Dropdown(description="minus")
        self.difference_button = widgets.Button(
            description="Difference", layout=widgets.Layout(width="130px")
        )
        self.compare_button = widgets.Button(
            description="Compare with stored background", layout=widgets.Layout(width="290px")
        )
        self.component = widgets.Dropdown(description="Component")
        self.pixels = widgets.ToggleButtons(
            options=[WHOLE_IMAGE, CURRENT_SUBSET],
            description="Pixels",
            style={"button_width": "120px"},
        )
        self.exclude = widgets.Checkbox(
            description="without " + "/".join(actions.EXCLUDABLE_PLANES), indent=False
        )
        self.statistics_button = widgets.Button(
            description="Statistics", icon="calculator", button_style="primary"
        )
        self.status = widgets.HTML()
        self.statistics_box = widgets.HTML()
        self.statistics_box.add_class("skybkg-statistics")
        self.histogram_figure = HistogramFigure(width="420px")

        self.image.observe(self._on_image, names="value")
        self.shown.observe(self._on_shown, names="value")
        self.show_background_button.observe(self._on_show_background, names="value")
        self.restore_button.on_click(self._on_restore)
        self.difference_button.on_click(self._on_difference)
        self.compare_button.on_click(self._on_compare)
        self.statistics_button.on_click(self._on_statistics)
        self.inspect_form.show_entry_button.on_click(self._on_show_entry)
        self.inspect_form.re_estimate_button.on_click(self._on_re_estimate)
        self.inspect_form.residual_button.on_click(self._on_residual_map)
        self.backgrounds_form.show_button.on_click(self._on_show_named)
        self.backgrounds_form.apply_button.on_click(self._on_apply_named)
        self.backgrounds_form.difference_button.on_click(self._on_difference_of_named)
        for control in (self.component, self.pixels, self.exclude):
            control.observe(self._on_selection, names="value")
        self.panel = widgets.VBox(
            [
                self.title,
                self.image,
                self.shown,
                tools,
                widgets.HBox([self.show_background_button, self.restore_button]),
                self.other,
                widgets.HBox([self.difference_button, self.compare_button]),
                self.component,
                self.pixels,
                self.exclude,
                self.statistics_button,
                self.status,
                self.statistics_box,
                self.histogram_figure.widget,
            ],
            layout=widgets.Layout(width=_WIDTH, min_width=_WIDTH, padding="0 0 0 8px"),
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _report(self, what: str, exc: BaseException) -> None:
        self.error = exc
        log.warning("%s failed: %s", what, exc)
        self.status.value = f"<span style='color:#b00'>{html.escape(f'{what}: {exc}')}</span>"

    def _say(self, text: str) -> None:
        self.error = None
        self.status.value = html.escape(text)

    def _exposures(self) -> list[Data]:
        return [d for d in self.app.data_collection if d.meta.get("skybkg_kind") == "exposure"]

    def _same_grid(self) -> list[Data]:
        # the one pixel-grid rule (same bbox and sky, or data id) of every front end
        return actions.difference_candidates(self.data, self.app.data_collection)

    def refresh(self) -> None:
        """Bring the choices up to date with the data (new images, new components)."""
        data = self.data
        labels = _labels(data)
        self._quiet = True
        try:
            self.image.options = [(d.label, d) for d in self._exposures()]
            self.image.value = data
            components = _image_components(data)
            described = self.component.value if self._described is data else None
            for dropdown in (self.shown, self.component):
                dropdown.options = components
            self.shown.value = self.image_layer.attribute.label
            self.component.value = (
                described if described in components else actions.default_component(data).label
            )
            self._described = data
            others = self._same_grid()
            self.other.options = [(d.label, d) for d in others]
            self.other.value = others[0] if others else None
        finally:
            self._quiet = False
        has_background = BACKGROUND in labels
        self.show_background_button.disabled = not has_background
        self.restore_button.disabled = not has_background or RESTORED in labels
        self.restore_button.description = (
            "Background restored" if RESTORED in labels else "Restore background"
        )
        self.difference_button.disabled = not others
        self.compare_button.disabled = not others or not any(
            BACKGROUND in _labels(d) for d in (data, *others)
        )
        planes = data.meta.get("mask_planes") or {}
        self.exclude.disabled = not all(p in planes for p in actions.EXCLUDABLE_PLANES)
        self.title.value = f"<b>Sky background</b>: {html.escape(self.viewer.state.title or '')}"

    # -- what the viewer shows -------------------------------------------------------------

    def set_image(self, data: Data) -> None:
        """Show ``data`` (an exposure of the collection) in the viewer and act on it."""
        if data is not self.data:
            self.show_background(False)
            self.viewer.remove_data(self.data)
            self.viewer.add_data(data)
            self.data = data
            self.image_layer = self.viewer.state.layers[0]
        self.show_background_button.value = False
        self.show_component(IMAGE)
        self.inspect_form.set_image(data)
        self.backgrounds_form.set_image(data)

    def show_component(self, label: str) -> None:
        """Show component ``label`` of the image, with the notebook's display for its kind."""
        layer = self.image_layer
        layer.attribute = self.data.id[label]
        apply_preset(layer, _preset_for(label))
        self.viewer.state.title = viewer_title(self.data, label)
        self.refresh()

    def show_background(self, visible: bool = True) -> Any:
        """Show (or hide) the background as a layer over the image: linear + zscale."""
        layer = None
        for state in self.viewer.state.layers:
            if state.layer is self.data and state.attribute.label == BACKGROUND:
                layer = state
        if visible and layer is None:
            if BACKGROUND not in _labels(self.data):
                raise SkybkgError(
                    f"{self.data.label!r} has no background attached; fetch or open its "
                    "background first"
                )
            layer = component_layer(self.viewer, self.data)
            apply_preset(layer, "linear")
        if layer is not None:
            layer.visible = visible
        return layer

    # -- the actions -----------------------------------------------------------------------

    def restore(self) -> Any:
        """Add ``image + background`` (once: the notebook's safety flag) and show it."""
        cid = actions.restore_background(self.data, self.app.data_collection)
        self.show_component(cid.label)
        self._say(f"showing {self.viewer.state.title}")
        return cid

    def difference(self) -> Any:
        """``image - other image`` as a new component; shown, and described."""
        other = self._other()
        cid = actions.difference(self.data, other, self.app.data_collection)
        self._show_and_describe(cid.label)
        return cid

    def compare(self) -> actions.Comparison:
        """``(image - other) - stored background``: shown, with its statistics."""
        comparison = actions.compare_with_stored_background(
            self.data, self._other(), self.app.data_collection
        )
        self._show_and_describe(comparison.component.label)
        return comparison

    def _show_and_describe(self, label: str) -> None:
        """Show a new result and its statistics (whole image, as the notebook prints them)."""
        self.show_component(label)
        self._quiet = True  # one computation, not one per changed choice
        try:
            self.component.value = label
            self.pixels.value = WHOLE_IMAGE
            self.exclude.value = False
        finally:
            self._quiet = False
        self.compute_statistics()

    def _other(self) -> Data:
        if self.other.value is None:
            raise SkybkgError(
                f"no other image on the pixel grid of {self.data.label!r}; fetch one "
                "(e.g. the coadd triple) first"
            )
        return self.other.value

    def current_subset(self) -> Any:
        """The image's subset in glue's current (edited) subset group, or None.

        That is what the viewer toolbar's subset menu selects and what a selection tool's next
        drag edits.
        """
        for group in self.app.session.edit_subset_mode.edit_subset:
            for subset in group.subsets:
                if subset.data is self.data:
                    return subset
        return None

    def selection(self) -> tuple[Any, tuple[str, ...], str]:
        """(subset state or None, mask planes left out, the choice in words)."""
        state, where = None, "whole image"
        if self.pixels.value == CURRENT_SUBSET:
            subset = self.current_subset()
            if subset is None:
                raise SkybkgError(
                    "no current subset: draw one with a selection tool of the viewer's "
                    "toolbar, or choose one in its subset menu"
                )
            state, where = subset.subset_state, f"subset {subset.label!r}"
        planes = actions.EXCLUDABLE_PLANES if self.exclude.value else ()
        if planes:
            where += ", without " + "/".join(planes)
        return state, planes, where

    def compute_statistics(self) -> Any:
        """The notebook's statistics block and histogram for the panel's choices.

        When they cannot be computed (no current subset, say) the previous ones are cleared,
        so that what is shown always answers the choices shown.
        """
        try:
            state, planes, where = self.selection()
            label = self.component.value
            stats = actions.background_statistics(self.data, label, state, planes)
            counts, edges = actions.background_histogram(self.data, label, state, planes)
        except Exception:
            self.statistics = self.histogram = self.statistics_text = None
            self.statistics_box.value = ""
            self.histogram_figure.clear()
            raise
        self.statistics, self.histogram = stats, (counts, edges)
        self.statistics_text = stats.format()
        self.statistics_box.value = (
            "<pre style='font-size: 12px; white-space: pre; overflow-x: auto'>"
            f"{html.escape(self.statistics_text)}</pre>"
        )
        self.histogram_figure.show(counts, edges, f"{label}: {len(counts)} bins")
        self._say(f"{label} of {self.data.label}: {where}")
        return stats

    # -- widget callbacks: errors go to the status line, never into the widget comm --------

    def _guarded(self, what: str, action: Any, *args: Any) -> None:
        try:
            action(*args)
        except Exception as exc:
            self._report(what, exc)

    def _add_fetched(self, datasets: list) -> None:
        images = add_products(self.app.data_collection, datasets)
        if images:
            self.set_image(images[0])
        self._say("fetched " + ", ".join(d.label for d in datasets))

    def _on_image(self, change: dict) -> None:
        if not self._quiet and change["new"] is not None:
            self._guarded("Show image", self.set_image, change["new"])

    def _on_shown(self, change: dict) -> None:
        if not self._quiet and change["new"] is not None:
            self._guarded("Show", self.show_component, change["new"])

    def _on_show_background(self, change: dict) -> None:
        self._guarded("Show background", self.show_background, change["new"])

    def _on_restore(self, _button: Any) -> None:
        self._guarded("Restore background", self.restore)

    def _on_difference(self, _button: Any) -> None:
        self._guarded("Difference", self.difference)

    def _on_compare(self, _button: Any) -> None:
        self._guarded("Compare with stored background", self.compare)

    def _on_show_entry(self, _button: Any) -> None:
        self._guarded("Show entry", self.inspect_form.show_entry)

    def _on_re_estimate(self, _button: Any) -> None:
        self._guarded("Re-estimate background", self.inspect_form.re_estimated)

    def _on_residual_map(self, _button: Any) -> None:
        self._guarded("Residual map", self.inspect_form.residual_map)

    def _on_show_named(self, _button: Any) -> None:
        self._guarded("Show background", self.backgrounds_form.show_selected)

    def _on_apply_named(self, _button: Any) -> None:
        self._guarded("Apply background", self.backgrounds_form.apply_selected)

    def _on_difference_of_named(self, _button: Any) -> None:
        self._guarded("Difference of backgrounds", self.backgrounds_form.difference_selected)

    def _on_statistics(self, _button: Any) -> None:
        self._guarded("Statistics", self.compute_statistics)

    def _on_selection(self, _change: dict) -> None:
        # what is shown follows the choices, once statistics are shown
        if self.statistics is not None and not self._quiet:
            self._guarded("Statistics", self.compute_statistics)

"""Right-click actions on data layers: show, restore, difference, statistics, compare, attach.

Each callback asks what it must (a non-modal :mod:`~glue_skybkg.qt.chooser`), calls
:mod:`glue_skybkg.actions`, then shows the result; failures go to the error reporter.
"""

from __future__ import annotations

from typing import Any

from glue.core import Data
from glue.core.subset import Subset
from glue.core.subset_group import SubsetGroup
from glue_qt.config import layer_action

from skybkg_adapters import GridMismatch, SkybkgError

from .. import actions
from ..gluedata import BACKGROUND, IMAGE, data_bbox
from . import display
from .calibration import with_calibration
from .chooser import choose_data
from .display import find_application, find_viewer, show_component
from .feedback import announce_attached, background_shown
from .notify import report_error
from .stats_dock import show_statistics
from .stats_panel import StatisticsPanel

__all__ = [
    "ATTACH",
    "COMPARE",
    "DIFFERENCE",
    "RESTORE_BACKGROUND",
    "SHOW_BACKGROUND",
    "STATISTICS",
    "attach_background",
    "background_statistics",
    "compare_with_stored_background",
    "difference",
    "restore_background",
    "show_background",
]

SHOW_BACKGROUND = "Show background"
RESTORE_BACKGROUND = "Restore background (image + background)"
DIFFERENCE = "Difference…"
STATISTICS = "Background statistics"
COMPARE = "Compare with stored background"
ATTACH = "Attach background…"


def _others(data: Data, data_collection: Any) -> list[Data]:
    return [
        d for d in data_collection if d is not data and IMAGE in [c.label for c in d.components]
    ]


def show_background(data: Data, data_collection: Any) -> Any:
    """Show the attached background in a viewer beside the image's (linear, zscale).

    A second click brings that viewer to the front.  Returns the viewer (None after an
    error, which is reported).
    """
    try:
        app = find_application(data_collection)
        viewer = display.show_background(app, data)
        background_shown(app, data)
        return viewer
    except Exception as exc:  # reported to the user, never raised into Qt's event loop
        report_error(SHOW_BACKGROUND, exc)
        return None


def restore_background(data: Data, data_collection: Any) -> Any:
    """Add ``image + background`` (once) and show it with the notebook preset (once).

    Where the background cannot be put in the image's unit (a DP1 visit image), the user
    is offered to give the calibration (:func:`.calibration.with_calibration`).
    """
    try:
        cid = with_calibration(
            RESTORE_BACKGROUND,
            lambda c: actions.restore_background(data, data_collection, calibration=c),
        )
        app = find_application(data_collection)
        beside = find_viewer(app, data, IMAGE)
        return show_component(app, data, cid.label, "notebook", beside=beside)
    except Exception as exc:  # reported to the user
        report_error(RESTORE_BACKGROUND, exc)
        return None


def difference(data: Data, data_collection: Any) -> Any:
    """Ask for B among the images on ``data``'s pixel grid, add ``image - B``, show it.

    Returns the viewer, or the open chooser when there is more than one B.
    """
    try:
        candidates = actions.difference_candidates(data, data_collection)
        if not candidates:
            refused = [actions.grid_mismatch(data, d) for d in _others(data, data_collection)]
            raise GridMismatch(
                f"no other open image is on the pixel grid of {data.label!r} "
                f"{tuple(data_bbox(data))}"
                + (": " + "; ".join(filter(None, refused)) if refused else "; none is open")
            )
        app = find_application(data_collection)

        def subtract(other: Data) -> Any:
            cid = actions.difference(data, other, data_collection)
            return show_component(app, data, cid.label, "linear")

        prompt = f"Subtract which image from {data.label}?"
        return choose_data(app, DIFFERENCE, prompt, [(d, "") for d in candidates], subtract)
    except Exception as exc:  # reported to the user
        report_error(DIFFERENCE, exc)
        return None


def _subset_to_describe(group: SubsetGroup) -> Subset:
    """The subset of a group on the image most worth describing (one with a background)."""

    def score(subset: Subset) -> int:
        labels = [c.label for c in subset.data.components]
        return (BACKGROUND in labels) * 2 + (subset.data.meta.get("skybkg_kind") == "exposure")

    return max(group.subsets, key=score)


def background_statistics(
    layer: Data | Subset | SubsetGroup, data_collection: Any
) -> StatisticsPanel | None:
    """The statistics dock for a Data, or inside the selected subset (group)."""
    try:
        app = find_application(data_collection)
        if isinstance(layer, SubsetGroup):
            layer = _subset_to_describe(layer)
        if isinstance(layer, Subset):
            return show_statistics(app, layer.data, subset=layer)
        return show_statistics(app, layer)
    except Exception as exc:  # reported to the user
        report_error(STATISTICS, exc)
        return None


def compare_with_stored_background(data: Data, data_collection: Any) -> Any:
    """Show ``(this - B) - B's stored background`` with its statistics (the coadd check).

    Only a B that makes this meaningful is offered (:func:`glue_skybkg.actions.compare_candidates`:
    deepCoadd_calexp with its background, for a deepCoadd of the same patch).
    """
    try:
        candidates = actions.compare_candidates(data, data_collection)
        if not candidates:
            refused = [
                f"{d.label}: {actions.compare_mismatch(data, d)}"
                for d in _others(data, data_collection)
            ]
            raise SkybkgError(
                f"Compare with stored background checks a coadd pair: for a deepCoadd, "
                "(deepCoadd − deepCoadd_calexp) − deepCoadd_calexp_background, which should be "
                f"≈ 0. No open image pairs with {data.label!r} that way"
                + (" (" + "; ".join(refused) + ")" if refused else "")
                + ". Open deepCoadd_calexp and its deepCoadd_calexp_background of the same patch."
            )
        app = find_application(data_collection)

        def compare(other: Data) -> Any:
            result = actions.compare_with_stored_background(data, other, data_collection)
            show_component(app, data, result.component.label, "linear")
            return show_statistics(app, data, result.component.label)

        prompt = f"Compare {data.label} with which image?"
        return choose_data(app, COMPARE, prompt, [(d, "") for d in candidates], compare)
    except Exception as exc:  # reported to the user
        report_error(COMPARE, exc)
        return None


def attach_background(data: Data, data_collection: Any) -> Any:
    """Pair an image and a background by hand: choose among those the evidence does not refuse.

    Right-click an image to choose its background, or a background to choose its image; the
    chooser says for each what the evidence says.  Returns the open chooser (None after an
    error, which is reported).
    """
    try:
        if data.meta.get("skybkg_kind") == "exposure" and BACKGROUND in [
            c.label for c in data.components
        ]:
            raise SkybkgError(
                f"{data.label!r} already has a background attached; open the image again to "
                "use another one"
            )
        is_background = data.meta.get("skybkg_kind") == "background"
        wanted = "image without a background" if is_background else "background"
        candidates = actions.attach_candidates(data, data_collection)
        if not candidates:
            refused = actions.attach_candidates(data, data_collection, refused=True)
            why = "; ".join(f"{d.label} is not: {m.reason}" for d, m in refused)
            raise SkybkgError(
                f"no open {wanted} can be {data.label}'s"
                + (f" ({why})" if why else f" (none covers bbox {tuple(data_bbox(data))})")
                + ". Open its own file with File ▸ Open Data; a background that is not "
                "attached stays open as a dataset of its own."
            )
        app = find_application(data_collection)

        def attach(other: Data) -> Any:
            image, background = (other, data) if is_background else (data, other)
            cid = actions.attach_background(image, background, data_collection)
            data_collection.remove(background)
            announce_attached(app, image, background.label, "chosen by hand")
            return cid

        prompt = (
            f"Attach {data.label} to which image?"
            if is_background
            else f"Attach which background to {data.label}?"
        )
        reasons = [(d, match.reason) for d, match in candidates]
        return choose_data(app, ATTACH, prompt, reasons, attach, ask_for_one=True)
    except Exception as exc:  # reported to the user
        report_error(ATTACH, exc)
        return None


layer_action(
    SHOW_BACKGROUND,
    single=True,
    data=True,
    tooltip="Show the background attached to this image in a viewer beside it",
)(show_background)
layer_action(
    RESTORE_BACKGROUND,
    single=True,
    data=True,
    tooltip="Add the subtracted background back, as a new component",
)(restore_background)
layer_action(
    DIFFERENCE, single=True, data=True, tooltip="Subtract another image on the same pixel grid"
)(difference)
layer_action(
    STATISTICS,
    single=True,
    data=True,
    subset=True,
    subset_group=True,
    tooltip="Statistics and histogram (whole image or this subset)",
)(background_statistics)
layer_action(
    COMPARE,
    single=True,
    data=True,
    tooltip="For a deepCoadd: (deepCoadd − deepCoadd_calexp) − its stored background, ≈ 0",
)(compare_with_stored_background)
layer_action(
    ATTACH,
    single=True,
    data=True,
    tooltip="Pair this image with an open background (or this background with an image)",
)(attach_background)
